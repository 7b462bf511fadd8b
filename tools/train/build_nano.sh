#!/usr/bin/env bash
# Rebuilds models/chronos-t5-nano from scratch: train, evaluate (Python reference), ablate (our engine),
# write the model card. Needs tools/.venv (tools/setup-venv.sh) and a built CLI (npm run build).
# Extra arguments go to train_nano.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=tools/.venv/bin/python
OUT=models/chronos-t5-nano
"$PY" tools/train/train_nano.py --out "$OUT" "$@"
"$PY" tools/train/evaluate.py "$OUT" --json "$OUT/evaluation.json"
node dist/cli.js ablate --model "$OUT" --top 3 --controls 100 --json --no-cache > "$OUT/ablation.json.tmp"
mv "$OUT/ablation.json.tmp" "$OUT/ablation.json"
"$PY" tools/train/model_card.py "$OUT"
