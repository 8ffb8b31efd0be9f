"""Training the category model: labels → cross-validation → a saved model with its sidecar.

Training resolves labelled references by running the analysis pipeline, so it sits above the pipeline;
:mod:`auditnlp.classify` (inference, a pipeline stage) never imports it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["train_model"]


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
    from auditnlp.classify.model import DEFAULT_DESIGN, DESIGNS, build_pipeline, save_model
    from auditnlp.classify.taxonomy import load_taxonomy
    from auditnlp.errors import ModelError, OptionsError
    from auditnlp.training.evaluate import cross_validate
    from auditnlp.training.labels import load_labels

    design = design or DEFAULT_DESIGN
    if design not in DESIGNS:
        raise OptionsError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
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
