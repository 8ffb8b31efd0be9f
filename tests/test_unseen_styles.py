"""Styles unlike the seeds, written for these tests: an audit results report (审计工作报告 to a people's
congress standing committee) and a plan of key points (工作要点) with （一） headings and 1、 sub-headings."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditnlp import Report, analyze

PATH = Path(__file__).parent / "data" / "audit_results_report.txt"


@pytest.fixture(scope="module")
def report() -> Report:
    return analyze(PATH)


def test_metadata_and_formulas(report):
    assert report.meta.doc_type == "audit_work_report"
    assert report.meta.year == 2024
    # the title names no unit: the byline says 区审计局 and the dateline's 在东山区第十八届… names the district
    assert report.meta.unit == "东山区审计局"
    assert report.meta.source("unit") == "byline+dateline"
    assert report.meta.period is not None and report.meta.period.code == "2024"
    assert report.salutation is not None and report.salutation.text == "主任、各位副主任、秘书长、各位委员："
    assert report.closing is not None and report.closing.text == "以上报告，请予审议。"


def test_sections_and_roles(report):
    top = [(s.heading, s.role) for s in report.sections if s.level == 1]
    assert top[-1] == ("审计建议", "plans")
    assert [r for _, r in top[:3]] == ["review"] * 3


def test_audit_findings_are_problems_and_suggestions_are_measures(report):
    # in an audit work report a sentence reporting a finding (审计发现，… with its figures) is a problem
    assert [p.text for p in report.problems] == [
        "审计发现，区财政局超范围拨付专项资金860万元；2个单位无预算列支会议费12.8万元。",
        "一是12名不符合条件人员领取高龄津贴3.6万元",
        "二是医疗救助资金闲置1,050万元超过一年。",
    ]
    assert [m.heading for m in report.measures] == ["深化预算管理改革", "加强民生资金监管"]


def test_headline_indicators(report):
    by_name = {i.name: i for i in report.indicators if i.name}
    assert by_name["problem_amount"].base_value == 456_000_000
    assert by_name["violation_amount"].base_value == 32_015_000
    assert by_name["irregular_management_amount"].base_value == 424_000_000
    assert by_name["clues_referred"].value == 5
    assert by_name["suggestions_made"].value == 68
    subjects = {i.text: i.subject for i in report.indicators}
    assert subjects["1,050万元"] == "医疗救助资金闲置"  # the list marker 二是 is not part of the subject
    frequency = [i for i in report.indicators if i.flag == "frequency"]
    assert [i.text for i in frequency] == ["一次"]


def test_plan_of_key_points():
    plan = analyze(Path(__file__).parent / "data" / "plan_key_points.txt")
    assert plan.meta.doc_type == "plan" and plan.meta.unit == "西湖县审计局" and plan.meta.year == 2025
    # a plan's sections are plans even when no heading says 计划/下一步
    assert {s.role for s in plan.sections if s.level} == {"plans"}
    assert [m.heading for m in plan.measures][2:] == ["做实财政审计", "做强民生审计", "压实整改责任"]
    assert [i.kind for i in plan.items] == ["ordinal"] * 3
    subjects = {i.text: i.subject for i in plan.indicators}
    assert subjects["6个"] == "经济责任审计"  # 计 ends 审计 here, it is not 共计
    target = next(i for i in plan.indicators if i.text == "12次")
    assert target.approx == "不少于" and target.name == "study_sessions"
