"""Units as sources name them, and the choice among them: the most trusted, in its most specific form.

A unit is a place and a body (沛县 + 审计局), a bare body with its level (区审计局), a standalone unit
(国务院) or a place alone (东山区, from a dateline). :func:`resolve_unit` takes the most trusted name,
unless a less trusted one is a more specific form of it, joins a bare body with a place of the same level,
and lists the names that cannot be the same unit (sources that disagree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditnlp.segment.meta_rules import MetaRules

GOVERNMENT_BODIES = ("人民政府", "政府")


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit (or a place) as one source names it."""

    source: str
    place: str | None = None
    body: str | None = None
    level: str | None = None
    standalone: str | None = None

    @property
    def kind(self) -> str:
        """``standalone`` (国务院), ``full`` (place and body), ``bare`` (区审计局) or ``place`` (东山区)."""
        if self.standalone:
            return "standalone"
        if self.place and self.body:
            return "full"
        return "bare" if self.body else "place"

    def value(self, government: bool) -> str | None:
        """The unit's text; for a government work report the place (its unit), never a bare body."""
        if self.standalone:
            return self.standalone
        if government:
            return self.place if self.body is None or self.body in GOVERNMENT_BODIES else None
        if self.body:
            return (self.place or self.level or "") + self.body
        return self.place


def parse_unit(text: str, source: str, rules: MetaRules) -> Unit | None:
    """Split a unit as written (中共XX县审计局党组, 区审计局, 国务院) into place and body, or None."""
    m = rules.unit_parts.fullmatch(text)
    if m is None:
        return None
    if m.group("standalone"):
        return Unit(source, standalone=m.group("standalone"))
    place = m.group("place")
    if place is not None and not real_place(place, rules):
        return None
    return Unit(source, place=place, body=m.group("body") or m.group("bare"), level=m.group("level"))


def identifies(unit: str, rules: MetaRules) -> bool:
    """Whether a unit as shown names one body: a place and a body (青山区审计局), a standalone unit, a place
    (a government's unit), or a name the rules do not parse (a manifest's own). A body with at most its level
    (审计局, 市审计局) does not: two reports under it may be of two offices, so it links no reports across
    periods (no year-on-year change, no recurring problem)."""
    parsed = parse_unit(unit, "compare", rules)
    return parsed is None or parsed.kind != "bare"


def place_unit(text: str, source: str, rules: MetaRules) -> Unit | None:
    if rules.place.fullmatch(text) and real_place(text, rules):
        return Unit(source, place=text)
    return None


def real_place(place: str, rules: MetaRules) -> bool:
    """A place name with a name before its suffix (自治区 alone is a level word, not a place)."""
    stem = place
    for suffix in sorted(rules.suffixes, key=len, reverse=True):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return bool(stem) and stem not in {"自治", "特别行政"}


def _compatible(a: Unit, b: Unit, government: bool) -> bool:
    """Whether two names can be the same unit (one may be a shorter form of the other)."""
    va, vb = a.value(government), b.value(government)
    if not va or not vb or va == vb:
        return True
    if a.kind == "standalone" or b.kind == "standalone":
        return False
    if government:
        pa, pb = va, vb
    else:
        if "bare" in (a.kind, b.kind):
            bare, other = (a, b) if a.kind == "bare" else (b, a)
            where = other.place or other.level or ""
            return other.body == bare.body and (bare.level is None or where.endswith(bare.level))
        if a.body != b.body:
            return False
        pa, pb = a.place or "", b.place or ""
    return pa.endswith(pb) or pb.endswith(pa) or pa.startswith(pb) or pb.startswith(pa)


def _more_specific(candidate: Unit, best: Unit, government: bool) -> bool:
    vc, vb = candidate.value(government), best.value(government)
    return bool(vc and vb and len(vc) > len(vb) and _compatible(candidate, best, government))


def resolve_unit(
    units: Sequence[Unit], rules: MetaRules, government: bool
) -> tuple[str | None, str | None, list[str]]:
    """The unit, its source and the sources that disagree, from candidates in any order.

    The most trusted name wins unless a less trusted one is a more specific form of it (县审计局 →
    萧县审计局, 广西 → 广西壮族自治区); a bare body (区审计局) joins the most trusted place of the same level.
    A place alone is the unit only when nothing else names one (and always for a government report).
    """
    ordered = sorted(units, key=lambda u: rules.rank(u.source))
    named = [u for u in ordered if u.value(government) and (government or u.kind != "place")]
    if not named:
        fallback = next((u for u in ordered if u.kind == "place" and u.place), None)
        return (fallback.place, fallback.source, []) if fallback else (None, None, [])
    best = named[0]
    for candidate in named[1:]:
        if _more_specific(candidate, best, government):
            best = candidate
    if not government and best.kind == "bare":
        for place in ordered:
            if (
                place.kind == "place"
                and place.place
                and (best.level is None or place.place.endswith(best.level))
            ):
                joined = best.source if place.source == best.source else f"{best.source}+{place.source}"
                best = Unit(joined, place=place.place, body=best.body)
                break
    notes = list(
        dict.fromkeys(
            f"{other.source} {other.value(government)}"
            for other in named
            if not _compatible(other, best, government)
        )
    )
    return best.value(government), best.source, notes
