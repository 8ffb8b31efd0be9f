"""Build the reference vocabulary of recurring-problem similarity: ``auditnlp/lexicons/recurrence_df.tsv``.

Usage (from the repository root)::

    python scripts/build_recurrence_vocab.py            # rewrite the file
    python scripts/build_recurrence_vocab.py --check    # exit 1 when the file would change

The vocabulary is the document frequency of every character n-gram (the ``ngram_range`` of
``recurrence.yaml``) over the paragraphs of our own corpora only — ``corpora/samples``,
``corpora/labels/texts`` and the dev part of ``corpora/genres`` (the held-out part is left out, as for any
rule) — after :func:`auditnlp.corpus.recurrence.problem_text`. Nothing from ``../shared`` is read. N-grams
seen in one paragraph only are not stored: they weigh as unseen ones (the largest idf), which keeps the
file small. Pairing then weighs n-grams the same way whatever else is in a batch.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "auditnlp" / "lexicons" / "recurrence_df.tsv"
MIN_DF = 2


def sources() -> list[Path]:
    """The documents the vocabulary is counted over, in a stable order."""
    paths = sorted((ROOT / "corpora" / "samples").glob("*.txt"))
    paths += sorted((ROOT / "corpora" / "samples").glob("*.docx"))
    paths += sorted((ROOT / "corpora" / "labels" / "texts").glob("*.txt"))
    with (ROOT / "corpora" / "genres" / "manifest.csv").open(encoding="utf-8") as fh:
        paths += [ROOT / "corpora" / "genres" / r["path"] for r in csv.DictReader(fh) if r["part"] == "dev"]
    return paths


def render() -> str:
    """The text of the vocabulary file."""
    from auditnlp.corpus.recurrence import RULES_FILE, problem_text
    from auditnlp.lexicon import load_lexicons
    from auditnlp.pipeline import Options, analyze

    lo, hi = load_lexicons().yaml_mapping(RULES_FILE).get("ngram_range", [2, 3])
    df: Counter[str] = Counter()
    documents = 0
    for path in sources():
        report = analyze(path, options=Options(stages=("structure",)))
        for para in report.paragraphs:
            clean = problem_text(para.text)
            if not clean:
                continue
            documents += 1
            df.update({clean[i : i + n] for n in range(lo, hi + 1) for i in range(len(clean) - n + 1)})
    rows = sorted((g, c) for g, c in df.items() if c >= MIN_DF)
    head = [
        "# Reference vocabulary of auditnlp.corpus.recurrence: document frequency of character n-grams over",
        "# the paragraphs of corpora/samples, corpora/labels/texts and the dev part of corpora/genres.",
        "# Written by scripts/build_recurrence_vocab.py; do not edit by hand. N-grams seen once are left",
        "# out (they weigh as unseen ones).",
        f"# ngram_range: {lo}-{hi}",
        f"# documents: {documents}",
        "ngram\tdf",
    ]
    return "\n".join(head + [f"{g}\t{c}" for g, c in rows]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the vocabulary file."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only report whether the file would change")
    args = parser.parse_args(argv)
    text = render()
    old = OUT.read_text(encoding="utf-8") if OUT.exists() else None
    if args.check:
        print("up to date" if old == text else f"would change {OUT.relative_to(ROOT).as_posix()}")
        return 0 if old == text else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT).as_posix()} ({text.count(chr(10)) - 7} n-grams)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
