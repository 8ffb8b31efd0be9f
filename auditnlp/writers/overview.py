"""The workbook's first sheet, ``总览``: the headline indicators per unit and period, their change from the
period before, and a chart per headline indicator; and the numeric matrix for pandas users.

The headline indicators are the ``headlines`` of ``display.yaml`` that the comparison has (all matrix rows,
at most :data:`FALLBACK_ROWS`, when it has none of them). Money is shown in 万元 / 亿元 / 万亿元 (the scale
is chosen per column and named in its header); the exact values stay on the matrix and detail sheets.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.frames import numeric_matrix
from auditnlp.corpus.headlines import QUALIFIER_MARKS
from auditnlp.corpus.matrix import BIG_CHANGE, RATE_UNITS
from auditnlp.corpus.schema import MASK
from auditnlp.writers.display import Display
from auditnlp.writers.matrix_sheet import _cells, _report_columns

if TYPE_CHECKING:
    import pandas as pd
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from auditnlp.corpus.compare import Comparison

FALLBACK_ROWS = 15
CHART_MAX_UNITS = 12
"""Lines beyond this many units would be unreadable: a chart shows the units with the most values."""
CHART_PX = (540, 300)
"""Width (with its gap) and height of an overview chart, in pixels."""
CHART_ROWS = 16
"""Sheet rows (20 px) a chart takes with its gap."""
MONEY_SCALES = ((1e12, "万亿"), (1e8, "亿"), (1e4, "万"))
SHEETS = {
    "overview": ("总览", "overview"),
    "matrix_values": ("指标对比（数值）", "matrix_values"),
    "matrix_mask": ("脱敏标记", "matrix_mask"),
    "chart_data": ("图表数据", "chart_data"),
}
"""Sheets this module writes: key → (Chinese name, English name)."""


def sheet_name(key: str, display: Display, tables: Mapping[str, tuple[str, str]]) -> str:
    """The name of sheet `key` in the display language (a table's Chinese name from the schema)."""
    if key in SHEETS:
        return SHEETS[key][0 if display.lang == "zh" else 1]
    return tables[key][0] if display.lang == "zh" and key in tables else key


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, str | bool):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _scale(values: list[float], base_unit: str) -> tuple[float, str]:
    """(divisor, unit shown) of a column: money in 万/亿/万亿 of its currency, others as they are."""
    if not base_unit.endswith("元"):
        return 1.0, base_unit
    sizes = sorted(abs(v) for v in values)
    typical = sizes[len(sizes) // 2] if sizes else 0.0  # the median: most cells read as ≥ 1 of the unit
    for power, prefix in MONEY_SCALES:
        if typical >= power:
            return power, f"{prefix}{base_unit}"
    return 1.0, base_unit


def headline_rows(matrix: pd.DataFrame, display: Display) -> list[tuple[str, str]]:
    """(name, base unit) rows of the matrix shown on the overview, in the order of ``display.yaml``."""
    if matrix.empty:
        return []
    keys = [tuple(k) for k in matrix.index]
    rows = [(n, b) for name in display.headlines for n, b in keys if n == name]
    if rows:
        return rows
    filled = matrix.notna().sum(axis=1)
    best = sorted(zip(keys, filled, strict=True), key=lambda kv: (-int(kv[1]), kv[0]))[:FALLBACK_ROWS]
    return [k for k, _ in best]


def _period_labels(reports: pd.DataFrame) -> dict[str, str]:
    out = {}
    if "period" in reports.columns and "period_label" in reports.columns:
        for code, label in zip(reports["period"], reports["period_label"], strict=True):
            if isinstance(code, str) and isinstance(label, str):
                out[code] = label
    return out


def _yoy(yoy: pd.DataFrame) -> dict[tuple[str, str, str, str], tuple[float, bool]]:
    """(unit, name, base unit, period) → (change, to check): the change in percent, for rates in points;
    to check when either figure is approximate or a bound (the yoy table's qualifiers)."""
    out = {}
    period_col = "period" if "period" in yoy.columns else "year"
    for rec in yoy.to_dict("records"):
        rate = rec["base_unit"] in RATE_UNITS
        pct = _number(rec.get("change") if rate else rec.get("change_pct"))
        if pct is None:
            continue
        period = rec.get(period_col)
        key = str(int(period)) if isinstance(period, int | float) else str(period)
        qualified = any(isinstance(rec.get(k), str) and rec.get(k) for k in ("qualifier", "prev_qualifier"))
        out[(rec["unit"], rec["name"], rec["base_unit"], key)] = (pct, qualified)
    return out


_BASE = {"font_size": 10, "valign": "top", "border": 1, "border_color": "#D9D9D9"}


def _formats(book: Workbook) -> dict[str, Any]:
    base = _BASE
    return {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "note": book.add_format({"font_size": 9, "font_color": "#555555"}),
        "block": book.add_format({"bold": True, "font_size": 11, "bottom": 1}),
        "head": book.add_format({**base, "bold": True, "bg_color": "#DDE6F0", "text_wrap": True}),
        "unit": book.add_format({**base, "italic": True, "font_color": "#555555", "bg_color": "#F2F2F2"}),
        "key": book.add_format({**base, "bold": True}),
        "text": book.add_format(base),
        "int": book.add_format({**base, "num_format": "#,##0"}),
        "num": book.add_format({**base, "num_format": "#,##0.0#"}),
        "mask": book.add_format({**base, "align": "right", "font_color": "#9C0006"}),
        "rise": book.add_format({**base, "num_format": "+0.0#;-0.0#;0.0", "font_color": "#007A33"}),
        "fall": book.add_format({**base, "num_format": "+0.0#;-0.0#;0.0", "font_color": "#C00000"}),
        "flat": book.add_format({**base, "num_format": "+0.0#;-0.0#;0.0"}),
        "check": book.add_format({**base, "num_format": "+0.0#;-0.0#;0.0", "bg_color": "#FFEB9C"}),
        "blank": book.add_format(base),
    }


def write_overview(
    book: Workbook,
    comparison: Comparison,
    display: Display,
    tables: Mapping[str, Any],
    *,
    all_columns: int | None = None,
) -> Callable[[], None]:
    """The ``总览`` sheet (call it first to make it the first sheet); returns the step that writes its
    charts and their data sheet, to call after the other sheets (so the data sheet comes last).

    `all_columns` is the number of (unit, period) columns of the whole matrix when `comparison` holds only
    the first of them (a view of a large archive): the note under the title then says so."""
    zh = display.lang == "zh"
    sheet = book.add_worksheet(sheet_name("overview", display, tables))
    f = _formats(book)
    matrix = comparison.matrix
    rows = headline_rows(matrix, display)
    periods = _period_labels(comparison.reports)
    columns = list(matrix.columns) if rows else []
    sheet.write_string(0, 0, "核心指标总览" if zh else "Headline indicators", f["title"])
    note = (
        "金额以万元/亿元/万亿元显示（见列标题），精确数值见“指标对比”和“指标明细”；XX 表示原文脱敏；"
        "同比：与同一单位上一期相比的变化率（%；增速、比率等为百分点差），绿色上升、红色下降、"
        "黄底请核对（超过±100%，或一方为约数/上下限）；≥/≤/约 标出上下限和约数。"
        if zh
        else "Money in 万/亿/万亿 元 (see each header); exact values on the matrix and detail sheets; XX = "
        "masked in the source. Change: percent from the unit's previous period; green rises, red falls, "
        "yellow: check (beyond ±100 %, or a figure approximate or a bound); ≥/≤/约 mark bounds and "
        "approximate figures."
    )
    shown_columns = len(matrix.columns)
    if all_columns is not None and all_columns > shown_columns:
        note += (
            f"本表只列出前 {shown_columns:,} 个单位·期间（共 {all_columns:,} 个），其余见数据集。"
            if zh
            else f" Only the first {shown_columns:,} of {all_columns:,} (unit, period) columns are shown; "
            "the rest are in the dataset."
        )
    sheet.write_string(1, 0, note, f["note"])
    if not rows:
        sheet.write_string(3, 0, "没有可对比的指标" if zh else "No indicator to compare", f["text"])
        return lambda: None
    values, mask = numeric_matrix(matrix)
    scales = {}
    for key in rows:
        found = [v for v in values.loc[key].tolist() if not math.isnan(v)]
        scales[key] = _scale(found, key[1])
    changes = _yoy(comparison.yoy)
    shown_cells, _ = _cells(comparison)
    report_of = _report_columns(comparison)
    marked: dict[tuple[str, str], Any] = {}

    def number_format(key: tuple[str, str], col: Any) -> Any:
        """The cell's format: the column's, with the shown figure's qualifier (≥5亿 is no exact 5亿)."""
        plain = f["int"] if whole[key] else f["num"]
        cell = shown_cells.get((key[0], key[1], report_of.get((str(col[0]), str(col[1])))))
        mark = (
            QUALIFIER_MARKS.get(cell.qualifier, "")
            if cell is not None and isinstance(cell.qualifier, str)
            else ""
        )
        if not mark:
            return plain
        body = "#,##0" if whole[key] else "#,##0.0#"
        if (mark, body) not in marked:
            marked[(mark, body)] = book.add_format({**_BASE, "num_format": f'"{mark}"{body}'})
        return marked[(mark, body)]

    # one number format per column: whole numbers, or up to two decimals for every cell
    whole = {
        key: all((v / scales[key][0]).is_integer() for v in values.loc[key].tolist() if not math.isnan(v))
        for key in rows
    }

    def header(row: int, change: bool = False) -> None:
        # row by row: a workbook in constant-memory mode drops a cell written above the row last written
        sheet.write_string(row, 0, "单位" if zh else "unit", f["head"])
        sheet.write_string(row, 1, "期间" if zh else "period", f["head"])
        for c, key in enumerate(rows, 2):
            sheet.write_string(row, c, display.indicator(key[0]), f["head"])
        sheet.write_string(row + 1, 0, "", f["unit"])
        sheet.write_string(row + 1, 1, "", f["unit"])
        for c, key in enumerate(rows, 2):
            shown = scales[key][1]
            if change:
                shown = ("百分点" if zh else "points") if key[1] in RATE_UNITS else "%"
            sheet.write_string(row + 1, c, shown, f["unit"])

    # block 1: the values
    sheet.set_row(4, 30)  # before the row is written (constant-memory mode)
    sheet.write_string(3, 0, "一、核心指标" if zh else "1. Headline indicators", f["block"])
    header(4)
    first = 6
    for r, col in enumerate(columns, first):
        unit, period = str(col[0]), str(col[1])
        sheet.write_string(r, 0, unit, f["key"])
        sheet.write_string(r, 1, periods.get(period, period), f["text"])
        for c, key in enumerate(rows, 2):
            if bool(mask.at[key, col]):
                sheet.write_string(r, c, MASK, f["mask"])
                continue
            value = values.at[key, col]
            if math.isnan(value):
                sheet.write_blank(r, c, None, f["blank"])
                continue
            divisor = scales[key][0]
            shown = value / divisor
            sheet.write_number(r, c, shown, number_format(key, col))
    # block 2: the change from the previous period
    start = first + len(columns) + 1
    sheet.write_string(
        start, 0, "二、同比变化（%）" if zh else "2. Change from the previous period (%)", f["block"]
    )
    header(start + 1, change=True)
    for r, col in enumerate(columns, start + 3):
        unit, period = str(col[0]), str(col[1])
        sheet.write_string(r, 0, unit, f["key"])
        sheet.write_string(r, 1, periods.get(period, period), f["text"])
        for c, key in enumerate(rows, 2):
            change = changes.get((unit, key[0], key[1], period))
            if change is None:
                sheet.write_blank(r, c, None, f["blank"])
                continue
            pct, qualified = change
            big = abs(pct) > BIG_CHANGE and key[1] not in RATE_UNITS
            style = "check" if big or qualified else "rise" if pct > 0 else "fall" if pct < 0 else "flat"
            sheet.write_number(r, c, pct, f[style])
    end = start + 3 + len(columns)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 1 + len(rows), 12)
    sheet.freeze_panes(6, 2)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.activate()

    def charts() -> None:
        """One chart per headline indicator below the tables, its data on a sheet of its own."""
        data = book.add_worksheet(sheet_name("chart_data", display, tables))
        _charts(book, sheet, data, rows, columns, values, mask, scales, periods, display, end + 2)

    return charts


def _charts(
    book: Workbook,
    sheet: Worksheet,
    data: Worksheet,
    rows: list[tuple[str, str]],
    columns: list[Any],
    values: pd.DataFrame,
    mask: pd.DataFrame,
    scales: dict[tuple[str, str], tuple[float, str]],
    periods: dict[str, str],
    display: Display,
    at: int,
) -> None:
    """A line chart per headline indicator over the units' whole-year periods (data on `data`)."""
    zh = display.lang == "zh"
    data.write_string(0, 0, "总览图表的数据（由 auditnlp 写入）" if zh else "Data of the overview charts")
    # the page is printed one sheet wide: as many charts a row as the tables are wide, as many rows a
    # page as fit at the scale the width gives (A4 landscape: about 1090 × 750 px printable)
    sheet_px = (16 + 12 + 12 * len(rows)) * 7 + 10
    per_row = max(2, min(4, sheet_px // CHART_PX[0]))
    scale = min(1.0, 1090 / max(sheet_px, per_row * CHART_PX[0]))
    rows_a_page = max(1, int(750 / scale) // (CHART_ROWS * 20))
    row = 2
    placed = 0
    for key in rows:
        series: dict[str, dict[str, float]] = defaultdict(dict)
        for col in columns:
            unit, period = str(col[0]), str(col[1])
            value = values.at[key, col]
            if bool(mask.at[key, col]) or math.isnan(value) or not (len(period) == 4 and period.isdigit()):
                continue
            series[unit][period] = value / scales[key][0]
        if not series:
            continue
        units = sorted(series, key=lambda u: (-len(series[u]), u))[:CHART_MAX_UNITS]
        found = sorted({int(p) for u in units for p in series[u]})
        # every year from the first to the last, so a missing year is a gap in the line, not a bridge
        years = (
            [str(y) for y in range(found[0], found[-1] + 1)]
            if found[-1] - found[0] < 80
            else [str(y) for y in found]
        )
        label = display.indicator(key[0])
        data.write_string(row, 0, f"{label}（{scales[key][1]}）")
        for j, unit in enumerate(units, 1):
            data.write_string(row + 1, j, unit)
        for i, year in enumerate(years, row + 2):
            data.write_string(i, 0, year)
            for j, unit in enumerate(units, 1):
                if year in series[unit]:
                    data.write_number(i, j, series[unit][year])
        chart = book.add_chart({"type": "line"})
        for j in range(1, len(units) + 1):
            chart.add_series(
                {
                    "name": [data.name, row + 1, j],
                    "categories": [data.name, row + 2, 0, row + 1 + len(years), 0],
                    "values": [data.name, row + 2, j, row + 1 + len(years), j],
                    "marker": {"type": "circle", "size": 5},
                }
            )
        title = f"{label}（{scales[key][1]}）"
        if len(series) > len(units):
            title += f"：前{len(units)}个单位" if zh else f": first {len(units)} units"
        # a title that starts with = would be a formula (a cell reference) to xlsxwriter: shown quoted
        chart.set_title({"name": "'" + title if title.startswith("=") else title, "name_font": {"size": 11}})
        chart.set_legend({"position": "bottom"})
        chart.set_y_axis({"num_format": "#,##0.##", "major_gridlines": {"visible": True}})
        chart.set_size({"width": CHART_PX[0] - 20, "height": CHART_PX[1]})
        place = {"x_offset": 10 + (placed % per_row) * CHART_PX[0]}
        sheet.insert_chart(at + (placed // per_row) * CHART_ROWS, 0, chart, place)
        placed += 1
        row += len(years) + 4
    if placed:  # the charts on pages of their own
        chart_rows = -(-placed // per_row)
        sheet.set_h_pagebreaks(
            [at + i * rows_a_page * CHART_ROWS for i in range(-(-chart_rows // rows_a_page))]
        )


def write_numeric_matrix(
    book: Workbook, comparison: Comparison, display: Display, tables: Mapping[str, Any]
) -> None:
    """The matrix as numbers for pandas users (masked cells empty) and its mask (TRUE = masked)."""
    values, mask = numeric_matrix(comparison.matrix)
    for key, frame in (("matrix_values", values), ("matrix_mask", mask)):
        sheet = book.add_worksheet(sheet_name(key, display, tables))
        sheet.write_string(0, 0, "name")
        sheet.write_string(0, 1, "base_unit")
        for c, col in enumerate(frame.columns, 2):
            sheet.write_string(0, c, " ".join(str(x) for x in col) if isinstance(col, tuple) else str(col))
        for r, (index, row) in enumerate(
            zip(frame.index, frame.itertuples(index=False, name=None), strict=True), 1
        ):
            sheet.write_string(r, 0, str(index[0]))
            sheet.write_string(r, 1, str(index[1]))
            for c, value in enumerate(row, 2):
                if key == "matrix_mask":
                    sheet.write_boolean(r, c, bool(value))
                elif not math.isnan(value):
                    sheet.write_number(r, c, float(value))
        sheet.freeze_panes(1, 2)
        sheet.set_column(0, 0, 28)
