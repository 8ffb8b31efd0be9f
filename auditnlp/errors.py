"""Errors raised by auditnlp. Each names the file (or input) and the reason in one line."""

from __future__ import annotations


class AuditNLPError(Exception):
    """Base class: an expected failure with a clear message (no traceback needed)."""

    def __init__(self, path: str | None, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


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


class LexiconError(AuditNLPError):
    """A lexicon or rule file is malformed (the message names file and line)."""


class ModelError(AuditNLPError):
    """A classifier model is missing, incompatible or corrupt."""


class OptionsError(AuditNLPError, ValueError):
    """An option names something auditnlp does not know (a stage, a design, an output format)."""

    def __init__(self, reason: str) -> None:
        super().__init__(None, reason)
