"""Deprecated: moved to :mod:`auditnlp.corpus.batch` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.batch", "auditnlp.corpus.batch")
