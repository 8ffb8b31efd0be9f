"""Agreement between the two readers of the genres corpus (corpora/genres, issue 14).

Usage (from the repository root):

    python eval/genres_agreement.py            # markdown tables: κ per genre and overall, confusion, span F1
    python eval/genres_agreement.py --list     # also every unit and span the readers disagree on

The shared subset is the first document of each genre (file names in alphabetical order, genres from
``corpora/genres/manifest.csv``). The first reader's labels are ``corpora/genres/labels/<doc>.yaml`` (spans)
and the ``corpora/genres`` rows of ``corpora/labels/labels.tsv`` (categories, as offsets); the second
reader's are ``corpora/genres/labels_second/<doc>.yaml``, decided without seeing the first reader's.

* **categories** — the units are every paragraph and list item of :func:`auditnlp.analyze` (structure stage).
  A unit the first reader left out, or the second reader marked ``skip``, has no dominant theme. Cohen's κ
  is given on the units both readers labelled (``skip`` excluded) and with ``skip`` as a sixth category
  (every unit); the confusion matrix has the first reader in rows, the second in columns;
* **slogans / problems / measures** — span sets located in the source file (the first reader's ``at`` picks
  an occurrence; the second reader lists spans in document order, so a repeated text is its next
  occurrence). Two spans match when they overlap by at least half of the shorter; P is the share of the
  second reader's spans that match one of the first reader's, R the converse, F1 their harmonic mean
  (symmetric: exchanging the readers exchanges P and R).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import auditnlp  # noqa: E402
from auditnlp.training.labels import read_refs, text_sha1  # noqa: E402

GENRES = ROOT / "corpora" / "genres"
FIRST = GENRES / "labels"
SECOND = GENRES / "labels_second"
LABELS_TSV = ROOT / "corpora" / "labels" / "labels.tsv"
GENRE_ORDER = (
    "audit_work_report",
    "rectification_report",
    "period_summary",
    "party_building",
    "news_page",
    "case_study",
)
CATEGORIES = ("study", "supervision", "rectification", "livelihood", "other")
SKIP = "skip"
KINDS = ("slogans", "problems", "measures")
Span = tuple[int, int]


def shared_subset(manifest: Path = GENRES / "manifest.csv") -> list[tuple[str, str]]:
    """(genre, file name) of the first document of each genre, file names in alphabetical order."""
    with manifest.open(encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["path"])
    first: dict[str, str] = {}
    for row in rows:
        first.setdefault(row["genre"], row["path"])
    order = [g for g in GENRE_ORDER if g in first] + sorted(set(first) - set(GENRE_ORDER))
    return [(g, first[g]) for g in order]


def locate_in_order(source: str, texts: Sequence[str]) -> list[Span | None]:
    """Spans of `texts` listed in document order: each at its first occurrence from the previous start on
    that is not a span already taken (so a repeated text is its next occurrence)."""
    spans: list[Span | None] = []
    taken: set[Span] = set()
    pos = 0
    for text in texts:
        at = source.find(text, pos)
        while at >= 0 and (at, at + len(text)) in taken:
            at = source.find(text, at + 1)
        if at < 0:
            spans.append(None)
            continue
        span = (at, at + len(text))
        taken.add(span)
        spans.append(span)
        pos = at
    return spans


def locate_nth(source: str, text: str, at: int = 0) -> Span | None:
    """The span of the `at`-th occurrence of `text` in `source` (``None`` when there are fewer)."""
    pos = -1
    for _ in range(at + 1):
        pos = source.find(text, pos + 1)
        if pos < 0:
            return None
    return (pos, pos + len(text))


def spans_match(a: Span, b: Span) -> bool:
    """Whether two spans overlap by at least half of the shorter one."""
    shared = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return shared > 0 and 2 * shared >= min(a[1] - a[0], b[1] - b[0])


@dataclass
class SpanScore:
    """Matched counts of each reader's spans."""

    first: int = 0
    first_matched: int = 0
    second: int = 0
    second_matched: int = 0

    def add(self, other: SpanScore) -> None:
        self.first += other.first
        self.first_matched += other.first_matched
        self.second += other.second
        self.second_matched += other.second_matched

    def cells(self) -> list[str]:
        """P, R and F1 as table cells (``–`` when there is nothing to measure)."""
        p = self.second_matched / self.second if self.second else None
        r = self.first_matched / self.first if self.first else None
        if p is None and r is None:
            return ["–", "–", "– (none either side)"]
        f1 = 2 * p * r / (p + r) if p and r else 0.0
        return [
            _ratio(self.second_matched, self.second),
            _ratio(self.first_matched, self.first),
            f"{f1:.2f}",
        ]


def score_spans(first: Sequence[Span], second: Sequence[Span]) -> tuple[SpanScore, list[Span], list[Span]]:
    """Counts, the first reader's spans no second span matches, and the second reader's spans likewise."""
    only_first = [a for a in first if not any(spans_match(a, b) for b in second)]
    only_second = [b for b in second if not any(spans_match(a, b) for a in first)]
    score = SpanScore(len(first), len(first) - len(only_first), len(second), len(second) - len(only_second))
    return score, only_first, only_second


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's κ of (first, second) label pairs; ``None`` when chance agreement is 1 (one label only)."""
    n = len(pairs)
    if not n:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in first) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


@dataclass
class Unit:
    """One paragraph or list item with both readers' labels (``skip`` = no dominant theme)."""

    kind: str
    start: int
    end: int
    text: str
    first: str = SKIP
    second: str = SKIP


@dataclass
class Doc:
    """One document of the shared subset: units, and each reader's spans per kind."""

    name: str
    genre: str
    units: list[Unit]
    first: dict[str, list[Span]] = field(default_factory=dict)
    second: dict[str, list[Span]] = field(default_factory=dict)
    source: str = ""
    lost: list[str] = field(default_factory=list)


def load_doc(genre: str, name: str, refs: Sequence[Any]) -> Doc:
    """Analyse `name` (structure stage) and attach both readers' labels."""
    path = GENRES / name
    report = auditnlp.analyze(path, options=auditnlp.Options(stages=("structure",)))
    units = [Unit("paragraph", u.start, u.end, u.text) for u in report.paragraphs]
    units += [Unit("item", u.start, u.end, u.text) for u in report.items]
    units.sort(key=lambda u: (u.start, u.kind == "item"))
    by_key = {(u.kind, u.start, u.end): u for u in units}
    doc = Doc(name, genre, units, source=path.read_text(encoding="utf-8"))

    for ref in refs:
        if ref.doc != f"corpora/genres/{name}":
            continue
        unit = by_key.get((ref.unit, ref.start, ref.end))
        if unit is None or text_sha1(unit.text) != ref.sha1:
            doc.lost.append(f"first reader: labels.tsv line {ref.line} no longer matches a unit")
            continue
        unit.first = ref.label

    second_path = SECOND / f"{Path(name).stem}.yaml"
    second = yaml.safe_load(second_path.read_text(encoding="utf-8"))
    for entry in second.get("categories") or ():
        unit = by_key.get((entry["unit"], entry["start"], entry["end"]))
        if unit is None:
            doc.lost.append(f"second reader: no {entry['unit']} at {entry['start']}:{entry['end']}")
            continue
        unit.second = entry["label"]

    first = yaml.safe_load((FIRST / f"{Path(name).stem}.yaml").read_text(encoding="utf-8"))
    for kind in KINDS:
        doc.first[kind] = []
        for entry in first.get(kind) or ():
            span = locate_nth(doc.source, entry["text"], entry.get("at", 0))
            if span is None:
                doc.lost.append(f"first reader {kind}: not found: {entry['text']}")
            else:
                doc.first[kind].append(span)
        texts = [str(t) for t in second.get(kind) or ()]
        doc.second[kind] = []
        for text, span in zip(texts, locate_in_order(doc.source, texts), strict=True):
            if span is None:
                doc.lost.append(f"second reader {kind}: not found in order: {text}")
            else:
                doc.second[kind].append(span)
    return doc


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.2f} ({num}/{den})" if den else "–"


def _kappa_cell(pairs: Sequence[tuple[str, str]]) -> str:
    kappa = cohen_kappa(pairs)
    return "–" if kappa is None else f"{kappa:.2f}"


def _show(text: str, width: int = 30) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[:width] + "…"


def report(docs: Sequence[Doc], listing: bool = False) -> str:
    """The markdown report."""
    out: list[str] = []
    add = out.append
    add("# Genres corpus: agreement between the two readers (issue 14)\n")
    add(
        "Measured with `python eval/genres_agreement.py` on the shared subset (the first document of each "
        "genre). First reader: `corpora/genres/labels/` and the `corpora/genres` rows of "
        "`corpora/labels/labels.tsv`; second reader: `corpora/genres/labels_second/`, labelled without "
        "seeing the first reader's labels, following `corpora/labels/README.md`.\n"
    )
    add("| genre | document | paragraphs | items |")
    add("|---|---|---:|---:|")
    for d in docs:
        counts = Counter(u.kind for u in d.units)
        add(f"| {d.genre} | `{d.name}` | {counts['paragraph']} | {counts['item']} |")
    add("")

    add("## Categories\n")
    add(
        "κ = Cohen's kappa. *Both labelled*: units neither reader left without a dominant theme (`skip` "
        "excluded); *with skip*: every unit, `skip` as a sixth category. Agreement = share of identical "
        "labels.\n"
    )
    add("| genre | units | both labelled | agreement | κ | agreement with skip | κ with skip |")
    add("|---|---:|---:|---:|---:|---:|---:|")
    groups = [(d.genre, [d]) for d in docs] + [("**overall**", list(docs))]
    for genre, members in groups:
        every = [(u.first, u.second) for d in members for u in d.units]
        both = [(a, b) for a, b in every if SKIP not in (a, b)]
        add(
            f"| {genre} | {len(every)} | {len(both)} | {_ratio(sum(a == b for a, b in both), len(both))} "
            f"| {_kappa_cell(both)} | {_ratio(sum(a == b for a, b in every), len(every))} "
            f"| {_kappa_cell(every)} |"
        )
    add("")
    labels = (*CATEGORIES, SKIP)
    every = [(u.first, u.second) for d in docs for u in d.units]
    cells = Counter(every)
    add("Confusion matrix, all units (rows: first reader, columns: second reader):\n")
    add("| first \\ second | " + " | ".join(labels) + " | total |")
    add("|---|" + "---:|" * (len(labels) + 1))
    for a in labels:
        row = [cells[(a, b)] for b in labels]
        add(f"| {a} | " + " | ".join(str(c) if c else "·" for c in row) + f" | {sum(row)} |")
    totals = [sum(cells[(a, b)] for a in labels) for b in labels]
    add("| total | " + " | ".join(str(t) for t in totals) + f" | {sum(totals)} |")
    add("")

    add("## Slogans, problems and measures\n")
    add(
        "Two spans match when they overlap by at least half of the shorter. P = second reader's spans "
        "matched, R = first reader's spans matched; F1 is symmetric in the two readers.\n"
    )
    head = "| genre |" + "".join(f" {k} P | {k} R | {k} F1 |" for k in KINDS)
    add(head)
    add("|---|" + "---:|" * (3 * len(KINDS)))
    notes: list[str] = []
    totals_by_kind: dict[str, SpanScore] = defaultdict(SpanScore)
    for d in docs:
        row = [d.genre]
        for kind in KINDS:
            score, only_first, only_second = score_spans(d.first[kind], d.second[kind])
            totals_by_kind[kind].add(score)
            row += score.cells()
            notes += [f"{d.name} {kind}: first only: {_show(d.source[a:b])}" for a, b in only_first]
            notes += [f"{d.name} {kind}: second only: {_show(d.source[a:b])}" for a, b in only_second]
        add("| " + " | ".join(row) + " |")
    add("| **overall** | " + " | ".join(c for k in KINDS for c in totals_by_kind[k].cells()) + " |")
    add("")

    lost = [f"{d.name}: {m}" for d in docs for m in d.lost]
    if lost:
        add("**Labels that could not be located** (not counted):\n")
        add("```")
        out.extend(lost)
        add("```\n")
    if listing:
        add("## Disagreements\n")
        add("```")
        for d in docs:
            for u in d.units:
                if u.first != u.second:
                    add(
                        f"{d.name} {u.kind} {u.start}:{u.end} first={u.first} second={u.second}  {_show(u.text)}"
                    )
        out.extend(notes)
        add("```\n")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the agreement report; return 1 when a label could not be located."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--list", action="store_true", help="also list every disagreement")
    args = parser.parse_args(argv)
    refs, _ = read_refs(LABELS_TSV)
    docs = [load_doc(genre, name, refs) for genre, name in shared_subset()]
    print(report(docs, listing=args.list))
    return 1 if any(d.lost for d in docs) else 0


if __name__ == "__main__":
    sys.exit(main())
