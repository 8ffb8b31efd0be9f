"""What a title says about time, and the covered year and period a written year stands for.

:func:`read_title` finds the first year of a title (or the year of a session of the National People's
Congress), a span of years (2021—2025年, 十四五时期), the first period word (上半年, 第三季度, 1至9月)
and the plan part (…及2024年工作计划, 及下半年工作打算). :func:`covered` turns a written year into the
covered year: a 政府工作报告 written 2025 covers 2024 and plans 2025.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from auditnlp.segment.meta_rules import MetaRules, cn_number, year_value
from auditnlp.types import Period


@dataclass(frozen=True, slots=True)
class TitleFacts:
    """What a title (or a file name) says about time."""

    label: int | None = None
    """The first year written (2023年…; for a 政府工作报告, the year of delivery)."""
    span: tuple[int, int] | None = None
    """(first month, last month) of a part of a year: (1, 6) for 上半年, (1, 9) for 1至9月."""
    years: tuple[int, int] | None = None
    """A span of several years (2021—2025年, 十四五时期)."""
    plan_year: int | None = None
    plan_offset: int | None = None


def read_title(title: str, rules: MetaRules) -> TitleFacts:
    """The years, period words and plan part of a title (quoted 《…》 text is left out)."""
    title = blank_quotes(title)
    years: tuple[int, int] | None = None
    m = rules.year_range.search(title)
    if m:
        y1, y2 = year_value(m.group("y1")), year_value(m.group("y2"))
        if y1 and y2 and y1 < y2:
            years = (y1, y2)
    if years is None:
        m = rules.five_year_plan.search(title)
        if m and m.group("plan") in rules.five_year_plans:
            years = rules.five_year_plans[m.group("plan")]
    label = None
    m = rules.year.search(title)
    if m:
        label = year_value(m.group("year"))
    if years is not None and rules.span_and_year is not None:  # …时期暨2025年工作总结: the year's report
        joined = rules.span_and_year.search(title)
        if joined is not None and year_value(joined.group("year")) == years[1]:
            label = years[1]
            years = None
    if label is None:
        session = rules.npc_session.search(title)
        if session:
            label = npc_year(session, rules)
    span = _span(title, rules)
    plan_year = plan_offset = None
    m = rules.plan_part.search(title)
    if m and m.group("what"):
        what = m.group("what")
        y = rules.year.match(what)
        if y:
            plan_year = year_value(y.group("year"))
        else:
            plan_offset = rules.plan_offsets.get(what)
    return TitleFacts(label, span, years, plan_year, plan_offset)


def npc_year(match: regex.Match[str], rules: MetaRules) -> int | None:
    """The year of a session of the National People's Congress (第十四届…第二次会议 → 2024)."""
    term, session = cn_number(match.group("term")), cn_number(match.group("session"))
    years = rules.npc_sessions.get(term or 0, ())
    return years[session - 1] if session and 0 < session <= len(years) else None


def _span(title: str, rules: MetaRules) -> tuple[int, int] | None:
    """(first month, last month) of the first period word of a title (上半年 → (1, 6)), or None."""
    best: tuple[int, tuple[int, int]] | None = None
    for word in rules.period_words:
        m = word.pattern.search(title)
        if m is None or (best is not None and m.start() >= best[0]):
            continue
        span = _span_of(word.span, m)
        if span is not None:
            best = (m.start(), span)
    return best[1] if best else None


def _span_of(code: str, m: regex.Match[str]) -> tuple[int, int] | None:
    if code == "months":
        first, last = cn_number(m.group("m1")), cn_number(m.group("m2"))
        return (first, last) if first and last and 1 <= first < last <= 12 else None
    if code in ("H1", "H2"):
        return (1, 6) if code == "H1" else (7, 12)
    if code.startswith("Q"):
        q = int(code[1])
        return (3 * q - 2, 3 * q)
    first, last = (int(x) for x in code[1:].split("-"))
    return (first, last)


_TITLES = regex.compile(r"(?<!印发)《[^《》]*》")


def blank_quotes(text: str) -> str:
    """Text inside 《…》 replaced by spaces: a quoted title names another document's unit and year
    (关于印发《…》的通知 is the exception: what it issues is the document itself)."""
    if "《" not in text:
        return text
    return _TITLES.sub(lambda m: " " * len(m.group()), text)


@dataclass(frozen=True, slots=True)
class YearFact:
    """A covered year (and what comes with it) as one source gives it."""

    source: str
    year: int
    period: Period
    plan_year: int | None
    label: int | None = None


def covered(label: int, facts: TitleFacts | None, source: str, *, delivery: bool, plan: bool) -> YearFact:
    """The covered year, period and plan year that a year written on a document (`label`) stands for.

    A 政府工作报告 (`delivery`) written 2025 covers 2024 and plans 2025; a plan covers the year it plans;
    a span of years (2021—2025年, 十四五) covers its last year; a part of a year keeps its months.
    """
    if delivery:
        return YearFact(source, label - 1, Period(label - 1, label - 1), label, label)
    span = facts.span if facts else None
    first, last = span if span else (1, 12)
    if facts is not None and facts.years and facts.years[1] >= label:
        y1, y2 = facts.years
        return YearFact(source, y2, Period(y1, y2, plan=plan), y2 if plan else None, label)
    if plan:
        return YearFact(source, label, Period(label, label, first, last, plan=True), label, label)
    plan_year = None
    if facts is not None:
        if facts.plan_year is not None:
            plan_year = facts.plan_year
        elif facts.plan_offset is not None:
            plan_year = label + facts.plan_offset
    return YearFact(source, label, Period(label, label, first, last), plan_year, label)


_CODE = regex.compile(
    r"(?P<y1>\d{4})(?:-(?P<y2>\d{4}))?"
    r"(?:H(?P<half>[12])|Q(?P<quarter>[1-4])(?:-(?P<quarter2>[1-4]))?|M(?P<m1>\d{1,2})-(?P<m2>\d{1,2}))?(?P<plan>P)?"
)
"""Period codes; ``2024Q1-3`` (quarters 1 to 3) is read as well and means months 1–9."""


def parse_period(text: str, rules: MetaRules) -> Period | None:
    """A period written as a code (``2024``, ``2024H1``, ``2024Q3``, ``2023M01-09``, ``2021-2025``,
    ``2025P``) or in words (``2024年上半年``, ``2023年1-9月``, ``2021—2025年``), or None."""
    text = text.strip()
    found = period_from_code(text)
    if found is not None or text.isascii():
        return found
    facts = read_title(text, rules)
    label = facts.years[1] if facts.years else facts.label
    if label is None:
        return None
    return covered(label, facts, "", delivery=False, plan="计划" in text).period


def period_from_code(code: str) -> Period | None:
    """The period of a code (:attr:`Period.code`: ``2024``, ``2024H1``, ``2025P`` …), or None."""
    m = _CODE.fullmatch(code.strip().upper())
    if m:
        y1 = int(m.group("y1"))
        y2 = int(m.group("y2") or y1)
        first, last = 1, 12
        if m.group("half"):
            first, last = (1, 6) if m.group("half") == "1" else (7, 12)
        elif m.group("quarter"):
            q1 = int(m.group("quarter"))
            q2 = int(m.group("quarter2") or q1)
            first, last = 3 * q1 - 2, 3 * q2
        elif m.group("m1"):
            first, last = int(m.group("m1")), int(m.group("m2"))
        if not (y1 <= y2 and 1 <= first <= last <= 12):
            return None
        return Period(y1, y2, first, last, plan=bool(m.group("plan")))
    return None
