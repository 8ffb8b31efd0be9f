"""The headline values of the sample corpus: which candidate reaches the matrix and why, how a half year,
a two-year table and a rectification rate reach it, year-on-year judgement, and how the workbook shows it.

Expected values come from reading corpora/samples (eval/gold/sample_headlines.tsv holds all of them; these
tests pin the ones that exercise a rule)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from auditnlp.corpus.batch import compare_inputs
from auditnlp.corpus.compare import Comparison
from auditnlp.corpus.schema import COLUMNS, TABLE_COLUMNS, TABLES
from auditnlp.writers.matrix_sheet import display_unit
from auditnlp.writers.tables import write_comparison

SAMPLES = Path(__file__).resolve().parents[1] / "corpora" / "samples"


@pytest.fixture(scope="module")
def samples() -> Comparison:
    return compare_inputs([SAMPLES], manifest=SAMPLES / "manifest.csv", jobs=1, progress=False)


def _cell(c: Comparison, name: str, unit: str, column: str) -> object:
    rows = [k for k in c.matrix.index if k[0] == name]
    assert len(rows) == 1, rows  # one indicator is one row, whatever unit the text writes
    return c.matrix.loc[rows[0], (unit, column)]


def _values(c: Comparison, unit: str, period: str, name: str) -> pd.DataFrame:
    v = c.values
    return v[(v["unit"] == unit) & (v["period"] == period) & (v["name"] == name)]


def _compare_text(tmp_path: Path, text: str) -> Comparison:
    """The comparison of one report written as `text` (in a folder of its own under `tmp_path`)."""
    (tmp_path / "r.txt").write_text(text, encoding="utf-8")
    return compare_inputs([tmp_path], jobs=1, progress=False)


def test_rectification_rate_reaches_the_matrix_and_changes_in_points(samples: Comparison) -> None:
    assert _cell(samples, "rectification_rate", "青山区审计局", "2023") == Decimal("89.0")
    assert _cell(samples, "rectification_rate", "青山区审计局", "2024") == Decimal(92)
    yoy = samples.yoy.set_index(["unit", "name", "period"])
    row = yoy.loc[("青山区审计局", "rectification_rate", "2024")]
    assert row["change"] == Decimal(3) and pd.isna(row["change_pct"]) and row["note"].startswith("比率")
    assert _cell(samples, "adoption_rate", "青山区审计局", "2024") == Decimal("93.6")


def test_two_year_docx_table_cells_take_their_row_and_column(samples: Comparison) -> None:
    rows = _values(samples, "江北市审计局", "2023", "rectification_rate")
    assert rows["figure_period"].tolist() == ["2022", "2023"]  # the table's two columns
    assert rows["shown"].tolist() == [False, True]
    assert rows["why"].iloc[0].startswith("所属期间2022年")
    assert _cell(samples, "rectification_rate", "江北市审计局", "2023") == Decimal("94.6")  # table only
    # the 2022 column of the 2023 report agrees with the 2022 report, and stays out of the 2023 column
    projects = _values(samples, "江北市审计局", "2023", "audit_projects")
    assert set(projects[projects["figure_period"] == "2022"]["value"]) == {Decimal(42)}
    assert _cell(samples, "audit_projects", "江北市审计局", "2023") == Decimal(45)
    assert not samples.indicators["subject"].dropna().str.contains(r"\|").any()


def test_half_year_report_is_never_compared_with_a_full_year(samples: Comparison) -> None:
    assert ("南湖区审计局", "2024H1") in set(samples.matrix.columns)
    assert ("南湖区审计局", "2024") not in set(samples.matrix.columns)
    assert _cell(samples, "audit_projects", "南湖区审计局", "2024H1") == Decimal(9)
    assert _cell(samples, "rectification_rate", "南湖区审计局", "2024H1") == Decimal("82.1")
    yoy = samples.yoy[(samples.yoy["unit"] == "南湖区审计局") & (samples.yoy["period"] == "2024H1")]
    assert len(yoy) and yoy["change"].isna().all()
    assert yoy["note"].str.startswith("期间长度不同").all()
    # its annual plan (审定年度审计项目20个) is a target, not the half year's work
    projects = _values(samples, "南湖区审计局", "2024H1", "audit_projects")
    assert projects[projects["value"] == 20]["role"].tolist() == ["target", "target"]


def test_funds_recovered_is_not_money_reclaimed_from_idle_funds(samples: Comparison) -> None:
    assert _cell(samples, "funds_recovered", "青山区审计局", "2023") == Decimal(4368000)
    yoy = samples.yoy.set_index(["unit", "name", "period"])
    assert yoy.loc[("青山区审计局", "funds_recovered", "2024"), "change_pct"] == pytest.approx(
        17.22, abs=0.01
    )
    revitalized = _values(samples, "青山区审计局", "2023", "funds_revitalized")
    assert revitalized["value"].tolist() == [Decimal(18630000)]


def test_money_found_is_the_stated_total_or_the_sum_of_its_parts(samples: Comparison) -> None:
    stated = _values(samples, "江北市审计局", "2024", "money_found").iloc[0]
    assert stated["value"] == Decimal(682000000) and pd.isna(stated["flag"])
    summed = _values(samples, "青山区审计局", "2024", "money_found").iloc[0]
    assert (summed["value"], summed["flag"]) == (Decimal(46256000), "computed")
    assert "违规金额" in summed["note"] and "管理不规范金额" in summed["note"]
    assert _values(samples, "青山区审计局", "2023", "money_found").empty  # one part alone is no total


def test_disagreeing_candidates_are_flagged_not_picked_silently(samples: Comparison) -> None:
    flagged = samples.values[samples.values["flag"] == "disagree"]
    assert len(flagged) and flagged["shown"].all() and flagged["note"].str.startswith("其他候选值").all()
    # a sub-item (比如…追回医保基金312.6万元) does not contradict the summary
    recovered = _values(samples, "江北市审计局", "2023", "funds_recovered")
    assert recovered[recovered["shown"]]["flag"].isna().all()
    assert recovered[~recovered["shown"]]["why"].str.startswith("分项").all()


def test_yoy_rows_carry_both_sentences_and_flag_big_changes(samples: Comparison) -> None:
    yoy = samples.yoy
    computed = yoy[yoy["change"].notna()]
    assert computed["sentence"].notna().all() and computed["prev_sentence"].notna().all()
    big = computed[computed["change_pct"].abs() > 100]
    assert big["flag"].fillna("").str.contains("±100%").all()
    bound = yoy.set_index(["unit", "name", "period"]).loc[("江北市审计局", "rectification_amount", "2024")]
    assert "approximate or bound" in bound["flag"] and bound["qualifier"] == "at_least"
    # only a stated qualifier flags a change: two exact figures (a missing qualifier is NaN in the table)
    # are compared without the flag, and like roles are no "different nature"
    exact = computed[computed["qualifier"].isna() & computed["prev_qualifier"].isna()]
    assert len(exact) and not exact["flag"].fillna("").str.contains("approximate").any()
    assert not yoy["note"].fillna("").str.startswith("数值性质不同").any()


def test_every_column_of_the_new_tables_is_documented() -> None:
    for table in ("values", "yoy", "indicators"):
        for key in TABLE_COLUMNS[table]:
            assert key in COLUMNS and COLUMNS[key].label, (table, key)


def test_display_unit_keeps_every_digit() -> None:
    assert display_unit("元", [Decimal(120000000), Decimal(156000000)]) == ("亿元", Decimal(10) ** 8)
    assert display_unit("元", [Decimal(23772000), Decimal(120000000)]) == ("万元", Decimal(10) ** 4)
    assert display_unit("元", [Decimal(9800), "XX", None]) == ("元", Decimal(1))
    assert display_unit("%", [Decimal("5.5")]) == ("%", Decimal(1))


def test_workbook_matrix_shows_labels_qualifiers_money_units_and_sources(
    samples: Comparison, tmp_path: Path
) -> None:
    out = write_comparison(samples, tmp_path / "c.xlsx")
    sheet = openpyxl.load_workbook(out)[TABLES["matrix"][0]]  # 指标对比
    rows = list(sheet.iter_rows(values_only=False))
    units, periods = [c.value for c in rows[0]], [c.value for c in rows[1]]
    filled, last = [], None
    for value in units:
        last = value if value is not None else last
        filled.append(last)
    col = {(u, p): i for i, (u, p) in enumerate(zip(filled, periods, strict=True))}
    line = {r[0].value: r for r in rows[2:]}
    amount = line["rectification_amount"]
    assert (amount[1].value, amount[2].value) == ("促进整改金额", "亿元")
    bound = amount[col[("江北市审计局", "2024")]]
    assert bound.value == 5 and bound.number_format.startswith('"≥"')
    assert "超过5亿元" in bound.comment.text and "500,000,000元" in bound.comment.text
    violation = line["violation_amount"]
    assert violation[2].value == "万元" and violation[col[("青山区审计局", "2023")]].value == 2377.2
    assert line["rectification_rate"][1].value == "审计整改率"
    for r in rows[2:]:  # every filled cell says where it comes from
        for cell in r[3:]:
            if cell.value is not None:
                assert cell.comment is not None and cell.comment.text.startswith("原文："), (r[0].value, cell)
    # an empty cell whose report states the name only for another period says so
    projects = line["audit_projects"][col[("南湖区审计局", "2023")]]
    assert projects.value == "XX"


def test_the_units_own_figure_is_shown_before_a_total_of_several_audit_offices(tmp_path: Path) -> None:
    """全市审计机关共完成审计项目186个 beside 市局本级…47个: the matrix compares audit offices, so the report's
    own unit's figure is shown and the pooled one is listed with why; alone, the pooled one is shown."""
    c = _compare_text(
        tmp_path,
        "漷川市审计局2024年工作总结\n一、总体情况\n全年全市审计机关共完成审计项目186个，移送问题线索73件。\n"
        "市局本级全年完成审计项目47个，移送问题线索19件。\n",
    )
    assert _cell(c, "audit_projects", "漷川市审计局", "2024") == Decimal(47)
    assert _cell(c, "clues_referred", "漷川市审计局", "2024") == Decimal(19)
    values = _values(c, "漷川市审计局", "2024", "audit_projects")
    pooled = values[~values["shown"]]
    assert pooled["value"].tolist() == [Decimal(186)] and "多个审计机关" in pooled["why"].iloc[0]
    assert not values[values["shown"]]["flag"].eq("disagree").any()
    c = _compare_text(
        tmp_path, "漷川市审计局2024年工作总结\n一、总体情况\n全年全市审计机关共完成审计项目186个。\n"
    )
    assert _cell(c, "audit_projects", "漷川市审计局", "2024") == Decimal(186)


def test_a_name_stated_only_for_all_offices_is_empty_when_the_report_keeps_its_own_apart(
    tmp_path: Path,
) -> None:
    """A report that states its own figures beside those of all the city's audit offices (全市两级审计机关…
    238个，…移送问题线索86件 / 市局本级…61个) keeps the two apart: a name it states only for all the offices
    has no figure of the bureau's own, so the cell is empty with why, not the pooled figure."""
    c = _compare_text(
        tmp_path,
        "汶川里市审计局2025年工作总结\n一、年度主要成效\n全市两级审计机关共完成审计项目238个，"
        "查出问题金额46.4亿元，移送问题线索86件；全市审计查出问题整改率为91.4%。\n"
        "市局本级全年完成审计项目61个，查出问题金额18.6亿元，审计查出问题整改率92.7%。\n",
    )
    assert _cell(c, "audit_projects", "汶川里市审计局", "2025") == Decimal(61)
    assert _cell(c, "rectification_rate", "汶川里市审计局", "2025") == Decimal("92.7")
    assert not any(k[0] == "clues_referred" for k in c.matrix.index)  # no figure: no row in the matrix
    clues = _values(c, "汶川里市审计局", "2025", "clues_referred")
    assert clues["shown"].tolist() == [False] and "本单位未单列" in clues["why"].iloc[0]


def test_the_fullest_summary_sentence_is_shown_and_a_part_of_another_name_is_no_sub_item(
    tmp_path: Path,
) -> None:
    """A section's own figures (经济责任审计…违规金额4870万元…移送问题线索6件) before the closing summary
    that restates the year's totals (综上，…查出问题金额3.68亿元，其中违规金额9300万元…移送问题线索14件):
    the summary's are shown; 其中违规金额 is a part of the problem amount but the whole of 违规金额."""
    c = _compare_text(
        tmp_path,
        "滃川区审计局2024年工作总结\n一、经济责任审计\n对16个单位的21名领导干部开展经济责任审计，"
        "审计查出违规金额4870万元，管理不规范金额1.12亿元，移送问题线索6件。\n"
        "二、全年工作总体成效\n综上，全年共完成审计项目31个，查出问题金额3.68亿元，其中违规金额9300万元、"
        "管理不规范金额2.75亿元；追回资金1265万元；向有关部门移送问题线索14件；审计查出问题整改率为93.5%。\n",
    )
    assert _cell(c, "violation_amount", "滃川区审计局", "2024") == Decimal(93000000)
    assert _cell(c, "clues_referred", "滃川区审计局", "2024") == Decimal(14)
    assert _cell(c, "problem_amount", "滃川区审计局", "2024") == Decimal(368000000)
    # a part of a figure of the same name stays a sub-item: 追回资金…，其中追回医保基金… shows the total
    c = _compare_text(
        tmp_path,
        "滃川区审计局2024年工作总结\n一、总体情况\n推动追回资金1265万元，其中追回医保基金386万元。\n",
    )
    assert _cell(c, "funds_recovered", "滃川区审计局", "2024") == Decimal(12650000)


def test_a_masked_total_is_shown_rather_than_one_of_its_parts(tmp_path: Path) -> None:
    """追回资金**万元 in the summary and a sub-item 推动追回…23.5万元: the cell is the masked total (XX),
    not the part, which would be a wrong figure; with no total at all the cell stays empty (a part would
    understate the name's total), the part listed with why."""
    c = _compare_text(
        tmp_path,
        "漾川县审计局2025年工作总结\n一、总体情况\n全年完成审计项目13个，追回资金**万元。\n"
        "二、主要工作\n（一）民生审计。其中推动追回违规发放补助资金23.5万元。\n",
    )
    values = _values(c, "漾川县审计局", "2025", "funds_recovered")
    shown = values[values["shown"]]
    assert shown["masked"].tolist() == [True], values[["text", "shown", "masked"]]
    c = _compare_text(
        tmp_path,
        "漾川县审计局2025年工作总结\n一、总体情况\n全年完成审计项目13个。\n"
        "二、主要工作\n（一）民生审计。其中推动追回违规发放补助资金23.5万元。\n",
    )
    assert not any(k[0] == "funds_recovered" for k in c.matrix.index)
    values = _values(c, "漾川县审计局", "2025", "funds_recovered")
    assert values["shown"].tolist() == [False] and values["why"].iloc[0] == "分项（原文未述总数）"
    # a part whose whole has another name is the whole of its own: 违规、管理不规范问题金额分别为…，合计…
    c = _compare_text(
        tmp_path,
        "漾川县审计局2025年工作总结\n一、总体情况\n全年查出违规、管理不规范问题金额分别为5120万元、1.35亿元，"
        "合计1.862亿元。审计中，共向有关部门移送问题线索9件。\n",
    )
    assert _cell(c, "violation_amount", "漾川县审计局", "2025") == Decimal(51200000)
    assert _cell(c, "clues_referred", "漾川县审计局", "2025") == Decimal(9)  # the audits as a whole


def test_a_bound_in_the_summary_wins_over_a_section_figure_that_breaks_it(tmp_path: Path) -> None:
    """超过1.2亿元 in the summary, then 4,630万元 under a sub-heading: a figure below the summary's lower
    bound is one of its parts, so the bound is shown (a figure that keeps it is shown instead: below)."""
    c = _compare_text(
        tmp_path,
        "漾川县审计局2025年工作总结\n一、总体情况\n全年查出问题金额超过1.2亿元，追回资金超过800万元。\n"
        "二、主要工作\n（一）财政审计。查出问题金额4,630万元，追回资金860万元。\n",
    )
    assert _cell(c, "problem_amount", "漾川县审计局", "2025") == Decimal(120000000)
    assert _cell(c, "funds_recovered", "漾川县审计局", "2025") == Decimal(8600000)  # keeps 超过800万元


def test_summary_paragraph_wins_over_a_sub_heading_but_not_over_a_bound(tmp_path: Path) -> None:
    """The totals of an audit summary stand before its sub-headings; a figure under （二）民生审计 is a part,
    even when the summary states its total approximately. A bound (超过60条) still yields to a stated figure."""
    c = _compare_text(
        tmp_path,
        "云岭县审计局2024年工作总结\n一、总体情况\n全年完成审计项目21个，追回资金约520万元，提出审计建议超过60条。\n"
        "二、主要工作\n（一）财政审计。对县本级预算执行情况开展审计，提出审计建议62条。\n"
        "（二）民生审计。开展养老补贴审计，推动追回资金64万元。\n",
    )
    assert _cell(c, "funds_recovered", "云岭县审计局", "2024") == Decimal(5200000)
    assert _cell(c, "suggestions_made", "云岭县审计局", "2024") == Decimal(62)
    recovered = _values(c, "云岭县审计局", "2024", "funds_recovered")
    assert recovered[~recovered["shown"]]["value"].tolist() == [Decimal(640000)]
