"""Write a :class:`~auditnlp.corpus.compare.Comparison` as an Excel workbook (xlsxwriter).

One sheet per table. Each sheet has two header rows: the Chinese column name, then the English key (the
column name in the DataFrame, CSV and Parquet outputs); the header is frozen and filterable, long text
wraps, money is formatted with thousands separators. ``matrix`` shows canonical indicators × (unit,
covered period) with qualifiers, flags and the source sentence of every cell
(:mod:`auditnlp.writers.matrix_sheet`); ``categories`` carries a stacked bar chart; ``legend`` explains
every sheet and column.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.schema import FILE_COLUMNS, MONEY_COLUMNS, REPORT_KEYS, TABLES, column
from auditnlp.errors import OutputError
from auditnlp.lexicon import LexiconsLike
from auditnlp.writers.display import Display, Lang
from auditnlp.writers.output import atomic_file

if TYPE_CHECKING:
    import pandas as pd
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from auditnlp.corpus.compare import Comparison

MAX_WIDTH = 60
EXCEL_MAX_ROWS = 1_048_576


def write_workbook(
    comparison: Comparison, path: str | Path, *, lang: Lang = "zh", lexicon: LexiconsLike = None
) -> Path:
    """Write the comparison to an .xlsx file and return its path.

    The first sheet, ``总览``, shows the headline indicators (:mod:`auditnlp.writers.overview`). Sheet
    names, the first header row and code values are Chinese (`lang` ``"en"``: English keys and codes,
    Chinese labels in the second header row); `lexicon` gives the display words (``display.yaml``).
    """
    import xlsxwriter
    from xlsxwriter.exceptions import XlsxWriterException

    from auditnlp.writers.display import load_display
    from auditnlp.writers.overview import sheet_name, write_numeric_matrix, write_overview

    display = load_display(lexicon, lang).with_labels(comparison.indicator_labels)
    path = Path(path)
    root = _common_folder(comparison)
    zh = display.lang == "zh"
    first, second = (comparison.label, str) if zh else (str, comparison.label)
    yes_no = (display.code("bool", True), display.code("bool", False))
    with atomic_file(path) as temporary:
        try:
            with xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS) as book:
                styles = _styles(book)
                tables = comparison.tables()
                overview_charts = write_overview(book, comparison, display, TABLES)
                sheets: dict[str, list[str]] = {}
                for name, frame in tables.items():
                    title = sheet_name(name, display, TABLES)
                    if name == "matrix":
                        _write_matrix(book, styles, frame, comparison, title)
                        write_numeric_matrix(book, comparison, display, TABLES)
                        sheets[name] = [title]
                    else:
                        shown = _translated(name, _relative(frame, root), display)
                        written = _write_table(book, styles, title, shown, first, second, yes_no)
                        sheets[name] = [s.name for s in written]
                        if name == "categories":
                            _categories_chart(
                                book, written[0], [str(c) for c in frame.columns], len(frame), len(frame) + 3
                            )
                _write_legend(book, styles, comparison, root, display, sheets)
                overview_charts()
        except XlsxWriterException as exc:
            raise OutputError(str(path), f"cannot write the workbook: {exc}") from None
    return path


WORKBOOK_OPTIONS = {
    "nan_inf_to_errors": True,
    # every cell is a string or a number: text that starts with = is never a formula, a URL never a link
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def _translated(table: str, frame: pd.DataFrame, display: Display) -> pd.DataFrame:
    """Code values (``summary_plan``, ``quoted_term`` …) shown in Chinese; English keeps the codes."""
    if display.lang != "zh" or frame.empty:
        return frame
    out = None
    for key in frame.columns:
        codes = display.codes_of(table, str(key))
        if codes is None:
            continue
        out = frame.copy() if out is None else out
        out[key] = [
            "；".join(display.code(codes, part) for part in v.split("; ")) if isinstance(v, str) else v
            for v in frame[key]
        ]
    return frame if out is None else out


def _common_folder(comparison: Comparison) -> str:
    """The folder the reports share ('' when none), shown once in the legend."""
    import os.path

    paths = [str(p) for p in comparison.reports.get("file", [])] if len(comparison.reports) else []
    if not paths:
        return ""
    try:
        return os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:  # mixed absolute and relative paths
        return ""


def _relative(frame: pd.DataFrame, root: str) -> pd.DataFrame:
    """Paths under `root` shown relative to it, so the sheets show file names rather than long paths."""
    import os.path

    columns = [c for c in FILE_COLUMNS if c in frame.columns]
    if not root or not columns or frame.empty:
        return frame
    prefix = root.rstrip(os.sep) + os.sep
    frame = frame.copy()
    for key in columns:
        frame[key] = [
            p[len(prefix) :] if isinstance(p, str) and p.startswith(prefix) else p for p in frame[key]
        ]
    return frame


def _styles(book: Workbook) -> dict[str, Any]:
    base = {"font_size": 10, "valign": "top"}
    return {
        "head": book.add_format(
            {**base, "bold": True, "bg_color": "#DDE6F0", "border": 1, "text_wrap": True}
        ),
        "key": book.add_format(
            {**base, "italic": True, "font_color": "#555555", "bg_color": "#F2F2F2", "border": 1}
        ),
        "text": book.add_format(base),
        "wrap": book.add_format({**base, "text_wrap": True}),
        "int": book.add_format({**base, "num_format": "#,##0"}),
        "year": book.add_format({**base, "num_format": "0", "align": "center"}),
        "num": book.add_format({**base, "num_format": "#,##0.0##"}),
        "money": book.add_format({**base, "num_format": "#,##0"}),
        "money2": book.add_format({**base, "num_format": "#,##0.00"}),
        "pct": book.add_format({**base, "num_format": "0.0%"}),
        "pct_num": book.add_format({**base, "num_format": "0.0"}),
        "mask": book.add_format({**base, "align": "right", "font_color": "#9C0006"}),
        "title": book.add_format({**base, "bold": True, "font_size": 12}),
        "note": book.add_format({**base, "italic": True, "font_color": "#9C0006"}),
        "unit_head": book.add_format(
            {**base, "bold": True, "bg_color": "#DDE6F0", "border": 1, "align": "center", "left": 2}
        ),
    }


PAGE_WIDTH = 150
"""Column-width units that fit across a landscape A4 page at 100 %."""


def _print_setup(sheet: Worksheet, header_rows: int = 2, width: float = 0, key_columns: int = 0) -> None:
    """Print (and PDF export) landscape on A4 with the header rows on every page.

    A sheet up to ~1.8 pages wide is shrunk to one page; a wider one prints at 55 % with its identifying
    columns repeated on every page, so the text stays legible.
    """
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if width <= PAGE_WIDTH / 0.55:
        sheet.fit_to_pages(1, 0)
    else:
        sheet.set_print_scale(55)
        if key_columns:
            sheet.repeat_columns(0, key_columns - 1)
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)
    sheet.set_footer("&L&A&R&P / &N")


def _plain(value: Any) -> Any:
    """A cell value: None for missing, float for Decimal/numpy numbers, str otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing markers
        return None
    return value


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _cell_format(styles: dict[str, Any], key: str, value: Any, money: bool) -> Any:
    kind = column(key).kind
    if isinstance(value, str | bool) or value is None:
        return styles["wrap"] if kind == "long" else styles["text"]
    if kind == "share":
        return styles["pct"]
    if kind in ("year", "id"):
        return styles["year"]
    if kind == "pct":
        return styles["pct_num"]
    if money:
        return styles["money"] if float(value).is_integer() else styles["money2"]
    return styles["int"] if float(value).is_integer() else styles["num"]


def _write_value(
    sheet: Worksheet, row: int, col: int, value: Any, fmt: Any, yes_no: tuple[str, str] = ("是", "否")
) -> None:
    value = _plain(value)
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_string(row, col, yes_no[0] if value else yes_no[1], fmt)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, fit_cell(str(value)), fmt)


EXCEL_MAX_CHARS = 32_767
"""Characters one Excel cell holds."""


def fit_cell(text: str) -> str:
    """`text` as one Excel cell holds it: a longer text is cut and ends saying so, with its whole length
    (the csv, jsonl and parquet outputs hold it whole)."""
    if len(text) <= EXCEL_MAX_CHARS:
        return text
    whole = f"{len(text):,}"
    mark = f"…〔单元格已截断：全文 {whole} 字，见 csv/parquet 输出 (cell cut: {whole} characters)〕"
    return text[: EXCEL_MAX_CHARS - len(mark)] + mark


LINE_HEIGHT = 13.5
"""Points per line of 10-point text; rows with wrapped text get an explicit height (LibreOffice and
Excel do not grow rows written by xlsxwriter, so wrapped text would spill over the rows below)."""


def _column_widths(frame: pd.DataFrame, columns: list[str], label: Callable[[str], str]) -> list[int]:
    widths = [max(_width(label(c)), _width(c), 6) for c in columns]
    for record in frame.head(500).itertuples(index=False, name=None):
        for col, value in enumerate(record):
            widths[col] = max(widths[col], _width(_plain(value)) + 1)
    return [
        min(w, MAX_WIDTH if column(c).kind == "long" else 40) for w, c in zip(widths, columns, strict=True)
    ]


def _lines(value: Any, width: int) -> int:
    text = "" if value is None else str(value)
    return sum(max(1, math.ceil(_width(part) / max(width - 1, 1))) for part in text.split("\n"))


def _write_table(
    book: Workbook,
    styles: dict[str, Any],
    name: str,
    frame: pd.DataFrame,
    label: Callable[[str], str],
    second: Callable[[str], str] = str,
    yes_no: tuple[str, str] = ("是", "否"),
) -> list[Worksheet]:
    """The table on sheet `name` (header rows ``label(key)`` and ``second(key)``, the key by default;
    booleans written as the words `yes_no`), and on ``name (2)``, ``name (3)`` … when it has more rows
    than a sheet holds."""
    per_sheet = EXCEL_MAX_ROWS - 2
    columns = [str(c) for c in frame.columns]
    widths = _column_widths(frame, columns, label)
    parts = range(0, max(len(frame), 1), per_sheet)
    return [
        _write_rows(book, styles, name if i == 0 else f"{name} ({i + 1})", frame.iloc[s : s + per_sheet],
                    columns, widths, label, second, yes_no)
        for i, s in enumerate(parts)
    ]  # fmt: skip


def _write_rows(
    book: Workbook,
    styles: dict[str, Any],
    sheet_name: str,
    rows: pd.DataFrame,
    columns: list[str],
    widths: list[int],
    label: Callable[[str], str],
    second: Callable[[str], str],
    yes_no: tuple[str, str],
) -> Worksheet:
    sheet = book.add_worksheet(sheet_name)
    wrapped = [col for col, c in enumerate(columns) if column(c).kind == "long"]
    for col, key in enumerate(columns):
        sheet.write_string(0, col, label(key), styles["head"])
        sheet.write_string(1, col, second(key), styles["key"])
        sheet.set_column(col, col, widths[col])
    money_rows = _money_mask(rows)
    for r, record in enumerate(rows.itertuples(index=False, name=None), 2):
        money = money_rows[r - 2]
        for col, value in enumerate(record):
            key = columns[col]
            is_money = money and key in MONEY_COLUMNS
            _write_value(sheet, r, col, value, _cell_format(styles, key, _plain(value), is_money), yes_no)
        lines = max((_lines(_plain(record[col]), widths[col]) for col in wrapped), default=1)
        if lines > 1:
            sheet.set_row(r, min(409, LINE_HEIGHT * lines))
    sheet.freeze_panes(2, 0)
    keys = sum(1 for c in columns[:5] if c in REPORT_KEYS)
    _print_setup(sheet, width=sum(widths), key_columns=keys)
    if columns:
        sheet.autofilter(1, 0, max(1, len(rows) + 1), len(columns) - 1)
    return sheet


def _money_mask(frame: pd.DataFrame) -> list[bool]:
    if "base_unit" in frame.columns:
        return [u == "元" for u in frame["base_unit"]]
    return [False] * len(frame)


def _write_matrix(
    book: Workbook, styles: dict[str, Any], matrix: pd.DataFrame, comparison: Comparison, name: str = "matrix"
) -> None:
    """Indicators down, (unit, covered period) across (:mod:`auditnlp.writers.matrix_sheet`)."""
    from auditnlp.writers.matrix_sheet import write_matrix

    write_matrix(book, styles, matrix, comparison, _print_setup, name)


CHART_MAX_REPORTS = 60
"""Bars beyond this many reports would be unreadable: the chart shows the first ones (the table has all)."""


def _categories_chart(book: Workbook, sheet: Worksheet, columns: list[str], rows: int, at: int) -> None:
    """A 100% stacked bar per report (its category shares: the columns after ``label`` of a sheet whose
    `rows` reports start on its third row), placed at row `at`, below the table, on a page of its own."""
    if not rows or "label" not in columns:
        return
    label_col = columns.index("label")
    cats = [c for c in columns[label_col + 1 :]]
    n = min(rows, CHART_MAX_REPORTS)
    chart = book.add_chart({"type": "bar", "subtype": "percent_stacked"})
    colors = ["#4472C4", "#ED7D31", "#A5A5A5", "#70AD47", "#FFC000", "#5B9BD5", "#264478"]
    for i, cat in enumerate(cats):
        col = columns.index(cat)
        chart.add_series(
            {
                "name": [sheet.name, 0, col],
                "categories": [sheet.name, 2, label_col, n + 1, label_col],
                "values": [sheet.name, 2, col, n + 1, col],
                "fill": {"color": colors[i % len(colors)]},
                "gap": 60,
            }
        )
    title = "各报告内容构成（按字数）"
    if rows > n:
        title += f"：前{n}份报告（共{rows}份）"
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_x_axis({"num_format": "0%", "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": max(320, 80 + 24 * n)})
    sheet.set_h_pagebreaks([at])
    sheet.insert_chart(at, 1, chart)


def _write_legend(
    book: Workbook,
    styles: dict[str, Any],
    comparison: Comparison,
    root: str,
    display: Display | None = None,
    sheets: dict[str, list[str]] | None = None,
) -> None:
    from auditnlp.writers.overview import SHEETS

    zh = display is None or display.lang == "zh"
    sheet = book.add_worksheet("说明" if zh else "legend")
    sheet.write_string(0, 0, "auditnlp 对比工作簿说明 (legend)", styles["title"])
    if root:
        sheet.write_string(1, 0, f"文件路径相对于 (file paths are relative to): {root}", styles["text"])
    headers = ("工作表 sheet", "中文名", "列 key", "列名", "说明 description")
    for col, text in enumerate(headers):
        sheet.write_string(2, col, text, styles["head"])
    row = 3
    extra = {
        "overview": "The headline indicators per unit and period, their change, a chart per indicator.",
        "matrix_values": "The matrix as numbers for pandas: masked and missing cells empty (read with "
        "index_col=[0, 1]).",
        "matrix_mask": "TRUE where the matrix cell is masked in the source (XX).",
        "chart_data": "The data of the overview's charts.",
    }
    for name, description in extra.items():
        sheet.write_string(row, 0, name, styles["text"])
        sheet.write_string(row, 1, SHEETS[name][0], styles["text"])
        sheet.write_string(row, 4, description, styles["wrap"])
        row += 1
    for name, frame in comparison.tables().items():
        label, description = TABLES[name]
        sheet.write_string(row, 0, name, styles["text"])
        sheet.write_string(row, 1, label, styles["text"])
        more = (sheets or {}).get(name, [name])[1:]
        spill = f"; more than a sheet holds, continued on {', '.join(more)}" if more else ""
        sheet.write_string(row, 4, f"{description} ({len(frame)} rows{spill})", styles["wrap"])
        row += 1
        keys = [] if name == "matrix" else [str(c) for c in frame.columns]
        for key in keys:
            sheet.write_string(row, 2, key, styles["text"])
            sheet.write_string(row, 3, comparison.label(key), styles["text"])
            row += 1
    from auditnlp.writers.matrix_sheet import LEGEND

    for note in (*LEGEND, *comparison.notes):
        sheet.write_string(row + 1, 0, f"注意: {note}", styles["text"])
        row += 1
    for col, width in enumerate((16, 12, 16, 14, 70)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(3, 0)
    _print_setup(sheet, 0)
