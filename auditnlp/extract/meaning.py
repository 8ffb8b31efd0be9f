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
from typing import Any, NamedTuple

import regex

from auditnlp._data import Pattern, check, compile_pattern, get, items, line_of, need
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

    def matches(self, before: str, figure: _Around) -> bool:
        """Whether the clause before the figure, the clause after it and the sentence before it all match
        (`figure` gives the clause after it and tells whether a pattern matches the sentence before it)."""
        return (
            (self.before is None or self.before.search(before) is not None)
            and (self.after is None or self.after.search(figure.after()) is not None)
            and (self.sentence is None or figure.in_sentence(self.sentence))
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
    roles_before_gate: Pattern
    """All the roles' `before` patterns as one (searched from the end): a figure none of them fits is tested
    only against the rules without one."""
    roles_without_before: tuple[RoleRule, ...]
    roles_after_gate: Pattern
    """All the roles' `after` patterns as one, matched at the end of the figure."""
    sentence_cues: Pattern
    """Every pattern searched in the sentence before a figure (roles, estimate, detail; an anchored one
    unanchored) as one: a sentence with none of them before the figure is tested no further."""
    triggers: Mapping[int, Pattern]
    """For a sentence pattern anchored at the figure (``…$``): the same pattern unanchored, whose first match
    in a sentence must come before the figure for the anchored one to match (id of pattern → trigger)."""
    end_before: Pattern
    end_needs: Pattern
    qualifiers: Mapping[str, str]
    """Approximation word (``approx.tsv``) → qualifier."""
    estimate: Pattern
    phrases: tuple[PeriodPhrase, ...]
    phrase_re: Pattern
    """All period phrases as one alternation; phrase i is group ``p{i}``."""
    phrase_groups: tuple[str, ...]
    """The group names ``p0``, ``p1`` … of :attr:`phrase_re`."""
    anywhere: frozenset[int]
    opening_re: Pattern
    """A period phrase at the start of a clause, a sentence or a paragraph (after ``opening_skip``)."""
    opening_stop: Pattern
    right_before_re: Pattern
    """A year right before the figure: 从2020年的…, 增长到2025年的… (group ``y``), or the year before the
    covered one (group ``prev``: 较上年的…, （上年57个）)."""
    header_periods: tuple[tuple[Pattern, int], ...]
    """Table column headers that name a year relative to the covered one (上年 → −1, 本年 → 0)."""
    date_month: Pattern
    """A month right after a year that opens a sentence (2026年8月，…): the sentence names a date, and
    its period holds for that sentence only."""
    comparison: Pattern
    held: Pattern
    aggregate: Pattern | None
    """A sentence stating the figures of several audit offices together (全市审计机关…): the report's own
    unit's figure (市局本级…) is shown before such a total."""
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
    """The pattern under `key`, compiled (a pattern that is not a string names file, line and key)."""
    value = get(data, key, None, where, str)
    if not value:
        return None
    return compile_pattern(value, where)


def _text(data: Mapping[str, Any], key: str, where: str, default: str = "(?!)") -> str:
    """The string under `key` (a pattern, usually), or `default`; checked like :func:`_opt`."""
    return str(get(data, key, default, where, str))


def build_meaning_rules(lex: Lexicons) -> MeaningRules:
    """Compile ``indicator_meaning.yaml`` (with approx.tsv's meanings and change_words.tsv's directions).

    A value of the wrong shape is a LexiconError naming the file, its line and the key.
    """
    data = lex.yaml_mapping("indicator_meaning.yaml")
    where = lex.where("indicator_meaning.yaml")
    roles = []
    for i, rule in enumerate(items(data, "roles", where, dict), 1):
        role = need(rule, "role", where, str, context=f"roles item {i}")
        if role not in ROLES or not any(k in rule for k in ("before", "after", "sentence")):
            raise LexiconError(
                where,
                f"line {line_of(rule)}: roles item {i}: a role ({', '.join(ROLES)}) and a before, after or "
                "sentence pattern",
            )
        roles.append(
            RoleRule(
                role, _opt(rule, "before", where), _opt(rule, "after", where), _opt(rule, "sentence", where)
            )
        )
    meanings = get(data, "qualifier_of_meaning", {}, where, dict)
    meaning_of = {
        str(k): check(v, str, where, line_of(meanings, k), f"qualifier_of_meaning key {k!r}")
        for k, v in meanings.items()
    }
    if not set(meaning_of.values()) <= set(QUALIFIERS):
        raise LexiconError(
            where,
            f"line {line_of(meanings)}: qualifier_of_meaning: qualifiers are {', '.join(QUALIFIERS)}",
        )
    qualifiers = {
        row["word"]: meaning_of[row["meaning"]]
        for _, row in lex.tsv("approx.tsv", required=("word", "position"))
        if row.get("meaning") in meaning_of
    }
    phrases: list[PeriodPhrase] = []
    alternatives: list[str] = []
    anywhere: set[int] = set()
    for i, item in enumerate(items(data, "period_phrases", where, dict)):
        context = f"period_phrases item {i + 1}"
        kind = need(item, "kind", where, str, context=context)
        pattern = need(item, "pattern", where, str, context=context)
        if kind not in ("year", "part", "years") or not pattern:
            raise LexiconError(
                where, f"line {line_of(item)}: {context}: kind must be year, part or years, with a pattern"
            )
        compile_pattern(pattern, where)
        alternatives.append(f"(?P<p{i}>{pattern})")
        if item.get("anywhere") or kind == "part":
            anywhere.add(i)
        months = str(get(item, "months", "1-12", where, (str, int))).split("-", 1)
        default = "y" if kind == "year" else "Y"
        year = get(item, "year", default, where, (str, int))
        phrases.append(
            PeriodPhrase(
                kind,
                bool(item.get("anywhere")),
                str(get(item, "from", year, where, (str, int))),
                str(get(item, "to", year, where, (str, int))),
                (months[0], months[-1]),
            )
        )
    union = "|".join(alternatives) or "(?!)"
    skip = _text(data, "opening_skip", where, "")
    directions = {
        row["word"]: row.get("direction", "")
        for _, row in lex.tsv("change_words.tsv", required=("word",))
        if row.get("direction") in ("up", "down")
    }
    end = get(data, "end_of_range", {}, where, dict)
    detail = get(data, "detail", {}, where, dict)
    estimate = _text(data, "estimate", where)
    defaults = get(data, "multi_year_default", {}, where, dict)
    totals = get(data, "totals", {}, where, dict)
    for name, total in totals.items():
        context = f"totals key {name!r}"
        check(total, dict, where, line_of(totals, name), context)
        need(total, "stated", where, (str, int), context=context)
        parts = need(total, "parts", where, list, context=context)
        for j, part in enumerate(parts):
            check(part, (str, int), where, line_of(parts, j), f"{context} part {j + 1}")
    for key, value in defaults.items():
        check(value, str, where, line_of(defaults, key), f"multi_year_default key {key!r}")
    befores = [r.before.pattern for r in roles if r.before is not None]
    return MeaningRules(
        roles=tuple(roles),
        roles_before_gate=compile_pattern("|".join(f"(?:{b})" for b in befores) or "(?!)", where),
        roles_without_before=tuple(r for r in roles if r.before is None),
        roles_after_gate=compile_pattern(
            "|".join(f"(?:{r.after.pattern.removeprefix('^')})" for r in roles if r.after is not None)
            or "(?!)",
            where,
        ),
        sentence_cues=compile_pattern(
            "|".join(
                f"(?:{p.removesuffix('$')})"
                for p in [
                    *(r.sentence.pattern for r in roles if r.sentence is not None),
                    estimate,
                    _text(detail, "sentence", where),
                ]
            ),
            where,
        ),
        triggers=MappingProxyType(
            {
                id(r.sentence): compile_pattern(r.sentence.pattern[:-1], where)
                for r in roles
                if r.sentence is not None and r.sentence.pattern.endswith("$")
            }
        ),
        end_before=compile_pattern(_text(end, "before", where), where),
        end_needs=compile_pattern(_text(end, "needs", where), where),
        qualifiers=MappingProxyType(qualifiers),
        estimate=compile_pattern(estimate, where),
        phrases=tuple(phrases),
        phrase_re=compile_pattern(union, where),
        phrase_groups=tuple(f"p{i}" for i in range(len(phrases))),
        anywhere=frozenset(anywhere),
        opening_re=compile_pattern(f"{skip}(?:{union})", where),
        opening_stop=compile_pattern(_text(data, "opening_stop", where), where),
        right_before_re=compile_pattern(
            _text(data, "right_before", where, r"(?P<y>(?:19|20)\d{2})年(?:底|末)?的?$"), where
        ),
        header_periods=tuple(
            (
                compile_pattern(need(item, "pattern", where, str, context=f"header_periods item {i}"), where),
                int(need(item, "offset", where, int, context=f"header_periods item {i}")),
            )
            for i, item in enumerate(items(data, "header_periods", where, dict), 1)
        ),
        date_month=compile_pattern(_text(data, "date_month", where), where),
        comparison=compile_pattern(_text(data, "comparison_words", where), where),
        held=compile_pattern(_text(data, "held_throughout", where), where),
        aggregate=compile_pattern(str(data["aggregate_scope"]), where)
        if data.get("aggregate_scope")
        else None,
        multi_year_default=MappingProxyType({str(k): str(v) for k, v in defaults.items()}),
        directions=MappingProxyType(directions),
        target_header=compile_pattern(_text(data, "target_header", where), where),
        detail_clause=compile_pattern(_text(detail, "clause", where), where),
        detail_sentence=compile_pattern(_text(detail, "sentence", where), where),
        totals=MappingProxyType(
            {
                str(name): Total(
                    str(name), str(t.get("label", name)), str(t["stated"]), tuple(map(str, t["parts"]))
                )
                for name, t in totals.items()
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


_TERMS = regex.compile(r"([+-]?)\s*([A-Za-z0-9]+)")


def _expr(expr: str, env: Mapping[str, int | None]) -> int | None:
    """Evaluate ``Y-N+1``, ``y``, ``2013`` …: names from `env`, integers, + and −."""
    total = 0
    for sign, term in _TERMS.findall(expr):
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


_GROUPS = ("y", "y1", "y2", "n", "n2", "plan", "m2")
"""The named groups a period phrase may use (its years, number of years, plan and month)."""


def _resolve(rules: MeaningRules, m: Any, covered: Period | None, text: str) -> Scope:
    """The period a matched phrase names (the covered year stands for Y)."""
    index = next((i for i, g in enumerate(rules.phrase_groups) if m.group(g) is not None), None)
    if index is None:
        return NO_SCOPE
    phrase = rules.phrases[index]
    groups = {name: m.group(name) for name in _GROUPS if name in rules.phrase_re.groupindex}
    year_end = covered.end_year if covered is not None else None
    if phrase.kind == "part":
        named = rules.right_before_re.search(text, max(0, m.start() - 6), m.start())
        year = _year_named(named, year_end) if named else year_end
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


def _year_named(m: Any, year_end: int | None) -> int | None:
    """The year a :attr:`MeaningRules.right_before_re` match names: its ``y``, or the year before the
    covered one for ``prev`` (``None`` when the covered year is unknown)."""
    if m.group("y"):
        return int(m.group("y"))
    return year_end - 1 if year_end is not None else None


def _compared(rules: MeaningRules, text: str, start: int, floor: int = 0) -> bool:
    return rules.comparison.search(text, max(floor, start - 3), start) is not None


_PHRASE_CHARS = regex.compile("[年季月五来]")
"""Every period phrase holds one of these (年, 季度, 月, 十四五, 以来): a quick test before the patterns."""


def _may_name_a_period(text: str, start: int, end: int) -> bool:
    return _PHRASE_CHARS.search(text, start, end) is not None


def _opening(rules: MeaningRules, text: str, start: int, end: int) -> Any:
    """The match of the period phrase a clause, sentence or paragraph opens with, or ``None``."""
    if not _may_name_a_period(text, start, min(end, start + 24)):
        return None
    m = rules.opening_re.match(text, start, end)
    if m is None or rules.opening_stop.match(text, m.end(), end):
        return None
    return m


def opening_scope(
    rules: MeaningRules, text: str, start: int, end: int, covered: Period | None
) -> Scope | None:
    """The period phrase a clause, sentence or paragraph opens with (``None`` when it opens with none)."""
    m = _opening(rules, text, start, end)
    return _resolve(rules, m, covered, text) if m is not None else None


def header_scope(rules: MeaningRules, header: str, covered: Period | None) -> Scope | None:
    """The period a table column header names: a year (2024年, 2025年目标) or a year relative to the
    covered one (上年, 本年; ``header_periods``); ``None`` when it names none or several."""
    named = heading_scope(rules, header, covered, nouns=False)
    if named is not None or covered is None:
        return named
    label = header.strip()
    for pattern, offset in rules.header_periods:
        if pattern.fullmatch(label):
            year = covered.end_year + offset
            return ("year", covered if offset == 0 else Period(year, year, 1, covered.end_month))
    return None


def heading_scope(
    rules: MeaningRules, heading: str, covered: Period | None, *, nouns: bool = True
) -> Scope | None:
    """The one period a heading names (一、2024年工作回顾); ``None`` when it names none or several.

    With `nouns` a phrase that starts a longer noun (2024年工作计划, 三年行动) names no period; a table's
    column header (2025年目标) is read without that rule."""
    if not _may_name_a_period(heading, 0, len(heading)):
        return None
    found = {
        _resolve(rules, m, covered, heading)
        for m in rules.phrase_re.finditer(heading)
        if not (nouns and rules.opening_stop.match(heading, m.end()))
    }
    return found.pop() if len(found) == 1 else None


class PeriodScopes:
    """The period in force at each sentence of a report: set by section headings and sentence openings.

    A level-1 heading sets the period it names (or none); a deeper heading sets it when it names one, else
    it takes the period in force in its parent section before its first sub-section; a sentence that opens
    with a period phrase (这五年，… / 刚刚过去的2025年，… / 各位代表！2025年是收官之年。五年来，…) sets it for
    itself and the sentences after it, across paragraphs, until the next one does or its section ends (a
    “十四五”期间，… closing section （一） is not the period of section （二）); one that opens with a date
    (2026年8月，…) for its own sentence only. The title (2025年某省政府工作报告: the year the report was
    delivered) sets nothing. Built once per report; :meth:`at` is a bisection.
    """

    __slots__ = ("_scopes", "_starts")

    def __init__(self, report: Report, rules: MeaningRules, covered: Period | None) -> None:
        text = report.text
        title = (report.title.start, report.title.end) if report.title is not None else (-1, -1)
        headed = sorted((s.start, s.heading_end) for s in report.sections if s.level > 0)
        head_starts = [a for a, _ in headed]
        events: list[tuple[int, int, Scope | None, int]] = []
        for section in report.sections:
            if section.level > 0:
                named = heading_scope(rules, section.heading, covered)
                events.append((section.start, 0, named, section.level))
        # a sentence can open with a period phrase only if a period word stands near its start: look where
        # those words are (few) rather than at every sentence
        sentences = report.sentences
        starts = [s.start for s in sentences]
        pos, size = 0, len(text)
        while (m := _PHRASE_CHARS.search(text, pos)) is not None:
            k = bisect.bisect_right(starts, m.start()) - 1
            following = starts[k + 1] if k + 1 < len(starts) else size
            if k < 0:
                pos = following
                continue
            start = starts[k]
            h = bisect.bisect_right(head_starts, start) - 1
            if h >= 0 and start < headed[h][1]:
                start = headed[h][1]  # a heading that runs on into its body: the body's opening
            if m.start() < start:  # in the heading: look again from the body's opening
                pos = start
                continue
            pos = max(following, m.end())  # one look per sentence
            if m.start() >= start + 24 or title[0] <= start < title[1]:
                continue
            match = _opening(rules, text, start, sentences[k].end)
            if match is not None:
                if rules.date_month.match(text, match.end()):  # 2026年8月，…: a date, for its sentence
                    events.append((start, 2, _resolve(rules, match, covered, text), 0))
                    events.append((sentences[k].end, -1, None, 0))
                else:
                    events.append((start, 1, _resolve(rules, match, covered, text), 0))
        events.sort(key=lambda e: (e[0], e[1]))
        state: Scope = NO_SCOPE
        saved: Scope = NO_SCOPE
        in_section: dict[int, Scope] = {0: NO_SCOPE}
        """Level → the period in force in the body of the current section of that level (level 0: before
        any heading), openings there included: what a sub-section that names none takes."""
        current = 0
        self._starts: list[int] = []
        self._scopes: list[Scope] = []
        for position, kind, scope, level in events:
            if kind == 0:  # a heading: a level-1 one sets its period or none, a deeper one its own
                if level <= 1:  # … or the one in force in its parent section's body
                    state = scope or NO_SCOPE
                else:
                    state = scope or in_section[max(k for k in in_section if k < level)]
                for deeper in [k for k in in_section if k >= level]:
                    del in_section[deeper]
                in_section[level] = state
                current = level
            elif kind == 1:
                if scope is not None:
                    state = in_section[current] = scope
            elif kind == 2:  # a date opening its sentence
                saved = state
                if scope is not None:
                    state = scope
            else:  # the end of a sentence that opened with a date: the period before it again
                state = saved
            self._starts.append(position)
            self._scopes.append(state)

    def at(self, offset: int) -> Scope:
        """The period in force at `offset`."""
        i = bisect.bisect_right(self._starts, offset) - 1
        return self._scopes[i] if i >= 0 else NO_SCOPE


# ------------------------------------------------------------------------------------------- meaning


class Meaning(NamedTuple):
    """What :func:`read_meaning` finds for one figure (a named tuple: made once per figure, cheaply)."""

    direction: str | None
    role: str
    qualifier: str | None
    period: Period | None
    detail: bool = False


_BREAK = regex.compile("[，。；：！？\n,;!?]")
_BREAK_BACK = regex.compile("[，。；：！？\n,;!?]", regex.REVERSE)


def clause_start(text: str, pos: int, limit: int = 80) -> int:
    """Start of the clause holding `pos` (after ，。；：！？ or a line break; a list comma does not end
    it)."""
    lo = max(0, pos - limit)
    m = _BREAK_BACK.search(text, lo, pos)
    return m.end() if m is not None else lo


def clause_end(text: str, pos: int, limit: int = 40) -> int:
    """End of the clause holding `pos`."""
    hi = min(len(text), pos + limit)
    m = _BREAK.search(text, pos, hi)
    return m.start() if m is not None else hi


class MeaningCache:
    """What the meaning rules find in one text's clauses and sentences, kept for the figures that share
    them (a clause or a sentence often holds several figures). One per text; not shared across texts."""

    __slots__ = ("_clauses", "_firsts", "_openings", "cues")

    def __init__(self) -> None:
        self.cues: dict[int, int] = {}
        """Sentence start → where the first sentence cue of the meaning rules stands in it (−1: none)."""
        self._firsts: dict[tuple[int, int], tuple[int, int]] = {}
        self._clauses: dict[int, list[tuple[int, int, Any]]] = {}
        self._openings: dict[int, Any] = {}

    def first(self, pattern: Pattern, text: str, start: int, end: int) -> tuple[int, int]:
        """(start, end) of the leftmost match of `pattern` in ``text[start:end]`` ((−1, −1) when none)."""
        key = (id(pattern), start)
        found = self._firsts.get(key)
        if found is None:
            m = pattern.search(text, start, end)
            found = self._firsts[key] = m.span() if m is not None else (-1, -1)
        return found

    def anywhere(self, rules: MeaningRules, text: str, cs: int) -> list[tuple[int, int, Any]]:
        """(start, end, match) of the phrases that may stand anywhere in the clause starting at `cs`."""
        found = self._clauses.get(cs)
        if found is None:
            ce = clause_end(text, cs, 200)
            found = []
            if _may_name_a_period(text, cs, ce):
                for m in rules.phrase_re.finditer(text, cs, ce):
                    index = next(i for i, g in enumerate(rules.phrase_groups) if m.group(g) is not None)
                    if index in rules.anywhere and not _compared(rules, text, m.start(), cs):
                        found.append((m.start(), m.end(), m))
            self._clauses[cs] = found
        return found

    def opening(self, rules: MeaningRules, text: str, start: int) -> Any:
        """The match of a period phrase opening the clause or sentence at `start` (``None`` when none)."""
        if start not in self._openings:
            m = None
            end = clause_end(text, start, 200)
            if _may_name_a_period(text, start, min(end, start + 24)):
                m = rules.opening_re.match(text, start, end)
                if m is not None and rules.opening_stop.match(text, m.end(), end):
                    m = None
            self._openings[start] = m
        return self._openings[start]


_EARLIER_CLAUSES = 6
"""How many clauses before a figure's own in its sentence may lend it the year they open with."""
_CLAUSE_REACH = 80 * (_EARLIER_CLAUSES + 1)
"""How far back those clauses can start (80 characters a clause at most)."""


def _figure_scope(
    rules: MeaningRules,
    text: str,
    cs: int,
    lead: int,
    sentence_start: int,
    covered: Period | None,
    cache: MeaningCache,
    *,
    scoped: bool = False,
) -> Scope | None:
    """The period named in the figure's own clause or sentence (nearest first), or ``None``.

    `scoped`: the period in force (:class:`PeriodScopes`) already holds the one its sentence opens with."""
    if _PHRASE_CHARS.search(text, cs, lead) is not None:
        m = rules.right_before_re.search(text, cs, lead)
        # 比2023年的27个: the level compared with is that year's own (比2023年增长5% is a change since)
        if m is not None and (text[m.end() - 1] == "的" or not _compared(rules, text, m.start(), cs)):
            year = _year_named(m, covered.end_year if covered is not None else None)
            if year is None:
                return None
            if covered is not None and covered.year == covered.end_year == year:
                return ("year", covered)
            return ("year", Period(year, year))
        best = None
        for _start, end, match in cache.anywhere(rules, text, cs):
            if end <= lead:
                best = match
        if best is not None:
            return _resolve(rules, best, covered, text)
    elif sentence_start >= cs:
        return None
    # the figure's clause, then the clauses before it in its part of the sentence (up to a ；), nearest
    # first, when one opens with a single year (作为对比，2023年全局完成审计项目24个，查出问题金额2.16亿元:
    # 2023 holds on), then the sentence's opening (held by the period scopes when `scoped`)
    starts: list[tuple[int, bool]] = []
    if sentence_start >= cs:
        starts = [] if scoped else [(cs, False)]
    else:
        starts = [(cs, False)]
        at = cs - 1  # the break that ends the clause before: walk back at most a few clauses
        while at > sentence_start and text[at] not in "；;" and len(starts) <= _EARLIER_CLAUSES:
            m = _BREAK_BACK.search(text, max(sentence_start, at - 80), at)
            if m is None:  # no clause starts within reach (the sentence start is checked below)
                break
            starts.append((m.end(), True))
            at = m.start()
        if not scoped:
            starts.append((sentence_start, False))
    for start, earlier in starts:
        opened = cache.opening(rules, text, start)
        if opened is not None and opened.end() <= lead:
            found = _resolve(rules, opened, covered, text)
            if earlier and found[0] != "year":
                continue  # “十四五”时期年均增长5.9%，一般公共预算收入…: a span of years does not hold on
            return found
    return None


class _Around:
    """The surroundings of one figure, read on demand by the role rules: the clause after it, and whether
    a pattern matches its sentence before it (only when the sentence holds a cue at all)."""

    __slots__ = ("cache", "cued", "lead", "limit", "rules", "ss", "tail", "text")

    def __init__(
        self,
        rules: MeaningRules,
        text: str,
        lead: int,
        tail: int,
        ss: int,
        limit: int,
        cued: bool,
        cache: MeaningCache,
    ) -> None:
        self.rules, self.text, self.lead, self.tail = rules, text, lead, tail
        self.ss, self.limit, self.cued, self.cache = ss, limit, cued, cache

    def after(self) -> str:
        """The clause after the figure."""
        return self.text[self.tail : clause_end(self.text, self.tail)]

    def in_sentence(self, pattern: Pattern) -> bool:
        """Whether `pattern` matches the sentence before the figure."""
        if not self.cued:
            return False
        text, lead, ss = self.text, self.lead, self.ss
        trigger = self.rules.triggers.get(id(pattern))
        if trigger is not None:  # anchored at the figure: the 60 characters before it, once it can match
            first = self.cache.first(trigger, text, ss, self.limit)[0]
            return 0 <= first < lead and pattern.search(text, max(ss, lead - 60), lead) is not None
        end = self.cache.first(pattern, text, ss, self.limit)[1]
        return 0 <= end <= lead


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
    sentence_end: int | None = None,
    scope: Scope = NO_SCOPE,
    scoped: bool = False,
    plans: bool = False,
    covered: Period | None = None,
    header: Scope | None = None,
    cache: MeaningCache | None = None,
) -> Meaning:
    """The direction, role, qualifier and period of the figure at ``text[lead:tail]``.

    `scope` is the period in force at its sentence (:class:`PeriodScopes`; `scoped` when it was read so,
    the sentence's own opening included), `plans` whether it stands in a
    plans section, `covered` the report's covered period, `header` the period of its table column;
    `cache` keeps what is found in clauses and sentences for the other figures of the same text.
    """
    cache = cache or MeaningCache()
    direction = rules.directions.get(change) if change else None
    cs = clause_start(text, lead)
    ss = cs if sentence_start is None else min(sentence_start, cs)
    before = text[cs:lead]

    limit = sentence_end if sentence_end is not None else lead
    cue = cache.cues.get(ss)
    if cue is None:
        m = rules.sentence_cues.search(text, ss, limit)
        cue = cache.cues[ss] = m.start() if m is not None else -1
    cued = 0 <= cue < lead
    figure = _Around(rules, text, lead, tail, ss, limit, cued, cache) if cued else None

    role = "result"
    if rules.roles_before_gate.search(before) or rules.roles_after_gate.match(text, tail, tail + 12):
        figure = figure or _Around(rules, text, lead, tail, ss, limit, cued, cache)
        role = next((r.role for r in rules.roles if r.matches(before, figure)), "result")
    elif figure is not None:
        role = next((r.role for r in rules.roles_without_before if r.matches(before, figure)), role)
    if plans and role != "base":  # in a plans section every figure but a starting level is a target
        role = "target"
    qualifier = rules.qualifiers.get(approx) if approx else None
    if qualifier is None and figure is not None and figure.in_sentence(rules.estimate):
        qualifier = "approx"
    if header is not None:
        named: Scope | None = header
    elif scoped and _PHRASE_CHARS.search(text, max(ss, cs - _CLAUSE_REACH), lead) is None:
        named = None  # nothing named in the clauses before it in reach; the sentence's opening is in `scope`
    else:
        named = _figure_scope(rules, text, cs, lead, ss, covered, cache, scoped=scoped)
    kind, period = named if named is not None else scope
    if kind == "years" and role in ("result", "base", "total"):
        end_of_range = (
            rules.end_before.search(before) is not None and rules.end_needs.search(before) is not None
        )
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
    detail = rules.detail_clause.match(before) is not None or (
        figure is not None and figure.in_sentence(rules.detail_sentence)
    )
    return Meaning(direction, role, qualifier, period if kind != "none" else None, detail)
