"""Reading real files: encodings, .docx, containers, and bad input with clear errors."""

from __future__ import annotations

import zipfile

import docx
import pytest
from click.testing import CliRunner
from conftest import GOV, SAMPLES, needs_shared

from auditnlp import InputError, Options, Report, analyze, analyze_many
from auditnlp.cli import cli
from auditnlp.errors import (
    BinaryFileError,
    CorruptDocumentError,
    EmptyDocumentError,
    EncodingDetectionError,
    FileTooLargeError,
    UnsupportedFormatError,
)
from auditnlp.normalize import unify_chars
from auditnlp.readers import read_file

REPORT = "东湖区审计局2024年工作总结\n一、主要工作\n全年完成审计项目27个，查出违规金额2377.2万元。\n二、存在问题\n（一）整改跟踪不够及时。\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("gbk", "gbk"),
        ("gb18030", "gbk"),
    ],
)
def test_text_encodings(tmp_path, encoding, expected):
    path = tmp_path / f"r_{encoding}.txt"
    path.write_bytes(REPORT.encode(encoding))
    (doc,) = read_file(path)
    assert doc.encoding == expected
    report = analyze(path)
    assert report.meta.unit == "东湖区审计局"
    assert report.source.encoding == expected


def test_gb18030_only_characters(tmp_path):
    path = tmp_path / "r.txt"
    text = REPORT + "涉及㐀㐁等生僻字。\n"
    path.write_bytes(text.encode("gb18030"))
    (doc,) = read_file(path)
    assert doc.encoding == "gb18030"
    assert "㐀㐁" in doc.text


def test_sample_corpus_encodings():
    encodings = {p.name: read_file(p)[0].encoding for p in SAMPLES.glob("*.txt")}
    assert encodings["jiangbei_2022_summary_gbk.txt"] in {"gbk", "gb18030"}
    assert encodings["baisha_2024_summary_bom.txt"] == "utf-8-sig"
    assert encodings["qingshan_2023_summary.txt"] == "utf-8"


def test_docx_headings_and_tables():
    report = analyze(SAMPLES / "jiangbei_2023_summary.docx")
    assert report.source.format == "docx"
    assert report.title is not None and report.meta.unit == "江北市审计局"
    assert any(" | " in p.text for p in report.paragraphs), "table rows are kept as text"
    assert [s.role for s in report.sections if s.level == 1][-1] == "plans"


def test_web_debris_removed_and_traceable():
    path = SAMPLES / "web_debris_2024.txt"
    report = analyze(path)
    source = path.read_text(encoding="utf-8")
    kinds = {r.kind for r in report.removed}
    assert {"chrome", "marker", "page_number", "related"} <= kinds
    assert "##paidbegin##" not in report.text and "— 3 —" not in report.text
    for i in range(0, len(report.text), 7):
        if report.text[i] != "\n":
            # every analysed character maps back to the same character (modulo width unification)
            assert report.text[i] == unify_chars(source[report.source_offset(i)])


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("empty.txt", b"", EmptyDocumentError),
        ("blank.txt", b"  \n\n  ", EmptyDocumentError),
        ("binary.txt", bytes(range(256)) * 8, BinaryFileError),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, BinaryFileError),
        (
            "latin.txt",
            "Ünïcödé ßträngé".encode("cp1252") * 3 + bytes([0x81, 0x8D, 0x8F, 0x90]) * 40,
            EncodingDetectionError,
        ),
        ("corrupt.docx", b"PK\x03\x04 this is not really a zip", CorruptDocumentError),
        ("report.pages", b"PK\x03\x04 not a report", UnsupportedFormatError),
    ],
)
def test_bad_input_errors_name_the_file(tmp_path, name, content, error):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as info:
        analyze(path)
    message = str(info.value)
    assert message.startswith(str(path) + ": ")
    assert "\n" not in message


def test_zip_that_is_not_a_docx(tmp_path):
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a word document")
    with pytest.raises(CorruptDocumentError):
        analyze(path)


def test_huge_file_is_refused(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # a sparse 50 MB file
    with pytest.raises(FileTooLargeError, match="50"):
        analyze(path)


def test_batch_goes_on_after_a_bad_file(tmp_path):
    (tmp_path / "a_good.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "b_empty.txt").write_bytes(b"")
    (tmp_path / "c_corrupt.docx").write_bytes(b"PK\x03\x04garbage")
    document = docx.Document()
    document.add_paragraph("西湖区审计局2023年工作总结", style="Title")
    document.add_paragraph("一、主要工作", style="Heading 1")
    document.add_paragraph("完成审计项目12个。")
    document.save(tmp_path / "d_good.docx")
    results = list(analyze_many([tmp_path]))
    assert [type(r).__name__ for r in results] == [
        "Report",
        "EmptyDocumentError",
        "CorruptDocumentError",
        "Report",
    ]
    assert results[3].meta.unit == "西湖区审计局"


def test_cli_single_bad_file_exit_code(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = CliRunner().invoke(cli, ["analyze", str(path), "--json"])
    assert result.exit_code == 1
    assert f"error: {path}: the file is empty" in result.output
    assert "Traceback" not in result.output


def test_cli_folder_with_one_bad_file(tmp_path):
    (tmp_path / "good.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02" * 100)
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path), "--json"])
    assert result.exit_code == 1
    assert "bad.txt: binary file" in result.output
    assert '"schema": "auditnlp.report/1"' in result.output


def test_csv_rows_are_reports(tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(
        'unit,year,full_text\n东湖区审计局,2024,"' + REPORT + '"\n南山区审计局,2023,""\n', encoding="utf-8"
    )
    results = list(analyze_many([path], options=Options(text_column="full_text")))
    assert isinstance(results[0], Report) and results[0].source.row == 1
    assert isinstance(results[1], InputError) and "#2" in str(results[1])
    with pytest.raises(InputError, match="no column 'body'"):
        list(read_file(path, text_column="body"))


@needs_shared
def test_gov_csv_and_docx_read():
    docs = read_file(GOV / "2026-csv" / "2026_上海市_政府工作报告.csv", text_column="full_text")
    assert len(docs) == 1 and dict(docs[0].fields)["unit"] == "上海市"
    report = analyze(GOV / "2025-docx" / "2025年上海市政府工作报告.docx")
    assert report.meta.title == "2025年上海市政府工作报告"


def _minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a text layer in the standard Helvetica font (ASCII only)."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pdf_text_layer(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(_minimal_pdf(["Audit Office 2024 Work Summary", "1. Completed 27 audit projects."]))
    (doc,) = read_file(path)
    assert doc.format == "pdf"
    assert "Completed 27 audit projects." in doc.text
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    with pytest.raises(CorruptDocumentError, match=r"broken\.pdf"):
        read_file(tmp_path / "broken.pdf")


def test_html_visible_text(tmp_path):
    path = tmp_path / "report.html"
    html = (
        "<html><head><title>页面标题</title><script>var x = '不应出现';</script></head><body>"
        "<nav>首页 &gt; 工作动态</nav><h1>东湖区审计局2024年工作总结</h1>"
        "<p>一、主要工作</p><p>全年完成审计项目27个。</p></body></html>"
    )
    path.write_bytes(html.encode("gbk"))
    report = analyze(path)
    assert report.source.format == "html" and report.source.encoding == "gbk"
    assert report.meta.unit == "东湖区审计局"
    assert "不应出现" not in report.text and "工作动态" not in report.text
    assert [s.heading for s in report.sections if s.level == 1] == ["主要工作"]
