"""Batch analysis: many inputs → a dataset on disk → a :class:`~auditnlp.corpus.compare.Comparison`.

:func:`build_dataset` analyses files in partitions on an engine (worker processes on this machine, or a
Dask cluster: :mod:`auditnlp.corpus.engine`); each worker turns its reports into compact rows
(:class:`~auditnlp.corpus.rows.ReportRows`, no text) and those into Arrow tables, which are streamed into a
Parquet dataset (:mod:`auditnlp.corpus.dataset`) as they arrive; the tables are then built from the
dataset (:mod:`auditnlp.corpus.finalize`). Memory holds a few partitions' rows, not the corpus, and an
interrupted run resumes where it stopped. One failing file (or one failing report in a spreadsheet)
becomes a row of the errors table; the batch goes on. :func:`compare_inputs` does all of it in a
temporary dataset and returns the tables in memory.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.manifest import Manifest, apply_manifest
from auditnlp.corpus.rows import ReportRows, report_rows
from auditnlp.errors import AuditNLPError, InputError, OptionsError, SkippedInputError
from auditnlp.pipeline import Options, analyze_isolated, check_options

if TYPE_CHECKING:
    from auditnlp.corpus.compare import Comparison
    from auditnlp.corpus.engine import Engine, OnReport
    from auditnlp.corpus.finalize import Finalized
    from auditnlp.readers import RawDocument

ErrorRow = tuple[str, str, str]
"""(path, reason, error type)."""

Progress = Callable[[int], None]


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
        elif not isinstance(found, Path):  # a URL (auditnlp.readers.remote)
            paths.append(str(found))
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

    `on_report` is called with each analysed report in the worker, before it is reduced to rows (the
    place for work that needs the text, such as writing a report's page); a failure there is the
    document's failure. Each document is isolated (a crash or a time limit ends its analysis alone, see
    :func:`~auditnlp.pipeline.analyze_isolated`), and so is each file (a reader that fails ends that file).
    """
    from auditnlp.corpus.engine import orphaned
    from auditnlp.readers import read_path

    out: list[ReportRows | ErrorRow] = []
    for path in paths:
        if orphaned():  # the batch was stopped (Ctrl-C, SIGTERM): do not go on alone
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


def make_engine(
    engine: str | Engine = "local",
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
) -> Engine:
    """An engine by name: ``local`` (processes on this machine) or ``dask`` (a cluster at `scheduler`, or
    a local cluster of `jobs` worker processes when no address is given)."""
    from auditnlp.corpus.engine import LocalEngine
    from auditnlp.errors import OptionsError

    if not isinstance(engine, str):
        return engine
    if engine == "local":
        if scheduler:
            raise OptionsError("--scheduler is for --engine dask")
        return LocalEngine(jobs=jobs, partitions=partitions)
    if engine == "dask":
        try:
            from auditnlp.corpus.dask_engine import DaskEngine
        except ImportError:
            raise MissingExtraError(
                "the dask engine needs the dask extra: pip install 'auditnlp[dask]'"
            ) from None
        return DaskEngine(scheduler=scheduler, workers=jobs, partitions=partitions)
    raise OptionsError(f"unknown engine {engine!r} (choose local or dask)")


class MissingExtraError(OptionsError):
    """An optional extra the command needs is not installed."""


@dataclass(frozen=True)
class DatasetRun:
    """What :func:`build_dataset` did."""

    root: Path
    inputs: int
    """Files to compare (after expanding folders, globs and list files)."""
    analysed: int
    """Files analysed in this run."""
    skipped: int
    """Files the dataset already held (a resumed run)."""
    tables: Finalized


def _fingerprint(options: Options, manifest: Manifest | None) -> dict[str, Any]:
    """What a dataset's rows depend on: version, analysis options, lexicon and model files, manifest.

    Not the time limit (``timeout``): it decides only which files end as errors, and errors are analysed
    again by a resumed run, so a run may resume with a longer limit to retry the files that ran out of it.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("auditnlp")
    except PackageNotFoundError:  # running from a source tree
        release = "unknown"

    def digest(paths: Iterable[Path]) -> str:
        h = hashlib.sha256()
        for path in sorted(paths):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        return h.hexdigest()

    lexicons = (
        digest(p for p in Path(options.lexicon_dir).iterdir() if p.is_file()) if options.lexicon_dir else None
    )
    model = None
    if options.model:
        from auditnlp.classify.inference import arrays_path, sidecar_path

        files = [Path(options.model), sidecar_path(options.model), arrays_path(options.model)]
        model = digest(p for p in files if p.is_file())
    manifest_digest = None
    if manifest is not None:
        source = Path(manifest.path)
        manifest_digest = (
            digest([source]) if source.is_file() else hashlib.sha256(repr(manifest).encode()).hexdigest()
        )
    from auditnlp.corpus.arrowrows import ROWS_FORMAT

    return {
        "auditnlp": release,
        "rows": ROWS_FORMAT,
        "stages": list(options.stages),
        "text_column": options.text_column,
        "limits": [
            options.max_bytes,
            options.max_unzipped_bytes,
            options.max_parts,
            options.max_pages,
            options.max_rows,
            options.max_columns,
        ],
        "lexicons": lexicons,
        "model": model,
        "manifest": manifest_digest,
    }


def read_list(path: str | Path) -> list[str]:
    """The inputs named in a list file: one path or URL a line (blank lines and ``#`` comments skipped)."""
    from auditnlp.readers.remote import is_url, open_input

    with open_input(str(path)) as handle:
        text = handle.read().decode("utf-8-sig")
    base = Path(path).parent if not is_url(str(path)) else None
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if base is not None and not is_url(line) and not Path(line).is_absolute():
            line = str(base / line)
        out.append(line)
    return out


def build_dataset(
    inputs: Iterable[str | Path],
    dataset: str | Path,
    *,
    options: Options | None = None,
    manifest: Manifest | str | Path | None = None,
    engine: str | Engine = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
    fresh: bool = False,
    progress: bool | None = None,
    on_report: OnReport | None = None,
    commit_files: int = 1000,
) -> DatasetRun:
    """Analyse files, folders, globs and URLs on `engine` into the Parquet dataset at `dataset`, then
    build its tables.

    `engine` is ``"local"`` (`jobs` processes on this machine), ``"dask"`` (the cluster at `scheduler`, or a
    local cluster of `jobs` workers) or an engine object; `partitions` sets how many partitions the files
    are cut into. Rows are committed every `commit_files` files; a dataset that holds rows already resumes:
    files whose path and content hash it has are not analysed again (`fresh` starts it anew). `on_report`
    is called with each analysed report in the worker that analysed it.
    """
    from auditnlp.corpus.dataset import DatasetWriter, pending_files
    from auditnlp.corpus.engine import Work, run_partitions
    from auditnlp.corpus.finalize import finalize
    from auditnlp.corpus.manifest import load_manifest

    options = options or Options()
    skip = [manifest] if isinstance(manifest, str | Path) else []
    if manifest is not None and not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest, lexicon=options.lexicon)
    runner = make_engine(engine, jobs=jobs, scheduler=scheduler, partitions=partitions)
    work = Work(analyze_chunk, options, manifest, on_report)
    check_options(options)  # a broken lexicon folder or model: one error, before the batch
    # Workers start before the inputs are listed and the ledger read: a forked local worker then shares
    # lexicons, model and Arrow (which encodes its rows) with this process, but not the list of files
    # (≈ 0.6 MB per 1,000 inputs).
    import pyarrow  # noqa: F401

    runner.start(work)
    try:
        paths, errors = expand(inputs, skip=skip)
        fingerprint = _fingerprint(options, manifest)
        writer = DatasetWriter(dataset, fingerprint, fresh=fresh, commit_reports=commit_files)
        writer.set_inputs(paths, errors)
        todo, skipped = pending_files(paths, writer.ledger(), timeout=options.timeout)
        files = list(zip(writer.reserve(len(todo)), todo, strict=True))
        if files:
            with progress_bar(len(files), enabled=progress) as advance:
                for encoded in run_partitions(runner, files, progress=advance):
                    writer.add(encoded)
    finally:
        runner.close()
    writer.close()
    tables = finalize(dataset, manifest=manifest, lexicon=options.lexicon)
    return DatasetRun(Path(dataset), len(paths), len(files), skipped, tables)


def compare_inputs(
    inputs: Iterable[str | Path],
    *,
    options: Options | None = None,
    manifest: Manifest | str | Path | None = None,
    jobs: int | None = None,
    progress: bool | None = None,
    engine: str | Engine = "local",
    scheduler: str | None = None,
    partitions: int | None = None,
    dataset: str | Path | None = None,
    fresh: bool = False,
    on_report: OnReport | None = None,
) -> Comparison:
    """Analyse files, folders, globs and URLs (on `engine`: see :func:`build_dataset`) and compare them.

    `manifest` is a :class:`~auditnlp.corpus.manifest.Manifest` or the path of a manifest (.csv or .xlsx);
    `progress` shows a bar (default: when stderr is a terminal). The rows go through a Parquet dataset:
    at `dataset` (kept, and resumed when run again), else in a temporary folder. Failures are in
    ``comparison.errors``, with notices: copies of a document compared once, inputs the manifest does not
    cover and manifest rows that match no input.
    """
    from auditnlp.corpus.finalize import load_comparison

    lexicon = (options or Options()).lexicon
    with (
        tempfile.TemporaryDirectory(prefix="auditnlp-")
        if dataset is None
        else nullcontext(str(dataset)) as root
    ):
        target = Path(root) / "dataset" if dataset is None else Path(root)
        build_dataset(
            inputs, target, options=options, manifest=manifest, engine=engine, jobs=jobs, scheduler=scheduler,
            partitions=partitions, fresh=fresh, progress=progress, on_report=on_report,
        )  # fmt: skip
        return load_comparison(target, lexicon=lexicon)
