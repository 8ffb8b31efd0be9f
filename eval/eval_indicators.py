"""Evaluate numeric-indicator extraction against the hand-annotated gold set.

Usage (from the repository root, with ../shared beside it):

    python eval/eval_indicators.py [--shared ../shared] [--jionlp]

Prints precision / recall / F1 of indicator spans (exact offsets) inside the annotated regions, value and
unit accuracy on matched ones, name accuracy; with ``--jionlp`` the same figures for jionlp's money
extraction on the money subset (jionlp is measured, never a dependency). Then the share of indicators
that get a canonical name on the whole gov-report corpus, and the names given to GDP growth in each
province's 2025 and 2026 reports.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditnlp.extract.indicators import extract_indicators  # noqa: E402
from auditnlp.lexicon import load_lexicons  # noqa: E402
from auditnlp.pipeline import Options, analyze_many  # noqa: E402
from auditnlp.types import Indicator, Report  # noqa: E402

GOLD = ROOT / "eval" / "gold" / "indicators.tsv"
REGIONS = ROOT / "eval" / "gold" / "regions.tsv"
MAGNITUDE = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4, "千": Decimal(1000)}


@dataclass(frozen=True)
class Gold:
    doc: str
    start: int
    end: int
    value: Decimal | None
    value_max: Decimal | None
    unit: str
    masked: bool
    name: str | None
    sha1: str


def _rows(path: Path) -> Iterable[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        yield from csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")


def load_gold() -> tuple[list[Gold], dict[str, list[tuple[int, int]]]]:
    """Return the gold indicators and the annotated regions per document."""
    gold = [
        Gold(
            r["doc"],
            int(r["start"]),
            int(r["end"]),
            Decimal(r["value"]) if r["value"] else None,
            Decimal(r["value_max"]) if r["value_max"] else None,
            r["unit"],
            r["masked"] == "1",
            r["name"] or None,
            r["sha1"],
        )
        for r in _rows(GOLD)
    ]
    regions: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in _rows(REGIONS):
        regions[r["doc"]].append((int(r["start"]), int(r["end"])))
    return gold, regions


def analyse(shared: Path, docs: Iterable[str]) -> dict[str, Report]:
    """Analyse each document (structure only) keyed by its path relative to `shared`."""
    out: dict[str, Report] = {}
    opts = Options(stages=("structure",))
    for doc in docs:
        for report in analyze_many([shared / doc], options=opts):
            if isinstance(report, Report):
                out[doc] = report
    return out


def prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1."""
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _inside(regions: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in regions)


def _money_base(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None:
        return None
    prefix = unit[: -len("元")] if unit.endswith("元") else None
    if prefix is None:
        return None
    return value * MAGNITUDE.get(prefix, Decimal(1)) if prefix in MAGNITUDE or prefix == "" else None


def evaluate(shared: Path, use_jionlp: bool) -> int:
    """Print all figures; return a process exit code."""
    gold, regions = load_gold()
    reports = analyse(shared, sorted(regions))
    lex = load_lexicons()
    drift = 0
    preds: dict[str, list[Indicator]] = {}
    for doc, report in reports.items():
        preds[doc] = [
            i
            for i in extract_indicators(report, lexicon=lex)
            if i.flag is None and _inside(regions[doc], i.start, i.end)
        ]
    for g in gold:
        text = reports[g.doc].text
        if hashlib.sha1(text[g.start : g.end].encode()).hexdigest()[:8] != g.sha1:
            drift += 1
    if drift:
        print(f"WARNING: {drift} gold spans no longer match the normalised text (offsets drifted)")
    n_pred = sum(len(v) for v in preds.values())
    by_span = {(i_doc, i.start, i.end): i for i_doc, items in preds.items() for i in items}
    matched = [(g, by_span[(g.doc, g.start, g.end)]) for g in gold if (g.doc, g.start, g.end) in by_span]
    p, r, f = prf(len(matched), n_pred, len(gold))
    value_ok = sum(
        1 for g, i in matched if (g.value, g.value_max, g.masked) == (i.value, i.value_max, i.masked)
    )
    unit_ok = sum(1 for g, i in matched if g.unit == i.unit)
    name_ok = sum(1 for g, i in matched if g.name == i.name)
    named = [(g, i) for g, i in matched if g.name]
    n_regions = sum(map(len, regions.values()))
    print(f"gold set: {len(gold)} indicators in {len(regions)} documents, {n_regions} regions")
    print("\n== auditnlp (exact spans) ==")
    print(f"predicted {n_pred}  matched {len(matched)}  precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    if matched:
        print(
            f"value accuracy on matched {value_ok / len(matched):.3f}   "
            f"unit accuracy {unit_ok / len(matched):.3f}"
        )
        right = sum(1 for g, i in named if g.name == i.name)
        unnamed_gold = [i for g, i in matched if not g.name]
        print(
            f"names: {right}/{len(named)} gold names found ({right / max(len(named), 1):.3f}); "
            f"exact agreement incl. no-name {name_ok / len(matched):.3f}; "
            f"{sum(1 for i in unnamed_gold if i.name)} of {len(unnamed_gold)} gold items without a name got one "
            "(rows added to the lexicon after annotation, or wrong)"
        )
    gold_spans = {(g.doc, g.start, g.end) for g in gold}
    misses = [g for g in gold if (g.doc, g.start, g.end) not in by_span]
    extras = [(d, i) for d, items in preds.items() for i in items if (d, i.start, i.end) not in gold_spans]
    for g in misses[:15]:
        print(f"  missed  {_show(reports[g.doc].text, g.doc, g.start, g.end)}")
    for d, i in extras[:15]:
        print(f"  extra   {_show(reports[d].text, d, i.start, i.end)}")
    money_gold = [g for g in gold if g.unit.endswith("元")]
    if money_gold:
        _money_side_by_side(money_gold, regions, reports, preds, use_jionlp)
    _corpus_names(shared, lex)
    return 0


def _show(text: str, doc: str, start: int, end: int) -> str:
    return f"{Path(doc).name[:12]} {text[max(0, start - 8) : start]}[{text[start:end]}]{text[end : end + 4]}"


def _money_side_by_side(
    money_gold: list[Gold],
    regions: dict[str, list[tuple[int, int]]],
    reports: dict[str, Report],
    preds: dict[str, list[Indicator]],
    use_jionlp: bool,
) -> None:
    gold_spans = {(g.doc, g.start, g.end): g for g in money_gold}
    mine = [(d, i) for d, items in preds.items() for i in items if i.unit_kind == "money"]
    tp = [(gold_spans[(d, i.start, i.end)], i) for d, i in mine if (d, i.start, i.end) in gold_spans]
    p, r, f = prf(len(tp), len(mine), len(money_gold))
    base_ok = sum(1 for g, i in tp if _money_base(g.value, g.unit) == i.base_value)
    print(f"\n== money subset ({len(money_gold)} gold amounts) ==")
    print(
        f"auditnlp : predicted {len(mine)}  P {p:.3f}  R {r:.3f}  F1 {f:.3f}  "
        f"value in 元 right {base_ok}/{len(tp)}"
    )
    if not use_jionlp:
        print("jionlp   : not run (pass --jionlp with jionlp installed)")
        return
    try:
        import jionlp
    except ImportError:
        print("jionlp   : not installed (pip install jionlp; measured only, never a dependency)")
        return
    extract_money = getattr(jionlp, "extract_money", None) or jionlp.ner.extract_money
    found: list[tuple[str, int, int, Decimal | None]] = []
    for doc, spans in regions.items():
        text = reports[doc].text
        for s, e in spans:
            for m in extract_money(text[s:e], with_parsing=True):
                a, b = m["offset"]
                num = m.get("detail", {}).get("num")
                if isinstance(num, list) and num:
                    num = num[0]
                try:
                    value = Decimal(str(num)) if isinstance(num, str | int | float) else None
                except ArithmeticError:
                    value = None
                found.append((doc, s + a, s + b, value))
    jtp = [(gold_spans[(d, a, b)], v) for d, a, b, v in found if (d, a, b) in gold_spans]
    overlap = sum(
        1 for g in money_gold if any(d == g.doc and a < g.end and g.start < b for d, a, b, _ in found)
    )
    jp, jr, jf = prf(len(jtp), len(found), len(money_gold))
    jbase = sum(1 for g, v in jtp if v is not None and _money_base(g.value, g.unit) == v)
    print(
        f"jionlp   : predicted {len(found)}  P {jp:.3f}  R {jr:.3f}  F1 {jf:.3f}  "
        f"value in 元 right {jbase}/{len(jtp)}  (gold amounts overlapped by any jionlp span: {overlap})"
    )
    _masked_money(extract_money)


def _masked_money(extract_money: object) -> None:
    """What jionlp makes of the redacted amounts (*.**亿元, XX万元) of the two seed reports."""
    seeds = sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))
    masked = confident = 0
    for report in analyze_many(seeds, options=Options(stages=("structure",))):
        if not isinstance(report, Report):
            continue
        for i in extract_indicators(report):
            if i.masked and i.unit_kind == "money":
                masked += 1
                window = report.text[max(0, i.start - 4) : i.end]
                for m in extract_money(window, with_parsing=True):  # type: ignore[operator]
                    if m.get("detail", {}).get("num"):
                        confident += 1
                        break
    print(
        f"seeds    : {masked} redacted amounts (value None in auditnlp); "
        f"jionlp gives a number for {confident}"
    )


def _corpus_names(shared: Path, lex: object) -> None:
    paths = sorted((shared / "corpora" / "gov-reports").glob("20*/*"))
    total = named = 0
    growth: dict[str, dict[str, set[str | None]]] = defaultdict(lambda: defaultdict(set))
    for report in analyze_many(paths, options=Options(stages=("structure",))):
        if not isinstance(report, Report):
            continue
        name = Path(report.source.path).name
        year = name[:4]
        province = next(
            (
                p
                for p in ("河北", "山西", "黑龙江", "上海", "安徽", "江西", "湖南", "海南", "云南")
                if p in name
            ),
            "?",
        )
        for i in extract_indicators(report, lexicon=lex):  # type: ignore[arg-type]
            if i.flag is not None:
                continue
            total += 1
            named += i.name is not None
            subject = i.subject or ""
            if (
                i.change
                and i.unit_kind == "percent"
                and subject.endswith(("生产总值", "GDP"))
                and "单位" not in subject
                and not subject.startswith(("人均", "海洋"))
            ):
                growth[province][year].add(i.name)
    print(f"\n== canonical names on the gov corpus ({len(paths)} documents) ==")
    print(f"indicators (not frequency/duration) {total}, with a name {named} ({named / max(total, 1):.1%})")
    print("GDP growth (subject …生产总值/GDP, change, %): names per province and year")
    for province in sorted(growth):
        years = growth[province]
        cells = "  ".join(f"{y}: {sorted(n or '-' for n in years[y])}" for y in sorted(years))
        print(f"  {province}: {cells}")


def main() -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    ap.add_argument("--jionlp", action="store_true", help="also measure jionlp.extract_money")
    args = ap.parse_args()
    if not (args.shared / "corpora" / "gov-reports").is_dir():
        print(f"no gov-report corpus under {args.shared}", file=sys.stderr)
        return 2
    return evaluate(args.shared, args.jionlp)


if __name__ == "__main__":
    sys.exit(main())
