"""Benchmark: batch comparison of 1,000 reports (the sample corpus repeated) vs jieba segmentation.

Run by hand:  python bench/bench_compare.py [--reports 1000] [--profile]

Each configuration runs in a fresh interpreter so peak memory (max RSS of this process and of its largest
worker, from ``resource.getrusage``) belongs to that configuration alone. Reported:

- reports/s and peak RSS for ``--jobs 1`` and ``--jobs 2`` (and a run with a fifth of the reports, to show
  that memory does not grow with the number of reports beyond the result tables);
- ``jieba.lcut`` time over the same texts (default dictionary, loaded before timing) and the ratio
  jieba time / analysis time (target ≥ 2.0), and the speed-up of two jobs over one (target ≥ 1.8).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "corpora" / "samples"


def corpus(n: int) -> list[str]:
    """`n` report paths: the sample corpus repeated."""
    files = sorted(
        str(p)
        for p in SAMPLES.iterdir()
        if p.suffix in {".txt", ".docx"} and not p.name.lower().startswith("readme")
    )
    return [files[i % len(files)] for i in range(n)]


def run_compare(n: int, jobs: int) -> dict[str, float]:
    """Time compare_inputs over `n` reports with `jobs` processes (called in a fresh interpreter)."""
    from auditnlp.corpus.batch import compare_inputs

    paths = corpus(n)
    start = time.perf_counter()
    result = compare_inputs(paths, jobs=jobs, progress=False)
    seconds = time.perf_counter() - start
    assert len(result.reports) == n, (len(result.reports), result.errors.head())
    tables = sum(int(t.memory_usage(deep=True).sum()) for t in result.tables().values())
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "reports": n,
        "jobs": jobs,
        "seconds": seconds,
        "reports_per_s": n / seconds,
        "peak_rss_mb": self_rss,
        "peak_worker_rss_mb": child_rss,
        "tables_mb": tables / 1e6,
        "indicators": len(result.indicators),
        "slogans": len(result.slogans),
    }


def run_jieba(n: int) -> dict[str, float]:
    """Time jieba.lcut over the texts of the same `n` reports (dictionary loaded beforehand)."""
    import jieba

    from auditnlp.readers import read_file

    texts = {p: read_file(p)[0].text for p in set(corpus(n))}
    jieba.initialize()
    start = time.perf_counter()
    chars = 0
    for path in corpus(n):
        text = texts[path]
        chars += len(text)
        jieba.lcut(text)
    seconds = time.perf_counter() - start
    return {"reports": n, "seconds": seconds, "chars": chars, "mb_per_s": chars * 3 / 1e6 / seconds}


def rows_memory(n: int) -> dict[str, float]:
    """tracemalloc of compare_rows alone over `n` reports' rows arriving as from workers (unpickled)."""
    import pickle
    import tracemalloc

    from auditnlp.corpus.batch import analyze_chunk
    from auditnlp.corpus.compare import compare_rows
    from auditnlp.pipeline import Options

    files = corpus(10)
    base = [pickle.dumps(r) for r in analyze_chunk(files, Options())]
    tracemalloc.start()
    result = compare_rows(pickle.loads(base[i % len(base)]) for i in range(n))
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tables = sum(int(t.memory_usage(deep=True).sum()) for t in result.tables().values())
    return {"reports": n, "retained_mb": current / 1e6, "peak_mb": peak / 1e6, "tables_mb": tables / 1e6}


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def calibrate() -> float:
    """Speed-up of two processes over one on pure-Python arithmetic: what this machine offers now."""
    from concurrent.futures import ProcessPoolExecutor

    n = 5_000_000
    start = time.perf_counter()
    _burn(n)
    _burn(n)
    serial = time.perf_counter() - start
    with ProcessPoolExecutor(2) as pool:
        start = time.perf_counter()
        list(pool.map(_burn, [n, n]))
        parallel = time.perf_counter() - start
    return serial / parallel


def profile(n: int) -> None:
    """Print where the time of one in-process run goes (cProfile, cumulative, top 30)."""
    import cProfile
    import pstats

    from auditnlp.corpus.batch import compare_inputs

    paths = corpus(n)
    prof = cProfile.Profile()
    prof.enable()
    compare_inputs(paths, jobs=1, progress=False)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


def _child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="profile one in-process run instead")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "JOBS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, jobs = args.one
        if kind == "jieba":
            result = run_jieba(args.reports)
        elif kind == "rows":
            result = rows_memory(args.reports)
        else:
            result = run_compare(args.reports, int(jobs))
        print(json.dumps(result))
        return
    if args.profile:
        profile(args.reports)
        return
    n = args.reports
    import os

    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
        f"2-process speed-up on pure arithmetic {calibrate():.2f}x"
    )
    one = _child("--reports", str(n), "--one", "compare", "1")
    two = _child("--reports", str(n), "--one", "compare", "2")
    small = _child("--reports", str(max(10, n // 5)), "--one", "compare", "1")
    small2 = _child("--reports", str(max(10, n // 5)), "--one", "compare", "2")
    jieba = _child("--reports", str(n), "--one", "jieba", "0")
    mem = [_child("--reports", str(k), "--one", "rows", "0") for k in (max(10, n // 5), n)]
    for run in (small, one, two):
        print(
            f"compare  reports={run['reports']:5d} jobs={run['jobs']}: {run['seconds']:6.2f} s, "
            f"{run['reports_per_s']:7.1f} reports/s, peak RSS {run['peak_rss_mb']:.0f} MB "
            f"(worker {run['peak_worker_rss_mb']:.0f} MB), tables {run['tables_mb']:.1f} MB, "
            f"{run['indicators']} indicators"
        )
    print(
        f"jieba    reports={jieba['reports']:5d}: {jieba['seconds']:6.2f} s "
        f"({jieba['chars'] / 1e6:.2f} M chars, {jieba['reports'] / jieba['seconds']:.1f} reports/s)"
    )
    ratio = jieba["seconds"] / one["seconds"]
    speedup = two["reports_per_s"] / one["reports_per_s"]
    print(f"ratio jieba time / analysis time (jobs 1): {ratio:.2f}  (target >= 2.0)")
    print(f"speed-up jobs 2 / jobs 1: {speedup:.2f}  (target >= 1.8)")
    for m in mem:
        print(
            f"compare_rows alone, {m['reports']} reports (tracemalloc): retained {m['retained_mb']:.1f} MB, "
            f"peak {m['peak_mb']:.1f} MB, tables {m['tables_mb']:.1f} MB"
        )
    print(f"load average after the runs: {os.getloadavg()[0]:.1f}")
    print(
        f"memory: {small['reports']} reports → {small['peak_rss_mb']:.0f} MB, "
        f"{one['reports']} reports → {one['peak_rss_mb']:.0f} MB (jobs 1, same process)"
    )
    print(
        f"main process with jobs 2 (gathers rows only; RSS includes the warm-up's lexicons and model): "
        f"{small2['reports']} reports → {small2['peak_rss_mb']:.0f} MB, {two['reports']} reports → "
        f"{two['peak_rss_mb']:.0f} MB; worker peak {two['peak_worker_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
