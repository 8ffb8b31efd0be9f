"""Slogan structures, formulas, numbered concepts and quoted terms.

Every kind is a *frame* in ``lexicons/slogan_patterns.yaml`` (a `regex` VERBOSE pattern with ``kw``
groups for the keywords); this module only compiles the frames, runs them over the report text, adds
expansions (“五型”（政治型、学习型…）), drops negatives (《…》 titles, redacted “XXXXXX”, quotations in
speech) and resolves overlaps by priority. A new frame needs a YAML entry, no code.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import regex

from auditnlp._data import Pattern, compile_pattern
from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons
from auditnlp.numerals import parse_chinese_numeral
from auditnlp.segment.structure import StructureIndex
from auditnlp.types import Report, Slogan

PATTERNS_FILE = "slogan_patterns.yaml"
_FLAGS = regex.VERBOSE
_FRAGMENT_REF = regex.compile(r"(?<!\\[pPN])\{([a-z][a-z0-9_]*)\}")
_TITLE = regex.compile(r"《[^《》\n]{0,200}》")
_NUMERAL_HEAD = regex.compile(r"[一二两双三四五六七八九十]+")
_SPEECH_WINDOW = 8
_BEFORE_WINDOW = 80
_CLAUSE_END = "，。；：！？,;:!?\n“”（）《》"
_LAST_CLAUSE_END = regex.compile(f"[{''.join(map(regex.escape, _CLAUSE_END))}]", regex.REVERSE)
_CLAUSE_PUNCT = "，。；：！？,;:!?\n"
_MIN_BEFORE_ITEMS = 3
"""A list written before a numbered concept must have this many items (and as many as the numeral)."""


@dataclass(frozen=True, slots=True)
class Rejects:
    """Negative patterns tested as one: does any of them fully match one of some words?"""

    patterns: tuple[Pattern, ...] = ()
    combined: Pattern | None = None
    """One pattern fullmatching where any of `patterns` does (``None``: they cannot be joined)."""

    @classmethod
    def of(cls, patterns: tuple[Pattern, ...]) -> Rejects:
        """The test for `patterns` (joined into one pattern when that is safe)."""
        return cls(patterns, patterns[0] if len(patterns) == 1 else _any_of(patterns))

    def any(self, words: Sequence[str]) -> bool:
        """Whether one of `patterns` fully matches one of `words`."""
        combined = self.combined
        if combined is not None:
            return any(map(combined.fullmatch, words))
        return any(pattern.fullmatch(word) for word in words for pattern in self.patterns)


@dataclass(frozen=True, slots=True)
class Parallel:
    """How an unquoted list of parallel parts is checked (a frame's ``parallel`` entry)."""

    min_items: int = 3
    single: Pattern | None = None
    free_length: int = 0
    follow: Pattern | None = None
    reject: tuple[Pattern, ...] = ()
    rejects: Rejects = dataclasses.field(init=False, repr=False, compare=False)
    """`reject` as one test."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rejects", Rejects.of(self.reject))


@dataclass(frozen=True, slots=True)
class Frame:
    """One compiled slogan frame."""

    name: str
    kind: str
    priority: int
    pattern: Pattern
    expand: bool = False
    speech: bool = True
    reject: tuple[Pattern, ...] = ()
    parallel: Parallel | None = None
    lines_with: tuple[Pattern, ...] = ()
    """The frame runs only over the lines holding a match of each of these (its matches never cross a
    line break and need them); empty: over the whole text."""
    keyword_groups: tuple[str, ...] = ()
    """The names of the pattern's ``kw*`` groups (read once, not from ``groupindex`` per match)."""
    needs: tuple[str, ...] = ()
    """Words of which every match holds one (its matches never cross a line break): the frame runs only
    over the lines holding one of them; empty: no such words."""
    rejects: Rejects = dataclasses.field(init=False, repr=False, compare=False)
    """`reject` as one test."""
    has_expansion: bool = dataclasses.field(init=False, repr=False, compare=False)
    """Whether the pattern has an ``expansion`` group."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rejects", Rejects.of(self.reject))
        object.__setattr__(self, "has_expansion", "expansion" in self.pattern.groupindex)


@dataclass(frozen=True, slots=True)
class SloganPatterns:
    """Compiled slogan frames, expansion patterns and negatives (from ``slogan_patterns.yaml``)."""

    frames: tuple[Frame, ...]
    expand_after: tuple[Pattern, ...]
    expand_before: Pattern | None
    separators: Pattern
    speech_cue: Pattern | None
    reject: tuple[Pattern, ...]
    source: str
    rejects: Rejects = dataclasses.field(init=False, repr=False, compare=False)
    """`reject` as one test."""

    by_priority: tuple[tuple[Frame, ...], ...] = dataclasses.field(init=False, repr=False, compare=False)
    """The frames grouped by priority, highest first (each group in file order)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rejects", Rejects.of(self.reject))
        priorities = sorted({f.priority for f in self.frames}, reverse=True)
        groups = tuple(tuple(f for f in self.frames if f.priority == p) for p in priorities)
        object.__setattr__(self, "by_priority", groups)


class _Candidate(NamedTuple):
    start: int
    end: int
    kind: str
    keywords: tuple[str, ...]
    expansion: tuple[str, ...]
    frame: str
    priority: int


def _substitute(pattern: str, fragments: Mapping[str, str], where: str, context: str) -> str:
    """Insert ``{name}`` fragments into `pattern` (each as a non-capturing group)."""

    def repl(match: Any) -> str:
        name = match.group(1)
        if name not in fragments:
            raise LexiconError(where, f"{context}: unknown fragment {{{name}}}")
        return f"(?:{fragments[name]})"

    return _FRAGMENT_REF.sub(repl, pattern)


def _require(value: Any, kind: type | tuple[type, ...], where: str, context: str) -> Any:
    if not isinstance(value, kind):
        raise LexiconError(where, f"{context}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _compile_regex_list(items: Any, where: str, context: str) -> tuple[Any, ...]:
    items = _require(items or [], list, where, context)
    return tuple(compile_pattern(_require(p, str, where, context), where) for p in items)


def _parallel_spec(entry: Any, where: str, context: str) -> Parallel | None:
    """The compiled ``parallel`` entry of a frame (``None`` when the frame has none)."""
    if entry is None:
        return None
    entry = _require(entry, dict, where, context)
    unknown = set(entry) - {"min_items", "single", "free_length", "follow", "reject"}
    if unknown:
        raise LexiconError(where, f"{context}: unknown key(s) {', '.join(sorted(unknown))}")
    single = entry.get("single")
    follow = entry.get("follow")
    return Parallel(
        min_items=int(entry.get("min_items", 3)),
        single=compile_pattern(_require(single, str, where, context), where) if single else None,
        free_length=int(entry.get("free_length", 0)),
        follow=compile_pattern(_require(follow, str, where, context), where) if follow else None,
        reject=_compile_regex_list(entry.get("reject"), where, f"{context} reject"),
    )


def _needs(entry: Any, where: str, context: str) -> tuple[str, ...]:
    """A frame's ``needs`` words: non-empty strings without a line break."""
    words = tuple(_require(w, str, where, context) for w in _require(entry or [], list, where, context))
    if any(not w or "\n" in w for w in words):
        raise LexiconError(where, f"{context}: a word must be non-empty and hold no line break")
    return words


def _build(data: Any, where: str) -> SloganPatterns:
    data = _require(data, dict, where, "top level")
    fragments = {
        str(k): str(v) for k, v in _require(data.get("fragments") or {}, dict, where, "fragments").items()
    }
    known = [str(t) for t in _require(data.get("known_numbered") or [], list, where, "known_numbered")]
    fragments["known_numbered"] = (
        "|".join(regex.escape(t) for t in sorted(known, key=len, reverse=True)) or "(?!)"
    )
    frames: list[Frame] = []
    names: set[str] = set()
    for i, entry in enumerate(_require(data.get("frames"), list, where, "frames"), 1):
        context = f"frame #{i}"
        entry = _require(entry, dict, where, context)
        missing = [k for k in ("name", "kind", "pattern") if not entry.get(k)]
        if missing:
            raise LexiconError(where, f"{context}: missing {', '.join(missing)}")
        name = str(entry["name"])
        context = f"frame {name!r}"
        if name in names:
            raise LexiconError(where, f"{context}: duplicate name")
        names.add(name)
        pattern = compile_pattern(
            _substitute(str(entry["pattern"]), fragments, where, context), where, _FLAGS
        )
        frames.append(
            Frame(
                name=name,
                kind=str(entry["kind"]),
                priority=int(entry.get("priority", 0)),
                pattern=pattern,
                expand=bool(entry.get("expand", False)),
                speech=bool(entry.get("speech", True)),
                reject=_compile_regex_list(entry.get("reject"), where, f"{context} reject"),
                parallel=_parallel_spec(entry.get("parallel"), where, f"{context} parallel"),
                lines_with=tuple(
                    compile_pattern(_substitute(str(p), fragments, where, f"{context} lines_with"), where)
                    for p in _require(entry.get("lines_with") or [], list, where, f"{context} lines_with")
                ),
                keyword_groups=tuple(name for name in pattern.groupindex if name.startswith("kw")),
                needs=_needs(entry.get("needs"), where, f"{context} needs"),
            )
        )
    expansion = _require(data.get("expansion") or {}, dict, where, "expansion")
    after = tuple(
        compile_pattern(_substitute(str(p), fragments, where, "expansion.after"), where, _FLAGS)
        for p in _require(expansion.get("after") or [], list, where, "expansion.after")
    )
    before_src = expansion.get("before")
    before = (
        compile_pattern(_substitute(str(before_src), fragments, where, "expansion.before"), where, _FLAGS)
        if before_src
        else None
    )
    cue_src = data.get("speech_cue")
    cue = (
        compile_pattern(_substitute(str(cue_src), fragments, where, "speech_cue"), where, _FLAGS)
        if cue_src
        else None
    )
    return SloganPatterns(
        frames=tuple(frames),
        expand_after=after,
        expand_before=before,
        separators=compile_pattern(str(expansion.get("separators", "[、；;]")), where),
        speech_cue=cue,
        reject=_compile_regex_list(data.get("reject_keywords"), where, "reject_keywords"),
        source=where,
    )


def build_slogan_patterns(lex: Lexicons) -> SloganPatterns:
    """Compile ``slogan_patterns.yaml`` of `lex`."""
    return _build(lex.yaml(PATTERNS_FILE), lex.where(PATTERNS_FILE))


def load_slogan_patterns(lexicon: LexiconsLike = None) -> SloganPatterns:
    """The compiled ``slogan_patterns.yaml`` of `lexicon` (a bundle or a folder; ``None``: packaged)."""
    return as_lexicons(lexicon).part("slogans", build_slogan_patterns)


def _keywords(match: Any, names: Sequence[str]) -> tuple[str, ...]:
    """The captures of groups `names` (a frame's ``kw*`` groups) in `match`, stripped, in text order."""
    if len(names) == 1:  # one group's captures come in text order (a match runs left to right)
        return tuple(filter(None, map(str.strip, match.captures(names[0]))))
    found: list[tuple[int, str]] = []
    for name in names:
        for (start, _), text in zip(match.spans(name), match.captures(name), strict=True):
            stripped = text.strip()
            if stripped:
                found.append((start, stripped))
    found.sort()
    return tuple(text for _, text in found)


def _numeral_value(keyword: str) -> int | None:
    """The count a numbered concept starts with (``三个倒逼`` → 3, ``十大战略`` → 10, ``双循环`` → 2)."""
    head = _NUMERAL_HEAD.match(keyword)
    if head is None:
        return None
    token = head.group()
    return 2 if token == "双" else parse_chinese_numeral(token)


def _split(patterns: SloganPatterns, text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in patterns.separators.split(text) if part.strip())


def _expand(text: str, cand: _Candidate, patterns: SloganPatterns) -> _Candidate:
    """Extend `cand` with an expansion written right after it, or (count-checked) right before it."""
    for pattern in patterns.expand_after:
        match = pattern.match(text, cand.end)
        if match is not None and match.group("expansion"):
            items = _split(patterns, match.group("expansion"))
            if len(items) >= 2:
                return cand._replace(end=match.end(), expansion=items)
    if patterns.expand_before is None or not cand.keywords:
        return cand
    count = _numeral_value(cand.keywords[0])
    if count is None or count < _MIN_BEFORE_ITEMS:
        return cand
    lo = max(0, cand.start - _BEFORE_WINDOW)
    last = _LAST_CLAUSE_END.search(text, lo, cand.start)
    boundary = last.start() if last is not None else -1
    if boundary >= 0 and text[boundary] not in _CLAUSE_PUNCT:
        return cand  # the list would start inside a quotation or bracket: too uncertain
    lo = boundary + 1 if boundary >= 0 else lo
    match = patterns.expand_before.fullmatch(text, lo, cand.start)
    if match is None:
        return cand
    items = _split(patterns, match.group("expansion"))
    if len(items) != count or len(items[0]) > 2 * max(len(item) for item in items[1:]):
        return cand  # a first item much longer than the rest still holds its verb phrase: 梳理制定支持政策
    return cand._replace(start=match.start("expansion"), expansion=items)


def _parallel_parts(text: str, match: Any, spec: Parallel) -> tuple[int, int, tuple[str, ...]] | None:
    """Check an unquoted list of parallel parts; return its (start, end, parts) or ``None``.

    The middle parts fix the length; the first and last parts are cut to it (the regex cannot know where
    the first part begins: 推动学理论、强党性、促审计一体落实). Kept when the parts share their first or
    last character, or are single characters all matching ``single``, or are at least ``free_length``
    long and followed by ``follow``; a part matching a ``reject`` pattern drops the list.
    """
    spans = match.spans("kw")
    if len(spans) < max(spec.min_items, 3):
        return None
    middle = {end - start for start, end in spans[1:-1]}
    if len(middle) != 1:
        return None
    size = middle.pop()
    (first_start, first_end), (last_start, last_end) = spans[0], spans[-1]
    if first_end - first_start < size or last_end - last_start < size:
        return None
    bounds = [(first_end - size, first_end), *spans[1:-1], (last_start, last_start + size)]
    parts = tuple(text[a:b] for a, b in bounds)
    start, end = bounds[0][0], bounds[-1][1]
    if size == 1:
        ok = spec.single is not None and all(spec.single.fullmatch(p) for p in parts)
    else:
        ok = (
            len({p[0] for p in parts}) == 1
            or len({p[-1] for p in parts}) == 1
            or (
                spec.free_length > 0
                and size >= spec.free_length
                and (end == len(text) or (spec.follow is not None and spec.follow.match(text, end)))
            )
        )
    if not ok or spec.rejects.any(parts):  # the reject patterns are the dearer test
        return None
    return start, end, parts


_GROUPS_OR_FLAGS = regex.compile(r"\\[1-9g]|\(\?(?:P?[<=]|[a-zA-Z^-])")


def _any_of(patterns: tuple[Any, ...]) -> Any:
    """One pattern that fullmatches where any of `patterns` does (their alternation: ``fullmatch`` backtracks
    into every alternative), or ``None`` when they cannot be joined safely (different flags, inline flags,
    named or numbered groups and references)."""
    if len(patterns) < 2 or len({p.flags for p in patterns}) != 1:
        return None
    if any(_GROUPS_OR_FLAGS.search(p.pattern) for p in patterns):
        return None
    return regex.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)


_LOOKAHEAD = 32
"""How far past a line's end the text stays visible to a frame run over that line (its lookaheads)."""


def _lines(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every line of `text` (end: the offset of its line break, or the text's end)."""
    spans = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        spans.append((start, end))
        start = end + 1
    return spans


def _lines_holding(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """The (start, end) of every line of `text` holding one of `words` (none holds a line break), in order.

    One ``find`` per line holding a word and per word: a word is looked for again only after the line
    it was found in."""
    found: set[tuple[int, int]] = set()
    size = len(text)
    for word in words:
        at = text.find(word)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            if end < 0:
                end = size
            found.add((start, end))
            at = text.find(word, end + 1)
    return sorted(found)


def _chosen_lines(
    text: str, frame: Frame, lines: list[tuple[int, int]], cache: dict[str, list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    """The (start, end) of the lines `frame` runs over (see :func:`_frame_matches`), in order."""
    if frame.needs:
        if len(frame.needs) == 1:
            word = frame.needs[0]
            if word not in cache:
                cache[word] = _lines_holding(text, (word,))
            chosen = cache[word]
        else:
            found: set[tuple[int, int]] = set()
            for word in frame.needs:
                if word not in cache:
                    cache[word] = _lines_holding(text, (word,))
                found.update(cache[word])
            chosen = sorted(found)
        tests = frame.lines_with
    else:
        first, *others = frame.lines_with
        starts = [start for start, _ in lines]
        indices: list[int] = []
        for hit in first.finditer(text):
            lo = bisect.bisect_right(starts, hit.start()) - 1
            hi = bisect.bisect_right(starts, hit.end()) - 1
            indices.extend(range(max(lo, indices[-1] + 1 if indices else 0), hi + 1))
        chosen = [lines[i] for i in indices]
        tests = tuple(others)
    if not tests:
        return chosen
    return [(start, end) for start, end in chosen if all(p.search(text, start, end) for p in tests)]


def _frame_matches(
    text: str,
    frame: Frame,
    lines: list[tuple[int, int]],
    cache: dict[str, list[tuple[int, int]]] | None = None,
) -> Iterator[Any]:
    """The matches of `frame` in `text`, as ``finditer`` over the whole text finds them.

    A frame with ``needs`` or ``lines_with`` runs only over the lines holding one of its ``needs`` words
    and a match of each ``lines_with`` pattern: its matches lie within one line, so they start in such a
    line, and a scan from a line's start finds what the whole-text scan finds there (lookbehinds still see
    the text before it). With ``needs`` the lines are found by ``find`` (`cache` keeps them per word for
    the other frames) and every ``lines_with`` pattern is tested within each line; without, by one scan
    for the first ``lines_with`` pattern (every line a hit touches), then a test of the others.
    """
    if not frame.lines_with and not frame.needs:
        return frame.pattern.finditer(text)
    return _line_matches(text, frame, _chosen_lines(text, frame, lines, {} if cache is None else cache))


def _line_matches(text: str, frame: Frame, chosen: list[tuple[int, int]]) -> Iterator[Any]:
    """The matches of `frame` starting in the `chosen` lines (see :func:`_frame_matches`)."""
    size = len(text)
    finditer = frame.pattern.finditer
    for start, end in chosen:
        for match in finditer(text, start, min(size, end + 1 + _LOOKAHEAD)):
            if match.start() > end:
                break
            yield match


class _Kept(NamedTuple):
    """The candidates kept so far (disjoint, sorted) and their starts."""

    starts: list[int]
    cands: list[_Candidate]

    def add(self, candidates: Sequence[_Candidate]) -> None:
        """Keep those of `candidates` overlapping no kept one: higher priority first, then longer, then
        earlier (each overlap test one bisection)."""
        starts, kept = self.starts, self.cands
        for cand in sorted(candidates, key=lambda c: (-c.priority, -(c.end - c.start), c.start)):
            i = bisect.bisect_left(starts, cand.end)
            if i > 0 and kept[i - 1].end > cand.start:
                continue
            starts.insert(i, cand.start)
            kept.insert(i, cand)


class _Scan(NamedTuple):
    """What the runs of every frame over one text share."""

    text: str
    titles: list[tuple[int, int]]
    title_starts: list[int]
    lines: list[tuple[int, int]]
    needed: dict[str, list[tuple[int, int]]]


def _candidates(scan: _Scan, frame: Frame, patterns: SloganPatterns, kept: _Kept) -> list[_Candidate]:
    """The candidates of `frame`, without those overlapping a candidate `kept` from a higher priority.

    Such a match is dropped before its keywords, checks and expansion are computed: an expansion only
    widens a span (and the parts of a ``parallel`` list are tested once they are cut), so the selection
    would drop it anyway. (The loop runs once per match of every frame: its steps are written out.)
    """
    text, titles, title_starts = scan.text, scan.titles, scan.title_starts
    kept_starts, kept_cands = kept.starts, kept.cands
    bisect_left = bisect.bisect_left
    rejects = patterns.rejects
    groups = frame.keyword_groups
    single = groups[0] if len(groups) == 1 else None
    parallel = frame.parallel
    frame_rejects = frame.rejects if frame.reject else None
    speech = patterns.speech_cue if not frame.speech else None
    found: list[_Candidate] = []
    for match in _frame_matches(text, frame, scan.lines, scan.needed):
        start, end = match.span()
        if start == end:
            continue
        if parallel is not None:
            checked = _parallel_parts(text, match, parallel)
            if checked is None:
                continue
            start, end, keywords = checked
        # overlapping a kept candidate: only the one starting last before `end` can
        i = bisect_left(kept_starts, end)
        if i and kept_cands[i - 1].end > start:
            continue
        if parallel is None:
            if single is not None:  # one group's captures come in text order
                keywords = tuple(filter(None, map(str.strip, match.captures(single))))
            else:
                keywords = _keywords(match, groups)
        if not keywords or rejects.any(keywords):
            continue
        if frame_rejects is not None and frame_rejects.any(keywords[:1]):
            continue
        if titles and _overlaps_title(titles, title_starts, start, end):
            continue
        if speech is not None and speech.search(text, max(0, start - _SPEECH_WINDOW), start):
            continue
        expansion: tuple[str, ...] = ()
        if frame.has_expansion and match.group("expansion"):
            expansion = _split(patterns, match.group("expansion"))
        cand = _Candidate(start, end, frame.kind, keywords, expansion, frame.name, frame.priority)
        if frame.expand and not expansion:
            cand = _expand(text, cand, patterns)
        found.append(cand)
    return found


def _overlaps_title(titles: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of the sorted, non-overlapping 《…》 spans."""
    i = bisect.bisect_left(starts, end) - 1
    return i >= 0 and titles[i][1] > start


def _select(text: str, patterns: SloganPatterns) -> list[_Candidate]:
    """The kept candidates of every frame, in text order: non-overlapping, higher priority first, then
    longer, then earlier.

    The frames run one priority at a time, highest first, so a match overlapping a candidate kept from a
    higher priority is dropped before it is built; the candidates of one priority are ranked together.
    """
    titles = [m.span() for m in _TITLE.finditer(text)]
    scan = _Scan(text, titles, [t[0] for t in titles], _lines(text), {})
    kept = _Kept([], [])
    for group in patterns.by_priority:
        found: list[_Candidate] = []
        for frame in group:
            found.extend(_candidates(scan, frame, patterns, kept))
        kept.add(found)
    return kept.cands


def extract_slogans(report: Report, /, *, lexicon: LexiconsLike = None) -> Iterator[Slogan]:
    """Yield the slogans of `report` in document order.

    `lexicon` is a :class:`~auditnlp.lexicon.Lexicons` bundle or a folder of user lexicon files
    (``None``: the packaged ``slogan_patterns.yaml``). ``section`` is the innermost section holding the
    slogan's start (0 when the report has none).
    """
    patterns = load_slogan_patterns(lexicon)
    text = report.text
    index = StructureIndex(report)
    for cand in _select(text, patterns):
        section = index.section(cand.start)
        yield Slogan(
            start=cand.start,
            end=cand.end,
            text=text[cand.start : cand.end],
            kind=cand.kind,
            keywords=cand.keywords,
            section=section.id if section is not None else 0,
            in_heading=index.in_heading(cand.start, cand.end),
            expansion=cand.expansion,
            pattern=cand.frame,
        )
