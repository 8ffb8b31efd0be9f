"""A mask-aware number grammar on characters and offsets.

Quantities are found in the text as it stands: redaction masks (``X``, ``XXXX``, ``*``, ``*.**``, ``○○``)
first, then Arabic numbers (``2,377.2``) and Chinese numerals (``十二``, ``三十余``, ``一百二十``), each
followed by an optional magnitude (``万``, ``亿``) and a unit from ``units.tsv``; ranges (``3至5万元``,
``10—15个``) and ``百分之三十五`` are one quantity. Chinese numerals are converted to exact
:class:`~decimal.Decimal` only inside spans already matched; the text is never rewritten.

What is not a quantity (dates, ordinals, quoted concepts, formulas, redacted names) comes from
``number_rules.yaml``; frequencies (每季度一次) and durations (近*年) are flagged, not dropped.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, getcontext, localcontext
from typing import Any

import regex

from auditnlp._data import Pattern, compile_pattern, items, need
from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons
from auditnlp.numerals import CN_DIGITS, parse_chinese_numeral

__all__ = [
    "NumberGrammar",
    "Quantity",
    "find_numbers",
    "load_number_grammar",
    "parse_chinese_numeral",
    "parse_number",
]

_SEPARATORS = frozenset(" 至到—–－-~～〜")
_MINUS = "-－−"
_RATIO_KINDS = frozenset({"percent", "percent_point", "multiple"})
"""Unit kinds of a table column (增长（%）, 占比（%）) that hold in every row whatever the row's unit."""
"""Minus signs a table cell may start with (-3.2 under 增长（%））."""
_HAN = regex.compile(r"\p{Han}")
_LIST_MARKER = regex.compile(r"\d{1,2}\.(?=\d)")
_CLAUSE_END = "，。；：！？\n,;!?"
_SCALES_FROM = {"万": "万亿", "亿": "亿"}
"""Scale characters at least as large as a trailing magnitude (万 → 万 or 亿; 亿 → 亿)."""

# One number token. Masks are tried before numerals, so `*.**` and `XX` never reach a converter.
_TOKEN = r"""
      (?P<percent> 百分之 (?P<pnum> \d+(?:\.\d+)?
                               | [一二两三四五六七八九十〇零百]+ (?: 点[〇零一二三四五六七八九]{1,6} )? ) )
    | (?P<mask>                                   # redaction placeholders
          (?<![A-Za-zＡ-Ｚａ-ｚ])
          (?: X{1,16} (?: \.X{1,4} )? | x{1,16} (?: \.x{1,4} )? | Ｘ{1,16} | ｘ{1,16} )   # XX, X.XX, ＸＸ
          (?![A-Za-zＡ-Ｚａ-ｚ])
        | [*＊]{1,8} (?: \.[*＊]{1,4} )?            # *, **, ***, *.**
        | ○{1,8}
      )
    | (?P<arabic>                                 # 27, 2,377.2, 0.5 (not inside PM2.5, 5G's neighbours)
          (?<![\dA-Za-z._])
          (?: \d{1,3} (?: ,\d{3} )+ | \d+ ) (?: \.\d+ )?
      )
    | (?P<chinese>                                # 十二, 两, 一百二十, 三万五千 (validated later)
          (?<![一二两三四五六七八九十〇零百千万亿])
          (?: [一二两三四五六七八九十] [一二两三四五六七八九十〇零百千万亿]*
            | [百千] (?=[万亿]) )                    # 百亿元, 千万元: one hundred, one thousand
      )
"""
_RANGE_SEP = r"""
    \s? (?: 至 | 到 | — | – | － | - | ~ | ～ | 〜 ) \s?   # 3至5万元, 10—15个, 10-15个
"""


MAX_DIGITS = 30
"""Digits a number may have and still be a quantity. A longer run of digits is an account number, an ID or
garbage, never a result (the largest real amounts, in 元, have 15 digits); it is left out rather than
carried as a 2,000-digit value into tables, JSON and spreadsheets."""


def parse_number(surface: str) -> Decimal | None:
    """Return the exact value of an Arabic number or Chinese numeral; ``None`` for masks, malformed
    numbers and numbers of more than :data:`MAX_DIGITS` digits."""
    text = surface.replace(",", "")
    if not text:
        return None
    if text[0].isdigit():
        if len(text) > MAX_DIGITS and sum(c.isdigit() for c in text) > MAX_DIGITS:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            return None
    whole, point, fraction = text.partition("点")  # 九十二点五 (百分之九十二点五)
    value = parse_chinese_numeral(whole)
    if value is None or abs(value) >= 10**MAX_DIGITS:
        return None
    if point:
        if not fraction or any(c not in CN_DIGITS for c in fraction):
            return None
        return Decimal(f"{value}.{''.join(str(CN_DIGITS[c]) for c in fraction)}")
    return Decimal(value)


def exact_product(value: Decimal, factor: Decimal) -> Decimal:
    """``value × factor`` without rounding, then cleaned (1.20 → 1.2, 1.2E+8 → 120000000).

    Decimal's default context keeps 28 digits: 10^25 万元 would round, and quantizing it would raise; the
    product is computed with the digits it needs (in the current context when that already holds them,
    which is the common case and spares making a context).
    """
    if factor == _ONE and value.as_tuple().exponent == 0 and value.adjusted() < 20:
        return value  # an integer counted in its base unit (12个, 3,600人): already clean
    digits = len(value.as_tuple().digits) + len(factor.as_tuple().digits) + 2
    prec = digits + max(0, value.adjusted()) + max(0, factor.adjusted())
    if prec <= getcontext().prec:
        return _clean(value * factor)
    with localcontext() as context:
        context.prec = prec
        return _clean(value * factor)


def _clean(value: Decimal) -> Decimal:
    """Drop exponent notation and trailing zeros after the point (1.20 → 1.2, 1.2E+8 → 120000000)."""
    context = getcontext()
    prec = len(value.as_tuple().digits) + max(0, value.adjusted()) + 2
    if prec > context.prec:
        with localcontext() as context:
            context.prec = prec
            return _clean(value)
    if value == value.to_integral_value():
        return value.quantize(_ONE)
    return value.normalize()


_ONE = Decimal(1)


UNIT_KINDS = frozenset({"count", "money", "percent", "percent_point", "multiple", "physical", "time", "age"})
"""The kinds of unit ``units.tsv`` may name (extractors and the comparison treat each differently)."""


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """One row of ``units.tsv``."""

    unit: str
    kind: str
    base_unit: str
    factor: Decimal


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit, found on characters (offsets into the text searched)."""

    start: int
    end: int
    text: str
    number: str
    value: Decimal | None
    value_max: Decimal | None
    masked: bool
    mask: str | None
    approx: str | None
    unit: str
    unit_kind: str
    base_value: Decimal | None
    base_unit: str
    flag: str | None
    lead: int
    """Start of the approximation word before the number (``约``), or ``start``."""
    tail: int
    """End of the approximation word after the unit (``以上``), or ``end``."""


@dataclass(frozen=True, slots=True)
class NumberGrammar:
    """Compiled number grammar: tokens, units, approximation words and negative rules (frozen)."""

    token: Pattern
    range_sep: Pattern
    units: Mapping[str, UnitInfo]
    unit_re: Pattern
    magnitudes: Mapping[str, Decimal]
    magnitude_re: Pattern
    per_re: Pattern
    inner_re: Pattern
    suffix_re: Pattern
    """What may follow a number token, in one match: groups ``inner``, ``unit``, ``per``, or ``inner``,
    ``magnitude``, ``inner2``, ``unit2``, ``per2``; every part optional."""
    pre_re: Pattern
    post_re: Pattern
    blocked: tuple[tuple[str, Pattern], ...]
    """Every blocked rule (kind, pattern), in file order."""
    blocked_scan: tuple[Pattern, ...]
    """The blocked patterns searched over the whole text (those without ``next``)."""
    blocked_at_numbers: tuple[Pattern, ...]
    """The blocked patterns led by a number token that say what follows it (``next``): tried only where
    :attr:`blocked_gate` matches."""
    blocked_gate: Pattern | None
    """A number token followed by the ``next`` of any of :attr:`blocked_at_numbers` (group ``_next{j}``
    set when pattern j's holds): a pattern can match only where this does, so one pass finds every place
    to try them."""
    breakers: Mapping[str, frozenset[str]]
    single_numerals: frozenset[str]
    single_keep_kinds: frozenset[str]
    single_keep_approx: bool
    single_keep_at_clause_end: frozenset[str]
    """Measure words after which a one-character numeral at the end of a clause counts (移送问题线索五条。),
    where one before a noun names structure (五个新城, 做好八方面工作)."""
    """A one-character numeral after an approximation word (超过十条, 近十个, 不少于三次) is a quantity."""
    frequency_units: frozenset[str]
    frequency_re: Pattern
    duration_before: Pattern
    duration_after: Pattern
    followers: frozenset[str]
    """Characters that may follow a number token inside a quantity (first characters of units, magnitudes,
    approximation words and range separators): a quick test before the full parse."""

    def blocked_spans(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """Return the merged spans of `text` where no quantity may stand (dates, quotes, ordinals …)."""
        end = len(text) if end is None else end
        gate = self.blocked_gate
        if gate is not None and _RUN_OF_POINTS.search(text, start, end) is not None:
            gate = None  # 1....2年度: a token may start inside another's run, where the gate does not look
        scan = self.blocked_scan if gate is not None else tuple(p for _, p in self.blocked)
        spans = [m.span() for p in scan for m in p.finditer(text, start, end)]
        if gate is not None:
            # each gated pattern's own finditer: leftmost matches, not overlapping, among the places where
            # the gate found its `next` after a number token (every place where it can match)
            after = [start] * len(self.blocked_at_numbers)
            marks = [(j, p, f"_next{j}") for j, p in enumerate(self.blocked_at_numbers)]
            for g in gate.finditer(text, start, end):
                pos = g.start()
                for j, p, mark in marks:
                    if pos >= after[j] and g.start(mark) >= 0:
                        m = p.match(text, pos, end)
                        if m is not None:
                            spans.append(m.span())
                            after[j] = m.end()
        spans.sort()
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if merged and s < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return merged


_RUN_OF_POINTS = regex.compile("[,.]{4}")
"""Points enough in a row that a number token of ``number_rules.yaml`` may start inside another's run."""
_NUM_LED = regex.compile(r"(?:\(\?<![^()]*\))?\{num\}")
"""A blocked rule led by a number token: an optional lookbehind without groups, then ``{num}``."""


def _alternation(words: list[str]) -> str:
    return "|".join(regex.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def build_number_grammar(lex: Lexicons) -> NumberGrammar:
    """Compile the number grammar from the unit, magnitude and approximation lexicons of `lex`."""
    units: dict[str, UnitInfo] = {}
    for lineno, row in lex.tsv("units.tsv", required=("unit", "kind", "base_unit", "factor")):
        try:
            factor = Decimal(row["factor"])
        except InvalidOperation:
            raise LexiconError(lex.where("units.tsv"), f"line {lineno}: bad factor") from None
        if row["kind"] not in UNIT_KINDS:
            raise LexiconError(
                lex.where("units.tsv"),
                f"line {lineno}: kind {row['kind']!r} is not one of {', '.join(sorted(UNIT_KINDS))}",
            )
        units[row["unit"]] = UnitInfo(row["unit"], row["kind"], row["base_unit"], factor)
    magnitudes: dict[str, Decimal] = {}
    for lineno, row in lex.tsv("magnitudes.tsv", required=("magnitude", "factor")):
        try:
            magnitudes[row["magnitude"]] = Decimal(row["factor"])
        except InvalidOperation:
            raise LexiconError(lex.where("magnitudes.tsv"), f"line {lineno}: bad factor") from None
    per = [row["per"] for _, row in lex.tsv("per_units.tsv", required=("per",))]
    approx: dict[str, list[str]] = {"pre": [], "inner": [], "post": []}
    for lineno, row in lex.tsv("approx.tsv", required=("word", "position")):
        if row["position"] not in approx:
            raise LexiconError(lex.where("approx.tsv"), f"line {lineno}: bad position")
        approx[row["position"]].append(row["word"])
    rules = lex.yaml_mapping("number_rules.yaml")
    where = lex.where("number_rules.yaml")
    macros = {k: str(v) for k, v in (rules.get("macros") or {}).items()}

    def expand(pattern: str) -> str:
        for key, value in macros.items():
            pattern = pattern.replace("{" + key + "}", value)
        return pattern

    flags = regex.VERBOSE
    listed = list(enumerate(items(rules, "blocked", where, dict), 1))
    blocked = tuple(
        (
            need(r, "kind", where, str, context=f"blocked item {i}"),
            compile_pattern(
                expand(need(r, "pattern", where, str, context=f"blocked item {i}")), where, flags
            ),
        )
        for i, r in listed
    )
    # a rule led by `{num}` that says what follows the token (`next`) is tried only where one gate pass
    # finds a number token followed by some rule's `next`
    gated: list[int] = []
    nexts: list[str] = []
    for i, r in listed:
        if r.get("next") is None:
            continue
        after = need(r, "next", where, str, context=f"blocked item {i}")
        if "num" not in macros or _NUM_LED.match(str(r["pattern"])) is None:
            raise LexiconError(where, f"blocked item {i}: `next` needs a pattern led by {{num}}")
        gated.append(i - 1)
        nexts.append(expand(after))
    gate = None
    if gated:
        alternatives = "|".join(f"(?:{n})" for n in nexts)
        marks = "".join(f"(?:(?=(?P<_next{j}>{n}))|)" for j, n in enumerate(nexts))
        gate = compile_pattern(expand("{num}") + f"(?=(?:{alternatives})){marks}", where, flags)
    breakers = {str(k): frozenset(str(c) for c in v) for k, v in (rules.get("unit_breakers") or {}).items()}
    freq = rules.get("frequency") or {}
    single = rules.get("single_numerals") or {}
    dur = rules.get("duration") or {}
    return NumberGrammar(
        token=regex.compile(_TOKEN, flags),
        range_sep=regex.compile(_RANGE_SEP, flags),
        units=units,
        unit_re=regex.compile(f"(?:{_alternation(list(units))})"),
        magnitudes=magnitudes,
        magnitude_re=regex.compile(f"(?:{_alternation(list(magnitudes))})"),
        per_re=regex.compile(f"/(?:{_alternation(per)})"),
        inner_re=regex.compile(f"(?:{_alternation(approx['inner'])})"),
        suffix_re=regex.compile(
            f"(?P<inner>{_alternation(approx['inner'])})?"
            f"(?:(?P<unit>{_alternation(list(units))})(?P<per>/(?:{_alternation(per)}))?"
            f"|(?P<magnitude>{_alternation(list(magnitudes))})(?P<inner2>{_alternation(approx['inner'])})?"
            f"(?:(?P<unit2>{_alternation(list(units))})(?P<per2>/(?:{_alternation(per)}))?)?)?"
        ),
        pre_re=regex.compile(f"(?:{_alternation(approx['pre'])})$"),
        post_re=regex.compile(f"(?:{_alternation(approx['post'])})"),
        blocked=blocked,
        blocked_scan=tuple(p for i, (_, p) in enumerate(blocked) if i not in gated),
        blocked_at_numbers=tuple(blocked[i][1] for i in gated),
        blocked_gate=gate,
        breakers=breakers,
        single_numerals=frozenset(str(single.get("chars", ""))),
        single_keep_kinds=frozenset(str(k) for k in single.get("keep_kinds", ())),
        single_keep_approx=bool(single.get("keep_approx", False)),
        single_keep_at_clause_end=frozenset(str(u) for u in single.get("keep_at_clause_end", ())),
        frequency_units=frozenset(str(u) for u in freq.get("units", ())),
        frequency_re=compile_pattern(expand(str(freq.get("markers", "(?!)"))), where),
        duration_before=compile_pattern(expand(str(dur.get("before", "(?!)"))), where),
        duration_after=compile_pattern(expand(str(dur.get("after", "(?!)"))), where),
        followers=frozenset(w[0] for w in (*units, *magnitudes, *approx["inner"]) if w) | _SEPARATORS,
    )


def load_number_grammar(lexicon: LexiconsLike = None) -> NumberGrammar:
    """The compiled number grammar of `lexicon` (a bundle or a folder of user files; ``None``: packaged)."""
    return as_lexicons(lexicon).part("numbers", build_number_grammar)


@dataclass(slots=True)
class _Num:  # not frozen (private, made for every number token; a frozen dataclass is slow to make)
    start: int
    end: int
    surface: str
    value: Decimal | None
    mask: str | None
    kind: str


@dataclass(slots=True)
class _Suffix:  # not frozen, as _Num
    end: int
    magnitude: str
    unit: str
    info: UnitInfo | None
    inner: str | None
    per: str


def _number_at(g: NumberGrammar, text: str, pos: int, end: int, m: Any = None) -> _Num | None:
    """The number token at `pos` (`m`: its match, when the caller's search already made it)."""
    if m is None:
        m = g.token.match(text, pos, end)
    if m is None:
        return None
    kind = m.lastgroup or ""
    if kind == "mask":
        return _Num(m.start(), m.end(), m.group(), None, m.group(), kind)
    if kind == "percent":
        value = parse_number(m.group("pnum"))
        return _Num(m.start(), m.end(), m.group("pnum"), value, None, kind) if value is not None else None
    surface = m.group()
    n_end = m.end()
    if kind == "chinese" and surface in _BARE_SCALES:  # 突破百亿元: 一百 × 亿元
        return _Num(m.start(), n_end, surface, _BARE_SCALES[surface], None, kind)
    if kind == "chinese" and surface[-1] in "百千" and parse_number(surface) is None:
        # 两千五百万千瓦: the 千 opens the unit (千瓦, 千米, 千克), not the numeral
        surface, n_end = surface[:-1], n_end - 1
    if kind == "chinese":
        # a trailing 万/亿 is a magnitude of the unit (一百二十万元 → 一百二十 + 万元), as with Arabic
        # numbers, unless the numeral already holds a scale at least as large: in 八亿二千万 the 万
        # belongs to 二千
        for mag in ("万亿", "亿", "万"):
            head = surface[: -len(mag)]
            if (
                surface.endswith(mag)
                and head
                and not any(c in head for c in _SCALES_FROM[mag[-1]])
                and parse_number(head) is not None
            ):
                surface, n_end = head, n_end - len(mag)
                break
    value = parse_number(surface)
    if value is None:
        return None
    return _Num(m.start(), n_end, surface, value, None, kind)


def _suffix_at(g: NumberGrammar, text: str, pos: int, end: int) -> _Suffix:
    # one match of inner? (unit per? | magnitude inner? unit?)?: each part its own lexicon's alternation,
    # tried in the order a step-by-step reading would (so the same words are taken)
    m = g.suffix_re.match(text, pos, end)
    assert m is not None  # every part is optional
    inner, unit, per, magnitude, inner2, unit2, per2 = m.groups()
    inner = inner or inner2
    unit = unit or unit2 or ""
    magnitude = magnitude or ""
    per = per or per2 or ""
    pos = m.end()
    if (unit or magnitude) and pos < len(text):
        nxt = text[pos]
        if nxt in g.breakers.get("*", ()) or (unit and nxt in g.breakers.get(unit, ())):
            return _Suffix(pos, "", "", None, inner, "")
    return _Suffix(pos, magnitude, unit, g.units.get(unit), inner, per)


def _clause_start(text: str, pos: int, limit: int = 40) -> int:
    lo = max(0, pos - limit)
    for i in range(pos - 1, lo - 1, -1):
        if text[i] in _CLAUSE_END:
            return i + 1
    return lo


def _overlaps(spans: list[tuple[int, int]], starts: list[int], s: int, e: int) -> bool:
    i = bisect.bisect_left(starts, e) - 1
    return i >= 0 and spans[i][1] > s


def find_numbers(
    text: str, /, *, start: int = 0, end: int | None = None, grammar: NumberGrammar | None = None
) -> Iterator[Quantity]:
    """Yield the quantities (number + unit) in ``text[start:end]``, in order, with absolute offsets."""
    g = grammar or load_number_grammar()
    end = len(text) if end is None else end
    spans = g.blocked_spans(text, start, end)
    starts = [s for s, _ in spans]
    # a cell holding a bare number takes the unit its row label or column header names
    cells = TableCells(text) if " | " in text else None
    pos = start
    while True:
        m = g.token.search(text, pos, end)
        if m is None:
            return
        if m.group("arabic") and (m.start() == 0 or text[m.start() - 1] == "\n"):
            marker = _LIST_MARKER.match(text, m.start(), end)
            if marker is not None:  # 14.2025年…, 3.10种有色金属: a list number before the text
                pos = marker.end()
                continue
        if (
            m.lastgroup != "percent"
            and (m.end() >= end or text[m.end()] not in g.followers)
            and not (text[m.end() - 1] in "百千" and m.lastgroup == "chinese")  # 两千五百万千瓦
        ):
            q = _cell_quantity(g, cells, m, spans, starts) if cells is not None else None
        elif _overlaps(spans, starts, m.start(), m.start() + 1):
            q = None  # a number that starts inside a blocked span (2023年, 第3): no quantity starts there
        else:
            q = _quantity_at(g, text, m.start(), end, spans, starts, m)
            if q is None and cells is not None:
                q = _cell_quantity(g, cells, m, spans, starts)
        if q is None:
            pos = m.end()
            continue
        yield q
        pos = q.end


_CELL_UNIT = regex.compile(r"[（(](?:单位[:：]\s*)?(?P<unit>[^（）()]{1,8})[)）]\s*$")
"""A unit in brackets closing a table's row label or column header: 人均可支配收入（元）, 2024年（亿元）."""


def cell_unit(label: str) -> str | None:
    """The unit in brackets that closes a table row label or column header (``（元）``, ``(单位：万元)``)."""
    m = _CELL_UNIT.search(label)
    return m.group("unit").strip() if m is not None else None


def without_cell_unit(label: str) -> str:
    """`label` without the unit in brackets that closes it (人均可支配收入（元） → 人均可支配收入)."""
    m = _CELL_UNIT.search(label)
    return label[: m.start()].rstrip() if m is not None else label


class TableCells:
    """The table lines of a text, indexed once: :meth:`cell` finds a position's row label and column header,
    :meth:`bare_units` the units of a bare number standing alone in a cell, by bisection (a scan up to the
    header for every figure was quadratic in a table's rows).

    Tables are lines of cells joined by `` | `` (how the readers write .docx tables); the header is the
    first line of the block of such lines.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = []
        self.lines: list[tuple[int, int, int]] = []
        """(start, end, start of the block's first line) of every table line."""
        self._line = self._top = -1
        self._cells: list[str] = []
        self._ends: list[int] = []
        self._heads: list[str] = []
        top = -1
        at = 0
        for line in text.split("\n"):
            end = at + len(line)
            if " | " in line:
                if top < 0:
                    top = at
                self.starts.append(at)
                self.lines.append((at, end, top))
            else:
                top = -1
            at = end + 1

    def _locate(self, pos: int) -> tuple[list[str], int, list[str] | None] | None:
        """(cells of the line, column of `pos`, the block's header cells or ``None`` on the header line
        itself), or ``None`` outside a table. Lines are split once for all their figures."""
        i = bisect.bisect_right(self.starts, pos) - 1
        if i < 0 or pos > self.lines[i][1]:
            return None
        line_start, line_end, top = self.lines[i]
        if self._line != i:
            self._line = i
            self._cells = self.text[line_start:line_end].split(" | ")
            self._ends = list(itertools.accumulate(len(c) + 3 for c in self._cells))
        column = min(bisect.bisect_right(self._ends, pos - line_start), len(self._cells) - 1)
        if top == line_start:
            return self._cells, column, None
        if self._top != top:
            self._top = top
            head_end = self.text.find("\n", top)
            self._heads = self.text[top : head_end if head_end >= 0 else len(self.text)].split(" | ")
        return self._cells, column, self._heads

    def cell(self, pos: int) -> tuple[str, str | None] | None:
        """(row label, column header) of the table cell holding `pos`, or ``None`` outside a table. A number
        in the first cell (the label) is not a cell value."""
        found = self._locate(pos)
        if found is None or found[1] == 0:
            return None
        cells, column, heads = found
        header = heads[column].strip() if heads is not None and column < len(heads) else None
        return cells[0].strip(), header

    def bare_units(self, pos: int, end: int) -> tuple[str | None, str | None] | None:
        """The units (row label's, column header's; either ``None``) of the bare number at
        ``text[pos:end]`` when it is a whole cell (not the label, not on the header line) of a table, a
        minus sign before it allowed; ``None`` otherwise."""
        found = self._locate(pos)
        if found is None:
            return None
        cells, column, heads = found
        if column == 0 or heads is None or cells[column].strip().lstrip(_MINUS) != self.text[pos:end]:
            return None  # (a minus sign before it is the indicator's to read: -3.2 under 增长（%）)
        return cell_unit(cells[0]), cell_unit(heads[column]) if column < len(heads) else None


def _unit_suffix(g: NumberGrammar, unit: str) -> _Suffix | None:
    """The parse of a unit written alone (a table label's ``万元``), or ``None`` when it is not one."""
    suffix = _suffix_at(g, unit, 0, len(unit))
    return suffix if suffix.end == len(unit) and (suffix.unit or suffix.magnitude) else None


def _cell_quantity(
    g: NumberGrammar, cells: TableCells, m: Any, spans: list[tuple[int, int]], starts: list[int]
) -> Quantity | None:
    """A bare number that is a whole table cell (``… | 43120 | …``), with the unit its row label or else
    its column header names in brackets (``城镇居民人均可支配收入（元）``), except that a column of ratios
    (``增长（%）``, ``占比（%）``) gives its own unit to every row; ``None`` otherwise."""
    if m.lastgroup not in ("arabic", "mask"):
        return None
    units = cells.bare_units(m.start(), m.end())
    if units is None:
        return None
    row, head = (_unit_suffix(g, u) if u is not None else None for u in units)
    ratio = head is not None and head.info is not None and head.info.kind in _RATIO_KINDS
    suffix = head if ratio or row is None else row
    if suffix is None:
        return None
    if suffix.info is not None and suffix.info.kind == "time":  # 年度（年） | 2023: a year, not a duration
        return None
    if _overlaps(spans, starts, m.start(), m.end()):
        return None
    masked = m.lastgroup == "mask"
    value = None if masked else parse_number(m.group())
    if value is None and not masked:
        return None
    info = suffix.info or UnitInfo(suffix.magnitude, "count", "", Decimal(1))
    factor = g.magnitudes.get(suffix.magnitude, Decimal(1)) * info.factor
    return Quantity(
        m.start(),
        m.end(),
        m.group(),
        m.group(),
        value,
        None,
        masked,
        m.group() if masked else None,
        None,
        suffix.magnitude + suffix.unit + suffix.per,
        info.kind,
        None if value is None else exact_product(value, factor),
        info.base_unit + suffix.per,
        None,
        m.start(),
        m.end(),
    )


def _may_separate(c: str) -> bool:
    """Whether `c` may open a range separator (``_RANGE_SEP``: a space, then 至, 到, dashes or tildes)."""
    return c in _SEPARATORS or c.isspace()


def _quantity_at(
    g: NumberGrammar,
    text: str,
    pos: int,
    end: int,
    spans: list[tuple[int, int]],
    starts: list[int],
    token: Any = None,
) -> Quantity | None:
    first = _number_at(g, text, pos, end, token)
    if first is None:
        return None
    if first.start > 0 and text[first.start - 1] in "-—–－~～" and first.start > 1:
        before = text[first.start - 2]
        if before.isdigit() or before in "X*○x":
            return None  # the tail of a range or of a date written with dashes
    if first.kind == "percent":
        suffix = _Suffix(first.end, "", "百分之", g.units.get("%"), None, "")
    else:
        suffix = _suffix_at(g, text, first.end, end)
    second: _Num | None = None
    sep_text = ""
    q_end = suffix.end
    at = q_end if suffix.unit or suffix.magnitude else first.end
    # a range separator (or the space before one) must come next: most figures need no match to tell
    sep = g.range_sep.match(text, at, end) if at < end and _may_separate(text[at]) else None
    if sep and first.kind != "percent" and text[max(0, first.start - 1) : first.start] != "从":
        cand = _number_at(g, text, sep.end(), end)
        if cand is not None and cand.kind == first.kind:
            again = _suffix_at(g, text, cand.end, end)
            if suffix.unit or suffix.magnitude:
                if (again.unit, again.magnitude, again.per) == (suffix.unit, suffix.magnitude, suffix.per):
                    second, q_end = cand, again.end
            elif again.unit or again.magnitude:
                second, suffix, q_end = cand, again, again.end
            if second is not None:
                sep_text = sep.group().strip()
    if not (suffix.unit or suffix.magnitude):
        return None
    if _overlaps(spans, starts, first.start, q_end):
        return None
    info = suffix.info
    if info is None:  # a magnitude alone: 突破1万, 超1.2亿 (not 过五百亿的县市, 千亿级)
        if q_end < len(text) and _HAN.match(text, q_end) and not g.post_re.match(text, q_end, end):
            return None
        info = UnitInfo(suffix.magnitude, "count", "", Decimal(1))
    pre = g.pre_re.search(text, max(0, first.start - 4), first.start)
    lead = pre.start() if pre else first.start
    post = g.post_re.match(text, q_end, end)
    tail = post.end() if post else q_end
    approx = (pre.group() if pre else None) or suffix.inner or (post.group() if post else None)
    flag = _flag(g, text, info, lead, first.start, tail, end)
    if (
        first.kind == "chinese"
        and len(first.surface) == 1
        and first.surface in g.single_numerals
        and not (flag or suffix.inner or suffix.magnitude or second or info.kind in g.single_keep_kinds)
        and not (g.single_keep_approx and pre)
        and not (
            suffix.unit in g.single_keep_at_clause_end
            and not suffix.magnitude
            and (tail >= len(text) or text[tail] in _CLAUSE_END)
        )
    ):
        return None  # 一批, 五个新城, 重点做好八方面工作: structure, not a result (五万吨 is a result)
    factor = g.magnitudes.get(suffix.magnitude, Decimal(1)) * info.factor
    masked = first.mask is not None or (second is not None and second.mask is not None)
    mask = first.mask if first.mask is not None else (second.mask if second is not None else None)
    unit = "百分之" if first.kind == "percent" else suffix.magnitude + suffix.unit + suffix.per
    base_unit = info.base_unit + suffix.per
    value = (
        None
        if masked
        else (
            first.value
            if first.kind != "chinese"
            else _in_magnitude(first, g.magnitudes.get(suffix.magnitude))
        )
    )
    value_max = (
        None
        if second is None or masked
        else (
            second.value
            if second.kind != "chinese"
            else _in_magnitude(second, g.magnitudes.get(suffix.magnitude))
        )
    )
    # positional (the field order of Quantity): a call with 16 keywords costs twice as much
    return Quantity(
        first.start,
        q_end,
        text[first.start : q_end],
        first.surface + (sep_text + second.surface if second is not None else ""),
        value,
        value_max,
        masked,
        mask,
        approx,
        unit,
        info.kind,
        None if value is None else exact_product(value, factor),
        base_unit,
        flag,
        lead,
        tail,
    )


_SCALE_VALUES = {"万": Decimal(10) ** 4, "亿": Decimal(10) ** 8}
_BARE_SCALES = {"百": Decimal(100), "千": Decimal(1000)}
"""A scale written alone before a magnitude stands for one of it: 百亿元, 千万元."""


def _in_magnitude(num: _Num, magnitude: Decimal | None) -> Decimal | None:
    """The value of `num` counted in `magnitude`: a Chinese numeral holding a larger scale before a smaller
    magnitude (四亿零七百多万吨) is 四亿 + 七百万, i.e. 40700 in 万, not 四亿零七百 × 万."""
    if num.kind != "chinese" or num.value is None or magnitude is None:
        return num.value
    cut = max((i for i, c in enumerate(num.surface) if _SCALE_VALUES.get(c, 0) > magnitude), default=-1)
    if cut < 0:
        return num.value
    head = parse_number(num.surface[: cut + 1])
    tail = parse_number(num.surface[cut + 1 :].lstrip("零〇")) if num.surface[cut + 1 :].strip("零〇") else 0
    if head is None or tail is None:
        return num.value
    return head / magnitude + tail


def _flag(
    g: NumberGrammar, text: str, info: UnitInfo, lead: int, number_start: int, tail: int, end: int
) -> str | None:
    """``frequency`` for 每…一次, ``duration`` for 近*年 / 五年来; otherwise ``None``."""
    if info.unit in g.frequency_units:
        clause = text[_clause_start(text, lead, 30) : lead]
        if g.frequency_re.search(clause):
            return "frequency"
    if info.kind == "time":
        if g.duration_before.search(text, max(0, lead - 2), number_start):
            return "duration"
        if g.duration_after.match(text, tail, end):
            return "duration"
    return None
