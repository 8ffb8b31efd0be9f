"""The matrix (canonical names × report columns) and the year-on-year table, built from the ``values`` rows.

Each report has one matrix column keyed by (unit, covered period): ``("河北省", "2024年")``,
``("南湖区审计局", "2024年上半年")``; two reports of one unit and period get their file name added. A cell is
the shown value of the name (:mod:`auditnlp.corpus.headlines`): a signed number in the row's base unit, or
``XX`` when masked. Year-on-year rows compare the shown values of consecutive periods of the same span; where
a change would compare unlike things the row says why and no change is computed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.headlines import consecutive
from auditnlp.corpus.schema import MASK, TABLE_COLUMNS
from auditnlp.types import Period

if TYPE_CHECKING:
    import pandas as pd

    from auditnlp.lexicon import LexiconsLike

__all__ = [
    "BIG_CHANGE",
    "RATE_UNITS",
    "column_labels",
    "column_periods",
    "column_sort_key",
    "matrix_cells",
    "matrix_frame",
    "matrix_of",
    "yoy_of",
]

BIG_CHANGE = 100.0
"""A change beyond ± this many percent is flagged for checking."""
RATE_UNITS = frozenset({"%", "‰", "个百分点"})
"""Base units of rates: their change is a difference in points, with no percentage change."""


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _given(value: Any) -> Any:
    """`value`, or ``None`` when it is missing (``None`` or a table's NaN, which is truthy)."""
    return None if _missing(value) else value


def column_label(period: Period | None, year: Any) -> str:
    """A report's matrix column label: its covered year for a year's results, else its period code
    (2024H1, 2021-2025, 2025P), so part-year figures never sit under a year as if they were the year's."""
    if period is not None:
        return str(period.year) if period.span == "year" and not period.plan else period.code
    return "?" if _missing(year) else str(int(year))


def column_labels(reports: pd.DataFrame, periods: Mapping[int, Period | None]) -> dict[int, tuple[str, str]]:
    """report_id → (unit, column label); a label shared by two reports of a unit gets the file name (and
    row) added."""
    keys: dict[int, tuple[str, str]] = {}
    seen: Counter[tuple[str, str]] = Counter()
    for rec in reports.itertuples(index=False):
        unit = rec.unit if isinstance(rec.unit, str) and rec.unit else "?"
        key = (unit, column_label(periods.get(rec.report_id), rec.year))
        seen[key] += 1
        keys[rec.report_id] = key
    for rec in reports.itertuples(index=False):
        unit, label = keys[rec.report_id]
        if seen[(unit, label)] > 1:
            name = str(rec.file).replace("\\", "/").rsplit("/", 1)[-1]
            keys[rec.report_id] = (
                unit,
                f"{label} {name}" + (f"#{int(rec.row)}" if not _missing(rec.row) else ""),
            )
    return keys


MatrixCells = dict[tuple[str, str], dict[tuple[str, str], Any]]
"""(name, base unit) → (unit, column label) → cell."""


def column_sort_key(key: tuple[str, str], period: Period | None) -> tuple[Any, ...]:
    """Sort key of a matrix column (unit, label) whose report covers `period`: units by name (unknown
    last), then in time."""
    when = (period.year, period.start_month, period.end_year, period.end_month) if period else (9999, 0, 0, 0)
    return (key[0] == "?", key[0], when, key[1])


def column_periods(
    labels: Mapping[int, tuple[str, str]], periods: Mapping[int, Period | None]
) -> dict[tuple[str, str], Period | None]:
    """Each matrix column's period (of the last report, in report order, that has the column)."""
    return {labels[rid]: periods.get(rid) for rid in labels}


def matrix_cells(values: pd.DataFrame, labels: Mapping[int, tuple[str, str]]) -> MatrixCells:
    """The matrix's cells: the shown rows of `values` under their reports' columns (`labels`:
    :func:`column_labels`); a unit's cells need only that unit's rows."""
    cells: MatrixCells = defaultdict(dict)
    if not values.empty:
        shown = values[values["shown"].astype(bool)]
        for rec in shown.itertuples(index=False):
            cell = MASK if rec.masked or rec.value is None else rec.value
            cells[(rec.name, rec.base_unit)][labels[rec.report_id]] = cell
    return cells


def matrix_frame(
    cells: MatrixCells, columns: Sequence[tuple[str, str]], order: Sequence[str] = ()
) -> pd.DataFrame:
    """The matrix as a frame: `columns` in the order given, rows in `order` (the lexicon's order of names),
    names it lacks last."""
    import pandas as pd

    rank = {name: i for i, name in enumerate(order)}
    keys = sorted(cells, key=lambda k: (rank.get(k[0], len(rank)), k))
    index = pd.MultiIndex.from_tuples(keys, names=["name", "base_unit"])
    col_index = pd.MultiIndex.from_tuples(list(columns), names=["unit", "period"])
    data = [[cells[key].get(col) for col in columns] for key in keys]
    return pd.DataFrame(data, index=index, columns=col_index, dtype=object)


def matrix_of(
    values: pd.DataFrame,
    reports: pd.DataFrame,
    periods: Mapping[int, Period | None],
    order: Sequence[str] = (),
) -> pd.DataFrame:
    """Canonical names × (unit, period): the shown value of each name in each report; rows in `order`
    (the lexicon's order of names), names it lacks last."""
    import pandas as pd

    if reports.empty:
        return pd.DataFrame()
    labels = column_labels(reports, periods)
    by_key = column_periods(labels, periods)
    columns = sorted(set(labels.values()), key=lambda k: column_sort_key(k, by_key.get(k)))
    return matrix_frame(matrix_cells(values, labels), columns, order)


def _reason(earlier: Period | None, later: Period | None) -> str | None:
    """Why the values of two periods of the same span are not compared (``None`` when they are)."""
    if earlier is None or later is None:
        return "期间不明"
    if not consecutive(earlier, later):
        gap = later.year - earlier.end_year
        return f"期间不连续：{earlier.label} → {later.label}（相隔{gap}年）"
    return None


UNIDENTIFIED = "单位仅有机关名称、无地名，可能来自不同单位：不作比较"
"""The note of a year-on-year row of a unit that does not identify one office (审计局, 市审计局)."""


def yoy_of(
    values: pd.DataFrame, periods: Mapping[int, Period | None], *, lexicon: LexiconsLike = None
) -> pd.DataFrame:
    """One row per shown value of a unit whose name has values in several reports, with the change from the
    value before it when the two are comparable, else the reason why not; large changes are flagged. A
    unit that names no single office (a body with at most its level, see
    :func:`~auditnlp.segment.units.identifies`) gets its rows with no change and :data:`UNIDENTIFIED`."""
    import pandas as pd

    from auditnlp.segment.meta_rules import meta_rules
    from auditnlp.segment.units import identifies

    rules = meta_rules(lexicon)
    out: list[dict[str, Any]] = []
    if not values.empty:
        shown = values[values["shown"].astype(bool) & values["unit"].notna()]
        groups: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
        for rec in shown.itertuples(index=False):  # grouped by hand: a pandas group costs ~10 ms
            if not (_missing(rec.name) or _missing(rec.base_unit)):
                groups[(rec.unit, rec.name, rec.base_unit)].append(rec)
        for (unit, name, base_unit), group in sorted(groups.items(), key=lambda kv: kv[0]):
            records = [r for r in group if periods.get(r.report_id) is not None]
            records.sort(key=lambda r: _period_key(periods[r.report_id]))
            if len(records) < 2:
                continue
            if not identifies(unit, rules):
                for rec in records:
                    row = _yoy_row(unit, name, base_unit, rec, None, periods)
                    row["note"] = UNIDENTIFIED
                    out.append(row)
                continue
            for i, rec in enumerate(records):
                period = periods[rec.report_id]
                earlier = records[:i]
                prev = next((p for p in reversed(earlier) if _comparable(periods[p.report_id], period)), None)
                row = _yoy_row(unit, name, base_unit, rec, prev, periods)
                if prev is None and earlier:
                    last = periods[earlier[-1].report_id]
                    row["note"] = (
                        f"期间长度不同，不作比较：无同长度的上期（上期为{last.label if last else '?'}，"
                        f"本期为{period.label if period else '?'}）"
                    )
                out.append(row)
    frame = pd.DataFrame(out, columns=list(TABLE_COLUMNS["yoy"]))
    for col in ("year", "prev_year"):
        frame[col] = frame[col].astype("Int64")
    return frame


def _period_key(period: Period | None) -> tuple[int, int, int, int]:
    if period is None:
        return (9999, 0, 0, 0)
    return (period.year, period.start_month, period.end_year, period.end_month)


def _comparable(a: Period | None, b: Period | None) -> bool:
    return a is not None and b is not None and a.comparable(b)


def _value(rec: Any) -> Any:
    return MASK if rec.masked or rec.value is None else rec.value


def _yoy_row(
    unit: str, name: str, base_unit: str, rec: Any, prev: Any, periods: Mapping[int, Period | None]
) -> dict[str, Any]:
    period = periods[rec.report_id]
    row: dict[str, Any] = {
        "unit": unit,
        "name": name,
        "label": rec.label,
        "base_unit": base_unit,
        "year": period.end_year if period else None,
        "period": period.code if period else rec.period,
        "value": _value(rec),
        "qualifier": rec.qualifier,
        "prev_year": None,
        "prev_period": None,
        "prev_value": None,
        "prev_qualifier": None,
        "change": None,
        "change_pct": None,
        "flag": None,
        "note": None,
        "sentence": rec.sentence,
        "prev_sentence": None,
    }
    if prev is None:
        row["note"] = "首期"
        return row
    before = periods[prev.report_id]
    row.update(
        {
            "prev_year": before.end_year if before else None,
            "prev_period": before.code if before else prev.period,
            "prev_value": _value(prev),
            "prev_qualifier": prev.qualifier,
            "prev_sentence": prev.sentence,
        }
    )
    reason = _reason(before, period)
    flags = []
    if reason is None and (rec.masked or prev.masked or rec.value is None or prev.value is None):
        reason = "数值脱敏"
    role, prev_role = _given(rec.role), _given(prev.role)
    if reason is None and role != prev_role:
        reason = f"数值性质不同：{prev_role} → {role}"
    if reason is not None:
        row["note"] = reason
        if reason.startswith("期间不连续"):
            row["flag"] = "gap"
        return row
    value, prev_value = Decimal(rec.value), Decimal(prev.value)
    row["change"] = value - prev_value
    if base_unit in RATE_UNITS:
        row["note"] = "比率：变化为百分点，不计变化率"
    elif prev_value:
        pct = float((value - prev_value) / abs(prev_value) * 100)
        row["change_pct"] = pct
        if abs(pct) > BIG_CHANGE:
            flags.append("beyond ±100%")
    if _given(rec.qualifier) or _given(prev.qualifier):  # a table's missing qualifier is NaN, not None
        flags.append("approximate or bound")
    if "disagree" in (rec.flag, prev.flag):
        flags.append("candidates disagree")
    row["flag"] = "; ".join(flags) or None
    return row
