"""Compare the category designs by grouped cross-validation and write ``models/classifier_report.md``.

Usage (from the repository root)::

    python bench/eval_classifier.py [--labels LABELS.tsv] [--out models/classifier_report.md]

Needs ``../shared`` for the labels that point into the seeds and the gov-reports corpus (they are skipped,
and the report says so, when it is absent). Also times classification per report with the shipped model.
"""

from __future__ import annotations

import argparse
import glob
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _timing(paths: list[str]) -> str:
    import auditnlp
    from auditnlp.classify import classify_report
    from auditnlp.classify.model import get_model
    from auditnlp.pipeline import Options

    started = time.perf_counter()
    get_model()
    load = time.perf_counter() - started
    options = Options(stages=("structure",))
    analyse = classify = 0.0
    chars = 0
    for path in paths:
        t0 = time.perf_counter()
        report = auditnlp.analyze(path, options=options)
        t1 = time.perf_counter()
        classify_report(report)
        t2 = time.perf_counter()
        analyse += t1 - t0
        classify += t2 - t1
        chars += len(report.text)
    n = len(paths)
    return (
        f"Shipped model on {n} reports ({chars // n} characters on average): structure analysis "
        f"{analyse / n * 1000:.1f} ms/report, classification {classify / n * 1000:.1f} ms/report "
        f"({classify / analyse:.0%} of the structure stage). First use loads the model in {load:.2f} s "
        "(mostly importing scikit-learn and skops), then it stays cached."
    )


def main() -> None:
    """Run the comparison and write the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", default=str(ROOT / "corpora" / "labels" / "labels.tsv"))
    parser.add_argument("--out", default=str(ROOT / "models" / "classifier_report.md"))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    os.chdir(ROOT)

    from auditnlp.classify.model import DEFAULT_DESIGN
    from auditnlp.classify.taxonomy import load_taxonomy
    from auditnlp.training.evaluate import compare_designs, markdown_report
    from auditnlp.training.labels import load_labels

    tax = load_taxonomy()
    data = load_labels(os.path.relpath(args.labels, ROOT), root=None, labels=tax.labels)
    results = compare_designs(
        data, labels=tax.labels, n_splits=args.folds, keywords=tax.keywords(), default=tax.default
    )
    paths = sorted(glob.glob(str(ROOT / "corpora" / "samples" / "*.txt")))
    paths += sorted(
        glob.glob(str(ROOT.parent / "shared" / "corpora" / "gov-reports" / "2025-docx" / "*.docx"))
    )
    paths += sorted(glob.glob(str(ROOT.parent / "shared" / "seeds" / "*.txt")))
    extra = {
        "Cost": _timing(paths),
        "Skipped references": "\n".join(f"- {m}" for m in data.skipped) or "None.",
        "Notes": (
            "- The keyword baseline's lexicon (`auditnlp/lexicons/categories.yaml`) was written by the "
            "person who labelled the data, after reading it: its score is optimistic for a lexicon.\n"
            "- Three short texts in `corpora/labels/texts/` were written for auditnlp to add "
            "rectification and study units; they are fictional like the sample corpus.\n"
            "- Scores are the probabilities of one multinomial model (they sum to 1); a paragraph "
            "mixing themes shows several non-negligible scores, and `category` is the most probable label."
        ),
    }
    text = markdown_report(data, results, chosen=DEFAULT_DESIGN, extra=extra)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
