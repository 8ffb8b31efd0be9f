"""Document metadata (issue 11): unit, covered year, period, plan year and where each came from.

The case table ``tests/cases/meta.yaml`` holds short openings and tails in styles the bundled corpus does
not have (bylines, 来源 lines, one-character counties, congress reports, part-year and multi-year
periods, signatures, file and folder names) with negatives; ``eval/gold/meta.tsv`` holds the truth for
the real documents in ``../shared``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, SAMPLES, SHARED, needs_shared

from auditnlp import Options, analyze_text
from auditnlp.errors import LexiconError, SkippedInputError
from auditnlp.lexicon import load_lexicons
from auditnlp.pipeline import analyze_document, analyze_many
from auditnlp.readers import RawDocument
from auditnlp.segment.meta_rules import meta_rules
from auditnlp.types import Period

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "meta.yaml").read_text(encoding="utf-8"))["cases"]
STRUCTURE_ONLY = Options(stages=())


def _document(case: dict[str, Any]) -> RawDocument:
    text = case["text"]
    fields = tuple((str(k), str(v)) for k, v in (case.get("fields") or {}).items())
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return RawDocument(case.get("file") or f"<case {case['id']}>", text, "txt", digest, None, fields=fields)


def test_case_table_is_large_and_has_negatives() -> None:
    assert len(CASES) >= 30
    assert len({c["id"] for c in CASES}) == len(CASES)
    negatives = [c for c in CASES if None in (c["expect"].get("unit", 0), c["expect"].get("year", 0))]
    assert len(negatives) >= 6


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_meta_case(case: dict[str, Any]) -> None:
    report = analyze_document(_document(case), STRUCTURE_ONLY)
    meta, expect = report.meta, case["expect"]
    got = {
        "unit": meta.unit,
        "year": meta.year,
        "period": meta.period.code if meta.period else None,
        "plan_year": meta.plan_year,
        "doc_type": meta.doc_type,
    }
    assert {k: got[k] for k in got if k in expect} == {k: expect[k] for k in got if k in expect}, case.get(
        "why"
    )
    for field, source in (expect.get("sources") or {}).items():
        assert meta.source(field) == source, f"source of {field}"
    for field in expect.get("disagree") or ():
        assert any("disagree" in w and field in w for w in report.warnings), report.warnings
    if "disagree" not in expect:
        assert not any("disagree" in w for w in report.warnings), report.warnings


def test_period_of_a_report_ends_in_its_year() -> None:
    for case in CASES:
        meta = analyze_document(_document(case), STRUCTURE_ONLY).meta
        if meta.period is not None:
            assert meta.period.end_year == meta.year, case["id"]
        else:
            assert meta.year is None, case["id"]


def test_weak_and_missing_sources_warn() -> None:
    doc = RawDocument("沛县/2023/总结.txt", "工作总结\n今年以来，我局扎实推进各项审计工作。", "txt", "0" * 64)
    report = analyze_document(doc, STRUCTURE_ONLY)
    assert (report.meta.unit, report.meta.year) == ("沛县", 2023)
    assert any("unit taken from the folder only" in w for w in report.warnings)
    assert any("year taken from the folder only" in w for w in report.warnings)
    bare = analyze_text("工作总结\n今年以来，我局扎实推进各项审计工作。", options=STRUCTURE_ONLY)
    assert bare.meta.unit is None and bare.meta.year is None and bare.meta.sources == ()
    assert any("no issuing unit" in w for w in bare.warnings)
    assert any("no covered year" in w for w in bare.warnings)


def test_unit_sources_that_disagree_warn() -> None:
    text = "沛县审计局2023年工作总结\n一、主要工作\n全年完成审计项目17个。\n萧县审计局\n2024年1月15日\n"
    report = analyze_text(text, options=STRUCTURE_ONLY)
    assert report.meta.unit == "沛县审计局"  # the title is trusted before the signature
    assert any("disagree on the unit" in w and "萧县审计局" in w for w in report.warnings)


def test_period_codes_labels_and_comparability() -> None:
    year, h1, q3 = Period(2024, 2024), Period(2024, 2024, 1, 6), Period(2024, 2024, 7, 9)
    months, years, plan = Period(2023, 2023, 1, 9), Period(2021, 2025), Period(2025, 2025, plan=True)
    assert [p.code for p in (year, h1, q3, months, years, plan)] == [
        "2024", "2024H1", "2024Q3", "2023M01-09", "2021-2025", "2025P",
    ]  # fmt: skip
    assert [p.label for p in (h1, q3, plan)] == ["2024年上半年", "2024年第三季度", "2025年计划"]
    assert year.comparable(Period(2023, 2023)) and h1.comparable(Period(2023, 2023, 1, 6))
    assert not year.comparable(h1) and not year.comparable(plan) and not years.comparable(year)
    data = json.loads(json.dumps(h1.to_dict()))
    assert (data["code"], data["span"], data["label"]) == ("2024H1", "half", "2024年上半年")


def test_meta_rules_are_data(tmp_path: Path) -> None:
    rules = meta_rules()
    assert "县" in rules.suffixes and rules.trust[0] == "manifest"
    packaged = (ROOT / "auditnlp" / "lexicons" / "meta.yaml").read_text(encoding="utf-8")
    # a user copy that also counts 街道 as a place suffix finds the sub-district office's unit
    (tmp_path / "meta.yaml").write_text(
        packaged.replace("place_suffixes: [", "place_suffixes: [街道, "), encoding="utf-8"
    )
    text = "城关街道审计办2023年工作总结\n一、主要工作\n完成审计项目3个。"
    assert analyze_text(text, options=STRUCTURE_ONLY).meta.unit != "城关街道审计办"
    custom = analyze_text(text, options=Options(stages=(), lexicon_dir=str(tmp_path)))
    assert custom.meta.unit == "城关街道审计办"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "meta.yaml").write_text("place_suffixes: [县]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"meta\.yaml"):
        meta_rules(load_lexicons(broken))


def test_samples_need_no_manifest() -> None:
    manifest = {r["path"]: r for r in csv.DictReader((SAMPLES / "manifest.csv").open(encoding="utf-8"))}
    for report in analyze_many([SAMPLES], options=STRUCTURE_ONLY):
        if isinstance(report, SkippedInputError):  # README.md, manifest.csv
            continue
        row = manifest[Path(report.source.path).name]
        assert (report.meta.unit, report.meta.year) == (row["unit"], int(row["year"])), report.source.path


@needs_shared
def test_truth_table_of_real_documents() -> None:
    """Unit and covered year of every seed, sample, government report and State Council row."""
    lines = (ROOT / "eval" / "gold" / "meta.tsv").read_text(encoding="utf-8").splitlines()
    rows = list(csv.DictReader([line for line in lines if not line.startswith("#")], delimiter="\t"))
    assert len(rows) >= 136
    paths = sorted({str((ROOT if r["set"] == "sample" else SHARED) / r["doc"]) for r in rows})
    reports = {(r.source.path, r.source.row): r.meta for r in analyze_many(paths, options=STRUCTURE_ONLY)}
    wrong = []
    for r in rows:
        path = str((ROOT if r["set"] == "sample" else SHARED) / r["doc"])
        meta = reports[(path, int(r["row"]) if r["row"] else None)]
        expect = (r["unit"] or None, int(r["year"]) if r["year"] else None, r["period"] or None)
        got = (meta.unit, meta.year, meta.period.code if meta.period else None)
        if got != expect:
            wrong.append(f"{r['doc']}#{r['row']}: {expect} → {got}")
    assert not wrong, "\n".join(wrong)
