"""A manifest: a CSV file mapping report paths to metadata (unit, year, any extra columns).

Manifest values override what the pipeline detected (the analyst knows better than the title). Paths are
matched relative to the manifest's folder, then as given, then by file name when that name is unique;
a spreadsheet row is addressed as ``file.csv#3`` (1-based, header excluded).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditnlp.errors import InputError
from auditnlp.types import Report

META_FIELDS = ("title", "unit", "year", "doc_type", "plan_year")
_PATH_COLUMNS = ("path", "file", "文件", "路径")


@dataclass(frozen=True, slots=True)
class Manifest:
    """Metadata rows keyed by resolved path (``/abs/file.csv#3`` for a spreadsheet row)."""

    rows: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    by_name: Mapping[str, str] = field(default_factory=dict)
    """File name → resolved key, for names that occur once in the manifest."""

    def lookup(self, path: str, row: int | None = None) -> tuple[tuple[str, str], ...] | None:
        """The manifest columns for a report's source path (and spreadsheet row), or ``None``."""
        suffix = f"#{row}" if row is not None else ""
        resolved = str(Path(path).resolve())
        for key in (resolved + suffix, resolved):
            if key in self.rows:
                return self.rows[key]
        name = Path(path).name
        for key in (name + suffix, name):
            if key in self.by_name:
                return self.rows[self.by_name[key]]
        return None

    def __len__(self) -> int:
        return len(self.rows)


def load_manifest(path: str | Path) -> Manifest:
    """Read a manifest CSV (UTF-8, with a ``path`` column; other columns become metadata)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(path), "manifest not found") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "manifest is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    key_column = next((c for c in _PATH_COLUMNS if c in columns), None)
    if key_column is None:
        raise InputError(str(path), f"manifest needs a 'path' column (columns: {', '.join(columns)})")
    rows: dict[str, tuple[tuple[str, str], ...]] = {}
    names: dict[str, list[str]] = {}
    for lineno, raw in enumerate(reader, 2):
        record = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        target = record.pop(key_column)
        if not target:
            raise InputError(str(path), f"line {lineno}: empty path")
        year = record.get("year")
        if year and not year.isdigit():
            raise InputError(str(path), f"line {lineno}: year {year!r} is not a number")
        file_part, _, row = target.partition("#")
        resolved = str((path.parent / file_part).resolve())
        if not Path(resolved).exists() and Path(file_part).exists():
            resolved = str(Path(file_part).resolve())
        key = resolved + (f"#{row}" if row else "")
        rows[key] = tuple((k, v) for k, v in record.items() if k and v)
        names.setdefault(Path(file_part).name + (f"#{row}" if row else ""), []).append(key)
    by_name = {name: keys[0] for name, keys in names.items() if len(keys) == 1}
    return Manifest(rows, by_name)


def apply_manifest(report: Report, manifest: Manifest | None) -> Report:
    """Return `report` with its manifest row (if any) overriding the detected metadata."""
    if manifest is None:
        return report
    found = manifest.lookup(report.source.path, report.source.row)
    if not found:
        return report
    fields: dict[str, object] = {}
    extra = dict(report.meta.extra)
    for key, value in found:
        if key in ("year", "plan_year"):
            fields[key] = int(value)
        elif key in META_FIELDS:
            fields[key] = value
        else:
            extra[key] = value
    if extra:
        fields["extra"] = tuple(extra.items())
    return with_meta(report, **fields)


def with_meta(report: Report, **fields: Any) -> Report:
    """Return `report` with metadata fields replaced (e.g. from a manifest)."""
    return replace(report, meta=replace(report.meta, **fields))
