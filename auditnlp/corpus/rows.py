"""One report → compact rows: everything the comparison tables need from it, without its text.

:func:`report_rows` is what a batch worker sends back instead of the whole report; the rows are plain
dicts keyed by the column keys of :mod:`auditnlp.corpus.schema` and are never changed after they are made
(:func:`~auditnlp.corpus.compare.compare_rows` copies them as it assigns report ids).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from auditnlp.corpus.headlines import headline_rows, period_code
from auditnlp.corpus.identity import Fingerprint, fingerprint
from auditnlp.extract.indicator_rules import load_indicator_lexicon
from auditnlp.extract.meaning import covered_period, load_meaning_rules
from auditnlp.lexicon import LexiconsLike
from auditnlp.types import Finding, Period, ProblemSource, Report, Section


@dataclass(frozen=True, slots=True)
class ReportRows:
    """Compact rows of one report: everything the comparison tables need, without the text."""

    report: dict[str, Any]
    indicators: list[dict[str, Any]]
    slogans: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    shares: dict[str, float]
    problem_source: ProblemSource | None = None
    """The report's problems and identity (no text), kept for pairing recurring problems."""
    fingerprint: Fingerprint | None = None
    """The identity of the report's text (to analyse a document read twice once)."""
    values: list[dict[str, Any]] = field(default_factory=list)
    """Every candidate figure of every canonical name, the one the matrix shows marked (``shown``)."""
    covered: Period | None = None
    """The report's covered period (what its matrix column is keyed by)."""


def report_rows(
    report: Report, *, manifest_row: int | None = None, lexicon: LexiconsLike = None
) -> ReportRows:
    """Turn one report into compact row dicts (``report_id`` is filled in by :func:`compare_rows`).

    `manifest_row` is the line of the manifest row that gave the report's metadata, if any; `lexicon` the
    lexicons of the analysis (the meaning rules and the Chinese labels of indicator names).
    """
    meta = report.meta
    rules = load_meaning_rules(lexicon)
    covered = covered_period(meta)
    head = {
        "report_id": None,
        "file": report.source.path,
        "row": report.source.row,
        "unit": meta.unit,
        "year": meta.year,
        "period": meta.period.code if meta.period is not None else None,
    }
    sections = {s.id: s for s in report.sections}
    sentences = {s.id: s.text for s in report.sentences}
    labels = {rule.name: rule.label for rule in load_indicator_lexicon(lexicon).names if rule.label}
    values = headline_rows(report, covered, head, rules, sections, sentences, labels)
    primary = {(v["start"], v["name"]) for v in values if v["shown"] and v["start"] is not None}
    indicators = []
    for ind in report.indicators:
        section = sections.get(ind.section)
        indicators.append(
            {
                **head,
                "name": ind.name,
                "subject": ind.subject,
                "text": ind.text,
                "number": ind.number,
                "value": ind.value,
                "value_max": ind.value_max,
                "measure_unit": ind.unit,
                "unit_kind": ind.unit_kind,
                "base_value": ind.base_value,
                "base_unit": ind.base_unit,
                "masked": ind.masked,
                "mask": ind.mask,
                "approx": ind.approx,
                "change": ind.change,
                "direction": ind.direction,
                "role": ind.role,
                "qualifier": ind.qualifier,
                "figure_period": period_code(ind.period or covered),
                "detail": ind.detail,
                "flag": ind.flag,
                "ocr": report.source.ocr,
                "primary": (ind.start, ind.name) in primary,
                "sentence": sentences.get(ind.sentence),
                "section": _heading(section),
                "section_role": section.role if section else None,
                "start": ind.start,
                "end": ind.end,
            }
        )
    slogans = [
        {
            **head,
            "kind": s.kind,
            "text": s.text,
            "keywords": "、".join(s.keywords),
            "expansion": "、".join(s.expansion),
            "pattern": s.pattern,
            "in_heading": s.in_heading,
            "section": _heading(sections.get(s.section)),
            "start": s.start,
            "end": s.end,
        }
        for s in report.slogans
    ]
    money = [(i.start, i.end, i.text) for i in report.indicators if i.unit_kind == "money"]
    problems, measures = (
        [_finding_row(f, group, head, sections, money) for f in group]
        for group in (report.problems, report.measures)
    )
    shares = {str(k): float(v) for k, v in report.category_shares}
    masked = sum(1 for i in report.indicators if i.masked)
    row = {
        **head,
        "period_label": meta.period.label if meta.period is not None else None,
        "title": meta.title,
        "doc_type": meta.doc_type,
        "plan_year": meta.plan_year,
        "sources": "; ".join(f"{field}: {source}" for field, source in meta.sources),
        "manifest_row": manifest_row,
        "chars": len(report.text),
        "sections": sum(1 for s in report.sections if s.level > 0),
        "paragraphs": len(report.paragraphs),
        "items": len(report.items),
        "indicators": len(report.indicators),
        "masked_share": masked / len(report.indicators) if report.indicators else None,
        "slogans": len(report.slogans),
        "problems": len(report.problems),
        "measures": len(report.measures),
        "warnings": "; ".join(report.warnings),
        "ocr": report.source.ocr,
        **{f"share_{k}": v for k, v in shares.items()},
        **{f"extra_{k}": v for k, v in meta.extra},
    }
    return ReportRows(
        row,
        indicators,
        slogans,
        problems,
        measures,
        shares,
        ProblemSource.of(report),
        fingerprint(report.text),
        values,
        covered,
    )


def _heading(section: Section | None) -> str | None:
    if section is None or not section.level:
        return None
    return f"{section.marker}{section.heading}"


def _finding_row(
    finding: Finding,
    group: tuple[Finding, ...],
    head: dict[str, Any],
    sections: dict[int, Section],
    money: list[tuple[int, int, str]],
) -> dict[str, Any]:
    """One problem or measure as a row: its parent (the heading of the problem it is a sub-finding of) and
    the amounts of money written in it (as written, in text order)."""
    parent = group[finding.parent] if finding.parent is not None and finding.parent < len(group) else None
    lo = bisect.bisect_left(money, (finding.start, -1, ""))
    amounts = []
    for start, end, text in money[lo:]:
        if start >= finding.end:
            break
        if end <= finding.end:
            amounts.append(text)
    return {
        **head,
        "kind": finding.kind,
        "heading": finding.heading,
        "text": finding.text,
        "parent": (parent.heading or parent.text) if parent is not None else None,
        "amounts": "、".join(amounts),
        "source": finding.source,
        "section": _heading(sections.get(finding.section)),
        "chars": len(finding.text),
        "start": finding.start,
        "end": finding.end,
    }
