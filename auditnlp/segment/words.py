"""Deprecated: moved to :mod:`auditnlp.tokenizer` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.segment.words", "auditnlp.tokenizer")
