"""The category taxonomy (``lexicons/categories.yaml``): labels, descriptions and baseline keywords."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditnlp._data import load_yaml
from auditnlp.errors import LexiconError

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


def load_taxonomy(path: str | Path | None = None, *, lexicon_dir: str | Path | None = None) -> Taxonomy:
    """Load and validate a taxonomy: `path`, else ``categories.yaml`` from `lexicon_dir` or the package."""
    if path is not None:
        return _load_path(str(Path(path).resolve()))
    data = load_yaml(CATEGORIES, lexicon_dir)
    where = (
        str(Path(lexicon_dir) / CATEGORIES)
        if lexicon_dir and (Path(lexicon_dir) / CATEGORIES).exists()
        else (f"auditnlp/lexicons/{CATEGORIES}")
    )
    return parse_taxonomy(data, where)


@functools.lru_cache(maxsize=16)
def _load_path(path: str) -> Taxonomy:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(path, f"cannot read taxonomy: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise LexiconError(path, f"invalid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    return parse_taxonomy(data, path)


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
