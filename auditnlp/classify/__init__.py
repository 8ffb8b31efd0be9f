"""Categories of paragraphs and list items: study, supervision, rectification, livelihood, other.

:func:`classify_report` adds ``category`` and ``scores`` to every paragraph and list item and character-
weighted ``category_shares`` to the report, with the model shipped in the package unless one is given.
:func:`train_model` retrains from a labels file (``corpora/labels/labels.tsv``). scikit-learn, skops and
jieba load only when these functions are called.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditnlp.types import Report

__all__ = ["category_shares", "classify_report", "train_model"]


def classify_report(report: Report, /, *, model: str | Path | None = None) -> Report:
    """Return a copy of `report` with category and scores on paragraphs and items, and category shares.

    `model` is a model file (``.skops`` with its ``.json`` sidecar); ``None`` uses the packaged model. The
    model loads on first use and stays cached per path. Scores are the model's probabilities per label
    (they sum to 1); ``category`` is the most probable label.
    """
    from auditnlp.classify.model import get_model

    cm = get_model(model)
    texts = [p.text for p in report.paragraphs] + [i.text for i in report.items]
    proba = cm.predict_proba(texts)
    labels = cm.labels
    rows = [
        (
            labels[int(row.argmax())],
            tuple((label, round(float(v), 4)) for label, v in zip(labels, row, strict=True)),
        )
        for row in proba
    ]
    n = len(report.paragraphs)
    paragraphs = tuple(
        replace(p, category=cat, scores=scores)
        for p, (cat, scores) in zip(report.paragraphs, rows[:n], strict=True)
    )
    items = tuple(
        replace(i, category=cat, scores=scores)
        for i, (cat, scores) in zip(report.items, rows[n:], strict=True)
    )
    return replace(
        report, paragraphs=paragraphs, items=items, category_shares=category_shares(paragraphs, labels)
    )


def category_shares(paragraphs: Any, labels: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """Share of characters per category over `paragraphs` (by primary category), in `labels` order."""
    chars: Counter[str] = Counter()
    for p in paragraphs:
        if p.category is not None:
            chars[p.category] += len(p.text)
    total = sum(chars.values())
    return tuple((label, round(chars[label] / total, 4) if total else 0.0) for label in labels)


def train_model(
    labels_path: str | Path,
    output_path: str | Path,
    *,
    design: str | None = None,
    taxonomy: str | Path | None = None,
    n_splits: int = 5,
) -> dict[str, Any]:
    """Train a category model from a labels file, cross-validate it, save it; return the sidecar dict.

    `design` is one of :data:`auditnlp.classify.model.DESIGNS` (default ``hash_lr``); `taxonomy` a
    categories YAML file (default the packaged ``categories.yaml``) whose labels the labels file must use.
    References that cannot be resolved (e.g. ``../shared`` absent) are skipped and counted in the sidecar.
    Raises :class:`~auditnlp.errors.ModelError` when fewer than two labels have data.
    """
    from auditnlp.classify.evaluate import cross_validate
    from auditnlp.classify.labels import load_labels
    from auditnlp.classify.model import DEFAULT_DESIGN, DESIGNS, build_pipeline, save_model
    from auditnlp.classify.taxonomy import load_taxonomy
    from auditnlp.errors import ModelError

    design = design or DEFAULT_DESIGN
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
    tax = load_taxonomy(taxonomy)
    data = load_labels(labels_path, labels=tax.labels)
    counts = Counter(data.labels())
    if len(counts) < 2:
        raise ModelError(str(labels_path), f"need units of at least two labels, found {dict(counts)}")
    labels = tuple(label for label in tax.labels if label in counts)
    cv = cross_validate(
        data, design, labels=labels, n_splits=n_splits, keywords=tax.keywords(), default=tax.default
    )
    pipeline = build_pipeline(design, keywords=tax.keywords(), default=tax.default).fit(
        data.texts(), data.labels()
    )
    meta = {
        "labels": list(labels),
        "design": design,
        "training": {
            "labels_file": Path(labels_path).name,
            "data_sha256": data.digest(),
            "units": len(data.units),
            "documents": len(set(data.groups())),
            "counts": {label: counts[label] for label in labels},
            "skipped": len(data.skipped),
        },
        "taxonomy": {"source": tax.source, "labels": list(tax.labels)},
        "cv": cv.to_dict(),
    }
    sidecar = save_model(pipeline, output_path, meta)
    sidecar["skipped_messages"] = list(data.skipped)
    return sidecar
