"""One file → decoded documents: the reader of each format, chosen from the one table of suffixes.

Every reader returns :class:`~auditnlp.readers.base.RawDocument` objects: the decoded source text plus
what the container knows (format, encoding, docx heading styles, spreadsheet columns). Containers (.csv,
.xlsx, .jsonl) yield one document per row. Failures raise :class:`~auditnlp.errors.InputError` subclasses
naming the file.
"""

from __future__ import annotations

from pathlib import Path

from auditnlp.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    FileTooLargeError,
    InputError,
    LinkError,
    MissingInputError,
    UnsupportedFormatError,
)
from auditnlp.readers.base import (
    CONTAINER_FACTOR,
    DEFAULT_MAX_BYTES,
    FORMATS,
    TABLE_FORMATS,
    RawDocument,
    sha256_bytes,
    too_large,
)
from auditnlp.readers.encoding import decode_bytes, plausibility


def _read_bytes(path: Path, limit: int, max_bytes: int, what: str) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MissingInputError(str(path), "no such file") from None
    if path.is_dir():
        raise InputError(str(path), "is a folder (use read_documents to read a folder)")
    if size > limit:
        raise FileTooLargeError(str(path), too_large(size, max_bytes, what=what))
    if size == 0:
        raise EmptyDocumentError(str(path), "the file is empty")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None


PLAIN_FORMATS = frozenset({"txt", "html"})
"""Formats whose file is (about) its text: the text limit applies to the file before it is read."""


def read_file(
    path: str | Path,
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[RawDocument]:
    """Read one file; a spreadsheet or JSONL file gives one document per row.

    `max_bytes` limits each document's extracted text (UTF-8), not the file with its pictures: a .docx
    full of photos is read as long as its text fits; a container file is refused unopened only when it is
    over :data:`~auditnlp.readers.base.CONTAINER_FACTOR` times the limit.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    fmt = FORMATS.get(suffix)
    if not path.exists():
        if path.is_symlink():
            raise LinkError(str(path), "dangling link: its target does not exist")
        raise MissingInputError(str(path), "no such file")
    if fmt is None:
        raise UnsupportedFormatError(str(path), f"unsupported file type {suffix or '(none)'!r}")
    plain = fmt in PLAIN_FORMATS
    limit = max_bytes if plain else max_bytes * CONTAINER_FACTOR
    data = _read_bytes(
        path, limit, max_bytes, "the file" if plain else "the file (before its text is extracted)"
    )
    name = str(path)
    docs = _read(data, name, fmt, suffix, text_column)
    if fmt not in TABLE_FORMATS:
        for doc in docs:
            if fmt != "txt" and plausibility(doc.text) < 0.6:  # .txt files were checked while decoded
                raise CorruptDocumentError(
                    name, f"not a readable {suffix} file: its text is mostly characters no report holds"
                )
            size = len(doc.text.encode("utf-8", "surrogatepass"))
            if size > max_bytes:
                raise FileTooLargeError(name, too_large(size, max_bytes))
    return docs


def _read(data: bytes, name: str, fmt: str, suffix: str, text_column: str | None) -> list[RawDocument]:
    digest = sha256_bytes(data)
    if fmt == "txt":
        text, encoding = decode_bytes(data, name)
        return [RawDocument(name, text, "txt", digest, encoding)]
    if fmt == "docx":
        from auditnlp.readers.office import read_docx

        return [read_docx(data, name, digest)]
    if fmt in {"doc", "wps"}:
        from auditnlp.readers.office import read_converted

        return [read_converted(data, name, digest, suffix, fmt)]
    if fmt == "odt":
        from auditnlp.readers.office import read_odt

        return [read_odt(data, name, digest)]
    if fmt == "rtf":
        from auditnlp.readers.office import read_rtf

        return [read_rtf(data, name, digest)]
    if fmt == "pdf":
        from auditnlp.readers.pdf import read_pdf

        return [read_pdf(data, name, digest)]
    if fmt == "image":
        from auditnlp.readers.ocr import read_image

        return [read_image(data, name, digest)]
    if fmt == "html":
        from auditnlp.readers.html import read_html

        return [read_html(data, name, digest)]
    assert fmt in TABLE_FORMATS
    from auditnlp.readers.tables import read_table

    return list(read_table(data, name, fmt, text_column))
