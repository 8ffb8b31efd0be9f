"""Print the table of issue 17 from a tally file written by the hostile suite.

    AUDITNLP_HOSTILE_TALLY=tally.jsonl pytest tests/hostile && python tests/hostile/tally.py tally.jsonl

Each test appends its case's verdict (``ok`` or ``clear-error``) only once its checks have passed, so the
table is meaningful after a green run; the linear-time test also appends its measured times and ratios.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(path: str) -> None:
    verdicts: dict[str, set[str]] = {}
    linear = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "linear" in row:
            linear[row["linear"]] = row
        else:
            verdicts.setdefault(row["case"], set()).add(row["verdict"])
    cases = [
        c.strip()
        for c in (HERE / "review_cases.txt").read_text(encoding="utf-8").splitlines()
        if c.strip() and not c.startswith("#")
    ]
    missing = [c for c in cases if c not in verdicts]
    final = {c: ("clear-error" if "clear-error" in verdicts[c] else "ok") for c in cases if c in verdicts}
    print("| verdict | cases |\n|---|---|")
    print(f"| tried | {len(cases)} |")
    print(f"| ok | {sum(v == 'ok' for v in final.values())} |")
    print(f"| clear-error | {sum(v == 'clear-error' for v in final.values())} |")
    print(f"| not recorded (failed or skipped) | {len(missing)} |")
    if missing:
        print("not recorded:", ", ".join(missing))
    if linear:
        print("\n| family | sizes (k chars): seconds | t(8n)/t(4n) |\n|---|---|---|")
        for name, row in linear.items():
            times = ", ".join(f"{n // 1000}: {s:.3f}" for n, s in row["times"])
            print(f"| {name} | {times} | {row['ratio']:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1])
