"""Compiled structure rules (``structure.yaml``, ``lists.yaml``), validated, cached and frozen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

from auditnlp._data import (
    Pattern,
    check,
    compile_pattern,
    get,
    items,
    joinable,
    line_of,
    looks_around,
    need,
    union_pattern,
)
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
    any_allowed_marker: Pattern | None = None
    """:attr:`any_marker` after a character an item may follow (``list_before`` or a series'
    ``first_only_after``): with a match at the body start, the quick test for a paragraph that may hold an
    item (``None``: those patterns depend on more than the one character, use :attr:`any_marker`)."""
    any_heading: Pattern | None = None
    """One alternation of the heading markers: a paragraph it does not match has none (``None``: the
    patterns cannot be joined, try each)."""
    any_plain: Pattern | None = None
    """One alternation of the plain headings (``None``: try each)."""
    role_groups: tuple[tuple[str, Any], ...] = ()
    """:attr:`roles` with the patterns of one role joined into one alternation where they can be."""


def build_structure_rules(lex: Lexicons) -> StructureRules:
    """Compile ``structure.yaml`` and ``lists.yaml`` of `lex`; a malformed entry is a LexiconError naming
    the file, the line and the key."""
    data = lex.yaml_mapping("structure.yaml")
    where = lex.where("structure.yaml")
    cn = need(data, "numerals", where, str)

    def pat(p: str) -> Any:
        return compile_pattern(
            p.replace("{CN}", cn).replace("{NAME}", r"(?:(?![年度月日的及和与])\p{Han})"), where
        )

    def rule(entries: Any, i: int, key: str) -> dict[str, Any]:
        return check(entries[i], dict, where, line_of(entries, i), f"{key} item {i + 1}")  # type: ignore[no-any-return]

    heading_list = need(data, "headings", where, list)
    headings = []
    for i in range(len(heading_list)):
        h = rule(heading_list, i, "headings")
        headings.append(
            HeadingRule(
                need(h, "rank", where, int), need(h, "kind", where, str), pat(need(h, "pattern", where, str))
            )
        )
    roles = tuple(
        (str(role), pat(p))
        for role in need(data, "roles", where, dict)
        for p in items(data["roles"], role, where, str)
    )
    doc_list = need(data, "doc_types", where, list)
    doc_types = []
    for i in range(len(doc_list)):
        d = rule(doc_list, i, "doc_types")
        title = get(d, "title", None, where, str)
        doc_types.append(
            (
                need(d, "type", where, str),
                pat(title) if title else None,
                bool(get(d, "salutation", False, where)),
            )
        )
    lists = lex.yaml_mapping("lists.yaml")
    lwhere = lex.where("lists.yaml")
    series = []
    series_list = need(lists, "series", lwhere, list)
    for i in range(len(series_list)):
        s = check(series_list[i], dict, lwhere, line_of(series_list, i), f"series item {i + 1}")
        if "pattern" not in s and "markers" not in s:
            raise LexiconError(
                lwhere, f"line {line_of(s)}: series {s.get('kind')!r} needs `pattern` or `markers`"
            )
        pattern = get(s, "pattern", None, lwhere, str)
        after = get(s, "after", None, lwhere, str)
        first_only_after = get(s, "first_only_after", None, lwhere, str)
        series.append(
            SeriesRule(
                kind=need(s, "kind", lwhere, str),
                pattern=compile_pattern(pattern, lwhere) if pattern is not None else None,
                markers=tuple(items(s, "markers", lwhere, str)),
                last=tuple(items(s, "last", lwhere, str)),
                repeat_from=get(s, "repeat_from", None, lwhere, int),
                after=compile_pattern(after, lwhere) if after else None,
                first_only_after=compile_pattern(first_only_after, lwhere) if first_only_after else None,
            )
        )
    default_roles = get(data, "default_roles", {}, where, dict)
    list_before = compile_pattern(need(lists, "before", lwhere, str), lwhere)
    any_marker = compile_pattern("|".join(_alternative(s) for s in series), lwhere)
    plain_headings = tuple(pat(p) for p in items(data, "plain_headings", where, str))
    role_groups: list[tuple[str, Any]] = []
    for role in dict.fromkeys(r for r, _ in roles):
        patterns = [p for r, p in roles if r == role]
        joined = union_pattern(patterns, where) if len(patterns) > 1 else None
        role_groups += [(role, joined)] if joined is not None else [(role, p) for p in patterns]
    return StructureRules(
        headings=tuple(headings),
        plain_headings=plain_headings,
        heading_max_chars=get(data, "heading_max_chars", 60, where, int),
        roles=roles,
        default_roles=tuple((str(k), str(v)) for k, v in default_roles.items()),
        salutation=pat(need(data, "salutation", where, str)),
        closing=pat(need(data, "closing", where, str)),
        title_max_chars=get(data, "title_max_chars", 80, where, int),
        title_keywords=pat(need(data, "title_keywords", where, str)),
        doc_types=tuple(doc_types),
        list_before=list_before,
        series=tuple(series),
        any_marker=any_marker,
        any_allowed_marker=_after_one_of(
            [list_before, *(s.first_only_after for s in series if s.first_only_after is not None)],
            any_marker,
            lwhere,
        ),
        any_heading=union_pattern([h.pattern for h in headings], where),
        any_plain=union_pattern(plain_headings, where),
        role_groups=tuple(role_groups),
    )


def _after_one_of(before: list[Any], pattern: Any, where: str) -> Pattern | None:
    """`pattern` where the character before it fullmatches one of `before` (single-character tests): a
    lookbehind that holds wherever one of them holds. ``None`` when one may look past its character."""
    sources = [p.pattern for p in before]
    if not joinable(pattern.pattern) or any(looks_around(x) for x in sources):
        return None
    behind = "|".join(f"(?:{x})" for x in sources)
    return compile_pattern(f"(?<={behind})(?:{pattern.pattern})", where)


def _alternative(series: SeriesRule) -> str:
    """The markers of one series as a regex alternative."""
    if series.pattern is not None:
        return f"(?:{series.pattern.pattern})"
    return "|".join(map(regex.escape, series.markers))


def structure_rules(lexicon: LexiconsLike = None) -> StructureRules:
    """The structure rules of `lexicon` (a bundle or a folder of user files; ``None``: packaged)."""
    return as_lexicons(lexicon).part("structure", build_structure_rules)
