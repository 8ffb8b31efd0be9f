"""Recurring problems across reports (屡审屡犯): the same unit admitting a similar problem in another year.

Problems are compared by TF-IDF over character n-grams with cosine similarity (scikit-learn), after
removing list markers, punctuation and redaction placeholders so that only wording counts. When both
problems have a heading (聚焦能力建设“远视”不足) the similarity is the mean of the heading similarity and
the whole-text similarity: the heading states the problem, the body mostly describes its circumstances.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import regex

from auditnlp.types import ProblemPair, ProblemSource, Report

HasProblems = Report | ProblemSource

DEFAULT_THRESHOLD = 0.2
"""Similarity at or above which two problems are paired. On corpora/samples the five recurring problems
score 0.32-0.43 and the best-scoring non-recurring pair 0.08 (character 2-3-grams)."""

_MARKER = regex.compile(
    r"""^\s*(?:
        [（(][一二三四五六七八九十\d]+[）)]          # （一） (1)
      | [一二三四五六七八九十]+[、是]                # 一、 一是
      | \d+[.、．]                                  # 1. 1、
      | [①-⑳]
    )""",
    regex.VERBOSE,
)
_NOISE = regex.compile(r"[\p{P}\p{S}\s]+|[Xx*＊○]{2,}|\d+")


def problem_text(text: str) -> str:
    """The text compared for similarity: no list marker, punctuation, digits or redactions."""
    return _NOISE.sub("", _MARKER.sub("", text))


def report_id(report: HasProblems) -> str:
    """A stable id for a report: its path (with ``#row`` for a spreadsheet row) and a digest prefix."""
    name = report.source.path if report.source.row is None else f"{report.source.path}#{report.source.row}"
    return f"{name}@{report.source.sha256[:12]}" if report.source.sha256 else name


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


def _vectorizer(ngram_range: tuple[int, int]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char", ngram_range=ngram_range, preprocessor=problem_text, sublinear_tf=True, norm="l2"
    )


def _similarity(
    text_matrix: Any, heading_matrix: Any, has_heading: Any, rows: list[int], cols: list[int]
) -> Any:
    """Cosine similarities rows × cols: text only, or the mean with the heading similarity when both
    problems have a heading."""
    text_sims = (text_matrix[rows] @ text_matrix[cols].T).toarray()
    heading_sims = (heading_matrix[rows] @ heading_matrix[cols].T).toarray()
    both = np.outer(has_heading[rows], has_heading[cols])
    return np.where(both, (text_sims + heading_sims) / 2, text_sims)


def pair_problems(
    reports: Sequence[HasProblems],
    /,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    same_unit: bool = True,
    ngram_range: tuple[int, int] = (2, 3),
) -> list[ProblemPair]:
    """Pair similar problems across `reports` (each later problem with its most similar earlier one).

    Reports are paired when they are of the same unit (``meta.unit``; reports without a unit are skipped)
    unless `same_unit` is false, and not of the same year. Problems are ``report.problems``, never
    re-extracted: a report analysed without the findings stage has none. Pairs come sorted by unit, years
    and position in the later report.
    """
    problems = [r.problems for r in reports]
    corpus = [(i, j) for i, found in enumerate(problems) for j in range(len(found))]
    if not corpus:
        return []
    texts = [problems[i][j].text for i, j in corpus]
    headings = [problems[i][j].heading or "" for i, j in corpus]
    if not any(problem_text(t) for t in texts):
        return []
    vectorizer = _vectorizer(ngram_range).fit(texts + [h for h in headings if h])
    text_matrix = vectorizer.transform(texts)
    heading_matrix = vectorizer.transform(headings)
    has_heading = np.array([bool(problem_text(h)) for h in headings])
    row = {key: n for n, key in enumerate(corpus)}
    pairs: list[ProblemPair] = []
    indexed = list(enumerate(reports))
    for x, a in enumerate(indexed):
        for b in indexed[x + 1 :]:
            if same_unit and (a[1].meta.unit is None or a[1].meta.unit != b[1].meta.unit):
                continue
            order = _ordered(a, b)
            if order is None:
                continue
            (ei, earlier), (li, later) = order
            if not problems[ei] or not problems[li]:
                continue
            e_rows = [row[(ei, j)] for j in range(len(problems[ei]))]
            l_rows = [row[(li, j)] for j in range(len(problems[li]))]
            sims = _similarity(text_matrix, heading_matrix, has_heading, l_rows, e_rows)
            for lj, scores in enumerate(sims):
                ej = int(scores.argmax())
                score = float(scores[ej])
                if score >= threshold:
                    pairs.append(
                        ProblemPair(
                            unit=later.meta.unit if later.meta.unit == earlier.meta.unit else None,
                            earlier_id=report_id(earlier),
                            earlier_path=earlier.source.path,
                            earlier_year=earlier.meta.year,
                            earlier=problems[ei][ej],
                            later_id=report_id(later),
                            later_path=later.source.path,
                            later_year=later.meta.year,
                            later=problems[li][lj],
                            similarity=round(score, 4),
                        )
                    )
    pairs.sort(
        key=lambda p: (p.unit or "", p.earlier_year or 0, p.later_year or 0, p.later_path, p.later.start)
    )
    return pairs
