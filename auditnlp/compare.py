"""Deprecated: moved to :mod:`auditnlp.corpus.compare` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.compare", "auditnlp.corpus.compare")
