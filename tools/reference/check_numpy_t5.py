#!/usr/bin/env python
"""Independent cross-check of the runtime fixtures: a from-scratch NumPy (float64) T5 forward pass that
reads the checkpoint files directly (config.json, model.safetensors or the sharded index, F32/F16/BF16)
the way the TypeScript reader does, and compares with every test/fixtures/runtime/*.json case.

    tools/.venv/bin/python tools/reference/check_numpy_t5.py [FIXTURE_DIR]   # default test/fixtures/runtime

It documents, in code, the numerics the TypeScript graph must reproduce. No torch / transformers here.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from pathlib import Path
from typing import Dict

import numpy as np

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / "test" / "fixtures" / "runtime"


# ---------------------------------------------------------------------------------------------
# Reading safetensors by hand (header: u64 little-endian length, JSON, then raw little-endian data)
# ---------------------------------------------------------------------------------------------
def read_safetensors(path: Path) -> Dict[str, np.ndarray]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = data[a:b]
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(buf, "<f4")
        elif dt == "F16":
            arr = np.frombuffer(buf, "<f2").astype(np.float32)
        elif dt == "BF16":
            arr = (np.frombuffer(buf, "<u2").astype(np.uint32) << 16).view(np.float32)
        elif dt == "I64":
            arr = np.frombuffer(buf, "<i8")
        else:
            raise ValueError(f"{path}: {name}: dtype {dt}")
        out[name] = arr.reshape(info["shape"])
    return out


def read_checkpoint(d: Path) -> Dict[str, np.ndarray]:
    index = d / "model.safetensors.index.json"
    if index.exists():
        weights: Dict[str, np.ndarray] = {}
        for shard in sorted(set(json.loads(index.read_text())["weight_map"].values())):
            weights.update(read_safetensors(d / shard))
        return weights
    return read_safetensors(d / "model.safetensors")


# ---------------------------------------------------------------------------------------------
# T5 in float64
# ---------------------------------------------------------------------------------------------
def bucket(rel: np.ndarray, bidirectional: bool, num_buckets: int, max_distance: int) -> np.ndarray:
    out = np.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        out += (rel > 0) * num_buckets
        rel = np.abs(rel)
    else:
        rel = -np.minimum(rel, 0)
    max_exact = num_buckets // 2
    with np.errstate(divide="ignore"):
        # float32 like torch: log(rel.float() / max_exact) / log(max_distance / max_exact) * (nb - max_exact)
        large = max_exact + (np.log(rel.astype(np.float32) / np.float32(max_exact))
                             / np.float32(math.log(max_distance / max_exact))
                             * np.float32(num_buckets - max_exact))
    large = np.where(rel < max_exact, 0, large).astype(np.int64)
    large = np.minimum(large, num_buckets - 1)
    return out + np.where(rel < max_exact, rel, large)


def rms_norm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    return w * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))


def gelu_new(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def attention(W, prefix, xq, xkv, bias, cfg, head_mask=None):
    """No 1/sqrt(d) scaling. bias: [B or 1, H, Q, K] (position bias + additive mask)."""
    B, Q, _ = xq.shape
    K = xkv.shape[1]
    H, dk = cfg["num_heads"], cfg["d_kv"]
    q = (xq @ W[prefix + ".q.weight"].T).reshape(B, Q, H, dk).transpose(0, 2, 1, 3)
    k = (xkv @ W[prefix + ".k.weight"].T).reshape(B, K, H, dk).transpose(0, 2, 1, 3)
    v = (xkv @ W[prefix + ".v.weight"].T).reshape(B, K, H, dk).transpose(0, 2, 1, 3)
    s = q @ k.transpose(0, 1, 3, 2) + bias
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    p = p / p.sum(-1, keepdims=True)
    if head_mask is not None:
        p = p * head_mask[None, :, None, None]
    o = (p @ v).transpose(0, 2, 1, 3).reshape(B, Q, H * dk) @ W[prefix + ".o.weight"].T
    return o, p


def ffn(W, prefix, x, cfg):
    if cfg["feed_forward_proj"].startswith("gated"):
        h = gelu_new(x @ W[prefix + ".wi_0.weight"].T) * (x @ W[prefix + ".wi_1.weight"].T)
    else:
        h = np.maximum(x @ W[prefix + ".wi.weight"].T, 0.0)
    return h @ W[prefix + ".wo.weight"].T


def t5_forward(W, cfg, input_ids, attention_mask, decoder_input_ids, masks=None):
    W = {k: v.astype(np.float64) for k, v in W.items()}
    eps = cfg["layer_norm_epsilon"]
    nb, md = cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"]
    E = W["shared.weight"]
    neg = np.finfo(np.float32).min  # transformers: (1 - mask) * finfo(float32).min, added to the position bias
    enc_mask = (1.0 - attention_mask[:, None, None, :].astype(np.float64)) * neg
    masks = masks or {}

    # encoder
    x = E[input_ids]
    S = input_ids.shape[1]
    pos = np.arange(S)
    eb = W["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"][bucket(pos[None, :] - pos[:, None], True, nb, md)]
    enc_bias = eb.transpose(2, 0, 1)[None] + enc_mask
    enc_atts = []
    for i in range(cfg["num_layers"]):
        p = f"encoder.block.{i}"
        hm = masks["head_mask"][i] if "head_mask" in masks else None
        o, a = attention(W, p + ".layer.0.SelfAttention", *(2 * [rms_norm(x, W[p + ".layer.0.layer_norm.weight"], eps)]), enc_bias, cfg, hm)
        x = x + o
        enc_atts.append(a)
        x = x + ffn(W, p + ".layer.1.DenseReluDense", rms_norm(x, W[p + ".layer.1.layer_norm.weight"], eps), cfg)
    enc = rms_norm(x, W["encoder.final_layer_norm.weight"], eps)

    # decoder
    y = E[decoder_input_ids]
    T = decoder_input_ids.shape[1]
    tpos = np.arange(T)
    db = W["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"][bucket(tpos[None, :] - tpos[:, None], False, nb, md)]
    causal = np.where(tpos[None, :] > tpos[:, None], neg, 0.0)
    dec_bias = db.transpose(2, 0, 1)[None] + causal[None, None]
    dec_atts, cross_atts = [], []
    for i in range(cfg["num_decoder_layers"]):
        p = f"decoder.block.{i}"
        hm = masks["decoder_head_mask"][i] if "decoder_head_mask" in masks else None
        o, a = attention(W, p + ".layer.0.SelfAttention", *(2 * [rms_norm(y, W[p + ".layer.0.layer_norm.weight"], eps)]), dec_bias, cfg, hm)
        y = y + o
        dec_atts.append(a)
        hm = masks["cross_attn_head_mask"][i] if "cross_attn_head_mask" in masks else None
        o, a = attention(W, p + ".layer.1.EncDecAttention", rms_norm(y, W[p + ".layer.1.layer_norm.weight"], eps), enc, enc_mask, cfg, hm)
        y = y + o
        cross_atts.append(a)
        y = y + ffn(W, p + ".layer.2.DenseReluDense", rms_norm(y, W[p + ".layer.2.layer_norm.weight"], eps), cfg)
    dec = rms_norm(y, W["decoder.final_layer_norm.weight"], eps)
    if cfg.get("tie_word_embeddings", True):
        logits = (dec * cfg["d_model"] ** -0.5) @ E.T
    else:
        logits = dec @ W["lm_head.weight"].T
    return {"logits": logits, "encoder_last_hidden_state": enc, "decoder_last_hidden_state": dec,
            **{f"encoder_attentions.{i}": a for i, a in enumerate(enc_atts)},
            **{f"decoder_attentions.{i}": a for i, a in enumerate(dec_atts)},
            **{f"cross_attentions.{i}": a for i, a in enumerate(cross_atts)}}


def main() -> None:
    worst = 0.0
    runtime = Path(sys.argv[1]) if len(sys.argv) > 1 else RUNTIME
    for meta_path in sorted(runtime.glob("*.json")):
        meta = json.loads(meta_path.read_text())
        if meta["kind"] == "incremental":
            continue
        ckpt = (REPO / meta["checkpoint"]).resolve()  # an absolute path stays absolute
        cfg = json.loads((ckpt / "config.json").read_text())
        W = read_checkpoint(ckpt)
        arr = read_safetensors(runtime / meta["arrays_file"])
        masks = {k: arr[k].astype(np.float64) for k in ("head_mask", "decoder_head_mask", "cross_attn_head_mask") if k in arr}
        out = t5_forward(W, cfg, arr["input_ids"], arr["attention_mask"], arr["decoder_input_ids"], masks)
        diffs = {k: float(np.abs(out[k] - arr[k]).max()) for k in out}
        m = max(diffs.values())
        worst = max(worst, m)
        print(f"{meta_path.name:45s} max |numpy64 - fixture| = {m:.2e} (logits {diffs['logits']:.2e})")
        if m > 1e-4:
            print("  MISMATCH", {k: v for k, v in diffs.items() if v > 1e-4})
            sys.exit(1)
    print(f"all runtime fixtures reproduced by the NumPy float64 reference; worst {worst:.2e}")


if __name__ == "__main__":
    main()
