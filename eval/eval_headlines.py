"""Check the comparison matrix's headline cells against the hand-read gold set of government reports.

Usage (from the repository root, with ../shared beside it):

    python eval/eval_headlines.py [--shared ../shared] [--out eval/headlines_baseline.md]

Runs :func:`auditnlp.compare_inputs` on the 18 provincial government work reports named in
``eval/gold/headlines.tsv`` and compares every matrix cell of the 19 headline names with the gold
``result`` rows (targets are not expected in the matrix). Per set (2025 .docx, 2026 .csv) it prints
precision (right cells / cells shown for these names) and recall (right cells / gold result rows), then
every wrong cell and every gold figure without a right cell, as Markdown.

A cell is right when its value, converted to the gold base unit (元, %, 人, 吨; 1斤 = 0.0005吨,
1公斤 = 0.001吨), equals the gold base value: exactly for amounts, to two decimals for percentages. A
masked cell or a cell in a unit that does not convert is wrong. The matrix columns are (unit, year
label); each column is mapped to its document through the ``reports`` table (by file).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import auditnlp  # noqa: E402

GOLD = ROOT / "eval" / "gold" / "headlines.tsv"
NAMES = (
    "gdp",
    "gdp_growth",
    "general_budget_revenue",
    "general_budget_revenue_growth",
    "fixed_asset_investment_growth",
    "retail_sales_growth",
    "retail_sales",
    "disposable_income",
    "disposable_income_growth",
    "urban_disposable_income",
    "urban_disposable_income_growth",
    "rural_disposable_income",
    "rural_disposable_income_growth",
    "urban_new_jobs",
    "surveyed_unemployment",
    "cpi",
    "grain_output",
    "foreign_trade",
    "foreign_trade_growth",
)
TO_GOLD_BASE = {
    "元": ("元", Decimal(1)),
    "%": ("%", Decimal(1)),
    "人": ("人", Decimal(1)),
    "吨": ("吨", Decimal(1)),
    "斤": ("吨", Decimal("0.0005")),
    "公斤": ("吨", Decimal("0.001")),
    "千克": ("吨", Decimal("0.001")),
}
"""Matrix base unit → (gold base unit, factor)."""
READABLE = {
    "元": (("亿元", Decimal(10) ** 8), ("万元", Decimal(10) ** 4)),
    "人": (("万人", Decimal(10) ** 4),),
    "吨": (("万吨", Decimal(10) ** 4),),
}
"""Units to show a cell in when there is no gold figure to match, largest first (used when ≥ 1)."""
CENT = Decimal("0.01")


@dataclass(frozen=True)
class GoldRow:
    """One gold result: the figure a report states for its covered year."""

    doc: str
    period: int
    name: str
    value: Decimal
    unit: str
    base_value: Decimal
    base_unit: str
    qualifier: str


@dataclass(frozen=True)
class Cell:
    """One non-empty headline cell of the matrix, mapped to its document."""

    doc: str
    name: str
    base_unit: str
    raw: Any


def read_gold(path: Path = GOLD) -> list[GoldRow]:
    """The gold result rows (targets are left out: they must never reach the matrix)."""
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return [
            GoldRow(
                r["doc"],
                int(r["period"]),
                r["name"],
                Decimal(r["value"]),
                r["unit"],
                Decimal(r["base_value"]),
                r["base_unit"],
                r["qualifier"],
            )
            for r in rows
            if r["role"] == "result"
        ]


def gold_docs(path: Path = GOLD) -> list[str]:
    """Every document of the gold file (also those with targets only), in file order."""
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return list(dict.fromkeys(r["doc"] for r in rows))


def _rel(file: str, shared: Path) -> str:
    path = Path(file).resolve()
    try:
        return path.relative_to(shared.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN / pd.NA-like
    except TypeError:
        return True


def _column_docs(comparison: Any, shared: Path) -> dict[tuple[str, str], str]:
    """Matrix column (unit, year label) → document path relative to `shared`."""
    reports = comparison.reports
    keys: dict[int, tuple[str, str]] = {}
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for rec in reports.itertuples(index=False):
        unit = rec.unit if isinstance(rec.unit, str) and rec.unit else "?"
        year = "?" if _missing(rec.year) else str(int(rec.year))
        keys[rec.report_id] = (unit, year)
        seen[(unit, year)] += 1
    out: dict[tuple[str, str], str] = {}
    for rec in reports.itertuples(index=False):
        unit, year = keys[rec.report_id]
        label = (unit, year)
        if seen[label] > 1:  # the matrix adds the file name to a year shared by two reports of a unit
            name = str(rec.file).replace("\\", "/").rsplit("/", 1)[-1]
            row = getattr(rec, "row", None)
            label = (unit, f"{year} {name}" + (f"#{int(row)}" if not _missing(row) else ""))
        out[label] = _rel(str(rec.file), shared)
    return out


def matrix_cells(comparison: Any, shared: Path) -> tuple[list[Cell], list[str]]:
    """Every non-empty matrix cell of a headline name; also the columns that map to no document."""
    matrix = comparison.matrix
    columns = _column_docs(comparison, shared)
    cells: list[Cell] = []
    unmapped: list[str] = []
    if matrix.empty:
        return cells, unmapped
    for column in matrix.columns:
        key = (str(column[0]), str(column[1]))
        if key not in columns:
            unmapped.append(" ".join(key))
    for (name, base_unit), row in matrix.iterrows():
        if name not in NAMES:
            continue
        for column, raw in row.items():
            if _missing(raw):
                continue
            doc = columns.get((str(column[0]), str(column[1])))
            if doc is not None:
                cells.append(Cell(doc, str(name), str(base_unit), raw))
    return cells, unmapped


def to_gold_base(cell: Cell) -> tuple[Decimal, str] | None:
    """The cell's value in the gold base unit, or None (masked, not a number, unit does not convert)."""
    if cell.base_unit not in TO_GOLD_BASE:
        return None
    unit, factor = TO_GOLD_BASE[cell.base_unit]
    try:
        value = Decimal(str(cell.raw))
    except (InvalidOperation, ValueError):
        return None
    return value * factor, unit


def is_right(cell: Cell, gold: GoldRow | None) -> bool:
    """Whether a shown cell equals the gold figure (exact; percentages to two decimals)."""
    if gold is None:
        return False
    converted = to_gold_base(cell)
    if converted is None or converted[1] != gold.base_unit:
        return False
    value, unit = converted
    if unit == "%":
        return value.quantize(CENT) == gold.base_value.quantize(CENT)
    return value == gold.base_value


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def show_cell(cell: Cell, gold: GoldRow | None) -> str:
    """A cell as an analyst would read it: in the gold unit when there is one, else a readable unit."""
    converted = to_gold_base(cell)
    if converted is None:
        return f"{cell.raw} ({cell.base_unit})"
    value, unit = converted
    suffix = "" if cell.base_unit == unit else f" (row in {cell.base_unit})"
    if gold is not None and unit == gold.base_unit and gold.unit != unit:
        factor = gold.base_value / gold.value if gold.value else Decimal(1)
        return f"{_plain(value / factor)}{gold.unit}{suffix}"
    if gold is None:
        for readable, factor in READABLE.get(unit, ()):
            if abs(value) >= factor:
                return f"{_plain(value / factor)}{readable}{suffix}"
    return f"{_plain(value)}{unit}{suffix}"


def show_gold(gold: GoldRow | None) -> str:
    """A gold figure with its qualifier."""
    if gold is None:
        return "— (no covered-year result in the text)"
    mark = {"approx": "≈", "at_least": "≥", "at_most": "≤"}.get(gold.qualifier, "")
    return f"{mark}{_plain(gold.value)}{gold.unit}"


def _set_of(doc: str) -> str:
    return Path(doc).name[:4]


def evaluate(shared: Path, *, jobs: int | None = None) -> tuple[str, dict[str, tuple[float, float]]]:
    """Run the comparison and return the Markdown report and (precision, recall) per set."""
    gold = read_gold()
    docs = gold_docs()
    by_key = {(g.doc, g.name): g for g in gold}
    paths = [shared / d for d in docs]
    comparison = auditnlp.compare_inputs(
        paths, options=auditnlp.Options(text_column="full_text"), jobs=jobs, progress=False
    )
    cells, unmapped = matrix_cells(comparison, shared)
    right: set[tuple[str, str]] = set()
    wrong: list[tuple[Cell, GoldRow | None]] = []
    shown: dict[str, int] = defaultdict(int)
    for cell in cells:
        if cell.doc not in docs:
            continue
        shown[_set_of(cell.doc)] += 1
        g = by_key.get((cell.doc, cell.name))
        if is_right(cell, g):
            right.add((cell.doc, cell.name))
        else:
            wrong.append((cell, g))
    shown_by_key: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for cell in cells:
        shown_by_key[(cell.doc, cell.name)].append(cell)
    lines = _header(comparison, unmapped)
    scores: dict[str, tuple[float, float]] = {}
    lines += [
        "| set | documents | gold results | cells shown | right | precision | recall |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sorted({_set_of(d) for d in docs}):
        n_gold = sum(1 for g in gold if _set_of(g.doc) == name)
        n_right = sum(1 for doc, _ in right if _set_of(doc) == name)
        n_shown = shown[name]
        precision = n_right / n_shown if n_shown else 0.0
        recall = n_right / n_gold if n_gold else 0.0
        scores[name] = (precision, recall)
        n_docs = sum(1 for d in docs if _set_of(d) == name)
        lines.append(
            f"| {name} | {n_docs} | {n_gold} | {n_shown} | {n_right} | {precision:.3f} | {recall:.3f} |"
        )
    all_gold, all_shown = len(gold), sum(shown.values())
    lines.append(
        f"| all | {len(docs)} | {all_gold} | {all_shown} | {len(right)} | "
        f"{len(right) / all_shown if all_shown else 0.0:.3f} | {len(right) / all_gold if all_gold else 0.0:.3f} |"
    )
    lines += ["", "## Wrong cells (shown, not equal to the gold result)", ""]
    lines += _table(
        ("doc", "name", "row unit", "shown", "gold"),
        (
            (Path(c.doc).name, c.name, c.base_unit, show_cell(c, g), show_gold(g))
            for c, g in sorted(wrong, key=lambda x: (x[0].doc, NAMES.index(x[0].name), x[0].base_unit))
        ),
    )
    missing = [g for g in gold if (g.doc, g.name) not in right]
    lines += ["", "## Missing (gold result without a right cell)", ""]
    lines += _table(
        ("doc", "name", "shown", "gold"),
        (
            (
                Path(g.doc).name,
                g.name,
                ", ".join(show_cell(c, g) for c in shown_by_key.get((g.doc, g.name), [])) or "—",
                show_gold(g),
            )
            for g in sorted(missing, key=lambda g: (g.doc, NAMES.index(g.name)))
        ),
    )
    return "\n".join(lines) + "\n", scores


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _header(comparison: Any, unmapped: list[str]) -> list[str]:
    code = _git("log", "-1", "--format=%h", "--", "auditnlp")
    head = _git("rev-parse", "--short", "HEAD")
    lines = [
        "# Headline cells of the comparison matrix against eval/gold/headlines.tsv",
        "",
        f"Code: `auditnlp/` as of commit `{code}` (the last commit that changed it; checkout `{head}`); "
        "made with `python eval/eval_headlines.py --out eval/headlines_baseline.md`.",
        "Precision = right cells / cells shown for the 19 headline names; "
        "recall = right cells / gold result rows.",
        "",
    ]
    if len(comparison.errors):
        lines += [f"Inputs that failed: {len(comparison.errors)}", ""]
    if unmapped:
        lines += ["Matrix columns that map to no document: " + ", ".join(unmapped), ""]
    return lines


def _table(head: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    body = ["| " + " | ".join(r) + " |" for r in rows]
    return out + (body or ["| " + " | ".join("—" for _ in head) + " |"])


def main() -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    ap.add_argument("--out", type=Path, help="also write the Markdown report to this file")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes for compare_inputs")
    args = ap.parse_args()
    if not (args.shared / "corpora" / "gov-reports").is_dir():
        print(f"no gov-report corpus under {args.shared}", file=sys.stderr)
        return 2
    report, _ = evaluate(args.shared, jobs=args.jobs)
    print(report, end="")
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
