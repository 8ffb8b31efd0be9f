"""Writing outputs safely: checked before the analysis, written atomically, never over an input.

:func:`check_output` (:func:`check_outputs` for several outputs of one run) refuses, before any work
is done, an output that would replace an input or the manifest, a folder given as a file (or a file as a
folder), a folder holding files that are not ours, and a target that cannot be written.
:func:`atomic_file` and :func:`atomic_folder` write to a temporary file or folder beside the target and
put it in place with one rename, so an interrupted run leaves the previous output whole. A target that is
a device or a pipe (``/dev/stdout``) is written directly.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditnlp.errors import OutputError

FOLDER_FORMATS = frozenset({"csv", "parquet"})
"""Formats written as a folder of one file per table."""
SITE = "site"
"""The review site: a folder of pages (checked like a folder format)."""


def _resolved(path: str | Path) -> Path:
    return Path(os.path.abspath(os.path.expanduser(str(path)))).resolve()


def is_special(path: Path) -> bool:
    """A device, pipe or socket (written directly, never replaced)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def check_output(
    path: str | Path,
    fmt: str,
    *,
    protected: Iterable[str | Path] = (),
    ours: Iterable[str] = (),
) -> Path:
    """Refuse an output that cannot or must not be written; return its path.

    `protected` are the files the run reads (inputs, manifest): the output may be none of them and, for a
    folder format, may not hold any of them. They are read once, one at a time (an archive's inputs are
    never all held). `ours` are the file names a folder output writes: an existing folder may be replaced
    only when it holds nothing else. Raises :class:`~auditnlp.errors.OutputError`.
    """
    return check_outputs([(path, fmt, ours)], protected=protected)[0]


def check_outputs(
    targets: Sequence[tuple[str | Path, str, Iterable[str]]], *, protected: Iterable[str | Path] = ()
) -> list[Path]:
    """:func:`check_output` for several outputs of one run, each a (path, format, `ours`), reading
    `protected` once for all of them (an archive's inputs are walked once, not once per output). An
    output that is an input is refused first, then each output's own checks in the order given."""
    checks = [_Target(Path(path), str(path), fmt, tuple(ours)) for path, fmt, ours in targets]
    inside: list[Path | None] = [None] * len(checks)
    for guarded in map(_resolved, protected):
        for k, check in enumerate(checks):
            if guarded == check.resolved:
                raise OutputError(
                    check.where, "the output is one of the inputs (or the manifest); choose another path"
                )
            if inside[k] is None and check.existing_folder and check.resolved in guarded.parents:
                inside[k] = guarded
    return [check.finish(held) for check, held in zip(checks, inside, strict=True)]


@dataclass(frozen=True)
class _Target:
    """One output of :func:`check_outputs`: what it is, and its checks once the inputs are read."""

    target: Path
    where: str
    fmt: str
    ours: tuple[str, ...]

    @functools.cached_property
    def resolved(self) -> Path:
        return _resolved(self.target)

    @property
    def folder(self) -> bool:
        return self.fmt in FOLDER_FORMATS or self.fmt == SITE

    @functools.cached_property
    def existing_folder(self) -> bool:
        return self.folder and self.target.is_dir()

    def finish(self, inside: Path | None) -> Path:
        """The checks that need no input: `inside` is an input the existing output folder holds."""
        target, where, fmt = self.target, self.where, self.fmt
        if self.folder:
            if target.exists() and not target.is_dir():
                what = "the review site" if fmt == SITE else f"{fmt} output"
                raise OutputError(where, f"is a file; {what} is a folder (choose a folder)")
            if target.is_dir():
                if inside is not None:
                    held = f"the output folder holds an input ({inside.name}); choose another"
                    raise OutputError(where, held)
                names = set(self.ours)
                others = sorted(p.name for p in target.iterdir() if p.name not in names)
                if others:
                    listed = ", ".join(others[:3])
                    raise OutputError(
                        where, f"the folder holds other files ({listed}); choose a new or empty folder"
                    )
            _check_writable(target.parent if target.parent != Path("") else Path("."), where)
            return target
        if target.is_dir():
            raise OutputError(where, f"is a folder; {fmt} output is a file (name a file inside it)")
        if is_special(target):
            if fmt != "jsonl":
                raise OutputError(where, f"not a regular file; {fmt} output must be written to a file")
            if not os.access(target, os.W_OK):
                raise OutputError(where, "cannot write: permission denied")
            return target
        _check_writable(target.parent if str(target.parent) else Path("."), where)
        return target


def _check_writable(folder: Path, where: str) -> None:
    """The nearest existing folder of `folder` takes a new file (tried, not guessed from permissions)."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(where, f"cannot write: {existing} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".auditnlp-probe-")
    except OSError as exc:
        raise OutputError(where, f"cannot write in {existing}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)


def _default_mode(folder: bool = False) -> int:
    """The mode a new file (or folder) gets under the process umask (temporary files are private)."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if folder else 0o666) & ~umask


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary file beside `path`; once the block succeeds it replaces `path` in one rename.

    On failure the temporary file is removed and `path` is untouched. A device or pipe target is yielded
    as it is (written directly). OS errors become :class:`~auditnlp.errors.OutputError`.
    """
    target = Path(path)
    if is_special(target):
        with _as_output_error(target):
            yield target
        return
    with _as_output_error(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
    temporary = Path(name)
    try:
        with _as_output_error(target):
            yield temporary
            mode = target.stat().st_mode & 0o777 if target.exists() else _default_mode()
            os.chmod(temporary, mode)
            os.replace(temporary, target)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; once the block succeeds it takes the place of `path`.

    A previous folder is moved aside, the new one renamed in, and the old one removed; at no moment does
    `path` hold a mix of old and new files.
    """
    target = Path(path)
    with _as_output_error(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        with _as_output_error(target):
            yield temporary
            os.chmod(temporary, _default_mode(folder=True))
            if target.exists():
                old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
                os.replace(target, old / target.name)
                os.replace(temporary, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


@contextlib.contextmanager
def _as_output_error(target: Path) -> Iterator[None]:
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(str(target), f"cannot write: {exc.strerror or exc}") from None
