"""Analysis speed against jieba's segmentation of the same texts, per stage, the regex floor and cold start.

Usage:
    python bench/bench_speed.py [--shared ../shared] [--rounds 5] [--against REV] [--out bench/speed.md]
                                [--jionlp-python PATH] [--cold 5]

In one process per tree and corpus, on the same texts (decoded once by this tree's readers and handed to
every process), each round times with CPU time (``time.process_time``; steadier than wall time on a shared
machine), in an order reversed every other round:

- ``jieba``: ``jieba.lcut`` of every text (the global tokenizer, initialised and warmed by one pass first);
- ``full``: ``analyze_text`` of every text (every stage; lexicons and model loaded by a first pass);
- ``structure``: normalisation and structure only (``stages=()``);
- each stage alone (indicators, slogans, findings, classify) on the structured reports;
- ``floor``: one ``regex`` pass of number + magnitude + unit (``units.tsv``), the speed no extractor of
  quantities can beat in pure Python;
- ``fixed``: ``analyze_text`` of a three-line report once per document of the corpus: the cost every report
  pays whatever its length (most of the full analysis's time on audit-size reports is not in it; its share
  says how much a faster per-character path can still give).

Corpora: ``gov`` the government reports of ``<shared>/corpora/gov-reports`` (2025 .docx, 2026 .csv; read by
path at run time, skipped with a message when absent) and ``audit`` the audit-size reports (the bundled
``corpora/samples`` and ``corpora/genres``, and ``<shared>/seeds``). Printed per case: min and median seconds
over the rounds, MB/s, and per round the ratio jieba ÷ full (> 1: the analysis is faster than jieba).

``--against REV`` runs the same measurement on that git revision's package (``git archive``) in its own
processes, alternating with this tree's, so both see the same machine load, and prints them side by side.
``--mypyc MODULE.py …`` does the same with a copy of this tree's package whose named modules are compiled
by mypyc (a C compiler and mypy needed; nothing in the repository changes): whether compiling the Python
glue of a stage pays (e.g. ``auditnlp/extract/numbers.py auditnlp/extract/indicators.py``).
``--cold N`` times N cold runs of ``auditnlp analyze FILE --json``, ``import auditnlp`` and the README's first
command (``compare corpora/samples --manifest … -o X.xlsx``) per tree, alternating. ``--jionlp-python``
names a Python that has jionlp (its own venv: jionlp is not a dependency) to time ``extract_money`` on the
gov texts against the indicator stage. The machine's load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_indicators import export_package as _export  # run as a script: bench/ is on sys.path

ROOT = Path(__file__).resolve().parent.parent
STAGE_NAMES = ("indicators", "slogans", "findings", "classify")
CASES = ("jieba", "full", "structure", *STAGE_NAMES, "floor", "fixed")
ONE_LINE = "某市审计局2024年工作总结\n一、主要工作\n全年完成审计项目12个。\n"
"""The ``fixed`` case's report: three short lines, so its time is what any report costs, however long."""


def corpus_paths(corpus: str, shared: Path) -> list[Path]:
    """The files of corpus `corpus` (``gov`` or ``audit``)."""
    if corpus == "gov":
        gov = shared / "corpora" / "gov-reports"
        return sorted([*gov.glob("2025-docx/*.docx"), *gov.glob("2026-csv/*.csv")])
    bundled = [
        p
        for folder in (ROOT / "corpora" / "samples", ROOT / "corpora" / "genres")
        for p in sorted(folder.iterdir())
        if p.suffix in (".txt", ".docx") and not p.name.startswith(("_", "."))
    ]
    return bundled + sorted((shared / "seeds").glob("*.txt"))


def load_texts(paths: list[Path]) -> list[str]:
    """The decoded text of every document (as ``analyze_text`` would be given it)."""
    from auditnlp.readers.inputs import iter_documents

    return [
        doc.text
        for doc in iter_documents([str(p) for p in paths], text_column="full_text")
        if not isinstance(doc, Exception)
    ]


def _floor_pattern(root: Path) -> Any:
    import csv

    import regex

    def column(name: str, key: str) -> list[str]:
        lines = (root / "auditnlp" / "lexicons" / name).read_text(encoding="utf-8-sig").splitlines()
        rows = csv.DictReader([x for x in lines if x.strip() and not x.startswith("#")], delimiter="\t")
        return [r[key].strip() for r in rows if r.get(key)]

    units = sorted(set(column("units.tsv", "unit")), key=len, reverse=True)
    mags = sorted(set(column("magnitudes.tsv", "magnitude")), key=len, reverse=True)
    number = r"(?:\d+(?:[.,]\d+)*|[零〇一二三四五六七八九十百千万亿两]+)"
    alt = "|".join(map(regex.escape, units))
    mag = "|".join(map(regex.escape, mags))
    return regex.compile(rf"{number}(?:{mag})?(?:{alt})?%?")


def measure(root: Path, texts_file: Path, rounds: int) -> dict[str, Any]:
    """Run every case for `rounds` rounds with the package under `root` (in a fresh interpreter)."""
    sys.path.insert(0, str(root))
    import jieba

    import auditnlp
    from auditnlp.lexicon import load_lexicons
    from auditnlp.pipeline import STAGES, Options, analyze_text

    texts: list[str] = json.loads(texts_file.read_text(encoding="utf-8"))
    jieba.setLogLevel(60)
    jieba.initialize()
    for t in texts:  # warm both sides: dictionaries, lexicons, compiled patterns, the model
        jieba.lcut(t)
        analyze_text(t)
    lexicon = load_lexicons()
    options = Options()
    structured = [analyze_text(t, options=Options(stages=())) for t in texts]
    floor = _floor_pattern(root)

    def run_stage(name: str) -> None:
        for report in structured:
            STAGES[name](report, lexicon, options)

    cases = {
        "jieba": lambda: [jieba.lcut(t) for t in texts],
        "full": lambda: [analyze_text(t) for t in texts],
        "structure": lambda: [analyze_text(t, options=Options(stages=())) for t in texts],
        **{name: (lambda name=name: run_stage(name)) for name in STAGE_NAMES},
        "floor": lambda: [sum(1 for _ in floor.finditer(t)) for t in texts],
        "fixed": lambda: [analyze_text(ONE_LINE) for _ in texts],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for k in range(rounds):
        for name in list(cases) if k % 2 == 0 else list(cases)[::-1]:
            c0 = time.process_time()
            cases[name]()
            times[name].append(time.process_time() - c0)
    return {
        "package": str(Path(auditnlp.__file__).parent),
        "docs": len(texts),
        "mb": sum(len(t.encode("utf-8")) for t in texts) / 1e6,
        "times": times,
    }


def _child(root: Path, texts_file: Path, rounds: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(root), "--texts", str(texts_file), "--rounds", str(rounds)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cold_start(trees: dict[str, Path], seed: Path, runs: int, tmp: Path) -> dict[str, dict[str, Any]]:
    """Cold runs per tree and command, alternating between trees; bytecode cached as after ``pip install``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pyc")
    out_xlsx = tmp / "comparison.xlsx"

    def entry(root: Path, argv: list[str]) -> list[str]:
        code = (
            f"import sys; sys.path.insert(0, {str(root)!r}); from auditnlp.cli import main; "
            f"sys.argv = {argv!r}; main()"
        )
        return [sys.executable, "-c", code]

    commands = {
        "import auditnlp": lambda root: [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(root)!r}); import auditnlp",
        ],
        "analyze FILE --json": lambda root: entry(root, ["auditnlp", "analyze", str(seed), "--json"]),
        "README compare": lambda root: entry(
            root,
            [
                "auditnlp",
                "compare",
                "corpora/samples",
                "--manifest",
                "corpora/samples/manifest.csv",
                "-o",
                str(out_xlsx),
            ],
        ),
    }
    results: dict[str, dict[str, Any]] = {name: {t: [] for t in trees} for name in commands}
    for name, make in commands.items():
        for root in trees.values():  # write the bytecode once
            _timed(make(root), env, ROOT)
        for _ in range(runs):
            for tree, root in trees.items():
                results[name][tree].append(_timed(make(root), env, ROOT))
    return results


JIONLP_CODE = """
import json, sys, time
import jionlp as jio
from jionlp.algorithm.ner import extract_money
texts = json.load(open(sys.argv[1], encoding="utf-8"))
rounds = int(sys.argv[2])
for t in texts:
    extract_money(t, with_parsing=False)
times = []
found = 0
for _ in range(rounds):
    c0 = time.process_time()
    found = sum(len(extract_money(t, with_parsing=False)) for t in texts)
    times.append(time.process_time() - c0)
print(json.dumps({"times": times, "found": found, "version": jio.__version__}))
"""


def compiled_copy(modules: list[str], into: Path) -> Path:
    """A copy of this tree's package under `into` with `modules` (paths relative to the repository, e.g.
    ``auditnlp/extract/numbers.py``) compiled by mypyc in place (their extension modules beside them)."""
    import shutil

    shutil.copytree(ROOT / "auditnlp", into / "auditnlp", ignore=shutil.ignore_patterns("__pycache__"))
    (into / "mypy.ini").write_text("[mypy]\npython_version = 3.11\nignore_missing_imports = True\n")
    subprocess.run([sys.executable, "-m", "mypyc", *modules], cwd=into, check=True, capture_output=True)
    return into


def _stats(xs: list[float]) -> tuple[float, float]:
    return min(xs), statistics.median(xs)


def report_corpus(name: str, results: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Markdown: one table per corpus, trees side by side."""
    trees = list(results)
    first = results[trees[0]][0]
    lines = [f"### {name}: {first['docs']} documents, {first['mb']:.3f} MB UTF-8", ""]
    head = "| case | " + " | ".join(f"{t} min s | {t} median s | {t} MB/s (min)" for t in trees) + " |"
    lines += [head, "|---" * (1 + 3 * len(trees)) + "|"]
    for case in CASES:
        cells = [case]
        for tree in trees:
            xs = [x for run in results[tree] for x in run["times"][case]]
            lo, med = _stats(xs)
            cells += [f"{lo:.3f}", f"{med:.3f}", f"{first['mb'] / lo:.2f}" if lo and case != "fixed" else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for tree in trees:
        ratios = [
            j / f
            for run in results[tree]
            for j, f in zip(run["times"]["jieba"], run["times"]["full"], strict=True)
        ]
        lo, med = _stats(ratios)
        lines.append(
            f"- {tree}: jieba ÷ full analysis per round: min **{lo:.2f}**, median **{med:.2f}**, "
            f"max {max(ratios):.2f} ({len(ratios)} rounds)"
        )
    if len(trees) == 2:
        a, b = trees
        fa = min(x for run in results[a] for x in run["times"]["full"])
        fb = min(x for run in results[b] for x in run["times"]["full"])
        lines.append(f"- full analysis {a} ÷ {b} (min CPU): {fa / fb:.2f}")
    lines.append("")
    return lines


def main() -> int:
    """Run the benchmark, print Markdown (and write it to ``--out``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    ap.add_argument("--rounds", type=int, default=5, help="rounds per process")
    ap.add_argument("--processes", type=int, default=2, help="processes per tree and corpus (alternating)")
    ap.add_argument("--against", help="also measure this git revision's package, side by side")
    ap.add_argument("--mypyc", nargs="+", metavar="MODULE", help="also measure these modules compiled")
    ap.add_argument("--corpus", choices=("gov", "audit", "both"), default="both")
    ap.add_argument("--cold", type=int, default=5, help="cold runs per command and tree (0: none)")
    ap.add_argument("--jionlp-python", type=Path, help="a Python with jionlp installed (its own venv)")
    ap.add_argument("--out", type=Path, help="also write the Markdown here")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.texts, args.rounds)))
        return 0

    load_before = os.getloadavg()
    lines = [
        "## bench/bench_speed.py",
        "",
        f"`python bench/bench_speed.py --rounds {args.rounds} --processes {args.processes}"
        + (f" --against {args.against}" if args.against else "")
        + (f" --mypyc {' '.join(args.mypyc)}" if args.mypyc else "")
        + "`; Python "
        + sys.version.split()[0]
        + f", {os.cpu_count()} CPUs; load average before {load_before[0]:.2f} / {load_before[1]:.2f} / "
        f"{load_before[2]:.2f}. Times are CPU seconds of one process (min / median over all rounds).",
        "",
    ]
    corpora = ["gov", "audit"] if args.corpus == "both" else [args.corpus]
    with tempfile.TemporaryDirectory() as tmpname:
        tmp = Path(tmpname)
        trees = {"this tree": ROOT}
        if args.against:
            trees = {args.against: _export(args.against, tmp / "against"), "this tree": ROOT}
        if args.mypyc:
            trees["mypyc"] = compiled_copy(args.mypyc, tmp / "mypyc")
        gov_texts: Path | None = None
        indicator_times: list[float] = []
        for corpus in corpora:
            paths = corpus_paths(corpus, args.shared)
            if corpus == "gov" and not paths:
                lines += [f"### gov: skipped, no gov-report corpus under {args.shared}", ""]
                continue
            texts_file = tmp / f"{corpus}.json"
            texts_file.write_text(json.dumps(load_texts(paths), ensure_ascii=False), encoding="utf-8")
            results: dict[str, list[dict[str, Any]]] = {tree: [] for tree in trees}
            for _ in range(args.processes):
                for tree, root in trees.items():
                    results[tree].append(_child(root, texts_file, args.rounds))
            for tree, runs in results.items():
                assert all(Path(r["package"]).parent == trees[tree] for r in runs), runs[0]["package"]
            lines += report_corpus(corpus, results)
            print("\n".join(lines), flush=True)
            if corpus == "gov":
                gov_texts = texts_file
                indicator_times = [x for run in results["this tree"] for x in run["times"]["indicators"]]
        if args.jionlp_python is not None and gov_texts is not None:
            out = subprocess.run(
                [str(args.jionlp_python), "-c", JIONLP_CODE, str(gov_texts), str(args.rounds)],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                error = (out.stderr.strip().splitlines() or ["no message"])[-1]
                lines += [f"### jionlp: failed in {args.jionlp_python}: {error}", ""]
        if args.jionlp_python is not None and gov_texts is not None and out.returncode == 0:
            jio = json.loads(out.stdout.strip().splitlines()[-1])
            jlo, jmed = _stats(jio["times"])
            ilo, imed = _stats(indicator_times)
            lines += [
                f"### jionlp {jio['version']} `extract_money(with_parsing=False)` vs indicators (gov)",
                "",
                f"- jionlp: min {jlo:.3f} s, median {jmed:.3f} s, {jio['found']} amounts",
                f"- indicator stage (this tree): min {ilo:.3f} s, median {imed:.3f} s",
                f"- indicator stage speed ÷ jionlp speed: {jlo / ilo:.2f} (min), {jmed / imed:.2f} (median)",
                "",
            ]
        if args.cold:
            seeds = sorted((args.shared / "seeds").glob("*.txt"))
            seed = seeds[0] if seeds else ROOT / "corpora" / "samples" / "qingshan_2023_summary.txt"
            cold = cold_start(trees, seed, args.cold, tmp)
            lines += [
                f"### cold start ({args.cold} runs each, alternating; bytecode cached; file {seed.name})",
                "",
                "| command | "
                + " | ".join(f"{t} wall min / median s | {t} CPU min / median s" for t in trees)
                + " |",
                "|---" * (1 + 2 * len(trees)) + "|",
            ]
            for name, per_tree in cold.items():
                cells = [name]
                for tree in trees:
                    walls = [w for w, _ in per_tree[tree]]
                    cpus = [c for _, c in per_tree[tree]]
                    cells += [
                        f"{min(walls):.2f} / {statistics.median(walls):.2f}",
                        f"{min(cpus):.2f} / {statistics.median(cpus):.2f}",
                    ]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
    load_after = os.getloadavg()
    lines.append(f"Load average after: {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
