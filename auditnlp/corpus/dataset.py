"""The comparison as a Parquet dataset on disk: rows streamed in as they arrive, tables built from them.

A dataset is a folder. While a batch runs, the rows the workers send are written under ``_work/rows/``,
one file per table and unit bucket (``_work/rows/indicators/bucket=07/c000012.parquet``) for each
*commit*; a commit ends with the ledger of the files it holds (``_work/files/c000012.parquet``: path,
SHA-256 of the file's bytes, what became of it), written last, so a commit without its ledger never
happened and is removed when the dataset is opened again. Memory holds one commit's rows at most.

A run that stops (interrupted, killed, a machine that went down) starts again where it stopped: a file
whose path and content hash are in the ledger is not analysed again; a changed file is analysed again and
its new rows replace the old. When every input is in, :func:`auditnlp.corpus.finalize.finalize` builds
the tables from the rows, one unit bucket at a time, into the dataset's top level (``reports/``,
``indicators/``, ``matrix/`` … as Parquet folders partitioned by unit bucket, ``slogan_counts.parquet``
and ``errors.parquet``); :func:`load_comparison` reads them back as a
:class:`~auditnlp.corpus.compare.Comparison`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.arrowrows import BUCKETS, Encoded, concat
from auditnlp.errors import OptionsError

if TYPE_CHECKING:
    import pyarrow as pa

FORMAT = "auditnlp.dataset/1"
WORK = "_work"
RUN = "run.json"
TIMED_OUT = "timeout:"
"""Ledger status of a file a document of which ran out of time: ``timeout:<seconds>`` (the limit it ran
under). A run with a longer limit (or none) analyses it again; a run with the same or a shorter one
skips it as done."""
RETIRED_KEYS = frozenset({"timeout"})
"""Keys of a run's fingerprint that earlier versions wrote and rows do not depend on: a dataset holding
them resumes as if they were absent (the time limit decides only which files end as errors, and a resumed
run analyses errors again)."""
FINAL_TABLES = (
    "reports", "indicators", "values", "matrix", "yoy", "categories", "slogans", "slogan_counts", "problems",
    "measures", "recurring", "problem_status", "errors",
)  # fmt: skip
"""The tables at the top level of a finished dataset (folders or ``<name>.parquet`` files)."""


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file under a temporary name, then rename it into place."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_json_atomic(data: dict[str, Any], path: Path) -> None:
    """Write a JSON file under a temporary name, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def file_sha256(path: str) -> str | None:
    """SHA-256 of a file's bytes (a local path or a URL), or ``None`` when it cannot be read."""
    from auditnlp.readers.remote import is_url, open_input

    digest = hashlib.sha256()
    try:
        if not is_url(path) and not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a folder, pipe or device: never opened (a pipe would block)
        with open_input(path) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def is_dataset(root: str | Path) -> bool:
    """Whether `root` holds an auditnlp dataset (finished or not)."""
    return (Path(root) / WORK / RUN).is_file()


@dataclass(frozen=True)
class Ledger:
    """The latest ledger entry of every file in a dataset."""

    table: pa.Table
    """Columns ``_fid``, ``path``, ``sha256``, ``items``, ``status`` (``done``, ``retry`` or
    ``timeout:<seconds>``)."""

    def latest(self) -> dict[str, tuple[int, str | None, str]]:
        """path → (fid, sha256, status) of its latest entry."""
        out: dict[str, tuple[int, str | None, str]] = {}
        cols = [self.table.column(c).to_pylist() for c in ("_fid", "path", "sha256", "status")]
        for fid, path, digest, status in zip(*cols, strict=True):
            if path not in out or fid > out[path][0]:
                out[path] = (fid, digest, status)
        return out


class DatasetWriter:
    """Rows streamed into a dataset's ``_work/rows``, committed with their ledger every so often.

    `fingerprint` names what the rows depend on (version, options, manifest); reopening a dataset written
    with another raises :class:`~auditnlp.errors.OptionsError` unless `fresh` starts it anew. A commit
    happens when `commit_reports` files or `commit_seconds` have gone by since the last one, and at
    :meth:`close`.
    """

    def __init__(
        self,
        root: str | Path,
        fingerprint: dict[str, Any],
        *,
        fresh: bool = False,
        commit_reports: int = 1000,
        commit_seconds: float = 60.0,
    ) -> None:
        self.root = Path(root)
        self.work = self.root / WORK
        self.commit_reports = commit_reports
        self.commit_seconds = commit_seconds
        self._prepare(fingerprint, fresh)
        self._buffer: list[Encoded] = []
        self._buffered_reports = 0
        self._last = time.monotonic()
        self.commits = 0

    def _prepare(self, fingerprint: dict[str, Any], fresh: bool) -> None:
        run = self.work / RUN
        if self.root.exists() and not self.root.is_dir():
            raise OptionsError(f"{self.root}: is a file, not a dataset folder")
        if self.root.is_dir() and any(self.root.iterdir()) and not run.is_file():
            raise OptionsError(
                f"{self.root}: the folder is not empty and holds no auditnlp dataset; choose a new folder"
            )
        if run.is_file() and not fresh:
            old = json.loads(run.read_text(encoding="utf-8"))
            before = {k: v for k, v in old.get("fingerprint", {}).items() if k not in RETIRED_KEYS}
            if before != fingerprint:
                changed = sorted(
                    k for k in {*before, *fingerprint} if before.get(k) != fingerprint.get(k)
                )  # fmt: skip
                raise OptionsError(
                    f"{self.root}: the dataset was written with other settings ({', '.join(changed)}); "
                    "start it anew with --fresh (fresh=True) or write to another folder"
                )
        if run.is_file() and fresh:
            clear(self.root)
        self.work.mkdir(parents=True, exist_ok=True)
        self._drop_uncommitted()
        self.next_commit = 1 + max(
            (_commit_no(p) for p in (self.work / "files").glob("c*.parquet")), default=0
        )
        ledger = self.ledger()
        self.next_fid = 1 + (max(ledger.table.column("_fid").to_pylist(), default=0))
        write_json_atomic(
            {"format": FORMAT, "fingerprint": fingerprint, "buckets": BUCKETS, "complete": False}, run
        )

    def _drop_uncommitted(self) -> None:
        """Remove rows of commits whose ledger was never written (a run that stopped mid-commit)."""
        committed = {_commit_no(p) for p in (self.work / "files").glob("c*.parquet")}
        for path in (self.work / "rows").rglob("*.parquet"):
            if _commit_no(path) not in committed:
                path.unlink()
        for path in self.work.rglob(".*.tmp"):
            path.unlink()

    def ledger(self) -> Ledger:
        """Every ledger entry committed so far."""
        return read_ledger(self.root)

    def set_inputs(self, paths: list[str], errors: list[tuple[str, str, str]]) -> None:
        """Record this run's inputs in order (the order of the tables) and the inputs that gave nothing."""
        import pyarrow as pa

        write_atomic(pa.table({"path": pa.array(paths, pa.string())}), self.work / "inputs.parquet")
        write_atomic(
            pa.table(
                {
                    "path": pa.array([e[0] for e in errors], pa.string()),
                    "reason": pa.array([e[1] for e in errors], pa.string()),
                    "error": pa.array([e[2] for e in errors], pa.string()),
                }
            ),
            self.work / "input_errors.parquet",
        )

    def reserve(self, count: int) -> range:
        """Ids for `count` files about to be analysed (never reused in this dataset)."""
        ids = range(self.next_fid, self.next_fid + count)
        self.next_fid += count
        return ids

    def add(self, encoded: Encoded) -> None:
        """Take a partition's rows; commit when enough have gathered."""
        self._buffer.append(encoded)
        self._buffered_reports += encoded.files.num_rows
        due = time.monotonic() - self._last >= self.commit_seconds
        if self._buffered_reports >= self.commit_reports or due:
            self.commit()

    def commit(self) -> None:
        """Write the buffered rows, then their ledger (which makes them part of the dataset)."""
        if not self._buffer:
            return
        number = self.next_commit
        name = f"c{number:06d}.parquet"
        groups: dict[tuple[str, int], list[pa.Table]] = {}
        for encoded in self._buffer:
            for where, table in encoded.tables.items():
                groups.setdefault(where, []).append(table)
        for (table_name, bucket), tables in sorted(groups.items()):
            write_atomic(concat(tables), self.work / "rows" / table_name / f"bucket={bucket:02d}" / name)
        errors = [e.errors for e in self._buffer if e.errors is not None]
        if errors:
            write_atomic(concat(errors), self.work / "rows" / "errors" / name)
        write_atomic(concat([e.files for e in self._buffer]), self.work / "files" / name)
        self._buffer = []
        self._buffered_reports = 0
        self._last = time.monotonic()
        self.next_commit += 1
        self.commits += 1

    def close(self) -> None:
        """Commit what is left."""
        self.commit()


def _commit_no(path: Path) -> int:
    stem = path.stem
    try:
        return int(stem[1:]) if stem.startswith("c") else -1
    except ValueError:
        return -1


def clear(root: Path) -> None:
    """Remove a dataset's working rows and tables (only what a dataset writes)."""
    shutil.rmtree(root / WORK, ignore_errors=True)
    for name in FINAL_TABLES:
        shutil.rmtree(root / name, ignore_errors=True)
        (root / f"{name}.parquet").unlink(missing_ok=True)


def read_ledger(root: str | Path) -> Ledger:
    """The committed ledger entries of the dataset at `root`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted((Path(root) / WORK / "files").glob("c*.parquet"))
    if not files:
        empty = pa.table(
            {
                "_fid": pa.array([], pa.int64()),
                "path": pa.array([], pa.string()),
                "sha256": pa.array([], pa.string()),
                "items": pa.array([], pa.int64()),
                "status": pa.array([], pa.string()),
            }
        )
        return Ledger(empty)
    return Ledger(pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive"))


def row_files(root: str | Path, table: str, bucket: int | None = None) -> list[Path]:
    """The committed row files of `table` (in one unit bucket, or all), in commit order."""
    base = Path(root) / WORK / "rows" / table
    if table == "errors":
        return sorted(base.glob("c*.parquet"), key=_commit_no)
    pattern = f"bucket={bucket:02d}/c*.parquet" if bucket is not None else "bucket=*/c*.parquet"
    return sorted(base.glob(pattern), key=lambda p: (_commit_no(p), p.parent.name))


def read_rows(
    root: str | Path, table: str, bucket: int | None = None, columns: Iterable[str] | None = None
) -> Iterator[pa.Table]:
    """The committed row files of `table` one at a time (only `columns` of them, where present)."""
    import pyarrow.parquet as pq

    wanted = list(columns) if columns is not None else None
    for path in row_files(root, table, bucket):
        if wanted is None:
            yield pq.read_table(path)
            continue
        present = set(pq.read_schema(path).names)
        yield pq.read_table(path, columns=[c for c in wanted if c in present])


def pending_files(
    paths: list[str], ledger: Ledger, *, hash_known: bool = True, timeout: float | None = None
) -> tuple[list[str], int]:
    """The paths still to analyse, and how many were skipped because the dataset has them already.

    A path is skipped when its latest ledger entry is ``done`` and the file's content hash is the one
    recorded (a file that changed is analysed again; its new rows replace the old), or when a document
    of it ran out of a time limit at least `timeout` (``timeout:<seconds>``; `timeout` ``None`` is no
    limit, so such files are analysed again).
    """
    latest = ledger.latest()
    todo: list[str] = []
    skipped = 0
    for path in paths:
        entry = latest.get(path)
        status = entry[2] if entry is not None else None
        done = entry is not None and entry[1] is not None and (
            status == "done" or ((status or "").startswith(TIMED_OUT) and not _longer(timeout, status))
        )  # fmt: skip
        if done and (not hash_known or file_sha256(path) == entry[1]):  # type: ignore[index]
            skipped += 1
            continue
        todo.append(path)
    return todo, skipped


def _longer(timeout: float | None, status: str | None) -> bool:
    """Whether `timeout` (``None``: no limit) is longer than the limit of a ``timeout:<seconds>`` status."""
    try:
        before = float((status or "").partition(":")[2])
    except ValueError:
        return True
    return timeout is None or timeout > before
