"""Every case of the hostile-input review is built and checked by a test of this folder."""

from __future__ import annotations

import importlib
from pathlib import Path

from _hostile_run import CASES_ATTR

HERE = Path(__file__).parent


def review_cases() -> list[str]:
    lines = (HERE / "review_cases.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def claimed_cases() -> dict[str, list[str]]:
    """Case id → the tests that build and check it."""
    claimed: dict[str, list[str]] = {}
    for path in sorted(HERE.glob("test_hostile_*.py")):
        module = importlib.import_module(path.stem)
        for name, value in vars(module).items():
            for case in getattr(value, CASES_ATTR, ()):
                claimed.setdefault(case, []).append(f"{path.stem}::{name}")
    return claimed


def test_every_review_case_has_a_test():
    cases = review_cases()
    assert len(cases) == len(set(cases)) == 183
    claimed = claimed_cases()
    missing = [c for c in cases if c not in claimed]
    assert not missing, f"review cases without a test: {missing}"
    unknown = sorted(set(claimed) - set(cases))
    assert not unknown, f"tests claim cases the review does not have: {unknown}"
