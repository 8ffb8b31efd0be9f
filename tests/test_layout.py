"""The package's layout: layers that import only downwards, no import circles, one lexicon bundle,
validated options, deprecated re-exports that warn, and the reader fixes that came with the layout."""

from __future__ import annotations

import ast
import csv
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import auditnlp
from auditnlp.errors import InputError, OptionsError

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "auditnlp"

# Bottom (imported by everyone) to top. A module may import modules of its own layer or below, never above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("auditnlp.errors", "auditnlp.numerals", "auditnlp._compat"),
    ("auditnlp._data",),
    ("auditnlp.types", "auditnlp.lexicon"),
    ("auditnlp.readers",),
    ("auditnlp.normalize", "auditnlp.tokenizer"),
    ("auditnlp.segment",),
    ("auditnlp.extract",),
    ("auditnlp.classify",),
    ("auditnlp.pipeline",),
    ("auditnlp.corpus", "auditnlp.training"),
    ("auditnlp.writers",),
    ("auditnlp.integrations", "auditnlp.cli", "auditnlp.__main__", "auditnlp"),
)
# one-line re-exports of modules that moved (they forward lazily through auditnlp._compat)
SHIMS = {
    "auditnlp.io",
    "auditnlp.io.readers",
    "auditnlp.io.encoding",
    "auditnlp.io.tables",
    "auditnlp.io.workbook",
    "auditnlp.compare",
    "auditnlp.batch",
    "auditnlp.manifest",
    "auditnlp.extract.recurrence",
    "auditnlp.extract.meta",
    "auditnlp.classify.labels",
    "auditnlp.classify.evaluate",
    "auditnlp.segment.words",
}


# Deliberate upward calls, each imported inside the one method that needs it: Comparison.to_excel and
# Comparison.to_site are the library's one-call way to the writers (issue 18). Nothing else may run up.
DEFERRED = {
    ("auditnlp.corpus.compare", "auditnlp.writers.workbook"),
    ("auditnlp.corpus.compare", "auditnlp.writers.site"),
}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _graph() -> dict[str, set[str]]:
    """Module → the auditnlp modules it imports anywhere (module level, functions, TYPE_CHECKING)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("auditnlp"):
                base = node.module
                for alias in node.names:  # `from auditnlp.x import y` where y is a module
                    targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("auditnlp"))
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _layer(module: str) -> int:
    best = -1
    best_len = -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layout.py")
    return best


def test_every_module_has_a_layer() -> None:
    for module in _graph():
        if module not in SHIMS:
            _layer(module)


def test_no_import_runs_up_a_layer() -> None:
    upward = [
        f"{a} (layer {_layer(a)}) imports {b} (layer {_layer(b)})"
        for a, targets in _graph().items()
        if a not in SHIMS
        for b in targets
        if b not in SHIMS and _layer(b) > _layer(a) and (a, b) not in DEFERRED
    ]
    assert upward == []


def test_deferred_upward_imports_stay_inside_functions() -> None:
    """The allowed upward imports are made inside a function body, never at module level."""
    for module, target in DEFERRED:
        tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith(target), (module, target)


def test_no_import_circle() -> None:
    graph = {
        a: {b for b in t if b not in SHIMS and (a, b) not in DEFERRED}
        for a, t in _graph().items()
        if a not in SHIMS
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_shims_only_forward() -> None:
    for module in SHIMS:
        path = PACKAGE.joinpath(*module.split(".")[1:])
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        assert _graph()[module] == {"auditnlp._compat"}, module


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("auditnlp.compare", "compare_reports", "auditnlp.corpus.compare"),
        ("auditnlp.io.tables", "write_comparison", "auditnlp.writers.tables"),
        ("auditnlp.manifest", "load_manifest", "auditnlp.corpus.manifest"),
        ("auditnlp.io.readers", "read_file", "auditnlp.readers"),
        ("auditnlp.classify", "train_model", "auditnlp.training"),
    ],
)
def test_moved_modules_warn_and_forward(old: str, name: str, new: str) -> None:
    import importlib

    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)


def test_unknown_stage_names_the_valid_ones() -> None:
    with pytest.raises(
        OptionsError, match=r"indicator.*valid stages: indicators, slogans, findings, classify"
    ):
        auditnlp.Options(stages=("indicator",))
    assert auditnlp.Options(stages=("structure", "indicators")).stages == ("indicators",)


def test_unknown_lexicon_file_warns_with_the_valid_names(tmp_path: Path) -> None:
    from auditnlp.lexicon import LexiconWarning, load_lexicons

    (tmp_path / "indicator_name.tsv").write_text("name\n", encoding="utf-8")
    with pytest.warns(LexiconWarning, match=r"indicator_name\.tsv.*indicator_names\.tsv"):
        load_lexicons(tmp_path)


def test_edited_lexicon_file_is_read_again(tmp_path: Path) -> None:
    """The bundle is cached on the folder and its files' mtimes: an edit is seen on the next analysis."""
    from auditnlp.lexicon import load_lexicons

    text, _ = load_lexicons().read("structure.yaml")
    target = tmp_path / "structure.yaml"
    target.write_text(text, encoding="utf-8")
    body = "东湖区审计局2024年工作总结\n一、主要工作\n完成审计。\n二、2025年展望\n继续努力。"
    options = auditnlp.Options(lexicon_dir=str(tmp_path), stages=())
    assert auditnlp.analyze_text(body, options=options).sections[-1].role == "review"
    target.write_text(text.replace("'下一步|下步'", "'下一步|下步|展望'"), encoding="utf-8")
    assert auditnlp.analyze_text(body, options=options).sections[-1].role == "plans"
    # the same folder named two ways is one bundle
    assert load_lexicons(tmp_path) is load_lexicons(str(tmp_path / "." / ""))


def test_bad_lexicon_folder_is_a_clear_error(tmp_path: Path) -> None:
    from auditnlp.errors import LexiconError

    with pytest.raises(LexiconError, match="lexicon folder not found"):
        auditnlp.analyze_text(
            "完成审计项目3个。", options=auditnlp.Options(lexicon_dir=str(tmp_path / "nope"))
        )


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "auditnlp", "--help"], capture_output=True, text=True, check=True
    )
    assert "analyze" in out.stdout and "compare" in out.stdout


def test_every_command_is_in_the_readme() -> None:
    from auditnlp.cli import cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in cli.commands if f"auditnlp {name}" not in readme]
    assert missing == []


def test_reading_a_csv_leaves_the_process_csv_limit_alone(tmp_path: Path) -> None:
    before = csv.field_size_limit()
    path = tmp_path / "rows.csv"
    long_text = "某县审计局2024年工作总结。" + "完成审计项目27个。" * 20000
    path.write_text(f"full_text\n{long_text}\n", encoding="utf-8")
    docs = auditnlp.read_documents(path)
    assert len(docs) == 1 and len(docs[0].text) == len(long_text)
    assert csv.field_size_limit() == before


def test_a_missing_file_is_never_analysed_as_text() -> None:
    for name in ("missing.xlsx", "missing.doc", "reports/missing", "missing.txt"):
        with pytest.raises(InputError, match=f"{name}: no such file"):
            auditnlp.analyze(name)
    # one line of report text is still text
    assert auditnlp.analyze("完成审计项目27个，同比增长5.4").indicators


def test_analyze_and_compare_read_the_same_files_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "东湖区审计局2024年工作总结\n一、工作\n完成审计项目27个。\n", encoding="utf-8"
    )
    (tmp_path / "rows.csv").write_text(
        "full_text\n西湖区审计局2024年工作总结。完成审计项目3个。\n", encoding="utf-8"
    )
    (tmp_path / "manifest.csv").write_text("path,unit\na.txt,东湖区审计局\n", encoding="utf-8")
    analysed = [r for r in auditnlp.analyze_many([tmp_path]) if not isinstance(r, Exception)]
    compared = auditnlp.compare_inputs([tmp_path], jobs=1, progress=False)
    assert len(analysed) == len(compared.reports) == 2


def test_a_glob_that_matches_nothing_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("东湖区审计局2024年工作总结\n完成审计项目27个。\n", encoding="utf-8")
    results = list(auditnlp.analyze_many([str(tmp_path / "nomatch*.txt"), tmp_path]))
    assert [type(r).__name__ for r in results] == ["MissingInputError", "Report"]
    runner = CliRunner()
    from auditnlp.cli import cli

    out = runner.invoke(cli, ["analyze", str(tmp_path / "nomatch*.txt"), str(tmp_path)])
    assert out.exit_code == 1 and "27个" not in out.output and "a.txt" in out.output


def test_import_auditnlp_stays_light() -> None:
    code = (
        "import sys, auditnlp; heavy = [m for m in ('pandas', 'sklearn', 'jieba', 'spacy', 'torch', 'regex',"
        " 'yaml') if m in sys.modules]; print(heavy)"
    )
    with warnings.catch_warnings():
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
