"""Loading packaged data files (YAML/TSV lexicons) through importlib.resources, cached and validated."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from auditnlp.errors import LexiconError

PACKAGE_LEXICONS = "auditnlp.lexicons"


def read_text(name: str, directory: str | Path | None = None) -> tuple[str, str]:
    """Return (text, display path) of lexicon file `name`, from `directory` if it has it, else packaged."""
    if directory is not None:
        path = Path(directory) / name
        if path.exists():
            return path.read_text(encoding="utf-8"), str(path)
    resource = resources.files(PACKAGE_LEXICONS).joinpath(name)
    return resource.read_text(encoding="utf-8"), f"auditnlp/lexicons/{name}"


@functools.lru_cache(maxsize=64)
def _load_yaml_cached(name: str, directory: str | None) -> Any:
    text, where = read_text(name, directory)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise LexiconError(where, f"invalid YAML{line}: {getattr(exc, 'problem', exc)}") from None


def load_yaml(name: str, directory: str | Path | None = None) -> Any:
    """Load a YAML lexicon (cached; callers must not mutate the result)."""
    return _load_yaml_cached(name, str(directory) if directory is not None else None)


def iter_tsv(
    name: str, directory: str | Path | None = None, *, required: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a UTF-8 TSV lexicon with a header; `#` lines are comments."""
    text, where = read_text(name, directory)
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


def compile_pattern(pattern: str, where: str, flags: int = 0) -> Any:
    """Compile a `regex` pattern from a data file, naming the file on error."""
    import regex

    try:
        return regex.compile(pattern, flags)
    except regex.error as exc:
        raise LexiconError(where, f"bad pattern {pattern!r}: {exc}") from None
