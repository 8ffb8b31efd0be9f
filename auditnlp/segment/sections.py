"""Paragraphs and numbered sections (一、/（一）/ 1. /（1）/ ① / 第一部分): levels, headings, roles."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from auditnlp.segment.rules import StructureRules
from auditnlp.segment.sentences import first_sentence_end
from auditnlp.types import Paragraph, Section, SectionRole


@dataclass(frozen=True, slots=True)
class HeadingMatch:
    """A heading found at the start of a paragraph."""

    paragraph: int
    rank: int
    kind: str
    marker: str
    start: int
    heading_start: int
    heading_end: int


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each line of the normalised text (each line is one paragraph)."""
    spans = []
    pos = 0
    for line in text.split("\n"):
        if line:
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def match_heading(
    text: str, start: int, end: int, rules: StructureRules, styled_level: int | None = None
) -> tuple[int, str, str, int, int] | None:
    """Match a heading marker at ``text[start]``: (rank, kind, marker, heading_start, heading_end).

    The heading runs to the end of the first sentence (without its final punctuation) when that
    sentence is short, else to the end of its first clause: ``（一）在“思”字上下功夫，解决一个“慢”字。牢牢…``
    has the heading ``在“思”字上下功夫，解决一个“慢”字``.
    """
    any_heading = rules.any_heading
    for rule in rules.headings if any_heading is None or any_heading.match(text, start, end) else ():
        m = rule.pattern.match(text, start, end)
        if m is None or m.end() >= end:
            continue
        marker = text[m.start() : m.end()]
        h_start = m.end()
        while h_start < end and text[h_start] == " ":
            h_start += 1
        h_end = _heading_end(text, h_start, end, rules.heading_max_chars)
        if h_end <= h_start:
            continue
        return rule.rank, rule.kind, marker.strip(), h_start, h_end
    any_plain = rules.any_plain
    for pattern in rules.plain_headings if any_plain is None or any_plain.fullmatch(text, start, end) else ():
        plain = pattern.fullmatch(text, start, end)
        if plain is None:
            continue
        if "heading" in pattern.groupindex and plain.start("heading") >= 0:  # 【审计发现】: the words inside
            h_start, h_end = plain.span("heading")
            return 1, "plain", text[start:h_start] + text[h_end:end], h_start, h_end
        return 1, "plain", "", start, end
    if styled_level is not None:
        h_end = _heading_end(text, start, end, rules.heading_max_chars)
        return -10 + styled_level, f"style{styled_level}", "", start, h_end
    return None


def _heading_end(text: str, start: int, end: int, max_chars: int) -> int:
    stop = first_sentence_end(text, start, end)
    if stop - start > max_chars:
        clause = start
        while clause < stop and text[clause] not in "，；,;：:":
            clause += 1
        stop = clause if clause - start <= max_chars else start + 0
        if stop == start:
            return start
    while stop > start and text[stop - 1] in "。！？!?.；;，,：: ":
        stop -= 1
    return stop


def _role(heading: str, rules: StructureRules) -> SectionRole | None:
    for role, pattern in rules.role_groups:
        if pattern.search(heading):
            return role  # type: ignore[return-value]
    return None


def build_sections(
    text: str,
    rules: StructureRules,
    *,
    styled: dict[str, int] | None = None,
    skip: set[int] | None = None,
    doc_type: str | None = None,
    spans: list[tuple[int, int]] | None = None,
) -> tuple[tuple[Section, ...], tuple[Paragraph, ...], list[HeadingMatch]]:
    """Find paragraphs and sections of the normalised `text`.

    `styled` maps paragraph texts to heading levels given by the container (.docx heading styles);
    `skip` holds paragraph indexes that cannot be headings (title, salutation, closing); `doc_type`
    chooses the default role of unmatched top-level sections (``rules.default_roles``); `spans` are the
    paragraph spans of `text` when the caller has them (:func:`paragraph_spans`).
    """
    paras = paragraph_spans(text) if spans is None else spans
    styled = styled or {}
    skip = skip or set()
    matches: list[HeadingMatch] = []
    for index, (start, end) in enumerate(paras):
        if index in skip:
            continue
        found = match_heading(text, start, end, rules, styled.get(text[start:end]) if styled else None)
        if found is None:
            continue
        rank, kind, marker, h_start, h_end = found
        matches.append(HeadingMatch(index, rank, kind, marker, start, h_start, h_end))
    ranks = sorted({m.rank for m in matches})
    level_of = {rank: i + 1 for i, rank in enumerate(ranks)}

    sections: list[Section] = []
    first_start = matches[0].start if matches else len(text)
    if first_start > 0 or not matches:
        sections.append(Section(0, 0, "", "", 0, 0, "front", 0, first_start, None, text[0:first_start]))
    stack: list[int] = []  # indexes into `sections` of open sections
    default_role = dict(rules.default_roles).get(doc_type or "")
    previous_top_role: SectionRole | None = default_role  # type: ignore[assignment]
    raw: list[tuple[int, HeadingMatch, int | None, SectionRole]] = []
    for m in matches:
        level = level_of[m.rank]
        while stack and raw[stack[-1]][0] >= level:
            stack.pop()
        parent = stack[-1] if stack else None
        heading = text[m.heading_start : m.heading_end]
        role = _role(heading, rules)
        if parent is not None and (role is None or raw[parent][3] in ("problems", "plans", "other")):
            role = raw[parent][3]
        elif role is None:  # a section after the problems (问题产生的原因, 处理整改情况) is not one
            role = previous_top_role if previous_top_role in ("review", "plans") else "review"
        if parent is None:
            previous_top_role = role
        raw.append((level, m, parent, role))
        stack.append(len(raw) - 1)
    # a section ends where the next heading of its level or above starts: one pass with a stack of the
    # sections still open (a scan of the later headings for each one was quadratic in their number)
    ends = [len(text)] * len(raw)
    open_sections: list[int] = []
    for i, (level, m, _, _) in enumerate(raw):
        while open_sections and raw[open_sections[-1]][0] >= level:
            ends[open_sections.pop()] = m.start
        open_sections.append(i)
    offset = len(sections)
    for i, (level, m, parent, role) in enumerate(raw):
        end = ends[i]
        sections.append(
            Section(
                id=offset + i,
                level=level,
                marker=m.marker,
                heading=text[m.heading_start : m.heading_end],
                heading_start=m.heading_start,
                heading_end=m.heading_end,
                role=role,
                start=m.start,
                end=end,
                parent=None if parent is None else offset + parent,
                text=text[m.start : end],
            )
        )
    paragraphs = []
    starts = [s.start for s in sections]
    for index, (start, end) in enumerate(paras):
        owner = _innermost(sections, starts, start)
        paragraphs.append(Paragraph(index, owner, start, end, text[start:end]))
    return tuple(sections), tuple(paragraphs), matches


def _innermost(sections: list[Section], starts: list[int], pos: int) -> int:
    """Id of the innermost section containing `pos` (sections are nested and in document order)."""
    i = bisect.bisect_right(starts, pos) - 1
    while i >= 0:
        if pos < sections[i].end:
            return sections[i].id
        i -= 1
    return sections[0].id if sections else 0
