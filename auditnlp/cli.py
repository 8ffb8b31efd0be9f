"""The ``auditnlp`` command line: thin commands over the public API.

Exit codes: :data:`EXIT_OK` (0) every input analysed; :data:`EXIT_INPUT_FAILED` (1) some inputs failed,
each named on stderr; :data:`EXIT_USAGE` (2) bad usage (click's own code); :data:`EXIT_MISSING_EXTRA` (3) a
command needs an optional extra that is not installed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditnlp.errors import AuditNLPError, InputError, OutputError

if TYPE_CHECKING:
    from auditnlp.corpus.compare import Comparison

EXIT_OK = 0
EXIT_INPUT_FAILED = 1
EXIT_USAGE = 2
EXIT_MISSING_EXTRA = 3


def _options(lexicon_dir: str | None, text_column: str | None, limits: dict[str, Any], **extra: Any) -> Any:
    from auditnlp.pipeline import Options

    unzipped = limits["max_unzipped_mb"]
    return Options(
        lexicon_dir=lexicon_dir,
        text_column=text_column,
        max_bytes=int(limits["max_mb"] * 2**20),
        max_unzipped_bytes=None if unzipped is None else int(unzipped * 2**20),
        max_parts=limits["max_parts"],
        max_pages=limits["max_pages"],
        max_rows=limits["max_rows"],
        max_columns=limits["max_columns"],
        timeout=limits["timeout"] or None,
        **extra,
    )


LIMIT_OPTIONS = ("max_mb", "max_unzipped_mb", "max_parts", "max_pages", "max_rows", "max_columns", "timeout")


def _common(func: Any) -> Any:
    """Options shared by the commands that read reports: the text column, lexicons and the limits."""
    from auditnlp.pipeline import DEFAULT_TIMEOUT
    from auditnlp.readers.base import (
        DEFAULT_MAX_COLUMNS,
        DEFAULT_MAX_PAGES,
        DEFAULT_MAX_PARTS,
        DEFAULT_MAX_ROWS,
    )

    options = [
        click.option(
            "--text-column", default=None, help="Column holding the report text in CSV/XLSX/JSONL inputs."
        ),
        click.option(
            "--lexicon-dir",
            type=click.Path(exists=True, file_okay=False),
            default=None,
            help="Folder of lexicon files overriding the packaged ones (same file names).",
        ),
        click.option(
            "--max-mb", type=float, default=20.0, show_default=True,
            help="Limit on each document's extracted text in MB (pictures in a file do not count).",
        ),
        click.option(
            "--max-unzipped-mb", type=float, default=None,
            help="Refuse a .docx/.xlsx whose XML parts expand to more than this [default: 20 × --max-mb].",
        ),
        click.option("--max-parts", type=click.IntRange(min=1), default=DEFAULT_MAX_PARTS, show_default=True,
                     help="Refuse a .docx/.xlsx with more parts."),
        click.option("--max-pages", type=click.IntRange(min=1), default=DEFAULT_MAX_PAGES, show_default=True,
                     help="Refuse a PDF with more pages."),
        click.option("--max-rows", type=click.IntRange(min=1), default=DEFAULT_MAX_ROWS, show_default=True,
                     help="Refuse a CSV/XLSX/JSONL file with more rows."),
        click.option("--max-columns", type=click.IntRange(min=1), default=DEFAULT_MAX_COLUMNS,
                     show_default=True, help="Refuse a spreadsheet with more columns."),
        click.option(
            "--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, show_default=True,
            help="Seconds the analysis of one report may take before it is given up (0: no limit).",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _limits(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: kwargs.pop(key) for key in LIMIT_OPTIONS}


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def _note(message: str) -> None:
    click.echo(f"skipped: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="auditnlp")
def cli() -> None:
    """Analyse Chinese audit-office work reports and compare them across years and units."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per report (JSON Lines).")
@click.option("--indent", type=int, default=None, help="Indent JSON (only useful for a single report).")
@_common
def analyze(
    inputs: tuple[str, ...],
    as_json: bool,
    indent: int | None,
    text_column: str | None,
    lexicon_dir: str | None,
    **limits: Any,
) -> None:
    """Analyse report files, folders or globs (txt, docx, doc, wps, odt, rtf, pdf, scans, html, tables)."""
    from auditnlp.pipeline import analyze_many
    from auditnlp.readers.inputs import accounting, is_failure

    analysed = 0
    left_out: list[tuple[str, str, str]] = []
    for result in analyze_many(inputs, options=_options(lexicon_dir, text_column, _limits(limits))):
        if isinstance(result, AuditNLPError):
            left_out.append((str(result.path), result.reason, type(result).__name__))
            _fail(str(result)) if is_failure(left_out[-1][2]) else _note(str(result))
            continue
        analysed += 1
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=indent))
        else:
            for line in _summary(result):
                click.echo(line)
    if left_out or analysed != 1:
        click.echo(accounting(analysed, left_out, where="each named above"), err=True)
    if any(is_failure(kind) for _path, _reason, kind in left_out):
        sys.exit(EXIT_INPUT_FAILED)


def meta_provenance(meta: Any) -> str:
    """One line: each metadata field with where it came from (``unit=沛县审计局 [title+dateline] …``)."""
    values = {
        "unit": meta.unit,
        "year": meta.year,
        "period": meta.period.label if meta.period is not None else None,
        "plan_year": meta.plan_year,
    }
    return " ".join(
        f"{field}={value if value is not None else '-'} [{meta.source(field) or 'not found'}]"
        for field, value in values.items()
        if value is not None or field in ("unit", "year")
    )


def _summary(report: Any) -> Iterator[str]:
    meta = report.meta
    name = report.source.path + (f"#{report.source.row}" if report.source.row else "")
    yield f"{name}: {meta.title or '(no title)'} | unit={meta.unit} year={meta.year} type={meta.doc_type}"
    yield "  " + meta_provenance(meta)
    yield (
        f"  {len(report.text)} chars, {len(report.sections)} sections, {len(report.paragraphs)} paragraphs, "
        f"{len(report.sentences)} sentences, {len(report.items)} items, {len(report.indicators)} indicators, "
        f"{len(report.slogans)} slogans, {len(report.problems)} problems, {len(report.measures)} measures"
    )
    for section in report.sections:
        if section.level:
            yield f"  {'  ' * (section.level - 1)}{section.marker}{section.heading} [{section.role}]"
    for warning in report.warnings:
        yield f"  warning: {warning}"


_LANG = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language shown first (the other is a click away).",
)


@cli.command()
@click.argument("inputs", nargs=-1)
@click.option(
    "-o", "--output", required=True, type=click.Path(), help="Workbook (.xlsx), .jsonl file or folder."
)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV (UTF-8/GBK) or .xlsx: 路径/path → 单位/unit, 年份/year, 期间/period, …",
)
@click.option(
    "--input-list",
    "lists",
    multiple=True,
    help="A file naming inputs, one path or URL a line (# comments); may be given several times.",
)
@click.option(
    "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes [default: all cores]."
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where the analysis runs: processes on this machine, or a Dask cluster (the dask extra).",
)
@click.option(
    "--scheduler",
    default=None,
    help="Address of a Dask scheduler (tcp://host:8786) [default: a local cluster].",
)
@click.option(
    "--partitions", type=click.IntRange(min=1), default=None, help="Cut the files into this many partitions."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv", "parquet", "jsonl"]),
    default=None,
    help="Output format [default: from the suffix of -o, else xlsx]; csv/parquet write a folder "
    "(parquet: the dataset itself).",
)
@click.option(
    "--dataset",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep the Parquet dataset (rows and full tables) in this folder [default: beside the output, "
    "removed when the output holds everything].",
)
@click.option("--fresh", is_flag=True, help="Start the dataset anew instead of resuming it.")
@click.option(
    "--commit-every",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Commit the rows to the dataset every N files (what an interrupted run may have to redo).",
)
@click.option(
    "--view-above",
    type=click.IntRange(min=0),
    default=None,
    help="A workbook of more reports than this holds a summary and the first rows of each table "
    "[default: 20000].",
)
@_LANG
@_common
def compare(
    inputs: tuple[str, ...],
    output: str,
    manifest: str | None,
    lists: tuple[str, ...],
    jobs: int | None,
    engine: str,
    scheduler: str | None,
    partitions: int | None,
    fmt: str | None,
    dataset: str | None,
    fresh: bool,
    commit_every: int,
    view_above: int | None,
    lang: str,
    text_column: str | None,
    lexicon_dir: str | None,
    **limits: Any,
) -> None:
    """Compare reports across units and years: one workbook with indicators, matrix, slogans, problems.

    INPUTS are files, folders, globs or URLs (file://, and other fsspec protocols with the dask extra).
    Rows are streamed into a Parquet dataset as reports are analysed; a run that stops resumes where it
    stopped when run again.
    """
    import shutil
    import tempfile

    from auditnlp.corpus.batch import MissingExtraError, build_dataset, read_list
    from auditnlp.errors import OptionsError
    from auditnlp.writers.output import FOLDER_FORMATS, check_outputs, is_special
    from auditnlp.writers.tables import dataset_files, guess_format, table_files, write_dataset

    options = _options(lexicon_dir, text_column, _limits(limits))
    fmt = fmt or guess_format(output)
    items = list(inputs)
    for name in lists:
        items.extend(read_list(name))
    if not items:
        raise click.UsageError("give INPUTS or --input-list")
    ours = dataset_files() if fmt == "parquet" else table_files(fmt) if fmt in FOLDER_FORMATS else ()
    targets: list[tuple[str | Path, str, Iterable[str]]] = [(output, fmt, ours)]
    scratch = None  # a temporary folder for the dataset of an output that is a device (/dev/stdout)
    if fmt == "parquet":
        root = Path(output)
    elif dataset:
        root = Path(dataset)
    elif is_special(Path(output)):
        root = None
    else:
        root = Path(output).with_name(Path(output).name + ".dataset")
    if fmt != "parquet" and root is not None:
        targets.append((root, "parquet", dataset_files()))
    check_outputs(targets, protected=_protected(items, manifest, *lists))  # the inputs walked once
    if root is None:
        scratch = tempfile.mkdtemp(prefix="auditnlp-")
        root = Path(scratch) / "dataset"
    try:
        try:
            run = build_dataset(
                items, root, options=options, manifest=manifest, engine=engine, jobs=jobs,
                scheduler=scheduler, partitions=partitions, fresh=fresh, commit_files=commit_every,
            )  # fmt: skip
        except KeyboardInterrupt:
            where = "are lost" if scratch else f"are in {root}; run the same command again to resume"
            _fail(f"interrupted: the rows analysed so far {where}")
            sys.exit(130)
        except MissingExtraError as exc:
            _fail(str(exc))
            sys.exit(EXIT_MISSING_EXTRA)
        except OptionsError as exc:  # a dataset written with other settings, a bad engine or scheduler
            _fail(str(exc))
            sys.exit(EXIT_USAGE)
        if run.skipped:
            _note(f"resumed: {run.skipped} file(s) were in the dataset already")
        view = {"full_reports": view_above} if view_above is not None else {}
        written, complete = write_dataset(root, output, fmt, lexicon=options.lexicon, lang=lang, **view)
        errors = list(_dataset_errors(root))
        if fmt != "parquet" and complete and dataset is None:
            shutil.rmtree(root, ignore_errors=True)
        elif fmt != "parquet" and scratch is None:
            _note(f"the full tables are in the dataset {root}")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    _account(errors, run.tables.reports, f"{run.tables.reports} report(s) compared → {written}")


def _account(errors: list[tuple[str, str, str]], reports: int, done: str) -> None:
    """Say what became of every input of a comparison: each failure and notice (`errors`: path, reason,
    error) on stderr, the line `done`, the final accounting line; exit with :data:`EXIT_INPUT_FAILED` when
    an input failed (files skipped by rule, copies and manifest notices are not failures)."""
    from auditnlp.corpus.schema import DUPLICATE, NOTICES
    from auditnlp.readers.inputs import accounting, is_failure

    failures = 0
    for path, reason, error in errors:
        if error in NOTICES or not is_failure(str(error)):
            _note(f"{path}: {reason}")
        else:
            failures += 1
            _fail(f"{path}: {reason}")
    # manifest notices are about files that were analysed (or rows with no file): not inputs left out
    left_out = [(str(p), str(r), str(e)) for p, r, e in errors if e not in NOTICES or e == DUPLICATE]
    click.echo(done, err=True)
    click.echo(accounting(reports, left_out, where="see errors"), err=True)
    if failures:
        sys.exit(EXIT_INPUT_FAILED)


def _comparison_errors(result: Comparison) -> list[tuple[str, str, str]]:
    """The errors table of an in-memory comparison as (path, reason, error)."""
    return [(str(e.path), str(e.reason), str(e.error)) for e in result.errors.itertuples(index=False)]


def _dataset_errors(root: Any) -> Iterator[tuple[str, str, str]]:
    import pyarrow.parquet as pq

    table = pq.read_table(root / "errors.parquet")
    yield from zip(*(table.column(c).to_pylist() for c in ("path", "reason", "error")), strict=True)


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder of the site.")
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), help="CSV: path → unit, year, …")
@click.option(
    "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes [default: all cores]."
)
@_LANG
@_common
def review(
    inputs: tuple[str, ...],
    output: str,
    manifest: str | None,
    jobs: int | None,
    lang: str,
    text_column: str | None,
    lexicon_dir: str | None,
    **limits: Any,
) -> None:
    """Write a static review site: reports, matrix and yoy linked to every number's sentence, charts."""
    from auditnlp.writers.output import SITE, check_output
    from auditnlp.writers.site import SITE_NAMES
    from auditnlp.writers.site import review as write_review

    options = _options(lexicon_dir, text_column, _limits(limits))
    check_output(output, SITE, protected=_protected(inputs, manifest), ours=SITE_NAMES)
    result = write_review(inputs, output, options=options, manifest=manifest, jobs=jobs, lang=lang)  # type: ignore[arg-type]
    _account(
        _comparison_errors(result),
        len(result.reports),
        f"{len(result.reports)} report(s) → {output}/index.html",
    )


def _protected(inputs: Iterable[str], *others: str | Path | None) -> Iterator[str | Path]:
    """What an output may never replace: the input files, then the manifest and list files given
    (``None`` for one not given); listed anew for each check, so an archive's list is never held."""
    yield from _input_files(inputs)
    yield from (other for other in others if other)


def _input_files(inputs: Iterable[str]) -> Iterator[Path]:
    """The files the inputs name (folders and globs expanded), which an output may never replace."""
    from auditnlp.readers import expand_input

    for item in inputs:
        yield from (p for p in expand_input(item) if isinstance(p, Path))


RENDER_MAX_CHARS = 2_000_000
"""Characters ``render`` shows on one page by default (a browser struggles well before 10 million)."""


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="HTML file to write.")
@click.option(
    "--max-chars", type=click.IntRange(min=1), default=RENDER_MAX_CHARS, show_default=True,
    help="Refuse a report longer than this (one HTML page holds it all).",
)  # fmt: skip
@_LANG
@_common
def render(
    file: str, output: str, max_chars: int, lang: str, text_column: str | None, lexicon_dir: str | None,
    **limits: Any,
) -> None:  # fmt: skip
    """Write FILE (a spreadsheet's first row) as one HTML page: the analysed text with its records marked."""
    from auditnlp.pipeline import analyze_document
    from auditnlp.readers import read_path
    from auditnlp.writers.output import check_output
    from auditnlp.writers.site import render_report, write_text

    options = _options(lexicon_dir, text_column, _limits(limits))
    try:
        check_output(output, "html", protected=[file])
        doc = next(iter(read_path(file, text_column=text_column, limits=options.limits)))
        if isinstance(doc, AuditNLPError):
            raise doc
        if len(doc.text) > max_chars:
            raise InputError(
                doc.name,
                f"{len(doc.text):,} characters, over the {max_chars:,} one page shows "
                "(raise it with --max-chars)",
            )
        report = analyze_document(doc, options)
        page = render_report(report, lang=lang, lexicon=options.lexicon)  # type: ignore[arg-type]
        try:
            write_text(Path(output), page)
        except OSError as exc:
            raise OutputError(output, f"cannot write: {exc.strerror or exc}") from None
    except AuditNLPError as exc:
        _fail(str(exc))
        sys.exit(EXIT_INPUT_FAILED)
    click.echo(f"{file} → {output}", err=True)


@cli.command()
@click.argument("labels", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True, help="Model file (.skops) to write."
)
@click.option(
    "--design", default=None, help="Pipeline design: hash_kw_lr (default), hash_lr, vocab_lr, words_lr, …"
)
@click.option(
    "--taxonomy", type=click.Path(exists=True, dir_okay=False), default=None, help="Categories YAML file."
)
@click.option(
    "--genres",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Genres file (doc, genre, part): adds a leave-one-genre-out measure to the sidecar.",
)
@click.option(
    "--leave-out-heldout",
    is_flag=True,
    help="Leave out the documents whose part is 'heldout' in the --genres file.",
)
def train(
    labels: str,
    output: str,
    design: str | None,
    taxonomy: str | None,
    genres: str | None,
    leave_out_heldout: bool,
) -> None:
    """Train the paragraph/item category model from a LABELS file (TSV of references) and save it."""
    from auditnlp.training import train_model
    from auditnlp.training.labels import load_genres

    try:
        exclude: list[str] = []
        if leave_out_heldout:
            if genres is None:
                raise click.UsageError("--leave-out-heldout needs --genres")
            exclude = [doc for doc, (_, part) in load_genres(genres).items() if part == "heldout"]
        sidecar = train_model(
            labels, output, design=design, taxonomy=taxonomy, genres=genres, exclude=exclude
        )
    except AuditNLPError as exc:
        _fail(str(exc))
        sys.exit(EXIT_INPUT_FAILED)
    for message in sidecar["skipped_messages"]:
        click.echo(f"skipped: {message}", err=True)
    cv, data = sidecar["cv"], sidecar["training"]
    summary = f"{data['units']} units, {data['documents']} documents, CV macro-F1 {cv['macro_f1']:.3f}"
    if "leave_one_genre_out" in sidecar:
        summary += f", leave-one-genre-out macro-F1 {sidecar['leave_one_genre_out']['macro_f1']:.3f}"
    summary += f", temperature {sidecar['calibration']['temperature']}"
    click.echo(f"{output}: {summary}")


def main() -> None:
    """Console-script entry point."""
    try:
        cli(standalone_mode=True)
    except AuditNLPError as exc:  # pragma: no cover - commands catch their own
        _fail(str(exc))
        sys.exit(EXIT_INPUT_FAILED)


if __name__ == "__main__":  # pragma: no cover
    main()
