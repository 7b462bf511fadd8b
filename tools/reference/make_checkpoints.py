#!/usr/bin/env python
"""Random-weight Chronos (T5) checkpoints in the real Chronos save format.

    tools/.venv/bin/python tools/reference/make_checkpoints.py              # committed fixtures
    tools/.venv/bin/python tools/reference/make_checkpoints.py --real small,large --out /tmp/ckpts

The committed set (test/fixtures/checkpoints/<name>/) is tiny and covers the config space the
TypeScript reader and graph builder must handle. `--real` writes random weights at the exact
configs of amazon/chronos-t5-{tiny,mini,small,base,large} (for benchmarks and the large-model
external-data test); those are never committed.

Format: T5ForConditionalGeneration(T5Config(...)).save_pretrained(dir, safe_serialization=True),
with a `chronos_config` block carrying the 14 fields of chronos-forecasting's ChronosConfig (this is
what chronos' training script writes: model.config.chronos_config = chronos_config.__dict__), plus the
generation_config.json transformers writes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any, Dict

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CHECKPOINTS_DIR, log, rel_to_repo, setup_torch, versions, write_json  # noqa: E402

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def chronos_config_block(n_tokens: int, context_length: int = 512, prediction_length: int = 64,
                         num_samples: int = 20, temperature: float = 1.0, top_k: int = 50,
                         top_p: float = 1.0) -> Dict[str, Any]:
    """The chronos_config block, field for field as chronos.ChronosConfig (order of the dataclass)."""
    return {
        "tokenizer_class": "MeanScaleUniformBins",
        "tokenizer_kwargs": {"low_limit": -15.0, "high_limit": 15.0},
        "context_length": context_length,
        "prediction_length": prediction_length,
        "n_tokens": n_tokens,
        "n_special_tokens": 2,
        "pad_token_id": 0,
        "eos_token_id": 1,
        "use_eos_token": True,
        "model_type": "seq2seq",
        "num_samples": num_samples,
        "temperature": temperature,
        "top_k": top_k,
        "top_p": top_p,
    }


# ---------------------------------------------------------------------------------------------
# Committed fixture checkpoints. Together they cover: >= 2 encoder layers, num_decoder_layers !=
# num_layers, >= 3 heads, relu and gated-gelu, tied and untied embeddings, d_model != heads*d_kv,
# F32 / BF16 / F16 weights, non-default relative attention buckets / max distance, vocab 4096 with a
# tiny d_model, and a 2-shard checkpoint (model.safetensors.index.json).
# ---------------------------------------------------------------------------------------------
FIXTURE_SPECS: Dict[str, Dict[str, Any]] = {
    "t5-relu-tied-f32": dict(
        seed=1101, vocab=512, d_model=24, d_kv=8, num_heads=4, d_ff=48, num_layers=2, num_decoder_layers=3,
        feed_forward_proj="relu", tie_word_embeddings=True, dtype="float32", buckets=32, max_distance=128,
        chronos=dict(context_length=512, prediction_length=8), embed_std=2.0,
        note="relu, tied, F32; 2 encoder / 3 decoder layers; 4 heads x d_kv 8 = 32 != d_model 24; shared "
             "embedding drawn with std 2 so the (tied, d_model^-0.5-rescaled) next-token distribution is peaked but "
             "far from degenerate. Used for the incremental-decoding and forecast references.",
    ),
    "t5-gated-v2304-bf16": dict(
        seed=1202, vocab=2304, d_model=16, d_kv=8, num_heads=3, d_ff=32, num_layers=2, num_decoder_layers=2,
        feed_forward_proj="gated-gelu", tie_word_embeddings=True, dtype="bfloat16", buckets=32, max_distance=128,
        chronos=dict(context_length=512, prediction_length=64),
        note="gated-gelu (gelu_new), tied, BF16 weights; vocab / n_tokens 2304 (large enough for the mosaic ids "
             "1911..2187, smaller than 4096 to keep the fixtures small); 3 heads x 8 = 24 != d_model 16. "
             "Second mosaic-reference checkpoint.",
    ),
    "t5-relu-untied-f16": dict(
        seed=1303, vocab=256, d_model=32, d_kv=8, num_heads=4, d_ff=64, num_layers=3, num_decoder_layers=2,
        feed_forward_proj="relu", tie_word_embeddings=False, dtype="float16", buckets=16, max_distance=20,
        chronos=dict(context_length=256, prediction_length=16),
        note="relu, untied (lm_head.weight), F16 weights; 3 encoder / 2 decoder layers; "
             "relative_attention_num_buckets 16, relative_attention_max_distance 20 (exceeded by the fixture inputs).",
    ),
    "t5-relu-v4096-f32": dict(
        seed=1404, vocab=4096, d_model=16, d_kv=8, num_heads=3, d_ff=32, num_layers=2, num_decoder_layers=2,
        feed_forward_proj="relu", tie_word_embeddings=True, dtype="float32", buckets=32, max_distance=128,
        chronos=dict(context_length=512, prediction_length=64),
        note="relu, tied, F32; full Chronos vocab 4096 with tiny d_model 16; 3 heads x 8 = 24. "
             "First mosaic-reference checkpoint.",
    ),
    "t5-gated-untied-sharded": dict(
        seed=1505, vocab=256, d_model=24, d_kv=8, num_heads=3, d_ff=32, num_layers=2, num_decoder_layers=2,
        feed_forward_proj="gated-gelu", tie_word_embeddings=False, dtype="float32", buckets=32, max_distance=128,
        chronos=dict(context_length=512, prediction_length=64), shards=2,
        note="gated-gelu, untied, F32, saved as 2 shards with model.safetensors.index.json.",
    ),
}

# Exact configs of the published checkpoints (config.json of amazon/chronos-t5-*). All use relu,
# tied embeddings (T5Config default; the files do not set tie_word_embeddings), vocab 4096,
# 32 buckets / max distance 128, layer_norm_epsilon 1e-6, n_positions 512, initializer_factor 0.05.
REAL_CONFIGS: Dict[str, Dict[str, int]] = {
    "tiny": dict(d_model=256, d_ff=1024, d_kv=64, num_heads=4, num_layers=4, num_decoder_layers=4),
    "mini": dict(d_model=384, d_ff=1536, d_kv=64, num_heads=8, num_layers=4, num_decoder_layers=4),
    "small": dict(d_model=512, d_ff=2048, d_kv=64, num_heads=8, num_layers=6, num_decoder_layers=6),
    "base": dict(d_model=768, d_ff=3072, d_kv=64, num_heads=12, num_layers=12, num_decoder_layers=12),
    "large": dict(d_model=1024, d_ff=4096, d_kv=64, num_heads=16, num_layers=24, num_decoder_layers=24),
}


def build_config(*, vocab: int, d_model: int, d_kv: int, num_heads: int, d_ff: int, num_layers: int,
                 num_decoder_layers: int, feed_forward_proj: str, tie_word_embeddings: bool, buckets: int,
                 max_distance: int, chronos: Dict[str, Any]):
    from transformers import T5Config

    return T5Config(
        vocab_size=vocab,
        d_model=d_model,
        d_kv=d_kv,
        d_ff=d_ff,
        num_layers=num_layers,
        num_decoder_layers=num_decoder_layers,
        num_heads=num_heads,
        relative_attention_num_buckets=buckets,
        relative_attention_max_distance=max_distance,
        dropout_rate=0.1,
        layer_norm_epsilon=1e-6,
        # Weights are initialised with factor 1.0 (see init_weights); the saved config then carries
        # 0.05 like every published Chronos config (the value chronos' training script sets). It has no
        # effect on inference.
        initializer_factor=1.0,
        feed_forward_proj=feed_forward_proj,
        tie_word_embeddings=tie_word_embeddings,
        is_encoder_decoder=True,
        use_cache=True,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        n_positions=512,
        architectures=["T5ForConditionalGeneration"],
        chronos_config=chronos_config_block(n_tokens=vocab, **chronos),
    )


def init_weights(model, seed: int, embed_std: float | None = None) -> None:
    """HF's own T5 init with initializer_factor 1.0 (done by the constructor under torch.manual_seed),
    then, so that a reader that ignores a tensor cannot pass by luck: layer-norm weights drawn from
    U(0.5, 1.5) instead of all ones, relative_attention_bias from N(0, 1) instead of N(0, d_model^-0.5)
    (position matters visibly), and q scaled by 2 (sharper, clearly non-uniform attention). With
    embed_std, the shared embedding is redrawn from N(0, embed_std)."""
    from transformers.models.t5.modeling_t5 import T5Attention, T5LayerNorm

    g = torch.Generator().manual_seed(seed + 7)
    if embed_std is not None:
        model.shared.weight.data.copy_(torch.randn(model.shared.weight.shape, generator=g) * embed_std)
    for module in model.modules():
        if isinstance(module, T5LayerNorm):
            module.weight.data.copy_(torch.rand(module.weight.shape, generator=g) + 0.5)
        elif isinstance(module, T5Attention):
            module.q.weight.data.mul_(2.0)
            if module.has_relative_attention_bias:
                module.relative_attention_bias.weight.data.copy_(
                    torch.randn(module.relative_attention_bias.weight.shape, generator=g))


def create_model(spec: Dict[str, Any]):
    from transformers import T5ForConditionalGeneration

    cfg_keys = ("vocab", "d_model", "d_kv", "num_heads", "d_ff", "num_layers", "num_decoder_layers",
                "feed_forward_proj", "tie_word_embeddings", "buckets", "max_distance", "chronos")
    config = build_config(**{k: spec[k] for k in cfg_keys})
    torch.manual_seed(spec["seed"])
    model = T5ForConditionalGeneration(config)
    init_weights(model, spec["seed"], spec.get("embed_std"))
    model.eval()
    model.config.initializer_factor = 0.05
    return model


def model_nbytes(model, dtype: torch.dtype) -> int:
    seen = set()
    total = 0
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel() * torch.tensor([], dtype=dtype).element_size()
    return total


def save_checkpoint(model, out_dir: Path, dtype_name: str, shards: int = 1) -> None:
    dtype = DTYPES[dtype_name]
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    model = model.to(dtype)
    kwargs: Dict[str, Any] = {"safe_serialization": True}
    if shards > 1:
        total = model_nbytes(model, dtype)
        # Slightly more than total/shards per shard: transformers fills shards greedily.
        kwargs["max_shard_size"] = int(total / shards * 1.1)
    model.save_pretrained(str(out_dir), **kwargs)
    files = sorted(p.name for p in out_dir.iterdir())
    n_shards = len([f for f in files if f.endswith(".safetensors")])
    if shards > 1 and (n_shards != shards or "model.safetensors.index.json" not in files):
        raise SystemExit(f"{out_dir}: expected {shards} shards + index, got {files}")
    if shards == 1 and files != ["config.json", "generation_config.json", "model.safetensors"]:
        raise SystemExit(f"{out_dir}: unexpected files {files}")


def check_checkpoint(out_dir: Path, spec: Dict[str, Any]) -> Dict[str, Any]:
    """Reload in float32 and report attention sharpness and logit scale on a random input."""
    from transformers import T5ForConditionalGeneration

    from chronos import ChronosPipeline

    ChronosPipeline.from_pretrained(str(out_dir), torch_dtype=torch.float32)  # must load as a Chronos model
    cfg = json.loads((out_dir / "config.json").read_text())
    assert cfg["chronos_config"]["n_tokens"] == cfg["vocab_size"]
    model = T5ForConditionalGeneration.from_pretrained(str(out_dir), torch_dtype=torch.float32,
                                                        attn_implementation="eager").eval()
    g = torch.Generator().manual_seed(5)
    vocab = cfg["vocab_size"]
    enc = torch.randint(2, vocab, (2, 30), generator=g)
    dec = torch.cat([torch.zeros(2, 1, dtype=torch.long), torch.randint(2, vocab, (2, 4), generator=g)], 1)
    out = model(input_ids=enc, decoder_input_ids=dec, output_attentions=True)
    stats: Dict[str, Any] = {}
    for kind, atts in (("encoder", out.encoder_attentions), ("decoder", out.decoder_attentions),
                       ("cross", out.cross_attentions)):
        maxp = torch.stack([a.amax(-1).mean() for a in atts]).mean().item()
        n_keys = atts[0].shape[-1]
        stats[f"{kind}_mean_max_prob"] = round(maxp, 3)
        stats[f"{kind}_uniform_prob"] = round(1.0 / n_keys, 3)
    stats["logits_std"] = round(out.logits.std().item(), 3)
    stats["logits_absmax"] = round(out.logits.abs().max().item(), 3)
    probs = torch.softmax(out.logits, -1)
    stats["next_token_max_prob_mean"] = round(probs.amax(-1).mean().item(), 3)
    return stats


def write_manifest(specs: Dict[str, Dict[str, Any]], stats: Dict[str, Dict[str, Any]], root: Path) -> None:
    manifest = {
        "format": "chronos-lens-checkpoint-manifest",
        "version": 1,
        "generator": "tools/reference/make_checkpoints.py",
        "init": "transformers' T5 init with initializer_factor 1.0 under torch.manual_seed(seed); then layer-norm "
                "weights ~ U(0.5, 1.5), relative_attention_bias ~ N(0, 1), q weights x2 (generator seed+7). "
                "config.json records initializer_factor 0.05 like the published Chronos configs.",
        "versions": versions(),
        "checkpoints": {},
    }
    for name, spec in specs.items():
        entry = {k: v for k, v in spec.items() if k != "chronos"}
        entry["path"] = rel_to_repo(root / name)
        entry["inner_dim"] = spec["num_heads"] * spec["d_kv"]
        entry["files"] = sorted(p.name for p in (root / name).iterdir())
        entry["sanity"] = stats.get(name, {})
        manifest["checkpoints"][name] = entry
    write_json(root / "manifest.json", manifest)


def make_fixture_checkpoints(names: list[str]) -> None:
    stats: Dict[str, Dict[str, Any]] = {}
    for name in names:
        spec = FIXTURE_SPECS[name]
        out_dir = CHECKPOINTS_DIR / name
        log(f"[checkpoint] {name} -> {rel_to_repo(out_dir)}")
        model = create_model(spec)
        save_checkpoint(model, out_dir, spec["dtype"], spec.get("shards", 1))
        stats[name] = check_checkpoint(out_dir, spec)
        log(f"  {stats[name]}")
    if set(names) == set(FIXTURE_SPECS):
        write_manifest(FIXTURE_SPECS, stats, CHECKPOINTS_DIR)


def make_real_checkpoints(sizes: list[str], out_root: Path, dtype_name: str, seed: int) -> None:
    for size in sizes:
        if size not in REAL_CONFIGS:
            raise SystemExit(f"unknown size {size!r}; choose from {', '.join(REAL_CONFIGS)}")
        spec = dict(REAL_CONFIGS[size], seed=seed, vocab=4096, feed_forward_proj="relu", tie_word_embeddings=True,
                    buckets=32, max_distance=128, chronos=dict(context_length=512, prediction_length=64))
        out_dir = out_root / f"chronos-t5-{size}-random"
        log(f"[real config] chronos-t5-{size} ({dtype_name}) -> {out_dir}")
        model = create_model(spec)
        save_checkpoint(model, out_dir, dtype_name)
        n = sum(p.numel() for p in model.parameters())
        log(f"  {n / 1e6:.1f}M parameters")
        del model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated subset of the committed fixture checkpoints")
    ap.add_argument("--real", help="comma-separated sizes of amazon/chronos-t5-*: tiny,mini,small,base,large")
    ap.add_argument("--out", type=Path, help="output folder for --real (required with --real; not committed)")
    ap.add_argument("--dtype", default="float32", choices=sorted(DTYPES), help="weight dtype for --real")
    ap.add_argument("--seed", type=int, default=2024, help="seed for --real")
    args = ap.parse_args()
    setup_torch()
    if args.real:
        if args.out is None:
            ap.error("--real needs --out DIR")
        make_real_checkpoints([s.strip() for s in args.real.split(",") if s.strip()], args.out, args.dtype, args.seed)
        return
    names = [s.strip() for s in args.only.split(",")] if args.only else list(FIXTURE_SPECS)
    for n in names:
        if n not in FIXTURE_SPECS:
            raise SystemExit(f"unknown checkpoint {n!r}; choose from {', '.join(FIXTURE_SPECS)}")
    make_fixture_checkpoints(names)


if __name__ == "__main__":
    main()
