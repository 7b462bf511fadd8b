#!/usr/bin/env python
"""Reference values for the causal analyses on Chronos-Bolt (docs/causal.md, docs/patch-mosaic.md),
computed with chronos-forecasting's ChronosBoltModelForForecasting / ChronosBoltPipeline (float32, CPU,
eager attention) and forward hooks, independently of our ONNX graphs. Writes
test/fixtures/bolt-causal/<checkpoint>.json:

  copy_batch   the copy-loss batch, made here from its definition: per row a sequence S of V iid standard
               normal values repeated, x_t = S[t mod V] for t < L = P * (ceil(R * V / P) + sub); the
               targets are the next min(prediction_length, V) values S[(L + t) mod V]; each control row
               keeps the last sub * P values of its row and replaces the rest by fresh iid values;
  variants     per variant (sublayers skipped and / or heads zeroed, by hooks): the copy loss of the
               repeating rows and of the controls (one weighted quantile loss over each group's rows:
               mean over levels of 2 * sum rho_q(y - yhat_q) / sum |y|, with the pipeline's forward in
               series units), and MASE / WQL / MAE of the 0.5 level of predict_quantiles on the held-out
               end of a series (rolled out past prediction_length by the pipeline, hooks active).

A skipped sublayer's forward hook returns its input hidden states (and the position bias it passes
on); a zeroed head's slice of the input of its output projection is set to 0 by a pre-hook.

Usage: tools/.venv-families/bin/python tools/reference/bolt_causal_reference.py
"""

from __future__ import annotations

import contextlib
import math
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, List

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FIXTURES, log, rel_to_repo, setup_torch, versions, write_json  # noqa: E402
from bolt_reference import load_pipeline, passthrough, zero_heads  # noqa: E402

OUT_DIR = FIXTURES / "bolt-causal"
CKPTS = FIXTURES / "bolt" / "checkpoints"

# checkpoint -> copy batch (batch, values per repeat, repeats, sub-extension patches, seed) and series seed
CASES: Dict[str, Dict[str, Any]] = {
    "bolt-reduced-random": dict(batch=6, period=3 * 16, repeats=2, sub=1, seed=21, series_seed=4),
    "bolt-noreg-random": dict(batch=6, period=20, repeats=3, sub=1, seed=22, series_seed=5),
}


# ---- hooks -------------------------------------------------------------------------------------------

PARTS = {"encoder": {"attention": [0], "ff": [1], "all": [0, 1]},
         "decoder": {"self": [0], "cross": [1], "attention": [0, 1], "ff": [2], "all": [0, 1, 2]}}


@contextlib.contextmanager
def intervened(model, layers: List[List[Any]], heads: List[List[Any]]) -> Iterator[None]:
    """Sublayers skipped ([stack, layer, part]) and heads zeroed ([kind, layer, head]) while inside."""
    dkv = model.config.d_kv
    where = {"encoder": lambda l: model.encoder.block[l].layer[0].SelfAttention.o,
             "decoder": lambda l: model.decoder.block[l].layer[0].SelfAttention.o,
             "cross": lambda l: model.decoder.block[l].layer[1].EncDecAttention.o}
    handles = []
    for stack, layer, part in layers:
        blocks = model.encoder.block if stack == "encoder" else model.decoder.block
        for j in PARTS[stack][part]:
            handles.append(blocks[layer].layer[j].register_forward_hook(passthrough))
    for kind, layer, head in heads:
        handles.append(where[kind](layer).register_forward_pre_hook(zero_heads([head], dkv)))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


# ---- copy loss ---------------------------------------------------------------------------------------

def copy_batch(spec: Dict[str, Any], P: int, pred_len: int) -> Dict[str, Any]:
    V, R, sub = spec["period"], spec["repeats"], spec["sub"]
    L = P * (math.ceil(R * V / P) + sub)
    rng = np.random.default_rng(spec["seed"])
    t = np.arange(L)
    seqs = [rng.standard_normal(V).astype(np.float32) for _ in range(spec["batch"])]
    rows = [s[t % V] for s in seqs]
    horizon = min(pred_len, V)
    targets = [s[(L + np.arange(horizon)) % V] for s in seqs]
    kept = sub * P
    controls = [np.concatenate([rng.standard_normal(L - kept).astype(np.float32), r[L - kept:]]) for r in rows]
    return dict(patchSize=P, period=V, repeats=R, subExtension=sub, seed=spec["seed"], horizon=horizon,
                contexts=[r.tolist() for r in rows + controls], targets=[x.tolist() for x in targets + targets])


def wql(y: np.ndarray, q: np.ndarray, levels: List[float]) -> float:
    """y [n]; q [levels, n]; observed targets only."""
    ok = np.isfinite(y)
    y, q = y[ok], q[:, ok]
    denom = np.abs(y).sum()
    total = 0.0
    for j, lv in enumerate(levels):
        d = y - q[j]
        total += 2 * np.where(d >= 0, lv * d, (lv - 1) * d).sum() / denom
    return float(total / len(levels))


def copy_losses(model, batch: Dict[str, Any], levels: List[float]) -> Dict[str, float]:
    ctx = torch.tensor(np.array(batch["contexts"], dtype=np.float32))
    preds = model(context=ctx).quantile_preds.double().numpy()  # [rows, Q, T], series units
    h = batch["horizon"]
    y = np.array(batch["targets"], dtype=np.float64)
    n = len(y) // 2
    out = {}
    for name, rows in (("copy_loss", slice(0, n)), ("copy_loss_control", slice(n, 2 * n))):
        q = preds[rows, :, :h].transpose(1, 0, 2).reshape(len(levels), -1)
        out[name] = wql(y[rows].reshape(-1), q, levels)
    return out


# ---- series metrics ----------------------------------------------------------------------------------

def make_series(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    s = 50 + 8 * np.sin(2 * np.pi * t / 12) + 0.1 * t + rng.normal(0, 1.0, n)
    s[[3, n // 3]] = np.nan
    return s.astype(np.float32)


def series_metrics(pipe, values: np.ndarray, held_out: int, period: int) -> Dict[str, float]:
    context, actual = values[:-held_out].astype(np.float64), values[-held_out:].astype(np.float64)
    levels = list(pipe.quantiles)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q, _mean = pipe.predict_quantiles(torch.tensor(values[:-held_out]).unsqueeze(0), prediction_length=held_out, quantile_levels=levels)
    q = q[0].double().numpy().T  # [levels, H]
    median = q[levels.index(0.5)]
    d = context[period:] - context[:-period]
    scale = np.abs(d[np.isfinite(d)]).mean()
    ok = np.isfinite(actual)
    mae = float(np.abs(actual[ok] - median[ok]).mean())
    return {"mase": mae / scale, "wql": wql(actual, q, levels), "mae_median": mae}


# ---- variants ----------------------------------------------------------------------------------------

def variants_for(cfg) -> List[Dict[str, Any]]:
    le, ld = cfg.num_layers - 1, cfg.num_decoder_layers - 1
    return [
        dict(label="unablated", layers=[], heads=[]),
        dict(label="encoder:L0", layers=[["encoder", 0, "all"]], heads=[]),
        dict(label=f"encoder:L{le}.attention", layers=[["encoder", le, "attention"]], heads=[]),
        dict(label=f"encoder:L{le}.ff + decoder:L0.self", layers=[["encoder", le, "ff"], ["decoder", 0, "self"]], heads=[]),
        dict(label=f"decoder:L{ld}.cross + decoder:L0.ff", layers=[["decoder", ld, "cross"], ["decoder", 0, "ff"]], heads=[]),
        dict(label=f"decoder:L{ld}", layers=[["decoder", ld, "all"]], heads=[]),
        dict(label="heads", layers=[], heads=[["encoder", 0, cfg.num_heads - 1], ["cross", ld, 0]]),
    ]


def write_case(name: str, spec: Dict[str, Any]) -> None:
    model_dir = CKPTS / name
    pipe = load_pipeline(model_dir)
    model = pipe.model
    cc = model.chronos_config
    levels = list(pipe.quantiles)
    batch = copy_batch(spec, cc.input_patch_size, cc.prediction_length)
    held_out = cc.prediction_length + 5
    values = make_series(spec["series_seed"], min(cc.context_length, 8 * cc.input_patch_size + 5) + held_out)
    period = 12
    out = []
    for v in variants_for(model.config):
        with intervened(model, v["layers"], v["heads"]):
            row = dict(v, **copy_losses(model, batch, levels), **series_metrics(pipe, values, held_out, period))
        out.append(row)
        log(f"  {name} {v['label']}: copy {row['copy_loss']:.5f} / {row['copy_loss_control']:.5f}, mase {row['mase']:.5f}")
    write_json(OUT_DIR / f"{name}.json", {
        "checkpoint": rel_to_repo(model_dir),
        "quantile_levels": levels,
        "copy_batch": batch,
        "series": {"values": [None if not np.isfinite(x) else float(x) for x in values], "held_out": held_out, "period": period},
        "variants": out,
        "versions": versions(),
    })


def main() -> None:
    setup_torch()
    for name, spec in CASES.items():
        write_case(name, spec)


if __name__ == "__main__":
    main()
