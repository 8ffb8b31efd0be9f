"""The ``matrix`` sheet of the workbook: canonical indicators down, (unit, covered period) across.

Formatting only; what a cell holds comes from the comparison's ``matrix`` and ``values`` tables. Every
row carries its Chinese label; money rows are shown in 亿元, 万元 or 元 — the largest unit in which every
value of the row needs at most four decimals, so nothing is rounded away (the exact value in 元 is in the
cell's comment and in the ``values`` sheet). A qualified value shows its qualifier in the number format
(``≥5``, ``≤5.5``, ``约2``) and stays a number. Every filled cell has a comment with the sentence it comes
from, the figure as written, its period and role and, when other candidates contradict it, their values
(the cell is then shaded); an empty cell whose report states the name only as a target, a threshold, a
total or for another period says so in its comment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.headlines import QUALIFIER_MARKS, ROLE_LABELS
from auditnlp.corpus.schema import MASK
from auditnlp.segment.periods import period_from_code

if TYPE_CHECKING:
    import pandas as pd
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from auditnlp.corpus.compare import Comparison

__all__ = ["MONEY_UNITS", "display_unit", "write_matrix"]

MONEY_UNITS = (("亿元", Decimal(10) ** 8), ("万元", Decimal(10) ** 4), ("元", Decimal(1)))
"""Units money rows may be shown in, largest first."""
MAX_DECIMALS = 4
FILLS = {"disagree": "#FCE4D6", "computed": "#DDEBF7"}
"""Shading of a cell by the flag of its value: contradicting candidates, a total summed from its parts."""
COMMENT_OPTIONS = {"x_scale": 3, "y_scale": 2.2, "font_size": 9}
LEGEND = (
    "指标对比 matrix: 每格为该报告所覆盖期间的结果值（有符号，下降为负）；≥ / ≤ / 约 为下限、上限、约数；",
    "金额按行以亿元、万元或元显示（精确值见批注与“指标取值”表）；XX 为原文脱敏；",
    "橙色：其他候选值与之不一致（见批注）；蓝色：由分项相加得到的合计；空格的批注说明原文只有目标、突破值或其他期间的数。",
)
"""Lines the legend sheet adds about the matrix."""


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -int(exponent)) if isinstance(exponent, int) else 0


def display_unit(base_unit: str, values: list[Any]) -> tuple[str, Decimal]:
    """The unit a matrix row is shown in and its factor: for money, the largest of 亿元/万元/元 in which
    every value needs at most four decimals; any other unit as it is."""
    if base_unit != "元":
        return base_unit, Decimal(1)
    numbers = [Decimal(v) for v in values if v is not None and v != MASK]
    for unit, factor in MONEY_UNITS:
        if (
            numbers
            and all(_decimals(n / factor) <= MAX_DECIMALS for n in numbers)
            and max(map(abs, numbers)) >= factor
        ):
            return unit, factor
    return "元", Decimal(1)


class _Formats:
    """Cell formats made on demand: (number format, first column of a unit, fill)."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.cache: dict[tuple[str, bool, str], Any] = {}

    def get(self, num_format: str, first: bool, fill: str = "", **extra: Any) -> Any:
        key = (num_format + repr(sorted(extra.items())), first, fill)
        if key not in self.cache:
            spec: dict[str, Any] = {"font_size": 10, "valign": "top", "border": 1, "border_color": "#D9D9D9"}
            if num_format:
                spec["num_format"] = num_format
            if first:
                spec.update({"left": 2, "left_color": "#808080"})
            if fill:
                spec["bg_color"] = fill
            spec.update(extra)
            self.cache[key] = self.book.add_format(spec)
        return self.cache[key]


def _number_format(value: Decimal, qualifier: str | None) -> str:
    body = "#,##0" if value == value.to_integral_value() else "#,##0.0" + "#" * (MAX_DECIMALS - 1)
    mark = QUALIFIER_MARKS.get(qualifier or "", "")
    return f'"{mark}"{body}' if mark else body


def _exact(value: Any, base_unit: str) -> str:
    if value is None:
        return ""
    number = Decimal(value)
    text = f"{number:,f}".rstrip("0").rstrip(".") if "." in f"{number:f}" else f"{number:,f}"
    return f"{text}{base_unit}"


def _period(code: Any) -> str:
    """A period code (2024H1) as its Chinese label (2024年上半年)."""
    period = period_from_code(code) if isinstance(code, str) and code else None
    return period.label if period is not None else str(code or "?")


def _comment(row: Any, base_unit: str) -> str:
    lines = [f"原文：{row.sentence}" if isinstance(row.sentence, str) and row.sentence else "原文：—"]
    if isinstance(row.text, str) and row.text:
        mark = QUALIFIER_MARKS.get(row.qualifier if isinstance(row.qualifier, str) else "", "")
        role = ROLE_LABELS.get(row.role, row.role)
        lines.append(f"数值：{mark}{row.text}（{_period(row.figure_period)}，{role}）")
    if not row.masked:
        lines.append(f"精确值：{_exact(row.value, base_unit)}")
    if isinstance(row.note, str) and row.note:
        lines.append(f"说明：{row.note}")
    if row.flag == "disagree":
        lines.append("注意：其他候选值与此不一致，请核对。")
    return "\n".join(lines)


def _empty_comment(rows: list[Any]) -> str:
    shown = [
        f"{ROLE_LABELS.get(r.role, r.role)} {r.text}（{_period(r.figure_period)}）"
        for r in rows
        if isinstance(r.text, str)
    ][:4]
    return "未取值：原文没有本期结果，只有 " + "；".join(shown) if shown else ""


def write_matrix(
    book: Workbook,
    styles: dict[str, Any],
    matrix: pd.DataFrame,
    comparison: Comparison,
    print_setup: Callable[..., None],
    name: str = "matrix",
) -> Worksheet:
    """Write the matrix sheet (see the module docstring); `print_setup` lays the sheet out for printing."""
    sheet = book.add_worksheet(name)
    formats = _Formats(book)
    fixed = [("name", "规范指标名"), ("label", "指标"), ("base_unit", "显示单位")]
    for col, (key, label) in enumerate(fixed):
        sheet.write_string(0, col, label, styles["head"])
        sheet.write_string(1, col, key, styles["key"])
    columns = list(matrix.columns) if len(matrix.columns) else []
    offset = len(fixed)
    firsts = {i for i, (unit, _) in enumerate(columns) if i == 0 or columns[i - 1][0] != unit}
    year_head = formats.get("", False, "#F2F2F2", italic=True, font_color="#555555", align="right")
    year_head_first = formats.get("", True, "#F2F2F2", italic=True, font_color="#555555", align="right")
    start = offset
    for i, (unit, period) in enumerate(columns):
        sheet.write_string(1, offset + i, str(period), year_head_first if i in firsts else year_head)
        if i + 1 == len(columns) or columns[i + 1][0] != unit:
            if offset + i > start:
                # the merged cell's text written as a string, never a formula or a link
                sheet.merge_range(0, start, 0, offset + i, "", styles["unit_head"])
                sheet.write_string(0, start, str(unit), styles["unit_head"])
            else:
                sheet.write_string(0, start, str(unit), styles["unit_head"])
            start = offset + i + 1
    shown, others = _cells(comparison)
    report_of = _report_columns(comparison)
    labels = comparison.indicator_labels
    widths = [14, 16, 8]
    for r, ((name, base_unit), values) in enumerate(
        zip(matrix.index, matrix.itertuples(index=False, name=None), strict=True), 2
    ):
        unit, factor = display_unit(str(base_unit), list(values))
        for c, text in enumerate((str(name), labels.get(name, ""), unit)):
            sheet.write_string(r, c, text, styles["text"])
            widths[c] = max(widths[c], sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) + 1)
        for i, value in enumerate(values):
            report = report_of.get(columns[i])
            cell = shown.get((name, base_unit, report))
            first = i in firsts
            col = offset + i
            if value is None:
                sheet.write_blank(r, col, None, formats.get("", first))
                candidates = others.get((name, base_unit, report), [])
                note = _empty_comment(candidates)
                if note:
                    sheet.write_comment(r, col, note, COMMENT_OPTIONS)
                continue
            fill = FILLS.get(str(cell.flag), "") if cell is not None else ""
            if value == MASK:
                sheet.write_string(
                    r, col, MASK, formats.get("", first, fill, align="right", font_color="#9C0006")
                )
            else:
                shown_value = Decimal(value) / factor
                qualifier = cell.qualifier if cell is not None and isinstance(cell.qualifier, str) else None
                fmt = formats.get(_number_format(shown_value, qualifier), first, fill)
                sheet.write_number(r, col, float(shown_value), fmt)
            if cell is not None:
                sheet.write_comment(r, col, _comment(cell, str(base_unit)), COMMENT_OPTIONS)
    lay_out_matrix(sheet, widths, len(columns), len(matrix), print_setup)
    return sheet


def lay_out_matrix(
    sheet: Worksheet, widths: list[int], columns: int, rows: int, print_setup: Callable[..., None]
) -> None:
    """Column widths, frozen headers, print layout and filter of a matrix sheet whose first
    ``len(widths)`` columns name the row and whose `columns` (unit, period) columns follow."""
    fixed = len(widths)
    widths = [min(w, 30) for w in widths]
    for c, width in enumerate(widths):
        sheet.set_column(c, c, width)
    if columns:
        sheet.set_column(fixed, fixed + columns - 1, 14)
    sheet.freeze_panes(2, fixed)
    print_setup(sheet, width=sum(widths) + 14 * columns, key_columns=fixed)
    sheet.autofilter(1, 0, max(1, rows + 1), fixed + columns - 1)


def _report_columns(comparison: Comparison) -> dict[tuple[str, str], Any]:
    """Matrix column (unit, period label) → report id (the reports table names each report's column)."""
    reports = comparison.reports
    if reports.empty or "column" not in reports.columns:
        return {}
    out = {}
    for rec in reports.itertuples(index=False):
        unit = rec.unit if isinstance(rec.unit, str) and rec.unit else "?"
        out[(unit, str(rec.column))] = rec.report_id
    return out


def _cells(comparison: Comparison) -> tuple[dict[tuple[Any, ...], Any], dict[tuple[Any, ...], list[Any]]]:
    """The shown value row of each (name, base unit, report), and the candidates of names with none shown."""
    values = comparison.values
    shown: dict[tuple[Any, ...], Any] = {}
    candidates: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    if values.empty:
        return shown, {}
    for rec in values.itertuples(index=False):
        key = (rec.name, rec.base_unit, rec.report_id)
        if rec.shown:
            shown[key] = rec
        else:
            candidates[key].append(rec)
    return shown, {k: v for k, v in candidates.items() if k not in shown}
