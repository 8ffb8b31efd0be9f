"""Benchmark: the review site for 1,000 reports (the sample corpus copied into a temporary folder).

Run by hand:  python bench/bench_site.py [--reports 1000] [--jobs 2] [--keep DIR]

Each configuration runs in a fresh interpreter. Reported for ``compare`` (the comparison alone) and
``review`` (the comparison, one page per report written by the worker that analysed it, then the index,
matrix, yoy and chart pages): wall seconds, CPU seconds of the process and its workers (so a busy machine
shows as wall ≫ CPU / jobs), peak RSS, and for ``review`` the seconds of the final pages alone and the
size of the site. The target is a site for 1,000 reports in under a minute on a two-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "corpora" / "samples"


PLACES = ("青山", "江北", "临川", "南湖", "白沙")
"""The place names of the sample units; each copy of the corpus gets new ones, so copies are other
documents of other units (a verbatim copy would be compared once)."""
CHARS = "东西南北中安平宁兴隆昌盛泰丰华阳春秋明清远长新和"


def make_corpus(folder: Path, n: int) -> None:
    """`n` report files in `folder`: the sample .txt reports copied with their place names replaced (copy
    k of the corpus is written by units of new names), as UTF-8."""
    from auditnlp.readers import read_file

    texts = [(p.name, read_file(p)[0].text) for p in sorted(SAMPLES.glob("*.txt"))]
    names = [a + b for a in CHARS for b in CHARS if a != b]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        block = i // len(texts)
        name, text = texts[i % len(texts)]
        for j, place in enumerate(PLACES):
            text = text.replace(place, names[(block * len(PLACES) + j) % len(names)])
        (folder / f"{i:05d}_{name}").write_text(text, encoding="utf-8")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run(mode: str, corpus: str, out: str, jobs: int) -> dict[str, float]:
    """One configuration, in this (fresh) interpreter."""
    from auditnlp.corpus.batch import compare_inputs

    start = time.perf_counter()
    extra: dict[str, float] = {}
    if mode == "compare":
        result = compare_inputs([corpus], jobs=jobs, progress=False)
    else:
        from auditnlp.writers import site

        pages = site.ReportPages(str(Path(out) / "reports"))
        result = compare_inputs([corpus], jobs=jobs, progress=False, on_report=pages)
        analysed = time.perf_counter()
        written = {
            site.page_name(f, r) for f, r in zip(result.reports["file"], result.reports["row"], strict=True)
        }
        site.write_site(result, out, written=written)
        extra["final_pages_s"] = time.perf_counter() - analysed
        extra["site_mb"] = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file()) / 1e6
        extra["pages"] = len(list((Path(out) / "reports").glob("*.html")))
    wall = time.perf_counter() - start
    return {
        "mode": mode,
        "reports": len(result.reports),
        "errors": len(result.errors),
        "jobs": jobs,
        "wall_s": wall,
        "cpu_s": _cpu(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **extra,
    }  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", default=None, help="Write the site here (kept) instead of a temp folder.")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "CORPUS", "OUT", "JOBS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, corpus, out, jobs = args.child
        print(json.dumps(run(mode, corpus, out, int(jobs))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "reports"
        make_corpus(corpus, args.reports)
        out = Path(args.keep) if args.keep else Path(tmp) / "site"
        load = os.getloadavg()[0]
        print(f"{args.reports} reports, {args.jobs} jobs, load average before: {load:.1f}")
        for mode in ("compare", "review"):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(corpus), str(out), str(args.jobs)],
                capture_output=True,
                text=True,
                check=True,
            )
            print(json.dumps(json.loads(proc.stdout.strip().splitlines()[-1]), ensure_ascii=False))


if __name__ == "__main__":
    main()
