"""What every reader returns, and the one table of file types auditnlp reads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "txt",
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".tsv": "tsv",
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
"""File suffix → reader format. The one table of what auditnlp reads."""
TABLE_FORMATS = frozenset({"csv", "tsv", "xlsx", "jsonl"})
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
