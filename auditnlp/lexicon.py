"""The lexicon bundle: every rule file of one folder (or the packaged ones), read once, compiled on demand.

``load_lexicons(folder)`` returns a :class:`Lexicons` for a folder of user files that override packaged
files of the same name (``None``: packaged files only). It is cached on the folder's resolved path and the
size and modification time of its files, so editing a file gives a fresh bundle on the next call, and
``"lex"`` and ``"/abs/lex"`` share one. Each module compiles its own part of the rules from the bundle
(:meth:`Lexicons.part`), once per bundle; nothing else in auditnlp caches lexicons.

A file in the folder that is not the name of a packaged lexicon is reported with a
:class:`LexiconWarning` naming the valid names (a misspelled ``indicator_name.tsv`` would otherwise be
silently ignored).
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

from auditnlp._data import _found, line_of, parse_tsv, parse_yaml, read_file
from auditnlp.errors import LexiconError

T = TypeVar("T")
_DATA_SUFFIXES = (".yaml", ".yml", ".tsv", ".txt")


class LexiconWarning(UserWarning):
    """A lexicon folder holds a file auditnlp does not know (probably a misspelled name)."""


def packaged_names() -> tuple[str, ...]:
    """The names of the packaged lexicon files (what a user folder may override)."""
    folder = resources.files("auditnlp").joinpath("lexicons")
    return tuple(sorted(p.name for p in folder.iterdir() if p.name.endswith(_DATA_SUFFIXES)))


class Lexicons:
    """The rule files of one folder over the packaged ones; parts compiled once per bundle.

    Immutable from the outside: ``directory`` and ``signature`` never change; compiled parts are memoised.
    Build it with :func:`load_lexicons`.
    """

    __slots__ = ("_lock", "_parts", "_texts", "directory", "signature")

    def __init__(self, directory: Path | None, signature: tuple[tuple[str, int, int], ...] = ()) -> None:
        self.directory = directory
        self.signature = signature
        self._texts: dict[str, tuple[str, str]] = {}
        self._parts: dict[str, Any] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Lexicons({str(self.directory) if self.directory else 'packaged'})"

    def __reduce__(self) -> tuple[Any, ...]:
        # a worker process rebuilds the bundle from its folder: compiled patterns do not travel
        return (load_lexicons, (self.directory,))

    def read(self, name: str) -> tuple[str, str]:
        """(text, display path) of lexicon file `name`: the user folder's copy if any, else packaged."""
        with self._lock:
            found = self._texts.get(name)
            if found is None:
                found = self._read(name)
                self._texts[name] = found
            return found

    def _read(self, name: str) -> tuple[str, str]:
        if self.directory is not None:
            path = self.directory / name
            if path.is_file():
                return read_file(path), str(path)
        resource = resources.files("auditnlp").joinpath("lexicons", name)
        if not resource.is_file():
            raise LexiconError(f"auditnlp/lexicons/{name}", "no such lexicon file")
        return resource.read_text(encoding="utf-8"), f"auditnlp/lexicons/{name}"

    def where(self, name: str) -> str:
        """The display path of lexicon file `name` (for error messages)."""
        return self.read(name)[1]

    def yaml(self, name: str) -> Any:
        """The parsed YAML file `name` (callers must not mutate it)."""
        text, where = self.read(name)
        return parse_yaml(text, where)

    def yaml_mapping(self, name: str) -> dict[str, Any]:
        """The parsed YAML file `name`, which must be a mapping (an empty file is an empty mapping)."""
        data = self.yaml(name)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise LexiconError(
                self.where(name),
                f"line {line_of(data)}: expected a mapping of keys at the top, found {_found(data)}",
            )
        return data

    def tsv(self, name: str, *, required: tuple[str, ...] = ()) -> Iterator[tuple[int, dict[str, str]]]:
        """Rows (line number, row dict) of the TSV file `name`."""
        text, where = self.read(name)
        return parse_tsv(text, where, required=required)

    def part(self, key: str, build: Callable[[Lexicons], T]) -> T:
        """The part `key` of the rules, built by ``build(self)`` on first use and kept with the bundle.

        Builders check what they read and name file, line and key; anything that still slips through a
        builder (a value of an unexpected shape) is a LexiconError naming the folder, never a traceback.
        """
        with self._lock:
            if key not in self._parts:
                try:
                    self._parts[key] = build(self)
                except LexiconError:
                    raise
                except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
                    folder = str(self.directory) if self.directory else "auditnlp/lexicons"
                    raise LexiconError(
                        folder, f"cannot build the {key} rules: {type(exc).__name__}: {exc}"
                    ) from None
            return self._parts[key]  # type: ignore[no-any-return]


LexiconsLike: TypeAlias = "Lexicons | str | Path | None"
"""A bundle, a folder of user lexicon files, or ``None`` for the packaged files."""


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for path in sorted(folder.iterdir()):
        if path.is_file():
            stat = path.stat()
            out.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(out)


@functools.lru_cache(maxsize=16)
def _bundle(directory: Path | None, signature: tuple[tuple[str, int, int], ...]) -> Lexicons:
    if directory is not None:
        known = set(packaged_names())
        unknown = [n for n, _, _ in signature if n.endswith(_DATA_SUFFIXES) and n not in known]
        if unknown:
            warnings.warn(
                f"{directory}: lexicon file(s) {', '.join(unknown)} match no packaged lexicon and are "
                f"ignored; valid names: {', '.join(sorted(known))}",
                LexiconWarning,
                stacklevel=4,
            )
    return Lexicons(directory, signature)


def load_lexicons(directory: str | Path | None = None) -> Lexicons:
    """The lexicon bundle of `directory` (user files over packaged ones), or of the packaged files.

    Raises :class:`~auditnlp.errors.LexiconError` when `directory` is not a folder.
    """
    if directory is None:
        return _bundle(None, ())
    folder = Path(directory).expanduser().resolve()
    if not folder.is_dir():
        raise LexiconError(str(directory), "lexicon folder not found")
    return _bundle(folder, _signature(folder))


def as_lexicons(lexicon: LexiconsLike) -> Lexicons:
    """`lexicon` as a bundle: a bundle as it is, a folder loaded with :func:`load_lexicons`."""
    if isinstance(lexicon, Lexicons):
        return lexicon
    return load_lexicons(lexicon)
