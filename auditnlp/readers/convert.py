"""LibreOffice as a converter: old and foreign office formats → .docx, in a private temporary folder.

``soffice --headless --convert-to docx`` runs with its own throw-away profile (so it never touches, or
waits for, a user's running LibreOffice), without standard input, under a time limit after which its whole
process group is killed. The file is found as ``soffice`` or ``libreoffice`` on ``PATH``, or named by the
environment variable ``AUDITNLP_SOFFICE``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from auditnlp.errors import ConverterMissingError, CorruptDocumentError

DEFAULT_TIMEOUT = 120.0
"""Seconds one conversion may take before LibreOffice is stopped."""


def soffice() -> str | None:
    """The LibreOffice program to run, or ``None`` when it is not installed."""
    named = os.environ.get("AUDITNLP_SOFFICE")
    if named:
        return named if Path(named).exists() or shutil.which(named) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def missing(name: str, what: str) -> ConverterMissingError:
    """The error for a file that only LibreOffice reads here, saying what to do."""
    return ConverterMissingError(
        name,
        f"reading {what} needs LibreOffice: install LibreOffice (soffice on PATH, or AUDITNLP_SOFFICE) "
        "or save the file as .docx",
    )


def convert(
    data: bytes, name: str, suffix: str, *, target: str = "docx", timeout: float = DEFAULT_TIMEOUT
) -> bytes:
    """Convert a file's bytes (of type `suffix`, like ``.doc``) to `target` with LibreOffice.

    Raises :class:`~auditnlp.errors.ConverterMissingError` when LibreOffice is not installed and
    :class:`~auditnlp.errors.CorruptDocumentError` when it cannot convert the file in `timeout` seconds.
    """
    program = soffice()
    if program is None:
        raise missing(name, suffix)
    with tempfile.TemporaryDirectory(prefix="auditnlp-soffice-") as tmp:
        folder = Path(tmp)
        source = folder / f"input{suffix}"
        source.write_bytes(data)
        out = folder / "out"
        command = [
            program,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--nologo",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, "HOME": tmp},
        )
        try:
            _stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise CorruptDocumentError(
                name, f"LibreOffice did not convert the file within {timeout:g} s"
            ) from None
        finally:
            _kill(process)
        result = out / f"input.{target.split(':', 1)[0]}"
        if not result.exists():
            detail = stderr.decode("utf-8", "replace").strip().splitlines()
            last = next((line for line in reversed(detail) if "javaldx" not in line), "")
            raise CorruptDocumentError(
                name, f"LibreOffice cannot convert the file to .{target}" + (f": {last}" if last else "")
            )
        return result.read_bytes()


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop what is left of the conversion's process group (soffice starts soffice.bin as a child)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
