"""Evaluate a Chronos-Bolt checkpoint and write its model card: held-out periodic series and real CSVs.

    tools/.venv-families/bin/python tools/train/evaluate_bolt.py models/chronos-bolt-nano \
        [--json models/chronos-bolt-nano/evaluation.json] [--card models/chronos-bolt-nano/README.md]

Forecasts come from chronos-forecasting's ``ChronosBoltPipeline.predict_quantiles`` (fp32, CPU), at the model's own
nine deciles; the point forecast is the 0.5 level. Metrics and data are evaluate.py's (the ones chronos-t5-nano's
card reports), so the two bundled models are measured the same way:

1. Held-out synthetic periodic series (``synth.periodic_eval_set``, seed ``evaluate.PERIODIC_SEED``, never seen in
   training, which draws other seeds and another generator): 100 series of the model's context length, 64 steps
   ahead. MASE of the median against seasonal naive with the true period, and WQL of the deciles (the seasonal
   naive point forecast as all nine levels), per series; medians, means, the share of series the model wins and a
   breakdown by period.
2. Real series in ../shared/data (read in place; ``evaluate.REAL_SERIES``): the last --horizon (64) points held
   out, the context everything before (the pipeline keeps the last context_length values). MASE (in-sample
   seasonal differences of the history) and WQL against seasonal naive.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402
from evaluate import PERIOD_BANDS, PERIODIC_SEED, REAL_SERIES, mase, read_series, seasonal_naive, wql  # noqa: E402


def predict(pipe, contexts, prediction_length: int) -> np.ndarray:
    """[B, levels, H] deciles from ChronosBoltPipeline.predict_quantiles at the model's own levels."""
    levels = pipe.quantiles
    ctx = [torch.tensor(np.asarray(c, dtype=np.float32)) for c in contexts]
    with torch.no_grad():
        q, _mean = pipe.predict_quantiles(ctx, prediction_length=prediction_length, quantile_levels=levels)
    return q.numpy().transpose(0, 2, 1)


def evaluate_periodic(pipe, context_length: int, prediction_length: int, n: int = 100, data_seed: int = PERIODIC_SEED):
    data = synth.periodic_eval_set(n, data_seed, context_length, prediction_length)
    q = predict(pipe, [d[0] for d in data], prediction_length)
    med_i = pipe.quantiles.index(0.5)
    rows = []
    for (ctx, fut, m), qs in zip(data, q):
        naive = seasonal_naive(ctx, prediction_length, m)
        rows.append((m, mase(fut, qs[med_i], ctx, m), mase(fut, naive, ctx, m), wql(fut, qs, pipe.quantiles),
                     wql(fut, np.tile(naive, (len(pipe.quantiles), 1)), pipe.quantiles)))
    a = np.array(rows)
    periods, mm, mn, wm, wn = a.T

    def summary(sel):
        return {"n_series": int(sel.sum()),
                "mase_model_median": float(np.median(mm[sel])), "mase_seasonal_naive_median": float(np.median(mn[sel])),
                "wql_model_median": float(np.median(wm[sel])), "wql_seasonal_naive_median": float(np.median(wn[sel])),
                "share_series_model_better": float(np.mean(mm[sel] < mn[sel]))}

    everything = np.ones(len(a), dtype=bool)
    return {
        "n_series": n,
        "seed": data_seed,
        "context_length": context_length,
        "prediction_length": prediction_length,
        **summary(everything),
        "mase_model_mean": float(mm.mean()),
        "mase_seasonal_naive_mean": float(mn.mean()),
        "wql_model_mean": float(wm.mean()),
        "wql_seasonal_naive_mean": float(wn.mean()),
        "relative_mase_geomean": float(np.exp(np.mean(np.log(mm / mn)))),
        "by_period": [{"periods": [lo, hi], **summary((periods >= lo) & (periods <= hi))}
                      for lo, hi in PERIOD_BANDS if ((periods >= lo) & (periods <= hi)).any()],
    }


def evaluate_real(pipe, prediction_length: int):
    rows = []
    for name, file, col, m, freq in REAL_SERIES:
        y = read_series(file, col)
        hist, fut = y[:-prediction_length], y[-prediction_length:]
        qs = predict(pipe, [hist], prediction_length)[0]
        naive = seasonal_naive(hist, prediction_length, m)
        rows.append({
            "series": name, "file": file, "column": col, "frequency": freq, "season_length": m,
            "n_points": int(len(y)), "context_used": int(min(len(hist), pipe.model_context_length)),
            "mase_model": mase(fut, qs[pipe.quantiles.index(0.5)], hist, m),
            "mase_seasonal_naive": mase(fut, naive, hist, m),
            "wql_model": wql(fut, qs, pipe.quantiles),
            "wql_seasonal_naive": wql(fut, np.tile(naive, (len(pipe.quantiles), 1)), pipe.quantiles),
        })
    return rows


def f3(x) -> str:
    return f"{x:.3f}"


def steps_text(summ: dict, a: dict) -> str:
    """How many steps, and of which schedule: a run stopped early (--stop-at-step) holds the first steps of a longer one."""
    if summ["steps_done"] < a["steps"]:
        return f"The first {summ['steps_done']:,} steps of a {a['steps']:,}-step schedule (`--stop-at-step`)"
    return f"{summ['steps_done']:,} steps"


def curriculum_text(a: dict) -> str:
    if not a.get("curriculum_start"):
        return ""
    return (f", which grows from {a['curriculum_start']} to {a['context_length']} values over the first "
            f"{a['curriculum_until'] * 100:.0f} % of the schedule")


def card(model_dir: Path, ev: dict) -> str:
    cfg = json.loads((model_dir / "config.json").read_text())
    cc = cfg["chronos_config"]
    summ = json.loads((model_dir / "training_summary.json").read_text())
    a = summ["args"]
    size = (model_dir / "model.safetensors").stat().st_size
    with open(model_dir / "training_log.csv", newline="") as f:
        first_loss = float(next(csv.DictReader(f))["loss"])
    p = ev["periodic"]
    lines = [
        "# chronos-bolt-nano",
        "",
        "A tiny Chronos-Bolt-format forecasting model **trained here, by Chronos Lens, on synthetic data only**. It is",
        "**not an Amazon model** and not a member of the amazon/chronos-bolt family: it shares their architecture and",
        "checkpoint format (`config.json` with `chronos_config` and `chronos_pipeline_class: ChronosBoltPipeline`,",
        "`model.safetensors`), so `BaseChronosPipeline.from_pretrained(\"models/chronos-bolt-nano\")` loads it as a",
        "`ChronosBoltPipeline`. It is bundled so that the Chronos-Bolt views have a real, trained model to show offline",
        "(`chronos-lens forecast ... --model bundled-bolt`). It is a toy forecaster; use Amazon's models for real work.",
        "",
        "## Configuration",
        "",
        "| | |",
        "| --- | --- |",
        "| architecture | `ChronosBoltModelForForecasting` (chronos-forecasting): instance norm, patches + masks through a residual MLP, [REG] token, T5 encoder over patches, one decoder token, residual-MLP quantile head |",
        f"| d_model / d_kv / d_ff | {cfg['d_model']} / {cfg['d_kv']} / {cfg['d_ff']} |",
        f"| layers (encoder, decoder) | {cfg['num_layers']}, {cfg['num_decoder_layers']} |",
        f"| heads | {cfg['num_heads']} |",
        f"| relative attention | {cfg['relative_attention_num_buckets']} buckets, max distance {cfg['relative_attention_max_distance']} (in patches) |",
        f"| patches | {cc['input_patch_size']} values, stride {cc['input_patch_stride']}, [REG] token: {cc['use_reg_token']} |",
        f"| context_length / prediction_length | {cc['context_length']} / {cc['prediction_length']} (longer horizons are rolled out by the pipeline) |",
        f"| quantile levels | {', '.join(str(q) for q in cc['quantiles'])} |",
        f"| parameters | {summ['parameters']:,} ({size / 1e6:.1f} MB float32 safetensors) |",
        "",
        "## Training",
        "",
        f"`tools/train/build_bolt_nano.sh` runs `tools/train/train_bolt_nano.py` (in tools/.venv-families: torch {summ['versions']['torch']},",
        f"transformers {summ['versions']['transformers']}, chronos-forecasting {summ['versions']['chronos-forecasting']}) from fixed seeds, then this",
        "evaluation. The objective is chronos-forecasting's own (the quantile loss `ChronosBoltModelForForecasting.forward`",
        f"returns for a target). {steps_text(summ, a)} of AdamW (lr {a['lr']}, {a['warmup']} warm-up steps, cosine to",
        f"{a['final_lr_factor']} x), batches of {a['batch']} series, contexts of {a['min_context']}–{a['context_length']} values",
        f"({a.get('p_full_context', 0.4) * 100:.0f} % of batches at the longest context allowed{curriculum_text(a)}; shorter series left-padded with NaN as the",
        f"pipeline pads), the {cc['prediction_length']} values after them as the target. Data (all synthetic, tools/train/synth.py and train_nano.py's",
        "generators, the families chronos-t5-nano was trained on):",
        "",
        f"* {a['p_periodic'] * 100:.0f} % **noisy periodic series**: level + amplitude x a harmonic or free-form seasonal shape (periods",
        "  3–64, mostly 4–24) + noise of 0–40 % of the amplitude, sometimes on a trend;",
        f"* {a['p_parrot'] * 100:.0f} % **long parroting series**: a motif (iid values, a GP segment or spikes) repeated with drift or noise;",
        f"* {(1 - a['p_periodic'] - a['p_parrot']) * 100:.0f} % **KernelSynth-style GP series, seasonal-trend series and TSMixup-style mixtures** of them",
        f"  (a pool of {a['pool_size']} GP draws of {a['context_length'] + a['prediction_length']} points, random windows).",
        "",
        f"Training took {summ['train_seconds'] / 60:.0f} min on {summ['hardware']}, on {a['threads']} torch threads under `nice`,",
        f"shared with other work (load average at the end {' / '.join(f'{x:.1f}' for x in summ['load_average_at_end'])}); the loss",
        f"went from {first_loss:.1f} to {summ['final_loss']:.1f} (`training_log.csv`, with a validation periodic MASE every",
        f"{a['val_every']} steps on other seeds: {summ['final_val_periodic_mase']:.3f} at the end).",
        "",
        "## Evaluation (`tools/train/evaluate_bolt.py`, ChronosBoltPipeline.predict_quantiles, fp32, CPU)",
        "",
        f"**Held-out periodic series** ({p['n_series']} series, seed {p['seed']}, context {p['context_length']}, {p['prediction_length']} steps;",
        "level + amplitude x a seasonal shape + noise of 5–30 % of the amplitude, periods 7, 12, 24 or 4–48): MASE of the",
        "0.5 level and WQL of the deciles against seasonal naive with the true period (medians over series).",
        "",
        "| periods | series | MASE model | MASE seasonal naive | WQL model | WQL seasonal naive | model better on |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| all | {p['n_series']} | **{f3(p['mase_model_median'])}** | {f3(p['mase_seasonal_naive_median'])} | **{f3(p['wql_model_median'])}** | {f3(p['wql_seasonal_naive_median'])} | {p['share_series_model_better'] * 100:.0f} % |",
    ]
    for b in p["by_period"]:
        lines.append(f"| {b['periods'][0]}–{b['periods'][1]} | {b['n_series']} | {f3(b['mase_model_median'])} | {f3(b['mase_seasonal_naive_median'])} | {f3(b['wql_model_median'])} | {f3(b['wql_seasonal_naive_median'])} | {b['share_series_model_better'] * 100:.0f} % |")
    lines += [
        "",
        f"Means: MASE {f3(p['mase_model_mean'])} vs {f3(p['mase_seasonal_naive_mean'])}, WQL {f3(p['wql_model_mean'])} vs {f3(p['wql_seasonal_naive_mean'])}; geometric mean of the",
        f"per-series MASE ratio {f3(p['relative_mase_geomean'])}.",
        "",
        f"**Real series** (../shared/data, the last {p['prediction_length']} points held out; none of them was used in training):",
        "",
        "| series | season | points | context used | MASE model | MASE seasonal naive | WQL model | WQL seasonal naive |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in ev["real"]:
        lines.append(f"| {r['series']} ({r['file']}) | {r['season_length']} | {r['n_points']} | {r['context_used']} | {f3(r['mase_model'])} | {f3(r['mase_seasonal_naive'])} | {f3(r['wql_model'])} | {f3(r['wql_seasonal_naive'])} |")
    wins = sum(r["mase_model"] < r["mase_seasonal_naive"] for r in ev["real"])
    lines += [
        "",
        f"The model beats seasonal naive on {wins} of {len(ev['real'])} real series by MASE. It has only seen synthetic data;",
        "real series with trends, level shifts or long seasons (hourly data with a weekly cycle, sunspots' ~11-year cycle)",
        "are where a model this small, trained this briefly, is expected to fall short.",
        "",
        "Exactness: Chronos Lens' own ONNX graph for this model gives the same forecasts as",
        "`ChronosBoltPipeline.predict_quantiles` (test/unit/models/bolt.test.ts, fixtures by tools/reference/bolt_reference.py).",
        "",
        "Files: `config.json`, `model.safetensors` (what the pipeline loads), `training_summary.json`, `training_log.csv`,",
        "`evaluation.json` (every figure above), this card.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="checkpoint folder")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--card", help="write the model card (README.md) here")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--horizon", type=int, default=64,
                    help="steps ahead (chronos-t5-nano's card uses 64; past the model's prediction_length the pipeline rolls out)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from chronos import BaseChronosPipeline, ChronosBoltPipeline

    pipe = BaseChronosPipeline.from_pretrained(args.model, device_map="cpu", dtype=torch.float32)
    if not isinstance(pipe, ChronosBoltPipeline):
        sys.exit(f"{args.model} is not a Chronos-Bolt checkpoint")
    pl = args.horizon
    ev = {"model": str(args.model),
          "periodic": evaluate_periodic(pipe, pipe.model_context_length, pl),
          "real": evaluate_real(pipe, pl)}
    print(json.dumps(ev["periodic"], indent=1))
    for r in ev["real"]:
        print(f"{r['series']:24s} MASE {r['mase_model']:.3f} (snaive {r['mase_seasonal_naive']:.3f})"
              f"  WQL {r['wql_model']:.3f} (snaive {r['wql_seasonal_naive']:.3f})")
    for target, text in ((args.json, json.dumps(ev, indent=1) + "\n"), (args.card, None)):
        if not target:
            continue
        if text is None:
            text = card(Path(args.model), ev)
        tmp = target + ".tmp"
        Path(tmp).write_text(text)
        os.replace(tmp, target)
    return ev


if __name__ == "__main__":
    main()
