"""The ``auditnlp`` console script: process settings that must come before numpy loads, then the CLI.

One BLAS thread unless the user's environment says otherwise (``OPENBLAS_NUM_THREADS``): the toolkit's
numpy work is small arrays, where OpenBLAS's thread pool only costs its start (≈ 50 ms of a 0.5 s
``analyze``) and, in ``compare``, oversubscribes the worker processes (which inherit the setting). Only the
command line does this; importing :mod:`auditnlp` as a library changes nothing in the caller's process.
"""

from __future__ import annotations

import os


def main() -> None:
    """Console-script entry point (see the module docstring)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from auditnlp.cli import main as cli_main

    cli_main()
