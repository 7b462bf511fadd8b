#!/usr/bin/env bash
# Creates tools/.venv with the pinned Python stack used by tools/reference, tools/train and bench.
# Needs only PyPI. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet --upgrade pip
"$here/.venv/bin/pip" install --quiet -r "$here/requirements.txt"
"$here/.venv/bin/python" -c "import torch, transformers, chronos; print('tools venv ready: torch', torch.__version__, 'transformers', transformers.__version__)"
