"""Benchmark: word segmentation speed (MB/s of UTF-8 text) of every segmenter on the same text (by hand).

    python bench/bench_segment.py [--chars 300000] [--repeat 3] [--hanlp-model PATH] [--torch-threads 1]

Text: the State Council government work reports (../shared/corpora/gov-reports), newest first, cut to
``--chars`` characters; the sample corpus when ../shared is absent. Segmenters:

* jieba, auditnlp's private tokenizer (``JiebaSegmenter``), and the global ``jieba.lcut`` for reference;
* spaCy ``blank("zh")`` tokenizer with the jieba segmenter and with the char segmenter (tokenizer only),
  and the jieba pipeline with the ``auditnlp`` component (the whole analysis, for scale);
* HanLP: ``--hanlp-model PATH`` (a model you have), else a tiny RNN tagger trained here on the sample
  corpus (training time is printed, not counted).

Load times are excluded (one warm-up call). Results are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE_COUNCIL = ROOT.parent / "shared" / "corpora" / "gov-reports" / "state-council-1954-2025.jsonl"
SAMPLES = ROOT / "corpora" / "samples"


def load_text(chars: int) -> tuple[str, str]:
    """The benchmark text and a description of where it came from."""
    if STATE_COUNCIL.exists():
        rows = [json.loads(line) for line in STATE_COUNCIL.read_text(encoding="utf-8").splitlines() if line]
        rows.sort(key=lambda r: -int(r.get("year") or 0))
        text = "\n".join(r["content"] for r in rows)[:chars]
        return text, f"State Council reports ({len(rows)} documents), first {len(text):,} chars"
    from auditnlp.readers import read_file

    parts = [d.text for p in sorted(SAMPLES.iterdir()) if p.suffix in {".txt", ".docx"} for d in read_file(p)]
    text = "\n".join(parts)
    text = (text * (chars // max(1, len(text)) + 1))[:chars]
    return text, f"sample corpus repeated, {len(text):,} chars"


def timed(func: Callable[[str], Any], text: str, repeat: int) -> tuple[float, int]:
    """Best wall time of `repeat` runs (after one warm-up on a short prefix) and the number of tokens."""
    func(text[:2000])
    best, count = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func(text)
        best = min(best, time.perf_counter() - t0)
        count = len(out)
    return best, count


def tiny_hanlp_model(directory: str) -> tuple[str, float]:
    """Train the test's tiny RNN tagger on the sample corpus; return its folder and the training time."""
    import auditnlp
    from auditnlp.integrations.hanlp import train_rnn_tagger
    from auditnlp.tokenizer import JiebaSegmenter

    seg = JiebaSegmenter()
    sentences = []
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix in {".txt", ".docx"}:
            report = auditnlp.analyze(path)
            sentences += [seg.cut("".join(s.text.split())) for s in report.sentences if s.text.strip()]
    t0 = time.perf_counter()
    folder = train_rnn_tagger(sentences[:350], sentences[350:400], Path(directory) / "tok", epochs=3)
    return str(folder), time.perf_counter() - t0


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chars", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hanlp-model", default=None, help="a saved HanLP tokenizer/tagger folder")
    parser.add_argument("--torch-threads", type=int, default=1, help="torch threads for HanLP (0: leave)")
    parser.add_argument("--skip-hanlp", action="store_true")
    args = parser.parse_args()

    text, where = load_text(args.chars)
    megabytes = len(text.encode("utf-8")) / 1e6
    print(f"text: {where}, {megabytes:.2f} MB UTF-8; load average {os.getloadavg()[0]:.1f}")
    rows: list[tuple[str, float, int]] = []

    def run(name: str, func: Callable[[str], Any], text: str = text) -> None:
        seconds, count = timed(func, text, args.repeat)
        rows.append((name, seconds, count))
        size = len(text.encode("utf-8")) / 1e6
        print(f"  {name:<44} {size / seconds:8.3f} MB/s  {seconds:7.2f} s  {count:>9,} tokens", flush=True)

    import jieba

    from auditnlp.tokenizer import JiebaSegmenter

    seg = JiebaSegmenter()
    run("jieba private (JiebaSegmenter.spans)", seg.spans)
    run("jieba private (JiebaSegmenter.cut)", seg.cut)
    jieba.setLogLevel(60)  # the benchmark's own process: silence the global tokenizer's loading
    run("jieba global (jieba.lcut, reference)", jieba.lcut)

    try:
        import spacy
    except ImportError:
        print("  spaCy not installed: skipped")
    else:
        zh_jieba = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        zh_char = spacy.blank("zh")
        run("spaCy blank zh + jieba (tokenizer)", zh_jieba.make_doc)
        run("spaCy blank zh char (tokenizer)", zh_char.make_doc)
        zh_jieba.add_pipe("auditnlp")
        sample = text[:50_000]
        run("spaCy zh+jieba + auditnlp component (50k chars)", zh_jieba, sample)

    if args.skip_hanlp:
        return
    try:
        import torch

        from auditnlp.integrations.hanlp import HanLPSegmenter
    except ImportError:
        print("  HanLP not installed: skipped")
        return
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.hanlp_model
        if model is None:
            model, seconds = tiny_hanlp_model(tmp)
            print(f"  (tiny HanLP RNN tagger trained in {seconds:.1f} s)")
        hanlp_seg = HanLPSegmenter(model)
        label = f"HanLP {type(hanlp_seg.model).__name__} ({torch.get_num_threads()} thread(s))"
        run(label, hanlp_seg.spans)


if __name__ == "__main__":
    sys.exit(main())
