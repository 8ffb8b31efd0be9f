"""Deprecated: moved to :mod:`auditnlp.writers.tables` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.io.tables", "auditnlp.writers.tables")
