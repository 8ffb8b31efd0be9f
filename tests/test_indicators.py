"""Numeric indicators: the case table, number-parsing properties, seed reports, lexicon loading."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from auditnlp.errors import LexiconError
from auditnlp.extract.indicators import (
    IndicatorLexicon,
    extract_indicators,
    find_quantities,
    load_indicator_lexicon,
)
from auditnlp.extract.numbers import (
    NumberGrammar,
    find_numbers,
    load_number_grammar,
    parse_chinese_numeral,
    parse_number,
)
from auditnlp.types import Indicator

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "cases" / "indicators.yaml").read_text(encoding="utf-8"))
SEEDS = ROOT.parent / "shared" / "seeds"
DECIMAL_FIELDS = {"value", "value_max", "base_value"}


def _check(found: Indicator, expected: dict[str, Any], where: str) -> None:
    for key, want in expected.items():
        got = getattr(found, key)
        if key in DECIMAL_FIELDS and want is not None:
            assert got == Decimal(str(want)), f"{where}: {key} {got!r} != {want!r}"
        else:
            assert got == want, f"{where}: {key} {got!r} != {want!r}"


def _params(cases: list[dict[str, Any]]) -> list[Any]:
    """One parameter per case, named by its text (stable when cases are inserted); a case with an
    ``xfail: reason`` key is a known gap that must keep failing until fixed (strict)."""
    return [
        pytest.param(
            case,
            id=str(case.get("id") or case["text"])[:40],
            marks=[pytest.mark.xfail(reason=str(case["xfail"]), strict=True)] if case.get("xfail") else [],
        )
        for case in cases
    ]


@pytest.mark.parametrize("case", _params(CASES["cases"]))
def test_case_table(case: dict[str, Any]) -> None:
    text = case["text"]
    found = find_quantities(text)
    texts = [i.text for i in found]
    expected = case["expect"]
    assert texts == [e["text"] for e in expected], f"{text}: found {texts}"
    for ind, exp in zip(found, expected, strict=True):
        assert text[ind.start : ind.end] == ind.text
        _check(ind, exp, text)


def test_case_table_is_large_and_covers_every_kind() -> None:
    cases = CASES["cases"]
    assert len(cases) >= 150
    assert sum(1 for c in cases if not c["expect"]) >= 50
    kinds = {e.get("unit_kind") for c in cases for e in c["expect"]}
    assert {"count", "money", "percent", "percent_point", "multiple", "physical", "time", "age"} <= kinds
    assert {c["src"] for c in cases} == {"seed", "gov", "own"}


def test_same_indicator_same_name_across_years() -> None:
    """The sample corpus: one audit office's 2023 and 2024 sentences name 审计项目 alike."""
    names = [
        {i.name for i in find_quantities(c["text"]) if i.unit == "个"}
        for c in CASES["cases"]
        if c["text"].startswith(("2023年", "2024年")) and "审计" in c["text"] and c["expect"]
    ]
    assert len(names) >= 4
    assert all(n == {"audit_projects"} for n in names)


# ---------------------------------------------------------------------------- number parsing properties

_CN = "零一二三四五六七八九"


def _to_chinese(n: int) -> str:
    """Write 1 ≤ n < 10**8 as a Chinese numeral (independent of the code under test)."""

    def below_10k(k: int, leading: bool) -> str:
        out, zero = "", False
        for unit, div in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            d = k // div % 10
            if d == 0:
                zero = bool(out)
                continue
            if zero:
                out += "零"
                zero = False
            if unit == "十" and d == 1 and not out and leading:
                out += "十"
            else:
                out += _CN[d] + unit
        return out

    high, low = divmod(n, 10_000)
    if not high:
        return below_10k(low, True)
    text = below_10k(high, True) + "万"
    if low:
        text += ("零" if low < 1000 else "") + below_10k(low, False)
    return text


@given(st.integers(min_value=1, max_value=99_999_999))
def test_chinese_numerals_round_trip(n: int) -> None:
    assert parse_chinese_numeral(_to_chinese(n)) == n


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_arabic_numbers_parse_exactly(whole: int, cents: int) -> None:
    surface = f"{whole:,}.{cents:02d}"
    assert parse_number(surface) == Decimal(f"{whole}.{cents:02d}")


@given(
    st.integers(min_value=1, max_value=10**9),
    st.sampled_from(["个", "项", "万元", "亿元", "%", "人次", "公里"]),
)
def test_quantities_keep_offsets_and_values(n: int, unit: str) -> None:
    text = f"完成审计工作，涉及{n}{unit}，成效明显。"
    found = find_quantities(text)
    assert len(found) == 1
    ind = found[0]
    assert text[ind.start : ind.end] == ind.text == f"{n}{unit}"
    assert ind.value == n and ind.unit == unit and not ind.masked


@given(
    st.sampled_from(["X", "x", "*", "○"]),
    st.integers(min_value=1, max_value=8),
    st.sampled_from(["个", "次", "万元", "条"]),
)
def test_masks_never_get_a_value(char: str, width: int, unit: str) -> None:
    mask = char * width
    text = f"全年移送问题线索{mask}{unit}。"
    found = find_quantities(text)
    assert [(i.text, i.masked, i.value, i.base_value, i.mask) for i in found] == [
        (mask + unit, True, None, None, mask)
    ]


@given(
    st.text(alphabet="一二三四五六七八九十百千万亿两零XX*.0123456789个项次元%，。年月第“”审计", max_size=40)
)
def test_any_text_gives_consistent_records(text: str) -> None:
    found = find_quantities(text)
    starts = [i.start for i in found]
    assert starts == sorted(starts)
    for ind in found:
        assert text[ind.start : ind.end] == ind.text
        assert ind.masked == (ind.value is None)
    assert found == find_quantities(text)


@pytest.mark.parametrize("bad", ["十四五", "一一", "三五", "十百", "万", "亿万", ""])
def test_malformed_chinese_numerals(bad: str) -> None:
    assert parse_chinese_numeral(bad) is None


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("十二", 12),
        ("两", 2),
        ("一百二十", 120),
        ("一百零五", 105),
        ("三万五千", 35000),
        ("二〇二三", 2023),
        ("十", 10),
        ("两千", 2000),
        ("一亿二千万", 120_000_000),
        ("一万亿", 10**12),
    ],
)
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert parse_chinese_numeral(numeral) == value


def test_find_numbers_on_a_slice_uses_absolute_offsets() -> None:
    text = "前言。完成审计项目27个。"
    (q,) = find_numbers(text, start=3)
    assert (q.start, q.end, q.text) == (9, 12, "27个")


# ---------------------------------------------------------------------------- seeds


def _seed(name: str) -> Path:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(
            f"seed report {name} not found under ../shared/seeds (the shared folder is not beside the repo)"
        )
    return path


@pytest.mark.parametrize("name", sorted(CASES["seeds"]))
def test_seed_every_quantity_found_and_no_negative(name: str) -> None:
    from auditnlp.pipeline import Options, analyze

    report = analyze(_seed(name), options=Options(stages=("structure",)))
    found = list(extract_indicators(report))
    spec = CASES["seeds"][name]
    assert [i.text for i in found] == [e["text"] for e in spec["expect"]]
    for ind, exp in zip(found, spec["expect"], strict=True):
        assert report.text[ind.start : ind.end] == ind.text
        _check(ind, {"approx": None, "flag": None, "value": None, **exp}, name)
    for negative in spec["never"]:
        start = report.text.find(negative)
        assert start >= 0, f"{negative!r} is not in {name}"
        while start >= 0:
            end = start + len(negative)
            hit = [i.text for i in found if i.start < end and start < i.end]
            assert not hit, f"{name}: {negative!r} overlaps {hit}"
            start = report.text.find(negative, end)


def test_seed_records_point_into_the_report() -> None:
    from auditnlp.pipeline import Options, analyze

    report = analyze(_seed("000_626403d7295463b3.txt"), options=Options(stages=("structure",)))
    found = list(extract_indicators(report))
    sentences = {s.id: s for s in report.sentences}
    paragraphs = {p.id: p for p in report.paragraphs}
    for ind in found:
        assert sentences[ind.sentence].start <= ind.start < sentences[ind.sentence].end
        assert paragraphs[ind.paragraph].start <= ind.start < paragraphs[ind.paragraph].end
        assert paragraphs[ind.paragraph].section == ind.section
    assert found == list(extract_indicators(report))
    assert all(isinstance(i.to_dict()["value"], int | float | type(None)) for i in found)


# ---------------------------------------------------------------------------- lexicons


def test_lexicon_is_cached_and_frozen() -> None:
    lex = load_indicator_lexicon()
    assert lex is load_indicator_lexicon()
    assert isinstance(lex, IndicatorLexicon)
    assert len(lex.names) >= 60
    with pytest.raises(AttributeError):
        lex.names = ()  # type: ignore[misc]


def test_user_lexicon_folder_overrides_names(tmp_path: Path) -> None:
    (tmp_path / "indicator_names.tsv").write_text(
        "name\tlabel\tkinds\tunits\tchange\tsubject\tcontext\nbridges\t桥梁\tcount\t\t*\t桥梁\t\n",
        encoding="utf-8",
    )
    found = find_quantities("新建桥梁12座，完成审计项目3个", lexicon=tmp_path)
    assert [(i.text, i.name) for i in found] == [("12座", "bridges"), ("3个", None)]


def test_bad_user_lexicon_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "indicator_names.tsv").write_text(
        "name\tlabel\tkinds\tunits\tchange\tsubject\tcontext\nx\tx\tcount\t\tmaybe\tx\t\n", encoding="utf-8"
    )
    with pytest.raises(LexiconError, match=r"indicator_names\.tsv.*line 2"):
        load_indicator_lexicon(tmp_path)


def _merged_slice(grammar: NumberGrammar, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The blocked spans as each rule's own scan of ``text[start:end]`` finds them (no gate), merged."""
    spans = sorted(m.span() for _, p in grammar.blocked for m in p.finditer(text, start, end))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


GATED_TEXTS = [
    "二十届三中全会，3岁以下婴幼儿，2025年度，2024年上半年，1+6+N，3＋3＋N，三年行动，近3年行动，15分钟生活圈",
    "连续5年实施专项行动，这3年行动，1....2年度，XXXX年度，**年初，4×4格局，百年一遇",
    "0-3岁婴幼儿照护，65周岁及以上老人，二中全会，十年禁渔，1,2年度，2.5年，3年来，营业10小时",
]


@pytest.mark.parametrize("text", GATED_TEXTS)
def test_gated_blocked_rules_find_what_a_whole_text_scan_finds(text: str) -> None:
    """Rules with `next` are tried only where the gate finds a number token followed by their `next`; they
    block exactly what each rule's scan of the whole text blocks (on the slice and on the whole)."""
    grammar = load_number_grammar()
    assert grammar.blocked_at_numbers, "no blocked rule of number_rules.yaml is gated"
    assert grammar.blocked_spans(text) == _merged_slice(grammar, text, 0, len(text))
    assert grammar.blocked_spans(text, 3, len(text) - 3) == _merged_slice(grammar, text, 3, len(text) - 3)


def test_gated_blocked_rules_on_the_bundled_corpus() -> None:
    grammar = load_number_grammar()
    texts = [
        p.read_text(encoding="utf-8", errors="replace") for p in sorted((ROOT / "corpora").glob("**/*.txt"))
    ]
    assert len(texts) >= 10
    for text in texts:
        assert grammar.blocked_spans(text) == _merged_slice(grammar, text, 0, len(text))


def test_next_needs_a_rule_led_by_a_number(tmp_path: Path) -> None:
    rules = yaml.safe_load((ROOT / "auditnlp" / "lexicons" / "number_rules.yaml").read_text(encoding="utf-8"))
    rules["blocked"].append({"kind": "date", "pattern": "第{num}年", "next": "年"})
    (tmp_path / "number_rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconError, match=r"number_rules\.yaml.*next"):
        load_number_grammar(tmp_path)


def test_indicators_made_by_position_equal_those_made_by_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditnlp.extract import indicators

    assert indicators._POSITIONAL, "Indicator's fields changed order: update _FIELDS in indicators.py"
    text = "全年地区生产总值31534亿元、增长3.3%，新增就业约12万人，审计发现问题资金2.5亿元。"
    fast = find_quantities(text)
    monkeypatch.setattr(indicators, "_POSITIONAL", False)
    slow = find_quantities(text)
    assert len(fast) == 4
    assert [repr(i) for i in fast] == [repr(i) for i in slow]
