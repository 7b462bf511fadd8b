"""Chronos-Bolt reference fixtures: forecasts, quantile heads and attentions from chronos-forecasting.

Runs in tools/.venv-families (tools/setup-venv.sh --families): chronos-forecasting 2.x on
transformers 5.x, float32 on CPU, eager attention.

    tools/.venv-families/bin/python tools/reference/bolt_reference.py            # committed fixtures
    tools/.venv-families/bin/python tools/reference/bolt_reference.py --real tiny --out /tmp/bolt-real
        # a random-weight checkpoint at a published Bolt size (tiny, mini, small, base) and its
        # fixtures, never committed; point the unit test at it with BOLT_FIXTURES=/tmp/bolt-real
        # (--no-fixtures: the checkpoint alone, as bench/run.ts makes bench/checkpoints/chronos-bolt-*-random)
    tools/.venv-families/bin/python tools/reference/bolt_reference.py --bundled
        # only the fixtures of the bundled models/chronos-bolt-nano (the default run writes them too)

Writes test/fixtures/bolt/checkpoints/<name>/ (small random-weight checkpoints) and, for each
checkpoint (those plus ../shared/data/chronos-bolt-dummy-model, read in place) and each series case,
test/fixtures/bolt/<checkpoint>.<case>.json + .safetensors:
  - context: the series given to the pipeline (float32, NaN = missing);
  - loc, scale, patches, attention_mask: the model's own instance norm and patching
    (ChronosBoltModelForForecasting.encode's steps, on the last context_length values);
  - quantile_preds: one forward pass, normalised (before the inverse instance norm);
  - encoder_attn.L [1, H, P, P], decoder_attn.L [1, H, 1, 1], cross_attn.L [1, H, 1, P] (transformers'
    eager attentions, the T5 stacks called with output_attentions);
  - ablated_quantile_preds with the heads in meta.ablation zeroed (a hook on each attention's output
    projection zeroes that head's slice of its input: the same intervention as our head gates);
  - layer_skipped_quantile_preds with the sublayers in meta.layer_skips skipped (a hook on each
    returns its input: the residual update dropped, as our layer skips do);
  - forecast.H.quantiles [1, H, Q] and forecast.H.mean [1, H] from ChronosBoltPipeline.predict_quantiles
    at the model's own quantile levels, for one horizon within prediction_length and one past it
    (rolled out by the pipeline).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
from _common import FIXTURES, rel_to_repo, setup_torch, zero_heads  # noqa: E402

BOLT_DIR = FIXTURES / "bolt"
CKPT_DIR = BOLT_DIR / "checkpoints"
DUMMY_BOLT = (_common.REPO_ROOT / ".." / "shared" / "data" / "chronos-bolt-dummy-model").resolve()
# the bundled model, trained by tools/train/train_bolt_nano.py
BUNDLED_BOLT = _common.REPO_ROOT / "models" / "chronos-bolt-nano"

# The published Bolt sizes are T5-efficient encoder-decoders (tiny, mini, small, base); the chronos
# block is the same for all four: context 2048, patches of 16, horizon 64, nine deciles, [REG].
REAL_SIZES: Dict[str, Dict[str, int]] = {
    "tiny": dict(d_model=256, d_ff=1024, num_layers=4, num_decoder_layers=4, num_heads=4, d_kv=64),
    "mini": dict(d_model=384, d_ff=1536, num_layers=4, num_decoder_layers=4, num_heads=8, d_kv=32),
    "small": dict(d_model=512, d_ff=2048, num_layers=6, num_decoder_layers=6, num_heads=8, d_kv=64),
    "base": dict(d_model=768, d_ff=3072, num_layers=12, num_decoder_layers=12, num_heads=12, d_kv=64),
}
DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def bolt_config(t5: Dict[str, Any], chronos: Dict[str, Any], ff: str = "relu") -> Dict[str, Any]:
    return {
        "architectures": ["ChronosBoltModelForForecasting"],
        "chronos_pipeline_class": "ChronosBoltPipeline",
        "model_type": "t5",
        "chronos_config": chronos,
        "d_model": t5["d_model"],
        "d_ff": t5["d_ff"],
        "d_kv": t5["d_kv"],
        "num_layers": t5["num_layers"],
        "num_decoder_layers": t5["num_decoder_layers"],
        "num_heads": t5["num_heads"],
        "relative_attention_num_buckets": 32,
        "relative_attention_max_distance": 128,
        "feed_forward_proj": ff,
        "dropout_rate": 0.1,
        "layer_norm_epsilon": 1e-6,
        "initializer_factor": 1.0,
        "decoder_start_token_id": 0,
        "pad_token_id": 0,
        "eos_token_id": 1,
        "is_encoder_decoder": True,
        "vocab_size": 2 if chronos.get("use_reg_token") else 1,
        "torch_dtype": "float32",
    }


# Small checkpoints with the structure of the published ones (and the branches they do not take).
SMALL_CHECKPOINTS: Dict[str, Dict[str, Any]] = {
    # bolt-tiny's structure (relu, [REG], 9 deciles, patches of 16) at a committable size;
    # d_model 32 != 4 heads x d_kv 12 as in bolt-mini (384 vs 8 x 32)
    "bolt-reduced-random": bolt_config(
        dict(d_model=32, d_ff=48, num_layers=2, num_decoder_layers=2, num_heads=4, d_kv=12),
        dict(context_length=512, input_patch_size=16, input_patch_stride=16, prediction_length=24,
             quantiles=DECILES, use_reg_token=True),
    ),
    # no [REG], gated-gelu, five uneven levels, patches of 8, fewer encoder than decoder layers
    "bolt-noreg-random": bolt_config(
        dict(d_model=16, d_ff=24, num_layers=1, num_decoder_layers=2, num_heads=2, d_kv=8),
        dict(context_length=96, input_patch_size=8, input_patch_stride=8, prediction_length=12,
             quantiles=[0.05, 0.25, 0.5, 0.75, 0.95], use_reg_token=False),
        ff="gated-gelu",
    ),
}


def make_checkpoint(out: Path, config: Dict[str, Any], seed: int) -> None:
    from chronos.chronos_bolt import ChronosBoltModelForForecasting
    from transformers import T5Config

    torch.manual_seed(seed)
    model = ChronosBoltModelForForecasting(T5Config(**config)).eval()
    # The default init gives near-uniform attention; sharper position biases make the attention
    # fixtures (and any indexing mistake) visible.
    # The head is scaled down so that forecasts stay on the series' scale (at full initialisation a
    # random head forecasts hundreds of series scales away, and roll-outs diverge from there).
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "relative_attention_bias" in name:
                p.mul_(4.0)
            if name.startswith("output_patch_embedding.") and name.endswith(".weight"):
                p.mul_(0.1)
    _common.save_checkpoint(model, out, config)


def load_pipeline(model_dir: Path):
    from chronos import BaseChronosPipeline

    pipe = BaseChronosPipeline.from_pretrained(str(model_dir), device_map="cpu", dtype=torch.float32, attn_implementation="eager")
    pipe.model.eval()
    return pipe


def series_cases(cc: Dict[str, Any]) -> List[Tuple[str, np.ndarray, bool]]:
    """(case, values, with internals): a seasonal series with gaps whose length is not a multiple of
    the patch size; one longer than the context (truncation); a constant one (scale = eps)."""
    rng = np.random.default_rng(7)
    patch = cc["input_patch_size"]
    n = 5 * patch + 3
    t = np.arange(n)
    s = 20 + 5 * np.sin(2 * np.pi * t / 12) + 0.05 * t + rng.normal(0, 0.4, n)
    s[[4, 5, n // 2]] = np.nan
    long_n = cc["context_length"] + 37
    tl = np.arange(long_n)
    long = 100 + 10 * np.sin(2 * np.pi * tl / 24) + rng.normal(0, 1.0, long_n)
    return [
        ("seasonal-gaps", s.astype(np.float32), True),
        ("longer-than-context", long.astype(np.float32), False),
        ("constant", np.full(2 * patch + 1, 3.5, dtype=np.float32), False),
    ]


def internals(model, context: torch.Tensor) -> Dict[str, torch.Tensor]:
    """The model's own preprocessing, one forward pass, and every attention probability."""
    cc = model.chronos_config
    ctx = context[..., -cc.context_length:]
    mask = torch.isnan(ctx).logical_not().to(ctx.dtype)
    normed, (loc, scale) = model.instance_norm(ctx)
    patched = model.patch(normed)
    pmask = torch.nan_to_num(model.patch(mask), nan=0.0)
    patched = torch.where(pmask > 0.0, patched, 0.0)
    patches = torch.cat([patched, pmask], dim=-1)
    out: Dict[str, torch.Tensor] = {"loc": loc.reshape(-1), "scale": scale.reshape(-1), "patches": patches}
    hidden, _, embeds, attn_mask = model.encode(context=context)
    out["attention_mask"] = attn_mask.to(torch.int64)
    enc = model.encoder(attention_mask=attn_mask, inputs_embeds=embeds, output_attentions=True, return_dict=True)
    torch.testing.assert_close(enc.last_hidden_state, hidden, rtol=0, atol=0)
    out["encoder_hidden"] = hidden
    for l, a in enumerate(enc.attentions):
        out[f"encoder_attn.{l}"] = a
    dec_ids = torch.full((context.shape[0], 1), model.config.decoder_start_token_id)
    dec = model.decoder(input_ids=dec_ids, encoder_hidden_states=hidden, encoder_attention_mask=attn_mask, output_attentions=True, return_dict=True)
    for l, a in enumerate(dec.attentions):
        out[f"decoder_attn.{l}"] = a
    for l, a in enumerate(dec.cross_attentions):
        out[f"cross_attn.{l}"] = a
    q = model.output_patch_embedding(dec.last_hidden_state).view(context.shape[0], len(cc.quantiles), cc.prediction_length)
    out["quantile_preds"] = q
    # The pipeline's forward must agree with the pieces above.
    full = model(context=context).quantile_preds
    torch.testing.assert_close(model.instance_norm.inverse(q.reshape(context.shape[0], -1), (loc, scale)).view_as(full), full, rtol=0, atol=0)
    return out


def passthrough(_module, args, out):
    """A forward hook that makes a T5 sublayer return its input hidden states (and the position bias it passes on)."""
    return (args[0],) + tuple(out[1:]) if isinstance(out, tuple) else args[0]


def ablation_for(model) -> Dict[str, List[List[int]]]:
    """A fixed set of heads of every kind: (layer, head) pairs."""
    c = model.config
    return {
        "encoder": [[0, 0], [c.num_layers - 1, c.num_heads - 1]],
        "decoder": [[0, c.num_heads - 1]],
        "cross": [[c.num_decoder_layers - 1, 0]],
    }


def ablated_preds(model, context: torch.Tensor, ablation: Dict[str, List[List[int]]]) -> torch.Tensor:
    """Normalised quantile predictions with the listed heads' outputs zeroed before the output projection."""
    dkv = model.config.d_kv
    hooks = []

    where = {"encoder": lambda l: model.encoder.block[l].layer[0].SelfAttention.o,
             "decoder": lambda l: model.decoder.block[l].layer[0].SelfAttention.o,
             "cross": lambda l: model.decoder.block[l].layer[1].EncDecAttention.o}
    for kind, pairs in ablation.items():
        by_layer: Dict[int, List[int]] = {}
        for l, h in pairs:
            by_layer.setdefault(l, []).append(h)
        for l, heads in by_layer.items():
            hooks.append(where[kind](l).register_forward_pre_hook(zero_heads(heads, dkv)))
    try:
        out = model(context=context)
        hidden, loc_scale, embeds, attn_mask = model.encode(context=context)
        q = model.output_patch_embedding(model.decode(embeds, attn_mask, hidden))
        q = q.view(context.shape[0], len(model.chronos_config.quantiles), model.chronos_config.prediction_length)
        back = model.instance_norm.inverse(q.reshape(context.shape[0], -1), loc_scale).view_as(out.quantile_preds)
        torch.testing.assert_close(back, out.quantile_preds, rtol=0, atol=0)
        return q
    finally:
        for h in hooks:
            h.remove()


def layer_skips_for(model) -> Dict[str, List[List[Any]]]:
    """Sublayers to skip (their residual update dropped): (layer, part) pairs per stack."""
    c = model.config
    return {"encoder": [[0, "all"]], "decoder": [[c.num_decoder_layers - 1, "cross"], [0, "ff"]]}


def skipped_preds(model, context: torch.Tensor, skips: Dict[str, List[List[Any]]]) -> torch.Tensor:
    """Normalised quantile predictions with the listed sublayers skipped: a forward hook on each
    sublayer module returns its input hidden states (and keeps the position bias it passes on)."""
    parts = {"encoder": {"attention": [0], "ff": [1], "all": [0, 1]},
             "decoder": {"self": [0], "cross": [1], "ff": [2], "all": [0, 1, 2]}}
    hooks = []
    for stack, pairs in skips.items():
        blocks = model.encoder.block if stack == "encoder" else model.decoder.block
        for layer, part in pairs:
            for j in parts[stack][part]:
                hooks.append(blocks[layer].layer[j].register_forward_hook(passthrough))
    try:
        hidden, _loc_scale, embeds, attn_mask = model.encode(context=context)
        q = model.output_patch_embedding(model.decode(embeds, attn_mask, hidden))
        return q.view(context.shape[0], len(model.chronos_config.quantiles), model.chronos_config.prediction_length)
    finally:
        for h in hooks:
            h.remove()


def horizons(pred_len: int) -> List[int]:
    """One horizon within prediction_length and one that needs two roll-out steps past it."""
    return [max(1, pred_len - 5), 2 * pred_len + 7]


def write_fixtures(name: str, model_dir: Path, out_dir: Path) -> List[str]:
    pipe = load_pipeline(model_dir)
    model = pipe.model
    cc = json.loads((model_dir / "config.json").read_text())["chronos_config"]
    levels = list(pipe.quantiles)
    written = []
    for case, values, with_internals in series_cases(cc):
        context = torch.tensor(values).unsqueeze(0)
        arrays: Dict[str, torch.Tensor] = {"context": context.reshape(-1)}
        meta: Dict[str, Any] = {
            "checkpoint": rel_to_repo(model_dir),
            "case": case,
            "quantile_levels": levels,
            "prediction_length": cc["prediction_length"],
            "horizons": horizons(cc["prediction_length"]),
        }
        ints = internals(model, context)
        keep = ints if with_internals else {k: ints[k] for k in ("loc", "scale", "patches", "attention_mask", "quantile_preds")}
        arrays.update(keep)
        if with_internals:
            ab = ablation_for(model)
            meta["ablation"] = ab
            arrays["ablated_quantile_preds"] = ablated_preds(model, context, ab)
            sk = layer_skips_for(model)
            meta["layer_skips"] = sk
            arrays["layer_skipped_quantile_preds"] = skipped_preds(model, context, sk)
        meta["series_scale"] = float(np.nanmax(np.abs(values)))
        for h in meta["horizons"]:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                q, mean = pipe.predict_quantiles(context, prediction_length=h, quantile_levels=levels)
            arrays[f"forecast.{h}.quantiles"] = q
            arrays[f"forecast.{h}.mean"] = mean
        written.append(_common.write_case(out_dir, f"{name}.{case}", meta, arrays))
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common.real_size_args(ap, REAL_SIZES)
    ap.add_argument("--no-fixtures", action="store_true", help="with --real: only the checkpoints (bench/run.ts uses them)")
    ap.add_argument("--bundled", action="store_true",
                    help="only the fixtures of the bundled models/chronos-bolt-nano (after tools/train/build_bolt_nano.sh)")
    args = ap.parse_args()
    setup_torch()
    if args.bundled:
        write_fixtures("chronos-bolt-nano", BUNDLED_BOLT, BOLT_DIR)
        return
    if args.real:
        for size in _common.real_sizes(ap, args, REAL_SIZES):
            cfg = bolt_config(REAL_SIZES[size], dict(context_length=2048, input_patch_size=16, input_patch_stride=16,
                                                     prediction_length=64, quantiles=DECILES, use_reg_token=True))
            ck = args.out / "checkpoints" / f"chronos-bolt-{size}-random"
            make_checkpoint(ck, cfg, seed=args.seed)
            if not args.no_fixtures:
                write_fixtures(f"chronos-bolt-{size}-random", ck, args.out)
        return
    for i, (name, cfg) in enumerate(SMALL_CHECKPOINTS.items()):
        make_checkpoint(CKPT_DIR / name, cfg, seed=100 + i)
    write_fixtures("chronos-bolt-dummy-model", DUMMY_BOLT, BOLT_DIR)
    for name in SMALL_CHECKPOINTS:
        write_fixtures(name, CKPT_DIR / name, BOLT_DIR)
    if (BUNDLED_BOLT / "model.safetensors").exists():
        write_fixtures("chronos-bolt-nano", BUNDLED_BOLT, BOLT_DIR)
    _common.check_fixture_budget(BOLT_DIR, 800_000, "Bolt")


if __name__ == "__main__":
    main()
