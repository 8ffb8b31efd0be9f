"""Issue 11 in the comparison: the same document read twice is compared once, the manifest is read in any
form an analyst saves it and its mistakes are listed, and part-year figures are never compared with a
year's."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from auditnlp import Options, analyze_text, compare_reports
from auditnlp.cli import cli
from auditnlp.corpus.batch import compare_inputs
from auditnlp.corpus.identity import NEAR_IDENTICAL, fingerprint
from auditnlp.corpus.manifest import load_manifest
from auditnlp.corpus.schema import NOTICES, TABLES
from auditnlp.errors import InputError
from auditnlp.pipeline import analyze

QINGSHAN = SAMPLES / "qingshan_2023_summary.txt"
FAST = Options(stages=("indicators",))


def _failures(result) -> list[str]:
    return result.errors[~result.errors["error"].isin(NOTICES)]["path"].tolist()


def _docx_copy(text: str, path: Path) -> Path:
    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    document.save(str(path))
    return path


# ---------------------------------------------------------------------------------------------- identity


def test_fingerprint_ignores_spacing_punctuation_width_and_encoding() -> None:
    text = QINGSHAN.read_text(encoding="utf-8")
    same = fingerprint(text.replace("\n", "\n\n").replace("，", ",").replace("27", "２７"))
    assert same.exact == fingerprint(text).exact
    edited = fingerprint(text.replace("27个", "28个"))
    assert edited.exact != same.exact and edited.similarity(same) >= NEAR_IDENTICAL
    other = fingerprint((SAMPLES / "qingshan_2024_summary.txt").read_text(encoding="utf-8"))
    assert other.similarity(same) < 0.2


def test_same_document_as_docx_txt_utf8_and_gb18030_is_compared_once(tmp_path: Path) -> None:
    text = QINGSHAN.read_text(encoding="utf-8")
    shutil.copy(QINGSHAN, tmp_path / "a_qingshan.txt")
    (tmp_path / "b_qingshan_gbk.txt").write_bytes(text.encode("gb18030"))
    _docx_copy(text, tmp_path / "c_qingshan.docx")
    (tmp_path / "d_qingshan_edited.txt").write_text(text.replace("27个", "28个"), encoding="utf-8")
    result = compare_inputs([tmp_path], options=FAST, jobs=1)
    assert len(result.reports) == 1
    kept = result.reports.iloc[0]
    assert kept["file"].endswith("a_qingshan.txt")
    assert [Path(p).name for p in kept["duplicates"].split("; ")] == [
        "b_qingshan_gbk.txt", "c_qingshan.docx", "d_qingshan_edited.txt",
    ]  # fmt: skip
    copies = result.errors[result.errors["error"] == "Duplicate"]
    assert len(copies) == 3 and not _failures(result)
    reasons = dict(zip(copies["path"].map(lambda p: Path(p).name), copies["reason"], strict=True))
    assert reasons["b_qingshan_gbk.txt"].startswith("same text as")
    assert reasons["d_qingshan_edited.txt"].startswith("near-identical to")
    assert result.indicators["report_id"].unique().tolist() == [1]  # the copies add no rows
    assert any("copies" in note for note in result.notes)


def test_different_documents_of_one_unit_and_period_are_both_kept_and_flagged(tmp_path: Path) -> None:
    shutil.copy(QINGSHAN, tmp_path / "qingshan_2023.txt")
    (tmp_path / "qingshan_2023_other.txt").write_text(
        "青山区审计局2023年工作总结\n一、主要工作\n全年完成审计项目29个，查出违规金额1,200万元。\n"
        "二、存在问题\n审计力量不足。\n",
        encoding="utf-8",
    )
    result = compare_inputs([tmp_path], options=FAST, jobs=1)
    assert len(result.reports) == 2 and result.reports["duplicates"].isna().all()
    assert result.reports["same_period"].tolist() == ["2", "1"]
    assert any("same_period" in note for note in result.notes)
    columns = [c for c in result.matrix.columns if c[0] == "青山区审计局"]
    assert len(columns) == 2 and all(c[1].startswith("2023 ") for c in columns)  # told apart by file name


# ---------------------------------------------------------------------------------------------- manifest


def test_manifest_in_gbk_with_chinese_columns_and_a_period(tmp_path: Path) -> None:
    manifest = tmp_path / "清单.csv"
    manifest.write_bytes(
        "路径,单位,期间,片区\nqingshan_2023_summary.txt,青山区审计局,2023,东部\n"
        "nanhu_2024_h1_summary.docx,南湖区审计局,2024年上半年,西部\n".encode("gbk")
    )
    for name in ("qingshan_2023_summary.txt", "nanhu_2024_h1_summary.docx"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    loaded = load_manifest(manifest)
    assert len(loaded) == 2 and loaded.entries[1].period is not None
    result = compare_inputs([tmp_path], options=FAST, manifest=manifest, jobs=1)
    reports = result.reports.set_index(result.reports["file"].map(lambda p: Path(p).name))
    assert reports.loc["nanhu_2024_h1_summary.docx", "period"] == "2024H1"
    assert reports.loc["nanhu_2024_h1_summary.docx", "extra_片区"] == "西部"
    assert "unit: manifest" in reports.loc["qingshan_2023_summary.txt", "sources"]
    assert reports["manifest_row"].to_dict() == {
        "qingshan_2023_summary.txt": 2,
        "nanhu_2024_h1_summary.docx": 3,
    }
    # the manifest in the folder is listed (skipped, not a failure), never left out silently
    assert result.errors[["error", "reason"]].values.tolist() == [
        ["SkippedInputError", "the manifest in use, not a report"]
    ]


def test_manifest_as_xlsx(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["文件", "单位", "年份"])
    sheet.append(["qingshan_2023_summary.txt", "青山区审计局（测试）", 2022])
    book.save(tmp_path / "manifest.xlsx")
    shutil.copy(QINGSHAN, tmp_path / "qingshan_2023_summary.txt")
    result = compare_inputs([tmp_path], options=FAST, manifest=tmp_path / "manifest.xlsx", jobs=1)
    assert result.reports["unit"].tolist() == ["青山区审计局（测试）"]
    assert result.reports["year"].tolist() == [2022]
    warnings = result.reports["warnings"].iloc[0]
    assert "the manifest gives year 2022, the text gives 2023 (title): manifest kept" in warnings
    assert "gives unit" not in warnings  # a fuller name of the same unit is no disagreement


def test_manifest_mistakes_are_listed_not_silent(tmp_path: Path) -> None:
    for name in ("qingshan_2023_summary.txt", "qingshan_2024_summary.txt"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "path,unit,year\nqingshan_2023_summary.txt,青山区审计局,2023\nqingshan_2025_summary.txt,青山区审计局,2025\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.xlsx"
    run = CliRunner().invoke(cli, ["compare", str(tmp_path), "-o", str(out), "--manifest", str(manifest)])
    assert run.exit_code == 0, run.output  # notices are not failures
    assert "manifest row 'qingshan_2025_summary.txt' matches no input" in run.output
    assert "qingshan_2024_summary.txt: not in the manifest" in run.output
    errors = openpyxl.load_workbook(out, read_only=True)[TABLES["errors"][0]]  # 错误
    kinds = [row[2] for row in errors.iter_rows(min_row=3, values_only=True)]
    assert sorted(kinds) == ["ManifestRowUnmatched", "NotInManifest", "SkippedInputError"]  # + manifest.csv


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("单位,年份\n青山区审计局,2023\n", "no path column"),
        ("path,year\nqingshan_2023_summary.txt,二〇二三\n", "line 2: year"),
        ("path,period\nqingshan_2023_summary.txt,明年\n", "line 2: period"),
    ],
)
def test_manifest_errors_name_the_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        load_manifest(manifest)
    assert "m.csv" in str(caught.value)


# ---------------------------------------------------------------------------------------------- periods


def _report(title: str, projects: int):
    return analyze_text(f"{title}\n一、主要工作\n全年完成审计项目{projects}个。\n", options=FAST)


def test_yoy_never_compares_a_half_year_with_a_full_year() -> None:
    reports = [
        _report("梅岭区审计局2023年工作总结", 20),
        _report("梅岭区审计局2023年上半年工作总结", 9),
        _report("梅岭区审计局2024年上半年工作总结", 12),
        _report("梅岭区审计局2025年上半年工作总结", 15),
        _report("梅岭区审计局2025年工作总结", 30),
    ]
    result = compare_reports(reports)
    yoy = result.yoy[result.yoy["name"] == "audit_projects"].set_index("period")
    assert yoy.loc["2024H1", "prev_period"] == "2023H1"
    assert yoy.loc["2024H1", "change"] == Decimal(3)
    assert yoy.loc["2025H1", "prev_period"] == "2024H1"
    full = yoy.loc["2025"]  # the full year before, not 2025H1; two years apart, so no change (issue 12)
    assert full["prev_period"] == "2023" and pd.isna(full["change"]) and "不连续" in full["note"]
    assert yoy.loc["2023H1", "note"] is not None and pd.isna(yoy.loc["2023H1", "change"])
    assert "2024H1" in {c[1] for c in result.matrix.columns} and "2024" not in {
        c[1] for c in result.matrix.columns
    }


def test_samples_half_year_is_marked_in_yoy() -> None:
    result = compare_inputs([SAMPLES], manifest=SAMPLES / "manifest.csv", jobs=1)
    nanhu = result.yoy[(result.yoy["unit"] == "南湖区审计局") & (result.yoy["period"] == "2024H1")]
    assert len(nanhu) and nanhu["change"].isna().all() and nanhu["note"].str.startswith("期间长度不同").all()
    assert ("南湖区审计局", "2024H1") in set(result.matrix.columns)


def test_analyze_summary_shows_provenance() -> None:
    run = CliRunner().invoke(cli, ["analyze", str(SAMPLES / "linchuan_2023_theme_education.txt")])
    assert run.exit_code == 0
    assert "unit=临川县审计局 [title] year=2023 [file_name]" in run.output
    assert "warning: year taken from the file name only" in run.output
    report = analyze(SAMPLES / "linchuan_2023_theme_education.txt")
    assert report.to_dict()["meta"]["sources"] == [
        ["unit", "title"],
        ["year", "file_name"],
        ["period", "file_name"],
    ]
