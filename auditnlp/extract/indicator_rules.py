"""The indicator lexicon: canonical-name rules, subject rules and change words, compiled and frozen.

Read from ``indicator_names.tsv``, ``subject_rules.yaml`` and ``change_words.tsv`` (and the number grammar of
:mod:`auditnlp.extract.numbers`); users override any of them with a folder of the same names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import regex

from auditnlp._data import Pattern, check, compile_pattern, get, items, line_of, need
from auditnlp.errors import LexiconError
from auditnlp.extract.numbers import NumberGrammar, load_number_grammar
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons

__all__ = [
    "ImpliedSubject",
    "IndicatorLexicon",
    "NameRule",
    "build_indicator_lexicon",
    "load_indicator_lexicon",
]

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
    exclude: Pattern | None = None
    """Subsets and neighbours this name must not take (跨境电商 for 进出口), searched in subject and
    context."""
    multi_year: str = ""
    """``level`` or ``sum``: how a figure stated for several years reads (empty: the unit kind's default)."""
    exclude_section: Pattern | None = None
    """Sections this name is not read in, searched in the headings over the figure (检视整改, 巡察整改: the
    office's own rectification is no audit rectification rate)."""

    def excludes_section(self, headings: str) -> bool:
        """Whether the headings over a figure (its section's and those above) keep this name out."""
        return (
            self.exclude_section is not None
            and bool(headings)
            and self.exclude_section.search(headings) is not None
        )

    def matches(self, subject: str | None, context: str, unit: str, kind: str, change: str | None) -> bool:
        """Whether this rule names a quantity of `kind`/`unit` with this subject, context and change."""
        if "*" not in self.kinds and kind not in self.kinds:
            return False
        if self.units is not None and not self.units.fullmatch(unit):
            return False
        if (self.change == "yes" and change is None) or (self.change == "no" and change is not None):
            return False
        hit = (
            self.subject is not None and bool(subject) and self.subject.search(subject or "") is not None
        ) or (self.context is not None and self.context.search(context) is not None)
        if not hit or self.exclude is None:
            return hit
        return not (self.exclude.search(context) or (subject and self.exclude.search(subject)))


@dataclass(frozen=True, slots=True)
class ImpliedSubject:
    """One row of ``implied_subjects``: the subject a figure without one takes in a sentence like this."""

    sentence: Pattern
    subject_is: Pattern | None
    kinds: frozenset[str]
    change: str
    subject: str

    def applies(self, subject: str | None, sentence: str, kind: str, change: str | None) -> bool:
        """Whether a figure of `kind` with this own subject and change, in this sentence, takes the
        subject."""
        if kind not in self.kinds or (self.change == "yes" and change is None):
            return False
        if self.change == "no" and change is not None:
            return False
        own = subject or ""
        if (self.subject_is is None and own) or (
            self.subject_is is not None and not self.subject_is.search(own)
        ):
            return False
        return self.sentence.search(sentence) is not None


@dataclass(frozen=True, slots=True)
class NameChunk:
    """A short run of name rules (in file order) with one alternation of their subject patterns and one
    of their context patterns."""

    subject: Pattern | None
    context: Pattern | None
    rules: tuple[NameRule, ...]

    def may_match(self, subject: str | None, context: str) -> bool:
        """Whether any rule of the run can match this subject or context."""
        return bool(subject and self.subject is not None and self.subject.search(subject)) or (
            self.context is not None and self.context.search(context) is not None
        )


_CHUNK = 6
"""Rules per :class:`NameChunk`."""


@dataclass(frozen=True, slots=True)
class IndicatorLexicon:
    """Everything :func:`extract_indicators` reads from data files, compiled and frozen."""

    grammar: NumberGrammar
    change_re: Pattern
    delimiters: frozenset[str]
    delimiter_re: Pattern
    """One delimiter (a character class of :attr:`delimiters`)."""
    delimiter_back_re: Pattern
    """The same, searched from the end (the last delimiter before a position)."""
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
    name_chunks_by_kind: Mapping[str, tuple[NameChunk, ...]]
    """Per unit kind, its rules in file order cut into short runs, each with the alternation of its
    patterns: a run neither alternation matches is skipped without testing its rules one by one."""
    list_word: str
    bare_heads: tuple[str, ...]
    """Head nouns that name nothing alone (总产量, 播种面积), longest first: such a subject takes what the
    subject before it in the sentence names before its own head (粮食播种面积…，总产量… → 粮食总产量)."""
    list_heads: tuple[str, ...]
    """Head nouns a distributive list item takes from the last item when it lacks one (longest first)."""
    total_re: Pattern | None
    """A total word (``total_words``) opening the clause before a figure: 合计, 共计."""
    total_parts: int
    """How many figures before a total may be its parts."""
    """The word of a distributive list (分别)."""
    list_split_re: Pattern | None
    list_gap_re: Pattern | None
    list_expansions: Mapping[str, tuple[str, ...]]
    comparison_re: Pattern | None
    implied: tuple[ImpliedSubject, ...]
    implied_kinds: frozenset[str]
    """The unit kinds any implied subject applies to."""
    names_by_name: Mapping[str, NameRule] = field(default_factory=lambda: MappingProxyType({}))
    """Each name rule by its name."""
    excludes_sections: bool = False
    """Whether any name rule has an ``exclude_section`` (then the headings over each figure are read)."""
    change_headers: tuple[tuple[Pattern, str], ...] = ()
    """A table column of changes: header (without its unit) pattern → the change word its cells take
    (指标 | 上年 | 本年 | 增长（%） → 增长)."""
    minus_signs: frozenset[str] = frozenset()
    """Characters that, right before a number (not after a digit), make a change a fall (增长-3.2%)."""

    def header_change(self, header: str) -> str | None:
        """The change word of a table column whose header (without its unit) names a change, or ``None``."""
        label = header.strip()
        return next((word for pattern, word in self.change_headers if pattern.fullmatch(label)), None)


def _longest_first(words: Sequence[str]) -> tuple[str, ...]:
    """`words` without repeats, longest first (then in code-point order): the first that matches is the
    longest."""
    return tuple(sorted({str(w) for w in words}, key=lambda w: (-len(w), w)))


def _alt(words: Sequence[str]) -> str:
    return "|".join(regex.escape(w) for w in _longest_first(words))


def _change_headers(
    rules: Mapping[str, Any], where: str, changes: Sequence[str]
) -> tuple[tuple[Pattern, str], ...]:
    """``change_headers`` of subject_rules.yaml: (header pattern, change word); the word must be one of
    change_words.tsv (it signs the cells)."""
    out = []
    for i, item in enumerate(items(rules, "change_headers", where, dict), 1):
        context = f"change_headers item {i}"
        word = need(item, "change", where, str, context=context)
        if word not in changes:
            raise LexiconError(where, f"line {line_of(item)}: {context}: {word!r} is not in change_words.tsv")
        out.append((compile_pattern(need(item, "pattern", where, str, context=context), where), word))
    return tuple(out)


def build_indicator_lexicon(lex: Lexicons) -> IndicatorLexicon:
    """Compile the subject, change-word and canonical-name lexicons of `lex`."""
    changes = [row["word"] for _, row in lex.tsv("change_words.tsv", required=("word",))]
    rules = lex.yaml_mapping("subject_rules.yaml")
    where = lex.where("subject_rules.yaml")

    def words(key: str, default: tuple[str, ...] = ()) -> list[str]:
        """The list of words (or patterns) under `key`, checked: a LexiconError names file, line and key."""
        return [str(w) for w in items(rules, key, where, (str, int), default=default)]

    tail_alts = [_alt(words("tail_words"))] + [p.rstrip("$") for p in words("tail_patterns")]
    delimiters = get(rules, "delimiters", "，。；\n", where, str)
    implied_rules = [
        (i, r) for i, r in enumerate(items(rules, "implied_subjects", where, dict), 1)
    ]  # fmt: skip
    for i, r in implied_rules:
        for key in ("sentence", "subject"):
            need(r, key, where, (str, int), context=f"implied_subjects item {i}")
        items(r, "kinds", where, str)
    expansions = get(rules, "list_expansions", {}, where, dict)
    for key, value in expansions.items():
        check(value, list, where, line_of(expansions, key), f"list_expansions key {key!r}")
    names: list[NameRule] = []
    names_where = lex.where("indicator_names.tsv")
    seen: set[str] = set()
    for lineno, row in lex.tsv("indicator_names.tsv", required=("name", "kinds", "change")):
        kinds = frozenset(k.strip() for k in row["kinds"].split(",") if k.strip())
        if not kinds <= _KINDS or row["change"] not in {"yes", "no", "*"}:
            raise LexiconError(
                names_where, f"line {lineno}: bad kinds or change ({row['kinds']!r}, {row['change']!r})"
            )
        if row.get("multi_year", "") not in {"", "level", "sum"}:
            raise LexiconError(names_where, f"line {lineno}: multi_year must be level, sum or empty")
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
                exclude=compile_pattern(row["exclude"], names_where) if row.get("exclude") else None,
                multi_year=row.get("multi_year", ""),
                exclude_section=compile_pattern(row["exclude_section"], names_where)
                if row.get("exclude_section")
                else None,
            )
        )
    by_kind = {kind: tuple(n for n in names if "*" in n.kinds or kind in n.kinds) for kind in _KINDS - {"*"}}
    return IndicatorLexicon(
        grammar=load_number_grammar(lex),
        # the change word right before the number: 同比增长5.4%, 增长了3%, 分别下降
        change_re=compile_pattern(f"(?P<change>{_alt(changes)})(?:了|达|为|分别为|分别)?$", where),
        delimiters=frozenset(delimiters),
        delimiter_re=regex.compile(f"[{regex.escape(delimiters)}]"),
        delimiter_back_re=regex.compile(f"[{regex.escape(delimiters)}]", regex.REVERSE),
        tail_re=compile_pattern(f"(?:{'|'.join(tail_alts)})$", where),
        head_re=compile_pattern(
            "^(?:" + "|".join([_alt(words("head_words")), *words("head_patterns")]) + ")",
            where,
        ),
        cut_re=compile_pattern(f"(?:{_alt(words('cut_verbs'))})", where),
        after_stop_re=compile_pattern(f"(?:{_alt(words('after_stops'))})", where),
        person_units=frozenset(words("person_units")),
        person_head_re=compile_pattern(f"(?:{_alt(words('person_heads'))})", where),
        money_noun_re=compile_pattern(f"(?:{_alt(words('money_nouns'))})$", where),
        max_length=get(rules, "max_length", 16, where, int),
        names=tuple(names),
        names_by_kind=MappingProxyType(by_kind),
        name_gate_by_kind=MappingProxyType({kind: _gate(r, names_where) for kind, r in by_kind.items()}),
        name_chunks_by_kind=MappingProxyType(
            {
                kind: tuple(
                    NameChunk(*_gate(r[i : i + _CHUNK], names_where), r[i : i + _CHUNK])
                    for i in range(0, len(r), _CHUNK)
                )
                for kind, r in by_kind.items()
            }
        ),
        list_word=get(rules, "list_word", "分别", where, str),
        bare_heads=_longest_first(words("bare_heads")),
        list_heads=_longest_first(words("list_heads")),
        total_re=compile_pattern(f"^(?:{_alt(words('total_words'))})", where)
        if rules.get("total_words")
        else None,
        total_parts=get(rules, "total_parts", 12, where, int),
        change_headers=_change_headers(rules, where, changes),
        excludes_sections=any(n.exclude_section is not None for n in names),
        names_by_name=MappingProxyType({n.name: n for n in names}),
        minus_signs=frozenset(get(rules, "minus_signs", "", where, str)),
        list_split_re=compile_pattern(f"(?:{_alt(words('list_separators', ('、',)))})", where),
        list_gap_re=compile_pattern(f"(?:{_alt(words('list_separators', ('、',)))})", where),
        list_expansions=MappingProxyType({str(k): tuple(str(x) for x in v) for k, v in expansions.items()}),
        comparison_re=compile_pattern(f"^(?:{_alt(words('comparison_heads'))})", where)
        if rules.get("comparison_heads")
        else None,
        implied=tuple(
            ImpliedSubject(
                compile_pattern(str(r["sentence"]), where),
                compile_pattern(str(r["subject_is"]), where) if r.get("subject_is") else None,
                frozenset(str(k) for k in r.get("kinds", ())),
                str(r.get("change", "*")),
                str(r["subject"]),
            )
            for _, r in implied_rules
        ),
        implied_kinds=frozenset(str(k) for _, r in implied_rules for k in r.get("kinds", ())),
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
