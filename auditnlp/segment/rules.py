"""Compiled structure rules (``structure.yaml``, ``lists.yaml``), validated, cached and frozen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

from auditnlp._data import Pattern, compile_pattern
from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons


@dataclass(frozen=True, slots=True)
class HeadingRule:
    """One heading marker: its rank (outermost first), kind and pattern anchored at paragraph start."""

    rank: int
    kind: str
    pattern: Pattern


@dataclass(frozen=True, slots=True)
class SeriesRule:
    """One enumeration series (一是…二是…, 一方面…另一方面…)."""

    kind: str
    pattern: Pattern | None
    markers: tuple[str, ...]
    last: tuple[str, ...]
    repeat_from: int | None
    after: Pattern | None
    first_only_after: Pattern | None


@dataclass(frozen=True, slots=True)
class StructureRules:
    """All rules the segmenters use."""

    headings: tuple[HeadingRule, ...]
    plain_headings: tuple[Pattern, ...]
    heading_max_chars: int
    roles: tuple[tuple[str, Any], ...]
    default_roles: tuple[tuple[str, str], ...]
    """(document type, role) for the first unmatched top-level section."""
    salutation: Pattern
    closing: Pattern
    title_max_chars: int
    title_keywords: Pattern
    doc_types: tuple[tuple[str, Any | None, bool], ...]
    list_before: Pattern
    series: tuple[SeriesRule, ...]
    any_marker: Pattern
    """One alternation of every series' markers: a paragraph it does not match has no list item."""


def _need(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise LexiconError(where, f"missing key {key!r}")
    return data[key]


def build_structure_rules(lex: Lexicons) -> StructureRules:
    """Compile ``structure.yaml`` and ``lists.yaml`` of `lex`."""
    data = lex.yaml_mapping("structure.yaml")
    where = lex.where("structure.yaml")
    cn = _need(data, "numerals", where)

    def pat(p: str) -> Any:
        return compile_pattern(
            p.replace("{CN}", cn).replace("{NAME}", r"(?:(?![年度月日的及和与])\p{Han})"), where
        )

    headings = tuple(
        HeadingRule(int(h["rank"]), h["kind"], pat(h["pattern"])) for h in _need(data, "headings", where)
    )
    roles = tuple((role, pat(p)) for role, patterns in _need(data, "roles", where).items() for p in patterns)
    doc_types = tuple(
        (d["type"], pat(d["title"]) if "title" in d else None, bool(d.get("salutation", False)))
        for d in _need(data, "doc_types", where)
    )
    lists = lex.yaml_mapping("lists.yaml")
    lwhere = lex.where("lists.yaml")
    series = []
    for s in _need(lists, "series", lwhere):
        if "pattern" not in s and "markers" not in s:
            raise LexiconError(lwhere, f"series {s.get('kind')!r} needs `pattern` or `markers`")
        series.append(
            SeriesRule(
                kind=s["kind"],
                pattern=compile_pattern(s["pattern"], lwhere) if "pattern" in s else None,
                markers=tuple(s.get("markers", ())),
                last=tuple(s.get("last", ())),
                repeat_from=s.get("repeat_from"),
                after=compile_pattern(s["after"], lwhere) if s.get("after") else None,
                first_only_after=compile_pattern(s["first_only_after"], lwhere)
                if s.get("first_only_after")
                else None,
            )
        )
    return StructureRules(
        headings=headings,
        plain_headings=tuple(pat(p) for p in data.get("plain_headings", ())),
        heading_max_chars=int(data.get("heading_max_chars", 60)),
        roles=roles,
        default_roles=tuple((str(k), str(v)) for k, v in (data.get("default_roles") or {}).items()),
        salutation=pat(_need(data, "salutation", where)),
        closing=pat(_need(data, "closing", where)),
        title_max_chars=int(data.get("title_max_chars", 80)),
        title_keywords=pat(_need(data, "title_keywords", where)),
        doc_types=doc_types,
        list_before=compile_pattern(_need(lists, "before", lwhere), lwhere),
        series=tuple(series),
        any_marker=compile_pattern("|".join(_alternative(s) for s in series), lwhere),
    )


def _alternative(series: SeriesRule) -> str:
    """The markers of one series as a regex alternative."""
    if series.pattern is not None:
        return f"(?:{series.pattern.pattern})"
    return "|".join(map(regex.escape, series.markers))


def structure_rules(lexicon: LexiconsLike = None) -> StructureRules:
    """The structure rules of `lexicon` (a bundle or a folder of user files; ``None``: packaged)."""
    return as_lexicons(lexicon).part("structure", build_structure_rules)
