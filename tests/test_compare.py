"""Batch comparison: compare_reports, the batch runner, the writers and the ``compare`` command."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from auditnlp import compare_reports
from auditnlp.cli import cli
from auditnlp.corpus.batch import compare_inputs
from auditnlp.corpus.compare import TABLES, Comparison
from auditnlp.corpus.manifest import load_manifest
from auditnlp.corpus.schema import NOTICES
from auditnlp.pipeline import analyze
from auditnlp.types import Finding, Indicator, Report, Slogan
from auditnlp.writers.tables import write_comparison

SAMPLES = Path(__file__).resolve().parents[1] / "corpora" / "samples"
MANIFEST = SAMPLES / "manifest.csv"
SHEET = {name: label for name, (label, _) in TABLES.items()}
"""Table → its sheet's name in the workbook (Chinese by default)."""
SHEETS = [
    "总览",
    *(
        x
        for name in TABLES
        for x in ((SHEET[name], "指标对比（数值）", "脱敏标记") if name == "matrix" else (SHEET[name],))
    ),
    "说明",
    "图表数据",
]


def _indicator(
    report: Report, needle: str, number: str, unit: str, name: str, base: str | None, **kw
) -> Indicator:
    """A hand-made indicator at the first occurrence of `needle` + `number` + `unit` in the report."""
    text = f"{number}{unit}"
    start = report.text.find(needle + text) + len(needle) if needle + text in report.text else -1
    masked = base is None
    if start < 0:  # masked or full-width forms: point at the needle instead (offsets still round-trip)
        start = report.text.find(needle)
        text = needle
    assert start >= 0, needle
    value = None if masked else Decimal(number.replace(",", ""))
    return Indicator(
        start=start,
        end=start + len(text),
        text=text,
        number=number,
        value=value,
        value_max=None,
        masked=masked,
        mask=number if masked else None,
        approx=None,
        unit=unit,
        unit_kind="money" if unit.endswith("元") else "count",
        base_value=None if base is None else Decimal(base),
        base_unit="元" if unit.endswith("元") else unit,
        change=None,
        subject=kw.get("subject", needle),
        name=name,
        flag=None,
        sentence=0,
        paragraph=0,
        section=0,
    )


def _enriched(path: Path, indicators: list[tuple], shares: dict[str, float]) -> Report:
    report = analyze(path)
    inds = tuple(_indicator(report, *spec) for spec in indicators)
    head = report.sections[-1]
    problem = Finding(
        "problem",
        head.heading_start,
        head.heading_end,
        report.text[head.heading_start : head.heading_end],
        head.heading,
        head.id,
        "section",
    )
    quote = report.text.index("“")
    slogan = Slogan(
        quote,
        quote + 3,
        report.text[quote : quote + 3],
        "quoted term",
        (report.text[quote + 1 : quote + 2],),
        0,
        False,
    )
    return dataclasses.replace(
        report, indicators=inds, problems=(problem,), slogans=(slogan,), category_shares=tuple(shares.items())
    )


@pytest.fixture(scope="module")
def handmade() -> list[Report]:
    """青山 2023/2024 and 南湖 2023 (masked)/2024 with hand-made indicators from the README ground truth."""
    return [
        _enriched(
            SAMPLES / "qingshan_2023_summary.txt",
            [
                ("完成审计项目", "27", "个", "audit_projects", "27"),
                ("查出违规金额", "2377.2", "万元", "violation_amount", "23772000"),
            ],
            {"study": 0.2, "supervision": 0.5, "rectification": 0.2, "other": 0.1},
        ),
        _enriched(
            SAMPLES / "qingshan_2024_summary.txt",
            [
                ("完成审计项目", "31", "个", "audit_projects", "31"),
                ("查出违规金额", "3,105.6", "万元", "violation_amount", "31056000"),
            ],
            {"study": 0.25, "supervision": 0.45, "livelihood": 0.2, "other": 0.1},
        ),
        _enriched(
            SAMPLES / "web_debris_2024.txt",
            [("完成审计项目", "XX", "个", "audit_projects", None)],
            {"supervision": 1.0},
        ),
        _enriched(
            SAMPLES / "nanhu_2024_h1_summary.docx",
            [("完成审计项目", "9", "个", "audit_projects", "9")],
            {"supervision": 0.6, "other": 0.4},
        ),
    ]


def _sheet_rows(path: Path, sheet: str) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    book.close()
    return rows


def test_compare_command_on_samples_writes_workbook(tmp_path: Path) -> None:
    out = tmp_path / "comparison.xlsx"
    result = CliRunner().invoke(
        cli, ["compare", str(SAMPLES), "-o", str(out), "--manifest", str(MANIFEST), "--jobs", "2"]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == SHEETS
    reports = pd.read_excel(out, sheet_name=SHEET["reports"], header=1)
    assert len(reports) == 10  # README.md and manifest.csv in the folder are not reports
    assert set(reports["unit"]) == {
        "青山区审计局",
        "江北市审计局",
        "临川县审计局",
        "南湖区审计局",
        "白沙县审计局",
    }
    # manifest overrides detection: the web copy of 南湖 covers 2023
    web = reports[reports["file"].str.endswith("web_debris_2024.txt")].iloc[0]
    assert (web["unit"], web["year"]) == ("南湖区审计局", 2023)
    head = _sheet_rows(out, SHEET["reports"])[:2]
    assert head[0][:5] == ("报告编号", "文件", "行号", "单位", "年份")
    assert head[1][:5] == ("report_id", "file", "row", "unit", "year")
    sheet = book[SHEET["reports"]]
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref.startswith("A2")
    # README.md and manifest.csv are listed as skipped by rule (not failures: the exit code is 0)
    assert {row[2] for row in _sheet_rows(out, SHEET["errors"])[2:]} == {"SkippedInputError"}
    assert "10 analysed, 2 not: 2 skipped by rule (see errors)" in result.output


def test_compare_api_matches_cli_tables() -> None:
    api = compare_inputs([SAMPLES], manifest=MANIFEST, jobs=1)
    assert isinstance(api, Comparison)
    assert list(api.tables()) == list(TABLES)
    assert len(api.reports) == 10 and set(api.errors["error"]) == {"SkippedInputError"}
    assert api.reports["report_id"].tolist() == list(range(1, 11))
    parallel = compare_inputs([SAMPLES], manifest=MANIFEST, jobs=2)
    for name in TABLES:
        pd.testing.assert_frame_equal(api.tables()[name], parallel.tables()[name], check_dtype=False)


def test_compare_reports_accepts_pipeline_results_and_errors() -> None:
    from auditnlp.pipeline import analyze_many

    files = [*sorted(SAMPLES.glob("*.txt")), SAMPLES / "missing.txt"]
    result = compare_reports(analyze_many(files), manifest=load_manifest(MANIFEST))
    assert len(result.reports) == 8
    failures = result.errors[~result.errors["error"].isin(NOTICES)]
    assert failures["path"].str.endswith("missing.txt").tolist() == [True]
    # the manifest rows of the two .docx samples match no input: listed, not failures
    unmatched = result.errors[result.errors["error"] == "ManifestRowUnmatched"]
    assert sorted(unmatched["reason"].str.extract(r"'(.+)'")[0]) == [
        "jiangbei_2023_summary.docx", "nanhu_2024_h1_summary.docx",
    ]  # fmt: skip


def test_matrix_aligns_one_indicator_of_one_unit_across_years(handmade: list[Report], tmp_path: Path) -> None:
    result = compare_reports(handmade, manifest=load_manifest(MANIFEST))
    matrix = result.matrix
    assert matrix.loc[("audit_projects", "个"), ("青山区审计局", "2023")] == Decimal(27)
    assert matrix.loc[("audit_projects", "个"), ("青山区审计局", "2024")] == Decimal(31)
    assert matrix.loc[("violation_amount", "元"), ("青山区审计局", "2024")] == Decimal(31056000)
    assert matrix.loc[("audit_projects", "个"), ("南湖区审计局", "2023")] == "XX"
    yoy = result.yoy.set_index(["unit", "name", "year"])
    row = yoy.loc[("青山区审计局", "audit_projects", 2024)]
    assert (row["prev_value"], row["change"]) == (Decimal(27), Decimal(4))
    assert row["change_pct"] == pytest.approx(14.81, abs=0.01)
    assert result.categories["label"].tolist()[0] == "青山区审计局 2023"
    assert result.slogan_counts["reports"].max() >= 1

    out = write_comparison(result, tmp_path / "m.xlsx")
    rows = _sheet_rows(out, SHEET["matrix"])
    units, years = rows[0], rows[1]
    assert years[:3] == ("name", "label", "base_unit")
    line = next(r for r in rows if r[0] == "audit_projects")
    assert line[1] == "审计项目数"  # the curated label of indicator_names.tsv, not a guessed subject
    cols = {(u, y): i for i, (u, y) in enumerate(zip(_fill(units), years, strict=True))}
    assert line[cols[("青山区审计局", "2023")]] == 27
    assert line[cols[("青山区审计局", "2024")]] == 31
    assert line[cols[("南湖区审计局", "2023")]] == "XX"
    book = openpyxl.load_workbook(out)
    assert book[SHEET["matrix"]].freeze_panes == "D3"
    assert book[SHEET["categories"]]._charts, "the categories sheet carries a chart"


def test_unknown_unit_and_year_and_targets_left_out_of_matrix(handmade: list[Report]) -> None:
    report = handmade[0]
    plans = next(s for s in report.sections if s.role == "plans")
    target = dataclasses.replace(
        report.indicators[0], section=plans.id, role="target", value=Decimal(30), base_value=Decimal(30)
    )
    anonymous = dataclasses.replace(
        report,
        meta=dataclasses.replace(report.meta, unit=None, year=None),
        indicators=(target, *report.indicators[1:]),
    )
    result = compare_reports([anonymous])
    assert result.categories["label"].tolist() == ["? ?"]
    assert ("audit_projects", "个") not in result.matrix.index  # the only occurrence is a plan's target
    assert result.matrix.loc[("violation_amount", "元"), ("?", "?")] == Decimal(23772000)
    assert result.indicators["primary"].tolist() == [False, True]


def _fill(header: tuple) -> list:
    """Merged cells read back as None after the first: carry the unit name rightwards."""
    out, last = [], None
    for value in header:
        last = value if value is not None else last
        out.append(last)
    return out


def test_real_pipeline_aligns_audit_projects_across_years(tmp_path: Path) -> None:
    """Once the indicator extractor is wired in: 青山 27个 (2023) and 31个 (2024) share a canonical name."""
    result = compare_inputs([SAMPLES], manifest=MANIFEST, jobs=1)
    if result.indicators["name"].dropna().empty:
        pytest.skip("the pipeline does not fill Report.indicators yet (issue 3)")
    matrix = result.matrix
    both = matrix[[("青山区审计局", "2023"), ("青山区审计局", "2024")]]
    pairs = {tuple(v) for v in both.itertuples(index=False, name=None)}
    assert (Decimal(27), Decimal(31)) in pairs
    out = write_comparison(result, tmp_path / "real.xlsx")
    rows = _sheet_rows(out, SHEET["matrix"])
    cols = {(u, y): i for i, (u, y) in enumerate(zip(_fill(rows[0]), rows[1], strict=True))}
    a, b = cols[("青山区审计局", "2023")], cols[("青山区审计局", "2024")]
    assert any(r[a] == 27 and r[b] == 31 for r in rows[2:])


def test_bad_file_goes_to_errors_sheet_and_exit_code_1(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "qingshan_2023_summary.txt", folder)
    (folder / "broken.docx").write_bytes(b"this is not a zip file")
    (folder / "empty.txt").write_bytes(b"")
    out = tmp_path / "c.xlsx"
    result = CliRunner().invoke(cli, ["compare", str(folder), "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 1
    assert "broken.docx" in result.output and "empty.txt" in result.output
    errors = pd.read_excel(out, sheet_name=SHEET["errors"], header=1)
    assert sorted(Path(p).name for p in errors["path"]) == ["broken.docx", "empty.txt"]
    assert errors["reason"].str.len().min() > 5
    assert len(pd.read_excel(out, sheet_name=SHEET["reports"], header=1)) == 1


def test_unexpected_exception_in_one_report_does_not_stop_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    import auditnlp.pipeline as pipeline

    real = pipeline.analyze_document

    def flaky(doc, options=None):  # type: ignore[no-untyped-def]
        if "jiangbei_2022" in doc.path:
            raise RuntimeError("boom")
        return real(doc, options)

    monkeypatch.setattr(pipeline, "analyze_document", flaky)
    result = compare_inputs([SAMPLES], jobs=1)
    assert len(result.reports) == 9
    failed = result.errors[result.errors["error"] != "SkippedInputError"]
    assert len(failed) == 1 and failed["reason"].str.contains("RuntimeError: boom").all()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_flat_formats(handmade: list[Report], tmp_path: Path, fmt: str) -> None:
    result = compare_reports(handmade)
    out = write_comparison(result, tmp_path / ("out.jsonl" if fmt == "jsonl" else "out"), fmt)
    if fmt == "jsonl":
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert {line["table"] for line in lines} >= {"reports", "indicators", "matrix"}
        values = [line["value"] for line in lines if line["table"] == "indicators"]
        assert 2377.2 in values and None in values
        return
    assert sorted(p.stem for p in out.iterdir()) == sorted([*TABLES, "matrix_values", "matrix_mask"])
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    matrix = read(out / f"matrix.{fmt}")
    row = matrix[matrix["name"] == "audit_projects"].iloc[0]
    assert float(row["青山区审计局 2024"]) == 31
    assert str(row["南湖区审计局 2023"]) == "XX"
    # beside the display matrix: numbers only (masked cells empty) and the mask, for pandas
    values, mask = read(out / f"matrix_values.{fmt}"), read(out / f"matrix_mask.{fmt}")
    numbers = values.drop(columns=["name", "label", "base_unit"])
    assert (numbers.dtypes == "float64").all() and numbers.astype(float).shape == numbers.shape
    line = values[values["name"] == "audit_projects"].iloc[0]
    assert line["青山区审计局 2024"] == 31 and pd.isna(line["南湖区审计局 2023"])
    assert bool(mask[mask["name"] == "audit_projects"].iloc[0]["南湖区审计局 2023"]) is True


def test_manifest_extra_columns_and_unit_override(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    path = SAMPLES / "qingshan_2023_summary.txt"
    manifest.write_text(f"path,unit,year,region\n{path},青山区,2022,东部\n", encoding="utf-8")
    result = compare_inputs([path], manifest=manifest, jobs=1)
    row = result.reports.iloc[0]
    assert (row["unit"], row["year"], row["extra_region"]) == ("青山区", 2022, "东部")


def test_compare_help_and_bad_format() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["compare", "--help"])
    assert result.exit_code == 0 and "--manifest" in result.output and "--jobs" in result.output
    result = runner.invoke(cli, ["compare", str(SAMPLES), "-o", "x", "--format", "docx"])
    assert result.exit_code == 2


def test_import_auditnlp_does_not_import_pandas() -> None:
    code = "import sys, auditnlp; auditnlp.compare_reports; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_progress_bar_is_quiet_when_not_a_terminal() -> None:
    from auditnlp.corpus.batch import progress_bar

    with progress_bar(5) as advance:  # pytest captures stderr: not a TTY
        assert advance is None
    with progress_bar(5, enabled=True) as advance:
        assert advance is not None
        advance(5)


GOV = SAMPLES.parents[2] / "shared" / "corpora" / "gov-reports"


@pytest.mark.shared
@pytest.mark.slow
def test_gov_reports_align_gdp_growth_across_years(tmp_path: Path) -> None:
    if not GOV.is_dir():
        pytest.skip("../shared/corpora/gov-reports is not beside the checkout")
    out = tmp_path / "gov.xlsx"
    args = [
        "compare",
        str(GOV / "2025-docx"),
        str(GOV / "2026-csv"),
        "--text-column",
        "full_text",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    reports = pd.read_excel(out, sheet_name=SHEET["reports"], header=1)
    assert sorted(reports["year"].unique()) == [2024, 2025]  # covered years: delivered in 2025 and 2026
    rows = _sheet_rows(out, SHEET["matrix"])
    cols = {(u, y): i for i, (u, y) in enumerate(zip(_fill(rows[0]), rows[1], strict=True))}
    gdp = next(r for r in rows[2:] if r[0] == "gdp_growth" and r[2] == "%")
    for province in ("上海市", "安徽省"):
        assert isinstance(gdp[cols[(province, "2024")]], float | int)
        assert isinstance(gdp[cols[(province, "2025")]], float | int)


def _bare_unit_report(unit: str, year: int, projects: int) -> Report:
    from auditnlp import analyze_text

    text = (
        f"{unit}{year}年工作总结\n\n一、主要工作\n全年共完成审计项目{projects}个，查出问题金额{projects}亿元。\n\n"
        "二、存在问题\n一是部分单位预算执行不严格，存在超范围支出问题。"
        "二是政府采购管理不规范，化整为零规避招标问题较为突出。\n\n三、下一步工作\n加强审计整改。\n"
    )
    return analyze_text(text, name=f"{unit}_{year}.txt")


@pytest.mark.parametrize("unit", ["市审计局", "审计局", "区审计局"])
def test_a_unit_without_a_place_links_no_reports_across_years(unit: str) -> None:
    """Two offices whose reports name only 市审计局 are not one unit: no change between their figures and no
    recurring problem, each row saying why; the same reports under a named office are compared."""
    bare = compare_reports([_bare_unit_report(unit, 2023, 30), _bare_unit_report(unit, 2024, 36)])
    assert set(bare.reports["unit"]) == {unit}
    assert len(bare.yoy) > 0 and bare.yoy["change"].isna().all()
    assert bare.yoy["note"].str.contains("无地名").all()
    assert bare.recurring.empty and bare.problem_status.empty
    named = compare_reports(
        [_bare_unit_report("青山区审计局", 2023, 30), _bare_unit_report("青山区审计局", 2024, 36)]
    )
    projects = named.yoy[(named.yoy["name"] == "audit_projects") & (named.yoy["period"] == "2024")]
    assert projects["change"].tolist() == [6]
    assert len(named.recurring) == 2 and not named.problem_status.empty
