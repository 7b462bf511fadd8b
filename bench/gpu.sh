#!/usr/bin/env bash
# ONNX Runtime's CUDA provider against its CPU provider, on a Linux machine with an NVIDIA GPU:
#   1. stages the CUDA provider for the bundled onnxruntime-node from NuGet (chronos-lens models gpu
#      --install, checksum-verified); when the CUDA 12 / cuDNN 9 runtime libraries are not on the library
#      path, installs NVIDIA's wheels from PyPI into bench/.work/gpu/cuda-libs (skip: GPU_SH_NO_PIP=1);
#   2. makes random-weight checkpoints at the real chronos-t5 configs (bench/make-checkpoint.ts, no Python);
#   3. runs the reference mosaic (100 x 22 tokens, cross) and a forecast (ctx 512, 64 steps, 20 samples,
#      seed 0: both providers draw from the same random stream, so their paths differ only where a logit
#      difference moves a draw across a bin boundary, which the check would report) on CUDA and on CPU,
#      checks CUDA against CPU to 1e-3
#      (bench/compare-json.ts), and prints whole-process and warm in-process timings per config.
# Budget: under 8 minutes; a config that would start after 6 minutes is skipped, and said so.
#
#   bench/gpu.sh                    # small, base, large
#   SIZES=small,base bench/gpu.sh
# Exit status: 0 all compared configs agree, 1 a mismatch or failure, 2 no NVIDIA GPU here.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
SIZES=${SIZES:-small,base,large}
WORK=${WORK:-bench/.work/gpu}
BUDGET_START_S=${BUDGET_START_S:-360}
# PROVIDERS=cpu runs the CPU half alone (no GPU needed, nothing compared): a check of the script itself.
PROVIDERS=${PROVIDERS:-cpu cuda}

say() { echo "gpu.sh: $*" >&2; }

gpu=yes
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU ' || gpu=no
if [ "$gpu" = no ] && [ "$PROVIDERS" != cpu ]; then
  say "no NVIDIA GPU here (nvidia-smi is missing or lists no GPU); nothing measured. Run it on a Linux machine with an NVIDIA GPU and a CUDA 12 driver."
  exit 2
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  say "the CUDA provider for onnxruntime-node is staged for Linux x64 only; this is $(uname -s)-$(uname -m)."
  exit 2
fi
[ "$gpu" = no ] || nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu.sh: GPU: /' >&2

mkdir -p "$WORK"
[ -d node_modules ] || { say "installing node_modules (npm ci)"; npm ci --no-audit --no-fund >&2; }
[ -f dist/cli.js ] || { say "building dist/ (npm run build)"; npm run -s build >&2; }

# 1. the CUDA provider, next to a staged copy of onnxruntime-node
export CHRONOS_LENS_GPU_DIR=${CHRONOS_LENS_GPU_DIR:-$PWD/$WORK/ort}
if [ "$PROVIDERS" != cpu ]; then
node dist/cli.js models gpu --install >&2
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1" || { [ -n "${LD_LIBRARY_PATH:-}" ] && find ${LD_LIBRARY_PATH//:/ } -maxdepth 1 -name "$1*" 2>/dev/null | grep -q .; }; }
if ! have_lib libcudnn.so.9 || ! have_lib libcublasLt.so.12 || ! have_lib libcufft.so.11; then
  if [ -z "${GPU_SH_NO_PIP:-}" ] && command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
    say "CUDA 12 / cuDNN 9 runtime libraries not found: installing NVIDIA's wheels from PyPI into $WORK/cuda-libs"
    python3 -m pip install -q --target "$WORK/cuda-libs" nvidia-cuda-runtime-cu12 nvidia-cublas-cu12 nvidia-cudnn-cu12 nvidia-cufft-cu12 nvidia-curand-cu12 >&2
    for d in "$PWD/$WORK"/cuda-libs/nvidia/*/lib; do LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; done
    export LD_LIBRARY_PATH
  else
    say "CUDA 12 / cuDNN 9 runtime libraries not found and pip is not available (or GPU_SH_NO_PIP is set); the CUDA runs will fall back and be reported as failures."
  fi
fi
fi

# 2. inputs: the bench's series (run.ts makes the same one) and checkpoints
CSV=$WORK/series.csv
node -e '
const rows = ["date,value"], t0 = Date.UTC(2020, 0, 1);
for (let i = 0; i < 600; i++) {
  const v = 100 + 10 * Math.sin((2 * Math.PI * i) / 24) + 4 * Math.sin((2 * Math.PI * i) / 168) + 0.05 * i + 3 * Math.sin(i * 12.9898);
  rows.push(new Date(t0 + i * 3600e3).toISOString().slice(0, 19).replace("T", " ") + "," + v.toFixed(3));
}
require("fs").writeFileSync(process.argv[1], rows.join("\n") + "\n");' "$CSV"
CACHE=$PWD/$WORK/graph-cache
# the reference mosaic's token batch (100 x 22, seed 1911), saved for the in-process warm runs
node dist/cli.js mosaic --kind cross --save-tokens "$WORK/tokens.json" --json > /dev/null

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
status=0
summary=()
for size in ${SIZES//,/ }; do
  if (( SECONDS - start > BUDGET_START_S )); then
    say "skipping $size: ${BUDGET_START_S}s of the budget are spent"
    summary+=("$size: skipped (time budget)")
    continue
  fi
  model=$(node --import tsx bench/make-checkpoint.ts --size "$size" --out bench/checkpoints)
  for p in $PROVIDERS; do
    mosaic=(node dist/cli.js mosaic --model "$model" --kind cross --json --provider "$p" --cache-dir "$CACHE")
    forecast=(node dist/cli.js forecast "$CSV" --column value --model "$model" --prediction-length 64 --samples 20 --seed 0 --json --provider "$p" --cache-dir "$CACHE")
    "${mosaic[@]}" > "$WORK/$size-$p-mosaic.json" 2> "$WORK/$size-$p-mosaic.err" || true # first run: builds the graph
    t0=$(now); "${mosaic[@]}" > "$WORK/$size-$p-mosaic.json" 2> "$WORK/$size-$p-mosaic.err" || { say "$size $p mosaic failed: $(tail -n 3 "$WORK/$size-$p-mosaic.err")"; status=1; }; t1=$(now)
    "${forecast[@]}" > "$WORK/$size-$p-forecast.json" 2> "$WORK/$size-$p-forecast.err" || { say "$size $p forecast failed: $(tail -n 3 "$WORK/$size-$p-forecast.err")"; status=1; }; t2=$(now)
    used=$(node -e 'try { const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(j.manifest?.executionProvider ?? "?") } catch { console.log("none") }' "$WORK/$size-$p-mosaic.json")
    if [ "$used" != "$p" ]; then say "$size: asked for $p, ran on $used: $(grep -i -m1 'fall\|cuda' "$WORK/$size-$p-mosaic.err" || true)"; status=1; fi
    warm=$(node --import tsx bench/ours.ts mosaic --model "$model" --tokens "$WORK/tokens.json" --repeat 4 --provider "$p" --cache-dir "$CACHE" 2>/dev/null | tail -n 1 | node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8")); const r = j.runs_s.slice(1).sort((a, b) => a - b); console.log(r[1].toFixed(3))' || echo "?")
    line="$size $p: mosaic whole $(secs "$t0" "$t1") s, warm $warm s; forecast whole $(secs "$t1" "$t2") s"
    say "$line"
    summary+=("$line")
  done
  [ "$PROVIDERS" = cpu ] && continue
  for what in mosaic forecast; do
    if r=$(node --import tsx bench/compare-json.ts "$WORK/$size-cuda-$what.json" "$WORK/$size-cpu-$what.json" --tol 1e-3); then summary+=("$size $what CUDA vs CPU: $r"); else summary+=("$size $what CUDA vs CPU: $r"); status=1; fi
  done
done
echo "gpu.sh: $([ "$gpu" = no ] && echo 'no GPU' || nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1), $(nproc) CPU cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $((SECONDS - start)) s in all"
printf '%s\n' "${summary[@]}"
exit $status
