"""Inputs named by URL (``file://``, and whatever protocols the installed fsspec knows: ``s3://`` …).

Archives live on shared storage as often as on a local disk. An input that looks like a URL is listed and
read through `fsspec <https://filesystem-spec.readthedocs.io>`_ (installed with the ``dask`` extra);
local paths never touch it. A URL folder yields the files a local folder would (the same
:func:`~auditnlp.readers.inputs.in_folder` rule), as URLs, so a worker on another machine reads them
the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import IO, Any

import regex

from auditnlp.errors import InputError

_URL = regex.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]{1,20}://")


def is_url(source: str) -> bool:
    """Whether `source` names a URL (``scheme://…``) rather than a local path."""
    return bool(_URL.match(source))


def _fs(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise InputError(url, "reading URLs needs fsspec: pip install 'auditnlp[dask]'") from None
    try:
        return fsspec.core.url_to_fs(url)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as exc:
        raise InputError(url, f"cannot open this URL: {exc}") from None


def open_input(source: str) -> IO[bytes]:
    """An input's bytes as a binary file object (a local path or a URL)."""
    if is_url(source):
        fs, path = _fs(source)
        return fs.open(path, "rb")  # type: ignore[no-any-return]
    return open(source, "rb")


def expand_url(url: str, keep: Callable[[PurePosixPath], bool]) -> list[str]:
    """The files of a URL: itself, a folder's files that `keep` accepts (recursively, sorted) or a glob's
    matches."""
    fs, path = _fs(url)
    try:
        if fs.isdir(path):
            found = sorted(p for p in fs.find(path) if keep(PurePosixPath(p)))
        elif any(ch in path for ch in "*?["):
            found = sorted(p for p in fs.glob(path) if fs.isfile(p))
            if not found:
                raise InputError(url, "the pattern matches no file")
        else:
            return [url]
    except OSError as exc:
        raise InputError(url, f"cannot list: {exc}") from None
    return [fs.unstrip_protocol(p) for p in found]


def read_url(url: str, max_bytes: int) -> bytes:
    """The bytes of the file at `url`, with the checks of a local file (missing, too large, empty)."""
    from auditnlp.errors import EmptyDocumentError, FileTooLargeError

    fs, path = _fs(url)
    try:
        if not fs.exists(path):
            raise InputError(url, "no such file")
        size = fs.size(path)
        if size is not None and size > max_bytes:
            raise FileTooLargeError(
                url,
                f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit "
                "(raise it with --max-mb)",
            )
        if size == 0:
            raise EmptyDocumentError(url, "the file is empty")
        return fs.cat_file(path)  # type: ignore[no-any-return]
    except OSError as exc:
        raise InputError(url, f"cannot read: {exc}") from None
