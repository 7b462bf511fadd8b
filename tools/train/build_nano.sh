#!/usr/bin/env bash
# Rebuilds models/chronos-t5-nano from scratch: train (two stages), evaluate (Python reference), ablate (our
# engine), write the model card. Needs tools/.venv (tools/setup-venv.sh) and a built CLI (npm run build).
# About 85 minutes on one core of a 2-core machine.
#
# Stage 1 (the train_nano.py defaults, ~34 min): the drift-parroting curriculum that forms the induction heads,
# then a mix of short and long batches. Stage 2 (~50 min) continues from stage 1's weights on long batches that
# are mostly noisy periodic series, for the forecasts (the heads stay); half of them are start batches (only the
# first 8 future values), so that the model learns where the context ends before its first forecast step.
# Extra arguments go to stage 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=tools/.venv/bin/python
OUT=models/chronos-t5-nano
WORK=tools/train/.work
"$PY" tools/train/train_nano.py --out "$WORK/stage1" "$@"
"$PY" tools/train/train_nano.py --init "$WORK/stage1" --out "$OUT" \
  --phase1-steps 0 --steps 10000 --seed 14 --p-short 0.05 --p-long-periodic 0.9 --p-long-parrot 0.05 --lr 3e-3 \
  --p-start 0.5 --start-future 8 --pool-size 300 --val-every 500 --eval-every 500
"$PY" tools/train/evaluate.py "$OUT" --json "$OUT/evaluation.json"
node dist/cli.js ablate --model "$OUT" --top 3 --controls 100 --json --no-cache > "$OUT/ablation.json.tmp"
mv "$OUT/ablation.json.tmp" "$OUT/ablation.json"
"$PY" tools/train/model_card.py "$OUT"
"$PY" tools/reference/mosaic_reference.py --model "$OUT" \
  --tokens test/fixtures/mosaic/tokens-rrt-b100-sl10-r2-seed1911.json --out test/fixtures/mosaic/mosaic-chronos-t5-nano.json
