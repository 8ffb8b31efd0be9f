"""Choose the recurrence threshold on labelled pairs and report precision/recall (issue 14).

Usage (from the repository root)::

    python eval/eval_recurrence.py              # the dev table only, to choose the threshold
    python eval/eval_recurrence.py --heldout > eval/recurrence_threshold.md   # once chosen

Labelled pairs: the ``recurs`` pairs of the dev part of ``corpora/genres`` (岚溪区, 岑县; 鹤汀区 has two
years and no recurring problem) and the five recurring problems of ``corpora/samples`` (its README; every
other pair of a unit's problems across years counts as not recurring). For each threshold the script pairs
every unit's reports with :func:`auditnlp.corpus.recurrence.pair_problems` and counts right, wrong and
missed pairs (a genres pair matches when each side overlaps the gold problem, or one of its sub-findings,
by half the shorter span, as in ``eval/eval_genres.py``; a sample pair when both headings are the known
ones). The threshold with the best F1 on the dev pairs is the one to put in ``recurrence.yaml``; the
held-out pairs (湍县) are measured at that threshold only, never used to choose.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_genres as eg  # noqa: E402

import auditnlp  # noqa: E402
from auditnlp.corpus.manifest import with_meta  # noqa: E402
from auditnlp.corpus.recurrence import load_recurrence_rules, pair_problems  # noqa: E402

SAMPLES = ROOT / "corpora" / "samples"
SAMPLE_PAIRS = {
    ("青山区审计局", "审计整改跟踪不够及时", "审计整改跟踪督促仍不够及时"),
    ("江北市审计局", "大数据审计“引擎”动力不足", "大数据审计“引擎”动力仍显不足"),
    ("江北市审计局", "审计整改“后半篇文章”做得不够实", "审计整改“后半篇文章”仍需持续做实"),
    ("临川县审计局", "调查研究成果转化运用不够充分", "调研成果转化运用仍有差距"),
    ("南湖区审计局", "审计整改跟踪“后劲”不足", "审计整改跟踪仍存在“后劲”不足问题"),
}
THRESHOLDS = [round(0.05 * i, 2) for i in range(2, 19)]


def genre_units(docs: list[eg.Doc], part: str) -> list[tuple[list[eg.Doc], list[tuple]]]:
    """Units of the part with two or more documents: their documents and gold pairs."""
    units: dict[str, list[eg.Doc]] = defaultdict(list)
    for doc in docs:
        if doc.part == part:
            units[str(doc.gold["unit"])].append(doc)
    out = []
    for _, members in sorted(units.items()):
        if len(members) < 2:
            continue
        by_name = {d.name: d for d in members}
        gold = []
        for doc in members:
            locate = eg.Locator((eg.GENRES / doc.name).read_text(encoding="utf-8"), doc.report)
            for pair in doc.gold.get("recurs") or ():
                before = by_name.get(pair["previous_doc"])
                if before is None:
                    continue
                prev = eg.Locator((eg.GENRES / before.name).read_text(encoding="utf-8"), before.report)
                this, that = locate.span(pair["this"]), prev.span(pair["previous"])
                if this is not None and that is not None:
                    gold.append((doc, this, before, that))
        out.append((members, gold))
    return out


def count_genres(
    units: list[tuple[list[eg.Doc], list[tuple]]], threshold: float
) -> tuple[int, int, int, int]:
    """(right predicted, predicted, found gold, gold) over the units at `threshold`."""
    right = predicted = found = total = 0
    for members, gold in units:
        by_path = {d.report.source.path: d for d in members}
        pairs = pair_problems([d.report for d in members], threshold=threshold)
        preds = [
            (by_path[p.later_path], (p.later.start, p.later.end), by_path[p.earlier_path],
             (p.earlier.start, p.earlier.end))
            for p in pairs
        ]  # fmt: skip

        def match(p: tuple, g: tuple) -> bool:
            return (
                p[0] is g[0]
                and p[2] is g[2]
                and eg._side_match(p[1], g[1], g[0].children.get(g[1], []))
                and eg._side_match(p[3], g[3], g[2].children.get(g[3], []))
            )

        predicted += len(preds)
        right += sum(1 for p in preds if any(match(p, g) for g in gold))
        total += len(gold)
        found += sum(1 for g in gold if any(match(p, g) for p in preds))
    return right, predicted, found, total


def sample_reports() -> list:
    """The sample corpus analysed, with the manifest's unit and year."""
    reports = []
    with (SAMPLES / "manifest.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            report = auditnlp.analyze(SAMPLES / row["path"])
            reports.append(with_meta(report, unit=row["unit"], year=int(row["year"])))
    return reports


def count_samples(reports: list, threshold: float) -> tuple[int, int, int, int]:
    """(right predicted, predicted, found gold, gold) on the sample corpus at `threshold`."""
    pairs = pair_problems(reports, threshold=threshold)
    got = {(p.unit, p.earlier.heading, p.later.heading) for p in pairs}
    right = sum(1 for p in pairs if (p.unit, p.earlier.heading, p.later.heading) in SAMPLE_PAIRS)
    return right, len(pairs), len(got & SAMPLE_PAIRS), len(SAMPLE_PAIRS)


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.2f} ({num}/{den})" if den else "–"


def _f1(right: int, predicted: int, found: int, total: int) -> float:
    p = right / predicted if predicted else 0.0
    r = found / total if total else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> int:
    """Print the threshold table, the chosen threshold and the held-out figures."""
    manifest = eg.load_manifest(eg.GENRES / "manifest.csv")
    docs = eg.load_docs(manifest)
    dev_units, held_units = genre_units(docs, "dev"), genre_units(docs, "heldout")
    samples = sample_reports()
    rules = load_recurrence_rules()
    print("# Recurrence threshold (issue 14)\n")
    print(f"Written by `python eval/eval_recurrence.py` on the {eg.commit()}.")
    print(
        f"Scores: reference vocabulary `{rules.source.replace('recurrence.yaml', 'recurrence_df.tsv')}` "
        f"({rules.documents} paragraphs, {len(rules.df)} n-grams), containment factor "
        f"{rules.containment_factor} (ratio {rules.containment_ratio}), cue score {rules.cue_score}; "
        f"the threshold in `{rules.source}` is {rules.threshold}.\n"
    )
    print("Dev pairs: corpora/genres dev units (岚溪区 7, 岑县 2, 鹤汀区 none) and corpora/samples (5).\n")
    print("| threshold | genres P | genres R | samples P | samples R | all dev P | all dev R | all dev F1 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    best = (-1.0, 0.0)
    rows = {}
    for t in THRESHOLDS:
        g = count_genres(dev_units, t)
        s = count_samples(samples, t)
        total = tuple(a + b for a, b in zip(g, s, strict=True))
        f1 = _f1(*total)
        rows[t] = total
        if f1 > best[0] + 1e-9:
            best = (f1, t)
        print(
            f"| {t:.2f} | {_ratio(g[0], g[1])} | {_ratio(g[2], g[3])} | {_ratio(s[0], s[1])} | "
            f"{_ratio(s[2], s[3])} | {_ratio(total[0], total[1])} | {_ratio(total[2], total[3])} | {f1:.2f} |"
        )
    f1 = best[0]
    plateau = [t for t in THRESHOLDS if abs(_f1(*rows[t]) - f1) < 1e-9]
    print(
        f"\nBest dev F1 {f1:.2f} at thresholds {plateau[0]:.2f}–{plateau[-1]:.2f}; "
        f"`recurrence.yaml` uses {rules.threshold}."
    )
    if "--heldout" not in sys.argv:
        print("\n(Held-out pairs not measured: pass --heldout once the threshold is chosen.)")
        return 0
    h = count_genres(held_units, rules.threshold)
    print(
        f"\nHeld-out pairs (湍县, 7), measured once at {rules.threshold}: precision {_ratio(h[0], h[1])}, "
        f"recall {_ratio(h[2], h[3])}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
