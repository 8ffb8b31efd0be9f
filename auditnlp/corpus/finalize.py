"""The comparison tables built from a dataset's streamed rows, one unit bucket at a time.

:func:`finalize` reads the committed rows of a dataset (see :mod:`auditnlp.corpus.dataset`) and writes its
tables. It gives the tables :func:`~auditnlp.corpus.compare.compare_rows` gives for the same rows, with
memory bounded by what one bucket needs and by the size of the corpus-wide tables, not by the corpus:

1. the order of the reports (the order of the run's inputs), which copies are compared once and the
   report ids, from a narrow projection of the reports (key, unit, period, fingerprint hash);
2. what the tables need from the whole corpus, each in one streaming pass: each indicator name's most
   frequent subject, the TF-IDF weights of the problem texts, the slogan counts;
3. per unit bucket (every report of a unit is in one bucket): the reports, the matrix cells, the
   year-on-year rows and the recurring problems, with the functions of :mod:`auditnlp.corpus.compare`;
   the long tables (indicators, slogans, problems, measures) are copied file by file with their ids.

Tables are written as Parquet folders partitioned by unit bucket (``reports/bucket=03/part-0.parquet``),
each bucket's rows in report order; ``slogan_counts.parquet`` and ``errors.parquet`` are single files.
"""

from __future__ import annotations

import functools
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.arrowrows import (
    BUCKETS,
    ITEMS_PER_FILE,
    ROW_TABLES,
    concat,
    decimal_columns,
    decode_column,
    decode_table,
    encode_column,
    encode_rows,
    with_meta,
)
from auditnlp.corpus.dataset import WORK, read_ledger, read_rows, row_files, write_atomic
from auditnlp.corpus.schema import DUPLICATE, REPORT_KEYS, TABLE_COLUMNS
from auditnlp.readers.base import display_name

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from auditnlp.corpus.manifest import Manifest
    from auditnlp.lexicon import LexiconsLike
    from auditnlp.types import Period

INTERNAL = ("_key", "_fp_exact", "_fp_sketch", "_sha256", "_shares", "_parent", "_covered")
PER_BUCKET = (
    "reports",
    "indicators",
    "values",
    "matrix",
    "yoy",
    "categories",
    "slogans",
    "problems",
    "measures",
    "recurring",
    "problem_status",
)
"""Tables written as folders partitioned by unit bucket (the rest are single files)."""

MATRIX_COLUMNS = ("name", "label", "base_unit", "unit", "period", "value")


@dataclass
class Finalized:
    """What :func:`finalize` wrote: row counts per table, the notes and the matrix's column labels."""

    rows: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    failures: int = 0
    reports: int = 0


class _Order:
    """Row keys → order in the run (input index × ITEMS_PER_FILE + item), for the files of this run."""

    def __init__(self, root: Path) -> None:
        import numpy as np
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        inputs = pq.read_table(root / WORK / "inputs.parquet").column("path").combine_chunks()
        ledger = read_ledger(root).table
        where = pc.index_in(ledger.column("path"), value_set=inputs).to_numpy(zero_copy_only=False)
        where = np.where(np.isnan(where.astype(float)), -1, where).astype(np.int64)
        fids = ledger.column("_fid").to_numpy()
        latest = np.full(len(inputs), -1, np.int64)  # per input: the fid of its latest analysis
        np.maximum.at(latest, where[where >= 0], fids[where >= 0])
        kept = np.flatnonzero(latest >= 0)
        order = np.argsort(latest[kept])
        self.fids = latest[kept][order]
        self.inputs = kept[order].astype(np.int64)

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        """Order of each key, -1 for rows of files not in this run (or replaced by a newer analysis)."""
        import numpy as np

        fid = keys // ITEMS_PER_FILE
        pos = np.searchsorted(self.fids, fid)
        pos = np.minimum(pos, max(len(self.fids) - 1, 0))
        found = (self.fids[pos] == fid) if len(self.fids) else np.zeros(len(keys), bool)
        order = self.inputs[pos] * ITEMS_PER_FILE + keys % ITEMS_PER_FILE if len(self.fids) else keys * 0
        return np.where(found, order, -1)


class _Ids:
    """Row keys → report ids (0 for rows of copies and of files not in this run)."""

    def __init__(self, keys: np.ndarray, ids: np.ndarray) -> None:
        import numpy as np

        order = np.argsort(keys)
        self.keys = keys[order]
        self.ids = ids[order]

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        import numpy as np

        if not len(self.keys):
            return np.zeros(len(keys), np.int64)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[pos] == keys, self.ids[pos], 0)


def finalize(
    root: str | Path, *, manifest: Manifest | None = None, lexicon: LexiconsLike = None
) -> Finalized:
    """Build the tables of the dataset at `root` from its committed rows (see the module docstring)."""
    import pyarrow.parquet as pq

    from auditnlp.classify.taxonomy import load_taxonomy

    root = Path(root)
    taxonomy = load_taxonomy(lexicon=lexicon)
    order_of = _Order(root)
    reports = _projection(root, order_of)
    ids, copies, notices, same_period = _identities(root, reports)
    rid_of = _Ids(reports.column("_key").to_numpy(), ids)
    distinct = _distinct_sources(reports, ids)
    reports = reports.drop_columns(["_fp_exact", "period", "problems"])  # held to the end: what is used
    columns = {name: _column_order(root, name, order_of, rid_of) for name in ROW_TABLES}
    types = {name: _types(root, name) for name in ROW_TABLES}
    _hand_back()  # what the corpus-wide steps freed goes back to the system
    out = Finalized(reports=int((ids > 0).sum()))
    _clear_tables(root)
    for bucket in range(BUCKETS):
        written = _write_reports(
            root, bucket, rid_of, columns["reports"], types["reports"], copies, same_period, taxonomy.labels
        )
        if written is None:
            continue
        shown = _Shown(root / WORK / "parts" / "shown", _shown_ranges(root, bucket, rid_of))
        _write_long_tables(root, bucket, rid_of, columns, types, shown)
        _write_matrix_and_yoy(root, bucket, *written, shown, lexicon)  # a range of units at a time
        _write_recurring(root, bucket, rid_of, _source_info(reports, ids, bucket, distinct), lexicon)
        _hand_back()  # a bucket's buffers go back to the system
    counts = _slogan_counts(root, rid_of)
    write_atomic(encode_rows(counts, TABLE_COLUMNS["slogan_counts"]), root / "slogan_counts.parquet")
    errors = _errors(root, order_of, reports, manifest, notices)
    write_atomic(encode_rows(errors, TABLE_COLUMNS["errors"]), root / "errors.parquet")
    from auditnlp.corpus.compare import _identity_notes
    from auditnlp.corpus.schema import NOTICES

    out.notes = _identity_notes(
        {i: names for i, names in copies.items()}, {i: v for i, v in same_period.items()}
    )
    out.failures = sum(1 for e in errors if e["error"] not in NOTICES)
    for name in PER_BUCKET:
        _unify(root / name)
        out.rows[name] = sum(pq.read_metadata(p).num_rows for p in (root / name).rglob("*.parquet"))
    out.rows["slogan_counts"] = len(counts)
    out.rows["errors"] = len(errors)
    run = root / WORK / "run.json"
    data = json.loads(run.read_text(encoding="utf-8"))
    data.update({"complete": True, "rows": out.rows, "notes": list(out.notes), "failures": out.failures})
    from auditnlp.corpus.dataset import write_json_atomic

    write_json_atomic(data, run)
    return out


def _hand_back() -> None:
    """Give freed memory back to the system: Arrow's pool, and the C heap where the C library can trim
    it (glibc's ``malloc_trim``; freed Python and Parquet buffers otherwise stay with the process, and
    each bucket's peak would stand on the last one's: ≈ 20 MB less at 100,000 reports)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None (another C library, another system)."""
    import ctypes

    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)  # the process's own symbols: its C library
    except (OSError, TypeError):  # no such handle on this system
        return None


def _unify(folder: Path) -> None:
    """Give every bucket file of a table the same schema (a column empty in one bucket is typed as in the
    others), so the folder reads as one table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(folder.glob("bucket=*/part-0.parquet"))
    schemas = [pq.read_schema(f) for f in files]
    if len({s.remove_metadata() for s in schemas}) <= 1:
        return
    decimals: set[str] = set()
    for schema in schemas:
        decimals |= set(json.loads((schema.metadata or {}).get(b"decimals", b"[]")))
    unified = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    for path, schema in zip(files, schemas, strict=True):
        if schema.remove_metadata() != unified:
            table = pq.read_table(path).select(unified.names)
            write_atomic(with_meta(table.cast(unified), decimals), path)


def _clear_tables(root: Path) -> None:
    import shutil

    for name in PER_BUCKET:
        shutil.rmtree(root / name, ignore_errors=True)


def _projection(root: Path, order_of: _Order) -> pa.Table:
    """The narrow columns of every report of this run, in report order (an Arrow table: compact)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = ["_key", "file", "row", "unit", "year", "period", "_fp_exact", "_sha256", "problems"]
    types = {"_key": pa.int64(), "row": pa.int64(), "year": pa.int64(), "problems": pa.int64()}
    parts = []
    for bucket in range(BUCKETS):
        for table in read_rows(root, "reports", bucket, wanted):
            order = order_of(table.column("_key").to_numpy())
            keep = order >= 0
            if not keep.any():
                continue
            arrays = [
                table.column(c).cast(types.get(c, pa.string())) if c in table.column_names
                else pa.nulls(table.num_rows, types.get(c, pa.string()))
                for c in wanted
            ]  # fmt: skip
            arrays += [pa.array(order, pa.int64()), pa.array(np.full(len(order), bucket), pa.int64())]
            table = pa.Table.from_arrays(arrays, names=[*wanted, "_order", "_bucket"])
            parts.append(table.filter(pa.array(keep)))
    if not parts:
        fields = [pa.field(c, types.get(c, pa.string())) for c in wanted]
        return pa.schema(
            [*fields, pa.field("_order", pa.int64()), pa.field("_bucket", pa.int64())]
        ).empty_table()
    table = pa.concat_tables(parts)
    return table.take(pc.sort_indices(table, [("_order", "ascending")]))


def _identities(
    root: Path, reports: pa.Table
) -> tuple[np.ndarray, dict[int, list[str]], list[tuple[str, str, str]], dict[int, list[int]]]:
    """Report ids (0 for copies), kept id → names of its copies, the Duplicate notices, same-period ids.

    Only reports that can be a copy or have one are compared (a repeated exact hash, or a unit and period
    shared with another report); the rest are kept without looking, which is what comparing them would
    decide. Those are found with Arrow, so Python holds only the few that are compared.
    """
    import numpy as np
    import pyarrow.compute as pc

    from auditnlp.corpus.identity import NEAR_IDENTICAL

    n = reports.num_rows
    exact = reports.column("_fp_exact")
    counts = pc.value_counts(exact)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    mask = pc.fill_null(pc.is_in(exact, value_set=repeated), False)
    has_group = pc.and_(
        pc.fill_null(pc.greater(pc.utf8_length(reports.column("unit")), 0), False),
        pc.fill_null(pc.greater(pc.utf8_length(reports.column("period")), 0), False),
    )
    pairs = pc.binary_join_element_wise(reports.column("unit"), reports.column("period"), "\x1f")
    grouped = pc.filter(pairs, has_group)
    if len(grouped):
        sizes = pc.value_counts(grouped)
        shared = pc.filter(sizes.field("values"), pc.greater(sizes.field("counts"), 1))
        in_shared = pc.fill_null(pc.and_(has_group, pc.is_in(pairs, value_set=shared)), False)
        mask = pc.or_(mask, in_shared)
    interesting = np.flatnonzero(mask.to_numpy(zero_copy_only=False)) if n else np.zeros(0, np.int64)
    keys = reports.column("_key").to_numpy()[interesting] if n else np.zeros(0, np.int64)
    # (unit, period) groups as small ints (-1: no unit or no period)
    encoded = pc.dictionary_encode(pairs).combine_chunks() if n else None
    group_codes = (
        np.where(has_group.to_numpy(zero_copy_only=False), encoded.indices.to_numpy(zero_copy_only=False), -1)
        if encoded is not None
        else np.zeros(0, np.int64)
    )
    group_of = group_codes[interesting].astype(np.int64) if n else group_codes
    # exact hashes as small ints: -1 none, 0.. for a repeated hash, a unique negative id otherwise
    codes = pc.index_in(exact, value_set=repeated).to_numpy(zero_copy_only=False)
    exact_codes = (
        np.where(np.isnan(codes.astype(float)), -2, codes).astype(np.int64)[interesting] if n else codes
    )
    missing = pc.is_null(exact).to_numpy(zero_copy_only=False)[interesting] if n else np.zeros(0, bool)
    sketches = _sketch_matrix(root, keys)
    left = Counter(int(g) for g in group_of if g >= 0)
    open_groups: dict[int, list[int]] = defaultdict(list)  # kept members, while the group is open
    members: dict[int, list[int]] = defaultdict(list)
    kept_exact: dict[int, int] = {}
    copy_of: dict[int, tuple[int, str]] = {}

    def name(j: int) -> str:
        i = int(interesting[j])
        return display_name(reports.column("file")[i].as_py(), reports.column("row")[i].as_py())

    for j in range(len(interesting)):
        # the rule of auditnlp.corpus.identity.Identities.check, with sketches in an array
        group = int(group_of[j]) if group_of[j] >= 0 else None
        copy = None
        if not missing[j]:
            code = int(exact_codes[j])
            if code >= 0 and code in kept_exact:
                copy = (kept_exact[code], f"same text as {name(kept_exact[code])}")
            elif group is not None:
                for other in open_groups[group]:
                    similarity = _similarity(j, other, exact_codes, missing, sketches)
                    if similarity >= NEAR_IDENTICAL:
                        copy = (other, f"near-identical to {name(other)} ({similarity:.0%} alike)")
                        break
            if copy is None and code >= 0:
                kept_exact[code] = j
        if copy is not None:
            copy_of[int(interesting[j])] = (int(interesting[copy[0]]), copy[1])
        elif group is not None:
            open_groups[group].append(j)
            members[group].append(int(interesting[j]))
        if group is not None:
            left[group] -= 1
            if not left[group]:
                open_groups.pop(group, None)  # no later report can be compared with its members
    kept = np.ones(n, bool)
    for i in copy_of:
        kept[i] = False
    ids = np.where(kept, np.cumsum(kept), 0).astype(np.int64)
    copies: dict[int, list[str]] = defaultdict(list)
    notices = []
    position = {int(i): j for j, i in enumerate(interesting)}
    for i in sorted(copy_of):
        of, reason = copy_of[i]
        copy_name = name(position[i])
        copies[int(ids[of])].append(copy_name)
        notices.append((copy_name, f"{reason}: the same document, compared once", DUPLICATE))
    same: dict[int, list[int]] = {}
    for group_members in members.values():
        if len(group_members) > 1:
            for i in group_members:
                same[int(ids[i])] = [int(ids[k]) for k in group_members if k != i]
    return ids, dict(copies), notices, same


def _similarity(
    a: int, b: int, codes: np.ndarray, missing: np.ndarray, sketches: tuple[np.ndarray, np.ndarray]
) -> float:
    """:meth:`auditnlp.corpus.identity.Fingerprint.similarity` of two reports (rows of `sketches`)."""
    if missing[b]:  # a member without a fingerprint is compared as an empty one
        return 0.0
    if codes[a] >= 0 and codes[a] == codes[b]:
        return 1.0
    values, present = sketches
    if not present[a] or not present[b]:
        return 0.0
    return float((values[a] == values[b]).sum()) / values.shape[1]


def _sketch_matrix(root: Path, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The MinHash sketches of the reports with `keys`, one row each (32-bit values), and which reports
    have one."""
    import numpy as np

    from auditnlp.corpus.identity import HASHES

    out = np.zeros((len(keys), HASHES), np.uint32)
    present = np.zeros(len(keys), bool)
    if not len(keys):
        return out, present
    order = np.argsort(keys)
    for table in read_rows(root, "reports", None, ["_key", "_fp_sketch"]):
        found = table.column("_key").to_numpy()
        pos = np.searchsorted(keys[order], found)
        pos = np.minimum(pos, len(keys) - 1)
        hit = keys[order][pos] == found
        sketches = table.column("_fp_sketch")
        for row in np.flatnonzero(hit).tolist():
            value = sketches[row].as_py()
            sketch = json.loads(value) if value else []
            if len(sketch) == HASHES:
                out[order[pos[row]]] = sketch
                present[order[pos[row]]] = True
    return out, present


def _distinct_sources(reports: pa.Table, ids: np.ndarray) -> np.ndarray:
    """Report ids whose problems are paired, sorted: kept reports with problems, the first of each source
    hash, unit and year (a document given twice is paired once)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.table(
        {
            "sha": pc.fill_null(reports.column("_sha256"), ""),
            "unit": pc.fill_null(reports.column("unit"), "\x00none"),
            "year": pc.fill_null(reports.column("year"), -1),
            "problems": pc.fill_null(reports.column("problems"), 0),
            "rid": pa.array(ids, pa.int64()),
        }
    )
    table = table.filter(pc.and_(pc.greater(table.column("rid"), 0), pc.greater(table.column("problems"), 0)))
    if not table.num_rows:
        return np.zeros(0, np.int64)
    first = table.group_by(["sha", "unit", "year"], use_threads=False).aggregate([("rid", "min")])
    return np.sort(first.column("rid_min").to_numpy())


def _source_info(
    reports: pa.Table, ids: np.ndarray, bucket: int, distinct: np.ndarray
) -> dict[int, tuple[Any, ...]]:
    """Report id → (path, row, unit, year, source hash) of the bucket's reports whose problems are paired."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rids = pa.array(ids, pa.int64())
    mask = pc.and_(pc.equal(reports.column("_bucket"), bucket), pa.array(np.isin(ids, distinct)))
    small = reports.append_column("_rid", rids).filter(mask).to_pydict()
    return {
        rid: (small["file"][i], small["row"][i], small["unit"][i], small["year"][i], small["_sha256"][i])
        for i, rid in enumerate(small["_rid"])
    }


def _column_order(root: Path, table: str, order_of: _Order, rid_of: _Ids) -> list[str]:
    """The columns of a row table in the order the in-memory table has them (fixed, then first seen)."""
    import numpy as np

    first: dict[str, tuple[int, int]] = {}
    for path in row_files(root, table):
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        meta = (schema.metadata or {}).get(b"first")
        seen = json.loads(meta) if meta else {}
        for name in schema.names:
            if name in INTERNAL or name == "_key":
                continue
            key, pos = seen.get(name, [0, 0])
            order = int(order_of(np.array([key], np.int64))[0])
            where = (order if order >= 0 else 1 << 62, pos)
            if name not in first or where < first[name]:
                first[name] = where
    fixed = list(TABLE_COLUMNS.get(table, ()))
    rest = sorted((n for n in first if n not in fixed), key=lambda n: first[n])
    return [*fixed, *rest]


def _types(root: Path, table: str) -> dict[str, pa.DataType]:
    """Each column's type over every row file of `table` (a column empty in some files takes the type
    it has elsewhere), so every bucket of the table is written with one schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    decimals: set[str] = set()
    schemas = []
    for path in row_files(root, table):
        schema = pq.read_schema(path)
        decimals |= set(json.loads((schema.metadata or {}).get(b"decimals", b"[]")))
        schemas.append(schema.remove_metadata())
    if not schemas:
        return {}
    unified = pa.unify_schemas(schemas, promote_options="permissive")
    types: dict[str, Any] = {f.name: f.type for f in unified}
    types["report_id"] = pa.int64()
    types["\0decimals"] = sorted(decimals)  # not a column: the decimal columns, for _schema
    return types


def _schema(columns: list[str], types: dict[str, pa.DataType]) -> pa.Schema:
    """The schema a table is written with: its columns with their types over every row file, and the
    columns that hold exact decimal text (``decimals`` metadata)."""
    import pyarrow as pa

    decimals = [c for c in types.get("\0decimals", ()) if c in columns]  # type: ignore[union-attr]
    fields = [pa.field(c, types.get(c, pa.null())) for c in columns]
    return pa.schema(fields, metadata={b"decimals": json.dumps(sorted(decimals)).encode()})


def _filtered(table: pa.Table, rid_of: _Ids) -> pa.Table:
    """Rows of kept reports of this run, with their ``report_id``."""
    import pyarrow as pa

    rids = rid_of(table.column("_key").to_numpy())
    table = table.set_column(table.column_names.index("_key"), "_rid", pa.array(rids, pa.int64()))
    return table.filter(pa.array(rids > 0))


def _sorted_by_rid(tables: list[pa.Table]) -> pa.Table | None:
    """The tables as one, in report order (already so when the run's rows came in input order)."""
    import pyarrow.compute as pc

    tables = [t for t in tables if t.num_rows]
    if not tables:
        return None
    table = concat(tables)
    rids = table.column("_rid")
    if len(rids) > 1 and not pc.all(pc.greater_equal(rids[1:], rids[:-1])).as_py():
        table = table.take(pc.sort_indices(table, [("_rid", "ascending")]))
    return table


def _final(table: pa.Table, columns: list[str], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """`table` with ``report_id`` and exactly `columns` (missing ones empty), internal columns dropped."""
    import pyarrow as pa

    arrays = []
    for name in columns:
        if name == "report_id":
            arrays.append(table.column("_rid"))
        elif name in table.column_names:
            arrays.append(table.column(name))
        else:
            arrays.append(pa.nulls(table.num_rows))
    if types:
        arrays = [
            a.cast(types[n]) if n in types and a.type != types[n] else a
            for a, n in zip(arrays, columns, strict=True)
        ]
    meta = table.schema.metadata or {}
    out = pa.Table.from_arrays(arrays, names=columns)
    decimals = json.loads(meta.get(b"decimals", b"[]"))
    return with_meta(out, [d for d in decimals if d in columns])


def _write(table: pa.Table, root: Path, name: str, bucket: int) -> None:
    write_atomic(table, root / name / f"bucket={bucket:02d}" / "part-0.parquet")


def _write_reports(
    root: Path,
    bucket: int,
    rid_of: _Ids,
    columns: list[str],
    types: dict[str, pa.DataType],
    copies: dict[int, list[str]],
    same_period: dict[int, list[int]],
    category_order: tuple[str, ...],
) -> tuple[dict[int, tuple[str, str]], dict[int, Period | None]] | None:
    """The bucket's reports (and their category shares); returns each report's matrix column and covered
    period (what the matrix and the year-on-year table need)."""
    import pyarrow as pa

    from auditnlp.corpus.compare import _category_rank, frame_from_columns
    from auditnlp.corpus.matrix import column_labels
    from auditnlp.segment.periods import period_from_code

    table = _sorted_by_rid([_filtered(t, rid_of) for t in read_rows(root, "reports", bucket)])
    if table is None:
        return None
    rids = table.column("_rid").to_pylist()
    codes = table.column("_covered").to_pylist() if "_covered" in table.column_names else [None] * len(rids)
    periods = {rid: period_from_code(code) if code else None for rid, code in zip(rids, codes, strict=True)}
    small = decode_table(table.select(["_rid", "file", "row", "unit", "year", "period"]))
    small["report_id"] = small.pop("_rid")
    labels = column_labels(frame_from_columns(small), periods)
    shares = [c for c in columns if c.startswith("share_")]
    ordered = sorted(shares, key=lambda c: _category_rank(c.removeprefix("share_"), category_order))
    rest = [c for c in columns if c not in shares and not c.startswith("extra_")]
    extras = [c for c in columns if c.startswith("extra_")]
    names = [*rest, *ordered, *extras]
    at = names.index("warnings") if "warnings" in names else len(names)
    names[at:at] = ["duplicates", "same_period"]
    added = ("duplicates", "same_period", "column")
    final = _final(table, [c for c in names if c not in added], types)
    duplicates = ["; ".join(copies[i]) if i in copies else None for i in rids]
    same = ["; ".join(map(str, same_period[i])) if i in same_period else None for i in rids]
    position = [c for c in names if c != "column"].index("duplicates")
    final = final.add_column(position, "duplicates", pa.array(duplicates, pa.string()))
    final = final.add_column(position + 1, "same_period", pa.array(same, pa.string()))
    at = final.column_names.index("period") + 1  # each report's matrix column, as compare_rows puts it
    final = final.add_column(at, "column", pa.array([labels[i][1] for i in rids], pa.string()))
    _write(final, root, "reports", bucket)
    has_shares = table.column("_shares").to_pylist()
    with_shares = table.filter(pa.array([bool(s) for s in has_shares]))
    if with_shares.num_rows:
        cats = sorted(
            (c.removeprefix("share_") for c in shares), key=lambda c: _category_rank(c, category_order)
        )
        data = decode_table(with_shares.select(["_rid", *[c for c in REPORT_KEYS if c != "report_id"]]))
        frame = {"report_id": data.pop("_rid"), **data}
        for cat in cats:
            column = f"share_{cat}"
            values = with_shares.column(column).to_pylist() if column in with_shares.column_names else []
            frame[cat] = [0.0 if v is None else v for v in values] or [0.0] * with_shares.num_rows
        from auditnlp.corpus.compare import report_label

        frame_rows = [dict(zip(frame, row, strict=True)) for row in zip(*frame.values(), strict=True)]
        for row in frame_rows:
            row["label"] = report_label(row["unit"], row["year"])
        _write(encode_rows(frame_rows, [*REPORT_KEYS, "label", *cats]), root, "categories", bucket)
    return labels, periods


def _write_long_tables(
    root: Path,
    bucket: int,
    rid_of: _Ids,
    columns: dict[str, list[str]],
    types: dict[str, dict[str, pa.DataType]],
    shown: _Shown,
) -> None:
    """Copy the bucket's indicators, values, slogans, problems and measures with their ids, a row file at a
    time; the shown values (what the matrix and the year-on-year table need) go to `shown`."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    for name in ("indicators", "values", "slogans", "problems", "measures"):
        path = root / name / f"bucket={bucket:02d}" / "part-0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(".part-0.parquet.tmp")
        schema = _schema(columns[name], types[name])
        last, ordered, written = 0, True, 0
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for piece in (_filtered(t, rid_of) for t in read_rows(root, name, bucket)):
                if not piece.num_rows:
                    continue
                rids = piece.column("_rid").to_numpy()
                ordered = ordered and rids[0] >= last and bool((rids[1:] >= rids[:-1]).all())
                last = int(rids[-1])
                writer.write_table(_final(piece, columns[name], types[name]).cast(schema))
                written += piece.num_rows
                if name == "values" and "shown" in piece.column_names:
                    keep = [c for c in _SHOWN_COLUMNS if c in piece.column_names]
                    shown.add(piece.filter(_is_shown(piece)).select(keep))
        if not written:
            tmp.unlink()
            path.parent.rmdir()
            continue
        if not ordered:  # rows of a resumed run whose inputs changed: sort the bucket (held in memory)
            table = pq.read_table(tmp)
            table = table.take(pc.sort_indices(table, [("report_id", "ascending")]))
            pq.write_table(table, tmp, compression="zstd")
        tmp.replace(path)


_SHOWN_COLUMNS = (
    "_rid", "unit", "name", "label", "base_unit", "period", "value", "masked", "qualifier", "role", "flag",
    "shown", "sentence",
)  # fmt: skip

UNITS_AT_ONCE = 2000
"""Shown values turned into Python objects at once (whole units), for the matrix and yoy."""


SHOWN_AT_ONCE = 20_000
"""Shown values of a bucket held in memory at once (whole chunks of units); a bucket with more has them
on disk by range of units, so a large archive's bucket takes no more memory than a small one's."""


def _is_shown(values: pa.Table) -> pa.ChunkedArray:
    """Which rows of a values table are shown values (the matrix's and yoy's input)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.fill_null(values.column("shown").cast(pa.bool_()), False)


def _shown_ranges(root: Path, bucket: int, rid_of: _Ids) -> dict[str | None, int]:
    """Each unit with shown values in the bucket → the range of units it is held in.

    The units in the order :func:`_write_matrix_and_yoy` sorts them (nulls last) are cut into its chunks
    (:data:`UNITS_AT_ONCE` rows, a unit whole), and the chunks into ranges of up to :data:`SHOWN_AT_ONCE`
    rows; a range begins where a chunk does, so the chunks and their rows are the same, range by range,
    as over the whole bucket. One pass over the values' ``unit`` and ``shown`` columns."""
    import bisect

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    counts: Counter[str | None] = Counter()
    for table in read_rows(root, "values", bucket, ["_key", "unit", "shown"]):
        if "shown" not in table.column_names:
            continue
        table = _filtered(table, rid_of)  # the rows _write_long_tables hands to _Shown, and no others
        unit = table.column("unit") if "unit" in table.column_names else pa.nulls(table.num_rows)
        counted = pc.value_counts(unit.cast(pa.string()).filter(_is_shown(table)))
        values, sizes = counted.field("values").to_pylist(), counted.field("counts").to_pylist()
        counts.update(dict(zip(values, sizes, strict=True)))
    units: list[str | None] = [*sorted(u for u in counts if u is not None)]  # code points: Arrow's order
    units += [None] if None in counts else []
    ends = np.cumsum([counts[u] for u in units]).tolist()
    out: dict[str | None, int] = {}
    start, first, held, current = 0, 0, 0, 0
    total = ends[-1] if ends else 0
    while start < total:
        last = bisect.bisect_left(ends, min(start + UNITS_AT_ONCE, total))  # the chunk's last unit
        size = ends[last] - start
        if held and held + size > SHOWN_AT_ONCE:
            current, held = current + 1, 0
        out.update((u, current) for u in units[first : last + 1])
        held += size
        start, first = ends[last], last + 1
    return out


class _Shown:
    """A bucket's shown values, by range of units (see :func:`_shown_ranges`): in memory when they are one
    range, else on disk piece by piece."""

    def __init__(self, folder: Path, ranges: dict[str | None, int]) -> None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        self.folder = folder
        self.range_of = ranges
        self.count = max(ranges.values(), default=0) + 1
        self.pieces: list[list[pa.Table | Path]] = [[] for _ in range(self.count)]

    def add(self, piece: pa.Table) -> None:
        """Keep shown values (rows of kept reports): in memory, or each range's rows in a file."""
        import numpy as np
        import pyarrow as pa

        if not piece.num_rows:
            return
        if self.count == 1:
            self.pieces[0].append(piece)
            return
        units = piece.column("unit").to_pylist() if "unit" in piece.column_names else [None] * piece.num_rows
        where = np.fromiter((self.range_of[u] for u in units), np.int64, len(units))
        for number in np.unique(where).tolist():
            path = self.folder / f"r{number:04d}" / f"p{len(self.pieces[number]):06d}.parquet"
            write_atomic(piece.filter(pa.array(where == number)), path)
            self.pieces[number].append(path)

    def ranges(self) -> Iterator[pa.Table]:
        """Each range's rows as one table, pieces in the order they came; the files go when read."""
        import shutil

        import pyarrow.parquet as pq

        for pieces in self.pieces:
            if pieces:
                yield concat([p if not isinstance(p, Path) else pq.read_table(p) for p in pieces])
        self.pieces = [[] for _ in range(self.count)]
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_matrix_and_yoy(
    root: Path,
    bucket: int,
    labels: dict[int, tuple[str, str]],
    periods: dict[int, Period | None],
    shown: _Shown,
    lexicon: LexiconsLike,
) -> None:
    """The bucket's matrix cells (one row per cell), its columns (empty ones too, with the period each
    is sorted by) and its year-on-year rows, computed a few units at a time from the shown values with
    the functions of :mod:`auditnlp.corpus.matrix` (every report of a unit is in the bucket)."""
    import bisect

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from auditnlp.corpus.compare import indicator_labels
    from auditnlp.corpus.matrix import column_periods

    names = indicator_labels(lexicon)
    keys = [k if k != "_rid" else "report_id" for k in _SHOWN_COLUMNS]
    cells = _Parts(root / WORK / "parts" / "matrix")
    yoy = _Parts(root / WORK / "parts" / "yoy")
    for table in shown.ranges():  # whole chunks of units (see _shown_ranges): as if the bucket were one
        order = pc.sort_indices(table, [("unit", "ascending"), ("_rid", "ascending")])
        units = _codes(table.column("unit").take(order))
        ends = [*(np.flatnonzero(units[1:] != units[:-1]) + 1).tolist(), len(units)]  # where a unit ends
        start = 0
        while start < len(units):
            end = ends[bisect.bisect_left(ends, min(start + UNITS_AT_ONCE, len(units)))]  # a unit stays whole
            chunk = table.take(order.slice(start, end - start))  # a few units' rows, sorted
            cells.add(_matrix_part(chunk, labels, names, keys))
            _yoy_part(chunk, periods, keys, yoy, lexicon)
            start = end
    cells.write(root / "matrix" / f"bucket={bucket:02d}" / "part-0.parquet", MATRIX_COLUMNS)
    # one chunk's rows were one table (encode_rows' metadata), several were joined (concat's)
    yoy.write(
        root / "yoy" / f"bucket={bucket:02d}" / "part-0.parquet",
        TABLE_COLUMNS["yoy"],
        plain=len(cells.files) == 1,
    )
    by_key = column_periods(labels, periods)
    columns = sorted(by_key)
    codes = [p.code if (p := by_key[c]) is not None else None for c in columns]
    write_atomic(
        pa.table(
            {
                "unit": pa.array([c[0] for c in columns], pa.string()),
                "period": pa.array([c[1] for c in columns], pa.string()),
                "covered": pa.array(codes, pa.string()),
            }
        ),
        root / WORK / "matrix_columns" / f"bucket={bucket:02d}.parquet",
    )


class _Parts:
    """Parts of one table file, kept on disk as they come (a bucket's matrix or year-on-year rows grow
    with its units), then written as one file: what writing :func:`~auditnlp.corpus.arrowrows.concat`
    of the parts gives (columns unified, metadata as concat makes it), a part at a time."""

    def __init__(self, folder: Path) -> None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        self.folder = folder
        self.files: list[Path] = []

    def add(self, table: pa.Table) -> None:
        """Keep one part (on disk)."""
        path = self.folder / f"p{len(self.files):06d}.parquet"
        write_atomic(table, path)
        self.files.append(path)

    def write(self, path: Path, columns: Sequence[str], *, plain: bool = False) -> None:
        """Write the parts (or an empty table with `columns` when there is none) as one file at `path`;
        `plain`: with the metadata :func:`~auditnlp.corpus.arrowrows.encode_rows` gives all the rows
        at once (their decimal columns), not that of concat."""
        import os
        import shutil

        import pyarrow.parquet as pq

        if len(self.files) <= 1:
            table = pq.read_table(self.files[0]) if self.files else encode_rows([], columns)
            write_atomic(table, path)
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        schema = concat([pq.read_schema(f).empty_table() for f in self.files]).schema
        if plain:
            schema = schema.remove_metadata().with_metadata(
                {b"decimals": json.dumps(sorted(decimal_columns(schema.empty_table()))).encode()}
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.parts.tmp")
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for file in self.files:
                part = pq.read_table(file)
                part = _cast_to(part, schema)
                writer.write_table(part)
        os.replace(tmp, path)
        shutil.rmtree(self.folder, ignore_errors=True)


def _cast_to(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with the types and metadata of `schema` (same columns, in order)."""
    return table.select(schema.names).cast(schema.remove_metadata()).replace_schema_metadata(schema.metadata)


def _codes(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Each value of `array` as a small int, equal values (nulls too) equal ints."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type == pa.null() or not len(array):
        return np.zeros(len(array), np.int64)
    encoded = pc.dictionary_encode(array)
    indices = pc.fill_null(encoded.indices, len(encoded.dictionary))
    return np.asarray(indices.to_numpy(zero_copy_only=False), np.int64)


def _text_column(array: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A text column as :func:`~auditnlp.corpus.arrowrows.encode_column` gives it (no value: null type)."""
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.null_count == len(array):
        return pa.nulls(len(array))
    return array.cast(pa.string())


def _matrix_part(
    chunk: pa.Table, labels: dict[int, tuple[str, str]], names: dict[str, str], keys: list[str]
) -> pa.Table:
    """The matrix cells of a few whole units' shown values, row for row what
    :func:`~auditnlp.corpus.matrix.matrix_cells` gives in dict order (indicators in order of first
    appearance, each one's columns in order of first appearance, the last value of a column kept),
    found with numpy so that a unit of thousands of reports never becomes Python rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from auditnlp.corpus.matrix import MASK

    n = chunk.num_rows
    if "value" not in decimal_columns(chunk) or "name" not in chunk.column_names:
        # values that are not exact decimals (never so in rows a worker writes): the row-by-row way
        return _matrix_rows(chunk, labels, names, keys)
    columns: dict[tuple[str, str], int] = {}
    rids = chunk.column("_rid").to_numpy()
    col = np.fromiter((columns.setdefault(labels[r], len(columns)) for r in rids.tolist()), np.int64, n)
    name = chunk.column("name")
    base = chunk.column("base_unit") if "base_unit" in chunk.column_names else pa.nulls(n)
    key = _codes(name) * (n + 1) + _codes(base)
    pair = key * (len(columns) + 1) + col
    _, first = np.unique(pair, return_index=True)
    _, from_end = np.unique(pair[::-1], return_index=True)
    last = n - 1 - from_end
    key_values, key_first = np.unique(key, return_index=True)
    key_start = key_first[np.searchsorted(key_values, key[first])]
    order = np.lexsort((first, key_start))
    first, last = first[order], last[order]
    out_name = _text_column(name.take(pa.array(first)))
    distinct = pc.unique(out_name)
    label = pa.array([names.get(v, "") for v in distinct.to_pylist()], pa.string()).take(
        pc.index_in(out_name, value_set=distinct)
    )
    units = pa.array([c[0] for c in columns], pa.string())
    periods = pa.array([c[1] for c in columns], pa.string())
    at = pa.array(col[first])
    masked = (
        chunk.column("masked").take(pa.array(last)).to_pylist()
        if "masked" in chunk.column_names
        else [None] * len(last)
    )
    raw = decode_column(chunk.column("value").take(pa.array(last)).to_pylist(), True)
    value, decimal = encode_column(
        "value", [MASK if m or v is None else v for m, v in zip(masked, raw, strict=True)]
    )
    arrays = [
        out_name,
        label,
        _text_column(base.take(pa.array(first))),
        units.take(at),
        periods.take(at),
        value,
    ]
    return with_meta(pa.Table.from_arrays(arrays, names=list(MATRIX_COLUMNS)), ["value"] if decimal else [])


def _matrix_rows(
    chunk: pa.Table, labels: dict[int, tuple[str, str]], names: dict[str, str], keys: list[str]
) -> pa.Table:
    """What :func:`_matrix_part` gives, found row by row with :func:`~auditnlp.corpus.matrix.matrix_cells`."""
    from auditnlp.corpus.compare import frame_from_columns
    from auditnlp.corpus.matrix import matrix_cells

    data = decode_table(chunk)
    data["report_id"] = data.pop("_rid")
    frame = frame_from_columns({k: data.get(k, [None] * chunk.num_rows) for k in keys})
    rows = [
        {"name": name, "label": names.get(name, ""), "base_unit": base_unit, "unit": unit,
         "period": label, "value": value}
        for (name, base_unit), row in matrix_cells(frame, labels).items()
        for (unit, label), value in row.items()
    ]  # fmt: skip
    return encode_rows(rows, MATRIX_COLUMNS)


YOY_ROWS = 2000
"""Shown values turned into Python objects at once for the year-on-year rows (whole indicators of a unit)."""


def _yoy_part(
    chunk: pa.Table, periods: dict[int, Period | None], keys: list[str], out: _Parts, lexicon: LexiconsLike
) -> None:
    """The year-on-year rows of a few whole units' shown values, as :func:`~auditnlp.corpus.matrix.yoy_of`
    gives them, computed a few (unit, indicator, base unit) groups at a time: its rows are sorted by
    group and a group's rows depend on that group alone, so a unit of thousands of reports is never
    held as Python rows at once. The rows go to `out` as they are made."""
    import numpy as np
    import pyarrow.compute as pc

    from auditnlp.corpus.compare import frame_from_columns
    from auditnlp.corpus.matrix import yoy_of

    def rows_of(part: pa.Table) -> pa.Table:
        data = decode_table(part)
        data["report_id"] = data.pop("_rid")
        frame = frame_from_columns({k: data.get(k, [None] * part.num_rows) for k in keys})
        yoy = yoy_of(frame, periods, lexicon=lexicon)
        rows = yoy.astype(object).where(yoy.notna(), None).to_dict("records")
        return encode_rows(rows, TABLE_COLUMNS["yoy"])

    n = chunk.num_rows
    group = [c for c in ("unit", "name", "base_unit") if c in chunk.column_names]
    if n <= YOY_ROWS or len(group) < 3:
        out.add(rows_of(chunk))
        return
    order = pc.sort_indices(chunk, [(c, "ascending") for c in group])  # stable
    codes = np.stack([_codes(chunk.column(c).take(order)) for c in group])
    starts = [0, *(np.flatnonzero((codes[:, 1:] != codes[:, :-1]).any(axis=0)) + 1).tolist()]
    begin = 0
    for start in [*starts[1:], n]:
        if start - begin >= YOY_ROWS or start == n:
            out.add(rows_of(chunk.take(order.slice(begin, start - begin))))
            begin = start


def _problem_texts(
    root: Path, rid_of: _Ids, wanted: np.ndarray, bucket: int | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(report id, problem row) of the reports whose ids are in `wanted`, file by file."""
    import numpy as np
    import pyarrow as pa

    columns = ["_key", "text", "heading", "start", "end", "kind", "source", "_parent"]
    for table in read_rows(root, "problems", bucket, columns):
        rids = rid_of(table.column("_key").to_numpy())
        keep = np.isin(rids, wanted)
        if not keep.any():
            continue
        data = decode_table(table.drop_columns(["_key"]).filter(pa.array(keep)))
        for i, rid in enumerate(rids[keep].tolist()):
            yield rid, {k: v[i] for k, v in data.items()}


def _write_recurring(
    root: Path, bucket: int, rid_of: _Ids, info: dict[int, tuple[Any, ...]], lexicon: LexiconsLike
) -> None:
    """The recurring problems and the problem status of the bucket's units, unit by unit (a score depends
    on the two problems compared alone, so a unit's reports give that unit's rows)."""
    import numpy as np

    from auditnlp.corpus.compare import distinct_sources, recurring_frame, status_frame
    from auditnlp.corpus.recurrence import StatusPairs, iter_pairs, problem_status
    from auditnlp.types import Finding, Meta, ProblemPair, ProblemSource, Source

    found: dict[int, list[Finding]] = defaultdict(list)
    for rid, row in _problem_texts(root, rid_of, np.array(sorted(info), np.int64), bucket):
        found[rid].append(
            Finding(
                row.get("kind") or "problem",
                row["start"],
                row["end"],
                row["text"],
                row.get("heading"),
                0,
                row.get("source") or "",
                parent=row.get("_parent"),
            )
        )
    units: dict[str, list[ProblemSource]] = defaultdict(list)
    for rid in sorted(found):
        path, number, unit, year, sha = info[rid]
        if unit:
            source = Source(path, sha or "", "", None, number)
            units[unit].append(ProblemSource(source, Meta(unit=unit, year=year), tuple(found[rid])))
    recurring = _Parts(root / WORK / "parts" / "recurring")
    status = _Parts(root / WORK / "parts" / "problem_status")
    buffer: list[ProblemPair] = []

    def flush() -> None:
        if buffer:
            frame = recurring_frame(buffer)
            rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
            recurring.add(encode_rows(rows, TABLE_COLUMNS["recurring"]))
            buffer.clear()

    for unit in sorted(units):
        if len(units[unit]) > 1:  # the rows of compare._recurring, a block of pairs at a time
            reports = distinct_sources(units[unit])
            pairs = StatusPairs()
            for block in iter_pairs(reports, lexicon=lexicon) if len(reports) > 1 else ():
                pairs.add(block)
                buffer.extend(block)
                if len(buffer) >= PAIRS_AT_ONCE:
                    flush()
            frame = status_frame(problem_status(reports, pairs, lexicon=lexicon))
            if len(frame):
                status.add(encode_rows(frame.astype(object).where(frame.notna(), None).to_dict("records"),
                                       TABLE_COLUMNS["problem_status"]))  # fmt: skip
    flush()
    recurring.write(
        root / "recurring" / f"bucket={bucket:02d}" / "part-0.parquet", TABLE_COLUMNS["recurring"], plain=True
    )
    status.write(
        root / "problem_status" / f"bucket={bucket:02d}" / "part-0.parquet",
        TABLE_COLUMNS["problem_status"],
        plain=True,
    )


PAIRS_AT_ONCE = 5000
"""Recurring pairs turned into rows at once."""


def _slogan_counts(root: Path, rid_of: _Ids) -> list[dict[str, Any]]:
    """The rows of the slogan counts of :func:`auditnlp.corpus.compare._slogan_counts` (in its order), in
    one pass over the slogans.

    Each text's units are unit codes: a set while few, marks in a byte array over the units seen once
    many (a popular slogan of a national archive is used by thousands of units: a Python set of them per
    text took more memory than the table written from it)."""
    from operator import itemgetter

    import numpy as np

    stats: dict[tuple[str, str, str], dict[str, Any]] = {}
    unit_codes: dict[str, int] = {}
    for table in read_rows(root, "slogans", None, ["_key", "kind", "text", "keywords", "unit", "year"]):
        rids = rid_of(table.column("_key").to_numpy()).tolist()
        data = decode_table(table.drop_columns(["_key"]))
        for row, rid in enumerate(rids):
            if not rid:
                continue
            kind, text, keywords = data["kind"][row], data["text"][row], data["keywords"][row] or ""
            unit, year = data["unit"][row], data["year"][row]
            code = unit_codes.setdefault(unit, len(unit_codes)) if isinstance(unit, str) and unit else -1
            keys = [("slogan", kind, text)]
            keys += [("keyword", kind, k) for k in keywords.split("、") if k]
            for n, key in enumerate(dict.fromkeys(keys)):
                entry = stats.get(key)
                if entry is None:
                    entry = stats[key] = {
                        "first": (rid, row, n),
                        "reports": 0,
                        "last": None,
                        "occurrences": 0,
                        "units": set(),
                        "years": set(),
                    }
                entry["first"] = min(entry["first"], (rid, row, n))
                if entry["last"] != rid:
                    entry["reports"] += 1
                    entry["last"] = rid
                entry["occurrences"] += 1
                if code >= 0:
                    _mark(entry, code)
                if year is not None:
                    entry["years"].add(int(year))
    names = np.array(list(unit_codes), dtype=object)
    rank = np.argsort(np.argsort(names))  # each code's place in sorted unit order

    def units_of(marks: set[int] | np.ndarray) -> str:
        codes = np.flatnonzero(marks) if isinstance(marks, np.ndarray) else np.array(list(marks), np.int64)
        return "、".join(names[codes[np.argsort(rank[codes])]].tolist())

    out = [
        {
            "what": what,
            "kind": kind,
            "text": text,
            "reports": e["reports"],
            "occurrences": e["occurrences"],
            "units": units_of(e["units"]),
            "years": "、".join(str(y) for y in sorted(e["years"])),
        }
        for (what, kind, text), e in sorted(stats.items(), key=lambda kv: kv[1]["first"])
    ]
    # the frame's sort_values(["what", "reports", "occurrences", "text"], descending, descending, descending,
    # ascending) with stable sorts, last key first: no frame (its string columns copied the units lists)
    out.sort(key=lambda r: (r["text"] is None, r["text"] or ""))
    for column in ("occurrences", "reports", "what"):
        out.sort(key=itemgetter(column), reverse=True)
    return out


UNITS_AS_SET = 1024
"""A slogan's units are held as a set of unit codes up to this many, then as marks in a byte array."""


def _mark(entry: dict[str, Any], code: int) -> None:
    """Add unit `code` to a slogan count's units (see :data:`UNITS_AS_SET`)."""
    import numpy as np

    units = entry["units"]
    if isinstance(units, set):
        units.add(code)
        if len(units) > UNITS_AS_SET:
            marks = np.zeros(2 * max(units) + 1, np.bool_)
            marks[list(units)] = True
            entry["units"] = marks
        return
    if code >= len(units):
        units = entry["units"] = np.concatenate(
            [units, np.zeros(max(code + 1, 2 * len(units)) - len(units), np.bool_)]
        )
    units[code] = True


def _errors(
    root: Path,
    order_of: _Order,
    reports: pa.Table,
    manifest: Manifest | None,
    notices: list[tuple[str, str, str]],
) -> list[dict[str, Any]]:
    """The errors table: inputs that gave nothing, failures in input order, manifest notes, copies."""
    import pyarrow.parquet as pq

    from auditnlp.corpus.manifest import manifest_notes

    first = pq.read_table(root / WORK / "input_errors.parquet").to_pylist()
    failed: list[tuple[int, dict[str, Any]]] = []
    for table in read_rows(root, "errors"):
        order = order_of(table.column("_key").to_numpy()).tolist()
        for where, row in zip(order, table.drop_columns(["_key"]).to_pylist(), strict=True):
            if where >= 0:
                failed.append((where, row))
    failed.sort(key=lambda item: item[0])
    rows = [*first, *(row for _, row in failed)]
    if manifest is not None:
        seen = list(zip(reports.column("file").to_pylist(), reports.column("row").to_pylist(), strict=True))
        rows.extend({"path": p, "reason": r, "error": e} for p, r, e in manifest_notes(manifest, seen))
    rows.extend({"path": p, "reason": r, "error": e} for p, r, e in notices)
    return rows


def read_table(root: str | Path, name: str, columns: list[str] | None = None) -> pa.Table | None:
    """A finished dataset's table `name` (all buckets), or ``None`` when it has no rows."""
    import pyarrow.parquet as pq

    root = Path(root)
    files = (
        sorted((root / name).glob("bucket=*/part-0.parquet"))
        if name in PER_BUCKET
        else [root / f"{name}.parquet"]
    )
    tables = [pq.read_table(f, columns=columns) for f in files if f.is_file()]
    tables = [t for t in tables if t.num_rows]
    return concat(tables) if tables else None


def matrix_columns(root: str | Path) -> list[tuple[str, str]]:
    """Every (unit, period label) column of the matrix, in matrix order (units with no cell too)."""
    import pyarrow.parquet as pq

    from auditnlp.corpus.matrix import column_sort_key
    from auditnlp.segment.periods import period_from_code

    columns: dict[tuple[str, str], Period | None] = {}
    for path in sorted((Path(root) / WORK / "matrix_columns").glob("bucket=*.parquet")):
        table = pq.read_table(path)
        for unit, label, code in zip(
            *(table.column(c).to_pylist() for c in ("unit", "period", "covered")), strict=True
        ):
            columns[(unit, label)] = period_from_code(code) if code else None
    return sorted(columns, key=lambda k: column_sort_key(k, columns[k]))


def _sorted_rows(table: pa.Table | None, keys: list[str]) -> dict[str, list[Any]] | None:
    import pyarrow.compute as pc

    if table is None:
        return None
    if keys:
        table = table.take(pc.sort_indices(table, [(k, "ascending") for k in keys]))
    return decode_table(table)


def load_comparison(root: str | Path, *, lexicon: LexiconsLike = None) -> Any:
    """The tables of a finished dataset as an in-memory :class:`~auditnlp.corpus.compare.Comparison`
    (rows in report order): the same tables :func:`~auditnlp.corpus.compare.compare_rows` gives."""
    import pandas as pd

    from auditnlp.classify.taxonomy import load_taxonomy
    from auditnlp.corpus.compare import (
        Comparison,
        _categories,
        frame_from_columns,
        indicator_labels,
        name_order,
    )
    from auditnlp.corpus.matrix import matrix_frame

    root = Path(root)
    run = json.loads((root / WORK / "run.json").read_text(encoding="utf-8"))
    taxonomy = load_taxonomy(lexicon=lexicon)

    def rows_table(name: str) -> pd.DataFrame:
        data = _sorted_rows(read_table(root, name), ["report_id"])
        if data is None:
            columns = list(TABLE_COLUMNS.get(name, ()))
            return frame_from_columns({c: [] for c in columns})
        return frame_from_columns(data)

    def plain(
        name: str, keys: list[str], columns: tuple[str, ...], ints: tuple[str, ...] = ()
    ) -> pd.DataFrame:
        data = _sorted_rows(read_table(root, name), keys)
        rows = (
            []
            if data is None
            else [dict(zip(data, r, strict=True)) for r in zip(*data.values(), strict=True)]
        )
        frame = pd.DataFrame(rows, columns=list(columns))
        for col in ints:
            frame[col] = frame[col].astype("Int64")
        return frame

    reports = rows_table("reports")
    if reports.empty and not len(reports.columns):
        reports = pd.DataFrame()
    matrix = pd.DataFrame()
    if len(reports):
        cells_table = _sorted_rows(read_table(root, "matrix"), [])
        cells: dict[tuple[str, str], dict[tuple[str, str], Any]] = defaultdict(dict)
        if cells_table is not None:
            for name, base_unit, unit, period, value in zip(
                *(cells_table[c] for c in ("name", "base_unit", "unit", "period", "value")), strict=True
            ):
                cells[(name, base_unit)][(unit, period)] = value
        matrix = matrix_frame(cells, matrix_columns(root), name_order(lexicon))
    shares = _sorted_rows(read_table(root, "categories"), ["report_id"])
    if shares is None:
        share_frame = frame_from_columns({c: [] for c in REPORT_KEYS})
    else:
        shares.pop("label", None)
        share_frame = frame_from_columns(shares)
    yoy = _stable(
        plain("yoy", [], TABLE_COLUMNS["yoy"], ("year", "prev_year")), ["unit", "name", "base_unit"]
    )
    recurring = _stable(
        plain("recurring", [], TABLE_COLUMNS["recurring"], ("year_a", "year_b")),
        ["unit", "year_a", "year_b", "file_b"],
    )
    status = _stable(
        plain("problem_status", [], TABLE_COLUMNS["problem_status"], ("year", "other_year")), ["unit"]
    )
    labels = {c.label: c.name for c in taxonomy.categories}
    labels.update({f"share_{c.label}": f"{c.name}占比" for c in taxonomy.categories})
    return Comparison(
        reports=reports,
        indicators=rows_table("indicators"),
        values=rows_table("values"),
        matrix=matrix,
        yoy=yoy,
        categories=_categories(share_frame, taxonomy.labels),
        slogans=rows_table("slogans"),
        slogan_counts=plain("slogan_counts", [], TABLE_COLUMNS["slogan_counts"]),
        problems=rows_table("problems"),
        measures=rows_table("measures"),
        recurring=recurring,
        problem_status=status,
        errors=plain("errors", [], TABLE_COLUMNS["errors"]),
        notes=tuple(run.get("notes", ())),
        labels=labels,
        indicator_labels=indicator_labels(lexicon),
    )


def _stable(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of several buckets in the order of the in-memory table (sorted by `keys`, stable)."""
    if frame.empty:
        return frame
    order = frame[keys].astype(object).where(frame[keys].notna(), None)
    ranks = sorted(range(len(frame)), key=lambda i: tuple(_sort_value(v) for v in order.iloc[i]))
    return frame.iloc[ranks].reset_index(drop=True)


def _sort_value(value: Any) -> tuple[int, Any]:
    return (0, "") if value is None else (1, value)
