"""Files, folders and globs → paths → documents; one failing input never stops the others."""

from __future__ import annotations

import glob
from collections.abc import Iterable, Iterator
from pathlib import Path

from auditnlp.errors import EmptyDocumentError, InputError
from auditnlp.readers.base import DEFAULT_MAX_BYTES, FORMATS, RawDocument
from auditnlp.readers.files import read_file


def in_folder(path: Path) -> bool:
    """Whether a file found inside a folder is a report to read.

    READMEs, manifests, licences, hidden and temporary files are skipped: they describe a corpus rather
    than hold a report. Everything else with a known suffix is read, spreadsheets included (their text
    column is named with ``--text-column`` or guessed).
    """
    suffix = path.suffix.lower()
    stem = path.stem.lower()
    if path.name.startswith((".", "~$", "_")) or stem.startswith("readme") or stem in {"manifest", "license"}:
        return False
    return suffix in FORMATS and suffix != ".md"


def expand_input(item: str | Path) -> list[Path]:
    """The files of one input: a file as given, a folder's reports (recursively, sorted), a glob's matches.

    Raises :class:`~auditnlp.errors.InputError` for a pattern that matches no file.
    """
    text = str(item)
    path = Path(text)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and in_folder(p))
    if not path.exists() and any(ch in text for ch in "*?["):
        matches = sorted(glob.glob(text, recursive=True))
        if not matches:
            raise InputError(text, "the pattern matches no file")
        return [Path(m) for m in matches if Path(m).is_file()]
    return [path]


def expand_inputs(inputs: Iterable[str | Path]) -> Iterator[Path | InputError]:
    """Expand every input (see :func:`expand_input`); a failing input yields its error, the rest go on."""
    for item in inputs:
        try:
            yield from expand_input(item)
        except InputError as exc:
            yield exc


def iter_documents(
    inputs: Iterable[str | Path],
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[RawDocument | InputError]:
    """Yield documents from files, folders and globs; a failing file yields its error instead."""
    for path in expand_inputs(inputs):
        if isinstance(path, InputError):
            yield path
            continue
        yield from read_path(path, text_column=text_column, max_bytes=max_bytes)


def read_path(
    path: str | Path, *, text_column: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[RawDocument | InputError]:
    """The documents of one file (one per spreadsheet row), or the error that stopped its reading."""
    try:
        docs = read_file(path, text_column=text_column, max_bytes=max_bytes)
    except InputError as exc:
        yield exc
        return
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
