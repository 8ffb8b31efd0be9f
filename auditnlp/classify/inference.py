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
_MULT_POWERS = tuple(np.uint64(pow(int(_MULT), n, 1 << 64)) for n in range(8))
_SHIFT_31, _SHIFT_29 = np.uint64(31), np.uint64(29)
_ZERO, _FULL_ZERO, _TEN = np.uint32(48), np.uint32(0xFF10), np.uint32(10)


def unit_input(text: str, context: str) -> str:
    """The input of a unit to a ``heading+text`` design: ``〔headings〕``, :data:`CONTEXT_SEP`, the text; the
    text alone outside sections (a news page without headings is not read as front matter)."""
    return unit_prefix(context) + text


def unit_prefix(context: str) -> str:
    """What precedes a unit's text in :func:`unit_input` with headings `context` (``""`` without)."""
    return f"〔{context}〕{CONTEXT_SEP}" if context else ""


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


def _codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of the concatenation of `texts` (``uint32``) and the length of each text."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32), lengths


def _hash_grid(
    codes: np.ndarray, ends: np.ndarray, ngram_range: tuple[int, int], n_features: int, fold_digits: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The hashed column (``int64``) of the n-gram of each length n in `ngram_range` starting at each
    position of `codes` (the texts ending at `ends`, one after the other), as a positions × lengths grid,
    and the cells of that grid (flat indices) whose n-gram crosses into the next text or past the end.

    The hash of an n-gram is ``h = n; h = h * _MULT + c`` for each code point ``c`` modulo 2**64, then
    mixed; it is built from the (n-1)-gram's at the same position: ``h_n = h_(n-1) * _MULT + c + _MULT**n``
    (the same number modulo 2**64), so each length costs one multiplication and two additions. (Integer
    arithmetic on arrays wraps around silently: no overflow warning to silence.)"""
    lo, hi = ngram_range
    size, width = len(codes), hi - lo + 1
    codes64 = codes.astype(np.uint64)
    if fold_digits:  # ASCII and full-width digits count as one digit (unsigned: below 48 wraps around)
        digit = codes - _ZERO < _TEN
        digit |= codes - _FULL_ZERO < _TEN
        codes64[digit] = _ZERO
    grid = np.empty((size, width), dtype=np.uint64)
    m = max(size - lo + 1, 0)
    first = grid[:m, 0]
    if lo == 1:  # h = 1 * _MULT + c
        np.add(codes64, _MULT, out=first)
    else:
        first[:] = lo
        for k in range(lo):
            first *= _MULT
            first += codes64[k : k + m]
    for n in range(lo + 1, hi + 1):
        m = max(size - n + 1, 0)
        column = grid[:m, n - lo]
        np.multiply(grid[:m, n - lo - 1], _MULT, out=column)
        column += codes64[n - 1 : n - 1 + m]
        column += _MULT_POWERS[n] if n < len(_MULT_POWERS) else np.uint64(pow(int(_MULT), n, 1 << 64))
    mixed = grid >> _SHIFT_31
    grid ^= mixed
    grid *= _MIX
    np.right_shift(grid, _SHIFT_29, out=mixed)
    grid ^= mixed
    if n_features & (n_features - 1) == 0:  # a power of two: % is a mask (no 64-bit division)
        grid &= np.uint64(n_features - 1)
    else:
        grid %= np.uint64(n_features)
    # an n-gram starting at p crosses the end e of a text (or of them all) when e - n < p < e
    cross = ((ends * width)[:, None] + _cross_offsets(lo, hi)).ravel()
    return grid.view(np.int64), cross[cross >= 0]


@functools.lru_cache(maxsize=8)
def _cross_offsets(lo: int, hi: int) -> np.ndarray:
    """Per n-gram that crosses the end e of a text, its cell in the grid of :func:`_hash_grid` less
    ``e * width``: the n-gram of length n at e - k (0 < k < n)."""
    width = hi - lo + 1
    return np.array(
        [-k * width + n - lo for n in range(max(lo, 2), hi + 1) for k in range(1, n)], dtype=np.int64
    )


def ngram_keys(
    texts: list[str], ngram_range: tuple[int, int], n_features: int, fold_digits: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Row and hashed column of every character n-gram of `texts` (n in `ngram_range`), computed in one
    numpy pass over their concatenation; n-grams never cross from one text into the next."""
    if ngram_range[1] < ngram_range[0]:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes, lengths = _codes(texts)
    grid, cross = _hash_grid(codes, np.cumsum(lengths), ngram_range, n_features, fold_digits)
    inside = np.ones(grid.shape, dtype=bool)
    inside.ravel()[cross] = False
    rows_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    all_rows = [rows_of[inside[:, j]] for j in range(grid.shape[1])]
    all_cols = [grid[inside[:, j], j] for j in range(grid.shape[1])]
    return np.concatenate(all_rows), np.concatenate(all_cols)


@dataclass(frozen=True)
class _KeywordTable:
    """The keywords of :class:`~auditnlp.classify.model.KeywordFeatures` as arrays, to find them all in one
    numpy pass over the code points of many texts."""

    n_labels: int
    words: list[str]  # the keywords in flat order: by label, then as listed
    values: np.ndarray  # per keyword, its weight
    label_of: np.ndarray  # per keyword, its label's index
    sizes: np.ndarray  # per keyword, its length
    first_of: np.ndarray  # code point → 1 + its index among the keywords' first characters (0: none)
    by_first: np.ndarray  # per index + 1: the keywords with that first character (-1 pads; row 0: none)
    chars: np.ndarray  # per keyword its code points, padded (K × longest)
    beyond: np.ndarray  # per keyword and place: past its end (the padding)
    overlapping: list[int]  # keywords two occurrences of which may overlap (谢谢 in 谢谢谢): str.count

    @classmethod
    def build(cls, labels: list[str], keywords: dict[str, list[tuple[str, float]]]) -> _KeywordTable | None:
        """The table of `keywords` (flat order: by label in `labels` order), or None when one holds
        :data:`CONTEXT_SEP` (then count in Python)."""
        flat = [(j, w, v) for j, label in enumerate(labels) for w, v in keywords[label] if w]
        words = [w for _, w, _ in flat]
        if any(CONTEXT_SEP in w for w in words):
            return None
        longest = max((len(w) for w in words), default=1)
        chars = np.zeros((len(words), longest), dtype=np.uint32)
        beyond = np.zeros((len(words), longest), dtype=bool)
        for k, w in enumerate(words):
            chars[k, : len(w)] = [ord(c) for c in w]
            beyond[k, len(w) :] = True
        groups: dict[int, list[int]] = {}
        for k, w in enumerate(words):
            groups.setdefault(ord(w[0]), []).append(k)
        firsts = sorted(groups)
        first_of = np.zeros(max(firsts, default=0) + 2, dtype=np.int16 if len(firsts) < 1 << 15 else np.int64)
        first_of[firsts] = np.arange(1, len(firsts) + 1)
        by_first = np.full((len(firsts) + 1, max(map(len, groups.values()), default=1)), -1, dtype=np.int64)
        for i, c in enumerate(firsts, start=1):
            by_first[i, : len(groups[c])] = groups[c]
        return cls(
            n_labels=len(labels),
            words=words,
            values=np.array([v for _, _, v in flat], dtype=np.float64),
            label_of=np.array([j for j, _, _ in flat], dtype=np.int64),
            sizes=np.array([len(w) for w in words], dtype=np.int64),
            first_of=first_of,
            by_first=by_first,
            chars=chars,
            beyond=beyond,
            overlapping=[k for k, w in enumerate(words) if any(w[:i] == w[-i:] for i in range(1, len(w)))],
        )

    def sums(self, texts: list[str], codes: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Per text, per part (text, then headings) and label: the weighted count of its keywords, as
        ``sum(part.count(w) * v)`` over the label's keywords in order (the same floats). `codes` are the
        code points of the texts one after the other, `ends` where each text ends."""
        n_texts, n_words = len(texts), len(self.words)
        # the positions whose character starts a keyword, with each keyword starting with that character
        first = np.take(self.first_of, codes, mode="clip")  # a code point beyond the table: the last, 0
        pos = first.nonzero()[0]
        candidates = self.by_first[first[pos]].ravel()  # positions × keywords with that first character
        pairs = (candidates >= 0).nonzero()[0]
        pos = pos[pairs // self.by_first.shape[1]]
        word = candidates[pairs]
        longest = self.chars.shape[1]
        if longest > 1:  # the second character (most candidates end here), then the rest at once
            keep = self.beyond[word, 1] | (codes.take(pos + 1, mode="clip") == self.chars[word, 1])
            pos, word = pos[keep], word[keep]
        if longest > 2:
            rest = codes.take(pos[:, None] + np.arange(2, longest), mode="clip") == self.chars[word, 2:]
            keep = (rest | self.beyond[word, 2:]).all(axis=1)
            pos, word = pos[keep], word[keep]
        row = np.searchsorted(ends, pos, side="right")
        inside = pos + self.sizes[word] <= ends[row]  # not running into the next text
        pos, word, row = pos[inside], word[inside], row[inside]
        # the part a match is in: the headings when before the text's last separator
        last_sep = ends - np.array([len(t) - t.rfind(CONTEXT_SEP) for t in texts], dtype=np.int64)
        # occurrences per text, part and keyword, in that order
        key = (row * 2 + (pos < last_sep[row])) * n_words + word
        key.sort()
        new = np.empty(len(key), dtype=bool)
        new[:1] = True
        np.not_equal(key[1:], key[:-1], out=new[1:])
        at = new.nonzero()[0]
        counts = np.empty(len(at), dtype=np.int64)
        np.subtract(at[1:], at[:-1], out=counts[:-1])
        counts[-1:] = len(key) - at[-1:]
        part_row, word = np.divmod(key[at], n_words)
        for k in self.overlapping:  # str.count counts occurrences that do not overlap
            for i in ((word == k) & (counts > 1)).nonzero()[0].tolist():
                context, _, text = texts[part_row[i] // 2].rpartition(CONTEXT_SEP)
                counts[i] = (context if part_row[i] % 2 else text).count(self.words[k])
        # the sum per text, part and label, term by term in the keywords' order (bincount adds in input order)
        sums = np.bincount(
            part_row * self.n_labels + self.label_of[word],
            weights=counts * self.values[word],
            minlength=n_texts * 2 * self.n_labels,
        )
        return sums.reshape(n_texts, 2 * self.n_labels)


def _keyword_rows_python(
    texts: list[str], labels: list[str], keywords: dict[str, list[tuple[str, float]]]
) -> np.ndarray:
    """The weighted keyword counts of :func:`keyword_rows`, one text at a time in Python."""
    n = len(labels)
    flat = [(j, w, v) for j, label in enumerate(labels) for w, v in keywords[label] if w]
    sums = np.zeros((len(texts), 2 * n))
    for i, value in enumerate(texts):
        context, sep, text = value.rpartition(CONTEXT_SEP)
        if not sep:
            context, text = "", value
        for offset, part in ((0, text), (n, context)):
            found: dict[int, float] = {}
            for j, w, v in flat:
                if w in part:
                    found[j] = found.get(j, 0) + part.count(w) * v
            for j, total in found.items():
                sums[i, offset + j] = total
    return sums


def _keyword_features(sums: np.ndarray, n: int, weight: float) -> np.ndarray:
    """``log(1 + sums)``, the no-keyword flag (no keyword in the text), times `weight`."""
    out = np.empty((len(sums), 2 * n + 1))
    np.log1p(sums, out=out[:, : 2 * n])
    out[:, 2 * n] = ~out[:, :n].any(axis=1)
    out *= weight
    return out


def keyword_rows(
    texts: list[str], labels: list[str], keywords: dict[str, list[tuple[str, float]]], weight: float
) -> np.ndarray:
    """Keyword features per input (:class:`~auditnlp.classify.model.KeywordFeatures`): per label
    ``log(1 + weighted count)`` in the text, the same in the headings, the no-keyword flag; times `weight`.

    A text's headings are what precedes its last :data:`CONTEXT_SEP`. Occurrences are counted as
    ``str.count`` counts them (not overlapping, within one part), for all texts in one numpy pass; the
    sums are the same floats as ``sum(part.count(w) * v for w, v in words)``, added in the same order."""
    texts = [str(t) for t in texts]
    table = _KeywordTable.build(labels, keywords)
    if table is None:
        sums = _keyword_rows_python(texts, labels, keywords)
    else:
        codes, lengths = _codes_lenient(texts)
        sums = table.sums(texts, codes, np.cumsum(lengths))
    return _keyword_features(sums, len(labels), weight)


def _codes_lenient(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_codes`, a lone surrogate kept as its code point (it is in no keyword)."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    joined = "".join(texts).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(joined, dtype=np.uint32), lengths


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
    def _hash_params(self) -> tuple[int, int, int, bool]:
        """The n-gram range, the number of hashed columns and whether digits are folded."""
        lo, hi, n_features, fold = (int(x) for x in self.arrays["hash_params"])
        return lo, hi, n_features, bool(fold)

    @functools.cached_property
    def _sublinear_tf(self) -> bool:
        return bool(self.arrays["sublinear_tf"])

    @functools.cached_property
    def _slot(self) -> tuple[np.ndarray, int]:
        """Hashed column → its kept column, and the value of a dropped column: 16-bit (dropped: 65535) when
        fewer than 65535 columns are kept, else 64-bit (dropped: -1)."""
        n_features, n_slots = int(self.arrays["hash_params"][2]), len(self.arrays["keep"])
        dtype, dropped = (np.uint16, 0xFFFF) if n_slots < 0xFFFF else (np.int64, -1)
        slot = np.full(n_features, dropped, dtype=dtype)
        slot[self.arrays["keep"]] = np.arange(n_slots, dtype=dtype)
        return slot, dropped

    @functools.cached_property
    def _coef_by_class(self) -> list[np.ndarray]:
        return [np.ascontiguousarray(col) for col in self.arrays["coef_chars"].T]

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
    def _keyword_table(self) -> _KeywordTable | None:
        labels, words, _ = self._keywords
        return _KeywordTable.build(labels, words)

    @functools.cached_property
    def _order(self) -> list[int]:
        classes = [str(c) for c in self.arrays["classes"]]
        return [classes.index(label) for label in self.labels]

    def decision(self, texts: list[str]) -> np.ndarray:
        """The logistic regression's decision values (logits), one row per input, in class order."""
        a = self.arrays
        lo, hi, n_features, fold = self._hash_params
        n_texts, width = len(texts), hi - lo + 1
        codes, lengths = _codes(texts)
        ends = lengths.cumsum()
        # the kept column of the n-gram of each length at each position, position by position, so that the
        # rows (texts) come in order; then one stable sort by column: the pairs (column, row) in order
        hashed, cross = _hash_grid(codes, ends, (lo, hi), n_features, fold)
        slot, dropped = self._slot
        grid = slot.take(hashed, mode="clip").ravel()
        del hashed  # 24 bytes a character, not needed past here (nor are grid, kept and order below)
        grid[cross] = dropped
        kept = (grid != dropped).nonzero()[0]
        slots = grid[kept]
        order = slots.argsort(kind="stable")  # a radix sort for 16-bit columns
        slots = slots[order]
        rows = np.arange(n_texts, dtype=np.int32).repeat(lengths * width)[kept][order]
        del grid, kept, order
        # each distinct pair (column, row) once, with its count
        first = np.empty(len(rows), dtype=bool)
        first[:1] = True
        np.not_equal(rows[1:], rows[:-1], out=first[1:])
        first[1:] |= slots[1:] != slots[:-1]
        at = first.nonzero()[0]
        urows = rows[at].astype(np.int64)
        uslots = slots[at].astype(np.int64)
        tf = np.empty(len(at))
        np.subtract(at[1:], at[:-1], out=tf[:-1])
        tf[-1:] = len(rows) - at[-1:]
        if self._sublinear_tf:
            np.log(tf, out=tf)
            tf += 1.0
        values = tf * a["idf"][uslots]
        norms = np.sqrt(np.bincount(urows, weights=values * values, minlength=n_texts))
        norms[norms == 0.0] = 1.0
        values /= norms[urows]
        # per row, the sums take their terms in column order (bincount adds in input order), as in a sparse
        # row; consecutive terms fall in other rows, so the additions do not wait for one another
        logits = np.empty((n_texts, len(self._coef_by_class)))
        for c, coef in enumerate(self._coef_by_class):
            logits[:, c] = np.bincount(urows, weights=values * coef[uslots], minlength=n_texts)
        if "kw_labels" in a:
            labels, words, weight = self._keywords
            table = self._keyword_table
            if table is None:
                sums = _keyword_rows_python([str(t) for t in texts], labels, words)
            else:
                sums = table.sums(texts, codes, ends)
            logits += _keyword_features(sums, len(labels), weight) @ a["coef_kw"]
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
