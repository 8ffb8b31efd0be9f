"""Shared fixtures: paths to the bundled sample corpus and to ../shared (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpora" / "samples"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
GOV = SHARED / "corpora" / "gov-reports"
SEED_000 = SEEDS / "000_626403d7295463b3.txt"
SEED_004 = SEEDS / "004_d1be7ec792aabf41.txt"

needs_shared = pytest.mark.skipif(
    not GOV.exists() or not SEEDS.exists(),
    reason="../shared (seeds and gov-reports corpus) is not beside this checkout; only CI and developers have it",
)


def sample_files() -> list[Path]:
    """The bundled sample reports (not the manifest, README or build script)."""
    return sorted(
        p for p in SAMPLES.iterdir() if p.suffix in {".txt", ".docx"} and not p.name.startswith(("_", "."))
    )
