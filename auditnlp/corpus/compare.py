"""Per-report rows → tidy pandas DataFrames → comparison tables across units and years.

:func:`compare_rows` builds the tables of a :class:`Comparison` from the rows of
:func:`~auditnlp.corpus.rows.report_rows` (what a batch worker sends back); :func:`compare_reports` chains
the two for reports analysed in this process.

Numbers stay exact: ``value``, ``value_max`` and ``base_value`` are :class:`~decimal.Decimal` objects (use
``.astype(float)`` to plot); a masked value is ``None`` in the long table and ``"XX"`` in the matrix.
Column keys, Chinese labels and kinds are in :mod:`auditnlp.corpus.schema`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.identity import Identities
from auditnlp.corpus.manifest import Manifest, apply_manifest, manifest_notes
from auditnlp.corpus.matrix import column_labels, matrix_of, yoy_of
from auditnlp.corpus.rows import ReportRows, report_rows
from auditnlp.corpus.schema import DUPLICATE, REPORT_KEYS, TABLE_COLUMNS, TABLES, column
from auditnlp.errors import AuditNLPError
from auditnlp.lexicon import LexiconsLike
from auditnlp.readers.base import display_name
from auditnlp.types import Period, ProblemPair, ProblemSource, Report

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from auditnlp.corpus.recurrence import ProblemStatus
    from auditnlp.pipeline import Options

__all__ = ["Comparison", "ReportRows", "compare_reports", "compare_rows", "report_label", "report_rows"]


@dataclass(frozen=True, eq=False)
class Comparison:
    """The comparison tables (pandas DataFrames); see the module docstring for value types.

    ``matrix`` has an index (name, base_unit) and columns (unit, period label: the covered year, or the
    period code of a report that covers part of a year or several years); every other table is a plain tidy
    frame with English column keys.
    """

    reports: pd.DataFrame
    indicators: pd.DataFrame
    values: pd.DataFrame
    """Every candidate figure of every canonical name, one row each; ``shown`` marks the matrix's."""
    matrix: pd.DataFrame
    yoy: pd.DataFrame
    categories: pd.DataFrame
    slogans: pd.DataFrame
    slogan_counts: pd.DataFrame
    problems: pd.DataFrame
    measures: pd.DataFrame
    recurring: pd.DataFrame
    problem_status: pd.DataFrame
    errors: pd.DataFrame
    notes: tuple[str, ...] = field(default=())
    """Remarks for the reader of the tables (shown in the workbook legend)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Chinese labels of the columns that depend on the lexicons: categories (``study`` → 学习) and their
    share columns (``share_study`` → 学习占比)."""
    indicator_labels: Mapping[str, str] = field(default_factory=dict)
    """Canonical indicator name → its Chinese label (``indicator_names.tsv``)."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables by name, in workbook order."""
        return {name: getattr(self, name) for name in TABLES}

    def label(self, key: str) -> str:
        """The Chinese label of column `key` (from the lexicons where they name it, else the schema)."""
        return self.labels.get(key) or column(key).label

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(frame)}" for name, frame in self.tables().items())
        return f"Comparison({sizes})"

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The tables for computing with pandas: value columns as floats (``NaN`` where empty or masked),
        the matrix numeric with a separate ``matrix_mask`` (see :mod:`auditnlp.corpus.frames`)."""
        from auditnlp.corpus.frames import frames

        return frames(self.tables())

    # The two writers below sit a layer above this module; the methods are the library's one-call way
    # to them and import them only when called.
    def to_excel(self, path: str | Path, *, lang: str = "zh") -> Path:
        """Write the comparison workbook (.xlsx) to `path` and return it: first sheet ``总览`` (the headline
        indicators), sheet names, headers and code values in Chinese (`lang` ``"en"``: English)."""
        from auditnlp.writers.workbook import write_workbook

        return write_workbook(self, path, lang=lang)  # type: ignore[arg-type]

    def to_site(
        self,
        path: str | Path,
        *,
        reports: Iterable[Report] | None = None,
        options: Options | None = None,
        lang: str = "zh",
    ) -> Path:
        """Write the review site into folder `path` and return its index page.

        Report pages are written from `reports` when given; otherwise each report's file is read and
        analysed again (with `options`), one at a time, so no text is held. ``auditnlp review`` (or
        :func:`auditnlp.writers.site.review`) writes the pages while analysing instead.
        """
        from auditnlp.writers.site import write_site

        return write_site(self, path, reports=reports, options=options, lang=lang)  # type: ignore[arg-type]


def _error_row(error: Any) -> dict[str, Any]:
    if isinstance(error, AuditNLPError):
        return {"path": error.path, "reason": error.reason, "error": type(error).__name__}
    if isinstance(error, dict):
        return {k: error.get(k) for k in TABLE_COLUMNS["errors"]}
    path, reason = error[:2]
    return {"path": path, "reason": reason, "error": error[2] if len(error) > 2 else "InputError"}


class _Columns:
    """Rows accumulated column by column: far smaller than a list of dicts for long tables."""

    def __init__(self, columns: tuple[str, ...] = ()) -> None:
        self.data: dict[str, list[Any]] = {c: [] for c in columns}
        self.rows = 0

    def add(self, row: dict[str, Any]) -> None:
        for key in row:
            if key not in self.data:
                self.data[key] = [None] * self.rows
        for key, values in self.data.items():
            values.append(row.get(key))
        self.rows += 1

    def frame(self) -> pd.DataFrame:
        frame = frame_from_columns(self.data)
        self.data = {k: [] for k in self.data}
        return frame


def frame_from_columns(data: Mapping[str, list[Any]]) -> pd.DataFrame:
    """A table from its columns of row values: ids and years as nullable integers, decimals kept as
    :class:`~decimal.Decimal` objects, other columns with the dtype their values infer."""
    import pandas as pd

    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()}, columns=list(data))
    for col in frame.columns:
        kind = column(col).kind
        if kind in ("year", "id") and col != "report_id":
            frame[col] = frame[col].astype("Int64")
        elif kind != "decimal":
            frame[col] = frame[col].infer_objects()
    return frame


def compare_rows(
    rows: Iterable[ReportRows], *, errors: Iterable[Any] = (), lexicon: LexiconsLike = None
) -> Comparison:
    """Build the comparison tables from per-report rows (in input order; ids are assigned here).

    Rows are folded into columns as they arrive, so a long batch holds its tables and little more; the
    rows themselves are not changed. `errors` are failures to list (read after `rows` is consumed, so a
    generator may still add to the list it came from); `lexicon` gives the category order and the Chinese
    labels of categories and canonical indicators.
    """
    import pandas as pd

    from auditnlp.classify.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(lexicon=lexicon)
    order = taxonomy.labels
    reports = _Columns()
    tables = {
        name: _Columns(TABLE_COLUMNS[name])
        for name in ("indicators", "values", "slogans", "problems", "measures")
    }
    name_labels = indicator_labels(lexicon)
    periods: dict[int, Period | None] = {}
    shares = _Columns(REPORT_KEYS)
    sources: list[ProblemSource] = []
    identities = Identities()
    copies: dict[int, list[str]] = defaultdict(list)
    notices: list[tuple[str, str, str]] = []
    report_id = 0
    for item in rows:
        name = display_name(item.report["file"], item.report["row"])
        period = item.report.get("period")
        copy = identities.check(report_id + 1, name, item.fingerprint, item.report.get("unit"), period)
        if copy is not None:
            copies[copy.of].append(name)
            notices.append((name, f"{copy.reason}: the same document, compared once", DUPLICATE))
            continue
        report_id += 1
        head = {**item.report, "report_id": report_id}
        reports.add(head)
        periods[report_id] = item.covered
        for name, group in (
            ("indicators", item.indicators),
            ("slogans", item.slogans),
            ("problems", item.problems),
            ("measures", item.measures),
        ):
            for row in group:
                tables[name].add({**row, "report_id": report_id})
        for row in item.values:
            tables["values"].add(
                {**row, "report_id": report_id, "label": name_labels.get(row["name"], row["label"])}
            )
        if item.shares:
            shares.add({k: head[k] for k in REPORT_KEYS} | item.shares)
        if item.problem_source is not None and item.problem_source.problems:
            sources.append(item.problem_source)
    report_df = _identity_columns(reports.frame(), copies, identities.same_period())
    if not report_df.empty:
        columns = column_labels(report_df, periods)
        at = list(report_df.columns).index("period") + 1
        report_df.insert(at, "column", [columns[rid][1] for rid in report_df["report_id"]])
    indicators = tables["indicators"].frame()
    values = tables["values"].frame()
    slogans = tables["slogans"].frame()
    labels = {c.label: c.name for c in taxonomy.categories}
    labels.update({f"share_{c.label}": f"{c.name}占比" for c in taxonomy.categories})
    return Comparison(
        reports=_order_shares(report_df, order),
        indicators=indicators,
        values=values,
        matrix=matrix_of(values, report_df, periods, name_order(lexicon)),
        yoy=yoy_of(values, periods, lexicon=lexicon),
        categories=_categories(shares.frame(), order),
        slogans=slogans,
        slogan_counts=_slogan_counts(slogans),
        problems=tables["problems"].frame(),
        measures=tables["measures"].frame(),
        **_recurring(sources, lexicon),
        errors=pd.DataFrame(
            [_error_row(e) for e in [*errors, *notices]], columns=list(TABLE_COLUMNS["errors"])
        ),
        notes=(*_identity_notes(copies, identities.same_period()), *_ocr_notes(report_df)),
        labels=labels,
        indicator_labels=name_labels,
    )


def indicator_labels(lexicon: LexiconsLike = None) -> dict[str, str]:
    """Canonical name → its Chinese label (the lexicon's names and the derived totals)."""
    from auditnlp.extract.indicators import load_indicator_lexicon
    from auditnlp.extract.meaning import load_meaning_rules

    labels = {rule.name: rule.label for rule in load_indicator_lexicon(lexicon).names if rule.label}
    labels.update({t.name: t.label for t in load_meaning_rules(lexicon).totals.values()})
    return labels


def name_order(lexicon: LexiconsLike = None) -> list[str]:
    """Canonical names in lexicon order, each derived total right after the name it is stated as (the
    matrix's row order)."""
    from auditnlp.extract.indicators import load_indicator_lexicon
    from auditnlp.extract.meaning import load_meaning_rules

    totals = load_meaning_rules(lexicon).totals
    order: list[str] = []
    for rule in load_indicator_lexicon(lexicon).names:
        order.append(rule.name)
        order.extend(t.name for t in totals.values() if t.stated == rule.name)
    return order


def _identity_columns(
    frame: pd.DataFrame, copies: dict[int, list[str]], same_period: dict[int, list[int]]
) -> pd.DataFrame:
    """The reports table with ``duplicates`` (copies compared once) and ``same_period`` (other reports of
    the same unit and period, kept) before its warnings."""
    if frame.empty:
        return frame
    ids = frame["report_id"]
    frame = frame.copy()
    at = list(frame.columns).index("warnings") if "warnings" in frame.columns else len(frame.columns)
    frame.insert(at, "duplicates", [("; ".join(copies[i]) if i in copies else None) for i in ids])
    frame.insert(
        at + 1,
        "same_period",
        [("; ".join(map(str, same_period[i])) if i in same_period else None) for i in ids],
    )
    return frame


def _ocr_notes(reports: pd.DataFrame) -> tuple[str, ...]:
    """A note when some reports were read by OCR: their numbers (matrix cells too) need checking."""
    if "ocr" not in reports.columns or not reports["ocr"].fillna(False).astype(bool).any():
        return ()
    count = int(reports["ocr"].fillna(False).astype(bool).sum())
    return (
        f"{count} report(s) were read by OCR from scans (reports: ocr): check their numbers against the scan "
        "(indicators: ocr marks each one) before using them in the matrix.",
    )


def _identity_notes(copies: dict[int, list[str]], same_period: dict[int, list[int]]) -> tuple[str, ...]:
    notes = []
    if copies:
        count = sum(len(c) for c in copies.values())
        notes.append(f"{count} input(s) were copies of a document already compared (errors: Duplicate).")
    if same_period:
        notes.append(
            f"{len(same_period)} reports share their unit and period with another report: different "
            "documents, all kept (reports: same_period); check which one the comparison should use."
        )
    return tuple(notes)


def compare_reports(
    reports: Iterable[Report | AuditNLPError],
    *,
    errors: Iterable[Any] = (),
    manifest: Manifest | None = None,
    lexicon: LexiconsLike = None,
) -> Comparison:
    """Compare reports across units and years (errors from ``analyze_many`` may be mixed in).

    `errors` are extra failures to list (``InputError`` objects or ``(path, reason)`` pairs); `manifest`
    (see :func:`auditnlp.corpus.manifest.load_manifest`) overrides each report's detected unit, year and
    so on; `lexicon` (a bundle or a folder) gives category order and labels.
    """
    failed = list(errors)
    seen: list[tuple[str, int | None]] = []

    def rows() -> Iterator[ReportRows]:
        for report in reports:
            if isinstance(report, AuditNLPError):
                failed.append(report)
                continue
            seen.append((report.source.path, report.source.row))
            entry = manifest.entry(report.source.path, report.source.row) if manifest is not None else None
            line = entry.line if entry is not None else None
            yield report_rows(apply_manifest(report, manifest), manifest_row=line, lexicon=lexicon)
        if manifest is not None:
            failed.extend(manifest_notes(manifest, seen))

    return compare_rows(rows(), errors=failed, lexicon=lexicon)


def _order_shares(frame: pd.DataFrame, order: tuple[str, ...]) -> pd.DataFrame:
    shares = [c for c in frame.columns if c.startswith("share_")]
    ordered = sorted(shares, key=lambda c: _category_rank(c.removeprefix("share_"), order))
    rest = [c for c in frame.columns if c not in shares and not c.startswith("extra_")]
    extras = [c for c in frame.columns if c.startswith("extra_")]
    return frame[[*rest, *ordered, *extras]] if len(frame.columns) else frame


def _category_rank(name: str, order: tuple[str, ...]) -> tuple[int, str]:
    return (order.index(name) if name in order else len(order), name)


def report_label(unit: Any, year: Any) -> str:
    """A short label for a report: ``单位 年份`` (``?`` for what is unknown)."""
    unit_text = unit if isinstance(unit, str) and unit else "?"
    year_text = "?" if _missing(year) else str(int(year))
    return f"{unit_text} {year_text}"


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _categories(frame: pd.DataFrame, order: tuple[str, ...]) -> pd.DataFrame:
    import pandas as pd

    if frame.empty:
        return pd.DataFrame(columns=[*REPORT_KEYS, "label", *order])
    cats = sorted((c for c in frame.columns if c not in REPORT_KEYS), key=lambda c: _category_rank(c, order))
    frame[cats] = frame[cats].fillna(0.0)
    frame.insert(
        len(REPORT_KEYS), "label", [report_label(u, y) for u, y in zip(frame.unit, frame.year, strict=True)]
    )
    return frame[[*REPORT_KEYS, "label", *cats]]


def _slogan_counts(slogans: pd.DataFrame) -> pd.DataFrame:
    """How often each slogan text and each keyword occurs, and in how many reports."""
    import pandas as pd

    stats: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in slogans[["report_id", "kind", "text", "keywords", "unit", "year"]].to_dict("records"):
        keys = [("slogan", row["kind"], row["text"])]
        keys += [("keyword", row["kind"], k) for k in row["keywords"].split("、") if k]
        for key in dict.fromkeys(keys):
            entry = stats.setdefault(
                key, {"reports": set(), "occurrences": 0, "units": set(), "years": set()}
            )
            entry["reports"].add(row["report_id"])
            entry["occurrences"] += 1
            if isinstance(row["unit"], str) and row["unit"]:
                entry["units"].add(row["unit"])
            if not _missing(row["year"]):
                entry["years"].add(int(row["year"]))
    out = [
        {
            "what": what,
            "kind": kind,
            "text": text,
            "reports": len(e["reports"]),
            "occurrences": e["occurrences"],
            "units": "、".join(sorted(e["units"])),
            "years": "、".join(str(y) for y in sorted(e["years"])),
        }
        for (what, kind, text), e in stats.items()
    ]
    frame = pd.DataFrame(out, columns=list(TABLE_COLUMNS["slogan_counts"]))
    return frame.sort_values(
        ["what", "reports", "occurrences", "text"], ascending=[False, False, False, True]
    ).reset_index(drop=True)


def _recurring(sources: list[ProblemSource], lexicon: LexiconsLike = None) -> dict[str, pd.DataFrame]:
    """The ``recurring`` and ``problem_status`` tables: problems paired across reports of the same unit
    and the status of each problem per year (see :mod:`auditnlp.corpus.recurrence`).

    A document given twice (same text, unit and year) is paired once: its copies would only repeat the
    same pairs, and pairing costs grow with the square of the reports of a unit. A unit's reports give
    that unit's rows (scores depend on the two problems compared alone).
    """
    from auditnlp.corpus.recurrence import pair_problems, problem_status

    reports = distinct_sources(sources)
    pairs = pair_problems(reports, lexicon=lexicon) if len(reports) > 1 else []
    return {
        "recurring": recurring_frame(pairs),
        "problem_status": status_frame(problem_status(reports, pairs, lexicon=lexicon)),
    }


def distinct_sources(sources: list[ProblemSource]) -> list[ProblemSource]:
    """The sources paired: the first of each source hash, unit and year (a document given twice is
    paired once)."""
    distinct: dict[tuple[str, str | None, int | None], ProblemSource] = {}
    for source in sources:
        distinct.setdefault((source.source.sha256, source.meta.unit, source.meta.year), source)
    return list(distinct.values())


def recurring_frame(pairs: Sequence[ProblemPair]) -> pd.DataFrame:
    """Pairs of problems as rows of the ``recurring`` table."""
    import pandas as pd

    frame = pd.DataFrame([_pair_row(pair) for pair in pairs], columns=list(TABLE_COLUMNS["recurring"]))
    for col in ("year_a", "year_b"):
        frame[col] = frame[col].astype("Int64")
    return frame


def status_frame(statuses: Sequence[ProblemStatus]) -> pd.DataFrame:
    """Problem statuses as rows of the ``problem_status`` table."""
    import pandas as pd

    status = pd.DataFrame(
        [
            {
                "unit": s.unit,
                "year": s.year,
                "file": s.path,
                "status": s.status,
                "heading": s.problem.heading,
                "text": s.problem.text,
                "other_year": s.other_year,
                "other_text": s.other.text if s.other is not None else None,
                "similarity": s.similarity,
            }
            for s in statuses
        ],
        columns=list(TABLE_COLUMNS["problem_status"]),
    )
    for col in ("year", "other_year"):
        status[col] = status[col].astype("Int64")
    return status


def _pair_row(pair: ProblemPair) -> dict[str, Any]:
    """One :class:`~auditnlp.types.ProblemPair` as a row of the recurring table."""
    return {
        "unit": pair.unit,
        "year_a": pair.earlier_year,
        "file_a": pair.earlier_path,
        "heading_a": pair.earlier.heading,
        "text_a": pair.earlier.text,
        "year_b": pair.later_year,
        "file_b": pair.later_path,
        "heading_b": pair.later.heading,
        "text_b": pair.later.text,
        "similarity": pair.similarity,
    }
