"""Integrity of the hand-read headline gold set (eval/gold/headlines.tsv).

The file itself is checked everywhere (names, roles, periods, units, one result per document and name);
its offsets and hashes are checked against the real reports in ../shared when that folder is present.
Whether the comparison matrix equals the gold is measured by eval/eval_headlines.py.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, SHARED, needs_shared

import auditnlp

GOLD = ROOT / "eval" / "gold" / "headlines.tsv"
NAMES = {
    "gdp",
    "gdp_growth",
    "general_budget_revenue",
    "general_budget_revenue_growth",
    "fixed_asset_investment_growth",
    "retail_sales_growth",
    "retail_sales",
    "disposable_income",
    "disposable_income_growth",
    "urban_disposable_income",
    "urban_disposable_income_growth",
    "rural_disposable_income",
    "rural_disposable_income_growth",
    "urban_new_jobs",
    "surveyed_unemployment",
    "cpi",
    "grain_output",
    "foreign_trade",
    "foreign_trade_growth",
}
COLUMNS = [
    "doc",
    "period",
    "name",
    "role",
    "value",
    "unit",
    "base_value",
    "qualifier",
    "start",
    "end",
    "sha1",
]
JIN = Decimal("0.0005")  # 1斤 = 0.5 kg = 0.0005 吨
UNITS = {
    "%": (Decimal(1), "%"),
    "万亿元": (Decimal(10) ** 12, "元"),
    "亿元": (Decimal(10) ** 8, "元"),
    "万元": (Decimal(10) ** 4, "元"),
    "元": (Decimal(1), "元"),
    "万人": (Decimal(10) ** 4, "人"),
    "人": (Decimal(1), "人"),
    "万吨": (Decimal(10) ** 4, "吨"),
    "吨": (Decimal(1), "吨"),
    "亿斤": (JIN * 10**8, "吨"),
    "万斤": (JIN * 10**4, "吨"),
    "亿公斤": (Decimal("0.001") * 10**8, "吨"),
}
PERCENT_NAMES = {n for n in NAMES if n.endswith("_growth")} | {"surveyed_unemployment", "cpi"}


def _rows() -> list[dict[str, str]]:
    with GOLD.open(encoding="utf-8") as f:
        return list(csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"))


ROWS = _rows()


def _id(row: dict[str, str]) -> str:
    return f"{Path(row['doc']).stem}:{row['role']}:{row['name']}"


def test_gold_file_has_the_columns_and_covers_18_reports() -> None:
    with GOLD.open(encoding="utf-8") as f:
        header = next(line for line in f if not line.startswith("#")).rstrip("\n").split("\t")
    assert header[: len(COLUMNS)] == COLUMNS
    docs = {r["doc"] for r in ROWS}
    assert len(docs) == 18
    assert {Path(d).suffix for d in docs} == {".docx", ".csv"}
    assert all(d.startswith("corpora/gov-reports/") and not Path(d).is_absolute() for d in docs)


def test_names_roles_and_qualifiers_are_known() -> None:
    assert {r["name"] for r in ROWS} <= NAMES
    assert {r["role"] for r in ROWS} <= {"result", "target"}
    assert {r["qualifier"] for r in ROWS} <= {"", "approx", "at_least", "at_most"}


def test_at_most_one_row_per_document_name_and_role() -> None:
    counts = Counter((r["doc"], r["name"], r["role"]) for r in ROWS)
    assert [k for k, n in counts.items() if n > 1] == []


def test_period_is_the_covered_year_for_results_and_the_plan_year_for_targets() -> None:
    for r in ROWS:
        report_year = int(Path(r["doc"]).name[:4])
        expected = report_year - 1 if r["role"] == "result" else report_year
        assert int(r["period"]) == expected, _id(r)


def test_base_value_follows_the_unit() -> None:
    for r in ROWS:
        factor, base_unit = UNITS[r["unit"]]
        assert Decimal(r["base_value"]) == Decimal(r["value"]) * factor, _id(r)
        assert r["base_unit"] == base_unit, _id(r)
        assert (base_unit == "%") == (r["name"] in PERCENT_NAMES), _id(r)
        if r["value_max"]:
            assert Decimal(r["value_max"]) > Decimal(r["value"]), _id(r)


@cache
def _source(doc: str) -> str:
    path = SHARED / doc
    column = "full_text" if path.suffix == ".csv" else None
    (raw,) = auditnlp.read_documents(path, text_column=column)
    return raw.text


@needs_shared
@pytest.mark.parametrize("row", ROWS, ids=[_id(r) for r in ROWS])
def test_offsets_hash_to_the_figure_in_the_source(row: dict[str, str]) -> None:
    text = _source(row["doc"])
    span = text[int(row["start"]) : int(row["end"])]
    assert hashlib.sha1(span.encode("utf-8")).hexdigest()[:8] == row["sha1"], (span, _id(row))
    assert span.endswith(row["unit"]), (span, _id(row))
    number = span[: -len(row["unit"])] if row["unit"] != "%" else span[:-1]
    assert number.split("-")[0].split("—")[0].rstrip("%") == row["value"].lstrip("-"), (span, _id(row))


@needs_shared
@pytest.mark.parametrize("doc", sorted({r["doc"] for r in ROWS}), ids=lambda d: Path(d).stem)
def test_each_figure_is_in_the_analysed_text_at_the_mapped_offset(doc: str) -> None:
    path = SHARED / doc
    options = auditnlp.Options(
        stages=("structure",), text_column="full_text" if path.suffix == ".csv" else None
    )
    (report,) = list(auditnlp.analyze_many([path], options=options))
    assert isinstance(report, auditnlp.Report)
    back = {report.source_offset(i): i for i in range(len(report.text))}
    source = _source(doc)
    for r in (r for r in ROWS if r["doc"] == doc):
        start, end = int(r["start"]), int(r["end"])
        assert start in back, _id(r)
        i = back[start]
        assert report.text[i : i + end - start] == source[start:end], _id(r)
