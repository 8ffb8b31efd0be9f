"""Benchmark: ``auditnlp compare`` on 1,000 / 10,000 / 100,000 generated reports, local and Dask engines.

Run by hand (the corpora are generated under --work, outside the repository):

    python bench/bench_scale.py --reports 1000 10000 --engines local dask [--short] [--jobs 2]
    python bench/bench_scale.py --reports 100000 --short --engines local   # long: run in the background
    python bench/bench_scale.py --finalize DATASET…   # finalize and workbook alone, on finished datasets
    python bench/bench_scale.py --finalize DATASET… --no-workbook   # finalize alone
    python bench/bench_scale.py --replicate DATASET --times 10 --out BIGGER   # a 10× copy of a dataset

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
    """Run `command`; sample the memory of it and its descendants until it ends.

    RSS of each process, and for the workers also USS (memory no other process shares: what a worker
    costs) and PSS (shared pages split between their sharers; summed over the tree, nothing counted
    twice). A worker forked from the parent has every page it shares with it in its RSS: at the fork
    that is the parent's whole memory, so RSS alone overstates a forked worker and the tree's sum."""
    import psutil

    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        parent = psutil.Process(proc.pid)
        peaks = dict.fromkeys(("parent", "worker", "tree", "worker_uss", "tree_pss"), 0.0)
        while proc.poll() is None:
            try:
                rss_parent = parent.memory_info().rss / 2**20
                pss_parent = parent.memory_full_info().pss / 2**20
                workers: list[tuple[float, float, float]] = []
                for child in parent.children(recursive=True):
                    try:
                        info = child.memory_full_info()
                    except psutil.Error:
                        continue
                    workers.append((info.rss / 2**20, info.uss / 2**20, info.pss / 2**20))
            except psutil.Error:
                break
            peaks["parent"] = max(peaks["parent"], rss_parent)
            peaks["worker"] = max([peaks["worker"], *(w[0] for w in workers)])
            peaks["worker_uss"] = max([peaks["worker_uss"], *(w[1] for w in workers)])
            peaks["tree"] = max(peaks["tree"], rss_parent + sum(w[0] for w in workers))
            peaks["tree_pss"] = max(peaks["tree_pss"], pss_parent + sum(w[2] for w in workers))
            time.sleep(0.2)
        code = proc.wait()
    return {
        "seconds": time.perf_counter() - start,
        "exit": code,
        **{f"peak_{name}_mb": value for name, value in peaks.items()},
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
if str(out) != "-":
    write_dataset(root, out, "xlsx")
end = time.perf_counter()
reports = json.loads((root / "_work" / "run.json").read_text())["rows"]["reports"]
print(json.dumps({"dataset": root.name, "reports": reports, "finalize_s": middle - start,
    "finalize_peak_mb": peak, "workbook_s": end - middle,
    "peak_with_workbook_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
"""Finalize, then the workbook, of a finished dataset in one fresh process (peak RSS: ``ru_maxrss``)."""


def finalize_alone(datasets: list[Path], work: Path, *, workbook: bool = True) -> None:
    """Print one JSON line per dataset: finalize and workbook times and peak RSS, measured alone."""
    for root in datasets:
        out = work / f"finalize-{root.name}.xlsx" if workbook else Path("-")
        subprocess.run([sys.executable, "-c", FINALIZE_ALONE, str(root), str(out)], check=True)


def replicate(source: Path, times: int, out: Path) -> None:
    """A dataset `times` as large as the finished dataset `source`, its committed rows copied with other
    file ids, paths, hashes and units, so that finalize sees `times` as many distinct reports.

    Copy k of a report gets the path ``…/r<k>/<name>``, other content hashes and exact fingerprints (a copy
    is not a duplicate of its original), a MinHash sketch XORed with a constant of the copy (copies of a
    unit's reports are not near-identical to each other; within one copy the sketches compare as before)
    and the unit ``<unit>·<k>``, except the units of 1 % or more of the reports (a generic name such as
    审计局 that the generated corpus gives ever more reports as it grows), which stay as they are. Rows are
    put in the bucket of their new unit, in key order (as a run writes them). Nothing is analysed again:
    the finalize of the result can be measured at sizes the analysis would take hours to reach.
    """
    import hashlib
    import shutil

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from auditnlp.corpus.arrowrows import ITEMS_PER_FILE, bucket_of
    from auditnlp.corpus.dataset import WORK, write_atomic, write_json_atomic

    work = source / WORK
    if out.exists():
        shutil.rmtree(out)
    (out / WORK).mkdir(parents=True)
    ledgers = sorted((work / "files").glob("c*.parquet"))
    commits = max(int(f.stem[1:]) for f in ledgers)
    fids = 1 + max(pc.max(pq.read_table(f, columns=["_fid"]).column("_fid")).as_py() for f in ledgers)
    units = pq.read_table(work / "rows" / "reports", columns=["unit"]).column("unit")
    counts = pc.value_counts(units.drop_null()).to_pylist()
    generic = {c["values"] for c in counts if c["counts"] >= 0.01 * len(units)}

    def moved(paths: pa.ChunkedArray | pa.Array, k: int) -> pa.Array:
        return pa.array(
            [None if p is None else (f"{p.rsplit('/', 1)[0]}/r{k}/{p.rsplit('/', 1)[-1]}" if k else p)
             for p in paths.to_pylist()], pa.string()
        )  # fmt: skip

    def rehashed(values: pa.ChunkedArray, k: int) -> pa.Array:
        return pa.array(
            [None if v is None else (hashlib.sha256(f"{v}/{k}".encode()).hexdigest() if k else v)
             for v in values.to_pylist()], pa.string()
        )  # fmt: skip

    def renamed(values: pa.ChunkedArray, k: int) -> pa.Array:
        return pa.array(
            [v if v is None or not k or v in generic else f"{v}·{k}" for v in values.to_pylist()], pa.string()
        )

    def resketched(values: pa.ChunkedArray, k: int) -> pa.Array:
        mask = (k * 0x9E3779B1) & 0xFFFFFFFF
        return pa.array(
            [
                v if not v or not k else json.dumps([x ^ mask for x in json.loads(v)])
                for v in values.to_pylist()
            ],
            pa.string(),
        )

    def change(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
        return table.set_column(table.column_names.index(name), name, values)

    for k in range(times):
        for ledger in ledgers:
            commit = k * commits + int(ledger.stem[1:])
            name = f"c{commit:06d}.parquet"
            table = pq.read_table(ledger)
            table = change(table, "_fid", pc.add(table.column("_fid"), k * fids).combine_chunks())
            table = change(table, "path", moved(table.column("path"), k))
            table = change(table, "sha256", rehashed(table.column("sha256"), k))
            write_atomic(table, out / WORK / "files" / name)
            for folder in sorted((work / "rows").iterdir()):
                files = sorted(folder.glob(f"bucket=*/{ledger.name}")) or sorted(folder.glob(ledger.name))
                tables = [pq.read_table(f) for f in files]
                if not tables:
                    continue
                for table in tables:
                    table = change(table, "_key", pc.add(table.column("_key"), k * fids * ITEMS_PER_FILE))
                    for column, how in (("file", moved), ("path", moved), ("unit", renamed),
                                        ("_sha256", rehashed), ("_fp_exact", rehashed),
                                        ("_fp_sketch", resketched)):  # fmt: skip
                        if column in table.column_names:
                            table = change(table, column, how(table.column(column), k))
                    if folder.name == "errors":
                        write_atomic(table, out / WORK / "rows" / "errors" / name)
                        continue
                    buckets = np.array([bucket_of(u) for u in table.column("unit").to_pylist()])
                    for bucket in np.unique(buckets).tolist():
                        part = table.filter(pa.array(buckets == bucket))
                        target = out / WORK / "rows" / folder.name / f"bucket={bucket:02d}" / name
                        if target.exists():  # rows of two source buckets that land in one, in key order
                            part = pa.concat_tables(
                                [pq.read_table(target), part], promote_options="permissive"
                            )
                            part = part.take(pc.sort_indices(part, [("_key", "ascending")]))
                        write_atomic(part, target)
    inputs = pq.read_table(work / "inputs.parquet").column("path")
    write_atomic(
        pa.table({"path": pa.concat_arrays([moved(inputs, k) for k in range(times)])}),
        out / WORK / "inputs.parquet",
    )
    errors = pq.read_table(work / "input_errors.parquet")
    write_atomic(
        pa.concat_tables([change(errors, "path", moved(errors.column("path"), k)) for k in range(times)]),
        out / WORK / "input_errors.parquet",
    )
    run = json.loads((work / "run.json").read_text(encoding="utf-8"))
    run["complete"] = False
    write_json_atomic(run, out / WORK / "run.json")


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
    parser.add_argument("--no-workbook", action="store_true", help="with --finalize: no workbook after it")
    parser.add_argument("--replicate", type=Path, help="a finished dataset to copy --times times into --out")
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.replicate:
        replicate(args.replicate, args.times, args.out or args.work / f"{args.replicate.name}-x{args.times}")
        return
    if args.finalize:
        finalize_alone(args.finalize, args.work, workbook=not args.no_workbook)
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
    print(
        "\n| reports | engine | wall s | reports/s | parent peak MB | worker peak MB (RSS / USS) "
        "| tree peak MB (RSS / PSS) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['reports']:,} | {r['engine']} | {r['seconds']:.0f} | {r['reports_per_s']:.1f} | "
            f"{r['peak_parent_mb']:.0f} | {r['peak_worker_mb']:.0f} / {r['peak_worker_uss_mb']:.0f} | "
            f"{r['peak_tree_mb']:.0f} / {r['peak_tree_pss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
