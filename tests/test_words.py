"""The tokenizer layer: a private jieba tokenizer with the audit dictionary; the global one untouched."""

from __future__ import annotations

import itertools
import logging
import pickle
import subprocess
import sys

import jieba
import pytest

from auditnlp.errors import LexiconError
from auditnlp.integrations.hanlp import HanLPSegmenter, _bmes_spans
from auditnlp.tokenizer import JiebaSegmenter, Segmenter, default_segmenter, read_userdict, words

SENTENCE = "县委审计委员会召开党组会，落实第一议题制度，推进审计整改和经济责任审计，移送问题线索3件。"
TEXT = "关于2024年审计工作的报告\n\n  一、预算执行审计情况\n开展专项审计调查２项，  移送问题线索。\n"


@pytest.fixture(scope="module")
def seg() -> JiebaSegmenter:
    return JiebaSegmenter()


def _tiles(spans: list[tuple[int, int]], text: str) -> bool:
    return (
        bool(spans)
        and spans[0][0] == 0
        and spans[-1][1] == len(text)
        and all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(spans))
    )


def test_userdict_words_are_kept_whole_in_the_private_tokenizer(seg: JiebaSegmenter) -> None:
    got = seg.cut(SENTENCE)
    for word in ("审计整改", "经济责任审计", "问题线索", "第一议题", "党组会", "县委审计委员会"):
        assert word in got
    assert "".join(got) == SENTENCE


def test_global_jieba_is_unaffected() -> None:
    before = jieba.lcut(SENTENCE)
    handlers = list(logging.getLogger("jieba").handlers)
    level = logging.getLogger("jieba").level
    private = JiebaSegmenter()
    assert "经济责任审计" in private.cut(SENTENCE)
    assert jieba.lcut(SENTENCE) == before
    # the user dictionary changes segmentation only in the private tokenizer
    assert "经济责任审计" not in before and "问题线索" not in before
    assert private.tokenizer is not jieba.dt
    assert "经济责任审计" not in jieba.dt.FREQ
    assert logging.getLogger("jieba").handlers == handlers
    assert logging.getLogger("jieba").level == level


def test_two_segmenters_do_not_share_state(tmp_path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("# a comment\n落实第一议题制度 5000 l\n", encoding="utf-8")
    with_extra = JiebaSegmenter(extra)
    plain = JiebaSegmenter()
    assert "落实第一议题制度" in with_extra.cut(SENTENCE)
    assert "落实第一议题制度" not in plain.cut(SENTENCE)
    assert "第一议题" not in JiebaSegmenter(use_packaged_dict=False).cut(SENTENCE)


def test_spans_tile_the_text_and_match_cut(seg: JiebaSegmenter) -> None:
    spans = seg.spans(TEXT)
    assert _tiles(spans, TEXT)
    assert [TEXT[s:e] for s, e in spans] == seg.cut(TEXT)
    assert all(not w.isspace() for w, _, _ in seg.words(TEXT))
    assert words(TEXT) == [w for w, _, _ in seg.words(TEXT)]


def test_protocol_and_pickle(seg: JiebaSegmenter) -> None:
    assert isinstance(seg, Segmenter)
    clone = pickle.loads(pickle.dumps(seg))
    assert clone.cut(SENTENCE) == seg.cut(SENTENCE)
    assert default_segmenter() is default_segmenter()


def test_packaged_userdict_is_valid() -> None:
    entries = read_userdict()
    assert len(entries) >= 300
    names = {w for w, _, _ in entries}
    assert {"审计整改", "经济责任审计", "问题线索", "主题教育", "第一议题", "党组会"} <= names
    assert all(freq is None or freq > 0 for _, freq, _ in entries)
    assert len(names) == len(entries)


def test_bad_userdict_names_file_and_line(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("审计整改 100 n\n坏 行 有 空格\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad\.txt.*line 2"):
        read_userdict(bad)
    zero = tmp_path / "zero.txt"
    zero.write_text("审计整改 0\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="line 1"):
        JiebaSegmenter(zero).cut("审计整改")


def test_import_is_lazy() -> None:
    code = (
        "import sys, auditnlp, auditnlp.tokenizer, auditnlp.integrations.hanlp;"
        "print(sorted(m for m in ('jieba', 'spacy', 'hanlp', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_private_tokenizer_loads_quietly() -> None:
    code = (
        "import jieba; from auditnlp.tokenizer import JiebaSegmenter;print(JiebaSegmenter().cut('审计整改'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['审计整改']"
    assert "prefix dict" not in out.stderr and "Loading model" not in out.stderr


# HanLPSegmenter without HanLP: any callable with a HanLP tokenizer's or tagger's interface


def test_hanlp_segmenter_aligns_tokenizer_output() -> None:
    def fake_tok(batch: list[str]) -> list[list[str]]:
        return [[p[i : i + 2] for i in range(0, len(p), 2)] for p in batch]

    h = HanLPSegmenter(fake_tok, mode="tokenizer", max_chars=5)
    spans = h.spans(TEXT)
    assert _tiles(spans, TEXT)
    assert "".join(h.cut(TEXT)) == TEXT
    assert isinstance(h, Segmenter)


def test_hanlp_segmenter_reads_documents_and_tags() -> None:
    def fake_pipeline(batch: list[str]) -> dict[str, list[list[str]]]:
        return {"tok/fine": [list(p) for p in batch], "pos/ctb": [["NN"] * len(p) for p in batch]}

    assert HanLPSegmenter(fake_pipeline).cut("审计 整改") == ["审", "计", " ", "整", "改"]

    def fake_tagger(batch: list[list[str]]) -> list[list[str]]:
        return [["B", "E"] * (len(chars) // 2) + ["S"] * (len(chars) % 2) for chars in batch]

    h = HanLPSegmenter(fake_tagger, mode="tagger")
    assert h.cut("审计整改，问题线索。") == ["审计", "整改", "，问", "题线", "索。"]
    assert _bmes_spans(["M", "M", "B", "B", "E", "E"], 6) == [(0, 2), (2, 3), (3, 5), (5, 6)]
