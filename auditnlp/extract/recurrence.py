"""Deprecated: moved to :mod:`auditnlp.corpus.recurrence` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.extract.recurrence", "auditnlp.corpus.recurrence")
