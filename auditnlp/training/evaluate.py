"""Cross-validation of category designs grouped by document, and a Markdown report of the results."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from auditnlp.classify.model import DESIGNS, build_pipeline
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
) -> CVResult:
    """GroupKFold cross-validation of `design` with documents as groups; metrics over pooled predictions."""
    texts = np.array(data.texts(), dtype=object)
    y = np.array(data.labels())
    groups = np.array(data.groups())
    n_splits = min(n_splits, len(set(groups)))
    pred = np.empty_like(y)
    folds: list[float] = []
    started = time.perf_counter()
    template = build_pipeline(design, keywords=keywords, default=default)
    for train, test in GroupKFold(n_splits=n_splits).split(texts, y, groups):
        model = clone(template).fit(list(texts[train]), y[train])
        pred[test] = model.predict(list(texts[test]))
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
    )


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
