"""The TransformerLens-style activation-patching loop (one hooked transformers forward per patched
component, fp32, CPU) on the pairs bench/patching.ts writes: the same per-head and per-residual-position
maps as `chronos-lens patch --maps heads,resid`. Prints {"seconds": ..., "runs": ...} as JSON.

Usage: tools/.venv/bin/python bench/python/patching_baseline.py MODEL_DIR PAIRS.json
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "reference"))

from _common import load_t5_float32, setup_torch  # noqa: E402
from causal_reference import patch_pair  # noqa: E402


def main() -> None:
    setup_torch()
    model = load_t5_float32(Path(sys.argv[1]))
    pairs = json.loads(Path(sys.argv[2]).read_text())
    cfg = model.config
    patch_pair(model, cfg, pairs[0]["clean"], pairs[0]["corrupted"], pairs[0]["decoder"], pairs[0]["labels"], [])  # warm-up
    t0 = time.perf_counter()
    for p in pairs:
        patch_pair(model, cfg, p["clean"], p["corrupted"], p["decoder"], p["labels"], [])
    dt = time.perf_counter() - t0
    H, Le, Ld = cfg.num_heads, cfg.num_layers, cfg.num_decoder_layers
    te, td = len(pairs[0]["clean"]), len(pairs[0]["decoder"])
    runs = len(pairs) * ((Le + 2 * Ld) * H + (Le + 1) * te + (Ld + 1) * td + 2)
    print(json.dumps({"seconds": dt, "runs": runs}))


if __name__ == "__main__":
    main()
