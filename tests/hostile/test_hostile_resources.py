"""Group 7 of the reliability review: resources — Excel's row limit, memory across batches, PDF pages
kept in memory, render on long texts. (The 20 MB report's time is the `realish` family of
test_hostile_linear.py; its absolute time is measured by hand in bench/.)
"""

from __future__ import annotations

import gc
import multiprocessing
import tracemalloc

import pytest
from _hostile_build import pdf_pages, realish_report, report_text, text_ops, unit_name
from _hostile_run import cases, check_clean, check_error, deadline, module, record, run_cli, workbook_module
from conftest import ROOT

from auditnlp import compare_inputs, iter_documents


def _many_indicators(n: int, unit: str) -> str:
    items = "，".join(f"完成第{i}批审计项目{i + 1}个" for i in range(n))
    return f"{unit}2023年工作总结\n一、工作情况\n{items}。\n"


@cases("G7-excel-row-cap")
def test_rows_past_the_sheet_limit_spill_over_with_a_note(tmp_path, monkeypatch):
    """A table longer than a sheet holds continues on further sheets, with a note; no row is lost.
    (The sheet limit is lowered to 60 rows here: 1,048,576 rows take minutes to write.)"""
    import openpyxl

    paths = []
    for i in range(2):
        path = tmp_path / f"r{i}.txt"
        path.write_text(_many_indicators(70, unit_name(i)), encoding="utf-8")
        paths.append(path)
    comparison = compare_inputs(paths, jobs=1, progress=False)
    total = len(comparison.tables()["indicators"])
    assert total > 120
    monkeypatch.setattr(workbook_module(), "EXCEL_MAX_ROWS", 60)
    out = tmp_path / "cap.xlsx"
    module("auditnlp.writers.tables", "auditnlp.io.tables").write_comparison(comparison, out, lang="en")
    book = openpyxl.load_workbook(out)
    sheets = [s for s in book.worksheets if s.title == "indicators" or s.title.startswith("indicators (")]
    assert len(sheets) >= 3, [s.title for s in book.worksheets]
    assert all(s.max_row <= 60 for s in sheets)
    kept = sum(s.max_row - 2 for s in sheets)
    assert kept == total, f"{total - kept} rows lost"
    legend = " ".join(str(c) for row in book["legend"].iter_rows(values_only=True) for c in row if c)
    assert sheets[1].title in legend, "the legend does not say where the table continues"
    record("G7-excel-row-cap", "ok")


def _traced_after(batches, run) -> list[int]:
    sizes = []
    for _ in range(batches):
        run()
        gc.collect()
        sizes.append(tracemalloc.get_traced_memory()[0])
    return sizes


@cases("G7-memory-after-batches-jobs1", "G7-memory-after-batches-jobs2")
@pytest.mark.parametrize(
    ("case", "jobs"), [("G7-memory-after-batches-jobs1", 1), ("G7-memory-after-batches-jobs2", 2)]
)
def test_memory_returns_after_each_batch(tmp_path, case, jobs):
    """Batch after batch, the memory this process holds stays flat and no worker is left behind."""
    paths = []
    for i in range(4):
        path = tmp_path / f"r{i}.txt"
        path.write_text(report_text(i, 2021 + i % 2), encoding="utf-8")
        paths.append(path)
    compare_inputs(paths, jobs=jobs, progress=False)  # lexicons, model, caches
    tracemalloc.start()
    try:
        sizes = _traced_after(4, lambda: compare_inputs(paths, jobs=jobs, progress=False))
    finally:
        tracemalloc.stop()
    assert not multiprocessing.active_children(), "workers left after the batch"
    growth = sizes[-1] - sizes[0]
    assert growth < 256 * 1024, f"memory grows by batch: {[s // 1024 for s in sizes]} KB"
    record(case, "ok")


@cases("G7-pdf-memory-per-page")
def test_pdf_pages_are_released_as_they_are_read(tmp_path, monkeypatch):
    """Each PDF page is closed once its text is extracted, so memory holds one page, not all of them."""
    import pdfplumber.page

    line = "Audit office completed 27 audit projects and found 2377.2 of irregular funds in"
    path = tmp_path / "dense.pdf"
    path.write_bytes(pdf_pages([text_ops([f"{line} {p} {i}" for i in range(45)]) for p in range(4)]))
    open_pages: set[int] = set()
    most = [0]
    real_close = pdfplumber.page.Page.close

    def reading(method):
        real = getattr(pdfplumber.page.Page, method)

        def read(self, *args, **kwargs):
            open_pages.add(id(self))
            most[0] = max(most[0], len(open_pages))
            return real(self, *args, **kwargs)

        return read

    def close(self):
        open_pages.discard(id(self))
        return real_close(self)

    for method in ("extract_text", "extract_text_lines", "extract_words"):
        monkeypatch.setattr(pdfplumber.page.Page, method, reading(method))
    monkeypatch.setattr(pdfplumber.page.Page, "close", close)
    (doc,) = list(iter_documents([path]))
    assert "27 audit projects" in doc.text and "found 2377.2" in doc.text
    assert most[0] == 1, f"{most[0]} pages were held at once"
    assert not open_pages, "pages left open"
    record("G7-pdf-memory-per-page", "ok")


@cases("G7-render-1.1M-chars")
def test_render_over_a_million_characters(tmp_path):
    """A legal 3 MB report of 1.05 M characters renders (spaCy's default limit is 1,000,000)."""
    pytest.importorskip("spacy")
    path = tmp_path / "long.txt"
    path.write_text(
        "某某区审计局2023年工作总结\n" + "审计监督全覆盖，推进整改落实，全年完成审计项目27个。\n" * 39_000,
        encoding="utf-8",
    )
    out = tmp_path / "long.html"
    with deadline(240, "render of 1 M characters"):
        run = run_cli(["render", path, "-o", out], timeout=240)
    check_clean(run)
    assert run.code == 0, run.describe()
    assert out.stat().st_size > len(path.read_text(encoding="utf-8"))
    record("G7-render-1.1M-chars", "ok")


@cases("G7-txt-19.9MB-render")
def test_render_of_a_20_mb_report_is_refused_at_once(tmp_path):
    """A 20 MB report (7 M characters) is too long to show on one page: one line naming the option."""
    pytest.importorskip("spacy")
    text = realish_report(ROOT)
    path = tmp_path / "report_19.9MB.txt"
    path.write_text((text * (19 * 2**20 // len(text.encode()) + 1))[: 19 * 2**20 // 3], encoding="utf-8")
    with deadline(60, "render of 20 MB"):
        run = run_cli(["render", path, "-o", tmp_path / "big.html"])
    line = check_error(run, path)
    assert "max-chars" in line or "max_chars" in line, line
    assert run.seconds < 30
    record("G7-txt-19.9MB-render", "clear-error")
