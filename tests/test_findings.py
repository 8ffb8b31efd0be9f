"""Problems and measures: sections, list items, running-text statements; recurring problems (屡审屡犯)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from conftest import GOV, SAMPLES, SEED_000, SEED_004, needs_shared

from auditnlp.corpus.manifest import with_meta
from auditnlp.corpus.recurrence import ProblemPair, pair_problems, problem_text
from auditnlp.errors import LexiconError
from auditnlp.extract.findings import extract_findings, load_finding_cues
from auditnlp.pipeline import analyze, analyze_text
from auditnlp.types import Finding, Report


def _findings(report: Report) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    problems, measures = extract_findings(report)
    for f in problems + measures:
        assert report.text[f.start : f.end] == f.text
    assert list(problems) == sorted(problems, key=lambda f: f.start)
    assert list(measures) == sorted(measures, key=lambda f: f.start)
    assert {f.kind for f in problems} <= {"problem"} and {f.kind for f in measures} <= {"measure"}
    return problems, measures


CASES = yaml.safe_load((Path(__file__).parent / "cases" / "findings.yaml").read_text(encoding="utf-8"))


def _matches(found: Finding, group: tuple[Finding, ...], expected: dict) -> bool:
    if not found.text.startswith(str(expected["text"])):
        return False
    if "parent" in expected:
        parent = group[found.parent] if found.parent is not None else None
        if expected["parent"] is None:
            if parent is not None:
                return False
        elif parent is None or not parent.text.startswith(str(expected["parent"])):
            return False
    if "heading" in expected and found.heading != expected["heading"]:
        return False
    return "source" not in expected or found.source == expected["source"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_table(case: dict) -> None:
    problems, measures = _findings(analyze_text(case["text"]))
    for group, key in ((problems, "problems"), (measures, "measures")):
        shown = [(f.source, f.parent, f.text[:30]) for f in group]
        for expected in case.get(key) or []:
            assert any(_matches(f, group, expected) for f in group), f"missing {expected}; found {shown}"
        if case.get("only") and key in case:
            assert len(group) == len(case[key] or []), f"unexpected {key}: {shown}"
        for f in group:
            assert f.parent is None or group[f.parent].start < f.start
    for group, key in ((problems, "absent"), (measures, "absent_measures")):
        for text in case.get(key) or []:
            assert not [f.text for f in group if text in f.text], f"{text!r} should not be in {key}"


REPORT = """\
某区审计局2023年工作总结及2024年工作计划
一、2023年工作开展情况
全年完成审计项目20个。
二、存在的不足
（一）审计整改跟踪不够及时。部分问题整改到期后未能及时核查。
（二）大数据审计“短板”明显。数据分析人员偏少。
三、2024年工作计划
（一）强化政治引领。持续落实“第一议题”制度。
（二）聚焦主责主业。计划安排审计项目22个左右。
（三）补齐数据短板。建设审计数据分析室。
"""


def test_sections_give_headings_and_whole_items() -> None:
    report = analyze_text(REPORT)
    problems, measures = _findings(report)
    assert [f.heading for f in problems] == ["审计整改跟踪不够及时", "大数据审计“短板”明显"]
    assert problems[0].text == "（一）审计整改跟踪不够及时。部分问题整改到期后未能及时核查。"
    assert all(f.source == "section" for f in problems + measures)
    assert [f.heading for f in measures] == ["强化政治引领", "聚焦主责主业", "补齐数据短板"]
    sections = {s.id: s for s in report.sections}
    assert all(sections[f.section].role == "problems" for f in problems)


def test_items_under_a_problems_section() -> None:
    text = (
        "一、工作情况\n完成项目5个。\n"
        "二、存在问题\n一是审计质量有待提高。二是人员力量不足，专业结构不优。\n"
        "三、下一步打算\n下一步，我们将加强队伍建设。\n"
    )
    problems, measures = _findings(analyze_text(text))
    assert [f.text for f in problems] == ["一是审计质量有待提高。", "二是人员力量不足，专业结构不优。"]
    assert all(f.source == "item" and f.item is not None for f in problems)
    assert [f.text for f in measures] == ["下一步，我们将加强队伍建设。"]


def test_running_text_problems_with_items() -> None:
    text = (
        "一、工作开展情况\n"
        "全年完成审计项目18个。同时也要看到，工作中还存在一些不足：一是审计成果运用不够充分；"
        "二是年轻干部培养力度不够。对此，我们将认真加以改进。\n"
    )
    problems, _ = _findings(analyze_text(text))
    assert len(problems) == 2
    assert problems[0].text.startswith("一是审计成果运用不够充分")
    assert problems[1].text.startswith("二是年轻干部培养力度不够")
    assert "对此" not in problems[1].text


def test_running_text_problems_split_into_statements() -> None:
    text = (
        "一、过去一年工作回顾\n"
        "经济运行稳中有进。\n"
        "我们也清醒看到，发展还面临不少困难和挑战。主要是：有效需求不足，消费增长乏力；"
        "科技创新能力不强；一些干部担当精神不足。我们一定直面问题，切实加以解决。\n"
        "二、今年工作安排\n"
        "（一）扩大有效需求。实施提振消费行动。\n"
    )
    problems, measures = _findings(analyze_text(text))
    assert [f.text for f in problems] == [
        "有效需求不足，消费增长乏力",
        "科技创新能力不强",
        "一些干部担当精神不足。",
    ]
    assert all(f.source == "paragraph" and f.heading is None for f in problems)
    assert [f.heading for f in measures] == ["扩大有效需求"]


def test_single_paragraph_next_step_statement() -> None:
    text = (
        "一、主要做法\n坚持学思践悟。\n"
        "下一步，局党组将持续巩固主题教育成果，推动审计工作高质量发展。\n"
        "汇报完毕，谢谢。\n"
    )
    problems, measures = _findings(analyze_text(text))
    assert problems == ()
    assert len(measures) == 1 and measures[0].text.startswith("下一步，局党组将")


def test_audit_findings_about_others_are_not_own_problems() -> None:
    text = "一、主要工作\n开展专项审计调查，重点揭示公共卫生领域改革推进中存在突出问题和风险隐患。\n"
    problems, _ = _findings(analyze_text(text))
    assert problems == ()


def test_plans_paragraph_groups_and_glossary() -> None:
    text = (
        "一、回顾\n完成任务。\n"
        "二、下一步工作安排\n"
        "旗帜鲜明讲政治。\n要铸牢忠诚之魂，坚定拥护“两个确立”。\n"
        "依法行政强法治。\n要严格规范公正文明执法，自觉接受监督。\n"
        "名词解释\n1.“两重”：国家重大战略实施和重点领域安全能力建设。\n"
    )
    report = analyze_text(text)
    _, measures = _findings(report)
    assert [f.heading for f in measures] == ["旗帜鲜明讲政治", "依法行政强法治"]
    assert all("两重" not in f.text for f in measures)


def test_cues_load_from_a_user_folder(tmp_path: Path) -> None:
    (tmp_path / "findings.yaml").write_text("problems: {}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"findings\.yaml"):
        load_finding_cues(tmp_path)


# --------------------------------------------------------------------------------------------------
# seeds and the gov-reports corpus (skipped when ../shared is not beside the checkout)


@needs_shared
def test_seed_000_problems_and_measures() -> None:
    problems, measures = _findings(analyze(SEED_000))
    assert [f.heading for f in problems] == ["聚焦能力建设“远视”不足", "聚焦质量提升“近观”不足"]
    assert problems[0].text.startswith("（一）聚焦能力建设“远视”不足。存在审计业务的局限性问题")
    assert problems[0].text.endswith("组织治理的需要。")
    assert [f.heading for f in measures] == [
        "用党的理论“导航”，知方圆，守规矩",
        "以主责主业“导航”，强履职，践初心",
        "用实干担当“导航”，抓落实，谋发展",
        "用成果运用“导航”，提能力，强本领",
    ]
    assert measures[-1].text.endswith("确保审计整改取得实效。")


@needs_shared
def test_seed_004_next_step_statement() -> None:
    problems, measures = _findings(analyze(SEED_004))
    assert problems == ()
    assert len(measures) == 1 and measures[0].text.startswith("下一步，局党组将")


def _gov_files() -> list[Path]:
    return sorted(GOV.glob("2025-docx/*.docx")) + sorted(GOV.glob("2026-csv/*.csv"))


@needs_shared
@pytest.mark.parametrize("path", _gov_files() if GOV.exists() else [], ids=lambda p: p.stem)
def test_gov_report_problems_and_plans(path: Path) -> None:
    report = analyze(path)
    problems, measures = _findings(report)
    assert problems, "the 困难和问题 paragraph was not found"
    paragraphs = {p.id: p for p in report.paragraphs}
    cue = ("清醒", "困难和挑战", "困难和问题")
    assert all(
        any(c in paragraphs[f.paragraph].text for c in cue) for f in problems if f.paragraph is not None
    )
    assert not any(f.text.startswith(("我们将", "我们一定", "对此")) for f in problems)
    assert len(measures) >= 5
    sections = {s.id: s for s in report.sections}
    assert all(sections[f.section].role == "plans" for f in measures if f.source == "section")


@needs_shared
def test_gov_corpus_has_eighteen_documents() -> None:
    assert len(_gov_files()) == 18


# --------------------------------------------------------------------------------------------------
# recurring problems on the bundled sample corpus (corpora/samples/README.md gives the ground truth)


def _sample_reports() -> list[Report]:
    reports = []
    with (SAMPLES / "manifest.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            report = analyze(SAMPLES / row["path"])
            reports.append(with_meta(report, unit=row["unit"], year=int(row["year"])))
    return reports


RECURRING = {
    ("青山区审计局", "审计整改跟踪不够及时", "审计整改跟踪督促仍不够及时"),
    ("江北市审计局", "大数据审计“引擎”动力不足", "大数据审计“引擎”动力仍显不足"),
    ("江北市审计局", "审计整改“后半篇文章”做得不够实", "审计整改“后半篇文章”仍需持续做实"),
    ("临川县审计局", "调查研究成果转化运用不够充分", "调研成果转化运用仍有差距"),
    ("南湖区审计局", "审计整改跟踪“后劲”不足", "审计整改跟踪仍存在“后劲”不足问题"),
}


@pytest.mark.skipif(not (SAMPLES / "manifest.csv").exists(), reason="corpora/samples/manifest.csv is missing")
def test_recurring_problems_on_the_sample_corpus() -> None:
    pairs = pair_problems(_sample_reports())
    found = {(p.unit, p.earlier.heading, p.later.heading) for p in pairs}
    assert found == RECURRING
    for pair in pairs:
        assert isinstance(pair, ProblemPair)
        assert pair.earlier_year is not None and pair.later_year is not None
        assert pair.earlier_year < pair.later_year
        assert 0.0 < pair.similarity <= 1.0
        assert pair.to_dict()["later"]["heading"] == pair.later.heading


@pytest.mark.skipif(not (SAMPLES / "manifest.csv").exists(), reason="corpora/samples/manifest.csv is missing")
def test_pairing_needs_the_same_unit_unless_told() -> None:
    reports = _sample_reports()
    assert all(p.unit is not None for p in pair_problems(reports))
    across = pair_problems(reports, same_unit=False)
    assert len(across) >= len(pair_problems(reports))


def test_problem_text_drops_markers_punctuation_and_masks() -> None:
    assert problem_text("（一）审计人员XX人，力量“不足”。") == "审计人员人力量不足"
    assert problem_text("二是数据共享不够。") == "数据共享不够"


def test_no_problems_no_pairs() -> None:
    report = analyze_text("一、工作情况\n完成项目5个。\n")
    assert pair_problems([report, report]) == []


def test_problems_table_names_the_parent_and_the_amounts() -> None:
    from auditnlp.corpus.compare import compare_reports

    report = analyze_text(CASES[0]["text"])
    table = compare_reports([report]).problems
    rows = {text[:8]: row for text, row in zip(table["text"], table.to_dict("records"), strict=True)}
    assert rows["1.乡村道路养护"]["parent"] == "部分专项资金拨付不及时"
    assert rows["1.乡村道路养护"]["amounts"] == "860万元"
    assert rows["2.就业补助资金"]["amounts"] == "132.5万元"
    assert (
        not isinstance(rows["（一）部分专项资"]["parent"], str) and rows["（一）部分专项资"]["amounts"] == ""
    )
