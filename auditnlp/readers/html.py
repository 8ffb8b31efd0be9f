"""Web pages (.html): the visible text, without scripts, styles, navigation and footers."""

from __future__ import annotations

from auditnlp.errors import EmptyDocumentError
from auditnlp.readers.base import RawDocument
from auditnlp.readers.encoding import decode_bytes


def read_html(data: bytes, name: str, digest: str) -> RawDocument:
    from bs4 import BeautifulSoup

    decoded, encoding = decode_bytes(data, name)
    soup = BeautifulSoup(decoded, "html.parser")
    for tag in soup(["script", "style", "noscript", "head", "nav", "footer"]):
        tag.decompose()
    text = soup.get_text("\n")
    if not text.strip():
        raise EmptyDocumentError(name, "the HTML page has no visible text")
    return RawDocument(name, text, "html", digest, encoding)
