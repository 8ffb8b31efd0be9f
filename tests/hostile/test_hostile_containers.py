"""Group 1 of the reliability review: broken and hostile containers (.docx, .xlsx, .pdf, .html, .csv, .jsonl).

Every file is built here. A case passes when the command ends with reports or with one line per failing
input naming the file, never with a traceback, a fatal signal or a hang; a container that expands past a
limit is refused, before it is read, with an error naming the option that raises the limit. Cases that
could exhaust memory or hang in C code run in a child process with a time and memory limit.
"""

from __future__ import annotations

import itertools
import re

import pytest
from _hostile_build import (
    REPORT,
    TITLE,
    Deflated,
    W,
    cell,
    document_xml,
    docx_bytes,
    docx_document,
    docx_with,
    para,
    pdf_bytes,
    pdf_text,
    repeated_deflate,
    rezip,
    row,
    sheet_xml,
    stream,
    text_ops,
    workbook_xml,
    xlsx_bytes,
    xlsx_rows,
    zip_bytes,
    zip_members,
    zlib_repeated,
)
from _hostile_run import cases, check_error, check_reports, params, record, run_cli, run_process, verdict

from auditnlp import Options, Report, analyze_many, iter_documents

PASSWD = re.compile(r"root:.*:0:0:")


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def option_named(line: str, option: str) -> None:
    """The error names the option that raises the limit (``--max-pages`` or ``max_pages``)."""
    names = "(?:mb|bytes)" if option == "mb" else option
    assert re.search(rf"max[-_]{names}", line), f"the error does not name the option max-{option}: {line}"


# -------------------------------------------------------------------------------------------- docx


def _vmerge(document):
    from docx.oxml import OxmlElement

    table = document.add_table(rows=1, cols=2)
    table.cell(0, 1).text = "审计项目27个"
    table.cell(0, 0)._tc.get_or_add_tcPr().append(OxmlElement("w:vMerge"))


def _superscript(document):
    from docx.enum.style import WD_STYLE_TYPE

    style = document.styles.add_style("heading ²", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("一、工作情况", style=style)
    document.add_paragraph("全年完成审计项目27个。")


def _grid_span(value):
    def build(document):
        from docx.oxml import OxmlElement

        table = document.add_table(rows=1, cols=1)
        table.cell(0, 0).text = "审计项目27个"
        span = OxmlElement("w:gridSpan")
        span.set(f"{W}val", value)
        table.cell(0, 0)._tc.get_or_add_tcPr().append(span)

    return build


@cases("G1-docx-bad-vmerge", "G1-docx-style-heading-superscript", "G1-docx-gridspan-negative")
@pytest.mark.parametrize(
    ("case", "build"),
    params(
        ("G1-docx-bad-vmerge", _vmerge),
        ("G1-docx-style-heading-superscript", _superscript),
        ("G1-docx-gridspan-negative", _grid_span("-3")),
    ),
)
def test_docx_damaged_tables_and_styles(tmp_path, case, build):
    """A vMerge continuation in the top row, a style named `heading ²`, a negative span: read, or one line."""
    path = write(tmp_path, "report.docx", docx_with(build))
    run = run_cli(["analyze", path, "--json"])
    outcome = verdict(run, path)
    if outcome == "ok":
        assert run.reports()[0]["meta"]["title"] == TITLE
    if case == "G1-docx-gridspan-negative":
        assert outcome == "ok", "a negative span is damage to ignore, not a reason to drop the report"
    record(case, outcome)


@cases("G1-docx-gridspan-5e7")
def test_docx_huge_grid_span(tmp_path):
    """A 36 KB .docx whose one cell spans 50,000,000 columns: bounded work (python-docx expands spans)."""
    path = write(tmp_path, "gridspan.docx", docx_with(_grid_span("50000000")))
    run = run_process(["analyze", path, "--json"], timeout=60, memory_mb=2048)
    record("G1-docx-gridspan-5e7", verdict(run, path))


@cases(
    "G1-docx-billion-laughs",
    "G1-docx-deep-nesting",
    "G1-docx-document-garbage",
    "G1-docx-empty-zip",
    "G1-docx-is-text",
    "G1-docx-no-document",
    "G1-docx-truncated",
    "G1-docx-wrong-root",
)
@pytest.mark.parametrize(
    ("case", "make"),
    params(
        (
            "G1-docx-billion-laughs",
            lambda: docx_document(
                para("&lol9;"),
                prolog="<!DOCTYPE w:document [<!ENTITY lol0 'lol'>"
                + "".join(f"<!ENTITY lol{i} '{f'&lol{i - 1};' * 10}'>" for i in range(1, 10))
                + "]>",
            ),
        ),
        (
            "G1-docx-deep-nesting",
            lambda: docx_document("<w:sdt>" * 100_000 + para("审计") + "</w:sdt>" * 100_000),
        ),
        (
            "G1-docx-document-garbage",
            lambda: rezip(docx_bytes(), replace={"word/document.xml": bytes(range(256)) * 40}),
        ),
        ("G1-docx-empty-zip", lambda: zip_bytes([])),
        ("G1-docx-is-text", lambda: REPORT.encode("utf-8")),
        ("G1-docx-no-document", lambda: rezip(docx_bytes(), drop=["word/document.xml"])),
        ("G1-docx-truncated", lambda: docx_bytes()[: len(docx_bytes()) // 2]),
        ("G1-docx-wrong-root", lambda: docx_document(para(TITLE), root="w:documentx")),
    ),
)
def test_docx_broken_is_one_line(tmp_path, case, make):
    """Broken .docx files: a one-line error naming the file."""
    path = write(tmp_path, "broken.docx", make())
    run = run_cli(["analyze", path, "--json"])
    check_error(run, path)
    record(case, "clear-error")


@cases("G1-docx-xxe-document", "G1-docx-xxe-param", "G1-docx-xxe-core", "G1-docx-xxe-content-types")
@pytest.mark.parametrize(
    "case", ["G1-docx-xxe-document", "G1-docx-xxe-param", "G1-docx-xxe-core", "G1-docx-xxe-content-types"]
)
def test_docx_external_entities_are_never_resolved(tmp_path, case):
    """External entities (file:///etc/passwd) in document.xml, core.xml or [Content_Types].xml: never read."""
    entity = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    base = docx_bytes([TITLE, "一、工作情况", "全年完成审计项目27个。"])
    body = para(TITLE) + para("一、工作情况") + para("XXE:&xxe;:END")
    if case == "G1-docx-xxe-document":
        data = rezip(base, replace={"word/document.xml": document_xml(body, prolog=entity)})
    elif case == "G1-docx-xxe-param":
        prolog = (
            '<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;'
            '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        )
        data = rezip(base, replace={"word/document.xml": document_xml(body, prolog=prolog)})
    elif case == "G1-docx-xxe-core":
        core = (
            f'<?xml version="1.0" encoding="UTF-8"?>{entity}'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&xxe;</dc:title></cp:coreProperties>'
        )
        data = rezip(base, replace={"docProps/core.xml": core.encode()})
    else:
        types = zip_members(base)["[Content_Types].xml"].decode()
        types = types.replace("?>", "?>" + entity, 1)
        data = rezip(base, replace={"[Content_Types].xml": types.encode()})
    path = write(tmp_path, "xxe.docx", data)
    run = run_cli(["analyze", path, "--json"])
    outcome = verdict(run, path)
    assert not PASSWD.search(run.stdout + run.stderr), "the content of /etc/passwd reached the output"
    if case in {"G1-docx-xxe-core", "G1-docx-xxe-content-types"}:
        assert outcome == "ok"
    record(case, outcome)


@cases("G1-docx-rels-cycle")
def test_docx_relationship_cycle(tmp_path):
    """document → cyc → document, cyc → cyc: no infinite loop, the report is read."""
    base = docx_bytes()
    rels_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    rel_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
    doc_rels = zip_members(base)["word/_rels/document.xml.rels"].decode()
    doc_rels = doc_rels.replace(
        "</Relationships>", f'<Relationship Id="rIdCyc" Type="{rel_type}" Target="cyc.xml"/></Relationships>'
    )
    cyc_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rels_ns}">'
        f'<Relationship Id="r1" Type="{rel_type}" Target="document.xml"/>'
        f'<Relationship Id="r2" Type="{rel_type}" Target="cyc.xml"/></Relationships>'
    )
    data = rezip(
        base,
        replace={"word/_rels/document.xml.rels": doc_rels.encode()},
        add=[("word/cyc.xml", b"<cyc/>"), ("word/_rels/cyc.xml.rels", cyc_rels.encode())],
    )
    path = write(tmp_path, "cycle.docx", data)
    run = run_cli(["analyze", path, "--json"])
    check_reports(run, 1)
    record("G1-docx-rels-cycle", "ok")


@cases("G1-docx-100k-entries")
def test_docx_with_100k_entries(tmp_path):
    """100,000 unrelated zip entries (11 MB): bounded time; read, or refused by the part limit."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, body in zip_members(docx_bytes()).items():
            z.writestr(name, body)
        for i in range(100_000):
            z.writestr(f"junk/{i:06d}.bin", b"x" * 8)
    path = write(tmp_path, "entries.docx", out.getvalue())
    run = run_cli(["analyze", path, "--json"], timeout=60)
    outcome = verdict(run, path)
    if outcome == "clear-error":
        option_named(run.errors()[0], "parts")
    record("G1-docx-100k-entries", outcome)


@cases("G1-docx-20k-related-parts")
def test_docx_with_20k_related_parts(tmp_path):
    """20,000 parts related from document.xml.rels: bounded time; read, or refused by the part limit."""
    base = docx_bytes()
    rel_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
    rels = zip_members(base)["word/_rels/document.xml.rels"].decode()
    extra = "".join(
        f'<Relationship Id="rX{i}" Type="{rel_type}" Target="x/p{i}.xml"/>' for i in range(20_000)
    )
    rels = rels.replace("</Relationships>", extra + "</Relationships>")
    data = rezip(
        base,
        replace={"word/_rels/document.xml.rels": rels.encode()},
        add=[(f"word/x/p{i}.xml", b"<x/>") for i in range(20_000)],
    )
    path = write(tmp_path, "related.docx", data)
    run = run_cli(["analyze", path, "--json"], timeout=60)
    outcome = verdict(run, path)
    if outcome == "clear-error":
        option_named(run.errors()[0], "parts")
    record("G1-docx-20k-related-parts", outcome)


def _docx_with_document(document: bytes | Deflated) -> bytes:
    return rezip(docx_bytes(), replace={"word/document.xml": document})


@cases("G1-docx-bomb-one-node-60MB", "G1-docx-bomb-text-25MB", "G1-docx-bomb-xml-600MB")
@pytest.mark.parametrize(
    ("case", "document"),
    params(
        (
            "G1-docx-bomb-one-node-60MB",  # one w:t of 60 MB (a 121 KB file)
            lambda: repeated_deflate(
                "审计".encode() * 100_000,
                100,
                head=f'<?xml version="1.0"?><w:document xmlns:w="{W[1:-1]}"><w:body><w:p><w:r><w:t>'.encode(),
                tail=b"</w:t></w:r></w:p></w:body></w:document>",
            ),
        ),
        (
            "G1-docx-bomb-text-25MB",  # 300,000 paragraphs, about 27 MB of text (a 155 KB file)
            lambda: repeated_deflate(
                para("全年完成审计项目27个，查出违规金额2377.2万元，整改问题资金十亿元。").encode() * 1000,
                300,
                head=document_xml("")[: -len(b"</w:body></w:document>")],
                tail=b"</w:body></w:document>",
            ),
        ),
        (
            "G1-docx-bomb-xml-600MB",  # 20 M one-character paragraphs, 740 MB of XML (a 2.1 MB file)
            lambda: repeated_deflate(
                para("审").encode() * 30_000,
                700,
                head=document_xml("")[: -len(b"</w:body></w:document>")],
                tail=b"</w:body></w:document>",
            ),
        ),
    ),
)
def test_docx_bombs_are_refused_before_reading(tmp_path, case, document):
    """A small .docx that expands to tens or hundreds of MB: refused at once, naming the limit's option."""
    path = write(tmp_path, "bomb.docx", _docx_with_document(document()))
    assert path.stat().st_size < 3 * 2**20
    run = run_process(["analyze", path, "--json"], timeout=60, memory_mb=2048)
    line = check_error(run, path)
    if case != "G1-docx-bomb-one-node-60MB":  # 60 MB is under the unzipped limit: lxml refuses the node
        assert re.search(r"max[-_](?:unzipped|mb|bytes|parts)", line), (
            f"the error names no limit option: {line}"
        )
    assert run.seconds < 30, f"refusing a bomb should not read it ({run.seconds:.0f} s)"
    record(case, "clear-error")


# -------------------------------------------------------------------------------------------- html


@cases("G1-html-marked-section-keyword", "G1-html-marked-section", "G1-html-decl-garbage")
@pytest.mark.parametrize(
    ("case", "html"),
    params(
        (
            "G1-html-marked-section-keyword",
            f"<html><body><p>{TITLE}</p><p>一、工作情况</p><![html[x]]></body></html>",
        ),
        (
            "G1-html-marked-section",
            f"<html><body><p>{TITLE}</p><![if !supportLists]><p>一、工作情况</p><![endif]>"
            "<p>正文</p><![ bogus <p>尾</p></body></html>",
        ),
        ("G1-html-decl-garbage", f"<html><body><p>{TITLE}</p><p>一、工作情况</p><!" + "<![" * 1000),
    ),
)
def test_html_marked_sections(tmp_path, case, html):
    """`<![` marked sections and declaration garbage (html.parser asserts on them): read, or one line."""
    path = write(tmp_path, "page.html", html)
    run = run_cli(["analyze", path, "--json"])
    outcome = verdict(run, path)
    if outcome == "ok":
        assert run.reports()[0]["meta"]["title"] == TITLE
    record(case, outcome)


@cases("G1-html-script-only")
def test_html_script_only(tmp_path):
    path = write(
        tmp_path,
        "script.html",
        "<html><head><script>var t = '某某区审计局2023年工作总结';</script></head></html>",
    )
    check_error(run_cli(["analyze", path, "--json"]), path, reason="visible text")
    record("G1-html-script-only", "clear-error")


@cases("G1-html-nested-div-1e6", "G1-html-unclosed-b-1e6")
@pytest.mark.parametrize(
    ("case", "html"),
    params(
        # 5,000 levels (the review used 10^6 and 11 MB; the depth is what matters, far past any
        # recursion limit, and html.parser is slow enough that 10^6 would take half a minute)
        (
            "G1-html-nested-div-1e6",
            f"<html><body><p>{TITLE}</p>" + "<div>" * 5_000 + "审计" + "</div>" * 5_000,
        ),
        ("G1-html-unclosed-b-1e6", f"<html><body><p>{TITLE}</p>" + "<b>审计" * 5_000 + "</body></html>"),
    ),
)
def test_html_deep_trees(tmp_path, case, html):
    """Tens of thousands of nested or unclosed tags: bounded time and memory."""
    path = write(tmp_path, "deep.html", html)
    run = run_process(["analyze", path, "--json"], timeout=90, memory_mb=3072)
    record(case, verdict(run, path))


# -------------------------------------------------------------------------------------------- jsonl


def _jsonl(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _json_line(i: int, text: str | None = None) -> str:
    import json

    body = (
        text
        if text is not None
        else f"某某区审计局{2010 + i}年工作总结\n一、工作情况\n全年完成审计项目{i}个。"
    )
    return json.dumps({"text": body, "year": 2010 + i}, ensure_ascii=False)


@cases("G1-jsonl-bad-middle", "G1-jsonl-non-object", "G1-jsonl-deep-nesting")
@pytest.mark.parametrize(
    ("case", "bad_line", "bad"),
    params(
        ("G1-jsonl-bad-middle", 5, '{text: "未加引号的键"}'),
        ("G1-jsonl-non-object", 4, '["一个", "数组"]'),
        ("G1-jsonl-deep-nesting", 3, '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ),
)
def test_jsonl_bad_line_is_one_error(tmp_path, case, bad_line, bad):
    """One bad line of ten: the nine good lines are analysed and the bad one is one error naming it."""
    lines = [_json_line(i) for i in range(1, 11)]
    lines[bad_line - 1] = bad
    path = write(tmp_path, "rows.jsonl", _jsonl(lines))
    run = run_cli(["analyze", path, "--text-column", "text", "--json"])
    check_error(run, path)
    assert len(run.errors()) == 1, run.describe()
    assert re.search(rf"(?:line {bad_line}\b|#{bad_line}\b)", run.errors()[0]), run.errors()
    reports = run.reports()
    assert len(reports) == 9, run.describe()
    assert sorted(r["source"]["row"] for r in reports) == [i for i in range(1, 11) if i != bad_line]
    record(case, "clear-error")


@cases("G1-jsonl-lone-surrogate", "G1-jsonl-lone-surrogate-min")
@pytest.mark.parametrize("case", ["G1-jsonl-lone-surrogate", "G1-jsonl-lone-surrogate-min"])
def test_jsonl_lone_surrogate(tmp_path, case):
    """A `\\ud800` escape in one line: that row is a report without the surrogate, or one error."""
    if case == "G1-jsonl-lone-surrogate":
        lines = [_json_line(i) for i in range(1, 11)]
        lines[5] = lines[5].replace("工作情况", "工作\\ud800情况")
        expected = 10
    else:
        lines = ['{"text": "某某区审计局2023年工作总结\\n一、工作情况\\ud800"}']
        expected = 1
    path = write(tmp_path, "surrogate.jsonl", _jsonl(lines))
    run = run_cli(["analyze", path, "--text-column", "text", "--json"])
    reports = run.reports()
    if run.code == 0:
        check_reports(run, expected)
        outcome = "ok"
    else:
        check_error(run, path)
        assert len(reports) + len(run.errors()) == expected, run.describe()
        outcome = "clear-error"
    for report in reports:
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in report["text"])
    record(case, outcome)


# --------------------------------------------------------------------------------------------- csv


@cases("G1-csv-extra-field-first-row", "G1-csv-extra-field-later-row")
@pytest.mark.parametrize(
    ("case", "bad_row"), params(("G1-csv-extra-field-first-row", 1), ("G1-csv-extra-field-later-row", 2))
)
def test_csv_row_with_an_extra_field(tmp_path, case, bad_row):
    """An unquoted comma splits one row into one field more than the header: that row is one error."""
    rows = [f'"某某区审计局{2020 + i}年工作总结，完成审计项目{i}个",{2020 + i}' for i in range(1, 5)]
    rows[bad_row - 1] = f"某某区审计局{2020 + bad_row}年工作总结,完成审计项目30个,{2020 + bad_row}"
    path = write(tmp_path, "rows.csv", "text,year\n" + "\n".join(rows) + "\n")
    run = run_cli(["analyze", path, "--text-column", "text", "--json"])
    check_error(run, f"{path}#{bad_row}", reason="field")
    assert len(run.errors()) == 1 and len(run.reports()) == 3, run.describe()
    record(case, "clear-error")


@cases("G1-csv-unterminated-quote")
def test_csv_unterminated_quote_is_reported_not_merged(tmp_path):
    """Row 5 opens a quote that never closes: one error for row 5, the other nine rows analysed."""
    rows = [f"某某区审计局{2010 + i}年工作总结，完成审计项目{i}个。,{2010 + i}" for i in range(1, 11)]
    rows[4] = '"' + rows[4]
    path = write(tmp_path, "quote.csv", "text,year\n" + "\n".join(rows) + "\n")
    run = run_cli(["analyze", path, "--text-column", "text", "--json"])
    check_error(run, path, reason="quote")
    assert len(run.errors()) == 1, run.describe()
    assert re.search(r"(?:#5\b|line 6\b|row 5\b)", run.errors()[0]), run.errors()
    reports = run.reports()
    assert len(reports) == 9, run.describe()
    assert all("\n某某区审计局" not in r["text"] for r in reports), "rows were merged into one"
    record("G1-csv-unterminated-quote", "clear-error")


@cases("G1-csv-nul-late")
def test_csv_nul_after_the_first_kilobytes(tmp_path):
    """A NUL byte in row 38 of 40 (past the binary sniffing window): every row accounted for."""
    rows = [
        f'"某某区审计局{1990 + i}年工作总结，全年完成审计项目{i}个，查出违规金额{i}.5万元，整改到位。",{1990 + i}'
        for i in range(40)
    ]
    rows[37] = rows[37].replace("整改", "整\x00改")
    path = write(tmp_path, "nul.csv", "text,year\n" + "\n".join(rows) + "\n")
    assert path.read_bytes().index(b"\x00") > 4096
    run = run_cli(["analyze", path, "--text-column", "text", "--json"])
    outcome = verdict(run, path, reports=40)
    assert len(run.reports()) + len(run.errors()) == 40, run.describe()
    record("G1-csv-nul-late", outcome)


@cases("G1-csv-1e4-rows")
def test_csv_ten_thousand_rows(tmp_path):
    """10,000 one-line reports: 10,000 documents, streamed (the first reports come without the rest)."""
    path = write(
        tmp_path,
        "many.csv",
        "text,year\n"
        + "".join(
            f"某某区审计局{2000 + i % 25}年工作总结：完成审计项目{i}个。,{2000 + i % 25}\n"
            for i in range(10_000)
        ),
    )
    docs = list(iter_documents([path], text_column="text"))
    assert len(docs) == 10_000 and all(not isinstance(d, Exception) for d in docs)
    first = list(itertools.islice(analyze_many([path], options=Options(text_column="text")), 3))
    assert all(isinstance(r, Report) for r in first) and [r.source.row for r in first] == [1, 2, 3]
    record("G1-csv-1e4-rows", "ok")


@cases("G1-csv-1e6-rows")
def test_csv_a_million_rows_is_refused(tmp_path):
    """1,000,000 rows (7 MB): refused before any analysis, naming the row limit's option."""
    path = write(tmp_path, "million.csv", "text\n" + "审计\n" * 1_000_000)
    run = run_process(["analyze", path, "--text-column", "text", "--json"], timeout=60, memory_mb=2048)
    option_named(check_error(run, path), "rows")
    assert not run.reports()
    record("G1-csv-1e6-rows", "clear-error")


@pytest.fixture(scope="module")
def big_field(tmp_path_factory):
    """A .csv whose one text field is a 100,000-character report (300 KB; the review used 19 and 100 MB)."""
    from _hostile_build import realish_report
    from conftest import ROOT

    text = realish_report(ROOT)
    text = (text * (100_000 // len(text) + 1))[:100_000].replace('"', "'")
    path = tmp_path_factory.mktemp("field") / "field.csv"
    path.write_text(f'text,year\n"{text}",2023\n', encoding="utf-8")
    return path


@cases("G1-csv-field-100MB")
def test_csv_field_over_the_size_limit(big_field):
    """A file over --max-mb: one line naming the file and the option."""
    run = run_cli(["analyze", big_field, "--text-column", "text", "--json", "--max-mb", "0.2"])
    option_named(check_error(run, big_field), "mb")
    record("G1-csv-field-100MB", "clear-error")


@cases("G1-csv-field-19MB", "G1-csv-field-100MB-maxmb200")
@pytest.mark.parametrize(
    ("case", "max_mb"), params(("G1-csv-field-19MB", "0.3"), ("G1-csv-field-100MB-maxmb200", "2"))
)
def test_csv_big_field_under_the_limit(big_field, case, max_mb):
    """A field just under the limit, or under a raised limit: one report."""
    run = run_cli(["analyze", big_field, "--text-column", "text", "--json", "--max-mb", max_mb], timeout=120)
    (report,) = check_reports(run, 1)
    assert len(report["text"]) > 80_000
    record(case, "ok")


# --------------------------------------------------------------------------------------------- pdf


@cases("G1-pdf-ok")
def test_pdf_control(tmp_path):
    path = write(tmp_path, "ok.pdf", pdf_text())
    (report,) = check_reports(run_cli(["analyze", path, "--json"]), 1)
    assert "Completed 27 audit projects." in report["text"]
    record("G1-pdf-ok", "ok")


@cases("G1-pdf-header-only", "G1-pdf-truncated")
@pytest.mark.parametrize(
    ("case", "make"),
    params(
        ("G1-pdf-header-only", lambda: b"%PDF-1.4\n" + bytes((i * 7919) % 256 for i in range(5000))),
        ("G1-pdf-truncated", lambda: pdf_text()[:200]),
    ),
)
def test_pdf_broken_is_one_line(tmp_path, case, make):
    path = write(tmp_path, "broken.pdf", make())
    check_error(run_cli(["analyze", path, "--json"]), path)
    record(case, "clear-error")


def _pages_cycle() -> bytes:
    return pdf_bytes(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            " /Resources << /Font << /F1 5 0 R >> >> >>",
            stream(text_ops(["Audit Office 2023 Work Summary"])),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def _xobject_recursion() -> bytes:
    return pdf_bytes(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            " /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> >>",
            stream(text_ops(["Audit Office 2023 Work Summary"]) + b" /X1 Do"),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            stream(
                b"/X1 Do",
                "/Type /XObject /Subtype /Form /BBox [0 0 612 792]"
                " /Resources << /XObject << /X1 6 0 R >> >> ",
            ),
        ]
    )


def _deep_array() -> bytes:
    depth = 200_000
    return pdf_bytes(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            f" /Deep {'[' * depth}{']' * depth} /Resources << /Font << /F1 5 0 R >> >> >>",
            stream(text_ops(["Audit Office 2023 Work Summary"])),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def _flate_bomb() -> bytes:
    content = zlib_repeated(b" " * 2**20, 400, head=text_ops(["Audit Office 2023 Work Summary"]) + b"\n")
    return pdf_bytes(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            " /Resources << /Font << /F1 5 0 R >> >> >>",
            stream(content, "/Filter /FlateDecode "),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


@cases("G1-pdf-pages-cycle", "G1-pdf-xobject-recursion", "G1-pdf-deep-array", "G1-pdf-flate-bomb-400MB")
@pytest.mark.parametrize(
    ("case", "make"),
    params(
        ("G1-pdf-pages-cycle", _pages_cycle),
        ("G1-pdf-xobject-recursion", _xobject_recursion),
        ("G1-pdf-deep-array", _deep_array),
        ("G1-pdf-flate-bomb-400MB", _flate_bomb),  # 400 MB of whitespace in a 410 KB file
    ),
)
def test_pdf_structures_that_loop_or_expand(tmp_path, case, make):
    """Cycles, self-drawing forms, 200,000-deep arrays, a 400 MB stream: bounded; read or one line."""
    path = write(tmp_path, "odd.pdf", make())
    run = run_process(["analyze", path, "--json"], timeout=60, memory_mb=2048)
    record(case, verdict(run, path))


@cases("G1-pdf-text-bomb-1M-ops")
def test_pdf_text_bomb_is_refused(tmp_path):
    """One page whose 111 KB stream shows 1,000,000 strings (30 M characters): refused, naming the option."""
    content = zlib_repeated(
        b"(AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA) Tj\n" * 1000, 1000, head=b"BT /F1 1 Tf 0 0 Td\n", tail=b"ET"
    )
    data = pdf_bytes(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            " /Resources << /Font << /F1 5 0 R >> >> >>",
            stream(content, "/Filter /FlateDecode "),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )
    path = write(tmp_path, "textbomb.pdf", data)
    assert path.stat().st_size < 200_000
    run = run_process(["analyze", path, "--json"], timeout=60, memory_mb=2048)
    option_named(check_error(run, path), "mb")
    record("G1-pdf-text-bomb-1M-ops", "clear-error")


@cases("G1-pdf-100k-pages")
def test_pdf_with_100k_pages_is_refused(tmp_path):
    """100,000 pages sharing one content stream (13.8 MB, legal size): refused, naming the page limit."""
    n = 100_000
    kids = " ".join(f"{i + 5} 0 R" for i in range(n))
    objects: list[bytes | str] = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        stream(text_ops(["Audit Office 2023 Work Summary"])),
    ]
    objects += [
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 3 0 R >> >> >>"
    ] * n
    path = write(tmp_path, "pages.pdf", pdf_bytes(objects))
    run = run_process(["analyze", path, "--json"], timeout=60, memory_mb=2048)
    option_named(check_error(run, path), "pages")
    record("G1-pdf-100k-pages", "clear-error")


# -------------------------------------------------------------------------------------------- xlsx


@cases("G1-xlsx-truncated", "G1-xlsx-no-sheets", "G1-xlsx-billion-laughs")
@pytest.mark.parametrize(
    ("case", "make"),
    params(
        ("G1-xlsx-truncated", lambda: xlsx_rows([REPORT])[: len(xlsx_rows([REPORT])) // 2]),
        (
            "G1-xlsx-no-sheets",
            lambda: xlsx_bytes(sheet_xml(row(1, cell("A1", "text"))), workbook=workbook_xml("<sheets/>")),
        ),
        (
            "G1-xlsx-billion-laughs",
            lambda: xlsx_bytes(
                sheet_xml(
                    row(1, cell("A1", "text")) + row(2, cell("A2", "&lol9;")),
                    prolog="<!DOCTYPE worksheet [<!ENTITY lol0 'lol'>"
                    + "".join(f"<!ENTITY lol{i} '{f'&lol{i - 1};' * 10}'>" for i in range(1, 10))
                    + "]>",
                )
            ),
        ),
    ),
)
def test_xlsx_broken_is_one_line(tmp_path, case, make):
    path = write(tmp_path, "broken.xlsx", make())
    check_error(run_cli(["analyze", path, "--text-column", "text", "--json"]), path)
    record(case, "clear-error")


@cases("G1-xlsx-bad-cell-ref", "G1-xlsx-bad-number")
@pytest.mark.parametrize(
    ("case", "cells"),
    params(
        ("G1-xlsx-bad-cell-ref", cell("ZZZZZZ2", REPORT)),
        ("G1-xlsx-bad-number", cell("A2", REPORT) + '<c r="B2" t="n"><v>notanumber</v></c>'),
    ),
)
def test_xlsx_bad_cells(tmp_path, case, cells):
    """A cell reference past column XFD, a number cell that is not a number: read, or one line."""
    path = write(
        tmp_path,
        "cells.xlsx",
        xlsx_bytes(sheet_xml(row(1, cell("A1", "text"), cell("B1", "year")) + row(2, cells))),
    )
    run = run_cli(["analyze", path, "--text-column", "text", "--json"])
    record(case, verdict(run, path))


@cases("G1-xlsx-lone-surrogate")
def test_xlsx_escaped_lone_surrogate(tmp_path):
    path = write(tmp_path, "sur.xlsx", xlsx_rows([REPORT.replace("工作情况", "工作_xD800_情况")]))
    (report,) = check_reports(run_cli(["analyze", path, "--text-column", "text", "--json"]), 1)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in report["text"])
    record("G1-xlsx-lone-surrogate", "ok")


@cases("G1-xlsx-xxe-sheet", "G1-xlsx-xxe-workbook")
@pytest.mark.parametrize("case", ["G1-xlsx-xxe-sheet", "G1-xlsx-xxe-workbook"])
def test_xlsx_external_entities(tmp_path, case):
    entity = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    if case == "G1-xlsx-xxe-sheet":
        data = xlsx_bytes(
            sheet_xml(row(1, cell("A1", "text")) + row(2, cell("A2", f"{TITLE} &xxe;")), prolog=entity)
        )
    else:
        data = xlsx_bytes(
            sheet_xml(row(1, cell("A1", "text")) + row(2, cell("A2", REPORT))),
            workbook=workbook_xml(prolog=entity),
        )
    path = write(tmp_path, "xxe.xlsx", data)
    run = run_cli(["analyze", path, "--text-column", "text", "--json"])
    outcome = verdict(run, path)
    assert not PASSWD.search(run.stdout + run.stderr)
    record(case, outcome)


@cases("G1-xlsx-pad-rows-1col")
def test_xlsx_one_row_at_the_last_row(tmp_path):
    """A header and one row at row 1,048,576 (4.8 KB): one report, no flood of empty-row errors."""
    sheet = sheet_xml(row(1, cell("A1", "text")) + row(1_048_576, cell("A1048576", REPORT)))
    path = write(tmp_path, "pad.xlsx", xlsx_bytes(sheet))
    run = run_process(["analyze", path, "--text-column", "text", "--json"], timeout=60, memory_mb=2048)
    check_reports(run, 1)
    assert not run.errors()
    record("G1-xlsx-pad-rows-1col", "ok")


@cases("G1-xlsx-pad-rows-2000cols")
def test_xlsx_wide_header_and_a_far_row(tmp_path):
    """2,000 header columns and one row at 1,048,576 (14 KB): bounded memory; read, or refused by a limit."""
    header = "".join(cell(f"{_column(i)}1", "text" if i == 0 else f"c{i}") for i in range(2000))
    sheet = sheet_xml(row(1, header) + row(1_048_576, cell("A1048576", REPORT)))
    path = write(tmp_path, "wide.xlsx", xlsx_bytes(sheet))
    run = run_process(["analyze", path, "--text-column", "text", "--json"], timeout=60, memory_mb=2048)
    outcome = verdict(run, path)
    if outcome == "clear-error":
        option_named(run.errors()[0], "columns")
    record("G1-xlsx-pad-rows-2000cols", outcome)


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


@cases("G1-xlsx-1M-rows")
def test_xlsx_a_million_rows_is_refused(tmp_path):
    """1,000,000 short rows (a 6 MB file): refused before any analysis, naming the row limit's option."""
    head = sheet_xml("")[: -len(b"</sheetData></worksheet>")] + row(1, cell("A1", "text")).encode()
    chunk = "".join(f'<row><c t="inlineStr"><is><t>审计{i}</t></is></c></row>' for i in range(10)).encode()
    sheet = repeated_deflate(chunk, 100_000, head=head, tail=b"</sheetData></worksheet>")
    path = write(tmp_path, "million.xlsx", xlsx_bytes(sheet))
    run = run_process(["analyze", path, "--text-column", "text", "--json"], timeout=60, memory_mb=2048)
    option_named(check_error(run, path), "rows")
    assert not run.reports()
    record("G1-xlsx-1M-rows", "clear-error")
