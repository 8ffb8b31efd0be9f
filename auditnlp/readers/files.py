"""One file → decoded documents: the reader of each format, chosen from the one table of suffixes.

Every reader returns :class:`~auditnlp.readers.base.RawDocument` objects: the decoded source text plus
what the container knows (format, encoding, docx heading styles, spreadsheet columns). Containers (.csv,
.xlsx, .jsonl) yield one document per row, and a row that cannot be read is an error of its own. Failures
are :class:`~auditnlp.errors.InputError` subclasses naming the file: a reader never lets another
exception out, whatever the bytes, and every limit of :class:`~auditnlp.readers.base.Limits` is checked
before the part it guards is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from auditnlp.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    FileTooLargeError,
    InputError,
    LimitError,
    LinkError,
    MissingInputError,
    UnsupportedFormatError,
)
from auditnlp.readers.base import (
    CONTAINER_FACTOR,
    DEFAULT_MAX_BYTES,
    FORMATS,
    TABLE_FORMATS,
    Limits,
    RawDocument,
    sha256_bytes,
    too_large,
)
from auditnlp.readers.encoding import decode_bytes, plausibility

_WHAT = {"txt": "text", "docx": ".docx", "pdf": "PDF", "html": "HTML", "csv": "CSV", "tsv": "TSV",
         "xlsx": ".xlsx", "xls": ".xls", "jsonl": "JSON Lines", "doc": ".doc", "wps": ".wps", "odt": ".odt",
         "rtf": ".rtf", "image": "an image"}  # fmt: skip


def _read_bytes(path: Path, limit: int, max_bytes: int, what: str) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MissingInputError(str(path), "no such file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise InputError(str(path), "is a folder (use read_documents to read a folder)")
    if size > limit:
        raise FileTooLargeError(str(path), too_large(size, max_bytes, what=what))
    if size == 0:
        raise EmptyDocumentError(str(path), "the file is empty")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None


PLAIN_FORMATS = frozenset({"txt", "html"})
"""Formats whose file is (about) its text: the text limit applies to the file before it is read."""


def read_file(
    path: str | Path,
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Limits | None = None,
) -> list[RawDocument]:
    """Read one file (a path, or a URL: :mod:`auditnlp.readers.remote`); a spreadsheet or JSONL file gives
    one document per row.

    `max_bytes` limits each document's extracted text (UTF-8), not the file with its pictures: a .docx
    full of photos is read as long as its text fits; a container file is refused unopened only when it is
    over :data:`~auditnlp.readers.base.CONTAINER_FACTOR` times the limit. `limits` (default:
    ``Limits(max_bytes=max_bytes)``) bounds the rest of what a file may expand to. Raises the first error,
    a damaged row of a spreadsheet included (:func:`iter_file` goes on past it).
    """
    docs = []
    for doc in iter_file(path, text_column=text_column, max_bytes=max_bytes, limits=limits):
        if isinstance(doc, InputError):
            raise doc
        docs.append(doc)
    return docs


def iter_file(
    path: str | Path,
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Limits | None = None,
) -> Iterator[RawDocument | InputError]:
    """The documents of one file (a path, or a URL: :mod:`auditnlp.readers.remote`); a spreadsheet row
    that cannot be read yields its error and the rows after it go on. Raises
    :class:`~auditnlp.errors.InputError` when the file as a whole cannot be read."""
    from auditnlp.readers.remote import is_url, read_url

    limits = limits or Limits(max_bytes=max_bytes)
    if isinstance(path, str) and is_url(path):  # a URL: read through fsspec, with a local file's limits
        name = path
        suffix = PurePosixPath(path).suffix.lower()
        fmt = FORMATS.get(suffix)
        if fmt is None:
            raise UnsupportedFormatError(name, f"unsupported file type {suffix or '(none)'!r}")
        plain = fmt in PLAIN_FORMATS
        data = read_url(name, limits.max_bytes if plain else limits.max_bytes * CONTAINER_FACTOR)
    else:
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
        limit = limits.max_bytes if plain else limits.max_bytes * CONTAINER_FACTOR
        data = _read_bytes(
            path, limit, limits.max_bytes, "the file" if plain else "the file (before its text is extracted)"
        )
        name = str(path)
    if fmt in TABLE_FORMATS:
        yield from _guarded(_rows(data, name, fmt, text_column, limits), name, fmt)
        return
    doc = _one(data, name, fmt, suffix, limits)
    if fmt != "txt" and plausibility(doc.text) < 0.6:  # .txt files were checked while decoded
        raise CorruptDocumentError(
            name, f"not a readable {suffix} file: its text is mostly characters no report holds"
        )
    size = len(doc.text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise FileTooLargeError(name, too_large(size, limits.max_bytes))
    yield doc


def _one(data: bytes, name: str, fmt: str, suffix: str, limits: Limits) -> RawDocument:
    digest = sha256_bytes(data)
    try:
        if fmt == "txt":
            text, encoding = decode_bytes(data, name)
            return RawDocument(name, text, "txt", digest, encoding)
        if fmt == "docx":
            from auditnlp.readers.office import read_docx

            return read_docx(data, name, digest, limits)
        if fmt in {"doc", "wps"}:
            from auditnlp.readers.office import read_converted

            return read_converted(data, name, digest, suffix, fmt, limits)
        if fmt == "odt":
            from auditnlp.readers.office import read_odt

            return read_odt(data, name, digest, limits)
        if fmt == "rtf":
            from auditnlp.readers.office import read_rtf

            return read_rtf(data, name, digest)
        if fmt == "pdf":
            from auditnlp.readers.pdf import read_pdf

            return read_pdf(data, name, digest, limits=limits)
        if fmt == "image":
            from auditnlp.readers.ocr import read_image

            return read_image(data, name, digest)
        from auditnlp.readers.html import read_html

        return read_html(data, name, digest)
    except InputError:
        raise
    except Exception as exc:  # whatever a library raises on damaged bytes is one error naming the file
        raise _corrupt(exc, name, fmt) from None


def _rows(
    data: bytes, name: str, fmt: str, text_column: str | None, limits: Limits
) -> Iterator[RawDocument | InputError]:
    from auditnlp.readers.tables import read_table

    yield from read_table(data, name, fmt, text_column, limits)


def _guarded(
    items: Iterator[RawDocument | InputError], name: str, fmt: str
) -> Iterator[RawDocument | InputError]:
    """`items`, with any exception other than an InputError turned into one naming the file."""
    try:
        yield from items
    except InputError:
        raise
    except Exception as exc:
        raise _corrupt(exc, name, fmt) from None


def _corrupt(exc: BaseException, name: str, fmt: str) -> InputError:
    what = _WHAT.get(fmt, fmt)
    if isinstance(exc, RecursionError):
        return CorruptDocumentError(name, f"cannot read as {what}: nested too deeply")
    if isinstance(exc, MemoryError):
        return LimitError(name, f"reading it as {what} ran out of memory (lower the limits, e.g. --max-mb)")
    detail = str(exc) or "no detail"
    return CorruptDocumentError(name, f"cannot read as {what}: {type(exc).__name__}: {detail}")
