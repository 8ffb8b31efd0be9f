"""Quote-aware sentence boundaries: never split inside “…”, 「…」 or 《…》."""

from __future__ import annotations

import re

_OPEN = {"“": "”", "「": "」", "『": "』", "《": "》", "‘": "’"}
_END = set("。！？!?…")
_TRAIL = set("”’」』）)》")
_END_OR_TRAIL = _END | _TRAIL
_SPECIAL = re.compile("[“”「」『』《》‘’。！？!?….]")


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return (start, end) of sentences in ``text[start:end]`` (one paragraph), end exclusive.

    A sentence ends at 。！？… (and at an ASCII ``.`` between Han characters, a common typo for 。)
    outside quotation marks, together with any closing quotes or brackets that follow. When a quote
    is never closed in the paragraph, the paragraph is split again ignoring quotes.
    """
    end = len(text) if end is None else end
    spans, balanced = _split(text, start, end, quotes=True)
    if not balanced:
        spans, _ = _split(text, start, end, quotes=False)
    return spans


def _past_end(text: str, i: int, end: int) -> int:
    """Where the sentence whose end mark stands at `i` ends: after the end marks and closing marks that
    follow it."""
    j = i + 1
    while j < end and text[j] in _END_OR_TRAIL:
        j += 1
    return j


def _split(
    text: str, start: int, end: int, *, quotes: bool, first_only: bool = False
) -> tuple[list[tuple[int, int]], bool]:
    """Split by visiting only quote and sentence-end characters (the rest cannot change the state)."""
    spans: list[tuple[int, int]] = []
    stack: list[str] = []
    sent_start = start
    skip_to = start
    for m in _SPECIAL.finditer(text, start, end):
        i = m.start()
        if i < skip_to:
            continue
        char = m.group()
        if not stack and char in _END:  # the common case: an end mark outside quotes
            j = _past_end(text, i, end)
            spans.append((sent_start, j))
            if first_only:
                return spans, True
            sent_start = skip_to = j
            continue
        closed_after_end = False
        if quotes:
            if char in _OPEN and not (char == "‘" and stack and stack[-1] == "’"):
                stack.append(_OPEN[char])
                continue
            if stack and char == stack[-1]:
                stack.pop()
                # “…学以致用！” : a quote that closes right after a sentence end ends the sentence
                closed_after_end = not stack and char != "》" and i > start and text[i - 1] in _END
        if stack:
            continue
        is_end = closed_after_end or char in _END
        if not is_end and char == ".":
            is_end = i > start and i + 1 < end and _is_han(text[i - 1]) and _is_han(text[i + 1])
        if is_end:
            j = _past_end(text, i, end)
            spans.append((sent_start, j))
            if first_only:
                return spans, True
            sent_start = skip_to = j
    if sent_start < end and text[sent_start:end].strip():
        spans.append((sent_start, end))
    return spans, not stack


def first_sentence_end(text: str, start: int, end: int) -> int:
    """Return the end of the first sentence of ``text[start:end]`` (``end`` when there is none)."""
    spans, balanced = _split(text, start, end, quotes=True, first_only=True)
    if (not spans or spans[0][1] == end) and not balanced:
        # the text was walked to its end with a quote left open: split again without quotes
        spans, _ = _split(text, start, end, quotes=False, first_only=True)
    return spans[0][1] if spans else end
