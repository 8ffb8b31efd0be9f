"""Category inference in numpy: the classifier's weights as plain arrays, no scikit-learn at run time.

At training time :func:`export_arrays` writes the fitted pipeline of a hashed design (``hash_kw_lr``,
``hash_lr``) as plain arrays into an ``.npz`` file beside the model (``model.skops`` → ``model.npz``): the
kept hashed columns, their IDF weights, the keyword lists of
:class:`~auditnlp.classify.model.KeywordFeatures`,
the logistic regression's coefficients and intercepts. Its SHA-256 is pinned in the sidecar
(``arrays_sha256``). :class:`ArrayModel` reproduces the scikit-learn pipeline step by step (same hash,
sublinear TF-IDF, l2 norm, keyword counts, softmax, temperature), so its probabilities equal the pipeline's
to rounding error. This module imports only numpy; scikit-learn, scipy and skops are needed only to train,
or to use a model without arrays (other designs, or one saved by an older auditnlp).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from auditnlp.errors import ModelError

FORMAT = "auditnlp.category_model/1"
ARRAYS_FORMAT = "auditnlp.category_arrays/1"
CONTEXT_SEP = "\u2063"
"""Separates the headings from the text in a model input (an invisible separator, never in a report)."""

_MULT = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)


def unit_input(text: str, context: str) -> str:
    """The input of a unit to a ``heading+text`` design: ``〔headings〕``, :data:`CONTEXT_SEP`, the text; the
    text alone outside sections (a news page without headings is not read as front matter)."""
    return f"〔{context}〕{CONTEXT_SEP}{text}" if context else text


def scale_proba(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature scaling of probabilities: each row ``∝ proba ** (1 / temperature)``, summing to 1."""
    if temperature == 1.0 or not len(proba):
        return proba
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return np.asarray(scaled / scaled.sum(axis=1, keepdims=True))


def round_4(values: Any) -> list[list[float]]:
    """``[[round(v, 4) for v in row] for row in values]`` for a 2-D float array, the same floats, computed in
    numpy (``round`` per value is most of the time spent turning probabilities into scores). For |v| < 10⁵,
    ``v * 10⁴`` is within 10⁻⁷ of its exact value, so unless it lies within 10⁻⁶ of a half, ``rint`` picks
    the integer ``round`` picks and ``k / 10⁴`` is the double nearest that decimal, as ``round`` returns.
    The rest (near a half or a tie, large, NaN, infinite) go through ``round`` itself."""
    array = np.asarray(values, dtype=np.float64)
    scaled = array * 1e4
    out: list[list[float]] = (np.rint(scaled) / 1e4).tolist()
    with np.errstate(invalid="ignore"):
        safe = (np.abs(scaled - np.floor(scaled) - 0.5) >= 1e-6) & (np.abs(array) < 1e5)
    near = ~safe
    for i, j in zip(*np.nonzero(near), strict=True):
        out[int(i)][int(j)] = round(float(array[i, j]), 4)
    return out


def sidecar_path(path: str | Path) -> Path:
    """The JSON sidecar of a model file (``model.skops`` → ``model.json``)."""
    return Path(path).with_suffix(".json")


def arrays_path(path: str | Path) -> Path:
    """The array file of a model file (``model.skops`` → ``model.npz``)."""
    return Path(path).with_suffix(".npz")


def read_sidecar(path: str | Path) -> dict[str, Any]:
    """Read and check the JSON sidecar of model file `path`."""
    side = sidecar_path(path)
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            str(path), f"no sidecar {side.name} beside the model (labels and versions unknown)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelError(str(side), f"cannot read model sidecar: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not meta.get("labels"):
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ModelError(str(side), f"not an auditnlp category model sidecar (format {found!r})")
    return meta


def ngram_keys(
    texts: list[str], ngram_range: tuple[int, int], n_features: int, fold_digits: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Row and hashed column of every character n-gram of `texts` (n in `ngram_range`), computed in one
    numpy pass over their concatenation; n-grams never cross from one text into the next."""
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if fold_digits:
        digit = ((codes >= 48) & (codes <= 57)) | ((codes >= 0xFF10) & (codes <= 0xFF19))
        codes[digit] = 48
    rows_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    ends_of = np.repeat(np.cumsum(lengths), lengths)  # per position: where its text ends
    power_of_two = n_features & (n_features - 1) == 0  # then % is a mask (no 64-bit division)
    all_rows: list[np.ndarray] = []
    all_cols: list[np.ndarray] = []
    lo, hi = ngram_range
    with np.errstate(over="ignore"):
        for n in range(lo, hi + 1):
            m = len(codes) - n + 1
            if m <= 0:
                break
            h = np.full(m, n, dtype=np.uint64)
            for k in range(n):  # in place: the same arithmetic modulo 2**64 as h = h * _MULT + codes[…]
                h *= _MULT
                h += codes[k : k + m]
            h ^= h >> np.uint64(31)
            h *= _MIX
            h ^= h >> np.uint64(29)
            if power_of_two:
                h &= np.uint64(n_features - 1)
            else:
                h %= np.uint64(n_features)
            inside = np.arange(n, m + n, dtype=np.int64) <= ends_of[:m]
            all_rows.append(rows_of[:m][inside])
            all_cols.append(h[inside].astype(np.int64))
    if not all_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(all_rows), np.concatenate(all_cols)


def keyword_rows(
    texts: list[str], labels: list[str], keywords: dict[str, list[tuple[str, float]]], weight: float
) -> np.ndarray:
    """Keyword features per input (:class:`~auditnlp.classify.model.KeywordFeatures`): per label
    ``log(1 + weighted count)`` in the text, the same in the headings, the no-keyword flag; times `weight`.

    Only the keywords present in a text are counted (those whose first character the text holds, then a
    membership test): a keyword that is absent adds nothing to the sum, so the sums are the same floats,
    added in the same order."""
    n = len(labels)
    flat = [(j, w, v) for j, label in enumerate(labels) for w, v in keywords[label]]
    by_first: dict[str, list[int]] = {}
    for k, (_, w, _) in enumerate(flat):
        if w:
            by_first.setdefault(w[0], []).append(k)
    firsts = set(by_first)
    sums = np.zeros((len(texts), 2 * n))
    for i, value in enumerate(texts):
        context, sep, text = str(value).rpartition(CONTEXT_SEP)
        if not sep:
            context, text = "", str(value)
        for offset, part in ((0, text), (n, context)):
            if not part:
                continue
            found: dict[int, float] = {}
            candidates = [k for c in firsts.intersection(part) for k in by_first[c]]
            candidates.sort()
            for k in candidates:
                j, w, v = flat[k]
                if w in part:
                    found[j] = found.get(j, 0) + part.count(w) * v
            for j, total in found.items():
                sums[i, offset + j] = total
    out = np.zeros((len(texts), 2 * n + 1))
    out[:, : 2 * n] = np.log1p(sums)
    out[:, 2 * n] = np.where((out[:, :n] != 0).any(axis=1), 0.0, 1.0)
    return out * weight


# --- export (training time) ------------------------------------------------------------------------------


def _hashed_tfidf_arrays(step: Any) -> dict[str, np.ndarray] | None:
    """Arrays of a ``Pipeline([("hash", CharNgramHasher), ("tfidf", TfidfTransformer)])``, or None."""
    steps: dict[str, Any] = dict(getattr(step, "steps", ()))
    hasher: Any = steps.get("hash")
    tfidf: Any = steps.get("tfidf")
    if type(hasher).__name__ != "CharNgramHasher" or type(tfidf).__name__ != "TfidfTransformer":
        return None
    if tfidf.norm != "l2" or not tfidf.use_idf or not hasattr(tfidf, "idf_"):
        return None
    keep = np.flatnonzero(hasher.keep_).astype(np.int64)
    return {
        "hash_params": np.array(
            [hasher.ngram_range[0], hasher.ngram_range[1], hasher.n_features, int(bool(hasher.fold_digits))],
            dtype=np.int64,
        ),
        "sublinear_tf": np.array(bool(tfidf.sublinear_tf)),
        "keep": keep,
        "idf": np.asarray(tfidf.idf_, dtype=np.float64)[keep],
    }


def pipeline_arrays(pipeline: Any) -> dict[str, np.ndarray] | None:
    """The arrays of a fitted ``hash_kw_lr`` or ``hash_lr`` pipeline, or None for any other design."""
    steps: dict[str, Any] = dict(getattr(pipeline, "steps", ()))
    features: Any = steps.get("features")
    clf: Any = steps.get("clf")
    if type(clf).__name__ != "LogisticRegression" or features is None:
        return None
    parts = dict(getattr(features, "transformer_list", ()))
    if parts:  # hash_kw_lr: a FeatureUnion of the hashed TF-IDF and the keyword counts
        if list(parts) != ["chars", "keywords"] or getattr(features, "transformer_weights", None):
            return None
        arrays = _hashed_tfidf_arrays(parts["chars"])
        kw = parts["keywords"]
        if arrays is None or type(kw).__name__ != "KeywordFeatures":
            return None
        words = [(j, w, v) for j, label in enumerate(kw.labels_) for w, v in kw.keywords_[label]]
        arrays |= {
            "kw_labels": np.array(kw.labels_, dtype=str),
            "kw_label": np.array([j for j, _, _ in words], dtype=np.int64),
            "kw_word": np.array([w for _, w, _ in words], dtype=str),
            "kw_value": np.array([v for _, _, v in words], dtype=np.float64),
            "kw_weight": np.array(float(kw.weight)),
        }
        n_kw = 2 * len(kw.labels_) + 1
    else:
        arrays = _hashed_tfidf_arrays(features)
        if arrays is None:
            return None
        n_kw = 0
    n_features = int(arrays["hash_params"][2])
    coef = np.asarray(clf.coef_, dtype=np.float64)
    if coef.shape[1] != n_features + n_kw:
        return None
    arrays |= {
        "format": np.array(ARRAYS_FORMAT),
        "classes": np.array([str(c) for c in clf.classes_]),
        "coef_chars": np.ascontiguousarray(coef[:, arrays["keep"]].T),
        "coef_kw": np.ascontiguousarray(coef[:, n_features:].T),
        "intercept": np.asarray(clf.intercept_, dtype=np.float64),
    }
    return arrays


def write_arrays(arrays: dict[str, np.ndarray], path: str | Path) -> str:
    """Write `arrays` as an ``.npz`` file byte for byte the same for the same arrays (fixed entry times,
    sorted names); returns its hex SHA-256."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            data = io.BytesIO()
            np.lib.format.write_array(data, np.asarray(arrays[name]), allow_pickle=False)
            zf.writestr(info, data.getvalue())
    payload = buffer.getvalue()
    Path(path).write_bytes(payload)
    return hashlib.sha256(payload).hexdigest()


def export_arrays(pipeline: Any, path: str | Path) -> str | None:
    """Write the arrays of a fitted pipeline to `path` (an ``.npz``); returns the file's SHA-256, or None
    (nothing written) when the design has no array form."""
    arrays = pipeline_arrays(pipeline)
    return write_arrays(arrays, path) if arrays is not None else None


# --- inference -------------------------------------------------------------------------------------------


class ModelIntegrityWarning(UserWarning):
    """A model named by the user is not the file its sidecar describes."""


class SidecarFacts:
    """What a model's sidecar says about how to use it (shared by :class:`ArrayModel` and the scikit-learn
    ``CategoryModel``): the input it reads and its calibration temperature."""

    meta: dict[str, Any]

    @property
    def inputs(self) -> str:
        """What the model reads: ``heading+text`` (see :func:`unit_input`) or ``text``."""
        return str(self.meta.get("inputs", "text"))

    @property
    def temperature(self) -> float:
        """The calibration temperature of the sidecar (1.0: the pipeline's own probabilities)."""
        calibration = self.meta.get("calibration") or {}
        return float(calibration.get("temperature", 1.0))


@dataclass(frozen=True)
class ArrayModel(SidecarFacts):
    """A category model as plain arrays (see :func:`pipeline_arrays`) with its labels and sidecar."""

    arrays: dict[str, np.ndarray]
    labels: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    @functools.cached_property
    def _slot(self) -> np.ndarray:
        n_features = int(self.arrays["hash_params"][2])
        slot = np.full(n_features, -1, dtype=np.int64)
        slot[self.arrays["keep"]] = np.arange(len(self.arrays["keep"]), dtype=np.int64)
        return slot

    @functools.cached_property
    def _keywords(self) -> tuple[list[str], dict[str, list[tuple[str, float]]], float]:
        labels = [str(x) for x in self.arrays["kw_labels"]]
        words: dict[str, list[tuple[str, float]]] = {label: [] for label in labels}
        for j, w, v in zip(
            self.arrays["kw_label"], self.arrays["kw_word"], self.arrays["kw_value"], strict=True
        ):
            words[labels[int(j)]].append((str(w), float(v)))
        return labels, words, float(self.arrays["kw_weight"])

    @functools.cached_property
    def _coef_by_class(self) -> list[np.ndarray]:
        return [np.ascontiguousarray(col) for col in self.arrays["coef_chars"].T]

    @functools.cached_property
    def _order(self) -> list[int]:
        classes = [str(c) for c in self.arrays["classes"]]
        return [classes.index(label) for label in self.labels]

    def decision(self, texts: list[str]) -> np.ndarray:
        """The logistic regression's decision values (logits), one row per input, in class order."""
        a = self.arrays
        lo, hi, n_features, fold = (int(x) for x in a["hash_params"])
        rows, cols = ngram_keys(texts, (lo, hi), n_features, bool(fold))
        slots = self._slot[cols]
        kept = slots >= 0
        n_slots = len(a["keep"])
        keys = rows[kept] * n_slots + slots[kept]
        if len(texts) * n_slots < 2**31:  # 32-bit keys sort faster; they are the same numbers
            keys = keys.astype(np.int32)
        uniq, counts = np.unique(keys, return_counts=True)
        urows, uslots = np.divmod(uniq.astype(np.int64), n_slots)
        tf = counts.astype(np.float64)
        if bool(a["sublinear_tf"]):
            tf = np.log(tf) + 1.0
        values = tf * a["idf"][uslots]
        norms = np.sqrt(np.bincount(urows, weights=values * values, minlength=len(texts)))
        norms[norms == 0.0] = 1.0
        values /= norms[urows]
        logits = np.empty((len(texts), len(self._coef_by_class)))
        for c, coef in enumerate(self._coef_by_class):
            logits[:, c] = np.bincount(urows, weights=values * coef[uslots], minlength=len(texts))
        if "kw_labels" in a:
            labels, words, weight = self._keywords
            logits += keyword_rows(texts, labels, words, weight) @ a["coef_kw"]
        return logits + a["intercept"]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities, one row per input, columns in :attr:`labels` order, calibrated with the sidecar's
        temperature: the scikit-learn pipeline's ``predict_proba`` then :func:`scale_proba`."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        logits = self.decision(texts)
        if logits.shape[1] == 1:  # binary: scikit-learn's expit of the one decision value
            p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            proba = np.column_stack([1.0 - p, p])
        else:
            logits -= logits.max(axis=1, keepdims=True)
            proba = np.exp(logits)
            proba /= proba.sum(axis=1, keepdims=True)
        return scale_proba(proba[:, self._order], self.temperature)


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_arrays(path: str | Path, meta: dict[str, Any], *, pinned: bool) -> ArrayModel:
    """Load the array file of model `path` (its ``.npz``) checked against the sidecar's ``arrays_sha256``.

    A mismatch is a :class:`ModelError` for the shipped model (`pinned`) and a
    :class:`ModelIntegrityWarning` for a model the user names; a file that is not an array model is a
    :class:`ModelError`.
    """
    npz = arrays_path(path)
    where = str(npz)
    try:
        payload = npz.read_bytes()
    except OSError as exc:
        raise ModelError(where, f"cannot read the model's arrays: {exc.strerror or exc}") from None
    actual = hashlib.sha256(payload).hexdigest()
    expected = meta.get("arrays_sha256")
    if actual != expected:
        problem = (
            f"the file's SHA-256 {actual[:12]}… is not the sidecar's arrays_sha256 {str(expected)[:12]}…"
        )
        if pinned:
            raise ModelError(
                where, f"{problem}: the model was altered or swapped; reinstall auditnlp or retrain"
            )
        warnings.warn(f"{where}: {problem}", ModelIntegrityWarning, stacklevel=3)
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as exc:
        raise ModelError(where, f"not a model array file ({type(exc).__name__}: {exc})") from None
    if str(arrays.get("format")) != ARRAYS_FORMAT:
        raise ModelError(where, f"not a model array file (format {arrays.get('format')!r})")
    labels = tuple(str(x) for x in meta["labels"])
    missing = set(labels) - {str(c) for c in arrays["classes"]}
    if missing:
        raise ModelError(
            where, f"model does not predict label(s) {', '.join(sorted(missing))} of its sidecar"
        )
    return ArrayModel(arrays, labels, meta, str(path))


@functools.lru_cache(maxsize=1)
def default_model_path() -> Path:
    """Path of the model shipped in the package (``auditnlp/models/category_model.skops``), resolved."""
    from importlib import resources

    return Path(str(resources.files("auditnlp").joinpath("models", "category_model.skops"))).resolve()


@functools.lru_cache(maxsize=8)
def _arrays_path_of(model: Path) -> Path:
    """:func:`arrays_path` of a resolved model path, remembered (a path operation costs microseconds)."""
    return arrays_path(model)


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, pinned: bool) -> ArrayModel | None:
    meta = read_sidecar(path)
    if meta.get("arrays_sha256") and arrays_path(path).is_file():
        return load_arrays(path, meta, pinned=pinned)
    return None


def get_predictor(path: str | Path | None = None) -> ArrayModel | None:
    """The model's arrays (:class:`ArrayModel`, numpy only), cached per path, when its sidecar pins an array
    file beside it; None when it has none (then use :func:`auditnlp.classify.model.get_model`). ``None`` is
    the packaged model. A missing model is a :class:`ModelError`."""
    if path is None:
        skops = default_model_path()
        npz = _arrays_path_of(skops)
        try:
            mtime = npz.stat().st_mtime_ns
        except OSError:
            try:
                mtime = skops.stat().st_mtime_ns
            except OSError:
                raise ModelError(str(skops), "model file not found") from None
        return _cached(str(skops), mtime, True)
    resolved = Path(path)
    if resolved.suffix == ".npz":
        resolved = resolved.with_suffix(".skops")
    try:
        mtime = arrays_path(resolved).stat().st_mtime_ns
    except OSError:
        try:
            mtime = resolved.stat().st_mtime_ns
        except OSError:
            raise ModelError(str(resolved), "model file not found") from None
    resolved = resolved.resolve()
    return _cached(str(resolved), mtime, resolved == default_model_path())
