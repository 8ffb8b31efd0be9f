"""Deprecated: moved to :mod:`auditnlp.corpus.manifest` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.manifest", "auditnlp.corpus.manifest")
