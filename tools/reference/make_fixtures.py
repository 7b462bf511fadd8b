#!/usr/bin/env python
"""Reference outputs of transformers' T5ForConditionalGeneration and chronos' MeanScaleUniformBins.

    tools/.venv/bin/python tools/reference/make_fixtures.py                  # everything
    tools/.venv/bin/python tools/reference/make_fixtures.py --only runtime   # or: tokenizer, buckets
    tools/.venv/bin/python tools/reference/make_fixtures.py --model DIR --out-dir OUT  # any checkpoint (not committed)

runtime   -> test/fixtures/runtime/<checkpoint>.<case>.safetensors + .json, for every committed
             checkpoint (test/fixtures/checkpoints/*) and for the real Chronos test checkpoint
             ../shared/data/chronos-dummy-model (read in place). Cases: `forward` (plain),
             `head-mask` (head_mask / decoder_head_mask / cross_attn_head_mask with zeros), and for
             t5-relu-tied-f32 also `incremental` (greedy KV-cache decoding, per-step logits).
tokenizer -> test/fixtures/tokenizer/mean-scale-uniform-bins.json (context_input_transform and
             output_transform vectors) and bins.safetensors + bins.json (centers / boundaries).
buckets   -> test/fixtures/tokenizer/relative-position-buckets.json (T5 _relative_position_bucket).

All references are float32 on CPU, eval mode, eager attention, weights upcast from their stored
dtype (from_pretrained(..., torch_dtype=torch.float32)).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    CHECKPOINTS_DIR,
    DUMMY_MODEL,
    FIXTURES,
    f32_list,
    json_float,
    load_arrays,
    load_chronos_config,
    load_t5_float32,
    log,
    make_tokenizer,
    rel_to_repo,
    save_arrays,
    setup_torch,
    versions,
    write_json,
)

RUNTIME_DIR = FIXTURES / "runtime"
TOKENIZER_DIR = FIXTURES / "tokenizer"
INCREMENTAL_CHECKPOINT = "t5-relu-tied-f32"
INCREMENTAL_STEPS = 6

COMPUTATION = (
    "model = T5ForConditionalGeneration.from_pretrained(checkpoint, torch_dtype=torch.float32, "
    "attn_implementation='eager').eval(); out = model(input_ids=input_ids, attention_mask=attention_mask, "
    "decoder_input_ids=decoder_input_ids, output_attentions=True, output_hidden_states=True, use_cache=False{extra})"
)


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
def fixture_series() -> Tuple[List[np.ndarray], List[np.ndarray]]:
    """Three context series of different lengths (left-padded to one batch), with missing values,
    and a short continuation for each (tokenized with the context's scale for the decoder input)."""
    t = np.arange(40, dtype=np.float64)
    rng = np.random.default_rng(20240611)
    s0 = 10.0 + 3.0 * np.sin(2 * np.pi * t / 7) + 0.3 * rng.standard_normal(40)
    s0[[5, 6, 7]] = np.nan  # a run of missing values
    s1 = -2.0 - 0.15 * t + 0.5 * np.cos(2 * np.pi * t / 5) + 0.2 * rng.standard_normal(40)
    s1[9] = np.nan
    s2 = np.where(t % 6 == 0, 25.0, 0.0) + 0.5 * rng.standard_normal(40)
    s2[[0, 4]] = [0.0, np.nan]
    lengths = (23, 17, 11)  # encoder lengths 24 / 18 / 12 with EOS; batch padded to 24 on the left
    contexts = [s[:n] for s, n in zip((s0, s1, s2), lengths)]
    continuations = [s[n:n + 8] for s, n in zip((s0, s1, s2), lengths)]
    return contexts, continuations


def left_pad(series: List[np.ndarray]) -> torch.Tensor:
    width = max(len(s) for s in series)
    out = torch.full((len(series), width), float("nan"), dtype=torch.float32)
    for i, s in enumerate(series):
        out[i, width - len(s):] = torch.tensor(s, dtype=torch.float32)
    return out


def make_inputs(chronos_config: Dict[str, Any], dec_len: int) -> Dict[str, Any]:
    tok = make_tokenizer(chronos_config)
    contexts, continuations = fixture_series()
    context = left_pad(contexts)
    input_ids, attention_mask, scale = tok.context_input_transform(context)
    cont = torch.tensor(np.stack([c[: dec_len - 1] for c in continuations]), dtype=torch.float32)
    cont_ids, _, _ = tok._input_transform(cont, scale=scale)
    decoder_input_ids = torch.cat([torch.zeros(len(contexts), 1, dtype=torch.long), cont_ids], dim=1)
    return {
        "context": context,
        "continuation": cont,
        "scale": scale,
        "input_ids": input_ids.to(torch.long),
        "attention_mask": attention_mask.to(torch.long),
        "decoder_input_ids": decoder_input_ids.to(torch.long),
    }


def head_masks(n_enc: int, n_dec: int, n_heads: int) -> Dict[str, torch.Tensor]:
    """Deterministic masks with zeros in every kind (one 0.5 to exercise linearity where heads >= 3)."""
    enc = torch.ones(n_enc, n_heads)
    dec = torch.ones(n_dec, n_heads)
    cross = torch.ones(n_dec, n_heads)
    if n_heads == 1:
        cross[:, 0] = 0.0  # single-head model: ablate the cross-attention only
    else:
        for layer in range(n_enc):
            enc[layer, layer % n_heads] = 0.0
        for layer in range(n_dec):
            dec[layer, (layer + 1) % n_heads] = 0.0
            cross[layer, (layer + 2) % n_heads] = 0.0
        if n_heads >= 3:
            enc[0, 1] = 0.5  # layer 0 has head 0 at 0.0 and head 1 at 0.5
        cross[n_dec - 1, :] = 0.0  # a whole cross-attention layer off
    return {"head_mask": enc, "decoder_head_mask": dec, "cross_attn_head_mask": cross}


# ---------------------------------------------------------------------------------------------
# Runtime fixtures
# ---------------------------------------------------------------------------------------------
def model_summary(model, model_dir: Path) -> Dict[str, Any]:
    c = model.config
    raw = json.loads((model_dir / "config.json").read_text())
    return {
        "vocab_size": c.vocab_size,
        "d_model": c.d_model,
        "d_kv": c.d_kv,
        "d_ff": c.d_ff,
        "num_heads": c.num_heads,
        "num_layers": c.num_layers,
        "num_decoder_layers": c.num_decoder_layers,
        "feed_forward_proj": c.feed_forward_proj,
        "tie_word_embeddings": c.tie_word_embeddings,
        "relative_attention_num_buckets": c.relative_attention_num_buckets,
        "relative_attention_max_distance": c.relative_attention_max_distance,
        "config_torch_dtype": raw.get("torch_dtype"),
    }


def forward_arrays(model, inputs: Dict[str, torch.Tensor], masks: Dict[str, torch.Tensor] | None) -> Dict[str, torch.Tensor]:
    kwargs: Dict[str, Any] = dict(
        input_ids=inputs["input_ids"],
        attention_mask=inputs["attention_mask"],
        decoder_input_ids=inputs["decoder_input_ids"],
        output_attentions=True,
        output_hidden_states=True,
        use_cache=False,
        return_dict=True,
    )
    if masks:
        kwargs.update(masks)
    out = model(**kwargs)
    arrays: Dict[str, torch.Tensor] = {
        "input_ids": inputs["input_ids"],
        "attention_mask": inputs["attention_mask"],
        "decoder_input_ids": inputs["decoder_input_ids"],
    }
    if masks:
        arrays.update(masks)
    arrays["logits"] = out.logits
    arrays["encoder_last_hidden_state"] = out.encoder_last_hidden_state
    arrays["decoder_last_hidden_state"] = out.decoder_hidden_states[-1]
    for i, a in enumerate(out.encoder_attentions):
        arrays[f"encoder_attentions.{i}"] = a
    for i, a in enumerate(out.decoder_attentions):
        arrays[f"decoder_attentions.{i}"] = a
    for i, a in enumerate(out.cross_attentions):
        arrays[f"cross_attentions.{i}"] = a
    return arrays


def incremental_arrays(model, inputs: Dict[str, torch.Tensor], steps: int) -> Dict[str, torch.Tensor]:
    """Greedy decoding with the KV cache (use_cache=True), one decoder token per call."""
    enc = model.get_encoder()(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], return_dict=True)
    batch = inputs["input_ids"].shape[0]
    generated = torch.zeros(batch, 1, dtype=torch.long)
    past = None
    step_logits = []
    cur = generated
    for _ in range(steps):
        out = model(encoder_outputs=enc, attention_mask=inputs["attention_mask"], decoder_input_ids=cur,
                    past_key_values=past, use_cache=True, return_dict=True)
        past = out.past_key_values
        logits = out.logits[:, -1, :]
        step_logits.append(logits)
        cur = logits.argmax(-1, keepdim=True)
        generated = torch.cat([generated, cur], dim=1)
    step_logits_t = torch.stack(step_logits, dim=1)  # [batch, steps, vocab]
    # Cross-checks: the same tokens as generate(do_sample=False), and the same logits without the cache.
    gen = model.generate(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], do_sample=False,
                         max_new_tokens=steps, min_new_tokens=steps, num_beams=1)
    assert torch.equal(gen, generated), (gen, generated)
    full = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                 decoder_input_ids=generated[:, :steps], use_cache=False, return_dict=True).logits
    diff = (full - step_logits_t).abs().max().item()
    assert diff < 1e-4, diff
    return {
        "input_ids": inputs["input_ids"],
        "attention_mask": inputs["attention_mask"],
        "generated_ids": generated,
        "step_logits": step_logits_t,
        "teacher_forced_logits": full,
    }, diff


def write_case(name: str, kind: str, model_dir: Path, model, arrays: Dict[str, torch.Tensor], inputs: Dict[str, Any],
               description: str, extra: Dict[str, Any], out_dir: Path = RUNTIME_DIR) -> int:
    path = out_dir / f"{name}.safetensors"
    info = save_arrays(path, arrays, metadata={"case": name})
    meta = {
        "format": "chronos-lens-runtime-fixture",
        "version": 1,
        "case": name,
        "kind": kind,
        "description": description,
        "checkpoint": rel_to_repo(model_dir) if out_dir == RUNTIME_DIR else str(model_dir),
        "arrays_file": path.name,
        "arrays": info,
        "model": model_summary(model, model_dir),
        "inputs": {
            "context": f32_list(inputs["context"]),
            "scale": f32_list(inputs["scale"]),
            "continuation": f32_list(inputs["continuation"]),
            "how": "input_ids, attention_mask, scale = MeanScaleUniformBins(checkpoint's chronos_config)"
                   ".context_input_transform(context) (context left-padded with NaN = null here); "
                   "decoder_input_ids = [0] + tokenizer._input_transform(continuation, scale) ids",
        },
        "versions": versions(),
        "generator": "tools/reference/make_fixtures.py",
    }
    meta.update(extra)
    write_json(out_dir / f"{name}.json", meta)
    return path.stat().st_size


def checkpoint_dirs() -> List[Tuple[str, Path]]:
    dirs = [(p.name, p) for p in sorted(CHECKPOINTS_DIR.iterdir()) if (p / "config.json").exists()]
    dirs.append(("chronos-dummy-model", DUMMY_MODEL))
    return dirs


def make_runtime(only: List[str] | None, models: List[Tuple[str, Path]] | None = None,
                 out_dir: Path = RUNTIME_DIR) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, model_dir in models or checkpoint_dirs():
        if only and name not in only:
            continue
        model = load_t5_float32(model_dir)
        cc = load_chronos_config(model_dir)
        vocab = model.config.vocab_size
        dec_len = 5 if vocab <= 1024 else 4  # keeps the vocab-4096 logits small
        inputs = make_inputs(cc, dec_len)
        log(f"[runtime] {name}: input_ids {tuple(inputs['input_ids'].shape)}, decoder {tuple(inputs['decoder_input_ids'].shape)}")

        arrays = forward_arrays(model, inputs, None)
        check_attention_sanity(arrays)
        write_case(f"{name}.forward", "forward", model_dir, model, arrays, inputs,
                   "Plain forward pass: logits, encoder/decoder last hidden states and every attention "
                   "probability tensor, for a left-padded batch with missing values (attention_mask 0).",
                   {"computation": COMPUTATION.format(extra="")}, out_dir)

        masks = head_masks(model.config.num_layers, model.config.num_decoder_layers, model.config.num_heads)
        arrays = forward_arrays(model, inputs, masks)
        write_case(f"{name}.head-mask", "head-mask", model_dir, model, arrays, inputs,
                   "Same inputs with head masks (zero ablation; one 0.5 where there are >= 3 heads). "
                   "transformers multiplies each head's attention probabilities by its mask value before "
                   "the value product, so the stored attention tensors are the masked ones (all zeros for a "
                   "head with mask 0) and logits reflect the ablation.",
                   {"computation": COMPUTATION.format(
                       extra=", head_mask=head_mask, decoder_head_mask=decoder_head_mask, "
                             "cross_attn_head_mask=cross_attn_head_mask"),
                    "head_masks": {k: v.tolist() for k, v in masks.items()}}, out_dir)

        if name == INCREMENTAL_CHECKPOINT:
            arrays, diff = incremental_arrays(model, inputs, INCREMENTAL_STEPS)
            write_case(f"{name}.incremental", "incremental", model_dir, model, arrays, inputs,
                       f"Greedy incremental decoding with the KV cache for {INCREMENTAL_STEPS} steps: step k "
                       "feeds only the token chosen at step k-1 (step 0 feeds the decoder start id 0) with "
                       "past_key_values from the previous call. step_logits[:, k] are the logits of that call; "
                       "generated_ids = [0, argmax step 0, ..., argmax step 5] (equal to "
                       "generate(do_sample=False)); teacher_forced_logits = one no-cache forward on "
                       "generated_ids[:, :steps] (max |diff| to step_logits recorded below).",
                       {"computation": "enc = model.get_encoder()(input_ids, attention_mask); for each step: "
                                       "out = model(encoder_outputs=enc, attention_mask=attention_mask, "
                                       "decoder_input_ids=last_token, past_key_values=past, use_cache=True)",
                        "steps": INCREMENTAL_STEPS,
                        "max_abs_diff_cache_vs_no_cache": diff}, out_dir)


def check_attention_sanity(arrays: Dict[str, torch.Tensor]) -> None:
    mask = arrays["attention_mask"].bool()
    for k, a in arrays.items():
        if "attentions" not in k:
            continue
        s = a.sum(-1)
        assert torch.allclose(s, torch.ones_like(s), atol=1e-5), k
        if k.startswith("encoder") or k.startswith("cross"):
            # masked keys get exactly zero probability
            masked = a * (~mask)[:, None, None, :]
            assert masked.abs().max().item() == 0.0, k


# ---------------------------------------------------------------------------------------------
# Tokenizer fixtures
# ---------------------------------------------------------------------------------------------
TOKENIZER_CONFIGS = {
    "default": dict(n_tokens=4096, context_length=512, prediction_length=64),
    "context8": dict(n_tokens=4096, context_length=8, prediction_length=64),
}


def chronos_config_for(n_tokens: int, context_length: int, prediction_length: int) -> Dict[str, Any]:
    from make_checkpoints import chronos_config_block

    return chronos_config_block(n_tokens=n_tokens, context_length=context_length, prediction_length=prediction_length)


def boundary_case(tok) -> np.ndarray:
    """Values that, after mean scaling, land exactly on bin boundaries (and one float32 ulp either side).
    The scale is forced to be exactly 4.0 (a power of two, so value * 4 / 4 is exact)."""
    b = tok.boundaries.numpy()  # float32, [-1e20, midpoints..., 1e20]
    ks = [1, 2, 100, 2045, 2046, 2047, 2048, 3000, 4091, 4092]
    base = []
    for k in ks:
        v = np.float32(b[k])
        base += [v, np.nextafter(v, np.float32(np.inf)), np.nextafter(v, np.float32(-np.inf))]
    vals = np.array(base, dtype=np.float32) * np.float32(4.0)
    # zeros (so that a non-negative compensating value exists) and one compensating value w so that
    # torch's float32 mean |x| is exactly 4.0; w is nudged by ulps until torch agrees.
    n_zeros = int(math.ceil(float(np.abs(vals.astype(np.float64)).sum()) / 4.0)) - len(vals) + 2
    n = len(vals) + n_zeros + 1
    w = np.float32(4.0 * n - float(np.abs(vals.astype(np.float64)).sum()))
    assert w > 0
    for attempt in range(200):
        out = np.concatenate([vals, np.zeros(n_zeros, np.float32), [w]]).astype(np.float32)
        _, _, scale = tok.context_input_transform(torch.tensor(out)[None])
        if scale.item() == 4.0:
            break
        w = np.nextafter(w, np.float32(np.inf) if scale.item() < 4.0 else np.float32(-np.inf))
    else:
        raise SystemExit("boundary case: could not make the scale exactly 4.0")
    scaled = torch.tensor(vals) / scale
    assert torch.equal(scaled, torch.tensor(np.array(base, dtype=np.float32)))
    return out


def tokenizer_cases(tok_default) -> List[Tuple[str, str, List[List[float]], str]]:
    rng = np.random.default_rng(7)
    nan = float("nan")
    long_series = (50.0 + 10.0 * np.sin(np.arange(600) * 2 * np.pi / 24) + rng.standard_normal(600)).astype(np.float32)
    long_series[[3, 100, 550, 599]] = np.nan
    long_series[:88] *= 1000.0  # the part that is cut off (context_length 512) is huge: must not affect the scale
    short_long = np.array([1e6, -1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1, 2, nan, 4, 5, 6, 7, 8],
                          dtype=np.float32)
    cases = [
        ("zeros", "default", [[0.0] * 10], "all zeros: scale 0 is not > 0, so 1.0"),
        ("constant-positive", "default", [[5.0] * 12], "constant: every value scales to 1.0"),
        ("constant-negative", "default", [[-3.5] * 7], "negative constant: scales to -1.0"),
        ("negatives", "default", [[-1.0, -2.5, -100.0, -0.001, -7.0, -7.0, -0.5]], "negative values only"),
        ("mixed", "default", [[1.0, -1.0, 0.0, 2.5, -3.75, 100.0, -0.5, 0.25, 12.0, -12.0]], "mixed signs"),
        ("huge-pm", "default", [[1e30, -1e30, 1e30, 1.0]], "+-1e30 with an ordinary value"),
        ("huge-one", "default", [[1e30, 1.0, 2.0, 3.0, -1e30, 0.0]], "1e30 and -1e30 among small values"),
        ("float32-sum-overflow", "default", [[3e38, 3e38, 1.0]],
         "the float32 nansum overflows to inf, so scale = inf and every value scales to 0 (a float64 sum would not)"),
        ("tiny", "default", [[1e-30, 2e-30, -1e-30, 0.0, 5e-31]], "tiny values: scale 1e-30-ish is > 0 and used"),
        ("subnormal", "default", [[1e-40, 3e-41, 0.0, -1e-40]], "float32 subnormal values"),
        ("nan-runs", "default", [[1.0, nan, nan, nan, 2.0, 3.0, nan, 4.0, nan]], "NaN runs: pad id, mask 0"),
        ("all-nan", "default", [[nan] * 6], "all missing: scale 0/0 = NaN is not > 0, so 1.0; only EOS attended"),
        ("leading-trailing-nan", "default", [[nan, nan, 5.0, -5.0, 10.0, nan]], "missing at both ends"),
        ("single-value", "default", [[42.0]], "one observed value"),
        ("integers", "default", [[float(i) for i in range(1, 21)]], "integers 1..20"),
        ("large-integers", "default", [[100000.0, 200001.0, 300002.0, 16777217.0, 16777216.0, -99999.0]],
         "large integers (16777217 is not a float32: it rounds to 16777216)"),
        ("random-normal", "default", [rng.standard_normal(200).astype(np.float32).tolist()], "N(0,1), 200 values"),
        ("left-padded-batch", "default",
         [[nan, nan, nan, 1.0, 2.0, 3.0, 4.0], [10.0, -10.0, 20.0, nan, 30.0, 40.0, 50.0], [nan] * 6 + [7.0]],
         "a batch of series of different lengths left-padded with NaN: per-row scales"),
        ("bin-boundaries", "default", [boundary_case(tok_default).tolist()],
         "values at bin boundaries (and one float32 ulp above/below) times 4, plus a last value making the "
         "mean |x| exactly 4: right=True bucketize puts a value equal to a boundary in the upper bin"),
        ("longer-than-context", "default", [long_series.tolist()],
         "600 values with context_length 512: only the last 512 are kept (before computing the scale)"),
        ("context8-long", "context8", [short_long.tolist()],
         "context_length 8: the first 12 values (huge) are cut off before scaling"),
        ("context8-short", "context8", [[1.0, nan, 3.0]], "context_length 8, shorter input: no truncation"),
    ]
    return cases


def sample_ids_for(n_tokens: int) -> List[int]:
    mid = n_tokens // 2
    return [0, 1, 2, 3, 4, 5, mid - 1, mid, mid + 1, n_tokens - 3, n_tokens - 2, n_tokens - 1]


def make_tokenizer_fixtures() -> None:
    configs = {k: chronos_config_for(**v) for k, v in TOKENIZER_CONFIGS.items()}
    toks = {k: make_tokenizer(v) for k, v in configs.items()}
    out_cases = []
    for name, cfg_name, context_rows, description in tokenizer_cases(toks["default"]):
        tok = toks[cfg_name]
        # rows may have different lengths only if we left-pad here; keep them as given (all equal length)
        width = max(len(r) for r in context_rows)
        assert all(len(r) == width for r in context_rows), name
        context = torch.tensor(context_rows, dtype=torch.float32)
        ids, mask, scale = tok.context_input_transform(context)
        sids = sample_ids_for(tok.config.n_tokens)
        samples = torch.tensor(sids, dtype=torch.long)[None, None, :].expand(context.shape[0], 1, -1)
        decoded = tok.output_transform(samples, scale)[:, 0, :]
        out_cases.append({
            "name": name,
            "config": cfg_name,
            "description": description,
            "context": f32_list(context.numpy()),
            "token_ids": ids.tolist(),
            "attention_mask": mask.to(torch.int64).tolist(),
            "scale": f32_list(scale.numpy()),
            "sample_ids": sids,
            "decoded": f32_list(decoded.numpy()),
        })
    doc = {
        "format": "chronos-lens-tokenizer-vectors",
        "version": 1,
        "description": "chronos.MeanScaleUniformBins.context_input_transform(context) -> token_ids, attention_mask, "
                       "scale; output_transform(sample_ids, scale) -> decoded. All floats are float32 values written "
                       "as exact doubles; null = NaN, \"inf\"/\"-inf\" = infinities. context rows are what was passed "
                       "(before truncation to context_length). decoded[b][j] = output_transform of sample_ids[j] "
                       "with scale[b].",
        "configs": {k: {"chronos_config": v} for k, v in configs.items()},
        "cases": out_cases,
        "versions": versions(),
        "generator": "tools/reference/make_fixtures.py --only tokenizer",
    }
    write_json(TOKENIZER_DIR / "mean-scale-uniform-bins.json", doc)

    # bins for every n_tokens used by the committed checkpoints and the dummy model
    arrays = {}
    bins_meta = {}
    n_tokens_used = {4096}
    for d in [p for p in CHECKPOINTS_DIR.iterdir() if (p / "config.json").exists()] + [DUMMY_MODEL]:
        n_tokens_used.add(load_chronos_config(d)["n_tokens"])
    for n_tokens in sorted(n_tokens_used, reverse=True):
        tok = make_tokenizer(chronos_config_for(n_tokens, 512, 64))
        arrays[f"centers.{n_tokens}"] = tok.centers
        arrays[f"boundaries.{n_tokens}"] = tok.boundaries
        bins_meta[str(n_tokens)] = {"centers": f"centers.{n_tokens}", "boundaries": f"boundaries.{n_tokens}",
                                    "n_centers": int(tok.centers.numel()), "n_boundaries": int(tok.boundaries.numel())}
    info = save_arrays(TOKENIZER_DIR / "bins.safetensors", arrays)
    write_json(TOKENIZER_DIR / "bins.json", {
        "format": "chronos-lens-tokenizer-bins",
        "version": 1,
        "arrays_file": "bins.safetensors",
        "arrays": info,
        "by_n_tokens": bins_meta,
        "low_limit": -15.0,
        "high_limit": 15.0,
        "n_special_tokens": 2,
        "definition": "centers = torch.linspace(low_limit, high_limit, n_tokens - n_special_tokens - 1) (float32); "
                      "boundaries = concat([-1e20], (centers[1:] + centers[:-1]) / 2, [1e20]) (float32).",
        "linspace_note": "torch's CPU float32 linspace computes step = fl32((end - start) / (n - 1)), then "
                         "centers[i] = start + step * i for i < n // 2 and end - step * (n - 1 - i) otherwise. In the "
                         "AVX2/AVX512 builds the compiler fuses multiply-add (one rounding): reproduce with "
                         "Math.fround(start + step * i) computed in float64. A non-FMA build (ATEN_CPU_CAPABILITY="
                         "default) rounds twice and differs in 1607 of 4093 centers (e.g. centers[2046] is 0 "
                         "instead of 1.3969839e-08). These arrays come from the FMA (AVX512) kernel.",
        "versions": versions(),
        "generator": "tools/reference/make_fixtures.py --only tokenizer",
    })


def make_bucket_fixtures() -> None:
    from transformers.models.t5.modeling_t5 import T5Attention

    pairs = {(32, 128)}
    for p in CHECKPOINTS_DIR.iterdir():
        if (p / "config.json").exists():
            c = json.loads((p / "config.json").read_text())
            pairs.add((c["relative_attention_num_buckets"], c["relative_attention_max_distance"]))
    c = json.loads((DUMMY_MODEL / "config.json").read_text())
    pairs.add((c["relative_attention_num_buckets"], c["relative_attention_max_distance"]))
    rel = torch.arange(-600, 601, dtype=torch.long)
    tables = []
    for nb, md in sorted(pairs, reverse=True):
        row = {"num_buckets": nb, "max_distance": md}
        for name, bidirectional in (("bidirectional", True), ("causal", False)):
            b = T5Attention._relative_position_bucket(rel, bidirectional=bidirectional, num_buckets=nb, max_distance=md)
            row[name] = b.tolist()
        tables.append(row)
    write_json(TOKENIZER_DIR / "relative-position-buckets.json", {
        "format": "chronos-lens-relative-position-buckets",
        "version": 1,
        "description": "transformers T5Attention._relative_position_bucket(relative_position, bidirectional, "
                       "num_buckets, max_distance) with relative_position = key_position - query_position "
                       "(memory - context). The encoder uses bidirectional=True, the decoder self-attention "
                       "bidirectional=False (causal); cross-attention has no position bias. table[i] is the bucket "
                       "of relative position relative_positions[i].",
        "relative_positions": rel.tolist(),
        "tables": tables,
        "versions": versions(),
        "generator": "tools/reference/make_fixtures.py --only buckets",
    })


# ---------------------------------------------------------------------------------------------
# Verification: read everything back
# ---------------------------------------------------------------------------------------------
def verify_runtime(out_dir: Path = RUNTIME_DIR) -> None:
    for meta_path in sorted(out_dir.glob("*.json")):
        meta = json.loads(meta_path.read_text())
        arrays = load_arrays(out_dir / meta["arrays_file"])
        assert set(arrays) == set(meta["arrays"]), meta_path
        for k, v in meta["arrays"].items():
            assert list(arrays[k].shape) == v["shape"], (meta_path, k)
            assert {"F32": torch.float32, "I64": torch.int64}[v["dtype"]] == arrays[k].dtype
        model_dir = (Path(__file__).resolve().parents[2] / meta["checkpoint"]).resolve()
        model = load_t5_float32(model_dir)
        if meta["kind"] == "incremental":
            out = model(input_ids=arrays["input_ids"], attention_mask=arrays["attention_mask"],
                        decoder_input_ids=arrays["generated_ids"][:, :-1])
            diff = (out.logits - arrays["step_logits"]).abs().max().item()
        else:
            masks = {k: arrays[k] for k in ("head_mask", "decoder_head_mask", "cross_attn_head_mask") if k in arrays}
            out = model(input_ids=arrays["input_ids"], attention_mask=arrays["attention_mask"],
                        decoder_input_ids=arrays["decoder_input_ids"], output_attentions=True, **masks)
            diff = (out.logits - arrays["logits"]).abs().max().item()
            for i, a in enumerate(out.cross_attentions):
                diff = max(diff, (a - arrays[f"cross_attentions.{i}"]).abs().max().item())
        assert diff < 1e-5, (meta_path, diff)
        log(f"  verified {meta_path.name}: max |diff| {diff:.2e}")


def verify_tokenizer() -> None:
    doc = json.loads((TOKENIZER_DIR / "mean-scale-uniform-bins.json").read_text())
    toks = {k: make_tokenizer(v["chronos_config"]) for k, v in doc["configs"].items()}

    def f(v):
        return float("nan") if v is None else float(v)

    for case in doc["cases"]:
        ctx = torch.tensor([[f(v) for v in row] for row in case["context"]], dtype=torch.float32)
        ids, mask, scale = toks[case["config"]].context_input_transform(ctx)
        assert ids.tolist() == case["token_ids"], case["name"]
        assert mask.to(torch.int64).tolist() == case["attention_mask"], case["name"]
        got = [f(v) for v in case["scale"]]
        assert all((math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(scale.tolist(), got)), case["name"]
    bins = load_arrays(TOKENIZER_DIR / "bins.safetensors")
    assert torch.equal(bins["centers.4096"], toks["default"].centers)
    buckets = json.loads((TOKENIZER_DIR / "relative-position-buckets.json").read_text())
    assert len(buckets["relative_positions"]) == 1201
    log(f"  verified tokenizer vectors ({len(doc['cases'])} cases), bins, {len(buckets['tables'])} bucket tables")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["runtime", "tokenizer", "buckets"], help="write one group only")
    ap.add_argument("--checkpoints", help="comma-separated checkpoint names for the runtime group")
    ap.add_argument("--verify", action="store_true", help="only re-read and check the written fixtures")
    ap.add_argument("--model", type=Path, help="on demand (not committed): forward + head-mask references for this "
                                               "checkpoint folder (e.g. a --real checkpoint of make_checkpoints.py)")
    ap.add_argument("--out-dir", type=Path, help="output folder for --model")
    args = ap.parse_args()
    setup_torch()
    if args.model:
        if not args.out_dir:
            ap.error("--model needs --out-dir")
        make_runtime(None, [(args.model.resolve().name, args.model.resolve())], args.out_dir)
        verify_runtime(args.out_dir)
        return
    groups = [args.only] if args.only else ["runtime", "tokenizer", "buckets"]
    if not args.verify:
        if "runtime" in groups:
            make_runtime(args.checkpoints.split(",") if args.checkpoints else None)
        if "tokenizer" in groups:
            make_tokenizer_fixtures()
        if "buckets" in groups:
            make_bucket_fixtures()
    if "runtime" in groups:
        verify_runtime()
    if "tokenizer" in groups or "buckets" in groups:
        verify_tokenizer()


if __name__ == "__main__":
    main()
