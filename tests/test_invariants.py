"""Invariants on every corpus document: offsets round-trip, document order, tiling, determinism."""

from __future__ import annotations

import csv
import itertools

import pytest
from conftest import GOV, SAMPLES, SEEDS, needs_shared, sample_files

from auditnlp import Options, Report, analyze, analyze_many

MANIFEST = {row["path"]: row for row in csv.DictReader((SAMPLES / "manifest.csv").open(encoding="utf-8"))}
SPAN_GROUPS = ("paragraphs", "sentences", "items", "indicators", "slogans", "problems", "measures")


def check_invariants(report: Report) -> None:
    text = report.text
    for group in SPAN_GROUPS:
        records = getattr(report, group)
        for record in records:
            assert 0 <= record.start < record.end <= len(text), (group, record)
            assert text[record.start : record.end] == record.text, (group, record)
        starts = [r.start for r in records]
        assert starts == sorted(starts), f"{group} not in document order"
    for span in (report.title, report.salutation, report.closing):
        if span is not None:
            assert text[span.start : span.end] == span.text
    # paragraphs are the non-empty lines, in order, without overlap
    for a, b in itertools.pairwise(report.paragraphs):
        assert a.end < b.start
    # sentences tile each paragraph exactly
    by_para: dict[int, list] = {}
    for s in report.sentences:
        by_para.setdefault(s.paragraph, []).append(s)
    for para in report.paragraphs:
        sents = by_para[para.id]
        assert sents[0].start == para.start and sents[-1].end == para.end
        for a, b in itertools.pairwise(sents):
            assert a.end == b.start
    # top-level sections (front matter + level 1) tile the whole text; children tile their parent
    top = [s for s in report.sections if s.parent is None]
    assert top[0].start == 0 and top[-1].end == len(text)
    for a, b in itertools.pairwise(top):
        assert a.end == b.start
    for section in report.sections:
        assert text[section.start : section.end] == section.text
        assert section.start <= section.heading_start <= section.heading_end <= section.end
        children = [c for c in report.sections if c.parent == section.id]
        if children:
            assert children[-1].end == section.end
            for a, b in itertools.pairwise(children):
                assert a.end == b.start
            assert all(c.level > section.level for c in children)
    # every paragraph lies inside its section, every item inside its paragraph
    for para in report.paragraphs:
        section = report.sections[para.section]
        assert section.start <= para.start and para.end <= section.end
    for item in report.items:
        para = report.paragraphs[item.paragraph]
        assert para.start <= item.start and item.end <= para.end
        if item.parent is not None:
            parent = report.items[item.parent]
            assert parent.start <= item.start and item.end <= parent.end


def check_deterministic(path, options=None) -> None:
    reports = [r for r in analyze_many([path], options=options) if isinstance(r, Report)]
    again = [r for r in analyze_many([path], options=options) if isinstance(r, Report)]
    assert [r.to_dict() for r in reports] == [r.to_dict() for r in again]


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_sample_invariants(path):
    report = analyze(path)
    check_invariants(report)
    expected = MANIFEST[path.name]
    assert report.meta.unit == expected["unit"]
    # the year comes from the title; a title without one gives None (the manifest supplies it)
    assert report.meta.year in (int(expected["year"]), None)
    if report.meta.year is None:
        assert not any(ch.isdigit() for ch in report.meta.title or "")
    assert len(report.sections) > 3


def test_sample_deterministic():
    check_deterministic(sample_files()[0])


def _shared_docs():
    if not GOV.exists():
        return []
    return (
        sorted(SEEDS.glob("*.txt"))
        + sorted(GOV.glob("2025-docx/*.docx"))
        + sorted(GOV.glob("2026-csv/*.csv"))
    )


@needs_shared
@pytest.mark.parametrize("path", _shared_docs(), ids=lambda p: p.name)
def test_shared_invariants(path):
    results = list(analyze_many([path], options=Options(text_column="full_text")))
    assert results and all(isinstance(r, Report) for r in results), results
    for report in results:
        check_invariants(report)
    check_deterministic(path, Options(text_column="full_text"))


@needs_shared
def test_state_council_jsonl_every_line():
    path = GOV / "state-council-1954-2025.jsonl"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = list(analyze_many([path], options=Options(text_column="content")))
    assert len(results) == len(lines)
    for report in results:
        assert isinstance(report, Report), report
        check_invariants(report)


@needs_shared
def test_gov_reports_metadata():
    for path in sorted(GOV.glob("2025-docx/*.docx")):
        report = analyze(path)
        province = path.stem.replace("2025年", "").replace("政府工作报告", "")
        assert report.meta.unit == province
        # delivered in 2025, the report covers 2024 and plans 2025
        assert (report.meta.year, report.meta.plan_year, report.meta.period.code) == (2024, 2025, "2024")
        assert report.meta.doc_type == "government_work_report"
        assert any(s.role == "review" for s in report.sections)
        assert any(s.role == "plans" for s in report.sections)
    for path in sorted(GOV.glob("2026-csv/*.csv")):
        (report,) = analyze_many([path], options=Options(text_column="full_text"))
        assert (report.meta.year, report.meta.plan_year) == (2025, 2026)
        assert report.meta.unit == path.stem.split("_")[1]
        # web chrome is gone from the analysed text but recorded
        assert not report.text.startswith(("下载", "您的位置"))
        assert "相关报道" not in report.text[-50:]
