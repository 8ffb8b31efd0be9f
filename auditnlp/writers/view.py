"""A workbook view of a large comparison, streamed from its dataset (xlsxwriter, constant-memory mode).

``compare`` writes this workbook above 1,000 reports (:data:`auditnlp.writers.tables.IN_MEMORY_REPORTS`):
every row of every table, streamed in constant memory; above :data:`FULL_REPORTS` reports it is a view: a
``summary`` sheet (the corpus in figures, where the
full tables are), then each table's first :data:`VIEW_ROWS` rows in table order (the matrix's first
:data:`VIEW_COLUMNS` (unit, period) columns), each cut sheet saying so, and the legend. Rows come from a
:class:`~auditnlp.writers.sources.TableSource` a batch at a time, so memory does not grow with the tables.

Like the workbook built in memory, it has the ``总览`` sheet (:mod:`auditnlp.writers.overview`: headline
indicators per unit and period, their change, a chart per indicator), first (after the summary in a
view), over the same (unit, period) columns as the matrix sheet; only the headline rows of the matrix,
``yoy`` and ``values`` are held for it, so its memory grows with units × periods shown, not with the
long tables. Sheet names, header rows and code values are the in-memory workbook's (Chinese by default),
so a script reading one reads the other; only its numeric matrix sheets (for pandas) are not written here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.schema import FILE_COLUMNS, MASK, MONEY_COLUMNS, REPORT_KEYS, TABLES, column
from auditnlp.errors import OutputError
from auditnlp.writers.matrix_sheet import lay_out_matrix
from auditnlp.writers.workbook import (
    EXCEL_MAX_ROWS,
    LINE_HEIGHT,
    MAX_WIDTH,
    _categories_chart,
    _cell_format,
    _lines,
    _plain,
    _print_setup,
    _styles,
    _width,
    _write_value,
)

if TYPE_CHECKING:
    import pandas as pd
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from auditnlp.corpus.compare import Comparison
    from auditnlp.lexicon import LexiconsLike
    from auditnlp.writers.display import Display, Lang
    from auditnlp.writers.sources import TableSource

EXCEL_MAX_COLUMNS = 16_384
FULL_REPORTS = 20_000
"""Up to this many reports the workbook holds every row of every table (up to Excel's sheet size)."""
VIEW_ROWS = 10_000
"""Beyond :data:`FULL_REPORTS`, rows shown per sheet (the first in table order)."""
VIEW_COLUMNS = 1_000
"""Beyond :data:`FULL_REPORTS`, (unit, period) columns of the matrix shown (the first in matrix order)."""


def write_view(
    comparison: Comparison | TableSource,
    path: str | Path,
    *,
    full_reports: int = FULL_REPORTS,
    view_rows: int = VIEW_ROWS,
    view_columns: int = VIEW_COLUMNS,
    lexicon: LexiconsLike = None,
    lang: Lang = "zh",
) -> Path:
    """Write the comparison (a dataset's :class:`~auditnlp.writers.sources.DatasetSource`, or one in
    memory) to an .xlsx file and return its path; more than `full_reports` reports give the view (see the
    module docstring), fewer every row. Sheet names, header rows and code values are those of the workbook
    built in memory (:func:`~auditnlp.writers.workbook.write_workbook`, `lang`); `lexicon` gives the
    display words (``display.yaml``)."""
    import xlsxwriter
    from xlsxwriter.exceptions import XlsxWriterException

    from auditnlp.writers.display import load_display
    from auditnlp.writers.output import atomic_file
    from auditnlp.writers.overview import sheet_name, write_overview
    from auditnlp.writers.sources import FrameSource, table_names
    from auditnlp.writers.workbook import WORKBOOK_OPTIONS

    source: TableSource = comparison if hasattr(comparison, "rows") else FrameSource(comparison)  # type: ignore[assignment,arg-type]
    path = Path(path)
    root = _common_folder(source)
    view = source.count("reports") > full_reports
    rows_limit = min(view_rows if view else EXCEL_MAX_ROWS, EXCEL_MAX_ROWS - 3)
    columns_limit = min(view_columns if view else EXCEL_MAX_COLUMNS, EXCEL_MAX_COLUMNS - 3)
    shown: dict[str, int] = {}
    options = {**WORKBOOK_OPTIONS, "constant_memory": True}
    matrix, total_columns = source.matrix(columns_limit)
    display = load_display(lexicon, lang).with_labels(source.indicator_labels)
    with atomic_file(path) as temporary:
        try:
            with xlsxwriter.Workbook(str(temporary), options) as book:
                styles = _styles(book)
                if view:
                    _write_summary(book, styles, source, rows_limit, columns_limit)
                overview_charts = write_overview(
                    book, _headlines(source, matrix, display), display, TABLES, all_columns=total_columns
                )
                for name in table_names():
                    if name == "matrix":
                        title = sheet_name(name, display, TABLES)
                        shown[name] = _write_matrix(book, styles, source, matrix, total_columns, title)
                    else:
                        sheet, shown[name] = _write_table(
                            book, styles, name, source, root, rows_limit, display
                        )
                        if name == "categories":
                            # below the table and its cut note
                            _categories_chart(book, sheet, source.columns(name), shown[name], shown[name] + 5)
                _write_legend(book, styles, source, root, shown, display)
                overview_charts()
        except XlsxWriterException as exc:
            raise OutputError(str(path), f"cannot write the workbook: {exc}") from None
    return path


@dataclass(frozen=True)
class _Headlines:
    """What the overview reads of a comparison, for its headline indicators only: the matrix rows, the
    reports' columns and period labels, the yoy rows and the shown values (for their qualifiers)."""

    matrix: pd.DataFrame
    reports: pd.DataFrame
    yoy: pd.DataFrame
    values: pd.DataFrame


def _headlines(source: TableSource, matrix: pd.DataFrame, display: Display) -> Comparison:
    """The overview's part of the comparison, read a row at a time: rows of the matrix's shown (unit,
    period) columns and of its headline indicators only."""
    import pandas as pd

    from auditnlp.writers.overview import headline_rows
    from auditnlp.writers.sources import FrameSource

    if isinstance(source, FrameSource):
        return source.comparison
    rows = headline_rows(matrix, display)
    names = {name for name, _ in rows}
    shown = {(str(unit), str(period)) for unit, period in matrix.columns} if rows else set()

    def read(table: str, keep: Callable[[dict[str, Any]], bool]) -> pd.DataFrame:
        columns = source.columns(table)
        kept = [r for r in (dict(zip(columns, row, strict=True)) for row in source.rows(table)) if keep(r)]
        return pd.DataFrame(kept, columns=columns)

    def unit_of(record: dict[str, Any]) -> str:
        unit = record.get("unit")
        return unit if isinstance(unit, str) and unit else "?"

    reports = read("reports", lambda r: (unit_of(r), str(r.get("column"))) in shown)
    ids = set(reports["report_id"]) if "report_id" in reports.columns else set()
    period = "period" if "period" in source.columns("yoy") else "year"
    yoy = read("yoy", lambda r: r.get("name") in names and (unit_of(r), str(r.get(period))) in shown)
    values = read(
        "values", lambda r: r.get("name") in names and bool(r.get("shown")) and r.get("report_id") in ids
    )
    return _Headlines(matrix.loc[rows] if rows else matrix, reports, yoy, values)  # type: ignore[return-value]


def _common_folder(source: TableSource) -> str:
    """The folder the reports share ('' when none), shown once in the legend."""
    import os.path

    columns = source.columns("reports")
    if "file" not in columns or not source.count("reports"):
        return ""
    at = columns.index("file")
    common: str | None = None
    for row in source.rows("reports"):
        folder = os.path.dirname(str(row[at]))
        try:
            common = folder if common is None else os.path.commonpath([common, folder])
        except ValueError:  # mixed absolute and relative paths
            return ""
    return common or ""


def _relative_row(row: tuple[Any, ...], at: list[int], prefix: str) -> tuple[Any, ...]:
    """Paths under the common folder shown relative to it (file names rather than long paths)."""
    if not at:
        return row
    values = list(row)
    for i in at:
        value = values[i]
        if isinstance(value, str) and value.startswith(prefix):
            values[i] = value[len(prefix) :]
    return tuple(values)


def _column_widths(rows: list[tuple[Any, ...]], columns: list[str], label: Callable[[str], str]) -> list[int]:
    widths = [max(_width(label(c)), _width(c), 6) for c in columns]
    for record in rows:
        for col, value in enumerate(record):
            widths[col] = max(widths[col], _width(_plain(value)) + 1)
    return [
        min(w, MAX_WIDTH if column(c).kind == "long" else 40) for w, c in zip(widths, columns, strict=True)
    ]


def _cut_note(
    sheet: Worksheet, styles: dict[str, Any], row: int, shown: int, total: int, source: TableSource
) -> None:
    where = f"（完整表格见数据集 {source.dataset}）" if source.dataset else ""
    sheet.write_string(
        row, 0, f"仅显示前 {shown} 行，共 {total} 行{where} — only the first {shown} of {total} rows; "
        "the full table is in the dataset", styles["note"],
    )  # fmt: skip


def _write_table(
    book: Workbook,
    styles: dict[str, Any],
    name: str,
    source: TableSource,
    root: str,
    limit: int,
    display: Display,
) -> tuple[Worksheet, int]:
    """One table sheet, streamed row by row (named, headed and with code values shown as in the workbook
    built in memory); returns the sheet and the rows written."""
    import os.path

    from auditnlp.writers.overview import sheet_name

    sheet = book.add_worksheet(sheet_name(name, display, TABLES))
    zh = display.lang == "zh"
    columns = source.columns(name)
    total = source.count(name)
    prefix = root.rstrip(os.sep) + os.sep if root else "\0"
    at = [i for i, c in enumerate(columns) if c in FILE_COLUMNS]
    rows: Iterator[tuple[Any, ...]] = (_relative_row(r, at, prefix) for r in source.rows(name))
    rows = itertools.islice(rows, limit)
    codes = {i: c for i, key in enumerate(columns) if zh and (c := display.codes_of(name, key)) is not None}
    if codes:
        rows = (_shown_codes(r, codes, display) for r in rows)
    head = list(itertools.islice(rows, 500))
    widths = _column_widths(head, columns, source.label)
    wrapped = [col for col, c in enumerate(columns) if column(c).kind == "long"]
    first, second = (source.label, str) if zh else (str, source.label)
    for col, key in enumerate(columns):  # constant-memory mode: row by row
        sheet.write_string(0, col, first(key), styles["head"])
        sheet.set_column(col, col, widths[col])
    for col, key in enumerate(columns):
        sheet.write_string(1, col, second(key), styles["key"])
    money_at = columns.index("base_unit") if "base_unit" in columns else None
    r = 1
    for r, record in enumerate(itertools.chain(head, rows), 2):
        money = money_at is not None and record[money_at] == "元"
        for col, value in enumerate(record):
            key = columns[col]
            is_money = money and key in MONEY_COLUMNS
            _write_value(sheet, r, col, value, _cell_format(styles, key, _plain(value), is_money))
        lines = max((_lines(_plain(record[col]), widths[col]) for col in wrapped), default=1)
        if lines > 1:
            sheet.set_row(r, min(409, LINE_HEIGHT * lines))
    written = r - 1
    if written < total:
        _cut_note(sheet, styles, r + 2, written, total, source)
    sheet.freeze_panes(2, 0)
    keys = sum(1 for c in columns[:5] if c in REPORT_KEYS)
    _print_setup(sheet, width=sum(widths), key_columns=keys)
    if columns:
        sheet.autofilter(1, 0, max(1, written + 1), len(columns) - 1)
    return sheet, written


def _shown_codes(row: tuple[Any, ...], codes: dict[int, str], display: Display) -> tuple[Any, ...]:
    """Code values (``summary_plan``; several as ``a; b``) in the display language, as in the workbook
    built in memory."""
    values = list(row)
    for i, kind in codes.items():
        value = values[i]
        if isinstance(value, str):
            values[i] = "；".join(display.code(kind, part) for part in value.split("; "))
    return tuple(values)


def _matrix_formats(book: Workbook) -> dict[tuple[str, bool], Any]:
    """Cell formats of the matrix: light grid, a darker line where a unit's columns begin."""
    base = {"font_size": 10, "valign": "top", "border": 1, "border_color": "#D9D9D9"}
    kinds: dict[str, dict[str, object]] = {
        "int": {"num_format": "#,##0"},
        "num": {"num_format": "#,##0.0##"},
        "money": {"num_format": "#,##0"},
        "money2": {"num_format": "#,##0.00"},
        "mask": {"align": "right", "font_color": "#9C0006"},
        "blank": {},
        "year": {"italic": True, "font_color": "#555555", "bg_color": "#F2F2F2", "align": "right"},
    }
    out = {}
    for kind, extra in kinds.items():
        for first in (False, True):
            edge = {"left": 2, "left_color": "#808080"} if first else {}
            out[(kind, first)] = book.add_format({**base, **extra, **edge})
    return out


def _matrix_kind(value: Any, money: bool) -> str:
    if value is None:
        return "blank"
    if value == MASK:
        return "mask"
    number = float(value)
    if money:
        return "money" if number.is_integer() else "money2"
    return "int" if number.is_integer() else "num"


def _write_matrix(
    book: Workbook,
    styles: dict[str, Any],
    source: TableSource,
    matrix: pd.DataFrame,
    total: int,
    title: str,
) -> int:
    """Indicators down, (unit, period) across (`matrix`, the first columns of `total`) on sheet `title`:
    units in the first header row, periods in the second. Returns the (unit, period) columns written."""
    sheet = book.add_worksheet(title)
    formats = _matrix_formats(book)
    fixed = [("name", "规范指标名"), ("label", "指标"), ("base_unit", "折算单位")]
    columns = list(matrix.columns) if len(matrix.columns) else []
    col = len(fixed)
    firsts = {i for i, (unit, _) in enumerate(columns) if i == 0 or columns[i - 1][0] != unit}
    # constant-memory mode writes rows in order: the unit row first, then the year row
    for c, (_, label) in enumerate(fixed):
        sheet.write_string(0, c, label, styles["head"])
    start = col
    for i, (unit, _) in enumerate(columns):
        if i + 1 == len(columns) or columns[i + 1][0] != unit:
            if col + i > start:
                sheet.merge_range(0, start, 0, col + i, str(unit), styles["unit_head"])
            else:
                sheet.write_string(0, start, str(unit), styles["unit_head"])
            start = col + i + 1
    for c, (key, _) in enumerate(fixed):
        sheet.write_string(1, c, key, styles["key"])
    for i, (_, year) in enumerate(columns):
        sheet.write_string(1, col + i, str(year), formats[("year", i in firsts)])
    labels = source.indicator_labels
    widths = [14, 16, 8]
    rows = (
        zip(matrix.index, matrix.itertuples(index=False, name=None), strict=True)
        if len(columns)
        else iter(())
    )
    r = 1
    for r, ((name, base_unit), values) in enumerate(rows, 2):
        for c, value in enumerate((name, labels.get(name, ""), base_unit)):
            sheet.write_string(r, c, str(value), styles["text"])
            widths[c] = max(widths[c], _width(value) + 1)
        for i, value in enumerate(values):
            value = _plain(value)
            fmt = formats[(_matrix_kind(value, base_unit == "元"), i in firsts)]
            _write_value(sheet, r, col + i, value, fmt)
    if len(columns) < total:
        where = f"（完整矩阵见数据集 {source.dataset} 的 matrix 表）" if source.dataset else ""
        sheet.write_string(
            r + 2, 0, f"仅显示前 {len(columns)} 列，共 {total} 列{where} — only the first {len(columns)} of "
            f"{total} (unit, period) columns; the full matrix is in the dataset", styles["note"],
        )  # fmt: skip
    lay_out_matrix(sheet, widths, len(columns), len(matrix), _print_setup)
    return len(columns)


def _write_legend(
    book: Workbook,
    styles: dict[str, Any],
    source: TableSource,
    root: str,
    shown: dict[str, int],
    display: Display,
) -> None:
    from auditnlp.writers.sources import table_names

    sheet = book.add_worksheet("说明" if display.lang == "zh" else "legend")
    sheet.write_string(0, 0, "auditnlp 对比工作簿说明 (legend)", styles["title"])
    if root:
        sheet.write_string(1, 0, f"文件路径相对于 (file paths are relative to): {root}", styles["text"])
    headers = ("工作表 sheet", "中文名", "列 key", "列名", "说明 description")
    for col, text in enumerate(headers):
        sheet.write_string(2, col, text, styles["head"])
    row = 3
    from auditnlp.writers.overview import SHEETS

    for key in ("overview", "chart_data"):
        sheet.write_string(row, 0, key, styles["text"])
        sheet.write_string(row, 1, SHEETS[key][0], styles["text"])
        text = "The headline indicators per unit and period, their change, a chart per indicator."
        sheet.write_string(
            row, 4, text if key == "overview" else "The data of the overview's charts.", styles["wrap"]
        )
        row += 1
    for name in table_names():
        label, description = TABLES[name]
        total = source.count(name)
        sheet.write_string(row, 0, name, styles["text"])
        sheet.write_string(row, 1, label, styles["text"])
        size = f"{total} rows"
        if name != "matrix" and shown.get(name, total) < total:
            size = f"{total} rows; the first {shown[name]} shown, all in the dataset {source.dataset}"
        sheet.write_string(row, 4, f"{description} ({size})", styles["wrap"])
        row += 1
        for key in source.columns(name):
            sheet.write_string(row, 2, key, styles["text"])
            sheet.write_string(row, 3, source.label(key), styles["text"])
            row += 1
    for note in source.notes:
        sheet.write_string(row + 1, 0, f"注意: {note}", styles["text"])
        row += 1
    for col, width in enumerate((16, 12, 16, 14, 70)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(3, 0)
    _print_setup(sheet, 0)


def _write_summary(
    book: Workbook, styles: dict[str, Any], source: TableSource, rows_limit: int, columns_limit: int
) -> None:
    """The first sheet of a view: the corpus in figures, where the full tables are, and what is shown."""
    from collections import Counter

    from auditnlp.writers.sources import table_names

    sheet = book.add_worksheet("summary")
    sheet.write_string(0, 0, "概况 (summary)", styles["title"])
    lines = [
        f"本工作簿为大型语料的概览：每张表仅显示前 {rows_limit} 行、对比矩阵仅显示前 {columns_limit} 列。",
        "This workbook is a view of a large corpus: each sheet shows its first rows only; "
        f"the full tables are in the dataset {source.dataset} (Parquet, one folder per table).",
    ]
    for r, line in enumerate(lines, 1):
        sheet.write_string(r, 0, line, styles["note"])
    r = len(lines) + 2
    sheet.write_string(r, 0, "表 table", styles["head"])
    sheet.write_string(r, 1, "行数 rows", styles["head"])
    for name in table_names():
        r += 1
        sheet.write_string(r, 0, name, styles["text"])
        sheet.write_number(r, 1, source.count(name), styles["int"])
    columns = source.columns("reports")
    years: Counter[Any] = Counter()
    units: Counter[Any] = Counter()
    at_year = columns.index("year") if "year" in columns else None
    at_unit = columns.index("unit") if "unit" in columns else None
    for row in source.rows("reports"):
        if at_year is not None:
            years[row[at_year]] += 1
        if at_unit is not None:
            units[row[at_unit]] += 1
    r += 2
    sheet.write_string(r, 0, "年份 year", styles["head"])
    sheet.write_string(r, 1, "报告数 reports", styles["head"])
    for year, count in sorted(years.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        r += 1
        sheet.write_string(r, 0, "?" if year is None else str(year), styles["text"])
        sheet.write_number(r, 1, count, styles["int"])
    r += 2
    sheet.write_string(r, 0, "单位（报告最多的 50 个） unit", styles["head"])
    sheet.write_string(r, 1, "报告数 reports", styles["head"])
    for unit, count in units.most_common(50):
        r += 1
        sheet.write_string(r, 0, "?" if unit is None else str(unit), styles["text"])
        sheet.write_number(r, 1, count, styles["int"])
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 14)
