"""Measuring category designs: cross-validation grouped by document, leave-one-genre-out, calibration.

Every measure pools out-of-fold predictions: a unit is always predicted by a model that did not see its
document (grouped CV) or its genre (leave-one-genre-out). Calibration is read from the grouped CV's
out-of-fold probabilities: a temperature is fitted to them (:func:`fit_temperature`) and the expected
calibration error per label is reported before and after (:func:`calibration_error`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from auditnlp.classify.model import DESIGNS, INPUTS, build_pipeline, scale_proba
from auditnlp.training.labels import LabelSet


@dataclass(frozen=True, slots=True)
class CVResult:
    """Out-of-fold results of one design: pooled macro-F1, per-label P/R/F1, fold scores, confusion matrix."""

    design: str
    labels: tuple[str, ...]
    macro_f1: float
    per_label: dict[str, dict[str, float]]
    fold_macro_f1: tuple[float, ...]
    confusion: tuple[tuple[int, ...], ...]
    fit_seconds: float
    proba: Any = None
    """Out-of-fold probabilities (units × labels, in :attr:`labels` order); not in :meth:`to_dict`."""
    truth: Any = None
    """The true label of each unit, as an index into :attr:`labels`."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (for the model sidecar)."""
        return {
            "design": self.design,
            "macro_f1": round(self.macro_f1, 4),
            "fold_macro_f1": [round(f, 4) for f in self.fold_macro_f1],
            "per_label": {k: {m: round(v, 4) for m, v in d.items()} for k, d in self.per_label.items()},
            "confusion": {"labels": list(self.labels), "matrix": [list(r) for r in self.confusion]},
        }


def cross_validate(
    data: LabelSet,
    design: str,
    *,
    labels: tuple[str, ...],
    n_splits: int = 5,
    keywords: Any = None,
    default: str = "other",
    inputs: Sequence[str] | None = None,
) -> CVResult:
    """GroupKFold cross-validation of `design` with documents as groups; metrics over pooled predictions.

    The inputs are those the design reads (:data:`auditnlp.classify.model.INPUTS`); the result keeps the
    out-of-fold probabilities for calibration. `inputs` replaces them (one per unit; for an ablation).
    """
    texts = np.array(inputs if inputs is not None else data.inputs(INPUTS.get(design, "text")), dtype=object)
    y = np.array(data.labels())
    groups = np.array(data.groups())
    n_splits = min(n_splits, len(set(groups)))
    pred = np.empty_like(y)
    proba = np.zeros((len(y), len(labels)))
    folds: list[float] = []
    started = time.perf_counter()
    template = build_pipeline(design, keywords=keywords, default=default)
    for train, test in GroupKFold(n_splits=n_splits).split(texts, y, groups):
        model = clone(template).fit(list(texts[train]), y[train])
        proba[test] = _proba(model, list(texts[test]), labels)
        pred[test] = np.array(labels)[proba[test].argmax(axis=1)]
        present = sorted(set(y[test]))
        folds.append(float(f1_score(y[test], pred[test], labels=present, average="macro", zero_division=0)))
    seconds = time.perf_counter() - started
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=list(labels), zero_division=0)
    per_label = {
        label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": float(s[i])}
        for i, label in enumerate(labels)
    }
    cm = confusion_matrix(y, pred, labels=list(labels))
    return CVResult(
        design=design,
        labels=labels,
        macro_f1=float(f1_score(y, pred, labels=list(labels), average="macro", zero_division=0)),
        per_label=per_label,
        fold_macro_f1=tuple(folds),
        confusion=tuple(tuple(int(v) for v in row) for row in cm),
        fit_seconds=seconds,
        proba=proba,
        truth=np.array([labels.index(v) if v in labels else -1 for v in y]),
    )


def _proba(model: Any, texts: list[str], labels: tuple[str, ...]) -> np.ndarray:
    """Probabilities of a fitted pipeline in `labels` order (0 for a label the fold did not have)."""
    raw = model.predict_proba(texts)
    classes = [str(c) for c in model.classes_]
    out = np.zeros((len(texts), len(labels)))
    for j, label in enumerate(labels):
        if label in classes:
            out[:, j] = raw[:, classes.index(label)]
    return out


@dataclass(frozen=True, slots=True)
class GenreResult:
    """Leave-one-genre-out results of one design: pooled and per-genre scores."""

    design: str
    labels: tuple[str, ...]
    macro_f1: float
    accuracy: float
    per_genre: dict[str, dict[str, float]]
    confusion: tuple[tuple[int, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (for the model sidecar)."""
        return {
            "design": self.design,
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "per_genre": {g: {k: round(v, 4) for k, v in d.items()} for g, d in self.per_genre.items()},
            "confusion": {"labels": list(self.labels), "matrix": [list(r) for r in self.confusion]},
        }


def leave_one_genre_out(
    data: LabelSet,
    design: str,
    genres: dict[str, tuple[str, str]],
    *,
    labels: tuple[str, ...],
    keywords: Any = None,
    default: str = "other",
    inputs: Sequence[str] | None = None,
) -> GenreResult:
    """Train without each genre in turn and predict it; metrics over the pooled predictions.

    `genres` maps a document (as in the labels file) to (genre, part), see
    :func:`~auditnlp.training.labels.load_genres`; units of documents it does not list are left out.
    A genre's macro-F1 averages over the labels its units have. `inputs` replaces the design's inputs.
    """
    keep = [i for i, g in enumerate(data.groups()) if g in genres]
    all_inputs = inputs if inputs is not None else data.inputs(INPUTS.get(design, "text"))
    texts = np.array(all_inputs, dtype=object)[keep]
    y = np.array(data.labels())[keep]
    genre = np.array([genres[g][0] for g in np.array(data.groups())[keep]])
    pred = np.empty_like(y)
    template = build_pipeline(design, keywords=keywords, default=default)
    per_genre: dict[str, dict[str, float]] = {}
    for name in sorted(set(genre)):
        test = genre == name
        model = clone(template).fit(list(texts[~test]), y[~test])
        pred[test] = model.predict(list(texts[test]))
        present = sorted(set(y[test]))
        per_genre[name] = {
            "macro_f1": float(
                f1_score(y[test], pred[test], labels=present, average="macro", zero_division=0)
            ),
            "accuracy": float(np.mean(y[test] == pred[test])),
            "units": float(test.sum()),
        }
    cm = confusion_matrix(y, pred, labels=list(labels))
    return GenreResult(
        design=design,
        labels=labels,
        macro_f1=float(f1_score(y, pred, labels=list(labels), average="macro", zero_division=0)),
        accuracy=float(np.mean(y == pred)),
        per_genre=per_genre,
        confusion=tuple(tuple(int(v) for v in row) for row in cm),
    )


def fit_temperature(proba: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the log loss of `proba` (out-of-fold probabilities) on `truth`."""
    from scipy.optimize import minimize_scalar

    rows = np.flatnonzero(truth >= 0)

    def loss(t: float) -> float:
        scaled = scale_proba(proba[rows], t)
        return float(-np.mean(np.log(np.clip(scaled[np.arange(len(rows)), truth[rows]], 1e-12, 1.0))))

    return float(minimize_scalar(loss, bounds=(0.05, 20.0), method="bounded").x)


def reliability(
    proba: np.ndarray, truth: np.ndarray, label: int, bins: int = 10
) -> list[tuple[float, float, int]]:
    """One-vs-rest reliability of `label`: per probability bin (mean predicted, observed rate, units)."""
    conf = proba[:, label]
    hit = (truth == label).astype(float)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append((float(conf[mask].mean()), float(hit[mask].mean()), int(mask.sum())))
    return out


def calibration_error(
    proba: np.ndarray, truth: np.ndarray, labels: tuple[str, ...], bins: int = 10
) -> dict[str, float]:
    """Expected calibration error per label (one-vs-rest, `bins` equal-width bins, weighted by units)."""
    n = max(len(truth), 1)
    return {
        label: float(
            sum(count / n * abs(conf - rate) for conf, rate, count in reliability(proba, truth, j, bins))
        )
        for j, label in enumerate(labels)
    }


def compare_designs(
    data: LabelSet,
    *,
    labels: tuple[str, ...],
    designs: tuple[str, ...] = DESIGNS,
    n_splits: int = 5,
    keywords: Any = None,
    default: str = "other",
) -> dict[str, CVResult]:
    """Cross-validate every design on the same folds."""
    return {
        d: cross_validate(data, d, labels=labels, n_splits=n_splits, keywords=keywords, default=default)
        for d in designs
    }


def markdown_report(
    data: LabelSet, results: dict[str, CVResult], *, chosen: str, extra: dict[str, str] | None = None
) -> str:
    """Render the comparison as Markdown: data, macro-F1 and per-label F1 per design, confusion matrices."""
    any_result = next(iter(results.values()))
    labels = any_result.labels
    counts = Counter(data.labels())
    units = Counter(u.ref.unit for u in data.units)
    docs = len(set(data.groups()))
    lines = [
        "# Category classifier: grouped cross-validation",
        "",
        f"Labels file `{data.source}`: {len(data.units)} units ({units['paragraph']} paragraphs, "
        f"{units['item']} list items) from {docs} documents; {len(data.skipped)} references skipped.",
        f"Folds: GroupKFold with k={len(any_result.fold_macro_f1)}, grouped by document (no document is in "
        "both training and test data). Metrics pool the out-of-fold predictions.",
        "",
        "| label | units |",
        "|---|---:|",
        *[f"| {label} | {counts.get(label, 0)} |" for label in labels],
        "",
        "## Designs",
        "",
        "| design | macro-F1 | fold macro-F1 (mean ± sd) | "
        + " | ".join(f"F1 {lab}" for lab in labels)
        + " |",
        "|---|---:|---:|" + "---:|" * len(labels),
    ]
    for name, res in results.items():
        folds = np.array(res.fold_macro_f1)
        mark = " (shipped)" if name == chosen else ""
        lines.append(
            f"| {name}{mark} | {res.macro_f1:.3f} | {folds.mean():.3f} ± {folds.std():.3f} | "
            + " | ".join(f"{res.per_label[lab]['f1']:.3f}" for lab in labels)
            + " |"
        )
    for name, res in results.items():
        lines += [
            "",
            f"## `{name}`: precision / recall / F1",
            "",
            "| label | precision | recall | F1 | support |",
            "|---|---:|---:|---:|---:|",
        ]
        for lab in labels:
            m = res.per_label[lab]
            lines.append(
                f"| {lab} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {int(m['support'])} |"
            )
        lines += [
            "",
            "Confusion matrix (rows: true label, columns: predicted):",
            "",
            "| true \\ predicted | " + " | ".join(labels) + " |",
            "|---|" + "---:|" * len(labels),
        ]
        for lab, row in zip(labels, res.confusion, strict=True):
            lines.append(f"| {lab} | " + " | ".join(str(v) for v in row) + " |")
    for title, body in (extra or {}).items():
        lines += ["", f"## {title}", "", body]
    return "\n".join(lines) + "\n"
