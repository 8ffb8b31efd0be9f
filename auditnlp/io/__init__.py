"""Deprecated: moved to :mod:`auditnlp.readers` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.io", "auditnlp.readers")
