"""Spreadsheets and row files (.csv, .tsv, .xlsx, .xls, .jsonl): one document per row.

Rows are isolated: a JSONL line that is not valid JSON, a CSV row with more fields than the header or a
quote that never closes is one error naming the row, and the other rows are read. Every row is read
before the first is returned, so the row and column limits are checked before any analysis starts.
An .xlsx sheet is streamed row by row as written (a row at 1,048,576 does not create the rows above it).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import threading
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from auditnlp.errors import CorruptDocumentError, EmptyDocumentError, InputError, LimitError
from auditnlp.readers.base import (
    META_COLUMNS,
    TEXT_COLUMN_GUESSES,
    Limits,
    RawDocument,
    clean_text,
    display_name,
    sha256_text,
)
from auditnlp.readers.encoding import decode_bytes

_CSV_LIMIT_LOCK = threading.Lock()

Row = dict[str, str]
Record = tuple[int, "Row | InputError"]
"""(row number, the row's cells by column name, or the error of a row that cannot be read)."""


@contextlib.contextmanager
def _csv_field_limit(size: int) -> Iterator[None]:
    """Allow fields of `size` characters while reading one file, then restore the process-wide limit.

    ``csv.field_size_limit`` is global to the process; it is raised only when a file needs it and put
    back at once, under a lock, so other code in the process sees its own setting.
    """
    with _CSV_LIMIT_LOCK:
        old = csv.field_size_limit()
        if size <= old:
            yield
            return
        csv.field_size_limit(size)
        try:
            yield
        finally:
            csv.field_size_limit(old)


def _pick_column(columns: Iterable[str], wanted: str | None, name: str) -> str:
    columns = [c for c in columns if c is not None]
    if wanted is not None:
        if wanted not in columns:
            raise InputError(name, f"no column {wanted!r} (columns: {', '.join(columns)})")
        return wanted
    for guess in TEXT_COLUMN_GUESSES:
        if guess in columns:
            return guess
    raise InputError(name, f"which column holds the text? use --text-column (columns: {', '.join(columns)})")


def _too_many_rows(name: str, limits: Limits) -> LimitError:
    return LimitError(name, f"more than {limits.max_rows:,} rows (raise the limit with --max-rows)")


def _too_many_columns(name: str, count: int, limits: Limits) -> LimitError:
    return LimitError(
        name, f"{count:,} columns, over the limit of {limits.max_columns:,} (raise it with --max-columns)"
    )


# --------------------------------------------------------------------------------------------- csv


class _Lines:
    """The physical lines of a text, fed to csv.reader, counting how many it has taken."""

    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.index = start

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.index >= len(self.lines):
            raise StopIteration
        self.index += 1
        return self.lines[self.index - 1]


def _csv_cells(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | str]]:
    """(first line number, cells) per record, or (line number, reason) for a record that cannot be parsed;
    parsing goes on from the line after the start of a damaged record (an unclosed quote)."""
    lines = io.StringIO(text, newline="").readlines()
    start = 0
    while start < len(lines):
        feeder = _Lines(lines, start)
        reader = csv.reader(feeder, delimiter=delimiter, strict=True)
        while True:
            first = feeder.index
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                reason = str(exc)
                if "unexpected end of data" in reason or feeder.index >= len(lines):
                    reason = f"a quote opened on line {first + 1} never closes"
                yield first + 1, f"malformed CSV row: {reason}"
                start = first + 1
                break
            if cells:
                yield first + 1, cells


def _csv_records(data: bytes, name: str, fmt: str, limits: Limits) -> tuple[list[str], list[Record], str]:
    text, encoding = decode_bytes(data, name)
    header: list[str] | None = None
    records: list[Record] = []
    with _csv_field_limit(len(text) + 1):
        for line, cells in _csv_cells(text, "\t" if fmt == "tsv" else ","):
            if header is None:
                if isinstance(cells, str):
                    raise CorruptDocumentError(name, f"line {line}: {cells}")
                header = [c.lstrip("\ufeff").strip() for c in cells]
                if len(header) > limits.max_columns:
                    raise _too_many_columns(name, len(header), limits)
                continue
            number = len(records) + 1
            if len(records) >= limits.max_rows:
                raise _too_many_rows(name, limits)
            row_name = display_name(name, number)
            if isinstance(cells, str):
                records.append((number, CorruptDocumentError(row_name, f"line {line}: {cells}")))
            elif len(cells) > len(header):
                records.append(
                    (
                        number,
                        CorruptDocumentError(
                            row_name,
                            f"line {line}: {len(cells)} fields, the header has {len(header)} "
                            "(an unquoted comma in the text?)",
                        ),
                    )
                )
            else:
                records.append(
                    (number, dict(zip(header, [*cells, *[""] * (len(header) - len(cells))], strict=True)))
                )
    return header or [], records, encoding


# ------------------------------------------------------------------------------------------- jsonl


def _jsonl_records(data: bytes, name: str, limits: Limits) -> tuple[list[str], list[Record], str]:
    text, encoding = decode_bytes(data, name)
    lines = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    if len(lines) > limits.max_rows:
        raise _too_many_rows(name, limits)
    records: list[Record] = []
    columns: dict[str, None] = {}
    for number, (lineno, line) in enumerate(lines, 1):
        row_name = display_name(name, number)
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            records.append(
                (number, CorruptDocumentError(row_name, f"line {lineno}: invalid JSON: {exc.msg}"))
            )
            continue
        except RecursionError:
            records.append((number, CorruptDocumentError(row_name, f"line {lineno}: JSON nested too deeply")))
            continue
        if not isinstance(record, dict):
            records.append((number, CorruptDocumentError(row_name, f"line {lineno}: expected a JSON object")))
            continue
        if len(record) > limits.max_columns:
            raise _too_many_columns(name, len(record), limits)
        row = {str(k): "" if v is None else _text(v) for k, v in record.items()}
        columns.update(dict.fromkeys(row))
        records.append((number, row))
    return list(columns), records, encoding


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


# -------------------------------------------------------------------------------------------- xlsx


def _xlsx_records(data: bytes, name: str, limits: Limits) -> tuple[list[str], list[Record], None]:
    import openpyxl

    from auditnlp.readers.office import check_zip

    check_zip(data, name, limits, ".xlsx")
    _check_sheet_rows(data, name, limits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about missing styles and odd dates on stderr
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise CorruptDocumentError(name, f"cannot open as .xlsx: {type(exc).__name__}: {exc}") from None
        try:
            if not book.worksheets:
                raise CorruptDocumentError(name, "cannot open as .xlsx: the workbook has no sheets")
            rows = list(_sheet_rows(book, name, limits))
        finally:
            book.close()
    if not rows:
        raise EmptyDocumentError(name, "the workbook's first sheet is empty")
    header_index, header_cells = rows[0]
    width = max(header_cells, default=0)
    header = [str(header_cells.get(c, "")).strip() for c in range(1, width + 1)]
    records: list[Record] = []
    for index, cells in rows[1:]:
        values = {
            header[c - 1] if c <= len(header) else "": "" if v is None else str(v) for c, v in cells.items()
        }
        records.append((index - header_index, values))
    return header, records, None


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?row[\s>/]")


def _check_sheet_rows(data: bytes, name: str, limits: Limits) -> None:
    """Refuse a workbook with a sheet of more rows than the limit, counting ``<row>`` elements on the raw
    XML of every sheet before openpyxl opens it (openpyxl reads a whole sheet to learn its size)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                with archive.open(info) as part:
                    if _count_rows(part) > limits.max_rows + 1:
                        raise _too_many_rows(name, limits)


def _count_rows(source: Any) -> int:
    """The ``<row>`` elements of a sheet's XML stream, counted on the bytes (fast, without parsing)."""
    count, tail = 0, b""
    while chunk := source.read(1 << 20):
        buffer = tail + chunk
        edge = max(len(buffer) - 64, 0)
        count += len(_ROW_TAG.findall(buffer, 0, edge + 63)) - len(_ROW_TAG.findall(buffer, edge, edge + 63))
        tail = buffer[edge:]
    return count + len(_ROW_TAG.findall(tail))


def _sheet_rows(book: Any, name: str, limits: Limits) -> Iterator[tuple[int, dict[int, Any]]]:
    """(sheet row number, {column number: value}) for the non-empty rows of the first sheet, as written."""
    sheet = book.worksheets[0]
    try:
        from openpyxl.worksheet._reader import WorkSheetParser

        source = sheet._get_source()
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        parsed: Iterable[tuple[int, list[dict[str, Any]]]] = parser.parse()
        rows = ((i, {c["column"]: c["value"] for c in cells}) for i, cells in parsed)
    except (ImportError, AttributeError):  # another openpyxl: its public rows (it pads gaps)
        source = contextlib.nullcontext()
        rows = (
            (i, dict(enumerate(values, 1))) for i, values in enumerate(sheet.iter_rows(values_only=True), 1)
        )
    count = 0
    with source:
        for index, cells in rows:
            cells = {c: v for c, v in cells.items() if v is not None and v != ""}
            if not cells:
                continue
            if max(cells) > limits.max_columns:
                raise _too_many_columns(name, max(cells), limits)
            count += 1
            if count > limits.max_rows + 1:
                raise _too_many_rows(name, limits)
            yield index, cells


# --------------------------------------------------------------------------------------------- xls


def _xls_records(data: bytes, name: str, limits: Limits) -> tuple[list[str], list[Record], None]:
    """The first sheet of an Excel 97–2003 workbook (.xls), read with ``xlrd``."""
    try:
        import xlrd

        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet = book.sheet_by_index(0)
        if sheet.nrows > limits.max_rows + 1:
            raise _too_many_rows(name, limits)
        if sheet.ncols > limits.max_columns:
            raise _too_many_columns(name, sheet.ncols, limits)
        values = [sheet.row_values(i) for i in range(sheet.nrows)]
        book.release_resources()
    except InputError:
        raise
    except Exception as exc:  # xlrd raises XLRDError, struct.error, IndexError … on damaged files
        raise CorruptDocumentError(name, f"cannot open as .xls: {type(exc).__name__}: {exc}") from None
    if not values:
        raise EmptyDocumentError(name, "the workbook's first sheet is empty")
    header = [_cell(h) for h in values[0]]
    records: list[Record] = [
        (i, {h: _cell(v) for h, v in zip(header, row, strict=False)}) for i, row in enumerate(values[1:], 1)
    ]
    return header, records, None


def _cell(value: object) -> str:
    """A cell as text: whole floats without ``.0`` (xlrd reads every number as a float)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


# -------------------------------------------------------------------------------------------- rows


def read_table(
    data: bytes, name: str, fmt: str, text_column: str | None, limits: Limits | None = None
) -> Iterator[RawDocument | InputError]:
    """One document per row of a csv/tsv/xlsx/jsonl file (`text_column`, or a guessed one, holds the text);
    a row that cannot be read is its error."""
    limits = limits or Limits()
    encoding: str | None
    if fmt in {"csv", "tsv"}:
        columns, records, encoding = _csv_records(data, name, fmt, limits)
    elif fmt == "xlsx":
        columns, records, encoding = _xlsx_records(data, name, limits)
    elif fmt == "xls":
        columns, records, encoding = _xls_records(data, name, limits)
    else:
        columns, records, encoding = _jsonl_records(data, name, limits)
    if not records:
        raise EmptyDocumentError(name, "no rows")
    column = _pick_column(columns, text_column, name)
    for index, row in records:
        if isinstance(row, InputError):
            yield row
            continue
        text = clean_text(row.get(column) or "")
        fields = tuple(
            (key, clean_text(row[col].strip()))
            for key, candidates in META_COLUMNS.items()
            for col in candidates
            if col in row and row[col] and col != column
        )
        yield RawDocument(
            name,
            text,
            fmt,
            sha256_text(text),
            encoding,
            row=index,
            fields=_first_per_key(fields),
        )


def _first_per_key(fields: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for key, value in fields:
        seen.setdefault(key, value)
    return tuple(seen.items())
