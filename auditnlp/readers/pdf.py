"""PDF files: the text layer, page by page (pdfplumber)."""

from __future__ import annotations

import io

from auditnlp.errors import CorruptDocumentError, EmptyDocumentError
from auditnlp.readers.base import RawDocument


def read_pdf(data: bytes, name: str, digest: str) -> RawDocument:
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = [page.extract_text() or "" for page in pdf.pages]
    except Exception as exc:  # pdfminer raises many exception types on damaged files
        raise CorruptDocumentError(name, f"cannot read PDF: {type(exc).__name__}: {exc}") from None
    text = "\n".join(pages)
    if not text.strip():
        raise EmptyDocumentError(name, "the PDF has no text layer (scanned? run OCR first)")
    return RawDocument(name, text, "pdf", digest, None)
