#!/usr/bin/env bash
# Regenerates every committed fixture under test/fixtures/ (checkpoints, runtime, tokenizer, forecast,
# mosaic, causal, bolt), re-reads them, cross-checks the runtime fixtures with the NumPy float64 T5, and prints sizes.
# Byte-reproducible on the same kind of machine (see README.md). Needs tools/.venv (tools/setup-venv.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
py="tools/.venv/bin/python"
[ -x "$py" ] || { echo "tools/.venv missing: run tools/setup-venv.sh" >&2; exit 1; }
run() { echo "+ $*" >&2; nice "$py" "$@"; }
run tools/reference/make_checkpoints.py
run tools/reference/make_fixtures.py
run tools/reference/check_numpy_t5.py
run tools/reference/forecast_reference.py
run tools/reference/mosaic_reference.py --fixtures
# Chronos-Bolt's fixtures need chronos-forecasting 2.x (tools/setup-venv.sh --families); skipped without it.
if [ -x tools/.venv-families/bin/python ]; then
  echo "+ tools/.venv-families/bin/python tools/reference/bolt_reference.py" >&2
  nice tools/.venv-families/bin/python tools/reference/bolt_reference.py
  echo "+ tools/.venv-families/bin/python tools/reference/bolt_mosaic_reference.py --fixtures" >&2
  nice tools/.venv-families/bin/python tools/reference/bolt_mosaic_reference.py --fixtures
else
  echo "skipping tools/reference/bolt_reference.py and bolt_mosaic_reference.py: tools/.venv-families missing (tools/setup-venv.sh --families)" >&2
fi
run tools/reference/causal_reference.py
run tools/reference/causal_reference.py --model test/fixtures/checkpoints/t5-relu-untied-f16
"$py" - <<'PY'
import sys
sys.path.insert(0, "tools/reference")
import _common
total = _common.file_size_summary(_common.FIXTURES)
if total >= 4_000_000:
    sys.exit(f"fixtures are {total} bytes: over the 4 MB budget")
PY
