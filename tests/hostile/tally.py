"""Print the verdict table of issue 17 for the hostile suite.

    python tests/hostile/tally.py --run [PYTEST ARGS]   # runs ``pytest tests/hostile`` and prints the table
    python tests/hostile/tally.py TALLY.jsonl           # the table of a tally file written earlier by
    AUDITNLP_HOSTILE_TALLY=TALLY.jsonl pytest tests/hostile

Each test appends its case's verdict (``ok`` or ``clear-error``) once its checks have passed, and a failing
test appends its cases with the kind of failure its message shows (crash, hang, injection, lost file, lost
output, other failure; see ``conftest.py``). A case with any failure counts as failed, one with a clear
error as a clear error; a case with no row at all did not run (skipped or deselected). The linear-time test
also appends its measured times and ratios.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
FAILURES = ("crash", "hang", "injection", "lost file", "lost output", "other failure")


def review_cases() -> list[str]:
    """The 183 case ids of the review."""
    lines = (HERE / "review_cases.txt").read_text(encoding="utf-8").splitlines()
    return [c.strip() for c in lines if c.strip() and not c.startswith("#")]


def table(path: str | Path) -> str:
    """The verdict table (Markdown) of a tally file."""
    verdicts: dict[str, set[str]] = {}
    linear = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "linear" in row:
            linear[row["linear"]] = row
        else:
            verdicts.setdefault(row["case"], set()).add(row.get("failure") or row["verdict"])
    cases = review_cases()
    final: dict[str, str] = {}
    for case in cases:
        seen = verdicts.get(case, set())
        failed = [kind for kind in FAILURES if kind in seen]
        if failed:
            final[case] = failed[0]
        elif "clear-error" in seen:
            final[case] = "clear-error"
        elif "ok" in seen:
            final[case] = "ok"
        else:
            final[case] = "not run"
    out = ["| verdict | cases |", "|---|---|", f"| tried | {len(cases)} |"]
    for verdict in ("ok", "clear-error", *FAILURES, "not run"):
        out.append(f"| {verdict} | {sum(v == verdict for v in final.values())} |")
    bad = {case: v for case, v in final.items() if v not in {"ok", "clear-error"}}
    if bad:
        out.append("\nnot ok: " + ", ".join(f"{case} ({v})" for case, v in bad.items()))
    if linear:
        out += ["", "| family | sizes (k chars): seconds | t(8n)/t(4n) |", "|---|---|---|"]
        for name, row in linear.items():
            times = ", ".join(f"{n // 1000}: {s:.3f}" for n, s in row["times"])
            out.append(f"| {name} | {times} | {row['ratio']:.2f} |")
    return "\n".join(out)


def run(args: list[str]) -> int:
    """Run the hostile suite with a fresh tally file and print its table; returns pytest's exit code."""
    with tempfile.TemporaryDirectory(prefix="auditnlp-tally-") as folder:
        target = Path(folder) / "tally.jsonl"
        target.touch()
        env = {**os.environ, "AUDITNLP_HOSTILE_TALLY": str(target)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE), *args]
        code = subprocess.run(command, env=env, check=False).returncode
        print(table(target))
    return code


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        sys.exit(run(sys.argv[2:]))
    print(table(sys.argv[1]))
