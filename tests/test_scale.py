"""Large archives: the dataset flow gives the in-memory tables, resumes, survives dead workers; the Dask
engine gives the local engine's output (a ``distributed.LocalCluster`` of two worker processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import ROOT, SAMPLES

from auditnlp.corpus.batch import build_dataset, compare_inputs, expand
from auditnlp.corpus.compare import Comparison, compare_reports
from auditnlp.corpus.dataset import read_ledger
from auditnlp.corpus.engine import LocalEngine
from auditnlp.corpus.finalize import load_comparison
from auditnlp.corpus.manifest import load_manifest
from auditnlp.corpus.schema import TABLES
from auditnlp.errors import OptionsError
from auditnlp.pipeline import analyze_many

sys.path.insert(0, str(ROOT / "scripts"))
from synthetic_corpus import generate

MANIFEST = SAMPLES / "manifest.csv"
DATA = ROOT / "tests" / "data"


def assert_same(a: Comparison, b: Comparison) -> None:
    """Every table equal (values, order, dtypes), notes too."""
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], obj=name)
    assert a.notes == b.notes


def reference(inputs: list[Any], manifest: Path | None = None) -> Comparison:
    """The in-memory comparison of the same inputs (analyse, then compare_reports): what the dataset
    flow must reproduce."""
    paths, errors = expand(inputs, skip=[manifest] if manifest else [])
    loaded = load_manifest(manifest) if manifest else None
    return compare_reports(analyze_many(paths), errors=errors, manifest=loaded)


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 generated reports of 12 units (a few copies among them) and 4 broken files."""
    folder = tmp_path_factory.mktemp("small")
    generate(folder, 60, seed=7, bad=4, units=12)
    return folder


def test_dataset_tables_equal_the_in_memory_tables_on_the_samples() -> None:
    inputs = [SAMPLES, DATA]
    assert_same(reference(inputs, MANIFEST), compare_inputs(inputs, manifest=MANIFEST, jobs=1))


def test_dataset_tables_equal_the_in_memory_tables_on_generated_reports(small_corpus: Path) -> None:
    ref = reference([small_corpus])
    result = compare_inputs([small_corpus], jobs=2)
    assert_same(ref, result)
    assert len(result.recurring) and len(result.yoy) and (result.errors["error"] == "Duplicate").any()
    assert result.errors["error"].isin(["EmptyDocumentError", "InputError", "CorruptFileError"]).sum() >= 3


def test_finalize_in_small_steps_writes_the_same_tables(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finalize's steps bounded to a few rows (year-on-year groups, pair blocks, shown values on disk by
    range of units, a slogan's units as marks) write every table file as one pass does: same rows, same
    order, same types and metadata."""
    import pyarrow.parquet as pq

    import auditnlp.corpus.finalize as finalize

    root = tmp_path / "dataset"
    monkeypatch.setattr(finalize, "UNITS_AT_ONCE", 7)  # several chunks of units in a bucket
    compare_inputs([small_corpus], jobs=1, dataset=root)
    files = sorted(p for p in root.rglob("*.parquet") if "rows" not in p.parts and "files" not in p.parts)
    whole = {p: pq.read_table(p) for p in files}
    for table, least in (("recurring", 3), ("yoy", 8), ("matrix", 8)):
        assert sum(len(t) for p, t in whole.items() if table in p.parts) >= least, table
    monkeypatch.setattr(finalize, "YOY_ROWS", 3)
    monkeypatch.setattr(finalize, "PAIRS_AT_ONCE", 2)
    monkeypatch.setattr(finalize, "SHOWN_AT_ONCE", 10)
    monkeypatch.setattr(finalize, "UNITS_AS_SET", 1)
    ranges: list[int] = []
    real_ranges = finalize._shown_ranges

    def counted(*args: Any) -> dict[str | None, int]:
        found = real_ranges(*args)
        ranges.append(len(set(found.values())))
        return found

    monkeypatch.setattr(finalize, "_shown_ranges", counted)
    finalize.finalize(root)
    assert max(ranges) >= 3  # a bucket's shown values were on disk in three ranges or more
    assert (
        sorted(p for p in root.rglob("*.parquet") if "rows" not in p.parts and "files" not in p.parts)
        == files
    )
    for path in files:
        assert pq.read_table(path).equals(whole[path], check_metadata=True), path


def test_matrix_cells_found_with_numpy_are_those_found_row_by_row(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every chunk of a few units gives the cells of matrix_cells, in its order (chunks of 7 rows or
    more: many chunks, units of several reports)."""
    import auditnlp.corpus.finalize as finalize

    checked: list[int] = []
    numpy_way = finalize._matrix_part

    def both(chunk: Any, labels: Any, names: Any, keys: Any) -> Any:
        found = numpy_way(chunk, labels, names, keys)
        assert found.equals(finalize._matrix_rows(chunk, labels, names, keys), check_metadata=True)
        checked.append(found.num_rows)
        return found

    monkeypatch.setattr(finalize, "UNITS_AT_ONCE", 7)
    monkeypatch.setattr(finalize, "_matrix_part", both)
    compare_inputs([small_corpus], jobs=1, dataset=tmp_path / "dataset")
    assert len(checked) > 5 and max(checked) > 7


def test_a_dataset_is_resumed_and_a_changed_file_analysed_again(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    paths = generate(corpus, 24, seed=3, units=6)
    root = tmp_path / "ds"

    class StopAfter(LocalEngine):
        """Stops the run (as Ctrl-C would) once `limit` partitions are done."""

        def __init__(self, limit: int) -> None:
            super().__init__(jobs=1, partitions=12)
            self.limit = limit

        def wait(self, handles):  # type: ignore[no-untyped-def]
            self.limit -= 1
            if self.limit < 0:
                raise KeyboardInterrupt
            return super().wait(handles)

    with pytest.raises(KeyboardInterrupt):
        build_dataset([corpus], root, engine=StopAfter(2), commit_files=4)
    committed = read_ledger(root).table.num_rows
    assert 0 < committed < 24  # what was committed before the stop, and nothing half-written
    paths[0].write_text(paths[0].read_text(encoding="utf-8") + "\n全年完成审计项目99个。", encoding="utf-8")
    run = build_dataset([corpus], root, jobs=1, commit_files=4)
    assert run.skipped == committed - (1 if committed_has(root, paths[0]) else 0)
    assert run.analysed + run.skipped == 24
    ledger = read_ledger(root).table.to_pylist()
    done = [e["path"] for e in ledger if e["status"] == "done"]
    assert sorted(set(done)) == sorted(str(p) for p in paths)
    assert len(done) == 24 + (1 if committed_has(root, paths[0]) else 0)  # only the changed file twice
    assert_same(compare_inputs([corpus], jobs=1), load_comparison(root))
    again = build_dataset([corpus], root, jobs=1)
    assert (again.analysed, again.skipped) == (0, 24)


def committed_has(root: Path, path: Path) -> bool:
    """Whether the ledger has two entries for `path` (analysed before and after it changed)."""
    return [e["path"] for e in read_ledger(root).table.to_pylist()].count(str(path)) > 1


def test_a_dataset_written_with_other_options_is_not_mixed(tmp_path: Path) -> None:
    from auditnlp.pipeline import Options

    root = tmp_path / "ds"
    build_dataset([SAMPLES / "qingshan_2023_summary.txt"], root, jobs=1)
    with pytest.raises(OptionsError, match="other settings"):
        build_dataset([SAMPLES / "qingshan_2023_summary.txt"], root, jobs=1, options=Options(stages=()))
    run = build_dataset(
        [SAMPLES / "qingshan_2023_summary.txt"], root, jobs=1, options=Options(stages=()), fresh=True
    )
    assert run.analysed == 1
    not_ours = tmp_path / "other"
    not_ours.mkdir()
    (not_ours / "keep.txt").write_text("x")
    with pytest.raises(OptionsError, match="not empty"):
        build_dataset([SAMPLES / "qingshan_2023_summary.txt"], not_ours, jobs=1)


def test_a_run_resumes_with_a_longer_time_limit_and_retries_what_ran_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time limit is not part of what rows depend on: a run resumes under another limit, and the files
    that ran out of time are analysed again when the new limit is longer (only then)."""
    import json

    import auditnlp.classify as classify
    from auditnlp.pipeline import Options

    real = classify.classify_report

    def slow(report, /, **kwargs):  # type: ignore[no-untyped-def]
        if "SLOWME" in report.text:
            time.sleep(3)
        return real(report, **kwargs)

    monkeypatch.setattr(classify, "classify_report", slow)  # in this process (jobs=1)
    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in ("qingshan_2023_summary.txt", "jiangbei_2024_audit_report.txt"):
        (corpus / name).write_bytes((SAMPLES / name).read_bytes())
    text = (SAMPLES / "qingshan_2023_summary.txt").read_text(encoding="utf-8")
    (corpus / "slow.txt").write_text(text.replace("2023", "2022") + "\nSLOWME", encoding="utf-8")
    (corpus / "broken.txt").write_bytes(b"\x00\xff" * 64)
    root = tmp_path / "ds"

    def errors() -> dict[str, str]:
        return {Path(r["path"]).name: r["error"] for r in load_comparison(root).errors.to_dict("records")}

    first = build_dataset([corpus], root, jobs=1, options=Options(timeout=1))
    assert (first.analysed, first.skipped) == (4, 0)
    assert errors() == {"slow.txt": "TimeLimitError", "broken.txt": "EmptyDocumentError"}
    same = build_dataset([corpus], root, jobs=1, options=Options(timeout=0.5))
    assert (same.analysed, same.skipped) == (0, 4)  # a limit no longer: nothing to gain by trying again
    longer = build_dataset([corpus], root, jobs=1, options=Options(timeout=60))
    assert (longer.analysed, longer.skipped) == (1, 3)
    assert errors() == {"broken.txt": "EmptyDocumentError"}
    assert len(load_comparison(root).reports) == 3
    run = root / "_work" / "run.json"  # a dataset written when the limit was part of the fingerprint
    state = json.loads(run.read_text(encoding="utf-8"))
    run.write_text(json.dumps({**state, "fingerprint": {**state["fingerprint"], "timeout": 1}}), "utf-8")
    assert build_dataset([corpus], root, jobs=1, options=Options(timeout=None)).skipped == 4
    with pytest.raises(OptionsError, match=r"other settings \(stages\)"):
        build_dataset([corpus], root, jobs=1, options=Options(stages=(), timeout=1))


class KillOnce:
    """A worker-side hook that kills its own process on the first analysis of one file (a marker file
    remembers it was done), or on every analysis of it when `always`."""

    def __init__(self, name: str, marker: Path, always: bool = False) -> None:
        self.name, self.marker, self.always = name, marker, always

    def __call__(self, report: Any) -> None:
        if report.source.path.endswith(self.name) and (self.always or not self.marker.exists()):
            self.marker.write_text("killed")
            os._exit(9)


def test_local_engine_reruns_the_partition_of_a_dead_worker(small_corpus: Path, tmp_path: Path) -> None:
    ref = compare_inputs([small_corpus], jobs=1)
    victim = sorted(p.name for p in small_corpus.rglob("*.txt") if "_" not in p.name)[10]
    hook = KillOnce(victim, tmp_path / "killed")
    result = compare_inputs([small_corpus], jobs=2, on_report=hook)
    assert (tmp_path / "killed").exists()
    assert_same(ref, result)


def test_a_file_that_kills_every_worker_is_one_error(small_corpus: Path, tmp_path: Path) -> None:
    ref = compare_inputs([small_corpus], jobs=1)
    victim = sorted(p for p in small_corpus.rglob("*.txt") if "_" not in p.name)[5]
    result = compare_inputs(
        [small_corpus], jobs=2, on_report=KillOnce(victim.name, tmp_path / "k", always=True)
    )
    died = result.errors[result.errors["error"] == "WorkerDied"]
    assert died["path"].tolist() == [str(victim)]
    assert len(result.reports) == len(ref.reports) - (str(victim) in set(ref.reports["file"]))


def test_inputs_from_a_list_file_and_a_file_url(tmp_path: Path) -> None:
    from auditnlp.corpus.batch import read_list

    listing = tmp_path / "inputs.txt"
    listing.write_text(
        f"# two reports\n{SAMPLES / 'qingshan_2023_summary.txt'}\n\n{SAMPLES / 'qingshan_2024_summary.txt'}\n"
    )
    assert read_list(listing) == [
        str(SAMPLES / "qingshan_2023_summary.txt"),
        str(SAMPLES / "qingshan_2024_summary.txt"),
    ]
    pytest.importorskip("fsspec")
    url = SAMPLES.resolve().as_uri()
    by_url = compare_inputs([url], manifest=MANIFEST, jobs=1)
    by_path = compare_inputs([SAMPLES.resolve()], manifest=MANIFEST, jobs=1)
    assert by_url.reports["file"].str.startswith("file://").all()
    assert len(by_url.reports) == len(by_path.reports) == 10
    columns = [c for c in by_path.indicators.columns if c != "file"]
    pd.testing.assert_frame_equal(by_url.indicators[columns], by_path.indicators[columns])
    pd.testing.assert_frame_equal(by_url.matrix, by_path.matrix)


def test_compare_cli_keeps_the_dataset_only_when_asked_or_needed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from auditnlp.cli import cli

    out = tmp_path / "c.xlsx"
    result = CliRunner().invoke(cli, ["compare", str(SAMPLES), "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and not (tmp_path / "c.xlsx.dataset").exists()
    view = tmp_path / "v.xlsx"
    result = CliRunner().invoke(
        cli, ["compare", str(SAMPLES), "-o", str(view), "--jobs", "1", "--view-above", "3"]
    )
    assert result.exit_code == 0, result.output
    dataset = tmp_path / "v.xlsx.dataset"
    assert (dataset / "indicators").is_dir() and "full tables are in the dataset" in result.output
    import openpyxl

    book = openpyxl.load_workbook(view, read_only=True)
    assert book.sheetnames[:2] == ["summary", "总览"]  # the view says what it is, then the overview
    summary = [r[0] for r in book["summary"].iter_rows(values_only=True) if r and r[0]]
    assert any(str(dataset) in str(line) for line in summary)
    note = next(book["总览"].iter_rows(min_row=2, max_row=2, values_only=True))[0]
    assert "其余见数据集" not in note  # every (unit, period) column is shown
    from auditnlp.writers.sources import DatasetSource
    from auditnlp.writers.view import write_view

    narrow = write_view(DatasetSource(dataset), tmp_path / "narrow.xlsx", full_reports=3, view_columns=3)
    overview = openpyxl.load_workbook(narrow, read_only=True)["总览"]
    note = next(overview.iter_rows(min_row=2, max_row=2, values_only=True))[0]
    total = load_comparison(dataset).matrix.shape[1]
    assert total > 3 and f"只列出前 3 个单位·期间（共 {total:,} 个），其余见数据集" in note
    rows = list(overview.iter_rows(min_row=7, values_only=True))  # under the headers: a row per column
    block = rows[: next((i for i, r in enumerate(rows) if not r or not r[0]), len(rows))]
    assert len(block) == 3, block
    parquet = tmp_path / "p"
    result = CliRunner().invoke(
        cli, ["compare", str(SAMPLES), "-o", str(parquet), "--format", "parquet", "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    indicators = pd.read_parquet(parquet / "indicators")
    assert len(indicators) == len(load_comparison(parquet).indicators)
    matrix = pd.read_parquet(parquet / "matrix")
    row = matrix[
        (matrix["name"] == "audit_projects")
        & (matrix["unit"] == "青山区审计局")
        & (matrix["period"] == "2024")
    ]
    assert row["value"].tolist() == ["31"]


def test_a_workbook_above_the_in_memory_size_is_streamed_with_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl
    from click.testing import CliRunner

    from auditnlp.cli import cli
    from auditnlp.writers import tables
    from auditnlp.writers.overview import SHEETS

    in_memory = tmp_path / "m.xlsx"
    result = CliRunner().invoke(cli, ["compare", str(SAMPLES), "-o", str(in_memory), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(tables, "IN_MEMORY_REPORTS", 0)
    out = tmp_path / "s.xlsx"
    result = CliRunner().invoke(cli, ["compare", str(SAMPLES), "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    # the overview (headline figures, their changes, marks and colours, the charts' data) is the same
    # as in the workbook built in memory, cell for cell
    built, streamed = openpyxl.load_workbook(in_memory), openpyxl.load_workbook(out)
    assert streamed.sheetnames[0] == "总览"
    for sheet in ("总览", "图表数据"):
        cells = [
            [(c.value, c.number_format, c.font.color and c.font.color.rgb) for c in r] for r in built[sheet]
        ]
        again = [
            [(c.value, c.number_format, c.font.color and c.font.color.rgb) for c in r]
            for r in streamed[sheet]
        ]
        assert again == cells, sheet
    assert any(isinstance(v, float) for r in cells for v, *_ in r)  # figures, not only headers
    assert len(streamed["总览"]._charts) == len(built["总览"]._charts) > 0
    book = openpyxl.load_workbook(out, read_only=True)
    assert "summary" not in book.sheetnames
    expected = compare_inputs([SAMPLES], jobs=1)
    # the same sheets under the same names, the same header rows and code values shown the same way
    numeric = {SHEETS["matrix_values"][0], SHEETS["matrix_mask"][0]}  # the pandas sheets: in memory only
    assert book.sheetnames == [n for n in built.sheetnames if n not in numeric]
    for name in ("reports", "indicators", "values", "yoy", "slogans"):
        title = TABLES[name][0]
        rows = [
            r for r in book[title].iter_rows(min_row=3, values_only=True) if any(v is not None for v in r)
        ]
        assert len(rows) == len(getattr(expected, name)), name
        heads = list(book[title].iter_rows(max_row=2, values_only=True))
        built_heads = list(built[title].iter_rows(max_row=2, values_only=True))
        assert heads == built_heads, name
        if name in ("indicators", "slogans"):
            assert rows == [
                r
                for r in built[title].iter_rows(min_row=3, values_only=True)
                if any(v is not None for v in r)
            ]
    first = next(book[TABLES["indicators"][0]].iter_rows(min_row=3, max_row=3, values_only=True))
    assert first[0] == 1  # report order


# --- Dask -----------------------------------------------------------------------------------------------

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def cluster() -> Any:
    """A local cluster of two worker processes (one thread each), as a user's cluster would be: started
    without the statistical profiler, as the README's ``dask worker`` command is."""
    import dask
    from distributed import Client, LocalCluster

    from auditnlp.corpus.dask_engine import PROFILE_SETTING

    with dask.config.set({PROFILE_SETTING: False}):  # read as the workers start
        lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with lc, Client(lc) as client:
        yield client


def test_dask_engine_starts_its_own_cluster_without_the_profiler() -> None:
    """The profiler keeps ≈ 0.13 MB a second per worker for 17 minutes (bench/scale.md): the engine's own
    local cluster has it off, and so raises no warning about it."""
    import warnings

    from auditnlp.corpus.batch import analyze_chunk
    from auditnlp.corpus.dask_engine import DaskEngine, _profiling
    from auditnlp.corpus.engine import Work
    from auditnlp.pipeline import Options

    engine = DaskEngine(workers=1)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            engine.start(Work(analyze_chunk, Options()))
        assert engine.client is not None
        assert not [w for w in caught if "statistical profile" in str(w.message)]
        assert list(engine.client.run(_profiling).values()) == [False]
    finally:
        engine.close()


def test_dask_engine_gives_the_local_engine_output_on_the_samples(cluster: Any) -> None:
    from auditnlp.corpus.dask_engine import DaskEngine

    local = compare_inputs([SAMPLES, DATA], manifest=MANIFEST, jobs=2)
    on_dask = compare_inputs(
        [SAMPLES, DATA], manifest=MANIFEST, engine=DaskEngine(client=cluster, partitions=5)
    )
    assert_same(local, on_dask)


def test_dask_engine_ships_a_lexicon_folder_to_its_workers(cluster: Any, tmp_path: Path) -> None:
    from auditnlp.corpus.dask_engine import DaskEngine
    from auditnlp.pipeline import Options

    lexicons = tmp_path / "lexicons"
    lexicons.mkdir()
    packaged = ROOT / "auditnlp" / "lexicons" / "indicator_names.tsv"
    lines = packaged.read_text(encoding="utf-8").splitlines()
    (lexicons / "indicator_names.tsv").write_text("\n".join(lines[:1]) + "\n", encoding="utf-8")  # no names
    options = Options(lexicon_dir=str(lexicons))
    local = compare_inputs([SAMPLES / "qingshan_2023_summary.txt"], options=options, jobs=1)
    on_dask = compare_inputs(
        [SAMPLES / "qingshan_2023_summary.txt"], options=options, engine=DaskEngine(client=cluster)
    )
    assert_same(local, on_dask)
    assert local.indicators["name"].isna().all()


def test_dask_engine_ships_a_model_with_its_sidecar_and_arrays(cluster: Any, tmp_path: Path) -> None:
    from auditnlp.corpus.dask_engine import DaskEngine
    from auditnlp.pipeline import Options

    model = tmp_path / "model" / "mine.skops"  # a copy under another name: nothing found by the package
    model.parent.mkdir()
    for suffix in (".skops", ".json", ".npz"):
        packaged = ROOT / "auditnlp" / "models" / f"category_model{suffix}"
        model.with_suffix(suffix).write_bytes(packaged.read_bytes())
    options = Options(model=str(model))
    path = SAMPLES / "qingshan_2023_summary.txt"
    local = compare_inputs([path], options=options, jobs=1)
    on_dask = compare_inputs([path], options=options, engine=DaskEngine(client=cluster))
    assert_same(local, on_dask)
    assert len(on_dask.reports) == 1 and on_dask.errors.empty


@pytest.mark.slow
def test_dask_engine_on_2000_generated_reports_with_a_killed_worker_and_a_resumed_run(
    cluster: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """2,000 varied reports (short ones, for CI time) and 20 broken files: an interrupted run (killed
    with SIGKILL, workers and all) resumed on the cluster, where one worker dies mid-partition, gives the
    local engine's tables."""
    from auditnlp.corpus.dask_engine import DaskEngine

    work = tmp_path_factory.mktemp("big")
    corpus = work / "corpus"
    paths = generate(corpus, 2000, seed=11, bad=20, short=True)  # short: CI time
    local_root = work / "local"
    local = build_dataset([corpus], local_root, jobs=2)
    copies = (load_comparison(local_root).errors["error"] == "Duplicate").sum()
    assert local.tables.reports + copies == 2000 and local.tables.failures == 20

    # 1. a run on a local Dask cluster of its own, stopped hard once two commits are on disk
    root = work / "dask"
    command = [
        sys.executable, "-m", "auditnlp", "compare", str(corpus), "-o", str(root), "--format", "parquet",
        "--engine", "dask", "--jobs", "2", "--commit-every", "100",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 600
    while len(list((root / "_work" / "files").glob("c*.parquet"))) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = read_ledger(root).table.num_rows
    assert 0 < committed < len(paths)

    # 2. resumed on the test's cluster; one worker is killed while it analyses a file not yet analysed
    done = {e["path"] for e in read_ledger(root).table.to_pylist()}
    left = [p for p in paths if str(p) not in done and "_" not in p.name]
    hook = KillOnce(left[len(left) // 2].name, work / "killed")
    run = build_dataset(
        [corpus], root, engine=DaskEngine(client=cluster, partitions=40), on_report=hook, commit_files=100
    )
    assert (work / "killed").exists()
    assert run.skipped == committed and run.analysed + run.skipped == len(paths)
    ledger = read_ledger(root).table.to_pylist()
    assert sorted(e["path"] for e in ledger) == sorted(str(p) for p in paths)  # each file once
    assert_same(load_comparison(local_root), load_comparison(root))


def test_dask_engine_keeps_the_time_limit_and_isolation_in_its_worker_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Dask worker runs tasks in threads, where SIGALRM cannot reach: a document that runs past the
    time limit and one whose analysis crashes are each one error there too, and the other files of their
    partition are analysed (a cluster of threads in this process, so the slow stage can be patched in)."""
    import shutil

    from distributed import Client, LocalCluster

    import auditnlp.classify as classify
    from auditnlp.corpus.dask_engine import DaskEngine
    from auditnlp.pipeline import Options

    real = classify.classify_report

    def classify_report(report: Any, /, **kwargs: Any) -> Any:
        if "SLOWME" in report.text:
            end = time.monotonic() + 60
            while time.monotonic() < end:  # Python steps: the limit can stop it between two
                pass
        if "CRASHME" in report.text:
            raise ZeroDivisionError("a bug in one document")
        return real(report, **kwargs)

    monkeypatch.setattr(classify, "classify_report", classify_report)
    sample = SAMPLES / "qingshan_2023_summary.txt"
    text = sample.read_text(encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sample, folder / "a_good.txt")
    (folder / "b_slow.txt").write_text(text + "\nSLOWME\n", encoding="utf-8")
    (folder / "c_crash.txt").write_text(text + "\nCRASHME\n", encoding="utf-8")
    start = time.monotonic()
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as lc,
        Client(lc) as client,
        pytest.warns(RuntimeWarning, match="1 of the cluster's 1 Dask workers keep a statistical profile"),
    ):
        result = compare_inputs(
            [folder], options=Options(timeout=2), engine=DaskEngine(client=client, partitions=1)
        )
    assert time.monotonic() - start < 40
    errors = dict(zip(result.errors["path"], result.errors["error"], strict=True))
    assert errors == {
        str(folder / "b_slow.txt"): "TimeLimitError",
        str(folder / "c_crash.txt"): "AnalysisError",
    }
    assert list(result.reports["file"]) == [str(folder / "a_good.txt")]
