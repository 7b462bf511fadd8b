"""Evaluate a Chronos (T5) checkpoint: induction mosaic, synthetic periodic MASE, real-series MASE/WQL.

Usage (from the repository root):

    tools/.venv/bin/python tools/train/evaluate.py models/chronos-t5-nano \
        [--json out.json] [--skip-real] [--skip-periodic]

Works for any ChronosPipeline checkpoint (local folder or hub id), e.g. the Amazon models when
they are in the local Hugging Face cache.

1. Induction mosaic: the repeated-random-tokens (RRT) protocol of "Hunting for Induction Heads in
   Amazon's Chronos" (hasithv/chronos_induction, rrt_induction_mosaic.ipynb): 100 sequences S of
   10 iid token ids uniform in 1911..2187; encoder input S S S[0] EOS (22 tokens, mask all ones);
   decoder input [0, S[1]]; score of (layer, head) = batch mean of the decoder cross-attention from
   decoder position 1 to encoder position 11 ("center": the earlier copy of the current token) and
   12 ("right": the token after it). Differences from the notebook: float32 and one plain forward
   pass with output_attentions instead of bfloat16 ``generate`` (the same attention probabilities up
   to rounding), and a fixed torch seed.
2. Held-out synthetic periodic series (synth.periodic_eval_set, seed 20250611): MASE of the median
   of 20 samples (ChronosPipeline.predict) vs seasonal naive with the true period.
   The same series one step ahead (evaluate_periodic_teacher_forced): the decoder reads the true previous
   values and each step's forecast is the median of the predictive distribution; the gap to the sampled
   rollout shows how much is lost by the model reading its own samples.
2b. Copying against context length (copy_attention_by_context): a motif of 12 iid values repeated to 40, 100
   and 256 points; the decoder cross-attention weight from decoder position 1 on the positions right after
   earlier copies of the current token. Shows whether the induction mechanism survives a long context.
3. Real series in ../shared/data (read in place): last prediction_length points held out, context =
   everything before (the pipeline keeps the last context_length points). MASE (scale: in-sample
   seasonal differences of the whole history, GluonTS convention) and WQL over quantiles
   0.1..0.9 (mean over quantiles of 2*sum(pinball)/sum(|y|); for the point seasonal-naive forecast
   this equals sum|err|/sum|y|).
"""

from __future__ import annotations

import os

# Spinning OpenMP workers make torch 10-20x slower when another process shares the cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# numpy's BLAS (GP sampling) has the same problem, and 512x512 Cholesky factors gain little from threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

REPO = HERE.parent.parent
DATA = (REPO / ".." / "shared" / "data").resolve()
QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
PERIODIC_SEED = 20250611

# (name, file, value column, season length m, frequency)
REAL_SERIES = [
    ("AirPassengers", "AirPassengers.csv", "#Passengers", 12, "monthly"),
    ("monthly-sunspots", "monthly-sunspots.csv", "Sunspots", 12, "monthly"),
    ("daily-min-temperatures", "daily-min-temperatures.csv", "Temp", 7, "daily"),
    ("ETTh1 (OT)", "ETTh1.csv", "OT", 24, "hourly"),
]


# ---------------------------------------------------------------------------------------------
# 1. Induction mosaic


def rrt_inputs(n: int = 100, seq_len: int = 10, low: int = 1911, high: int = 2187, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    s = torch.randint(low, high + 1, (n, seq_len), generator=g)
    eos = torch.ones((n, 1), dtype=torch.long)
    input_ids = torch.cat([s, s, s[:, :1], eos], dim=1)
    attention_mask = torch.ones_like(input_ids)
    decoder_input_ids = torch.cat([torch.zeros((n, 1), dtype=torch.long), s[:, 1:2]], dim=1)
    return input_ids, attention_mask, decoder_input_ids


@torch.no_grad()
def induction_mosaic(t5_model, n: int = 100, seed: int = 0, seq_len: int = 10):
    """center[l][h], right[l][h] (numpy arrays, layers x heads)."""
    was_training = t5_model.training
    t5_model.eval()
    dev = next(t5_model.parameters()).device
    input_ids, attention_mask, decoder_input_ids = rrt_inputs(n=n, seq_len=seq_len, seed=seed)
    out = t5_model(
        input_ids=input_ids.to(dev),
        attention_mask=attention_mask.to(dev),
        decoder_input_ids=decoder_input_ids.to(dev),
        output_attentions=True,
        return_dict=True,
    )
    s_idx = seq_len + 1
    center = np.stack([a[:, :, 1, s_idx].float().mean(0).cpu().numpy() for a in out.cross_attentions])
    right = np.stack([a[:, :, 1, s_idx + 1].float().mean(0).cpu().numpy() for a in out.cross_attentions])
    if was_training:
        t5_model.train()
    return center, right


@torch.no_grad()
def copy_attention_by_context(t5_model, tokenizer, lengths=(40, 100, 256), n: int = 20, period: int = 12, seed: int = 3):
    """How well the copying survives a longer context: for each context length, ``n`` series that repeat a
    random motif of ``period`` iid values (random phase) are tokenized as the pipeline does; the decoder gets
    [0, the true next token] and we measure, per cross-attention head, the attention weight from decoder
    position 1 on the encoder positions right after an earlier copy of that token (where an induction head
    should look). Returns {length: {"best_head": max over heads, "mean_head": mean over heads}}."""
    rng = np.random.default_rng(seed)
    out = {}
    for length in lengths:
        masses = []
        for _ in range(n):
            motif = rng.uniform(-1.0, 1.0, period) + 3.0
            y = motif[(np.arange(length + 2) + int(rng.integers(0, period))) % period]
            ids, mask, scale = tokenizer.context_input_transform(torch.tensor(y[:length], dtype=torch.float32)[None])
            nxt, _, _ = tokenizer._input_transform(context=torch.tensor(y[length:], dtype=torch.float32)[None], scale=scale)
            dec = torch.cat([torch.zeros((1, 1), dtype=torch.long), nxt[:, :1]], 1)
            res = t5_model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec, output_attentions=True, return_dict=True)
            x = ids[0].numpy()
            targets = [j for j in range(1, len(x)) if x[j - 1] == int(dec[0, 1])]
            masses.append(np.stack([a[0, :, 1, targets].sum(-1).numpy() for a in res.cross_attentions]))
        m = np.mean(masses, 0)
        out[int(length)] = {"best_head": float(m.max()), "mean_head": float(m.mean())}
    return out


def induction_summary(center: np.ndarray, right: np.ndarray, threshold: float = 0.3):
    best = np.maximum(center, right)
    heads = [
        {"layer": int(l), "head": int(h), "center": float(center[l, h]), "right": float(right[l, h])}
        for l in range(center.shape[0])
        for h in range(center.shape[1])
    ]
    heads.sort(key=lambda d: -max(d["center"], d["right"]))
    return {
        "n_heads_at_threshold": int((best >= threshold).sum()),
        "threshold": threshold,
        "max_center": float(center.max()),
        "max_right": float(right.max()),
        "top_heads": heads[:5],
    }


def mosaic_markdown(center: np.ndarray, right: np.ndarray) -> str:
    H = center.shape[1]
    head = "| layer | " + " | ".join(f"h{h} center / right" for h in range(H)) + " |\n"
    head += "| --- |" + " --- |" * H + "\n"
    rows = []
    for l in range(center.shape[0]):
        cells = []
        for h in range(H):
            c, r = center[l, h], right[l, h]
            mark = "**" if max(c, r) >= 0.3 else ""
            cells.append(f"{mark}{c:.3f} / {r:.3f}{mark}")
        rows.append(f"| {l} | " + " | ".join(cells) + " |")
    return head + "\n".join(rows) + "\n"


# ---------------------------------------------------------------------------------------------
# Metrics


def seasonal_naive(history: np.ndarray, horizon: int, m: int) -> np.ndarray:
    last = history[-m:]
    return np.array([last[i % m] for i in range(horizon)], dtype=np.float64)


def mase(y: np.ndarray, yhat: np.ndarray, history: np.ndarray, m: int) -> float:
    scale = np.mean(np.abs(history[m:] - history[:-m]))
    return float(np.mean(np.abs(y - yhat)) / scale) if scale > 0 else float("nan")


def wql(y: np.ndarray, qpred: np.ndarray, levels=QUANTILES) -> float:
    """qpred: (len(levels), horizon)."""
    denom = np.sum(np.abs(y))
    losses = []
    for q, pred in zip(levels, qpred):
        e = y - pred
        losses.append(2.0 * np.sum(np.maximum(q * e, (q - 1.0) * e)) / denom)
    return float(np.mean(losses))


def forecast_samples(pipeline, contexts, prediction_length: int, num_samples: int, seed: int):
    torch.manual_seed(seed)
    ctx = [torch.tensor(np.asarray(c, dtype=np.float32)) for c in contexts]
    with torch.no_grad():
        s = pipeline.predict(ctx, prediction_length=prediction_length, num_samples=num_samples)
    return s.numpy()  # (B, num_samples, H)


# ---------------------------------------------------------------------------------------------
# Data


def read_series(file: str, column: str) -> np.ndarray:
    text = (DATA / file).read_text(encoding="utf-8")
    lines = [ln for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if ln.strip()]
    header = [h.strip().strip('"') for h in lines[0].split(",")]
    col = header.index(column)
    vals = [float(ln.split(",")[col].strip().strip('"')) for ln in lines[1:]]
    return np.asarray(vals, dtype=np.float64)


# ---------------------------------------------------------------------------------------------


# period bands of the held-out periodic set (periods 4..48), for the breakdown in evaluation.json and the card
PERIOD_BANDS = [(4, 8), (9, 13), (14, 25), (26, 48)]


def evaluate_periodic(pipeline, context_length: int, prediction_length: int, n: int = 100,
                      num_samples: int = 20, seed: int = 0, data_seed: int = PERIODIC_SEED):
    data = synth.periodic_eval_set(n, data_seed, context_length, prediction_length)
    samples = forecast_samples(pipeline, [d[0] for d in data], prediction_length, num_samples, seed)
    model_m, naive_m = [], []
    for (ctx, fut, m), smp in zip(data, samples):
        med = np.median(smp, axis=0)
        model_m.append(mase(fut, med, ctx, m))
        naive_m.append(mase(fut, seasonal_naive(ctx, prediction_length, m), ctx, m))
    model_m, naive_m = np.array(model_m), np.array(naive_m)
    periods = np.array([d[2] for d in data])
    by_period = []
    for lo, hi in PERIOD_BANDS:
        sel = (periods >= lo) & (periods <= hi)
        if sel.any():
            by_period.append({"periods": [lo, hi], "n_series": int(sel.sum()),
                              "mase_model_median": float(np.median(model_m[sel])),
                              "mase_seasonal_naive_median": float(np.median(naive_m[sel])),
                              "share_series_model_better": float(np.mean(model_m[sel] < naive_m[sel]))})
    return {
        "n_series": n,
        "seed": data_seed,
        "context_length": context_length,
        "prediction_length": prediction_length,
        "mase_model_mean": float(model_m.mean()),
        "mase_seasonal_naive_mean": float(naive_m.mean()),
        "mase_model_median": float(np.median(model_m)),
        "mase_seasonal_naive_median": float(np.median(naive_m)),
        "relative_mase_geomean": float(np.exp(np.mean(np.log(model_m / naive_m)))),
        "share_series_model_better": float(np.mean(model_m < naive_m)),
        "by_period": by_period,
    }


@torch.no_grad()
def evaluate_periodic_teacher_forced(pipeline, context_length: int, prediction_length: int, n: int = 100,
                                     data_seed: int = PERIODIC_SEED):
    """The held-out periodic set again, but one step ahead: the decoder reads the TRUE previous values
    (teacher forcing, as in training) instead of its own samples, and each step's forecast is the median
    of the model's full predictive distribution (no top-k). Set against ``evaluate_periodic`` it separates
    knowing the pattern from keeping the phase over an autoregressive rollout."""
    data = synth.periodic_eval_set(n, data_seed, context_length, prediction_length)
    tok, t5 = pipeline.tokenizer, pipeline.model.model
    ctx = torch.tensor(np.array([d[0] for d in data]), dtype=torch.float32)
    fut = torch.tensor(np.array([d[1] for d in data]), dtype=torch.float32)
    ids, mask, scale = tok.context_input_transform(ctx)
    labels, _ = tok.label_input_transform(fut, scale)
    logits = t5(input_ids=ids, attention_mask=mask, decoder_input_ids=t5._shift_right(labels)).logits
    probs = logits[:, :prediction_length, 2:].softmax(-1)  # value tokens only (ids >= 2 decode in increasing order)
    med_ids = (probs.cumsum(-1) < 0.5).sum(-1) + 2
    med = tok.output_transform(med_ids.unsqueeze(1), scale)[:, 0].numpy()
    model_m = np.array([mase(f, m_, c, per) for (c, f, per), m_ in zip(data, med)])
    # the first step alone: the decoder has read no value yet and must find where the context ends
    first = np.array([mase(f[:1], m_[:1], c, per) for (c, f, per), m_ in zip(data, med)])
    naive_first = np.array([mase(f[:1], seasonal_naive(c, 1, per), c, per) for c, f, per in data])
    return {"n_series": n, "seed": data_seed, "mase_model_median": float(np.median(model_m)),
            "mase_model_mean": float(model_m.mean()), "first_step_mase_model_median": float(np.median(first)),
            "first_step_mase_seasonal_naive_median": float(np.median(naive_first))}


def evaluate_real(pipeline, prediction_length: int, num_samples: int = 20, seed: int = 0):
    rows = []
    for name, file, col, m, freq in REAL_SERIES:
        y = read_series(file, col)
        hist, fut = y[:-prediction_length], y[-prediction_length:]
        smp = forecast_samples(pipeline, [hist], prediction_length, num_samples, seed)[0]
        qpred = np.quantile(smp, QUANTILES, axis=0)
        med = np.median(smp, axis=0)
        naive = seasonal_naive(hist, prediction_length, m)
        rows.append({
            "series": name,
            "file": file,
            "column": col,
            "frequency": freq,
            "season_length": m,
            "n_points": int(len(y)),
            "mase_model": mase(fut, med, hist, m),
            "mase_seasonal_naive": mase(fut, naive, hist, m),
            "wql_model": wql(fut, qpred),
            "wql_seasonal_naive": wql(fut, np.tile(naive, (len(QUANTILES), 1))),
        })
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="checkpoint folder or hub id")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-periodic", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="torch seed for RRT tokens and sampling")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    from chronos import ChronosPipeline

    pipeline = ChronosPipeline.from_pretrained(args.model, device_map="cpu", torch_dtype=torch.float32)
    cfg = pipeline.model.config
    t5 = pipeline.model.model
    center, right = induction_mosaic(t5, seed=args.seed)
    result = {
        "model": str(args.model),
        "induction": {
            "protocol": "RRT: 100 x 10 iid ids in 1911..2187, S S S[0] EOS, decoder [0, S[1]], pos 11/12",
            "center": center.round(4).tolist(),
            "right": right.round(4).tolist(),
            **induction_summary(center, right),
        },
    }
    result["copy_attention_by_context"] = copy_attention_by_context(t5, pipeline.tokenizer)
    print("copy attention by context length:", json.dumps(result["copy_attention_by_context"]))
    print("induction mosaic (center / right):")
    print(mosaic_markdown(center, right))
    print(json.dumps({k: v for k, v in result["induction"].items() if k not in ("center", "right")}, indent=1))
    if not args.skip_periodic:
        result["periodic"] = evaluate_periodic(pipeline, cfg.context_length, cfg.prediction_length, seed=args.seed)
        print("periodic:", json.dumps(result["periodic"], indent=1))
        result["periodic_teacher_forced"] = evaluate_periodic_teacher_forced(pipeline, cfg.context_length, cfg.prediction_length)
        print("periodic, teacher-forced one step ahead:", json.dumps(result["periodic_teacher_forced"]))
    if not args.skip_real:
        result["real"] = evaluate_real(pipeline, cfg.prediction_length, seed=args.seed)
        for r in result["real"]:
            print(f"{r['series']:24s} MASE {r['mase_model']:.3f} (snaive {r['mase_seasonal_naive']:.3f})"
                  f"  WQL {r['wql_model']:.3f} (snaive {r['wql_seasonal_naive']:.3f})")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=1)
        os.replace(tmp, args.json)
    return result


if __name__ == "__main__":
    main()
