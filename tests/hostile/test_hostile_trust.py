"""Group 6 of the reliability review: what auditnlp trusts — models, jieba's cache, user lexicons, network.

The shipped model's file is pinned by its SHA-256 in the sidecar (a mismatch is an error; a model the
user names explicitly only warns), nothing is ever unpickled, jieba's dictionary cache lives in a private
per-user folder, a malformed user lexicon is one line naming the file, the line and the key, a user
regex that backtracks catastrophically is stopped, and nothing opens a network connection.
"""

from __future__ import annotations

import hashlib
import io
import json
import marshal
import os
import pickle
import socket
import stat
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from _hostile_build import REPORT, rezip, zip_members
from _hostile_run import cases, check_clean, check_error, check_reports, params, record, run_cli, run_process
from conftest import ROOT

from auditnlp import Options, analyze_text
from auditnlp.errors import ModelError

# --------------------------------------------------------------------------------------------- model


def _packaged() -> tuple[Path, Path]:
    from auditnlp.classify.model import default_model_path, sidecar_path

    path = default_model_path()
    return path, sidecar_path(path)


def _copy(
    tmp_path: Path, *, model: bytes | None = None, sidecar: dict | str | None = None, name="model"
) -> Path:
    path, side = _packaged()
    target = tmp_path / f"{name}.skops"
    target.write_bytes(model if model is not None else path.read_bytes())
    meta = sidecar if sidecar is not None else json.loads(side.read_text(encoding="utf-8"))
    (tmp_path / f"{name}.json").write_text(
        meta if isinstance(meta, str) else json.dumps(meta), encoding="utf-8"
    )
    return target


class Payload:
    """An object whose unpickling would create a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _schema(data: bytes) -> dict:
    return json.loads(zip_members(data)["schema.json"])


def _with_schema(data: bytes, schema: dict) -> bytes:
    return rezip(data, replace={"schema.json": json.dumps(schema).encode()})


def _find(node, key):
    """The first dict under `node` that has `key` (depth first)."""
    if isinstance(node, dict):
        if key in node:
            return node
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find(child, key)
        if found is not None:
            return found
    return None


def _tampered(case: str, tmp_path: Path, marker: Path) -> Path:
    path, side = _packaged()
    data = path.read_bytes()
    meta = json.loads(side.read_text(encoding="utf-8"))
    if case == "G6-model-01":  # schema.json names os.system
        schema = _schema(data)
        node = _find(schema, "__loader__")
        node["__class__"], node["__module__"] = "system", "os"
        return _copy(tmp_path, model=_with_schema(data, schema))
    if case == "G6-model-02":  # a builtins.eval FunctionNode
        schema = _schema(data)
        holder = _find(schema, "ngram_range")
        holder["ngram_range"] = {
            "__class__": "eval",
            "__module__": "builtins",
            "__loader__": "FunctionNode",
            "content": {},
        }
        return _copy(tmp_path, model=_with_schema(data, schema))
    if case == "G6-model-03":  # the .skops file is a pickle
        return _copy(tmp_path, model=pickle.dumps(Payload(marker)))
    if case == "G6-model-04":  # an .npy member holds an object array
        members = zip_members(data)
        name = next(n for n in members if n.endswith(".npy"))
        out = io.BytesIO()
        np.save(out, np.array([Payload(marker)], dtype=object), allow_pickle=True)
        return _copy(tmp_path, model=rezip(data, replace={name: out.getvalue()}))
    if case == "G6-model-05":  # truncated
        return _copy(tmp_path, model=data[: len(data) // 2])
    if case == "G6-model-06":  # schema.json nested 200,000 deep
        return _copy(tmp_path, model=rezip(data, replace={"schema.json": b"[" * 200_000 + b"]" * 200_000}))
    if case == "G6-model-08":  # labels the model does not predict
        return _copy(tmp_path, sidecar={**meta, "labels": [*meta["labels"][:-1], "evil"]})
    if case == "G6-model-10":  # no sidecar
        target = _copy(tmp_path)
        target.with_suffix(".json").unlink()
        return target
    if case == "G6-model-11":  # sidecar not JSON
        return _copy(tmp_path, sidecar="{not json")
    if case == "G6-model-13":  # trusted types, n_features = -1
        schema = _schema(data)
        holder = _find(schema, "n_features")
        holder["n_features"]["content"] = "-1"
        return _copy(tmp_path, model=_with_schema(data, schema))
    raise AssertionError(case)


REFUSED = ["G6-model-01", "G6-model-02", "G6-model-03", "G6-model-04", "G6-model-05", "G6-model-06",
           "G6-model-08", "G6-model-10", "G6-model-11", "G6-model-13"]  # fmt: skip


@cases(*REFUSED)
@pytest.mark.parametrize("case", REFUSED)
@pytest.mark.filterwarnings("ignore::UserWarning")  # a tampered copy also differs from its sidecar's hash
def test_bad_models_are_refused(tmp_path, case):
    """Untrusted types, pickles, object arrays, damaged files and sidecars, invalid parameters: a
    ModelError at load, one line, and the payload never runs."""
    from auditnlp.classify.model import load_model

    marker = tmp_path / "payload-ran"
    path = _tampered(case, tmp_path, marker)
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert "\n" not in str(caught.value)
    with pytest.raises(ModelError):
        analyze_text(REPORT, options=Options(model=str(path)))
    assert not marker.exists(), "a pickle payload ran"
    record(case, "clear-error")


@cases("G6-model-00")
def test_packaged_model_loads_without_unpickling(monkeypatch):
    """The shipped model loads through skops' safe loader: no pickle, no object arrays; its sidecar pins it."""
    from auditnlp.classify.model import load_model

    def refuse(*args, **kwargs):
        raise AssertionError("unpickling attempted")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    path, side = _packaged()
    model = load_model(path)
    assert model.labels
    meta = json.loads(side.read_text(encoding="utf-8"))
    assert meta.get("model_sha256") == hashlib.sha256(path.read_bytes()).hexdigest(), (
        "the sidecar must pin the shipped model file by its SHA-256"
    )
    record("G6-model-00", "ok")


@cases("G6-model-07")
def test_training_data_hash_is_a_record_not_a_check(tmp_path):
    """Changing the sidecar's data_sha256 (the training data's hash, not the model's) changes nothing:
    the model file itself is pinned by model_sha256."""
    from auditnlp.classify.model import load_model

    _, side = _packaged()
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta["training"]["data_sha256"] = "0" * 64
    copy = _copy(tmp_path, sidecar=meta)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_model(copy).labels == tuple(meta["labels"])
    assert meta["model_sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    record("G6-model-07", "ok")


@cases("G6-model-09")
def test_other_scikit_learn_version_warns(tmp_path):
    from auditnlp.classify.model import ModelVersionWarning, load_model

    _, side = _packaged()
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta["versions"]["scikit-learn"] = "0.20.0"
    with pytest.warns(ModelVersionWarning, match=r"0\.20\.0"):
        load_model(_copy(tmp_path, sidecar=meta))
    record("G6-model-09", "ok")


def _other_model() -> bytes:
    """A different, valid model: the packaged one with its largest array negated."""
    path, _ = _packaged()
    data = path.read_bytes()
    members = zip_members(data)
    name = max((n for n in members if n.endswith(".npy")), key=lambda n: len(members[n]))
    array = np.load(io.BytesIO(members[name]), allow_pickle=False)
    out = io.BytesIO()
    np.save(out, -array, allow_pickle=False)
    return rezip(data, replace={name: out.getvalue()})


@cases("G6-model-12")
def test_swapped_model_under_the_packaged_sidecar(tmp_path, monkeypatch):
    """Another model under the shipped sidecar: refused where the shipped model is expected; named
    explicitly by the user, it loads with a warning that it is not the file its sidecar describes."""
    import auditnlp.classify.inference as inference_module
    import auditnlp.classify.model as model_module

    packaged_arrays = inference_module.arrays_path(_packaged()[0])
    other = _other_model()
    swapped = _copy(tmp_path, model=other)  # no arrays beside it: the analysis loads the skops file
    monkeypatch.setattr(model_module, "default_model_path", lambda: swapped)
    monkeypatch.setattr(inference_module, "default_model_path", lambda: swapped)
    with pytest.raises(ModelError, match=r"(?i)sha-?256|hash|altered|does not match"):
        model_module.get_model(None)
    with pytest.raises(ModelError):
        analyze_text(REPORT)
    # the arrays the analysis reads first (category_model.npz), swapped under the shipped sidecar
    monkeypatch.undo()
    with_arrays = _copy(tmp_path, name="with_arrays")
    with np.load(packaged_arrays, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    largest = max((n for n, a in arrays.items() if a.dtype.kind == "f"), key=lambda n: arrays[n].size)
    arrays[largest] = -arrays[largest]
    np.savez(inference_module.arrays_path(with_arrays), **arrays)
    monkeypatch.setattr(inference_module, "default_model_path", lambda: with_arrays)
    with pytest.raises(ModelError, match=r"(?i)sha-?256|altered"):
        analyze_text(REPORT)
    own = _copy(tmp_path, model=other, name="my_model")  # the user's own file, named explicitly
    with pytest.warns(UserWarning, match=r"(?i)sha-?256|hash|does not match"):
        model_module.load_model(own)
    record("G6-model-12", "clear-error")


# ------------------------------------------------------------------------------------------- jieba


@cases("G6-jieba-cache-poisoning")
def test_jieba_cache_is_private(tmp_path):
    """A jieba.cache planted in the shared temporary folder is never read; the cache lives in a private
    per-user folder."""
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    sentence = "推进审计整改，加强审计监督"
    word = "推进审计整改"
    freq = {word[:i]: 0 for i in range(1, len(word))} | {word: 10**9, "，": 1, "加强": 10, "审计监督": 10}
    with (shared / "jieba.cache").open("wb") as planted:
        marshal.dump((freq, sum(freq.values())), planted)
    planted_bytes = (shared / "jieba.cache").read_bytes()
    cache_home = tmp_path / "home" / ".cache"
    code = f"from auditnlp.tokenizer import words\nprint('|'.join(words({sentence!r})))\n"
    env = {"TMPDIR": str(shared), "XDG_CACHE_HOME": str(cache_home), "HOME": str(tmp_path / "home")}
    run = run_process([], code=code, env=env, timeout=120)
    check_clean(run)
    assert run.code == 0, run.describe()
    cut = run.stdout.strip().split("|")
    assert word not in cut and "审计整改" in cut, f"segmented with the planted cache: {cut}"
    assert (shared / "jieba.cache").read_bytes() == planted_bytes
    assert sorted(p.name for p in shared.iterdir()) == ["jieba.cache"], "jieba wrote into the shared folder"
    caches = [p for p in cache_home.rglob("*") if p.is_file()]
    assert caches, "no private cache was written"
    for folder in {p.parent for p in caches}:
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, f"{folder} is readable by others"
    record("G6-jieba-cache-poisoning", "ok")


# ---------------------------------------------------------------------------------------- lexicons


def _packaged_lexicon(name: str) -> str:
    return resources.files("auditnlp.lexicons").joinpath(name).read_text(encoding="utf-8")


def _units_with(row: str | None = None, header: str | None = None) -> str:
    lines = _packaged_lexicon("units.tsv").splitlines()
    if header is not None:
        lines = [header if line.startswith("unit\t") else line for line in lines]
    if row is not None:
        lines.append(row)
    return "\n".join(lines) + "\n"


ALIAS_BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
)


def _lexicon(case: str) -> dict[str, bytes]:
    """The files of a user lexicon folder for one case."""
    structure = _packaged_lexicon("structure.yaml")
    debris = _packaged_lexicon("debris.yaml")
    lists = _packaged_lexicon("lists.yaml")
    line_rule = "lines:\n"
    if case == "empty_file":
        return {"structure.yaml": b""}
    if case == "gbk_encoded":
        return {"structure.yaml": structure.encode("gb18030")}
    if case == "regex_catastrophic":
        return {
            "debris.yaml": debris.replace(
                line_rule, line_rule + "  - {kind: chrome, where: any, pattern: '(a+)+$'}\n"
            ).encode()
        }
    if case == "regex_catastrophic_alt":
        return {
            "debris.yaml": debris.replace(
                line_rule, line_rule + "  - {kind: chrome, where: any, pattern: '(a|aa)+$'}\n"
            ).encode()
        }
    if case == "regex_invalid":
        return {
            "debris.yaml": debris.replace(
                line_rule, line_rule + "  - {kind: chrome, where: any, pattern: '(unclosed'}\n"
            ).encode()
        }
    if case == "tsv_bad_factor":
        return {"units.tsv": _units_with("斤\tphysical\t千克\tabc").encode()}
    if case == "tsv_bad_kind":
        return {"units.tsv": _units_with("斤\tnonsense\t千克\t0.5").encode()}
    if case == "tsv_extra_field":
        return {"units.tsv": _units_with("斤\tphysical\t千克\t0.5\textra").encode()}
    if case == "tsv_missing_column":
        return {"units.tsv": _units_with(header="unit\tkind\tfactor").encode()}
    if case == "tsv_u2028_in_row":
        return {"units.tsv": _units_with("斤\u2028\tphysical\t千克\t0.5").encode()}
    if case == "yaml_alias_bomb":
        return {"structure.yaml": (structure + "\n" + ALIAS_BOMB).encode()}
    if case == "yaml_alias_bomb_used":
        text = ALIAS_BOMB + lists.replace("markers: ['一方面', '另一方面']", "markers: *a8", 1)
        return {"lists.yaml": text.encode()}
    if case == "yaml_missing_headings":
        return {"structure.yaml": structure.replace("headings:", "heading_rules:", 1).encode()}
    if case == "yaml_missing_pattern":
        return {
            "debris.yaml": debris.replace(
                "  - {kind: marker, pattern: '##[A-Za-z_]{2,20}##'}", "  - {kind: marker}"
            ).encode()
        }
    if case == "yaml_python_tag":
        return {"structure.yaml": b"!!python/object/apply:os.system ['touch payload-ran']\n"}
    if case == "yaml_python_tag_nested":
        return {
            "structure.yaml": (
                structure + "\nextra: !!python/object/apply:os.system ['touch payload-ran']\n"
            ).encode()
        }
    if case == "yaml_rank_not_int":
        return {
            "structure.yaml": structure.replace("{rank: 1, kind: cn,", "{rank: one, kind: cn,", 1).encode()
        }
    if case == "yaml_syntax":
        return {"structure.yaml": (structure + "\nbroken: [unclosed, list\n").encode()}
    if case == "yaml_wrong_shape_list":
        return {"debris.yaml": b"- {kind: marker, pattern: 'x'}\n- {kind: chrome, pattern: 'y'}\n"}
    raise AssertionError(case)


# case → (file the error must name, words the error must contain); None = the analysis must succeed
LEXICON_CASES: dict[str, tuple[str, tuple[str, ...]] | None] = {
    "empty_file": ("structure.yaml", ("empty",)),
    "gbk_encoded": ("structure.yaml", ("utf-8", "line")),
    "regex_catastrophic": None,
    "regex_catastrophic_alt": ("debris.yaml", ("(a|aa)+$",)),
    "regex_invalid": ("debris.yaml", ("(unclosed",)),
    "tsv_bad_factor": ("units.tsv", ("line", "factor")),
    "tsv_bad_kind": ("units.tsv", ("line", "kind", "nonsense")),
    "tsv_extra_field": ("units.tsv", ("line",)),
    "tsv_missing_column": ("units.tsv", ("line", "base_unit")),
    "tsv_u2028_in_row": ("units.tsv", ("line",)),
    "yaml_alias_bomb": None,
    "yaml_alias_bomb_used": ("lists.yaml", ("line", "markers")),
    "yaml_missing_headings": ("structure.yaml", ("headings",)),
    "yaml_missing_pattern": ("debris.yaml", ("line", "pattern")),
    "yaml_python_tag": ("structure.yaml", ("line",)),
    "yaml_python_tag_nested": ("structure.yaml", ("line",)),
    "yaml_rank_not_int": ("structure.yaml", ("line", "rank")),
    "yaml_syntax": ("structure.yaml", ("line",)),
    "yaml_wrong_shape_list": ("debris.yaml", ("line",)),
}


@cases(*(f"G6-lex-{c}" for c in LEXICON_CASES))
@pytest.mark.parametrize("case", params(*((c,) for c in LEXICON_CASES)))
def test_user_lexicons(tmp_path, monkeypatch, case):
    """A malformed user lexicon is one line naming the file, the line and the key; a catastrophic user
    regex is stopped; alias bombs stay small."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / case
    folder.mkdir()
    for name, data in _lexicon(case).items():
        (folder / name).write_bytes(data)
    source = tmp_path / "catastrophic_input.txt"
    source.write_text(REPORT + "a" * 40 + "!\n", encoding="utf-8")  # what makes (a|aa)+$ backtrack
    run = run_cli(["analyze", source, "--lexicon-dir", folder, "--json"], timeout=60)
    expected = LEXICON_CASES[case]
    assert not (tmp_path / "payload-ran").exists(), "a YAML python tag ran"
    if expected is None:
        check_reports(run, 1)
        record(f"G6-lex-{case}", "ok")
        return
    name, words = expected
    check_error(run, name, reason=words)
    assert run.seconds < 30, f"the error took {run.seconds:.0f} s"
    record(f"G6-lex-{case}", "clear-error")


# the meaning and subject lexicons (issue 12's files, newer than the review): file, YAML, line and key
SHAPE_CASES = [
    ("indicator_meaning.yaml", "roles: 5\n", "line 1", "roles"),
    ("indicator_meaning.yaml", "roles:\n  - role: base\n    before: 7\n", "line 3", "before"),
    ("indicator_meaning.yaml", "roles:\n  - before: x\n", "line 2", "role"),
    ("indicator_meaning.yaml", "- a\n- b\n", "line 1", "mapping"),
    ("indicator_meaning.yaml", "qualifier_of_meaning: [1, 2]\n", "line 1", "qualifier_of_meaning"),
    ("indicator_meaning.yaml", "estimate: x\ndetail: 7\n", "line 2", "detail"),
    ("indicator_meaning.yaml", "totals:\n  money: {stated: x}\n", "line 2", "parts"),
    ("indicator_meaning.yaml", "period_phrases:\n  - {kind: year}\n", "line 2", "pattern"),
    ("subject_rules.yaml", "tail_words: 5\n", "line 1", "tail_words"),
    ("subject_rules.yaml", "max_length: abc\n", "line 1", "max_length"),
    ("subject_rules.yaml", "list_expansions: {城乡: 1}\n", "line 1", "城乡"),
    ("subject_rules.yaml", "implied_subjects:\n  - {sentence: x}\n", "line 2", "subject"),
    ("subject_rules.yaml", "head_words: [全年, [全省]]\n", "line 1", "head_words"),
]


@pytest.mark.parametrize(("name", "text", "line", "key"), SHAPE_CASES)
def test_meaning_and_subject_lexicons_of_the_wrong_shape(tmp_path, name, text, line, key):
    """A user's indicator_meaning.yaml or subject_rules.yaml of the wrong shape is one line naming the
    file, the line and the key (not the folder and a Python exception)."""
    folder = tmp_path / "lexicons"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    source = tmp_path / "report.txt"
    source.write_text(REPORT, encoding="utf-8")
    run = run_cli(["analyze", source, "--lexicon-dir", folder, "--json"], timeout=60)
    message = check_error(run, folder / name, reason=(line, key))
    assert "Error:" not in message.split(name, 1)[1], message  # no Python exception name in the reason


# ----------------------------------------------------------------------------------------- network


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every attempt to open a network connection or resolve a name."""
    attempts: list[str] = []

    def refuse(what):
        def call(*args, **kwargs):
            attempts.append(what)
            raise OSError(f"network access attempted: {what}")

        return call

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def _small_labels(tmp_path: Path) -> Path:
    """The bundled labels restricted to the bundled sample reports (no ../shared needed)."""
    lines = (ROOT / "corpora" / "labels" / "labels.tsv").read_text(encoding="utf-8").splitlines()
    keep = [line for line in lines if line.startswith(("#", "doc\t", "corpora/samples/"))]
    keep = [f"# root: {ROOT}" if line.startswith("# root:") else line for line in keep]
    path = tmp_path / "labels.tsv"
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return path


@cases("G6-net-analyze", "G6-net-compare", "G6-net-render", "G6-net-train")
@pytest.mark.parametrize("case", ["G6-net-analyze", "G6-net-compare", "G6-net-render", "G6-net-train"])
def test_no_network(tmp_path, no_network, case):
    """analyze, compare, render and train work with every network call refused, and make none."""
    samples = ROOT / "corpora" / "samples"
    if case == "G6-net-analyze":
        run = run_cli(
            [
                "analyze",
                samples / "qingshan_2023_summary.txt",
                samples / "jiangbei_2023_summary.docx",
                "--json",
            ]
        )
    elif case == "G6-net-compare":
        run = run_cli(
            [
                "compare",
                samples,
                "--manifest",
                samples / "manifest.csv",
                "-o",
                tmp_path / "c.xlsx",
                "--jobs",
                "1",
            ]
        )
    elif case == "G6-net-render":
        pytest.importorskip("spacy")
        run = run_cli(["render", samples / "qingshan_2023_summary.txt", "-o", tmp_path / "r.html"])
    else:
        run = run_cli(
            ["train", _small_labels(tmp_path), "-o", tmp_path / "m.skops", "--design", "words_lr"],
            timeout=180,
        )
    check_clean(run)
    assert run.code == 0, run.describe()
    assert not no_network, f"network access: {no_network}"
    record(case, "ok")


def test_trained_model_sidecar_pins_its_file(tmp_path):
    """A model written by `train` carries its own SHA-256 in the sidecar and loads without a warning."""
    from auditnlp.classify.model import load_model

    run = run_cli(["train", _small_labels(tmp_path), "-o", tmp_path / "m.skops"], timeout=180)
    check_clean(run)
    assert run.code == 0, run.describe()
    meta = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert meta["model_sha256"] == hashlib.sha256((tmp_path / "m.skops").read_bytes()).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(tmp_path / "m.skops")
