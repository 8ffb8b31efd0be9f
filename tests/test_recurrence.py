"""Recurring problems (issue 14): fixed reference weights, batch independence, items against paragraphs,
the clearest recurrences, a status per problem and year."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
from conftest import ROOT

from auditnlp.corpus.compare import compare_reports
from auditnlp.corpus.manifest import apply_manifest, load_manifest, with_meta
from auditnlp.corpus.recurrence import (
    StatusPairs,
    iter_pairs,
    load_recurrence_rules,
    pair_problems,
    problem_status,
    similarity,
)
from auditnlp.errors import LexiconError
from auditnlp.pipeline import analyze, analyze_text
from auditnlp.types import Report

GENRES = ROOT / "corpora" / "genres"
SAMPLES = ROOT / "corpora" / "samples"


def _genre_reports() -> list[Report]:
    manifest = load_manifest(GENRES / "manifest.csv")
    with (GENRES / "manifest.csv").open(encoding="utf-8") as fh:
        paths = [GENRES / row["path"] for row in csv.DictReader(fh)]
    return [apply_manifest(analyze(p), manifest) for p in paths]


def _sample_reports() -> list[Report]:
    with (SAMPLES / "manifest.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [with_meta(analyze(SAMPLES / r["path"]), unit=r["unit"], year=int(r["year"])) for r in rows]


def _key(pairs: list) -> list[tuple]:
    return [(p.unit, p.earlier.text, p.later.text, p.similarity) for p in pairs]


@pytest.fixture(scope="module")
def genre_reports() -> list[Report]:
    return _genre_reports()


def test_the_same_pairs_with_and_without_unrelated_reports(genre_reports: list[Report]) -> None:
    lanxi = [r for r in genre_reports if r.meta.unit == "岚溪区"]
    assert len(lanxi) == 2
    alone = pair_problems(lanxi)
    assert alone, "岚溪区 has recurring findings"
    crowd = pair_problems([*genre_reports, *_sample_reports()])
    assert _key([p for p in crowd if p.unit == "岚溪区"]) == _key(alone)
    # and through the comparison tables
    small = compare_reports(lanxi).recurring
    large = compare_reports([*genre_reports, *_sample_reports()]).recurring
    large = large[large["unit"] == "岚溪区"].reset_index(drop=True)
    assert small[["text_a", "text_b", "similarity"]].equals(large[["text_a", "text_b", "similarity"]])


def test_pairs_in_blocks_are_the_pairs_in_order(genre_reports: list[Report]) -> None:
    """iter_pairs gives pair_problems' pairs block by block in its order, and the statuses from the
    gathered blocks are those from the list; a unit of several years, a report without a year, one
    without a unit."""
    reports = [*genre_reports, *_sample_reports()]
    reports += [with_meta(r, year=None) for r in reports[:2]] + [with_meta(reports[2], unit=None)]
    pairs = pair_problems(reports)
    assert len({p.unit for p in pairs}) >= 2 and len({(p.earlier_year, p.later_year) for p in pairs}) >= 2
    blocks = list(iter_pairs(reports))
    assert len(blocks) > 1
    assert [p for block in blocks for p in block] == pairs
    gathered = StatusPairs()
    for block in blocks:
        gathered.add(block)
    assert problem_status(reports, gathered) == problem_status(reports, pairs)


def test_similarity_is_symmetric_and_needs_no_batch(genre_reports: list[Report]) -> None:
    lanxi = [r for r in genre_reports if r.meta.unit == "岚溪区"]
    a, b = lanxi[0].problems[0], lanxi[1].problems[0]
    assert similarity(a, b) == similarity(b, a)
    assert similarity(a, a) == pytest.approx(1.0)


YEAR_1 = """某县审计局关于2023年度审计查出问题整改情况的报告
一、整改工作总体情况
全年完成审计项目20个。
二、未整改到位的问题及原因
截至报告日，尚有9个问题未整改到位，主要是历史遗留的行政事业单位房产产权登记办理滞后、政府投资项目竣工决算久拖未办和暂付款清理进度缓慢等问题。
三、下一步工作打算
1.持续跟踪督促。
"""

YEAR_2 = """某县审计局关于2024年度审计查出问题整改情况的报告
一、整改工作总体情况
全年完成审计项目22个。
二、未整改到位的问题及原因
截至报告日，尚有6个问题未整改到位：
1.房产产权登记办理滞后问题。涉及行政事业单位房产15处，因历史资料缺失尚未办结。
2.竣工决算久拖未办问题。3个已交付使用的项目仍未办理竣工决算。
3.暂付款清理进度缓慢问题。县本级暂付款仍有部分未收回。
三、下一步工作打算
1.持续跟踪督促。
"""


def _pair(texts: tuple[str, str], unit: str = "某县") -> tuple[list[Report], list]:
    reports = [with_meta(analyze_text(t), unit=unit, year=2023 + i) for i, t in enumerate(texts)]
    return reports, pair_problems(reports)


def test_items_pair_with_last_years_whole_paragraph() -> None:
    _, pairs = _pair((YEAR_1, YEAR_2))
    later = [p.later.text[:10] for p in pairs]
    for item in ("1.房产产权登记办理", "2.竣工决算久拖未办", "3.暂付款清理进度缓"):
        assert item in later, later
    assert {p.earlier.text[:8] for p in pairs} == {"截至报告日，尚有"}


def test_unrelated_problems_do_not_pair() -> None:
    other = YEAR_2.replace(
        "房产产权登记办理滞后问题。涉及行政事业单位房产15处，因历史资料缺失尚未办结", "年轻干部培养力度不够。"
    )
    other = other.replace(
        "竣工决算久拖未办问题。3个已交付使用的项目仍未办理竣工决算", "学习研讨形式较为单一。"
    )
    other = other.replace("暂付款清理进度缓慢问题。县本级暂付款仍有部分未收回", "信息化建设投入偏少。")
    other = other.replace("截至报告日，尚有6个问题未整改到位：", "工作中还存在一些不足：")
    _, pairs = _pair((YEAR_1, other))
    assert pairs == []


def test_incomplete_rectification_two_years_running_pairs() -> None:
    first = "一、审计发现的主要问题\n（一）审计整改方面\n部分单位整改不到位，上年审计查出的问题中尚有12个未完成整改。\n"
    second = "一、审计发现的主要问题\n（一）审计整改方面\n个别单位屡审屡犯，连续两年出现同类问题。\n"
    _, pairs = _pair((first, second))
    assert len(pairs) == 1 and pairs[0].similarity >= load_recurrence_rules().cue_score


def test_problem_status_new_recurring_resolved() -> None:
    reports, pairs = _pair((YEAR_1, YEAR_2))
    statuses = problem_status(reports, pairs)
    by = {(s.year, s.status, s.problem.text[:8]) for s in statuses}
    assert (2023, "new", "截至报告日，尚有") in by
    assert (2024, "recurring", "1.房产产权登记") in by
    # a problem of 2023 stated again in 2024 is not listed as resolved
    assert not [s for s in statuses if s.status == "resolved"]
    gone = YEAR_2.replace("3.暂付款清理进度缓慢问题。县本级暂付款仍有部分未收回。\n", "")
    gone = gone.replace(
        "1.房产产权登记办理滞后问题。涉及行政事业单位房产15处，因历史资料缺失尚未办结。\n", ""
    )
    gone = gone.replace("2.竣工决算久拖未办问题。3个已交付使用的项目仍未办理竣工决算。\n", "")
    gone = gone.replace("截至报告日，尚有6个问题未整改到位：", "未整改问题已全部完成整改。")
    reports, pairs = _pair((YEAR_1, gone))
    resolved = [s for s in problem_status(reports, pairs) if s.status == "resolved"]
    assert [(s.year, s.other_year, s.problem.text[:8]) for s in resolved] == [
        (2024, 2023, "截至报告日，尚有")
    ]


def test_problem_status_table_in_the_comparison() -> None:
    reports = [with_meta(analyze_text(t), unit="某县", year=2023 + i) for i, t in enumerate((YEAR_1, YEAR_2))]
    table = compare_reports(reports).problem_status
    assert set(table["status"]) == {"new", "recurring"}
    recurring = table[table["status"] == "recurring"]
    assert (recurring["other_year"] == 2023).all() and recurring["other_text"].str.startswith("截至").all()


def test_threshold_and_weights_are_data(tmp_path: Path) -> None:
    packaged = (ROOT / "auditnlp" / "lexicons" / "recurrence.yaml").read_text(encoding="utf-8")
    rules = load_recurrence_rules()
    (tmp_path / "recurrence.yaml").write_text(
        packaged.replace(f"threshold: {rules.threshold}", "threshold: 0.99"), encoding="utf-8"
    )
    reports = [with_meta(analyze_text(t), unit="某县", year=2023 + i) for i, t in enumerate((YEAR_1, YEAR_2))]
    assert pair_problems(reports) and not pair_problems(reports, lexicon=tmp_path)
    (tmp_path / "recurrence.yaml").write_text("ngram_range: [2]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"recurrence\.yaml"):
        load_recurrence_rules(tmp_path)


def test_reference_vocabulary_is_built_from_our_corpora_and_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("vocab", ROOT / "scripts" / "build_recurrence_vocab.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with (GENRES / "manifest.csv").open(encoding="utf-8") as fh:
        heldout = {GENRES / r["path"] for r in csv.DictReader(fh) if r["part"] == "heldout"}
    sources = module.sources()
    assert heldout and not heldout & set(sources)
    assert all(ROOT / "corpora" in p.parents for p in sources)
    text = (ROOT / "auditnlp" / "lexicons" / "recurrence_df.tsv").read_text(encoding="utf-8")
    assert module.render() == text, "run python scripts/build_recurrence_vocab.py"
