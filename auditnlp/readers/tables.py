"""Spreadsheets and row files (.csv, .tsv, .xlsx, .jsonl): one document per row."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import threading
from collections.abc import Iterable, Iterator

from auditnlp.errors import CorruptDocumentError, EmptyDocumentError, InputError
from auditnlp.readers.base import META_COLUMNS, TEXT_COLUMN_GUESSES, RawDocument, sha256_text
from auditnlp.readers.encoding import decode_bytes

_CSV_LIMIT_LOCK = threading.Lock()


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


def _rows(data: bytes, name: str, fmt: str) -> tuple[list[dict[str, str]], str | None]:
    if fmt in {"csv", "tsv"}:
        text, encoding = decode_bytes(data, name)
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",")
        try:
            with _csv_field_limit(len(text) + 1):
                return [dict(r) for r in reader], encoding
        except csv.Error as exc:
            raise CorruptDocumentError(name, f"malformed CSV: {exc}") from None
    if fmt == "xlsx":
        try:
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise CorruptDocumentError(name, f"cannot open as .xlsx: {type(exc).__name__}: {exc}") from None
        sheet = book.worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        book.close()
        if not values:
            raise EmptyDocumentError(name, "the workbook's first sheet is empty")
        header = [str(h) if h is not None else "" for h in values[0]]
        rows = [
            {h: ("" if v is None else str(v)) for h, v in zip(header, row, strict=False)}
            for row in values[1:]
        ]
        return rows, None
    if fmt == "xls":
        return _xls_rows(data, name), None
    text, encoding = decode_bytes(data, name)
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorruptDocumentError(name, f"line {lineno}: invalid JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise CorruptDocumentError(name, f"line {lineno}: expected a JSON object")
        rows.append({k: "" if v is None else str(v) for k, v in record.items()})
    return rows, encoding


def _xls_rows(data: bytes, name: str) -> list[dict[str, str]]:
    """The first sheet of an Excel 97–2003 workbook (.xls), read with ``xlrd``."""
    try:
        import xlrd

        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet = book.sheet_by_index(0)
        values = [sheet.row_values(i) for i in range(sheet.nrows)]
        book.release_resources()
    except Exception as exc:  # xlrd raises XLRDError, struct.error, IndexError … on damaged files
        raise CorruptDocumentError(name, f"cannot open as .xls: {type(exc).__name__}: {exc}") from None
    if not values:
        raise EmptyDocumentError(name, "the workbook's first sheet is empty")
    header = [_cell(h) for h in values[0]]
    return [{h: _cell(v) for h, v in zip(header, row, strict=False)} for row in values[1:]]


def _cell(value: object) -> str:
    """A cell as text: whole floats without ``.0`` (xlrd reads every number as a float)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def read_table(data: bytes, name: str, fmt: str, text_column: str | None) -> Iterator[RawDocument]:
    """One document per row of a csv/tsv/xlsx/jsonl file; `text_column` (or a guessed one) holds the text."""
    rows, encoding = _rows(data, name, fmt)
    if not rows:
        raise EmptyDocumentError(name, "no rows")
    columns = [c.lstrip("\ufeff") for c in rows[0]]
    rows = [{k.lstrip("\ufeff"): v for k, v in r.items() if k is not None} for r in rows]
    column = _pick_column(columns, text_column, name)
    for index, row in enumerate(rows, 1):
        text = row.get(column) or ""
        fields = tuple(
            (key, row[col].strip())
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
