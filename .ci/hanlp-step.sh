#!/usr/bin/env bash
# CI step for the HanLP integration (issue 7), run from .ci/run AFTER the main tests, in the same venv.
# torch first, pinned: that version is a local CPU wheel; letting pip resolve torch pulls GBs of CUDA.
# The test trains a tiny tokenizer on the sample corpus (no download); the whole step takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet torch==2.13.0
python -m pip install --quiet -e ".[hanlp]"
# fail loudly if HanLP does not import (the tests would only be skipped)
python -c "import hanlp, torch; print('hanlp', hanlp.__version__, 'torch', torch.__version__)"
python -m pytest -m hanlp -q
