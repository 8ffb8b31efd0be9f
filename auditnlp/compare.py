"""Records → tidy pandas DataFrames → comparison tables across units and years.

Two steps, both pure: :func:`report_rows` turns one :class:`~auditnlp.types.Report` into compact row
dicts (what a batch worker sends back instead of the whole report), and :func:`compare_rows` builds the
tables of a :class:`Comparison` from those rows. :func:`compare_reports` chains the two.

Numbers stay exact: ``value``, ``value_max`` and ``base_value`` are :class:`~decimal.Decimal` objects (use
``.astype(float)`` to plot); a masked value is ``None`` in the long table and ``"XX"`` in the matrix.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from auditnlp.errors import AuditNLPError
from auditnlp.manifest import Manifest, apply_manifest
from auditnlp.types import Report

if TYPE_CHECKING:
    import pandas as pd

MASK = "XX"
CATEGORY_ORDER = ("study", "supervision", "rectification", "livelihood", "other")
TABLES = (
    "reports",
    "indicators",
    "matrix",
    "yoy",
    "categories",
    "slogans",
    "slogan_counts",
    "problems",
    "measures",
    "recurring",
    "errors",
)
REPORT_KEYS = ("report_id", "file", "row", "unit", "year")
_COLUMNS: dict[str, tuple[str, ...]] = {
    "indicators": (
        *REPORT_KEYS, "name", "subject", "text", "number", "value", "value_max", "measure_unit",
        "unit_kind", "base_value", "base_unit", "masked", "mask", "approx", "change", "flag",
        "primary", "sentence", "section", "role", "start", "end",
    ),
    "yoy": (
        "unit", "name", "subject", "base_unit", "year", "value", "prev_year", "prev_value", "change",
        "change_pct",
    ),
    "slogans": (
        *REPORT_KEYS, "kind", "text", "keywords", "expansion", "pattern", "in_heading", "section",
        "start", "end",
    ),
    "slogan_counts": ("what", "kind", "text", "reports", "occurrences", "units", "years"),
    "findings": (*REPORT_KEYS, "kind", "heading", "text", "source", "section", "chars", "start", "end"),
    "recurring": (
        "unit", "year_a", "file_a", "heading_a", "text_a", "year_b", "file_b", "heading_b", "text_b",
        "similarity",
    ),
    "errors": ("path", "reason", "error"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportRows:
    """Compact rows of one report: everything the comparison tables need, without the text."""

    report: dict[str, Any]
    indicators: list[dict[str, Any]]
    slogans: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    shares: dict[str, float]
    slim: Report | None = None
    """The report without its text and structure, kept for pairing recurring problems."""


@dataclass(frozen=True, eq=False)
class Comparison:
    """The comparison tables (pandas DataFrames); see the module docstring for value types.

    ``matrix`` has an index (name, base_unit) and columns (unit, year label); every other table is a
    plain tidy frame with English column keys.
    """

    reports: pd.DataFrame
    indicators: pd.DataFrame
    matrix: pd.DataFrame
    yoy: pd.DataFrame
    categories: pd.DataFrame
    slogans: pd.DataFrame
    slogan_counts: pd.DataFrame
    problems: pd.DataFrame
    measures: pd.DataFrame
    recurring: pd.DataFrame
    errors: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables by name, in workbook order."""
        return {name: getattr(self, name) for name in TABLES}


def report_rows(report: Report) -> ReportRows:
    """Turn one report into compact row dicts (``report_id`` is filled in by :func:`compare_rows`)."""
    meta = report.meta
    head = {
        "report_id": None,
        "file": report.source.path,
        "row": report.source.row,
        "unit": meta.unit,
        "year": meta.year,
    }
    sections = {s.id: s for s in report.sections}
    sentences = {s.id: s.text for s in report.sentences}
    primary = _primary_indicators(report, sections)
    indicators = []
    for index, ind in enumerate(report.indicators):
        section = sections.get(ind.section)
        indicators.append(
            {
                **head,
                "name": ind.name,
                "subject": ind.subject,
                "text": ind.text,
                "number": ind.number,
                "value": ind.value,
                "value_max": ind.value_max,
                "measure_unit": ind.unit,
                "unit_kind": ind.unit_kind,
                "base_value": ind.base_value,
                "base_unit": ind.base_unit,
                "masked": ind.masked,
                "mask": ind.mask,
                "approx": ind.approx,
                "change": ind.change,
                "flag": ind.flag,
                "primary": index in primary,
                "sentence": sentences.get(ind.sentence),
                "section": _heading(section),
                "role": section.role if section else None,
                "start": ind.start,
                "end": ind.end,
            }
        )
    slogans = [
        {
            **head,
            "kind": s.kind,
            "text": s.text,
            "keywords": "、".join(s.keywords),
            "expansion": "、".join(s.expansion),
            "pattern": s.pattern,
            "in_heading": s.in_heading,
            "section": _heading(sections.get(s.section)),
            "start": s.start,
            "end": s.end,
        }
        for s in report.slogans
    ]
    problems, measures = (
        [_finding_row(f, head, sections) for f in group] for group in (report.problems, report.measures)
    )
    shares = {str(k): float(v) for k, v in report.category_shares}
    masked = sum(1 for i in report.indicators if i.masked)
    row = {
        **head,
        "title": meta.title,
        "doc_type": meta.doc_type,
        "plan_year": meta.plan_year,
        "chars": len(report.text),
        "sections": sum(1 for s in report.sections if s.level > 0),
        "paragraphs": len(report.paragraphs),
        "items": len(report.items),
        "indicators": len(report.indicators),
        "masked_share": masked / len(report.indicators) if report.indicators else None,
        "slogans": len(report.slogans),
        "problems": len(report.problems),
        "measures": len(report.measures),
        "warnings": "; ".join(report.warnings),
        **{f"share_{k}": v for k, v in shares.items()},
        **{f"extra_{k}": v for k, v in meta.extra},
    }
    slim = dataclasses.replace(
        report, text="", sections=(), paragraphs=(), sentences=(), items=(), indicators=(), slogans=(),
        measures=(), removed=(), offset_map=(),
    )  # fmt: skip
    return ReportRows(row, indicators, slogans, problems, measures, shares, slim)


def _heading(section: Any) -> str | None:
    if section is None or not section.level:
        return None
    return f"{section.marker}{section.heading}"


def _finding_row(finding: Any, head: dict[str, Any], sections: dict[int, Any]) -> dict[str, Any]:
    return {
        **head,
        "kind": finding.kind,
        "heading": finding.heading,
        "text": finding.text,
        "source": finding.source,
        "section": _heading(sections.get(finding.section)),
        "chars": len(finding.text),
        "start": finding.start,
        "end": finding.end,
    }


def _primary_indicators(report: Report, sections: dict[int, Any]) -> set[int]:
    """Index of the indicator shown in the matrix for each (name, base unit) of a report.

    The first named occurrence wins, leaving out frequencies and durations (``flag``) and everything in
    a plans section: a target (``增长5%左右``, ``不少于20次``) is not a result, and a matrix that mixed
    them would compare one year's target with another year's outcome. Targets stay in the long table.
    """
    chosen: dict[tuple[str, str], int] = {}
    for index, ind in enumerate(report.indicators):
        if ind.name is None or ind.flag:
            continue
        section = sections.get(ind.section)
        if section is not None and section.role == "plans":
            continue
        chosen.setdefault((ind.name, ind.base_unit), index)
    return set(chosen.values())


def _error_row(error: Any) -> dict[str, Any]:
    if isinstance(error, AuditNLPError):
        return {"path": error.path, "reason": error.reason, "error": type(error).__name__}
    if isinstance(error, dict):
        return {k: error.get(k) for k in _COLUMNS["errors"]}
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
        for key, column in self.data.items():
            column.append(row.get(key))
        self.rows += 1

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(
            {k: pd.Series(v, dtype=object) for k, v in self.data.items()}, columns=list(self.data)
        )
        self.data = {k: [] for k in self.data}
        for col in frame.columns:
            if col in ("year", "row", "plan_year"):
                frame[col] = frame[col].astype("Int64")
            elif col not in _EXACT:
                frame[col] = frame[col].infer_objects()
        return frame


_EXACT = {"value", "value_max", "base_value"}
"""Columns that keep Decimal objects (and None) as they are."""


def compare_rows(rows: Iterable[ReportRows], *, errors: Iterable[Any] = ()) -> Comparison:
    """Build the comparison tables from per-report rows (in input order; ids are assigned here).

    Rows are folded into columns as they arrive, so a long batch holds its tables and little more.
    `errors` is read after `rows` is consumed, so a generator may still append failures to it.
    """
    import pandas as pd

    reports = _Columns()
    tables = {
        "indicators": _Columns(_COLUMNS["indicators"]),
        "slogans": _Columns(_COLUMNS["slogans"]),
        "problems": _Columns(_COLUMNS["findings"]),
        "measures": _Columns(_COLUMNS["findings"]),
    }
    shares = _Columns(REPORT_KEYS)
    slims: list[Report] = []
    for report_id, item in enumerate(rows, 1):
        item.report["report_id"] = report_id
        reports.add(item.report)
        for name, group in (
            ("indicators", item.indicators),
            ("slogans", item.slogans),
            ("problems", item.problems),
            ("measures", item.measures),
        ):
            for row in group:
                row["report_id"] = report_id
                tables[name].add(row)
        if item.shares:
            shares.add({k: item.report[k] for k in REPORT_KEYS} | item.shares)
        if item.slim is not None and item.slim.problems:
            slims.append(item.slim)
    notes: list[str] = []
    report_df = reports.frame()
    indicators = tables["indicators"].frame()
    slogans = tables["slogans"].frame()
    recurring, note = _recurring(slims)
    if note:
        notes.append(note)
    return Comparison(
        reports=_order_shares(report_df),
        indicators=indicators,
        matrix=_matrix(indicators, report_df),
        yoy=_yoy(indicators),
        categories=_categories(shares.frame()),
        slogans=slogans,
        slogan_counts=_slogan_counts(slogans),
        problems=tables["problems"].frame(),
        measures=tables["measures"].frame(),
        recurring=recurring,
        errors=pd.DataFrame([_error_row(e) for e in errors], columns=list(_COLUMNS["errors"])),
        notes=tuple(notes),
    )


def compare_reports(
    reports: Iterable[Report | AuditNLPError],
    *,
    errors: Iterable[Any] = (),
    manifest: Manifest | None = None,
) -> Comparison:
    """Compare reports across units and years (errors from ``analyze_many`` may be mixed in).

    `errors` are extra failures to list (``InputError`` objects or ``(path, reason)`` pairs); `manifest`
    (see :func:`auditnlp.manifest.load_manifest`) overrides each report's detected unit, year and so on.
    """
    failed = list(errors)

    def rows() -> Iterator[ReportRows]:
        for report in reports:
            if isinstance(report, AuditNLPError):
                failed.append(report)
            else:
                yield report_rows(apply_manifest(report, manifest))

    return compare_rows(rows(), errors=failed)


def _order_shares(frame: pd.DataFrame) -> pd.DataFrame:
    shares = [c for c in frame.columns if c.startswith("share_")]
    ordered = sorted(shares, key=lambda c: _category_rank(c.removeprefix("share_")))
    rest = [c for c in frame.columns if c not in shares and not c.startswith("extra_")]
    extras = [c for c in frame.columns if c.startswith("extra_")]
    return frame[[*rest, *ordered, *extras]] if len(frame.columns) else frame


def _category_rank(name: str) -> tuple[int, str]:
    return (CATEGORY_ORDER.index(name) if name in CATEGORY_ORDER else len(CATEGORY_ORDER), name)


def report_label(unit: Any, year: Any) -> str:
    """A short label for a report: ``单位 年份`` (``?`` for what is unknown)."""
    unit_text = unit if isinstance(unit, str) and unit else "?"
    year_text = "?" if _missing(year) else str(int(year))
    return f"{unit_text} {year_text}"


def _year_labels(reports: pd.DataFrame) -> dict[int, tuple[str, str]]:
    """report_id → (unit, year label); a year shared by two reports of one unit gets the file name."""
    keys: dict[int, tuple[str, str]] = {}
    seen: Counter[tuple[str, str]] = Counter()
    for rec in reports.itertuples(index=False):
        unit = rec.unit if isinstance(rec.unit, str) and rec.unit else "?"
        year = str(int(rec.year)) if not _missing(rec.year) else "?"
        seen[(unit, year)] += 1
        keys[rec.report_id] = (unit, year)
    for rec in reports.itertuples(index=False):
        unit, year = keys[rec.report_id]
        if seen[(unit, year)] > 1:
            name = str(rec.file).replace("\\", "/").rsplit("/", 1)[-1]
            keys[rec.report_id] = (
                unit,
                f"{year} {name}" + (f"#{int(rec.row)}" if not _missing(rec.row) else ""),
            )
    return keys


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _cell(value: Any, masked: bool) -> Any:
    return MASK if masked or value is None else value


def _matrix(indicators: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Canonical indicators × (unit, year): the base value of each report's primary occurrence."""
    import pandas as pd

    if reports.empty:
        return pd.DataFrame()
    labels = _year_labels(reports)
    columns = sorted(set(labels.values()), key=lambda k: (k[0] == "?", k[0], k[1]))
    primary = indicators[indicators["primary"].astype(bool)] if not indicators.empty else indicators
    cells: dict[tuple[str, str], dict[tuple[str, str], Any]] = defaultdict(dict)
    for rec in primary.itertuples(index=False):
        cells[(rec.name, rec.base_unit)][labels[rec.report_id]] = _cell(rec.base_value, bool(rec.masked))
    index = pd.MultiIndex.from_tuples(sorted(cells), names=["name", "base_unit"])
    col_index = pd.MultiIndex.from_tuples(columns, names=["unit", "year"])
    data = [[cells[key].get(col) for col in columns] for key in sorted(cells)]
    return pd.DataFrame(data, index=index, columns=col_index, dtype=object)


def _yoy(indicators: pd.DataFrame) -> pd.DataFrame:
    """Year-over-year rows for units with a canonical indicator in several years."""
    import pandas as pd

    out: list[dict[str, Any]] = []
    if not indicators.empty:
        primary = indicators[indicators["primary"].astype(bool) & indicators["year"].notna()]
        primary = primary[primary["unit"].notna()]
        subjects = _common_subjects(indicators)
        for (unit, name, base_unit), group in primary.groupby(["unit", "name", "base_unit"], sort=True):
            by_year = group.drop_duplicates("year").sort_values("year")
            if len(by_year) < 2:
                continue
            prev: Any = None
            for rec in by_year.itertuples(index=False):
                value = None if rec.masked else rec.base_value
                row = {
                    "unit": unit,
                    "name": name,
                    "subject": subjects.get(name),
                    "base_unit": base_unit,
                    "year": int(rec.year),
                    "value": _cell(value, bool(rec.masked)),
                    "prev_year": None,
                    "prev_value": None,
                    "change": None,
                    "change_pct": None,
                }
                if prev is not None:
                    row["prev_year"] = int(prev.year)
                    prev_value = None if prev.masked else prev.base_value
                    row["prev_value"] = _cell(prev_value, bool(prev.masked))
                    if isinstance(value, Decimal) and isinstance(prev_value, Decimal):
                        row["change"] = value - prev_value
                        if prev_value:
                            row["change_pct"] = float((value - prev_value) / prev_value * 100)
                out.append(row)
                prev = rec
    frame = pd.DataFrame(out, columns=list(_COLUMNS["yoy"]))
    for col in ("year", "prev_year"):
        frame[col] = frame[col].astype("Int64")
    return frame


def _common_subjects(indicators: pd.DataFrame) -> dict[str, str]:
    """Canonical name → its most frequent subject (a Chinese gloss for the key)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for name, subject in zip(indicators["name"], indicators["subject"], strict=True):
        if isinstance(name, str) and isinstance(subject, str) and subject:
            counts[name][subject] += 1
    return {name: c.most_common(1)[0][0] for name, c in counts.items()}


def matrix_subjects(comparison: Comparison) -> dict[str, str]:
    """Canonical indicator name → the subject most often written for it (for labelling the matrix)."""
    return _common_subjects(comparison.indicators) if not comparison.indicators.empty else {}


def _categories(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    if frame.empty:
        return pd.DataFrame(columns=[*REPORT_KEYS, "label", *CATEGORY_ORDER])
    cats = sorted((c for c in frame.columns if c not in REPORT_KEYS), key=_category_rank)
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
    frame = pd.DataFrame(out, columns=list(_COLUMNS["slogan_counts"]))
    return frame.sort_values(
        ["what", "reports", "occurrences", "text"], ascending=[False, False, False, True]
    ).reset_index(drop=True)


def _recurring(slims: list[Report]) -> tuple[pd.DataFrame, str | None]:
    """Recurring problems paired across reports of the same unit (``pair_problems`` of issue 4).

    A document given twice (same text, unit and year) is paired once: its copies would only repeat the
    same pairs, and pairing costs grow with the square of the reports of a unit.
    """
    import pandas as pd

    empty = pd.DataFrame(columns=list(_COLUMNS["recurring"]))
    distinct: dict[tuple[str, str | None, int | None], Report] = {}
    for slim in slims:
        distinct.setdefault((slim.source.sha256, slim.meta.unit, slim.meta.year), slim)
    slims = list(distinct.values())
    if len(slims) < 2:
        return empty, None
    try:
        from auditnlp.extract.recurrence import pair_problems
    except ImportError:
        return empty, "recurring problems not paired: auditnlp.extract.recurrence is not available"
    rows = [_pair_row(pair) for pair in pair_problems(slims)]
    frame = pd.DataFrame(rows, columns=list(_COLUMNS["recurring"]))
    for col in ("year_a", "year_b"):
        frame[col] = frame[col].astype("Int64")
    return frame, None


def _pair_row(pair: Any) -> dict[str, Any]:
    """One :class:`~auditnlp.extract.recurrence.ProblemPair` as a row of the recurring table."""
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
