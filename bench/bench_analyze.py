"""Benchmark: documents and MB analysed per second on the gov-reports corpus (run by hand).

    python bench/bench_analyze.py [--repeat 3] [--stages structure]

Also measures `import auditnlp` time in a fresh interpreter. Results are printed, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOV = ROOT.parent / "shared" / "corpora" / "gov-reports"


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stages", default=None, help="comma-separated pipeline stages (default: all)")
    args = parser.parse_args()

    from auditnlp.pipeline import STAGES, Options, analyze_document
    from auditnlp.readers import read_documents

    if not GOV.exists():
        sys.exit(f"{GOV} not found: this benchmark needs ../shared beside the checkout")
    stages = tuple(args.stages.split(",")) if args.stages else STAGES
    options = Options(text_column="full_text", stages=stages)
    docs = read_documents(
        sorted(GOV.glob("2025-docx/*.docx")) + sorted(GOV.glob("2026-csv/*.csv")), text_column="full_text"
    )
    megabytes = sum(len(d.text.encode("utf-8")) for d in docs) / 1e6
    analyze_document(docs[0], options)  # warm caches (lexicons, model)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for doc in docs:
            analyze_document(doc, options)
        times.append(time.perf_counter() - start)
    best = min(times)
    print(f"stages: {','.join(stages)}")
    print(f"{len(docs)} documents, {megabytes:.2f} MB (UTF-8) per pass, {args.repeat} passes")
    print(f"best pass {best:.3f} s (median {statistics.median(times):.3f} s)")
    print(f"{len(docs) / best:.1f} documents/s, {megabytes / best:.2f} MB/s")
    imports = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import auditnlp"], capture_output=True, text=True
        )
        last = [line for line in out.stderr.splitlines() if line.rstrip().endswith("auditnlp")][-1]
        imports.append(int(last.split("|")[1]) / 1e6)
    print(f"import auditnlp: {min(imports) * 1000:.0f} ms (best of 5, cumulative, -X importtime)")


if __name__ == "__main__":
    main()
