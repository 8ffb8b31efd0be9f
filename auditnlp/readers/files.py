"""One file → decoded documents: the reader of each format, chosen from the one table of suffixes.

Every reader returns :class:`~auditnlp.readers.base.RawDocument` objects: the decoded source text plus
what the container knows (format, encoding, docx heading styles, spreadsheet columns). Containers (.csv,
.xlsx, .jsonl) yield one document per row. Failures raise :class:`~auditnlp.errors.InputError` subclasses
naming the file.
"""

from __future__ import annotations

from pathlib import Path

from auditnlp.errors import EmptyDocumentError, FileTooLargeError, InputError, UnsupportedFormatError
from auditnlp.readers.base import DEFAULT_MAX_BYTES, FORMATS, TABLE_FORMATS, RawDocument, sha256_bytes
from auditnlp.readers.encoding import decode_bytes


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
            f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit "
            "(raise it with --max-mb)",
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
    fmt = FORMATS.get(suffix)
    if not path.exists():
        raise InputError(str(path), "no such file")
    if fmt is None:
        raise UnsupportedFormatError(str(path), f"unsupported file type {suffix or '(none)'!r}")
    data = _read_bytes(path, max_bytes)
    name = str(path)
    if fmt == "txt":
        text, encoding = decode_bytes(data, name)
        return [RawDocument(name, text, "txt", sha256_bytes(data), encoding)]
    if fmt == "docx":
        from auditnlp.readers.office import read_docx

        return [read_docx(data, name, sha256_bytes(data))]
    if fmt == "pdf":
        from auditnlp.readers.pdf import read_pdf

        return [read_pdf(data, name, sha256_bytes(data))]
    if fmt == "html":
        from auditnlp.readers.html import read_html

        return [read_html(data, name, sha256_bytes(data))]
    assert fmt in TABLE_FORMATS
    from auditnlp.readers.tables import read_table

    return list(read_table(data, name, fmt, text_column))
