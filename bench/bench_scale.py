"""Benchmark: ``auditnlp compare`` on 1,000 / 10,000 / 100,000 generated reports, local and Dask engines.

Run by hand (the corpora are generated under --work, outside the repository):

    python bench/bench_scale.py --reports 1000 10000 --engines local dask [--short] [--jobs 2]
    python bench/bench_scale.py --reports 100000 --short --engines local   # long: run in the background
    python bench/bench_scale.py --finalize DATASET…   # finalize and workbook alone, on finished datasets

Each configuration runs ``auditnlp compare CORPUS -o out.xlsx --engine E --jobs J`` in a fresh process
while a monitor samples every 0.2 s the RSS of the command (the parent) and of each of its descendants
(worker processes; for Dask also the nannies). Reported: wall time, reports/s, peak RSS of the parent, the
largest peak of one worker, and the peak of the whole tree. Results are appended as JSON lines to
--results, and printed as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def corpus(work: Path, reports: int, short: bool) -> Path:
    """The generated corpus of `reports` reports (made once, kept under `work`)."""
    from synthetic_corpus import generate

    folder = work / f"corpus-{reports}{'-short' if short else ''}"
    done = folder / ".done"
    if not done.exists():
        generate(folder, reports, seed=reports, short=short)
        done.write_text("ok")
    return folder


def monitor(command: list[str], log: Path) -> dict[str, float]:
    """Run `command`; sample the RSS of it and its descendants until it ends."""
    import psutil

    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        parent = psutil.Process(proc.pid)
        peak_parent = peak_worker = peak_tree = 0.0
        while proc.poll() is None:
            try:
                rss_parent = parent.memory_info().rss / 2**20
                workers = []
                for child in parent.children(recursive=True):
                    try:
                        workers.append(child.memory_info().rss / 2**20)
                    except psutil.Error:
                        continue
            except psutil.Error:
                break
            peak_parent = max(peak_parent, rss_parent)
            peak_worker = max([peak_worker, *workers])
            peak_tree = max(peak_tree, rss_parent + sum(workers))
            time.sleep(0.2)
        code = proc.wait()
    return {
        "seconds": time.perf_counter() - start,
        "exit": code,
        "peak_parent_mb": peak_parent,
        "peak_worker_mb": peak_worker,
        "peak_tree_mb": peak_tree,
    }


FINALIZE_ALONE = """
import json, resource, sys, time
from pathlib import Path
from auditnlp.corpus.finalize import finalize
from auditnlp.writers.tables import write_dataset
root, out = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
finalize(root)
middle = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
write_dataset(root, out, "xlsx")
end = time.perf_counter()
reports = json.loads((root / "_work" / "run.json").read_text())["rows"]["reports"]
print(json.dumps({"dataset": root.name, "reports": reports, "finalize_s": middle - start,
    "finalize_peak_mb": peak, "workbook_s": end - middle,
    "peak_with_workbook_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
"""Finalize, then the workbook, of a finished dataset in one fresh process (peak RSS: ``ru_maxrss``)."""


def finalize_alone(datasets: list[Path], work: Path) -> None:
    """Print one JSON line per dataset: finalize and workbook times and peak RSS, measured alone."""
    for root in datasets:
        out = work / f"finalize-{root.name}.xlsx"
        subprocess.run([sys.executable, "-c", FINALIZE_ALONE, str(root), str(out)], check=True)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--engines", nargs="+", default=["local", "dask"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--short", action="store_true", help="shorter generated reports (quicker analysis)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "auditnlp-bench-scale")
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--format", default="xlsx", choices=["xlsx", "parquet"])
    parser.add_argument("--finalize", type=Path, nargs="+", help="finished datasets: finalize them alone")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.finalize:
        finalize_alone(args.finalize, args.work)
        return
    results = args.results or args.work / "results.jsonl"
    rows = []
    for reports in args.reports:
        folder = corpus(args.work, reports, args.short)
        for engine in args.engines:
            name = f"{reports}-{engine}{'-short' if args.short else ''}"
            out = args.work / f"out-{name}.{args.format}"
            command = [
                sys.executable, "-m", "auditnlp", "compare", str(folder), "-o", str(out), "--engine", engine,
                "--jobs", str(args.jobs), "--fresh", "--dataset", str(args.work / f"dataset-{name}"),
                "--format", args.format,
            ]  # fmt: skip
            figures = monitor(command, args.work / f"log-{name}.txt")
            row = {"reports": reports, "engine": engine, "jobs": args.jobs, "short": args.short, **figures}
            row["reports_per_s"] = reports / figures["seconds"]
            rows.append(row)
            with results.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    print("\n| reports | engine | wall s | reports/s | parent peak MB | worker peak MB | tree peak MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['reports']:,} | {r['engine']} | {r['seconds']:.0f} | {r['reports_per_s']:.1f} | "
            f"{r['peak_parent_mb']:.0f} | {r['peak_worker_mb']:.0f} | {r['peak_tree_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
