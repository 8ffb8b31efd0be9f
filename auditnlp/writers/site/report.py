"""One report as a page model: its analysed text marked up paragraph by paragraph, and its record lists.

Every record becomes a *mark* (start, end, kind) on :attr:`~auditnlp.types.Report.text`. Marks may overlap
(an item runs across sentences, a slogan holds a number), so each paragraph is cut at every mark boundary
and each piece is wrapped in the marks that cover it, outermost first (sentence, finding, item, heading,
slogan, indicator, redaction); a mark cut into pieces keeps its anchor on the first piece. Anchors are
derived from offsets (``i{start}-{end}`` for an indicator), so a table built from the rows alone links to
the right place without the text.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import regex
from markupsafe import Markup, escape

from auditnlp.types import Indicator, Report, Section
from auditnlp.writers.display import Display

# outermost first: a mark of a smaller rank wraps the marks of a larger rank
RANK = {
    "sent": 0,
    "problem": 1,
    "measure": 1,
    "item": 2,
    "heading": 3,
    "marker": 4,
    "slogan": 5,
    "ind": 6,
    "redact": 7,
}
REDACTION = regex.compile(r"X{2,}|x{2,}|＊{2,}|\*[*.]+|○{2,}|(?<![A-Za-z])X(?![A-Za-z])")
"""Redaction masks left in published text (``XX``, ``XXXX``, ``*.**``, ``○○``, a lone ``X``)."""


def indicator_anchor(start: int, end: int) -> str:
    """The anchor of the indicator at `start`–`end` on its report page."""
    return f"i{start}-{end}"


def slogan_anchor(start: int, end: int) -> str:
    """The anchor of the slogan at `start`–`end`."""
    return f"g{start}-{end}"


def finding_anchor(kind: str, start: int, end: int) -> str:
    """The anchor of the problem or measure at `start`–`end`."""
    return f"{'pb' if kind == 'problem' else 'ms'}{start}-{end}"


def highlighted(indicator: Indicator) -> bool:
    """Whether an indicator is highlighted: frequencies, durations, unnamed times (一年, 3个月) are not."""
    if indicator.flag:
        return False
    return not (indicator.unit_kind == "time" and not indicator.name)


@dataclass(frozen=True, slots=True)
class Mark:
    """A span of the text to wrap in an element."""

    start: int
    end: int
    kind: str
    anchor: str | None = None
    classes: str = ""
    title: str | None = None
    data: tuple[tuple[str, str], ...] = ()

    @property
    def order(self) -> tuple[int, int, int]:
        return (RANK[self.kind], self.start, -self.end)


def number_text(value: Decimal | None) -> str:
    """A Decimal as written for a reader: no exponent, no trailing zeros, thousands separators."""
    if value is None:
        return ""
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


MONEY_SCALES = ((12, "万亿"), (8, "亿"), (4, "万"))


def is_money(base_unit: object) -> bool:
    """Whether a base unit is a currency (元, 美元, 欧元 …)."""
    return isinstance(base_unit, str) and base_unit.endswith("元")


def money_text(value: Decimal | None, currency: str = "元") -> str:
    """Money shown in 万亿元 / 亿元 / 万元 / 元, whichever reads best (exact digits kept)."""
    if value is None:
        return ""
    size = abs(value)
    for power, prefix in MONEY_SCALES:
        if size >= Decimal(10) ** power:
            return f"{number_text(value / Decimal(10) ** power)}{prefix}{currency}"
    return f"{number_text(value)}{currency}"


def _opt(ind: Indicator, name: str) -> Any:
    """A field that newer records carry (role, period, qualifier); ``None`` on records without it."""
    return getattr(ind, name, None)


def indicator_facts(ind: Indicator, display: Display) -> list[tuple[str, str]]:
    """(label, value) pairs describing an indicator, for its hover text and the indicator list."""
    value = "XX" if ind.masked else number_text(ind.value)
    if ind.value_max is not None:
        value += f"–{number_text(ind.value_max)}"
    facts = [(display.ui("value"), f"{value} {ind.unit}".strip())]
    if ind.base_value is not None and is_money(ind.base_unit):
        facts.append(("=", money_text(ind.base_value, ind.base_unit)))
    if ind.name:
        facts.append((display.ui("name"), f"{display.indicator(ind.name, 'zh')} ({ind.name})"))
    if ind.subject:
        facts.append((display.ui("subject"), ind.subject))
    role = _opt(ind, "role")
    if role:
        facts.append((display.ui("indicator_role"), display.code("indicator_role", role)))
    period = _opt(ind, "period")
    if period is not None:
        facts.append((display.ui("period"), str(getattr(period, "label", period))))
    qualifier = _opt(ind, "qualifier")
    if ind.approx or qualifier:
        facts.append((display.ui("approx"), " ".join(x for x in (ind.approx, qualifier) if x)))
    if ind.change:
        facts.append(("Δ", ind.change))
    if ind.flag:
        facts.append(("!", display.code("flag", ind.flag)))
    return facts


def _marks(report: Report, display: Display) -> list[Mark]:
    marks: list[Mark] = [Mark(s.start, s.end, "sent", f"t{s.id}") for s in report.sentences]
    for f in (*report.problems, *report.measures):
        marks.append(Mark(f.start, f.end, f.kind, finding_anchor(f.kind, f.start, f.end), f.kind))
    for item in report.items:
        marks.append(Mark(item.start, item.end, "item", f"li{item.id}", "item"))
        if item.marker and report.text.startswith(item.marker, item.start):
            marks.append(Mark(item.start, item.start + len(item.marker), "marker", None, "marker"))
    for s in report.sections:
        if s.level and s.heading_end > s.heading_start:
            marks.append(Mark(s.heading_start, s.heading_end, "heading", None, "heading"))
    for g in report.slogans:
        label = display.code("slogan_kind", g.kind)
        title = label + (f"：{'、'.join(g.keywords)}" if g.keywords else "")
        marks.append(Mark(g.start, g.end, "slogan", slogan_anchor(g.start, g.end), "slogan", title))
    for ind in report.indicators:
        if not highlighted(ind):
            continue
        title = "\n".join(f"{k}: {v}" for k, v in indicator_facts(ind, display))
        classes = "ind masked" if ind.masked else "ind"
        data = (("name", ind.name),) if ind.name else ()
        anchor = indicator_anchor(ind.start, ind.end)
        marks.append(Mark(ind.start, ind.end, "ind", anchor, classes, title, data))
    for m in REDACTION.finditer(report.text):
        marks.append(Mark(m.start(), m.end(), "redact", None, "redact", display.ui("redaction")))
    return marks


def _open_tag(mark: Mark, first: bool) -> str:
    attrs = [f'class="{escape(mark.classes or mark.kind)}"']
    if mark.anchor:
        attrs.append(f'id="{mark.anchor}"' if first else f'data-part="{mark.anchor}"')
    if mark.title and first:
        attrs.append(f'title="{escape(mark.title)}"')
    attrs.extend(f'data-{k}="{escape(v)}"' for k, v in mark.data)
    return f"<span {' '.join(attrs)}>"


def markup(text: str, start: int, end: int, marks: list[Mark], seen: set[int]) -> Markup:
    """`text[start:end]` with `marks` (already clipped to it) nested by rank; `seen` holds the ids of marks
    whose first piece was written (their anchor is not repeated)."""
    cuts = sorted({start, end, *(m.start for m in marks), *(m.end for m in marks)})
    out: list[str] = []
    stack: list[Mark] = []
    for a, b in itertools.pairwise(cuts):
        if a >= b:
            continue
        want = sorted((m for m in marks if m.start <= a and m.end >= b), key=lambda m: m.order)
        keep = 0
        while keep < len(stack) and keep < len(want) and stack[keep] is want[keep]:
            keep += 1
        out.append("</span>" * (len(stack) - keep))
        del stack[keep:]
        for m in want[keep:]:
            out.append(_open_tag(m, id(m) not in seen))
            seen.add(id(m))
            stack.append(m)
        out.append(str(escape(text[a:b])))
    out.append("</span>" * len(stack))
    return Markup("".join(out))


@dataclass
class ParagraphView:
    """One paragraph of the page: its marked-up text and what it is."""

    id: int
    html: Markup
    category: str | None
    category_label: str
    heading_level: int = 0
    section: int | None = None
    title: bool = False


@dataclass
class OutlineEntry:
    """One section heading in the outline."""

    id: int
    level: int
    text: str
    role: str
    code: str = ""


@dataclass
class ReportView:
    """Everything the report template shows."""

    report: Report
    paragraphs: list[ParagraphView]
    outline: list[OutlineEntry]
    indicators: list[dict[str, Any]] = field(default_factory=list)
    slogans: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    categories: list[tuple[str, str, float]] = field(default_factory=list)


def _clip(marks: list[Mark], start: int, end: int) -> Iterator[Mark]:
    for m in marks:
        if m.end <= start or m.start >= end:
            continue
        if m.start >= start and m.end <= end:
            yield m
        else:
            yield Mark(max(m.start, start), min(m.end, end), m.kind, m.anchor, m.classes, m.title, m.data)


def report_view(report: Report, display: Display) -> ReportView:
    """The page model of `report`."""
    marks = sorted(_marks(report, display), key=lambda m: m.start)
    starts = [p.start for p in report.paragraphs]
    heading_of: dict[int, Section] = {}
    for sec in report.sections:
        if sec.level and starts:
            heading_of.setdefault(max(0, bisect.bisect_right(starts, sec.heading_start) - 1), sec)
    paragraphs: list[ParagraphView] = []
    anchors_done: set[str] = set()
    carry: list[Mark] = []
    pos = 0
    for index, p in enumerate(report.paragraphs):
        carry = [m for m in carry if m.end > p.start]
        while pos < len(marks) and marks[pos].start < p.end:
            if marks[pos].end > p.start:
                carry.append(marks[pos])
            pos += 1
        # a mark split across paragraphs keeps its anchor (and hover text) only on its first piece
        pieces = []
        for m in _clip(carry, p.start, p.end):
            if m.anchor and m.anchor in anchors_done:
                pieces.append(Mark(m.start, m.end, m.kind, None, m.classes, None, m.data))
            else:
                pieces.append(m)
                if m.anchor:
                    anchors_done.add(m.anchor)
        section = heading_of.get(index)
        paragraphs.append(
            ParagraphView(
                id=p.id,
                html=markup(report.text, p.start, p.end, pieces, set()),
                category=p.category,
                category_label=display.category(p.category),
                heading_level=section.level if section else 0,
                section=section.id if section else None,
                title=report.title is not None and p.start <= report.title.start < p.end,
            )
        )
    outline = [
        OutlineEntry(s.id, s.level, f"{s.marker}{s.heading}", display.code("role", s.role), s.role)
        for s in report.sections
        if s.level
    ]
    return ReportView(
        report=report,
        paragraphs=paragraphs,
        outline=outline,
        indicators=_indicator_rows(report, display),
        slogans=[
            {
                "anchor": slogan_anchor(g.start, g.end),
                "text": g.text,
                "kind": display.code("slogan_kind", g.kind),
                "code": g.kind,
                "keywords": "、".join(g.keywords),
            }
            for g in report.slogans
        ],
        findings=[
            {
                "anchor": finding_anchor(f.kind, f.start, f.end),
                "kind": f.kind,
                "kind_label": display.code("finding_kind", f.kind),
                "heading": f.heading or "",
                "text": f.text,
            }
            for f in (*report.problems, *report.measures)
        ],
        removed=[
            {
                "kind": display.code("removal_kind", r.kind),
                "code": r.kind,
                "text": r.text,
                "at": r.at,
                "paragraph": _paragraph_at(report, r.at),
            }
            for r in report.removed
        ],
        categories=[(k, display.category(k), float(v)) for k, v in report.category_shares],
    )


def _paragraph_at(report: Report, offset: int) -> int | None:
    for p in report.paragraphs:
        if p.end >= offset:
            return p.id
    return report.paragraphs[-1].id if report.paragraphs else None


def _indicator_rows(report: Report, display: Display) -> list[dict[str, Any]]:
    rows = []
    for ind in report.indicators:
        if not highlighted(ind):
            continue
        period = _opt(ind, "period")
        rows.append(
            {
                "anchor": indicator_anchor(ind.start, ind.end),
                "text": ind.text,
                "value": "XX" if ind.masked else number_text(ind.value),
                "unit": ind.unit,
                "base": money_text(ind.base_value, ind.base_unit) if is_money(ind.base_unit) else "",
                "name": ind.name or "",
                "label": display.indicator(ind.name, "zh"),
                "subject": ind.subject or "",
                "role": display.code("indicator_role", _opt(ind, "role")),
                "period": str(getattr(period, "label", "")) if period is not None else "",
                "approx": ind.approx or "",
                "masked": ind.masked,
            }
        )
    return rows
