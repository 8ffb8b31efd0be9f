"""Inputs (issue 13): every path a folder or glob yields is read or listed with a reason; size limits on the
extracted text; formats read by Python alone (.odt, .rtf); PDF reflow rules; scans without the ocr extra."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import auditnlp
from auditnlp.cli import cli
from auditnlp.errors import ConverterMissingError, FileTooLargeError, MissingInputError
from auditnlp.readers import expand_inputs, read_file
from auditnlp.readers.inputs import accounting
from auditnlp.readers.layout import Line, Page, reflow

REPORT = "东湖区审计局2024年工作总结\n一、工作开展情况\n全年完成审计项目27个，查出违规金额2377.2万元。\n"


def _kinds(found: list[object]) -> dict[str, str]:
    return {Path(str(getattr(f, "path", f))).name: type(f).__name__ for f in found}


def test_folder_lists_what_it_does_not_read(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "_草稿.txt").write_text(REPORT.replace("27", "28"), encoding="utf-8")
    (tmp_path / "README.txt").write_text("说明", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("path,unit\n", encoding="utf-8")
    (tmp_path / "~$a.docx").write_bytes(b"lock")
    (tmp_path / ".hidden.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "slides.pptx").write_bytes(b"PK")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "self").symlink_to(tmp_path / "self")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "sub" / "b.txt").write_text(REPORT, encoding="utf-8")
    found = list(expand_inputs([tmp_path, tmp_path / "a.txt"]))
    assert [Path(str(f)).name for f in found if isinstance(f, Path)] == ["_草稿.txt", "a.txt", "b.txt"]
    assert _kinds([f for f in found if not isinstance(f, Path)]) == {
        ".git": "SkippedInputError",
        ".hidden.txt": "SkippedInputError",
        "README.txt": "SkippedInputError",
        "manifest.csv": "SkippedInputError",
        "~$a.docx": "SkippedInputError",
        "slides.pptx": "UnsupportedFormatError",
        "gone.txt": "LinkError",
        "self": "LinkError",
        "up": "LinkError",
        "a.txt": "DuplicateInputError",  # named again after the folder that holds it
    }
    loops = [f for f in found if Path(str(getattr(f, "path", ""))).name in {"self", "up"}]
    assert all("loop" in f.reason for f in loops)  # type: ignore[union-attr]


def test_unreadable_folder_is_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "a.txt").write_text(REPORT, encoding="utf-8")
    real = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)) == locked:
            raise PermissionError(13, "Permission denied")
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    found = list(expand_inputs([tmp_path]))
    errors = [f for f in found if not isinstance(f, Path)]
    assert len(errors) == 1 and "cannot read the folder: Permission denied" in str(errors[0])
    assert [Path(str(f)).name for f in found if isinstance(f, Path)] == ["a.txt"]


def test_glob_matching_nothing_is_one_error_and_a_glob_searches_matched_folders(tmp_path: Path) -> None:
    (tmp_path / "2023").mkdir()
    (tmp_path / "2023" / "a.txt").write_text(REPORT, encoding="utf-8")
    found = list(expand_inputs([str(tmp_path / "nomatch*.docx"), str(tmp_path / "20*")]))
    assert isinstance(found[0], MissingInputError) and "matches no file" in found[0].reason
    assert found[1:] == [tmp_path / "2023" / "a.txt"]


def test_cli_final_line_counts_every_input(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "README.md").write_text("说明", encoding="utf-8")
    ok = CliRunner().invoke(cli, ["analyze", str(tmp_path)])
    assert ok.exit_code == 0  # a README skipped by rule is listed, not a failure
    assert "1 analysed, 1 not: 1 skipped by rule (each named above)" in ok.output
    (tmp_path / "b.pptx").write_bytes(b"PK")
    (tmp_path / "c.pptx").write_bytes(b"PK")
    (tmp_path / "empty.txt").write_bytes(b"")
    out = CliRunner().invoke(cli, ["analyze", str(tmp_path), str(tmp_path / "none*.txt")])
    assert out.exit_code == 1
    assert (
        "1 analysed, 5 not: 2 .pptx, 1 skipped by rule, 1 empty, 1 not found (each named above)" in out.output
    )


def test_accounting_line() -> None:
    errors = [
        ("a.doc", "needs LibreOffice", "ConverterMissingError"),
        ("b.doc", "needs LibreOffice", "ConverterMissingError"),
        ("x.xlsx#3", "the row's text is empty", "EmptyDocumentError"),
        ("dup.txt", "the same file as a.txt", "DuplicateInputError"),
    ]
    assert accounting(480, errors) == "480 analysed, 4 not: 2 .doc, 1 empty, 1 duplicate (see errors)"
    assert accounting(3, []) == "3 analysed"


def test_a_missing_path_is_an_error_never_text(tmp_path: Path) -> None:
    for name in ("missing.xlsx", "missing.doc", "reports/2023", "2023年报告.wps"):
        with pytest.raises(MissingInputError, match="no such file"):
            auditnlp.analyze(str(tmp_path / name) if "/" not in name else name)
    assert auditnlp.analyze_text("missing.xlsx").text == "missing.xlsx"


def test_size_limit_applies_to_the_text_not_the_pictures(tmp_path: Path) -> None:
    import docx
    from PIL import Image

    picture = tmp_path / "photo.png"
    noise = os.urandom(2200 * 2200 * 3)
    Image.frombytes("RGB", (2200, 2200), noise).save(picture)
    document = docx.Document()
    document.add_paragraph("东湖区审计局2024年工作总结")
    document.add_paragraph("全年完成审计项目27个，查出违规金额2377.2万元。")
    document.add_picture(str(picture))
    path = tmp_path / "with_photo.docx"
    document.save(str(path))
    assert path.stat().st_size > 12 * 2**20
    # a 1 MB text limit: the 13 MB file with its photo is read (its text is 100 bytes)
    assert auditnlp.analyze(path, options=auditnlp.Options(max_bytes=2**20)).meta.unit == "东湖区审计局"
    wordy = docx.Document()
    for _ in range(2000):
        wordy.add_paragraph(REPORT)
    wordy.save(str(tmp_path / "wordy.docx"))
    with pytest.raises(
        FileTooLargeError, match=r"the extracted text is 0\.2 MB, over the 0\.1 MB limit .*--max-mb"
    ):
        read_file(tmp_path / "wordy.docx", max_bytes=int(0.1 * 2**20))
    big = tmp_path / "big.txt"
    big.write_text(REPORT * 2000, encoding="utf-8")
    with pytest.raises(FileTooLargeError, match="--max-mb"):
        read_file(big, max_bytes=1000)


def test_odt_read_with_the_standard_library(tmp_path: Path) -> None:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body><office:text>'
        '<text:h text:outline-level="1">东湖区审计局2024年工作总结</text:h>'
        '<text:p>全年完成审计项目<text:span>27</text:span>个，<text:s text:c="2"/>查出违规金额2377.2万元。</text:p>'
        "<text:list><text:list-item><text:p>一是加强学习。</text:p></text:list-item></text:list>"
        "<table:table><table:table-row><table:table-cell><text:p>项目</text:p></table:table-cell>"
        "<table:table-cell><text:p>27个</text:p></table:table-cell></table:table-row></table:table>"
        "</office:text></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    (tmp_path / "r.odt").write_bytes(buffer.getvalue())
    doc = read_file(tmp_path / "r.odt")[0]
    assert doc.text.splitlines() == [
        "东湖区审计局2024年工作总结",
        "全年完成审计项目27个，  查出违规金额2377.2万元。",
        "一是加强学习。",
        "项目 | 27个",
    ]
    assert doc.headings == (("东湖区审计局2024年工作总结", 1),)


def test_rtf_in_gbk_and_unicode_escapes(tmp_path: Path) -> None:
    gbk = "".join(f"\\'{b:02x}" for b in "东湖区审计局".encode("gbk"))
    uni = "".join(f"\\u{ord(c)}?" for c in "2024年工作总结")
    source = (
        "{\\rtf1\\ansi\\ansicpg936{\\fonttbl{\\f0 SimSun;}}\\f0 "
        + gbk
        + uni
        + "\\par 完成审计项目27个。\\par}"
    )
    (tmp_path / "r.rtf").write_bytes(
        source.replace("完成审计项目27个。", "".join(f"\\u{ord(c)}?" for c in "完成审计项目27个。")).encode(
            "ascii"
        )
    )
    doc = read_file(tmp_path / "r.rtf")[0]
    assert doc.text.split() == ["东湖区审计局2024年工作总结", "完成审计项目27个。"]
    assert doc.encoding == "cp936"


def _rtf_escape(text: str) -> str:
    return "".join(c if c.isascii() else f"\\u{ord(c)}?" for c in text)


def test_rtf_table_rows_read_like_docx_rows_and_their_years_bind(tmp_path: Path) -> None:
    """An .rtf table (what Word saves a two-year table as) is read as ``a | b | c`` rows, as a .docx table
    is, so the figures of each column take the year of its header; a "|" in the text stays text."""
    rows = [
        ["指标", "2022年", "2023年"],
        ["审计项目", "42个", "45个"],
        ["查出违规金额", "1.86亿元", "2.13亿元"],
    ]
    table = "".join(
        "\\trowd\\cellx2000\\cellx4000\\cellx6000 "
        + "".join(f"\\pard\\intbl {_rtf_escape(cell)}\\cell " for cell in row)
        + "\\row "
        for row in rows
    )
    source = (
        "{\\rtf1\\ansi\\ansicpg936{\\fonttbl{\\f0 SimSun;}}\\f0 "
        + _rtf_escape("东湖区审计局2023年工作总结")
        + "\\par "
        + _rtf_escape("主要成果见下表（A|B）。")
        + "\\par "
        + table
        + "\\pard "
        + _rtf_escape("以上。")
        + "\\par}"
    )
    (tmp_path / "t.rtf").write_bytes(source.encode("ascii"))
    doc = read_file(tmp_path / "t.rtf")[0]
    assert "指标 | 2022年 | 2023年\n审计项目 | 42个 | 45个\n" in doc.text
    assert "（A|B）" in doc.text
    years = {
        (i.text, i.period.year if i.period else None) for i in auditnlp.analyze_text(doc.text).indicators
    }
    assert {("42个", 2022), ("45个", 2023), ("1.86亿元", 2022), ("2.13亿元", 2023)} <= years


def _line(top: float, text: str, x0: float = 90, x1: float = 520, size: float = 11) -> Line:
    return Line(x0, x1, top, top + size, size, text, size)


def test_reflow_joins_lines_and_records_page_chrome() -> None:
    pages = [
        Page(
            612,
            792,
            (
                _line(40, "东湖区审计局文件", x0=250, x1=360),
                _line(100, "东湖区审计局2024年工作总结", x0=150, x1=460, size=18),
                _line(150, "全年完成审计项目27个，查出违规金额2377.2万元，移送问题线索"),
                _line(165, "19条。", x1=130),
                _line(180, "一、工作开展情况", x1=200),
                _line(195, "（一）在“学”字上求深化。局党组把开展主题教育作为全年重大政治任"),
                _line(750, "— 1 —", x0=290, x1=320),
            ),
        ),
        Page(
            612,
            792,
            (
                _line(40, "东湖区审计局文件", x0=250, x1=360),
                _line(100, "务，坚持读原著、学原文、悟原理。", x1=300),
                _line(750, "— 2 —", x0=290, x1=320),
            ),
        ),
    ]
    text, removals, warnings = reflow(pages)
    kept = [line for line in text.splitlines() if not any(text[a:b] == line for a, b, _k in removals)]
    assert kept == [
        "东湖区审计局2024年工作总结",
        "全年完成审计项目27个，查出违规金额2377.2万元，移送问题线索19条。",
        "一、工作开展情况",
        "（一）在“学”字上求深化。局党组把开展主题教育作为全年重大政治任务，坚持读原著、学原文、悟原理。",
    ]
    assert sorted((text[a:b], kind) for a, b, kind in removals) == [
        ("— 1 —", "page_number"),
        ("— 2 —", "page_number"),
        ("东湖区审计局文件", "page_header"),
        ("东湖区审计局文件", "page_header"),
    ]
    assert warnings == []


def test_reflow_warns_about_a_broken_text_layer() -> None:
    lines = tuple(_line(100 + 14 * i, c, x1=101) for i, c in enumerate("审计工作总结全年完成项目"))
    _text, _removals, warnings = reflow([Page(612, 792, lines)])
    assert any("one character" in w for w in warnings)
    latin = tuple(_line(100 + 14 * i, "(cid:12)(cid:34)(cid:56) abc def ghi jkl mno") for i in range(10))
    _text, _removals, warnings = reflow([Page(612, 792, latin)])
    assert any("no Chinese" in w for w in warnings) and any("cid" in w for w in warnings)


def test_page_chrome_is_in_report_removed(tmp_path: Path) -> None:
    from auditnlp.pipeline import analyze_document
    from auditnlp.readers.base import RawDocument

    text = "东湖区审计局2024年工作总结\n— 1 —\n全年完成审计项目27个。"
    start = text.index("— 1 —")
    doc = RawDocument("x.pdf", text, "pdf", "0", removals=((start, start + 5, "page_number"),))
    report = analyze_document(doc)
    assert "— 1 —" not in report.text
    assert [(r.text, r.kind) for r in report.removed] == [("— 1 —", "page_number")]


def test_scanned_pdf_without_the_ocr_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    from auditnlp.readers import ocr

    monkeypatch.setattr(ocr, "available", lambda: False)
    Image.new("L", (400, 500), 255).save(tmp_path / "scan.pdf")
    Image.new("L", (400, 500), 255).save(tmp_path / "scan.png")
    with pytest.raises(ConverterMissingError, match=r"no text layer .*pip install 'auditnlp\[ocr\]'"):
        read_file(tmp_path / "scan.pdf")
    with pytest.raises(ConverterMissingError, match=r"needs OCR: install the ocr extra"):
        read_file(tmp_path / "scan.png")
