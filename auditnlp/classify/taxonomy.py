"""The category taxonomy (``lexicons/categories.yaml``): labels, descriptions and baseline keywords."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditnlp._data import parse_yaml, read_file
from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons

CATEGORIES = "categories.yaml"


@dataclass(frozen=True, slots=True)
class Category:
    """One category: its label, display name, description and weighted keywords."""

    label: str
    name: str
    description: str
    keywords: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """The categories in file order and the label the keyword baseline gives when nothing matches."""

    categories: tuple[Category, ...]
    default: str
    source: str

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels in file order."""
        return tuple(c.label for c in self.categories)

    def keywords(self) -> dict[str, tuple[tuple[str, float], ...]]:
        """Keyword lexicon per label (for :class:`~auditnlp.classify.model.KeywordClassifier`)."""
        return {c.label: c.keywords for c in self.categories}


def load_taxonomy(path: str | Path | None = None, *, lexicon: LexiconsLike = None) -> Taxonomy:
    """Load and validate a taxonomy: the file `path`, else ``categories.yaml`` of `lexicon` (a bundle or a
    folder of user lexicon files; ``None``: packaged)."""
    if path is not None:
        where = str(path)
        return parse_taxonomy(parse_yaml(read_file(path, where), where), where)
    return as_lexicons(lexicon).part("taxonomy", _build)


def _build(lex: Lexicons) -> Taxonomy:
    return parse_taxonomy(lex.yaml(CATEGORIES), lex.where(CATEGORIES))


def parse_taxonomy(data: Any, where: str) -> Taxonomy:
    """Validate the parsed YAML of a taxonomy file; errors name the file and the offending category."""
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list) or not data["categories"]:
        raise LexiconError(where, "expected a mapping with a non-empty 'categories' list")
    categories: list[Category] = []
    for n, entry in enumerate(data["categories"], 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str) or not entry["label"]:
            raise LexiconError(where, f"category #{n}: needs a 'label' string")
        label = entry["label"]
        if not label.isascii() or not label.replace("_", "").isalnum():
            raise LexiconError(where, f"category {label!r}: labels are ASCII letters, digits and '_'")
        if label in {c.label for c in categories}:
            raise LexiconError(where, f"category {label!r}: duplicate label")
        keywords: list[tuple[str, float]] = []
        for kw in entry.get("keywords") or ():
            if isinstance(kw, str):
                keywords.append((kw, 1.0))
            elif isinstance(kw, dict) and len(kw) == 1:
                ((word, weight),) = kw.items()
                if not isinstance(word, str) or not isinstance(weight, int | float):
                    raise LexiconError(where, f"category {label!r}: bad keyword {kw!r} (use 'word: weight')")
                keywords.append((word, float(weight)))
            else:
                raise LexiconError(where, f"category {label!r}: bad keyword {kw!r}")
        categories.append(
            Category(
                label=label,
                name=str(entry.get("name") or label),
                description=" ".join(str(entry.get("description") or "").split()),
                keywords=tuple(keywords),
            )
        )
    default = data.get("default", categories[-1].label)
    if default not in {c.label for c in categories}:
        raise LexiconError(where, f"default {default!r} is not one of the labels")
    return Taxonomy(tuple(categories), default, where)
