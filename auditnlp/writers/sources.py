"""Where writers read the comparison tables from: a :class:`~auditnlp.corpus.compare.Comparison` in
memory, or a finished dataset on disk read a batch at a time.

A :class:`TableSource` gives each table's columns, its row count and its rows in table order (report
order for per-report tables), so a writer streams any table without holding it; the matrix comes as a
frame limited to a number of columns (a view).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from auditnlp.corpus.schema import TABLES, column

if TYPE_CHECKING:
    import pandas as pd

    from auditnlp.corpus.compare import Comparison
    from auditnlp.lexicon import LexiconsLike


class TableSource(Protocol):
    """The comparison tables as a writer reads them."""

    notes: tuple[str, ...]

    @property
    def indicator_labels(self) -> Mapping[str, str]:
        """Canonical indicator name → its Chinese label."""

    @property
    def dataset(self) -> Path | None:
        """The dataset the tables come from (``None`` for tables in memory)."""

    def label(self, key: str) -> str:
        """The Chinese label of a column."""

    def columns(self, name: str) -> list[str]:
        """The columns of table `name` (the matrix: none; see :meth:`matrix`)."""

    def count(self, name: str) -> int:
        """Rows of table `name`."""

    def rows(self, name: str) -> Iterator[tuple[Any, ...]]:
        """The rows of table `name`, in table order."""

    def matrix(self, max_columns: int | None = None) -> tuple[pd.DataFrame, int]:
        """The matrix (at most `max_columns` (unit, period) columns, the first in matrix order) and how many
        columns the whole matrix has."""


class FrameSource:
    """The tables of a :class:`~auditnlp.corpus.compare.Comparison` in memory."""

    dataset: Path | None = None

    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.notes = comparison.notes
        self.indicator_labels = comparison.indicator_labels
        self.label: Callable[[str], str] = comparison.label

    def columns(self, name: str) -> list[str]:
        """See :class:`TableSource`."""
        return [str(c) for c in getattr(self.comparison, name).columns] if name != "matrix" else []

    def count(self, name: str) -> int:
        """See :class:`TableSource`."""
        return len(getattr(self.comparison, name))

    def rows(self, name: str) -> Iterator[tuple[Any, ...]]:
        """See :class:`TableSource`."""
        yield from getattr(self.comparison, name).itertuples(index=False, name=None)

    def matrix(self, max_columns: int | None = None) -> tuple[pd.DataFrame, int]:
        """See :class:`TableSource`."""
        matrix = self.comparison.matrix
        total = len(matrix.columns)
        if max_columns is not None and total > max_columns:
            matrix = matrix.iloc[:, :max_columns]
        return matrix, total


SORT_KEYS: dict[str, tuple[str, ...]] = {
    "reports": ("report_id",),
    "indicators": ("report_id",),
    "values": ("report_id",),
    "categories": ("report_id",),
    "slogans": ("report_id",),
    "problems": ("report_id",),
    "measures": ("report_id",),
    "yoy": ("unit", "name", "base_unit"),
    "recurring": ("unit", "year_a", "year_b", "file_b"),
    "problem_status": ("unit",),
}
"""How the buckets of a dataset's per-bucket tables merge into table order (within a bucket rows are in
order already)."""


def _none_first(value: Any) -> tuple[int, Any]:
    return (0, 0) if value is None else (1, value)


class DatasetSource:
    """The tables of a finished dataset, read in batches: memory holds a batch per unit bucket."""

    def __init__(self, root: str | Path, *, lexicon: LexiconsLike = None) -> None:
        from auditnlp.classify.taxonomy import load_taxonomy
        from auditnlp.corpus.compare import indicator_labels

        self.dataset = Path(root)
        run = json.loads((self.dataset / "_work" / "run.json").read_text(encoding="utf-8"))
        self.notes = tuple(run.get("notes", ()))
        self._counts: dict[str, int] = dict(run.get("rows", {}))
        taxonomy = load_taxonomy(lexicon=lexicon)
        self._labels = {c.label: c.name for c in taxonomy.categories}
        self._labels.update({f"share_{c.label}": f"{c.name}占比" for c in taxonomy.categories})
        self.indicator_labels = indicator_labels(lexicon)
        self._lexicon = lexicon
        self._order = taxonomy.labels

    def label(self, key: str) -> str:
        """See :class:`TableSource`."""
        return self._labels.get(key) or column(key).label

    def _files(self, name: str) -> list[Path]:
        from auditnlp.corpus.finalize import PER_BUCKET

        if name in PER_BUCKET:
            return sorted((self.dataset / name).glob("bucket=*/part-0.parquet"))
        path = self.dataset / f"{name}.parquet"
        return [path] if path.is_file() else []

    def columns(self, name: str) -> list[str]:
        """See :class:`TableSource` (``categories`` without its stored share columns' order: as written)."""
        import pyarrow.parquet as pq

        if name == "matrix":
            return []
        files = self._files(name)
        if not files:
            from auditnlp.corpus.schema import REPORT_KEYS, TABLE_COLUMNS

            if name == "categories":
                return [*REPORT_KEYS, "label", *self._order]
            return list(TABLE_COLUMNS.get(name, ("report_id",)))
        return list(pq.read_schema(files[0]).names)

    def count(self, name: str) -> int:
        """See :class:`TableSource`."""
        if name in self._counts:
            return self._counts[name]
        import pyarrow.parquet as pq

        return sum(pq.read_metadata(f).num_rows for f in self._files(name))

    def _file_rows(self, path: Path, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        import pyarrow.parquet as pq

        from auditnlp.corpus.arrowrows import decode_table

        handle = pq.ParquetFile(path)
        meta = handle.schema_arrow.metadata or {}
        for batch in handle.iter_batches(batch_size=256, columns=columns):
            import pyarrow as pa

            table = pa.Table.from_batches([batch]).replace_schema_metadata(meta)
            data = decode_table(table)
            yield from zip(*(data[c] for c in columns), strict=True)

    def rows(self, name: str) -> Iterator[tuple[Any, ...]]:
        """See :class:`TableSource`: buckets merged into table order (the matrix: one row per cell)."""
        from auditnlp.corpus.finalize import MATRIX_COLUMNS

        columns = self.columns(name) if name != "matrix" else list(MATRIX_COLUMNS)
        files = self._files(name)
        keys = [columns.index(k) for k in SORT_KEYS.get(name, ()) if k in columns]
        streams = [self._file_rows(f, columns) for f in files]
        if len(streams) == 1 or not keys:
            for stream in streams:
                yield from stream
            return

        def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(_none_first(row[k]) for k in keys)

        yield from heapq.merge(*streams, key=key)

    def matrix(self, max_columns: int | None = None) -> tuple[pd.DataFrame, int]:
        """See :class:`TableSource`: the cells of the first `max_columns` columns, read a bucket at a time."""
        import pandas as pd

        from auditnlp.corpus.compare import name_order
        from auditnlp.corpus.finalize import matrix_columns
        from auditnlp.corpus.matrix import matrix_frame

        every = matrix_columns(self.dataset)
        if not every:
            return pd.DataFrame(), 0
        shown = every[:max_columns] if max_columns is not None else every
        wanted = set(shown)
        cells: dict[tuple[str, str], dict[tuple[str, str], Any]] = {}
        for row in self.rows("matrix"):
            name, _, base_unit, unit, period, value = row
            cells.setdefault((name, base_unit), {})
            if (unit, period) in wanted:
                cells[(name, base_unit)][(unit, period)] = value
        return matrix_frame(cells, shown, name_order(self._lexicon)), len(every)


def table_names() -> list[str]:
    """The tables in workbook order."""
    return list(TABLES)
