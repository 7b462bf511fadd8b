"""Baseline for forecasts: chronos-forecasting's ChronosPipeline.predict, fp32 on the CPU.

Reads the context from a CSV column (the last `context_length` values, like ours), predicts
`--prediction-length` steps with `--samples` sample paths. Prints one JSON line with timings, peak RSS
and the median forecast (to sanity-check ours).
"""
import argparse, csv, json, math, resource, time

t_start = time.perf_counter()
import torch  # noqa: E402
from chronos import ChronosPipeline  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("--csv", required=True)
ap.add_argument("--column", required=True)
ap.add_argument("--prediction-length", type=int, default=64)
ap.add_argument("--samples", type=int, default=20)
ap.add_argument("--repeat", type=int, default=1)
ap.add_argument("--threads", type=int, default=0)
a = ap.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
t_import = time.perf_counter()
pipe = ChronosPipeline.from_pretrained(a.model, device_map="cpu", torch_dtype=torch.float32)
rows = list(csv.DictReader(open(a.csv, newline="")))
values = []
for r in rows:
    v = r[a.column].strip()
    try:
        values.append(float(v))
    except ValueError:
        values.append(math.nan)
ctx = torch.tensor(values[-pipe.model.config.context_length:], dtype=torch.float32)
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
print(json.dumps({
    "impl": "chronos-forecasting", "torch": torch.__version__, "threads": torch.get_num_threads(),
    "import_s": t_import - t_start, "load_s": t_load - t_import, "runs_s": runs,
    "total_s": time.perf_counter() - t_start,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "context_length": len(ctx), "median": median,
}))
