"""What a figure means: the case table of tests/cases/meaning.yaml, the meaning lexicon, and exact Chinese
numerals with mixed 亿/万/千 scales checked against a reference converter written here."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from auditnlp.errors import LexiconError
from auditnlp.extract.indicators import find_quantities
from auditnlp.extract.meaning import ROLES, load_meaning_rules
from auditnlp.numerals import parse_chinese_numeral
from auditnlp.pipeline import Options, analyze_text
from auditnlp.types import Indicator

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "cases" / "meaning.yaml").read_text(encoding="utf-8"))["cases"]
TITLES = {
    "gov2025": "2025年江南省政府工作报告",
    "gov2026": "2026年江南省政府工作报告",
    "audit": "江南区审计局2024年工作总结",
    "h1": "江南区审计局2024年上半年工作总结",
}
FAST = Options(stages=("structure", "indicators"))


def _indicators(case: dict[str, Any]) -> list[Indicator]:
    if case["doc"] == "none":
        return find_quantities(case["text"])
    report = analyze_text(f"{TITLES[case['doc']]}\n{case['text']}", options=FAST)
    covered = report.meta.period
    assert covered is not None, "the title gives the covered period"
    return [_with_covered(i, covered) for i in report.indicators]


def _with_covered(ind: Indicator, covered: Any) -> Indicator:
    import dataclasses

    return dataclasses.replace(ind, period=ind.period or covered)


def _check(ind: Indicator, exp: dict[str, Any], where: str) -> None:
    for key, want in exp.items():
        if key == "text":
            continue
        if key == "period":
            got: Any = ind.period.code if ind.period is not None else None
        elif key == "signed":
            got = ind.signed(ind.base_value)
            want = None if want is None else Decimal(str(want))
        else:
            got = getattr(ind, key)
        assert got == want, f"{where}: {ind.text} {key} {got!r} != {want!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:24] for c in CASES])
def test_meaning_case_table(case: dict[str, Any]) -> None:
    found = _indicators(case)
    position = 0
    for exp in case["expect"]:
        match = next((k for k in range(position, len(found)) if found[k].text == exp["text"]), None)
        assert match is not None, f"{case['text']}: {exp['text']} not found after figure {position}"
        _check(found[match], exp, case["text"])
        position = match + 1


def test_case_table_covers_every_role_and_has_negatives() -> None:
    roles = {e.get("role") for c in CASES for e in c["expect"]}
    assert set(ROLES) <= roles
    assert sum(1 for c in CASES for e in c["expect"] if "name" in e and e["name"] is None) >= 12
    assert {"gov", "own"} == {c["src"] for c in CASES}


def test_user_meaning_rules_override_and_bad_rules_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "indicator_meaning.yaml").write_text(
        "roles:\n  - {role: threshold, before: '冲刺$'}\nperiod_phrases: []\n", encoding="utf-8"
    )
    rules = load_meaning_rules(tmp_path)
    assert [r.role for r in rules.roles] == ["threshold"]
    assert [i.role for i in find_quantities("全年冲刺100亿元", lexicon=tmp_path)] == ["threshold"]
    (tmp_path / "indicator_meaning.yaml").write_text(
        "roles:\n  - {role: guess, before: x}\n", encoding="utf-8"
    )
    with pytest.raises(LexiconError, match=r"indicator_meaning\.yaml"):
        load_meaning_rules(tmp_path)


# ---------------------------------------------------------------------------- numerals with 亿 … 万 … 千

_DIGITS = "零一二三四五六七八九"


def _below_10k(n: int, leading: bool) -> str:
    """1 ≤ n < 10⁴ in Chinese, with 零 for inner gaps (a leading 一十 is written 十 only at the very start)."""
    out, gap = "", False
    for unit, div in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        d = n // div % 10
        if d == 0:
            gap = bool(out)
            continue
        if gap:
            out += "零"
            gap = False
        out += "十" if unit == "十" and d == 1 and not out and leading else _DIGITS[d] + unit
    return out


def reference_chinese(n: int, leading: bool = True) -> str:
    """Write 1 ≤ n < 10¹⁶ as a Chinese numeral with 亿 and 万 groups (八亿二千万, 一万二千亿零五).

    Independent of the code under test: groups of four digits from the top, each below 10⁴ written with
    千/百/十, a 零 wherever a group or a place inside one is skipped.
    """
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        text = reference_chinese(high, leading) + "亿"
        if low:
            text += ("零" if low < 10**7 else "") + reference_chinese(low, False)
        return text
    high, low = divmod(n, 10**4)
    if not high:
        return _below_10k(low, leading)
    text = _below_10k(high, leading) + "万"
    if low:
        text += ("零" if low < 1000 else "") + _below_10k(low, False)
    return text


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("八亿二千万", 820_000_000), ("一万二千亿", 1_200_000_000_000), ("四亿零七百万", 407_000_000)],
)
def test_reference_converter_examples(numeral: str, value: int) -> None:
    assert reference_chinese(value) == numeral
    assert parse_chinese_numeral(numeral) == value


@given(st.integers(min_value=1, max_value=10**16 - 1))
def test_mixed_scale_numerals_parse_exactly(n: int) -> None:
    assert parse_chinese_numeral(reference_chinese(n)) == n


@given(st.integers(min_value=11, max_value=10**16 - 1), st.sampled_from(["吨", "元", "人", "个"]))
def test_mixed_scale_quantities_keep_their_value(n: int, unit: str) -> None:
    """(A numeral of one character before a count is structure, 一批, and is left out by design.)"""
    numeral = reference_chinese(n)
    found = find_quantities(f"粮食产量达到{numeral}{unit}。")
    assert len(found) == 1, (numeral, found)
    assert found[0].base_value == Decimal(n), (numeral, found[0])


@pytest.mark.parametrize(
    ("text", "value"), [("产量达到五万吨。", 50_000), ("灌溉面积达到一亿亩。", 100_000_000)]
)
def test_one_numeral_character_with_a_magnitude_is_a_result(text: str, value: int) -> None:
    """五万吨 is a result, not structure like 五个新城 (found by the property test above)."""
    assert [q.base_value for q in find_quantities(text)] == [Decimal(value)]


@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=1, max_value=9999))
def test_a_smaller_magnitude_after_a_larger_scale(high: int, low: int) -> None:
    """四亿零七百多万吨: the 万 after 多 counts only the part after 亿 (4亿 + 700万)."""
    numeral = reference_chinese(high) + "亿" + ("零" if low < 1000 else "") + _below_10k(low, False)
    (found,) = find_quantities(f"产量达到{numeral}多万吨。")
    assert found.base_value == Decimal(high) * 10**8 + Decimal(low) * 10**4
    assert found.unit == "万吨" and found.approx == "多"


def test_catty_and_kilogram_convert_to_tonnes() -> None:
    found = {i.text: i for i in find_quantities("粮食总产781.8亿斤，人均消费120公斤，储备50万吨。")}
    assert (found["781.8亿斤"].base_value, found["781.8亿斤"].base_unit) == (Decimal(39090000), "吨")
    assert (found["120公斤"].base_value, found["120公斤"].base_unit) == (Decimal("0.12"), "吨")
    assert (found["50万吨"].base_value, found["50万吨"].base_unit) == (Decimal(500000), "吨")
