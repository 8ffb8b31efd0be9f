"""Numeric indicators: quantities with what they count (subject), change words and canonical names.

Built on the number grammar of :mod:`auditnlp.extract.numbers`; subjects are read on characters from the
clause before the number (组织党组会学习XX次 → 党组会学习) or the noun phrase after it (XXXX名领导干部 →
领导干部). Every word list and pattern comes from the lexicon files (``change_words.tsv``,
``subject_rules.yaml``, ``indicator_names.tsv``), which users override with a folder of the same names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import regex

from auditnlp._data import Pattern, compile_pattern
from auditnlp.errors import LexiconError
from auditnlp.extract.numbers import NumberGrammar, Quantity, find_numbers, load_number_grammar
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons
from auditnlp.segment.structure import StructureIndex
from auditnlp.types import Indicator, Report

__all__ = ["IndicatorLexicon", "NameRule", "extract_indicators", "find_quantities", "load_indicator_lexicon"]

_KINDS = {"count", "money", "percent", "percent_point", "multiple", "physical", "time", "age", "*"}


@dataclass(frozen=True, slots=True)
class NameRule:
    """One row of ``indicator_names.tsv``."""

    name: str
    label: str
    kinds: frozenset[str]
    units: Pattern | None
    change: str
    subject: Pattern | None
    context: Pattern | None

    def matches(self, subject: str | None, context: str, unit: str, kind: str, change: str | None) -> bool:
        """Whether this rule names a quantity of `kind`/`unit` with this subject, context and change."""
        if "*" not in self.kinds and kind not in self.kinds:
            return False
        if self.units is not None and not self.units.fullmatch(unit):
            return False
        if (self.change == "yes" and change is None) or (self.change == "no" and change is not None):
            return False
        if self.subject is not None and subject and self.subject.search(subject):
            return True
        return self.context is not None and self.context.search(context) is not None


@dataclass(frozen=True, slots=True)
class IndicatorLexicon:
    """Everything :func:`extract_indicators` reads from data files, compiled and frozen."""

    grammar: NumberGrammar
    change_re: Pattern
    delimiters: frozenset[str]
    tail_re: Pattern
    head_re: Pattern
    cut_re: Pattern
    after_stop_re: Pattern
    person_units: frozenset[str]
    person_head_re: Pattern
    money_noun_re: Pattern
    max_length: int
    names: tuple[NameRule, ...]
    names_by_kind: Mapping[str, tuple[NameRule, ...]]
    """The rules of :attr:`names` that accept each unit kind, in file order (a lookup index)."""
    name_gate_by_kind: Mapping[str, tuple[Pattern | None, Pattern | None]]
    """Per unit kind, one alternation of all subject patterns and one of all context patterns: a quantity
    neither matches gets no name without testing every rule (most quantities get none)."""


def _alt(words: Sequence[str]) -> str:
    return "|".join(regex.escape(str(w)) for w in sorted(set(words), key=lambda w: (-len(str(w)), str(w))))


def build_indicator_lexicon(lex: Lexicons) -> IndicatorLexicon:
    """Compile the subject, change-word and canonical-name lexicons of `lex`."""
    changes = [row["word"] for _, row in lex.tsv("change_words.tsv", required=("word",))]
    rules = lex.yaml_mapping("subject_rules.yaml")
    where = lex.where("subject_rules.yaml")
    tail_alts = [_alt(rules.get("tail_words", ()))] + [
        str(p).rstrip("$") for p in rules.get("tail_patterns", ())
    ]
    names: list[NameRule] = []
    names_where = lex.where("indicator_names.tsv")
    seen: set[str] = set()
    for lineno, row in lex.tsv("indicator_names.tsv", required=("name", "kinds", "change")):
        kinds = frozenset(k.strip() for k in row["kinds"].split(",") if k.strip())
        if not kinds <= _KINDS or row["change"] not in {"yes", "no", "*"}:
            raise LexiconError(
                names_where, f"line {lineno}: bad kinds or change ({row['kinds']!r}, {row['change']!r})"
            )
        if row["name"] in seen:
            raise LexiconError(names_where, f"line {lineno}: duplicate name {row['name']!r}")
        if not row.get("subject") and not row.get("context"):
            raise LexiconError(names_where, f"line {lineno}: needs a subject or a context pattern")
        seen.add(row["name"])
        names.append(
            NameRule(
                name=row["name"],
                label=row.get("label", ""),
                kinds=kinds,
                units=compile_pattern(row["units"], names_where) if row.get("units") else None,
                change=row["change"],
                subject=compile_pattern(row["subject"], names_where) if row.get("subject") else None,
                context=compile_pattern(row["context"], names_where) if row.get("context") else None,
            )
        )
    by_kind = {kind: tuple(n for n in names if "*" in n.kinds or kind in n.kinds) for kind in _KINDS - {"*"}}
    return IndicatorLexicon(
        grammar=load_number_grammar(lex),
        # the change word right before the number: 同比增长5.4%, 增长了3%, 分别下降
        change_re=compile_pattern(f"(?P<change>{_alt(changes)})(?:了|达|为|分别为|分别)?$", where),
        delimiters=frozenset(str(rules.get("delimiters", "，。；\n"))),
        tail_re=compile_pattern(f"(?:{'|'.join(tail_alts)})$", where),
        head_re=compile_pattern(f"^(?:{_alt(rules.get('head_words', ()))})", where),
        cut_re=compile_pattern(f"(?:{_alt(rules.get('cut_verbs', ()))})", where),
        after_stop_re=compile_pattern(f"(?:{_alt(rules.get('after_stops', ()))})", where),
        person_units=frozenset(str(u) for u in rules.get("person_units", ())),
        person_head_re=compile_pattern(f"(?:{_alt(rules.get('person_heads', ()))})", where),
        money_noun_re=compile_pattern(f"(?:{_alt(rules.get('money_nouns', ()))})$", where),
        max_length=int(rules.get("max_length", 16)),
        names=tuple(names),
        names_by_kind=MappingProxyType(by_kind),
        name_gate_by_kind=MappingProxyType({kind: _gate(r, names_where) for kind, r in by_kind.items()}),
    )


def _gate(rules: tuple[NameRule, ...], where: str) -> tuple[Any, Any]:
    """One alternation of the subject patterns and one of the context patterns of `rules`."""

    def union(patterns: list[str]) -> Any:
        return compile_pattern("|".join(f"(?:{p})" for p in patterns), where) if patterns else None

    return (
        union([r.subject.pattern for r in rules if r.subject is not None]),
        union([r.context.pattern for r in rules if r.context is not None]),
    )


def load_indicator_lexicon(lexicon: LexiconsLike = None) -> IndicatorLexicon:
    """The compiled indicator lexicon of `lexicon` (a bundle or a user folder; ``None``: packaged)."""
    return as_lexicons(lexicon).part("indicators", build_indicator_lexicon)


_STOP_AFTER = regex.compile(r"[^\p{Han}“”]")


def _before_clause(text: str, lex: IndicatorLexicon, lead: int, floor: int) -> int:
    i = lead
    lo = max(floor, lead - 40)
    while i > lo and text[i - 1] not in lex.delimiters:
        i -= 1
    return i


def _clause_end(text: str, lex: IndicatorLexicon, pos: int) -> int:
    end = min(len(text), pos + 16)
    for i in range(pos, end):
        if text[i] in lex.delimiters:
            return i
    return end


def _strip_tail(lex: IndicatorLexicon, clause: str) -> str:
    while clause:
        m = lex.tail_re.search(clause)
        if m is None or m.start() == m.end():
            return clause
        clause = clause[: m.start()]
    return clause


def _strip_head(lex: IndicatorLexicon, clause: str) -> str:
    while clause:
        m = lex.head_re.match(clause)
        if m is None or m.end() == m.start():
            return clause
        clause = clause[m.end() :]
    return clause


def _subject_before(lex: IndicatorLexicon, clause: str) -> str:
    clause = _strip_tail(lex, clause)
    cut = None
    for m in lex.cut_re.finditer(clause, overlapped=False):
        if m.end() < len(clause):
            cut = m
    if cut is not None:
        clause = clause[cut.end() :]
    ending = [m for m in lex.cut_re.finditer(clause) if m.end() == len(clause) and m.start() > 0]
    if ending:
        clause = clause[: ending[-1].start()]  # 帮扶XXX村新建 → XXX村
    clause = _strip_head(lex, _strip_tail(lex, clause))
    if "等" in clause[1:]:
        clause = clause[clause.rindex("等") + 1 :] or clause  # “A”“B”等专题研讨 → 专题研讨
    return _balance_quotes(clause[-lex.max_length :])


def _balance_quotes(phrase: str) -> str:
    phrase = phrase.strip("\"' ")
    if phrase.count("“") != phrase.count("”"):
        phrase = phrase.replace("“", "").replace("”", "")
    return phrase


def _subject_after(lex: IndicatorLexicon, text: str, pos: int, q: Quantity) -> str:
    end = min(len(text), pos + lex.max_length)
    if lex.after_stop_re.match(text, pos):
        return ""
    i = pos
    while i < end:
        if i > pos and lex.after_stop_re.match(text, i):
            break
        if _STOP_AFTER.match(text, i) and text[i] not in "“”":
            break
        i += 1
    phrase = text[pos:i]
    if len(phrase) < 2:
        return ""
    if q.unit_kind == "money":
        m = lex.money_noun_re.search(phrase)
        return phrase if m and m.end() == len(phrase) and len(phrase) <= 6 else ""
    if q.unit_kind not in ("count", "physical"):
        return ""
    if q.unit.lstrip("十百千万亿") in lex.person_units:
        head = lex.person_head_re.search(phrase)
        if head is not None:
            phrase = phrase[: head.end()]
    return _balance_quotes(phrase)


def _name(
    lex: IndicatorLexicon, subject: str | None, context: str, q: Quantity, change: str | None
) -> str | None:
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
    for rule in lex.names_by_kind.get(q.unit_kind, lex.names):
        if rule.matches(subject, context, unit, q.unit_kind, change):
            return rule.name
    return None


@dataclass(frozen=True, slots=True)
class _Draft:
    q: Quantity
    change: str | None
    subject: str | None
    name: str | None


def _drafts(text: str, lex: IndicatorLexicon, start: int = 0, end: int | None = None) -> Iterator[_Draft]:
    prev: _Draft | None = None
    for q in find_numbers(text, start=start, end=end, grammar=lex.grammar):
        floor = prev.q.tail if prev is not None else 0
        cs = _before_clause(text, lex, q.lead, floor)
        left = text[cs : q.lead]
        change = None
        m = lex.change_re.search(left)
        if m is not None:
            change = m.group("change")
            left = left[: m.start()]
        after = _subject_after(lex, text, q.tail, q)
        subject = after or _subject_before(lex, left) or None
        if (
            subject is None
            and prev is not None
            and q.lead - prev.q.tail <= 12
            and not any(c in "。；！？\n" for c in text[prev.q.tail : q.lead])
        ):
            # 地区生产总值31534亿元、增长3.3%; 从3826.5亿元增长到4398.6亿元: the subject carries over
            subject = prev.subject
        context = text[cs : q.lead] + "|" + text[q.tail : _clause_end(text, lex, q.tail)]
        draft = _Draft(q, change, subject, _name(lex, subject, context, q, change))
        yield draft
        prev = draft


def _indicator(d: _Draft, sentence: int, paragraph: int, section: int) -> Indicator:
    q = d.q
    return Indicator(
        start=q.start,
        end=q.end,
        text=q.text,
        number=q.number,
        value=q.value,
        value_max=q.value_max,
        masked=q.masked,
        mask=q.mask,
        approx=q.approx,
        unit=q.unit,
        unit_kind=q.unit_kind,
        base_value=q.base_value,
        base_unit=q.base_unit,
        change=d.change,
        subject=d.subject,
        name=d.name,
        flag=q.flag,
        sentence=sentence,
        paragraph=paragraph,
        section=section,
    )


def extract_indicators(report: Report, /, *, lexicon: LexiconsLike = None) -> Iterator[Indicator]:
    """Yield the numeric indicators of `report` in document order, with sentence/paragraph/section ids.

    `lexicon` is a :class:`~auditnlp.lexicon.Lexicons` bundle or a folder of user lexicon files
    (``None``: the packaged lexicons).
    """
    lex = load_indicator_lexicon(lexicon)
    index = StructureIndex(report)
    for d in _drafts(report.text, lex):
        yield _indicator(d, *index.locate(d.q.start))


def find_quantities(text: str, /, *, lexicon: LexiconsLike = None) -> list[Indicator]:
    """Return the indicators of a plain string (no report structure: sentence/paragraph/section are 0)."""
    lex = load_indicator_lexicon(lexicon)
    return [_indicator(d, 0, 0, 0) for d in _drafts(text, lex)]
