"""Benchmark: time and peak memory on a long real-ish report, 1 to 20 MB (run by hand; issue 17).

    python bench/bench_hostile.py [--sizes 1,2,4,20]

The report is the bundled fictional corpus joined and repeated to each size (UTF-8 megabytes), analysed in
a fresh child process each (`auditnlp analyze --json`, output discarded) so that peak RSS is per size.
Results are printed, not asserted; the linear-time test in tests/hostile checks the growth on small sizes.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "hostile"))


def main() -> None:
    """Build each size, analyse it in a child process and print seconds and peak RSS."""
    from _hostile_build import realish_report

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,2,4,20", help="megabytes, comma-separated")
    args = parser.parse_args()
    text = realish_report(ROOT) + "\n"
    with tempfile.TemporaryDirectory() as folder:
        for size in (float(s) for s in args.sizes.split(",")):
            target = int(size * 2**20)
            repeated = text * (target // len(text.encode("utf-8")) + 1)
            data = repeated.encode("utf-8")[:target].decode("utf-8", "ignore")
            path = Path(folder) / f"report_{size:g}MB.txt"
            path.write_text(data, encoding="utf-8")
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-m", "auditnlp", "analyze", str(path), "--json", "--max-mb", "21"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            seconds = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            rss = f"{peak / 1024:.0f} MB" if peak > before else "(below an earlier run)"
            status = "ok" if run.returncode == 0 else f"exit {run.returncode}: {run.stderr.strip()[-200:]}"
            print(f"{size:>5g} MB  {len(data):>10,} chars  {seconds:7.1f} s  peak RSS {rss}  {status}")


if __name__ == "__main__":
    main()
