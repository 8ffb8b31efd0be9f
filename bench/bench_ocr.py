"""OCR of a made scan: character accuracy and pages per second (by hand; needs LibreOffice and the ocr extra).

    python bench/bench_ocr.py [sample stem]

The sample's text is written to a .docx, LibreOffice prints it to PDF, each page is rendered at 200 dpi,
rotated 0.8°, given grey noise and specks (as tests/test_formats.py does), and read back by auditnlp.
Character accuracy = matched characters (difflib) / characters of the text read from the original.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_formats import _docx_of, _scan, signature  # noqa: E402

import auditnlp  # noqa: E402
from auditnlp.readers import read_file  # noqa: E402
from auditnlp.readers.convert import soffice  # noqa: E402


def main() -> None:
    stem = sys.argv[1] if len(sys.argv) > 1 else "qingshan_2023_summary"
    original = next((ROOT / "corpora" / "samples").glob(f"{stem}.*"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        word = folder / f"{stem}.docx"
        if original.suffix == ".docx":
            word.write_bytes(original.read_bytes())
        else:
            _docx_of(read_file(original)[0].text, word)
        program = soffice()
        assert program, "LibreOffice is needed"
        subprocess.run(
            [program, f"-env:UserInstallation={(folder / 'p').as_uri()}", "--headless", "--convert-to", "pdf",
             "--outdir", str(folder), str(word)],
            check=True, capture_output=True,
        )  # fmt: skip
        _scan(folder / f"{stem}.pdf", folder / "scan.pdf", folder / "scan.tif")
        reference = auditnlp.analyze(word)
        start = time.perf_counter()
        report = auditnlp.analyze(folder / "scan.pdf")
        seconds = time.perf_counter() - start
        import pdfplumber

        with pdfplumber.open(folder / "scan.pdf") as pdf:
            pages = len(pdf.pages)
    matcher = difflib.SequenceMatcher(None, reference.text, report.text, autojunk=False)
    accuracy = sum(b.size for b in matcher.get_matching_blocks()) / len(reference.text)
    same = signature(report) == signature(reference)
    print(
        f"{stem}: {pages} pages in {seconds:.1f} s "
        f"({pages / seconds:.3f} pages/s, {seconds / pages:.1f} s/page)"
    )
    print(f"character accuracy {accuracy:.4f}; title, unit, year, sections, items, indicators equal: {same}")


if __name__ == "__main__":
    main()
