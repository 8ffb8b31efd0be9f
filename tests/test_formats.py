"""Every format an office submits, made here with LibreOffice from the bundled samples (issue 13).

A folder holds the ten samples as .txt/.docx originals and as .doc, .wps, .rtf, .odt, .pdf, .html and rows
of .csv/.tsv/.jsonl/.xlsx/.xls, one sample also as a noisy, slightly rotated scan (a PDF of images and a
multi-page TIFF), plus broken and unsupported files. ``compare`` must account for every file in it, and
each analysed copy must agree with its original on title, unit, year, sections, items and indicators.

LibreOffice makes the files and reads .doc/.wps; the ``ocr`` extra reads the scans. Without them these
tests skip, except in CI, where ``.ci/run`` sets ``AUDITNLP_REQUIRE_CONVERTERS=1`` and a missing tool
fails the run instead.
"""

from __future__ import annotations

import csv
import difflib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import SEED_000, SEED_004, needs_shared, sample_files

import auditnlp
from auditnlp.corpus.batch import compare_inputs
from auditnlp.corpus.compare import compare_reports
from auditnlp.errors import ConverterMissingError
from auditnlp.readers import ocr
from auditnlp.readers.convert import soffice
from auditnlp.readers.files import read_file
from auditnlp.types import Report

REQUIRED = os.environ.get("AUDITNLP_REQUIRE_CONVERTERS") == "1"
SCANNED = "qingshan_2023_summary"


def _require(available: bool, what: str) -> None:
    if available:
        return
    if REQUIRED:
        pytest.fail(f"{what} is required here (AUDITNLP_REQUIRE_CONVERTERS=1) but is not installed")
    pytest.skip(f"{what} is not installed")


def signature(report: Report) -> dict[str, Any]:
    """What a copy in another format must keep: title, unit, year, sections, items and indicators."""
    meta = report.meta
    return {
        "title": meta.title,
        "unit": meta.unit,
        "year": meta.year,
        "sections": [(s.level, s.marker, s.heading, s.role) for s in report.sections],
        "items": [(i.kind, i.index) for i in report.items],
        "indicators": [(i.name, i.value, i.unit, i.masked) for i in report.indicators],
    }


def _soffice_convert(files: list[Path], target: str, out: Path, profile: Path) -> None:
    program = soffice()
    assert program is not None
    command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target]
    subprocess.run(
        [*command, "--outdir", str(out), *map(str, files)],
        check=True,
        capture_output=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def _docx_of(text: str, path: Path) -> None:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    document.save(str(path))


def _scan(pdf: Path, pdf_out: Path, tiff_out: Path) -> None:
    """Render `pdf` at 200 dpi, rotate it 0.8°, add grey noise and specks: a scan, as a PDF and a TIFF."""
    import numpy as np
    import pdfplumber
    from PIL import Image

    rng = np.random.default_rng(13)
    frames = []
    with pdfplumber.open(pdf) as opened:
        for page in opened.pages:
            image = page.to_image(resolution=200).original.convert("L")
            image = image.rotate(0.8, resample=Image.Resampling.BICUBIC, fillcolor=255)
            pixels = np.asarray(image).astype(np.int16) + rng.normal(0, 18, image.size[::-1]).astype(np.int16)
            pixels[rng.random(pixels.shape) < 0.002] = 0
            frames.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))
    # the TIFF first: Pillow's PDF writer leaves encoder settings on the frames that its TIFF writer rejects
    frames[0].save(tiff_out, save_all=True, append_images=frames[1:], compression="tiff_lzw")
    frames[0].save(pdf_out, save_all=True, append_images=frames[1:], resolution=200)


def originals() -> dict[str, Path]:
    """The ten samples by stem."""
    return {p.stem: p for p in sample_files()}


def _texts() -> dict[str, str]:
    return {stem: read_file(path)[0].text for stem, path in originals().items()}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Word files of the samples and their LibreOffice copies (.doc, .odt, .rtf, .pdf), by format."""
    _require(soffice() is not None, "LibreOffice (soffice)")
    root = tmp_path_factory.mktemp("made")
    docx_dir = root / "docx"
    docx_dir.mkdir()
    for stem, path in originals().items():
        if path.suffix == ".docx":
            shutil.copy(path, docx_dir / path.name)
        else:
            _docx_of(read_file(path)[0].text, docx_dir / f"{stem}.docx")
    files = sorted(docx_dir.iterdir())
    for target in ("doc", "odt", "rtf", "pdf"):
        _soffice_convert(files, target, root / target, root / "profile")
    return {fmt: root / fmt for fmt in ("docx", "doc", "odt", "rtf", "pdf")}


@pytest.fixture(scope="module")
def folder(made: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The mixed folder: every format of every sample, a scan, broken and unsupported files."""
    _require(ocr.available(), "the ocr extra (rapidocr, onnxruntime)")
    root = tmp_path_factory.mktemp("submissions")
    texts = _texts()
    expected: dict[str, str] = {}  # file name → sample stem it copies (tables: file#row)
    for stem, path in originals().items():
        shutil.copy(path, root / path.name)
        expected[path.name] = stem
        for fmt in ("docx", "doc", "odt", "rtf", "pdf"):
            if fmt == "docx" and path.suffix == ".docx":
                continue
            name = f"{stem}.{fmt}"
            shutil.copy(made[fmt] / name, root / name)
            expected[name] = stem
        shutil.copy(made["doc"] / f"{stem}.doc", root / f"{stem}.wps")  # WPS Writer saves Word 97 files
        expected[f"{stem}.wps"] = stem
        html = "".join(f"<p>{line}</p>\n" for line in texts[stem].splitlines())
        (root / f"{stem}.html").write_text(f"<html><body>{html}</body></html>", encoding="utf-8")
        expected[f"{stem}.html"] = stem
    stems = sorted(texts)
    rows = [{"name": stem, "full_text": texts[stem]} for stem in stems]
    with open(root / "all.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, ["name", "full_text"])
        writer.writeheader()
        writer.writerows(rows)
    (root / "all.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", "full_text"])
    for r in rows:
        sheet.append([r["name"], r["full_text"]])
    book.save(root / "all.xlsx")
    _soffice_convert([root / "all.xlsx"], "xls", root, made["pdf"].parent / "profile")
    for table in ("all.csv", "all.jsonl", "all.xlsx", "all.xls"):
        for index, stem in enumerate(stems, 1):
            expected[f"{table}#{index}"] = stem
    _scan(made["pdf"] / f"{SCANNED}.pdf", root / f"{SCANNED}.scan.pdf", root / f"{SCANNED}.scan.tif")
    expected[f"{SCANNED}.scan.pdf"] = expected[f"{SCANNED}.scan.tif"] = SCANNED
    # broken, unsupported and skipped files, each of which must be listed with its reason
    (root / "broken.docx").write_bytes(b"PK\x03\x04 this is not a Word file")
    (root / "truncated.pdf").write_bytes((made["pdf"] / f"{SCANNED}.pdf").read_bytes()[:600])
    (root / "garbage.doc").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(range(256)) * 8)
    (root / "empty.txt").write_bytes(b"")
    (root / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (root / "slides.pptx").write_bytes(b"PK\x03\x04 slides")
    (root / "notes.pages").write_bytes(b"PK\x03\x04 pages")
    (root / "README.md").write_text("# 报送材料\n", encoding="utf-8")
    (root / "~$jiangbei_2023_summary.docx").write_bytes(b"owner file")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "_草稿.txt").write_text(texts["qingshan_2024_summary"], encoding="utf-8")
    expected["_草稿.txt"] = "qingshan_2024_summary"
    (root / "gone.docx").symlink_to(root / "no-such-target.docx")
    (root / "again.txt").symlink_to(root / "_草稿.txt")  # the same file reached twice
    sub = root / "sub"
    sub.mkdir()
    (sub / "loop").symlink_to(root, target_is_directory=True)
    entries = sorted(p for p in root.rglob("*") if not p.is_dir() or p.is_symlink())
    return {"root": root, "expected": expected, "entries": entries, "texts": texts}


def _key(path: str, row: int | None) -> str:
    return Path(path).name + (f"#{row}" if row is not None else "")


@pytest.fixture(scope="module")
def analysed(folder: dict[str, Any]) -> list[Any]:
    return list(auditnlp.analyze_many([folder["root"]]))


@pytest.fixture(scope="module")
def reference() -> dict[str, Report]:
    return {stem: auditnlp.analyze(path) for stem, path in originals().items()}


def test_compare_accounts_for_every_file(folder: dict[str, Any]) -> None:
    result = compare_inputs([folder["root"]], jobs=2, progress=False)

    def name(path: str) -> str:  # a table row is listed as file#row
        return Path(path.split("#", 1)[0]).name

    analysed = {name(p) for p in result.reports["file"]}
    listed = {name(p) for p in result.errors["path"]}
    every = {p.name for p in folder["entries"]}
    assert analysed | listed == every  # every file in the folder is analysed or listed
    copies = result.errors[result.errors["error"] == "Duplicate"]  # the same text, compared once
    reasons = {
        name(p): kind
        for p, kind in zip(result.errors["path"], result.errors["error"], strict=True)
        if kind != "Duplicate"
    }
    assert reasons == {
        "broken.docx": "CorruptDocumentError",
        "truncated.pdf": "CorruptDocumentError",
        "garbage.doc": "CorruptDocumentError",
        "empty.txt": "EmptyDocumentError",
        "photo.txt": "BinaryFileError",
        "slides.pptx": "UnsupportedFormatError",
        "notes.pages": "UnsupportedFormatError",
        "README.md": "SkippedInputError",
        "~$jiangbei_2023_summary.docx": "SkippedInputError",
        ".DS_Store": "SkippedInputError",
        "gone.docx": "LinkError",
        "again.txt": "DuplicateInputError",
        "loop": "LinkError",
    }
    # every document (a file, or a table row) is compared once or listed as a copy of one compared
    compared = {
        _key(f, None if pd.isna(r) else int(r))
        for f, r in zip(result.reports["file"], result.reports["row"], strict=True)
    }
    copied = {Path(p).name for p in copies["path"]}
    assert compared | copied == set(folder["expected"]) and not compared & copied
    assert len(result.reports) + len(copies) == len(folder["expected"])
    # unit and year in the comparison agree with the original of each copy (rows carry no file name: they
    # are compared with the original's text analysed without one)
    by_file = {stem: auditnlp.analyze(path).meta for stem, path in originals().items()}
    by_text = {stem: auditnlp.analyze_text(text).meta for stem, text in folder["texts"].items()}
    for row in result.reports.itertuples(index=False):
        table = not pd.isna(row.row)
        stem = folder["expected"][_key(row.file, int(row.row) if table else None)]
        original = (by_text if table else by_file)[stem]
        year = None if pd.isna(row.year) else int(row.year)
        assert (row.unit, year) == (original.unit, original.year), (row.file, row.row)
    # a scan read without a single error has the text of the file it was printed from: a copy, compared once
    scans = result.reports[result.reports["file"].str.contains(".scan.")]
    assert (
        scans["ocr"].all() and not result.reports[~result.reports["file"].str.contains(".scan.")]["ocr"].any()
    )


def test_every_copy_agrees_with_its_original(
    folder: dict[str, Any], analysed: list[Any], reference: dict[str, Report]
) -> None:
    reports = [r for r in analysed if isinstance(r, Report)]
    assert len(reports) == len(folder["expected"])
    formats = set()
    for report in reports:
        stem = folder["expected"][_key(report.source.path, report.source.row)]
        # a table row carries no file name: compare it with the original's text analysed without one
        original = (
            reference[stem] if report.source.row is None else auditnlp.analyze_text(folder["texts"][stem])
        )
        assert signature(report) == signature(original), report.source.path
        formats.add(report.source.format)
    assert formats == {
        "txt",
        "docx",
        "doc",
        "wps",
        "odt",
        "rtf",
        "pdf",
        "html",
        "csv",
        "jsonl",
        "xlsx",
        "xls",
        "image",
    }


def test_scan_is_read_by_ocr_and_marked(folder: dict[str, Any], analysed: list[Any]) -> None:
    scans = [r for r in analysed if isinstance(r, Report) and ".scan." in r.source.path]
    assert len(scans) == 2
    original = _texts()[SCANNED]
    reference = auditnlp.analyze_text(original)
    for report in scans:
        assert report.source.ocr
        assert any("OCR" in w for w in report.warnings)
        matcher = difflib.SequenceMatcher(None, reference.text, report.text, autojunk=False)
        accuracy = sum(block.size for block in matcher.get_matching_blocks()) / len(reference.text)
        assert accuracy >= 0.98, accuracy
        values = [(i.name, i.value, i.unit) for i in report.indicators]
        assert values == [(i.name, i.value, i.unit) for i in reference.indicators]
    # in a comparison, the report and each of its numbers are marked, and a note says to check them
    compared = compare_reports([scans[0], auditnlp.analyze(originals()["qingshan_2024_summary"])])
    assert compared.reports["ocr"].tolist() == [True, False]
    flagged = compared.indicators.groupby("report_id")["ocr"].agg(["all", "any"])
    assert flagged.loc[1, "all"] and not flagged.loc[2, "any"]
    assert any("read by OCR" in note for note in compared.notes)


def test_pdf_of_every_sample_reads_like_the_word_file(made: dict[str, Path]) -> None:
    for path in sorted(made["docx"].iterdir()):
        pdf, word = auditnlp.analyze(made["pdf"] / f"{path.stem}.pdf"), auditnlp.analyze(path)
        assert signature(pdf) == signature(word), path.stem
        assert pdf.warnings == word.warnings  # no warning about the text layer
        assert all(
            r.kind in {"page_number", "page_header", "page_footer"} for r in pdf.removed[len(word.removed) :]
        )


@needs_shared
def test_seeds_exported_to_pdf_read_like_the_word_file(tmp_path: Path) -> None:
    _require(soffice() is not None, "LibreOffice (soffice)")
    files = []
    for seed in (SEED_000, SEED_004):
        _docx_of(read_file(seed)[0].text, tmp_path / f"{seed.stem}.docx")
        files.append(tmp_path / f"{seed.stem}.docx")
    _soffice_convert(files, "pdf", tmp_path, tmp_path / "profile")
    for seed in (SEED_000, SEED_004):
        word = auditnlp.analyze(tmp_path / f"{seed.stem}.docx")
        pdf = auditnlp.analyze(tmp_path / f"{seed.stem}.pdf")
        assert signature(pdf) == signature(word) == signature(auditnlp.analyze(seed)), seed.name


def test_without_libreoffice_doc_is_an_actionable_error(
    made: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITNLP_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(ConverterMissingError, match=r"install LibreOffice .* or save the file as \.docx"):
        auditnlp.analyze(made["doc"] / "qingshan_2023_summary.doc")
    # the formats read by Python libraries do not need it
    assert auditnlp.analyze(made["odt"] / "qingshan_2023_summary.odt").meta.unit == "青山区审计局"
    assert auditnlp.analyze(made["rtf"] / "qingshan_2023_summary.rtf").meta.unit == "青山区审计局"
