"""Recurring problems across reports (屡审屡犯): the same unit stating a similar problem in another year.

Two problems are compared on their wording only (list markers, punctuation, digits and redactions removed,
:func:`problem_text`) as character 2–3-grams weighted by a **fixed reference vocabulary**: the document
frequencies in ``lexicons/recurrence_df.tsv``, counted once over the bundled corpora by
``scripts/build_recurrence_vocab.py``. The score of two problems therefore depends on those two problems
alone, never on the other reports of the batch. It is the largest of

- the cosine of their weighted n-gram vectors, or of their leads when higher (the lead is the heading,
  else the first clause: the lead states the problem, the body its circumstances, so 整改跟踪问效还有差距 and
  审计整改跟踪督促不够及时 meet on their leads when their bodies tell different circumstances);
- for a short item against a long paragraph (one sentence listing last year's problems, this year's split
  list), the share of the item's weight found in the paragraph, times a factor;
- a fixed score when both state the clearest kind of recurrence (整改不到位 / 屡审屡犯 / 连续两年…),
  ``cues`` in ``lexicons/recurrence.yaml``.

Each later problem is paired with its best-scoring earlier problem at or above the threshold of
``recurrence.yaml`` (chosen on labelled pairs, see ``eval/recurrence_threshold.md``); a problem whose
sub-findings are paired is not paired again itself. :func:`problem_status` turns the pairs into a status per
problem and year (new, recurring, resolved).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from auditnlp._data import compile_pattern
from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons
from auditnlp.types import Finding, ProblemPair, ProblemSource, Report

HasProblems = Report | ProblemSource

RULES_FILE = "recurrence.yaml"
VOCAB_FILE = "recurrence_df.tsv"
DEFAULT_THRESHOLD = 0.3
"""The threshold when ``recurrence.yaml`` gives none (the packaged file does)."""

_MARKER = regex.compile(
    r"""^\s*(?:
        [（(][一二三四五六七八九十\d]+[）)]          # （一） (1)
      | [一二三四五六七八九十]+[、是]                # 一、 一是
      | \d+[.、．](?!\d)                            # 1. 1、
      | [①-⑳]
    )""",
    regex.VERBOSE,
)
_NOISE = regex.compile(r"[\p{P}\p{S}\s]+|[Xx*＊○]{2,}|\d+")
_LEAD = regex.compile(r"[^，。；：,;:！？!?\n]{2,40}")


def problem_text(text: str) -> str:
    """The text compared for similarity: no list marker, punctuation, digits or redactions."""
    return _NOISE.sub("", _MARKER.sub("", text))


def report_id(report: HasProblems) -> str:
    """A stable id for a report: its path (with ``#row`` for a spreadsheet row) and a digest prefix."""
    name = report.source.path if report.source.row is None else f"{report.source.path}#{report.source.row}"
    return f"{name}@{report.source.sha256[:12]}" if report.source.sha256 else name


@dataclass(frozen=True, slots=True)
class RecurrenceRules:
    """The compiled ``recurrence.yaml`` and the reference vocabulary of ``recurrence_df.tsv``."""

    threshold: float
    ngram_range: tuple[int, int]
    containment_factor: float
    containment_ratio: float
    cues: Any
    cue_score: float
    documents: int
    df: dict[str, int]
    source: str

    def idf(self, ngram: str) -> float:
        """Smoothed inverse document frequency of `ngram` in the reference vocabulary."""
        return math.log((1 + self.documents) / (1 + self.df.get(ngram, 0))) + 1.0


def _number(data: dict[str, Any], key: str, default: float, where: str) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LexiconError(where, f"{key}: expected a number, got {value!r}")
    return float(value)


def build_recurrence_rules(lex: Lexicons) -> RecurrenceRules:
    """Compile ``recurrence.yaml`` and read ``recurrence_df.tsv`` of `lex`."""
    data = lex.yaml_mapping(RULES_FILE)
    where = lex.where(RULES_FILE)
    ngrams = data.get("ngram_range", [2, 3])
    if not (isinstance(ngrams, list) and len(ngrams) == 2 and all(isinstance(n, int) for n in ngrams)):
        raise LexiconError(where, "ngram_range: expected two integers, e.g. [2, 3]")
    containment = data.get("containment") or {}
    if not isinstance(containment, dict):
        raise LexiconError(where, "containment: expected a mapping (factor, ratio)")
    cues = data.get("cues")
    if cues is not None and not isinstance(cues, str):
        raise LexiconError(where, "cues: expected a regex string")
    text, vocab_where = lex.read(VOCAB_FILE)
    documents = 0
    for line in text.splitlines():
        if line.startswith("# documents:"):
            documents = int(line.split(":", 1)[1])
    if documents <= 0:
        raise LexiconError(
            vocab_where, "missing '# documents: N' line (rebuild with scripts/build_recurrence_vocab.py)"
        )
    df: dict[str, int] = {}
    for lineno, row in lex.tsv(VOCAB_FILE, required=("ngram", "df")):
        try:
            df[row["ngram"]] = int(row["df"])
        except ValueError:
            raise LexiconError(vocab_where, f"line {lineno}: df must be an integer") from None
    return RecurrenceRules(
        threshold=_number(data, "threshold", DEFAULT_THRESHOLD, where),
        ngram_range=(ngrams[0], ngrams[1]),
        containment_factor=_number(containment, "factor", 0.0, where),
        containment_ratio=_number(containment, "ratio", 2.0, where),
        cues=compile_pattern(cues, where, regex.VERBOSE) if cues else None,
        cue_score=_number(data, "cue_score", 1.0, where),
        documents=documents,
        df=df,
        source=where,
    )


def load_recurrence_rules(lexicon: LexiconsLike = None) -> RecurrenceRules:
    """The recurrence rules of `lexicon` (a bundle or a folder; ``None``: packaged)."""
    return as_lexicons(lexicon).part("recurrence", build_recurrence_rules)


class _Vector:
    """Weighted n-grams of one text: weights (sublinear tf × reference idf), squared weight sum, length."""

    __slots__ = ("length", "norm2", "weights")

    def __init__(self, text: str, rules: RecurrenceRules) -> None:
        clean = problem_text(text)
        lo, hi = rules.ngram_range
        counts = Counter(clean[i : i + n] for n in range(lo, hi + 1) for i in range(len(clean) - n + 1))
        self.weights = {g: (1.0 + math.log(c)) * rules.idf(g) for g, c in counts.items()}
        self.norm2 = sum(w * w for w in self.weights.values())
        self.length = len(clean)

    def cosine(self, other: _Vector) -> float:
        if not self.norm2 or not other.norm2:
            return 0.0
        small, large = (self, other) if len(self.weights) <= len(other.weights) else (other, self)
        dot = sum(w * large.weights.get(g, 0.0) for g, w in small.weights.items())
        return dot / math.sqrt(self.norm2 * other.norm2)

    def share_in(self, other: _Vector) -> float:
        """The share of this text's squared weight whose n-grams occur in `other`."""
        if not self.norm2:
            return 0.0
        return sum(w * w for g, w in self.weights.items() if g in other.weights) / self.norm2


@dataclass(frozen=True, slots=True)
class _Problem:
    finding: Finding
    text: _Vector
    lead: _Vector | None
    cue: bool


def lead(finding: Finding) -> str | None:
    """What a problem states in short: its heading, else the first clause of its text (marker removed)."""
    if finding.heading:
        return finding.heading
    match = _LEAD.match(_MARKER.sub("", finding.text).lstrip())
    return match.group() if match is not None else None


def _prepare(finding: Finding, rules: RecurrenceRules) -> _Problem:
    short = lead(finding)
    vector = _Vector(short, rules) if short else None
    cue = bool(rules.cues is not None and rules.cues.search(finding.text))
    kept = vector if vector is not None and vector.norm2 else None
    return _Problem(finding, _Vector(finding.text, rules), kept, cue)


def similarity(a: Finding, b: Finding, /, *, lexicon: LexiconsLike = None) -> float:
    """The recurrence score of two problems (see the module docstring); symmetric, batch-independent."""
    rules = load_recurrence_rules(lexicon)
    return _score(_prepare(a, rules), _prepare(b, rules), rules)


def _score(a: _Problem, b: _Problem, rules: RecurrenceRules) -> float:
    score = a.text.cosine(b.text)
    if a.lead is not None and b.lead is not None:
        score = max(score, a.lead.cosine(b.lead))
    if rules.containment_factor > 0:
        short, long = (a.text, b.text) if a.text.length <= b.text.length else (b.text, a.text)
        if short.length and long.length >= rules.containment_ratio * short.length:
            score = max(score, rules.containment_factor * short.share_in(long))
    if a.cue and b.cue:
        score = max(score, rules.cue_score)
    return min(score, 1.0)


def _ordered(
    a: tuple[int, HasProblems], b: tuple[int, HasProblems]
) -> tuple[tuple[int, HasProblems], tuple[int, HasProblems]] | None:
    """(earlier, later) when the two reports may be paired, else None (same year)."""
    year_a, year_b = a[1].meta.year, b[1].meta.year
    if year_a is not None and year_b is not None:
        if year_a == year_b:
            return None
        return (a, b) if year_a < year_b else (b, a)
    return (a, b) if a[0] < b[0] else (b, a)


def _linking(lexicon: LexiconsLike) -> Callable[[str], bool]:
    """Whether a unit links its reports across years (see :func:`~auditnlp.segment.units.identifies`),
    remembered per unit."""
    from auditnlp.segment.meta_rules import meta_rules
    from auditnlp.segment.units import identifies

    rules = meta_rules(lexicon)
    known: dict[str, bool] = {}

    def linked(unit: str) -> bool:
        if unit not in known:
            known[unit] = identifies(unit, rules)
        return known[unit]

    return linked


def pair_problems(
    reports: Sequence[HasProblems],
    /,
    *,
    threshold: float | None = None,
    same_unit: bool = True,
    lexicon: LexiconsLike = None,
) -> list[ProblemPair]:
    """Pair similar problems across `reports` (each later problem with its best-scoring earlier one).

    Reports are paired when they are of the same unit (``meta.unit``; reports without a unit are skipped)
    unless `same_unit` is false, and not of the same year. Problems are ``report.problems``, never
    re-extracted. `threshold` overrides the one of ``recurrence.yaml``. A problem some of whose sub-findings
    (:attr:`Finding.parent`) are paired to the same report is left to them. Pairs come sorted by unit, years
    and position in the later report; the result for two reports never depends on the other reports.
    """
    rules = load_recurrence_rules(lexicon)
    limit = rules.threshold if threshold is None else threshold
    linked = _linking(lexicon)
    prepared = [[_prepare(f, rules) for f in r.problems] for r in reports]
    pairs: list[ProblemPair] = []
    indexed = list(enumerate(reports))
    for x, a in enumerate(indexed):
        for b in indexed[x + 1 :]:
            if same_unit and (
                a[1].meta.unit is None or a[1].meta.unit != b[1].meta.unit or not linked(a[1].meta.unit)
            ):
                continue
            order = _ordered(a, b)
            if order is None:
                continue
            (ei, earlier), (li, later) = order
            if not prepared[ei] or not prepared[li]:
                continue
            pairs.extend(_pairs_between(earlier, later, prepared[ei], prepared[li], rules, limit))
    pairs.sort(
        key=lambda p: (p.unit or "", p.earlier_year or 0, p.later_year or 0, p.later_path, p.later.start)
    )
    return pairs


def _pairs_between(
    earlier: HasProblems,
    later: HasProblems,
    old: list[_Problem],
    new: list[_Problem],
    rules: RecurrenceRules,
    limit: float,
) -> list[ProblemPair]:
    """Each problem of `later` with its best-scoring problem of `earlier` at or above `limit` (a problem
    whose sub-findings are paired left to them), in the order of the later problems."""
    best: dict[int, tuple[int, float]] = {}
    for lj, problem in enumerate(new):
        scores = [_score(problem, before, rules) for before in old]
        ej = max(range(len(scores)), key=scores.__getitem__)
        if scores[ej] >= limit:
            best[lj] = (ej, scores[ej])
    covered = {later.problems[lj].parent for lj in best} - {None}
    return [
        ProblemPair(
            unit=later.meta.unit if later.meta.unit == earlier.meta.unit else None,
            earlier_id=report_id(earlier),
            earlier_path=earlier.source.path,
            earlier_year=earlier.meta.year,
            earlier=earlier.problems[ej],
            later_id=report_id(later),
            later_path=later.source.path,
            later_year=later.meta.year,
            later=later.problems[lj],
            similarity=round(score, 4),
        )
        for lj, (ej, score) in best.items()
        if lj not in covered
    ]


def iter_pairs(
    reports: Sequence[HasProblems], /, *, threshold: float | None = None, lexicon: LexiconsLike = None
) -> Iterator[list[ProblemPair]]:
    """The pairs of :func:`pair_problems` (same unit), in its order, a block at a time: the pairs of the
    reports of one year with the reports of one later file. Only the problem vectors of one year's
    reports of a unit (and of one later file) are held at once, and no more pairs than a block, so a unit
    with thousands of reports is paired in bounded memory (the work still grows with its square)."""
    rules = load_recurrence_rules(lexicon)
    limit = rules.threshold if threshold is None else threshold
    linked = _linking(lexicon)
    by_unit: dict[str, list[int]] = defaultdict(list)
    for i, report in enumerate(reports):
        if report.meta.unit is not None and report.problems and linked(report.meta.unit):
            by_unit[report.meta.unit].append(i)
    for unit in sorted(by_unit, key=lambda u: u or ""):
        members = by_unit[unit]
        years = sorted({reports[i].meta.year or 0 for i in members})
        laters: dict[tuple[int, str], list[int]] = defaultdict(list)
        for i in members:
            laters[(reports[i].meta.year or 0, reports[i].source.path)].append(i)
        for year in years:
            old = {i: [_prepare(f, rules) for f in reports[i].problems] for i in members
                   if (reports[i].meta.year or 0) == year}  # fmt: skip
            for key in sorted(laters):
                block: list[tuple[int, int, int, int, ProblemPair]] = []
                for li in laters[key]:
                    new = old.get(li) or [_prepare(f, rules) for f in reports[li].problems]
                    for ei in old:
                        order = _ordered((ei, reports[ei]), (li, reports[li])) if ei != li else None
                        if order is None or order[0][0] != ei:
                            continue
                        found = _pairs_between(reports[ei], reports[li], old[ei], new, rules, limit)
                        block.extend(
                            (pair.later.start, min(ei, li), max(ei, li), k, pair)
                            for k, pair in enumerate(found)
                        )
                if block:
                    block.sort(key=lambda item: item[:4])
                    yield [item[4] for item in block]


class StatusPairs:
    """What :func:`problem_status` needs of the pairs (the pair of each later problem, the earlier problems
    paired for each later year), gathered from pairs given in :func:`pair_problems` order, a block at a
    time."""

    def __init__(self) -> None:
        self.later: dict[tuple[str, int, int], ProblemPair] = {}
        self.earlier: dict[tuple[str, int | None], set[tuple[int, int]]] = defaultdict(set)

    def add(self, pairs: Sequence[ProblemPair]) -> None:
        """Take pairs (in order)."""
        for p in pairs:
            self.later[(p.later_path, p.later.start, p.later.end)] = p
            self.earlier[(p.earlier_path, p.later_year)].add((p.earlier.start, p.earlier.end))


@dataclass(frozen=True, slots=True)
class ProblemStatus:
    """The status of one problem in one year of its unit: ``new`` (first stated that year), ``recurring``
    (paired with a problem of an earlier report) or ``resolved`` (stated in the previous report, not again
    in this one: resolved, or no longer reported)."""

    unit: str | None
    year: int | None
    path: str
    status: str
    problem: Finding
    other_year: int | None = None
    other: Finding | None = None
    similarity: float | None = None


def problem_status(
    reports: Sequence[HasProblems],
    pairs: Sequence[ProblemPair] | StatusPairs,
    *,
    lexicon: LexiconsLike = None,
) -> list[ProblemStatus]:
    """A status per problem across the years of each unit with two or more reports (see
    :class:`ProblemStatus`); `pairs` come from :func:`pair_problems` (or :func:`iter_pairs`, gathered in
    :class:`StatusPairs`) on the same reports. A unit that names no single office (审计局) has none."""
    linked = _linking(lexicon)
    by_unit: dict[str, list[HasProblems]] = defaultdict(list)
    for report in reports:
        if report.meta.unit is not None and report.meta.year is not None and linked(report.meta.unit):
            by_unit[report.meta.unit].append(report)
    if not isinstance(pairs, StatusPairs):
        gathered = StatusPairs()
        gathered.add(pairs)
        pairs = gathered
    paired_later, paired_earlier = pairs.later, pairs.earlier
    out: list[ProblemStatus] = []
    for unit, members in sorted(by_unit.items()):
        years = sorted({r.meta.year for r in members if r.meta.year is not None})
        if len(years) < 2:
            continue
        members = sorted(members, key=lambda r: (r.meta.year or 0, r.source.path))
        for report in members:
            for problem in report.problems:
                pair = paired_later.get((report.source.path, problem.start, problem.end))
                if pair is not None:
                    out.append(
                        ProblemStatus(unit, report.meta.year, report.source.path, "recurring", problem,
                                      pair.earlier_year, pair.earlier, pair.similarity)
                    )  # fmt: skip
                else:
                    out.append(ProblemStatus(unit, report.meta.year, report.source.path, "new", problem))
        for earlier_year, later_year in itertools.pairwise(years):
            for report in (r for r in members if r.meta.year == earlier_year):
                kept = paired_earlier.get((report.source.path, later_year), set())
                laters = [r for r in members if r.meta.year == later_year]
                for index, problem in enumerate(report.problems):
                    if _restated(report, index, kept):
                        continue
                    out.append(
                        ProblemStatus(unit, later_year, laters[0].source.path, "resolved", problem,
                                      earlier_year, None, None)
                    )  # fmt: skip
    return out


def _restated(report: HasProblems, index: int, kept: set[tuple[int, int]]) -> bool:
    """Whether problem `index` of `report` was stated again: itself, one of its sub-findings, or the
    problem it is a sub-finding of."""
    problems = report.problems
    problem = problems[index]
    if (problem.start, problem.end) in kept:
        return True
    if problem.parent is not None and problem.parent < len(problems):
        parent = problems[problem.parent]
        if (parent.start, parent.end) in kept:
            return True
    return any(f.parent == index and (f.start, f.end) in kept for f in problems)
