"""Small, exact Chinese-numeral conversion for ordinals and list markers (一, 十二, 二十三, ①)."""

from __future__ import annotations

_DIGITS = {
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
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def ordinal_value(token: str) -> int | None:
    """Return the integer of a small ordinal (``三`` → 3, ``十二`` → 12, ``12`` → 12, ``③`` → 3)."""
    if not token:
        return None
    if token.isascii() and token.isdigit():
        return int(token)
    if len(token) == 1 and token in _CIRCLED:
        return _CIRCLED.index(token) + 1
    total, current = 0, 0
    for char in token:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current
