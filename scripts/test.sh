#!/usr/bin/env bash
# The one test command (README, CI): sets up a fresh machine, then runs every suite
# (typecheck, lint, unit, webview in headless Chromium, end-to-end in a real VS Code).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --full
npm test
