"""Category model: scikit-learn pipelines, the keyword baseline, safe saving and loading (skops + sidecar).

Designs (:data:`DESIGNS`), each a ``Pipeline`` with named steps ``features`` and ``clf``:

- ``hash_kw_lr``: the input is the unit's text with the headings of its section in front
  (:func:`unit_input`); hashed character 1–3-grams of it (:class:`CharNgramHasher`) → TF-IDF, joined with
  the keyword counts of ``categories.yaml`` in the text and in the headings (:class:`KeywordFeatures`) →
  logistic regression. The shipped design: the keyword counts carry over to genres the labels have little
  of, the headings tell a finding under 整改情况 from one under 审计发现的主要问题.
- ``hash_lr``: hashed character 1–3-grams of the text alone → TF-IDF → logistic regression.
- ``vocab_lr``: scikit-learn's ``TfidfVectorizer`` character 1–3-grams (a vocabulary) → logistic regression.
- ``words_lr``: hashed character n-grams ∪ jieba words (private tokenizer) → logistic regression.
- ``hash_svm_cal``: hashed character n-grams → linear SVM calibrated with ``CalibratedClassifierCV``.
- ``keywords``: the keyword-lexicon baseline of ``categories.yaml`` (no learning).

A model file is a skops dump loaded with an explicit list of trusted types (:data:`TRUSTED_TYPES`) plus a
JSON sidecar (same name, ``.json``) holding labels, library versions, the training-data hash and CV scores.
"""

from __future__ import annotations

import functools
import itertools
import json
import platform
import warnings
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from auditnlp.classify.inference import (
    CONTEXT_SEP,
    FORMAT,
    ModelIntegrityWarning,
    SidecarFacts,
    arrays_path,
    export_arrays,
    file_sha256,
    keyword_rows,
    ngram_keys,
    read_sidecar,
    scale_proba,
    sidecar_path,
    unit_input,
)
from auditnlp.errors import ModelError

__all__ = ["CONTEXT_SEP", "FORMAT", "read_sidecar", "scale_proba", "sidecar_path", "unit_input"]
DESIGNS = ("hash_kw_lr", "hash_lr", "vocab_lr", "words_lr", "hash_svm_cal", "keywords")
DEFAULT_DESIGN = "hash_kw_lr"
INPUTS: dict[str, str] = {"hash_kw_lr": "heading+text"}
"""What a design reads: ``heading+text`` (:func:`unit_input`) or, for designs not listed, ``text``."""
_LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy", "jieba", "auditnlp")

# Types a category model may contain beyond skops' defaults: exactly what the designs above build.
TRUSTED_TYPES = (
    "auditnlp.classify.model.CharNgramHasher",
    "auditnlp.classify.model.JiebaWords",
    "auditnlp.classify.model.KeywordClassifier",
    "auditnlp.classify.model.KeywordFeatures",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "sklearn.svm._classes.LinearSVC",
)


class CharNgramHasher(TransformerMixin, BaseEstimator):
    """Counts of character n-grams hashed into `n_features` columns, computed with numpy (no vocabulary).

    Equivalent in spirit to ``HashingVectorizer(analyzer="char")`` but vectorised per text, so a report's
    few hundred units transform in milliseconds, and nothing but parameters is stored. With `fold_digits`
    every digit (ASCII or full-width) counts as ``0``, so ``27个`` and ``31个`` share features. Like
    ``TfidfVectorizer``, `fit` keeps only columns found in at least `min_df` texts and at most a `max_df`
    fraction of them (``keep_``); other columns are zero.
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        n_features: int = 2**17,
        fold_digits: bool = True,
        min_df: int = 2,
        max_df: float = 0.9,
    ):
        self.ngram_range = ngram_range
        self.n_features = n_features
        self.fold_digits = fold_digits
        self.min_df = min_df
        self.max_df = max_df

    def fit(self, X: Any, y: Any = None) -> CharNgramHasher:
        """Learn which hashed columns pass the document-frequency limits."""
        counts = self._counts(X)
        df = np.bincount(counts.indices, minlength=self.n_features)
        self.keep_ = (df >= self.min_df) & (df <= self.max_df * counts.shape[0])
        self.n_features_out_ = self.n_features
        return self

    def transform(self, X: Any) -> sparse.csr_matrix:
        """A sparse matrix of n-gram counts (kept columns only), one row per text."""
        counts = self._counts(X)
        counts.data[~self.keep_[counts.indices]] = 0.0
        counts.eliminate_zeros()
        return counts

    def _counts(self, X: Any) -> sparse.csr_matrix:
        """Hash the n-grams of all texts in one numpy pass over their concatenation, then count per row."""
        texts = list(X)
        rows, cols = ngram_keys(texts, self.ngram_range, self.n_features, self.fold_digits)
        uniq, counts = np.unique(rows * self.n_features + cols, return_counts=True)
        rows, cols = np.divmod(uniq, self.n_features)
        indptr = np.searchsorted(rows, np.arange(len(texts) + 1))
        return sparse.csr_matrix(
            (counts.astype(np.float64), cols, indptr), shape=(len(texts), self.n_features)
        )


class JiebaWords:
    """A TF-IDF analyzer: jieba words (optionally word bigrams) of a text, punctuation and numbers dropped.

    Uses a private ``jieba.Tokenizer`` through :class:`auditnlp.tokenizer.JiebaSegmenter` (never the
    global one), created on first call and not pickled: only the parameters are part of the state.
    """

    def __init__(self, ngrams: int = 1, hmm: bool = False) -> None:
        self.ngrams = ngrams
        self.hmm = hmm
        self._segmenter: Any = None

    def __call__(self, text: str) -> list[str]:
        """Return the features of `text`: words, then ``w1 w2`` bigrams when ``ngrams == 2``."""
        if self._segmenter is None:
            from auditnlp.tokenizer import JiebaSegmenter

            self._segmenter = JiebaSegmenter(hmm=self.hmm)
        words = [w for w in self._segmenter.cut(text) if _is_word(w)]
        if self.ngrams >= 2:
            words += [f"{a} {b}" for a, b in itertools.pairwise(words)]
        return words

    def __repr__(self) -> str:
        return f"JiebaWords(ngrams={self.ngrams}, hmm={self.hmm})"

    def __getstate__(self) -> dict[str, Any]:
        return {"ngrams": self.ngrams, "hmm": self.hmm}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["ngrams"], state["hmm"])  # type: ignore[misc]


def _is_word(token: str) -> bool:
    return any(ch.isalpha() for ch in token) and not token.isascii()


class KeywordClassifier(ClassifierMixin, BaseEstimator):
    """Keyword-lexicon baseline: scores each label by weighted keyword counts; `default` when none match.

    `keywords` maps label → ((keyword, weight), …); ``None`` uses the packaged ``categories.yaml``.
    """

    def __init__(
        self, keywords: dict[str, tuple[tuple[str, float], ...]] | None = None, default: str = "other"
    ):
        self.keywords = keywords
        self.default = default

    def fit(self, X: Any, y: Any) -> KeywordClassifier:
        """Record the labels (the lexicon is not learned)."""
        if self.keywords is None:
            from auditnlp.classify.taxonomy import load_taxonomy

            keywords = load_taxonomy().keywords()
        else:
            keywords = self.keywords
        self.classes_ = np.array(sorted(set(y) | {self.default}))
        self.keywords_ = {label: tuple(keywords.get(label, ())) for label in self.classes_}
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Keyword scores normalised to sum to 1 per text."""
        out = np.zeros((len(X), len(self.classes_)))
        default = int(np.flatnonzero(self.classes_ == self.default)[0])
        for i, text in enumerate(X):
            for j, label in enumerate(self.classes_):
                out[i, j] = sum(text.count(word) * weight for word, weight in self.keywords_[label])
            total = out[i].sum()
            if total > 0:
                out[i] /= total
            else:
                out[i, default] = 1.0
        return out

    def predict(self, X: Any) -> np.ndarray:
        """The best-scoring label per text."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class KeywordFeatures(TransformerMixin, BaseEstimator):
    """Keyword counts per label (``categories.yaml``) in a unit's text and in its headings.

    For inputs made by :func:`unit_input`: per label, ``log(1 + weighted count)`` of its keywords in the
    text, the same in the headings, and 1 when the text holds no keyword at all; every value times
    `weight`. `keywords` maps label → ((keyword, weight), …); ``None`` uses the packaged taxonomy.
    """

    def __init__(self, keywords: dict[str, tuple[tuple[str, float], ...]] | None = None, weight: float = 0.3):
        self.keywords = keywords
        self.weight = weight

    def fit(self, X: Any, y: Any = None) -> KeywordFeatures:
        """Fix the keyword lists and the label order (nothing is learned from the data)."""
        if self.keywords is None:
            from auditnlp.classify.taxonomy import load_taxonomy

            tax = load_taxonomy()
            keywords = tax.keywords()
            order = list(tax.labels)
        else:
            keywords = self.keywords
            order = list(keywords)
        self.labels_ = [str(label) for label in order]
        self.keywords_: dict[str, list[tuple[str, float]]] = {
            str(label): [(str(w), float(v)) for w, v in keywords.get(label, ())] for label in order
        }
        return self

    def transform(self, X: Any) -> sparse.csr_matrix:
        """One row per input: text counts, heading counts, the no-keyword flag."""
        return sparse.csr_matrix(keyword_rows(list(X), self.labels_, self.keywords_, self.weight))


def _char_tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_df=0.9)


def _hashed_tfidf() -> Pipeline:
    return Pipeline([("hash", CharNgramHasher()), ("tfidf", TfidfTransformer(sublinear_tf=True))])


def _logistic(C: float = 20.0) -> LogisticRegression:
    return LogisticRegression(
        C=C, solver="saga", tol=1e-3, max_iter=3000, class_weight="balanced", random_state=0
    )


def build_pipeline(design: str = DEFAULT_DESIGN, *, keywords: Any = None, default: str = "other") -> Pipeline:
    """An unfitted pipeline of one of :data:`DESIGNS`: steps ``features``, ``clf`` (keywords: ``clf``)."""
    if design == "hash_kw_lr":
        union = FeatureUnion([("chars", _hashed_tfidf()), ("keywords", KeywordFeatures(keywords=keywords))])
        return Pipeline([("features", union), ("clf", _logistic(C=5.0))])
    if design == "hash_lr":
        return Pipeline([("features", _hashed_tfidf()), ("clf", _logistic())])
    if design == "vocab_lr":
        return Pipeline([("features", _char_tfidf()), ("clf", _logistic())])
    if design == "words_lr":
        union = FeatureUnion(
            [
                ("chars", _hashed_tfidf()),
                ("words", TfidfVectorizer(analyzer=JiebaWords(ngrams=1), sublinear_tf=True, min_df=2)),
            ]
        )
        return Pipeline([("features", union), ("clf", _logistic())])
    if design == "hash_svm_cal":
        svm = LinearSVC(C=0.5, class_weight="balanced")
        return Pipeline(
            [("features", _hashed_tfidf()), ("clf", CalibratedClassifierCV(svm, method="sigmoid", cv=3))]
        )
    if design == "keywords":
        return Pipeline([("clf", KeywordClassifier(keywords=keywords, default=default))])
    raise ValueError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")


@dataclass(frozen=True)
class CategoryModel(SidecarFacts):
    """A fitted pipeline with its labels and sidecar metadata."""

    pipeline: Any
    labels: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities, one row per input, columns in :attr:`labels` order, calibrated with the sidecar's
        temperature (``p ∝ p_model ** (1 / T)``, the softmax of the logits divided by ``T``)."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        proba = self.pipeline.predict_proba(texts)
        classes = list(self.pipeline.classes_)
        return scale_proba(proba[:, [classes.index(label) for label in self.labels]], self.temperature)


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on (and Python)."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover
            versions[name] = "unknown"
    return versions


def save_model(pipeline: Any, path: str | Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Save a fitted pipeline with skops, its arrays and its sidecar; returns the sidecar dict.

    Each file is written beside its target under a temporary name and renamed into place once all three
    are whole (the sidecar last, as it pins the hashes of the other two), so an interrupted or failed save
    leaves the previous model as it was.
    """
    import os
    import tempfile

    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temps: list[Path] = []

    def temp(target: Path) -> Path:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        temps.append(Path(name))
        return Path(name)

    try:
        model_tmp = temp(path)
        sio.dump(pipeline, model_tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
        untrusted = sorted(set(sio.get_untrusted_types(file=model_tmp)) - set(TRUSTED_TYPES))
        if untrusted:
            raise ModelError(str(path), f"model holds types outside TRUSTED_TYPES: {', '.join(untrusted)}")
        sidecar = {
            "format": FORMAT,
            "labels": [str(c) for c in meta["labels"]],
            "versions": library_versions(),
            "model_sha256": file_sha256(model_tmp),
            **meta,
        }
        arrays_tmp = temp(arrays_path(path))
        arrays_sha256 = export_arrays(pipeline, arrays_tmp)
        if arrays_sha256 is not None:
            sidecar["arrays_sha256"] = arrays_sha256
        sidecar_tmp = temp(sidecar_path(path))
        sidecar_tmp.write_text(json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        for tmp in (model_tmp, arrays_tmp, sidecar_tmp):
            os.chmod(tmp, 0o644)
        os.replace(model_tmp, path)
        if arrays_sha256 is not None:
            os.replace(arrays_tmp, arrays_path(path))
        else:
            arrays_path(path).unlink(missing_ok=True)
        os.replace(sidecar_tmp, sidecar_path(path))
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return sidecar


def check_integrity(meta: dict[str, Any], path: str | Path, *, pinned: bool, strict: bool = False) -> None:
    """Check the model file against the SHA-256 its sidecar pins (``model_sha256``).

    For the shipped model (`pinned`) a mismatch or a missing hash is a :class:`ModelError`: an altered or
    swapped file never loads silently. A model the user names explicitly gets a
    :class:`ModelIntegrityWarning` instead (a :class:`ModelError` if `strict`). ``data_sha256`` is the
    training data's hash, a record of where the model came from; it cannot be checked at load.
    """
    where = str(path)
    expected = meta.get("model_sha256")
    if expected is None:
        problem = "its sidecar pins no model_sha256 (saved by an older auditnlp), so the file is unchecked"
    else:
        actual = file_sha256(path)
        if actual == expected:
            return
        problem = f"the file's SHA-256 {actual[:12]}… is not the sidecar's model_sha256 {str(expected)[:12]}…"
    if pinned or strict:
        raise ModelError(where, f"{problem}: the model was altered or swapped; reinstall auditnlp or retrain")
    warnings.warn(f"{where}: {problem}", ModelIntegrityWarning, stacklevel=3)


def check_versions(meta: dict[str, Any], where: str, *, strict: bool = False) -> None:
    """Warn (or raise :class:`ModelError` if `strict`) when the model was made with another scikit-learn."""
    made = meta.get("versions", {}).get("scikit-learn")
    here = metadata.version("scikit-learn")
    if made != here:
        message = (
            f"model was trained with scikit-learn {made}, this environment has scikit-learn {here}; "
            f"predictions may differ or fail: retrain with `auditnlp train LABELS -o PATH`"
        )
        if strict:
            raise ModelError(where, message)
        warnings.warn(f"{where}: {message}", ModelVersionWarning, stacklevel=3)


class ModelVersionWarning(UserWarning):
    """A model was saved with a different scikit-learn version than the one installed."""


def load_model(path: str | Path, *, strict: bool = False, pinned: bool | None = None) -> CategoryModel:
    """Load a model file and its sidecar (skops with :data:`TRUSTED_TYPES` only).

    A scikit-learn version different from the sidecar's gives a :class:`ModelVersionWarning` naming both
    versions (a :class:`ModelError` if `strict`); a missing, untrusted or corrupt file a :class:`ModelError`,
    and so does a model that cannot predict (a parameter out of range). The file must match the SHA-256
    its sidecar pins (see :func:`check_integrity`); `pinned` (default: whether `path` is the shipped model)
    makes a mismatch an error rather than a warning.
    """
    import skops.io as sio

    where = str(path)
    if not Path(path).is_file():
        raise ModelError(where, "model file not found")
    meta = read_sidecar(path)
    if pinned is None:
        pinned = Path(path).resolve() == default_model_path().resolve()
    check_integrity(meta, path, pinned=pinned, strict=strict)
    check_versions(meta, where, strict=strict)
    try:
        untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
        if untrusted:
            raise ModelError(where, f"model holds untrusted types: {', '.join(untrusted)}")
        pipeline = sio.load(path, trusted=list(TRUSTED_TYPES))
    except ModelError:
        raise
    except Exception as exc:
        made = meta.get("versions", {}).get("scikit-learn")
        raise ModelError(
            where,
            f"cannot load model ({type(exc).__name__}: {exc}); made with scikit-learn {made}, "
            f"installed {metadata.version('scikit-learn')}",
        ) from None
    labels = tuple(meta["labels"])
    try:
        missing = set(labels) - {str(c) for c in pipeline.classes_}
    except Exception as exc:  # a model without classes_ is not a fitted classifier
        raise ModelError(where, f"not a fitted classifier ({type(exc).__name__}: {exc})") from None
    if missing:
        raise ModelError(
            where, f"model does not predict label(s) {', '.join(sorted(missing))} of its sidecar"
        )
    model = CategoryModel(pipeline, labels, meta, where)
    try:  # parameters of trusted types can still be out of range (n_features = -1): try it once now
        model.predict_proba(["审计整改工作持续推进。"])
    except Exception as exc:
        raise ModelError(where, f"the model cannot predict ({type(exc).__name__}: {exc})") from None
    return model


def default_model_path() -> Path:
    """Path of the model shipped in the package (``auditnlp/models/category_model.skops``)."""
    from importlib import resources

    return Path(str(resources.files("auditnlp").joinpath("models", "category_model.skops")))


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, pinned: bool) -> CategoryModel:
    return load_model(path, pinned=pinned)


def get_model(path: str | Path | None = None) -> CategoryModel:
    """Load a model lazily, cached per path (and modification time); ``None`` is the packaged model,
    whose file must match the SHA-256 its sidecar pins."""
    resolved = Path(path) if path is not None else default_model_path()
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError:
        raise ModelError(str(resolved), "model file not found") from None
    pinned = path is None or resolved.resolve() == default_model_path().resolve()
    return _cached(str(resolved.resolve()), mtime, pinned)
