"""The analysis pipeline: decoded document → normalised text → structure → stages → Report.

Each step is a pure function of its inputs. :class:`Options` names the lexicon folder and the stages to run;
the lexicons themselves are one :class:`~auditnlp.lexicon.Lexicons` bundle, loaded once per folder (and
reloaded when a file in it changes) and handed to every step.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import regex

from auditnlp.errors import AnalysisError, InputError, LexiconError, ModelError, OptionsError, TimeLimitError
from auditnlp.lexicon import Lexicons, load_lexicons
from auditnlp.normalize import normalize
from auditnlp.readers import DEFAULT_MAX_BYTES, Limits, RawDocument, iter_documents, read_file
from auditnlp.readers.base import (
    DEFAULT_MAX_COLUMNS,
    DEFAULT_MAX_PAGES,
    DEFAULT_MAX_PARTS,
    DEFAULT_MAX_ROWS,
    sha256_text,
)
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


DEFAULT_TIMEOUT = 600.0
"""Seconds the analysis of one document may take in a batch before it is given up (``--timeout``)."""

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
    input and of the text read from it; `model` a category model file (``None``: the packaged model).
    The other ``max_*`` fields bound what a container may expand to (see
    :class:`~auditnlp.readers.base.Limits`); `timeout` is the time limit in seconds for the analysis of
    one document in :func:`analyze_many` and batch runs (``None``: no limit).
    """

    lexicon_dir: str | None = None
    stages: tuple[str, ...] = tuple(STAGES)
    text_column: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    model: str | None = None
    max_unzipped_bytes: int | None = None
    max_parts: int = DEFAULT_MAX_PARTS
    max_pages: int = DEFAULT_MAX_PAGES
    max_rows: int = DEFAULT_MAX_ROWS
    max_columns: int = DEFAULT_MAX_COLUMNS
    timeout: float | None = DEFAULT_TIMEOUT

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

    @property
    def limits(self) -> Limits:
        """What one input may expand to (the ``max_*`` fields)."""
        return Limits(
            max_bytes=self.max_bytes,
            max_unzipped_bytes=self.max_unzipped_bytes,
            max_parts=self.max_parts,
            max_pages=self.max_pages,
            max_rows=self.max_rows,
            max_columns=self.max_columns,
        )


@functools.lru_cache(maxsize=1)
def _default_options() -> Options:
    """The default :class:`Options` (frozen, so one instance serves every call; building one validates
    its stages, ≈ 10 µs a document)."""
    return Options()


def analyze_document(doc: RawDocument, options: Options | None = None) -> Report:
    """Analyse one decoded document."""
    options = options or _default_options()
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
    options = options or _default_options()
    if isinstance(source, Path) or looks_like_path(source):
        docs = read_file(source, text_column=options.text_column, limits=options.limits)
        if len(docs) != 1:
            raise InputError(str(source), f"holds {len(docs)} reports; use analyze_many()")
        return analyze_document(docs[0], options)
    return analyze_text(source, options=options)


def analyze_many(
    inputs: Iterable[str | Path], *, options: Options | None = None
) -> Iterator[Report | InputError]:
    """Analyse files, folders and globs; yields a Report per document, or the error of a failing one."""
    options = options or _default_options()
    for doc in iter_documents(inputs, text_column=options.text_column, limits=options.limits):
        if isinstance(doc, InputError):
            yield doc
        else:
            yield analyze_isolated(doc, options)


def analyze_isolated(doc: RawDocument, options: Options) -> Report | InputError:
    """Analyse one document of a batch: its report, or the error that ends its analysis alone.

    A bug in an extractor is an :class:`~auditnlp.errors.AnalysisError` and an analysis that takes longer
    than ``options.timeout`` a :class:`~auditnlp.errors.TimeLimitError`; a broken lexicon folder or model
    (:class:`~auditnlp.errors.LexiconError`, :class:`~auditnlp.errors.ModelError`) is raised: it would fail
    every document.
    """
    try:
        with time_limit(options.timeout, doc.name):
            return analyze_document(doc, options)
    except (InputError, LexiconError, ModelError) as exc:
        if isinstance(exc, InputError):
            return exc
        raise
    except RecursionError:
        return AnalysisError(doc.name, "analysis failed: the text is nested too deeply")
    except Exception as exc:  # a bug in one extractor must not end the batch
        return AnalysisError(doc.name, f"analysis failed: {type(exc).__name__}: {exc}")


class _Expired(BaseException):
    """Raised by the timer inside the analysis (a BaseException: ``except Exception`` does not stop it)."""


@contextlib.contextmanager
def time_limit(seconds: float | None, name: str) -> Iterator[None]:
    """Raise :class:`~auditnlp.errors.TimeLimitError` naming `name` when the block runs past `seconds`.

    In the main thread of a POSIX process (the CLI, each local worker process of a batch) it uses SIGALRM,
    and a timer set by the caller is put back with the time it has left; in another thread (a Dask
    worker runs its tasks in threads) a timer thread raises the error in the analysing thread. Either
    way the error is raised between two Python steps, as soon as the running one returns. With `seconds`
    ``None`` or 0 the block runs without a limit.
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        with _thread_time_limit(seconds, name):
            yield
        return
    state = {"active": True}

    def expired(signum: int, frame: Any) -> None:
        if state["active"]:
            raise _Expired

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expired)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise TimeLimitError(
            name, f"the analysis took longer than {seconds:g} s (raise the limit with --timeout)"
        ) from None
    finally:
        state["active"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.001))


@contextlib.contextmanager
def _thread_time_limit(seconds: float, name: str) -> Iterator[None]:
    """:func:`time_limit` for a thread that is not the main one: a timer thread raises :class:`_Expired`
    in this thread (``PyThreadState_SetAsyncExc``); a raise pending when the block ends is withdrawn."""
    import ctypes

    ident = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    state = {"active": True, "fired": False}

    def expire() -> None:
        with lock:
            if state["active"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ident, ctypes.py_object(_Expired))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    try:
        try:
            timer.start()
            yield
        finally:
            with lock:
                state["active"] = False
            timer.cancel()
            if state["fired"]:  # raised already, or still pending: withdraw it
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ident, None)
    except _Expired:
        raise TimeLimitError(
            name, f"the analysis took longer than {seconds:g} s (raise the limit with --timeout)"
        ) from None


def check_options(options: Options) -> None:
    """Raise the error of a broken lexicon folder or model now, before a batch starts, by analysing a
    small report with `options` (it also loads what the workers of a batch inherit)."""
    analyze_text(PROBE_TEXT, options=options)


PROBE_TEXT = """某某区审计局2024年工作总结
一、工作开展情况
全年完成审计项目27个，查出违规金额2377.2万元，坚持“第一议题”制度。
二、存在的问题
（一）审计整改跟踪不够及时。
三、2025年工作计划
一是加强学习；二是强化监督。
"""
"""A small report that exercises every stage: analysed to load lexicons and the model before a batch
(:func:`check_options`, and the warm-up of batch workers)."""
