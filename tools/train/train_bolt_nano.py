"""Train chronos-bolt-nano: a tiny Chronos-Bolt-format model on synthetic data, on CPU.

    tools/.venv-families/bin/python tools/train/train_bolt_nano.py --out models/chronos-bolt-nano

(tools/train/build_bolt_nano.sh runs this, then evaluate_bolt.py.)

The model is chronos-forecasting's own ``ChronosBoltModelForForecasting`` (tools/.venv-families) trained with its
own objective (the quantile loss its ``forward`` returns when given a target), so the checkpoint is exactly what
``ChronosBoltPipeline`` loads: NaN-aware instance norm, patches of 16 with their masks through a residual MLP,
a [REG] token, a T5 encoder over the patches, one decoder token and a residual-MLP head that gives nine deciles
x 64 steps at once. The config comes from ``tools/reference/bolt_reference.py``'s ``bolt_config`` (the one the
random-weight Bolt fixtures use), at a size that trains on two CPU cores in well under an hour.

The data are the synthetic families chronos-t5-nano was trained on (``synth.py`` and train_nano.py's generators):
noisy periodic series (level + amplitude x a harmonic or free-form seasonal shape + noise, sometimes on a trend),
KernelSynth-style Gaussian-process series, seasonal-trend series and TSMixup-style mixtures of them, and long
parroting series (a motif repeated with drift or noise). There is no tokenizer and no sampling: each batch is a
context of 64..512 values (shorter series left-padded with NaN, as the pipeline pads a short context) and the 64
values after it. Mostly periodic series, because beating seasonal naive on held-out periodic series is what the
bundled model is for: the views should show a model that reads earlier cycles.
"""

from __future__ import annotations

import os

# Spinning OpenMP workers make torch 10-20x slower when another process shares the cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import csv
import json
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "reference"))
import synth  # noqa: E402
from bolt_reference import DECILES, bolt_config  # noqa: E402
from train_nano import cosine_lr, cpu_name, long_parrot, noisy_periodic  # noqa: E402

VAL_SEED = 424242  # validation periodic series (evaluate_bolt.py's held-out set uses evaluate.PERIODIC_SEED)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/chronos-bolt-nano")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--d-model", type=int, default=96)
    ap.add_argument("--d-ff", type=int, default=256)
    ap.add_argument("--layers", type=int, default=3, help="encoder layers")
    ap.add_argument("--decoder-layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-kv", type=int, default=24)
    ap.add_argument("--context-length", type=int, default=512)
    ap.add_argument("--min-context", type=int, default=48)
    ap.add_argument("--p-full-context", type=float, default=0.4, help="share of batches at the longest context allowed")
    ap.add_argument("--curriculum-start", type=int, default=0,
                    help="longest context at step 0 (0: no curriculum, every batch may use the full context)")
    ap.add_argument("--curriculum-until", type=float, default=0.6,
                    help="share of --steps after which the longest context is the full context_length")
    ap.add_argument("--prediction-length", type=int, default=64)
    ap.add_argument("--patch", type=int, default=16)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--final-lr-factor", type=float, default=0.05, help="cosine decay to lr x this")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--rel-bias-init-scale", type=float, default=1.0, help="scales the initial relative attention biases")
    ap.add_argument("--head-init-scale", type=float, default=0.01, help="scales the quantile head's initial output weights")
    ap.add_argument("--p-periodic", type=float, default=0.7, help="share of noisy periodic series")
    ap.add_argument("--p-parrot", type=float, default=0.1, help="share of parroting series (the rest: realistic)")
    ap.add_argument("--pool-size", type=int, default=300, help="KernelSynth GP series drawn up front")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--val-every", type=int, default=500)
    ap.add_argument("--val-series", type=int, default=64)
    ap.add_argument("--save-every", type=int, default=500, help="also save the weights to OUT/checkpoint")
    ap.add_argument("--stop-at-step", type=int, default=0,
                    help="stop after this step, on the schedule of --steps (what a run cut short at that step holds)")
    return ap.parse_args(argv)


def model_config(args) -> dict:
    cfg = bolt_config(
        dict(d_model=args.d_model, d_ff=args.d_ff, num_layers=args.layers, num_decoder_layers=args.decoder_layers,
             num_heads=args.heads, d_kv=args.d_kv),
        dict(context_length=args.context_length, input_patch_size=args.patch, input_patch_stride=args.patch,
             prediction_length=args.prediction_length, quantiles=DECILES, use_reg_token=True),
    )
    # inference runs in eval mode anyway; at this size and budget dropout only slows the fit
    cfg["dropout_rate"] = 0.0
    # T5's default scale. The published Bolt configs say 0.05; at that scale the query/key products start so small
    # that attention stays uniform for the first thousands of steps (the model forecasts the context's mean and the
    # validation MASE did not move in 500 steps), more than this budget can wait.
    cfg["initializer_factor"] = 1.0
    return cfg


def longest_context(args, step: int) -> int:
    """The longest context of the batches at `step`: with a curriculum it grows linearly from --curriculum-start to
    context_length, as attention over a few patches learns the phase far sooner than over 32 (the flat-mean
    forecast is where full-length training stayed for thousands of steps)."""
    if not args.curriculum_start:
        return args.context_length
    f = min(1.0, step / max(1.0, args.curriculum_until * args.steps))
    return int(round(args.curriculum_start + f * (args.context_length - args.curriculum_start)))


def batch(rng, args, pool, T: int | None = None):
    """Contexts [B, L] (NaN-padded on the left) and futures [B, H] from the synthetic families; L <= T."""
    T = T or args.context_length
    H, B = args.prediction_length, args.batch
    L = T if rng.random() < args.p_full_context else int(rng.integers(min(args.min_context, T), T + 1))
    ctx = np.full((B, L), np.nan, dtype=np.float32)
    fut = np.zeros((B, H), dtype=np.float32)
    for i in range(B):
        n = L if rng.random() < 0.8 else int(rng.integers(max(16, L // 4), L + 1))
        u = rng.random()
        if u < args.p_periodic:
            c, f = noisy_periodic(rng, n, H)
        elif u < args.p_periodic + args.p_parrot:
            c, f = long_parrot(rng, n, H, pool)
        else:
            c, f = synth.realistic(rng, n, H, pool)
        ctx[i, L - len(c):] = c
        fut[i] = f
    return torch.from_numpy(ctx), torch.from_numpy(fut)


def val_periodic_mase(model, args, n: int) -> float:
    """Median MASE of the median forecast on validation periodic series (the held-out generator, another seed)."""
    from evaluate import mase

    data = synth.periodic_eval_set(n, VAL_SEED, args.context_length, args.prediction_length)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        q = model(context=torch.tensor(np.array([d[0] for d in data]), dtype=torch.float32)).quantile_preds
    if was_training:
        model.train()
    med = q[:, DECILES.index(0.5)].numpy()
    return float(np.median([mase(f, m_, c, p) for (c, f, p), m_ in zip(data, med)]))


def save(model, config: dict, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out), safe_serialization=True)
    # save_pretrained writes transformers' own fields too; keep the config we chose, byte-stable.
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for extra in out.iterdir():
        if extra.is_file() and extra.name not in ("config.json", "model.safetensors"):
            extra.unlink()


def main(argv=None):
    from chronos.chronos_bolt import ChronosBoltModelForForecasting
    from transformers import T5Config

    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    out = Path(args.out)
    work = out / "checkpoint"
    config = model_config(args)
    model = ChronosBoltModelForForecasting(T5Config(**config))
    with torch.no_grad():
        # At T5's init scale the quantile head starts out forecasting thousands of series scales away (loss ~4000),
        # and hundreds of steps go into shrinking it; scaled down, training starts from the context's mean.
        for layer in (model.output_patch_embedding.output_layer, model.output_patch_embedding.residual_layer):
            layer.weight.mul_(args.head_init_scale)
        # Sharper relative-position biases from the start: attention that already prefers some distances gives the
        # encoder position-dependent mixtures to learn from (the flat default spent its first 1000+ steps on the mean).
        for name, p in model.named_parameters():
            if "relative_attention_bias" in name:
                p.mul_(args.rel_bias_init_scale)
    model.train()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters {n_params:,}", flush=True)
    t = time.time()
    # long enough for a full context plus the horizon, so GP windows are used at every context length
    pool = synth.kernel_synth_pool(args.pool_size, seed=args.seed + 1000,
                                   length=args.context_length + args.prediction_length)
    pool_seconds = time.time() - t
    print(f"GP pool: {args.pool_size} series in {pool_seconds:.0f} s", flush=True)

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)

    lr_at = cosine_lr(args)

    rows, recent = [], []
    t0 = time.time()
    last = args.stop_at_step or args.steps
    for step in range(1, last + 1):
        ctx, fut = batch(rng, args, pool, longest_context(args, step - 1))
        for g in opt.param_groups:
            g["lr"] = lr_at(step - 1)
        loss = model(context=ctx, target=fut).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        recent.append(loss.item())
        if step % args.log_every == 0 or step == last:
            row = {"step": step, "seconds": round(time.time() - t0, 1), "lr": lr_at(step - 1),
                   "max_context": longest_context(args, step - 1),
                   "loss": float(np.mean(recent))}
            recent = []
            if args.val_every and (step % args.val_every == 0 or step == last):
                row["val_periodic_mase"] = val_periodic_mase(model, args, args.val_series)
            rows.append(row)
            print(json.dumps(row), flush=True)
        if args.save_every and step % args.save_every == 0:
            save(model, config, work)
    train_seconds = time.time() - t0

    model.eval()
    save(model, config, out)
    keys = ["step", "seconds", "lr", "max_context", "loss", "val_periodic_mase"]
    with open(out / "training_log.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in keys})
    import chronos
    import transformers

    summary = {
        "first_loss": rows[0]["loss"],
        "command": "tools/.venv-families/bin/python tools/train/train_bolt_nano.py "
        + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
        "args": vars(args),
        "parameters": n_params,
        "steps_done": last,
        "train_seconds": train_seconds,
        "pool_seconds": pool_seconds,
        "final_loss": float(np.mean([r["loss"] for r in rows[-5:]])),
        "final_val_periodic_mase": rows[-1].get("val_periodic_mase"),
        "hardware": cpu_name(),
        "load_average_at_end": os.getloadavg(),
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "chronos-forecasting": getattr(chronos, "__version__", "2.3.2"),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }
    (out / "training_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    if work.exists():
        for f in work.iterdir():
            f.unlink()
        work.rmdir()
    print(json.dumps({k: summary[k] for k in ("steps_done", "train_seconds", "final_loss", "final_val_periodic_mase")}),
          flush=True)


if __name__ == "__main__":
    main()
