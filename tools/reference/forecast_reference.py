#!/usr/bin/env python
"""Forecast references from chronos-forecasting's ChronosPipeline (fp32, CPU).

    tools/.venv/bin/python tools/reference/forecast_reference.py [--model DIR] [--out-dir DIR]

Writes to test/fixtures/forecast/:
  forecast.json (+ forecast.safetensors)
      ChronosPipeline.predict(context, prediction_length=8, num_samples=4000) on a fixture checkpoint:
      quantiles at 0.1..0.9 (torch.quantile, linear interpolation), mean, per-step standard deviation
      (ddof=1) so tests can build Monte Carlo error bands; the exact first-step sampling distribution
      (after transformers' logits processors); and teacher-forced logits for the tokenized context and a
      fixed decoder sequence.
  forecast-extended.json
      prediction_length 20 > the model's 8 with 1000 samples: the pipeline forecasts 8 steps, appends the
      per-step median of the samples to the context (torch.median: the LOWER median for an even count),
      re-tokenizes (new scale) and continues. The appended medians and per-round scales are recorded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    CHECKPOINTS_DIR,
    FIXTURES,
    f32_list,
    load_arrays,
    log,
    rel_to_repo,
    save_arrays,
    setup_torch,
    versions,
    write_json,
)

DEFAULT_MODEL = CHECKPOINTS_DIR / "t5-relu-tied-f32"
QUANTILE_LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
SEED = 20240601
SEED_EXTENDED = 20240602


def fixture_context() -> torch.Tensor:
    """A periodic series (period 12 with a period-6 harmonic and a slight trend), 60 points, one NaN."""
    t = np.arange(60, dtype=np.float64)
    x = 20.0 + 0.05 * t + 5.0 * np.sin(2 * np.pi * t / 12) + 2.0 * np.cos(2 * np.pi * t / 6)
    x[41] = np.nan
    return torch.tensor(x, dtype=torch.float32)


def fixed_decoder_sequence(pipeline, context: torch.Tensor, scale: torch.Tensor, length: int) -> torch.Tensor:
    """[0] + the tokens of the series' own noiseless continuation, tokenized with the context's scale."""
    t = np.arange(60, 60 + length - 1, dtype=np.float64)
    cont = 20.0 + 0.05 * t + 5.0 * np.sin(2 * np.pi * t / 12) + 2.0 * np.cos(2 * np.pi * t / 6)
    ids, _, _ = pipeline.tokenizer._input_transform(torch.tensor(cont, dtype=torch.float32)[None], scale=scale)
    return torch.cat([torch.zeros(1, 1, dtype=torch.long), ids.to(torch.long)], dim=1)


def first_step_distribution(model, input_ids, attention_mask, cfg) -> torch.Tensor:
    """The first decoding step's sampling distribution as transformers' generate builds it for chronos:
    min_new_tokens -> EOS logit -inf; temperature; top-k (ties at the k-th value kept); top-p (off at 1.0)."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask,
                   decoder_input_ids=torch.zeros(input_ids.shape[0], 1, dtype=torch.long)).logits[:, -1, :]
    logits = logits.clone()
    logits[:, cfg.eos_token_id] = -float("inf")
    logits = logits / cfg.temperature
    k = min(cfg.top_k, logits.shape[-1])
    kth = torch.topk(logits, k, dim=-1).values[:, -1:]
    logits = logits.masked_fill(logits < kth, -float("inf"))
    assert cfg.top_p >= 1.0, "top_p < 1 not reproduced here"
    return torch.softmax(logits, dim=-1)


def summarize(samples: torch.Tensor) -> Dict[str, Any]:
    """samples: [num_samples, steps] float32."""
    q = torch.quantile(samples, torch.tensor(QUANTILE_LEVELS, dtype=samples.dtype), dim=0)  # [levels, steps]
    mean = samples.mean(dim=0)
    std = samples.std(dim=0)  # ddof=1
    # Empirical CDF of the reference samples at each reference quantile value (values are discrete, so a
    # test can check that the fraction of its own samples <= / < the reference quantile brackets the level).
    le = (samples[None, :, :] <= q[:, None, :]).float().mean(dim=1)
    lt = (samples[None, :, :] < q[:, None, :]).float().mean(dim=1)
    return {
        "quantiles": f32_list(q.numpy()),
        "fraction_le_quantile": [[round(v, 6) for v in row] for row in le.tolist()],
        "fraction_lt_quantile": [[round(v, 6) for v in row] for row in lt.tolist()],
        "mean": f32_list(mean.numpy()),
        "std": f32_list(std.numpy()),
        "stderr_mean": f32_list((std / np.sqrt(samples.shape[0])).numpy()),
        "median_lower": f32_list(samples.median(dim=0).values.numpy()),
    }


def run(model_dir: Path, out_dir: Path) -> None:
    from chronos import ChronosPipeline

    pipeline = ChronosPipeline.from_pretrained(str(model_dir), torch_dtype=torch.float32, device_map="cpu")
    pipeline.model.eval()
    cfg = pipeline.model.config
    model = pipeline.model.model
    context = fixture_context()
    n_tokens = cfg.n_tokens
    centers = pipeline.tokenizer.centers

    # --- main case -------------------------------------------------------------------------
    pred_len, n_samples = cfg.prediction_length, 4000
    torch.manual_seed(SEED)
    samples = pipeline.predict(context, prediction_length=pred_len, num_samples=n_samples)[0]  # [n, steps]
    assert samples.shape == (n_samples, pred_len)
    input_ids, attention_mask, scale = pipeline.tokenizer.context_input_transform(context[None])
    probs = first_step_distribution(model, input_ids, attention_mask, cfg)[0]
    # Sanity: empirical first-step token frequencies match the computed distribution.
    # Ids 0..3 all decode to centers[0] * scale (output_transform clamps id - 3 at 0), so they are merged.
    first_tokens = torch.bucketize(samples[:, 0] / scale, pipeline.tokenizer.boundaries, right=True) + 2
    freq = torch.bincount(first_tokens.clamp(max=n_tokens - 1), minlength=n_tokens).float() / n_samples
    merged = probs.clone()
    merged[3] = probs[:4].sum()
    merged[:3] = 0.0
    max_dev = (freq - merged).abs().max().item()
    log(f"  first-step probability of ids 0..2 (decode like id 3): {probs[:3].tolist()}")
    log(f"  first-step max |freq - prob| = {max_dev:.4f}; entropy {-(probs * probs.clamp_min(1e-30).log()).sum():.2f} nats")
    assert max_dev < 0.03

    dec = fixed_decoder_sequence(pipeline, context, scale, pred_len)
    logits = model(input_ids=input_ids, attention_mask=attention_mask, decoder_input_ids=dec).logits
    arrays = {
        "input_ids": input_ids.to(torch.long),
        "attention_mask": attention_mask.to(torch.long),
        "decoder_input_ids": dec,
        "teacher_forced_logits": logits,
        "first_step_probs": probs[None],
    }
    info = save_arrays(out_dir / "forecast.safetensors", arrays, metadata={"generator": "tools/reference/forecast_reference.py"})
    doc = {
        "format": "chronos-lens-forecast-reference",
        "version": 1,
        "case": "forecast",
        "description": "ChronosPipeline.predict(context, prediction_length, num_samples) after torch.manual_seed(seed), "
                       "fp32 CPU; statistics over the sample axis per forecast step. quantiles[i][t] is level "
                       "quantile_levels[i] at step t (torch.quantile, linear interpolation). std is ddof=1; "
                       "stderr_mean = std / sqrt(num_samples). Values are quantized to bin centers x scale, so "
                       "quantiles move in steps of bin_width; compare within Monte Carlo error (e.g. the fraction of "
                       "your samples <= the reference quantile should lie in [fraction_lt_quantile - tol, "
                       "fraction_le_quantile + tol] with tol a few sqrt(level(1-level)/n) for both sample sizes).",
        "checkpoint": rel_to_repo(model_dir),
        "context": f32_list(context.numpy()),
        "prediction_length": pred_len,
        "model_prediction_length": cfg.prediction_length,
        "num_samples": n_samples,
        "seed": SEED,
        "sampling": {"temperature": cfg.temperature, "top_k": cfg.top_k, "top_p": cfg.top_p,
                     "eos_suppressed": "min_new_tokens = prediction_length sets the EOS logit to -inf at every step"},
        "quantile_levels": QUANTILE_LEVELS,
        **summarize(samples),
        "scale": f32_list(scale.numpy()),
        "bin_width": float((centers[1] - centers[0]) * scale[0]),
        "arrays_file": "forecast.safetensors",
        "arrays": info,
        "arrays_note": "input_ids / attention_mask: the tokenized context (with EOS); teacher_forced_logits = "
                       "model(input_ids, attention_mask, decoder_input_ids).logits where decoder_input_ids = [0] + "
                       "tokens of the series' noiseless continuation (scale of the context); first_step_probs = "
                       "softmax(top_k(logits of step 0 with EOS at -inf, / temperature)).",
        "first_step_max_abs_freq_minus_prob": max_dev,
        "versions": versions(),
        "generator": "tools/reference/forecast_reference.py",
    }
    write_json(out_dir / "forecast.json", doc)

    # --- extended horizon --------------------------------------------------------------------
    rounds: List[Dict[str, Any]] = []
    original = pipeline.tokenizer.context_input_transform

    def recording(ctx: torch.Tensor):
        ids, mask, sc = original(ctx)
        rounds.append({"context_length": int(ctx.shape[-1]), "scale": f32_list(sc.numpy())})
        return ids, mask, sc

    pipeline.tokenizer.context_input_transform = recording
    ext_len, ext_samples = 20, 1000
    torch.manual_seed(SEED_EXTENDED)
    samples = pipeline.predict(context, prediction_length=ext_len, num_samples=ext_samples)[0]
    pipeline.tokenizer.context_input_transform = original
    assert samples.shape == (ext_samples, ext_len)
    # The medians the pipeline appended after each round but the last (lower median over samples).
    appended = []
    start = 0
    for r in rounds[:-1]:
        steps = min(cfg.prediction_length, ext_len - start)
        appended.append(f32_list(samples[:, start:start + steps].median(dim=0).values.numpy()))
        start += steps
    doc = {
        "format": "chronos-lens-forecast-reference",
        "version": 1,
        "case": "forecast-extended",
        "description": "prediction_length > the model's: the pipeline runs rounds of min(remaining, model "
                       "prediction_length) steps; after each round it appends prediction.median(dim=samples).values "
                       "(torch.median = the LOWER of the two middle values for an even sample count) to the context "
                       "and re-tokenizes (so the scale changes). rounds[i] records the context length and scale seen "
                       "in round i; appended_medians[i] the values appended after round i. Later rounds depend on the "
                       "sampled medians, so compare with a wider tolerance.",
        "checkpoint": rel_to_repo(model_dir),
        "context": f32_list(context.numpy()),
        "prediction_length": ext_len,
        "model_prediction_length": cfg.prediction_length,
        "num_samples": ext_samples,
        "seed": SEED_EXTENDED,
        "sampling": {"temperature": cfg.temperature, "top_k": cfg.top_k, "top_p": cfg.top_p},
        "quantile_levels": QUANTILE_LEVELS,
        **summarize(samples),
        "rounds": rounds,
        "appended_medians": appended,
        "versions": versions(),
        "generator": "tools/reference/forecast_reference.py",
    }
    write_json(out_dir / "forecast-extended.json", doc)


def verify(out_dir: Path) -> None:
    import json

    doc = json.loads((out_dir / "forecast.json").read_text())
    arrays = load_arrays(out_dir / doc["arrays_file"])
    for k, v in doc["arrays"].items():
        assert list(arrays[k].shape) == v["shape"], k
    q = np.array(doc["quantiles"])
    assert q.shape == (9, doc["prediction_length"]) and np.all(np.diff(q, axis=0) >= 0)
    assert abs(arrays["first_step_probs"].sum().item() - 1) < 1e-5
    ext = json.loads((out_dir / "forecast-extended.json").read_text())
    assert np.array(ext["quantiles"]).shape == (9, ext["prediction_length"])
    assert len(ext["rounds"]) == 3 and len(ext["appended_medians"]) == 2
    log(f"  verified forecast fixtures: {doc['num_samples']} samples x {doc['prediction_length']} steps, "
        f"{ext['num_samples']} x {ext['prediction_length']} (rounds {[r['context_length'] for r in ext['rounds']]})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--out-dir", type=Path, default=FIXTURES / "forecast")
    args = ap.parse_args()
    setup_torch()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    run(args.model.resolve(), args.out_dir)
    verify(args.out_dir)


if __name__ == "__main__":
    main()
