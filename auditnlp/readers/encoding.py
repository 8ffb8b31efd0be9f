"""Decoding text files: BOMs, UTF-8, UTF-16, GB18030/GBK, with binary and garbage detection."""

from __future__ import annotations

import regex

from auditnlp.errors import BinaryFileError, EmptyDocumentError, EncodingDetectionError

_MAGIC = {
    b"PK\x03\x04": "a ZIP container (a .docx/.xlsx saved with another extension?)",
    b"%PDF": "a PDF file",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\xd0\xcf\x11\xe0": "an old binary Office file (.doc/.xls); save it as .docx/.xlsx",
    b"\x7fELF": "an executable",
}
_PLAUSIBLE = regex.compile(r"[\p{Han}\p{P}\p{Zs}\x20-\x7e\n\r\t\u3000-\u303f\uff00-\uffef]")


def plausibility(text: str) -> float:
    """Share of characters that belong in a Chinese report (Han, punctuation, ASCII, whitespace)."""
    if not text:
        return 0.0
    sample = text[:20000]
    return len(_PLAUSIBLE.findall(sample)) / len(sample)


def decode_bytes(data: bytes, path: str) -> tuple[str, str]:
    """Decode `data` and return (text, encoding name); raise a clear error naming `path` otherwise."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise EmptyDocumentError(path, "the file is empty")
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", path, label="utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", path, label="utf-16")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise BinaryFileError(path, f"binary file: looks like {what}")
    if b"\x00" in data[:4096]:
        even, odd = data[0:4096:2].count(0), data[1:4096:2].count(0)
        sample = len(data[:4096]) / 2
        if odd > 0.3 * sample and even < 0.05 * sample:
            return _strict(data, "utf-16-le", path)
        if even > 0.3 * sample and odd < 0.05 * sample:
            return _strict(data, "utf-16-be", path)
        raise BinaryFileError(path, "binary file: contains NUL bytes and is not UTF-16 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return _checked(text, "utf-8", path)
    for encoding in ("gbk", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if plausibility(text) >= 0.9:
            return text, encoding
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and plausibility(str(best)) >= 0.9:
        return str(best), best.encoding
    raise EncodingDetectionError(path, "cannot detect the encoding (tried UTF-8, UTF-16, GBK/GB18030)")


def _strict(data: bytes, encoding: str, path: str, *, label: str | None = None) -> tuple[str, str]:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise EncodingDetectionError(
            path, f"not valid {label or encoding}: {exc.reason} at byte {exc.start}"
        ) from None
    return _checked(text.lstrip("\ufeff"), label or encoding, path)


def _checked(text: str, encoding: str, path: str) -> tuple[str, str]:
    controls = sum(1 for c in text[:20000] if c < " " and c not in "\n\r\t\x0b\x0c")
    if controls > max(8, len(text[:20000]) // 100):
        raise BinaryFileError(path, f"binary file: {controls} control characters in the first 20,000")
    if not text.strip():
        raise EmptyDocumentError(path, "the file holds only whitespace")
    return text, encoding
