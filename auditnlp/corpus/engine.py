"""Where the analysis runs: one function over partitions of files, on this machine or on a Dask cluster.

Every engine maps the same function, :func:`run_partition`, over partitions of (file id, path) pairs; it
analyses each file with the work's function (:func:`auditnlp.corpus.batch.analyze_chunk`) and encodes
the rows as Arrow tables in the worker (:func:`~auditnlp.corpus.arrowrows.encode_partition`). So the
engines differ only in where that function runs, and give the same rows.

- :class:`LocalEngine` runs it in this process (``jobs=1``) or in a pool of worker processes;
- :class:`~auditnlp.corpus.dask_engine.DaskEngine` on a ``dask.distributed`` cluster (the ``dask`` extra).

:func:`run_partitions` drives an engine: a bounded number of partitions in flight, results handed on in
partition order (so rows reach the dataset in input order, and memory holds a few partitions at most). A
partition whose worker died is run again; one that kills its worker twice is split into single files, and
a single file that kills its worker twice becomes an error row naming it: every input is accounted for
once. Lexicons and the model are loaded once per worker process (cached loaders, warmed when a worker
starts), never sent with a task. The caller starts the engine (:meth:`Engine.start`) and closes it;
:func:`~auditnlp.corpus.batch.build_dataset` starts it before it lists the inputs, so that local
workers, forked from it, do not carry the list.
"""

from __future__ import annotations

import gc
import math
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from auditnlp.corpus.arrowrows import Encoded, FileResult, encode_partition

if TYPE_CHECKING:
    from auditnlp.corpus.manifest import Manifest
    from auditnlp.pipeline import Options
    from auditnlp.types import Report

OnReport = Callable[["Report"], None]
"""Called with each analysed report in the process that analysed it (must pickle for worker processes)."""

Files = tuple[tuple[int, str], ...]
"""A partition: (file id, path) pairs."""

WORKER_DIED = "WorkerDied"


Analyze = Callable[..., list[Any]]
"""How one file becomes rows: :func:`auditnlp.corpus.batch.analyze_chunk` (paths, options, manifest,
on_report) → rows and error rows."""


@dataclass(frozen=True)
class Work:
    """What every partition needs besides its files: set up once per worker, not sent with each task."""

    analyze: Analyze
    options: Options
    manifest: Manifest | None = None
    on_report: OnReport | None = None


def run_partition(files: Files, work: Work) -> Encoded:
    """Analyse a partition's files and encode their rows (the function every engine maps)."""
    from auditnlp.corpus.dataset import file_sha256

    results: list[FileResult] = []
    for fid, path in files:
        try:  # analyze isolates each document already; this guard keeps one file from taking the others
            items = work.analyze([path], work.options, work.manifest, work.on_report)
            digest = file_sha256(path)
        except Exception as exc:
            items, digest = [(path, f"analysis failed: {type(exc).__name__}: {exc}", "InternalError")], None
        results.append((fid, path, digest, items, _status(items, work.options.timeout)))
    return encode_partition(results)


def _status(items: list[Any], timeout: float | None) -> str:
    """``done``, or ``timeout:<limit>`` when one of the file's documents ran out of its time limit
    (:data:`~auditnlp.corpus.dataset.TIMED_OUT`)."""
    from auditnlp.corpus.dataset import TIMED_OUT

    if timeout is not None and any(isinstance(i, tuple) and i[2] == "TimeLimitError" for i in items):
        return f"{TIMED_OUT}{timeout:g}"
    return "done"


def lost_partition(files: Files, reason: str) -> Encoded:
    """The rows of files whose worker died on them: one error row each, marked to retry on resume."""
    return encode_partition((fid, path, None, [(path, reason, WORKER_DIED)], "retry") for fid, path in files)


@dataclass(frozen=True)
class Lost:
    """A partition's worker died. `certain` when it is known to be this partition's doing."""

    reason: str
    certain: bool


Outcome = Encoded | Lost | BaseException


class Engine(Protocol):
    """Runs :func:`run_partition` somewhere."""

    slots: int
    """Partitions that can run at once."""

    def start(self, work: Work) -> None:
        """Set up workers with `work` (loaded once per worker)."""

    def submit(self, files: Files) -> Any:
        """Start one partition; return a handle."""

    def wait(self, handles: Sequence[Any]) -> list[tuple[Any, Outcome]]:
        """Block until at least one handle is finished; return the finished ones with their outcome."""

    def close(self) -> None:
        """Stop the workers this engine started (a second call does nothing)."""

    def partition_size(self, files: int) -> int:
        """How many files one partition holds."""


def default_partition_size(files: int, slots: int, partitions: int | None = None) -> int:
    """Files per partition: `partitions` partitions when given, else small ones (4 per slot, at most 16
    files) so work spreads evenly and a lost partition costs little."""
    if partitions:
        return max(1, math.ceil(files / partitions))
    return max(1, min(16, math.ceil(files / max(1, slots * 4))))


@dataclass
class LocalEngine:
    """This machine: `jobs` worker processes (default: all cores; 1 runs in this process)."""

    jobs: int | None = None
    partitions: int | None = None
    slots: int = field(init=False, default=1)
    _pool: ProcessPoolExecutor | None = field(init=False, default=None, repr=False)
    _work: Work | None = field(init=False, default=None, repr=False)
    _inline: list[tuple[Any, Outcome]] = field(init=False, default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.slots = max(1, self.jobs or os.cpu_count() or 1)

    def start(self, work: Work) -> None:
        """Keep the work and start the worker processes now (forked from this process as it is, before
        it lists the inputs); each loads lexicons and model once, sharing what this process loaded."""
        self._work = work
        if self.slots > 1:
            self._ensure_pool()

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            assert self._work is not None
            options = self._work.options
            self._pool = ProcessPoolExecutor(
                max_workers=self.slots, initializer=start_worker, initargs=(os.getpid(), options)
            )
            gc.freeze()  # a forked worker's collections then leave this process's objects (and pages) alone
            try:
                self._pool.submit(int)  # a fork pool forks its workers at the first task: now, not later
            finally:
                gc.unfreeze()
        return self._pool

    def submit(self, files: Files) -> Any:
        """Run inline with one job, else in the pool."""
        assert self._work is not None, "start() first"
        if self.slots == 1:
            handle = object()
            self._inline.append((handle, run_partition(files, self._work)))
            return handle
        return self._ensure_pool().submit(run_partition, files, self._work)

    def wait(self, handles: Sequence[Any]) -> list[tuple[Any, Outcome]]:
        """Finished partitions; a broken pool is replaced and its partitions reported lost."""
        if self._inline:
            done, self._inline = self._inline, []
            return done
        futures = [h for h in handles if isinstance(h, Future)]
        finished, _ = wait(futures, return_when=FIRST_COMPLETED)
        out: list[tuple[Any, Outcome]] = []
        broken = False
        for future in finished:
            try:
                out.append((future, future.result()))
            except BrokenProcessPool as exc:
                broken = True
                out.append((future, Lost(f"worker process died: {exc}", certain=len(futures) == 1)))
            except Exception as exc:
                out.append((future, exc))
        if broken:
            pool, self._pool = self._pool, None
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        return out

    def close(self) -> None:
        """Shut the pool down."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def partition_size(self, files: int) -> int:
        """See :func:`default_partition_size`."""
        return default_partition_size(files, self.slots, self.partitions)


def start_worker(parent: int, options: Options) -> None:
    """Initializer of a local worker process: end with its parent (a stopped batch leaves no worker
    going on alone), then load lexicons and model once."""
    follow_parent(parent)
    warm_up(options)


_PARENT: int | None = None
"""The process that started this worker (None outside a worker)."""


def follow_parent(parent: int) -> None:
    """Worker initializer: end with the parent. On Linux the kernel sends SIGTERM when the parent dies
    (PR_SET_PDEATHSIG); elsewhere each document first checks that the parent is still there."""
    global _PARENT
    _PARENT = parent
    if sys.platform.startswith("linux"):
        import contextlib
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def orphaned() -> bool:
    """Whether this worker's parent has gone (the batch was stopped)."""
    return _PARENT is not None and os.getppid() != _PARENT


def warm_up(options: Options) -> None:
    """Load lexicons, tokenizers and the model in this process (cached: later analyses reuse them)."""
    from auditnlp.pipeline import PROBE_TEXT, analyze_text

    try:
        analyze_text(PROBE_TEXT, options=options)
    except Exception:  # a warm-up failure is not an input error; the analyses will report real ones
        return


@dataclass
class _Task:
    index: int
    sub: int
    files: Files
    attempt: int = 0
    alone: bool = False


def run_partitions(
    engine: Engine,
    files: Sequence[tuple[int, str]],
    *,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Encoded]:
    """Run every file through `engine` (started already); yield each partition's rows in partition order.

    At most ``3 × engine.slots`` partitions are in flight or waiting for an earlier one. A partition whose
    worker died is run again, alone when it is not known which partition killed the worker; one that
    dies twice is split into single files, and a single file that dies twice gives an error row.
    """
    size = engine.partition_size(len(files))
    queue: deque[_Task] = deque(
        _Task(i, 0, tuple(files[start : start + size])) for i, start in enumerate(range(0, len(files), size))
    )
    total = len(queue)
    pending: dict[Any, _Task] = {}
    parts: dict[int, dict[int, Encoded]] = {}
    expected: dict[int, int] = {}
    done: dict[int, list[Encoded]] = {}
    next_out = 0
    window = max(2, engine.slots * 3)
    while next_out < total:
        while queue and (len(pending) + len(done) < window or queue[0].index == next_out):
            if queue[0].alone and pending:
                break
            task = queue.popleft()
            pending[engine.submit(task.files)] = task
        if not pending:
            if not queue:
                break
            continue
        for handle, outcome in engine.wait(list(pending)):
            task = pending.pop(handle)
            if isinstance(outcome, Lost):
                given_up = _retry(queue, task, outcome, expected)
                if given_up is None:
                    continue
                outcome = given_up
            elif isinstance(outcome, BaseException):
                if isinstance(outcome, KeyboardInterrupt | SystemExit):
                    raise outcome
                reason = f"analysis failed: {type(outcome).__name__}: {outcome}"
                outcome = lost_partition(task.files, reason)
            parts.setdefault(task.index, {})[task.sub] = outcome
            if progress:
                progress(len(task.files))
            if len(parts[task.index]) == expected.get(task.index, 1):
                subs = parts.pop(task.index)
                done[task.index] = [subs[k] for k in sorted(subs)]
        while next_out in done:
            yield from done.pop(next_out)
            next_out += 1


def _retry(queue: deque[_Task], task: _Task, lost: Lost, expected: dict[int, int]) -> Encoded | None:
    """Queue a lost partition again (alone when unsure whose fault it was, split after a certain second
    loss); a single file lost twice gives its error row, returned."""
    if not lost.certain:
        if not task.alone:
            queue.appendleft(_Task(task.index, task.sub, task.files, task.attempt, alone=True))
            return None
        lost = Lost(lost.reason, certain=True)  # it ran alone, so the loss was its own
    attempt = task.attempt + 1
    if attempt < 2:
        queue.appendleft(_Task(task.index, task.sub, task.files, attempt, alone=task.alone))
        return None
    if len(task.files) > 1:
        # split into single files (a partition is split once: its sub-partitions are single files)
        expected[task.index] = len(task.files)
        for k in reversed(range(len(task.files))):
            queue.appendleft(_Task(task.index, k + 1, (task.files[k],), 0, alone=True))
        return None
    return lost_partition(task.files, f"the worker process died while analysing this file ({lost.reason})")
