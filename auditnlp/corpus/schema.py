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
    Column("change", "变化"),
    Column("flag", "非结果标记"),
    Column("primary", "用于对比", "bool"),
    Column("sentence", "所在句子", "long"),
    Column("section", "所在章节", "long"),
    Column("role", "章节类型"),
    Column("start", "起始位置", "int"),
    Column("end", "结束位置", "int"),
    Column("prev_year", "上年", "year"),
    Column("prev_period", "上期"),
    Column("note", "说明", "long"),
    Column("prev_value", "上年数值", "decimal"),
    Column("change_pct", "变化率(%)", "pct"),
    Column("label", "报告"),
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
    Column("reason", "原因", "long"),
    Column("error", "错误类型"),
)
COLUMNS: dict[str, Column] = {c.key: c for c in _COLUMNS}
"""Every column key of every table → its :class:`Column`."""

REPORT_KEYS = ("report_id", "file", "row", "unit", "year", "period")
"""The columns that identify a report, at the head of every per-report table."""

FILE_COLUMNS = ("file", "file_a", "file_b", "path")
"""Columns that hold file paths (shown relative to the reports' common folder)."""

MONEY_COLUMNS = frozenset({"value", "value_max", "base_value", "prev_value", "change"})
"""Value columns shown as money when the row's base unit is 元."""

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "indicators": (
        *REPORT_KEYS, "name", "subject", "text", "number", "value", "value_max", "measure_unit",
        "unit_kind", "base_value", "base_unit", "masked", "mask", "approx", "change", "flag", "ocr",
        "primary", "sentence", "section", "role", "start", "end",
    ),
    "yoy": (
        "unit", "name", "subject", "base_unit", "year", "period", "value", "prev_year", "prev_period",
        "prev_value", "change", "change_pct", "note",
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
        "One row per report: metadata and where it came from (sources), counts and category shares; copies "
        "of the same document are listed under duplicates, other reports of the same unit and period "
        "under same_period.",
    ),
    "indicators": ("指标明细", "One row per numeric indicator, with the sentence and section it is in."),
    "matrix": (
        "指标对比",
        "Canonical indicators × (unit, year): the first result of each indicator in the report, in base "
        "units (money in 元); XX = masked in the source; targets in plans sections are left out. The year "
        "is the covered year (a 2025 government work report covers 2024); a report that covers part of a "
        "year or several years is headed by its period (2024H1, 2021-2025).",
    ),
    "yoy": (
        "同比变化",
        "Year-over-year change of each canonical indicator for units with several years; a period is "
        "compared only with an earlier period of the same span (a half year with a half year), else the "
        "note says why nothing is computed.",
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
