#!/usr/bin/env bash
# Rebuilds models/chronos-t5-nano from scratch: train (four stages), evaluate (Python reference), ablate (our
# engine), write the model card. Needs tools/.venv (tools/setup-venv.sh) and a built CLI (npm run build).
# About 85 minutes of training on a 2-core machine, on two torch threads (stages 1 and 2 gave byte-identical weights
# on one thread, 1.4-1.6x slower).
#
# Stage 1 (the train_nano.py defaults plus finer relative positions, ~23 min): the drift-parroting curriculum that
# forms the induction heads, then a mix of short and long batches. 128 relative-attention buckets up to distance 256
# (T5's default is 32 up to 128) let the encoder tell apart exact distances up to 31, so it can look exactly one
# season back for periods like 12 and 24. Stage 2 (~33 min) continues from stage 1's weights on long batches that
# are mostly noisy periodic series, for the forecasts (the heads stay); half of them are start batches (only the
# first 8 future values), so that the model learns where the context ends before its first forecast step.
# Stage 3 (~21 min) continues at half the learning rate with 20 % short drift-parroting batches (5 % in stage 2).
# After it all 8 cross-attention heads are induction heads that do the same job, so zero-ablating the top 3 hurts
# no more than ablating 3 others. Stage 4 (~6 min) trains on noisy periodic series only, with no copying task at
# all: the copying that the forecasts do not need fades from most heads, and the ones that keep it are the ones
# the induction loss depends on.
# NANO_THREADS (default 2) goes to every stage, and NANO_DEVICE (cuda, cuda:N or auto) too when it is set, for a
# GPU run; extra arguments go to stage 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=tools/.venv/bin/python
OUT=models/chronos-t5-nano
WORK=tools/train/.work
RUN=(--threads "${NANO_THREADS:-2}")
if [[ -n "${NANO_DEVICE:-}" ]]; then RUN+=(--device "$NANO_DEVICE"); fi
"$PY" tools/train/train_nano.py --out "$WORK/stage1" --rel-buckets 128 --rel-max-distance 256 "${RUN[@]}" "$@"
"$PY" tools/train/train_nano.py --init "$WORK/stage1" --out "$WORK/stage2" \
  --phase1-steps 0 --steps 10000 --seed 14 --p-short 0.05 --p-long-periodic 0.9 --p-long-parrot 0.05 --lr 3e-3 \
  --p-start 0.5 --start-future 8 --pool-size 300 --val-every 500 --eval-every 500 "${RUN[@]}"
"$PY" tools/train/train_nano.py --init "$WORK/stage2" --out "$WORK/stage3" \
  --phase1-steps 0 --steps 7000 --seed 22 --p-short 0.2 --p-long-periodic 0.9 --p-long-parrot 0.05 --lr 1.5e-3 \
  --p-start 0.5 --start-future 8 --pool-size 300 --val-every 1000 --eval-every 1000 "${RUN[@]}"
"$PY" tools/train/train_nano.py --init "$WORK/stage3" --out "$OUT" \
  --phase1-steps 0 --steps 2000 --seed 51 --p-short 0 --p-long-periodic 1.0 --p-long-parrot 0 --lr 1e-3 \
  --p-start 0.5 --start-future 8 --pool-size 300 --val-every 1000 --eval-every 1000 "${RUN[@]}"
"$PY" tools/train/evaluate.py "$OUT" --json "$OUT/evaluation.json"
node dist/cli.js ablate --model "$OUT" --top 3 --controls 100 --json --no-cache > "$OUT/ablation.json.tmp"
mv "$OUT/ablation.json.tmp" "$OUT/ablation.json"
"$PY" tools/train/model_card.py "$OUT"
"$PY" tools/reference/mosaic_reference.py --model "$OUT" \
  --tokens test/fixtures/mosaic/tokens-rrt-b100-sl10-r2-seed1911.json --out test/fixtures/mosaic/mosaic-chronos-t5-nano.json
