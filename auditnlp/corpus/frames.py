"""The comparison tables for pandas users: numbers as floats, masked cells empty, masks apart.

The tables of a :class:`~auditnlp.corpus.compare.Comparison` keep exact :class:`~decimal.Decimal` values
and show a masked (redacted) figure as ``"XX"``: right for reading, awkward for computing
(``matrix.astype(float)`` fails on ``"XX"``). :func:`frames` gives the same tables with every value column
as ``float64`` (``NaN`` where the cell is empty or masked), and the masks as separate boolean tables or
columns, so ``astype(float)``, ``mean()`` and plotting just work.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from auditnlp.corpus.schema import MASK

if TYPE_CHECKING:
    import pandas as pd


def _float(value: Any) -> float:
    if value is None or isinstance(value, str | bool):
        return float("nan")
    if isinstance(value, Decimal):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def numeric_matrix(matrix: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values, mask) of a display matrix: values ``float64`` with ``NaN`` for empty and masked cells;
    mask ``True`` where the source masked the figure (``XX``). Index and columns are the matrix's."""
    import pandas as pd

    values = pd.DataFrame(
        [[_float(v) for v in row] for row in matrix.itertuples(index=False, name=None)],
        index=matrix.index,
        columns=matrix.columns,
        dtype="float64",
    )
    rows = list(matrix.itertuples(index=False, name=None))
    mask = pd.DataFrame(
        [[isinstance(v, str) and v == MASK for v in row] for row in rows],
        index=matrix.index,
        columns=matrix.columns,
        dtype=bool,
    )
    return values, mask


def numeric_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A long table with its value columns as ``float64``; a column that held ``XX`` gets a boolean
    ``<column>_masked`` beside it."""
    out = frame.copy()
    for key in list(frame.columns):
        if frame[key].dtype != object or not _numeric_column(frame[key]):
            continue
        masked = [isinstance(v, str) and v == MASK for v in frame[key]]
        out[key] = [_float(v) for v in frame[key]]
        out[key] = out[key].astype("float64")
        if any(masked):
            out.insert(out.columns.get_loc(key) + 1, f"{key}_masked", masked)
    return out


def _numeric_column(values: pd.Series) -> bool:
    """Exact numbers (Decimal), possibly with ``XX``, and nothing else but empty cells."""
    seen = False
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            continue
        if isinstance(v, Decimal) or (isinstance(v, str) and v == MASK):
            seen = True
        elif isinstance(v, bool) or not isinstance(v, int | float):
            return False
    return seen


def frames(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The comparison's `tables` for computing: ``matrix`` numeric (``float64``), ``matrix_mask``
    (``True`` = masked in the source), ``matrix_display`` (the matrix as shown, with ``XX``), and the long
    tables with float value columns."""
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        if name == "matrix":
            values, mask = numeric_matrix(frame)
            out["matrix"] = values
            out["matrix_mask"] = mask
            out["matrix_display"] = frame
        else:
            out[name] = numeric_table(frame)
    return out
