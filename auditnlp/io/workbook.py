"""Deprecated: moved to :mod:`auditnlp.writers.workbook` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.io.workbook", "auditnlp.writers.workbook")
