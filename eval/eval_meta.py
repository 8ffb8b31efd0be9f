"""Evaluate document metadata (issuing unit, covered year, period, plan year) against the truth tables.

Usage (from the repository root; the ../shared sets are skipped when ../shared is absent):

    python eval/eval_meta.py [--shared ../shared] [--markdown]

Two truth tables:

- ``eval/gold/meta.tsv``: unit, covered year, period and plan year of every real or bundled document
  (seeds, samples, the 18 government reports, 34 more held aside, every State Council JSONL row); see
  ``eval/gold/README.md`` for the conventions;
- ``tests/cases/meta.yaml``: short openings and tails written for the tests, with the source each field
  must come from.

Reports are analysed with no manifest and no extractors (structure only). For each set it prints how many
documents have the unit right, the covered year right, both right, and the period and plan year right,
then lists every document or case with a wrong field (expected → got).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from auditnlp.pipeline import Options, analyze_document, analyze_many  # noqa: E402
from auditnlp.types import Report  # noqa: E402

try:  # the readers moved from auditnlp.io.readers to auditnlp.readers
    from auditnlp.readers import RawDocument  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - older layout
    from auditnlp.io.readers import RawDocument  # type: ignore[no-redef,import-not-found,unused-ignore]

GOLD = ROOT / "eval" / "gold" / "meta.tsv"
CASES = ROOT / "tests" / "cases" / "meta.yaml"
OPTIONS = Options(stages=())
FIELDS = ("unit", "year", "period", "plan_year")
SET_ORDER = ("seed", "sample", "gov", "state-council", "gov-more", "cases")


class Counter(defaultdict[str, int]):
    """A defaultdict(int) with a name that reads well."""

    def __init__(self) -> None:
        super().__init__(int)


def period_code(meta: Any) -> str | None:
    """The period of a report's meta as a code (``2024``, ``2024H1``, ``2021-2025`` …), or None."""
    period = getattr(meta, "period", None)
    if period is None:
        return None
    code = getattr(period, "code", None)
    return str(code if code is not None else period)


def source_of(meta: Any, field: str) -> str | None:
    """Where a meta field came from (``title``, ``byline`` …), whatever shape ``Meta.sources`` has."""
    sources = getattr(meta, "sources", None)
    if not sources:
        return None
    if isinstance(sources, dict):
        found = sources.get(field)
    else:
        found = None
        for entry in sources:
            key = getattr(entry, "field", None) if not isinstance(entry, tuple) else entry[0]
            if key == field:
                found = getattr(entry, "source", None) if not isinstance(entry, tuple) else entry[1]
                break
    return None if found is None else str(found)


def got_fields(report: Report) -> dict[str, Any]:
    """The compared fields of a report."""
    meta = report.meta
    return {"unit": meta.unit, "year": meta.year, "period": period_code(meta), "plan_year": meta.plan_year}


def _int(value: str) -> int | None:
    return int(value) if value.strip() else None


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    """Rows of the truth table (comment lines start with #)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rows = []
    for rec in csv.DictReader(lines, delimiter="\t"):
        rows.append(
            {
                "set": rec["set"],
                "doc": rec["doc"],
                "row": _int(rec["row"]),
                "unit": rec["unit"] or None,
                "year": _int(rec["year"]),
                "period": rec["period"] or None,
                "plan_year": _int(rec["plan_year"]),
            }
        )
    return rows


def _doc_path(row: dict[str, Any], shared: Path) -> Path:
    return (ROOT if row["set"] == "sample" else shared) / row["doc"]


def analyse_gold(rows: list[dict[str, Any]], shared: Path) -> dict[tuple[str, int | None], Report | None]:
    """Analyse every document of the truth table once (a JSONL file once for all its rows)."""
    paths = sorted({str(_doc_path(r, shared)) for r in rows if _doc_path(r, shared).exists()})
    found: dict[tuple[str, int | None], Report | None] = {}
    for report in analyze_many(paths, options=OPTIONS):
        if isinstance(report, Report):
            found[(str(Path(report.source.path)), report.source.row)] = report
    return found


def compare(expected: dict[str, Any], got: dict[str, Any], fields: Iterable[str]) -> list[str]:
    """Fields that differ, as ``field: expected → got``."""
    return [f"{f}: {expected[f]!r} → {got.get(f)!r}" for f in fields if expected.get(f) != got.get(f)]


def eval_gold(shared: Path) -> tuple[dict[str, Counter], dict[str, list[str]]]:
    """Per-set counts and wrong documents of the real-corpus truth table."""
    rows = load_gold()
    reports = analyse_gold(rows, shared)
    counts: dict[str, Counter] = defaultdict(Counter)
    wrong: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        path = _doc_path(row, shared)
        if not path.exists():
            counts[row["set"]]["missing"] += 1
            continue
        report = reports.get((str(path), row["row"]))
        name = row["doc"] + (f"#{row['row']}" if row["row"] is not None else "")
        c = counts[row["set"]]
        c["documents"] += 1
        if report is None:
            wrong[row["set"]].append(f"{name}: not analysed")
            continue
        got = got_fields(report)
        diffs = compare(row, got, FIELDS)
        for field in FIELDS:
            c[field] += row[field] == got[field]
        c["unit+year"] += row["unit"] == got["unit"] and row["year"] == got["year"]
        if diffs:
            wrong[row["set"]].append(f"{name}: " + "; ".join(diffs))
    return counts, wrong


def case_document(case: dict[str, Any]) -> RawDocument:
    """A case of the case table as a decoded document (with its file name and container fields)."""
    text = case["text"]
    fields = tuple((str(k), str(v)) for k, v in (case.get("fields") or {}).items())
    path = case.get("file") or f"<case {case['id']}>"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return RawDocument(path, text, "txt", digest, None, fields=fields)


def check_case(case: dict[str, Any], report: Report) -> list[str]:
    """What a case expects and the report does not give (empty when the case passes)."""
    expect = case["expect"]
    meta = report.meta
    got = got_fields(report) | {"doc_type": meta.doc_type}
    problems = compare(expect, got, [f for f in (*FIELDS, "doc_type") if f in expect])
    for field, source in (expect.get("sources") or {}).items():
        found = source_of(meta, field)
        if found != source:
            problems.append(f"source of {field}: {source!r} → {found!r}")
    for field in expect.get("disagree") or ():
        if not any("disagree" in w and field in w for w in report.warnings):
            problems.append(f"no warning that the sources of {field} disagree")
    return problems


def eval_cases() -> tuple[Counter, list[str]]:
    """Counts and failures of the case table."""
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    counts: Counter = Counter()
    wrong: list[str] = []
    for case in cases:
        report = analyze_document(case_document(case), OPTIONS)
        problems = check_case(case, report)
        counts["documents"] += 1
        got = got_fields(report)
        for field in FIELDS:
            if field in case["expect"]:
                counts[field + " cases"] += 1
                counts[field] += case["expect"][field] == got[field]
        counts["passed"] += not problems
        if problems:
            wrong.append(f"{case['id']}: " + "; ".join(problems))
    return counts, wrong


def main(argv: list[str] | None = None) -> int:
    """Print the evaluation (plain text, or Markdown with --markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the ../shared folder")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    shared = Path(args.shared)
    counts, wrong = eval_gold(shared)
    case_counts, case_wrong = eval_cases()
    md = args.markdown
    if md:
        print("| set | documents | unit | year | unit+year | period | plan_year |")
        print("|---|---:|---:|---:|---:|---:|---:|")
    for name in SET_ORDER:
        if name == "cases":
            c = case_counts
            line = (
                f"cases: {c['passed']}/{c['documents']} pass; unit {c['unit']}/{c['unit cases']}, "
                f"year {c['year']}/{c['year cases']}, period {c['period']}/{c['period cases']}, "
                f"plan_year {c['plan_year']}/{c['plan_year cases']}"
            )
            print(f"| cases (all fields and sources) | {c['documents']} | {c['unit']}/{c['unit cases']} | "
                  f"{c['year']}/{c['year cases']} | {c['passed']} pass | {c['period']}/{c['period cases']} | "
                  f"{c['plan_year']}/{c['plan_year cases']} |" if md else line)  # fmt: skip
            continue
        c = counts.get(name)
        if c is None:
            continue
        n = c["documents"]
        if md:
            print(
                f"| {name} | {n} | {c['unit']} | {c['year']} | {c['unit+year']} | {c['period']} | {c['plan_year']} |"
            )
        else:
            print(
                f"{name}: {n} documents; unit {c['unit']}/{n}, year {c['year']}/{n}, both {c['unit+year']}/{n}, "
                f"period {c['period']}/{n}, plan_year {c['plan_year']}/{n}"
                + (f" ({c['missing']} missing)" if c["missing"] else "")
            )
    for name in SET_ORDER:
        items = case_wrong if name == "cases" else wrong.get(name, [])
        if not items:
            continue
        print(f"\n{'### ' if md else ''}wrong in {name} ({len(items)})\n")
        for item in items:
            print(f"- {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
