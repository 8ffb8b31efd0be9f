"""The analysis pipeline: decoded document → normalised text → structure → extractors → Report.

Each stage is a pure function of its inputs; :class:`Options` carries the resources (lexicon folder,
which extractors to run) so nothing depends on global state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditnlp.errors import InputError
from auditnlp.extract.meta import find_formula, find_meta, find_title
from auditnlp.io.readers import DEFAULT_MAX_BYTES, RawDocument, iter_documents, read_file
from auditnlp.normalize import normalize
from auditnlp.segment.lists import find_items
from auditnlp.segment.rules import structure_rules
from auditnlp.segment.sections import build_sections, paragraph_spans
from auditnlp.segment.sentences import sentence_spans
from auditnlp.types import Report, Sentence, Source

STAGES = ("structure", "indicators", "slogans", "findings", "classify")


@dataclass(frozen=True, slots=True)
class Options:
    """Analysis options. `lexicon_dir` overrides packaged lexicon files with same-named user files."""

    lexicon_dir: str | None = None
    stages: tuple[str, ...] = STAGES
    text_column: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    model: str | None = None


def analyze_document(doc: RawDocument, options: Options | None = None) -> Report:
    """Analyse one decoded document."""
    options = options or Options()
    rules = structure_rules(options.lexicon_dir)
    norm = normalize(doc.text, lexicon_dir=options.lexicon_dir)
    text = norm.text
    warnings: list[str] = []
    if not text.strip():
        raise InputError(doc.name, "no text left after removing page debris")
    paras = paragraph_spans(text)
    styled = {t: level for t, level in doc.headings if level > 0}
    styled_title = next((t for t, level in doc.headings if level == 0), None)
    title = find_title(text, paras, rules, styled_title)
    salutation = find_formula(text, paras, rules.salutation, head=True)
    closing = find_formula(text, paras, rules.closing, head=False)
    skip = {
        i
        for i, (s, _) in enumerate(paras)
        for span in (title, salutation, closing)
        if span is not None and span.start == s
    }
    meta = find_meta(text, paras, title, salutation, rules, dict(doc.fields))
    sections, paragraphs, headings = build_sections(
        text, rules, styled=styled, skip=skip, doc_type=meta.doc_type
    )
    body_starts = {h.paragraph: h.heading_end for h in headings}
    sentences: list[Sentence] = []
    for para in paragraphs:
        for start, end in sentence_spans(text, para.start, para.end):
            sentences.append(Sentence(len(sentences), para.id, start, end, text[start:end]))
    items = find_items(text, paragraphs, body_starts, rules)
    if meta.unit is None:
        warnings.append("no issuing unit found in the title")
    if meta.year is None:
        warnings.append("no covered year found in the title")
    if len(sections) <= 1:
        warnings.append("no numbered section headings found")
    report = Report(
        source=Source(doc.path, doc.sha256, doc.format, doc.encoding, doc.row),
        meta=meta,
        text=text,
        sections=sections,
        paragraphs=paragraphs,
        sentences=tuple(sentences),
        items=items,
        title=title,
        salutation=salutation,
        closing=closing,
        removed=norm.removed,
        offset_map=norm.offset_map,
        warnings=tuple(warnings),
    )
    return _run_extractors(report, options)


def _run_extractors(report: Report, options: Options) -> Report:
    """Add indicators, slogans, findings and categories (each stage optional, in this order)."""
    stages = set(options.stages)
    lexicons = options.lexicon_dir
    if "indicators" in stages:
        from auditnlp.extract.indicators import extract_indicators, load_indicator_lexicon

        indicators = tuple(extract_indicators(report, lexicon=load_indicator_lexicon(lexicons)))
        report = replace(report, indicators=indicators)
    if "slogans" in stages:
        from auditnlp.extract.slogans import extract_slogans, load_slogan_patterns

        slogans = tuple(extract_slogans(report, patterns=load_slogan_patterns(lexicons)))
        report = replace(report, slogans=slogans)
    if "findings" in stages:
        from auditnlp.extract.findings import extract_findings, load_finding_cues

        problems, measures = extract_findings(report, cues=load_finding_cues(lexicons))
        report = replace(report, problems=problems, measures=measures)
    if "classify" in stages:
        from auditnlp.classify import classify_report

        report = classify_report(report, model=options.model)
    return report


def analyze_text(text: str, *, name: str = "<text>", options: Options | None = None) -> Report:
    """Analyse a report given as a string."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return analyze_document(RawDocument(name, text, "text", digest, None), options)


def analyze(source: str | Path, *, options: Options | None = None) -> Report:
    """Analyse one report: a path to a file, or the report's text itself.

    A string naming an existing file (or ending in a known suffix) is read as a file; any other string
    is analysed as text. A spreadsheet path must hold exactly one row; use :func:`analyze_many` else.
    """
    options = options or Options()
    if isinstance(source, Path) or _looks_like_path(source):
        docs = read_file(source, text_column=options.text_column, max_bytes=options.max_bytes)
        if len(docs) != 1:
            raise InputError(str(source), f"holds {len(docs)} reports; use analyze_many()")
        return analyze_document(docs[0], options)
    return analyze_text(source, options=options)


def _looks_like_path(source: str) -> bool:
    if "\n" in source or len(source) > 1024:
        return False
    return Path(source).exists() or Path(source).suffix.lower() in {".txt", ".docx", ".pdf", ".html", ".csv"}


def analyze_many(
    inputs: Iterable[str | Path], *, options: Options | None = None
) -> Iterator[Report | InputError]:
    """Analyse files, folders and globs; yields a Report per document, or the error of a failing one."""
    options = options or Options()
    for doc in iter_documents(inputs, text_column=options.text_column, max_bytes=options.max_bytes):
        if isinstance(doc, InputError):
            yield doc
            continue
        try:
            yield analyze_document(doc, options)
        except InputError as exc:
            yield exc


def with_meta(report: Report, **fields: Any) -> Report:
    """Return `report` with metadata fields replaced (e.g. from a manifest)."""
    return replace(report, meta=replace(report.meta, **fields))
