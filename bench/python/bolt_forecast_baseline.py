"""Baseline for Chronos-Bolt forecasts: chronos-forecasting's ChronosBoltPipeline.predict, fp32 on the CPU.

Runs in tools/.venv-families (chronos-forecasting 2.x). Reads the context from a CSV column (the last
`context_length` values, like ours) and predicts `--prediction-length` steps. Prints one JSON line
with timings, peak RSS and the 0.5 level (to sanity-check ours); compare with
`npx tsx bench/ours.ts bolt-forecast` (same flags).
"""
import argparse, csv, json, math, resource, time

t_start = time.perf_counter()
import torch  # noqa: E402
from chronos import BaseChronosPipeline  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("--csv", required=True)
ap.add_argument("--column", required=True)
ap.add_argument("--prediction-length", type=int, default=64)
ap.add_argument("--repeat", type=int, default=1)
ap.add_argument("--threads", type=int, default=0)
a = ap.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
t_import = time.perf_counter()
pipe = BaseChronosPipeline.from_pretrained(a.model, device_map="cpu", dtype=torch.float32)
rows = list(csv.DictReader(open(a.csv, newline="")))
values = []
for r in rows:
    v = r[a.column].strip()
    try:
        values.append(float(v))
    except ValueError:
        values.append(math.nan)
ctx = torch.tensor(values[-pipe.model_context_length:], dtype=torch.float32)
t_load = time.perf_counter()
runs = []
median = None
for i in range(max(1, a.repeat)):
    t0 = time.perf_counter()
    with torch.no_grad():
        q, _mean = pipe.predict_quantiles(ctx, prediction_length=a.prediction_length, quantile_levels=pipe.quantiles)
    runs.append(time.perf_counter() - t0)
    median = q[0, :, pipe.quantiles.index(0.5)].tolist()
print(json.dumps({
    "impl": "chronos-forecasting", "torch": torch.__version__, "threads": torch.get_num_threads(),
    "import_s": t_import - t_start, "load_s": t_load - t_import, "runs_s": runs,
    "total_s": time.perf_counter() - t_start,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "context_length": len(ctx), "median": median,
}))
