"""The checked headline cells, kept as tests: every cell of the comparison matrix against the figures read
by hand (eval/gold/headlines.tsv for the 18 provincial government reports in ../shared, with their offsets
and hashes; eval/gold/sample_headlines.tsv for the bundled samples), and the State Council series' checks.

The government reports and the State Council file are not ours: these tests read them from ../shared and
skip without it; no text of them is kept here, only paths, offsets, values and hashes (in the gold files).
"""

from __future__ import annotations

import csv
import hashlib
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, SHARED, needs_shared

import auditnlp
from auditnlp.corpus.batch import compare_inputs
from auditnlp.corpus.compare import Comparison

GOV_GOLD = ROOT / "eval" / "gold" / "headlines.tsv"
SAMPLE_GOLD = ROOT / "eval" / "gold" / "sample_headlines.tsv"
SAMPLES = ROOT / "corpora" / "samples"
STATE_COUNCIL = SHARED / "corpora" / "gov-reports" / "state-council-1954-2025.jsonl"
TO_GOLD = {"斤": ("吨", Decimal("0.0005")), "公斤": ("吨", Decimal("0.001"))}
CENT = Decimal("0.01")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"))


def _cells(comparison: Comparison, root: Path, names: set[str]) -> dict[tuple[str, str], object]:
    """(document relative to `root`, name) → the matrix cell of every non-empty headline cell."""
    docs = {}
    for rec in comparison.reports.itertuples(index=False):
        unit = rec.unit if isinstance(rec.unit, str) and rec.unit else "?"
        docs[(unit, str(rec.column))] = Path(rec.file).resolve().relative_to(root.resolve()).as_posix()
    out: dict[tuple[str, str], object] = {}
    for (name, base_unit), row in comparison.matrix.iterrows():
        if name not in names:
            continue
        for column, value in row.items():
            if value is not None:
                unit, factor = TO_GOLD.get(str(base_unit), (str(base_unit), Decimal(1)))
                key = (docs[(str(column[0]), str(column[1]))], str(name))
                assert key not in out, f"two rows of {name}: one indicator must be one row"
                out[key] = value if value == "XX" else (Decimal(value) * factor, unit)
    return out


def _expected(row: dict[str, str]) -> object:
    if row.get("masked") == "1":
        return "XX"
    return (Decimal(row["base_value"]), row["base_unit"])


def _same(got: object, want: object) -> bool:
    if got == "XX" or want == "XX":
        return got == want
    assert isinstance(got, tuple) and isinstance(want, tuple)
    if want[1] == "%":
        return got[1] == "%" and got[0].quantize(CENT) == want[0].quantize(CENT)
    return got == want


def _check_all(cells: dict[tuple[str, str], object], gold: list[dict[str, str]]) -> None:
    expected = {(g["doc"], g["name"]): _expected(g) for g in gold if g["role"] == "result"}
    wrong = {
        k: (v, expected.get(k)) for k, v in cells.items() if k not in expected or not _same(v, expected[k])
    }
    missing = sorted(k for k in expected if k not in cells)
    assert not wrong, f"cells shown that the text does not state so: {wrong}"
    assert not missing, f"figures the text states with no cell: {missing}"


def test_sample_corpus_matrix_equals_the_figures_read_by_hand() -> None:
    gold = _rows(SAMPLE_GOLD)
    names = {g["name"] for g in gold}
    comparison = compare_inputs([SAMPLES], manifest=SAMPLES / "manifest.csv", jobs=1, progress=False)
    _check_all(_cells(comparison, ROOT, names), gold)


def test_sample_gold_points_at_the_figures() -> None:
    for row in _rows(SAMPLE_GOLD):
        if not row["start"]:
            assert row["name"] == "money_found"  # a sum of parts has no span
            continue
        (doc,) = auditnlp.read_documents(ROOT / row["doc"])
        figure = doc.text[int(row["start"]) : int(row["end"])]
        assert hashlib.sha1(figure.encode("utf-8")).hexdigest()[:8] == row["sha1"], row


@cache
def _gov() -> Comparison:
    docs = list(dict.fromkeys(g["doc"] for g in _rows(GOV_GOLD)))
    return compare_inputs(
        [SHARED / d for d in docs], options=auditnlp.Options(text_column="full_text"), jobs=2, progress=False
    )


@needs_shared
@pytest.mark.shared
@pytest.mark.slow
def test_government_reports_matrix_equals_the_figures_read_by_hand() -> None:
    gold = _rows(GOV_GOLD)
    names = {g["name"] for g in gold}
    _check_all(_cells(_gov(), SHARED, names), gold)


@needs_shared
@pytest.mark.shared
@pytest.mark.slow
def test_government_reports_shown_values_point_at_their_figures() -> None:
    """Every shown value's source offsets delimit the figure as written (checked against the source)."""
    comparison = _gov()
    values = comparison.values
    shown = values[values["shown"].astype(bool) & values["source_start"].notna()]
    texts: dict[str, str] = {}
    for row in shown.itertuples(index=False):
        if row.file not in texts:  # one report per file (the .csv files hold one row each)
            (doc,) = auditnlp.read_documents(row.file, text_column="full_text")
            texts[row.file] = doc.text
        assert texts[row.file][int(row.source_start) : int(row.source_end)] == row.text


@cache
def _state_council() -> Comparison:
    return compare_inputs(
        [STATE_COUNCIL], options=auditnlp.Options(text_column="content"), jobs=2, progress=False
    )


@pytest.mark.skipif(
    not STATE_COUNCIL.exists(), reason="../shared/corpora/gov-reports is not beside the checkout"
)
@pytest.mark.shared
@pytest.mark.slow
def test_state_council_series_has_gdp_yearly_jobs_and_no_unflagged_gaps() -> None:
    comparison = _state_council()
    matrix = comparison.matrix
    gdp = matrix.loc[("gdp", "元")].dropna()
    assert len(gdp) >= 20  # 国内生产总值, named in the reports since the 1990s
    assert all(Decimal(10) ** 12 < v < Decimal(10) ** 15 for v in gdp if v != "XX")
    jobs = matrix.loc[("urban_new_jobs", "人")].dropna()
    assert len(jobs) >= 15
    # a year's new urban jobs are some 7–14 million: five-year totals (5100万, 5870万) never reach the row
    assert all(v < Decimal(2 * 10**7) for v in jobs if v != "XX"), jobs.to_dict()
    yoy = comparison.yoy
    gaps = yoy[(yoy["prev_year"].notna()) & (yoy["year"] - yoy["prev_year"] > 1)]
    assert len(gaps) > 0
    assert gaps["change"].isna().all() and (gaps["flag"] == "gap").all()
    assert gaps["note"].str.startswith("期间不连续").all()
