"""Frozen record types of auditnlp.

Every record that points into a document carries ``start``/``end``: absolute, end-exclusive character
offsets into :attr:`Report.text` (the normalised text), so ``report.text[r.start:r.end] == r.text``.
Records are plain data: they hold no references to each other, only ids, so they serialise to JSON and
DataFrames without cycles.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

SCHEMA = "auditnlp.report/1"

SectionRole = Literal["front", "review", "problems", "plans", "other"]


def _jsonable(value: Any) -> Any:
    """Convert a record field to a JSON-compatible value (Decimal → int/float, tuples → lists)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.to_dict()  # type: ignore[attr-defined]
    return value


def map_offset(offset_map: Sequence[tuple[int, int]], offset: int) -> int:
    """Map a normalised-text offset to a source offset using breakpoints (offset, delta)."""
    if not offset_map:
        return offset
    i = bisect.bisect_right(offset_map, (offset, float("inf"))) - 1
    return offset + (offset_map[i][1] if i >= 0 else 0)


class _Record:
    """Mixin: ``to_dict`` for JSON and DataFrames."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a JSON-compatible dict (Decimals become numbers)."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Source(_Record):
    """Where a report came from."""

    path: str
    sha256: str
    format: str
    encoding: str | None = None
    row: int | None = None
    """Row number (1-based, header excluded) when the report is one row of a CSV/XLSX/JSONL file."""
    ocr: bool = False
    """Whether (some of) the text was recognised by OCR from a scan: numbers should be checked."""


@dataclass(frozen=True, slots=True)
class Period(_Record):
    """The time a report (or a figure) covers: a year, part of a year, or several years.

    ``year``/``start_month`` to ``end_year``/``end_month``, both ends included: 2023 is
    ``Period(2023, 2023)``, the first half of 2024 ``Period(2024, 2024, 1, 6)``, the 14th five-year plan
    ``Period(2021, 2025)``.
    """

    year: int
    end_year: int
    start_month: int = 1
    end_month: int = 12
    plan: bool = False
    """A plan's period (工作要点 for 2025): the time it plans for, not a time of results."""

    @property
    def span(self) -> str:
        """``year``, ``half``, ``quarter``, ``months`` (another part of a year) or ``years``."""
        if self.end_year != self.year:
            return "years"
        months = self.end_month - self.start_month + 1
        if months == 12:
            return "year"
        if months == 6 and self.start_month in (1, 7):
            return "half"
        if months == 3 and self.start_month in (1, 4, 7, 10):
            return "quarter"
        return "months"

    @property
    def label(self) -> str:
        """A Chinese label: ``2023年``, ``2024年上半年``, ``2024年1-9月``, ``2021—2025年``, ``2025年计划``."""
        return self._label() + ("计划" if self.plan else "")

    def _label(self) -> str:
        span = self.span
        if span == "years":
            return f"{self.year}—{self.end_year}年"
        if span == "year":
            return f"{self.year}年"
        if span == "half":
            return f"{self.year}年{'上' if self.start_month == 1 else '下'}半年"
        if span == "quarter":
            return f"{self.year}年第{'一二三四'[(self.start_month - 1) // 3]}季度"
        return f"{self.year}年{self.start_month}-{self.end_month}月"

    @property
    def code(self) -> str:
        """A short key: ``2024``, ``2024H1``, ``2024Q3``, ``2023M01-09``, ``2021-2025``, ``2025P`` (plan)."""
        span = self.span
        years = str(self.year) if self.end_year == self.year else f"{self.year}-{self.end_year}"
        if span == "half":
            years += "H1" if self.start_month == 1 else "H2"
        elif span == "quarter":
            years += f"Q{(self.start_month + 2) // 3}"
        elif span == "months" or (span == "years" and (self.start_month, self.end_month) != (1, 12)):
            years += f"M{self.start_month:02d}-{self.end_month:02d}"
        return years + ("P" if self.plan else "")

    def comparable(self, other: Period) -> bool:
        """Whether figures of the two periods measure the same stretch of time: two full years, two first
        halves, two third quarters …; never results and a plan."""
        return (
            self.plan == other.plan
            and (self.start_month, self.end_month) == (other.start_month, other.end_month)
            and self.end_year - self.year == other.end_year - other.year
        )

    def to_dict(self) -> dict[str, Any]:
        """The period's fields with its ``span``, ``code`` and ``label``."""
        return {**_Record.to_dict(self), "span": self.span, "code": self.code, "label": self.label}


@dataclass(frozen=True, slots=True)
class Meta(_Record):
    """Document metadata; ``None`` when the document does not say (nothing is invented).

    ``year`` is the covered year: a 2023 summary covers 2023, a 政府工作报告 delivered in 2025 reviews 2024.
    """

    title: str | None = None
    unit: str | None = None
    year: int | None = None
    doc_type: str | None = None
    plan_year: int | None = None
    extra: tuple[tuple[str, str], ...] = ()
    """Further metadata columns (from a manifest or a spreadsheet row) as ordered (key, value) pairs."""
    period: Period | None = None
    """The covered period (a year, part of a year, several years, or a plan's year) when the document
    says; its ``end_year`` is ``year``."""
    sources: tuple[tuple[str, str], ...] = ()
    """Where each field came from, as (field, source) pairs: ``("unit", "title")``, ``("year", "manifest")``.

    Sources, most trusted first: ``manifest``, ``container`` (spreadsheet/JSONL columns), ``title``,
    ``properties`` (.docx core properties), ``byline`` (or letterhead), ``signature``, ``opening``,
    ``dateline``, ``source_line`` (a web page's 来源：), ``file_name``, ``folder``; a unit assembled from two
    sources names both, ``byline+dateline`` (区审计局 + 东山区).
    """

    def source(self, field: str) -> str | None:
        """Where `field` (``unit``, ``year``, ``period``, ``plan_year`` …) came from, or ``None``."""
        return next((s for f, s in self.sources if f == field), None)


@dataclass(frozen=True, slots=True)
class Removal(_Record):
    """Text removed from the analysed text (web debris, page chrome, indentation)."""

    source_start: int
    source_end: int
    text: str
    kind: str
    at: int
    """Offset in the normalised text where the removed text stood."""


@dataclass(frozen=True, slots=True)
class Span(_Record):
    """A plain text span (title, salutation, closing)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Section(_Record):
    """A section opened by a numbered heading (or the front matter before the first heading, level 0).

    ``start``/``end`` cover the whole section including its sub-sections; sections of one level tile
    the text from their first heading to the end of their parent.
    """

    id: int
    level: int
    marker: str
    heading: str
    heading_start: int
    heading_end: int
    role: SectionRole
    start: int
    end: int
    parent: int | None
    text: str = field(repr=False, default="")


@dataclass(frozen=True, slots=True)
class Paragraph(_Record):
    """One paragraph (one line of the normalised text)."""

    id: int
    section: int
    start: int
    end: int
    text: str
    category: str | None = None
    scores: tuple[tuple[str, float], ...] = ()

    def with_category(self, category: str | None, scores: tuple[tuple[str, float], ...]) -> Paragraph:
        """A copy with `category` and `scores` (``dataclasses.replace``, without its per-call field scan)."""
        return Paragraph(self.id, self.section, self.start, self.end, self.text, category, scores)


@dataclass(frozen=True, slots=True)
class Sentence(_Record):
    """A sentence; never split inside quotation marks."""

    id: int
    paragraph: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class ListItem(_Record):
    """An enumerated item inside a paragraph (一是…, 一方面…, 首先…, 第一…, 比如…, 1. …).

    ``text`` runs from the marker to the end of the item; ``title`` is its short lead clause when it
    has one (``率先垂范，领导带头学``).
    """

    id: int
    kind: str
    marker: str
    index: int
    start: int
    end: int
    text: str
    paragraph: int
    section: int
    parent: int | None = None
    title: str | None = None
    category: str | None = None
    scores: tuple[tuple[str, float], ...] = ()

    def with_category(self, category: str | None, scores: tuple[tuple[str, float], ...]) -> ListItem:
        """A copy with `category` and `scores` (``dataclasses.replace``, without its per-call field scan)."""
        return ListItem(
            self.id, self.kind, self.marker, self.index, self.start, self.end, self.text, self.paragraph,
            self.section, self.parent, self.title, category, scores,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Indicator(_Record):
    """A numeric indicator: a quantity with its unit, value and what it counts."""

    start: int
    end: int
    text: str
    number: str
    value: Decimal | None
    value_max: Decimal | None
    masked: bool
    mask: str | None
    approx: str | None
    unit: str
    unit_kind: str
    base_value: Decimal | None
    base_unit: str
    change: str | None
    subject: str | None
    name: str | None
    flag: str | None
    """``frequency`` (每季度一次) or ``duration`` (近*年): quantities that are not results."""
    sentence: int
    paragraph: int
    section: int
    direction: str | None = None
    """``up`` or ``down`` when `change` is a change word (增长, 提高 … / 下降, 回落, 微降 …; the
    ``direction`` column of ``change_words.tsv``); ``None`` for a level. :meth:`signed` gives a fall a minus
    sign."""
    role: str = "result"
    """What the figure is (``indicator_meaning.yaml``): ``result`` (an outcome of its period),
    ``target`` (a plan or expected figure), ``threshold`` (a round mark passed: 突破3万亿元,
    迈上5万亿元台阶), ``base`` (the start of a from–to: 从2020年的3.68万亿元), ``total`` (a sum over
    several years or a running total: 五年累计, 城镇新增就业452万人 in a five-year review), ``average``
    (年均增长, 每年…) or ``basis`` (the figure on another basis: 同口径增长2.5%, 扣除房地产开发投资后…)."""
    qualifier: str | None = None
    """``approx`` (约, 左右, 预计 …), ``at_least`` (超过, 以上, 不低于, 余) or ``at_most`` (以内,
    不超过, 不到); ``None`` when the figure is stated exactly. Bounds are a qualifier, not a role:
    ``超过5亿元`` is a result ≥ 5亿."""
    period: Period | None = None
    """The period the figure is for when the text (the clause, the sentence, the paragraph's opening or
    the section heading) names one: ``2020年`` (从2020年的…), ``2024年上半年``, ``2021—2025年``
    (十四五期间, 五年来); ``None`` when it names none: the figure is for the report's covered period."""
    detail: bool = False
    """A sub-item of a larger figure (其中民间投资…, 比如…推动追回医保基金…): the comparison prefers
    the summary."""

    def signed(self, value: Decimal | None) -> Decimal | None:
        """`value` (this indicator's ``value`` or ``base_value``) with a minus sign when the change is a
        fall."""
        if value is None or self.direction != "down":
            return value
        return -value


@dataclass(frozen=True, slots=True)
class Slogan(_Record):
    """A slogan structure, formula, numbered concept or quoted term."""

    start: int
    end: int
    text: str
    kind: str
    keywords: tuple[str, ...]
    section: int
    in_heading: bool
    expansion: tuple[str, ...] = ()
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class Finding(_Record):
    """A problem admitted or a measure planned, with the item or sub-section it came from."""

    kind: Literal["problem", "measure"]
    start: int
    end: int
    text: str
    heading: str | None
    section: int
    source: str
    """``section`` (a sub-section under a problems/plans heading), ``item`` (a list item) or ``paragraph``."""
    item: int | None = None
    paragraph: int | None = None
    parent: int | None = None
    """Position in the same tuple (``report.problems`` or ``report.measures``) of the finding this one is a
    sub-finding of: the numbered findings under a sub-heading that states a problem (``（一）专项资金拨付
    不及时`` → ``1.高标准农田建设补助资金拨付滞后。…``); ``None`` for a top-level finding."""


@dataclass(frozen=True, slots=True)
class ProblemSource(_Record):
    """The problems of one report with what identifies it: what recurrence pairing needs, and no text.

    Unlike a :class:`Report`, it holds no analysed text, so its findings' offsets point into a text it does
    not carry (``finding.text`` has the words).
    """

    source: Source
    meta: Meta
    problems: tuple[Finding, ...]

    @classmethod
    def of(cls, report: Report) -> ProblemSource:
        """The problem source of `report`."""
        return cls(report.source, report.meta, report.problems)


@dataclass(frozen=True, slots=True)
class ProblemPair(_Record):
    """A problem of an earlier report paired with a similar problem of a later report of the same unit."""

    unit: str | None
    earlier_id: str
    earlier_path: str
    earlier_year: int | None
    earlier: Finding
    later_id: str
    later_path: str
    later_year: int | None
    later: Finding
    similarity: float


@dataclass(frozen=True, slots=True)
class Report(_Record):
    """Everything auditnlp knows about one document."""

    source: Source
    meta: Meta
    text: str
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]
    sentences: tuple[Sentence, ...]
    items: tuple[ListItem, ...]
    title: Span | None = None
    salutation: Span | None = None
    closing: Span | None = None
    indicators: tuple[Indicator, ...] = ()
    slogans: tuple[Slogan, ...] = ()
    problems: tuple[Finding, ...] = ()
    measures: tuple[Finding, ...] = ()
    category_shares: tuple[tuple[str, float], ...] = ()
    removed: tuple[Removal, ...] = ()
    offset_map: tuple[tuple[int, int], ...] = ()
    """Breakpoints (text offset, source offset − text offset) mapping ``text`` back to the source text."""
    warnings: tuple[str, ...] = ()

    def source_offset(self, offset: int) -> int:
        """Map an offset in :attr:`text` to the offset in the original (decoded) source text."""
        return map_offset(self.offset_map, offset)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as the ``auditnlp.report/1`` JSON object."""
        data: dict[str, Any] = {"schema": SCHEMA}
        for f in dataclasses.fields(self):
            data[f.name] = _jsonable(getattr(self, f.name))
        for section in data["sections"]:
            section.pop("text", None)
        data["category_shares"] = dict(self.category_shares)
        for group in ("paragraphs", "items"):
            for rec in data[group]:
                rec["scores"] = dict(rec["scores"])
        return data


# ---------------------------------------------------------------------------------------------- repr
_REPR_TEXT = 30
"""Strings longer than this are cut in a repr (the record keeps them whole)."""


def _repr_value(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= _REPR_TEXT else value[: _REPR_TEXT - 1] + "…")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple) and value and isinstance(value[0], _Record):
        return f"<{len(value)} {type(value[0]).__name__}>" if len(value) > 2 else repr(value)
    return repr(value)


def _short_repr(self: _Record) -> str:
    """``Indicator(start=21, end=24, text='12个', value=12, …)``: fields left at their default (None, (),
    False) are left out, long strings are cut and long tuples of records counted."""
    parts = []
    for f in dataclasses.fields(self):  # type: ignore[arg-type]
        value = getattr(self, f.name)
        if not f.repr or value is None or value == () or value is False or f.name == "scores":
            continue
        if f.default is not dataclasses.MISSING and value == f.default:
            continue
        if f.name.endswith("path") and isinstance(value, str) and len(value) > _REPR_TEXT:
            value = "…" + value[-_REPR_TEXT + 1 :]  # a path's end says more than its start
        parts.append(f"{f.name}={_repr_value(value)}")
    return f"{type(self).__name__}({', '.join(parts)})"


def _report_repr(self: Report) -> str:
    """``Report('XX区审计局2023年工作总结', unit=…, year=…, 2,041 chars, 35 indicators, …)``."""
    meta = self.meta
    head = [_repr_value(meta.title or self.source.path)]
    head += [f"{k}={_repr_value(v)}" for k, v in (("unit", meta.unit), ("year", meta.year)) if v is not None]
    if meta.doc_type:
        head.append(f"doc_type={meta.doc_type!r}")
    counts = [f"{len(self.text):,} chars"]
    for name in ("sections", "paragraphs", "items", "indicators", "slogans", "problems", "measures"):
        counts.append(f"{len(getattr(self, name))} {name}")
    if self.warnings:
        counts.append(f"{len(self.warnings)} warnings")
    return f"Report({', '.join(head + counts)})"


for _cls in (Source, Period, Meta, Removal, Span, Section, Paragraph, Sentence, ListItem, Indicator, Slogan,
             Finding, ProblemSource, ProblemPair):  # fmt: skip
    _cls.__repr__ = _short_repr  # type: ignore[assignment,method-assign]
Report.__repr__ = _report_repr  # type: ignore[assignment,method-assign]
