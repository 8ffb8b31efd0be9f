"""Readers: files, folders and globs → decoded documents (the bottom layer of auditnlp).

``.txt`` in any common encoding, ``.docx``, ``.pdf`` (text layer), ``.html``, and rows of ``.csv``/``.tsv``/
``.xlsx``/``.jsonl``. The suffixes are in one table, :data:`~auditnlp.readers.base.FORMATS`.
"""

from auditnlp.readers.base import DEFAULT_MAX_BYTES, FORMATS, Limits, RawDocument
from auditnlp.readers.files import iter_file, read_file
from auditnlp.readers.inputs import expand_input, expand_inputs, iter_documents, read_documents, read_path

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "Limits",
    "RawDocument",
    "expand_input",
    "expand_inputs",
    "iter_documents",
    "iter_file",
    "read_documents",
    "read_file",
    "read_path",
]
