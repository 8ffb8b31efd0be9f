"""Errors raised by auditnlp. Each names the file (or input) and the reason in one line."""

from __future__ import annotations

_MAX_REASON = 400
"""Characters of a reason kept in a message (a library's error can quote a whole XML node)."""


def one_line(text: str, limit: int = _MAX_REASON) -> str:
    """`text` on one line: line breaks and runs of whitespace become one space; cut at `limit` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _display(path: str) -> str:
    """A path as shown in a message: control characters (a line break in a file name) escaped."""
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        return path.encode("unicode_escape").decode("ascii")
    return path


class AuditNLPError(Exception):
    """Base class: an expected failure with a clear one-line message (no traceback needed)."""

    def __init__(self, path: str | None, reason: str) -> None:
        self.path = path
        self.reason = one_line(reason)
        super().__init__(f"{_display(str(path))}: {self.reason}" if path else self.reason)


class InputError(AuditNLPError):
    """The input cannot be read as a report (missing, empty, binary, too large, unsupported)."""


class MissingInputError(InputError):
    """No such file, or a pattern that matches no file."""


class EmptyDocumentError(InputError):
    """The file holds no text."""


class BinaryFileError(InputError):
    """The file is binary, not text."""


class EncodingDetectionError(InputError):
    """No supported encoding decodes the file to plausible text."""


class CorruptDocumentError(InputError):
    """A .docx/.pdf/.xlsx file that its reader cannot open."""


class FileTooLargeError(InputError):
    """The file is larger than the configured limit."""


class UnsupportedFormatError(InputError):
    """The file extension is not one auditnlp reads."""


class ConverterMissingError(UnsupportedFormatError):
    """A format auditnlp reads only through a tool or extra that is not installed (LibreOffice, ``ocr``)."""


class SkippedInputError(InputError):
    """A file left out on purpose (README, manifest, hidden or temporary file): listed, not a failure."""


class DuplicateInputError(InputError):
    """A file reached twice (by two inputs or through a link): analysed once, the second listed."""


class LinkError(InputError):
    """A link whose target is missing, or a folder link that loops back into its own tree."""


class LimitError(FileTooLargeError):
    """A container expands past a limit (unzipped size, parts, pages, rows, columns); the message names
    the option that raises the limit."""


class AnalysisError(InputError):
    """The analysis of one document failed (a bug in an extractor); the batch goes on without it."""


class TimeLimitError(AnalysisError):
    """The analysis of one document took longer than the per-file time limit."""


class OutputError(AuditNLPError):
    """An output cannot or must not be written (over an input, unwritable, a folder for a file …)."""


class LexiconError(AuditNLPError):
    """A lexicon or rule file is malformed (the message names file and line)."""


class ModelError(AuditNLPError):
    """A classifier model is missing, incompatible or corrupt."""


class OptionsError(AuditNLPError, ValueError):
    """An option names something auditnlp does not know (a stage, a design, an output format)."""

    def __init__(self, reason: str) -> None:
        super().__init__(None, reason)
