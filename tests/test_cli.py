"""The command line through click's runner, and the import contract of the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from auditnlp.cli import cli
from auditnlp.errors import OutputError


def test_every_command_has_help():
    runner = CliRunner()
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = list(cli.commands)
    assert "analyze" in commands
    for name in commands:
        sub = runner.invoke(cli, [name, "--help"])
        assert sub.exit_code == 0, name
        assert cli.commands[name].help, f"{name} has no help text"


def test_analyze_json_schema():
    path = SAMPLES / "qingshan_2023_summary.txt"
    result = CliRunner().invoke(cli, ["analyze", str(path), "--json"])
    assert result.exit_code == 0, result.output
    (line,) = result.output.strip().splitlines()
    data = json.loads(line)
    assert data["schema"] == "auditnlp.report/1"
    assert data["source"]["path"] == str(path) and len(data["source"]["sha256"]) == 64
    assert data["source"]["encoding"] == "utf-8"
    assert data["meta"]["unit"] == "青山区审计局" and data["meta"]["year"] == 2023
    for key in ("text", "sections", "paragraphs", "items", "warnings", "indicators", "slogans"):
        assert key in data
    section = data["sections"][1]
    assert set(section) >= {"id", "level", "marker", "heading", "role", "start", "end", "parent"}
    for para in data["paragraphs"]:
        assert data["text"][para["start"] : para["end"]] == para["text"]


def test_analyze_folder_is_json_lines():
    result = CliRunner().invoke(cli, ["analyze", str(SAMPLES), "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 10
    assert len({json.loads(line)["source"]["path"] for line in lines}) == 10


def test_analyze_human_summary():
    result = CliRunner().invoke(cli, ["analyze", str(SAMPLES / "qingshan_2023_summary.txt")])
    assert result.exit_code == 0
    assert "unit=青山区审计局 year=2023" in result.output
    assert "[problems]" in result.output and "[plans]" in result.output


def test_import_is_light():
    code = (
        "import sys, auditnlp; heavy = [m for m in ('spacy', 'hanlp', 'torch', 'pandas', 'sklearn', 'jieba') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lexicon_dir_overrides_packaged_rules(tmp_path):
    from auditnlp.lexicon import load_lexicons

    text, _ = load_lexicons().read("structure.yaml")
    (tmp_path / "structure.yaml").write_text(
        text.replace("'下一步|下步'", "'下一步|下步|展望'"), encoding="utf-8"
    )
    body = "东湖区审计局2024年工作总结\n一、主要工作\n完成审计。\n二、2025年展望\n继续努力。"
    from auditnlp import Options, analyze_text

    default = analyze_text(body)
    custom = analyze_text(body, options=Options(lexicon_dir=str(tmp_path)))
    assert default.sections[-1].role == "review"
    assert custom.sections[-1].role == "plans"


def test_every_public_name_resolves():
    import auditnlp

    for name in auditnlp.__all__:
        assert getattr(auditnlp, name) is not None, name


def test_the_console_script_takes_one_blas_thread_unless_told_and_the_library_takes_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The command line asks OpenBLAS for one thread (its pool's start was a tenth of a cold ``analyze``)
    unless the environment names a number; importing the package as a library leaves the variable alone."""
    import auditnlp.cli
    from auditnlp import _entry

    seen: list[str | None] = []
    monkeypatch.setattr(auditnlp.cli, "main", lambda: seen.append(os.environ.get("OPENBLAS_NUM_THREADS")))
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    _entry.main()
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    _entry.main()
    assert seen == ["1", "4"]
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    probe = "import os, auditnlp; auditnlp.analyze_text('审计局2024年工作总结'); print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "None"


def test_compare_refuses_an_output_over_an_input_or_a_folder_holding_one(tmp_path):
    """The inputs are listed one at a time for the check (an archive's list is not held), and still an
    output that is an input, or a folder output that holds one, is refused before any analysis."""
    folder = tmp_path / "in"
    (folder / "2023").mkdir(parents=True)
    report = folder / "2023" / "qingshan.txt"
    report.write_bytes((SAMPLES / "qingshan_2023_summary.txt").read_bytes())
    before = report.read_bytes()
    runner = CliRunner()
    over = runner.invoke(cli, ["compare", str(folder), "-o", str(report), "--format", "jsonl", "--jobs", "1"])
    assert isinstance(over.exception, OutputError) and "one of the inputs" in str(over.exception)
    holding = runner.invoke(
        cli, ["compare", str(folder), "-o", str(folder), "--format", "csv", "--jobs", "1"]
    )
    assert isinstance(holding.exception, OutputError)
    assert "holds an input (qingshan.txt)" in str(holding.exception)
    # the dataset beside a workbook is checked in the same walk of the inputs
    args = ["compare", str(folder), "-o", str(tmp_path / "c.xlsx"), "--jobs", "1", "--dataset"]
    inside = runner.invoke(cli, [*args, str(folder)])
    assert isinstance(inside.exception, OutputError) and str(folder) in str(inside.exception)
    assert "holds an input (qingshan.txt)" in str(inside.exception)
    is_input = runner.invoke(cli, [*args, str(report)])  # a file is no dataset folder: click says so
    assert is_input.exit_code == 2 and "is a file" in is_input.output
    assert not (tmp_path / "c.xlsx").exists()
    assert report.read_bytes() == before and sorted(p.name for p in folder.rglob("*")) == [
        "2023",
        "qingshan.txt",
    ]
