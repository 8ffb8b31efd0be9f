"""Training the category model: labels → cross-validation → a saved model with its sidecar.

Training resolves labelled references by running the analysis pipeline, so it sits above the pipeline;
:mod:`auditnlp.classify` (inference, a pipeline stage) never imports it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
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
    exclude: Iterable[str] = (),
    genres: str | Path | None = None,
) -> dict[str, Any]:
    """Train a category model from a labels file, cross-validate and calibrate it, save it; return the
    sidecar dict.

    `design` is one of :data:`auditnlp.classify.model.DESIGNS` (default ``hash_kw_lr``); `taxonomy` a
    categories YAML file (default the packaged ``categories.yaml``) whose labels the labels file must use;
    `exclude` documents (as written in the labels file) to leave out, e.g. a held-out part; `genres` a
    genres file (:func:`~auditnlp.training.labels.load_genres`) for a leave-one-genre-out measure in the
    sidecar. The probabilities are calibrated by a temperature fitted to the grouped cross-validation's
    out-of-fold probabilities (sidecar ``calibration``, with the expected calibration error per label before
    and after). References that cannot be resolved (e.g. ``../shared`` absent) are skipped and counted in
    the sidecar. Raises :class:`~auditnlp.errors.ModelError` when fewer than two labels have data.
    """
    from auditnlp.classify.model import (
        DEFAULT_DESIGN,
        DESIGNS,
        INPUTS,
        build_pipeline,
        save_model,
        scale_proba,
    )
    from auditnlp.classify.taxonomy import load_taxonomy
    from auditnlp.errors import ModelError, OptionsError
    from auditnlp.training.evaluate import (
        calibration_error,
        cross_validate,
        fit_temperature,
        leave_one_genre_out,
    )
    from auditnlp.training.labels import load_genres, load_labels

    design = design or DEFAULT_DESIGN
    if design not in DESIGNS:
        raise OptionsError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
    tax = load_taxonomy(taxonomy)
    excluded = sorted(set(exclude))
    data = load_labels(labels_path, labels=tax.labels).without(excluded)
    counts = Counter(data.labels())
    if len(counts) < 2:
        raise ModelError(str(labels_path), f"need units of at least two labels, found {dict(counts)}")
    labels = tuple(label for label in tax.labels if label in counts)
    keywords = tax.keywords()
    cv = cross_validate(
        data, design, labels=labels, n_splits=n_splits, keywords=keywords, default=tax.default
    )
    temperature = fit_temperature(cv.proba, cv.truth) if design != "keywords" else 1.0

    calibration = {
        "method": "temperature",
        "temperature": round(temperature, 4),
        "fitted_on": "out-of-fold probabilities of the grouped cross-validation",
        "ece_before": {k: round(v, 4) for k, v in calibration_error(cv.proba, cv.truth, labels).items()},
        "ece_after": {
            k: round(v, 4)
            for k, v in calibration_error(scale_proba(cv.proba, temperature), cv.truth, labels).items()
        },
    }
    inputs = INPUTS.get(design, "text")
    pipeline = build_pipeline(design, keywords=keywords, default=tax.default).fit(
        data.inputs(inputs), data.labels()
    )
    meta: dict[str, Any] = {
        "labels": list(labels),
        "design": design,
        "inputs": inputs,
        "training": {
            "labels_file": Path(labels_path).name,
            "data_sha256": data.digest(),
            "units": len(data.units),
            "documents": len(set(data.groups())),
            "counts": {label: counts[label] for label in labels},
            "skipped": len(data.skipped),
            "excluded_documents": excluded,
        },
        "taxonomy": {"source": tax.source, "labels": list(tax.labels)},
        "cv": cv.to_dict(),
        "calibration": calibration,
    }
    if genres is not None:
        logo = leave_one_genre_out(
            data, design, load_genres(genres), labels=labels, keywords=keywords, default=tax.default
        )
        meta["leave_one_genre_out"] = logo.to_dict()
    sidecar = save_model(pipeline, output_path, meta)
    sidecar["skipped_messages"] = list(data.skipped)
    return sidecar
