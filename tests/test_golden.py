"""Golden files: the whole analysis of every bundled document, pinned record by record.

A rule change that alters any record shows up here. When the change is meant, run
``python scripts/regen_golden.py`` and review ``git diff tests/golden`` before committing.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("regen_golden", ROOT / "scripts" / "regen_golden.py")
assert _spec is not None and _spec.loader is not None
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)

DOCS = regen.documents()


def test_every_bundled_document_has_golden_files() -> None:
    folders = {p.name for p in regen.GOLDEN.iterdir() if p.is_dir()}
    assert folders == {regen.folder_for(d).name for d in DOCS}
    for doc in DOCS:
        names = {p.name for p in regen.folder_for(doc).iterdir()}
        assert names == {f"{k}.jsonl" for k in regen.KINDS}


@pytest.mark.parametrize("doc", DOCS, ids=[regen.folder_for(d).name for d in DOCS])
def test_golden(doc: Path) -> None:
    folder = regen.folder_for(doc)
    for name, text in regen.render(doc).items():
        stored = (folder / name).read_text(encoding="utf-8")
        if stored != text:
            diff = "".join(
                list(
                    difflib.unified_diff(
                        stored.splitlines(keepends=True),
                        text.splitlines(keepends=True),
                        fromfile=f"golden/{folder.name}/{name}",
                        tofile="now",
                        n=0,
                    )
                )[:60]
            )
            pytest.fail(
                f"{folder.name}/{name} differs from the analysis. If the change is meant, run "
                f"`python scripts/regen_golden.py` and review the diff.\n{diff}"
            )


@pytest.mark.parametrize("doc", DOCS, ids=[regen.folder_for(d).name for d in DOCS])
def test_golden_files_are_not_edited_by_hand(doc: Path) -> None:
    for path in sorted(regen.folder_for(doc).glob("*.jsonl")):
        header, *body = path.read_text(encoding="utf-8").splitlines()
        meta = json.loads(header)
        assert meta["generator"] == regen.GENERATOR
        assert meta["records"] == len(body), path
        assert meta["sha256"] == hashlib.sha256("\n".join(body).encode("utf-8")).hexdigest()[:16], (
            f"{path} was edited by hand: regenerate it with scripts/regen_golden.py"
        )
