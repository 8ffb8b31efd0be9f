"""What every reader returns, and the one table of file types auditnlp reads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import regex

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""The size limit of one document's extracted text (``--max-mb``)."""
CONTAINER_FACTOR = 50
"""A file whose text comes out of a container (.docx with pictures, a PDF, a scan) may be this many times
the text limit before it is refused unopened; its extracted text must still fit the limit."""
DEFAULT_MAX_PARTS = 10_000
DEFAULT_MAX_PAGES = 2_000
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_COLUMNS = 1_000
FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "txt",
    ".docx": "docx",
    ".doc": "doc",
    ".wps": "wps",
    ".rtf": "rtf",
    ".odt": "odt",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".tsv": "tsv",
    ".xlsx": "xlsx",
    ".xls": "xls",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
    ".bmp": "image",
}
"""File suffix → reader format. The one table of what auditnlp reads."""
TABLE_FORMATS = frozenset({"csv", "tsv", "xlsx", "xls", "jsonl"})
"""Formats that hold one report per row."""
TEXT_COLUMN_GUESSES = ("full_text", "content", "text", "body", "正文", "全文", "内容")
META_COLUMNS = {
    "title": ("title", "标题", "题目"),
    "unit": ("unit", "province", "单位", "省份", "地区"),
    "year": ("year", "年份", "年度"),
    "period": ("period", "期间", "时期", "报告期"),
}
"""Metadata columns of a spreadsheet row: field → accepted column names, first found wins."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one input may expand to; each limit is checked before the part it guards is read.

    A file over a limit is one error naming the file and the command-line option that raises the limit
    (``--max-mb`` for `max_bytes`, ``--max-unzipped-mb``, ``--max-parts``, ``--max-pages``, ``--max-rows``,
    ``--max-columns``). `max_bytes` bounds the text read from a file (UTF-8 bytes), and a container file at
    :data:`CONTAINER_FACTOR` times that.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_unzipped_bytes: int | None = None
    """Total uncompressed size of the XML parts of a .docx or .xlsx (what gets parsed); ``None``: 20 ×
    `max_bytes`. All parts together (pictures too) may expand to :data:`CONTAINER_FACTOR` × `max_bytes`."""
    max_parts: int = DEFAULT_MAX_PARTS
    """Members of a .docx or .xlsx."""
    max_pages: int = DEFAULT_MAX_PAGES
    """Pages of a PDF."""
    max_rows: int = DEFAULT_MAX_ROWS
    """Rows of a .csv, .tsv, .xlsx, .xls or .jsonl file."""
    max_columns: int = DEFAULT_MAX_COLUMNS
    """Columns of a spreadsheet row."""

    @property
    def unzipped(self) -> int:
        """The effective limit on the uncompressed size of a zip container's XML parts."""
        return self.max_unzipped_bytes if self.max_unzipped_bytes is not None else 20 * self.max_bytes


def megabytes(size: int) -> str:
    """A size for a message: ``12.3 MB`` (``0.2 MB``, never ``0 MB`` for a limit above zero)."""
    mb = size / 2**20
    return f"{mb:.1f} MB" if mb < 100 else f"{mb:,.0f} MB"


_SURROGATE = regex.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` with lone surrogates (JSON escapes, ``_xD800_`` cells) replaced by U+FFFD, one for one."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


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
    removals: tuple[tuple[int, int, str], ...] = ()
    """Spans of `text` (start, end, kind) that the reader found to be page chrome (a PDF's headers,
    footers and page numbers): each stands on a line of its own and is left out of the analysed text."""
    warnings: tuple[str, ...] = ()
    """What the reader noticed about the file's quality (a broken text layer, text read by OCR)."""
    ocr: bool = False
    """Whether (some of) the text was recognised by OCR, so names and numbers may be misread."""

    @property
    def name(self) -> str:
        """A display name: the path, with ``#row`` for a spreadsheet row."""
        return display_name(self.path, self.row)


def display_name(path: str, row: int | None) -> str:
    """``path`` or ``path#row`` for one row of a spreadsheet: the one way a document is named."""
    return f"{path}#{row}" if row is not None else path


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """Hex SHA-256 of `text` as UTF-8 (lone surrogates are replaced, never an error)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def too_large(size: int, max_bytes: int, *, what: str = "the extracted text") -> str:
    """The one message for a size over the limit; it names the option that raises it."""
    return (
        f"{what} is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.3g} MB limit "
        "(raise it with --max-mb, or Options(max_bytes=…))"
    )
