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
    """Read a UTF-8 data file (a BOM is allowed), naming the file in the error when it is not UTF-8."""
    where = where or str(path)
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LexiconError(where, f"not UTF-8 (byte {exc.start}): save the file as UTF-8") from None
    except OSError as exc:
        raise LexiconError(where, f"cannot read: {exc.strerror or exc}") from None


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text (safe loader only), naming file and line on error."""
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise LexiconError(where, f"invalid YAML{line}: {getattr(exc, 'problem', exc)}") from None


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
    """Compile a `regex` pattern from a data file, naming the file on error."""
    try:
        return regex.compile(pattern, flags)
    except (regex.error, TypeError) as exc:
        raise LexiconError(where, f"bad pattern {pattern!r}: {exc}") from None
