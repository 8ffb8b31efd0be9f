"""Numeric indicators: quantities with what they count (subject), what they mean and a canonical name.

Built on the number grammar of :mod:`auditnlp.extract.numbers`; subjects come from
:mod:`auditnlp.extract.subjects` (the clause before the number, the noun phrase after it, distributive lists,
table rows), canonical names from ``indicator_names.tsv`` and the meaning of each figure — signed change,
role, qualifier and period — from :mod:`auditnlp.extract.meaning`. Every word list and pattern comes from the
lexicon files, which users override with a folder of the same names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

import regex

from auditnlp.extract.indicator_rules import IndicatorLexicon, NameRule, load_indicator_lexicon
from auditnlp.extract.meaning import (
    NO_SCOPE,
    MeaningCache,
    MeaningRules,
    PeriodScopes,
    Scope,
    covered_period,
    header_scope,
    load_meaning_rules,
    read_meaning,
)
from auditnlp.extract.numbers import Quantity, TableCells, find_numbers, without_cell_unit
from auditnlp.extract.subjects import (
    before_clause,
    implied_subject,
    is_comparison,
    list_members,
    list_subjects,
    strip_head,
    strip_tail,
    subject_after,
    subject_before,
    subject_clause_end,
    without_insertions,
)
from auditnlp.lexicon import LexiconsLike
from auditnlp.segment.structure import StructureIndex
from auditnlp.types import Indicator, Period, Report, Section

__all__ = ["IndicatorLexicon", "NameRule", "extract_indicators", "find_quantities", "load_indicator_lexicon"]

_SENTENCE_ENDS = "。；！？\n"
_TOTAL_ENDS = "。！？\n"
"""What ends the run of parts before a total: a full stop, not a ； (违规金额…；管理不规范金额…；合计…:
the parts of a list are often set apart by semicolons; the values must add up all the same)."""


def _name(
    lex: IndicatorLexicon,
    subject: str | None,
    context: str,
    q: Quantity,
    change: str | None,
    headings: str = "",
) -> NameRule | None:
    """The first name rule that names `q` (with this subject, context and change) and does not exclude the
    section it stands in (`headings`: the headings of its section and those above it)."""
    if q.flag is not None:
        return None
    gate = lex.name_gate_by_kind.get(q.unit_kind)
    if gate is not None:
        subject_gate, context_gate = gate
        if not (subject and subject_gate is not None and subject_gate.search(subject)) and not (
            context_gate is not None and context_gate.search(context)
        ):
            return None
    unit = q.unit.lstrip("十百千万亿")
    chunks = lex.name_chunks_by_kind.get(q.unit_kind)
    if chunks is None:
        return next(
            (
                r
                for r in lex.names
                if r.matches(subject, context, unit, q.unit_kind, change) and not r.excludes_section(headings)
            ),
            None,
        )
    for chunk in chunks:
        if chunk.may_match(subject, context):
            for rule in chunk.rules:
                if rule.matches(subject, context, unit, q.unit_kind, change) and not rule.excludes_section(
                    headings
                ):
                    return rule
    return None


@dataclass(slots=True)
class _Draft:  # not frozen: made once per figure, and a frozen dataclass is slow to make
    q: Quantity
    change: str | None
    subject: str | None
    rule: NameRule | None
    header: str | None
    """The column header of the table cell the figure stands in."""
    passes_on: str | None
    """The subject the next figure may take when it has none: the subject read before this figure
    (4个千亿台阶 counts 台阶 but passes on 地区生产总值), unless it is a comparison (高于全国)."""
    parts: tuple[int, ...] = ()
    """Indexes of the figures this total (合计5亿元) sums: they add up to it (see :func:`_summed_parts`)."""
    negative: bool = False
    """Written with a minus sign (增长-3.2%, a cell -9.2 under 增长（%）): a change that is a fall."""


def _half_step(q: Quantity) -> Decimal:
    """Half a unit of the last digit `q` states, in its base unit: how far a rounded figure may be off."""
    assert q.value is not None and q.base_value is not None
    exponent = q.value.as_tuple().exponent
    step = Decimal(5).scaleb((exponent if isinstance(exponent, int) else 0) - 1)
    return abs(step * q.base_value / q.value) if q.value else step


def _summed_parts(text: str, lex: IndicatorLexicon, q: Quantity, drafts: Sequence[_Draft]) -> tuple[int, ...]:
    """The figures right before `q` in its sentence whose values add up to it (two at least, levels of
    its base unit, stated exactly): the parts a total (合计) sums; ``()`` when no run of them does."""
    if q.base_value is None or q.value is None or q.value_max is not None:
        return ()
    tolerance = _half_step(q)
    total = Decimal(0)
    first = len(drafts)
    while first > 0 and len(drafts) - first < lex.total_parts:
        part = drafts[first - 1]
        p = part.q
        if (
            p.base_value is None
            or p.value is None
            or p.value_max is not None
            or p.base_unit != q.base_unit
            or p.flag is not None
            or part.change is not None
            or part.parts
            or any(c in _TOTAL_ENDS for c in text[p.tail : q.lead])
        ):
            return ()
        first -= 1
        total += p.base_value
        tolerance += _half_step(p)
        if len(drafts) - first >= 2 and abs(total - q.base_value) <= tolerance:
            return tuple(range(first, len(drafts)))
        if total > q.base_value + tolerance:
            return ()
    return ()


def _list_again(
    text: str, lex: IndicatorLexicon, q: Quantity, count: int, subjects: list[str | None], end: int
) -> list[str | None] | None:
    """The subjects of the list that ended at `end`, for a list word right after it that names none
    (城乡居民人均可支配收入分别达到45826元、24310元，分别增长4.6%、6.9%): same count, same sentence, nothing
    but punctuation before the list word."""
    k = text.rfind(lex.list_word, end, q.lead)
    if len(subjects) != count or k < 0 or k - end > 4:  # only punctuation between: a few characters
        return None
    return subjects if not text[end:k].strip(" ，,、") else None


def _domain(lex: IndicatorLexicon, subject: str, between: str) -> str | None:
    """What a subject names before its head noun (粮食播种面积 → 粮食), lent to a bare head in the next
    clause of the same sentence (总产量); ``None`` when the subject ends with no known head or the
    sentence ends between."""
    if len(between) > 24 or any(c in _SENTENCE_ENDS for c in between):
        return None
    head = next((h for h in lex.bare_heads if subject.endswith(h) and len(subject) > len(h)), None)
    return subject[: -len(head)] if head is not None else None


def _shared_tail(words: Sequence[str]) -> str:
    """The longest ending all of `words` share (违规问题金额, 管理不规范问题金额 → 问题金额)."""
    shortest = min(words, key=len, default="")
    n = 0
    while n < len(shortest) and all(w[-1 - n] == shortest[-1 - n] for w in words):
        n += 1
    return shortest[len(shortest) - n :]


def _mark_parts(found: list[Indicator], drafts: Sequence[_Draft]) -> None:
    """The parts a total sums are detail figures; a total of detail figures (其中…合计) is one too."""
    for k, draft in enumerate(drafts):
        if draft.parts:
            if all(found[j].detail for j in draft.parts) and not found[k].detail:
                found[k] = replace(found[k], detail=True)
            for j in draft.parts:
                if not found[j].detail:
                    found[j] = replace(found[j], detail=True)


_SENTENCE_BREAK = regex.compile("[。；！？\n]")
_SENTENCE_BREAK_BACK = regex.compile("[。；！？\n]", regex.REVERSE)


def _sentence_start(text: str, pos: int, limit: int = 200) -> int:
    lo = max(0, pos - limit)
    m = _SENTENCE_BREAK_BACK.search(text, lo, pos)
    return m.end() if m is not None else lo


def _sentence_end(text: str, pos: int, limit: int = 400) -> int:
    hi = min(len(text), pos + limit)
    m = _SENTENCE_BREAK.search(text, pos, hi)
    return m.start() if m is not None else hi


def _drafts(
    text: str, lex: IndicatorLexicon, headings: Callable[[int], str] | None = None
) -> Iterator[_Draft]:
    """The figures of `text` with their change, subject and name rule, in order; `headings` gives the
    headings over a position (for the rules that exclude sections), none when ``None``."""
    quantities = list(find_numbers(text, grammar=lex.grammar))
    drafts: list[_Draft] = []
    last_list: tuple[list[str | None], int] | None = None
    """The subjects of the last distributive list and where its values end."""
    tables = TableCells(text) if " | " in text else None
    has_lists = lex.list_word in text
    listed: dict[int, tuple[str | None, str | None]] = {}
    """Figures of a distributive list after its first: index → (subject, change)."""
    unnamed: set[int] = set()
    prev: _Draft | None = None
    for i, q in enumerate(quantities):
        floor = prev.q.tail if prev is not None else 0
        cs = before_clause(text, lex, q.lead, floor)
        clause = without_insertions(text[cs : q.lead])  # 审计（调查）项目 → 审计项目
        negative = (
            q.lead == q.start
            and q.start > cs
            and text[q.start - 1] in lex.minus_signs
            and (q.start == 1 or not (text[q.start - 2].isdigit() or text[q.start - 2] in "XxＸｘ%.*○"))
        )
        left = clause[:-1] if negative and clause else clause  # 增长-3.2%: the change word before the sign
        change = None
        m = lex.change_re.search(left)
        if m is not None:
            change = m.group("change")
            left = left[: m.start()]
        total = lex.total_re is not None and lex.total_re.match(left) is not None
        parts: tuple[int, ...] = ()
        header = None
        cell = tables.cell(q.start) if tables is not None else None
        if cell is not None:
            label = without_cell_unit(cell[0])  # 人均可支配收入（元）: the unit is not part of the name
            subject = strip_head(lex, strip_tail(lex, label)) or None
            header = cell[1]
            if change is None and header:  # 指标 | 上年 | 本年 | 增长（%）: the cells of a column of changes
                change = lex.header_change(without_cell_unit(header))
        elif i in listed:
            subject, change = listed[i][0], listed[i][1] or change
        else:
            after = subject_after(lex, text, q.tail, q)
            # the subject before the figure: its subject, or what it passes on to a figure close after it
            close = i + 1 < len(quantities) and quantities[i + 1].lead - q.tail <= 12
            before = subject_before(lex, left) or None if not after or close else None
            subject = after or before
            members = list_members(text, lex, quantities, i) if has_lists else None
            if members is not None:
                subjects = list_subjects(text, lex, q.lead, len(members))
                if subjects is None and last_list is not None:
                    subjects = _list_again(text, lex, q, len(members), *last_list)
                if subjects is not None:
                    last_list = (subjects, quantities[members[-1]].tail)
                if subjects is None:  # as many subjects as values unknown: no name rather than a guess
                    unnamed.update(members)
                    listed.update({j: (None, change) for j in members[1:]})
                else:
                    subject = subjects[0]
                    listed.update({j: (s, change) for j, s in zip(members[1:], subjects[1:], strict=True)})
            elif total:  # 合计5亿元: the sum of the figures before it, not its last part
                parts = _summed_parts(text, lex, q, drafts)
                named = [drafts[j].subject or "" for j in parts]
                if subject is None and named and all(named):
                    # what the parts share (违规问题金额、管理不规范问题金额 → 问题金额), else all of them
                    shared = _shared_tail(named)
                    subject = before = shared if len(shared) >= 2 else "、".join(named)
            elif (
                subject is None
                and prev is not None
                and prev.passes_on
                and q.lead - prev.q.tail <= 12
                and not any(c in _SENTENCE_ENDS for c in text[prev.q.tail : q.lead])
                and not is_comparison(lex, prev.passes_on)
            ):
                # 地区生产总值31534亿元、增长3.3%; 从3826.5亿元增长到4398.6亿元: the subject carries over
                subject = before = prev.passes_on
            elif subject in lex.bare_heads and prev is not None and prev.passes_on:
                # 粮食播种面积稳定在68.3万亩，总产量达到5.62亿斤: the 总产量 of the 粮食 before it
                domain = _domain(lex, prev.passes_on, text[prev.q.tail : q.lead])
                subject = before = domain + subject if domain else subject
            if (subject is None or len(subject) <= 2) and q.unit_kind in lex.implied_kinds:
                implied = implied_subject(
                    lex, subject, text[_sentence_start(text, q.lead) : q.lead], q.unit_kind, change
                )
                subject = implied or subject
        context = clause + "|" + text[q.tail : subject_clause_end(text, lex, q.tail)]
        rule = (
            None
            if i in unnamed
            else _name(lex, subject, context, q, change, headings(q.start) if headings is not None else "")
        )
        if rule is not None and any(drafts[j].rule is rule for j in parts):
            rule = None  # a sum is none of its parts: 违规金额 + 损失浪费 is no 违规金额
        passes = before if cell is None and i not in listed and before else subject
        draft = _Draft(q, change, subject, rule, header, passes, parts, negative)
        drafts.append(draft)
        yield draft
        prev = draft


def _indicator(
    d: _Draft,
    rules: MeaningRules,
    text: str,
    located: tuple[int, int, int],
    *,
    sentence_start: int,
    sentence_end: int | None = None,
    scope: Scope = NO_SCOPE,
    scoped: bool = False,
    plans: bool = False,
    covered: Period | None = None,
    cache: MeaningCache | None = None,
) -> Indicator:
    q = d.q
    header = header_scope(rules, d.header, covered) if d.header else None
    meaning = read_meaning(
        rules,
        text,
        lead=q.lead,
        tail=q.tail,
        change=d.change,
        approx=q.approx,
        unit_kind=q.unit_kind,
        multi_year=d.rule.multi_year if d.rule is not None else "",
        sentence_start=sentence_start,
        sentence_end=sentence_end,
        scope=scope,
        scoped=scoped,
        plans=plans or bool(d.header and rules.target_header.search(d.header)),
        covered=covered,
        header=header,
        cache=cache,
    )
    sentence, paragraph, section = located
    direction = "down" if d.negative and meaning.direction == "up" else meaning.direction
    values = (
        q.start,
        q.end,
        q.text,
        q.number,
        q.value,
        q.value_max,
        q.masked,
        q.mask,
        q.approx,
        q.unit,
        q.unit_kind,
        q.base_value,
        q.base_unit,
        d.change,
        d.subject,
        d.rule.name if d.rule is not None else None,
        q.flag,
        sentence,
        paragraph,
        section,
        direction,
        meaning.role,
        meaning.qualifier,
        meaning.period,
        meaning.detail,
    )
    if _POSITIONAL:  # a call with 25 keywords costs twice as much as one with 25 positions
        return Indicator(*values)
    by_name: dict[str, Any] = dict(zip(_FIELDS, values, strict=True))
    return Indicator(**by_name)


_FIELDS = (
    "start",
    "end",
    "text",
    "number",
    "value",
    "value_max",
    "masked",
    "mask",
    "approx",
    "unit",
    "unit_kind",
    "base_value",
    "base_unit",
    "change",
    "subject",
    "name",
    "flag",
    "sentence",
    "paragraph",
    "section",
    "direction",
    "role",
    "qualifier",
    "period",
    "detail",
)
"""The fields :func:`_indicator` fills, in the order it lists their values."""
_POSITIONAL = tuple(f.name for f in fields(Indicator)) == _FIELDS
"""Whether :class:`Indicator` declares exactly those fields in that order (else keywords are used)."""


def _total_rule(
    d: _Draft, drafts: list[_Draft], rules: MeaningRules, lex: IndicatorLexicon
) -> NameRule | None:
    """The name of a total (合计…) whose parts are named parts of a derived total (``totals`` of
    indicator_meaning.yaml): 违规金额…；管理不规范金额…；合计16,462万元 is the 查出问题金额."""
    parts = [drafts[j].rule for j in d.parts]
    names = {rule.name for rule in parts if rule is not None}
    if len(names) < 2 or None in parts:
        return None
    for total in rules.totals.values():
        if names <= set(total.parts):
            return lex.names_by_name.get(total.stated)
    return None


def _headings_over(report: Report, index: StructureIndex) -> Callable[[int], str]:
    """A function giving the headings over a position of `report`: its section's and its ancestors', joined
    by ``｜`` (what a name rule's ``exclude_section`` is searched in)."""
    by_id = {s.id: s for s in report.sections}
    paths: dict[int, str] = {}
    for section in report.sections:
        heads = []
        current: Section | None = section
        while current is not None and current.level > 0:
            heads.append(current.heading)
            current = by_id.get(current.parent) if current.parent is not None else None
        paths[section.id] = "｜".join(reversed(heads))
    return lambda pos: paths.get(index.locate(pos)[2], "")


def _share_in_runs(found: list[Indicator], text: str, lex: IndicatorLexicon) -> list[Indicator]:
    """Figures joined by list separators only (5%和3%以内, 超过8万元、4.5万元, 接连突破8万亿元、9万亿元,
    从2021年的46503元和16935元) share the qualifier said once for the run and the role of its first figure
    when that is a base or a threshold."""
    if lex.list_gap_re is None:
        return found
    out = list(found)
    start = 0
    for i in range(1, len(out) + 1):
        if (
            i < len(out)
            and out[i].start - out[i - 1].end <= 4
            and lex.list_gap_re.fullmatch(text, out[i - 1].end, out[i].start) is not None
        ):
            continue
        run = out[start:i]
        if len(run) > 1:
            qualifiers = {r.qualifier for r in run} - {None}
            qualifier = qualifiers.pop() if len(qualifiers) == 1 else None
            head = run[0]
            for j in range(start, i):
                ind = out[j]
                if qualifier is not None and ind.qualifier is None:
                    ind = replace(ind, qualifier=qualifier)
                if j > start and head.role in ("base", "threshold") and ind.role == "result":
                    ind = replace(
                        ind, role=head.role, period=head.period if head.role == "base" else ind.period
                    )
                out[j] = ind
        start = i
    return out


def extract_indicators(report: Report, /, *, lexicon: LexiconsLike = None) -> Iterator[Indicator]:
    """Yield the numeric indicators of `report` in document order, with sentence/paragraph/section ids.

    `lexicon` is a :class:`~auditnlp.lexicon.Lexicons` bundle or a folder of user lexicon files
    (``None``: the packaged lexicons).
    """
    lex = load_indicator_lexicon(lexicon)
    rules = load_meaning_rules(lexicon)
    covered = covered_period(report.meta)
    index = StructureIndex(report)
    scopes = PeriodScopes(report, rules, covered)
    plans = {s.id for s in report.sections if s.role == "plans"}
    starts = {s.id: s.start for s in report.sentences}
    ends = {s.id: s.end for s in report.sentences}
    text = report.text
    found = []
    drafts: list[_Draft] = []
    cache = MeaningCache()
    headings = _headings_over(report, index) if lex.excludes_sections else None
    for d in _drafts(text, lex, headings):
        if d.parts and d.rule is None:
            d.rule = _total_rule(d, drafts, rules, lex)
        drafts.append(d)
        located = index.locate(d.q.start)
        found.append(
            _indicator(
                d,
                rules,
                text,
                located,
                sentence_start=starts[located[0]]
                if located[0] in starts
                else _sentence_start(text, d.q.lead),
                sentence_end=ends[located[0]] if located[0] in ends else _sentence_end(text, d.q.tail),
                scope=scopes.at(d.q.start),
                scoped=True,
                plans=located[2] in plans,
                covered=covered,
                cache=cache,
            )
        )
    _mark_parts(found, drafts)
    yield from _share_in_runs(found, text, lex)


def find_quantities(text: str, /, *, lexicon: LexiconsLike = None) -> list[Indicator]:
    """Return the indicators of a plain string (no report structure: sentence/paragraph/section are 0).

    With no report there is no covered period: a figure's period is set only where its clause or
    sentence names one.
    """
    lex = load_indicator_lexicon(lexicon)
    rules = load_meaning_rules(lexicon)
    cache = MeaningCache()
    drafts = list(_drafts(text, lex))
    found = [
        _indicator(
            d,
            rules,
            text,
            (0, 0, 0),
            sentence_start=_sentence_start(text, d.q.lead),
            sentence_end=_sentence_end(text, d.q.tail),
            cache=cache,
        )
        for d in drafts
    ]
    _mark_parts(found, drafts)
    return _share_in_runs(found, text, lex)
