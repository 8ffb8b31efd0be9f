"""Shared fixtures: paths to the bundled sample corpus and to ../shared (skipped when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpora" / "samples"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
GOV = SHARED / "corpora" / "gov-reports"
SEED_000 = SEEDS / "000_626403d7295463b3.txt"
SEED_004 = SEEDS / "004_d1be7ec792aabf41.txt"

needs_shared = pytest.mark.skipif(
    not GOV.exists() or not SEEDS.exists(),
    reason="../shared (seeds and gov-reports corpus) is not beside this checkout; only CI and developers have it",
)


def sample_files() -> list[Path]:
    """The bundled sample reports (not the manifest, README or build script)."""
    return sorted(
        p for p in SAMPLES.iterdir() if p.suffix in {".txt", ".docx"} and not p.name.startswith(("_", "."))
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """With ``AUDITNLP_HOSTILE_TALLY`` set, a failing test of tests/hostile records its review cases with the
    kind of failure (see tests/hostile/tally.py), so the verdict table counts failures too."""
    outcome = yield
    report = outcome.get_result()
    claimed = getattr(getattr(item, "function", None), "__hostile_cases__", ())
    if not (claimed and os.environ.get("AUDITNLP_HOSTILE_TALLY") and report.failed and call.excinfo):
        return
    from _hostile_run import failure_kind, record_failure  # tests/hostile is on the path: its tests ran

    here = [case for case in claimed if case in item.name] or list(claimed)
    kind = failure_kind(
        str(call.excinfo.value), call.excinfo.typename, getattr(getattr(item, "module", None), "__name__", "")
    )
    for case in here:
        record_failure(case, kind)
