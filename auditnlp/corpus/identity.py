"""Is it the same document? Fingerprints of a report's text, and the choice of which copy to compare.

The same report often arrives twice: as .docx and .txt, in UTF-8 and GB18030, with and without a web
page's chrome. The file bytes then differ, but the analysed text does not, or barely. A
:class:`Fingerprint` holds the SHA-256 of the text with whitespace, punctuation and table separators
removed (width-folded), and a MinHash sketch of its character 5-grams; two reports are the same document
when their exact hashes match, or when they belong to the same unit and period and their sketches agree
on at least :data:`NEAR_IDENTICAL` of the hashes (an estimate of the Jaccard similarity of their 5-grams).

:class:`Identities` decides, report by report in input order, whether a report is a copy of one kept
before it; different reports of the same unit and period are both kept and named to each other.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import regex

SHINGLE = 5
HASHES = 64
NEAR_IDENTICAL = 0.9
"""Share of equal MinHash values above which two texts of one unit and period are one document."""
_NOISE = regex.compile(r"[\s\p{P}\p{S}|]+")


def _parameters() -> tuple[list[int], list[int]]:
    """Fixed odd multipliers and offsets of the hash functions (from their index: every process agrees)."""
    a, b = [], []
    for i in range(HASHES):
        digest = hashlib.blake2b(f"auditnlp-minhash-{i}".encode(), digest_size=16).digest()
        a.append(int.from_bytes(digest[:8], "big") | 1)
        b.append(int.from_bytes(digest[8:], "big"))
    return a, b


_A, _B = _parameters()


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The identity of a report's text: an exact hash and a MinHash sketch."""

    exact: str
    sketch: tuple[int, ...]

    def similarity(self, other: Fingerprint) -> float:
        """Estimated Jaccard similarity of the two texts' 5-grams (1.0 for the same text)."""
        if self.exact == other.exact:
            return 1.0
        if not self.sketch or len(self.sketch) != len(other.sketch):
            return 0.0
        return sum(x == y for x, y in zip(self.sketch, other.sketch, strict=True)) / len(self.sketch)


def fingerprint(text: str) -> Fingerprint:
    """The fingerprint of a text (its words only: spacing, punctuation and character width do not count)."""
    import numpy as np

    squeezed = _NOISE.sub("", unicodedata.normalize("NFKC", text))
    exact = hashlib.sha256(squeezed.encode("utf-8", "surrogatepass")).hexdigest()
    if not squeezed:
        return Fingerprint(exact, ())
    codes = np.frombuffer(squeezed.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    width = min(SHINGLE, len(codes))
    with np.errstate(over="ignore"):
        # each 5-gram as one 64-bit number: a polynomial of its code points (wrapping arithmetic)
        grams = np.zeros(len(codes) - width + 1, dtype=np.uint64)
        for i in range(width):
            grams = grams * np.uint64(1_000_003) + codes[i : len(codes) - width + 1 + i]
        grams = np.unique(grams)
        a = np.array(_A, dtype=np.uint64)[:, None]
        b = np.array(_B, dtype=np.uint64)[:, None]
        # multiply-shift hashing: (a·x + b) mod 2^64, high 32 bits; the minimum per hash function
        mins = ((a * grams[None, :] + b) >> np.uint64(32)).min(axis=1)
    return Fingerprint(exact, tuple(int(v) for v in mins))


@dataclass(frozen=True, slots=True)
class Copy:
    """A report found to be a copy of one kept before it."""

    of: int
    """The report id of the kept copy."""
    reason: str


@dataclass
class Identities:
    """Reports seen so far: which copies to drop, and which kept reports share a unit and period."""

    _exact: dict[str, int] = field(default_factory=dict)
    _groups: dict[tuple[str, str], list[tuple[int, Fingerprint]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    names: dict[int, str] = field(default_factory=dict)

    def check(
        self, report_id: int, name: str, print_: Fingerprint | None, unit: str | None, period: str | None
    ) -> Copy | None:
        """The copy `report_id` is of (and why), or ``None`` when it is kept (and then remembered)."""
        if print_ is not None:
            kept = self._exact.get(print_.exact)
            if kept is not None:
                return Copy(kept, f"same text as {self.names[kept]}")
            if unit and period:
                for other, other_print in self._groups[(unit, period)]:
                    similarity = print_.similarity(other_print)
                    if similarity >= NEAR_IDENTICAL:
                        return Copy(other, f"near-identical to {self.names[other]} ({similarity:.0%} alike)")
            self._exact[print_.exact] = report_id
        if unit and period:
            self._groups[(unit, period)].append((report_id, print_ or Fingerprint("", ())))
        self.names[report_id] = name
        return None

    def same_period(self) -> dict[int, list[int]]:
        """Kept report id → the other kept reports of its unit and period (only for groups of two or more)."""
        out: dict[int, list[int]] = {}
        for members in self._groups.values():
            ids = [rid for rid, _ in members]
            if len(ids) > 1:
                for rid in ids:
                    out[rid] = [other for other in ids if other != rid]
        return out
