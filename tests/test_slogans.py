"""Slogan extraction: the case table, the seeds, invariants and user-extensible patterns."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from conftest import GOV, SEED_000, SEED_004, needs_shared

from auditnlp.errors import LexiconError
from auditnlp.extract.slogans import extract_slogans, load_slogan_patterns
from auditnlp.pipeline import analyze, analyze_text
from auditnlp.types import Slogan

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "slogans.yaml").read_text(encoding="utf-8"))


def _slogans(text: str) -> list[Slogan]:
    report = analyze_text(text)
    found = list(extract_slogans(report))
    for s in found:
        assert report.text[s.start : s.end] == s.text
    return found


def _matches(slogan: Slogan, expected: dict) -> bool:
    if slogan.kind != expected["kind"] or slogan.text != expected["text"]:
        return False
    if "keywords" in expected and list(slogan.keywords) != [str(k) for k in expected["keywords"]]:
        return False
    if "expansion" in expected and list(slogan.expansion) != [str(k) for k in expected["expansion"]]:
        return False
    return "in_heading" not in expected or slogan.in_heading == expected["in_heading"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_table(case: dict) -> None:
    found = _slogans(case["text"])
    shown = [(s.kind, s.text, s.keywords, s.expansion, s.in_heading) for s in found]
    for expected in case.get("expect") or []:
        assert any(_matches(s, expected) for s in found), f"missing {expected}; found {shown}"
    if case.get("only"):
        assert len(found) == len(case.get("expect") or []), f"unexpected slogans: {shown}"
    kinds = set(case.get("absent_kinds") or [])
    for text in case.get("absent") or []:
        bad = [s for s in found if text in s.text and (not kinds or s.kind in kinds)]
        assert not bad, f"{text!r} should not be in a slogan: {bad}"


def test_every_kind_has_a_case() -> None:
    kinds = {e["kind"] for c in CASES for e in c.get("expect") or []}
    frame_kinds = {f.kind for f in load_slogan_patterns().frames}
    assert frame_kinds <= kinds
    assert {
        "character_pair",
        "contrast",
        "role",
        "guide",
        "enumerated_formula",
        "numbered_concept",
        "quoted_term",
    } <= kinds


def test_document_order_and_no_overlap() -> None:
    text = "\n".join(c["text"] for c in CASES)
    found = _slogans(text)
    assert found == sorted(found, key=lambda s: (s.start, s.end))
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start


def test_same_input_same_output() -> None:
    report = analyze_text(CASES[0]["text"])
    assert list(extract_slogans(report)) == list(extract_slogans(report))


def test_user_patterns_add_a_frame_without_code(tmp_path: Path) -> None:
    packaged = (
        Path(__file__).resolve().parents[1] / "auditnlp" / "lexicons" / "slogan_patterns.yaml"
    ).read_text(encoding="utf-8")
    extra = """
  - name: pledge
    kind: pledge
    priority: 95
    pattern: |
      力争 (?P<kw>{cl}{1,8}?) {lq} (?P<kw>{inq}{1,8}) {rq}
"""
    (tmp_path / "slogan_patterns.yaml").write_text(
        packaged.replace("\nframes:\n", "\nframes:" + extra + "\n", 1), encoding="utf-8"
    )
    found = list(extract_slogans(analyze_text("全年力争审计项目“零差错”。"), lexicon=tmp_path))
    assert [(s.kind, s.text, s.keywords) for s in found] == [
        ("pledge", "力争审计项目“零差错”", ("审计项目", "零差错"))
    ]


@pytest.mark.parametrize("needs", ["'轻'", "['']", "[['轻']]", '["轻\\n"]'])
def test_bad_needs_names_the_file(tmp_path: Path, needs: str) -> None:
    (tmp_path / "slogan_patterns.yaml").write_text(
        f"frames:\n  - {{name: f, kind: x, pattern: '轻', needs: {needs}}}\n", encoding="utf-8"
    )
    with pytest.raises(LexiconError, match=r"slogan_patterns\.yaml.*needs"):
        load_slogan_patterns(tmp_path)


def test_bad_pattern_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "slogan_patterns.yaml").write_text(
        "frames:\n  - {name: broken, kind: x, pattern: '(unclosed'}\n", encoding="utf-8"
    )
    with pytest.raises(LexiconError, match=r"slogan_patterns\.yaml"):
        load_slogan_patterns(tmp_path)


# --------------------------------------------------------------------------------------------------
# seeds (read by path from ../shared/seeds; skipped when that folder is not beside the checkout)


def _by_kind(path: Path) -> dict[str, list[Slogan]]:
    report = analyze(path)
    out: dict[str, list[Slogan]] = {}
    for s in extract_slogans(report):
        assert report.text[s.start : s.end] == s.text
        out.setdefault(s.kind, []).append(s)
    return out


@needs_shared
def test_seed_000_slogans() -> None:
    found = _by_kind(SEED_000)
    pairs = [s.keywords for s in found["character_pair"]]
    assert pairs == [("思", "慢"), ("融", "怯"), ("新", "实"), ("深", "活")]
    assert all(s.in_heading for s in found["character_pair"])
    assert [s.keywords for s in found["contrast"]] == [
        ("行家里手", "二传手"),
        ("施工队长", "裱糊匠"),
        ("头雁效应", "稻草人"),
    ]
    assert [s.keywords for s in found["guide"]] == [
        ("党的理论", "导航"),
        ("主责主业", "导航"),
        ("实干担当", "导航"),
        ("成果运用", "导航"),
    ]
    assert all(s.in_heading for s in found["guide"])
    numbered = {s.keywords[0]: s for s in found["numbered_concept"]}
    for name in ("五型", "五好", "两个确立", "两个维护", "三会一课", "四能四有", "1+6+N", "3+3+N"):
        assert name in numbered, name
    assert numbered["五型"].expansion == ("政治型", "学习型", "服务型", "高效型", "廉洁型")
    assert numbered["五好"].expansion == ("思想好", "学习好", "业务好", "作风好", "业绩好")
    formulas = [s.keywords for s in found["enumerated_formula"]]
    assert ("一月一回头", "两月一起底", "三月一报告") in formulas
    quoted = [s.keywords[0] for s in found["quoted_term"]]
    assert "第一议题" in quoted and "回头看" in quoted
    everything = [s.text for group in found.values() for s in group]
    assert not any("XXXXXX" in t or "《" in t for t in everything)


@needs_shared
def test_seed_004_slogans() -> None:
    found = _by_kind(SEED_004)
    assert [s.keywords[-1] for s in found["role"]] == ["推动者", "纠偏者", "守护者", "看门人", "贴心人"]
    assert found["role"][0].text == "当好重大战略实施“推动者”"
    formulas = {s.keywords: s for s in found["enumerated_formula"]}
    assert ("学思想", "强党性", "重实践", "建新功") in formulas
    five = formulas[("深", "实", "细", "准", "效")]
    assert five.text == "“深、实、细、准、效”五字诀"
    numbered = {s.keywords[0]: s for s in found["numbered_concept"]}
    for name in ("六学联动", "三个一批", "十大战略", "六个重大", "三个倒逼"):
        assert name in numbered, name
    assert numbered["六学联动"].expansion == (
        "“第一议题”跟进学",
        "中心组专题学",
        "读书班集中学",
        "讲党课带头学",
        "专家授课辅导学",
        "业余时间自主学",
    )
    assert numbered["三个倒逼"].expansion == ("责任制", "项目化", "群众满意度")
    quoted = [s.keywords[0] for s in found["quoted_term"]]
    assert "双周研判" in quoted and "第一议题" in quoted
    assert not any("**" in s.text for group in found.values() for s in group)


@needs_shared
def test_gov_reports_slogans_are_well_formed() -> None:
    files = sorted(GOV.glob("2025-docx/*.docx"))[:3]
    assert files
    for path in files:
        report = analyze(path)
        found = list(extract_slogans(report))
        assert found, path
        for s in found:
            assert report.text[s.start : s.end] == s.text
            assert s.keywords
            assert "十四五" not in s.keywords and "十五五" not in s.keywords


@needs_shared
def test_seed_004_has_no_contrast_or_guide() -> None:
    found = _by_kind(SEED_004)
    assert "contrast" not in found and "guide" not in found


def test_lines_with_frames_find_what_the_whole_text_scan_finds() -> None:
    """A frame run only over the lines holding its ``needs`` words and ``lines_with`` patterns finds the
    matches ``finditer`` finds over the whole text: on every bundled document, every case of the case
    table, and on lines made to sit at the edges."""
    from auditnlp.extract.slogans import _frame_matches, _lines
    from auditnlp.readers import read_file

    patterns = load_slogan_patterns()
    filtered = [f for f in patterns.frames if f.lines_with or f.needs]
    assert filtered, "no frame uses lines_with"
    root = Path(__file__).resolve().parent.parent / "corpora"
    texts = [d.text for p in sorted(root.glob("*/*.txt")) for d in read_file(p)]
    texts += ["国企审计紧扣“保值增值”", "构建“1+6+N”体系\n国企审计紧扣“保值增值”\n1+M+N", "审计\n“保值增值”"]
    texts += [case["text"] for case in CASES]
    texts += [  # needs words at a line's start and end, in the line before or after a match
        "重数量、轻质量\n让资金“活起来”、项目“动起来”\n轻",
        "少\n多一些“雪中送炭”，少一些“锦上添花”\n由“审计查”向“查审计”转变",
        "变“要我审”为“我要审”\n从\n钱花到哪里、审计就跟到哪里",
        "坚持“治已病”与“防未病”相结合，要成为“行家里手”，不做“二传手”\n不",
        "“1＋6＋N”党建矩阵、“对象管理＋计划管理＋项目管理”\n3×3",
    ]
    found = 0
    for text in texts:
        lines = _lines(text)
        for frame in filtered:
            whole = [m.span() for m in frame.pattern.finditer(text)]
            assert [m.span() for m in _frame_matches(text, frame, lines)] == whole
            found += len(whole)
    assert found >= 3
