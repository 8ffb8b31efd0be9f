"""Word documents (.docx): paragraphs in body order, heading styles, table rows as ``a | b`` lines."""

from __future__ import annotations

import io
from typing import Any

from auditnlp.errors import CorruptDocumentError, EmptyDocumentError
from auditnlp.readers.base import RawDocument


def read_docx(data: bytes, name: str, digest: str) -> RawDocument:
    import zipfile

    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptDocumentError(name, f"cannot open as .docx: {exc}") from None
    except Exception as exc:  # python-docx raises assorted lxml/package errors on damaged files
        raise CorruptDocumentError(name, f"cannot open as .docx: {type(exc).__name__}: {exc}") from None
    lines: list[str] = []
    headings: list[tuple[str, int]] = []
    # one lookup table: `Paragraph.style` scans every style of the document for every paragraph
    style_names = {style.style_id: style.name or "" for style in document.styles}
    default_style = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default_style.name or "") if default_style is not None else ""
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = para.text
            style_id = child.style
            style = style_names.get(style_id, default_name) if style_id else default_name
            level = heading_level(style)
            if level is not None and text.strip():
                headings.append((text.strip(), level))
            lines.append(text)
        elif tag == "tbl":
            table = Table(child, document)
            for row in table.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = cell.text.strip().replace("\n", " ")
                    if not cells or cells[-1] != value:  # merged cells repeat their text
                        cells.append(value)
                if any(cells):
                    lines.append(" | ".join(cells))
    text = "\n".join(lines)
    if not text.strip():
        raise EmptyDocumentError(name, "the .docx holds no text")
    # the core properties' title is a weak hint (templates carry stale titles): a field, never the text
    core_title = (document.core_properties.title or "").strip()
    fields = (("doc_title", core_title),) if core_title else ()
    return RawDocument(name, text, "docx", digest, None, headings=tuple(headings), fields=fields)


def heading_level(style: str) -> int | None:
    lowered = style.lower()
    if lowered in {"title", "标题"}:
        return 0
    for prefix in ("heading ", "标题 "):
        if lowered.startswith(prefix) and lowered[len(prefix) :].strip().isdigit():
            return int(lowered[len(prefix) :])
    return None


def read_converted(data: bytes, name: str, digest: str, suffix: str, fmt: str) -> RawDocument:
    """A Word 97 ``.doc`` or WPS ``.wps`` file, converted to .docx by LibreOffice and read as one."""
    from dataclasses import replace

    from auditnlp.readers.convert import convert

    # an OLE container (the Word 97 format) without a WordDocument stream is damaged or something else;
    # LibreOffice would fall back to reading its bytes as plain text
    if data.startswith(b"\xd0\xcf\x11\xe0") and "WordDocument".encode("utf-16-le") not in data:
        raise CorruptDocumentError(name, f"cannot open as {suffix}: the file holds no Word document stream")
    converted = convert(data, name, suffix)
    return replace(read_docx(converted, name, digest), format=fmt)


_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def read_odt(data: bytes, name: str, digest: str) -> RawDocument:
    """An OpenDocument text (.odt): paragraphs and headings (with their outline level) in order, tables
    as ``a | b`` lines. Read with the standard library (the file is a ZIP holding ``content.xml``)."""
    import zipfile
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = ElementTree.fromstring(archive.read("content.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError) as exc:
        raise CorruptDocumentError(name, f"cannot open as .odt: {type(exc).__name__}: {exc}") from None
    body = root.find(f"{{{_ODF_OFFICE}}}body/{{{_ODF_OFFICE}}}text")
    if body is None:
        raise CorruptDocumentError(name, "cannot open as .odt: no text body in content.xml")
    lines: list[str] = []
    headings: list[tuple[str, int]] = []
    _odf_blocks(body, lines, headings)
    text = "\n".join(lines)
    if not text.strip():
        raise EmptyDocumentError(name, "the .odt holds no text")
    return RawDocument(name, text, "odt", digest, None, headings=tuple(headings))


def _odf_blocks(element: Any, lines: list[str], headings: list[tuple[str, int]]) -> None:
    for child in element:
        tag = child.tag
        if tag in (f"{{{_ODF_TEXT}}}p", f"{{{_ODF_TEXT}}}h"):
            text = _odf_inline(child)
            if tag.endswith("}h") and text.strip():
                level = child.get(f"{{{_ODF_TEXT}}}outline-level")
                headings.append((text.strip(), int(level) if level and level.isdigit() else 1))
            lines.append(text)
        elif tag == f"{{{_ODF_TABLE}}}table":
            for row in child.iter(f"{{{_ODF_TABLE}}}table-row"):
                cells: list[str] = []
                for cell in row.iter(f"{{{_ODF_TABLE}}}table-cell"):
                    value = " ".join(_odf_inline(p) for p in cell.iter(f"{{{_ODF_TEXT}}}p")).strip()
                    if not cells or cells[-1] != value:
                        cells.append(value)
                if any(cells):
                    lines.append(" | ".join(cells))
        elif tag.rsplit("}", 1)[-1] in {"list", "list-item", "section", "list-header", "index-body"}:
            _odf_blocks(child, lines, headings)


def _odf_inline(element: Any) -> str:
    """The text of a paragraph: spans, spaces (``text:s c=n``), tabs and line breaks; notes left out."""
    parts = [element.text or ""]
    for child in element:
        local = child.tag.rsplit("}", 1)[-1]
        if local == "s":
            count = child.get(f"{{{_ODF_TEXT}}}c")
            parts.append(" " * (int(count) if count and count.isdigit() else 1))
        elif local == "tab":
            parts.append("\t")
        elif local == "line-break":
            parts.append("\n")
        elif local not in {"note", "annotation", "bookmark-ref"}:
            parts.append(_odf_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


_CELL_END = "\x1f"


def _rtf_row(line: str) -> str:
    """One table row of an .rtf, its cells joined by `` | `` like a .docx table row."""
    cells = [cell.strip() for cell in line.split(_CELL_END)]
    while cells and not cells[-1]:
        cells.pop()
    return " | ".join(cells)


def read_rtf(data: bytes, name: str, digest: str) -> RawDocument:
    """Rich Text Format (.rtf): the text of its paragraphs, with the ``striprtf`` library.

    RTF escapes non-ASCII text either as ``\\uN`` (Unicode) or as ``\\'xx`` bytes of the document's ANSI
    code page (``\\ansicpg936`` = GBK for Chinese), both decoded here.
    """
    import regex
    from striprtf.striprtf import rtf_to_text

    try:
        source = data.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
        source = data.decode("utf-8", "replace")
    if not source.lstrip().startswith("{\\rtf"):
        raise CorruptDocumentError(name, "cannot open as .rtf: it does not start with {\\rtf")
    codepage = regex.search(r"\\ansicpg(\d+)", source[:4096])
    encoding = f"cp{codepage.group(1)}" if codepage else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    # a table cell ends with \\cell; striprtf writes "|" for it, which text may hold too: mark cells with a
    # control character instead, then write rows as the other readers do ("a | b | c")
    source = regex.sub(r"\\(?:nest)?cell(?![a-z])(?: )?", _CELL_END, source.replace(_CELL_END, ""))
    try:
        text = rtf_to_text(source, encoding=encoding, errors="replace")
    except Exception as exc:  # striprtf raises assorted errors on damaged files
        raise CorruptDocumentError(name, f"cannot read .rtf: {type(exc).__name__}: {exc}") from None
    if _CELL_END in text:
        text = "\n".join(_rtf_row(line) if _CELL_END in line else line for line in text.split("\n"))
    if not text.strip():
        raise EmptyDocumentError(name, "the .rtf holds no text")
    return RawDocument(name, text, "rtf", digest, encoding)
