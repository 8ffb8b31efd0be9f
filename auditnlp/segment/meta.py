"""Title, salutation, closing formula and document metadata: unit, covered period, plan year, provenance.

Each field is looked for in every place a report names it — container fields, the title, a byline, a
signature, the opening sentence, the dateline, a web page's 来源 line, the file and folder names — and
taken from the most trusted source (``trust`` in ``meta.yaml``). The unit takes the most specific form
in reach (a bare 县审计局 joins a county named by the dateline); a field found only in a weak source,
or found differently in two sources, gets a warning. Nothing is invented: a field no source gives stays
``None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import regex

from auditnlp._data import Pattern
from auditnlp.segment.meta_rules import MetaRules, year_value
from auditnlp.segment.periods import (
    TitleFacts,
    YearFact,
    blank_quotes,
    covered,
    npc_year,
    parse_period,
    read_title,
)
from auditnlp.segment.rules import StructureRules
from auditnlp.segment.units import Unit, parse_unit, place_unit, real_place, resolve_unit
from auditnlp.types import Meta, Removal, Span

_SENTENCE_END = regex.compile(r"[。！？!?；;]$")
_HAS_SENTENCE = regex.compile(r"[。！？!?；;]")
_AFTER_SENTENCE_END = regex.compile(r"(?<=[。！？!?])")
GOVERNMENT_REPORT = "government_work_report"
_META_FIELDS = frozenset({"title", "unit", "year", "period", "doc_title"})
"""Container fields read as metadata; other columns are kept in ``Meta.extra``."""


def find_title(
    text: str,
    paragraphs: list[tuple[int, int]],
    rules: StructureRules,
    styled_title: str | None,
    header: Sequence[Any] = (),
) -> Span | None:
    """The title: the container's title paragraph, else a short first paragraph that reads as a title.

    Paragraphs above the title that fully match a `header` pattern (the unit's letterhead, a document
    number) are passed over.
    """
    for start, end in paragraphs[:3]:
        line = text[start:end]
        if styled_title is not None and line == styled_title:
            return Span(start, end, line)
    for start, end in paragraphs[:3]:
        line = text[start:end]
        if any(h.fullmatch(line.strip()) for h in header):
            continue
        if (
            len(line) <= rules.title_max_chars
            and not _SENTENCE_END.search(line)
            and rules.title_keywords.search(line)
            and not rules.salutation.fullmatch(line)
            and not (
                rules.any_heading.match(line)
                if rules.any_heading is not None
                else any(h.pattern.match(line) for h in rules.headings)
            )
        ):
            return Span(start, end, line)
        return None
    return None


def _formula(text: str, paragraphs: list[tuple[int, int]], pattern: Pattern, *, head: bool) -> Span | None:
    window = paragraphs[:4] if head else list(reversed(paragraphs[-3:]))
    for start, end in window:
        line = text[start:end]
        if len(line) <= 80 and pattern.fullmatch(line):
            return Span(start, end, line)
    return None


def find_salutation(text: str, paragraphs: list[tuple[int, int]], rules: StructureRules) -> Span | None:
    """The salutation (尊敬的…：, 主任、各位副主任…：) among the first paragraphs."""
    return _formula(text, paragraphs, rules.salutation, head=True)


def find_closing(text: str, paragraphs: list[tuple[int, int]], rules: StructureRules) -> Span | None:
    """The closing formula (汇报完毕，谢谢 / 以上报告，请审议) among the last paragraphs."""
    return _formula(text, paragraphs, rules.closing, head=False)


@dataclass(frozen=True, slots=True)
class _Kind:
    """What the document type implies for reading its metadata."""

    doc_type: str | None
    delivery: bool
    """A 政府工作报告 (or a resolution on one): the year written is the year of delivery."""
    government: bool
    """A 政府工作报告: its unit is the place."""
    plan: bool
    """A pure plan: it covers the year it plans."""


def find_meta(
    text: str,
    paragraphs: list[tuple[int, int]],
    title: Span | None,
    salutation: Span | None,
    rules: StructureRules,
    fields: dict[str, str],
    meta: MetaRules,
    *,
    removed: Iterable[Removal] = (),
    path: str | None = None,
    row: int | None = None,
) -> tuple[Meta, tuple[str, ...]]:
    """Unit, covered year, period, plan year and document type, with their sources and warnings.

    `fields` are the container's columns (``title``, ``unit``, ``year``; ``doc_title`` for a .docx file's
    core title), `removed` the debris normalisation took out (来源 lines), `path` and `row` where the
    text was read from (file and folder names count only for a whole file, not a spreadsheet row).
    """
    titles = [
        (t, source)
        for t, source in (
            (fields.get("title"), "container"),
            (title.text if title else _untitled(text, paragraphs, salutation, meta), "title"),
            (fields.get("doc_title"), "properties"),
        )
        if t
    ]
    doc_type = _doc_type([t for t, _ in titles], salutation, rules)
    kind = _Kind(
        doc_type,
        delivery=doc_type in (GOVERNMENT_REPORT, "resolution")
        and any(meta.delivery_titles.search(blank_quotes(t)) for t, _ in titles),
        government=doc_type == GOVERNMENT_REPORT,
        plan=doc_type in meta.plan_types,
    )
    facts = {source: read_title(t, meta) for t, source in titles}
    units, years = _collect(
        text, paragraphs, title, salutation, fields, meta, kind, titles, facts, removed, path, row
    )
    unit, unit_source, unit_notes = resolve_unit(units, meta, kind.government)
    chosen = min(years, key=lambda y: meta.rank(y.source)) if years else None
    warnings: list[str] = []
    if unit_notes:
        notes = ", ".join(unit_notes)
        warnings.append(f"sources disagree on the unit: {unit_source} {unit}, {notes} ({unit_source} kept)")
    if chosen is not None:
        others = sorted(
            {
                f"{y.source} {y.year}"
                for y in years
                if y.year != chosen.year
                and not (y.source in ("file_name", "folder") and y.label in (chosen.plan_year, chosen.label))
            }
        )
        if others:
            warnings.append(
                f"sources disagree on the year: {chosen.source} {chosen.year}, {', '.join(others)} "
                f"({chosen.source} kept)"
            )
    sources: list[tuple[str, str]] = []
    if unit is not None and unit_source:
        sources.append(("unit", unit_source))
    if chosen is not None:
        sources += [("year", chosen.source), ("period", chosen.source)]
        if chosen.plan_year is not None:
            sources.append(("plan_year", chosen.source))
    for field, source in sources:
        if field in ("unit", "year") and all(part in meta.weak for part in source.split("+")):
            warnings.append(f"{field} taken from the {source.replace('_', ' ')} only: check it")
    if unit is None:
        warnings.append("no issuing unit found (title, byline, signature, opening, 来源 line or file name)")
    if chosen is None:
        warnings.append("no covered year found (title, opening, dateline or file name)")
    result = Meta(
        title=titles[0][0] if titles else None,
        unit=unit,
        year=chosen.year if chosen else None,
        doc_type=doc_type,
        plan_year=chosen.plan_year if chosen else None,
        extra=tuple((k, v) for k, v in fields.items() if k not in _META_FIELDS),
        period=chosen.period if chosen else None,
        sources=tuple(sources),
    )
    return result, tuple(warnings)


def _collect(
    text: str,
    paragraphs: list[tuple[int, int]],
    title: Span | None,
    salutation: Span | None,
    fields: dict[str, str],
    meta: MetaRules,
    kind: _Kind,
    titles: list[tuple[str, str]],
    facts: dict[str, TitleFacts],
    removed: Iterable[Removal],
    path: str | None,
    row: int | None,
) -> tuple[list[Unit], list[YearFact]]:
    """Every unit and covered year the sources give, in no particular order."""
    units: list[Unit] = []
    years: list[YearFact] = []
    first_facts = next(iter(facts.values()), None)
    span_facts = next((f for f in facts.values() if f.span or f.years), first_facts)

    def add_year(label: int | None, facts_: TitleFacts | None, source: str, *, delivery: bool) -> None:
        if label:
            years.append(covered(label, facts_, source, delivery=delivery, plan=kind.plan))

    if fields.get("unit"):
        value = fields["unit"]
        units.append(
            parse_unit(value, "container", meta) or place_unit(value, "container", meta)
            or Unit("container", standalone=value)
        )  # fmt: skip
    period = parse_period(fields["period"], meta) if fields.get("period") else None
    if period is not None:
        plan_year = period.end_year if period.plan else None
        years.append(YearFact("container", period.end_year, period, plan_year, period.end_year))
    elif fields.get("year", "").strip().isdigit():
        container_facts = facts.get("container") or span_facts
        add_year(int(fields["year"]), container_facts, "container", delivery=kind.delivery)
    for source, found in facts.items():
        if found.years and not found.label:
            add_year(found.years[1], found, source, delivery=False)
        else:
            add_year(found.label, found, source, delivery=kind.delivery)
    for t, source in titles:
        units.extend(_title_units(t, source, meta, kind.government))
    head = _head(text, paragraphs, title)
    for start, end in head:
        line = text[start:end].strip()
        units.extend(_byline(line, meta))
        m = meta.dateline.match(line)
        if m is None:
            continue
        place = meta.dateline_place.search(line)
        if place and real_place(place.group("place"), meta):
            units.append(Unit("dateline", place=place.group("place")))
        if kind.delivery:
            session = meta.npc_session.search(line)
            label = year_value(m.group("year")) or (npc_year(session, meta) if session else None)
            add_year(label, first_facts, "dateline", delivery=True)
    units.extend(_signature(text, paragraphs, meta))
    if not kind.delivery:  # a government report's opening is the speaker's (我代表…), never its year
        body = _body(text, paragraphs, title, salutation, head, meta)
        opening = _opening(body, meta)
        if opening is not None:
            unit, year = _read_opening(opening, meta)
            if unit is not None:
                units.append(unit)
            add_year(year, span_facts, "opening", delivery=False)
        units.extend(_body_unit(body, meta))
    units.extend(_source_lines(text, head, removed, meta))
    if path and row is None:
        file_units, file_years = _path_facts(path, meta)
        units.extend(file_units)
        for label, source in file_years:
            add_year(label, span_facts, source, delivery=kind.delivery)
    return units, years


def _byline(line: str, meta: MetaRules) -> list[Unit]:
    """The unit of a letterhead line (XX县审计局文件), a labelled line (【审计机关】XX区审计局), a byline
    (XX县审计局局长 王某某, 上海市市长 龚正) or a news headline (XX市审计局：…, counted as the title)."""
    headline = meta.headline.match(line)
    if headline:
        unit = parse_unit(headline.group("unit"), "title", meta)
        return [unit] if unit is not None else []
    if len(line) > 40:
        return []
    labelled = meta.labelled_unit.fullmatch(line)
    if labelled:
        unit = parse_unit(labelled.group("unit"), "byline", meta)
        return [unit] if unit is not None else []
    letterhead = meta.signature.fullmatch(line)
    if letterhead:
        unit = parse_unit(letterhead.group("unit"), "byline", meta)
        return [unit] if unit is not None else []
    m = meta.byline.fullmatch(line)
    if m is None:
        return []
    if m.group("unit"):
        unit = parse_unit(m.group("unit"), "byline", meta)
        return [unit] if unit is not None else []
    place = place_unit(m.group("place") or "", "byline", meta)
    return [place] if place is not None else []


def _untitled(
    text: str, paragraphs: list[tuple[int, int]], salutation: Span | None, meta: MetaRules
) -> str | None:
    """The first line read as a title when the structure found none (a title without a title word, such
    as XX区审计局党组…对照检查材料): short, without sentence punctuation, not a salutation, byline or date."""
    if not paragraphs:
        return None
    start, end = paragraphs[0]
    line = text[start:end].strip()
    if (
        not line
        or len(line) > 60
        or _HAS_SENTENCE.search(line)
        or (salutation is not None and salutation.start == start)
        or meta.dateline.match(line)
        or meta.date_line.fullmatch(line)
        or meta.byline.fullmatch(line)
        or meta.labelled_unit.fullmatch(line)
        or any(h.fullmatch(line) for h in meta.header_lines)
    ):
        return None
    return line


def _head(text: str, paragraphs: list[tuple[int, int]], title: Span | None) -> list[tuple[int, int]]:
    """The lines around the title before the body begins (letterhead, dateline, byline, dates)."""
    head = []
    for start, end in paragraphs[:8]:
        line = text[start:end].strip()
        if len(line) > 60 or _HAS_SENTENCE.search(line):
            break
        if title is None or start != title.start:
            head.append((start, end))
    return head


def _doc_type(titles: list[str], salutation: Span | None, rules: StructureRules) -> str | None:
    for name, pattern, needs_salutation in rules.doc_types:
        if pattern is not None and any(pattern.search(blank_quotes(t)) for t in titles):
            return name
        if needs_salutation and salutation is not None:
            return name
    return None


def _title_units(title: str, source: str, rules: MetaRules, government: bool) -> list[Unit]:
    title = blank_quotes(title)
    found: list[Unit] = []
    for pattern in rules.title_units:
        m = pattern.search(title)
        if m:
            body, place = m.group("body"), m.group("place")
            if body.startswith("全国"):
                found.append(Unit(source, standalone=body))
            elif place and real_place(place, rules):
                found.append(Unit(source, place=place, body=body or None))
    if government:
        m = rules.government_title.search(title)
        if m:
            found.append(Unit(source, place=m.group("place")))
    m = rules.unit.search(title)
    if m:
        unit = parse_unit(m.group("unit"), source, rules)
        if unit is not None:
            found.append(unit)
    return found


def _signature(text: str, paragraphs: list[tuple[int, int]], rules: MetaRules) -> list[Unit]:
    tail = [text[s:e].strip() for s, e in paragraphs[-4:]]
    if len(paragraphs) < 2 or not any(_ends_with_date(line, rules) for line in tail):
        return []
    for line in tail:
        dated = rules.date_line.search(line)
        if dated is not None and dated.end() == len(line):
            line = line[: dated.start()].rstrip()
        if len(line) <= 30:
            m = rules.signature.fullmatch(line)
            if m:
                unit = parse_unit(m.group("unit"), "signature", rules)
                if unit is not None:
                    return [unit]
    return []


def _ends_with_date(line: str, rules: MetaRules) -> bool:
    m = rules.date_line.search(line)
    return m is not None and m.end() == len(line)


def _body(
    text: str,
    paragraphs: list[tuple[int, int]],
    title: Span | None,
    salutation: Span | None,
    head: list[tuple[int, int]],
    rules: MetaRules,
) -> list[str]:
    """The first paragraphs of the body (after the title, the salutation and the lines around the title)."""
    skip = {s for s, _ in head} | {span.start for span in (title, salutation) if span is not None}
    body = []
    for start, end in paragraphs[: 8 + rules.body_paragraphs]:
        line = text[start:end].strip()
        if start in skip or rules.dateline.match(line):
            continue
        body.append(line)
        if len(body) > rules.body_paragraphs:
            break
    return body


def _opening(body: list[str], rules: MetaRules) -> str | None:
    """The first sentences of the first body paragraph."""
    if not body:
        return None
    sentences = _AFTER_SENTENCE_END.split(body[0])
    return "".join(sentences[: rules.opening_sentences])


def _body_unit(body: list[str], rules: MetaRules) -> list[Unit]:
    """An audit office with its place that begins a clause of the first body paragraphs (case studies and
    news name the office in the body: …，沛县审计局自项目招标阶段起开展跟踪审计)."""
    for paragraph in body[: rules.body_paragraphs]:
        if rules.audit_body_anywhere and rules.audit_body.search(paragraph) is None:
            continue  # no audit body in the paragraph: none in a unit of it
        for clause in rules.clause_start.finditer(paragraph):
            m = rules.unit_at.match(paragraph, clause.start())
            if m is None or paragraph.startswith("的", m.end()):
                continue
            unit = parse_unit(m.group("unit"), "body", rules)
            if unit is not None and unit.kind == "full" and rules.audit_body.fullmatch(unit.body or ""):
                return [unit]
    return []


def _read_opening(opening: str, rules: MetaRules) -> tuple[Unit | None, int | None]:
    """The unit that begins a clause of the opening (not one followed by 的) and the year it states."""
    year = None
    for pattern in rules.opening_years:
        m = pattern.search(opening)
        if m:
            year = year_value(m.group("year"))
            break
    for clause in rules.clause_start.finditer(opening):
        m = rules.unit_at.match(opening, clause.start())
        if m and not opening.startswith("的", m.end()):
            unit = parse_unit(m.group("unit"), "opening", rules)
            if unit is not None:
                return unit, year
    return None, year


def _source_lines(
    text: str, head: list[tuple[int, int]], removed: Iterable[Removal], rules: MetaRules
) -> list[Unit]:
    lines = [r.text for r in removed if r.kind == "source"] + [text[s:e] for s, e in head]
    for line in lines:
        m = rules.source_line.search(line)
        if m is None:
            continue
        value = m.group("value")
        unit = parse_unit(value, "source_line", rules)
        if unit is not None:
            return [unit]
        site = rules.source_site.fullmatch(value)
        if site and real_place(site.group("place"), rules):
            return [Unit("source_line", place=site.group("place"))]
    return []


def _path_facts(path: str, rules: MetaRules) -> tuple[list[Unit], list[tuple[int, str]]]:
    """Units, places and years named by the file name and the nearest folder names."""
    pure = PurePath(path.replace("\\", "/"))
    units: list[Unit] = []
    years: list[tuple[int, str]] = []
    stem = pure.stem
    m = rules.unit.search(stem)
    if m:
        unit = parse_unit(m.group("unit"), "file_name", rules)
        if unit is not None:
            units.append(unit)
    m = rules.government_title.search(stem)
    if m and real_place(m.group("place"), rules):
        units.append(Unit("file_name", place=m.group("place")))
    m = rules.file_year.search(stem)
    if m:
        value = year_value(m.group("year"))
        if value:
            years.append((value, "file_name"))
    for folder in reversed(pure.parent.parts[-rules.path_folders :]):
        m = rules.folder_year.fullmatch(folder)
        if m:
            value = year_value(m.group("year"))
            if value:
                years.append((value, "folder"))
            continue
        unit = parse_unit(folder, "folder", rules) or place_unit(folder, "folder", rules)
        if unit is not None:
            units.append(unit)
    return units, years
