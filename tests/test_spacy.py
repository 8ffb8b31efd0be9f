"""The spaCy adapter: auditnlp records as span groups, with exactly the core records' offsets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy", reason="spaCy not installed (pip install 'auditnlp[spacy]')")

from spacy.tokens import Doc, DocBin, Span  # noqa: E402

from auditnlp.integrations.spacy import (  # noqa: E402
    KINDS,
    LABELS,
    AuditNLPComponent,
    register_extensions,
    render_html,
    span_key,
)
from auditnlp.pipeline import Options, analyze_text  # noqa: E402
from auditnlp.readers import read_file  # noqa: E402

pytestmark = pytest.mark.spacy

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
GOV = ROOT.parent / "shared" / "corpora" / "gov-reports"
SAMPLES = ROOT / "corpora" / "samples"
ALL_KINDS = list(KINDS)


def _texts(path: Path, limit: int = 2) -> list[str]:
    return [doc.text for doc in read_file(path)][:limit]


def _seed_texts() -> list[tuple[str, str]]:
    if not SEEDS.is_dir():
        return []
    return [(p.name, t) for p in sorted(SEEDS.glob("*.txt")) for t in _texts(p)]


def _gov_texts() -> list[tuple[str, str]]:
    out = []
    docx = sorted((GOV / "2025-docx").glob("*.docx"))[:1]
    csv = sorted((GOV / "2026-csv").glob("*.csv"))[:1]
    for path in docx + csv:  # the CSV rows start with web debris: removals exercise the offset map
        out.extend((f"{path.name}#{i}", t) for i, t in enumerate(_texts(path, limit=2)))
    return out


def _sample_texts() -> list[tuple[str, str]]:
    return [
        (p.name, t)
        for p in sorted(SAMPLES.iterdir())
        if p.suffix in {".txt", ".docx"}
        for t in _texts(p, limit=1)
    ]


def _need(cases: list[tuple[str, str]], what: str) -> list[tuple[str, str]]:
    if not cases:
        pytest.skip(f"{what} not found (expected beside the repository, in ../shared)")
    return cases


@pytest.fixture(scope="module")
def char_nlp() -> spacy.Language:
    nlp = spacy.blank("zh")
    nlp.add_pipe("auditnlp", config={"kinds": ALL_KINDS})
    return nlp


@pytest.fixture(scope="module")
def jieba_nlp() -> spacy.Language:
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.add_pipe("auditnlp", config={"kinds": ALL_KINDS})
    return nlp


def _doc_offsets(report, record) -> tuple[int, int]:
    start = report.source_offset(record.start)
    return start, report.source_offset(record.end - 1) + 1


def _check(doc: Doc, *, exact: bool) -> int:
    """Every record of the core report is a span at its mapped offsets; return the number checked."""
    # the component runs only the stages its kinds need: no classifier for span groups
    report = analyze_text(doc.text, options=Options(stages=("indicators", "slogans", "findings")))
    assert doc._.auditnlp_report == json.loads(json.dumps(report.to_dict()))
    checked = 0
    for kind in KINDS:
        records = getattr(report, kind)
        group = doc.spans[span_key(kind)]
        assert len(group) == len(records), kind
        for record, span in zip(records, group, strict=True):
            start, end = _doc_offsets(report, record)
            data = span._.auditnlp
            assert span.label_ == LABELS[kind]
            assert (data["start"], data["end"]) == (record.start, record.end)
            assert (data["doc_start"], data["doc_end"]) == (start, end)
            assert report.text[data["start"] : data["end"]] == record.text
            if exact:
                assert (span.start_char, span.end_char) == (start, end), (kind, record.text[:30])
            else:  # expanded to whole tokens, never by more than the tokens at either end
                assert span.start_char <= start < span[0].idx + len(span[0])
                assert span[-1].idx < end <= span.end_char
            checked += 1
    return checked


@pytest.mark.shared
def test_seed_spans_equal_core_offsets(char_nlp, jieba_nlp) -> None:
    for name, text in _need(_seed_texts(), "seed reports"):
        assert _check(char_nlp(text), exact=True) > 20, name
        assert _check(jieba_nlp(text), exact=False) > 20, name


@pytest.mark.shared
def test_gov_report_spans_equal_core_offsets(char_nlp, jieba_nlp) -> None:
    for name, text in _need(_gov_texts(), "gov reports"):
        assert _check(char_nlp(text), exact=True) > 20, name
        assert _check(jieba_nlp(text), exact=False) > 20, name


def test_sample_corpus_spans_equal_core_offsets(char_nlp, jieba_nlp) -> None:
    cases = _sample_texts()
    assert len(cases) >= 10
    for name, text in cases:
        assert _check(char_nlp(text), exact=True) > 5, name
        assert _check(jieba_nlp(text), exact=False) > 5, name


def test_pipe_matches_single_calls(jieba_nlp) -> None:
    texts = [t for _, t in _sample_texts()[:4]]
    piped = list(jieba_nlp.pipe(texts, batch_size=2))
    for text, doc in zip(texts, piped, strict=True):
        single = jieba_nlp(text)
        for kind in KINDS:
            assert [(s.start_char, s.end_char, s._.auditnlp) for s in doc.spans[span_key(kind)]] == [
                (s.start_char, s.end_char, s._.auditnlp) for s in single.spans[span_key(kind)]
            ]


def _spans(doc: Doc, kind: str) -> list[tuple[int, int, str, object]]:
    return [(s.start_char, s.end_char, s.label_, s._.auditnlp) for s in doc.spans[span_key(kind)]]


def test_pipe_with_two_processes(char_nlp) -> None:
    texts = [t for _, t in _sample_texts()[:2]]
    piped = list(char_nlp.pipe(texts, n_process=2, batch_size=1))
    for text, doc in zip(texts, piped, strict=True):
        single = char_nlp(text)
        assert doc._.auditnlp_report == single._.auditnlp_report
        for kind in KINDS:
            assert _spans(doc, kind) == _spans(single, kind)


def test_docbin_round_trip(char_nlp, jieba_nlp) -> None:
    texts = [t for _, t in _sample_texts()[:3]]
    for nlp in (char_nlp, jieba_nlp):
        docs = list(nlp.pipe(texts))
        data = DocBin(docs=docs, store_user_data=True).to_bytes()
        back = list(DocBin().from_bytes(data).get_docs(spacy.blank("zh").vocab))
        for doc, again in zip(docs, back, strict=True):
            assert again.text == doc.text
            assert again._.auditnlp_report == doc._.auditnlp_report
            for kind in KINDS:
                assert _spans(again, kind) == _spans(doc, kind)
            assert any(again.spans[span_key("items")])


def test_extensions_are_idempotent() -> None:
    register_extensions()
    register_extensions()
    AuditNLPComponent()
    assert Span.has_extension("auditnlp") and Doc.has_extension("auditnlp_report")
    nlp = spacy.blank("zh")
    nlp.add_pipe("auditnlp")
    nlp.add_pipe("auditnlp", name="auditnlp_again")
    doc = nlp("一、审计整改\n一是强化审计监督。二是推进审计整改。")
    assert len(doc.spans["auditnlp_items"]) == 2
    plain = doc[0:2]
    assert plain._.auditnlp is None  # spans auditnlp did not make carry no record
    assert spacy.blank("zh")("审计")._.auditnlp_report is None


def test_empty_docs_do_not_break_a_batch(char_nlp) -> None:
    docs = list(char_nlp.pipe(["", "  \n ", "一、审计整改\n一是强化审计监督。二是推进审计整改。"]))
    assert [len(d.spans["auditnlp_items"]) for d in docs] == [0, 0, 2]
    assert docs[0]._.auditnlp_report is None


def test_kinds_config() -> None:
    nlp = spacy.blank("zh")
    nlp.add_pipe("auditnlp", config={"kinds": ["items"], "store_report": False})
    doc = nlp("一、审计整改\n一是强化审计监督。二是推进审计整改。")
    assert set(doc.spans) == {"auditnlp_items"}
    assert doc._.auditnlp_report is None
    with pytest.raises(ValueError, match="unknown auditnlp kind"):
        AuditNLPComponent(kinds=["nonsense"])


def test_component_runs_only_the_stages_its_kinds_need() -> None:
    code = (
        "import sys, spacy; nlp = spacy.blank('zh'); nlp.add_pipe('auditnlp', config={'kinds': ['indicators']});"
        "doc = nlp('某区审计局2024年工作总结\\n一、工作情况\\n完成审计项目27个，坚持“第一议题”制度。');"
        "r = doc._.auditnlp_report;"
        "print(len(doc.spans['auditnlp_indicators']), len(r['slogans']), r['category_shares'],"
        " 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "0", "{}", "False"]


def test_entry_point_registers_the_factory() -> None:
    code = (
        "import sys, spacy\n"
        "assert 'auditnlp.integrations.spacy' not in sys.modules\n"
        "nlp = spacy.blank('zh'); nlp.add_pipe('auditnlp')\n"
        "doc = nlp('一、审计整改\\n一是强化审计监督。二是推进审计整改。')\n"
        "print(len(doc.spans['auditnlp_items']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"


def test_render_html() -> None:
    text = (SAMPLES / "qingshan_2024_summary.txt").read_text(encoding="utf-8")
    page = render_html(text, title="青山 <2024>")
    assert page.startswith("<!DOCTYPE html>") and "<title>青山 &lt;2024&gt;</title>" in page
    report = analyze_text(text)
    marks = len(report.indicators) + len(report.slogans)
    assert ("<mark" in page) == (marks > 0)
