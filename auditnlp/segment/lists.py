"""Enumerated list items inside paragraphs: 一是…二是…, 一方面…另一方面…, 首先…最后…, 第一…, 比如…再如…, 1. 2.

A marker opens an item only when it continues a run (index 1, then 2, 3 …) and stands where an item can
begin (paragraph or heading start, or after punctuation). An item ends at the next marker of its own run,
at the next marker of an enclosing run, or at the end of the paragraph. A run of 一是/二是 may continue
into following paragraphs of the same section (one item per paragraph).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditnlp.numerals import ordinal_value
from auditnlp.segment.rules import SeriesRule, StructureRules
from auditnlp.segment.sentences import first_sentence_end
from auditnlp.types import ListItem, Paragraph

_TITLE_MAX = 40


@dataclass(slots=True)
class _Marker:
    kind: str
    index: int
    start: int
    end: int
    last: bool = False


def _candidates(text: str, start: int, end: int, rule: SeriesRule) -> Iterator[_Marker]:
    """Yield every marker of one series in ``text[start:end]``."""
    if rule.pattern is not None:
        for m in rule.pattern.finditer(text, start, end):
            n = ordinal_value(m.group("n"))
            if n is None:
                continue
            yield _Marker(rule.kind, n, m.start(), m.end())
    else:
        for position, marker in enumerate(rule.markers):
            index = position + 1
            pos = text.find(marker, start, end)
            while pos != -1:
                stop = pos + len(marker)
                if rule.after is None or rule.after.match(text, stop, end) is not None:
                    yield _Marker(rule.kind, index, pos, stop, marker in rule.last)
                pos = text.find(marker, stop, end)


def _allowed(
    text: str, marker: _Marker, rule: SeriesRule, rules: StructureRules, body_start: int, para_start: int
) -> bool:
    """Whether a marker stands where an item can begin."""
    if marker.start in (para_start, body_start):
        return True
    prev = text[marker.start - 1]
    if marker.index == 1 and rule.first_only_after is not None:
        return bool(rule.first_only_after.fullmatch(prev))
    return bool(rules.list_before.fullmatch(prev))


def _runs(
    text: str, para: Paragraph, body_start: int, rules: StructureRules, carry: dict[str, int]
) -> list[_Marker]:
    """Accepted markers of every series in a paragraph, each run in sequence.

    `carry` maps a series kind to the index its open run expects next (runs continue across the
    paragraphs of one section); it is updated in place.
    """
    accepted: list[_Marker] = []
    for rule in rules.series:
        expected = carry.get(rule.kind)
        first_here = True
        candidates = sorted(_candidates(text, body_start, para.end, rule), key=lambda m: m.start)
        for m in candidates:
            if not _allowed(text, m, rule, rules, body_start, para.start):
                continue
            repeating = rule.repeat_from is not None and m.index >= rule.repeat_from
            if (m.last or repeating) and expected is not None:
                m.index = expected  # 最后 / 再如 / 又如 take the next index of the open run
            elif m.last or repeating or (m.index != 1 and m.index != expected):
                continue
            if m.index != 1 and first_here and m.start != body_start:
                continue  # a run carried over from an earlier paragraph resumes only at a paragraph start
            first_here = False
            accepted.append(m)
            expected = m.index + 1
        if expected is not None:
            carry[rule.kind] = expected
    accepted.sort(key=lambda m: m.start)
    return accepted


def find_items(
    text: str,
    paragraphs: tuple[Paragraph, ...],
    body_starts: dict[int, int],
    rules: StructureRules,
) -> tuple[ListItem, ...]:
    """Find list items in all paragraphs; `body_starts` maps paragraph id → start after its heading."""
    items: list[ListItem] = []
    carry: dict[str, int] = {}
    current_section = None
    allowed = rules.any_allowed_marker
    for para in paragraphs:
        if para.section != current_section:
            carry = {}
            current_section = para.section
        body_start = body_starts.get(para.id, para.start)
        # a marker stands at the body start or after a character an item may follow: a paragraph without
        # one has no item, and leaves the open runs as they are
        if allowed is None:
            if rules.any_marker.search(text, body_start, para.end) is None:
                continue
        elif (
            rules.any_marker.match(text, body_start, para.end) is None
            and allowed.search(text, body_start, para.end) is None
        ):
            continue
        markers = _runs(text, para, body_start, rules, carry)
        items.extend(_items_of(text, para, markers, len(items)))
    return tuple(items)


def _items_of(text: str, para: Paragraph, markers: list[_Marker], first_id: int) -> list[ListItem]:
    # order of runs: a kind that appears first encloses later kinds that start inside its items
    kind_rank: dict[str, int] = {}
    for m in markers:
        kind_rank.setdefault(m.kind, len(kind_rank))
    out: list[ListItem] = []
    # an item ends where the next marker of its kind or of an enclosing kind starts (the next marker of
    # rank at most its own): one backward pass with a stack instead of a scan of the later markers
    ends = [para.end] * len(markers)
    waiting: list[int] = []  # later markers, nearest on top, ranks increasing downwards
    for i in range(len(markers) - 1, -1, -1):
        rank = kind_rank[markers[i].kind]
        while waiting and kind_rank[markers[waiting[-1]].kind] > rank:
            waiting.pop()
        if waiting:
            ends[i] = markers[waiting[-1]].start
        waiting.append(i)
    spans: list[tuple[int, int, str]] = []
    for m, end in zip(markers, ends, strict=True):
        while end > m.start and text[end - 1] in " \n":
            end -= 1
        spans.append((m.start, end, m.kind))
    # the parent is the nearest earlier item of another kind that holds the item: only items still open
    # (ending after this one starts) can, and they nest, so a stack of them is enough
    holding: list[int] = []
    for i, (m, (start, end, kind)) in enumerate(zip(markers, spans, strict=True)):
        while holding and spans[holding[-1]][1] <= start:
            holding.pop()
        parent = None
        for j in reversed(holding):
            p_start, p_end, p_kind = spans[j]
            if p_kind != kind and p_start <= start and end <= p_end:
                parent = first_id + j
                break
        holding.append(i)
        body = m.end
        while body < end and text[body] in "，,、：: ":
            body += 1
        stop = first_sentence_end(text, body, end)
        title_end = stop
        while title_end > body and text[title_end - 1] in "。！？!?；;，,：: ":
            title_end -= 1
        title = text[body:title_end] if 0 < title_end - body <= _TITLE_MAX else None
        out.append(
            ListItem(
                id=first_id + i,
                kind=kind,
                marker=text[m.start : m.end],
                index=m.index,
                start=start,
                end=end,
                text=text[start:end],
                paragraph=para.id,
                section=para.section,
                parent=parent,
                title=title,
            )
        )
    return out
