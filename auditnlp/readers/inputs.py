"""Files, folders and globs → paths → documents: every path is read or listed with a reason.

The one rule used by ``analyze``, ``compare`` and the library (:func:`expand_inputs`):

- a file named explicitly is read as given (whatever its name);
- a folder is searched recursively, in name order, following links to folders once; a glob's matches are
  taken like a folder's files (a matched folder is searched);
- inside a folder or glob, READMEs, manifests, licences, hidden (``.name``) and temporary Office
  (``~$name``) files are *skipped by rule*; a file of a type auditnlp does not read is listed as
  unsupported; a dangling link, a folder link that loops, an unreadable folder and a file reached twice are
  listed too. A name starting with ``_`` is read like any other (an office may name a report
  ``_草稿.docx``).

Each left-out path is an :class:`~auditnlp.errors.InputError` yielded in its place, so a caller can count
``analysed + listed`` and get every path a folder or glob holds.
"""

from __future__ import annotations

import glob
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePath
from typing import cast

from auditnlp.errors import (
    ConverterMissingError,
    CorruptDocumentError,
    DuplicateInputError,
    EmptyDocumentError,
    FileTooLargeError,
    InputError,
    LinkError,
    MissingInputError,
    SkippedInputError,
    UnsupportedFormatError,
)
from auditnlp.readers.base import DEFAULT_MAX_BYTES, FORMATS, Limits, RawDocument, too_large
from auditnlp.readers.files import iter_file
from auditnlp.readers.remote import expand_url, is_url


def skip_reason(path: PurePath) -> str | None:
    """Why a file found inside a folder or glob is skipped by rule, or ``None`` when it is read.

    READMEs, manifests and licences describe a corpus rather than hold a report; hidden files and the
    ``~$`` lock files of an open Office document are not documents; Markdown files are notes (read when
    named explicitly). A leading ``_`` does not skip a file.
    """
    name = path.name
    stem = path.stem.lower()
    if name.startswith("~$"):
        return "temporary lock file of an open Office document (~$…), not a report"
    if name.startswith("."):
        return "hidden file, not read (name it explicitly to read it)"
    if stem.startswith(("readme", "license", "licence")) or stem == "manifest":
        return "describes the corpus (README, manifest, licence), not a report"
    if path.suffix.lower() == ".md":
        return "Markdown notes, read only when named explicitly"
    return None


def _listed(path: Path) -> Path | InputError:
    """A file found in a folder or glob: the path to read, or why it is left out."""
    reason = skip_reason(path)
    if reason is not None:
        return SkippedInputError(str(path), reason)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        return UnsupportedFormatError(str(path), f"unsupported file type {suffix or '(no suffix)'!r}")
    return path


def _walk(
    folder: Path, ancestors: tuple[tuple[int, int], ...], seen: dict[tuple[int, int], str]
) -> Iterator[Path | InputError]:
    """Every entry under `folder`, sorted by name: files to read, and errors for what is left out."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        yield InputError(str(folder), f"cannot read the folder: {exc.strerror or exc}")
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=True)
            is_file = entry.is_file(follow_symlinks=True)
        except OSError as exc:
            is_link = path.is_symlink()
            yield _bad_link(path) if is_link else InputError(str(path), f"cannot read: {exc.strerror}")
            continue
        if is_link and not is_dir and not is_file:
            yield _bad_link(path)
            continue
        if is_dir:
            if entry.name.startswith("."):
                yield SkippedInputError(str(path), "hidden folder, not searched (name it to read it)")
                continue
            try:
                stat = entry.stat(follow_symlinks=True)
            except OSError as exc:
                yield InputError(str(path), f"cannot read the folder: {exc.strerror or exc}")
                continue
            key = (stat.st_dev, stat.st_ino)
            if key in ancestors:
                yield LinkError(str(path), "folder link loops back into its own tree, not searched again")
                continue
            if key in seen:
                yield DuplicateInputError(str(path), f"the same folder as {seen[key]}, already searched")
                continue
            seen[key] = str(path)
            yield from _walk(path, (*ancestors, key), seen)
        elif is_file:
            yield _listed(path)
        else:
            yield UnsupportedFormatError(str(path), "not a regular file (a device, pipe or socket)")


def _bad_link(path: Path) -> InputError:
    try:
        path.resolve(strict=True)
    except (RuntimeError, OSError) as exc:
        if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == 40:  # ELOOP
            return LinkError(str(path), "link loops (a link to itself or to a link back to it)")
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return LinkError(str(path), f"dangling link: its target {target!r} does not exist")


def expand_input(item: str | Path) -> list[Path | InputError]:
    """The paths of one input, each a file to read or an :class:`InputError` saying why it is left out.

    A file as given; a folder's entries (recursively, sorted); a glob's matches (a matched folder is
    searched). A pattern that matches nothing is one :class:`~auditnlp.errors.MissingInputError`.
    """
    text = str(item)
    if is_url(text):  # URLs stay strings (read_path takes them as they are)
        try:
            return cast("list[Path | InputError]", expand_url(text, _url_kept))
        except InputError as exc:
            return [exc]
    path = Path(text)
    if path.is_dir():
        stat = path.stat()
        key = (stat.st_dev, stat.st_ino)
        return list(_walk(path, (key,), {key: text}))
    if not path.exists() and not path.is_symlink() and any(ch in text for ch in "*?["):
        matches = sorted(glob.glob(text, recursive=True))
        if not matches:
            return [MissingInputError(text, "the pattern matches no file")]
        out: list[Path | InputError] = []
        for match in matches:
            found = Path(match)
            out.extend(expand_input(found) if found.is_dir() else [_listed(found)])
        return out
    return [path]


def _url_kept(path: PurePath) -> bool:
    """Whether a file found under a URL folder is read (the rule of a local folder's files)."""
    return skip_reason(path) is None and path.suffix.lower() in FORMATS


def expand_inputs(inputs: Iterable[str | Path]) -> Iterator[Path | InputError]:
    """Expand every input (see :func:`expand_input`); what is left out is yielded as its error.

    A file reached twice (named twice, or by a folder and a glob, or through a link) is read once; the
    second time it is a :class:`~auditnlp.errors.DuplicateInputError`.
    """
    seen: dict[str, str] = {}
    for item in inputs:
        for found in expand_input(item):
            if isinstance(found, Path):
                try:
                    key = str(found.resolve())
                except (OSError, RuntimeError):
                    key = str(found)
                if key in seen:
                    found = DuplicateInputError(str(found), f"the same file as {seen[key]}, read once")
                else:
                    seen[key] = str(found)
            yield found


def iter_documents(
    inputs: Iterable[str | Path],
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Limits | None = None,
) -> Iterator[RawDocument | InputError]:
    """Yield documents from files, folders and globs; a left-out or failing file yields its error instead."""
    for path in expand_inputs(inputs):
        if isinstance(path, InputError):
            yield path
            continue
        yield from read_path(path, text_column=text_column, max_bytes=max_bytes, limits=limits)


def read_path(
    path: str | Path,
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Limits | None = None,
) -> Iterator[RawDocument | InputError]:
    """The documents of one file (one per spreadsheet row), or the errors that stopped their reading: a
    damaged row is its own error, and the rows after it are read."""
    limits = limits or Limits(max_bytes=max_bytes)
    try:
        for doc in iter_file(path, text_column=text_column, limits=limits):
            if isinstance(doc, InputError):
                yield doc
            elif not doc.text.strip():
                yield EmptyDocumentError(doc.name, "the row's text is empty")
            elif (size := len(doc.text.encode("utf-8", "surrogatepass"))) > limits.max_bytes:
                yield FileTooLargeError(doc.name, too_large(size, limits.max_bytes))
            else:
                yield doc
    except InputError as exc:
        yield exc
    except Exception as exc:  # a reader must never end a batch; they wrap their own errors already
        yield CorruptDocumentError(str(path), f"cannot read: {type(exc).__name__}: {exc}")


def read_documents(
    inputs: Iterable[str | Path] | str | Path,
    *,
    text_column: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Limits | None = None,
) -> list[RawDocument]:
    """Read all documents, raising the first error (use :func:`iter_documents` to keep going).

    Files skipped by rule (a README in a folder) are not errors here.
    """
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    out = []
    for doc in iter_documents(inputs, text_column=text_column, max_bytes=max_bytes, limits=limits):
        if isinstance(doc, SkippedInputError):
            continue
        if isinstance(doc, InputError):
            raise doc
        out.append(doc)
    return out


ErrorLike = tuple[str, str, str]
"""(path, reason, error type name): one left-out input, as in the comparison's ``errors`` table."""

_KINDS: dict[str, str] = {
    SkippedInputError.__name__: "skipped by rule",
    DuplicateInputError.__name__: "duplicate",
    "Duplicate": "duplicate",  # the same text read from two files (auditnlp.corpus.identity)
    MissingInputError.__name__: "not found",
    EmptyDocumentError.__name__: "empty",
    FileTooLargeError.__name__: "too large",
    LinkError.__name__: "bad link",
    "CorruptDocumentError": "corrupt",
    "BinaryFileError": "unreadable",
    "EncodingDetectionError": "unreadable",
    "InputError": "unreadable",
    "InternalError": "failed in analysis",
}


def is_failure(error_type: str) -> bool:
    """Whether a left-out input counts as a failure (exit code 1); a file skipped by rule does not."""
    return error_type != SkippedInputError.__name__


def accounting(analysed: int, errors: Sequence[ErrorLike], *, where: str = "see errors") -> str:
    """The final line of a batch: ``480 analysed, 17 not: 12 .doc (see errors), 3 skipped by rule, 2 empty``.

    Unsupported types (and formats whose converter is missing) are counted by suffix; other reasons by
    kind. `analysed` counts documents (one per spreadsheet row); `errors` one per left-out input.
    """
    if not errors:
        return f"{analysed} analysed"
    kinds: Counter[str] = Counter()
    for path, _reason, error_type in errors:
        if error_type in {UnsupportedFormatError.__name__, ConverterMissingError.__name__}:
            suffix = Path(path.split("#", 1)[0]).suffix.lower() or "no suffix"
            kinds[suffix] += 1
        else:
            kinds[_KINDS.get(error_type, "failed")] += 1
    parts = [f"{n} {kind}" for kind, n in kinds.most_common()]
    return f"{analysed} analysed, {len(errors)} not: {', '.join(parts)} ({where})"
