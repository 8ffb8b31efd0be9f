"""Category inference in numpy (issue 15): the exported arrays give the scikit-learn pipeline's probabilities,
are pinned by the sidecar, and analysis runs without scikit-learn, scipy, skops or pandas."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SAMPLES

import auditnlp
from auditnlp.classify import classify_report, section_contexts
from auditnlp.classify.inference import (
    ArrayModel,
    ModelIntegrityWarning,
    arrays_path,
    file_sha256,
    get_predictor,
    load_arrays,
    ngram_keys,
    round_4,
    unit_input,
)
from auditnlp.classify.model import build_pipeline, default_model_path, load_model, read_sidecar, save_model
from auditnlp.errors import ModelError

HEAVY = ("sklearn", "scipy", "skops", "pandas", "jieba")


def _corpus_units() -> list[str]:
    """Every paragraph and item of the bundled corpus, read with its headings as the model reads it."""
    texts: list[str] = []
    for doc in sorted((ROOT / "corpora").rglob("*.txt")):
        report = auditnlp.analyze(doc, options=auditnlp.Options(stages=("structure",)))
        contexts = section_contexts(report)
        texts += [
            unit_input(u.text, contexts.get(u.section, "")) for u in (*report.paragraphs, *report.items)
        ]
    return texts


@pytest.fixture(scope="module")
def units() -> list[str]:
    return _corpus_units()


def test_shipped_arrays_give_the_pipeline_probabilities(units: list[str]) -> None:
    pipeline_model = load_model(default_model_path())
    arrays = get_predictor()
    assert isinstance(arrays, ArrayModel) and arrays.labels == pipeline_model.labels
    assert len(units) > 500
    expected = pipeline_model.predict_proba(units)
    got = arrays.predict_proba(units)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-9
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    # one unit at a time and in batches of another size: no state carried between rows or calls
    assert np.abs(arrays.predict_proba(units[:1]) - expected[:1]).max() <= 1e-9
    batches = np.vstack([arrays.predict_proba(units[i : i + 37]) for i in range(0, 222, 37)])
    assert np.abs(batches - expected[:222]).max() <= 1e-9
    assert arrays.predict_proba([]).shape == (0, len(arrays.labels))
    assert np.abs(arrays.predict_proba(["", "。"]) - pipeline_model.predict_proba(["", "。"])).max() <= 1e-9


def test_shipped_sidecar_pins_the_arrays() -> None:
    meta = read_sidecar(default_model_path())
    assert meta["arrays_sha256"] == file_sha256(arrays_path(default_model_path()))


@pytest.mark.parametrize("design", ["hash_kw_lr", "hash_lr"])
def test_training_writes_arrays_that_reproduce_the_pipeline(
    design: str, tmp_path: Path, units: list[str]
) -> None:
    texts = [
        "开展审计整改回头看",
        "组织理论学习培训",
        "医保养老就业帮扶",
        "预算执行审计项目",
        "各位代表：",
    ] * 4
    y = ["rectification", "study", "livelihood", "supervision", "other"] * 4
    prefix = "features__chars__hash__" if design == "hash_kw_lr" else "features__hash__"
    pipe = build_pipeline(design).set_params(**{f"{prefix}min_df": 1, f"{prefix}max_df": 1.0}).fit(texts, y)
    labels = ["study", "supervision", "rectification", "livelihood", "other"]
    meta = save_model(pipe, tmp_path / "m.skops", {"labels": labels, "design": design})
    assert meta["arrays_sha256"] == file_sha256(tmp_path / "m.npz")
    model = get_predictor(tmp_path / "m.skops")
    assert isinstance(model, ArrayModel)
    sample = units[:300]
    assert (
        np.abs(model.predict_proba(sample) - load_model(tmp_path / "m.skops").predict_proba(sample)).max()
        <= 1e-9
    )


def test_designs_without_an_array_form_use_the_pipeline(tmp_path: Path) -> None:
    texts = ["开展审计整改回头看", "组织理论学习培训"] * 3
    pipe = build_pipeline("keywords").fit(texts, ["rectification", "study"] * 3)
    meta = save_model(pipe, tmp_path / "k.skops", {"labels": ["study", "rectification", "other"]})
    assert "arrays_sha256" not in meta and not (tmp_path / "k.npz").exists()
    assert get_predictor(tmp_path / "k.skops") is None
    report = auditnlp.analyze_text(
        "一、开展审计整改回头看。\n", options=auditnlp.Options(stages=("structure",))
    )
    out = classify_report(report, model=tmp_path / "k.skops")  # through the scikit-learn pipeline
    assert out.paragraphs[-1].category == "rectification"


@pytest.fixture
def copy_with_arrays(tmp_path: Path) -> Path:
    target = tmp_path / "m.skops"
    for suffix in (".skops", ".json", ".npz"):
        shutil.copy(default_model_path().with_suffix(suffix), target.with_suffix(suffix))
    return target


def test_altered_arrays_are_refused_for_the_shipped_model_and_flagged_for_a_users(
    copy_with_arrays: Path,
) -> None:
    npz = copy_with_arrays.with_suffix(".npz")
    data = dict(np.load(npz))
    data["intercept"] = data["intercept"] + 1.0
    np.savez(npz, **data)
    meta = read_sidecar(copy_with_arrays)
    with pytest.raises(ModelError, match="arrays_sha256"):
        load_arrays(copy_with_arrays, meta, pinned=True)
    with pytest.warns(ModelIntegrityWarning, match="arrays_sha256"):
        model = get_predictor(copy_with_arrays)
    assert isinstance(model, ArrayModel)


def test_a_file_that_is_not_an_array_model_is_a_model_error(copy_with_arrays: Path) -> None:
    npz = copy_with_arrays.with_suffix(".npz")
    npz.write_bytes(b"not a zip")
    meta = read_sidecar(copy_with_arrays)
    meta["arrays_sha256"] = file_sha256(npz)
    with pytest.raises(ModelError, match="not a model array file"):
        load_arrays(copy_with_arrays, meta, pinned=False)


def test_a_users_model_copy_classifies_like_the_shipped_one(copy_with_arrays: Path) -> None:
    report = auditnlp.analyze(SAMPLES / "qingshan_2023_summary.txt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mine = classify_report(report, model=copy_with_arrays)
    assert [p.scores for p in mine.paragraphs] == [p.scores for p in report.paragraphs]


def _modules_after(code: str) -> dict[str, bool]:
    probe = f"import atexit, json, sys\natexit.register(lambda: print(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}), file=sys.stderr))\n{code}"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stderr.strip().splitlines()[-1])


def test_analyze_text_imports_no_sklearn_scipy_skops_pandas_or_jieba() -> None:
    text = (SAMPLES / "qingshan_2023_summary.txt").read_text(encoding="utf-8")
    loaded = _modules_after(
        f"import auditnlp\nr = auditnlp.analyze_text({text!r})\nassert r.paragraphs[1].category is not None"
    )
    assert loaded == dict.fromkeys(HEAVY, False)


def test_cli_analyze_json_imports_no_sklearn_scipy_skops_pandas_or_jieba() -> None:
    path = str(SAMPLES / "jiangbei_2024_audit_report.txt")
    loaded = _modules_after(
        f"import sys\nfrom auditnlp.cli import main\nsys.argv = ['auditnlp', 'analyze', {path!r}, '--json']\nmain()"
    )
    assert loaded == dict.fromkeys(HEAVY, False)


def _reference_keyword_rows(texts, labels, keywords, weight):
    """KeywordFeatures.transform as the shipped model was trained with it: every keyword counted."""
    n = len(labels)
    out = np.zeros((len(texts), 2 * n + 1))
    for i, value in enumerate(texts):
        context, sep, text = str(value).rpartition("\u2063")
        if not sep:
            context, text = "", str(value)
        for j, label in enumerate(labels):
            words = keywords[label]
            out[i, j] = np.log1p(sum(text.count(w) * v for w, v in words))
            out[i, n + j] = np.log1p(sum(context.count(w) * v for w, v in words))
        out[i, 2 * n] = 1.0 if not out[i, :n].any() else 0.0
    return out * weight


def test_keyword_features_equal_counting_every_keyword(units: list[str]) -> None:
    from auditnlp.classify.inference import keyword_rows

    labels, keywords, weight = get_predictor()._keywords
    texts = [*units, "", "〔审计整改〕\u2063", "整改整改整改", "没有关键词的句子"]
    assert np.array_equal(
        keyword_rows(texts, labels, keywords, weight),
        _reference_keyword_rows(texts, labels, keywords, weight),
    )


def test_round_4_gives_pythons_round_for_every_value(units: list[str]) -> None:
    """Scores are rounded in numpy: the same floats as ``round(v, 4)``, on the corpus's probabilities and on
    values where ``v * 10⁴`` is at, next to or near a half (ties), large, negative or not finite."""
    model = get_predictor()
    assert model is not None
    proba = model.predict_proba(units)
    halves = (np.arange(0, 20000) + 0.5) / 1e4
    edges = np.concatenate(
        [
            halves,
            np.nextafter(halves, 2.0),
            np.nextafter(halves, -1.0),
            -halves,
            np.arange(0, 10001) / 1e4,
            np.random.default_rng(7).random(200_000) ** 6,
            [0.0, -0.0, 1.0, 5e-5, 1.5e-4, 2.5e-4, 1e5 + 0.00005, 123456789.123456, 1e300, -1e-300],
            [np.inf, -np.inf, np.nan],
        ]
    )
    for values in (proba, edges.reshape(-1, 1), edges[: len(edges) // 5 * 5].reshape(-1, 5)):
        got = round_4(values)
        want = [[round(float(v), 4) for v in row] for row in values]
        assert len(got) == len(want)
        for g_row, w_row in zip(got, want, strict=True):
            assert [repr(v) for v in g_row] == [repr(v) for v in w_row]


def test_with_category_copies_every_other_field() -> None:
    """``Paragraph.with_category`` / ``ListItem.with_category`` equal ``dataclasses.replace`` (a new field
    added to either record and not copied would fail here)."""
    import dataclasses

    report = auditnlp.analyze_text(
        "某某区审计局2024年工作总结\n一、工作开展情况\n一是加强学习，提高能力；二是强化监督。\n",
        options=auditnlp.Options(stages=()),
    )
    records = [*report.paragraphs, *report.items]
    assert report.paragraphs and report.items
    for record in records:
        scores = (("study", 0.25), ("other", 0.75))
        assert record.with_category("other", scores) == dataclasses.replace(
            record, category="other", scores=scores
        )
        # every field set to a distinct value survives the copy
        values = {f.name: f"v{k}" for k, f in enumerate(dataclasses.fields(record))}
        full = dataclasses.replace(record, **values)
        copied = full.with_category("c", ())
        for f in dataclasses.fields(record):
            if f.name not in ("category", "scores"):
                assert getattr(copied, f.name) == values[f.name], f.name


def _reference_ngram_keys(texts, ngram_range, n_features, fold_digits):
    """The hash of every character n-gram, one at a time in Python integers (modulo 2**64)."""
    mask = (1 << 64) - 1
    mult, mix = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9
    rows, cols = [], []
    for n in range(ngram_range[0], ngram_range[1] + 1):
        for row, text in enumerate(texts):
            codes = [
                48 if fold_digits and ((ch.isascii() and ch.isdigit()) or "０" <= ch <= "９") else ord(ch)
                for ch in text
            ]
            for i in range(len(codes) - n + 1):
                h = n
                for c in codes[i : i + n]:
                    h = (h * mult + c) & mask
                h ^= h >> 31
                h = (h * mix) & mask
                h ^= h >> 29
                rows.append(row)
                cols.append(h % n_features)
    return rows, cols


@pytest.mark.parametrize(
    ("ngram_range", "n_features", "fold"),
    [((1, 3), 131072, True), ((1, 3), 100003, False), ((2, 4), 1 << 20, True)],
)
def test_ngram_keys_hash_every_ngram_of_each_text(ngram_range, n_features, fold) -> None:
    """The vectorised hashing equals hashing each n-gram alone, for a power-of-two number of columns (a
    mask) and another (a modulo); n-grams never cross from one text into the next."""
    texts = ["审计发现的主要问题", "", "a", "资金１２3万元，2024年", "〔一、工作〕\u2063坚持“第一议题”"]
    rows, cols = ngram_keys(texts, ngram_range, n_features, fold)
    want_rows, want_cols = _reference_ngram_keys(texts, ngram_range, n_features, fold)
    got = sorted(zip(rows.tolist(), cols.tolist(), strict=True))
    assert got == sorted(zip(want_rows, want_cols, strict=True))
    assert rows.dtype == cols.dtype == np.int64
