"""Re-exports for modules that moved (kept for one release, each access warns)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def moved(old: str, new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` forwarding every name of `old` to the module `new`, with a warning."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        import importlib
        import warnings

        warnings.warn(
            f"{old} moved to {new}; import {name} from there ({old} will be removed in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(new), name)

    return __getattr__
