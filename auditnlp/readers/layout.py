"""Printed lines → paragraphs: the layout rules shared by PDF text layers and OCR'd scans.

A PDF (or a scan) holds printed lines, not paragraphs. :func:`reflow` joins them: a line continues the
paragraph of the line above unless that line ends well before the right margin (more than the first piece
of this line would have needed), this one is indented (a first-line indent) or set apart (centred,
right-aligned, in another font size, after a wider gap), or starts with a heading or list marker. Lines of
a large font (a title that wraps) are joined with each other. Page headers and footers (the same line at
the top or bottom of most pages) and page numbers are kept on lines of their own and returned as spans to
remove.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

_MARKER = regex.compile(
    r"""^(?:
        第[一二三四五六七八九十百零〇\d]+[章节部分篇条]      # 第一部分
      | [一二三四五六七八九十百]+[、．.]                    # 一、
      | [（(][一二三四五六七八九十百\d]+[)）]               # （一） (1)
      | \d{1,2}[、．.](?!\d)                                # 1. 1、 (not 1.35)
      | [①-⑳]                                               # ①
      | (?:一|二|三|四|五|六|七|八|九|十)是                 # 一是
      | (?:首先|其次|再次|最后|第[一二三四五六七八九十])[，,、]  # 首先，
    )""",
    regex.VERBOSE,
)
"""A line that starts with one of these markers starts a paragraph."""
_PAGE_NUMBER = regex.compile(
    r"""^(?:
        [-—–－―\s]*\d{1,4}[-—–－―\s]*                          # 3  — 3 —  - 3 -
      | 第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?    # 第3页 共12页
      | \d{1,4}\s*/\s*\d{1,4}                                   # 3/12
      | (?:page|Page|PAGE)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?  # Page 3 of 12
    )$""",
    regex.VERBOSE,
)
_SENTENCE_END = ("。", "！", "？", "：", ":", "；", "”", "…")
_CJK = regex.compile(r"[\p{Han}\u3000-\u303f\uff00-\uffef]")
LATIN = regex.compile(r"[A-Za-z0-9%.,\-]")
LEAD = regex.compile(
    r"""^(?:
        \p{Han}?[“‘《（(〔【「]+[^\s，。；：！？、”’》）)〕】」]*[”’》）)〕】」]*   # 绕“XXXXXX”
      | [A-Za-z0-9%.,:/+\-]+                                                   # 100%  2023
      | .
    )[，。；：！？、”’》）)〕】」%]*""",
    regex.VERBOSE,
)
_CHROME_ZONE = 0.12
"""Share of the page height at its top and bottom where headers, footers and page numbers sit."""


@dataclass(frozen=True, slots=True)
class Line:
    """One printed line: its box on the page (points, top-down), font size and text."""

    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    text: str
    lead: float = 0.0
    """Width of the line's first unbreakable piece (a Latin word, a quoted term, a character and the
    punctuation that may not start a line): what would not fit at the end of the line above."""


@dataclass(frozen=True, slots=True)
class Page:
    """The lines of one page, top to bottom, and the page size."""

    width: float
    height: float
    lines: tuple[Line, ...]
    ocr: bool = False


def reflow(pages: Sequence[Page]) -> tuple[str, list[tuple[int, int, str]], list[str]]:
    """Join the printed lines of `pages` into paragraphs, one per line of the result.

    Returns the text, the spans of page chrome in it (start, end, kind: ``page_header``, ``page_footer``,
    ``page_number``), kept on lines of their own, and warnings about a text layer that reads badly.
    """
    chrome = _page_chrome(pages)
    body = [
        line
        for index, page in enumerate(pages)
        for j, line in enumerate(page.lines)
        if (index, j) not in chrome
    ]
    layout = _Layout.of(body, pages)
    paragraphs: list[str] = []
    current: list[Line] = []
    pending: list[tuple[str, str]] = []
    out: list[str] = []
    removals: list[tuple[int, int, str]] = []
    length = 0

    def emit(text: str, kind: str | None = None) -> None:
        nonlocal length
        if out:
            length += 1
        if kind is not None:
            removals.append((length, length + len(text), kind))
        out.append(text)
        length += len(text)

    def close() -> None:
        if current:
            paragraph = _join(current)
            paragraphs.append(paragraph)
            emit(paragraph)
            current.clear()
        for text, kind in pending:
            emit(text, kind)
        pending.clear()

    previous: Line | None = None
    previous_page = -1
    for index, page in enumerate(pages):
        for j, line in enumerate(page.lines):
            kind = chrome.get((index, j))
            if kind is not None:
                if current:
                    pending.append((line.text, kind))
                else:
                    emit(line.text, kind)
                continue
            same_page = previous_page == index
            if previous is not None and current and not layout.continues(previous, line, same_page=same_page):
                close()
            current.append(line)
            previous, previous_page = line, index
    close()
    return "\n".join(out), removals, _layer_warnings(body)


@dataclass(frozen=True, slots=True)
class _Layout:
    """The body's left and right margins, font size and line pitch (most common values)."""

    left: float
    right: float
    size: float
    pitch: float
    signalled: bool = False
    """Whether the document marks its paragraphs (first-line indents or spacing between paragraphs):
    then a line that ends short of the margin ends a paragraph only when it is very short."""

    @classmethod
    def of(cls, lines: Sequence[Line], pages: Sequence[Page]) -> _Layout:
        if not lines:
            return cls(0.0, 0.0, 10.0, 12.0)
        size = _mode(round(line.size * 2) / 2 for line in lines)
        body = [line for line in lines if abs(line.size - size) <= 0.15 * size] or list(lines)
        left = _mode(round(line.x0) for line in body)
        ends = sorted(line.x1 for line in body)
        right = ends[int(0.9 * (len(ends) - 1))]
        pitches = [
            b.top - a.top
            for page in pages
            for a, b in zip(page.lines, page.lines[1:], strict=False)
            if abs(a.size - size) <= 0.15 * size
            and abs(b.size - size) <= 0.15 * size
            and 0 < b.top - a.top < 3 * size
        ]
        pitch = statistics.median(pitches) if pitches else 1.4 * size
        indents = sum(1 for line in body if 1.5 * size <= line.x0 - left <= 2.6 * size)
        spaced = sum(1 for gap in pitches if gap > 1.45 * pitch)
        signalled = indents >= 3 or spaced >= 3
        return cls(float(left), float(right), float(size), float(pitch), signalled)

    def set_apart(self, line: Line) -> bool:
        """A line that stands alone: centred or right-aligned (starts far right of the margin)."""
        return line.x0 - self.left > 3.5 * max(line.size, self.size) * 0.9 and line.x1 - line.x0 < 0.8 * (
            self.right - self.left
        )

    def continues(self, above: Line, line: Line, *, same_page: bool) -> bool:
        """Whether `line` continues the paragraph whose last line is `above`."""
        em = self.size
        large = above.size > 1.15 * self.size and abs(line.size - above.size) <= 0.1 * above.size
        if large:  # a title or heading in a large font wraps onto the next line
            gap = line.top - above.top
            return not same_page or gap <= 1.8 * above.size
        if abs(line.size - above.size) > 0.15 * max(line.size, above.size):
            return False
        if self.set_apart(above) or self.set_apart(line):
            return False
        if line.x0 - self.left > 0.6 * em:  # first-line indent
            return False
        if _MARKER.match(line.text):
            return False
        if same_page and line.top - above.top > 1.45 * self.pitch:  # paragraph spacing
            return False
        short = self.right - above.x1
        if self.signalled:
            return short <= max(0.25 * (self.right - self.left), line.lead + 1.2 * em)
        ends = above.text.endswith(_SENTENCE_END)
        return short <= max(1.2 * em if ends else 2.5 * em, line.lead + (0.5 if ends else 1.2) * em)


def _join(lines: Iterable[Line]) -> str:
    """Join a paragraph's lines: no space between Chinese characters, one between Latin words."""
    text = ""
    for line in lines:
        piece = line.text.strip()
        if text and text[-1].isascii() and text[-1].isalpha() and piece[:1].isascii() and piece[:1].isalpha():
            text += " "
        text += piece
    return text


def _mode(values: Iterable[float]) -> float:
    counts = Counter(values)
    return counts.most_common(1)[0][0] if counts else 0.0


def _page_chrome(pages: Sequence[Page]) -> dict[tuple[int, int], str]:
    """Lines that are page chrome: page numbers, and headers/footers repeated on most pages."""
    found: dict[tuple[int, int], str] = {}
    shapes: Counter[str] = Counter()
    zones: list[list[tuple[int, str, str]]] = []
    for index, page in enumerate(pages):
        candidates: list[tuple[int, str, str]] = []
        for j, line in enumerate(page.lines):
            zone = (
                "page_header"
                if line.bottom <= page.height * _CHROME_ZONE
                else "page_footer"
                if line.top >= page.height * (1 - _CHROME_ZONE)
                else None
            )
            if zone is None:
                continue
            text = line.text.strip()
            if _PAGE_NUMBER.match(text):
                found[(index, j)] = "page_number"
                continue
            shape = regex.sub(r"\d+", "#", regex.sub(r"\s+", "", text))
            candidates.append((j, shape, zone))
        zones.append(candidates)
        shapes.update({shape for _j, shape, _zone in candidates})
    if len(pages) >= 2:
        needed = max(2, (len(pages) + 1) // 2)
        for index, candidates in enumerate(zones):
            for j, shape, zone in candidates:
                if shapes[shape] >= needed:
                    found[(index, j)] = zone
    return found


def _layer_warnings(lines: Sequence[Line]) -> list[str]:
    """Warnings for a text layer that reads badly: one character per line, no Chinese, (cid:…) glyphs."""
    warnings: list[str] = []
    if not lines:
        return warnings
    text = "".join(line.text for line in lines)
    single = sum(1 for line in lines if len(line.text.strip()) <= 1)
    if len(lines) >= 10 and single > 0.5 * len(lines):
        warnings.append(
            f"the PDF's text layer looks broken: {single} of {len(lines)} lines hold one character "
            "(vertical text or a bad export); check the text, or read the file by OCR"
        )
    if len(text) >= 200 and not _CJK.search(text):
        warnings.append(
            "the PDF's text layer holds no Chinese characters (fonts without a Unicode map?); "
            "check the text, or read the file by OCR"
        )
    if text.count("(cid:") >= 5:
        warnings.append("the PDF's text layer has unmapped glyphs (cid:…); some characters are missing")
    return warnings
