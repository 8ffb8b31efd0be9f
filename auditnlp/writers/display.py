"""How things are shown to a reader: code values, page words and headline indicators (``display.yaml``).

:func:`load_display` reads ``display.yaml`` from a lexicon bundle (a user folder may override it) with the
category names of ``categories.yaml`` and the indicator labels of ``indicator_names.tsv``; a
:class:`Display` then answers in Chinese (``zh``, the default) or English (``en``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from auditnlp.errors import LexiconError
from auditnlp.lexicon import Lexicons, LexiconsLike, as_lexicons

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DISPLAY = "display.yaml"


@dataclass(frozen=True)
class Display:
    """Display words in both languages; `lang` is the one shown first."""

    codes: Mapping[str, Mapping[str, tuple[str, str]]]
    ui_words: Mapping[str, tuple[str, str]]
    headlines: tuple[str, ...]
    categories: Mapping[str, str] = field(default_factory=dict)
    """Category label → Chinese name (``categories.yaml``), in file order."""
    indicators: Mapping[str, str] = field(default_factory=dict)
    """Canonical indicator name → Chinese label (``indicator_names.tsv``)."""
    columns: Mapping[str, str] = field(default_factory=dict)
    """Table column (``problems.kind`` or ``doc_type``) → the code list that translates its values."""
    lang: Lang = "zh"

    def with_labels(self, labels: Mapping[str, str]) -> Display:
        """The same words with more indicator labels (a comparison's, for names it derives itself)."""
        from dataclasses import replace

        extra = {k: v for k, v in labels.items() if v and k not in self.indicators}
        return replace(self, indicators={**self.indicators, **extra}) if extra else self

    def with_lang(self, lang: Lang) -> Display:
        """The same words, shown in `lang` first."""
        from dataclasses import replace

        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r} (choose from {', '.join(LANGS)})")
        return replace(self, lang=lang)

    def code(self, kind: str, value: Any, lang: Lang | None = None) -> str:
        """The label of code `value` of field `kind` (``doc_type``, ``slogan_kind`` …), else the code."""
        if value is None:
            return ""
        key = str(value).lower() if isinstance(value, bool) else str(value)
        pair = self.codes.get(kind, {}).get(key)
        if pair is None:
            return key
        return pair[0] if (lang or self.lang) == "zh" else pair[1]

    def codes_of(self, table: str, column: str) -> str | None:
        """The code list that translates column `column` of table `table` (``None``: not a code column)."""
        return self.columns.get(f"{table}.{column}") or self.columns.get(column)

    def ui(self, key: str, lang: Lang | None = None) -> str:
        """A page word (``reports``, ``matrix`` …)."""
        pair = self.ui_words.get(key)
        if pair is None:
            return key
        return pair[0] if (lang or self.lang) == "zh" else pair[1]

    def pair(self, key: str) -> dict[str, str]:
        """A page word in both languages: ``{"zh": …, "en": …}``."""
        return {"zh": self.ui(key, "zh"), "en": self.ui(key, "en")}

    def category(self, label: str | None, lang: Lang | None = None) -> str:
        """The display name of a category label (``study`` → 学习; English: the label)."""
        if not label:
            return ""
        return self.categories.get(label, label) if (lang or self.lang) == "zh" else label

    def indicator(self, name: str | None, lang: Lang | None = None) -> str:
        """The display name of a canonical indicator (``gdp`` → 地区生产总值; English: the key)."""
        if not name:
            return ""
        return self.indicators.get(name, name) if (lang or self.lang) == "zh" else name


def _pairs(data: Any, where: str, what: str) -> dict[str, tuple[str, str]]:
    if not isinstance(data, dict):
        raise LexiconError(where, f"{what}: expected a mapping of key → [Chinese, English]")
    out = {}
    for key, value in data.items():
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise LexiconError(where, f"{what}.{key}: expected [Chinese, English], found {value!r}")
        out[str(key)] = (value[0], value[1])
    return out


def _build(lexicons: Lexicons) -> Display:
    from auditnlp.classify.taxonomy import load_taxonomy
    from auditnlp.extract.indicators import load_indicator_lexicon

    data = lexicons.yaml_mapping(DISPLAY)
    where = lexicons.where(DISPLAY)
    codes_data = data.get("codes") or {}
    if not isinstance(codes_data, dict):
        raise LexiconError(where, "codes: expected a mapping of field → codes")
    codes = {str(k): _pairs(v, where, f"codes.{k}") for k, v in codes_data.items()}
    headlines = data.get("headlines") or []
    if not isinstance(headlines, list) or not all(isinstance(h, str) for h in headlines):
        raise LexiconError(where, "headlines: expected a list of canonical indicator names")
    columns = data.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) and v in codes for v in columns.values()):
        raise LexiconError(where, "columns: expected a mapping of column → a code list named under codes")
    taxonomy = load_taxonomy(lexicon=lexicons)
    names = load_indicator_lexicon(lexicons).names
    return Display(
        codes=codes,
        ui_words=_pairs(data.get("ui") or {}, where, "ui"),
        headlines=tuple(dict.fromkeys(headlines)),
        categories={c.label: c.name for c in taxonomy.categories},
        indicators={rule.name: rule.label for rule in names if rule.label},
        columns={str(k): v for k, v in columns.items()},
    )


def load_display(lexicon: LexiconsLike = None, lang: Lang = "zh") -> Display:
    """The display words of `lexicon` (a bundle, a folder, or ``None`` for the packaged files)."""
    return as_lexicons(lexicon).part("display", _build).with_lang(lang)
