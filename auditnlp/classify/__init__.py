"""Categories of paragraphs and list items: study, supervision, rectification, livelihood, other.

:func:`classify_report` adds ``category`` and ``scores`` to every paragraph and list item and character-
weighted ``category_shares`` to the report, with the model shipped in the package unless one is given.
:func:`auditnlp.training.train_model` retrains from a labels file (``corpora/labels/labels.tsv``). The
packaged model runs in numpy from its exported arrays (:mod:`auditnlp.classify.inference`); scikit-learn,
scipy and skops load only to train, or for a model without arrays.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditnlp.types import ListItem, Paragraph, Report, Section

__all__ = ["category_shares", "classify_report", "section_contexts"]

_CONTEXT_LEVELS = 2
_CONTEXT_CHARS = 20


def section_contexts(report: Report) -> dict[int, str]:
    """Section id → the headings a unit of that section is read with: the outermost two headings of its
    path (``审计发现的主要问题｜专项资金拨付不及时``), each cut to 20 characters; ``""`` outside sections."""
    by_id = {s.id: s for s in report.sections}
    out: dict[int, str] = {}
    for section in report.sections:
        path: list[str] = []
        current: Section | None = section
        while current is not None and current.level > 0:
            path.append(current.heading[:_CONTEXT_CHARS])
            current = by_id.get(current.parent) if current.parent is not None else None
        out[section.id] = "｜".join(reversed(path[-_CONTEXT_LEVELS:])) if path else ""
    return out


def classify_report(report: Report, /, *, model: str | Path | None = None) -> Report:
    """Return a copy of `report` with category and scores on paragraphs and items, and category shares.

    `model` is a model file (``.skops`` with its ``.json`` sidecar); ``None`` uses the packaged model. The
    model loads on first use and stays cached per path. A model of a ``heading+text`` design reads each
    unit with the headings of its section (:func:`section_contexts`). Scores are the model's calibrated
    probabilities per label (they sum to 1); ``category`` is the most probable label.
    """
    from auditnlp.classify.inference import get_predictor, round_4, unit_prefix

    cm: Any = get_predictor(model)
    if cm is None:  # no arrays beside the model (another design, or saved by an older auditnlp)
        from auditnlp.classify.model import get_model

        cm = get_model(model)
    units: tuple[Paragraph | ListItem, ...] = (*report.paragraphs, *report.items)
    if cm.inputs == "heading+text":
        prefixes = {sid: unit_prefix(context) for sid, context in section_contexts(report).items()}
        texts = [prefixes.get(u.section, "") + u.text for u in units]
    else:
        texts = [u.text for u in units]
    proba = cm.predict_proba(texts)
    labels = tuple(cm.labels)
    best = [labels[k] for k in proba.argmax(axis=1).tolist()]
    scores = [tuple(zip(labels, row, strict=True)) for row in round_4(proba)]
    n = len(report.paragraphs)
    paragraphs = tuple(
        p.with_category(cat, score)
        for p, cat, score in zip(report.paragraphs, best[:n], scores[:n], strict=True)
    )
    items = tuple(
        i.with_category(cat, score) for i, cat, score in zip(report.items, best[n:], scores[n:], strict=True)
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


def __getattr__(name: str) -> Any:
    if name == "train_model":  # training moved to auditnlp.training (it runs the pipeline, which uses this)
        from auditnlp._compat import moved

        return moved("auditnlp.classify", "auditnlp.training")(name)
    raise AttributeError(f"module 'auditnlp.classify' has no attribute {name!r}")
