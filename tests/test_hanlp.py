"""HanLP end to end: train a tiny tokenizer here, save it, load it with hanlp.load, segment a report with it.

No download: the model is trained in a temporary folder from the sample corpus segmented by jieba.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

hanlp = pytest.importorskip(
    "hanlp", reason="HanLP not installed (pip install torch==2.13.0 && pip install 'auditnlp[hanlp]')"
)

import auditnlp  # noqa: E402
from auditnlp.errors import ModelError  # noqa: E402
from auditnlp.integrations.hanlp import HanLPSegmenter, load_model, train_rnn_tagger  # noqa: E402
from auditnlp.tokenizer import JiebaSegmenter, Segmenter, words  # noqa: E402

pytestmark = pytest.mark.hanlp

SAMPLES = Path(__file__).resolve().parents[1] / "corpora" / "samples"
HELD_OUT = "jiangbei_2024_audit_report.txt"


def _sentences(seg: JiebaSegmenter) -> list[list[str]]:
    out = []
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix in {".txt", ".docx"} and path.name != HELD_OUT:
            report = auditnlp.analyze(path)
            out.extend(seg.cut("".join(s.text.split())) for s in report.sentences if s.text.strip())
    return out


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sentences = _sentences(JiebaSegmenter())
    assert len(sentences) >= 300
    sentences = sentences[:400]
    save_dir = tmp_path_factory.mktemp("hanlp") / "tok"
    return train_rnn_tagger(sentences[:350], sentences[350:], save_dir, epochs=3)


def _f1(gold: list[tuple[int, int]], pred: list[tuple[int, int]]) -> float:
    common = len(set(gold) & set(pred))
    return 2 * common / (len(gold) + len(pred)) if gold and pred else 0.0


def test_trained_model_loads_with_hanlp_load_and_segments_a_report(model_dir: Path) -> None:
    assert (model_dir / "config.json").is_file() and (model_dir / "model.pt").is_file()
    model = hanlp.load(str(model_dir), devices=-1, verbose=False)
    seg = HanLPSegmenter(model)
    assert seg.mode == "tagger" and isinstance(seg, Segmenter)

    report = auditnlp.analyze(SAMPLES / HELD_OUT)
    text = report.text
    spans = seg.spans(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert "".join(seg.cut(text)) == text
    # loading by path gives the same model
    assert HanLPSegmenter(str(model_dir)).spans(text) == spans

    # it learnt something from jieba's segmentation (a held-out report, words only)
    jieba_spans = [(s, e) for s, e in JiebaSegmenter().spans(text) if not text[s:e].isspace()]
    hanlp_spans = [(s, e) for s, e in spans if not text[s:e].isspace()]
    assert _f1(jieba_spans, hanlp_spans) > 0.5

    # words of each sentence, as auditnlp asks for them
    for sentence in report.sentences[:20]:
        got = words(sentence.text, segmenter=seg)
        assert "".join(got) == "".join(sentence.text.split())


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="never downloads"):
        load_model(tmp_path / "no-such-model")
