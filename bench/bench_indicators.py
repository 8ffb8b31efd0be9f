"""Throughput of indicator extraction alone (MB/s of normalised text) on the gov-report corpus.

Usage: python bench/bench_indicators.py [--shared ../shared] [--repeat 5] [--against REV]

Reports are read and analysed for structure once; only ``extract_indicators`` is timed (the lexicon is
loaded before timing, as a long-running batch would). With ``--against REV`` (a commit, tag or branch) the
same measurement runs on that revision's package too, each in a fresh interpreter, alternating with this
tree's for ``--rounds`` rounds on the same machine, and the best of each is printed side by side with the
ratio (of wall-clock time and of CPU time, which a busy machine disturbs less).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(root: Path, shared: Path, repeat: int) -> dict[str, float]:
    """Time ``extract_indicators`` with the package found under `root` (called in a fresh interpreter)."""
    sys.path.insert(0, str(root))
    from auditnlp.extract.indicators import extract_indicators
    from auditnlp.lexicon import load_lexicons
    from auditnlp.pipeline import Options, analyze_many
    from auditnlp.types import Report

    paths = sorted((shared / "corpora" / "gov-reports").glob("20*/*"))
    reports = [
        r
        for r in analyze_many(paths, options=Options(stages=("structure",), text_column="full_text"))
        if isinstance(r, Report)
    ]
    lexicon = load_lexicons()
    size = sum(len(r.text.encode("utf-8")) for r in reports)
    chars = sum(len(r.text) for r in reports)
    best = cpu = float("inf")
    count = 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        count = sum(1 for r in reports for _ in extract_indicators(r, lexicon=lexicon))
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return {
        "reports": len(reports),
        "chars": chars,
        "mb": size / 1e6,
        "indicators": count,
        "seconds": best,
        "mb_s": size / 1e6 / best,
        "cpu_seconds": cpu,
        "cpu_mb_s": size / 1e6 / cpu,
    }


def _run(root: Path, shared: Path, repeat: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(root), "--shared", str(shared), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def export_package(rev: str, into: Path) -> Path:
    """The package of revision `rev` unpacked under `into` (``git archive``; the work tree is untouched)."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "auditnlp"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def _line(name: str, r: dict[str, float]) -> str:
    return (
        f"{name:>10}: {r['reports']:.0f} reports, {r['mb']:.2f} MB, {r['indicators']:.0f} indicators, "
        f"best {r['seconds']:.3f} s → {r['mb_s']:.2f} MB/s (CPU time {r['cpu_seconds']:.3f} s → "
        f"{r['cpu_mb_s']:.2f} MB/s)"
    )


def main() -> int:
    """Run the benchmark and print MB/s (and the comparison with another revision)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes over the corpus")
    ap.add_argument("--against", help="also measure this git revision's package and compare")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds with --against")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.shared, args.repeat)))
        return 0
    if not list((args.shared / "corpora" / "gov-reports").glob("20*/*")):
        print(f"no gov-report corpus under {args.shared}", file=sys.stderr)
        return 2
    if args.against is None:
        print(_line("this tree", _run(ROOT, args.shared, args.repeat)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        old = export_package(args.against, Path(tmp))
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for _ in range(args.rounds):  # alternate, so a busy machine slows both sides alike
            runs["before"].append(_run(old, args.shared, args.repeat))
            runs["after"].append(_run(ROOT, args.shared, args.repeat))
    before = min(runs["before"], key=lambda r: r["seconds"])
    after = min(runs["after"], key=lambda r: r["seconds"])
    print(f"best of {args.rounds} rounds × {args.repeat} passes each, alternating:")
    print(_line(args.against, before))
    print(_line("this tree", after))
    cpu_before = min(r["cpu_seconds"] for r in runs["before"])
    cpu_after = min(r["cpu_seconds"] for r in runs["after"])
    print(
        f"ratio this/{args.against}: {after['mb_s'] / before['mb_s']:.2f} (wall MB/s), "
        f"{cpu_before / cpu_after:.2f} (CPU MB/s; steadier on a busy machine)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
