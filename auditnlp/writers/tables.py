"""Write a :class:`~auditnlp.corpus.compare.Comparison` as xlsx, csv, parquet or jsonl.

``csv`` and ``parquet`` write one file per table into a folder; ``jsonl`` writes one file whose lines
carry a ``table`` key; ``xlsx`` is the workbook of :mod:`auditnlp.writers.workbook`. The matrix is flattened
for the flat formats: columns ``name, base_unit, <unit> <year>…``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditnlp.errors import OptionsError
from auditnlp.writers.output import atomic_file, atomic_folder

if TYPE_CHECKING:
    import pandas as pd

    from auditnlp.corpus.compare import Comparison

FORMATS = ("xlsx", "csv", "parquet", "jsonl")


def guess_format(path: str | Path) -> str:
    """The output format for a path: its suffix when known, else ``xlsx``."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "xlsx"


def flat_tables(comparison: Comparison) -> dict[str, pd.DataFrame]:
    """The tables with the matrix flattened to plain columns (``name, label, base_unit``, then ``unit year``
    per report column), followed by ``matrix_values`` (the matrix as float64, masked and missing cells
    empty) and ``matrix_mask`` (True where the source masked the figure)."""
    from auditnlp.corpus.frames import numeric_matrix

    tables = comparison.tables()
    matrix = tables["matrix"]
    values, mask = numeric_matrix(matrix)
    for name, frame in (("matrix", matrix), ("matrix_values", values), ("matrix_mask", mask)):
        if len(frame.columns):
            flat = frame.copy()
            flat.columns = [f"{unit} {year}" for unit, year in frame.columns]
            flat = flat.reset_index()
            flat.insert(1, "label", [comparison.indicator_labels.get(n, "") for n in flat["name"]])
            tables[name] = flat
        else:
            import pandas as pd

            tables[name] = pd.DataFrame(columns=["name", "label", "base_unit"])
    return tables


def table_files(fmt: str) -> tuple[str, ...]:
    """The file names a folder output of `fmt` holds (one per table)."""
    from auditnlp.corpus.schema import TABLES

    return tuple(f"{name}.{fmt}" for name in TABLES)


def dataset_files() -> tuple[str, ...]:
    """The names a dataset folder holds (its working folder and its tables, as folders or files)."""
    from auditnlp.corpus.dataset import FINAL_TABLES, WORK

    return (WORK, *FINAL_TABLES, *(f"{name}.parquet" for name in FINAL_TABLES))


def write_comparison(
    comparison: Comparison, path: str | Path, format: str | None = None, *, lang: str = "zh"
) -> Path:
    """Write the comparison in `format` (default: from the suffix of `path`); return what was written.

    `lang` is the workbook's language (``zh``: Chinese sheet names, headers and code values; ``en``). The
    output is written atomically (see :mod:`auditnlp.writers.output`): an interrupted write leaves the
    previous output whole. Raises :class:`~auditnlp.errors.OutputError` when it cannot be written.
    """
    fmt = format or guess_format(path)
    path = Path(path)
    if fmt == "xlsx":
        from auditnlp.writers.workbook import write_workbook

        return write_workbook(comparison, path, lang=lang)  # type: ignore[arg-type]
    if fmt not in FORMATS:
        raise OptionsError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    tables = flat_tables(comparison)
    if fmt == "jsonl":
        with atomic_file(path) as temporary, temporary.open("w", encoding="utf-8") as out:
            for name, frame in tables.items():
                for record in frame.to_dict("records"):
                    row = {"table": name, **{str(k): _json(v) for k, v in record.items()}}
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return path
    with atomic_folder(path) as folder:
        for name, frame in tables.items():
            if fmt == "csv":
                neutralised(frame).to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
            else:
                _arrow_safe(frame).to_parquet(folder / f"{name}.parquet", index=False)
    return path


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula in a CSV cell (OWASP, CSV injection)."""


def neutralise(value: Any) -> Any:
    """A CSV cell that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP); others as they are.

    Only text is touched: numbers (a negative change, -3.5) stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell and column name neutralised for CSV (see :func:`neutralise`)."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for position in range(out.shape[1]):
        series = out.iloc[:, position]
        if series.dtype == object or str(series.dtype) in {"string", "str"}:
            out.iloc[:, position] = [neutralise(v) for v in series]
    return out


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _arrow_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing types (Decimal and ``"XX"``) become strings; pure Decimal columns stay exact."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype != object:
            continue
        kinds = {type(v) for v in out[column] if v is not None and v == v}
        if len(kinds) > 1:
            out[column] = [None if v is None or v != v else str(v) for v in out[column]]
        elif kinds == {Decimal}:
            import pyarrow as pa

            try:
                pa.array(out[column], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # precision beyond decimal128: fall back
                out[column] = [None if v is None else float(v) for v in out[column]]
    return out


IN_MEMORY_REPORTS = 1_000
"""Up to this many reports ``compare`` writes the workbook built in memory (with the overview and numeric
matrix sheets); above, the one streamed from the dataset, whose memory does not grow with the corpus."""


def write_dataset(
    root: str | Path,
    path: str | Path,
    format: str | None = None,
    *,
    lexicon: Any = None,
    lang: str = "zh",
    **view: int,
) -> tuple[Path, bool]:
    """Write the tables of a finished dataset in `format`; return what was written and whether it holds
    every row of every table.

    ``parquet`` is the dataset itself; ``csv`` writes one file per table into a folder and ``jsonl`` one
    file, streamed, both with the matrix as one row per cell (``name, label, base_unit, unit, year,
    value``). ``xlsx``: up to :data:`IN_MEMORY_REPORTS` reports the workbook of :func:`write_comparison`
    (built in memory, with its overview sheet); beyond, the workbook streamed by
    :func:`auditnlp.writers.view.write_view` in constant memory: every row up to ``full_reports`` reports
    (`view`, default :data:`~auditnlp.writers.view.FULL_REPORTS`), a summary and the first rows of each
    table above (`view` passes ``view_rows`` and ``view_columns`` on).
    """
    import csv

    from auditnlp.corpus.finalize import MATRIX_COLUMNS
    from auditnlp.writers.sources import DatasetSource, table_names
    from auditnlp.writers.view import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS, FULL_REPORTS, write_view

    fmt = format or guess_format(path)
    path = Path(path)
    source = DatasetSource(root, lexicon=lexicon)
    if fmt == "parquet":
        return Path(root), True
    if fmt == "xlsx":
        reports = source.count("reports")
        full = reports <= view.get("full_reports", FULL_REPORTS)
        if full and reports <= IN_MEMORY_REPORTS:
            from auditnlp.corpus.finalize import load_comparison

            write_comparison(load_comparison(root, lexicon=lexicon), path, "xlsx", lang=lang)
        else:
            write_view(source, path, lexicon=lexicon, lang=lang, **view)  # type: ignore[arg-type]
        fits = all(source.count(n) <= EXCEL_MAX_ROWS - 3 for n in table_names() if n != "matrix")
        fits = fits and source.matrix(0)[1] <= EXCEL_MAX_COLUMNS - 3
        return path, full and fits
    if fmt not in FORMATS:
        raise OptionsError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if fmt == "jsonl":
        with atomic_file(path) as tmp, tmp.open("w", encoding="utf-8") as out:
            for name in table_names():
                columns = source.columns(name) or list(MATRIX_COLUMNS)
                for row in source.rows(name):
                    record = {"table": name, **{k: _json(v) for k, v in zip(columns, row, strict=True)}}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path, True
    with atomic_folder(path) as folder:
        for name in table_names():
            columns = source.columns(name) or list(MATRIX_COLUMNS)
            with (folder / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out)
                writer.writerow([neutralise(c) for c in columns])
                for row in source.rows(name):
                    writer.writerow(["" if v is None else neutralise(v) for v in row])
    return path, True
