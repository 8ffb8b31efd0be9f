"""Regenerate the golden files: ``tests/golden/<document>/<kind>.jsonl``.

Run by hand after a deliberate change to rules or code, then read the diff before committing:

    python scripts/regen_golden.py            # rewrite every golden file
    python scripts/regen_golden.py --check    # exit 1 (and list the files) when any would change

Each file starts with a header line naming this generator, the document and a hash of the lines below it,
so a hand edit is caught by ``tests/test_golden.py`` as surely as a changed rule. The documents are the
bundled ones only (``corpora/samples``, ``corpora/labels/texts``, ``tests/data``), so the golden files guard
a fresh clone without ``../shared``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
GENERATOR = "scripts/regen_golden.py"
SOURCES = (
    (ROOT / "corpora" / "samples", (".txt", ".docx")),
    (ROOT / "corpora" / "labels" / "texts", (".txt",)),
    (ROOT / "tests" / "data", (".txt",)),
)
KINDS = ("report", "sections", "items", "indicators", "slogans", "problems", "measures", "categories")


def documents() -> list[Path]:
    """The bundled documents that have golden files, in a stable order."""
    found: list[Path] = []
    for folder, suffixes in SOURCES:
        found.extend(
            sorted(p for p in folder.iterdir() if p.suffix in suffixes and not p.name.startswith(("_", ".")))
        )
    return found


def _round(value: Any) -> Any:
    """Floats to 4 decimals so a score that moves in the last bits is not a diff."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def _records(report: Any) -> dict[str, list[dict[str, Any]]]:
    data = report.to_dict()
    head = {
        "source": {k: data["source"][k] for k in ("format", "encoding", "row")},
        "meta": data["meta"],
        "title": data["title"],
        "salutation": data["salutation"],
        "closing": data["closing"],
        "warnings": data["warnings"],
        "removed": data["removed"],
        "category_shares": data["category_shares"],
        "counts": {k: len(data[k]) for k in ("paragraphs", "sentences")},
    }
    categories = [
        {"unit": "paragraph", "id": p["id"], "start": p["start"], "end": p["end"], "category": p["category"],
         "scores": p["scores"]}
        for p in data["paragraphs"]
    ] + [
        {"unit": "item", "id": i["id"], "start": i["start"], "end": i["end"], "category": i["category"],
         "scores": i["scores"]}
        for i in data["items"]
    ]  # fmt: skip
    items = [{k: v for k, v in i.items() if k not in ("category", "scores")} for i in data["items"]]
    return {
        "report": [head],
        "sections": data["sections"],
        "items": items,
        "indicators": data["indicators"],
        "slogans": data["slogans"],
        "problems": data["problems"],
        "measures": data["measures"],
        "categories": categories,
    }


def render(path: Path) -> dict[str, str]:
    """The golden files of one document: file name → full text (header line first)."""
    import auditnlp

    report = auditnlp.analyze(path)
    rel = path.relative_to(ROOT).as_posix()
    out: dict[str, str] = {}
    for kind, records in _records(report).items():
        body = [json.dumps(_round(r), ensure_ascii=False, sort_keys=True) for r in records]
        digest = hashlib.sha256("\n".join(body).encode("utf-8")).hexdigest()[:16]
        header = json.dumps(
            {
                "_golden": kind,
                "generator": GENERATOR,
                "document": rel,
                "records": len(body),
                "sha256": digest,
            },
            ensure_ascii=False,
        )
        out[f"{kind}.jsonl"] = "\n".join([header, *body]) + "\n"
    return out


def folder_for(path: Path) -> Path:
    """``tests/golden/<folder of the corpus>__<file name>``: unique across the three source folders."""
    return GOLDEN / f"{path.parent.name}__{path.name}"


def expected() -> Iterator[tuple[Path, str]]:
    """Every golden file as the generator writes it now: (path, text)."""
    for doc in documents():
        folder = folder_for(doc)
        for name, text in render(doc).items():
            yield folder / name, text


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) every golden file; print what changed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only report files that would change")
    args = parser.parse_args(argv)
    changed: list[Path] = []
    wanted: set[Path] = set()
    for path, text in expected():
        wanted.add(path)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            changed.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    stale = [p for p in GOLDEN.rglob("*.jsonl") if p not in wanted] if GOLDEN.exists() else []
    for path in stale:
        changed.append(path)
        if not args.check:
            path.unlink()
    for path in changed:
        print(("would change " if args.check else "wrote ") + path.relative_to(ROOT).as_posix())
    if args.check and changed:
        return 1
    print(f"{len(wanted)} golden files, {len(changed)} changed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
