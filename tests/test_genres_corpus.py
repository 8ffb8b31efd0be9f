"""The genres corpus (corpora/genres, issue 14): every label is anchored in its document.

These tests guard the gold standard rather than the rules: a span that is not a substring of its document,
a document without labels, or a labels.tsv reference that no longer resolves (a rule change that moved
offsets or changed segmentation) fails here, with the command that repairs the references.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditnlp.training.labels import load_labels, read_refs

ROOT = Path(__file__).resolve().parents[1]
GENRES = ROOT / "corpora" / "genres"
LABELS_TSV = ROOT / "corpora" / "labels" / "labels.tsv"
GENRE_NAMES = {
    "audit_work_report",
    "rectification_report",
    "period_summary",
    "party_building",
    "news_page",
    "case_study",
}
CATEGORY_LABELS = {"study", "supervision", "rectification", "livelihood", "other"}
PERIOD = re.compile(r"^(?P<year>\d{4})(?:H1|H2|Q[1-4](?:-[1-4])?)?$")

DOCS = sorted(p for p in GENRES.glob("*.txt"))
LABEL_FILES = sorted((GENRES / "labels").glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


GOLD = {p.stem: _load(p) for p in LABEL_FILES}


def _text(name: str) -> str:
    return (GENRES / name).read_text(encoding="utf-8")


def _count(text: str, part: str) -> int:
    return len(re.findall(re.escape(part), text))


def test_every_document_has_labels_and_every_label_file_a_document() -> None:
    assert len(DOCS) >= 18
    assert {p.stem for p in DOCS} == set(GOLD)
    for stem, gold in GOLD.items():
        assert gold["doc"] == f"{stem}.txt"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_documents_are_utf8_of_the_agreed_length(doc: Path) -> None:
    text = doc.read_bytes().decode("utf-8")
    assert not text.startswith("\ufeff")
    assert 1500 <= len(text) <= 4000


@pytest.mark.parametrize("stem", sorted(GOLD))
def test_label_file_fields(stem: str) -> None:
    gold = GOLD[stem]
    assert gold["genre"] in GENRE_NAMES
    assert gold["part"] in {"dev", "heldout"}
    assert PERIOD.match(str(gold["period"])), gold["period"]
    assert gold["unit"] in _text(gold["doc"]), "the unit is named in the document"
    for kind in ("slogans", "problems", "measures"):
        assert gold[kind], f"{stem}: no {kind}"
    assert gold["categories"], f"{stem}: no category labels"
    for entry in gold["categories"]:
        assert entry["unit"] in {"paragraph", "item"}
        assert entry["label"] in CATEGORY_LABELS


@pytest.mark.parametrize("stem", sorted(GOLD))
def test_spans_are_substrings_of_their_document(stem: str) -> None:
    gold = GOLD[stem]
    text = _text(gold["doc"])
    for kind in ("slogans", "problems", "measures"):
        for entry in gold[kind]:
            n = _count(text, entry["text"])
            assert n >= 1, f"{stem} {kind}: not in the document: {entry['text']!r}"
            if "at" in entry:
                assert 0 <= entry["at"] < n, f"{stem} {kind}: occurrence {entry['at']} of {entry['text']!r}"
            else:
                assert n == 1, f"{stem} {kind}: {entry['text']!r} occurs {n} times; say which with `at`"
            assert "\n" not in entry["text"]


@pytest.mark.parametrize("stem", sorted(GOLD))
def test_parents_and_recurrence_pairs_point_at_labelled_problems(stem: str) -> None:
    gold = GOLD[stem]
    problems = {p["text"] for p in gold["problems"]}
    for p in gold["problems"]:
        if "parent" in p:
            assert p["parent"] in problems and p["parent"] != p["text"]
    for pair in gold.get("recurs") or ():
        assert pair["this"] in problems, f"{stem}: recurs.this is not a problem: {pair['this']!r}"
        previous = GOLD[Path(pair["previous_doc"]).stem]
        assert previous["unit"] == gold["unit"]
        assert int(str(previous["period"])[:4]) == int(str(gold["period"])[:4]) - 1
        assert pair["previous"] in {p["text"] for p in previous["problems"]}


def test_three_units_have_recurring_problems_and_the_held_out_part_covers_every_genre() -> None:
    recurring_units = {g["unit"] for g in GOLD.values() if g.get("recurs")}
    assert len(recurring_units) >= 3
    held_out = [g for g in GOLD.values() if g["part"] == "heldout"]
    assert {g["genre"] for g in held_out} == GENRE_NAMES
    assert 0.25 <= len(held_out) / len(GOLD) <= 0.45
    assert any(g.get("recurs") for g in held_out), "the held-out part needs recurrence pairs too"


def test_manifest_agrees_with_the_labels() -> None:
    with (GENRES / "manifest.csv").open(encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    assert set(rows) == {g["doc"] for g in GOLD.values()}
    for gold in GOLD.values():
        row = rows[gold["doc"]]
        assert row["unit"] == gold["unit"] and row["genre"] == gold["genre"] and row["part"] == gold["part"]
        assert row["period"] == str(gold["period"]) and row["year"] == str(gold["period"])[:4]


def _genres_script() -> Any:
    spec = importlib.util.spec_from_file_location("genres_labels", ROOT / "scripts" / "genres_labels.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_labels_tsv_references_to_genres_resolve(tmp_path: Path) -> None:
    lines = LABELS_TSV.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.startswith(("#", "doc\t")) or line.startswith("corpora/genres/")]
    subset = tmp_path / "labels.tsv"
    subset.write_text("\n".join(kept) + "\n", encoding="utf-8")
    data = load_labels(subset, root=ROOT, labels=CATEGORY_LABELS)
    hint = "segmentation changed: run python scripts/genres_labels.py and check the diff"
    assert not data.skipped, f"{hint}: {data.skipped[:3]}"
    assert len(data.units) == sum(len(g["categories"]) for g in GOLD.values())
    assert {u.group.removeprefix("corpora/genres/") for u in data.units} == {g["doc"] for g in GOLD.values()}


def test_labels_tsv_genre_rows_are_those_the_label_files_give() -> None:
    refs, problems = _genres_script().genre_refs()
    assert not problems, problems[:3]
    stored, _ = read_refs(LABELS_TSV)
    key = lambda r: (r.doc, r.unit, r.start, r.end, r.label, r.sha1)  # noqa: E731
    genre_rows = [key(r) for r in stored if r.doc.startswith("corpora/genres/")]
    assert genre_rows == [key(r) for r in refs], "run python scripts/genres_labels.py"


# --- second reader (agreement subset, eval/genres_agreement.py) -------------------------------------------

SECOND = {p.stem: _load(p) for p in sorted((GENRES / "labels_second").glob("*.yaml"))}


@functools.cache
def _agreement_script() -> Any:
    spec = importlib.util.spec_from_file_location("genres_agreement", ROOT / "eval" / "genres_agreement.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_second_reader_labels_the_first_document_of_every_genre() -> None:
    subset = _agreement_script().shared_subset()
    assert {genre for genre, _ in subset} == GENRE_NAMES
    assert {Path(name).stem for _, name in subset} == set(SECOND)
    for genre, name in subset:
        assert SECOND[Path(name).stem]["genre"] == genre
        same_genre = sorted(g["doc"] for g in GOLD.values() if g["genre"] == genre)
        assert name == same_genre[0], "the subset is the first file of each genre in alphabetical order"


@pytest.mark.parametrize("stem", sorted(SECOND))
def test_second_reader_spans_are_substrings_in_document_order(stem: str) -> None:
    labels = SECOND[stem]
    text = (ROOT / labels["doc"]).read_text(encoding="utf-8")
    locate = _agreement_script().locate_in_order
    for kind in ("slogans", "problems", "measures"):
        texts = labels[kind] or []
        for span_text in texts:
            assert isinstance(span_text, str) and span_text, f"{stem} {kind}: empty span"
            assert span_text in text, f"{stem} {kind}: not in the document: {span_text!r}"
            assert "\n" not in span_text
        spans = locate(text, texts)
        assert None not in spans, f"{stem} {kind}: spans are not listed in document order"
        assert all(text[a:b] == t for (a, b), t in zip(spans, texts, strict=True))
        assert len(set(spans)) == len(spans), f"{stem} {kind}: a span is listed twice"


@pytest.mark.parametrize("stem", sorted(SECOND))
def test_second_reader_labels_every_unit_once(stem: str) -> None:
    import auditnlp

    labels = SECOND[stem]
    report = auditnlp.analyze(ROOT / labels["doc"], options=auditnlp.Options(stages=("structure",)))
    units = {("paragraph", u.start, u.end) for u in report.paragraphs}
    units |= {("item", u.start, u.end) for u in report.items}
    labelled = [(c["unit"], c["start"], c["end"]) for c in labels["categories"]]
    assert len(labelled) == len(set(labelled))
    assert set(labelled) == units, "segmentation changed: relabel the units that moved"
    assert {c["label"] for c in labels["categories"]} <= CATEGORY_LABELS | {"skip"}


def test_agreement_measures() -> None:
    script = _agreement_script()
    # po = 3/4; first reader a 3/4, b 1/4; second a 1/2, b 1/2; pe = 1/2; κ = (0.75 - 0.5) / 0.5
    assert script.cohen_kappa([("a", "a"), ("a", "a"), ("a", "b"), ("b", "b")]) == pytest.approx(0.5)
    assert script.cohen_kappa([("a", "b"), ("b", "a")]) == pytest.approx(-1.0)
    assert script.cohen_kappa([("a", "a"), ("a", "a")]) is None, "one label only: κ undefined"
    assert script.spans_match((0, 10), (4, 20)), "6 shared of the shorter 10"
    assert not script.spans_match((0, 10), (6, 20)), "4 shared of the shorter 10"
    assert not script.spans_match((0, 4), (4, 8)), "touching is not overlapping"
    score, only_first, only_second = script.score_spans([(0, 10), (50, 60)], [(2, 9), (30, 40)])
    assert (score.first_matched, score.second_matched) == (1, 1)
    assert only_first == [(50, 60)] and only_second == [(30, 40)]
    text = "“回头看”一次，再“回头看”"
    assert script.locate_in_order(text, ["“回头看”", "“回头看”"]) == [(0, 5), (9, 14)]
    assert script.locate_in_order(text, ["再", "一次"]) == [(8, 9), None], "listed out of order"
