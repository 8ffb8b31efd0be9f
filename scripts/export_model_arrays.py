"""Export a saved category model's weights as plain arrays beside it, for inference without scikit-learn.

``auditnlp train`` writes the arrays itself (``model.npz`` beside ``model.skops``, its SHA-256 in the sidecar
as ``arrays_sha256``). This script does the same for a model saved before that, with the same function
(:func:`auditnlp.classify.inference.export_arrays`), so the arrays come from the fitted pipeline as shipped
and the predictions do not change:

    python scripts/export_model_arrays.py                       # the packaged model
    python scripts/export_model_arrays.py path/to/model.skops   # a model of your own

It then checks that the numpy inference gives the pipeline's probabilities on the bundled corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Write the arrays and the sidecar's ``arrays_sha256``; return 1 if the check fails."""
    import numpy as np

    import auditnlp
    from auditnlp.classify import section_contexts
    from auditnlp.classify.inference import arrays_path, export_arrays, load_arrays, unit_input
    from auditnlp.classify.model import default_model_path, load_model, read_sidecar, sidecar_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "model", nargs="?", type=Path, default=None, help="a .skops model (default: packaged)"
    )
    args = parser.parse_args(argv)
    path = args.model or default_model_path()
    model = load_model(path)
    sha = export_arrays(model.pipeline, arrays_path(path))
    if sha is None:
        print(f"{path}: design {model.meta.get('design')!r} has no array form", file=sys.stderr)
        return 1
    meta = read_sidecar(path)
    meta["arrays_sha256"] = sha
    sidecar_path(path).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    arrays = load_arrays(path, read_sidecar(path), pinned=True)
    texts: list[str] = []
    for doc in sorted((ROOT / "corpora").rglob("*.txt")):
        report = auditnlp.analyze(doc, options=auditnlp.Options(stages=("structure",)))
        contexts = section_contexts(report)
        units = [*report.paragraphs, *report.items]
        texts += [
            unit_input(u.text, contexts.get(u.section, "")) if model.inputs == "heading+text" else u.text
            for u in units
        ]
    diff = float(np.abs(model.predict_proba(texts) - arrays.predict_proba(texts)).max())
    print(f"{arrays_path(path)}: sha256 {sha}; {len(texts)} units, max |p_numpy - p_sklearn| = {diff:.2e}")
    return 0 if diff <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
