"""Builders for hostile inputs: every file of the reliability review is made here, in code.

Nothing is stored as a blob: .docx files start from python-docx and have their XML parts rewritten,
.xlsx and .pdf files are written by hand, zip bombs repeat one raw-deflate block (so a 740 MB part costs
a few kilobytes and milliseconds to build), and pathological texts are short patterns repeated.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{" + W_NS + "}"

TITLE = "某某区审计局2023年工作总结"
REPORT = (
    f"{TITLE}\n"
    "一、工作情况\n"
    "全年完成审计项目27个，查出违规金额2377.2万元，坚持“第一议题”制度。\n"
    "二、存在的问题\n"
    "（一）审计整改跟踪不够及时。\n"
    "三、2024年工作计划\n"
    "一是加强学习；二是强化监督。\n"
)


PLACES = ("东湖", "西山", "南山", "北塘", "青山", "白沙", "江北", "临川", "南湖", "新城", "河东", "河西",
          "城关", "滨海", "云岭", "石桥", "柳林", "松江", "桃源", "凤凰", "龙泉", "金坛", "玉溪", "兰溪")  # fmt: skip
TOPICS = ("财政预算执行", "重大政策落实", "国有企业", "民生资金", "自然资源资产", "经济责任", "政府投资项目",
          "乡村振兴资金", "社保基金", "住房公积金", "医保基金", "教育经费")  # fmt: skip


def unit_name(index: int) -> str:
    """A distinct, well-formed audit office name for each index (东湖区审计局, 西山区审计局 …)."""
    place = PLACES[index % len(PLACES)]
    kind = ("区", "县", "市")[(index // len(PLACES)) % 3]
    return f"{place}{kind}审计局"


def report_text(index: int = 0, year: int = 2023, extra: str = "") -> str:
    """A small, well-formed report, distinct for each `index` (its unit, figures and topic) and `year`.

    Distinct matters: a comparison reads near-identical reports of one unit and period as copies of one.
    """
    topic = TOPICS[index % len(TOPICS)]
    return (
        f"{unit_name(index)}{year}年工作总结\n"
        "一、工作情况\n"
        f"全年完成审计项目{20 + index}个，查出违规金额{index * 7 + 3}.5万元，重点开展{topic}审计。{extra}\n"
        "二、存在的问题\n"
        f"（一）{topic}审计发现问题的整改跟踪不够及时。\n"
        f"三、{year + 1}年工作计划\n"
        f"一是加强学习；二是强化{topic}监督。\n"
    )


# --------------------------------------------------------------------------------------------- zip


@dataclass(frozen=True)
class Deflated:
    """A zip member given as a raw deflate stream, its CRC-32 and its uncompressed size."""

    raw: bytes
    crc: int
    size: int


def repeated_deflate(chunk: bytes, times: int, *, head: bytes = b"", tail: bytes = b"") -> Deflated:
    """`head + chunk * times + tail` as one raw deflate stream, without ever holding the whole.

    The chunk is compressed once and closed with a full flush, so its block does not refer to earlier
    data and can be repeated; a 740 MB part costs `times` copies of a few kilobytes.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = c.compress(tail) + c.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return Deflated(
        first + block * times + last, crc & 0xFFFFFFFF, len(head) + len(chunk) * times + len(tail)
    )


def zlib_repeated(chunk: bytes, times: int, *, head: bytes = b"", tail: bytes = b"") -> bytes:
    """The same as :func:`repeated_deflate` in a zlib wrapper (a PDF FlateDecode stream)."""
    raw = repeated_deflate(chunk, times, head=head, tail=tail)
    adler = zlib.adler32(head)
    for _ in range(times):
        adler = zlib.adler32(chunk, adler)
    adler = zlib.adler32(tail, adler)
    return b"\x78\xda" + raw.raw + struct.pack(">I", adler & 0xFFFFFFFF)


def zip_bytes(members: Iterable[tuple[str, bytes | Deflated]]) -> bytes:
    """A zip archive written by hand (up to 65,535 members); `Deflated` members are stored as given."""
    out = io.BytesIO()
    central = []
    count = 0
    for name, data in members:
        count += 1
        encoded = name.encode("utf-8")
        if isinstance(data, Deflated):
            method, payload, crc, size = 8, data.raw, data.crc, data.size
        else:
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            payload = comp.compress(data) + comp.flush()
            method, crc, size = 8, zlib.crc32(data) & 0xFFFFFFFF, len(data)
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0x800,
                method,
                0,
                0x21,
                crc,
                len(payload),
                size,
                len(encoded),
                0,
            )
        )
        out.write(encoded)
        out.write(payload)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0x800,
                method,
                0,
                0x21,
                crc,
                len(payload),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, start, 0))
    return out.getvalue()


def zip_members(data: bytes) -> dict[str, bytes]:
    """The members of a zip archive, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def rezip(
    data: bytes,
    *,
    replace: dict[str, bytes | Deflated] | None = None,
    add: Iterable[tuple[str, bytes | Deflated]] = (),
    drop: Iterable[str] = (),
) -> bytes:
    """Rewrite a zip: replace members, drop some, add others at the end."""
    replace = replace or {}
    dropped = set(drop)
    members: list[tuple[str, bytes | Deflated]] = [
        (name, replace.get(name, body)) for name, body in zip_members(data).items() if name not in dropped
    ]
    return zip_bytes([*members, *add])


# -------------------------------------------------------------------------------------------- docx


def docx_bytes(paragraphs: Iterable[str] = (TITLE, "一、工作情况", "全年完成审计项目27个。")) -> bytes:
    """A plain .docx made by python-docx."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_with(build: Callable[[object], None]) -> bytes:
    """A .docx made by python-docx after `build(document)` changed it."""
    import docx

    document = docx.Document()
    document.add_paragraph(TITLE)
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def document_xml(body: str, *, prolog: str = "", root: str = "w:document") -> bytes:
    """A word/document.xml holding `body` (WordprocessingML)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        f'<{root} xmlns:w="{W_NS}"><w:body>{body}</w:body></{root}>'
    ).encode()


def para(text: str) -> str:
    """One WordprocessingML paragraph."""
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def docx_document(body: str, **kwargs: str) -> bytes:
    """A .docx whose document.xml is replaced by one holding `body`."""
    return rezip(docx_bytes(), replace={"word/document.xml": document_xml(body, **kwargs)})


# -------------------------------------------------------------------------------------------- xlsx

_XLSX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_XLSX_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_XLSX_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEETS = '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'


def workbook_xml(sheets: str = SHEETS, prolog: str = "") -> bytes:
    """xl/workbook.xml with `sheets`."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"{sheets}</workbook>"
    ).encode()


def cell(ref: str, text: str) -> str:
    """An inline-string cell."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: str, prolog: str = "") -> bytes:
    """xl/worksheets/sheet1.xml holding `rows` (``<row>`` elements)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def row(number: int, *cells: str) -> str:
    """A ``<row>`` element."""
    return f'<row r="{number}">{"".join(cells)}</row>'


def xlsx_bytes(sheet: bytes | Deflated, *, workbook: bytes | None = None) -> bytes:
    """A minimal .xlsx package (written by hand) around one sheet part."""
    return zip_bytes(
        [
            ("[Content_Types].xml", _XLSX_CONTENT_TYPES.encode()),
            ("_rels/.rels", _XLSX_RELS.encode()),
            ("xl/workbook.xml", workbook if workbook is not None else workbook_xml()),
            ("xl/_rels/workbook.xml.rels", _XLSX_WORKBOOK_RELS.encode()),
            ("xl/worksheets/sheet1.xml", sheet),
        ]
    )


def xlsx_rows(texts: Iterable[str], header: str = "text") -> bytes:
    """An .xlsx with a header cell and one text cell per row."""
    rows = [row(1, cell("A1", header))]
    rows += [row(i, cell(f"A{i}", t)) for i, t in enumerate(texts, 2)]
    return xlsx_bytes(sheet_xml("".join(rows)))


# --------------------------------------------------------------------------------------------- pdf


def pdf_bytes(objects: list[bytes | str], *, root: int = 1) -> bytes:
    """A PDF file from its numbered objects (1-based, in order), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        data = body.encode("latin-1") if isinstance(body, str) else body
        out += f"{number} 0 obj\n".encode() + data + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def stream(data: bytes, extra: str = "") -> bytes:
    """A PDF stream object body."""
    return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


FONT = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def text_ops(lines: Iterable[str]) -> bytes:
    """A content stream showing ASCII `lines` top-down in Helvetica."""
    shown = " ".join(f"({line}) '" for line in lines)
    return f"BT /F1 10 Tf 40 760 Td 12 TL {shown} ET".encode("latin-1")


def pdf_pages(contents: list[bytes]) -> bytes:
    """A PDF with one page per content stream (all in Helvetica)."""
    n = len(contents)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects: list[bytes | str] = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>",
        FONT,
    ]
    for i, content in enumerate(contents):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R"
            " /Resources << /Font << /F1 3 0 R >> >> >>"
        )
        objects.append(stream(content))
    return pdf_bytes(objects)


def pdf_text(
    lines: Iterable[str] = ("Audit Office 2023 Work Summary", "Completed 27 audit projects."),
) -> bytes:
    """A one-page PDF with a text layer."""
    return pdf_pages([text_ops(lines)])


# ------------------------------------------------------------------------------- pathological text

HEAD = f"{TITLE}\n一、工作情况\n"


def repeat(unit: str, n: int) -> str:
    """`unit` repeated to exactly `n` characters."""
    return (unit * (n // len(unit) + 1))[:n]


def _shi(n: int) -> str:
    return repeat("".join(f"{c}是加强学习；" for c in "一二三四五六七八九"), n)


PATHOLOGICAL: dict[str, Callable[[int], str]] = {
    # number grammar: runs the number token and the blocked rules could rescan from every position
    "digits": lambda n: repeat("1234567890", n),
    "digits_unit": lambda n: repeat("1234567890", n) + "万元",
    "comma_number": lambda n: "1" + repeat(",234", n),
    "chinese_numerals": lambda n: repeat("一二三四五六七八九十百千万亿", n) + "元",
    "mixed_width_digits": lambda n: repeat("１2３4５6７8９0", n) + "万元",
    "mixed_width_digits_nounit": lambda n: repeat("１2３4５6７8９0", n),
    "xrun": lambda n: repeat("X", n),
    "starrun": lambda n: repeat("*", n),
    "mask_mix": lambda n: repeat("XX*.**", n),
    "dots": lambda n: repeat("1.", n),
    # structure: many headings, many list items in one paragraph
    "headings": lambda n: repeat("（一）审\n", n),
    "headings_l1": lambda n: repeat("".join(f"{c}、审计整改\n" for c in "一二三四五六七八九"), n),
    "problem_headings": lambda n: "二、存在的问题\n" + repeat("（一）整改不到位。\n", n),
    "yishi_clause": _shi,
    # slogans: a frame every few characters
    "slogan_frames": lambda n: repeat("在“严”字上下功夫，解决一个“松”字；", n),
    # meaning of figures (issue 12): role, qualifier, period and subject are read from the clause around
    # each figure, so many figures in one clause with no punctuation must not rescan the clause per figure
    "figures_one_clause": lambda n: repeat("全年完成审计项目27个增长12%资金3.5亿元由47.6%提升至73.4%", n),
    "distributive_lists": lambda n: repeat("城镇和农村居民人均可支配收入分别增长5%和6%、", n),
    # bare numbers in table cells take the unit of their row label or column header
    "table_line": lambda n: "项目 | 2023年\n指标（万元） | " + repeat("12 | ", n),
    "table_rows": lambda n: (
        "项目 | 2023年（万元） | 2024年（万元）\n" + repeat("查出问题金额 | 1,250 | 36\n", n)
    ),
}


@functools.lru_cache(maxsize=2)
def realish_report(root: Path) -> str:
    """The bundled fictional corpus (sample reports, label texts, test texts) joined: a real-ish report."""
    parts = []
    folders = [root / "corpora" / "samples", root / "corpora" / "labels" / "texts", root / "tests" / "data"]
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            raw = path.read_bytes()
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    parts.append(raw.decode(encoding))
                    break
                except UnicodeDecodeError:
                    continue
    return "\n".join(parts)
