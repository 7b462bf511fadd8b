"""Baseline for Chronos-Bolt forecasts: chronos-forecasting's ChronosBoltPipeline.predict, fp32 on the CPU.

Runs in tools/.venv-families (chronos-forecasting 2.x). Reads the context from a CSV column (the last
`context_length` values, like ours) and predicts `--prediction-length` steps. Prints one JSON line
with timings, peak RSS and the 0.5 level (to sanity-check ours); compare with
`npx tsx bench/ours.ts bolt-forecast` (same flags).
"""
import time

from forecast_common import parse_args, read_column, report

import torch  # noqa: E402
from chronos import BaseChronosPipeline  # noqa: E402

a = parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
t_import = time.perf_counter()
pipe = BaseChronosPipeline.from_pretrained(a.model, device_map="cpu", dtype=torch.float32)
ctx = torch.tensor(read_column(a.csv, a.column)[-pipe.model_context_length:], dtype=torch.float32)
t_load = time.perf_counter()
runs = []
median = None
for i in range(max(1, a.repeat)):
    t0 = time.perf_counter()
    with torch.no_grad():
        q, _mean = pipe.predict_quantiles(ctx, prediction_length=a.prediction_length, quantile_levels=pipe.quantiles)
    runs.append(time.perf_counter() - t0)
    median = q[0, :, pipe.quantiles.index(0.5)].tolist()
report(torch, t_import, t_load, runs, len(ctx), median)
