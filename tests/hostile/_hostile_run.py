"""Running hostile cases: the CLI in this process (with a watchdog) or in a child process (with a time
and memory limit), and the checks every case shares: no traceback, one line per failing input naming
the file, every input accounted for.

Set ``AUDITNLP_HOSTILE_TALLY=<file>`` to append each case's verdict (``ok`` or ``clear-error``) to a
JSON Lines file; ``python tests/hostile/tally.py <file>`` prints the table of the review.
"""

from __future__ import annotations

import _thread
import contextlib
import importlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from auditnlp.errors import AuditNLPError

TALLY = "AUDITNLP_HOSTILE_TALLY"
HANG_SECONDS = 60.0
"""A case that runs longer than this is a hang (the review's worst cases ran for minutes to days)."""
CHILD_MEMORY_MB = 3072
"""Address-space limit of a child process: a resource bomb fails with MemoryError instead of the machine."""

# what the CLI may print on stderr besides one `error: <file>: <reason>` line per failing input
_STDERR_OK = ("error: ", "warning: ", "skipped: ", "note: ")
_STDERR_SUMMARY = (" input(s) failed", " report(s) compared", " → ")

CASES_ATTR = "__hostile_cases__"


def cases(*ids: str) -> Callable[[Any], Any]:
    """Mark a test as building and checking these cases of the review (see test_hostile_coverage)."""

    def mark(func: Any) -> Any:
        setattr(func, CASES_ATTR, (*getattr(func, CASES_ATTR, ()), *ids))
        return func

    return mark


def record(case: str, verdict: str) -> None:
    """Append a case's verdict to the tally file, when one is set."""
    assert verdict in {"ok", "clear-error"}, verdict
    target = os.environ.get(TALLY)
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"case": case, "verdict": verdict}) + "\n")


FAILURES = ("crash", "hang", "injection", "lost file", "lost output", "other failure")
"""The kinds of failed case the tally counts (tests/conftest.py records a failing case of this folder with
the kind :func:`failure_kind` reads from its failure message)."""


# the words a failure message starts with or holds, first match wins (checked on the lowered message)
_KINDS = (
    ("hang", ("hang", "timeout", "ran longer than", "killed after")),
    ("crash", ("crash", "traceback", "killed by signal", "unexpected exit code", "stderr line that is not")),
    ("injection", ("formula", "injection", "hyperlink", "neutralis", "'=")),
    ("other failure", ("expected a clear error", "does not say")),
    ("lost output", ("output", "overwr", "temporary files", "a file changed", "replaced", "previous")),
    ("lost file", ("report(s)", "entries", "accounted", "missing", "reported as failed", "rows", "error")),
)


def failure_kind(message: str, exception: str, module: str = "") -> str:
    """The tally's name for a failed check: an exception other than an assertion is a crash; a check of
    the injection tests that fails is an injection."""
    if exception and exception not in {"AssertionError", "Failed"}:
        return "crash"
    if module.endswith("test_hostile_injection") and not message.lower().startswith(("hang", "crash")):
        return "injection"
    # the check's own words: the first line, without the command and output a failure message quotes
    lowered = message.split("\n", 1)[0].split(": auditnlp ", 1)[0].lower()
    for kind, words in _KINDS:
        if any(word in lowered for word in words):
            return kind
    return "other failure"


def record_failure(case: str, kind: str) -> None:
    """Append a failed case to the tally file, when one is set."""
    assert kind in FAILURES, kind
    target = os.environ.get(TALLY)
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"case": case, "failure": kind}) + "\n")


@dataclass
class Run:
    """What one command did."""

    code: int | None
    stdout: str
    stderr: str
    seconds: float
    crash: str | None = None
    """The traceback of an exception that escaped the command (in-process runs)."""
    hung: bool = False
    args: Sequence[str] = field(default_factory=tuple)

    def reports(self) -> list[dict[str, Any]]:
        """The JSON reports printed on stdout (``analyze --json``)."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]

    def errors(self) -> list[str]:
        """The ``error: …`` lines of stderr."""
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]

    def describe(self) -> str:
        """The command and what it printed, for a failure message."""
        return (
            f"auditnlp {' '.join(map(str, self.args))}\n  exit code {self.code} after {self.seconds:.1f} s"
            f"\n  stderr: {self.stderr[-3000:]!r}\n  stdout: {self.stdout[:600]!r}"
            + (f"\n  exception:\n{self.crash}" if self.crash else "")
        )


class _Watchdog:
    """Interrupt the main thread after `seconds` (KeyboardInterrupt escapes ``except Exception``)."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        _thread.interrupt_main()

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> bool:
        self._timer.cancel()
        return bool(self.fired and exc[0] is KeyboardInterrupt)


@contextlib.contextmanager
def deadline(seconds: float = HANG_SECONDS, what: str = "the case") -> Iterator[None]:
    """Fail the test (instead of hanging the suite) when the block runs longer than `seconds`."""
    watchdog = _Watchdog(seconds)
    start = time.perf_counter()
    with watchdog:
        yield
    if watchdog.fired:
        pytest.fail(f"hang: {what} ran longer than {seconds:.0f} s ({time.perf_counter() - start:.1f} s)")


def run_cli(args: Sequence[str | os.PathLike[str]], *, timeout: float = HANG_SECONDS) -> Run:
    """Run ``auditnlp ARGS`` in this process (click's runner) under a watchdog."""
    from click.testing import CliRunner

    from auditnlp.cli import cli

    argv = [str(a) for a in args]
    watchdog = _Watchdog(timeout)
    start = time.perf_counter()
    with watchdog:
        result = CliRunner().invoke(cli, argv, catch_exceptions=True)
    seconds = time.perf_counter() - start
    crash = None
    stderr, code = result.stderr, result.exit_code
    if isinstance(result.exception, AuditNLPError):
        # what the console script's main() does with the package's own errors
        stderr, code = stderr + f"error: {result.exception}\n", 1
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        crash = (
            "".join(traceback.format_exception(*result.exc_info))
            if result.exc_info
            else repr(result.exception)
        )
    return Run(code, result.stdout, stderr, seconds, crash, watchdog.fired, argv)


def _limits(memory_mb: int) -> Callable[[], None]:
    def apply() -> None:
        os.setsid()
        limit = memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_process(
    args: Sequence[str | os.PathLike[str]],
    *,
    timeout: float = HANG_SECONDS,
    memory_mb: int = CHILD_MEMORY_MB,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    prefix: Sequence[str] = (),
    code: str | None = None,
) -> Run:
    """Run ``auditnlp ARGS`` (or python `code`) in a child process with a time and memory limit."""
    argv = [str(a) for a in args]
    if code is not None:
        command = [*prefix, sys.executable, "-c", code, *argv]
    else:
        command = [*prefix, sys.executable, "-c", "from auditnlp.cli import main; main()", *argv]
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        preexec_fn=_limits(memory_mb),
    )
    try:
        out, err = child.communicate(timeout=timeout)
        hung = False
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        hung = True
    return Run(child.returncode, out, err, time.perf_counter() - start, None, hung, argv)


def check_clean(run: Run) -> None:
    """No hang, no traceback, no fatal signal; stderr holds only one-line messages."""
    if run.hung:
        pytest.fail(f"hang (killed after {run.seconds:.0f} s): {run.describe()}")
    if run.crash:
        pytest.fail(f"crash: {run.describe()}")
    if run.code is not None and run.code < 0:
        pytest.fail(f"crash: killed by signal {-run.code}: {run.describe()}")
    assert "Traceback" not in run.stderr, f"traceback: {run.describe()}"
    assert run.code in (0, 1), f"unexpected exit code: {run.describe()}"
    for line in run.stderr.splitlines():
        if not line.strip():
            continue
        summary = any(s in line for s in _STDERR_SUMMARY) or re.match(r"\d+ analysed\b", line)
        assert line.startswith(_STDERR_OK) or summary, (
            f"stderr line that is not a one-line message: {line!r}\n{run.describe()}"
        )


def check_error(run: Run, name: str | os.PathLike[str], *, reason: str | Sequence[str] = ()) -> str:
    """A clear error: exit code 1 and one ``error: …`` line naming `name` (and the words of `reason`)."""
    check_clean(run)
    assert run.code == 1, f"expected a clear error: {run.describe()}"
    target = str(name)
    lines = [line for line in run.errors() if target in line]
    assert lines, f"no error line names {target!r}: {run.describe()}"
    words = [reason] if isinstance(reason, str) else list(reason)
    for word in words:
        assert any(word.lower() in line.lower() for line in lines), (
            f"the error does not say {word!r}: {lines}\n{run.describe()}"
        )
    return lines[0]


def check_reports(run: Run, n: int = 1) -> list[dict[str, Any]]:
    """Exit code 0 and `n` JSON reports on stdout, with their offsets intact."""
    check_clean(run)
    assert run.code == 0, f"expected {n} report(s): {run.describe()}"
    reports = run.reports()
    assert len(reports) == n, f"expected {n} report(s), got {len(reports)}: {run.describe()}"
    for report in reports:
        check_offsets(report)
    return reports


def verdict(run: Run, name: str | os.PathLike[str], *, reports: int = 1) -> str:
    """For cases where a report and a clear error are both acceptable: check the run, say which it was."""
    check_clean(run)
    if run.code == 0:
        check_reports(run, reports)
        return "ok"
    check_error(run, name)
    return "clear-error"


SPAN_GROUPS = (
    "sections",
    "paragraphs",
    "sentences",
    "items",
    "indicators",
    "slogans",
    "problems",
    "measures",
)


def check_offsets(report: Any) -> None:
    """``text[start:end] == record.text`` for every record of a report (object or its JSON dict)."""
    get = (lambda r, k: r.get(k)) if isinstance(report, dict) else getattr
    text = get(report, "text")
    for group in SPAN_GROUPS:
        for record in get(report, group):
            start, end, value = get(record, "start"), get(record, "end"), get(record, "text")
            assert 0 <= start <= end <= len(text), (group, record)
            if value is not None:  # the JSON form leaves out the text of sections
                assert text[start:end] == value, (group, start, end, value)
    for key in ("title", "salutation", "closing"):
        span = get(report, key)
        if span is not None:
            assert text[get(span, "start") : get(span, "end")] == get(span, "text"), key


def module(*names: str) -> Any:
    """The first of `names` that imports (modules move between package layouts)."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(f"none of {names} imports")


def sheet(book: Any, key: str) -> Any:
    """The sheet of table `key` in a workbook, under its key or its Chinese name (the default language)."""
    if key in book.sheetnames:
        return book[key]
    from auditnlp.corpus.schema import TABLES

    return book[TABLES[key][0]]


def workbook_module() -> Any:
    """The xlsx writer module."""
    return module("auditnlp.writers.workbook", "auditnlp.io.workbook")


def unprivileged() -> list[str]:
    """A command prefix under which file permissions apply (root without DAC override), or skip."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be tested")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative name → bytes), to check nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def params(*rows: tuple[Any, ...]) -> list[Any]:
    """Parametrize rows whose first value is the case id, used as the test id."""
    return [pytest.param(*r, id=str(r[0])) for r in rows]
