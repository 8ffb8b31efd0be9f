"""HanLP adapter: a HanLP tokenizer (or character tagger) as an auditnlp :class:`Segmenter`.

The only module of auditnlp that imports HanLP, and only when a model must be loaded from a path or
trained: :class:`HanLPSegmenter` given an already-loaded model needs no import at all.

* ``HanLPSegmenter(hanlp.load(...))`` or ``HanLPSegmenter("/path/to/model")``: any HanLP tokenizer (a
  ``tok`` component returning words, a pipeline or multi-task model returning a ``Document`` with a
  ``tok…`` key) or a BMES character tagger (``RNNTagger`` and the like, returning one tag per character).
* :func:`train_rnn_tagger`: train a small character BMES tagger (``RNNTagger``, no CRF) from segmented
  sentences — what the tests use, and a way to make a domain model from jieba-segmented reports.

No model is ever downloaded by auditnlp: pass a path to a model you already have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

Mode = Literal["auto", "tokenizer", "tagger"]

# a chunk ends after sentence punctuation; whitespace separates chunks and is kept as its own span
_CHUNK = re.compile(r"[^\s。！？；!?;]*[。！？；!?;]+|[^\s。！？；!?;]+|\s+")
_TAGGER_MODULES = ("hanlp.components.taggers.",)


def _bmes_spans(tags: Sequence[str], length: int) -> list[tuple[int, int]]:
    """Character tags (B/M/E/S, or BIES/BMESO variants) → word spans tiling range(length)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i in range(length):
        tag = (tags[i] if i < len(tags) else "S")[:1].upper()
        if tag in ("B", "S") and i > start:
            spans.append((start, i))
            start = i
        if tag in ("E", "S"):
            spans.append((start, i + 1))
            start = i + 1
    if start < length:
        spans.append((start, length))
    return spans


def _align(text: str, start: int, end: int, words: Sequence[str]) -> list[tuple[int, int]]:
    """Place `words` (a model's output for ``text[start:end]``) back onto the text, tiling the chunk.

    A word found at the cursor takes its own length; a word the model changed (normalised characters)
    still takes its length; whatever the model dropped at the end becomes one last span.
    """
    spans: list[tuple[int, int]] = []
    pos = start
    for word in words:
        word = "".join(str(word).split())
        if not word or pos >= end:
            continue
        stop = min(end, pos + len(word))
        spans.append((pos, stop))
        pos = stop
    if pos < end:
        spans.append((pos, end))
    return spans


class HanLPSegmenter:
    """A HanLP model used as an auditnlp :class:`~auditnlp.tokenizer.Segmenter`.

    `model` is a loaded HanLP component (or any callable with the same interface) or the path of a saved
    model for ``hanlp.load``. `mode` ``tokenizer`` feeds strings and expects words, ``tagger`` feeds
    character lists and expects BMES tags; ``auto`` picks ``tagger`` for HanLP taggers. Text is cut into
    chunks at sentence punctuation and whitespace (at most `max_chars` characters) and fed in batches of
    `batch_size`; spans tile the text, whitespace runs included, like :class:`JiebaSegmenter`'s.
    """

    def __init__(
        self,
        model: Any,
        *,
        mode: Mode = "auto",
        max_chars: int = 126,
        batch_size: int = 64,
        devices: Any = -1,
    ) -> None:
        if isinstance(model, str | Path):
            model = load_model(model, devices=devices)
        if mode == "auto":
            module = type(model).__module__ or ""
            mode = "tagger" if module.startswith(_TAGGER_MODULES) else "tokenizer"
        if mode not in ("tokenizer", "tagger"):
            raise ValueError(f"mode must be 'auto', 'tokenizer' or 'tagger', not {mode!r}")
        if max_chars < 1:
            raise ValueError("max_chars must be positive")
        self.model = model
        self.mode: Mode = mode
        self.max_chars = max_chars
        self.batch_size = batch_size

    def __repr__(self) -> str:
        return f"HanLPSegmenter({type(self.model).__name__}, mode={self.mode!r}, max_chars={self.max_chars})"

    def _chunks(self, text: str) -> list[tuple[int, int]]:
        chunks = []
        for match in _CHUNK.finditer(text):
            start, end = match.span()
            for s in range(start, end, self.max_chars):
                chunks.append((s, min(end, s + self.max_chars)))
        return chunks

    def _predict(self, pieces: list[str]) -> list[list[tuple[int, int]]]:
        """Model output for each piece as spans relative to the piece."""
        out: list[list[tuple[int, int]]] = []
        for i in range(0, len(pieces), self.batch_size):
            batch = pieces[i : i + self.batch_size]
            if self.mode == "tagger":
                result = self.model([list(p) for p in batch])
                out.extend(_bmes_spans(tags, len(p)) for p, tags in zip(batch, result, strict=True))
            else:
                result = _words_of(self.model(batch))
                out.extend(_align(p, 0, len(p), words) for p, words in zip(batch, result, strict=True))
        return out

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return (start, end) offsets of the words of `text`; the spans tile the text."""
        chunks = self._chunks(text)
        todo = [(s, e) for s, e in chunks if not text[s:e].isspace()]
        predicted = dict(zip(todo, self._predict([text[s:e] for s, e in todo]), strict=True))
        spans: list[tuple[int, int]] = []
        for s, e in chunks:
            if (s, e) in predicted:
                spans.extend((s + a, s + b) for a, b in predicted[(s, e)])
            else:
                spans.append((s, e))
        return spans

    def cut(self, text: str) -> list[str]:
        """Return the words of `text`; they concatenate back to `text` (whitespace runs are tokens)."""
        return [text[s:e] for s, e in self.spans(text)]


def _words_of(result: Any) -> list[list[str]]:
    """Words per input from a tokenizer's output: a list of word lists, or a Document with a tok key."""
    if isinstance(result, dict):
        keys = sorted(k for k in result if str(k).startswith("tok"))
        if not keys:
            raise ValueError(f"HanLP output has no 'tok' field (fields: {sorted(result)})")
        result = result["tok/fine" if "tok/fine" in keys else keys[0]]
    return [list(words) for words in result]


def load_model(path: str | Path, *, devices: Any = -1) -> Any:
    """Load a saved HanLP component from a local folder (``hanlp.load``), on the CPU by default."""
    import hanlp

    path = Path(path)
    if not path.exists():
        from auditnlp.errors import ModelError

        raise ModelError(str(path), "no such HanLP model folder (auditnlp never downloads models)")
    return hanlp.load(str(path), devices=devices, verbose=False)


def bmes_lines(sentences: Iterable[Sequence[str]]) -> str:
    """Segmented sentences → HanLP's TSV tagging format (``char\\tTAG`` lines, a blank line between)."""
    lines: list[str] = []
    for words in sentences:
        for word in words:
            word = "".join(word.split())
            if len(word) == 1:
                lines.append(f"{word}\tS")
            elif word:
                lines.append(f"{word[0]}\tB")
                lines.extend(f"{c}\tM" for c in word[1:-1])
                lines.append(f"{word[-1]}\tE")
        lines.append("")
    return "\n".join(lines) + "\n"


def train_rnn_tagger(
    train: Sequence[Sequence[str]],
    dev: Sequence[Sequence[str]],
    save_dir: str | Path,
    *,
    epochs: int = 3,
    embed: int = 32,
    hidden: int = 64,
    lr: float = 0.01,
    batch_size: int = 32,
    seed: int = 1,
    threads: int | None = 1,
) -> Path:
    """Train a small character BMES tagger (HanLP ``RNNTagger``, no CRF, CPU) and save it in `save_dir`.

    `train`/`dev` are sentences as word lists (e.g. from :class:`JiebaSegmenter`). Returns the folder,
    which ``hanlp.load`` and :class:`HanLPSegmenter` accept. HanLP seeds the global random generators
    (torch, numpy, random) with `seed` during training. `threads` sets torch's intra-op threads while
    training (restored afterwards): a tiny model trains several times faster on one thread than on many,
    above all on a busy machine; ``None`` leaves torch's setting alone.
    """
    import torch
    from hanlp.components.taggers.rnn_tagger import RNNTagger

    save_dir = Path(save_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    data_dir = save_dir / "data"
    data_dir.mkdir(exist_ok=True)
    trn_file, dev_file = data_dir / "train.tsv", data_dir / "dev.tsv"
    trn_file.write_text(bmes_lines(train), encoding="utf-8")
    dev_file.write_text(bmes_lines(dev), encoding="utf-8")
    tagger = RNNTagger()
    saved_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        tagger.fit(
            str(trn_file),
            str(dev_file),
            str(save_dir),
            epochs=epochs,
            embed=embed,
            rnn_hidden=hidden,
            lr=lr,
            crf=False,
            batch_size=batch_size,
            devices=[-1],
            verbose=False,
            seed=seed,
        )
    finally:
        torch.set_num_threads(saved_threads)
    return save_dir
