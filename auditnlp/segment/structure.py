"""The structure stage: normalised text → title, formulas, metadata, sections, paragraphs, sentences, items.

:func:`segment` is the whole stage as one pure function; :class:`StructureIndex` answers "which sentence,
paragraph and section hold this offset" by bisection, built once per report and shared by the extractors.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from auditnlp.lexicon import LexiconsLike, as_lexicons
from auditnlp.segment.lists import find_items
from auditnlp.segment.meta import find_closing, find_meta, find_salutation, find_title
from auditnlp.segment.meta_rules import meta_rules
from auditnlp.segment.rules import structure_rules
from auditnlp.segment.sections import build_sections, paragraph_spans
from auditnlp.segment.sentences import sentence_spans
from auditnlp.types import ListItem, Meta, Paragraph, Removal, Report, Section, Sentence, Span


@dataclass(frozen=True, slots=True)
class Structure:
    """What the structure stage finds in a normalised text (offsets into that text)."""

    title: Span | None
    salutation: Span | None
    closing: Span | None
    meta: Meta
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]
    sentences: tuple[Sentence, ...]
    items: tuple[ListItem, ...]
    warnings: tuple[str, ...]


def segment(
    text: str,
    /,
    *,
    lexicon: LexiconsLike = None,
    headings: Sequence[tuple[str, int]] = (),
    fields: Sequence[tuple[str, str]] = (),
    removed: Sequence[Removal] = (),
    path: str | None = None,
    row: int | None = None,
) -> Structure:
    """Find the structure of a normalised `text`.

    `headings` are paragraphs the container marks as headings (text, level; level 0 is the title),
    `fields` the container's metadata (a spreadsheet row's title, unit, year …), `removed` the debris
    normalisation took out (a web page's 来源 line names its unit), `path` and `row` where the text was
    read from (file and folder names are a last, weak source of unit and year; a row of a spreadsheet
    has none).
    """
    bundle = as_lexicons(lexicon)
    rules = structure_rules(bundle)
    meta_lexicon = meta_rules(bundle)
    paras = paragraph_spans(text)
    styled = {t: level for t, level in headings if level > 0}
    styled_title = next((t for t, level in headings if level == 0), None)
    title = find_title(text, paras, rules, styled_title, meta_lexicon.header_lines)
    salutation = find_salutation(text, paras, rules)
    closing = find_closing(text, paras, rules)
    formulas = {span.start for span in (title, salutation, closing) if span is not None}
    skip = {i for i, (s, _) in enumerate(paras) if s in formulas}
    meta, meta_warnings = find_meta(
        text, paras, title, salutation, rules, dict(fields), meta_lexicon, removed=removed, path=path, row=row
    )
    sections, paragraphs, found = build_sections(
        text, rules, styled=styled, skip=skip, doc_type=meta.doc_type, spans=paras
    )
    body_starts = {h.paragraph: h.heading_end for h in found}
    sentences: list[Sentence] = []
    add = sentences.append
    for para in paragraphs:
        para_id = para.id
        for start, end in sentence_spans(text, para.start, para.end):
            add(Sentence(len(sentences), para_id, start, end, text[start:end]))
    items = find_items(text, paragraphs, body_starts, rules)
    warnings = list(meta_warnings)
    if len(sections) <= 1:
        warnings.append("no numbered section headings found")
    return Structure(
        title, salutation, closing, meta, sections, paragraphs, tuple(sentences), items, tuple(warnings)
    )


class StructureIndex:
    """Which sentence, paragraph and section hold an offset of a report's text, by bisection.

    Build it once per report (``StructureIndex(report)``); every lookup is O(log n) (sections: O(log n +
    depth)), so extractors stay linear in the length of the text.
    """

    __slots__ = (
        "_by_id",
        "_head_ends",
        "_head_starts",
        "_i_starts",
        "_items",
        "_p_starts",
        "_paragraphs",
        "_s_ids",
        "_s_starts",
        "_sec_keys",
        "_sections",
        "_top_items",
        "ids_are_positions",
    )

    def __init__(self, report: Report) -> None:
        self._paragraphs = report.paragraphs
        self._p_starts = [p.start for p in report.paragraphs]
        self.ids_are_positions = all(p.id == i for i, p in enumerate(report.paragraphs))
        """Whether paragraph ``i`` of the report has id ``i`` (so ids index ``report.paragraphs``)."""
        self._items = sorted(report.items, key=lambda i: i.start)
        self._i_starts = [i.start for i in self._items]
        self._top_items: dict[int, tuple[ListItem, ...]] = {}
        for item in self._items:
            if item.parent is None:
                self._top_items[item.paragraph] = (*self._top_items.get(item.paragraph, ()), item)
        self._s_starts = [s.start for s in report.sentences]
        self._s_ids = [s.id for s in report.sentences]
        ordered = sorted(report.sections, key=lambda s: (s.start, s.level))
        self._sections = ordered
        self._sec_keys = [s.start for s in ordered]
        self._by_id = {s.id: s for s in report.sections}
        heads = sorted(
            (s.heading_start, s.heading_end) for s in report.sections if s.heading_end > s.heading_start
        )
        self._head_starts = [a for a, _ in heads]
        self._head_ends = [b for _, b in heads]

    def paragraph(self, offset: int) -> Paragraph | None:
        """The paragraph whose span holds `offset`, or ``None`` (a line break between paragraphs)."""
        i = bisect.bisect_right(self._p_starts, offset) - 1
        if i >= 0 and offset < self._paragraphs[i].end:
            return self._paragraphs[i]
        return None

    def paragraphs_in(self, start: int, end: int) -> tuple[Paragraph, ...]:
        """The paragraphs starting in [start, end), in order."""
        lo = bisect.bisect_left(self._p_starts, start)
        hi = bisect.bisect_left(self._p_starts, end)
        return tuple(self._paragraphs[lo:hi])

    def paragraphs_overlapping(self, start: int, end: int) -> tuple[Paragraph, ...]:
        """The paragraphs overlapping [start, end), in order (the first may start before `start`)."""
        lo = max(bisect.bisect_right(self._p_starts, start) - 1, 0)
        hi = bisect.bisect_left(self._p_starts, end)
        return tuple(p for p in self._paragraphs[lo:hi] if p.end > start)

    def top_items(self, paragraph: int) -> tuple[ListItem, ...]:
        """The list items of paragraph id `paragraph` that have no parent, in order."""
        return self._top_items.get(paragraph, ())

    def items_in(self, start: int, end: int) -> tuple[ListItem, ...]:
        """The list items starting in [start, end), in order."""
        lo = bisect.bisect_left(self._i_starts, start)
        hi = bisect.bisect_left(self._i_starts, end)
        return tuple(self._items[lo:hi])

    def paragraph_id(self, offset: int) -> int:
        """Id of the last paragraph starting at or before `offset` (the first paragraph before any)."""
        i = bisect.bisect_right(self._p_starts, offset) - 1
        if not self._paragraphs:
            return 0
        return self._paragraphs[max(i, 0)].id

    def sentence_id(self, offset: int) -> int:
        """Id of the last sentence starting at or before `offset` (the first sentence before any)."""
        i = bisect.bisect_right(self._s_starts, offset) - 1
        if not self._s_ids:
            return 0
        return self._s_ids[max(i, 0)]

    def section(self, offset: int) -> Section | None:
        """The innermost section holding `offset`, or ``None``.

        Sections nest, so the innermost one is the last section starting at or before `offset` or one of
        its ancestors: walk up the parents until one holds the offset.
        """
        i = bisect.bisect_right(self._sec_keys, offset) - 1
        section = self._sections[i] if i >= 0 else None
        while section is not None and not section.start <= offset < section.end:
            section = self._by_id.get(section.parent) if section.parent is not None else None
        return section

    def locate(self, offset: int) -> tuple[int, int, int]:
        """(sentence id, paragraph id, section id) for a record starting at `offset`.

        The section is the paragraph's section (the innermost section holding the paragraph).
        """
        paragraph = self.paragraph_id(offset)
        if self._paragraphs:
            i = bisect.bisect_right(self._p_starts, offset) - 1
            section = self._paragraphs[max(i, 0)].section
        else:
            found = self.section(offset)
            section = found.id if found is not None else 0
        return self.sentence_id(offset), paragraph, section

    def in_heading(self, start: int, end: int) -> bool:
        """Whether [start, end) overlaps a section heading (headings are disjoint, so one check is enough)."""
        i = bisect.bisect_left(self._head_starts, end) - 1
        return i >= 0 and self._head_ends[i] > start
