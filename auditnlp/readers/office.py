"""Word documents (.docx): paragraphs in body order, heading styles, table rows as ``a | b`` lines."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from auditnlp.errors import CorruptDocumentError, EmptyDocumentError, FileTooLargeError, LimitError
from auditnlp.readers.base import CONTAINER_FACTOR, Limits, RawDocument, megabytes, too_large

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_SPAN = 64
"""Grid columns one cell may span when tracking merged cells (Word's own tables have at most 63)."""
_PARSED = (".xml", ".rels")
"""Parts of an Office zip that get parsed (pictures and other media are only loaded)."""


def check_zip(data: bytes, name: str, limits: Limits, what: str) -> None:
    """Refuse a zip container with too many parts, or parts that expand past the limits, before reading.

    The sizes are those the zip directory declares, which zipfile never reads past.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise CorruptDocumentError(name, f"cannot open as {what}: {exc}") from None
    if len(infos) > limits.max_parts:
        raise LimitError(
            name,
            f"the {what} holds {len(infos):,} parts, over the limit of {limits.max_parts:,} "
            "(raise it with --max-parts)",
        )
    parsed = sum(info.file_size for info in infos if info.filename.lower().endswith(_PARSED))
    if parsed > limits.unzipped:
        raise LimitError(
            name,
            f"the XML parts of the {what} expand to {megabytes(parsed)}, "
            f"over the {megabytes(limits.unzipped)} limit (raise it with --max-unzipped-mb)",
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_bytes * CONTAINER_FACTOR:
        raise LimitError(name, too_large(total, limits.max_bytes, what=f"what the {what} expands to"))


def read_docx(data: bytes, name: str, digest: str, limits: Limits | None = None) -> RawDocument:
    """The text of a .docx (paragraphs and table rows in body order), its heading styles and its title.

    The zip is checked before python-docx reads it (:func:`check_zip`) and the text of document.xml is
    counted while streaming it; tables are read from their cells as written, so a cell spanning 50,000,000
    columns costs one cell, and a vertically merged cell repeats the text of the cell it continues.
    """
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.text.paragraph import Paragraph

    limits = limits or Limits()
    check_zip(data, name, limits, ".docx")
    _check_text_size(data, name, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises assorted zip/lxml/package errors on damaged files
        raise CorruptDocumentError(name, f"cannot open as .docx: {type(exc).__name__}: {exc}") from None
    lines: list[str] = []
    headings: list[tuple[str, int]] = []
    size = 0
    # one lookup table: `Paragraph.style` scans every style of the document for every paragraph
    style_names = {style.style_id: style.name or "" for style in document.styles}
    default_style = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default_style.name or "") if default_style is not None else ""
    body = document.element.body
    if body is None:
        raise CorruptDocumentError(name, "cannot open as .docx: the document has no body")
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
        if tag == "p":
            text = Paragraph(child, document).text
            style_id = child.style
            style = style_names.get(style_id, default_name) if style_id else default_name
            level = heading_level(style)
            if level is not None and text.strip():
                headings.append((text.strip(), level))
            added = [text]
        elif tag == "tbl":
            added = _table_lines(child, document)
        else:
            continue
        lines.extend(added)
        size += sum(len(line.encode("utf-8", "surrogatepass")) + 1 for line in added)
        if size > limits.max_bytes:  # stop reading as soon as the text passes the limit
            raise FileTooLargeError(name, too_large(size, limits.max_bytes))
    text = "\n".join(lines)
    if not text.strip():
        raise EmptyDocumentError(name, "the .docx holds no text")
    # the core properties' title is a weak hint (templates carry stale titles): a field, never the text
    core_title = (document.core_properties.title or "").strip()
    fields = (("doc_title", core_title),) if core_title else ()
    return RawDocument(name, text, "docx", digest, None, headings=tuple(headings), fields=fields)


def _check_text_size(data: bytes, name: str, limits: Limits) -> None:
    """Refuse a document.xml holding more text than the limit, counted while streaming it (lxml, in C),
    before python-docx builds the whole tree. Damaged XML is left for python-docx to report."""
    from lxml import etree

    size = 0
    text, paragraph = f"{W}t", f"{W}p"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("word/document.xml") as part:
            events = etree.iterparse(part, tag=(text, paragraph), resolve_entities=False, no_network=True)
            for _, element in events:
                if element.tag == text:
                    size += len((element.text or "").encode("utf-8", "surrogatepass"))
                else:
                    size += 1  # the line break after a paragraph
                    if element.getparent() is not None and element.getparent().tag != f"{W}tc":
                        element.clear()  # paragraphs read are dropped, so memory holds one at a time
                        while element.getprevious() is not None:
                            del element.getparent()[0]
    except Exception:  # no such part, or XML python-docx will refuse with its own message
        return
    if size > limits.max_bytes:
        raise FileTooLargeError(name, too_large(size, limits.max_bytes))


def _table_lines(table: Any, document: Any) -> list[str]:
    """One ``a | b`` line per table row; merged cells are not expanded (see :func:`read_docx`)."""
    from docx.text.paragraph import Paragraph

    lines = []
    above: dict[int, str] = {}  # grid column → text of the cell a vertical merge continues
    for tr in table.iterchildren(f"{W}tr"):
        cells: list[str] = []
        column = 0
        for tc in tr.iterchildren(f"{W}tc"):
            props = tc.find(f"{W}tcPr")
            span, merge = 1, None
            if props is not None:
                grid = props.find(f"{W}gridSpan")
                if grid is not None:
                    span = _span(grid.get(f"{W}val"))
                vmerge = props.find(f"{W}vMerge")
                if vmerge is not None:
                    merge = vmerge.get(f"{W}val") or "continue"
            if merge == "continue":
                value = above.get(column, "")
            else:
                paragraphs = [Paragraph(p, document).text for p in tc.iterchildren(f"{W}p")]
                value = "\n".join(paragraphs).strip().replace("\n", " ")
                if merge == "restart":
                    above[column] = value
                else:
                    above.pop(column, None)
            if not cells or cells[-1] != value:  # merged cells repeat their text
                cells.append(value)
            column += span
        if any(cells):
            lines.append(" | ".join(cells))
    return lines


def _span(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), MAX_SPAN)
    except ValueError:
        return 1


def heading_level(style: str) -> int | None:
    """The heading level a paragraph style name gives (0 for a title), or ``None``."""
    lowered = style.lower()
    if lowered in {"title", "标题"}:
        return 0
    for prefix in ("heading ", "标题 "):
        rest = lowered[len(prefix) :].strip()
        if lowered.startswith(prefix) and rest.isdecimal() and rest.isascii():
            return int(rest)
    return None


def read_converted(
    data: bytes, name: str, digest: str, suffix: str, fmt: str, limits: Limits | None = None
) -> RawDocument:
    """A Word 97 ``.doc`` or WPS ``.wps`` file, converted to .docx by LibreOffice and read as one."""
    from dataclasses import replace

    from auditnlp.readers.convert import convert

    # an OLE container (the Word 97 format) without a WordDocument stream is damaged or something else;
    # LibreOffice would fall back to reading its bytes as plain text
    if data.startswith(b"\xd0\xcf\x11\xe0") and "WordDocument".encode("utf-16-le") not in data:
        raise CorruptDocumentError(name, f"cannot open as {suffix}: the file holds no Word document stream")
    converted = convert(data, name, suffix)
    return replace(read_docx(converted, name, digest, limits), format=fmt)


_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def read_odt(data: bytes, name: str, digest: str, limits: Limits | None = None) -> RawDocument:
    """An OpenDocument text (.odt): paragraphs and headings (with their outline level) in order, tables
    as ``a | b`` lines. Read with the standard library (the file is a ZIP holding ``content.xml``)."""
    from xml.etree import ElementTree

    check_zip(data, name, limits or Limits(), ".odt")
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
