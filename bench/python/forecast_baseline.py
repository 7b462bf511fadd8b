"""Baseline for forecasts: chronos-forecasting's ChronosPipeline.predict, fp32 on the CPU.

Reads the context from a CSV column (the last `context_length` values, like ours), predicts
`--prediction-length` steps with `--samples` sample paths. Prints one JSON line with timings, peak RSS
and the median forecast (to sanity-check ours).
"""
import time

from forecast_common import parse_args, read_column, report

import torch  # noqa: E402
from chronos import ChronosPipeline  # noqa: E402

a = parse_args(lambda ap: ap.add_argument("--samples", type=int, default=20))
if a.threads:
    torch.set_num_threads(a.threads)
t_import = time.perf_counter()
pipe = ChronosPipeline.from_pretrained(a.model, device_map="cpu", torch_dtype=torch.float32)
ctx = torch.tensor(read_column(a.csv, a.column)[-pipe.model.config.context_length:], dtype=torch.float32)
t_load = time.perf_counter()
runs = []
median = None
for i in range(max(1, a.repeat)):
    torch.manual_seed(i)
    t0 = time.perf_counter()
    with torch.no_grad():
        fc = pipe.predict(ctx, prediction_length=a.prediction_length, num_samples=a.samples)
    runs.append(time.perf_counter() - t0)
    median = fc[0].median(dim=0).values.tolist()
report(torch, t_import, t_load, runs, len(ctx), median)
