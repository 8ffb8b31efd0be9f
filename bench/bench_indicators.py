"""Throughput of indicator extraction alone (MB/s of normalised text) on the gov-report corpus.

Usage: python bench/bench_indicators.py [--shared ../shared] [--repeat 5]

Reports are read and analysed for structure once; only ``extract_indicators`` is timed (the lexicon is
loaded before timing, as a long-running batch would).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditnlp.extract.indicators import extract_indicators  # noqa: E402
from auditnlp.lexicon import load_lexicons  # noqa: E402
from auditnlp.pipeline import Options, analyze_many  # noqa: E402
from auditnlp.types import Report  # noqa: E402


def main() -> int:
    """Run the benchmark and print MB/s."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes over the corpus")
    args = ap.parse_args()
    paths = sorted((args.shared / "corpora" / "gov-reports").glob("20*/*"))
    if not paths:
        print(f"no gov-report corpus under {args.shared}", file=sys.stderr)
        return 2
    reports = [
        r for r in analyze_many(paths, options=Options(stages=("structure",))) if isinstance(r, Report)
    ]
    lexicon = load_lexicons()
    size = sum(len(r.text.encode("utf-8")) for r in reports)
    chars = sum(len(r.text) for r in reports)
    best = float("inf")
    count = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        count = sum(1 for r in reports for _ in extract_indicators(r, lexicon=lexicon))
        best = min(best, time.perf_counter() - t0)
    print(f"{len(reports)} reports, {chars:,} characters ({size / 1e6:.2f} MB UTF-8), {count} indicators")
    print(
        f"best of {args.repeat}: {best:.3f} s  →  {size / 1e6 / best:.2f} MB/s, "
        f"{chars / best / 1e3:,.0f} k chars/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
