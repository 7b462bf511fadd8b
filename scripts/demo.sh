#!/usr/bin/env bash
# The main job on the bundled model, on a fresh machine: installs what the CLI needs, then computes
# the induction mosaic of the bundled chronos-t5-nano model (reference protocol) and a forecast of a
# sample CSV, writing mosaic.html / mosaic.json next to this repository's root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
node dist/cli.js info
node dist/cli.js mosaic --csv samples/repeated-motif.csv --out mosaic.html
node dist/cli.js mosaic --json --out mosaic.json >/dev/null
echo "wrote mosaic.html and mosaic.json"
node dist/cli.js forecast samples/repeated-motif.csv --prediction-length 16
