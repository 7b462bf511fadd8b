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
               end of a series (rolled out past prediction_length by the pipeline, hooks active);
  attribution  at one step and quantile level of the series' forecast, the decoder token's final residual
               split into its embedding, every self / cross head's write (its output before the output
               projection through its slice of it, from pre-hooks), every feed-forward update (the
               difference of sublayer outputs, from forward hooks), read out through the final norm with
               its scale frozen and the quantile head with its gates act(pre) / pre frozen, plus the
               head's biases and the instance norm's loc; and the cross heads' parts split by encoder
               component through the cross-attention (weights from output_attentions) and the encoder's
               final norm (scale per position frozen), all in NumPy float64;
  lens         per decoder layer, the residual after the layer through the model's own final norm and
               output_patch_embedding modules, the instance norm undone.

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


# ---- attribution and lens ---------------------------------------------------------------------------

def captured(model, context: torch.Tensor) -> Dict[str, Any]:
    """One clean pass with hooks: every sublayer's output, every attention's input to its output
    projection, the decoder's input embedding, the cross-attention weights, the encoder inputs."""
    got: Dict[str, Any] = {}
    handles = []

    def keep(name):
        def hook(_m, _args, out):
            got[name] = (out[0] if isinstance(out, tuple) else out).detach().double()[0].numpy()
        return hook

    def keep_in(name):
        def hook(_m, args):
            got[name] = args[0].detach().double()[0].numpy()
        return hook

    for l, blk in enumerate(model.encoder.block):
        handles += [blk.layer[0].register_forward_hook(keep(f"enc.{l}.attn")), blk.layer[1].register_forward_hook(keep(f"enc.{l}.ff")),
                    blk.layer[0].SelfAttention.o.register_forward_pre_hook(keep_in(f"enc_heads.{l}"))]
    for l, blk in enumerate(model.decoder.block):
        handles += [blk.layer[0].register_forward_hook(keep(f"dec.{l}.self")), blk.layer[1].register_forward_hook(keep(f"dec.{l}.cross")),
                    blk.layer[2].register_forward_hook(keep(f"dec.{l}.ff")),
                    blk.layer[0].SelfAttention.o.register_forward_pre_hook(keep_in(f"self_heads.{l}")),
                    blk.layer[1].EncDecAttention.o.register_forward_pre_hook(keep_in(f"cross_heads.{l}"))]
    handles.append(model.decoder.block[0].layer[0].register_forward_pre_hook(keep_in("dec.emb")))
    try:
        hidden, loc_scale, embeds, attn_mask = model.encode(context=context)
        dec_ids = torch.full((1, 1), model.config.decoder_start_token_id)
        dec = model.decoder(input_ids=dec_ids, encoder_hidden_states=hidden, encoder_attention_mask=attn_mask, output_attentions=True, return_dict=True)
    finally:
        for h in handles:
            h.remove()
    got["enc.emb"] = embeds.detach().double()[0].numpy()
    got["cross_attn"] = [a.detach().double()[0, :, 0, :].numpy() for a in dec.cross_attentions]  # [H, Te]
    got["loc"], got["scale"] = (float(x.reshape(-1)[0]) for x in loc_scale)
    got["preds"] = model(context=context).quantile_preds.detach().double()[0].numpy()  # [Q, T], series units
    return got


def np_w(m) -> np.ndarray:
    return m.weight.detach().double().numpy()


def attribution(model, context: torch.Tensor, step: int, level: float, levels: List[float]) -> Dict[str, Any]:
    c = model.config
    H, K, Ld, Le = c.num_heads, c.d_kv, c.num_decoder_layers, c.num_layers
    T = model.chronos_config.prediction_length
    eps = c.layer_norm_epsilon
    got = captured(model, context)
    x = got[f"dec.{Ld - 1}.ff"][0]  # the residual before the final norm (last_hidden_state is after it)
    s = 1 / math.sqrt((x ** 2).mean() + eps)
    g = np_w(model.decoder.final_layer_norm)
    head = model.output_patch_embedding
    z = s * g * x
    pre = np_w(head.hidden_layer) @ z + head.hidden_layer.bias.detach().double().numpy()
    act = head.act(torch.tensor(pre)).numpy()
    gates = np.where(pre != 0, act / np.where(pre != 0, pre, 1), 0.5 if c.feed_forward_proj == "gated-gelu" else 0.0)
    j = levels.index(level) * T + step
    wo = np_w(head.output_layer)[j] * gates
    direction = s * g * (np_w(head.hidden_layer).T @ wo + np_w(head.residual_layer)[j])
    bias = float(wo @ head.hidden_layer.bias.detach().double().numpy() + head.output_layer.bias[j].item() + head.residual_layer.bias[j].item())
    loc, scale = got["loc"], got["scale"]

    def val(v):
        return float(scale * direction @ v)

    def write(heads_in, o_w, h, pos=0):
        """Head h's output at pos through its slice of the output projection."""
        return o_w[:, h * K:(h + 1) * K] @ heads_in[pos, h * K:(h + 1) * K]

    comps = [("embedding", "embedding", None, None, val(got["dec.emb"][0]))]
    for l in range(Ld):
        blk = model.decoder.block[l]
        for h in range(H):
            comps.append((f"decoder:L{l}.H{h}", "self_head", l, h, val(write(got[f"self_heads.{l}"], np_w(blk.layer[0].SelfAttention.o), h))))
        for h in range(H):
            comps.append((f"cross:L{l}.H{h}", "cross_head", l, h, val(write(got[f"cross_heads.{l}"], np_w(blk.layer[1].EncDecAttention.o), h))))
        comps.append((f"decoder:L{l}.ff", "ff", l, None, val(got[f"dec.{l}.ff"][0] - got[f"dec.{l}.cross"][0])))
    comps.append(("head_bias", "constant", None, None, scale * bias))
    comps.append(("loc", "constant", None, None, loc))
    total = sum(v for *_, v in comps)
    # the linearisation is exact at the clean run: the parts sum to the pipeline's forecast value
    assert abs(total - got["preds"][levels.index(level), step]) < 1e-3 * max(1.0, abs(total)), (total, got["preds"][levels.index(level), step])

    # encoder breakdown through the cross heads (weights and the encoder's final-norm scales frozen)
    r_final = got[f"enc.{Le - 1}.ff"]  # [Te, D], before the final norm
    s_enc = 1 / np.sqrt((r_final ** 2).mean(axis=1) + eps)
    g_enc = np_w(model.encoder.final_layer_norm)
    Te = r_final.shape[0]

    def through_cross(c_pos: np.ndarray) -> float:
        """c_pos [Te, D]: what a component wrote at each encoder position."""
        zc = c_pos * s_enc[:, None] * g_enc[None, :]
        v = 0.0
        for l in range(Ld):
            att = model.decoder.block[l].layer[1].EncDecAttention
            vv = zc @ np_w(att.v).T  # [Te, H*K]
            for h in range(H):
                o_h = got["cross_attn"][l][h] @ vv[:, h * K:(h + 1) * K]  # [K]
                v += val(np_w(att.o)[:, h * K:(h + 1) * K] @ o_h)
        return v

    P = Te - (1 if model.chronos_config.use_reg_token else 0)
    emb = got["enc.emb"]
    only = lambda rows: np.where(np.isin(np.arange(Te), rows)[:, None], emb, 0.0)  # noqa: E731
    enc = [("patch_embedding", "embedding", None, None, through_cross(only(np.arange(P))))]
    if model.chronos_config.use_reg_token:
        enc.append(("[REG]", "embedding", None, None, through_cross(only([P]))))
    for l in range(Le):
        o_w = np_w(model.encoder.block[l].layer[0].SelfAttention.o)
        heads_in = got[f"enc_heads.{l}"]
        for h in range(H):
            enc.append((f"encoder:L{l}.H{h}", "encoder_head", l, h, through_cross(heads_in[:, h * K:(h + 1) * K] @ o_w[:, h * K:(h + 1) * K].T)))
        enc.append((f"encoder:L{l}.ff", "ff", l, None, through_cross(got[f"enc.{l}.ff"] - got[f"enc.{l}.attn"])))
    as_dict = lambda rows: [dict(component=n, kind=k, layer=l, head=h, value=v) for n, k, l, h, v in rows]  # noqa: E731
    return {"step": step, "level": level, "value": float(got["preds"][levels.index(level), step]), "normScale": s,
            "total": total, "components": as_dict(comps), "encoderComponents": as_dict(enc)}


def lens(model, context: torch.Tensor, levels: List[float]) -> List[List[List[float]]]:
    """Per decoder layer [level][step]: its residual through the final norm and the quantile head, denormalised."""
    got = captured(model, context)
    T = model.chronos_config.prediction_length
    out = []
    for l in range(model.config.num_decoder_layers):
        x = torch.tensor(got[f"dec.{l}.ff"], dtype=torch.float32).unsqueeze(0)
        q = model.output_patch_embedding(model.decoder.final_layer_norm(x)).view(1, -1)
        q = model.instance_norm.inverse(q, (torch.tensor([[got["loc"]]], dtype=torch.float32), torch.tensor([[got["scale"]]], dtype=torch.float32)))
        out.append(q.view(len(levels), T).double().tolist())
    return out


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
    context = torch.tensor(values[:-held_out]).unsqueeze(0)
    attributions = [attribution(model, context, st, lv, levels) for st, lv in ((0, 0.5), (cc.prediction_length - 1, levels[-1]))]
    for a in attributions:
        log(f"  {name} attribution step {a['step']} q{a['level']}: total {a['total']:.5f}, value {a['value']:.5f}")
    write_json(OUT_DIR / f"{name}.json", {
        "checkpoint": rel_to_repo(model_dir),
        "quantile_levels": levels,
        "copy_batch": batch,
        "series": {"values": [None if not np.isfinite(x) else float(x) for x in values], "held_out": held_out, "period": period},
        "variants": out,
        "attribution": attributions,
        "lens": lens(model, context, levels),
        "versions": versions(),
    })


def main() -> None:
    setup_torch()
    for name, spec in CASES.items():
        write_case(name, spec)


if __name__ == "__main__":
    main()
