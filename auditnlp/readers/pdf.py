"""PDF files: the text layer (pdfplumber), printed lines joined back into paragraphs by their layout.

The joining rules are in :mod:`auditnlp.readers.layout`. Page headers, footers and page numbers are kept in
the source text on lines of their own and marked as removals, so the analysed text leaves them out and
:attr:`~auditnlp.types.Report.removed` records them. Pages without a text layer are recognised by OCR when
the ``ocr`` extra is installed (:mod:`auditnlp.readers.ocr`); such text is marked (``RawDocument.ocr``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import statistics
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from auditnlp.errors import (
    ConverterMissingError,
    CorruptDocumentError,
    EmptyDocumentError,
    FileTooLargeError,
    LimitError,
)
from auditnlp.readers.base import Limits, RawDocument, too_large
from auditnlp.readers.layout import LATIN, LEAD, Line, Page, reflow


def read_pdf(
    data: bytes, name: str, digest: str, *, ocr: bool | None = None, limits: Limits | None = None
) -> RawDocument:
    """Read a PDF: the text layer, reflowed into paragraphs; pages without one by OCR when installed.

    `ocr`: ``None`` recognises pages without a text layer when the ``ocr`` extra is installed (and says
    how to install it otherwise); ``False`` never runs OCR. Pages are read one at a time and closed once
    read, so memory holds one page; the number of pages is checked before any is read (``/Count``) and as
    they are read (a ``/Count`` can lie), and each page's content streams are measured before the page is
    drawn (a 111 KB file whose one page shows 30 million characters is refused, not drawn).
    """
    limits = limits or Limits()
    pages: list[Page] = []
    blank: list[int] = []
    size = 0
    try:
        import pdfplumber
        from pdfplumber.page import Page as PlumberPage

        _quiet_pdfminer()
        with contextlib.closing(_Opened(pdfplumber.open(io.BytesIO(data)))) as opened:
            pdf = opened.pdf
            _check_count(pdf, name, limits)
            doctop: float = 0
            for number, page_obj in enumerate(_page_objects(pdf), 1):
                if number > limits.max_pages:
                    raise _too_many_pages(name, limits)
                _check_contents(page_obj, name, limits)
                page = PlumberPage(pdf, page_obj, page_number=number, initial_doctop=doctop)
                try:
                    lines = page_lines(page)
                    recognised = None
                    if not lines and ocr is not False and _has_images(page):
                        recognised = _ocr_page(page, name, number, required=ocr is True)
                        if recognised is None:
                            blank.append(number)
                    pages.append(recognised or Page(float(page.width), float(page.height), tuple(lines)))
                finally:
                    page.close()
                doctop += float(page.height)
                size += sum(len(line.text.encode("utf-8", "surrogatepass")) + 1 for line in pages[-1].lines)
                if size > limits.max_bytes:
                    raise FileTooLargeError(name, too_large(size, limits.max_bytes, what="the text layer"))
    except (ConverterMissingError, EmptyDocumentError, FileTooLargeError):
        raise
    except Exception as exc:  # pdfminer raises many exception types on damaged files
        raise CorruptDocumentError(name, f"cannot read PDF: {type(exc).__name__}: {exc}") from None
    text, removals, warnings = reflow(pages)
    used_ocr = any(page.ocr for page in pages)
    if not text.strip():
        if blank:
            raise _no_text_layer(name)
        raise EmptyDocumentError(name, "the PDF has no text")
    if blank:
        warnings.append(
            f"pages {', '.join(map(str, blank))} have no text layer (scanned?) and were left out: "
            "install the ocr extra (pip install 'auditnlp[ocr]') to read them"
        )
    if used_ocr:
        ocr_pages = [str(i) for i, page in enumerate(pages, 1) if page.ocr]
        warnings.append(f"text of page(s) {', '.join(ocr_pages)} was read by OCR: check names and numbers")
    return RawDocument(
        name,
        text,
        "pdf",
        digest,
        None,
        removals=tuple(removals),
        warnings=tuple(warnings),
        ocr=used_ocr,
    )


class _Opened:
    """A pdfplumber PDF closed without building every page (``PDF.close`` builds them all to close them):
    the pages read are closed one by one, and only the stream is left to close."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf

    def close(self) -> None:
        self.pdf.stream.close()


def _quiet_pdfminer() -> None:
    """pdfminer logs warnings about damaged files; with no logging set up, Python would print them on
    stderr. A NullHandler keeps them out of the CLI's output (an application that sets up logging still
    receives them)."""
    logger = logging.getLogger("pdfminer")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _page_objects(pdf: Any) -> Iterator[Any]:
    from pdfminer.pdfpage import PDFPage

    yield from PDFPage.create_pages(pdf.doc)


def _too_many_pages(name: str, limits: Limits, count: int | None = None) -> LimitError:
    pages = f"{count:,} pages" if count is not None else "more pages"
    return LimitError(
        name, f"the PDF has {pages} than the limit of {limits.max_pages:,} (raise it with --max-pages)"
    )


def _check_count(pdf: Any, name: str, limits: Limits) -> None:
    """Refuse a PDF whose page tree says it has more pages than the limit, before reading a page."""
    from pdfminer.pdftypes import resolve1

    try:
        count = resolve1(resolve1(pdf.doc.catalog.get("Pages")).get("Count"))
    except Exception:  # a damaged page tree: the pages are counted as they are read
        return
    if isinstance(count, int) and count > limits.max_pages:
        raise _too_many_pages(name, limits, count)


def _check_contents(page_obj: Any, name: str, limits: Limits) -> None:
    """Refuse a page whose content streams hold more than ``limits.max_bytes`` of drawing operators."""
    from pdfminer.pdftypes import PDFStream, resolve1

    contents = resolve1(page_obj.attrs.get("Contents"))
    streams = contents if isinstance(contents, list) else [contents]
    total = 0
    for item in streams:
        stream = resolve1(item)
        if isinstance(stream, PDFStream):
            total += _stream_size(stream, limits.max_bytes - total)
            if total > limits.max_bytes:
                raise FileTooLargeError(
                    name, too_large(total, limits.max_bytes, what="a page's content (before drawing)")
                )


def _stream_size(stream: Any, budget: int) -> int:
    """The decoded size of a stream, counted only up to `budget` + 1 for a FlateDecode stream."""
    from pdfminer.pdftypes import resolve1

    filters = resolve1(stream.attrs.get("Filter"))
    names = [getattr(f, "name", f) for f in (filters if isinstance(filters, list) else [filters])]
    raw = getattr(stream, "rawdata", None)
    if raw is None or names not in (["FlateDecode"], ["Fl"]):
        return len(stream.get_data() or b"")
    inflate = zlib.decompressobj()
    size, rest = 0, raw
    try:
        while rest and size <= budget:
            size += len(inflate.decompress(rest, _CHUNK))
            rest = inflate.unconsumed_tail
            if inflate.eof:
                break
    except zlib.error:
        return size  # pdfminer reads damaged streams as far as they go
    return size


_CHUNK = 1 << 20


def _no_text_layer(name: str) -> ConverterMissingError:
    return ConverterMissingError(
        name,
        "the PDF has no text layer (a scan): install the ocr extra (pip install 'auditnlp[ocr]') to read it",
    )


def _has_images(page: object) -> bool:
    try:
        return bool(page.images)  # type: ignore[attr-defined]
    except Exception:  # a damaged image dictionary: treat as an image page, OCR decides
        return True


def _ocr_page(page: object, name: str, number: int, *, required: bool) -> Page | None:
    from auditnlp.readers import ocr

    if not ocr.available():
        if required:
            raise _no_text_layer(name)
        return None
    image = page.to_image(resolution=ocr.RESOLUTION).original  # type: ignore[attr-defined]
    scale = 72.0 / ocr.RESOLUTION
    lines = tuple(
        Line(
            line.x0 * scale,
            line.x1 * scale,
            line.top * scale,
            line.bottom * scale,
            line.size * scale,
            line.text,
        )
        for line in ocr.recognise(image)
    )
    width, height = float(page.width), float(page.height)  # type: ignore[attr-defined]
    return Page(width, height, lines, ocr=True)


def page_lines(page: object) -> list[Line]:
    """The text-layer lines of a pdfplumber page, top to bottom, with spacing rebuilt from the glyphs."""
    out: list[Line] = []
    for found in page.extract_text_lines(return_chars=True, strip=True):  # type: ignore[attr-defined]
        chars = [c for c in found["chars"] if c.get("upright", True)]
        if not chars:
            continue
        text = line_text(chars)
        if not text.strip():
            continue
        size = statistics.median(float(c["size"]) for c in chars)
        ordered = sorted(chars, key=lambda c: float(c["x0"]))
        lead_chars = len(LEAD.match(text).group()) if LEAD.match(text) else 1
        glyphs = [c for c in ordered if str(c["text"]).strip()]
        last = glyphs[min(lead_chars, len(glyphs)) - 1]
        lead = float(last["x1"]) - float(glyphs[0]["x0"])
        out.append(
            Line(
                float(found["x0"]),
                float(found["x1"]),
                float(found["top"]),
                float(found["bottom"]),
                size,
                text,
                lead,
            )
        )
    return out


def line_text(chars: Sequence[dict[str, object]]) -> str:
    """The text of one line's glyphs, left to right.

    A space is put between two Latin letters or digits set apart, and wherever a gap is wider than one
    character (table columns); Chinese text and the narrow gap word processors set between Chinese and
    digits get none, so ``江北市审计局 2023 年`` reads as it was typed, ``江北市审计局2023年``.
    """
    ordered = sorted(chars, key=lambda c: float(c["x0"]))  # type: ignore[arg-type]
    parts: list[str] = []
    previous: dict[str, object] | None = None
    for char in ordered:
        glyph = str(char["text"])
        if previous is not None:
            gap = float(char["x0"]) - float(previous["x1"])  # type: ignore[arg-type]
            size = float(char.get("size") or 10)  # type: ignore[arg-type]
            before = str(previous["text"])
            latin_pair = bool(LATIN.fullmatch(before[-1:])) and bool(LATIN.fullmatch(glyph[:1]))
            if (
                parts
                and parts[-1] != " "
                and glyph != " "
                and (gap > 1.0 * size or (latin_pair and gap > 0.15 * size))
            ):
                parts.append(" ")
        if glyph == " " and parts and parts[-1] == " ":
            continue
        parts.append(glyph)
        previous = char
    return "".join(parts).strip()
