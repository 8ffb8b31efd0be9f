"""The one table of the comparison's tables and columns: key, Chinese label, kind.

Writers (xlsx, csv, parquet, jsonl, the review site) read labels and kinds from here; category and
indicator display names come from the lexicons (``categories.yaml`` ``name``, ``indicator_names.tsv``
``label``), so a user who edits those files sees the change in the workbook. Adding a column or a table
touches this file and the code that fills it, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["text", "long", "int", "id", "year", "decimal", "money", "pct", "share", "bool"]

MASK = "XX"
"""How a masked (redacted) value is shown in the matrix and the year-on-year table."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a comparison table."""

    key: str
    label: str
    kind: ColumnKind = "text"


_COLUMNS = (
    Column("report_id", "报告编号", "id"),
    Column("file", "文件", "long"),
    Column("row", "行号", "id"),
    Column("unit", "单位"),
    Column("year", "年份", "year"),
    Column("period", "期间"),
    Column("period_label", "期间说明"),
    Column("title", "标题", "long"),
    Column("doc_type", "文种"),
    Column("plan_year", "计划年份", "year"),
    Column("chars", "字数", "int"),
    Column("sections", "章节数", "int"),
    Column("paragraphs", "段落数", "int"),
    Column("items", "列举项数", "int"),
    Column("indicators", "指标数", "int"),
    Column("masked_share", "脱敏指标占比", "share"),
    Column("slogans", "提法数", "int"),
    Column("problems", "问题数", "int"),
    Column("measures", "措施数", "int"),
    Column("sources", "信息来源", "long"),
    Column("manifest_row", "清单行号", "id"),
    Column("duplicates", "重复文件", "long"),
    Column("same_period", "同单位同期间报告"),
    Column("warnings", "提示", "long"),
    Column("ocr", "OCR识别(请核对)", "bool"),
    Column("name", "规范指标名"),
    Column("subject", "统计对象"),
    Column("text", "原文", "long"),
    Column("number", "数字原文"),
    Column("value", "数值", "decimal"),
    Column("value_max", "数值上限", "decimal"),
    Column("measure_unit", "计量单位"),
    Column("unit_kind", "单位类别"),
    Column("base_value", "折算数值", "decimal"),
    Column("base_unit", "折算单位"),
    Column("masked", "是否脱敏", "bool"),
    Column("mask", "脱敏符号"),
    Column("approx", "约数词"),
    Column("qualifier", "限定（约/≥/≤）"),
    Column("change", "变化"),
    Column("direction", "变化方向"),
    Column("flag", "标记"),
    Column("primary", "用于对比", "bool"),
    Column("sentence", "所在句子", "long"),
    Column("section", "所在章节", "long"),
    Column("section_role", "章节类型"),
    Column("role", "数值性质"),
    Column("column", "对比列"),
    Column("figure_period", "数值所属期间"),
    Column("detail", "是否分项", "bool"),
    Column("shown", "矩阵采用", "bool"),
    Column("note", "说明", "long"),
    Column("why", "未采用原因", "long"),
    Column("source_start", "原文起始位置", "int"),
    Column("source_end", "原文结束位置", "int"),
    Column("start", "起始位置", "int"),
    Column("end", "结束位置", "int"),
    Column("prev_year", "上期年份", "year"),
    Column("prev_period", "上期"),
    Column("prev_value", "上期数值", "decimal"),
    Column("prev_qualifier", "上期限定"),
    Column("prev_sentence", "上期所在句子", "long"),
    Column("change_pct", "变化率(%)", "pct"),
    Column("reason", "原因", "long"),
    Column("label", "名称"),
    Column("kind", "类型"),
    Column("keywords", "关键词"),
    Column("expansion", "展开"),
    Column("pattern", "模式"),
    Column("in_heading", "是否标题", "bool"),
    Column("what", "计数对象"),
    Column("reports", "报告数", "int"),
    Column("occurrences", "出现次数", "int"),
    Column("units", "涉及单位"),
    Column("years", "涉及年份"),
    Column("heading", "小标题", "long"),
    Column("parent", "所属问题", "long"),
    Column("amounts", "涉及金额", "long"),
    Column("source", "来源"),
    Column("year_a", "前一年份", "year"),
    Column("file_a", "前一文件", "long"),
    Column("heading_a", "前一小标题", "long"),
    Column("text_a", "前一问题", "long"),
    Column("year_b", "后一年份", "year"),
    Column("file_b", "后一文件", "long"),
    Column("heading_b", "后一小标题", "long"),
    Column("text_b", "后一问题", "long"),
    Column("similarity", "相似度", "decimal"),
    Column("status", "状态"),
    Column("other_year", "对照年份", "year"),
    Column("other_text", "对照问题", "long"),
    Column("path", "路径", "long"),
    Column("error", "错误类型"),
)
COLUMNS: dict[str, Column] = {c.key: c for c in _COLUMNS}
"""Every column key of every table → its :class:`Column`."""

REPORT_KEYS = ("report_id", "file", "row", "unit", "year", "period")
"""The columns that identify a report, at the head of every per-report table (``period`` is the code of the
covered period: 2024, 2024H1, 2021-2025; the reports table adds ``column``, its matrix column label)."""

FILE_COLUMNS = ("file", "file_a", "file_b", "path")
"""Columns that hold file paths (shown relative to the reports' common folder)."""

MONEY_COLUMNS = frozenset({"value", "value_max", "base_value", "prev_value", "change"})
"""Value columns shown as money when the row's base unit is 元."""

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "indicators": (
        *REPORT_KEYS, "name", "subject", "text", "number", "value", "value_max", "measure_unit",
        "unit_kind", "base_value", "base_unit", "masked", "mask", "approx", "qualifier", "change",
        "direction", "role", "figure_period", "detail", "flag", "ocr", "primary", "sentence", "section",
        "section_role",
        "start", "end",
    ),
    "values": (
        *REPORT_KEYS, "name", "label", "value", "base_unit", "text", "masked", "role",
        "figure_period", "qualifier", "approx", "detail", "shown", "flag", "note", "why", "sentence",
        "section", "start", "end", "source_start", "source_end",
    ),
    "yoy": (
        "unit", "name", "label", "base_unit", "year", "period", "value", "qualifier", "prev_year",
        "prev_period", "prev_value", "prev_qualifier", "change", "change_pct", "flag", "note", "sentence",
        "prev_sentence",
    ),
    "slogans": (
        *REPORT_KEYS, "kind", "text", "keywords", "expansion", "pattern", "in_heading", "section",
        "start", "end",
    ),
    "slogan_counts": ("what", "kind", "text", "reports", "occurrences", "units", "years"),
    "problems": (
        *REPORT_KEYS, "kind", "heading", "text", "parent", "amounts", "source", "section", "chars", "start",
        "end",
    ),
    "measures": (
        *REPORT_KEYS, "kind", "heading", "text", "parent", "amounts", "source", "section", "chars", "start",
        "end",
    ),
    "recurring": (
        "unit", "year_a", "file_a", "heading_a", "text_a", "year_b", "file_b", "heading_b", "text_b",
        "similarity",
    ),
    "problem_status": (
        "unit", "year", "file", "status", "heading", "text", "other_year", "other_text", "similarity",
    ),
    "errors": ("path", "reason", "error"),
}  # fmt: skip
"""Fixed columns of the long tables (``reports``, ``matrix`` and ``categories`` have columns that depend on
the corpus: category shares, manifest extras, one column per report)."""

TABLES: dict[str, tuple[str, str]] = {
    "reports": (
        "报告概览",
        "One row per report: metadata and where it came from (sources), its covered period and matrix "
        "column, counts and category shares; copies of the same document are listed under duplicates, other "
        "reports of the same unit and period under same_period.",
    ),
    "indicators": (
        "指标明细",
        "One row per numeric indicator, with its meaning (signed change, role, qualifier, the period it is "
        "for) and the sentence and section it is in.",
    ),
    "values": (
        "指标取值",
        "Every candidate figure of every canonical indicator in every report: value (signed, in the base "
        "unit), role (result, target, threshold, base, total, average, basis), the period it is for, "
        "qualifier (approx / at least / at most), the sentence and its offsets (in the analysed text and in "
        "the source). `shown` marks the one the matrix shows; `why` says why another is not shown; flag "
        "`disagree` marks a shown value other candidates contradict (their values are in `note`), "
        "`computed` a total summed from its parts.",
    ),
    "matrix": (
        "指标对比",
        "Canonical indicators × (unit, covered period): the shown value of each indicator (see `values`): "
        "a result for the report's covered period, exact before approximate before bounds, the summary "
        "before sub-items. Values are signed (a fall is negative) and in base units (money in 元, grain in "
        "吨); XX = masked in the source. The column is the covered year (a 2025 government work report "
        "covers 2024), or the period code of a report that covers part of a year or several years (2024H1).",
    ),
    "yoy": (
        "同比变化",
        "Change of each shown value from the latest earlier one of the same span, for units with several "
        "periods: computed only when the two periods are consecutive (never a year against a half-year, "
        "never across a gap) and the values have the same role; otherwise `note` says why not. Rates change "
        "in points. `flag` marks changes beyond ±100 %, approximate or bound values, disagreeing candidates "
        "and gaps between periods. Both source sentences are given.",
    ),
    "categories": ("内容构成", "Share of the report's characters per category (study, supervision …)."),
    "slogans": ("提法明细", "Slogans, formulas, numbered concepts and quoted terms."),
    "slogan_counts": ("提法统计", "How often each slogan and keyword occurs, in how many reports."),
    "problems": (
        "存在问题",
        "Problems admitted or found, one row per item; a sub-finding names the problem it belongs to "
        "(parent) and every finding lists the amounts of money written in it.",
    ),
    "measures": ("工作措施", "Measures planned, one row per item."),
    "recurring": (
        "重复问题",
        "Problems of one unit that recur across years, with their similarity (fixed reference weights: the "
        "pairs of two reports never depend on the other reports of the batch).",
    ),
    "problem_status": (
        "问题状态",
        "For units with reports of two or more years, a status per problem and year: new (not paired with "
        "an earlier problem), recurring (paired: other_year / other_text name the earlier problem) or "
        "resolved (stated in the previous report, not again in this year's: resolved or no longer "
        "reported; other_year is the year it was stated).",
    ),
    "errors": (
        "错误",
        "Inputs that could not be analysed, with the reason; and notices: copies of a document analysed once "
        "(Duplicate), inputs no manifest row covers and manifest rows that match no input.",
    ),
}
"""Table name → (Chinese sheet name, description), in workbook order."""

DUPLICATE = "Duplicate"
NOTICES = frozenset({DUPLICATE, "NotInManifest", "ManifestRowUnmatched"})
"""Error types of the errors table that are notices, not failures (the exit code does not count them)."""


def column(key: str) -> Column:
    """The column `key`; share columns (``share_study``) and manifest extras (``extra_…``) are derived."""
    found = COLUMNS.get(key)
    if found is not None:
        return found
    if key.startswith("share_"):
        return Column(key, key.removeprefix("share_"), "share")
    if key.startswith("extra_"):
        return Column(key, key.removeprefix("extra_"))
    return Column(key, key)
