"""Batch analysis: many inputs → a :class:`~auditnlp.corpus.compare.Comparison`, across processes.

Files are analysed in chunks by a :class:`~concurrent.futures.ProcessPoolExecutor`; each worker returns
compact rows (:class:`~auditnlp.corpus.rows.ReportRows`: row dicts and the problems, no text), so
memory holds the result tables and not the texts. One failing file (or one failing report in a
spreadsheet) becomes a row of the errors table; the batch goes on.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from auditnlp.corpus.compare import Comparison, compare_rows
from auditnlp.corpus.manifest import Manifest, apply_manifest, manifest_notes
from auditnlp.corpus.rows import ReportRows, report_rows
from auditnlp.errors import AuditNLPError, InputError, SkippedInputError
from auditnlp.pipeline import Options, analyze_isolated, check_options
from auditnlp.readers import RawDocument
from auditnlp.types import Report

ErrorRow = tuple[str, str, str]
"""(path, reason, error type)."""

Progress = Callable[[int], None]
OnReport = Callable[[Report], None]
"""Called with each analysed report in the process that analysed it (must pickle for worker processes)."""


def expand(
    inputs: Iterable[str | Path], *, skip: Iterable[str | Path] = ()
) -> tuple[list[str], list[ErrorRow]]:
    """Expand files, folders and globs into the paths to read and the rows of the paths left out.

    The rule is :func:`auditnlp.readers.expand_inputs`, the same as ``analyze``'s: every path a folder or
    glob holds is either returned or listed with its reason. Inside a folder the paths in `skip` (the
    manifest in use) are listed as skipped; files named explicitly are kept.
    """
    from auditnlp.readers import expand_inputs

    items = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    skipped = {Path(p).resolve() for p in skip}
    explicit = {Path(p).resolve() for p in items if Path(p).is_file()}
    paths: list[str] = []
    errors: list[ErrorRow] = []
    for found in expand_inputs(items):
        if isinstance(found, InputError):
            errors.append((str(found.path), found.reason, type(found).__name__))
        elif found.resolve() in skipped and found.resolve() not in explicit:
            errors.append((str(found), "the manifest in use, not a report", SkippedInputError.__name__))
        else:
            paths.append(str(found))
    return paths, errors


def analyze_chunk(
    paths: list[str],
    options: Options,
    manifest: Manifest | None = None,
    on_report: OnReport | None = None,
) -> list[ReportRows | ErrorRow]:
    """Analyse files (a worker's chunk) into rows; every failure becomes an error row of its document.

    `on_report` is called with each analysed report before it is reduced to rows (the review site writes
    its page there, so the text never leaves the worker); a failure there is the document's failure. Each
    document is isolated (a crash or a time limit ends its analysis alone, see
    :func:`~auditnlp.pipeline.analyze_isolated`), and so is each file (a reader that fails ends that file).
    """
    from auditnlp.readers import read_path

    out: list[ReportRows | ErrorRow] = []
    for path in paths:
        if _orphaned():  # the batch was stopped (Ctrl-C, SIGTERM): do not go on alone
            os._exit(1)
        try:
            for doc in read_path(path, text_column=options.text_column, limits=options.limits):
                out.append(_rows_of(doc, options, manifest, on_report))
        except Exception as exc:  # read_path turns reader failures into errors; this is the last guard
            out.append((path, f"cannot read: {type(exc).__name__}: {exc}", "InternalError"))
    return out


def _rows_of(
    doc: RawDocument | InputError, options: Options, manifest: Manifest | None, on_report: OnReport | None
) -> ReportRows | ErrorRow:
    if isinstance(doc, InputError):
        return _error_row(doc)
    try:
        result = analyze_isolated(doc, options)
        if isinstance(result, InputError):
            return _error_row(result, doc.name)
        report = apply_manifest(result, manifest)
        if on_report is not None:
            on_report(report)
        entry = manifest.entry(doc.path, doc.row) if manifest is not None else None
        line = entry.line if entry is not None else None
        return report_rows(report, manifest_row=line, lexicon=options.lexicon)
    except AuditNLPError as exc:  # a lexicon pattern that gave up on this document
        return _error_row(exc, doc.name)
    except Exception as exc:  # a bug in one document's rows must not end the batch
        return (doc.name, f"analysis failed: {type(exc).__name__}: {exc}", "AnalysisError")


def _error_row(exc: AuditNLPError, name: str | None = None) -> ErrorRow:
    return (str(exc.path or name), exc.reason, type(exc).__name__)


def iter_rows(
    paths: list[str],
    *,
    options: Options | None = None,
    manifest: Manifest | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    on_report: OnReport | None = None,
) -> Iterator[ReportRows | ErrorRow]:
    """Yield rows (or error rows) for every document of `paths`, in input order.

    `jobs` processes analyse chunks of files (default: all cores; 1 runs in this process); `progress` is
    called with the number of files finished after each chunk; `on_report` with each analysed report (see
    :func:`analyze_chunk`).
    """
    options = options or Options()
    jobs = max(1, jobs or os.cpu_count() or 1)
    if not paths:
        return
    size = max(1, min(16, math.ceil(len(paths) / (jobs * 4))))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    if jobs == 1 or len(chunks) == 1:
        for chunk in chunks:
            yield from analyze_chunk(chunk, options, manifest, on_report)
            if progress:
                progress(len(chunk))
        return
    _warm_up(options)
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(chunks)), initializer=_follow_parent, initargs=(os.getpid(),)
    ) as pool:
        yield from _ordered(pool, chunks, options, manifest, jobs, progress, on_report)


_WARM_UP_TEXT = """某某区审计局2024年工作总结
一、工作开展情况
全年完成审计项目27个，查出违规金额2377.2万元，坚持“第一议题”制度。
二、存在的问题
（一）审计整改跟踪不够及时。
三、2025年工作计划
一是加强学习；二是强化监督。
"""


_PARENT: int | None = None
"""The process that started this worker (None outside a worker)."""


def _follow_parent(parent: int) -> None:
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


def _orphaned() -> bool:
    return _PARENT is not None and os.getppid() != _PARENT


def _warm_up(options: Options) -> None:
    """Load lexicons, tokenizers and models once in this process before forking workers.

    Worker processes started by ``fork`` inherit the loaded resources (lru caches) instead of each
    loading them again; with another start method this only costs one small analysis.
    """
    import multiprocessing

    if multiprocessing.get_start_method(allow_none=False) != "fork":
        return
    from auditnlp.pipeline import analyze_text

    try:
        analyze_text(_WARM_UP_TEXT, options=options)
    except Exception:  # a warm-up failure is not an input error; workers will report real ones
        return


def _ordered(
    pool: ProcessPoolExecutor,
    chunks: list[list[str]],
    options: Options,
    manifest: Manifest | None,
    jobs: int,
    progress: Progress | None,
    on_report: OnReport | None = None,
) -> Iterator[ReportRows | ErrorRow]:
    """Run chunks with a bounded number in flight; yield results in chunk order as they complete."""
    pending: dict[Future[Any], int] = {}
    done: dict[int, list[ReportRows | ErrorRow]] = {}
    submitted = next_out = 0
    window = jobs * 3
    while next_out < len(chunks):
        while submitted < len(chunks) and len(pending) < window:
            pending[pool.submit(analyze_chunk, chunks[submitted], options, manifest, on_report)] = submitted
            submitted += 1
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            index = pending.pop(future)
            try:
                done[index] = future.result()
            except BrokenProcessPool as exc:
                done[index] = [(p, f"worker process died: {exc}", "InternalError") for p in chunks[index]]
            except Exception as exc:
                done[index] = [
                    (p, f"analysis failed: {type(exc).__name__}: {exc}", "InternalError")
                    for p in chunks[index]
                ]
            if progress:
                progress(len(chunks[index]))
        while next_out in done:
            yield from done.pop(next_out)
            next_out += 1


def progress_bar(total: int, *, enabled: bool | None = None) -> AbstractContextManager[Progress | None]:
    """A rich progress bar on a terminal (stderr), or nothing when not a TTY."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled or total == 0:
        return nullcontext(None)
    return _RichBar(total)


class _RichBar(AbstractContextManager["Progress | None"]):
    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("analysing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self._task = self._bar.add_task("analysing", total=total)

    def __enter__(self) -> Progress:
        self._bar.__enter__()
        return lambda n: self._bar.advance(self._task, n)

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(*exc)  # type: ignore[arg-type]


def compare_inputs(
    inputs: Iterable[str | Path],
    *,
    options: Options | None = None,
    manifest: Manifest | str | Path | None = None,
    jobs: int | None = None,
    progress: bool | None = None,
    on_report: OnReport | None = None,
) -> Comparison:
    """Analyse files, folders and globs (in `jobs` processes) and compare them.

    `manifest` is a :class:`~auditnlp.corpus.manifest.Manifest` or the path of a manifest (.csv or .xlsx);
    `progress` shows a bar (default: when stderr is a terminal); `on_report` is called with each
    analysed report in the process that analysed it. Failures are in ``comparison.errors``, with
    notices: copies of a document compared once, inputs the manifest does not cover and manifest rows that
    match no input.
    """
    from auditnlp.corpus.manifest import load_manifest

    skip = [manifest] if isinstance(manifest, str | Path) else []
    if manifest is not None and not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest, lexicon=(options or Options()).lexicon)
    paths, errors = expand(inputs, skip=skip)
    rows: list[ErrorRow] = list(errors)
    seen: list[tuple[str, int | None]] = []
    if paths:
        check_options(options or Options())  # a broken lexicon folder or model: one error, before the batch

    def reports() -> Iterator[ReportRows]:
        with progress_bar(len(paths), enabled=progress) as advance:
            for item in iter_rows(
                paths, options=options, manifest=manifest, jobs=jobs, progress=advance, on_report=on_report
            ):
                if isinstance(item, ReportRows):
                    seen.append((item.report["file"], item.report["row"]))
                    yield item
                else:
                    rows.append(item)
        if manifest is not None:
            rows.extend(manifest_notes(manifest, seen))

    return compare_rows(reports(), errors=rows, lexicon=(options or Options()).lexicon)
