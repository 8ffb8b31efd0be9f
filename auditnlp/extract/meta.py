"""Deprecated: moved to :mod:`auditnlp.segment.meta` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.extract.meta", "auditnlp.segment.meta")
