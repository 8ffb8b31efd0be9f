"""Case tables for section headings, roles and list markers, plus structure on the seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import SEED_000, SEED_004, needs_shared

from auditnlp import analyze, analyze_text

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "structure.yaml").read_text(encoding="utf-8"))
TITLE = "青山区审计局2024年工作总结\n"


def body_sections(text: str):
    report = analyze_text(TITLE + text)
    return report, [s for s in report.sections if s.level > 0]


@pytest.mark.parametrize("case", CASES["headings"], ids=lambda c: c["text"][:16])
def test_heading(case):
    report, sections = body_sections(case["text"])
    assert len(sections) == 1
    section = sections[0]
    assert section.marker == case["marker"]
    assert section.heading == case["heading"]
    assert report.text[section.heading_start : section.heading_end] == case["heading"]


@pytest.mark.parametrize("text", CASES["not_headings"], ids=lambda t: t[:16])
def test_not_heading(text):
    _, sections = body_sections(text)
    assert sections == []


@pytest.mark.parametrize("case", CASES["roles"], ids=lambda c: c["heading"])
def test_role(case):
    _, sections = body_sections(case["heading"] + "\n正文内容。")
    assert sections[0].role == case["role"]


def test_sub_sections_inherit_role_and_levels():
    text = "一、存在问题\n（一）整改跟踪“后劲”不足。跟踪不及时。\n（二）数据分析能力不足。\n二、下一步工作思路\n（一）强化整改。加强督办。"
    _, sections = body_sections(text)
    assert [(s.level, s.role) for s in sections] == [
        (1, "problems"),
        (2, "problems"),
        (2, "problems"),
        (1, "plans"),
        (2, "plans"),
    ]
    assert sections[1].parent == sections[0].id
    assert sections[4].parent == sections[3].id


def test_plans_children_keep_plans_role_and_glossary_is_other():
    text = (
        "一、主要工作\n完成审计。\n二、下一步工作思路\n（一）补齐数据短板。加强数据分析。\n"
        "名词解释\n1.“两重”：国家重大战略实施和重点领域安全能力建设。\n2.“两新”：设备更新。"
    )
    _, sections = body_sections(text)
    assert [(s.marker, s.role) for s in sections] == [
        ("一、", "review"),
        ("二、", "plans"),
        ("（一）", "plans"),
        ("", "other"),
        ("1.", "other"),
        ("2.", "other"),
    ]
    assert sections[3].heading == "名词解释" and sections[3].level == 1


@pytest.mark.parametrize("case", CASES["items"], ids=lambda c: c["text"][3:18])
def test_items(case):
    report = analyze_text(TITLE + case["text"])
    items = report.items
    assert [i.kind for i in items] == case["kinds"]
    assert [i.index for i in items] == case["indexes"]
    if "titles" in case:
        assert [i.title for i in items] == case["titles"]
    if "parents" in case:
        assert [i.parent for i in items] == case["parents"]
    for item in items:
        assert report.text[item.start : item.end] == item.text
        assert item.text.startswith(item.marker)


@pytest.mark.parametrize("text", CASES["not_items"], ids=lambda t: t[3:18])
def test_not_items(text):
    assert analyze_text(TITLE + text).items == ()


def test_sentences_never_split_inside_quotes():
    report = analyze_text(TITLE + "一、学习\n他强调：“要学深悟透。要学以致用！”全局上下认真落实。下一句。")
    texts = [s.text for s in report.sentences]
    assert "他强调：“要学深悟透。要学以致用！”" in texts
    assert "全局上下认真落实。" in texts


def test_meta_from_title():
    report = analyze_text(
        "XX区审计局2023年工作总结及2024年工作计划\n一、2023年工作开展情况\n完成审计项目27个。"
    )
    assert report.meta.title == "XX区审计局2023年工作总结及2024年工作计划"
    assert report.meta.unit == "XX区审计局"
    assert report.meta.year == 2023
    assert report.meta.plan_year == 2024
    assert report.meta.doc_type == "summary_plan"


def test_meta_not_invented():
    report = analyze_text(
        "局党组坚持以习近平新时代中国特色社会主义思想为指导，认真开展各项工作，取得明显成效。"
    )
    assert report.meta.unit is None
    assert report.meta.year is None
    assert report.title is None
    assert any("unit" in w for w in report.warnings)


@needs_shared
def test_seed_000_structure():
    report = analyze(SEED_000)
    top = [(s.marker, s.heading, s.role) for s in report.sections if s.level == 1]
    assert top == [
        ("一、", "2023年工作开展情况", "review"),
        ("二、", "存在问题", "problems"),
        ("三、", "下一步工作思路", "plans"),
    ]
    subs = [s.heading for s in report.sections if s.level == 2]
    assert subs[0] == "在“思”字上下功夫，解决一个“慢”字"
    assert subs[4:6] == ["聚焦能力建设“远视”不足", "聚焦质量提升“近观”不足"]
    assert len(subs) == 10
    # 一是/二是/三是 in the four sub-sections of part one, plus 1. 2. inside the third
    kinds = [(i.kind, i.index) for i in report.items]
    assert kinds.count(("shi", 1)) == 4
    assert ("number", 2) in kinds
    # the paywall marker inside a number is removed and recorded
    assert "XXXX项" in report.text and "paidbegin" not in report.text
    assert {r.text for r in report.removed} == {"##paidbegin##", "##paidend##"}
    source = SEED_000.read_text(encoding="utf-8")
    pos = report.text.index("XXXX项")
    assert source[report.source_offset(pos + 4)] == "项"


@needs_shared
def test_seed_004_structure():
    report = analyze(SEED_004)
    assert report.salutation is not None and report.salutation.text.startswith("尊敬的**组长")
    assert report.closing is not None and report.closing.text.startswith("汇报完毕")
    assert report.meta.doc_type == "speech"
    assert next(s.heading for s in report.sections if s.level == 1) == "坚持深学细悟，理论学习凝心铸魂"
    kinds = [i.kind for i in report.items]
    assert kinds.count("aspect") == 4
    assert kinds.count("example") == 3
    assert kinds.count("shi") == 8
    examples = [i for i in report.items if i.kind == "example"]
    assert all(report.items[e.parent].kind == "aspect" for e in examples)


def _lines(cases) -> list[str]:
    lines = [c["text"] for c in cases["headings"]] + list(cases["not_headings"])
    lines += [c["heading"] for c in cases["roles"]] + [c["text"] for c in cases["items"]]
    return [x for text in lines for x in text.splitlines() if x]


def test_joined_quick_tests_agree_with_the_patterns_one_by_one():
    """The one-alternation tests before the heading, plain-heading and role patterns say yes exactly when
    one of the patterns matches, and the roles they give are those of the patterns in their order."""
    from auditnlp.segment.rules import structure_rules

    rules = structure_rules()
    assert rules.any_heading is not None and rules.any_plain is not None
    lines = [*_lines(CASES), "附件2", "【审计发现】", "（一）", "第三部分 下一步工作", "1.5%的增长"]
    for line in lines:
        assert (rules.any_heading.match(line) is not None) == any(
            h.pattern.match(line) for h in rules.headings
        )
        assert (rules.any_plain.fullmatch(line) is not None) == any(
            p.fullmatch(line) for p in rules.plain_headings
        )
        by_one = next((role for role, p in rules.roles if p.search(line)), None)
        joined = next((role for role, p in rules.role_groups if p.search(line)), None)
        assert joined == by_one, line
    assert len(rules.role_groups) < len(rules.roles)


def test_every_paragraph_with_an_item_passes_the_quick_marker_test():
    """The quick test of find_items (a marker at the body start, or after a character an item may follow)
    lets through every paragraph that holds an item, on the bundled corpus."""
    from auditnlp.segment.rules import structure_rules

    rules = structure_rules()
    allowed = rules.any_allowed_marker
    assert allowed is not None
    corpus = Path(__file__).parent.parent / "corpora" / "samples"
    reports = [analyze(p) for p in sorted(corpus.glob("*.txt"))]
    holding = 0
    for report in reports:
        body_starts = {s.start: s.heading_end for s in report.sections if s.level > 0}
        for para in report.paragraphs:
            if not any(i.paragraph == para.id for i in report.items):
                continue
            holding += 1
            body = body_starts.get(para.start, para.start)
            text = report.text
            assert rules.any_marker.match(text, body, para.end) or allowed.search(text, body, para.end)
    assert holding >= 10


def test_patterns_with_inline_flags_are_not_joined(tmp_path):
    """A user's heading pattern with an inline flag (it could apply to the whole alternation) is tried on
    its own: no joined quick test, and the heading is still found; a `before` with a lookbehind gets no
    quick marker test."""
    from auditnlp.lexicon import load_lexicons
    from auditnlp.pipeline import Options
    from auditnlp.segment.rules import structure_rules

    packaged = Path(__file__).parent.parent / "auditnlp" / "lexicons"
    for name in ("structure.yaml", "lists.yaml"):
        (tmp_path / name).write_text((packaged / name).read_text(encoding="utf-8"), encoding="utf-8")
    data = yaml.safe_load((tmp_path / "structure.yaml").read_text(encoding="utf-8"))
    data["headings"].append({"rank": 6, "kind": "letter", "pattern": "(?i)part [a-z][.、]"})
    (tmp_path / "structure.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    lists = (tmp_path / "lists.yaml").read_text(encoding="utf-8")
    lists = lists.replace("before: '[", "before: '(?<!第)[", 1)
    (tmp_path / "lists.yaml").write_text(lists, encoding="utf-8")
    rules = structure_rules(load_lexicons(tmp_path))
    assert rules.any_heading is None and rules.any_plain is not None
    assert rules.any_allowed_marker is None  # `before` looks further than its one character
    report = analyze_text(
        TITLE + "PART A.加强审计监督。\n正文内容。", options=Options(lexicon_dir=str(tmp_path))
    )
    assert [s.marker for s in report.sections if s.level > 0] == ["PART A."]
