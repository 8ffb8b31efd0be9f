"""Categories of paragraphs and list items (issue 5): model, labels, sidecar, seeds, CLI."""

from __future__ import annotations

import json
import math
import pickle
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES, SEED_000, SEED_004, needs_shared, sample_files

import auditnlp
import auditnlp.cli
from auditnlp.classify import category_shares, classify_report
from auditnlp.classify.model import (
    DESIGNS,
    TRUSTED_TYPES,
    JiebaWords,
    KeywordClassifier,
    ModelVersionWarning,
    build_pipeline,
    default_model_path,
    load_model,
    read_sidecar,
    sidecar_path,
)
from auditnlp.classify.taxonomy import load_taxonomy
from auditnlp.errors import LexiconError, ModelError
from auditnlp.training import train_model
from auditnlp.training.labels import COLUMNS, load_labels, read_refs, ref_for, text_sha1, write_labels

LABELS_TSV = ROOT / "corpora" / "labels" / "labels.tsv"
LABELS = ("study", "supervision", "rectification", "livelihood", "other")


@pytest.fixture(scope="module")
def qingshan():
    return classify_report(auditnlp.analyze(SAMPLES / "qingshan_2023_summary.txt"))


def _items_of_paragraph_with(report, marker: str):
    para = next(p for p in report.paragraphs if marker in p.text)
    return [i for i in report.items if i.paragraph == para.id and i.parent is None]


def _item_with(report, marker: str):
    return next(i for i in report.items if marker in i.text)


# --- the shipped model on the sample corpus (always runs) -------------------------------------------------


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_every_paragraph_and_item_gets_category_and_scores(path: Path) -> None:
    report = auditnlp.analyze(path, options=auditnlp.Options(stages=("structure",)))
    out = classify_report(report)
    assert out is not report
    assert [p.text for p in out.paragraphs] == [p.text for p in report.paragraphs]
    for unit in (*out.paragraphs, *out.items):
        assert unit.category in LABELS
        assert [label for label, _ in unit.scores] == list(LABELS)
        assert math.isclose(sum(v for _, v in unit.scores), 1.0, abs_tol=1e-3)
        assert unit.category == max(unit.scores, key=lambda kv: kv[1])[0]
        assert out.text[unit.start : unit.end] == unit.text
    assert [label for label, _ in out.category_shares] == list(LABELS)
    assert math.isclose(sum(v for _, v in out.category_shares), 1.0, abs_tol=1e-3)


def test_input_report_is_not_mutated() -> None:
    report = auditnlp.analyze(
        SAMPLES / "qingshan_2024_summary.txt", options=auditnlp.Options(stages=("structure",))
    )
    classify_report(report)
    assert report.category_shares == ()


def test_sample_lists_get_their_themes(qingshan) -> None:
    assert {i.category for i in _items_of_paragraph_with(qingshan, "在“严”字上下功夫")} == {"study"}
    assert {i.category for i in _items_of_paragraph_with(qingshan, "在“准”字上求突破")} == {"supervision"}
    assert {i.category for i in _items_of_paragraph_with(qingshan, "在“快”字上见成效")} == {"rectification"}
    assert {i.category for i in _items_of_paragraph_with(qingshan, "在“实”字上下功夫")} == {"livelihood"}


def test_unseen_text_is_classified() -> None:
    report = auditnlp.analyze_text(
        "某县审计局2025年工作总结\n"
        "一、全年举办业务培训班6期，组织党组理论学习中心组集中学习8次，开展专题研讨。\n"
        "二、对审计查出问题建立整改台账，对整改不力的单位发出催办函，约谈负责人3人次，开展“回头看”。\n"
        "三、组织开展城乡居民医保基金和养老服务补贴专项审计，走访慰问困难群众20户。\n",
        options=auditnlp.Options(stages=("structure",)),
    )
    cats = [p.category for p in classify_report(report).paragraphs[1:]]
    assert cats == ["study", "rectification", "livelihood"]


def test_category_shares_are_character_weighted(qingshan) -> None:
    shares = dict(qingshan.category_shares)
    total = sum(len(p.text) for p in qingshan.paragraphs)
    study = sum(len(p.text) for p in qingshan.paragraphs if p.category == "study")
    assert shares["study"] == pytest.approx(study / total, abs=1e-4)
    assert category_shares((), LABELS) == tuple((label, 0.0) for label in LABELS)


def test_classify_calls_the_model_once_per_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cost is measured in bench/; here its shape: one batched model call per report, the model loaded once."""
    from auditnlp.classify import inference

    report = auditnlp.analyze(
        SAMPLES / "jiangbei_2024_audit_report.txt", options=auditnlp.Options(stages=("structure",))
    )
    classify_report(report)  # load once
    model = inference.get_predictor(None)
    assert model is not None
    batches: list[int] = []
    real = type(model).predict_proba

    def counted(self, texts):  # type: ignore[no-untyped-def]
        batches.append(len(texts))
        return real(self, texts)

    monkeypatch.setattr(type(model), "predict_proba", counted)
    for _ in range(3):
        classify_report(report)
    assert batches == [len(report.paragraphs) + len(report.items)] * 3
    assert inference.get_predictor(None) is model


# --- the shipped model file and its sidecar -------------------------------------------------------------


def test_model_ships_inside_the_package_with_sidecar() -> None:
    path = default_model_path()
    assert path.is_file() and path.suffix == ".skops"
    assert Path(auditnlp.__file__).parent in path.parents
    meta = read_sidecar(path)
    assert meta["labels"] == list(LABELS) == list(load_taxonomy().labels)
    assert {"scikit-learn", "skops", "numpy", "python"} <= set(meta["versions"])
    assert len(meta["training"]["data_sha256"]) == 64
    assert meta["training"]["units"] >= 600
    assert meta["cv"]["macro_f1"] >= 0.85
    assert set(meta["cv"]["per_label"]) == set(LABELS)


def test_model_is_loaded_with_trusted_types_only() -> None:
    import skops.io as sio

    assert set(sio.get_untrusted_types(file=default_model_path())) <= set(TRUSTED_TYPES)


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "m.skops"
    shutil.copy(default_model_path(), target)
    shutil.copy(sidecar_path(default_model_path()), sidecar_path(target))
    return target


def test_other_sklearn_version_gives_clear_message(model_copy: Path) -> None:
    import sklearn

    side = sidecar_path(model_copy)
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta["versions"]["scikit-learn"] = "0.24.2"
    side.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.warns(ModelVersionWarning, match=rf"0\.24\.2.*{sklearn.__version__}"):
        load_model(model_copy)
    with pytest.raises(ModelError, match=r"scikit-learn 0\.24\.2"):
        load_model(model_copy, strict=True)


def test_missing_sidecar_and_missing_file_are_model_errors(model_copy: Path) -> None:
    sidecar_path(model_copy).unlink()
    with pytest.raises(ModelError, match="sidecar"):
        load_model(model_copy)
    with pytest.raises(ModelError, match="not found"):
        classify_report(auditnlp.analyze_text("一、测试。\n"), model=model_copy.parent / "none.skops")


def test_corrupt_model_is_a_model_error(model_copy: Path) -> None:
    model_copy.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="scikit-learn"):
        load_model(model_copy)


def test_classify_with_explicit_model_path(model_copy: Path) -> None:
    report = classify_report(auditnlp.analyze(SAMPLES / "baisha_2024_summary_bom.txt"), model=model_copy)
    assert all(p.category for p in report.paragraphs)


# --- pipelines -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("design", DESIGNS)
def test_designs_are_named_picklable_pipelines(design: str) -> None:
    pipe = build_pipeline(design)
    assert "clf" in pipe.named_steps
    pickle.loads(pickle.dumps(pipe))
    if design.endswith("_lr"):
        pipe.set_params(clf__C=3.0)
        assert pipe.get_params()["clf__C"] == 3.0


def test_jieba_words_uses_a_private_tokenizer() -> None:
    import jieba

    analyzer = JiebaWords()
    words = analyzer("审计整改工作，２０项。")
    assert "".join(words) == "审计整改工作项" and len(words) >= 2
    assert not jieba.dt.initialized
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone._segmenter is None and clone("审计整改工作") == analyzer("审计整改工作")


def test_keyword_baseline() -> None:
    tax = load_taxonomy()
    clf = KeywordClassifier(keywords=tax.keywords(), default=tax.default).fit(list(LABELS), list(LABELS))
    assert list(clf.predict(["开展审计整改回头看", "各位代表：", "组织理论学习"])) == [
        "rectification",
        "other",
        "study",
    ]


def test_import_does_not_load_sklearn() -> None:
    code = "import auditnlp.classify, sys; print('sklearn' in sys.modules, 'jieba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]


# --- labels ----------------------------------------------------------------------------------------------


def test_labels_file_shape_and_counts() -> None:
    refs, directives = read_refs(LABELS_TSV)
    assert directives["root"] == "../.."
    header = next(
        line for line in LABELS_TSV.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    )
    assert tuple(header.split("\t")) == COLUMNS
    assert len(refs) >= 600
    counts = {label: sum(r.label == label for r in refs) for label in LABELS}
    assert min(counts.values()) >= 60, counts
    assert {r.unit for r in refs} == {"paragraph", "item"}
    assert all(len(r.sha1) == 40 for r in refs)


def test_repo_labels_resolve() -> None:
    data = load_labels(LABELS_TSV, labels=LABELS)
    local = [u for u in data.units if not u.group.startswith("../shared")]
    assert len(local) >= 300
    assert not [m for m in data.skipped if "../shared" not in m]
    assert all(text_sha1(u.text) == u.ref.sha1 for u in data.units)


def test_missing_shared_documents_are_skipped_with_a_message(tmp_path: Path) -> None:
    report = auditnlp.analyze(SAMPLES / "qingshan_2023_summary.txt")
    para = report.paragraphs[3]
    rows = [
        ref_for("../shared/seeds/missing.txt", "paragraph", 0, 5, "x" * 5, "other"),
        ref_for(
            str(SAMPLES / "qingshan_2023_summary.txt"), "paragraph", para.start, para.end, para.text, "study"
        ),
        ref_for(
            str(SAMPLES / "qingshan_2023_summary.txt"), "paragraph", para.start, para.end, "changed", "study"
        ),
    ]
    path = tmp_path / "labels.tsv"
    write_labels(path, rows, root=".")
    data = load_labels(path, labels=LABELS)
    assert [u.label for u in data.units] == ["study"]
    assert any("../shared" in m and "not found" in m for m in data.skipped)
    assert any("sha1" in m for m in data.skipped)
    with pytest.raises(LexiconError, match="label 'study'"):
        load_labels(path, labels=("other",))


# --- training and the CLI --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_labels(tmp_path_factory) -> Path:
    """The repo labels restricted to the sample corpus (no ../shared needed)."""
    lines = LABELS_TSV.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("../shared")]
    folder = tmp_path_factory.mktemp("labels")
    out = folder / "labels.tsv"
    text = "\n".join(kept).replace("# root: ../..", f"# root: {ROOT}") + "\n"
    out.write_text(text, encoding="utf-8")
    return out


def test_train_model_and_cli_train(sample_labels: Path, tmp_path: Path) -> None:
    target = tmp_path / "model.skops"
    meta = train_model(sample_labels, target, n_splits=3)
    assert target.is_file() and sidecar_path(target).is_file()
    assert meta["labels"] == list(LABELS) and meta["design"] == "hash_kw_lr"
    assert meta["inputs"] == "heading+text"
    assert 0.0 <= meta["cv"]["macro_f1"] <= 1.0
    calibration = meta["calibration"]
    assert calibration["method"] == "temperature" and 0.05 <= calibration["temperature"] <= 20
    assert set(calibration["ece_before"]) == set(LABELS) == set(calibration["ece_after"])
    report = classify_report(auditnlp.analyze(SAMPLES / "linchuan_2024_summary_gbk.txt"), model=target)
    assert all(i.category in LABELS for i in report.items)

    result = CliRunner().invoke(
        auditnlp.cli.cli, ["train", str(sample_labels), "-o", str(tmp_path / "cli.skops")]
    )
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and (tmp_path / "cli.json").is_file()


def test_a_failed_save_leaves_the_previous_model_whole(
    sample_labels: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model, its arrays and its sidecar are renamed into place only once all three are written."""
    import auditnlp.classify.model as model_module
    from auditnlp.classify.inference import arrays_path

    target = tmp_path / "model.skops"
    train_model(sample_labels, target, n_splits=3)
    files = [target, arrays_path(target), sidecar_path(target)]
    before = [p.read_bytes() for p in files]

    def broken(pipeline: object, path: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_module, "export_arrays", broken)
    with pytest.raises(OSError):
        train_model(sample_labels, target, n_splits=3, design="hash_lr")
    assert [p.read_bytes() for p in files] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files)


def test_cli_train_help_and_bad_design(sample_labels: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert "LABELS" in runner.invoke(auditnlp.cli.cli, ["train", "--help"]).output
    result = runner.invoke(
        auditnlp.cli.cli, ["train", str(sample_labels), "-o", str(tmp_path / "x.skops"), "--design", "nope"]
    )
    assert result.exit_code == 1 and "unknown design" in result.output


def _pipeline_wires_classify() -> bool:
    import inspect

    import auditnlp.pipeline

    return "classify_report" in inspect.getsource(auditnlp.pipeline)


@pytest.mark.skipif(
    not _pipeline_wires_classify(), reason="classify_report is not wired into auditnlp.pipeline yet"
)
def test_analyze_json_carries_category_and_scores() -> None:
    result = CliRunner().invoke(
        auditnlp.cli.cli, ["analyze", "--json", str(SAMPLES / "qingshan_2023_summary.txt")]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.splitlines()[0])
    for group in ("paragraphs", "items"):
        assert data[group]
        for rec in data[group]:
            assert rec["category"] in LABELS
            assert set(rec["scores"]) == set(LABELS)
    assert set(data["category_shares"]) == set(LABELS)


# --- seeds (need ../shared) ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds():
    return classify_report(auditnlp.analyze(SEED_000)), classify_report(auditnlp.analyze(SEED_004))


@needs_shared
def test_seed_study_items_under_si(seeds) -> None:
    s000, _ = seeds
    items = _items_of_paragraph_with(s000, "在“思”字上下功夫")
    assert [i.marker for i in items][:2] == ["一是", "二是"]
    assert {i.category for i in items} == {"study"}


@needs_shared
def test_seed_rectification_items_under_jianshi(seeds) -> None:
    _, s004 = seeds
    items = _items_of_paragraph_with(s004, "检视整改动真碰硬")
    assert len(items) == 3
    assert {i.category for i in items} == {"rectification"}


@needs_shared
def test_seed_livelihood_items(seeds) -> None:
    s000, s004 = seeds
    assert _item_with(s004, "“贴心人”").category == "livelihood"
    assert _item_with(s000, "为群众办实事").category == "livelihood"


@needs_shared
def test_seed_audit_project_items(seeds) -> None:
    s000, s004 = seeds
    assert _item_with(s000, "切实提升监督质效").category == "supervision"
    assert _item_with(s000, "聚焦经济责任审计").category == "supervision"
    assert _item_with(s004, "地方金融组织全覆盖审计").category == "supervision"
    assert _item_with(s004, "“看门人”").category == "supervision"


@needs_shared
def test_seed_labels_resolve_against_shared() -> None:
    data = load_labels(LABELS_TSV, labels=LABELS)
    assert not data.skipped
    assert len(data.units) >= 600


def test_warnings_free_load_of_shipped_model() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        load_model(default_model_path())


@pytest.mark.parametrize("design", DESIGNS)
def test_every_design_saves_and_loads_with_trusted_types(design: str, tmp_path: Path) -> None:
    from auditnlp.classify.model import save_model

    texts = [
        "开展审计整改回头看",
        "组织理论学习培训",
        "医保养老就业帮扶",
        "预算执行审计项目",
        "各位代表：",
    ] * 4
    y = ["rectification", "study", "livelihood", "supervision", "other"] * 4
    pipe = build_pipeline(design)
    loose = {
        "hash_kw_lr": {"features__chars__hash__min_df": 1, "features__chars__hash__max_df": 1.0},
        "hash_lr": {"features__hash__min_df": 1, "features__hash__max_df": 1.0},
        "hash_svm_cal": {"features__hash__min_df": 1, "features__hash__max_df": 1.0},
        "vocab_lr": {"features__min_df": 1, "features__max_df": 1.0},
        "words_lr": {"features__chars__hash__min_df": 1, "features__words__min_df": 1},
    }
    pipe.set_params(**loose.get(design, {})).fit(texts, y)
    save_model(pipe, tmp_path / "m.skops", {"labels": list(LABELS), "design": design})
    model = load_model(tmp_path / "m.skops")
    assert model.predict_proba(["审计整改回头看"]).shape == (1, 5)
    assert model.labels[int(model.predict_proba(["审计整改回头看"]).argmax())] == "rectification"


def test_taxonomy_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "categories.yaml"
    bad.write_text("categories:\n  - label: study\n  - label: study\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"categories\.yaml.*duplicate label"):
        load_taxonomy(bad)
    bad.write_text("default: nope\ncategories:\n  - label: study\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="default 'nope'"):
        load_taxonomy(bad)
    tax = load_taxonomy()
    assert tax.labels == LABELS and tax.default == "other"
    assert all(c.description and c.keywords for c in tax.categories)


# --- issue 14: headings, keyword counts, calibration, genres -------------------------------------------


def test_units_are_read_with_the_headings_of_their_section() -> None:
    from auditnlp.classify import section_contexts
    from auditnlp.classify.model import CONTEXT_SEP, unit_input

    report = auditnlp.analyze(
        "一、重点问题整改情况\n（一）财政管理审计查出问题整改情况\n1.关于专项资金拨付滞后问题\n"
        "整改情况：区财政局已将滞留资金拨付到位。\n",
        options=auditnlp.Options(stages=("structure",)),
    )
    contexts = section_contexts(report)
    para = next(p for p in report.paragraphs if p.text.startswith("整改情况"))
    assert contexts[para.section] == "重点问题整改情况｜财政管理审计查出问题整改情况"
    assert unit_input("正文", "标题") == f"〔标题〕{CONTEXT_SEP}正文"
    assert unit_input("正文", "") == "正文"  # a unit outside sections (a news page) is read as its text


def test_keyword_features_count_text_and_headings_apart() -> None:
    from auditnlp.classify.model import KeywordFeatures, unit_input

    kw = {"rectification": (("整改", 2.0),), "study": (("学习", 1.0),)}
    feats = KeywordFeatures(keywords=kw, weight=1.0).fit([])
    rows = feats.transform([unit_input("组织学习", "审计整改"), "没有关键词"]).toarray()
    assert feats.labels_ == ["rectification", "study"]
    assert rows[0].tolist() == pytest.approx([0.0, math.log(2), math.log(3), 0.0, 0.0])
    assert rows[1].tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]


def test_temperature_scaling_keeps_the_ranking_and_sharpens() -> None:
    import numpy as np

    from auditnlp.classify.model import scale_proba
    from auditnlp.training.evaluate import calibration_error, fit_temperature

    proba = np.array([[0.6, 0.4], [0.7, 0.3], [0.55, 0.45], [0.35, 0.65]])
    sharp = scale_proba(proba, 0.5)
    assert (sharp.argmax(axis=1) == proba.argmax(axis=1)).all()
    assert np.allclose(sharp.sum(axis=1), 1.0) and sharp[0, 0] > proba[0, 0]
    truth = np.array([0, 0, 0, 1])  # always right: a temperature below 1 lowers the log loss
    assert fit_temperature(proba, truth) < 1.0
    errors = calibration_error(proba, truth, ("a", "b"))
    assert set(errors) == {"a", "b"} and all(0.0 <= v <= 1.0 for v in errors.values())


def test_shipped_model_is_calibrated_and_trained_on_every_genre() -> None:
    side = read_sidecar(default_model_path())
    assert side["design"] == "hash_kw_lr" and side["inputs"] == "heading+text"
    assert side["calibration"]["temperature"] != 1.0
    assert side["training"]["excluded_documents"] == []
    assert "leave_one_genre_out" in side and side["leave_one_genre_out"]["per_genre"]


def test_genres_file_covers_every_labelled_document_and_agrees_with_the_manifest() -> None:
    import csv

    from auditnlp.training.labels import load_genres

    genres = load_genres(ROOT / "corpora" / "labels" / "genres.tsv")
    refs, _ = read_refs(LABELS_TSV)
    assert {r.doc for r in refs} == set(genres)
    with (ROOT / "corpora" / "genres" / "manifest.csv").open(encoding="utf-8") as fh:
        manifest = {
            f"corpora/genres/{row['path']}": (row["genre"], row["part"]) for row in csv.DictReader(fh)
        }
    assert {d: g for d, g in genres.items() if d in manifest} == manifest
    assert {part for _, part in genres.values()} == {"dev", "heldout"}


def test_leave_one_genre_out_and_training_without_documents(sample_labels: Path, tmp_path: Path) -> None:
    from auditnlp.training.evaluate import leave_one_genre_out

    data = load_labels(sample_labels, labels=LABELS)
    docs = sorted(set(data.groups()))
    genres = {d: ("summary" if "summary" in d else "other", "dev") for d in docs}
    result = leave_one_genre_out(data, "hash_lr", genres, labels=LABELS)
    assert set(result.per_genre) == {"summary", "other"}
    assert sum(v["units"] for v in result.per_genre.values()) == len(data.units)
    assert 0.0 <= result.macro_f1 <= 1.0
    left_out = [d for d in docs if "qingshan" in d]
    meta = train_model(sample_labels, tmp_path / "m.skops", design="hash_lr", n_splits=3, exclude=left_out)
    assert meta["training"]["excluded_documents"] == left_out
    assert meta["training"]["units"] == len(data.without(left_out).units) < len(data.units)
