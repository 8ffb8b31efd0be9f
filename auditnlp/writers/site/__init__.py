"""The review site: a folder of static pages that opens from disk, with no server and no network.

``index.html`` lists the reports; ``matrix.html`` and ``yoy.html`` show the comparison with every cell
linked to its sentence; ``charts.html`` draws each headline indicator across units and years (plotly.js,
copied once from the installed ``plotly`` package into ``assets/``); ``reports/<page>.html`` shows one
report's analysed text with its records highlighted (:mod:`auditnlp.writers.site.report`).

Report pages need the text, which the comparison does not keep. :func:`review` writes each page while the
report is analysed (in the worker process that analysed it, see :class:`ReportPages`), so a batch of any
size holds no texts; :func:`write_site` writes the pages of reports it is given, and otherwise reads and
analyses each source file again, one at a time.
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from auditnlp.corpus.schema import NOTICES
from auditnlp.lexicon import LexiconsLike
from auditnlp.types import Report
from auditnlp.writers.display import Display, Lang, load_display
from auditnlp.writers.site.data import (
    chart_specs,
    errors_table,
    headline_cells,
    index_table,
    matrix_table,
    page_name,
    to_json,
    yoy_table,
)
from auditnlp.writers.site.report import report_view

if TYPE_CHECKING:
    import jinja2

    from auditnlp.corpus.compare import Comparison
    from auditnlp.corpus.manifest import Manifest
    from auditnlp.pipeline import Options

__all__ = ["ReportPages", "page_name", "render_report", "review", "write_site"]

REPORTS = "reports"
ASSETS = "assets"
PAGES = ("index.html", "matrix.html", "yoy.html", "charts.html")
SITE_NAMES = (*PAGES, REPORTS, ASSETS)
"""What a site folder holds: a folder holding anything else is not replaced (it may be the user's)."""


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("auditnlp.writers.site", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _static(name: str) -> str:
    return resources.files("auditnlp.writers.site").joinpath("static", name).read_text(encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    """Write `text` as UTF-8 to `path` atomically (a reader never sees half a page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _source_name(report: Report) -> str:
    name = report.source.path.replace("\\", "/").rsplit("/", 1)[-1]
    return name + (f"#{report.source.row}" if report.source.row else "")


def render_report(
    report: Report, *, lang: Lang = "zh", lexicon: LexiconsLike = None, standalone: bool = True
) -> str:
    """One report as an HTML page: its analysed text with sections, items, indicators, slogans, problems,
    measures, categories and redactions marked, and the removed debris listed apart.

    `standalone` pages carry their stylesheet and script inline (one file to open or send); site pages
    link them from ``../assets/``.
    """
    display = load_display(lexicon, lang)
    view = report_view(report, display)
    return (
        _env()
        .get_template("report.html")
        .render(
            view=view,
            name=_source_name(report),
            ui=display,
            lang=display.lang,
            cat_index={label: i for i, label in enumerate(display.categories)},
            inline=standalone,
            css=Markup(_static("site.css")) if standalone else "",
            js=Markup(_static("site.js")) if standalone else "",
            root="" if standalone else "../",
            here="report",
        )
    )


@dataclass(frozen=True)
class ReportPages:
    """Writes the page of each report it is called with into `folder` (picklable: runs in batch workers)."""

    folder: str
    lang: Lang = "zh"
    lexicon: LexiconsLike = None

    def __call__(self, report: Report) -> None:
        """Write `report`'s page (its name is :func:`page_name` of its source)."""
        html = render_report(report, lang=self.lang, lexicon=self.lexicon, standalone=False)
        write_text(Path(self.folder) / page_name(report.source.path, report.source.row), html)


def _plotly_js() -> Path | None:
    """plotly.min.js from the installed plotly package (never fetched, never copied into the repo)."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path
    return None


def _write_assets(folder: Path) -> bool:
    assets = folder / ASSETS
    assets.mkdir(parents=True, exist_ok=True)
    write_text(assets / "site.css", _static("site.css"))
    write_text(assets / "site.js", _static("site.js"))
    plotly = _plotly_js()
    if plotly is None:
        return False
    target = assets / "plotly.min.js"
    if not target.is_file() or target.stat().st_size != plotly.stat().st_size:
        tmp = assets / ".plotly.min.js.tmp"
        shutil.copyfile(plotly, tmp)
        os.replace(tmp, target)
    return True


def _reread(comparison: Comparison, options: Options | None, skip: set[str]) -> Iterator[Report]:
    """The comparison's reports analysed again from their files, one at a time (unit and year as in the
    comparison, which may come from a manifest); files that cannot be read are passed over."""
    from auditnlp.errors import InputError
    from auditnlp.pipeline import Options, analyze_document
    from auditnlp.readers import read_path

    options = options or Options()
    wanted: dict[str, dict[int | None, dict[str, Any]]] = defaultdict(dict)
    for rec in comparison.reports.to_dict("records"):
        row = None if rec.get("row") is None or rec["row"] != rec["row"] else int(rec["row"])
        if page_name(rec.get("file"), row) not in skip:
            wanted[str(rec["file"])][row] = rec
    for file, rows in wanted.items():
        for doc in read_path(file, text_column=options.text_column, max_bytes=options.max_bytes):
            rec = None if isinstance(doc, InputError) else rows.get(doc.row)
            if doc is None or rec is None:
                continue
            try:
                report = analyze_document(doc, options)  # type: ignore[arg-type]
            except InputError:
                continue
            unit = rec["unit"] if isinstance(rec.get("unit"), str) else report.meta.unit
            year = rec.get("year")
            year = int(year) if year is not None and year == year else report.meta.year
            yield replace(report, meta=replace(report.meta, unit=unit, year=year))


def write_site(
    comparison: Comparison,
    folder: str | Path,
    *,
    reports: Iterable[Report] | None = None,
    options: Options | None = None,
    lang: Lang = "zh",
    written: Iterable[str] = (),
) -> Path:
    """Write the review site of `comparison` into `folder` and return the path of its index page.

    Report pages: those named in `written` are already in ``folder/reports`` (written while analysing,
    see :func:`review`); pages of `reports` are written from them; any other report of the comparison is
    read and analysed again from its file (with `options`), one at a time.
    """
    folder = Path(folder)
    lexicon = options.lexicon if options is not None else None
    display = load_display(lexicon, lang).with_labels(comparison.indicator_labels)
    pages_dir = folder / REPORTS
    done = set(written)
    writer = ReportPages(str(pages_dir), lang, lexicon)
    if reports is not None:
        for report in reports:
            writer(report)
            done.add(page_name(report.source.path, report.source.row))
    for report in _reread(comparison, options, done):
        writer(report)
        done.add(page_name(report.source.path, report.source.row))
    has_plotly = _write_assets(folder)
    _write_tables(comparison, folder, display, done, has_plotly)
    return folder / "index.html"


def _write_tables(
    comparison: Comparison, folder: Path, display: Display, pages: set[str], has_plotly: bool
) -> None:
    env = _env()
    cells = headline_cells(comparison)
    common = {"ui": display, "lang": display.lang, "inline": False, "root": ""}
    index_tables = [{"id": "t-reports", "json": to_json(index_table(comparison, display, pages))}]
    if len(comparison.errors):
        index_tables.append(
            {"id": "t-errors", "heading": "errors", "json": to_json(errors_table(comparison, display))}
        )
    pages_out = {
        "index.html": (
            "table.html",
            {
                "here": "reports",
                "tables": index_tables,
                "summary": _summary(comparison, display),
                "notes": list(comparison.notes),
            },
        ),
        "matrix.html": (
            "table.html",
            {
                "here": "matrix",
                "note": "matrix_note",
                "tables": [{"id": "t-matrix", "json": to_json(matrix_table(comparison, display, cells))}],
            },
        ),
        "yoy.html": (
            "table.html",
            {
                "here": "yoy",
                "tables": [{"id": "t-yoy", "json": to_json(yoy_table(comparison, display, cells))}],
            },
        ),
    }
    charts = chart_specs(comparison, display, cells) if has_plotly else []
    pages_out["charts.html"] = (
        "charts.html",
        {
            "here": "charts",
            "charts": charts,
            "chart_json": to_json({c["id"]: {"traces": c["traces"], "layout": c["layout"]} for c in charts}),
        },
    )
    for name, (template, context) in pages_out.items():
        write_text(folder / name, env.get_template(template).render(**common, **context))


def _summary(comparison: Comparison, display: Display) -> str:
    from auditnlp.readers.inputs import is_failure

    reports, errors = len(comparison.reports), comparison.errors
    kinds = [str(e) for e in errors["error"]] if len(errors) else []
    notices = sum(kind in NOTICES for kind in kinds)
    skipped = sum(kind not in NOTICES and not is_failure(kind) for kind in kinds)
    failed = len(kinds) - notices - skipped
    if display.lang == "zh":
        text = f"共 {reports} 份报告"
        text += f"，{failed} 个输入未能分析" if failed else ""
        text += f"，{skipped} 个文件按规则跳过（说明、清单等）" if skipped else ""
        text += f"，{notices} 条提示" if notices else ""
        return text + ("（见下表）。" if kinds else "。")
    text = f"{reports} reports"
    text += f", {failed} inputs failed" if failed else ""
    text += f", {skipped} files skipped by rule (README, manifest …)" if skipped else ""
    text += f", {notices} notices" if notices else ""
    return text + (" (below)." if kinds else ".")


def review(
    inputs: Iterable[str | Path],
    folder: str | Path,
    *,
    options: Options | None = None,
    manifest: Manifest | str | Path | None = None,
    jobs: int | None = None,
    lang: Lang = "zh",
    progress: bool | None = None,
) -> Comparison:
    """Analyse `inputs`, compare them and write the review site into `folder`.

    Each report's page is written by the process that analysed it, as soon as it is analysed, so no text
    is kept; failures are listed on the index page and in ``comparison.errors``.
    """
    from auditnlp.corpus.batch import compare_inputs
    from auditnlp.pipeline import Options

    options = options or Options()
    folder = Path(folder)
    pages_dir = folder / REPORTS
    before = {p.name for p in pages_dir.glob("r*.html")} if pages_dir.is_dir() else set()
    pages = ReportPages(str(pages_dir), lang, options.lexicon)
    comparison = compare_inputs(
        inputs, options=options, manifest=manifest, jobs=jobs, progress=progress, on_report=pages
    )
    reports = comparison.reports
    written: set[str] = set()
    if len(reports):
        written = {page_name(f, r) for f, r in zip(reports["file"], reports["row"], strict=True)}
    # pages of copies the comparison left out (a document given twice is compared once) are removed;
    # pages that were in the folder before this run are left alone
    if pages_dir.is_dir():
        for page in pages_dir.glob("r*.html"):
            if page.name not in written and page.name not in before:
                page.unlink(missing_ok=True)
    write_site(comparison, folder, options=options, lang=lang, written=written)
    return comparison
