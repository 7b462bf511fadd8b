"""What the forecast baselines share: their flags, the context read from a CSV column as ours reads it
(the last values, text cells as NaN), and the one JSON line they print. Import it before torch: the
start time is taken here, so the import of torch counts as start-up."""
import argparse, csv, json, math, resource, time

T_START = time.perf_counter()


def parse_args(extra=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--column", required=True)
    ap.add_argument("--prediction-length", type=int, default=64)
    if extra:
        extra(ap)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    return ap.parse_args()


def read_column(path, column):
    values = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            try:
                values.append(float(r[column].strip()))
            except ValueError:
                values.append(math.nan)
    return values


def report(torch, t_import, t_load, runs, context_length, median):
    print(json.dumps({
        "impl": "chronos-forecasting", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "import_s": t_import - T_START, "load_s": t_load - t_import, "runs_s": runs,
        "total_s": time.perf_counter() - T_START,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "context_length": context_length, "median": median,
    }))
