"""Group 5 of the reliability review: batches and outputs.

Every input is accounted for (a report row or an error row, one per file) in every mode, and one failing
document never takes another with it. Outputs are written atomically (a kill leaves the previous output
or the new one, complete), never over an input or the manifest, and an unwritable target is a clear error
found before the analysis starts.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import pytest
from _hostile_build import REPORT, docx_with, pdf_text, report_text
from _hostile_run import (
    cases,
    check_clean,
    check_error,
    module,
    params,
    read_tree,
    record,
    run_cli,
    run_process,
    sheet,
    unprivileged,
)

from auditnlp import compare_inputs

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="symlinks, permissions, signals and /proc")


def _good(folder: Path, n: int, prefix: str = "r", first: int = 0) -> list[Path]:
    paths = []
    for i in range(n):
        path = folder / f"{prefix}{i:03d}.txt"
        path.write_text(report_text(first + i, 2020 + i % 5), encoding="utf-8")
        paths.append(path)
    return paths


def _vmerge_docx() -> bytes:
    def build(document):
        from docx.oxml import OxmlElement

        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0)._tc.get_or_add_tcPr().append(OxmlElement("w:vMerge"))

    return docx_with(build)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A folder like the review's 201-entry batch, scaled down: 12 good reports and every kind of bad entry."""
    root = tmp_path_factory.mktemp("batch") / "batch"
    root.mkdir()
    good = _good(root, 12)
    shutil.copy(good[0], root / "dup0_of_r000.txt")
    (root / "bad01_empty.txt").write_bytes(b"")
    (root / "bad02_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with (root / "bad03_too_large.txt").open("wb") as big:  # sparse: over --max-mb without using the disk
        big.truncate(21 * 2**20)
    (root / "bad04_whitespace.txt").write_text(" \n\t\n　\n", encoding="utf-8")
    (root / "bad05_vmerge.docx").write_bytes(_vmerge_docx())
    (root / "bad06_bignum.txt").write_text(
        "某某区审计局2023年工作总结\n审计项目11111111111111111111111111111个\n", encoding="utf-8"
    )
    (root / "bad07_docx_is_text.docx").write_text(REPORT, encoding="utf-8")
    (root / "bad08_truncated.pdf").write_bytes(pdf_text()[:200])
    (root / "bad09_marked.html").write_text(f"<p>{REPORT}</p><![html[x]]>", encoding="utf-8")
    (root / "bad10_garbage.txt").write_bytes(bytes((i * 7919 + 13) % 256 for i in range(3000)))
    (root / "bad11_unreadable.txt").write_text(REPORT, encoding="utf-8")
    (root / "bad11_unreadable.txt").chmod(0)
    (root / "bad13_loop.txt").symlink_to("bad13_loop.txt")
    (root / "bad14_dangling.txt").symlink_to("nope.txt")
    (root / "bad15_dir_named.txt").mkdir()
    (root / "bad16_old_word.doc").write_text("x", encoding="utf-8")
    (root / "_bad17_leading_underscore.txt").write_text(REPORT, encoding="utf-8")
    (root / "bad20_report.wps").write_text("x", encoding="utf-8")
    locked = root / "locked"
    locked.mkdir()
    _good(locked, 3, prefix="l", first=40)
    locked.chmod(0)
    yield root
    locked.chmod(0o755)
    (root / "bad11_unreadable.txt").chmod(0o644)


def _entries(root: Path) -> list[str]:
    """Every entry the batch must account for: files, links and the locked folder (an empty folder, even
    one named like a file, holds no input)."""
    entries = []
    for path in sorted(root.iterdir()):
        if path.is_dir() and not path.is_symlink() and path.name != "locked":
            continue
        entries.append(path.name)
    return entries


def _accounted(rows: dict[str, list[dict]], root: Path) -> tuple[set[str], set[str], set[str]]:
    """(entries with a report row, entries with an error or notice row, good entries reported as failed;
    a copy of another report listed as a Duplicate notice is not a failure)."""
    from auditnlp.corpus.schema import NOTICES

    def entry(path: str) -> str:
        p = Path(path)
        try:
            p = p.relative_to(root)
        except ValueError:
            if not p.is_absolute():
                p = Path(os.path.relpath(os.path.abspath(p), root))
        return p.parts[0] if p.parts else str(p)

    reported = {entry(r["file"]) for r in rows.get("reports", [])}
    failed = {entry(r["path"]) for r in rows.get("errors", [])}
    real = {entry(r["path"]) for r in rows.get("errors", []) if r["error"] not in NOTICES}
    wrongly = {e for e in real if e.startswith(("r0", "dup0"))}
    return reported, failed, wrongly


def _jsonl_tables(path: Path) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        tables.setdefault(row.pop("table"), []).append(row)
    return tables


@cases("G5-accounting-default-jobs", "G5-accounting-jobs1")
@pytest.mark.parametrize(
    ("case", "jobs"), params(("G5-accounting-default-jobs", []), ("G5-accounting-jobs1", ["--jobs", "1"]))
)
def test_compare_accounts_for_every_entry(batch, tmp_path, case, jobs):
    """Each entry of the folder is a report row or an error row; good files are never reported failed."""
    out = tmp_path / "out.jsonl"
    run = run_process(["compare", batch, "-o", out, *jobs], prefix=unprivileged(), timeout=120)
    check_clean(run)
    assert run.code == 1 and out.exists(), run.describe()
    reported, failed, wrongly = _accounted(_jsonl_tables(out), batch)
    assert not wrongly, f"good files reported as failed: {wrongly}"
    missing = [e for e in _entries(batch) if e not in reported | failed]
    assert not missing, f"entries in neither the reports nor the errors: {missing}\n{run.describe()}"
    assert {f"r{i:03d}.txt" for i in range(1, 12)} <= reported
    assert {"r000.txt", "dup0_of_r000.txt"} & reported, "a report and its copy: one is compared, one noted"
    record(case, "ok")


@cases("G5-analyze-folder-one-crasher")
def test_analyze_folder_goes_on_after_a_crashing_file(tmp_path):
    """10 good reports, a 29-digit number and a bad vMerge table: all 12 accounted for, the 10 reported."""
    folder = tmp_path / "analyze_folder"
    folder.mkdir()
    _good(folder, 10)
    (folder / "bignum.txt").write_text(
        "某某区审计局2023年工作总结\n审计项目11111111111111111111111111111个\n", encoding="utf-8"
    )
    (folder / "vmerge.docx").write_bytes(_vmerge_docx())
    run = run_cli(["analyze", folder, "--json"])
    check_clean(run)
    names = {Path(r["source"]["path"]).name for r in run.reports()}
    assert {f"r{i:03d}.txt" for i in range(10)} <= names, run.describe()
    assert len(run.reports()) + len(run.errors()) == 12, run.describe()
    record("G5-analyze-folder-one-crasher", "ok")


@pytest.fixture
def crasher(monkeypatch):
    """Make the analysis of any text holding CRASHME raise a bug (not an input error)."""
    import auditnlp.classify as classify

    real = classify.classify_report

    def classify_report(report, /, **kwargs):
        if "CRASHME" in report.text:
            raise RuntimeError("an extractor bug")
        return real(report, **kwargs)

    monkeypatch.setattr(classify, "classify_report", classify_report)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_crashing_document_fails_alone(tmp_path, crasher, jobs):
    """A document that crashes an extractor is one error row; the rest of its chunk is analysed."""
    folder = tmp_path / "in"
    folder.mkdir()
    _good(folder, 6)
    (folder / "r002.txt").write_text(report_text(2, extra="CRASHME"), encoding="utf-8")
    rows = folder / "rows.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps({"text": report_text(30 + i, extra="CRASHME" if i == 1 else "")}, ensure_ascii=False)
            for i in range(3)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    run = run_cli(["compare", folder, "--text-column", "text", "-o", out, "--jobs", jobs])
    check_error(run, folder / "r002.txt")
    tables = _jsonl_tables(out)
    files = sorted(Path(r["file"]).name + (f"#{r['row']}" if r.get("row") else "") for r in tables["reports"])
    assert files == [*(f"r{i:03d}.txt" for i in range(6) if i != 2), "rows.jsonl#1", "rows.jsonl#3"], files
    errors = sorted(Path(r["path"]).name for r in tables["errors"])
    assert errors == ["r002.txt", "rows.jsonl#2"], errors
    run = run_cli(["analyze", folder, "--text-column", "text", "--json"])
    check_clean(run)
    assert len(run.reports()) == 7 and len(run.errors()) == 2, run.describe()


def test_per_file_time_limit(tmp_path, monkeypatch):
    """A document that takes too long is one error naming the option; the batch goes on."""
    import auditnlp.classify as classify

    real = classify.classify_report

    def classify_report(report, /, **kwargs):
        if "SLOWME" in report.text:
            time.sleep(30)
        return real(report, **kwargs)

    monkeypatch.setattr(classify, "classify_report", classify_report)
    folder = tmp_path / "in"
    folder.mkdir()
    _good(folder, 3)
    (folder / "slow.txt").write_text(report_text(40, extra="SLOWME"), encoding="utf-8")
    start = time.perf_counter()
    run = run_cli(["analyze", folder, "--json", "--timeout", "1"])
    assert time.perf_counter() - start < 20
    line = check_error(run, folder / "slow.txt")
    assert "timeout" in line.lower() or "time limit" in line.lower(), line
    assert len(run.reports()) == 3
    out = tmp_path / "out.jsonl"
    run = run_cli(["compare", folder, "-o", out, "--jobs", "2", "--timeout", "1"])
    check_error(run, folder / "slow.txt")
    assert len(_jsonl_tables(out)["reports"]) == 3


# ---------------------------------------------------------------------------------------- outputs


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _good(folder, 3)
    shutil.copy(folder / "r000.txt", folder / "dup0_of_r000.txt")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,unit,year\nin/r000.txt,东湖区审计局,2020\n", encoding="utf-8")
    return folder, manifest


@pytest.fixture
def analysed(monkeypatch):
    """Count the documents analysed (to check an output error comes before any analysis)."""
    import auditnlp.classify as classify

    real = classify.classify_report
    calls: list[str] = []

    def classify_report(report, /, **kwargs):
        calls.append(report.source.path)
        return real(report, **kwargs)

    monkeypatch.setattr(classify, "classify_report", classify_report)
    return calls


@cases(
    "G5-out-overwrites-input",
    "G5-out-overwrites-manifest",
    "G5-out-overwrites-manifest-xlsx",
    "G5-out-csv-over-file",
    "G5-out-existing-dir",
)
@pytest.mark.parametrize(
    ("case", "target", "extra"),
    params(
        ("G5-out-overwrites-input", "in/dup0_of_r000.txt", []),
        ("G5-out-overwrites-manifest", "manifest.csv", ["--manifest", "manifest.csv", "--format", "csv"]),
        (
            "G5-out-overwrites-manifest-xlsx",
            "manifest.csv",
            ["--manifest", "manifest.csv", "--format", "xlsx"],
        ),
        ("G5-out-csv-over-file", "existing.csv", []),
        ("G5-out-existing-dir", "existing_dir", []),
    ),
)
def test_refused_outputs(inputs, tmp_path, analysed, monkeypatch, case, target, extra):
    """An output over an input, over the manifest, a CSV folder over a file, a directory as a workbook:
    refused with one line before any analysis, and nothing is changed."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing.csv").write_text("keep me\n", encoding="utf-8")
    (tmp_path / "existing_dir").mkdir()
    before = read_tree(tmp_path)
    run = run_cli(["compare", "in", "-o", target, "--jobs", "1", *extra])
    check_error(run, target)
    assert not analysed, "the output was checked only after the analysis"
    assert read_tree(tmp_path) == before, "a file changed"
    record(case, "clear-error")


@cases("G5-render-overwrites-input")
def test_render_refuses_to_overwrite_its_input(tmp_path):
    path = tmp_path / "render_me.txt"
    path.write_text(REPORT, encoding="utf-8")
    run = run_cli(["render", path, "-o", path])
    check_error(run, path)
    assert path.read_text(encoding="utf-8") == REPORT
    record("G5-render-overwrites-input", "clear-error")


@cases("G5-out-readonly-folder")
def test_read_only_output_folder(inputs, tmp_path):
    """A read-only output folder: a one-line error (checked before the analysis), no traceback."""
    folder, _ = inputs
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        run = run_process(["compare", folder, "-o", ro / "out.xlsx", "--jobs", "1"], prefix=unprivileged())
    finally:
        ro.chmod(0o755)
    check_error(run, ro / "out.xlsx")
    assert "compared" not in run.stderr, "the analysis ran before the output was checked"
    assert not list(ro.iterdir())
    record("G5-out-readonly-folder", "clear-error")


@cases("G5-out-dev-full")
def test_disk_full(inputs):
    """Writing to a full disk (/dev/full) is one line, and the device stays a device."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    folder, _ = inputs
    run = run_cli(["compare", folder, "-o", "/dev/full", "--format", "jsonl", "--jobs", "1"])
    check_error(run, "/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode), "/dev/full was replaced"
    record("G5-out-dev-full", "clear-error")


@cases("G5-out-missing-folder")
def test_missing_output_folder_is_created(inputs, tmp_path):
    folder, _ = inputs
    out = tmp_path / "new" / "deeper" / "out.xlsx"
    run = run_cli(["compare", folder, "-o", out, "--jobs", "1"])
    check_clean(run)
    assert run.code == 0, run.describe()
    import openpyxl

    assert (
        sheet(openpyxl.load_workbook(out), "reports").max_row == 2 + 3
    )  # dup0 is a copy of r000: compared once
    assert [p.name for p in out.parent.iterdir()] == ["out.xlsx"], "temporary files left behind"
    record("G5-out-missing-folder", "ok")


@cases("G5-out-inside-input-folder")
def test_output_inside_the_input_folder(inputs, tmp_path):
    """Tables written inside the input folder, then the folder compared again: every file accounted for."""
    folder, _ = inputs
    run = run_cli(["compare", folder, "-o", folder / "tables", "--format", "csv", "--jobs", "1"])
    check_clean(run)
    assert run.code == 0
    out = tmp_path / "again.jsonl"
    run = run_cli(["compare", folder, "--text-column", "text", "-o", out, "--jobs", "1"])
    check_clean(run)
    tables = _jsonl_tables(out)
    seen = {Path(r["file"]).name for r in tables.get("reports", [])} | {
        Path(r["path"]).name.split("#")[0] for r in tables.get("errors", [])
    }
    files = {p.name for p in folder.rglob("*") if p.is_file()}
    assert files <= seen, files - seen
    record("G5-out-inside-input-folder", "ok")


# --------------------------------------------------------------------------------- atomic writes


@pytest.fixture(scope="module")
def comparisons(tmp_path_factory):
    """Two different comparisons (old and new output)."""
    folder = tmp_path_factory.mktemp("cmp")
    paths = _good(folder, 4)
    old = compare_inputs(paths[:2], jobs=1, progress=False)
    new = compare_inputs(paths, jobs=1, progress=False)
    return old, new


def _snapshot(path: Path):
    if path.is_dir():
        return read_tree(path)
    return path.read_bytes()


def _write_and_die(comparison, path: str, fmt: str, target: str, nth: int) -> None:
    """In a child process: write `comparison`, sending SIGTERM to ourselves at the `nth` call of `target`."""
    import importlib

    where, _, attr = target.rpartition(".")
    module_name, _, cls = where.partition(":")
    owner = importlib.import_module(module_name)
    if cls:
        owner = getattr(owner, cls)
    real = getattr(owner, attr)
    count = [0]

    def dying(*args, **kwargs):
        count[0] += 1
        if count[0] == nth:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        return real(*args, **kwargs)

    setattr(owner, attr, dying)
    writer = module("auditnlp.writers.tables", "auditnlp.io.tables")
    writer.write_comparison(comparison, path, fmt)
    os._exit(0)


KILL_POINTS = {
    # format: (what to interrupt, call number at "during" (as the output starts changing), at "mid")
    "xlsx": ("zipfile:ZipFile.write", 1, 6),
    "jsonl": ("json.dumps", 1, 20),
    "csv": ("pandas:DataFrame.to_csv", 2, 6),
}


@cases(
    "G5-sigterm-during-write-xlsx",
    "G5-sigterm-mid-write-xlsx",
    "G5-sigterm-during-write-jsonl",
    "G5-sigterm-mid-write-jsonl",
    "G5-sigterm-during-write-csv",
    "G5-sigterm-mid-write-csv",
)
@pytest.mark.parametrize(
    ("case", "fmt", "when"),
    params(
        ("G5-sigterm-during-write-xlsx", "xlsx", 1),
        ("G5-sigterm-mid-write-xlsx", "xlsx", 2),
        ("G5-sigterm-during-write-jsonl", "jsonl", 1),
        ("G5-sigterm-mid-write-jsonl", "jsonl", 2),
        ("G5-sigterm-during-write-csv", "csv", 1),
        ("G5-sigterm-mid-write-csv", "csv", 2),
    ),
)
def test_killed_while_writing_keeps_the_previous_output(comparisons, tmp_path, case, fmt, when):
    """SIGTERM while the output is being written: the previous output is intact (writes are atomic)."""
    writer = module("auditnlp.writers.tables", "auditnlp.io.tables")
    old, new = comparisons
    path = tmp_path / ("out" if fmt == "csv" else f"out.{fmt}")
    writer.write_comparison(old, path, fmt)
    before = _snapshot(path)
    target, during, mid = KILL_POINTS[fmt]
    nth = during if when == 1 else mid
    child = multiprocessing.get_context("fork").Process(
        target=_write_and_die, args=(new, str(path), fmt, target, nth)
    )
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGTERM, f"the write was not interrupted (exit code {child.exitcode})"
    assert _snapshot(path) == before, "the previous output was damaged by an interrupted write"
    record(case, "ok")


@cases("G5-concurrent-same-output")
def test_concurrent_writers_leave_one_complete_workbook(comparisons, tmp_path):
    """Two writers to one path at once, three times: always one complete workbook."""
    import openpyxl

    writer = module("auditnlp.writers.tables", "auditnlp.io.tables")
    old, new = comparisons
    path = tmp_path / "same.xlsx"
    for _ in range(3):
        threads = [
            threading.Thread(target=writer.write_comparison, args=(c, path, "xlsx")) for c in (old, new)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rows = sheet(openpyxl.load_workbook(path), "reports").max_row - 2
        assert rows in (2, 4)
    assert [p.name for p in tmp_path.iterdir()] == ["same.xlsx"], "temporary files left behind"
    record("G5-concurrent-same-output", "ok")


# ---------------------------------------------------------------------------------------- signals


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


@cases("G5-sigint-during-analysis", "G5-sigterm-during-analysis")
@pytest.mark.parametrize(
    ("case", "sig"),
    params(("G5-sigint-during-analysis", signal.SIGINT), ("G5-sigterm-during-analysis", signal.SIGTERM)),
)
def test_signal_during_analysis(tmp_path, case, sig):
    """Ctrl-C or SIGTERM while workers analyse: the previous output is intact and no worker is left."""
    import subprocess

    folder = tmp_path / "clean"
    folder.mkdir()
    _good(folder, 200)  # enough work that the signal lands while the workers analyse
    out = tmp_path / "out.xlsx"
    previous = compare_inputs(sorted(folder.glob("*.txt"))[:2], jobs=1, progress=False)
    module("auditnlp.writers.tables", "auditnlp.io.tables").write_comparison(previous, out)
    before = out.read_bytes()
    # Ctrl-C as a terminal gives it: a shell's background job (how CI may run the suite) inherits SIGINT
    # ignored, and Python then keeps ignoring it, so the child takes the default handler back first
    start = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            start + "from auditnlp.cli import main; main()",
            "compare",
            folder,
            "-o",
            out,
            "--jobs",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2 and child.poll() is None:
        workers = _children(child.pid)
        time.sleep(0.05)
    assert workers, "the workers never started"
    time.sleep(0.3)
    child.send_signal(sig)
    try:
        child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail("the command did not stop after the signal")
    # a run that finished first would rightly have replaced the output: then the test proves nothing
    assert child.returncode != 0, "the run ended before the signal reached it: give it more work"
    alive = workers
    for _ in range(30):
        alive = [w for w in workers if _running(w)]
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, f"orphan workers: {alive}"
    assert out.read_bytes() == before, "the previous output changed"
    record(case, "ok")
