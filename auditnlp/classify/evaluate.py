"""Deprecated: moved to :mod:`auditnlp.training.evaluate` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.classify.evaluate", "auditnlp.training.evaluate")
