"""A manifest: a table mapping report paths to metadata (unit, year, period, any extra columns).

A manifest is a CSV file (UTF-8, GBK/GB18030 or UTF-16, as Excel writes it) or an .xlsx workbook (first
sheet) whose columns are named in Chinese or English (``路径/文件/path``, ``单位/unit``, ``年份/year``,
``期间/period``, ``计划年份/plan_year``; the names are in ``meta.yaml`` ``manifest_columns``). Other
columns become extra columns of the reports table.

Manifest values override what the pipeline detected (the analyst knows better than the text), with the
source ``manifest`` and a warning where the text said otherwise. Paths are matched relative to the
manifest's folder, then as given, then by file name when that name is unique; a spreadsheet row is
addressed as ``file.csv#3`` (1-based, header excluded). :func:`manifest_notes` lists the rows that match no
input and the inputs no row covers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditnlp.errors import AuditNLPError, InputError
from auditnlp.lexicon import LexiconsLike
from auditnlp.types import Period, Report

META_FIELDS = ("title", "unit", "year", "period", "doc_type", "plan_year")
NOT_IN_MANIFEST = "NotInManifest"
UNMATCHED_ROW = "ManifestRowUnmatched"
"""Error types of manifest notices (see :data:`auditnlp.corpus.schema.NOTICES`)."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One row of a manifest: its line, the path as written, the resolved key and its values."""

    line: int
    target: str
    key: str
    values: tuple[tuple[str, str], ...]
    """(field, value) pairs: meta fields by their English name, extra columns by their own name."""
    period: Period | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """Metadata rows keyed by resolved path (``/abs/file.csv#3`` for a spreadsheet row)."""

    rows: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    by_name: Mapping[str, str] = field(default_factory=dict)
    """File name → resolved key, for names that occur once in the manifest."""
    entries: tuple[ManifestEntry, ...] = ()
    path: str = ""
    """The manifest file (for messages)."""

    def key(self, path: str, row: int | None = None) -> str | None:
        """The manifest key that a report's source path (and spreadsheet row) matches, or ``None``."""
        suffix = f"#{row}" if row is not None else ""
        resolved = str(Path(path).resolve())
        for key in (resolved + suffix, resolved):
            if key in self.rows:
                return key
        name = Path(path).name
        for key in (name + suffix, name):
            if key in self.by_name:
                return self.by_name[key]
        return None

    def lookup(self, path: str, row: int | None = None) -> tuple[tuple[str, str], ...] | None:
        """The manifest columns for a report's source path (and spreadsheet row), or ``None``."""
        key = self.key(path, row)
        return self.rows[key] if key is not None else None

    def entry(self, path: str, row: int | None = None) -> ManifestEntry | None:
        """The manifest row for a report's source path (and spreadsheet row), or ``None``."""
        key = self.key(path, row)
        return next((e for e in self.entries if e.key == key), None) if key is not None else None

    def __len__(self) -> int:
        return len(self.rows)


def load_manifest(path: str | Path, *, lexicon: LexiconsLike = None) -> Manifest:
    """Read a manifest (.csv in UTF-8/GBK/GB18030/UTF-16, or .xlsx) with a path column.

    Raises :class:`~auditnlp.errors.InputError` naming the file (and the line) when the manifest cannot
    be read, has no path column, or holds a row with an empty path, a year that is not a number or a
    period that cannot be read.
    """
    from auditnlp.segment.meta_rules import meta_rules
    from auditnlp.segment.periods import parse_period

    path = Path(path)
    rules = meta_rules(lexicon)
    header, records = _read_table(path)
    columns = _map_columns(header, rules.manifest_columns)
    if "path" not in columns.values():
        accepted = "/".join(rules.manifest_columns.get("path", ("path",))[:4])
        raise InputError(
            str(path), f"manifest has no path column ({accepted}); its columns: {', '.join(header)}"
        )
    rows: dict[str, tuple[tuple[str, str], ...]] = {}
    names: dict[str, list[str]] = {}
    entries: list[ManifestEntry] = []
    for lineno, record in records:
        values = {columns[h]: v.strip() for h, v in record.items() if h in columns and v and v.strip()}
        target = values.pop("path", "")
        if not target:
            if not values:
                continue  # an empty line
            raise InputError(str(path), f"line {lineno}: empty path")
        year = values.get("year")
        if year is not None and not year.isdigit():
            raise InputError(str(path), f"line {lineno}: year {year!r} is not a number")
        plan_year = values.get("plan_year")
        if plan_year is not None and not plan_year.isdigit():
            raise InputError(str(path), f"line {lineno}: plan year {plan_year!r} is not a number")
        period = None
        if values.get("period"):
            period = parse_period(values["period"], rules)
            if period is None:
                example = "2024, 2024H1, 2024年上半年"
                raise InputError(
                    str(path), f"line {lineno}: period {values['period']!r} is not a period ({example})"
                )
            if year is not None and int(year) != period.end_year:
                raise InputError(str(path), f"line {lineno}: year {year} but period {values['period']!r}")
        file_part, _, row = target.partition("#")
        resolved = str((path.parent / file_part).resolve())
        if not Path(resolved).exists() and Path(file_part).exists():
            resolved = str(Path(file_part).resolve())
        key = resolved + (f"#{row}" if row else "")
        pairs = tuple(values.items())
        rows[key] = pairs
        entries.append(ManifestEntry(lineno, target, key, pairs, period))
        names.setdefault(Path(file_part).name + (f"#{row}" if row else ""), []).append(key)
    by_name = {name: keys[0] for name, keys in names.items() if len(keys) == 1}
    return Manifest(rows, by_name, tuple(entries), str(path))


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line number, row) of a manifest file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "manifest not found") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read the manifest: {exc.strerror}") from None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(data, path)
    if path.suffix.lower() in (".xls", ".et", ".numbers"):
        raise InputError(str(path), f"manifest format {path.suffix} is not read; save it as .xlsx or .csv")
    from auditnlp.readers.encoding import decode_bytes

    try:
        text, _ = decode_bytes(data, str(path))
    except AuditNLPError as exc:
        raise InputError(str(path), f"manifest: {exc.reason}") from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" or ("\t" in text.split("\n", 1)[0]) else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise InputError(str(path), f"malformed manifest CSV: {exc}") from None
    if not lines:
        raise InputError(str(path), "the manifest is empty")
    header = [h.strip().lstrip("\ufeff") for h in lines[0]]
    records = [
        (lineno, {h: (row[i] if i < len(row) else "") for i, h in enumerate(header)})
        for lineno, row in enumerate(lines[1:], 2)
    ]
    return header, records


def _read_xlsx(data: bytes, path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises assorted zip/xml errors on damaged files
        raise InputError(
            str(path), f"cannot open the manifest as .xlsx: {type(exc).__name__}: {exc}"
        ) from None
    try:
        values = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    if not values:
        raise InputError(str(path), "the manifest's first sheet is empty")
    header = [str(h).strip() if h is not None else "" for h in values[0]]
    records = [
        (lineno, {h: _cell(v) for h, v in zip(header, row, strict=False)})
        for lineno, row in enumerate(values[1:], 2)
    ]
    return header, records


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2023 as 2023.0
    return str(value)


def _map_columns(header: list[str], names: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Header → field (``path``, ``unit`` …) for known names, else the header itself (an extra column)."""
    lookup = {n.lower() if n.isascii() else n: f for f, aliases in names.items() for n in aliases}
    mapped: dict[str, str] = {}
    taken: set[str] = set()
    for h in header:
        if not h:
            continue
        found = lookup.get(h.lower() if h.isascii() else h)
        if found is not None and found not in taken:
            mapped[h] = found
            taken.add(found)
        elif found is None:
            mapped[h] = h
    return mapped


def apply_manifest(report: Report, manifest: Manifest | None) -> Report:
    """Return `report` with its manifest row (if any) overriding the detected metadata.

    Each field the manifest gives gets the source ``manifest``; where the text said otherwise a warning
    names both. A year without a period keeps the detected shape of the period (a half year stays a half
    year) in the manifest's year.
    """
    if manifest is None:
        return report
    entry = manifest.entry(report.source.path, report.source.row)
    if entry is None:
        return report
    meta = report.meta
    fields: dict[str, Any] = {}
    extra = dict(meta.extra)
    for key, value in entry.values:
        if key in ("year", "plan_year"):
            fields[key] = int(value)
        elif key == "period":
            continue
        elif key in META_FIELDS:
            fields[key] = value
        else:
            extra[key] = value
    period = entry.period
    if period is None and "year" in fields:
        period = _period_in(meta.period, fields["year"])
    if period is not None:
        fields["period"] = period
        fields["year"] = period.end_year
        if period.plan and "plan_year" not in fields:
            fields["plan_year"] = period.end_year
    warnings = list(report.warnings)
    for key in ("unit", "year", "plan_year"):
        detected = getattr(meta, key)
        if key == "unit" and key in fields and detected is not None and _same_unit(fields[key], detected):
            continue  # 岑县 and 岑县审计局, 江州市审计局 and 市审计局: one unit, named more or less fully
        if key in fields and detected is not None and fields[key] != detected:
            warnings.append(
                f"the manifest gives {key} {fields[key]}, the text gives {detected} ({meta.source(key)}): "
                f"manifest kept"
            )
    given = {k for k in fields if k in ("unit", "year", "period", "plan_year", "title", "doc_type")}
    sources = tuple((f, s) for f, s in meta.sources if f not in given) + tuple(
        (f, "manifest") for f in sorted(given)
    )
    fields["sources"] = sources
    fields["extra"] = tuple(extra.items())
    return replace(report, meta=replace(meta, **fields), warnings=tuple(_drop_missing(warnings, given)))


def _same_unit(given: str, detected: str) -> bool:
    return given in detected or detected in given


def _period_in(detected: Period | None, year: int) -> Period:
    """The detected period moved to `year` when it is one year's (or part of one), else the full year."""
    if detected is not None and detected.year == detected.end_year:
        return replace(detected, year=year, end_year=year)
    return Period(year, year)


def _drop_missing(warnings: list[str], given: set[str]) -> list[str]:
    """Warnings about a missing or weakly sourced field the manifest now gives are no longer true."""
    out = []
    for w in warnings:
        if "unit" in given and (w.startswith("no issuing unit") or w.startswith("unit taken from")):
            continue
        if "year" in given and (w.startswith("no covered year") or w.startswith("year taken from")):
            continue
        out.append(w)
    return out


def with_meta(report: Report, **fields: Any) -> Report:
    """Return `report` with metadata fields replaced (e.g. from a manifest)."""
    return replace(report, meta=replace(report.meta, **fields))


def manifest_notes(manifest: Manifest, seen: Iterable[tuple[str, int | None]]) -> list[tuple[str, str, str]]:
    """(path, reason, kind) for every manifest row that matches no input and every input no row covers.

    `seen` are the (path, row) of the documents read (analysed or duplicates).
    """
    matched: set[str] = set()
    notes: list[tuple[str, str, str]] = []
    for path, row in seen:
        key = manifest.key(path, row)
        if key is None:
            name = f"{path}#{row}" if row is not None else path
            notes.append((name, f"not in the manifest {Path(manifest.path).name}", NOT_IN_MANIFEST))
        else:
            matched.add(key)
    for entry in manifest.entries:
        if entry.key not in matched:
            notes.append(
                (
                    f"{manifest.path}:{entry.line}",
                    f"manifest row {entry.target!r} matches no input",
                    UNMATCHED_ROW,
                )
            )
    return notes
