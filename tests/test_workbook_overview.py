"""The workbook opens on the answer: the 总览 sheet, Chinese sheet names and code values, the numeric matrix.

Built once from the sample corpus with its manifest; every assertion reads the written .xlsx back.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import SAMPLES

from auditnlp.corpus.batch import compare_inputs
from auditnlp.corpus.schema import TABLES
from auditnlp.writers.display import load_display

MANIFEST = SAMPLES / "manifest.csv"


@pytest.fixture(scope="module")
def comparison():
    return compare_inputs([SAMPLES], manifest=MANIFEST, jobs=1, progress=False)


@pytest.fixture(scope="module")
def book_path(comparison, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return comparison.to_excel(tmp_path_factory.mktemp("wb") / "cmp.xlsx")


def _overview(path: Path) -> list[list]:
    book = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in book["总览"].iter_rows()]


def test_first_sheet_is_the_overview_of_headline_indicators(book_path: Path, comparison) -> None:
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames[0] == "总览" and book.active.title == "总览"
    rows = _overview(book_path)
    sheet_rows = list(book["总览"].iter_rows())
    header = next(r for r in rows if r[0] == "单位")
    units = rows[rows.index(header) + 1]
    assert "审计项目数" in header and "违规金额" in header
    col = {name: i for i, name in enumerate(header) if name}
    assert units[col["审计项目数"]] == "个"
    assert units[col["违规金额"]] in ("万元", "亿元")  # money in 万元/亿元, never nine-digit 元
    line = next(r for r in rows if r[0] == "青山区审计局" and r[1] == "2024年")
    assert line[col["审计项目数"]] == 31
    exact = comparison.matrix.loc[("violation_amount", "元"), ("青山区审计局", "2024")]
    scale = 1e4 if units[col["违规金额"]] == "万元" else 1e8
    assert line[col["违规金额"]] == pytest.approx(float(exact) / scale)
    # a bound is shown as one (≥5亿), not as an exact figure
    bound = next(r for r in sheet_rows if r[0].value == "江北市审计局" and r[1].value == "2024年")
    assert bound[col["促进整改金额"]].number_format.startswith('"≥"')
    assert not bound[col["审计项目数"]].number_format.startswith('"')
    masked = next(r for r in rows if r[0] == "南湖区审计局" and r[1] == "2023年")
    assert masked[col["审计项目数"]] == "XX"
    # block 2: the change from the previous period, green for rises and red for falls
    sheet = book["总览"]
    changes = [
        c for row in sheet.iter_rows(min_row=rows.index(header) + len(comparison.matrix.columns) + 4)
        for c in row[2:] if isinstance(c.value, float | int)
    ]  # fmt: skip
    assert changes
    # a change from or to an approximate figure or a bound (≥5亿) is to be checked, like one beyond ±100 %
    yoy = comparison.yoy
    qualified = yoy[yoy["qualifier"].notna() | yoy["prev_qualifier"].notna()]
    to_check = {
        (u, f"{p}年", load_display().indicator(n))
        for u, p, n in zip(qualified["unit"], qualified["period"], qualified["name"], strict=True)
    }
    assert ("江北市审计局", "2024年", "促进整改金额") in to_check
    for cell in changes:
        line = [c.value for c in sheet[cell.row]]
        where = (line[0], line[1], header[cell.column - 1])
        if cell.fill.fgColor.rgb and cell.fill.fgColor.rgb.endswith("FFEB9C"):
            assert abs(cell.value) > 100 or where in to_check  # flagged for checking
            continue
        assert where not in to_check
        colour = (cell.font.color.rgb or "")[-6:] if cell.font.color is not None else ""
        if cell.value > 0:
            assert colour == "007A33"
        elif cell.value < 0:
            assert colour == "C00000"
    assert any(c.value < 0 for c in changes) and any(c.value > 0 for c in changes)
    assert len(sheet._charts) >= 5  # a chart per headline indicator with yearly values


def test_sheet_names_headers_and_code_values_are_chinese(book_path: Path) -> None:
    book = openpyxl.load_workbook(book_path, read_only=True)
    for name, (label, _) in TABLES.items():
        assert label in book.sheetnames, name
    slogans = pd.read_excel(book_path, sheet_name=TABLES["slogans"][0], header=1)
    assert "引号提法" in set(slogans["kind"]) and "quoted_term" not in set(slogans["kind"])
    reports = pd.read_excel(book_path, sheet_name=TABLES["reports"][0], header=1)
    assert "工作总结和计划" in set(reports["doc_type"]) and "summary_plan" not in set(reports["doc_type"])
    head = next(book[TABLES["reports"][0]].iter_rows(max_row=2, values_only=True))
    assert head[3] == "单位"


def test_english_workbook(comparison, tmp_path: Path) -> None:
    path = comparison.to_excel(tmp_path / "en.xlsx", lang="en")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames[0] == "overview"
    assert "reports" in book.sheetnames and "legend" in book.sheetnames
    head = list(book["reports"].iter_rows(max_row=2, values_only=True))
    assert head[0][3] == "unit" and head[1][3] == "单位"
    slogans = pd.read_excel(path, sheet_name="slogans", header=0, skiprows=[1])
    assert "quoted_term" in set(slogans["kind"])
    # yes/no columns speak the workbook's language: English words here, 是/否 in the Chinese one
    indicators = pd.read_excel(path, sheet_name="indicators", header=0, skiprows=[1])
    assert set(indicators["masked"].dropna()) == {"yes", "no"}


def test_chinese_workbook_writes_yes_no_as_chinese(book_path: Path) -> None:
    indicators = pd.read_excel(book_path, sheet_name=TABLES["indicators"][0], header=1)
    assert set(indicators["masked"].dropna()) == {"是", "否"}


def test_no_cell_is_a_formula(book_path: Path) -> None:
    book = openpyxl.load_workbook(book_path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def test_numeric_matrix_for_pandas(book_path: Path, comparison) -> None:
    values = pd.read_excel(book_path, sheet_name="指标对比（数值）", index_col=[0, 1])
    mask = pd.read_excel(book_path, sheet_name="脱敏标记", index_col=[0, 1])
    numbers = values.astype(float)  # never breaks: masked cells are empty
    shown = comparison.matrix
    assert numbers.shape == shown.shape
    assert int(mask.to_numpy().sum()) == int((shown == "XX").to_numpy().sum()) > 0
    assert numbers.loc[("audit_projects", "个"), "青山区审计局 2024"] == 31
    assert pd.isna(numbers.loc[("audit_projects", "个"), "南湖区审计局 2023"])
    assert bool(mask.loc[("audit_projects", "个"), "南湖区审计局 2023"]) is True


def test_a_cell_longer_than_excel_holds_is_cut_and_says_so(comparison, tmp_path: Path) -> None:
    """A slogan used by thousands of units lists them all in one cell: past Excel's 32,767 characters
    the cell is cut and ends saying so, with the whole length; the csv output keeps it whole."""
    from dataclasses import replace

    from auditnlp.writers.tables import write_comparison

    counts = comparison.slogan_counts.copy()
    units = "；".join(f"第{i}区审计局" for i in range(4000))  # ≈ 36,000 characters
    counts.loc[counts.index[0], "units"] = units
    wide = replace(comparison, slogan_counts=counts)
    path = wide.to_excel(tmp_path / "wide.xlsx")
    sheet = openpyxl.load_workbook(path, read_only=True)[TABLES["slogan_counts"][0]]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[1].index("units")  # row 1: the Chinese labels, row 2: the column keys
    (cell,) = [row[column] for row in rows[2:] if row[column] and len(row[column]) > 10_000]
    assert len(cell) == 32_767 and cell.startswith(units[:1000])
    assert cell.endswith(
        f"全文 {len(units):,} 字，见 csv/parquet 输出 (cell cut: {len(units):,} characters)〕"
    )
    write_comparison(wide, tmp_path / "csv", "csv")
    whole = pd.read_csv(tmp_path / "csv" / "slogan_counts.csv")
    assert units in set(whole["units"])
