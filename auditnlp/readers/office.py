"""Word documents (.docx): paragraphs in body order, heading styles, table rows as ``a | b`` lines."""

from __future__ import annotations

import io

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
