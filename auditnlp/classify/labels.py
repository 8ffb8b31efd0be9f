"""Deprecated: moved to :mod:`auditnlp.training.labels` (this re-export is kept for one release)."""

from auditnlp._compat import moved

__getattr__ = moved("auditnlp.classify.labels", "auditnlp.training.labels")
