#!/usr/bin/env bash
# Creates tools/.venv with the pinned Python stack used by tools/reference, tools/train and bench.
#   --families   instead creates tools/.venv-families from requirements-families.txt: the newer
#                chronos-forecasting (Chronos-Bolt, Chronos-2) on transformers 5, for
#                tools/reference/bolt_reference.py; it cannot share tools/.venv's pinned T5 stack.
# Needs only PyPI. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
req="$here/requirements.txt"
if [ "${1:-}" = "--families" ]; then
  venv="$here/.venv-families"
  req="$here/requirements-families.txt"
elif [ -n "${1:-}" ]; then
  echo "usage: $0 [--families]" >&2
  exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet -r "$req"
"$venv/bin/python" -c "import torch, transformers, chronos; print('tools venv ready ($(basename "$venv")): torch', torch.__version__, 'transformers', transformers.__version__)"
