"""Check the comparison matrix's headline cells against the hand-read gold sets.

Usage (from the repository root, with ../shared beside it for the government reports):

    python eval/eval_headlines.py [--shared ../shared] [--set gov|samples|heldout|heldout2|all] [--out F.md]

``gov``: runs :func:`auditnlp.compare_inputs` on the 18 provincial government work reports named in
``eval/gold/headlines.tsv`` and compares every matrix cell of the 19 headline names with the gold
``result`` rows (targets are not expected in the matrix); sets are the 2025 .docx and the 2026 .csv
reports. ``samples``: the bundled sample corpus (``corpora/samples`` with its manifest) against
``eval/gold/sample_headlines.tsv``, the audit headline names (projects, 违规金额, 问题金额 and the total of
money found, 促进整改金额, 追回资金, suggestions made/adopted, clues referred, rectification and adoption
rates). ``heldout``: the reports of ``eval/heldout/reports`` (ours, fictional, labelled before any run; not
part of ``all``) against ``eval/heldout/headlines.tsv`` on every headline name, and each report's unit and
covered period against ``eval/heldout/meta.tsv``; ``heldout2`` the same for ``eval/heldout2`` (a second
set, written and labelled blind after the first had been used to fix rules). Per set it prints precision (right cells / cells shown for these names) and recall (right cells /
gold rows), then every wrong cell and every gold figure without a right cell, as Markdown.

A cell is right when its value, converted to the gold base unit (元, %, 人, 吨; 1斤 = 0.0005吨,
1公斤 = 0.001吨), equals the gold base value: exactly for amounts, to two decimals for percentages; a
masked gold figure is right only as a masked cell (``XX``). Any other masked cell, or a cell in a unit
that does not convert, is wrong. Each matrix column (unit, period label) is mapped to its document
through the ``reports`` table's ``column``.
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
# --code DIR measures another checkout's package (the "before" of a change) against the same gold
_CODE = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--code=")), None)
sys.path.insert(0, _CODE or str(ROOT))

import auditnlp  # noqa: E402

GOLD = ROOT / "eval" / "gold" / "headlines.tsv"
SAMPLE_GOLD = ROOT / "eval" / "gold" / "sample_headlines.tsv"
SAMPLES = ROOT / "corpora" / "samples"
HELDOUT = ROOT / "eval" / "heldout"
HELDOUT_SETS = tuple(sorted(p.parent.name for p in (ROOT / "eval").glob("heldout*/headlines.tsv")))
"""The held-out sets: every ``eval/heldout*`` folder with a ``headlines.tsv``."""
AUDIT_NAMES = (
    "audit_projects",
    "violation_amount",
    "problem_amount",
    "money_found",
    "rectification_amount",
    "funds_recovered",
    "suggestions_made",
    "suggestions_adopted",
    "clues_referred",
    "rectification_rate",
    "adoption_rate",
)
"""The audit headline names scored on the sample corpus."""
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
"""Matrix base unit → (gold base unit, factor); any other unit (个, 条) compares as it is."""
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
    masked: bool = False


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
                int(r["period"][:4]),
                r["name"],
                Decimal(r["value"] or 0),
                r["unit"],
                Decimal(r["base_value"] or 0),
                r["base_unit"],
                r["qualifier"],
                r.get("masked", "0") == "1",
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
    """Matrix column (unit, period label) → document path relative to `shared` (the reports table names each
    report's matrix column)."""
    out: dict[tuple[str, str], str] = {}
    reports = comparison.reports
    if "column" not in reports.columns:
        return _column_docs_before(reports, shared)
    for rec in reports.itertuples(index=False):
        unit = rec.unit if isinstance(rec.unit, str) and rec.unit else "?"
        out[(unit, str(rec.column))] = _rel(str(rec.file), shared)
    return out


def _column_docs_before(reports: Any, shared: Path) -> dict[tuple[str, str], str]:
    """The same for a package whose reports table does not name the column: the year, or the period code of
    a report that is not one year's results, with the file name added when two reports share it."""
    keys: dict[Any, tuple[str, str]] = {}
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for rec in reports.itertuples(index=False):
        unit = rec.unit if isinstance(rec.unit, str) and rec.unit else "?"
        year = "?" if _missing(rec.year) else str(int(rec.year))
        period = getattr(rec, "period", None)
        label = period if isinstance(period, str) and period and year != "?" else year
        keys[rec.report_id] = (unit, label)
        seen[(unit, label)] += 1
    out: dict[tuple[str, str], str] = {}
    for rec in reports.itertuples(index=False):
        unit, label = keys[rec.report_id]
        if seen[(unit, label)] > 1:
            name = str(rec.file).replace("\\", "/").rsplit("/", 1)[-1]
            row = getattr(rec, "row", None)
            label = f"{label} {name}" + (f"#{int(row)}" if not _missing(row) else "")
        out[(unit, label)] = _rel(str(rec.file), shared)
    return out


def matrix_cells(
    comparison: Any, shared: Path, names: tuple[str, ...] = NAMES
) -> tuple[list[Cell], list[str]]:
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
        if name not in names:
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
    unit, factor = TO_GOLD_BASE.get(cell.base_unit, (cell.base_unit, Decimal(1)))
    try:
        value = Decimal(str(cell.raw))
    except (InvalidOperation, ValueError):
        return None
    return value * factor, unit


def is_right(cell: Cell, gold: GoldRow | None) -> bool:
    """Whether a shown cell equals the gold figure (exact; percentages to two decimals; a masked gold
    figure only as a masked cell)."""
    if gold is None:
        return False
    if gold.masked or str(cell.raw) == "XX":
        return gold.masked and str(cell.raw) == "XX"
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
    if str(cell.raw) == "XX":
        return "XX"
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
    if gold.masked:
        return f"XX{gold.unit} (masked)"
    mark = {"approx": "≈", "at_least": "≥", "at_most": "≤"}.get(gold.qualifier, "")
    return f"{mark}{_plain(gold.value)}{gold.unit}"


def _set_of(doc: str) -> str:
    return Path(doc).name[:4]


@dataclass(frozen=True)
class Scored:
    """Cells and gold rows of one comparison, scored."""

    right: set[tuple[str, str]]
    wrong: list[tuple[Cell, GoldRow | None]]
    shown: dict[str, int]
    shown_by_key: dict[tuple[str, str], list[Cell]]


def score(cells: list[Cell], gold: list[GoldRow], docs: list[str], set_of: Any = _set_of) -> Scored:
    """Right and wrong cells, cells shown per set, cells by (doc, name)."""
    by_key = {(g.doc, g.name): g for g in gold}
    right: set[tuple[str, str]] = set()
    wrong: list[tuple[Cell, GoldRow | None]] = []
    shown: dict[str, int] = defaultdict(int)
    shown_by_key: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for cell in cells:
        if cell.doc not in docs:
            continue
        shown[set_of(cell.doc)] += 1
        shown_by_key[(cell.doc, cell.name)].append(cell)
        g = by_key.get((cell.doc, cell.name))
        if is_right(cell, g):
            right.add((cell.doc, cell.name))
        else:
            wrong.append((cell, g))
    return Scored(right, wrong, shown, shown_by_key)


def _report(
    title: str,
    comparison: Any,
    unmapped: list[str],
    gold: list[GoldRow],
    docs: list[str],
    scored: Scored,
    names: tuple[str, ...],
    set_of: Any = _set_of,
) -> tuple[list[str], dict[str, tuple[float, float]]]:
    lines = _header(title, comparison, unmapped, names)
    scores: dict[str, tuple[float, float]] = {}
    lines += [
        "| set | documents | gold results | cells shown | right | precision | recall |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sorted({set_of(d) for d in docs}):
        n_gold = sum(1 for g in gold if set_of(g.doc) == name)
        n_right = sum(1 for doc, _ in scored.right if set_of(doc) == name)
        n_shown = scored.shown[name]
        precision = n_right / n_shown if n_shown else 0.0
        recall = n_right / n_gold if n_gold else 0.0
        scores[name] = (precision, recall)
        n_docs = sum(1 for d in docs if set_of(d) == name)
        lines.append(
            f"| {name} | {n_docs} | {n_gold} | {n_shown} | {n_right} | {precision:.3f} | {recall:.3f} |"
        )
    if len({set_of(d) for d in docs}) > 1:
        all_gold, all_shown = len(gold), sum(scored.shown.values())
        lines.append(
            f"| all | {len(docs)} | {all_gold} | {all_shown} | {len(scored.right)} | "
            f"{len(scored.right) / all_shown if all_shown else 0.0:.3f} | "
            f"{len(scored.right) / all_gold if all_gold else 0.0:.3f} |"
        )
    lines += ["", "### Wrong cells (shown, not equal to the gold result)", ""]
    lines += _table(
        ("doc", "name", "row unit", "shown", "gold"),
        (
            (Path(c.doc).name, c.name, c.base_unit, show_cell(c, g), show_gold(g))
            for c, g in sorted(scored.wrong, key=lambda x: (x[0].doc, names.index(x[0].name), x[0].base_unit))
        ),
    )
    missing = [g for g in gold if (g.doc, g.name) not in scored.right]
    lines += ["", "### Missing (gold result without a right cell)", ""]
    lines += _table(
        ("doc", "name", "shown", "gold"),
        (
            (
                Path(g.doc).name,
                g.name,
                ", ".join(show_cell(c, g) for c in scored.shown_by_key.get((g.doc, g.name), [])) or "—",
                show_gold(g),
            )
            for g in sorted(missing, key=lambda g: (g.doc, names.index(g.name)))
        ),
    )
    return lines, scores


def evaluate(shared: Path, *, jobs: int | None = None) -> tuple[str, dict[str, tuple[float, float]]]:
    """Run the comparison on the government reports; the Markdown report and (precision, recall) per set."""
    gold = read_gold()
    docs = gold_docs()
    paths = [shared / d for d in docs]
    comparison = auditnlp.compare_inputs(
        paths, options=auditnlp.Options(text_column="full_text"), jobs=jobs, progress=False
    )
    cells, unmapped = matrix_cells(comparison, shared)
    scored = score(cells, gold, docs)
    lines, scores = _report(
        "government work reports (eval/gold/headlines.tsv)", comparison, unmapped, gold, docs, scored, NAMES
    )
    return "\n".join(lines) + "\n", scores


def evaluate_samples(*, jobs: int | None = 1) -> tuple[str, dict[str, tuple[float, float]]]:
    """Run the comparison on the sample corpus; the Markdown report and (precision, recall)."""
    gold = read_gold(SAMPLE_GOLD)
    docs = gold_docs(SAMPLE_GOLD)
    comparison = auditnlp.compare_inputs(
        [SAMPLES], manifest=SAMPLES / "manifest.csv", jobs=jobs, progress=False
    )
    cells, unmapped = matrix_cells(comparison, ROOT, AUDIT_NAMES)
    scored = score(cells, gold, docs, set_of=lambda _: "samples")
    lines, scores = _report(
        "sample corpus (eval/gold/sample_headlines.tsv)",
        comparison,
        unmapped,
        gold,
        docs,
        scored,
        AUDIT_NAMES,
        set_of=lambda _: "samples",
    )
    return "\n".join(lines) + "\n", scores


def _meta_lines(comparison: Any, folder: Path = HELDOUT) -> list[str]:
    """Each held-out report's unit and covered period against `folder`/meta.tsv."""
    with (folder / "meta.tsv").open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        expected = {r["doc"]: r for r in rows}
    got = {_rel(str(r.file), ROOT): r for r in comparison.reports.itertuples(index=False)}
    lines = [
        "",
        "### Unit and covered period",
        "",
        "| doc | unit | expected | period | expected |",
        "|---|---|---|---|---|",
    ]
    n_unit = n_period = 0
    for doc, want in expected.items():
        rec = got.get(doc)
        unit = str(rec.unit) if rec is not None and isinstance(rec.unit, str) else "—"
        period = str(rec.period) if rec is not None and isinstance(rec.period, str) else "—"
        units = {want["unit"], want["unit_alt"]} - {""}
        n_unit += unit in units
        n_period += period == want["period"]
        mark_u = "" if unit in units else " ✗"
        mark_p = "" if period == want["period"] else " ✗"
        lines.append(
            f"| {Path(doc).name} | {unit}{mark_u} | {' / '.join(sorted(units))} | {period}{mark_p} | {want['period']} |"
        )
    lines += ["", f"Unit right {n_unit}/{len(expected)}, covered period right {n_period}/{len(expected)}."]
    return lines


def evaluate_heldout(
    *, jobs: int | None = 1, folder: Path = HELDOUT
) -> tuple[str, dict[str, tuple[float, float]]]:
    """Run the comparison on the held-out reports of `folder` (``eval/heldout``, ``eval/heldout2``); the
    Markdown report and (precision, recall)."""
    gold_path = folder / "headlines.tsv"
    gold = read_gold(gold_path)
    docs = gold_docs(gold_path)
    comparison = auditnlp.compare_inputs([folder / "reports"], jobs=jobs, progress=False)
    names = NAMES + AUDIT_NAMES
    cells, unmapped = matrix_cells(comparison, ROOT, names)
    scored = score(cells, gold, docs, set_of=lambda _: folder.name)
    lines, scores = _report(
        f"held-out reports ({gold_path.relative_to(ROOT).as_posix()})",
        comparison,
        unmapped,
        gold,
        docs,
        scored,
        names,
        set_of=lambda _: folder.name,
    )
    return "\n".join(lines + _meta_lines(comparison, folder)) + "\n", scores


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _header(title: str, comparison: Any, unmapped: list[str], names: tuple[str, ...]) -> list[str]:
    lines = [
        f"## {title}",
        "",
        f"Precision = right cells / cells shown for the {len(names)} headline names; "
        "recall = right cells / gold result rows.",
        "",
    ]
    errors = comparison.errors
    if len(errors) and "error" in errors.columns:  # files skipped by rule (README, manifest) are no failure
        errors = errors[errors["error"] != "SkippedInputError"]
    if len(errors):
        lines += [f"Inputs that failed: {len(errors)}", ""]
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
    ap.add_argument(
        "--set",
        choices=("gov", "samples", *HELDOUT_SETS, "all"),
        default="all",
        help="which gold set (heldout, heldout2 …: eval/<set>, not part of all)",
    )
    ap.add_argument("--out", type=Path, help="also write the Markdown report to this file")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes for compare_inputs")
    ap.add_argument(
        "--code", help="=DIR: measure the package under DIR instead of this checkout's (give as --code=DIR)"
    )
    args = ap.parse_args()
    code = _git("log", "-1", "--format=%h", "--", "auditnlp")
    head = _git("rev-parse", "--short", "HEAD")
    origin = (
        f"the package under `{Path(args.code).name}` (--code)"
        if args.code
        else f"`auditnlp/` as of commit `{code}` (the last commit that changed it; checkout `{head}`)"
    )
    report = (
        "# Headline cells of the comparison matrix against the gold sets\n\n"
        f"Code: {origin}; made with `python eval/eval_headlines.py --out FILE`.\n\n"
    )
    if args.set in ("gov", "all"):
        if not (args.shared / "corpora" / "gov-reports").is_dir():
            print(f"no gov-report corpus under {args.shared}", file=sys.stderr)
            return 2
        report += evaluate(args.shared, jobs=args.jobs)[0] + "\n"
    if args.set in ("samples", "all"):
        report += evaluate_samples(jobs=args.jobs or 1)[0]
    if args.set in HELDOUT_SETS:
        report += evaluate_heldout(jobs=args.jobs or 1, folder=ROOT / "eval" / args.set)[0]
    print(report, end="")
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
