"""Problems a report admits or finds, and measures it plans.

Problems come from problems sections (存在问题 / 存在的不足 / 审计发现的主要问题 / 未整改到位的问题及原因),
from statements in running text (我们也清醒看到… 一是…; 还存在一些不足：…), from paragraphs dense with
problem words whatever their opening (当前，…还需…，…尚未…), and, in audit work reports and documents of no
known type (news pages, cases), from sentences reporting a finding (核查组发现，…); measures from plans
sections (下一步工作思路 / 工作计划 / 审计建议 / 经验启示), single-paragraph 下一步 statements and dated
commitments (区政府将于年底前…). Under a section the unit is its sub-sections, else its list items (with the
statement before them: 尚有12个问题未整改到位…。原因主要是：一是…), else its paragraphs. A problems
sub-section whose heading states a problem and that has numbered findings or paragraphs of its own is a
problem (its heading) with children (:attr:`Finding.parent`); one whose heading names a topic
(预算编制和执行方面) gives its children only. Cue phrases live in ``lexicons/findings.yaml``.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import regex

from auditnlp._data import Pattern, compile_pattern
from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons
from auditnlp.segment.structure import StructureIndex
from auditnlp.types import Finding, ListItem, Paragraph, Report, Section

CUES_FILE = "findings.yaml"
_FLAGS = regex.VERBOSE
_PIECE = regex.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")
_TRIM = "，,。；;：:、 \u3000"
_MIN_PIECE = 4
_HEADING_MAX = 30
_LEAD_SENTENCE = regex.compile(rf"[^。！？\n]{{2,{_HEADING_MAX}}}?(?=[。！？])")

Kind = Literal["problem", "measure"]


@dataclass(frozen=True, slots=True)
class FindingCues:
    """Compiled cue patterns (from ``findings.yaml``)."""

    problem_headings: Pattern
    problem_running: Pattern
    framing: Pattern
    lead: Pattern
    response: Pattern
    continuation: Pattern
    measure_headings: Pattern
    measure_running: Pattern
    measure_exclude: Pattern
    notes: Pattern
    annex: Pattern
    source: str
    markers: Pattern | None = None
    dense_min: int = 0
    dense_per_100: float = 0.0
    statement: Pattern | None = None
    topical: Pattern | None = None
    finding_sentence: Pattern | None = None
    finding_doc_types: tuple[str, ...] = ()
    finding_count: Pattern | None = None
    commitment: Pattern | None = None
    closing: Pattern | None = None


def _pattern(data: dict[str, Any], group: str, key: str, where: str) -> Any:
    section = data.get(group)
    if not isinstance(section, dict) or not isinstance(section.get(key), str):
        raise LexiconError(where, f"{group}.{key}: expected a regex string")
    return compile_pattern(section[key], where, _FLAGS)


def _optional(data: dict[str, Any], group: str, key: str, where: str) -> Any:
    """An optional regex of `group` (``None`` when absent; an error when not a string)."""
    section = data.get(group)
    value = section.get(key) if isinstance(section, dict) else None
    if value is None:
        return None
    if not isinstance(value, str):
        raise LexiconError(where, f"{group}.{key}: expected a regex string")
    return compile_pattern(value, where, _FLAGS)


def _number(value: Any, where: str, key: str) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LexiconError(where, f"{key}: expected a number, got {value!r}")
    return float(value)


def _top_pattern(data: dict[str, Any], key: str, where: str) -> Any:
    if not isinstance(data.get(key), str):
        raise LexiconError(where, f"{key}: expected a regex string")
    return compile_pattern(data[key], where, _FLAGS)


def build_finding_cues(lex: Lexicons) -> FindingCues:
    """Compile ``findings.yaml`` of `lex`."""
    data = lex.yaml(CUES_FILE)
    where = lex.where(CUES_FILE)
    if not isinstance(data, dict):
        raise LexiconError(where, "top level: expected a mapping with `problems` and `measures`")
    group = data.get("problems")
    problems: dict[str, Any] = group if isinstance(group, dict) else {}
    dense = problems.get("dense") or {}
    if not isinstance(dense, dict):
        raise LexiconError(where, "problems.dense: expected a mapping (min_markers, per_100_chars)")
    doc_types = problems.get("finding_doc_types") or []
    if not isinstance(doc_types, list):
        raise LexiconError(where, "problems.finding_doc_types: expected a list of document types")
    return FindingCues(
        problem_headings=_pattern(data, "problems", "headings", where),
        problem_running=_pattern(data, "problems", "running", where),
        framing=_pattern(data, "problems", "framing", where),
        lead=_pattern(data, "problems", "lead", where),
        response=_pattern(data, "problems", "response", where),
        continuation=_pattern(data, "problems", "continuation", where),
        measure_headings=_pattern(data, "measures", "headings", where),
        measure_running=_pattern(data, "measures", "running", where),
        measure_exclude=_pattern(data, "measures", "exclude", where),
        notes=_top_pattern(data, "notes", where),
        annex=_top_pattern(data, "annex", where),
        source=where,
        markers=_optional(data, "problems", "markers", where),
        dense_min=int(_number(dense.get("min_markers"), where, "problems.dense.min_markers")),
        dense_per_100=_number(dense.get("per_100_chars"), where, "problems.dense.per_100_chars"),
        statement=_optional(data, "problems", "statement", where),
        topical=_optional(data, "problems", "topical", where),
        finding_sentence=_optional(data, "problems", "finding_sentence", where),
        finding_doc_types=tuple(str(t) for t in doc_types),
        finding_count=_optional(data, "problems", "finding_count", where),
        commitment=_optional(data, "measures", "commitment", where),
        closing=_optional(data, "measures", "closing", where),
    )


def load_finding_cues(lexicon: LexiconsLike = None) -> FindingCues:
    """The compiled cues of ``findings.yaml`` in `lexicon` (a bundle or a folder; ``None``: packaged)."""
    return as_lexicons(lexicon).part("findings", build_finding_cues)


# --------------------------------------------------------------------------------------------------
# helpers


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past surrounding whitespace and clause punctuation (keep a final 。)."""
    while start < end and (text[start].isspace() or text[start] in _TRIM):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "，,；;：:、 \u3000"):
        end -= 1
    return start, end


def _finding(
    report: Report,
    kind: Kind,
    start: int,
    end: int,
    *,
    heading: str | None,
    section: int,
    source: str,
    item: int | None = None,
    paragraph: int | None = None,
) -> Finding | None:
    start, end = _trimmed(report.text, start, end)
    if end - start < _MIN_PIECE:
        return None
    return Finding(kind, start, end, report.text[start:end], heading, section, source, item, paragraph)


def _short_heading(text: str) -> str | None:
    """The lead sentence of a paragraph when it reads as a heading (加快制造强省建设。…)."""
    match = _LEAD_SENTENCE.match(text)
    if match is None or ("，" in match.group() and len(match.group()) > 20):
        return None
    return match.group()


def _response_cut(report: Report, start: int, end: int, cues: FindingCues) -> int:
    """End of [start, end) before the first response sentence (我们将…加以解决), if any."""
    text = report.text
    for piece in _PIECE.finditer(text, start, end):
        if piece.start() > start and cues.response.search(text[piece.start() : piece.end()].lstrip(_TRIM)):
            return piece.start()
    return end


def _finding_end(
    report: Report, kind: Kind, start: int, end: int, cues: FindingCues, index: StructureIndex | None = None
) -> int:
    """Where a finding ends: a problem stops before the report's answer to it (对此，… / 我们将…), a measure
    before a closing paragraph inside its span (主任、副主任、各位委员，… / 以上报告，请予审议。 / …，为…贡献
    审计力量。): the last sub-section of a plans section runs to the section's end and would take them in."""
    if kind == "problem":
        return _response_cut(report, start, end, cues)
    if index is not None:
        for para in index.paragraphs_in(start + 1, end):
            line = para.text.strip()
            if cues.measure_exclude.search(line) or (cues.closing is not None and cues.closing.search(line)):
                return para.start
    return end


def _is_role(section: Section, kind: Kind, cues: FindingCues) -> bool:
    if kind == "problem":
        return section.role == "problems" or (
            section.role == "other" and bool(cues.problem_headings.search(section.heading))
        )
    return section.role == "plans" or (
        section.role == "other" and bool(cues.measure_headings.search(section.heading))
    )


def _roots(report: Report, kind: Kind, cues: FindingCues) -> list[Section]:
    """Outermost problems (or plans) sections; one nested in a section of the other kind is skipped
    (a plans sub-section titled 补齐数据短板 is a measure, not a problem)."""
    by_id = {s.id: s for s in report.sections}
    other: Kind = "measure" if kind == "problem" else "problem"
    roots = []
    for section in report.sections:
        if section.level == 0 or not _is_role(section, kind, cues):
            continue
        ancestors = []
        parent = by_id.get(section.parent) if section.parent is not None else None
        while parent is not None:
            ancestors.append(parent)
            parent = by_id.get(parent.parent) if parent.parent is not None else None
        if any(_is_role(a, kind, cues) or _is_role(a, other, cues) for a in ancestors):
            continue
        roots.append(section)
    return roots


def _body_start(section: Section) -> int:
    return section.heading_end if section.heading_end > section.heading_start else section.start


# --------------------------------------------------------------------------------------------------
# findings under a section


def _in_regions(offset: int, regions: Sequence[tuple[int, int]]) -> bool:
    return any(lo <= offset < hi for lo, hi in regions)


def _under_section(
    report: Report,
    root: Section,
    kind: Kind,
    cues: FindingCues,
    regions: Sequence[tuple[int, int]],
    index: StructureIndex,
    kids: dict[int, list[Section]],
    parents: dict[tuple[int, int], tuple[int, int]],
) -> Iterator[Finding]:
    children = [s for s in kids.get(root.id, ()) if not _in_regions(s.start, regions)]
    if children:
        for child in children:
            if kind == "problem":
                yield from _problem_subsection(report, child, cues, regions, index, kids, parents)
                continue
            end = _finding_end(report, kind, child.start, child.end, cues, index)
            para = index.paragraph(child.heading_start)
            found = _finding(
                report,
                kind,
                child.start,
                end,
                heading=child.heading or None,
                section=child.id,
                source="section",
                paragraph=para.id if para is not None else None,
            )
            if found is not None:
                yield found
        return
    body = _body_start(root)
    items = [
        i for i in index.items_in(body, root.end) if i.parent is None and not _in_regions(i.start, regions)
    ]
    if items:
        if kind == "problem":
            yield from _lead_statements(report, items, body, cues, index)
        yield from _from_items(report, items, kind, cues, index)
        return
    yield from _paragraph_findings(report, root, kind, cues, regions, index)


def _states_problem(heading: str, cues: FindingCues) -> bool:
    """Whether a sub-heading states a problem (专项资金拨付不及时) rather than a topic (预算执行方面)."""
    if cues.statement is None or not cues.statement.search(heading):
        return False
    return cues.topical is None or not cues.topical.search(heading)


def _problem_subsection(
    report: Report,
    child: Section,
    cues: FindingCues,
    regions: Sequence[tuple[int, int]],
    index: StructureIndex,
    kids: dict[int, list[Section]],
    parents: dict[tuple[int, int], tuple[int, int]],
) -> Iterator[Finding]:
    """Findings of one sub-section of a problems section.

    Run in (（一）在理论学习方面。学习的系统性…) or without units of its own, the sub-section is one finding.
    With numbered sub-sections, or a heading line followed by list items or paragraphs, those are the
    findings; when the heading states a problem it is a finding too, and their parent.
    """
    text = report.text
    head = index.paragraph(child.heading_start) or index.paragraph(child.start)
    units: list[tuple[int, int, str | None, int, str, int | None, int | None]] = []
    grand = [g for g in kids.get(child.id, ()) if not _in_regions(g.start, regions)]
    if grand and head is not None:
        # paragraphs before the first numbered sub-section (1.2023年度… is not a heading: 1.2 is a number)
        for p in index.paragraphs_in(head.end, grand[0].start):
            if not _in_regions(p.start, regions):
                units.append((p.start, p.end, None, p.section, "paragraph", None, p.id))
        for g in grand:
            para = index.paragraph(g.heading_start)
            pid = para.id if para else None
            units.append((g.start, g.end, g.heading or None, g.id, "section", None, pid))
    elif head is not None and not text[max(child.heading_end, head.start) : head.end].strip(_TRIM):
        body = [p for p in index.paragraphs_in(head.end, child.end) if not _in_regions(p.start, regions)]
        items = [i for i in index.items_in(head.end, child.end) if i.parent is None]
        if items:
            units = [(i.start, i.end, i.title, i.section, "item", i.id, i.paragraph) for i in items]
        else:
            units = [(p.start, p.end, None, p.section, "paragraph", None, p.id) for p in body]
    units = [u for u in units if not cues.response.search(text[u[0] : u[1]].lstrip(_TRIM)[:20])]
    if not units or head is None:
        end = _finding_end(report, "problem", child.start, child.end, cues)
        found = _finding(
            report,
            "problem",
            child.start,
            end,
            heading=child.heading or None,
            section=child.id,
            source="section",
            paragraph=head.id if head is not None else None,
        )
        if found is not None:
            yield found
        return
    parent: Finding | None = None
    if _states_problem(child.heading, cues):
        parent = _finding(
            report,
            "problem",
            child.start,
            head.end,
            heading=child.heading or None,
            section=child.id,
            source="section",
            paragraph=head.id,
        )
        if parent is not None:
            yield parent
    for start, end, heading, section, source, item, para_id in units:
        end = _finding_end(report, "problem", start, end, cues)
        found = _finding(
            report,
            "problem",
            start,
            end,
            heading=heading if heading is not None else _short_heading(text[start:end].lstrip(_TRIM)),
            section=section,
            source=source,
            item=item,
            paragraph=para_id,
        )
        if found is not None:
            if parent is not None:
                parents[(found.start, found.end)] = (parent.start, parent.end)
            yield found


def _lead_statements(
    report: Report, items: Sequence[ListItem], body: int, cues: FindingCues, index: StructureIndex
) -> Iterator[Finding]:
    """Problem statements before the first list item of each paragraph of a problems section:
    尚有12个问题未整改到位，…。原因主要是：一是… (the introduction ending in ： is not one)."""
    seen: set[int] = set()
    for item in items:
        if item.paragraph in seen:
            continue
        seen.add(item.paragraph)
        para = index.paragraph(item.start)
        if para is None:
            continue
        for piece in _PIECE.finditer(report.text, max(para.start, body), item.start):
            raw = piece.group().strip()
            body_text = raw.strip(_TRIM)
            if not body_text or raw.endswith(("：", ":")) or cues.framing.search(body_text):
                continue
            if cues.response.search(body_text) or cues.lead.search(body_text):
                continue
            if cues.markers is not None and not cues.markers.search(body_text):
                continue
            found = _finding(
                report,
                "problem",
                piece.start(),
                piece.end(),
                heading=None,
                section=para.section,
                source="paragraph",
                paragraph=para.id,
            )
            if found is not None:
                yield found


_HEADING_STOP = regex.compile(r"[。；;！？：:]")
_COLON = regex.compile(r"[：:]")


def _is_heading_line(text: str) -> bool:
    """A one-sentence short paragraph that heads the paragraphs after it (旗帜鲜明讲政治。)."""
    text = text.strip()
    body = text.rstrip("。")
    return 2 <= len(body) <= _HEADING_MAX and not _HEADING_STOP.search(body)


def _paragraph_findings(
    report: Report,
    root: Section,
    kind: Kind,
    cues: FindingCues,
    regions: Sequence[tuple[int, int]],
    index: StructureIndex,
) -> Iterator[Finding]:
    """Findings of a section without sub-sections or items.

    Headed paragraph groups (旗帜鲜明讲政治。 + its paragraphs) when there are some; else the whole
    section when its heading is specific (稳定和扩大就业); else one per paragraph (under a generic
    heading such as 下一步工作思路).
    """
    body = _body_start(root)
    generic = cues.problem_headings if kind == "problem" else cues.measure_headings
    paras = []
    for para in index.paragraphs_overlapping(body, root.end):
        if _in_regions(para.start, regions):
            continue
        start = max(para.start, body)
        segment = report.text[start : para.end].strip()
        if not segment or (kind == "measure" and cues.measure_exclude.search(segment)):
            continue
        paras.append((para, start))
    if not paras:
        return
    heads = [
        i
        for i, (para, start) in enumerate(paras[:-1])
        if _is_heading_line(report.text[start : para.end])
        and paras[i + 1][0].end - paras[i + 1][1] > para.end - start
    ]
    if heads:
        bounds = [*heads, len(paras)]
        for first, stop in itertools.pairwise(bounds):
            para, start = paras[first]
            last = paras[stop - 1][0]
            end = _finding_end(report, kind, start, last.end, cues, index)
            found = _finding(
                report,
                kind,
                start,
                end,
                heading=report.text[start : para.end].strip().rstrip("。") or None,
                section=para.section,
                source="paragraph",
                paragraph=para.id,
            )
            if found is not None:
                yield found
        return
    if root.heading and not generic.search(root.heading):
        first_para = paras[0][0]
        end = _finding_end(report, kind, root.start, root.end, cues, index)
        found = _finding(
            report,
            kind,
            root.start,
            end,
            heading=root.heading,
            section=root.id,
            source="section",
            paragraph=first_para.id,
        )
        if found is not None:
            yield found
        return
    for para, start in paras:
        segment = report.text[start : para.end].strip()
        if segment.endswith(("：", ":")):
            continue  # an introduction (存在以下问题：)
        end = _finding_end(report, kind, start, para.end, cues)
        found = _finding(
            report,
            kind,
            start,
            end,
            heading=_short_heading(report.text[start:end].lstrip(_TRIM)),
            section=para.section,
            source="paragraph",
            paragraph=para.id,
        )
        if found is not None:
            yield found


def _from_items(
    report: Report,
    items: Sequence[ListItem],
    kind: Kind,
    cues: FindingCues,
    index: StructureIndex | None = None,
) -> Iterator[Finding]:
    for item in items:
        end = _finding_end(report, kind, item.start, item.end, cues, index)
        found = _finding(
            report,
            kind,
            item.start,
            end,
            heading=item.title,
            section=item.section,
            source="item",
            item=item.id,
            paragraph=item.paragraph,
        )
        if found is not None:
            yield found


# --------------------------------------------------------------------------------------------------
# statements in running text


def _statement_pieces(
    report: Report, para: Paragraph, cue_end: int, cues: FindingCues
) -> Iterator[tuple[int, int]]:
    """Problem pieces (sentences and ；-clauses) after a running-text cue, up to the response."""
    text = report.text
    first = True
    for piece in _PIECE.finditer(text, cue_end, para.end):
        start, end = piece.span()
        body = text[start:end].strip(_TRIM)
        if cues.response.search(body):
            return
        if first:
            first = False
            colon = _COLON.search(text, start, end)
            if colon is not None:
                start = colon.end()  # 面临的困难和挑战：有效需求不足… → the part after the colon
            elif cues.framing.search(body):
                continue
        lead = cues.lead.search(text[start:end].lstrip(_TRIM))
        if lead is not None:
            start = start + (len(text[start:end]) - len(text[start:end].lstrip(_TRIM))) + lead.end()
        if cues.framing.search(text[start:end].strip(_TRIM)):
            continue
        yield start, end


def _running_problems(
    report: Report, para: Paragraph, match: Any, cues: FindingCues, index: StructureIndex
) -> Iterator[Finding]:
    items = [i for i in index.top_items(para.id) if i.start >= match.end()]
    if items:
        yield from _from_items(report, items, "problem", cues)
        yield from _following(report, para, cues, index, next_index=items[-1].index + 1, dashes=False)
        return
    pieces = []
    if not report.text[para.start : para.end].rstrip().endswith(("：", ":")):
        pieces = list(_statement_pieces(report, para, match.end(), cues))
    if not pieces:  # 我们也清醒看到…困难和挑战。 followed by 一是… / ——… paragraphs
        yield from _following(report, para, cues, index)
        return
    for start, end in pieces:
        found = _finding(
            report,
            "problem",
            start,
            end,
            heading=None,
            section=para.section,
            source="paragraph",
            paragraph=para.id,
        )
        if found is not None:
            yield found


def _following(
    report: Report,
    para: Paragraph,
    cues: FindingCues,
    index: StructureIndex,
    *,
    next_index: int | None = None,
    dashes: bool = True,
) -> Iterator[Finding]:
    """Problems in the paragraphs right after `para` that open with a list item (continuing the
    numbering at `next_index` when given: 一是… in the cue paragraph, 二是… below) or a dash (——…)."""
    if not index.ids_are_positions:
        return
    for position in range(para.id + 1, len(report.paragraphs)):
        nxt = report.paragraphs[position]
        opening = list(index.top_items(nxt.id))
        if opening and opening[0].start <= nxt.start + 4:
            if next_index is not None and opening[0].index != next_index:
                return
            yield from _from_items(report, opening, "problem", cues)
            next_index = opening[-1].index + 1 if next_index is not None else None
            continue
        dash = cues.continuation.match(report.text, nxt.start, nxt.end) if dashes else None
        if dash is None:
            return
        start = dash.end()
        end = _response_cut(report, start, nxt.end, cues)
        found = _finding(
            report,
            "problem",
            start,
            end,
            heading=_short_heading(report.text[start:end]),
            section=nxt.section,
            source="paragraph",
            paragraph=nxt.id,
        )
        if found is not None:
            yield found


class _Within:
    """Whether an offset lies in one of `roots` (outermost sections: disjoint and in document order), by
    bisection (a scan of every root for every paragraph was quadratic in long reports)."""

    def __init__(self, roots: Sequence[Section]) -> None:
        self._starts = [r.start for r in roots]
        self._ends = [r.end for r in roots]

    def __call__(self, offset: int) -> bool:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i >= 0 and offset < self._ends[i]


def _dense_problems(
    report: Report, para: Paragraph, cues: FindingCues, index: StructureIndex
) -> Iterator[Finding]:
    """Problems of a paragraph dense with problem words (see ``problems.markers`` in findings.yaml): its
    list items (一是…八是…), or else its sentences and ；-clauses from the first one with a marker up to
    the report's answer (a response before the first problem is only framing: 我们要把成绩讲够，也要把
    问题说透。)."""
    items = [i for i in index.items_in(para.start, para.end) if i.paragraph == para.id and i.parent is None]
    if items:
        yield from _from_items(report, items, "problem", cues)
        return
    text = report.text
    started = False
    for piece in _PIECE.finditer(text, para.start, para.end):
        start, end = piece.span()
        body = text[start:end].strip(_TRIM)
        if cues.response.search(body):
            if started:
                return
            continue
        lead = cues.lead.search(body)
        if lead is not None:
            start = start + (len(text[start:end]) - len(text[start:end].lstrip(_TRIM))) + lead.end()
            body = text[start:end].strip(_TRIM)
        if not body or cues.framing.search(body):
            continue
        if not started and (cues.markers is None or not cues.markers.search(body)):
            continue
        found = _finding(
            report,
            "problem",
            start,
            end,
            heading=None,
            section=para.section,
            source="paragraph",
            paragraph=para.id,
        )
        if found is not None:
            started = True
            yield found


def _is_dense(text: str, cues: FindingCues) -> bool:
    """Whether a paragraph holds enough problem markers, often enough, to be a problems statement."""
    if cues.markers is None or cues.dense_min <= 0:
        return False
    count = sum(1 for _ in cues.markers.finditer(text))
    return count >= cues.dense_min and count * 100 >= cues.dense_per_100 * max(len(text), 1)


_SENTENCE = regex.compile(r"[^。！!？?\n]+[。！!？?]?")
_DIGIT = regex.compile(r"\d")


def _finding_sentences(report: Report, para: Paragraph, cues: FindingCues) -> Iterator[Finding]:
    """Sentences reporting a finding about an audited body (核查组发现，2022年…), with a figure after
    the cue and no count of findings (发现…等问题17个 is an achievement)."""
    if cues.finding_sentence is None:
        return
    for piece in _SENTENCE.finditer(report.text, para.start, para.end):
        sentence = piece.group()
        cue = cues.finding_sentence.search(sentence)
        if cue is None or not _DIGIT.search(sentence, cue.end()):
            continue
        if cues.finding_count is not None and cues.finding_count.search(sentence):
            continue
        found = _finding(
            report,
            "problem",
            piece.start(),
            piece.end(),
            heading=None,
            section=para.section,
            source="paragraph",
            paragraph=para.id,
        )
        if found is not None:
            yield found


def _commitments(report: Report, para: Paragraph, cues: FindingCues) -> Iterator[Finding]:
    """Sentences committing to a dated step (区政府将于今年年底前向区人大常委会专题报告整改情况。)."""
    if cues.commitment is None:
        return
    for piece in _SENTENCE.finditer(report.text, para.start, para.end):
        if cues.commitment.match(piece.group()):
            found = _finding(
                report,
                "measure",
                piece.start(),
                piece.end(),
                heading=None,
                section=para.section,
                source="paragraph",
                paragraph=para.id,
            )
            if found is not None:
                yield found


def extract_findings(
    report: Report, /, *, lexicon: LexiconsLike = None
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """Return ``(problems, measures)`` of `report`, each in document order.

    `lexicon` is a :class:`~auditnlp.lexicon.Lexicons` bundle or a folder of user lexicon files
    (``None``: the packaged ``findings.yaml``). A sub-finding's :attr:`~auditnlp.types.Finding.parent` is
    the position of its parent in the same tuple.
    """
    cues = load_finding_cues(lexicon)
    regions = _notes_regions(report, cues)
    problem_roots = _roots(report, "problem", cues)
    plan_roots = _roots(report, "measure", cues)
    problems: list[Finding] = []
    measures: list[Finding] = []
    index = StructureIndex(report)
    kids: dict[int, list[Section]] = {}
    for section in report.sections:
        if section.parent is not None:
            kids.setdefault(section.parent, []).append(section)
    parents: dict[tuple[int, int], tuple[int, int]] = {}
    for root in problem_roots:
        problems.extend(_under_section(report, root, "problem", cues, regions, index, kids, parents))
    for root in plan_roots:
        measures.extend(_under_section(report, root, "measure", cues, regions, index, kids, parents))
    sections = {s.id: s for s in report.sections}
    findings_here = (report.meta.doc_type or "unknown") in cues.finding_doc_types
    in_plan_root, in_problem_root = _Within(plan_roots), _Within(problem_roots)
    for para in report.paragraphs:
        in_plans = in_plan_root(para.start)
        if not in_plans and not _in_regions(para.start, regions):
            measures.extend(_commitments(report, para, cues))
        if in_problem_root(para.start):
            continue
        text = report.text[para.start : para.end]
        match = cues.problem_running.search(report.text, para.start, para.end)
        if match is not None:  # also inside a plans section: 今年…但是，仍然存在一些突出矛盾和问题。…
            problems.extend(_running_problems(report, para, match, cues, index))
            continue
        if in_plans:
            continue
        holder = sections.get(para.section)
        next_step = cues.measure_running.match(text)
        if not next_step and (holder is None or holder.role != "plans") and _is_dense(text, cues):
            problems.extend(_dense_problems(report, para, cues, index))
            continue
        if findings_here:
            problems.extend(_finding_sentences(report, para, cues))
        if next_step:
            items = list(index.top_items(para.id))
            if items:
                measures.extend(_from_items(report, items, "measure", cues))
            else:
                found = _finding(
                    report,
                    "measure",
                    para.start,
                    para.end,
                    heading=None,
                    section=para.section,
                    source="paragraph",
                    paragraph=para.id,
                )
                if found is not None:
                    measures.append(found)
    kept_problems = _with_parents(_dedupe(report, problems, regions), parents)
    kept_measures = _with_parents(_dedupe(report, measures, regions), parents)
    return tuple(kept_problems), tuple(kept_measures)


def _with_parents(findings: list[Finding], parents: dict[tuple[int, int], tuple[int, int]]) -> list[Finding]:
    """Set :attr:`Finding.parent` to the position of each sub-finding's parent (when it was kept)."""
    position = {(f.start, f.end): i for i, f in enumerate(findings)}
    out = []
    for f in findings:
        parent = position.get(parents.get((f.start, f.end), (-1, -1)))
        out.append(dataclasses.replace(f, parent=parent) if parent is not None else f)
    return out


def _notes_regions(report: Report, cues: FindingCues) -> list[tuple[int, int]]:
    """Spans of glossaries and footnotes (名词解释 … up to 附件 or the end)."""
    regions: list[tuple[int, int]] = []
    start: int | None = None
    for para in report.paragraphs:
        line = para.text.strip()
        if start is None and cues.notes.search(line):
            start = para.start
        elif start is not None and cues.annex.search(line):
            regions.append((start, para.start))
            start = None
    if start is not None:
        regions.append((start, len(report.text)))
    return regions


def _dedupe(report: Report, findings: list[Finding], regions: Sequence[tuple[int, int]]) -> list[Finding]:
    """Document order; drop findings inside notes regions (cut those running into one) and findings
    inside one already kept (items after a `：` paragraph)."""
    kept: list[Finding] = []
    for found in sorted(findings, key=lambda f: (f.start, -f.end)):
        for lo, hi in regions:
            if lo <= found.start < hi:
                break
            if found.start < lo < found.end:
                start, end = _trimmed(report.text, found.start, lo)
                if end - start < _MIN_PIECE:
                    break
                found = dataclasses.replace(found, start=start, end=end, text=report.text[start:end])
        else:
            if kept and found.start < kept[-1].end:
                continue
            kept.append(found)
    return kept
