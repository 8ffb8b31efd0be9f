"""Measure auditnlp on the genres corpus (corpora/genres, issue 14) against its hand labels.

Usage (from the repository root):

    python eval/eval_genres.py                 # markdown tables: per genre and overall, dev and held-out
    python eval/eval_genres.py --details       # also a table per document and the metadata detected
    python eval/eval_genres.py --misses        # also list every gold item missed and every false positive

Every document of ``corpora/genres`` is analysed with :func:`auditnlp.analyze` (all stages; unit and year
from ``corpora/genres/manifest.csv``) and compared with ``corpora/genres/labels/<doc>.yaml``:

* **slogans** — a gold slogan is found when one extracted slogan overlaps at least half of it (recall); an
  extracted slogan is right when at least half of it lies inside gold slogans (precision);
* **problems / measures** — the same rule with ``report.problems`` / ``report.measures``. Granularity: a
  gold problem that has children (``parent`` in the labels) also counts as found when at least half of its
  children are found; an extracted finding that spans a problem and its children (a whole sub-section)
  finds each of them, and is right because it lies inside gold problems;
* **categories** — accuracy and macro-F1 (mean F1 over the labels that occur in the gold or the
  predictions) of the predicted category of each labelled paragraph and list item (the
  ``corpora/genres`` rows of ``corpora/labels/labels.tsv``). The shipped model is trained on every label,
  these documents' included, so by default the categories come from models that never saw the document:
  a dev document is predicted by the shipped design trained on every labelled document except that one
  and the held-out part (``corpora/labels/genres.tsv``), a held-out document by one trained on everything
  except the held-out part. ``--model PATH`` measures a saved model as the analysis applies it instead
  (``--model shipped``: the packaged one);
* **recurrence** — for each unit with two or more documents in the part, :func:`auditnlp.compare_reports`
  on the unit's documents only, pairs read from ``comparison.recurring``; a predicted pair matches a gold
  pair when each side overlaps the gold problem (or one of its children) by at least half of the shorter
  of the two spans. Pairs count under the genre of the later document.

A gold span is located in ``report.text`` through the offset map, so normalisation does not move it; a span
that falls in removed text counts as missed. The dev and held-out parts (``part`` in the labels) are
reported separately: rules must not be tuned on the held-out part.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import auditnlp  # noqa: E402
from auditnlp.corpus.manifest import Manifest, apply_manifest, load_manifest  # noqa: E402
from auditnlp.training.labels import read_refs, text_sha1  # noqa: E402
from auditnlp.types import Meta, Report  # noqa: E402

GENRES = ROOT / "corpora" / "genres"
LABELS_TSV = ROOT / "corpora" / "labels" / "labels.tsv"
GENRES_TSV = ROOT / "corpora" / "labels" / "genres.tsv"
PARTS = ("dev", "heldout")
GENRE_ORDER = (
    "audit_work_report",
    "rectification_report",
    "period_summary",
    "party_building",
    "news_page",
    "case_study",
)
Span = tuple[int, int]


@dataclass
class Doc:
    """One document: its labels, its analysed report and the gold spans located in ``report.text``."""

    name: str
    gold: dict[str, Any]
    report: Report
    detected: Meta
    slogans: list[Span] = field(default_factory=list)
    problems: list[Span] = field(default_factory=list)
    children: dict[Span, list[Span]] = field(default_factory=dict)
    measures: list[Span] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    @property
    def genre(self) -> str:
        return str(self.gold["genre"])

    @property
    def part(self) -> str:
        return str(self.gold["part"])


class Locator:
    """Locate a gold text (its N-th occurrence in the source file) as a span of ``report.text``."""

    def __init__(self, source: str, report: Report) -> None:
        self.source = source
        self.report = report
        self.to_text = {report.source_offset(i): i for i in range(len(report.text))}

    def span(self, text: str, at: int = 0) -> Span | None:
        """The span of the `at`-th occurrence of `text`, or ``None`` when it was removed or is absent."""
        pos = -1
        for _ in range(at + 1):
            pos = self.source.find(text, pos + 1)
            if pos < 0:
                return None
        start = self.to_text.get(pos)
        last = self.to_text.get(pos + len(text) - 1)
        if start is None or last is None:
            return None
        return (start, last + 1)


def overlap(a: Span, b: Span) -> int:
    """Characters shared by two spans."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def covered(span: Span, spans: Iterable[Span]) -> int:
    """Characters of `span` inside the union of `spans`."""
    marks = bytearray(span[1] - span[0])
    for other in spans:
        for i in range(max(span[0], other[0]), min(span[1], other[1])):
            marks[i - span[0]] = 1
    return sum(marks)


def found_by(gold: Span, predicted: Sequence[Span]) -> bool:
    """Whether one predicted span overlaps at least half of `gold`."""
    return any(2 * overlap(gold, p) >= gold[1] - gold[0] for p in predicted)


@dataclass
class Score:
    """Counts for recall (found / gold) and precision (right / predicted)."""

    found: int = 0
    gold: int = 0
    right: int = 0
    predicted: int = 0

    def add(self, other: Score) -> None:
        self.found += other.found
        self.gold += other.gold
        self.right += other.right
        self.predicted += other.predicted


def score_spans(
    gold: Sequence[Span], predicted: Sequence[Span], children: dict[Span, list[Span]] | None = None
) -> tuple[Score, list[Span], list[Span]]:
    """Recall/precision counts of `predicted` against `gold`, the gold spans missed and the wrong predictions."""
    children = children or {}
    found = {g for g in gold if found_by(g, predicted)}
    for parent, kids in children.items():
        if parent not in found and kids and 2 * sum(k in found for k in kids) >= len(kids):
            found.add(parent)
    wrong = [p for p in predicted if 2 * covered(p, gold) < p[1] - p[0]]
    missed = [g for g in gold if g not in found]
    return Score(len(found), len(gold), len(predicted) - len(wrong), len(predicted)), missed, wrong


def load_docs(manifest: Manifest, model: str | None = None) -> list[Doc]:
    """Analyse every labelled document and locate its gold spans."""
    docs = []
    options = auditnlp.Options(model=model)
    for path in sorted((GENRES / "labels").glob("*.yaml")):
        gold = yaml.safe_load(path.read_text(encoding="utf-8"))
        file = GENRES / gold["doc"]
        analysed = auditnlp.analyze(file, options=options)
        report = apply_manifest(analysed, manifest)
        locate = Locator(file.read_text(encoding="utf-8"), report)
        doc = Doc(gold["doc"], gold, report, analysed.meta)
        for kind in ("slogans", "problems", "measures"):
            for entry in gold.get(kind) or ():
                span = locate.span(entry["text"], entry.get("at", 0))
                if span is None:
                    doc.lost.append(f"{kind}: {entry['text']}")
                    continue
                getattr(doc, kind).append(span)
                if kind == "problems" and entry.get("parent"):
                    parent = locate.span(entry["parent"])
                    if parent is not None:
                        doc.children.setdefault(parent, []).append(span)
        docs.append(doc)
    return docs


Key = tuple[str, str, int, int]


def cross_fitted_categories() -> tuple[dict[Key, str], str]:
    """Predicted category of every ``corpora/genres`` unit of labels.tsv by a model that never saw its
    document (see the module docstring), keyed by (doc, unit, start, end); and a line saying so."""
    from auditnlp.classify.model import DEFAULT_DESIGN, INPUTS, build_pipeline
    from auditnlp.classify.taxonomy import load_taxonomy
    from auditnlp.training.labels import load_genres, load_labels

    tax = load_taxonomy()
    data = load_labels(LABELS_TSV, labels=tax.labels)
    heldout = [doc for doc, (_, part) in load_genres(GENRES_TSV).items() if part == "heldout"]
    base = data.without(heldout)
    mode = INPUTS.get(DEFAULT_DESIGN, "text")
    out: dict[Key, str] = {}

    def fit_and_predict(train: Any, docs: set[str]) -> None:
        model = build_pipeline(DEFAULT_DESIGN, keywords=tax.keywords(), default=tax.default)
        model.fit(train.inputs(mode), train.labels())
        units = [u for u in data.units if u.group in docs]
        test = type(data)(tuple(units), (), data.source)
        for unit, label in zip(units, model.predict(test.inputs(mode)), strict=True):
            out[(unit.ref.doc, unit.ref.unit, unit.ref.start, unit.ref.end)] = str(label)

    fit_and_predict(base, set(heldout))
    for doc in sorted({u.group for u in base.units if u.group.startswith("corpora/genres/")}):
        fit_and_predict(base.without([doc]), {doc})
    note = (
        f"Categories: design `{DEFAULT_DESIGN}` cross-fitted (a dev document predicted by a model trained on "
        f"every labelled document but itself and the {len(heldout)} held-out ones; a held-out document by "
        f"one trained on all {len({u.group for u in base.units})} non-held-out documents)."
    )
    return out, note


def category_pairs(
    docs: Sequence[Doc], predicted: dict[Key, str] | None = None
) -> dict[str, list[tuple[str, str]]]:
    """(gold, predicted) category of each labelled unit (``corpora/genres`` rows of labels.tsv), by document:
    from `predicted` when given, else the category the analysis gave the unit."""
    refs, _ = read_refs(LABELS_TSV)
    by_name = {d.name: d for d in docs}
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ref in refs:
        if not ref.doc.startswith("corpora/genres/"):
            continue
        doc = by_name.get(ref.doc.removeprefix("corpora/genres/"))
        if doc is None:
            print(f"warning: labels.tsv line {ref.line}: {ref.doc} has no label file", file=sys.stderr)
            continue
        pool = doc.report.paragraphs if ref.unit == "paragraph" else doc.report.items
        hit = next((u for u in pool if (u.start, u.end) == (ref.start, ref.end)), None)
        if hit is None or text_sha1(hit.text) != ref.sha1:
            print(
                f"warning: labels.tsv line {ref.line}: {ref.doc} {ref.unit} {ref.start}:{ref.end} changed; "
                "run python scripts/genres_labels.py",
                file=sys.stderr,
            )
            pairs[doc.name].append((ref.label, "none"))
            continue
        if predicted is not None:
            pairs[doc.name].append(
                (ref.label, predicted.get((ref.doc, ref.unit, ref.start, ref.end), "none"))
            )
        else:
            pairs[doc.name].append((ref.label, hit.category or "none"))
    return pairs


def macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    """Mean F1 over the labels that occur in the gold or the predictions."""
    labels = sorted({g for g, _ in pairs} | {p for _, p in pairs})
    scores = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def _side_match(pred: Span, gold: Span, kids: Sequence[Span]) -> bool:
    return any(2 * overlap(pred, g) >= min(pred[1] - pred[0], g[1] - g[0]) for g in (gold, *kids))


def recurrence(docs: Sequence[Doc], manifest: Manifest) -> tuple[dict[str, Score], list[str]]:
    """Recurrence counts per genre (of the later document) and a line per miss / false pair."""
    scores: dict[str, Score] = defaultdict(Score)
    notes: list[str] = []
    units: dict[str, list[Doc]] = defaultdict(list)
    for doc in docs:
        units[str(doc.gold["unit"])].append(doc)
    for unit, members in sorted(units.items()):
        if len(members) < 2:
            continue
        by_path = {d.report.source.path: d for d in members}
        comparison = auditnlp.compare_reports([d.report for d in members], manifest=manifest)
        frame = comparison.recurring
        predicted: list[tuple[Doc, Span, Doc, Span]] = []
        for row in frame.itertuples(index=False):
            later, earlier = by_path[row.file_b], by_path[row.file_a]
            if (row.year_a or 0) > (row.year_b or 0):
                later, earlier = earlier, later
                text_later, text_earlier = row.text_a, row.text_b
            else:
                text_later, text_earlier = row.text_b, row.text_a
            if not isinstance(text_later, str) or not isinstance(text_earlier, str):
                continue
            ls, es = later.report.text.find(text_later), earlier.report.text.find(text_earlier)
            if ls < 0 or es < 0:
                continue
            predicted.append((later, (ls, ls + len(text_later)), earlier, (es, es + len(text_earlier))))
        gold: list[tuple[Doc, Span, Doc, Span]] = []
        by_name = {d.name: d for d in members}
        for doc in members:
            locate = Locator((GENRES / doc.name).read_text(encoding="utf-8"), doc.report)
            for pair in doc.gold.get("recurs") or ():
                before = by_name.get(pair["previous_doc"])
                if before is None:
                    continue
                prev_locate = Locator((GENRES / before.name).read_text(encoding="utf-8"), before.report)
                this, prev = locate.span(pair["this"]), prev_locate.span(pair["previous"])
                if this is None or prev is None:
                    notes.append(f"{doc.name}: recurrence pair not located: {pair['this'][:30]}")
                    continue
                gold.append((doc, this, before, prev))

        def match(p: tuple[Doc, Span, Doc, Span], g: tuple[Doc, Span, Doc, Span]) -> bool:
            return (
                p[0] is g[0]
                and p[2] is g[2]
                and _side_match(p[1], g[1], g[0].children.get(g[1], []))
                and _side_match(p[3], g[3], g[2].children.get(g[3], []))
            )

        for g in gold:
            score = scores[g[0].genre]
            score.gold += 1
            if any(match(p, g) for p in predicted):
                score.found += 1
            else:
                notes.append(f"{unit}: missed pair {_show(g[0], g[1])} <- {_show(g[2], g[3])}")
        for p in predicted:
            score = scores[p[0].genre]
            score.predicted += 1
            if any(match(p, g) for g in gold):
                score.right += 1
            else:
                notes.append(f"{unit}: false pair {_show(p[0], p[1])} <- {_show(p[2], p[3])}")
    return scores, notes


def _show(doc: Doc, span: Span) -> str:
    text = doc.report.text[span[0] : span[1]].replace("\n", " ")
    return f"{doc.name}[{text[:28]}{'…' if len(text) > 28 else ''}]"


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.2f} ({num}/{den})" if den else "–"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def commit() -> str:
    """Which code was measured: the last commit that changed ``auditnlp/`` and the checkout's commit
    (``+`` when ``auditnlp/`` has uncommitted changes); ``unknown`` outside a git checkout."""
    try:
        package = _git("log", "-1", "--format=%h", "--", "auditnlp")
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "auditnlp")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"package code of commit `{package}{'+' if dirty else ''}` (checkout `{head}`)"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the evaluation tables; return 0."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--details", action="store_true", help="also print a table per document")
    parser.add_argument("--misses", action="store_true", help="also list misses and false positives")
    parser.add_argument(
        "--model",
        default=None,
        help="measure the categories of this model file as the analysis applies it ('shipped': the packaged "
        "model) instead of cross-fitted models that never saw the document",
    )
    args = parser.parse_args(argv)

    manifest = load_manifest(GENRES / "manifest.csv")
    model = None if args.model in (None, "shipped") else args.model
    docs = load_docs(manifest, model)
    if args.model is None:
        predicted, category_note = cross_fitted_categories()
        cats = category_pairs(docs, predicted)
    else:
        cats = category_pairs(docs)
        category_note = f"Categories: the model `{args.model}` as the analysis applies it."
    rows: dict[str, dict[str, Any]] = {}
    misses: list[str] = []
    for doc in docs:
        r = doc.report
        s, s_miss, s_wrong = score_spans(doc.slogans, [(x.start, x.end) for x in r.slogans])
        p, p_miss, p_wrong = score_spans(doc.problems, [(x.start, x.end) for x in r.problems], doc.children)
        m, m_miss, m_wrong = score_spans(doc.measures, [(x.start, x.end) for x in r.measures])
        rows[doc.name] = {"slogans": s, "problems": p, "measures": m, "cats": cats.get(doc.name, [])}
        for kind, missed, wrong in (
            ("slogan", s_miss, s_wrong),
            ("problem", p_miss, p_wrong),
            ("measure", m_miss, m_wrong),
        ):
            misses.extend(f"{doc.name}: missed {kind} {_show(doc, x)}" for x in missed)
            misses.extend(f"{doc.name}: wrong {kind} {_show(doc, x)}" for x in wrong)
        misses.extend(f"{doc.name}: gold span not in the analysed text: {x}" for x in doc.lost)

    print("# Genres corpus evaluation (issue 14)\n")
    print(f"Measured on the {commit()} with `python eval/eval_genres.py`; auditnlp {auditnlp.__version__}.")
    print("Cells: ratio (count/total). R = recall, P = precision; `–` = nothing to measure.")
    print(category_note + "\n")
    header = (
        "| genre | docs | slogans R | slogans P | problems R | problems P | measures R | measures P "
        "| category acc | category macro-F1 | recurrence P | recurrence R |"
    )
    for part in PARTS:
        in_part = [d for d in docs if d.part == part]
        rec, rec_notes = recurrence(in_part, manifest)
        misses.extend(f"[{part}] {n}" for n in rec_notes)
        print(f"## {'Dev' if part == 'dev' else 'Held-out'} part ({len(in_part)} documents)\n")
        print(header)
        print("|" + "---|" * 12)
        groups = [(g, [d for d in in_part if d.genre == g]) for g in GENRE_ORDER]
        groups = [(g, ds) for g, ds in groups if ds] + [("**overall**", in_part)]
        for genre, members in groups:
            total = {k: Score() for k in ("slogans", "problems", "measures")}
            pairs: list[tuple[str, str]] = []
            for d in members:
                for k in total:
                    total[k].add(rows[d.name][k])
                pairs.extend(rows[d.name]["cats"])
            r_score = Score()
            for g in {d.genre for d in members}:
                r_score.add(rec.get(g, Score()))
            acc = sum(1 for g, p in pairs if g == p)
            cells = [
                genre,
                str(len(members)),
                _ratio(total["slogans"].found, total["slogans"].gold),
                _ratio(total["slogans"].right, total["slogans"].predicted),
                _ratio(total["problems"].found, total["problems"].gold),
                _ratio(total["problems"].right, total["problems"].predicted),
                _ratio(total["measures"].found, total["measures"].gold),
                _ratio(total["measures"].right, total["measures"].predicted),
                _ratio(acc, len(pairs)),
                f"{macro_f1(pairs):.2f}" if pairs else "–",
                _ratio(r_score.right, r_score.predicted),
                _ratio(r_score.found, r_score.gold),
            ]
            print("| " + " | ".join(cells) + " |")
        print()

    if args.details:
        print("## Per document\n")
        print(
            "| document | part | unit / year detected | slogans R | problems R | measures R | category acc |"
        )
        print("|---|---|---|---|---|---|---|")
        for doc in docs:
            row = rows[doc.name]
            detected = doc.detected
            ok = (detected.unit or "").startswith(str(doc.gold["unit"])) and detected.year == int(
                str(doc.gold["period"])[:4]
            )
            acc = sum(1 for g, p in row["cats"] if g == p)
            print(
                f"| {doc.name} | {doc.part} | {detected.unit or '–'} / {detected.year or '–'}"
                f"{'' if ok else ' ✗'} | {_ratio(row['slogans'].found, row['slogans'].gold)} "
                f"| {_ratio(row['problems'].found, row['problems'].gold)} "
                f"| {_ratio(row['measures'].found, row['measures'].gold)} | {_ratio(acc, len(row['cats']))} |"
            )
        print()
    if args.misses:
        print("## Misses and false positives\n")
        print("```")
        print("\n".join(misses))
        print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
