"""Normalisation that keeps offsets usable.

Two kinds of change, kept apart:

* **Character unification**, strictly one character to one character: full-width digits, letters and
  symbols become ASCII (``１２``→``12``, ``ＸＸ``→``XX``, ``％``→``%``, ``＋``→``+``); half-width Chinese
  punctuation next to Chinese text becomes full-width (``,``→``，`` after a Han character, but ``2,377``
  stays); spaces of every width become ASCII spaces. Redaction placeholders are left as written.
* **Removals**, which change length: surrounding whitespace and blank lines, inline web markers
  (``XXXX##paidbegin##项`` → ``XXXX项``) and page chrome (``下载 打印 全屏``, ``来源：``, ``— 3 —``,
  ``相关报道：``). Debris removals are recorded as :class:`~auditnlp.types.Removal`; every removal is
  reflected in the offset map, so any offset in the normalised text maps back to the source text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import regex

from auditnlp._data import Pattern, compile_pattern, get, items, line_of, need, union_pattern
from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons
from auditnlp.types import Removal, map_offset

_KEEP_FULLWIDTH = set("（），：；！？")
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t"


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):
        char = chr(code)
        if char not in _KEEP_FULLWIDTH:
            table[code] = chr(code - 0xFEE0)
    for char in _SPACES:
        table[ord(char)] = " "
    table[ord("\u200b")] = " "  # zero-width space: keep length, make it visible as a space
    table[ord("\ufeff")] = " "
    return table


_TABLE = _build_table()
_TABLE_STR = {chr(k): v for k, v in _TABLE.items()}
# ASCII punctuation that becomes full-width when it stands in Chinese text
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
_HAN = regex.compile(r"\p{Han}")
_LINE = re.compile("[^\n\r\u2028\u2029\x0b\x0c\x85]+")
"""A line: what lies between line breaks of any kind."""
_CONTEXT_PUNCT = regex.compile(
    r"(?<=[\p{Han}“”）])[,;:!?]|[,;:!?](?=[\p{Han}“”（])|\((?=[\p{Han}\dA-Za-z*X○]{1,3}\))|(?<=\((?:[\p{Han}\dA-Za-z*X○]{1,3}))\)"
)
_TOUCHED = re.compile(
    "["
    + "".join(re.escape(c) for c in sorted(_TABLE_STR))
    + re.escape("".join(_HALF_TO_FULL))
    + "\ud800-\udfff]"
)
"""What unification may change: a character of the table, a half-width mark (checked in context by
``_CONTEXT_PUNCT``) or a lone surrogate; one scan by `re` finds them all (`regex` is ten times slower on
a large character class, str.translate with a dict slower still)."""


def unify_chars(text: str) -> str:
    """Unify full-width and half-width forms, one character for one character (length-preserving).

    A lone surrogate (a broken UTF-16 pair from a JSON escape or an in-memory string) becomes U+FFFD: it
    cannot be written as UTF-8, so no output could hold it.
    """
    parts: list[str] = []
    halves: list[int] = []
    pos = 0
    for m in _TOUCHED.finditer(text):
        char = m.group()
        new = _TABLE_STR.get(char)
        if new is None:
            if char in _HALF_TO_FULL:
                halves.append(m.start())
                continue
            new = "\ufffd"  # a lone surrogate
        i = m.start()
        parts.append(text[pos:i])
        parts.append(new)
        pos = i + 1
    if parts:
        parts.append(text[pos:])
        text = "".join(parts)
    # each alternative of _CONTEXT_PUNCT is one half-width mark: check it only where one stands, in the
    # unified text (its lookarounds see the characters around, as in a scan of the whole text)
    parts = []
    pos = 0
    for i in halves:
        if _CONTEXT_PUNCT.match(text, i) is not None:
            parts.append(text[pos:i])
            parts.append(_HALF_TO_FULL[text[i]])
            pos = i + 1
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class _LineRule:
    kind: str
    where: str
    pattern: Pattern


@dataclass(frozen=True, slots=True)
class DebrisRules:
    """Compiled debris rules (from ``debris.yaml``)."""

    inline: tuple[tuple[str, Any], ...]
    lines: tuple[_LineRule, ...]
    by_place: tuple[tuple[_LineRule, ...], ...] = ()
    """The line rules that apply, in order, indexed by ``2 * in_head + in_tail`` (filled when empty)."""
    any_line: tuple[Pattern | None, ...] = ()
    """Per place of :attr:`by_place`, one alternation of its rules that fullmatches a line exactly when one
    of them does (a quick test before trying them in turn); ``None`` where they cannot be joined."""

    def __post_init__(self) -> None:
        if not self.by_place:
            by_place = tuple(
                tuple(
                    r for r in self.lines if (r.where != "head" or in_head) and (r.where != "tail" or in_tail)
                )
                for in_head in (False, True)
                for in_tail in (False, True)
            )
            object.__setattr__(self, "by_place", by_place)


def build_debris_rules(lex: Lexicons) -> DebrisRules:
    """Compile ``debris.yaml`` of `lex`."""
    data = lex.yaml_mapping("debris.yaml")
    where = lex.where("debris.yaml")

    def rules(key: str) -> list[tuple[str, str, Any]]:
        entries = items(data, key, where, dict)
        out = []
        for i, r in enumerate(entries):
            context = f"{key} item {i + 1}"
            place = get(r, "where", "any", where, str)
            if place not in _PLACES:
                raise LexiconError(
                    where,
                    f"line {line_of(r, 'where')}: {context}: where {place!r} is not one of "
                    + ", ".join(_PLACES),
                )
            pattern = need(r, "pattern", where, str, context=context)
            out.append((need(r, "kind", where, str, context=context), place, compile_pattern(pattern, where)))
        return out

    inline = tuple((kind, pattern) for kind, _, pattern in rules("inline"))
    lines = tuple(_LineRule(kind, place, pattern) for kind, place, pattern in rules("lines"))
    built = DebrisRules(inline, lines)
    any_line = tuple(
        union_pattern([r.pattern for r in place], where) if len(place) > 1 else None
        for place in built.by_place
    )
    return DebrisRules(inline, lines, built.by_place, any_line)


_PLACES = ("head", "any", "tail")


def debris_rules(lexicon: LexiconsLike = None) -> DebrisRules:
    """The compiled debris rules of `lexicon` (a bundle or a folder of user files; ``None``: packaged)."""
    return as_lexicons(lexicon).part("debris", build_debris_rules)


@dataclass(frozen=True, slots=True)
class Normalized:
    """The normalised text, its offset map back to the source and the recorded removals."""

    text: str
    offset_map: tuple[tuple[int, int], ...]
    removed: tuple[Removal, ...]

    def source_offset(self, offset: int) -> int:
        """Map an offset in :attr:`text` to the source text."""
        return map_offset(self.offset_map, offset)


def _is_substantial(line: str) -> bool:
    """A line that is clearly body text (ends the document head where chrome may sit)."""
    if line.endswith(("：", ":")):
        return len(line) >= 4
    return len(line) >= 30 or (line.endswith(("。", "！", "？")) and len(line) >= 10)


def normalize(
    source: str, *, lexicon: LexiconsLike = None, drop: Sequence[tuple[int, int, str]] = ()
) -> Normalized:
    """Normalise `source` (decoded text) into the analysed text with an offset map back to `source`.

    Lines are stripped and blank lines dropped; each kept line becomes one line of the result. `drop`
    holds spans (start, end, kind) that the reader marked as page chrome: a line inside one is removed
    and recorded with that kind.
    """
    rules = debris_rules(lexicon)
    unified = unify_chars(source)
    # the offset map: (offset in the result, source offset - result offset) where the difference changes
    parts: list[str] = []
    length = 0
    breaks: list[tuple[int, int]] = []
    delta = None
    removed: list[Removal] = []
    in_head = True
    tail_from = int(len(unified) * 0.85)
    first = True
    by_place = rules.by_place
    any_line = rules.any_line
    inline_rules = rules.inline
    for m in _LINE.finditer(unified):
        line_start = m.start()
        raw = m.group()
        stripped = raw.strip()
        if not stripped:
            continue
        s = line_start + (len(raw) - len(raw.lstrip())) if raw[0].isspace() else line_start
        e = s + len(stripped)
        if drop:
            marked = next((kind for a, b, kind in drop if a <= s and e <= b), None)
            if marked is not None:
                removed.append(Removal(s, e, source[s:e], marked, length))
                continue
        place = 2 * in_head + (s >= tail_from)
        quick = any_line[place] if any_line else None
        if quick is not None and quick.fullmatch(stripped) is None:
            rule = None
        else:
            rule = _match_line_rule(by_place[place], stripped)
        if rule is not None:
            if rule.where == "tail":
                removed.append(Removal(s, len(unified), source[s:], rule.kind, length))
                break
            removed.append(Removal(s, e, source[s:e], rule.kind, length))
            continue
        inline = _iter_inline(inline_rules, unified, s, e) if inline_rules else ()
        if inline and sum(b - a for a, b, _ in inline) == e - s:
            removed.extend(Removal(a, b, source[a:b], kind, length) for a, b, kind in inline)
            continue
        if in_head and _is_substantial(stripped):
            in_head = False
        if not first:
            # the newline stands for the line break just before this line in the source
            shift = max(s - 1, 0) - length
            if shift != delta:
                breaks.append((length, shift))
                delta = shift
            parts.append("\n")
            length += 1
        first = False
        pos = s
        for a, b, kind in inline:
            if a > pos:
                shift = pos - length
                if shift != delta:
                    breaks.append((length, shift))
                    delta = shift
                parts.append(unified[pos:a])
                length += a - pos
            removed.append(Removal(a, b, source[a:b], kind, length))
            pos = b
        if e > pos:
            shift = pos - length
            if shift != delta:
                breaks.append((length, shift))
                delta = shift
            parts.append(unified[pos:e] if pos != line_start or e != m.end() else raw)
            length += e - pos
    text = "".join(parts)
    return Normalized(text, tuple(breaks), tuple(removed))


def _match_line_rule(rules: tuple[_LineRule, ...], line: str) -> _LineRule | None:
    for rule in rules:
        if rule.pattern.fullmatch(line):
            return rule
    return None


def _iter_inline(
    inline: tuple[tuple[str, Any], ...], text: str, start: int, end: int
) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for kind, pattern in inline:
        for m in pattern.finditer(text, start, end):
            found.append((m.start(), m.end(), kind))
    if not found:
        return found
    found.sort()
    merged: list[tuple[int, int, str]] = []
    for item in found:
        if merged and item[0] < merged[-1][1]:
            continue
        merged.append(item)
    return merged
