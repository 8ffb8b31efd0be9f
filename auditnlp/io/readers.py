"""Reading report files into decoded documents.

Every reader returns :class:`RawDocument` objects: the decoded source text plus what the container knows
(format, encoding, docx heading styles, spreadsheet columns). Containers (.csv, .xlsx, .jsonl) yield one
document per row. Failures raise :class:`~auditnlp.errors.InputError` subclasses naming the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from auditnlp.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    FileTooLargeError,
    InputError,
    UnsupportedFormatError,
)
from auditnlp.io.encoding import decode_bytes

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".text", ".md"}
TABLE_SUFFIXES = {".csv", ".tsv", ".xlsx", ".jsonl", ".ndjson"}
SUFFIXES = TEXT_SUFFIXES | TABLE_SUFFIXES | {".docx", ".pdf", ".html", ".htm"}
TEXT_COLUMN_GUESSES = ("full_text", "content", "text", "body", "正文", "全文", "内容")
META_COLUMNS = {
    "title": ("title", "标题", "题目"),
    "unit": ("unit", "province", "单位", "省份", "地区"),
    "year": ("year", "年份", "年度"),
}


@dataclass(frozen=True, slots=True)
class RawDocument:
    """A decoded document before analysis."""

    path: str
    text: str
    format: str
    sha256: str
    encoding: str | None = None
    row: int | None = None
    headings: tuple[tuple[str, int], ...] = ()
    """Paragraph texts that the container marks as headings, with their level (0 = title)."""
    fields: tuple[tuple[str, str], ...] = ()
    """Metadata columns of a spreadsheet row (title, unit, year, …)."""

    @property
    def name(self) -> str:
        """A display name: the path, with ``#row`` for a spreadsheet row."""
        return f"{self.path}#{self.row}" if self.row is not None else self.path


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    if path.is_dir():
        raise InputError(str(path), "is a folder (use read_documents to read a folder)")
    if size > max_bytes:
        raise FileTooLargeError(
            str(path),
            f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit (raise max_bytes)",
        )
    if size == 0:
        raise EmptyDocumentError(str(path), "the file is empty")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None


def read_file(
    path: str | Path,
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[RawDocument]:
    """Read one file; a spreadsheet or JSONL file gives one document per row."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnsupportedFormatError(str(path), f"unsupported file type {suffix or '(none)'!r}")
    data = _read_bytes(path, max_bytes)
    digest = _sha256(data)
    name = str(path)
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_bytes(data, name)
        return [RawDocument(name, text, "txt", digest, encoding)]
    if suffix == ".docx":
        return [_read_docx(data, name, digest)]
    if suffix == ".pdf":
        return [_read_pdf(data, name, digest)]
    if suffix in {".html", ".htm"}:
        return [_read_html(data, name, digest)]
    return list(_read_table(data, name, suffix, text_column))


def _read_docx(data: bytes, name: str, digest: str) -> RawDocument:
    import zipfile

    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptDocumentError(name, f"cannot open as .docx: {exc}") from None
    except Exception as exc:  # python-docx raises assorted lxml/package errors on damaged files
        raise CorruptDocumentError(name, f"cannot open as .docx: {type(exc).__name__}: {exc}") from None
    lines: list[str] = []
    headings: list[tuple[str, int]] = []
    # one lookup table: `Paragraph.style` scans every style of the document for every paragraph
    style_names = {style.style_id: style.name or "" for style in document.styles}
    default_style = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default_style.name or "") if default_style is not None else ""
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = para.text
            style_id = child.style
            style = style_names.get(style_id, default_name) if style_id else default_name
            level = _heading_level(style)
            if level is not None and text.strip():
                headings.append((text.strip(), level))
            lines.append(text)
        elif tag == "tbl":
            table = Table(child, document)
            for row in table.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = cell.text.strip().replace("\n", " ")
                    if not cells or cells[-1] != value:  # merged cells repeat their text
                        cells.append(value)
                if any(cells):
                    lines.append(" | ".join(cells))
    text = "\n".join(lines)
    if not text.strip():
        raise EmptyDocumentError(name, "the .docx holds no text")
    return RawDocument(name, text, "docx", digest, None, headings=tuple(headings))


def _heading_level(style: str) -> int | None:
    lowered = style.lower()
    if lowered in {"title", "标题"}:
        return 0
    for prefix in ("heading ", "标题 "):
        if lowered.startswith(prefix) and lowered[len(prefix) :].strip().isdigit():
            return int(lowered[len(prefix) :])
    return None


def _read_pdf(data: bytes, name: str, digest: str) -> RawDocument:
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = [page.extract_text() or "" for page in pdf.pages]
    except Exception as exc:  # pdfminer raises many exception types on damaged files
        raise CorruptDocumentError(name, f"cannot read PDF: {type(exc).__name__}: {exc}") from None
    text = "\n".join(pages)
    if not text.strip():
        raise EmptyDocumentError(name, "the PDF has no text layer (scanned? run OCR first)")
    return RawDocument(name, text, "pdf", digest, None)


def _read_html(data: bytes, name: str, digest: str) -> RawDocument:
    from bs4 import BeautifulSoup

    decoded, encoding = decode_bytes(data, name)
    soup = BeautifulSoup(decoded, "html.parser")
    for tag in soup(["script", "style", "noscript", "head", "nav", "footer"]):
        tag.decompose()
    text = soup.get_text("\n")
    if not text.strip():
        raise EmptyDocumentError(name, "the HTML page has no visible text")
    return RawDocument(name, text, "html", digest, encoding)


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


def _rows(data: bytes, name: str, suffix: str) -> tuple[list[dict[str, str]], str | None]:
    if suffix in {".csv", ".tsv"}:
        text, encoding = decode_bytes(data, name)
        csv.field_size_limit(1 << 30)
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        try:
            return [dict(r) for r in reader], encoding
        except csv.Error as exc:
            raise CorruptDocumentError(name, f"malformed CSV: {exc}") from None
    if suffix == ".xlsx":
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


def _read_table(data: bytes, name: str, suffix: str, text_column: str | None) -> Iterator[RawDocument]:
    rows, encoding = _rows(data, name, suffix)
    if not rows:
        raise EmptyDocumentError(name, "no rows")
    columns = [c.lstrip("\ufeff") for c in rows[0]]
    rows = [{k.lstrip("\ufeff"): v for k, v in r.items() if k is not None} for r in rows]
    column = _pick_column(columns, text_column, name)
    fmt = suffix.lstrip(".")
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
            _sha256(text.encode("utf-8")),
            encoding,
            row=index,
            fields=_first_per_key(fields),
        )


def _first_per_key(fields: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for key, value in fields:
        seen.setdefault(key, value)
    return tuple(seen.items())


def _in_folder(path: Path, *, tables: bool) -> bool:
    """Whether a file found inside a folder is a report to read.

    READMEs, hidden and temporary files are skipped; spreadsheets only when a text column is named
    (a folder of reports often carries a manifest.csv).
    """
    suffix = path.suffix.lower()
    stem = path.stem.lower()
    if path.name.startswith((".", "~$", "_")) or stem.startswith("readme") or stem in {"manifest", "license"}:
        return False
    if suffix in TABLE_SUFFIXES:
        return tables
    return suffix in SUFFIXES and suffix != ".md"


def expand_inputs(inputs: Iterable[str | Path], *, tables: bool = True) -> Iterator[Path]:
    """Expand files, folders (recursively, sorted; see :func:`_in_folder`) and glob patterns."""
    import glob

    for item in inputs:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if _in_folder(child, tables=tables):
                    yield child
        elif not path.exists() and any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise InputError(text, "the pattern matches no file")
            yield from (Path(m) for m in matches if Path(m).is_file())
        else:
            yield path


def iter_documents(
    inputs: Iterable[str | Path],
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[RawDocument | InputError]:
    """Yield documents from files, folders and globs; a failing file yields its error instead."""
    try:
        paths = list(expand_inputs(inputs, tables=text_column is not None))
    except InputError as exc:
        yield exc
        return
    for path in paths:
        try:
            docs = read_file(path, text_column=text_column, max_bytes=max_bytes)
        except InputError as exc:
            yield exc
            continue
        for doc in docs:
            if not doc.text.strip():
                yield EmptyDocumentError(doc.name, "the row's text is empty")
            else:
                yield doc


def read_documents(
    inputs: Iterable[str | Path] | str | Path,
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[RawDocument]:
    """Read all documents, raising the first error (use :func:`iter_documents` to keep going)."""
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    out = []
    for doc in iter_documents(inputs, text_column=text_column, max_bytes=max_bytes):
        if isinstance(doc, InputError):
            raise doc
        out.append(doc)
    return out
