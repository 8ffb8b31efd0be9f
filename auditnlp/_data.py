"""Parsing packaged data files (YAML/TSV lexicons): one read, errors that name file and line.

Reading and caching are :class:`auditnlp.lexicon.Lexicons`' job; this module only parses text it is given
and compiles patterns, naming the file (``where``) in every error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeAlias

import regex
import yaml

from auditnlp.errors import LexiconError

Pattern: TypeAlias = "regex.Pattern[str]"
"""A compiled `regex` pattern (the type of every rule compiled from a lexicon file)."""

PACKAGE_LEXICONS = "auditnlp.lexicons"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (same documents, ten times faster), else PyYAML's."""


def read_file(path: str | Path, where: str | None = None) -> str:
    """Read a UTF-8 data file (a BOM is allowed), naming the file and line in the error when it is not."""
    where = where or str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise LexiconError(where, f"cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LexiconError(
            where, f"line {line}: not UTF-8 (byte {exc.start}): save the file as UTF-8 (a GBK file?)"
        ) from None


class YamlMap(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers the line of each key (for errors that name file, line and key)."""

    line: int = 0
    key_lines: dict[Any, int]


class YamlList(list):  # type: ignore[type-arg]
    """A YAML sequence that remembers the line of each item."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader (no Python tags; libyaml's parser when PyYAML has it) building :class:`YamlMap`
    and :class:`YamlList`."""

    def construct_line_map(self, node: yaml.MappingNode) -> Iterator[YamlMap]:
        data = YamlMap()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        data.update(self.construct_mapping(node))
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                data.key_lines.setdefault(self.construct_object(key_node), key_node.start_mark.line + 1)

    def construct_line_seq(self, node: yaml.SequenceNode) -> Iterator[YamlList]:
        data = YamlList()
        data.line = node.start_mark.line + 1
        data.item_lines = [item.start_mark.line + 1 for item in node.value]
        yield data
        data.extend(self.construct_sequence(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_line_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_line_seq)


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text (safe loader only, no Python tags), naming file and line on error.

    Mappings and sequences remember their lines (:func:`line_of`). Aliases are shared, never copied, so an
    alias bomb stays small.
    """
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise LexiconError(where, f"invalid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise LexiconError(where, "invalid YAML: nested too deeply") from None


def line_of(container: Any, key: Any = None) -> int:
    """The line of `key` in a parsed YAML mapping (or of item `key` of a sequence, or of the container)."""
    if key is not None:
        if isinstance(container, YamlMap) and key in container.key_lines:
            return container.key_lines[key]
        if isinstance(container, YamlList) and isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
    return getattr(container, "line", 0) or 1


_KINDS = {bool: "true or false", str: "a string", int: "an integer", list: "a list", dict: "a mapping"}


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_KINDS.get(k, k.__name__) for k in kinds)


def _found(value: Any) -> str:
    """What a value is, shown briefly (an alias bomb of 10^9 items prints as a few characters)."""
    if value is None:
        return "nothing"
    kind = next((name for k, name in _KINDS.items() if isinstance(value, k)), type(value).__name__)
    return f"{kind} {_brief(value, 2)}"


def _brief(value: Any, depth: int) -> str:
    if isinstance(value, list):
        if depth == 0:
            return "[…]"
        inner = ", ".join(_brief(v, depth - 1) for v in value[:3])
        return f"[{inner}{', …' if len(value) > 3 else ''}]"
    if isinstance(value, dict):
        if depth == 0:
            return "{…}"
        inner = ", ".join(f"{_brief(k, 0)}: {_brief(v, depth - 1)}" for k, v in list(value.items())[:3])
        return "{" + inner + (", …" if len(value) > 3 else "") + "}"
    shown = repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__
    return shown if len(shown) <= 40 else shown[:39] + "…"


def need(
    container: Any, key: str, where: str, kind: type | tuple[type, ...] = object, *, context: str = ""
) -> Any:
    """``container[key]``, which must exist and be of `kind`; else a LexiconError naming file, line, key."""
    label = f"{context}: " if context else ""
    if not isinstance(container, dict):
        raise LexiconError(
            where, f"line {line_of(container)}: {label}expected a mapping, found {_found(container)}"
        )
    if key not in container:
        raise LexiconError(where, f"line {line_of(container)}: {label}missing key {key!r}")
    return check(container[key], kind, where, line_of(container, key), f"{label}key {key!r}")


def get(container: Any, key: str, default: Any, where: str, kind: type | tuple[type, ...] = object) -> Any:
    """``container.get(key, default)``, checked to be of `kind` when present."""
    if not isinstance(container, dict) or key not in container or container[key] is None:
        return default
    return check(container[key], kind, where, line_of(container, key), f"key {key!r}")


def check(value: Any, kind: type | tuple[type, ...], where: str, line: int, what: str) -> Any:
    """`value` when it is of `kind` (an int is never a bool), else a LexiconError naming file and line."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = isinstance(value, kind) and not (isinstance(value, bool) and bool not in kinds and int in kinds)
    if not ok:
        raise LexiconError(where, f"line {line}: {what}: expected {_kind_name(kind)}, found {_found(value)}")
    return value


def items(
    container: Any, key: str, where: str, kind: type | tuple[type, ...], *, default: Any = ()
) -> list[Any]:
    """The list under `key` (or `default` when absent), every item of `kind`."""
    value = get(container, key, None, where, list)
    if value is None:
        return list(default)
    return [
        check(v, kind, where, line_of(value, i), f"key {key!r} item {i + 1}") for i, v in enumerate(value)
    ]


def parse_tsv(
    text: str, where: str, *, required: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from TSV text with a header; ``#`` lines are comments."""
    lines = [
        (n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")
    ]
    if not lines:
        return
    reader = csv.reader(
        io.StringIO("\n".join(line for _, line in lines)), delimiter="\t", quoting=csv.QUOTE_NONE
    )
    rows = list(reader)
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise LexiconError(where, f"line {lines[0][0]}: header lacks column(s) {', '.join(missing)}")
    for (lineno, _), row in zip(lines[1:], rows[1:], strict=True):
        if len(row) > len(header):
            raise LexiconError(where, f"line {lineno}: {len(row)} fields, header has {len(header)}")
        record = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        for column in required:
            if not record[column]:
                raise LexiconError(where, f"line {lineno}: empty {column!r}")
        yield lineno, record


def compile_pattern(pattern: str, where: str, flags: int = 0) -> Pattern:
    """Compile a `regex` pattern from a data file, naming the file on error.

    A pattern from a user's lexicon folder (anything but ``auditnlp/lexicons/…``) runs under a time limit
    (:class:`GuardedPattern`): one that backtracks catastrophically is a LexiconError, not a hang. The
    packaged patterns are trusted (and kept linear by the hostile-input tests).
    """
    try:
        compiled = regex.compile(pattern, flags)
    except (regex.error, TypeError) as exc:
        raise LexiconError(where, f"bad pattern {pattern!r}: {exc}") from None
    if where.startswith(PACKAGED_PREFIX):
        return compiled
    return GuardedPattern(compiled, where)  # type: ignore[return-value]


_NOT_JOINABLE = regex.compile(r"\(\?(?:[A-OQ-Za-z0-9^&+(-]|P[=>])|\\[1-9]|\\g")
"""What may not survive joining patterns into one alternation: inline flags (they may apply to the
whole pattern), backreferences by number and group calls (the numbers shift), conditionals."""


_LOOKS_AROUND = regex.compile(r"[$^]|\\[bBAZzGmMK]|\(\?[=!<]")
"""What lets a pattern see past the text it matches: anchors, word boundaries, lookarounds (and a
negated class, caught by its ``^``, to be safe)."""


def joinable(pattern: str) -> bool:
    """Whether `pattern` keeps its meaning as one alternative of a longer pattern (no inline flags, no
    backreference by number, group call or conditional)."""
    return _NOT_JOINABLE.search(pattern) is None


def looks_around(pattern: str) -> bool:
    """Whether `pattern` may see past the text it matches (anchors, word boundaries, lookarounds, inline
    flags, references): if not, it matches a piece of text alone exactly when it matches it in place."""
    return bool(_LOOKS_AROUND.search(pattern) or _NOT_JOINABLE.search(pattern))


def union_pattern(patterns: list[Any] | tuple[Any, ...], where: str) -> Pattern | None:
    """One alternation that matches (at a place, or a whole text) where one of `patterns` does: a quick
    test before trying them in turn. ``None`` when there are none or one cannot be joined safely."""
    sources = [p.pattern for p in patterns]
    if not sources or not all(joinable(x) for x in sources):
        return None
    return compile_pattern("|".join(f"(?:{x})" for x in sources), where)


PACKAGED_PREFIX = "auditnlp/lexicons/"
"""How the packaged lexicon files are named in messages (and told apart from a user's files)."""
PATTERN_SECONDS = 2.0
PATTERN_SECONDS_PER_CHAR = 1e-5
"""Time a user pattern may take on one call: 2 s plus 10 µs per character of the text it runs on (a
catastrophic pattern explodes on a line of 40 characters; a linear one scans megabytes within that)."""


class GuardedPattern:
    """A compiled user pattern whose matching calls run with `regex`'s ``timeout=``; a timeout is a
    :class:`~auditnlp.errors.LexiconError` naming the file and the pattern."""

    __slots__ = ("_compiled", "_where")

    def __init__(self, compiled: Pattern, where: str) -> None:
        self._compiled = compiled
        self._where = where

    def __getattr__(self, name: str) -> Any:  # pattern, groupindex, flags, groups …
        return getattr(self._compiled, name)

    def __repr__(self) -> str:
        return f"GuardedPattern({self._compiled.pattern!r}, {self._where!r})"

    def _call(self, method: str, string: Any, *args: Any, **kwargs: Any) -> Any:
        size = len(string) if isinstance(string, str) else 0
        kwargs.setdefault("timeout", PATTERN_SECONDS + PATTERN_SECONDS_PER_CHAR * size)
        try:
            result = getattr(self._compiled, method)(string, *args, **kwargs)
            if method in {"finditer", "splititer"}:
                return self._guarded(result)
            return result
        except TimeoutError:
            raise self._timeout() from None

    def _guarded(self, iterator: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from iterator
        except TimeoutError:
            raise self._timeout() from None

    def _timeout(self) -> LexiconError:
        return LexiconError(
            self._where,
            f"pattern {self._compiled.pattern!r} runs too long on one text (catastrophic backtracking, "
            "e.g. (a|aa)+); rewrite it",
        )

    def match(self, string: str, *args: Any, **kwargs: Any) -> Any:
        """``regex`` ``match`` under the time limit."""
        return self._call("match", string, *args, **kwargs)

    def fullmatch(self, string: str, *args: Any, **kwargs: Any) -> Any:
        """``regex`` ``fullmatch`` under the time limit."""
        return self._call("fullmatch", string, *args, **kwargs)

    def search(self, string: str, *args: Any, **kwargs: Any) -> Any:
        """``regex`` ``search`` under the time limit."""
        return self._call("search", string, *args, **kwargs)

    def finditer(self, string: str, *args: Any, **kwargs: Any) -> Any:
        """``regex`` ``finditer`` under the time limit."""
        return self._call("finditer", string, *args, **kwargs)

    def findall(self, string: str, *args: Any, **kwargs: Any) -> Any:
        """``regex`` ``findall`` under the time limit."""
        return self._call("findall", string, *args, **kwargs)

    def sub(self, repl: Any, string: str, *args: Any, **kwargs: Any) -> Any:
        """``regex`` ``sub`` under the time limit."""
        kwargs.setdefault("timeout", PATTERN_SECONDS + PATTERN_SECONDS_PER_CHAR * len(string))
        try:
            return self._compiled.sub(repl, string, *args, **kwargs)
        except TimeoutError:
            raise self._timeout() from None

    def split(self, string: str, *args: Any, **kwargs: Any) -> Any:
        """``regex`` ``split`` under the time limit."""
        return self._call("split", string, *args, **kwargs)
