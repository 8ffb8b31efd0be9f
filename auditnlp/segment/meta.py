"""Title, salutation, closing formula and document metadata (unit, covered year, document type).

Nothing is invented: a field the title, the container (spreadsheet columns, .docx title style) or the
dateline under the title does not give stays ``None``.
"""

from __future__ import annotations

import regex

from auditnlp._data import Pattern
from auditnlp.segment.rules import StructureRules
from auditnlp.types import Meta, Span

_YEAR = regex.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年|年度)")
_PLAN_YEAR = regex.compile(r"(?<!\d)((?:19|20)\d{2})\s*年(?:度)?(?:的)?(?:工作)?(?:计划|安排|打算|思路|要点)")
_DATELINE = regex.compile(r"^[—\-－–─]*\s*((?:19|20)\d{2})年\d{1,2}月\d{1,2}日.{0,60}(?:会议|大会|讲话|报告)")
_SENTENCE_END = regex.compile(r"[。！？!?；;]$")


def find_title(
    text: str, paragraphs: list[tuple[int, int]], rules: StructureRules, styled_title: str | None
) -> Span | None:
    """The title: the container's title paragraph, else a short first paragraph that reads as a title."""
    for start, end in paragraphs[:3]:
        line = text[start:end]
        if styled_title is not None and line == styled_title:
            return Span(start, end, line)
    if not paragraphs:
        return None
    start, end = paragraphs[0]
    line = text[start:end]
    if (
        len(line) <= rules.title_max_chars
        and not _SENTENCE_END.search(line)
        and rules.title_keywords.search(line)
        and not rules.salutation.fullmatch(line)
        and not any(h.pattern.match(line) for h in rules.headings)
    ):
        return Span(start, end, line)
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


def find_meta(
    text: str,
    paragraphs: list[tuple[int, int]],
    title: Span | None,
    salutation: Span | None,
    rules: StructureRules,
    fields: dict[str, str],
) -> Meta:
    """Unit, covered year, plan year and document type from the title, dateline and container fields."""
    title_text = title.text if title is not None else fields.get("title")
    unit = year = plan_year = None
    if title_text:
        for pattern in rules.units:
            m = pattern.search(title_text)
            if m:
                unit = m.group("unit")
                break
        years = _YEAR.findall(title_text)
        if years:
            year = int(years[0])
        m = _PLAN_YEAR.search(title_text)
        if m and len(years) > 1:
            plan_year = int(m.group(1))
    for start, end in paragraphs[:4]:
        line = text[start:end]
        dateline = _DATELINE.search(line)
        if dateline is None:
            continue
        if year is None:
            year = int(dateline.group(1))
        if unit is None:
            for pattern in rules.dateline_units:
                m = pattern.search(line)
                if m:
                    unit = m.group("unit")
                    break
        break
    if fields.get("unit"):
        unit = unit or fields["unit"]
    if fields.get("year", "").isdigit():
        year = year or int(fields["year"])
    doc_type = None
    for name, pattern, needs_salutation in rules.doc_types:
        if pattern is not None and title_text and pattern.search(title_text):
            doc_type = name
            break
        if needs_salutation and salutation is not None:
            doc_type = name
            break
    extra = tuple((k, v) for k, v in fields.items() if k not in {"title", "unit", "year"})
    return Meta(title=title_text, unit=unit, year=year, doc_type=doc_type, plan_year=plan_year, extra=extra)
