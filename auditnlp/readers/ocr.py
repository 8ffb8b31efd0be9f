"""OCR of scanned pages and images (the optional ``ocr`` extra: ``pip install 'auditnlp[ocr]'``).

Recognition uses RapidOCR (``rapidocr``, ONNX Runtime on the CPU) with the Chinese detection and recognition
models that ship inside its wheel: nothing is downloaded, ever. The model files are named
explicitly, so a RapidOCR release without them fails with a clear error instead of fetching them.

Recognised text is marked: ``RawDocument.ocr`` / ``Source.ocr`` is true, the report carries a warning, and
the comparison flags its numbers for an analyst to check.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import itertools
import statistics
from pathlib import Path
from typing import Any

import regex

from auditnlp.errors import ConverterMissingError, CorruptDocumentError, EmptyDocumentError
from auditnlp.readers.base import RawDocument

RESOLUTION = 200
"""Dots per inch at which a PDF page without a text layer is rendered for OCR."""
MIN_SCORE = 0.5
"""Recognised boxes with a lower confidence are left out."""
_FULL_WIDTH = {"(": "（", ")": "）", ",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_HALF_WIDTH_IN_CHINESE = regex.compile(r"(?<=[\p{Han}“”])[,;:?!)]|\((?=\p{Han})")


def full_width(text: str) -> str:
    """Recognised punctuation next to Chinese text in its full-width form, as Chinese reports print it.

    OCR reads ``（`` and ``(`` (or ``，`` and ``,``) alike; a bracket or comma touching a Chinese character
    is the full-width one. Punctuation between digits (``1,863``) and in Latin text is kept.
    """
    return _HALF_WIDTH_IN_CHINESE.sub(lambda m: _FULL_WIDTH[m.group()], text)


def available() -> bool:
    """Whether the ``ocr`` extra (rapidocr and onnxruntime) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("rapidocr", "onnxruntime"))


def missing(name: str, what: str = "an image") -> ConverterMissingError:
    """The error for a scan that cannot be read without the ``ocr`` extra."""
    return ConverterMissingError(
        name, f"reading {what} needs OCR: install the ocr extra (pip install 'auditnlp[ocr]')"
    )


@functools.lru_cache(maxsize=1)
def _engine() -> Any:
    """The RapidOCR engine with the models of its own wheel (loaded once per process)."""
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    chosen: dict[str, Path] = {}
    for task in ("det", "rec"):
        found = sorted(models.glob(f"*{task}*.onnx"))
        if not found:
            raise ConverterMissingError(
                None,
                f"the installed rapidocr holds no {task} model in {models}; auditnlp never downloads "
                "models: install the version the ocr extra names (pip install 'auditnlp[ocr]')",
            )
        chosen[task] = found[0]
    # no direction classifier: scanned report pages are upright, and on a noisy scan the classifier
    # turns whole lines upside down (measured: 3 of 71 lines lost on the test scan with it, none without)
    params = {
        "Global.log_level": "error",
        "Global.use_cls": False,
        "Det.model_path": str(chosen["det"]),
        "Rec.model_path": str(chosen["rec"]),
    }
    return rapidocr.RapidOCR(params=params)


def recognise(image: Any) -> list[Any]:
    """The text lines of a page image (a PIL image), top to bottom, in the image's pixels.

    Boxes on one printed line (their vertical middles within half a box height) are merged left to right.
    Returns :class:`~auditnlp.readers.pdf.Line` objects.
    """
    import numpy as np

    from auditnlp.readers.layout import Line

    array = np.asarray(image.convert("RGB"))[:, :, ::-1]  # RGB → BGR, as OpenCV expects
    result = _engine()(array)
    if result.boxes is None or result.txts is None:
        return []
    boxes = _deskewed(result.boxes, result.txts, result.scores)
    boxes.sort(key=lambda b: (b[2] + b[3]) / 2)
    rows: list[list[tuple[float, float, float, float, str]]] = []
    for box in boxes:
        middle = (box[2] + box[3]) / 2
        if rows:
            last = rows[-1]
            height = statistics.median(b[3] - b[2] for b in last)
            if abs(middle - statistics.median((b[2] + b[3]) / 2 for b in last)) < 0.5 * height:
                last.append(box)
                continue
        rows.append([box])
    if not rows:
        return []
    typical = statistics.median(max(b[3] - b[2] for b in row) for row in rows)
    lines = []
    for row in rows:
        row.sort(key=lambda b: b[0])
        height = max(b[3] - b[2] for b in row)
        text = row[0][4]
        for before, box in itertools.pairwise(row):
            text += (" " if box[0] - before[1] > 1.0 * height else "") + box[4]
        # a detected box is a little taller than the font; lines of body text share one size so that
        # glyph shapes (a line of digits, a line ending in 。) do not read as a change of font
        size = (height if height > 1.3 * typical else typical) / 1.15
        x0, x1 = row[0][0], max(b[1] for b in row)
        lead = _lead_width(text, size)
        lines.append(Line(x0, x1, min(b[2] for b in row), max(b[3] for b in row), size, text, lead))
    return lines


def _deskewed(boxes: Any, texts: Any, scores: Any) -> list[tuple[float, float, float, float, str]]:
    """Boxes as (x0, x1, top, bottom, text), turned back by the page's skew (the median slope of the
    wide boxes), so that a slightly rotated scan's lines line up again."""
    import math

    kept = [
        (box, full_width(text.strip()))
        for box, text, score in zip(boxes, texts, scores, strict=False)
        if score >= MIN_SCORE and text.strip()
    ]
    slopes = []
    for box, _text in kept:
        (x_a, y_a), (x_b, y_b) = box[0][:2], box[1][:2]
        width, height = x_b - x_a, abs(float(box[3][1]) - float(box[0][1]))
        if width > 3 * max(height, 1.0):
            slopes.append(math.atan2(float(y_b - y_a), float(width)))
    angle = statistics.median(slopes) if slopes else 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    out = []
    for box, text in kept:
        xs = [float(p[0]) * cos + float(p[1]) * sin for p in box]
        ys = [-float(p[0]) * sin + float(p[1]) * cos for p in box]
        out.append((min(xs), max(xs), min(ys), max(ys), text))
    return out


def _lead_width(text: str, size: float) -> float:
    """Width of a line's first unbreakable piece, from its characters (Latin ones half as wide)."""
    from auditnlp.readers.layout import LEAD

    found = LEAD.match(text)
    piece = found.group() if found else text[:1]
    return sum(0.55 * size if ch.isascii() else size for ch in piece)


def read_image(data: bytes, name: str, digest: str) -> RawDocument:
    """A scanned page saved as an image (.png, .jpg, .tif …), read by OCR and reflowed like a PDF page."""
    if not available():
        raise missing(name)
    from PIL import Image, UnidentifiedImageError

    from auditnlp.readers.layout import Page, reflow

    try:
        with Image.open(io.BytesIO(data)) as opened:
            frames = []
            for index in range(getattr(opened, "n_frames", 1)):  # a multi-page TIFF
                opened.seek(index)
                frames.append(opened.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CorruptDocumentError(name, f"cannot open the image: {exc}") from None
    pages = [Page(float(f.width), float(f.height), tuple(recognise(f)), ocr=True) for f in frames]
    text, removals, warnings = reflow(pages)
    if not text.strip():
        raise EmptyDocumentError(name, "OCR found no text in the image")
    warnings.append("the text was read by OCR from an image: check names and numbers against the scan")
    return RawDocument(
        name, text, "image", digest, None, removals=tuple(removals), warnings=tuple(warnings), ocr=True
    )
