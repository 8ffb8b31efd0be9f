"""What a figure means: its role, its qualifier and the period it is for.

The role (result, target, threshold, base, total, average) and the qualifier (approx, at least, at most)
are read from the clause around the figure; the period from the nearest place that names one: right before
the figure (从2020年的…), the clause, the sentence's opening, the paragraph's opening (which holds for the
paragraphs after it: 这五年，… / 刚刚过去的2025年，…) and the section heading. Every word list and pattern
is in ``indicator_meaning.yaml`` (and the ``meaning`` column of ``approx.tsv``).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import regex

from auditnlp._data import Pattern, compile_pattern
from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons
from auditnlp.numerals import ordinal_value
from auditnlp.types import Meta, Period, Report

__all__ = [
    "ROLES",
    "Meaning",
    "MeaningRules",
    "PeriodScopes",
    "Scope",
    "Total",
    "covered_period",
    "load_meaning_rules",
    "read_meaning",
]

ROLES = ("result", "target", "threshold", "base", "total", "average", "basis")
"""Every role a figure can have (:attr:`auditnlp.types.Indicator.role`)."""
QUALIFIERS = ("approx", "at_least", "at_most")

CLAUSE_BREAKS = frozenset("，。；：！？\n,;!?")
"""Characters that end a clause for the meaning rules (a list comma 、 does not)."""


def covered_period(meta: Meta) -> Period | None:
    """The period a report covers: ``meta.period`` (the metadata stage reads it: a 政府工作报告 delivered
    in 2025 covers 2024, 上半年工作总结 the first half) when it ends in the covered year, else that year;
    ``None`` without a covered year."""
    if meta.year is None:
        return None
    if meta.period is not None and meta.period.end_year == meta.year:
        return meta.period
    return Period(meta.year, meta.year)


@dataclass(frozen=True, slots=True)
class RoleRule:
    """One row of ``roles``: the role a figure takes when every given pattern matches."""

    role: str
    before: Pattern | None
    after: Pattern | None
    sentence: Pattern | None

    def matches(self, before: str, after: str, sentence: str) -> bool:
        """Whether the clause before/after the figure and the sentence before it all match."""
        return (
            (self.before is None or self.before.search(before) is not None)
            and (self.after is None or self.after.search(after) is not None)
            and (self.sentence is None or self.sentence.search(sentence) is not None)
        )


@dataclass(frozen=True, slots=True)
class PeriodPhrase:
    """One row of ``period_phrases``."""

    kind: str
    anywhere: bool
    start: str
    end: str
    months: tuple[str, str]


@dataclass(frozen=True, slots=True)
class Total:
    """A derived total: the figure stated for `stated`, else the sum of the `parts` a report states."""

    name: str
    label: str
    stated: str
    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MeaningRules:
    """Everything :func:`read_meaning` reads from data files, compiled and frozen."""

    roles: tuple[RoleRule, ...]
    end_before: Pattern
    end_needs: Pattern
    qualifiers: Mapping[str, str]
    """Approximation word (``approx.tsv``) → qualifier."""
    estimate: Pattern
    phrases: tuple[PeriodPhrase, ...]
    phrase_re: Pattern
    """All period phrases as one alternation; phrase i is group ``p{i}``."""
    anywhere: frozenset[int]
    opening_re: Pattern
    """A period phrase at the start of a clause, a sentence or a paragraph (after ``opening_skip``)."""
    opening_stop: Pattern
    right_before_re: Pattern
    """A year right before the figure: 从2020年的…, 增长到2025年的…"""
    comparison: Pattern
    held: Pattern
    multi_year_default: Mapping[str, str]
    directions: Mapping[str, str]
    target_header: Pattern
    """A table column header that holds targets (目标, 计划)."""
    detail_clause: Pattern
    detail_sentence: Pattern
    totals: Mapping[str, Total]
    """Derived totals (``money_found``) by name."""
    """Change word → ``up`` / ``down`` (``change_words.tsv``)."""


def _opt(data: Mapping[str, Any], key: str, where: str) -> Pattern | None:
    value = data.get(key)
    return compile_pattern(str(value), where) if value else None


def build_meaning_rules(lex: Lexicons) -> MeaningRules:
    """Compile ``indicator_meaning.yaml`` (with approx.tsv's meanings and change_words.tsv's directions)."""
    data = lex.yaml_mapping("indicator_meaning.yaml")
    where = lex.where("indicator_meaning.yaml")
    roles = []
    for rule in data.get("roles", ()):
        if rule.get("role") not in ROLES or not any(k in rule for k in ("before", "after", "sentence")):
            raise LexiconError(where, f"bad role rule {rule!r} (roles: {', '.join(ROLES)})")
        roles.append(
            RoleRule(
                str(rule["role"]),
                _opt(rule, "before", where),
                _opt(rule, "after", where),
                _opt(rule, "sentence", where),
            )
        )
    meaning_of = {str(k): str(v) for k, v in (data.get("qualifier_of_meaning") or {}).items()}
    if not set(meaning_of.values()) <= set(QUALIFIERS):
        raise LexiconError(where, f"qualifier_of_meaning: qualifiers are {', '.join(QUALIFIERS)}")
    qualifiers = {
        row["word"]: meaning_of[row["meaning"]]
        for _, row in lex.tsv("approx.tsv", required=("word", "position"))
        if row.get("meaning") in meaning_of
    }
    phrases: list[PeriodPhrase] = []
    alternatives: list[str] = []
    anywhere: set[int] = set()
    for i, item in enumerate(data.get("period_phrases", ())):
        kind = str(item.get("kind"))
        if kind not in ("year", "part", "years") or not item.get("pattern"):
            raise LexiconError(
                where, f"period_phrases[{i}]: kind must be year, part or years, with a pattern"
            )
        pattern = str(item["pattern"])
        compile_pattern(pattern, where)
        alternatives.append(f"(?P<p{i}>{pattern})")
        if item.get("anywhere") or kind == "part":
            anywhere.add(i)
        months = str(item.get("months", "1-12")).split("-", 1)
        phrases.append(
            PeriodPhrase(
                kind,
                bool(item.get("anywhere")),
                str(item.get("from", item.get("year", "y" if kind == "year" else "Y"))),
                str(item.get("to", item.get("year", "y" if kind == "year" else "Y"))),
                (months[0], months[-1]),
            )
        )
    union = "|".join(alternatives) or "(?!)"
    skip = str(data.get("opening_skip", ""))
    directions = {
        row["word"]: row.get("direction", "")
        for _, row in lex.tsv("change_words.tsv", required=("word",))
        if row.get("direction") in ("up", "down")
    }
    end = data.get("end_of_range") or {}
    return MeaningRules(
        roles=tuple(roles),
        end_before=compile_pattern(str(end.get("before", "(?!)")), where),
        end_needs=compile_pattern(str(end.get("needs", "(?!)")), where),
        qualifiers=MappingProxyType(qualifiers),
        estimate=compile_pattern(str(data.get("estimate", "(?!)")), where),
        phrases=tuple(phrases),
        phrase_re=compile_pattern(union, where),
        anywhere=frozenset(anywhere),
        opening_re=compile_pattern(f"{skip}(?:{union})", where),
        opening_stop=compile_pattern(str(data.get("opening_stop", "(?!)")), where),
        right_before_re=compile_pattern(r"(?P<y>(?:19|20)\d{2})年(?:底|末)?的?$", where),
        comparison=compile_pattern(str(data.get("comparison_words", "(?!)")), where),
        held=compile_pattern(str(data.get("held_throughout", "(?!)")), where),
        multi_year_default=MappingProxyType(
            {str(k): str(v) for k, v in (data.get("multi_year_default") or {}).items()}
        ),
        directions=MappingProxyType(directions),
        target_header=compile_pattern(str(data.get("target_header", "(?!)")), where),
        detail_clause=compile_pattern(str((data.get("detail") or {}).get("clause", "(?!)")), where),
        detail_sentence=compile_pattern(str((data.get("detail") or {}).get("sentence", "(?!)")), where),
        totals=MappingProxyType(
            {
                str(name): Total(
                    str(name), str(t.get("label", name)), str(t["stated"]), tuple(map(str, t["parts"]))
                )
                for name, t in (data.get("totals") or {}).items()
            }
        ),
    )


def load_meaning_rules(lexicon: LexiconsLike = None) -> MeaningRules:
    """The compiled meaning rules of `lexicon` (a bundle or a user folder; ``None``: packaged)."""
    return as_lexicons(lexicon).part("meaning", build_meaning_rules)


# ------------------------------------------------------------------------------------------- periods

Scope = tuple[str, "Period | None"]
"""A period found in the text: (kind, period) with kind ``year``, ``part``, ``years`` or ``none``."""
NO_SCOPE: Scope = ("none", None)


def _number(token: str | None) -> int | None:
    if not token:
        return None
    return ordinal_value(token)


def _expr(expr: str, env: Mapping[str, int | None]) -> int | None:
    """Evaluate ``Y-N+1``, ``y``, ``2013`` …: names from `env`, integers, + and −."""
    total = 0
    for sign, term in regex.findall(r"([+-]?)\s*([A-Za-z0-9]+)", expr):
        value = int(term) if term.isdigit() else env.get(term)
        if value is None:
            return None
        total += -value if sign == "-" else value
    return total


def _plan_years(groups: Mapping[str, str | None]) -> tuple[int, int] | None:
    """十四五 → (2021, 2025): the years of a five-year plan named in a phrase."""
    if groups.get("plan") is not None:
        digit = _number(groups["plan"]) if groups["plan"] else 0
        n = 10 + (digit or 0)
    else:
        return None
    if n < 1:
        return None
    start = 1953 if n == 1 else 1958 if n == 2 else 1966 + 5 * (n - 3)
    return start, start + 4


def _resolve(rules: MeaningRules, m: Any, covered: Period | None, text: str) -> Scope:
    """The period a matched phrase names (the covered year stands for Y)."""
    index = next((i for i in range(len(rules.phrases)) if m.group(f"p{i}") is not None), None)
    if index is None:
        return NO_SCOPE
    phrase = rules.phrases[index]
    groups = m.groupdict()
    year_end = covered.end_year if covered is not None else None
    if phrase.kind == "part":
        named = rules.right_before_re.search(text, max(0, m.start() - 6), m.start())
        year = int(named.group("y")) if named else year_end
        env = {"m2": _number(groups.get("m2"))}
        lo, hi = _expr(phrase.months[0], env), _expr(phrase.months[1], env)
        if year is None or lo is None or hi is None or not 1 <= lo <= hi <= 12:
            return ("part", None)
        return ("part", Period(year, year, lo, hi))
    plan = _plan_years(groups)
    if plan is not None:
        return ("years", Period(*plan))
    env = {
        "Y": year_end,
        "N": _number(groups.get("n") or groups.get("n2")),
        "y": int(groups["y"]) if groups.get("y") else None,
        "y1": int(groups["y1"]) if groups.get("y1") else None,
        "y2": int(groups["y2"]) if groups.get("y2") else None,
    }
    start, end = _expr(phrase.start, env), _expr(phrase.end, env)
    if start is None or end is None or start > end:
        return (phrase.kind, None)
    if phrase.kind == "year" or start == end:
        if covered is not None and start == end == covered.year == covered.end_year:
            return ("year", covered)  # the covered period itself (also when it is part of a year)
        return ("year", Period(start, end))
    end_month = covered.end_month if covered is not None and end == covered.end_year else 12
    return ("years", Period(start, end, 1, end_month))


def _compared(rules: MeaningRules, text: str, start: int) -> bool:
    return rules.comparison.search(text, max(0, start - 3), start) is not None


def opening_scope(
    rules: MeaningRules, text: str, start: int, end: int, covered: Period | None
) -> Scope | None:
    """The period phrase a clause, sentence or paragraph opens with (``None`` when it opens with none)."""
    m = rules.opening_re.match(text, start, end)
    if m is None or rules.opening_stop.match(text, m.end(), end):
        return None
    return _resolve(rules, m, covered, text)


def heading_scope(rules: MeaningRules, heading: str, covered: Period | None) -> Scope | None:
    """The one period a heading names (一、2024年工作回顾); ``None`` when it names none or several."""
    found = {
        _resolve(rules, m, covered, heading)
        for m in rules.phrase_re.finditer(heading)
        if not rules.opening_stop.match(heading, m.end())
    }
    return found.pop() if len(found) == 1 else None


class PeriodScopes:
    """The period in force at each sentence of a report: set by section headings and sentence openings.

    A level-1 heading sets the period it names (or none); a deeper heading sets it when it names one; a
    sentence that opens with a period phrase (这五年，… / 刚刚过去的2025年，… / 各位代表！2025年是收官之年。
    五年来，…) sets it for itself and the sentences after it, across paragraphs, until the next one does.
    The title (2025年某省政府工作报告: the year the report was delivered) sets nothing. Built once per report;
    :meth:`at` is a bisection.
    """

    __slots__ = ("_scopes", "_starts")

    def __init__(self, report: Report, rules: MeaningRules, covered: Period | None) -> None:
        sections = {s.id: s for s in report.sections}
        by_paragraph: dict[int, list[int]] = {}
        for sentence in report.sentences:
            by_paragraph.setdefault(sentence.paragraph, []).append(sentence.start)
        text = report.text
        state: Scope = NO_SCOPE
        current = None
        starts: list[int] = []
        scopes: list[Scope] = []
        title = report.title.start if report.title is not None else -1
        for para in sorted(report.paragraphs, key=lambda p: p.start):
            if para.start == title:
                continue
            section = sections.get(para.section)
            body = para.start
            if (
                section is not None
                and section.id != current
                and section.level > 0
                and para.start <= section.heading_start < para.end
            ):
                current = section.id
                named = heading_scope(rules, section.heading, covered)
                if section.level <= 1:
                    state = named or NO_SCOPE
                elif named is not None:
                    state = named
                body = section.heading_end
            starts.append(para.start)
            scopes.append(state)
            for start in by_paragraph.get(para.id, [para.start]):
                opened = opening_scope(rules, text, max(start, body), para.end, covered)
                if opened is not None:
                    state = opened
                    starts.append(start)
                    scopes.append(state)
        self._starts = starts
        self._scopes = scopes

    def at(self, offset: int) -> Scope:
        """The period in force at `offset`."""
        i = bisect.bisect_right(self._starts, offset) - 1
        return self._scopes[i] if i >= 0 else NO_SCOPE


# ------------------------------------------------------------------------------------------- meaning


@dataclass(frozen=True, slots=True)
class Meaning:
    """What :func:`read_meaning` finds for one figure."""

    direction: str | None
    role: str
    qualifier: str | None
    period: Period | None
    detail: bool = False


def clause_start(text: str, pos: int, limit: int = 80) -> int:
    """Start of the clause holding `pos` (after ，。；：！？ or a line break; a list comma does not end
    it)."""
    lo = max(0, pos - limit)
    for i in range(pos - 1, lo - 1, -1):
        if text[i] in CLAUSE_BREAKS:
            return i + 1
    return lo


def clause_end(text: str, pos: int, limit: int = 40) -> int:
    """End of the clause holding `pos`."""
    hi = min(len(text), pos + limit)
    for i in range(pos, hi):
        if text[i] in CLAUSE_BREAKS:
            return i
    return hi


def _figure_scope(
    rules: MeaningRules, text: str, cs: int, lead: int, sentence_start: int, covered: Period | None
) -> Scope | None:
    """The period named in the figure's own clause or sentence (nearest first), or ``None``."""
    before = text[cs:lead]
    m = rules.right_before_re.search(before)
    if m is not None and not _compared(rules, before, m.start()):
        year = int(m.group("y"))
        if covered is not None and covered.year == covered.end_year == year:
            return ("year", covered)
        return ("year", Period(year, year))
    best = None
    for m in rules.phrase_re.finditer(before):
        index = next(i for i in range(len(rules.phrases)) if m.group(f"p{i}") is not None)
        if index in rules.anywhere and not _compared(rules, before, m.start()):
            best = m
    if best is not None:
        return _resolve(rules, best, covered, before)
    found = opening_scope(rules, text, cs, lead, covered)
    if found is None and sentence_start < cs:
        found = opening_scope(rules, text, sentence_start, lead, covered)
    return found


def read_meaning(
    rules: MeaningRules,
    text: str,
    *,
    lead: int,
    tail: int,
    change: str | None,
    approx: str | None,
    unit_kind: str,
    multi_year: str = "",
    sentence_start: int | None = None,
    scope: Scope = NO_SCOPE,
    plans: bool = False,
    covered: Period | None = None,
    header: Scope | None = None,
) -> Meaning:
    """The direction, role, qualifier and period of the figure at ``text[lead:tail]``.

    `scope` is the period in force at its paragraph (:class:`PeriodScopes`), `plans` whether it stands in a
    plans section, `covered` the report's covered period, `header` the period of its table column.
    """
    direction = rules.directions.get(change) if change else None
    cs = clause_start(text, lead)
    ss = cs if sentence_start is None else min(sentence_start, cs)
    before = text[cs:lead]
    after = text[tail : clause_end(text, tail)]
    sentence = text[ss:lead]
    role = next((r.role for r in rules.roles if r.matches(before, after, sentence)), "result")
    if plans and role != "base":  # in a plans section every figure but a starting level is a target
        role = "target"
    qualifier = rules.qualifiers.get(approx) if approx else None
    if qualifier is None and rules.estimate.search(sentence):
        qualifier = "approx"
    named = header or _figure_scope(rules, text, cs, lead, ss, covered)
    kind, period = named if named is not None else scope
    end_of_range = rules.end_before.search(before) is not None and rules.end_needs.search(before) is not None
    if kind == "years" and role in ("result", "base", "total"):
        start_year = period.year if period is not None else None
        end_year = period.end_year if period is not None else None
        months = (1, period.end_month) if period is not None else (1, 12)
        if role == "base":
            period = Period(start_year - 1, start_year - 1) if start_year is not None else None
        elif end_of_range:
            period = Period(end_year, end_year, *months) if end_year is not None else None
        elif role == "result" and change is None and not rules.held.search(before):
            level = (multi_year or rules.multi_year_default.get(unit_kind, "sum")) == "level"
            if level:
                period = Period(end_year, end_year, *months) if end_year is not None else None
            else:
                role = "total"
    detail = (
        rules.detail_clause.search(before) is not None or rules.detail_sentence.search(sentence) is not None
    )
    return Meaning(direction, role, qualifier, period if kind != "none" else None, detail)
