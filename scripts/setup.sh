#!/usr/bin/env bash
# Installs everything Chronos Lens needs on a fresh Debian machine, idempotently:
#   - Debian packages: Chromium (webview and end-to-end tests), fonts, the headers code-server's
#     native modules build against, and slurm-wlm + munge for the sweep test (only with --full);
#   - npm dependencies (onnxruntime-node's CUDA download stays skipped: see .npmrc);
#   - with --full: the end-to-end toolchain (Node 24 + code-server in .tools/, see scripts/setup-e2e.sh);
#   - the bundles in dist/.
# Usage: scripts/setup.sh [--full]
set -euo pipefail
cd "$(dirname "$0")/.."
full=0
[ "${1:-}" = "--full" ] && full=1

need_apt=()
if [ "$full" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  dpkg -s fonts-liberation >/dev/null 2>&1 || need_apt+=(fonts-liberation)
  for p in libkrb5-dev libxkbfile-dev libsecret-1-dev; do dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p"); done
  # A single-node Slurm for the sweep test (test/unit/sweep/slurm.test.ts starts it: scripts/start-slurm.sh).
  for p in slurm-wlm munge; do dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p"); done
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$full" = 1 ] && [ -x scripts/setup-e2e.sh ]; then
  scripts/setup-e2e.sh
fi

node scripts/build.mjs
