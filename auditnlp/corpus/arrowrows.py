"""Row dicts ↔ Arrow tables: how the rows of many reports travel from workers and rest on disk.

A worker turns the rows of its partition (:class:`~auditnlp.corpus.rows.ReportRows` and error rows) into
one Arrow table per comparison table and unit bucket (:func:`encode_partition`); the parent only
concatenates and writes them. Column types follow the column kinds of :mod:`auditnlp.corpus.schema`:
exact numbers (``decimal``) are kept as their decimal text (``"2377.2"``), so they round-trip without loss;
integers and years are ``int64``, shares ``float64``, flags ``bool``, everything else text. A column the
schema does not name takes the type of its values. :func:`decode_column` gives the Python values back.

Every row carries ``_key``: the file's id (``_fid``, given by the parent) times :data:`ITEMS_PER_FILE`
plus the position of the item in what the file gave (a spreadsheet gives one item per row). Reports also
carry their fingerprint (``_fp_exact``, ``_fp_sketch``), the hash of their source (``_sha256``) and
whether they have category shares (``_shares``) and the code of their covered period (``_covered``, what
their matrix column is keyed by); problems the position of the problem they are a
sub-finding of (``_parent``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.schema import COLUMNS, TABLE_COLUMNS, column

if TYPE_CHECKING:
    import pyarrow as pa

    from auditnlp.corpus.rows import ReportRows

ITEMS_PER_FILE = 1 << 20
"""Items (documents and errors) one file may give; a file's items are keyed ``fid * ITEMS_PER_FILE + k``."""

BUCKETS = 16
"""Unit buckets: every row of a report lands in the bucket of its unit, so tables computed per unit (matrix
labels, year-on-year, recurring problems, near-identical copies) read one bucket at a time."""

ROW_TABLES = ("reports", "indicators", "values", "slogans", "problems", "measures")
"""The per-report tables the workers send (the rest are built from them)."""

ROWS_FORMAT = 2
"""The version of what workers send, part of a dataset's fingerprint so a run never resumes on rows of
another shape (2: the ``values`` table and each report's covered period)."""


def bucket_of(unit: Any) -> int:
    """The unit bucket of a unit (reports without a unit share bucket 0)."""
    if not isinstance(unit, str) or not unit:
        return 0
    return zlib.crc32(unit.encode("utf-8")) % BUCKETS


def _kind(key: str, values: Sequence[Any]) -> str:
    """The storage kind of a column, from its values: exact numbers wherever a ``Decimal`` is, integers
    for integer columns of the schema (ids, years, counts), else what the values are."""
    found = {type(v) for v in values if v is not None}
    if not found:
        return "null"
    if Decimal in found:
        return "decimal"
    if found <= {bool}:
        return "bool"
    if found <= {int, bool}:
        return "int"
    if found <= {int, float, bool}:
        schema = column(key).kind if key in COLUMNS else None
        return "int" if schema in ("int", "id", "year") and float not in found else "float"
    return "text"


def _decimal_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def encode_column(key: str, values: Sequence[Any]) -> tuple[pa.Array, bool]:
    """One column as an Arrow array, and whether it holds exact decimal text (see the module docstring)."""
    import pyarrow as pa

    kind = _kind(key, values)
    if kind == "decimal":
        return pa.array([_decimal_text(v) for v in values], type=pa.string()), True
    if kind == "int":
        try:
            return pa.array(values, type=pa.int64()), False
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            pass
    elif kind == "float":
        try:
            return pa.array([None if v is None else float(v) for v in values], type=pa.float64()), False
        except (TypeError, ValueError):
            pass
    elif kind == "bool":
        try:
            return pa.array(values, type=pa.bool_()), False
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            pass
    elif kind == "null":
        return pa.nulls(len(values)), False
    text = [v if v is None or isinstance(v, str) else str(v) for v in values]
    return pa.array(text, type=pa.string()), False


def decimal_columns(table: pa.Table) -> set[str]:
    """The columns of an encoded table that hold exact decimal text."""
    raw = (table.schema.metadata or {}).get(b"decimals")
    return set(json.loads(raw)) if raw else set()


def decode_column(values: list[Any], decimal: bool) -> list[Any]:
    """The Python values of an encoded column (decimal text back to :class:`~decimal.Decimal`)."""
    return [_to_decimal(v) for v in values] if decimal else values


def decode_table(table: pa.Table) -> dict[str, list[Any]]:
    """An encoded table as Python columns (decimal text back to :class:`~decimal.Decimal`)."""
    decimals = decimal_columns(table)
    return {
        name: decode_column(table.column(name).to_pylist(), name in decimals) for name in table.column_names
    }


def with_meta(table: pa.Table, decimals: Iterable[str], first: dict[str, Any] | None = None) -> pa.Table:
    """`table` marked with its decimal columns (and where each column first appeared)."""
    meta = dict(table.schema.metadata or {})
    meta[b"decimals"] = json.dumps(sorted(set(decimals))).encode()
    if first is not None:
        meta[b"first"] = json.dumps(first).encode()
    return table.replace_schema_metadata(meta)


def encode_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> pa.Table:
    """Row dicts (as a table function builds them) as an encoded table with `columns`."""
    import pyarrow as pa

    arrays, decimals = [], []
    for name in columns:
        array, decimal = encode_column(name, [r.get(name) for r in rows])
        arrays.append(array)
        if decimal:
            decimals.append(name)
    return with_meta(pa.Table.from_arrays(arrays, names=list(columns)), decimals)


def _to_decimal(value: Any) -> Any:
    if value is None:
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value  # "XX" in the matrix and the year-on-year table


@dataclass
class _Builder:
    """Rows of one table gathered column by column, keys in order of first appearance."""

    fixed: tuple[str, ...] = ()
    data: dict[str, list[Any]] = field(default_factory=dict)
    first: dict[str, tuple[int, int]] = field(default_factory=dict)
    rows: int = 0

    def __post_init__(self) -> None:
        self.data = {c: [] for c in self.fixed}

    def add(self, row: dict[str, Any], key: int, extra: dict[str, Any]) -> None:
        row = {**row, **extra}
        for pos, name in enumerate(row):
            if name not in self.data:
                self.data[name] = [None] * self.rows
            self.first.setdefault(name, (key, pos))
        for name, values in self.data.items():
            values.append(row.get(name))
        self.rows += 1

    def table(self) -> pa.Table:
        import pyarrow as pa

        arrays, decimals = [], []
        for name, values in self.data.items():
            array, decimal = encode_column(name, values)
            arrays.append(array)
            if decimal:
                decimals.append(name)
        first = {name: list(where) for name, where in self.first.items()}
        table = pa.Table.from_arrays(arrays, names=list(self.data))
        return with_meta(table, decimals, first)


@dataclass
class Encoded:
    """A partition's rows as Arrow tables: ``tables[(name, bucket)]``, errors and the files' ledger."""

    tables: dict[tuple[str, int], pa.Table]
    errors: pa.Table | None
    files: pa.Table
    reports: int

    @property
    def nbytes(self) -> int:
        """Memory held by the tables."""
        total = sum(t.nbytes for t in self.tables.values()) + self.files.nbytes
        return total + (self.errors.nbytes if self.errors is not None else 0)


FileResult = tuple[int, str, "str | None", "list[ReportRows | tuple[str, str, str]]", str]
"""(fid, path, sha256 of the file's bytes, what the file gave, ledger status)."""


def encode_partition(results: Iterable[FileResult]) -> Encoded:
    """Encode what the files of a partition gave (in the worker that analysed them)."""
    import pyarrow as pa

    from auditnlp.corpus.rows import ReportRows

    builders: dict[tuple[str, int], _Builder] = {}
    errors: list[dict[str, Any]] = []
    ledger: dict[str, list[Any]] = {"_fid": [], "path": [], "sha256": [], "items": [], "status": []}
    reports = 0
    for fid, path, digest, items, status in results:
        for k, item in enumerate(items):
            if k >= ITEMS_PER_FILE:
                errors.append(
                    {"path": path, "reason": f"more than {ITEMS_PER_FILE} documents in one file; the rest "
                     "were left out", "error": "InputError", "_key": fid * ITEMS_PER_FILE + k - 1}
                )  # fmt: skip
                break
            key = fid * ITEMS_PER_FILE + k
            if not isinstance(item, ReportRows):
                errors.append({"path": item[0], "reason": item[1], "error": item[2], "_key": key})
                continue
            reports += 1
            bucket = bucket_of(item.report.get("unit"))
            fp = item.fingerprint
            source = item.problem_source
            _add(builders, "reports", bucket, item.report, key, {
                "_fp_exact": fp.exact if fp is not None else None,
                "_fp_sketch": json.dumps(fp.sketch) if fp is not None else None,
                "_sha256": source.source.sha256 if source is not None else None,
                "_shares": bool(item.shares),
                "_covered": item.covered.code if item.covered is not None else None,
            })  # fmt: skip
            for name, group in (
                ("indicators", item.indicators), ("values", item.values), ("slogans", item.slogans)
            ):  # fmt: skip
                for row in group:
                    _add(builders, name, bucket, row, key, {})
            findings = source.problems if source is not None else ()
            for j, row in enumerate(item.problems):
                parent = findings[j].parent if j < len(findings) else None
                _add(builders, "problems", bucket, row, key, {"_parent": parent})
            for row in item.measures:
                _add(builders, "measures", bucket, row, key, {})
        ledger["_fid"].append(fid)
        ledger["path"].append(path)
        ledger["sha256"].append(digest)
        ledger["items"].append(len(items))
        ledger["status"].append(status)
    tables = {where: builder.table() for where, builder in builders.items()}
    error_table = None
    if errors:
        error_table = pa.Table.from_pylist(
            errors,
            schema=pa.schema(
                [("path", pa.string()), ("reason", pa.string()), ("error", pa.string()), ("_key", pa.int64())]
            ),
        )
    files = pa.table(
        {
            "_fid": pa.array(ledger["_fid"], pa.int64()),
            "path": pa.array(ledger["path"], pa.string()),
            "sha256": pa.array(ledger["sha256"], pa.string()),
            "items": pa.array(ledger["items"], pa.int64()),
            "status": pa.array(ledger["status"], pa.string()),
        }
    )
    return Encoded(tables, error_table, files, reports)


def _add(
    builders: dict[tuple[str, int], _Builder],
    name: str,
    bucket: int,
    row: dict[str, Any],
    key: int,
    extra: dict[str, Any],
) -> None:
    builder = builders.get((name, bucket))
    if builder is None:
        builder = builders[(name, bucket)] = _Builder(TABLE_COLUMNS.get(name, ()))
    builder.add(row, key, {"_key": key, **extra})


def concat(tables: Sequence[pa.Table]) -> pa.Table:
    """Tables of one kind from several partitions or files as one (columns unified, first-seen kept)."""
    import pyarrow as pa

    if len(tables) == 1:
        return tables[0]
    first: dict[str, list[int]] = {}
    for table in tables:
        for name, where in _first(table).items():
            if name not in first or tuple(where) < tuple(first[name]):
                first[name] = where
    decimals: set[str] = set()
    for table in tables:
        decimals |= decimal_columns(table)
    joined = pa.concat_tables(tables, promote_options="permissive")
    return with_meta(joined, decimals, first)


def _first(table: pa.Table) -> dict[str, list[int]]:
    raw = (table.schema.metadata or {}).get(b"first")
    return json.loads(raw) if raw else {}


def first_seen(table: pa.Table) -> dict[str, list[int]]:
    """Column → [key, position] of the row where it first appeared (its place in the in-memory table)."""
    return _first(table)
