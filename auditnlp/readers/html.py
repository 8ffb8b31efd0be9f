"""Web pages (.html): the visible text, without scripts, styles, navigation and footers.

Python's html.parser rejects some markup outright (``<![if …]>`` marked sections, ``<!`` garbage); such a
page is parsed again with lxml's HTML parser, which recovers from anything.
"""

from __future__ import annotations

from auditnlp.errors import CorruptDocumentError, EmptyDocumentError
from auditnlp.readers.base import RawDocument
from auditnlp.readers.encoding import decode_bytes


def read_html(data: bytes, name: str, digest: str) -> RawDocument:
    """The visible text of a web page."""
    from bs4 import BeautifulSoup

    decoded, encoding = decode_bytes(data, name)
    try:
        soup = BeautifulSoup(decoded, "html.parser")
    except Exception:  # bs4 wraps html.parser's AssertionError in ParserRejectedMarkup
        try:
            soup = BeautifulSoup(decoded, "lxml")
        except Exception as exc:
            raise CorruptDocumentError(name, f"cannot parse the HTML: {type(exc).__name__}: {exc}") from None
    for tag in soup(["script", "style", "noscript", "head", "nav", "footer"]):
        tag.decompose()
    text = soup.get_text("\n")
    if not text.strip():
        raise EmptyDocumentError(name, "the HTML page has no visible text")
    return RawDocument(name, text, "html", digest, encoding)
