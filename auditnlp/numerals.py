"""Exact Chinese-numeral conversion, shared by list markers (一是, ①), numbered concepts and quantities."""

from __future__ import annotations

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_SMALL = {"十": 10, "百": 100, "千": 1000}
CN_LARGE = {"万": 10**4, "亿": 10**8}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def ordinal_value(token: str) -> int | None:
    """Return the integer of a small ordinal (``三`` → 3, ``十二`` → 12, ``12`` → 12, ``③`` → 3)."""
    if not token:
        return None
    if token.isascii() and token.isdigit():
        return int(token)
    if len(token) == 1 and token in _CIRCLED:
        return _CIRCLED.index(token) + 1
    return parse_chinese_numeral(token)


MAX_NUMERAL_CHARS = 40
"""Characters of the longest Chinese numeral read (九千九百九十九万九千九百九十九亿… has 19 per 亿)."""


def parse_chinese_numeral(text: str) -> int | None:
    """Convert a Chinese numeral (``十二``, ``一百零五``, ``三万五千``, ``二〇二三``) to an int.

    Returns ``None`` for strings that are not a well-formed numeral (``十四五``, ``一一``) and for strings
    longer than :data:`MAX_NUMERAL_CHARS` (no real numeral is; a run of 亿 would grow a huge integer).
    """
    if not text or len(text) > MAX_NUMERAL_CHARS:
        return None
    if all(c in CN_DIGITS for c in text):
        if len(text) == 1:
            return CN_DIGITS[text]
        if len(text) == 4 or any(c in "零〇" for c in text[1:]):
            return int("".join(str(CN_DIGITS[c]) for c in text))
        return None
    total = section = number = 0
    pending_digit = False
    last_small = 10**5
    last_large = 10**9
    for char in text:
        if char in CN_DIGITS:
            if pending_digit:
                return None
            if char in "零〇":
                continue
            number = CN_DIGITS[char]
            pending_digit = True
        elif char in CN_SMALL:
            unit = CN_SMALL[char]
            if unit >= last_small:
                return None
            if not pending_digit:
                if char != "十" or section % 100:
                    return None  # 百/千 need a digit before them; 十 may lead (十二, 一百十)
                number = 1
            section += number * unit
            number, pending_digit, last_small = 0, False, unit
        elif char in CN_LARGE:
            unit = CN_LARGE[char]
            section += number
            if section == 0 and not (total and unit == 10**8):
                return None
            if unit == 10**8:
                total = (total + section) * unit
            else:
                if unit >= last_large:
                    return None
                total += section * unit
            last_large = unit if unit != 10**8 else 10**9
            section, number, pending_digit, last_small = 0, 0, False, 10**5
        else:
            return None
    return total + section + number
