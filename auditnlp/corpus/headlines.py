"""The headline figure of each canonical name in one report, and every candidate beside it.

For each (name, base unit) of a report the candidates are its named figures (frequencies and durations
left out). The matrix shows the one whose role is ``result`` and whose period is the report's covered
period, preferring an unmasked figure over a masked one, the summary over a sub-item (其中…,
比如…), a stated figure over a bound (``超过5亿元``), a figure outside sub-headings over one under a
sub-heading (（三）民生审计…: the summary paragraph states the totals), an exact figure over an
approximate one, then the first in the text. When another
such candidate states a different value, the shown one is flagged ``disagree`` and its note lists the
others: nothing is picked silently. Every candidate is a row of the ``values`` table, with why it is not
shown when it is not.

Derived totals (``money_found``: 查出问题金额合计) are the stated figure of their ``stated`` name or
the sum of the parts a report states, marked in the note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from auditnlp.extract.meaning import MeaningRules, Total
from auditnlp.types import Indicator, Period, Report, Section

__all__ = ["consecutive", "headline_rows", "period_code"]

_QUALIFIER_RANK = {None: 0, "approx": 1, "at_least": 2, "at_most": 2}
QUALIFIER_MARKS = {"approx": "约", "at_least": "≥", "at_most": "≤"}
"""How a qualifier is shown before a value (``≥5亿``, ``约8%``)."""
ROLE_LABELS = {
    "result": "结果",
    "target": "目标",
    "threshold": "突破值/台阶",
    "base": "基期值",
    "total": "累计/多年合计",
    "average": "年均",
    "basis": "其他口径",
}
"""Chinese labels of the roles (shown in the workbook)."""


def period_code(period: Period | None) -> str | None:
    """A period's code (``2024``, ``2024H1``, ``2021-2025``), or ``None``."""
    return period.code if period is not None else None


def consecutive(earlier: Period, later: Period) -> bool:
    """Whether `later` is the period right after `earlier`, of the same span (2023 → 2024, 2023H1 →
    2024H1)."""
    return earlier.comparable(later) and later.year == earlier.end_year + 1


def _why_not(ind: Indicator, covered: Period | None) -> str | None:
    """Why a candidate cannot be the headline (``None`` when it can)."""
    if ind.role != "result":
        return f"性质为{ROLE_LABELS.get(ind.role, ind.role)}，不是结果"
    if ind.period is not None and covered is not None and ind.period != covered:
        return f"所属期间{ind.period.label}不是报告覆盖期间{covered.label}"
    return None


_SUMMARY_NAMES = 3
"""A sentence stating this many named results or more is a summary (综上，全年共完成审计项目31个，
查出问题金额…，移送问题线索14件…): its figures are the totals a section's figures are parts of."""


_PARENT_REACH = 24
"""How many figures before (and after) a sub-item are looked at for the figure it is a part of (bounded: a
sentence of thousands of figures must not cost their square)."""


class _Facts:
    """What the choice of one report's headlines reads about each figure beyond the figure itself: whether
    it is a sub-item of a figure of the same name, and whether its sentence is a summary."""

    __slots__ = ("_named", "_report")

    def __init__(self, report: Report) -> None:
        self._report = report
        named: defaultdict[int, set[str]] = defaultdict(set)
        for ind in report.indicators:
            if ind.name is not None and ind.role == "result" and ind.flag is None:
                named[ind.sentence].add(ind.name)
        self._named = named

    def summary(self, ind: Indicator) -> int:
        """How many named results the sentence of `ind` states when it is a summary (at least
        :data:`_SUMMARY_NAMES`), else 0: of two summaries, the one stating more is the report's."""
        count = len(self._named.get(ind.sentence, ()))
        return count if count >= _SUMMARY_NAMES else 0

    def sub_item(self, index: int) -> bool:
        """Whether the figure at `index` is a sub-item of its name: marked a detail, unless the figure it
        is a part of (the nearest one before it in its sentence, of its unit kind, not a detail itself; else
        the nearest such after it, the total of parts stated first) has another name: in
        查出问题金额3.68亿元，其中违规金额9300万元 the 9300万元 is a part of the problem amount but the whole
        of the 违规金额."""
        indicators = self._report.indicators
        ind = indicators[index]
        if not ind.detail:
            return False
        before = indicators[max(0, index - _PARENT_REACH) : index][::-1]
        # no whole before it: the parts of a total after it (违规、管理不规范问题金额分别为…，合计1.89亿元)
        after = indicators[index + 1 : index + 1 + _PARENT_REACH]
        for side in (before, after):
            for other in side:
                if other.sentence != ind.sentence:
                    break
                if other.detail or other.unit_kind != ind.unit_kind:
                    continue
                return other.name is None or other.name == ind.name
        return True


def _rank(
    index: int, ind: Indicator, sections: dict[int, Section], facts: _Facts
) -> tuple[int, int, int, int, int, int]:
    """A sub-item (其中…, 比如…) after a summary, even a masked one (追回资金**万元 is the total: a part
    shown in its place would be a wrong figure, ``XX`` is an honest one); a masked figure after a stated
    one; a bound (超过5亿元) after a stated figure; a figure under a sub-heading ((三)民生审计…) after one
    under a part heading or none (the summary paragraph); an approximate figure after an exact one; then a
    figure in a summary sentence before one outside it, the fuller summary first (a section's 移送线索6件
    before the closing 综上，…移送问题线索14件…)."""
    section = sections.get(ind.section)
    depth = section.level if section is not None and section.level > 1 else 1
    rank = _QUALIFIER_RANK.get(ind.qualifier, 2)
    return (int(facts.sub_item(index)), int(ind.masked), int(rank == 2), depth, rank, -facts.summary(ind))


def _choose(eligible: list[tuple[int, Indicator]], sections: dict[int, Section], facts: _Facts) -> int | None:
    """The index of the headline among `eligible` (index, indicator) pairs: the best :func:`_rank`, unless
    it stands under a sub-heading and breaks a bound the summary states (查出问题金额超过1.2亿元, then a
    section's 查出问题金额4,630万元): a figure below the summary's lower bound is one of its parts, so the
    bound is shown. A figure that keeps the bound (超过60条, then 62条) is the more exact statement."""
    if not eligible:
        return None
    ranked = sorted((_rank(index, ind, sections, facts), index, ind) for index, ind in eligible)
    best_rank, best_index, best = ranked[0]
    depth = best_rank[3]
    value = best.signed(best.base_value)
    if value is None or depth <= 1:
        return best_index
    for rank, index, ind in ranked[1:]:
        bound = ind.signed(ind.base_value)
        if bound is None or rank[3] >= depth or rank[0]:
            continue
        if (ind.qualifier == "at_least" and value < bound) or (ind.qualifier == "at_most" and value > bound):
            return index
    return best_index


def _show(value: Decimal | None, ind: Indicator) -> str:
    mark = QUALIFIER_MARKS.get(ind.qualifier or "", "")
    return f"{mark}{ind.text}" if value is not None else f"{ind.text}（脱敏）"


def headline_rows(
    report: Report,
    covered: Period | None,
    head: dict[str, Any],
    rules: MeaningRules,
    sections: dict[int, Section],
    sentences: dict[int, str],
    labels: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The ``values`` rows of one report: every candidate of every canonical name, the shown one marked.

    `labels` are the Chinese labels of the names (``indicator_names.tsv``)."""
    labels = labels or {}
    groups: dict[tuple[str, str], list[tuple[int, Indicator]]] = defaultdict(list)
    for index, ind in enumerate(report.indicators):
        if ind.name is not None and ind.flag is None:
            groups[(ind.name, ind.base_unit)].append((index, ind))
    rows: list[dict[str, Any]] = []
    shown: dict[str, dict[str, Any]] = {}
    facts = _Facts(report)
    eligible_of = {
        key: [(i, ind) for i, ind in members if _why_not(ind, covered) is None]
        for key, members in groups.items()
    }
    # 全市审计机关共完成…186个 beside 市局本级…47个: the report's own unit's figure is shown
    pooled_of = {
        key: {
            i for i, ind in eligible
            if rules.aggregate is not None and rules.aggregate.search(sentences.get(ind.sentence, ""))
        }
        for key, eligible in eligible_of.items()
    }  # fmt: skip
    # a report that states its own figures beside the pooled ones keeps them apart: a name it states only
    # for all the offices together has no figure of its own (an honest gap, not the pooled total)
    apart = any(p and len(p) < len(eligible_of[key]) for key, p in pooled_of.items())
    for (name, unit), members in groups.items():
        eligible = eligible_of[(name, unit)]
        pooled = pooled_of[(name, unit)]
        own = [(i, ind) for i, ind in eligible if i not in pooled]
        if not own and not apart:
            pooled = set()
        chosen = _choose(own if pooled else eligible, sections, facts)
        # only parts (比如…专项审计中…推动追回医保基金47万元): the name's total is not stated, and a part
        # shown in its place would understate it: the cell stays empty, the parts listed with why
        parts_only = chosen is not None and facts.sub_item(chosen)
        if parts_only:
            chosen = None
        chosen_ind = report.indicators[chosen] if chosen is not None else None
        chosen_value = chosen_ind.signed(chosen_ind.base_value) if chosen_ind is not None else None
        others = [
            ind
            for i, ind in eligible
            if i != chosen
            and i not in pooled
            and not ind.masked
            and (not facts.sub_item(i) or (chosen is not None and facts.sub_item(chosen)))
            and ind.signed(ind.base_value) != chosen_value
        ]
        for index, ind in members:
            why = _why_not(ind, covered)
            if why is None and index != chosen:
                why = (
                    ("多个审计机关的合计（另有本单位的数）" if own else "多个审计机关的合计（本单位未单列）")
                    if index in pooled
                    else ("分项（原文未述总数）" if parts_only else "分项（另有总数）")
                    if facts.sub_item(index)
                    else "另有更优先的候选（总数、不在小标题下、精确值或在前者）"
                )
            row = _row(report, ind, head, covered, sections, sentences, index == chosen, why)
            row["label"] = labels.get(name)
            if index == chosen and others:
                row["flag"] = "disagree"
                row["note"] = "其他候选值：" + "；".join(_show(o.signed(o.value), o) for o in others)
            rows.append(row)
            if index == chosen:
                shown[name] = row
    for total in rules.totals.values():
        derived = _total(total, shown, head, covered)
        if derived is not None:
            rows.append(derived)
    return rows


def _row(
    report: Report,
    ind: Indicator,
    head: dict[str, Any],
    covered: Period | None,
    sections: dict[int, Section],
    sentences: dict[int, str],
    shown: bool,
    why: str | None,
) -> dict[str, Any]:
    section = sections.get(ind.section)
    return {
        **head,
        "name": ind.name,
        "label": None,
        "value": None if ind.masked else ind.signed(ind.base_value),
        "base_unit": ind.base_unit,
        "text": ind.text,
        "masked": ind.masked,
        "role": ind.role,
        "figure_period": period_code(ind.period or covered),
        "qualifier": ind.qualifier,
        "approx": ind.approx,
        "detail": ind.detail,
        "shown": shown,
        "flag": None,
        "note": None,
        "why": why,
        "sentence": sentences.get(ind.sentence),
        "section": f"{section.marker}{section.heading}" if section is not None and section.level else None,
        "start": ind.start,
        "end": ind.end,
        "source_start": report.source_offset(ind.start),
        "source_end": report.source_offset(ind.end),
    }


def _total(
    total: Total, shown: dict[str, dict[str, Any]], head: dict[str, Any], covered: Period | None
) -> dict[str, Any] | None:
    """The derived row of `total`: the stated figure, else the sum of at least two stated parts."""
    stated = shown.get(total.stated)
    parts = [shown[p] for p in total.parts if p in shown]
    if stated is not None:
        value, note, masked = (
            stated["value"],
            f"即原文所述{stated['label'] or total.stated}",
            stated["masked"],
        )
        source = stated
    elif len(parts) >= 2:
        masked = any(p["masked"] for p in parts)
        value = None if masked else sum((p["value"] for p in parts), Decimal(0))
        note = "由分项相加：" + " + ".join(str(p["label"] or p["name"]) for p in parts)
        source = parts[0]
    else:
        return None
    return {
        **head,
        "name": total.name,
        "label": total.label,
        "value": value,
        "base_unit": source["base_unit"],
        "text": None,
        "masked": masked,
        "role": "result",
        "figure_period": period_code(covered),
        "qualifier": stated["qualifier"] if stated is not None else None,
        "approx": None,
        "detail": False,
        "shown": True,
        "flag": "computed" if stated is None else None,
        "note": note,
        "why": None,
        "sentence": source["sentence"]
        if stated is not None
        else " / ".join(str(p["sentence"]) for p in parts),
        "section": None,
        "start": None,
        "end": None,
        "source_start": None,
        "source_end": None,
    }
