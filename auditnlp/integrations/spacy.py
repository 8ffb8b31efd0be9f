"""spaCy adapter: auditnlp's records as spans on a :class:`~spacy.tokens.Doc`.

The only module of auditnlp that imports spaCy. It holds no extraction logic: the ``auditnlp`` component
calls :func:`auditnlp.analyze_text` on ``doc.text`` and maps every record onto the doc with
``doc.char_span(..., alignment_mode="expand")``, so it works with any tokenizer (spaCy's ``zh`` char or
jieba segmenter, or another language's).

Results:

* ``doc.spans["auditnlp_indicators"]``, ``["auditnlp_slogans"]``, ``["auditnlp_items"]``,
  ``["auditnlp_sections"]``, ``["auditnlp_paragraphs"]`` … (one group per kind in the ``kinds`` config);
* ``span._.auditnlp``: the record as a JSON-compatible dict (``record.to_dict()``) plus ``doc_start`` /
  ``doc_end``, its exact offsets in ``doc.text`` (the record's own ``start``/``end`` point into the
  normalised report text, ``doc._.auditnlp_report["text"]``);
* ``doc._.auditnlp_report``: the whole report as the ``auditnlp.report/1`` dict.

Everything is kept in ``doc.user_data`` as plain dicts, so ``DocBin(store_user_data=True)`` round-trips
it (msgpack turns lists into tuples on the way back).

The factory is registered through the ``spacy_factories`` entry point, so
``spacy.blank("zh").add_pipe("auditnlp")`` works without importing this module.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any, cast

from spacy.language import Language
from spacy.tokens import Doc, Span

KINDS = ("indicators", "slogans", "items", "sections", "paragraphs", "sentences", "problems", "measures")
DEFAULT_KINDS = ["indicators", "slogans", "items", "sections", "paragraphs", "problems", "measures"]
LABELS = {
    "indicators": "INDICATOR",
    "slogans": "SLOGAN",
    "items": "ITEM",
    "sections": "SECTION",
    "paragraphs": "PARAGRAPH",
    "sentences": "SENTENCE",
    "problems": "PROBLEM",
    "measures": "MEASURE",
}
SPAN_PREFIX = "auditnlp_"
STAGES_FOR_KIND = {
    "indicators": ("indicators",),
    "slogans": ("slogans",),
    "problems": ("findings",),
    "measures": ("findings",),
}
"""Analysis stages each kind of span needs (structure always runs; the classifier is never needed here)."""
_RECORD_KEY = "auditnlp.record"
_REPORT_KEY = "auditnlp.report"
RENDER_COLORS = {"INDICATOR": "#ffd166", "SLOGAN": "#9ad0f5"}


def span_key(kind: str) -> str:
    """The ``doc.spans`` key of a record kind (``indicators`` → ``auditnlp_indicators``)."""
    return SPAN_PREFIX + kind


# Records are kept in doc.user_data as JSON strings: msgpack (DocBin) would turn lists into tuples, a JSON
# string comes back exactly, and every access returns a fresh dict that cannot corrupt the stored record.
def _store(doc: Doc) -> dict[Any, Any]:
    """``doc.user_data`` (typed ``dict[str, Any]`` by spaCy, though spaCy itself keys it by tuples)."""
    return cast("dict[Any, Any]", doc.user_data)


def _span_record(span: Span) -> dict[str, Any] | None:
    data = _store(span.doc).get((_RECORD_KEY, span.id_)) if span.id_ else None
    return json.loads(data) if data is not None else None


def _doc_report(doc: Doc) -> dict[str, Any] | None:
    data = _store(doc).get((_REPORT_KEY,))
    return json.loads(data) if data is not None else None


def register_extensions() -> None:
    """Register the read-only ``Span._.auditnlp`` and ``Doc._.auditnlp_report`` (idempotent)."""
    if not Span.has_extension("auditnlp"):
        Span.set_extension("auditnlp", getter=_span_record)
    if not Doc.has_extension("auditnlp_report"):
        Doc.set_extension("auditnlp_report", getter=_doc_report)


class AuditNLPComponent:
    """Pipeline component: analyse ``doc.text`` with auditnlp and add the records as span groups."""

    def __init__(
        self,
        name: str = "auditnlp",
        *,
        kinds: Iterable[str] = DEFAULT_KINDS,
        lexicon_dir: str | None = None,
        store_report: bool = True,
    ) -> None:
        kinds = list(kinds)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown auditnlp kind(s) {unknown}; choose from {list(KINDS)}")
        self.name = name
        self.kinds = kinds
        self.stages = tuple(dict.fromkeys(s for k in kinds for s in STAGES_FOR_KIND.get(k, ())))
        self.lexicon_dir = lexicon_dir
        self.store_report = store_report
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        """Analyse `doc` and return it with the auditnlp span groups set."""
        from auditnlp.errors import InputError
        from auditnlp.pipeline import Options, analyze_text

        try:
            report = analyze_text(doc.text, options=Options(lexicon_dir=self.lexicon_dir, stages=self.stages))
        except InputError:  # nothing to analyse (empty or whitespace-only text): empty groups, no report
            for kind in self.kinds:
                doc.spans[span_key(kind)] = []
            return doc
        for kind in self.kinds:
            group = []
            for index, record in enumerate(getattr(report, kind)):
                start = report.source_offset(record.start)
                end = report.source_offset(record.end - 1) + 1 if record.end > record.start else start
                span_id = f"{span_key(kind)}:{index}"
                span = doc.char_span(start, end, label=LABELS[kind], alignment_mode="expand", span_id=span_id)
                if span is None:  # only whitespace under the record: nothing to point at
                    continue
                data = record.to_dict()
                if kind == "sections":
                    data.pop("text", None)  # the whole section's text: the span has it
                data["doc_start"], data["doc_end"] = start, end
                _store(doc)[(_RECORD_KEY, span_id)] = json.dumps(data, ensure_ascii=False)
                group.append(span)
            doc.spans[span_key(kind)] = group
        if self.store_report:
            _store(doc)[(_REPORT_KEY,)] = json.dumps(report.to_dict(), ensure_ascii=False)
        return doc


@Language.factory(
    "auditnlp",
    default_config={"kinds": DEFAULT_KINDS, "lexicon_dir": None, "store_report": True},
    requires=[],
    assigns=["doc.spans", "doc._.auditnlp_report", "span._.auditnlp"],
)
def make_auditnlp_component(
    nlp: Language, name: str, kinds: list[str], lexicon_dir: str | None, store_report: bool
) -> AuditNLPComponent:
    """spaCy factory of the ``auditnlp`` component (also reached through the entry point)."""
    return AuditNLPComponent(name, kinds=kinds, lexicon_dir=lexicon_dir, store_report=store_report)


def blank_nlp(segmenter: str = "char") -> Language:
    """A blank ``zh`` pipeline (`segmenter` ``char`` or ``jieba``) with the ``auditnlp`` component."""
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": segmenter}}})
    nlp.add_pipe("auditnlp")
    return nlp


def char_doc(nlp: Language, text: str) -> Doc:
    """The tokens spaCy's ``zh`` character segmenter makes of `text`, in linear time: each character a
    token, a single space after a token its trailing space, other whitespace runs tokens of their own."""
    words: list[str] = []
    spaces: list[bool] = []
    pos, end = 0, len(text)
    while pos < end:
        nxt = pos
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if nxt == end:
            break
        if nxt > pos:
            words.append(text[pos:nxt])
            spaces.append(False)
        words.append(text[nxt])
        spaces.append(False)
        pos = nxt + 1
        if pos < end and text[pos] == " ":
            spaces[-1] = True
            pos += 1
    if pos < end:
        words.append(text[pos:])
        spaces.append(False)
    return Doc(nlp.vocab, words=words, spaces=spaces)


def render_html(text: str, *, nlp: Language | None = None, title: str | None = None) -> str:
    """Render `text` as a displaCy HTML page with indicators and slogans highlighted.

    Overlapping records keep the longer one (displaCy's entity view cannot nest). Without `nlp`, a blank
    pipeline is made that takes `text` whatever its length (``auditnlp render`` bounds it, ``--max-chars``).
    """
    from spacy import displacy
    from spacy.util import filter_spans

    if nlp is None:
        nlp = blank_nlp()
        # spaCy's character segmenter aligns each character by slicing the rest of the text (quadratic:
        # 90 s for a million characters), and its 1,000,000 limit guards parsers this pipeline has not:
        # the same tokens are made here in one pass
        doc = nlp(char_doc(nlp, text))
    else:
        doc = nlp(text)
    marked = [
        *doc.spans.get(span_key("indicators"), []),
        *doc.spans.get(span_key("slogans"), []),
    ]
    doc.ents = filter_spans(marked)
    if title:
        doc.user_data["title"] = html.escape(title)  # displaCy shows it as the heading, unescaped
    return displacy.render(
        doc,
        style="ent",
        page=True,
        minify=True,
        options={"colors": RENDER_COLORS, "ents": list(RENDER_COLORS)},
    ).replace("<title>displaCy</title>", f"<title>{html.escape(title or 'auditnlp')}</title>")
