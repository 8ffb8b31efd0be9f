"""Write the category labels of ``corpora/genres`` into ``corpora/labels/labels.tsv``.

The hand decisions live in ``corpora/genres/labels/<doc>.yaml`` under ``categories``: one entry per labelled
paragraph or list item, naming the unit by its text (the whole text, or a prefix that only this unit of
its kind starts with) and its label. This script analyses each document (structure stage), finds the unit
each entry names, and writes the references (offsets and SHA-1, no text) with the
:mod:`auditnlp.training.labels` helpers, replacing the earlier ``corpora/genres/`` rows and keeping every
other row as it is.

Run it by hand after a change to segmentation moves offsets (``tests/test_genres_corpus.py`` notices):

    python scripts/genres_labels.py            # rewrite the corpora/genres rows of labels.tsv
    python scripts/genres_labels.py --check    # exit 1 when labels.tsv would change
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

import auditnlp
from auditnlp.training.labels import LabelRef, read_refs, ref_for, write_labels

ROOT = Path(__file__).resolve().parent.parent
GENRES = ROOT / "corpora" / "genres"
LABELS_TSV = ROOT / "corpora" / "labels" / "labels.tsv"
PREFIX = "corpora/genres/"
NOTE = (
    "corpora/genres rows are written by scripts/genres_labels.py from corpora/genres/labels/*.yaml; the",
    "held-out documents listed in corpora/genres/README.md must not be trained or tuned on.",
)


def label_files() -> list[Path]:
    """The label files of the genres corpus, in a stable order."""
    return sorted((GENRES / "labels").glob("*.yaml"))


def find_unit(units: Sequence[Any], text: str) -> Any:
    """The unit whose text is `text`, else the only unit whose text starts with it; ``None`` when neither."""
    exact = [u for u in units if u.text == text]
    if len(exact) == 1:
        return exact[0]
    starts = [u for u in units if u.text.startswith(text)]
    return starts[0] if len(starts) == 1 else None


def genre_refs() -> tuple[list[LabelRef], list[str]]:
    """References for every category entry of the genres label files, and one message per entry not found."""
    options = auditnlp.Options(stages=("structure",))
    refs: list[LabelRef] = []
    problems: list[str] = []
    for path in label_files():
        gold = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc = GENRES / gold["doc"]
        report = auditnlp.analyze(doc, options=options)
        rel = doc.relative_to(ROOT).as_posix()
        for entry in gold.get("categories") or ():
            pool = report.paragraphs if entry["unit"] == "paragraph" else report.items
            unit = find_unit(pool, entry["text"])
            if unit is None:
                problems.append(f"{path.name}: no single {entry['unit']} starts with {entry['text']!r}")
                continue
            refs.append(ref_for(rel, entry["unit"], unit.start, unit.end, unit.text, entry["label"]))
    return refs, problems


def header_comment() -> str:
    """The comment lines heading labels.tsv (directives excluded), with the genres note once."""
    lines = []
    for line in LABELS_TSV.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        key = body.partition(":")[0].strip()
        if key in ("root", "text_column"):
            continue
        lines.append(body)
    lines = [line for line in lines if line not in NOTE]
    lines.extend(NOTE)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite (or with ``--check`` compare) the corpora/genres rows of labels.tsv."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when labels.tsv would change")
    args = parser.parse_args(argv)
    refs, problems = genre_refs()
    for message in problems:
        print(message, file=sys.stderr)
    if problems:
        return 1
    existing, directives = read_refs(LABELS_TSV)
    kept = [r for r in existing if not r.doc.startswith(PREFIX)]
    before = LABELS_TSV.read_text(encoding="utf-8")
    target = LABELS_TSV if not args.check else LABELS_TSV.with_suffix(".check.tmp")
    write_labels(
        target,
        [*kept, *refs],
        root=directives.get("root", "."),
        text_column=directives.get("text_column"),
        comment=header_comment(),
    )
    if args.check:
        after = target.read_text(encoding="utf-8")
        target.unlink()
        if after != before:
            print(f"{LABELS_TSV.relative_to(ROOT)} would change; run python scripts/genres_labels.py")
            return 1
        print("labels.tsv is up to date")
        return 0
    print(f"{len(refs)} corpora/genres rows written ({len(kept)} other rows kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
