"""Chronos-2 reference fixtures: forecasts and attentions from chronos-forecasting's Chronos2Pipeline.

Runs in tools/.venv-families (tools/setup-venv.sh --families): chronos-forecasting 2.x on
transformers 5.x, float32 on CPU, eager attention.

    tools/.venv-families/bin/python tools/reference/chronos2_reference.py             # committed fixtures
    tools/.venv-families/bin/python tools/reference/chronos2_reference.py --real small --out /tmp/c2-real
        # a random-weight checkpoint at a published Chronos-2 size (small, base) and its fixtures,
        # never committed; point the unit test at it with CHRONOS2_FIXTURES=/tmp/c2-real

Writes test/fixtures/chronos2/checkpoints/<name>/ (small random-weight checkpoints) and, for each
checkpoint (those plus ../shared/data/chronos2-dummy-model, read in place; and the dummy with the
../shared/data/chronos2-dummy-lora adapter merged, as the pipeline loads it) and each task case,
test/fixtures/chronos2/<checkpoint>.<case>.json + .safetensors (<checkpoint>+lora.<case> with a LoRA
adapter: meta.lora names it; test/fixtures/chronos2/adapters/ holds a synthetic one, see SYNTH_LORA):
  - meta: the task (target rows, past-only and known-future covariate rows, in the pipeline's row
    order: targets, past-only covariates, known-future covariates), horizons, pipeline options;
  - rows [n, L] (NaN = missing), future [n, F] (NaN where unknown), group_ids [n]: one forward batch
    as the pipeline builds it; quantile_preds [n, Q, Po x P] from Chronos2Model.forward on it;
  - time_attn.L [n, H, T, T] and group_attn.L [T, H, n, n] (the eager modules with output_attentions);
  - ablated_quantile_preds with meta.ablation's heads zeroed (a hook on each attention's output
    projection zeroes that head's slice of its input: the same intervention as our head gates);
  - forecast.H.quantiles [targets, H, Q] and forecast.H.mean [targets, H] from
    Chronos2Pipeline.predict_quantiles at the model's own levels, for every horizon in meta.horizons
    (one within one output patch, one past it, one past max_output_patches: rolled out by the pipeline).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
from _common import FIXTURES, rel_to_repo, setup_torch, zero_heads  # noqa: E402

C2_DIR = FIXTURES / "chronos2"
CKPT_DIR = C2_DIR / "checkpoints"
ADAPTER_DIR = C2_DIR / "adapters"
SHARED = (_common.REPO_ROOT / ".." / "shared" / "data").resolve()
DUMMY = SHARED / "chronos2-dummy-model"
DUMMY_LORA = SHARED / "chronos2-dummy-lora"

# amazon/chronos-2's 21 levels.
LEVELS21 = [0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99]
# The published sizes: chronos-2 (120 M) and chronos-2-small (28 M); the chronos block is shared.
REAL_SIZES: Dict[str, Dict[str, int]] = {
    "small": dict(d_model=512, d_ff=2048, num_layers=6, num_heads=8, d_kv=64),
    "base": dict(d_model=768, d_ff=3072, num_layers=12, num_heads=12, d_kv=64),
}
REAL_CHRONOS = dict(context_length=8192, input_patch_size=16, input_patch_stride=16, output_patch_size=16,
                    max_output_patches=64, quantiles=LEVELS21, use_reg_token=True, use_arcsinh=True,
                    time_encoding_scale=8192)


def c2_config(core: Dict[str, Any], chronos: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "architectures": ["Chronos2Model"],
        "chronos_pipeline_class": "Chronos2Pipeline",
        "model_type": "t5",
        "chronos_config": chronos,
        **core,
        "dense_act_fn": "relu",
        "feed_forward_proj": "relu",
        "is_gated_act": False,
        "dropout_rate": 0.1,
        "layer_norm_epsilon": 1e-6,
        "initializer_factor": 1.0,
        "pad_token_id": 0,
        "reg_token_id": 1,
        "rope_theta": 10000.0,
        "vocab_size": 2 if chronos.get("use_reg_token") else 1,
        "torch_dtype": "float32",
    }


# The published structure (21 levels, patches of 16, [REG], arcsinh) at a committable size, with a
# short context and two output patches so that truncation and the long-horizon roll-out are cheap;
# and a variant without arcsinh, patches of 8, d_kv 6, a time-encoding scale unlike its context.
# (Every Chronos-2 model has [REG]: Chronos2Model.forward requires it.)
SMALL_CHECKPOINTS: Dict[str, Dict[str, Any]] = {
    "chronos2-reduced-random": c2_config(
        dict(d_model=32, d_ff=24, num_layers=2, num_heads=4, d_kv=8),
        dict(REAL_CHRONOS, context_length=96, max_output_patches=2, time_encoding_scale=96),
    ),
    "chronos2-linear-random": c2_config(
        dict(d_model=16, d_ff=24, num_layers=1, num_heads=2, d_kv=6),
        dict(context_length=64, input_patch_size=8, input_patch_stride=8, output_patch_size=8, max_output_patches=3,
             quantiles=[0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 0.95], use_reg_token=True, use_arcsinh=False,
             time_encoding_scale=512),
    ),
}


def make_checkpoint(out: Path, config: Dict[str, Any], seed: int) -> None:
    from chronos.chronos2 import Chronos2Model
    from chronos.chronos2.config import Chronos2CoreConfig

    torch.manual_seed(seed)
    model = Chronos2Model(Chronos2CoreConfig(**config)).eval()
    # The output head is scaled down so that forecasts stay on the series' scale (a random head at full
    # initialisation forecasts far away, and arcsinh's inverse makes that explode). The queries are
    # scaled down too: at full initialisation the unscaled scores reach several hundred, where float32
    # itself (the reference against float64) is off by 3e-5 in the attention probabilities; here they
    # stay under about 20, as a trained model's mostly do.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("output_patch_embedding.") and name.endswith(".weight"):
                p.mul_(0.1)
            if name.endswith("self_attention.q.weight"):
                p.mul_(0.05)
    _common.save_checkpoint(model, out, config)


def load_pipeline(model_dir: Path, lora: Path | None = None):
    """The pipeline on `model_dir`; with `lora`, that PEFT adapter loaded into its model (PEFT's own,
    unmerged LoRA layers: W x + s B A x). The pipeline's from_pretrained on the adapter folder would look
    its base up on the hub, so the base is loaded first and the adapter put on it, as PEFT documents."""
    from chronos import Chronos2Pipeline

    pipe = Chronos2Pipeline.from_pretrained(str(model_dir), device_map="cpu", dtype=torch.float32, attn_implementation="eager")
    if lora is not None:
        from peft import PeftModel

        # injects the LoRA layers into pipe.model in place; the pipeline keeps calling pipe.model
        PeftModel.from_pretrained(pipe.model, str(lora), is_trainable=False)
    pipe.model.eval()
    return pipe


# A LoRA adapter on chronos2-reduced-random that exercises what the loader reads from adapter_config.json:
# q/k/v/o of both attentions, the feed-forward's wi and both residual MLPs' layers, a rank_pattern (regular
# expression keys, as PEFT matches them), an alpha_pattern and use_rslora. Its B factors are random
# (PEFT initialises them to zero), so the adapted forecasts differ from the base's.
SYNTH_LORA = dict(
    r=4,
    lora_alpha=6,
    use_rslora=True,
    target_modules=["self_attention.q", "self_attention.k", "self_attention.v", "self_attention.o", "mlp.wi",
                    "input_patch_embedding.hidden_layer", "output_patch_embedding.output_layer"],
    rank_pattern={r"layer\.1\.self_attention\.[qv]": 2, "encoder.block.0.layer.2.mlp.wi": 3},
    alpha_pattern={"output_patch_embedding.output_layer": 2.5},
)


def make_lora(base_dir: Path, out: Path, seed: int) -> None:
    from peft import LoraConfig, get_peft_model

    pipe = load_pipeline(base_dir)
    torch.manual_seed(seed)
    peft_model = get_peft_model(pipe.model, LoraConfig(**SYNTH_LORA, lora_dropout=0.0, bias="none"))
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if ".lora_B." in name:
                # small on queries and keys: as for the base's queries, large unscaled scores would make
                # float32 itself (against float64) drift past the attention bound
                p.normal_(0.0, 0.02 if (".self_attention.q." in name or ".self_attention.k." in name) else 0.15)
    out.mkdir(parents=True, exist_ok=True)
    peft_model.save_pretrained(str(out), safe_serialization=True)
    cfg = json.loads((out / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = "../../checkpoints/chronos2-reduced-random"
    cfg["target_modules"] = sorted(cfg["target_modules"])  # PEFT writes a set, in hash order
    (out / "adapter_config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    for extra in out.iterdir():
        if extra.name not in ("adapter_config.json", "adapter_model.safetensors"):
            extra.unlink()


def task_cases(cc: Dict[str, Any], horizon: int) -> List[Dict[str, Any]]:
    """Tasks as the pipeline takes them (dict inputs): univariate with gaps; three targets jointly;
    a target with two past-only covariates; a target with a past-only and a known-future covariate."""
    rng = np.random.default_rng(11)
    patch = cc["input_patch_size"]
    n = 5 * patch + 3
    t = np.arange(n, dtype=np.float64)
    base = 20 + 5 * np.sin(2 * np.pi * t / 12) + 0.05 * t
    a = (base + rng.normal(0, 0.4, n)).astype(np.float32)
    a[[4, 5, n // 2]] = np.nan
    b = (50 - 3 * np.cos(2 * np.pi * t / 12) + rng.normal(0, 0.5, n)).astype(np.float32)
    c = (np.cumsum(rng.normal(0, 1, n)) + 5).astype(np.float32)
    # longer than a small checkpoint's context (truncation); short enough for small attention fixtures
    long_n = min(cc["context_length"], 100) + 21
    tl = np.arange(long_n)
    long = (100 + 10 * np.sin(2 * np.pi * tl / 24) + rng.normal(0, 1.0, long_n)).astype(np.float32)
    lead = np.roll(long, -3).astype(np.float32)
    temp = (10 + 2 * np.sin(2 * np.pi * np.arange(long_n + horizon) / 24)).astype(np.float32)
    return [
        dict(case="univariate", target=[a], past={}, future={}),
        dict(case="multivariate", target=[a, b, c], past={}, future={}),
        dict(case="past-covariates", target=[b], past={"zeta": c, "alpha": a}, future={}),
        dict(case="future-covariates", target=[long], past={"lead": lead, "temp": temp[:long_n]}, future={"temp": temp[long_n:]}),
    ]


def pipeline_input(task: Dict[str, Any], h: int) -> Dict[str, Any]:
    target = np.stack(task["target"]) if len(task["target"]) > 1 else task["target"][0]
    d: Dict[str, Any] = {"target": target}
    if task["past"]:
        d["past_covariates"] = dict(task["past"])
    if task["future"]:
        d["future_covariates"] = {k: v[:h] for k, v in task["future"].items()}
    return d


def forward_batch(pipe, task: Dict[str, Any], h: int):
    """The first forward batch the pipeline builds for this task (its dataset's rows and order)."""
    from chronos.chronos2.dataset import Chronos2Dataset, DatasetMode

    ds = Chronos2Dataset([pipeline_input(task, h)], context_length=pipe.model_context_length, prediction_length=h,
                         batch_size=256, output_patch_size=pipe.model_output_patch_size, mode=DatasetMode.TEST)
    batch = next(iter(ds))
    return batch["context"].float(), batch["future_covariates"].float(), batch["group_ids"]


def ablation_for(model) -> Dict[str, List[List[int]]]:
    c = model.config
    return {"time": [[0, 0], [c.num_layers - 1, c.num_heads - 1]], "group": [[c.num_layers - 1, 0]]}


def zeroed_heads(model, ablation: Dict[str, List[List[int]]]):
    dkv = model.config.d_kv
    hooks = []
    for kind, pairs in ablation.items():
        j = 0 if kind == "time" else 1
        by_layer: Dict[int, List[int]] = {}
        for l, h in pairs:
            by_layer.setdefault(l, []).append(h)
        for l, heads in by_layer.items():
            hooks.append(model.encoder.block[l].layer[j].self_attention.o.register_forward_pre_hook(zero_heads(heads, dkv)))
    return hooks


def horizons(cc: Dict[str, Any], max_output_patches: int) -> List[int]:
    """Within one output patch, past it, and past max_output_patches (rolled out)."""
    p = cc["output_patch_size"]
    return [p - 3, 2 * p + 5, max_output_patches * p + p + 3]


def write_fixtures(name: str, model_dir: Path, out_dir: Path, lora: Path | None = None, cases: List[str] | None = None) -> List[str]:
    pipe = load_pipeline(model_dir, lora)
    model = pipe.model
    cc = json.loads((model_dir / "config.json").read_text())["chronos_config"]
    levels = list(pipe.quantiles)
    # The dummy's max_output_patches is 64 (1024 steps): the pipeline's own max_output_patches option
    # rolls it out past two patches instead, keeping the fixtures small.
    mop = 2 if cc.get("max_output_patches", 1) > 3 else cc.get("max_output_patches", 1)
    hs = horizons(cc, mop)
    written = []
    for task in task_cases(cc, max(hs)):
        case = task["case"]
        if cases is not None and case not in cases:
            continue
        meta: Dict[str, Any] = {
            "checkpoint": rel_to_repo(model_dir),
            "case": case,
            "quantile_levels": levels,
            "targets": len(task["target"]),
            "past_only": sorted(k for k in task["past"] if k not in task["future"]),
            "known_future": sorted(task["future"]),
            "horizons": hs,
            "max_output_patches": mop,
        }
        if lora:
            meta["lora"] = rel_to_repo(lora)
        arrays: Dict[str, torch.Tensor] = {}
        for i, s in enumerate(task["target"]):
            arrays[f"target.{i}"] = torch.tensor(s)
        for k, v in task["past"].items():
            arrays[f"past.{k}"] = torch.tensor(v)
        for k, v in task["future"].items():
            arrays[f"future.{k}"] = torch.tensor(v[:max(hs)])
        # one forward pass of the first batch at the middle horizon, with every attention
        h0 = hs[1]
        rows, fut, gids = forward_batch(pipe, task, h0)
        npatch = -(-h0 // cc["output_patch_size"])
        npatch = min(npatch, mop)
        fut = fut[:, :npatch * cc["output_patch_size"]]
        arrays["rows"] = rows
        arrays["future"] = fut
        arrays["group_ids"] = gids.to(torch.int64)
        meta["output_patches"] = npatch
        out = model(context=rows, group_ids=gids, future_covariates=fut, num_output_patches=npatch, output_attentions=True)
        arrays["quantile_preds"] = out.quantile_preds
        for l, a in enumerate(out.enc_time_self_attn_weights):
            arrays[f"time_attn.{l}"] = a
        for l, a in enumerate(out.enc_group_self_attn_weights):
            arrays[f"group_attn.{l}"] = a
        ab = ablation_for(model)
        meta["ablation"] = ab
        hooks = zeroed_heads(model, ab)
        try:
            arrays["ablated_quantile_preds"] = model(context=rows, group_ids=gids, future_covariates=fut, num_output_patches=npatch).quantile_preds
        finally:
            for hk in hooks:
                hk.remove()
        vals = np.concatenate([np.asarray(s, dtype=np.float64) for s in task["target"]])
        meta["series_scale"] = float(np.nanmax(np.abs(vals)))
        for h in hs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                q, mean = pipe.predict_quantiles([pipeline_input(task, h)], prediction_length=h, quantile_levels=levels, max_output_patches=mop)
            arrays[f"forecast.{h}.quantiles"] = q[0]
            arrays[f"forecast.{h}.mean"] = mean[0]
        written.append(_common.write_case(out_dir, f"{name}.{case}", meta, arrays))
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common.real_size_args(ap, REAL_SIZES)
    ap.add_argument("--lora-only", action="store_true", help="write only the LoRA adapter and its fixtures (the checkpoints exist)")
    args = ap.parse_args()
    setup_torch()
    if args.real:
        for size in _common.real_sizes(ap, args, REAL_SIZES):
            ck = args.out / "checkpoints" / f"chronos-2-{size}-random"
            make_checkpoint(ck, c2_config(REAL_SIZES[size], dict(REAL_CHRONOS)), seed=args.seed)
            write_fixtures(f"chronos-2-{size}-random", ck, args.out)
        return
    if not args.lora_only:
        for i, (name, cfg) in enumerate(SMALL_CHECKPOINTS.items()):
            make_checkpoint(CKPT_DIR / name, cfg, seed=200 + i)
        write_fixtures("chronos2-dummy-model", DUMMY, C2_DIR)
        for name in SMALL_CHECKPOINTS:
            write_fixtures(name, CKPT_DIR / name, C2_DIR)
    # LoRA: the shared dummy adapter (its B factors are tiny: a check of reading and merging it) and the
    # synthetic one above (large enough that the base model is far off)
    write_fixtures("chronos2-dummy-model+lora", DUMMY, C2_DIR, lora=DUMMY_LORA, cases=["univariate"])
    synth = ADAPTER_DIR / "chronos2-reduced-random-lora"
    make_lora(CKPT_DIR / "chronos2-reduced-random", synth, seed=300)
    write_fixtures("chronos2-reduced-random+lora", CKPT_DIR / "chronos2-reduced-random", C2_DIR, lora=synth, cases=["univariate", "multivariate"])
    _common.check_fixture_budget(C2_DIR, 1_500_000, "Chronos-2")


if __name__ == "__main__":
    main()
