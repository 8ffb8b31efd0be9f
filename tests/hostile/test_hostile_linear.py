"""Linear time on pathological text (group 3 and 7 of the reliability review).

Each family is analysed at 1, 2, 4 and 8 times a base size; the time of the largest size divided by the
time of the one before must stay near 2 (a ratio, not an absolute time). Times are the CPU time of this
process (other jobs on a shared machine do not count), the best of three runs for the two largest sizes.
A family over the ratio is timed again (the two largest sizes interleaved, five rounds), then one size
up: it fails only if it stays over the ratio at both, as a quadratic path does and a noisy run does not.
Base sizes are chosen so the whole test takes seconds when analysis is linear, while a quadratic path
doubles its ratio (16 KB of digits took 106 s in the review; the heading and list-item paths of the review
gave 3.3 and 4.1 here); a superlinear family stops as soon as the next size is predicted to take longer
than the budget.

Families whose superlinear path lies in one stage run that stage only, where the other stages would
hide it behind their (linear) cost at sizes a test can afford: headings and list items (structure).
"""

from __future__ import annotations

import gc
import json
import os
import time

import pytest
from _hostile_build import HEAD, PATHOLOGICAL, realish_report, repeat
from _hostile_run import TALLY, cases, check_offsets, deadline, params, record
from conftest import ROOT

from auditnlp import Options, analyze_text

MAX_RATIO = 2.8
"""t(8n) / t(4n) above this is superlinear (linear gives 2, quadratic 4; on a busy machine a linear
family measured up to 2.6)."""
BUDGET = 15.0
"""Seconds the next size may take before a family is declared superlinear without running it."""
STRUCTURE = ("structure",)

# family → (base size n in characters, stages analysed; None = all)
FAMILIES: dict[str, tuple[int, tuple[str, ...] | None]] = {
    "digits": (16000, None),
    "digits_unit": (16000, None),
    "comma_number": (16000, None),
    "chinese_numerals": (16000, None),
    "mixed_width_digits": (16000, None),
    "mixed_width_digits_nounit": (16000, None),
    "xrun": (16000, None),
    "starrun": (16000, None),
    "mask_mix": (16000, None),
    "dots": (16000, None),
    "headings": (32000, STRUCTURE),
    "headings_l1": (32000, STRUCTURE),
    "problem_headings": (16000, None),
    "yishi_clause": (16000, STRUCTURE),
    "slogan_frames": (16000, None),
    "figures_one_clause": (8000, None),
    "distributive_lists": (8000, None),
    "table_line": (8000, None),
    "table_rows": (8000, None),
    "realish": (30000, None),
}
CASES = {
    "digits": "G3-digits",
    "comma_number": "G3-comma_number",
    "chinese_numerals": "G3-chinese_numerals",
    "mixed_width_digits_nounit": "G3-mixed_width_digits_nounit",
    "xrun": "G3-xrun",
    "starrun": "G3-starrun",
    "mask_mix": "G3-mask_mix",
    "dots": "G3-dots",
    "headings": "G3-headings",
    "headings_l1": "G3-headings_l1",
    "yishi_clause": "G3-yishi_clause",
    "slogan_frames": "G3-slogan_frames",
    "realish": "G7-txt-19.9MB-analyze",
}


def _text(family: str, size: int) -> str:
    if family == "realish":
        return repeat(realish_report(ROOT) + "\n", size)
    return HEAD + PATHOLOGICAL[family](size)


def _timed(text: str, options: Options) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        report = analyze_text(text, options=options)
        seconds = time.process_time() - start
    finally:
        gc.enable()
    check_offsets(report)
    return seconds


def measure(family: str) -> list[tuple[int, float]]:
    """(size, CPU seconds) at 1, 2, 4 and 8 × the base size; the larger sizes take the best of three runs."""
    base, stages = FAMILIES[family]
    options = Options(stages=stages) if stages else Options()
    analyze_text(_text(family, base // 8), options=options)  # lexicons, model and caches
    times: list[tuple[int, float]] = []
    for factor in (1, 2, 4, 8):
        text = _text(family, base * factor)
        seconds = _timed(text, options)
        if factor >= 4 and seconds < 1:
            seconds = min(seconds, _timed(text, options), _timed(text, options))
        times.append((base * factor, seconds))
        if len(times) >= 2:
            growth = times[-1][1] / max(times[-2][1], 1e-6)
            predicted = times[-1][1] * growth
            if factor < 8 and predicted > BUDGET:
                pytest.fail(
                    f"{family}: superlinear: {_show(times)}; the next size would take ~{predicted:.0f} s"
                )
    return times


def confirm(family: str, times: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The two largest sizes timed again, interleaved (small, large, small, …: both see the same load),
    five rounds, each kept at its best over all rounds."""
    _, stages = FAMILIES[family]
    options = Options(stages=stages) if stages else Options()
    best = dict(times[-2:])
    for _ in range(5):
        for n in best:
            best[n] = min(best[n], _timed(_text(family, n), options))
    return [*times[:-2], *best.items()]


def extend(family: str, times: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """One size more (twice the largest), best of three, when it fits the budget: a quadratic path doubles
    its ratio again, a noisy measurement does not repeat itself."""
    _, stages = FAMILIES[family]
    options = Options(stages=stages) if stages else Options()
    n, seconds = times[-1]
    if seconds * MAX_RATIO * 2 > BUDGET:
        return times
    text = _text(family, 2 * n)
    return [*times, (2 * n, min(_timed(text, options) for _ in range(3)))]


def _show(times: list[tuple[int, float]]) -> str:
    return ", ".join(f"{n // 1000}k chars {s:.3f} s" for n, s in times)


@cases(*CASES.values(), "G7-txt-19.9MB-compare")
@pytest.mark.parametrize("family", params(*((f,) for f in FAMILIES)))
def test_linear_time(family):
    with deadline(240, f"the {family} family"):
        times = measure(family)
        ratio = times[-1][1] / max(times[-2][1], 1e-6)
        if ratio >= MAX_RATIO:  # a busy machine can spoil one measurement; a quadratic path fails again
            times = confirm(family, times)
            ratio = times[-1][1] / max(times[-2][1], 1e-6)
        if ratio >= MAX_RATIO:  # and once more a size up, where it would be four times as slow again
            times = extend(family, times)
            ratio = min(ratio, times[-1][1] / max(times[-2][1], 1e-6))
    target = os.environ.get(TALLY)
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"linear": family, "times": times, "ratio": round(ratio, 2)}) + "\n")
    assert ratio < MAX_RATIO, f"{family}: t(8n)/t(4n) = {ratio:.2f} (linear ≈ 2): {_show(times)}"
    if family in CASES:
        record(CASES[family], "ok")
    if family == "realish":
        record("G7-txt-19.9MB-compare", "ok")
