"""The analysis pipeline: decoded document → normalised text → structure → stages → Report.

Each step is a pure function of its inputs. :class:`Options` names the lexicon folder and the stages to run;
the lexicons themselves are one :class:`~auditnlp.lexicon.Lexicons` bundle, loaded once per folder (and
reloaded when a file in it changes) and handed to every step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import regex

from auditnlp.errors import InputError, OptionsError
from auditnlp.lexicon import Lexicons, load_lexicons
from auditnlp.normalize import normalize
from auditnlp.readers import DEFAULT_MAX_BYTES, RawDocument, iter_documents, read_file
from auditnlp.readers.base import sha256_text
from auditnlp.segment.structure import segment
from auditnlp.types import Report, Source

StageFunction = Callable[[Report, Lexicons, "Options"], Report]


def _indicators(report: Report, lexicon: Lexicons, options: Options) -> Report:
    from auditnlp.extract.indicators import extract_indicators

    return replace(report, indicators=tuple(extract_indicators(report, lexicon=lexicon)))


def _slogans(report: Report, lexicon: Lexicons, options: Options) -> Report:
    from auditnlp.extract.slogans import extract_slogans

    return replace(report, slogans=tuple(extract_slogans(report, lexicon=lexicon)))


def _findings(report: Report, lexicon: Lexicons, options: Options) -> Report:
    from auditnlp.extract.findings import extract_findings

    problems, measures = extract_findings(report, lexicon=lexicon)
    return replace(report, problems=problems, measures=measures)


def _classify(report: Report, lexicon: Lexicons, options: Options) -> Report:
    from auditnlp.classify import classify_report

    return classify_report(report, model=options.model)


STAGES: dict[str, StageFunction] = {
    "indicators": _indicators,
    "slogans": _slogans,
    "findings": _findings,
    "classify": _classify,
}
"""The stages after structure, in the order they run. Structure always runs."""


@dataclass(frozen=True, slots=True)
class Options:
    """Analysis options.

    `lexicon_dir` is a folder of lexicon files overriding the packaged ones (same file names); `stages` the
    stages to run after structure (any of :data:`STAGES`; an unknown name is an :class:`OptionsError`);
    `text_column` the column holding the text in spreadsheet inputs; `max_bytes` the size limit of one
    input; `model` a category model file (``None``: the packaged model).
    """

    lexicon_dir: str | None = None
    stages: tuple[str, ...] = tuple(STAGES)
    text_column: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    model: str | None = None

    def __post_init__(self) -> None:
        stages = tuple(self.stages) if not isinstance(self.stages, str) else (self.stages,)
        # "structure" always runs; older callers listed it explicitly
        stages = tuple(s for s in stages if s != "structure")
        unknown = [s for s in stages if s not in STAGES]
        if unknown:
            raise OptionsError(
                f"unknown stage(s) {', '.join(map(repr, unknown))}; valid stages: {', '.join(STAGES)}"
            )
        object.__setattr__(self, "stages", stages)

    @property
    def lexicon(self) -> Lexicons:
        """The lexicon bundle of :attr:`lexicon_dir` (cached on the folder and its files' mtimes)."""
        return load_lexicons(self.lexicon_dir)


def analyze_document(doc: RawDocument, options: Options | None = None) -> Report:
    """Analyse one decoded document."""
    options = options or Options()
    lexicon = options.lexicon
    norm = normalize(doc.text, lexicon=lexicon, drop=doc.removals)
    text = norm.text
    if not text.strip():
        raise InputError(doc.name, "no text left after removing page debris")
    structure = segment(
        text, lexicon=lexicon, headings=doc.headings, fields=doc.fields, removed=norm.removed, path=doc.path,
        row=doc.row,
    )  # fmt: skip
    report = Report(
        source=Source(doc.path, doc.sha256, doc.format, doc.encoding, doc.row, ocr=doc.ocr),
        meta=structure.meta,
        text=text,
        sections=structure.sections,
        paragraphs=structure.paragraphs,
        sentences=structure.sentences,
        items=structure.items,
        title=structure.title,
        salutation=structure.salutation,
        closing=structure.closing,
        removed=norm.removed,
        offset_map=norm.offset_map,
        warnings=(*doc.warnings, *structure.warnings),
    )
    for name, stage in STAGES.items():
        if name in options.stages:
            report = stage(report, lexicon, options)
    return report


def analyze_text(text: str, *, name: str = "<text>", options: Options | None = None) -> Report:
    """Analyse a report given as a string."""
    return analyze_document(RawDocument(name, text, "text", sha256_text(text), None), options)


_PATH_SUFFIX = regex.compile(r"\.[A-Za-z][A-Za-z0-9]{0,5}$")


def looks_like_path(source: str) -> bool:
    """Whether a string given to :func:`analyze` names a file rather than holding a report's text.

    One line (no line break) that exists, or ends in a file suffix (``.xlsx``, ``.doc``), or holds a path
    separator. Report text that happens to be one line is passed with :func:`analyze_text`.
    """
    if "\n" in source or "\r" in source or len(source) > 4096:
        return False
    if _PATH_SUFFIX.search(source) or "/" in source or "\\" in source:
        return True
    try:
        return Path(source).exists()
    except OSError:
        return False


def analyze(source: str | Path, *, options: Options | None = None) -> Report:
    """Analyse one report: a path to a file, or the report's text itself.

    A string that looks like a path (see :func:`looks_like_path`) is read as a file, and a missing file is
    an :class:`~auditnlp.errors.InputError`; any other string is analysed as text (use
    :func:`analyze_text` to say so explicitly). A spreadsheet path must hold exactly one row; use
    :func:`analyze_many` else.
    """
    options = options or Options()
    if isinstance(source, Path) or looks_like_path(source):
        docs = read_file(source, text_column=options.text_column, max_bytes=options.max_bytes)
        if len(docs) != 1:
            raise InputError(str(source), f"holds {len(docs)} reports; use analyze_many()")
        return analyze_document(docs[0], options)
    return analyze_text(source, options=options)


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
