"""Compiled metadata rules (``meta.yaml``): unit grammar, bylines, datelines, periods, sources of trust."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditnlp._data import Pattern, compile_pattern, looks_around
from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons
from auditnlp.numerals import ordinal_value, parse_chinese_numeral

_DAY = "(?:\\d{1,2}|[一二三四五六七八九十]{1,3})"
"""``{DAY}`` in meta.yaml: the number of a month or a day, in digits or Chinese numerals (十一月二十四日)."""

_FILE = "meta.yaml"


@dataclass(frozen=True, slots=True)
class PeriodWord:
    """A period word of a title (上半年, 第三季度, 1至9月) and the span it names."""

    pattern: Pattern
    span: str
    """``H1``/``H2``, ``Q1``…``Q4``, ``Mxx-yy`` or ``months`` (from the groups ``m1``/``m2``)."""


@dataclass(frozen=True, slots=True)
class MetaRules:
    """Everything :mod:`auditnlp.segment.meta` matches, compiled from ``meta.yaml``."""

    unit: Pattern
    """A unit anywhere in a line, after a boundary (group ``unit``)."""
    unit_at: Pattern
    """A unit exactly where matching starts (a clause start), group ``unit``."""
    unit_parts: Pattern
    """A whole unit split into ``place``/``body``, ``level``/``bare`` or ``standalone``."""
    place: Pattern
    """A whole place name (沛县, 江苏省徐州市沛县, XX区)."""
    suffixes: tuple[str, ...]
    levels: frozenset[str]
    government_title: Pattern
    title_units: tuple[Pattern, ...]
    byline: Pattern
    labelled_unit: Pattern
    headline: Pattern
    body_paragraphs: int
    audit_body: Pattern
    """The audit bodies alone (审计局, 审计厅 …): only these are taken from the body of a text."""
    header_lines: tuple[Pattern, ...]
    """Lines above a title that are not the title (letterhead, document number)."""
    signature: Pattern
    date_line: Pattern
    opening_years: tuple[Pattern, ...]
    opening_sentences: int
    clause_start: Pattern
    dateline: Pattern
    dateline_place: Pattern
    source_line: Pattern
    source_site: Pattern
    file_year: Pattern
    folder_year: Pattern
    path_folders: int
    delivery_titles: Pattern
    period_words: tuple[PeriodWord, ...]
    year_range: Pattern
    five_year_plan: Pattern
    span_and_year: Pattern | None
    """A year joined to a span of years in a title (…时期暨2025年): the document covers that year."""
    five_year_plans: dict[str, tuple[int, int]]
    plan_part: Pattern
    plan_offsets: dict[str, int]
    plan_types: frozenset[str]
    npc_session: Pattern
    npc_sessions: dict[int, tuple[int, ...]]
    trust: tuple[str, ...]
    weak: frozenset[str]
    year: Pattern
    """A bare year (2023 or 二〇二三), group ``year``."""
    manifest_columns: dict[str, tuple[str, ...]]
    """Manifest field → accepted column names."""
    audit_body_anywhere: bool = False
    """Whether :attr:`audit_body` matches a piece of text alone exactly when it matches it inside a longer
    one (no anchors, lookarounds or word boundaries): then a text it does not search has no audit body."""

    def rank(self, source: str) -> int:
        """Position of a source in the order of trust (a joined source ranks as its first part)."""
        first = source.split("+", 1)[0]
        return self.trust.index(first) if first in self.trust else len(self.trust)


def _need(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise LexiconError(where, f"missing key {key!r}")
    return data[key]


def build_meta_rules(lex: Lexicons) -> MetaRules:
    """Compile ``meta.yaml`` of `lex`."""
    data = lex.yaml_mapping(_FILE)
    where = lex.where(_FILE)
    suffixes = tuple(str(s) for s in _need(data, "place_suffixes", where))
    suffix = "|".join(sorted(suffixes, key=len, reverse=True))
    name, mask, cn = (_need(data, k, where) for k in ("name_chars", "mask_chars", "numerals"))
    not_place = _need(data, "not_place", where)
    year = r"(?:(?<!\d)(?:19|20)\d{2}(?!\d)|[一二][九〇零○][一二三四五六七八九〇零○]{2})"
    segment = f"(?:{mask}{{1,6}}|(?!{not_place}(?:{suffix})(?!{suffix})){name}{{1,12}}?)(?:{suffix})"
    place = f"(?!{_need(data, 'not_first', where)})(?:{segment}){{1,3}}"
    bodies = _need(data, "bodies", where)
    audit, other = bodies["audit"], bodies["other"]
    levels = _need(data, "levels", where)
    prefix, unit_suffix = _need(data, "unit_prefix", where), _need(data, "unit_suffix", where)
    standalone_named = _need(data, "standalone", where)
    standalone = standalone_named.replace("(?P<standalone>", "(?:")

    def expand(pattern: str, *, unit: str = "") -> str:
        return (
            pattern.replace("{UNIT_SUFFIX}", unit_suffix)
            .replace("{UNIT_PREFIX}", prefix)
            .replace("{UNIT}", unit)
            .replace("{PLACE}", place)
            .replace("{BODY}", f"(?:{audit}|{other})")
            .replace("{AUDIT}", audit)
            .replace("{SUFFIX}", f"(?:{suffix})")
            .replace("{POST}", f"(?:{_need(data, 'posts', where)})")
            .replace("{PERSON}", f"(?:{_need(data, 'person', where)})")
            .replace("{YEAR}", year)
            .replace("{NAME}", name)
            .replace("{MASK}", mask)
            .replace("{CN}", cn)
            .replace("{DAY}", _DAY)
        )

    def pat(pattern: str, *, unit: str = "") -> Pattern:
        return compile_pattern(expand(pattern, unit=unit), where)

    unit_body = expand(f"(?:{place}(?:{audit}|{other})|(?:{levels})?{audit}|{standalone})")
    unit_named = f"(?:{prefix})?(?P<unit>{unit_body})(?:{unit_suffix})?"
    words = _need(data, "boundary_words", where)
    not_after = _need(data, "not_after", where)
    boundary = (
        rf"(?<!(?:{not_after})(?:{levels})?)"
        rf"(?:(?<=^)|(?<=[^\p{{Han}}X*○某＊Ｘ])|(?<={not_place})|(?<=[年度届])|(?<={words}))"
    )
    # an audit body is tried before any other body, so 江州市审计局 is 江州市 + 审计局, not 江州 + 市审计局
    parts = expand(
        f"(?:{prefix})?(?:(?P<place>{place})(?P<body>{audit})|(?P<level>{levels})?(?P<bare>{audit})"
        f"|(?P<place>{place})(?P<body>{other})|{standalone_named})(?:{unit_suffix})?"
    )
    plans = {str(k): (int(v[0]), int(v[1])) for k, v in (data.get("five_year_plans") or {}).items()}
    sessions = {int(k): tuple(int(y) for y in v) for k, v in (data.get("npc_sessions") or {}).items()}
    period_words = tuple(
        PeriodWord(pat(w["pattern"]), str(w["span"])) for w in _need(data, "period_words", where)
    )
    return MetaRules(
        unit=compile_pattern(boundary + unit_named, where),
        unit_at=compile_pattern(unit_named, where),
        unit_parts=compile_pattern(parts, where),
        place=compile_pattern(place, where),
        suffixes=suffixes,
        levels=frozenset(levels.split("|")),
        government_title=pat(_need(data, "government_title", where)),
        title_units=tuple(pat(p) for p in data.get("title_units", ())),
        byline=pat(
            _need(data, "byline", where).replace(
                "(?P<unit>{UNIT})?", "(?:(?P<unit>{UNIT})|(?P<place>{PLACE}))?"
            ),
            unit=unit_body,
        ),
        labelled_unit=pat(_need(data, "labelled_unit", where)),
        headline=pat(_need(data, "headline", where), unit=unit_body),
        body_paragraphs=int(data.get("body_paragraphs", 4)),
        audit_body=compile_pattern(audit, where),
        header_lines=tuple(pat(p, unit=unit_body) for p in data.get("header_lines", ())),
        signature=compile_pattern(unit_named, where),
        date_line=pat(_need(data, "date_line", where)),
        opening_years=tuple(pat(p) for p in _need(data, "opening_years", where)),
        opening_sentences=int(data.get("opening_sentences", 2)),
        clause_start=pat(_need(data, "clause_start", where)),
        dateline=pat(_need(data, "dateline", where)),
        dateline_place=pat(_need(data, "dateline_place", where)),
        source_line=pat(_need(data, "source_line", where)),
        source_site=pat(_need(data, "source_site", where)),
        file_year=pat(_need(data, "file_year", where)),
        folder_year=pat(_need(data, "folder_year", where)),
        path_folders=int(data.get("path_folders", 3)),
        delivery_titles=pat(_need(data, "delivery_titles", where)),
        period_words=period_words,
        year_range=pat(_need(data, "year_range", where)),
        five_year_plan=pat(_need(data, "five_year_plan", where)),
        span_and_year=pat(str(data["span_and_year"])) if data.get("span_and_year") else None,
        five_year_plans=plans,
        plan_part=pat(_need(data, "plan_part", where)),
        plan_offsets={str(k): int(v) for k, v in (data.get("plan_offsets") or {}).items()},
        plan_types=frozenset(str(t) for t in data.get("plan_types", ())),
        npc_session=pat(_need(data, "npc_session", where)),
        npc_sessions=sessions,
        trust=tuple(str(s) for s in _need(data, "trust", where)),
        weak=frozenset(str(s) for s in data.get("weak", ())),
        year=compile_pattern(f"(?P<year>{year})", where),
        manifest_columns={
            str(k): tuple(str(n) for n in v) for k, v in (data.get("manifest_columns") or {}).items()
        },
        audit_body_anywhere=not looks_around(audit),
    )


def meta_rules(lexicon: LexiconsLike = None) -> MetaRules:
    """The metadata rules of `lexicon` (a bundle or a folder of user files; ``None``: packaged)."""
    return as_lexicons(lexicon).part("meta", build_meta_rules)


def year_value(text: str) -> int | None:
    """A year written in digits (2023) or digit by digit in Chinese numerals (二〇二三, 二○二三)."""
    if text.isascii() and text.isdigit():
        return int(text)
    return parse_chinese_numeral(text.replace("○", "〇"))


def cn_number(text: str) -> int | None:
    """A small number in digits or Chinese numerals (十四 → 14, 3 → 3), or None."""
    return ordinal_value(text)
