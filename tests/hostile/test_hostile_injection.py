"""Group 2 of the reliability review: injection through the outputs.

Unit names, titles, manifest values and file names that start with ``=``, ``+``, ``-`` or ``@`` must never
become formulas or links: every xlsx cell is a string or a number, and CSV cells that start with
``= + - @ \\t \\r`` are neutralised the OWASP way (a leading ``'``). Control characters give valid files;
``render`` escapes what it shows.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from _hostile_build import report_text
from _hostile_run import cases, check_clean, params, record, run_cli, sheet

PAYLOADS = (
    '=HYPERLINK("http://x","click")',
    "=cmd|' /C calc'!A0",
    "{=1+1}",
    "http://evil.example/x",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_injections(folder: Path) -> list[str]:
    """Cells of the CSV tables under `folder` that a spreadsheet would run as a formula."""
    found = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for r, cells in enumerate(csv.reader(handle), 1):
                for c, value in enumerate(cells, 1):
                    if value.startswith(_DANGEROUS) and not _NUMBER.fullmatch(value):
                        found.append(f"{path.name}:r{r}c{c} {value!r}")
    return found


def xlsx_injections(path: Path) -> list[str]:
    """Formula, array-formula and hyperlink cells of a workbook."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    book = openpyxl.load_workbook(path)
    found = []
    for page in book.worksheets:
        for r in page.iter_rows():
            for c in r:
                if c.data_type == "f" or isinstance(c.value, ArrayFormula):
                    found.append(f"{page.title}!{c.coordinate} formula {c.value!r}")
                if c.hyperlink is not None:
                    found.append(f"{page.title}!{c.coordinate} hyperlink {c.hyperlink.target!r}")
    return found


def _rows_csv(tmp_path: Path) -> Path:
    """A CSV of reports whose units and titles are payloads; each unit has two years (a merged header)."""
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["unit", "year", "title", "text"])
        for i, payload in enumerate(PAYLOADS):
            for year in (2022, 2023):
                text = report_text(i, year, extra="坚持“第一议题”制度，在“严”字上下功夫。")
                body = text.split("\n", 1)[1]  # no title line: the unit and title come from the columns
                writer.writerow([payload, year, f"{payload} {year}", body])
    return path


@pytest.fixture(scope="module")
def payload_folder(tmp_path_factory):
    """Reports whose file names are payloads, and a manifest giving them payload units and titles."""
    root = tmp_path_factory.mktemp("names")
    folder = root / "txt"
    folder.mkdir()
    names = [p.replace("/", "_") for p in PAYLOADS if "\t" not in p and "\r" not in p]
    manifest = root / "manifest.csv"
    with manifest.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["path", "unit", "year", "title", "note"])
        for i, name in enumerate(names):
            for year in (2022, 2023):
                file = f"{name}{year}.txt"
                (folder / file).write_text(report_text(i, year), encoding="utf-8")
                writer.writerow([f"txt/{file}", PAYLOADS[i], year, f"{PAYLOADS[-1 - i]}", "@SUM(1)"])
    return folder, manifest


@cases("G2-csv-csvrows", "G2-xlsx-csvrows")
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_payload_units_and_titles(tmp_path, fmt):
    """Units and titles from a spreadsheet's columns: no formula or link in xlsx, none live in CSV."""
    out = tmp_path / ("out" if fmt == "csv" else "out.xlsx")
    run = run_cli(
        ["compare", _rows_csv(tmp_path), "--text-column", "text", "-o", out, "--format", fmt, "--jobs", "1"]
    )
    check_clean(run)
    assert run.code == 0, run.describe()
    if fmt == "csv":
        assert not csv_injections(out), csv_injections(out)[:10]
        reports = list(csv.DictReader((out / "reports.csv").open(encoding="utf-8-sig")))
        assert {r["unit"] for r in reports} >= {"'" + PAYLOADS[0], "'" + PAYLOADS[4]}, (
            "payloads kept, neutralised"
        )
        record("G2-csv-csvrows", "ok")
    else:
        assert not xlsx_injections(out), xlsx_injections(out)[:10]
        record("G2-xlsx-csvrows", "ok")


@cases("G2-csv-filecolumn")
def test_payload_file_names(payload_folder, tmp_path, monkeypatch):
    """Files named like formulas, compared from inside their folder: the `file` cells are neutralised."""
    folder, _ = payload_folder
    monkeypatch.chdir(folder)
    out = tmp_path / "out"
    run = run_cli(["compare", ".", "-o", out, "--format", "csv", "--jobs", "1"])
    check_clean(run)
    assert run.code == 0, run.describe()
    files = {r["file"] for r in csv.DictReader((out / "reports.csv").open(encoding="utf-8-sig"))}
    assert any(f.startswith("'=HYPERLINK") for f in files), files
    assert not csv_injections(out), csv_injections(out)[:10]
    record("G2-csv-filecolumn", "ok")


@cases("G2-csv-filenames-manifest", "G2-xlsx-filenames-manifest")
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_payload_manifest_values(payload_folder, tmp_path, fmt):
    """Units, titles and an extra column from a manifest: never a formula or a link."""
    folder, manifest = payload_folder
    out = tmp_path / ("out" if fmt == "csv" else "out.xlsx")
    run = run_cli(["compare", folder, "--manifest", manifest, "-o", out, "--format", fmt, "--jobs", "1"])
    check_clean(run)
    assert run.code == 0, run.describe()
    if fmt == "csv":
        assert not csv_injections(out), csv_injections(out)[:10]
        record("G2-csv-filenames-manifest", "ok")
    else:
        assert not xlsx_injections(out), xlsx_injections(out)[:10]
        record("G2-xlsx-filenames-manifest", "ok")


@pytest.fixture(scope="module")
def control_comparison(tmp_path_factory):
    """A report with NUL, BEL, ESC, every C0 control, U+FFFF and `_x0000_` after its first 20,000 characters."""
    folder = tmp_path_factory.mktemp("ctrl")
    controls = "".join(chr(c) for c in range(32) if chr(c) not in "\n\r") + "\uffff_x0000_"
    text = (
        "某某区审计局2023年工作总结\n一、工作情况\n"
        + "全年完成审计项目27个，审计监督全覆盖。\n" * 1100
        + f"控制字符{controls}出现在这里。\n"
        + f"二、存在的问题\n（一）审计整改跟踪不够及时{controls}。\n"
    )
    (folder / "ctrl_late.txt").write_text(text, encoding="utf-8")
    return folder


@cases("G2-control-chars-csv", "G2-control-chars-jsonl", "G2-control-chars-parquet", "G2-control-chars-xlsx")
@pytest.mark.parametrize(
    ("case", "fmt"),
    params(
        ("G2-control-chars-csv", "csv"),
        ("G2-control-chars-jsonl", "jsonl"),
        ("G2-control-chars-parquet", "parquet"),
        ("G2-control-chars-xlsx", "xlsx"),
    ),
)
def test_control_characters_give_valid_outputs(control_comparison, tmp_path, case, fmt):
    """Control characters late in a report: every output format stays valid and keeps the problem."""
    out = tmp_path / ("out" if fmt in {"csv", "parquet"} else f"out.{fmt}")
    run = run_cli(["compare", control_comparison, "-o", out, "--format", fmt, "--jobs", "1"])
    check_clean(run)
    assert run.code == 0, run.describe()
    if fmt == "xlsx":
        import openpyxl

        problems = sheet(openpyxl.load_workbook(out), "problems")
        cells = [str(v) for values in problems.iter_rows(min_row=3, values_only=True) for v in values if v]
        assert any("审计整改跟踪不够及时" in c for c in cells), "the problem is missing from the workbook"
    elif fmt == "jsonl":
        lines = out.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines]
        assert any(r["table"] == "problems" and "审计整改跟踪不够及时" in str(r.get("text")) for r in rows)
    elif fmt == "csv":
        problems = list(csv.DictReader((out / "problems.csv").open(encoding="utf-8-sig", newline="")))
        assert any("审计整改跟踪不够及时" in r["text"] for r in problems)
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(out / "problems").to_pylist()  # the dataset: a folder per table
        assert any("审计整改跟踪不够及时" in str(r["text"]) for r in table)
    record(case, "ok")


XSS = '"><img src=x onerror=alert(1)>'


@cases("G2-render-xss-body", "G2-render-xss-filename")
@pytest.mark.parametrize(
    ("case", "name"), params(("G2-render-xss-body", "xss.txt"), ("G2-render-xss-filename", f"{XSS}.txt"))
)
def test_render_escapes_payloads(tmp_path, case, name):
    """Payloads in the title, a heading, the body or the file name are HTML-escaped in the page."""
    pytest.importorskip("spacy")
    text = (
        f"某某区审计局2023年工作总结{XSS}\n一、工作情况<script>alert(2)</script>\n"
        f"全年完成审计项目27个。{XSS}<script>alert(3)</script>\n"
    )
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "page.html"
    run = run_cli(["render", path, "-o", out])
    check_clean(run)
    assert run.code == 0, run.describe()
    page = out.read_text(encoding="utf-8")
    assert "<img src=x" not in page and "<script>alert" not in page
    assert "&lt;img src=x" in page or "&lt;img" in page
    record(case, "ok")
