"""Reference values for the causal analyses (analysis/causal/*), computed independently of our ONNX
graphs: transformers' T5ForConditionalGeneration (float32, CPU, eager attention) with forward hooks,
read out in NumPy float64. Writes test/fixtures/causal/causal-<model>.json:

  stable_rank   QK = W_Q,h W_K,h^T and OV = W_V,h W_O,h of every head, as full d_model x d_model
                matrices, singular values by numpy.linalg.svd: stable rank, Frobenius and spectral norms;
  layer_skip    logits of a teacher-forced pass with sublayers skipped (a forward hook returns the
                sublayer's input as its output: the residual passes through);
  attribution   at one forecast step of a series, the decomposition of the final decoder residual
                (embedding, each self / cross head through its slice of the output projection, each
                feed-forward update) read out through the final norm with its scale frozen and the LM
                head: onto the logit and log-prob of the median token and onto the expected value
                (probabilities frozen), as docs/causal.md defines them;
  lens          per decoder layer, the residual after the layer through the final norm and the LM head:
                value-token quantiles and mean per step on the model's median path;
  patching      clean / corrupted pairs of repeated random tokens (TransformerLens-style loop: one
                forward per patched component, hooks replacing a head's output before the output
                projection or the residual entering a block): the mean log-prob of the continuation.

Usage: tools/.venv/bin/python tools/reference/causal_reference.py [--model DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np
import torch

from _common import REPO_ROOT, load_chronos_config, load_t5_float32, log, make_tokenizer, rel_to_repo, setup_torch, versions, write_json

# Logits kept per position in the layer-skip cases (the whole vocabulary would make megabytes; the mean
# log-prob of the labels covers every logit through the log-sum-exp).
SKIP_WINDOW = slice(100, 108)
SHARED = (REPO_ROOT / ".." / "shared" / "data").resolve()


# ---- weights -----------------------------------------------------------------------------------------

def stable_ranks(model, cfg):
    H, K = cfg.num_heads, cfg.d_kv
    out = []
    kinds = [("cross", model.decoder.block, lambda b: b.layer[1].EncDecAttention), ("encoder", model.encoder.block, lambda b: b.layer[0].SelfAttention), ("decoder", model.decoder.block, lambda b: b.layer[0].SelfAttention)]
    for kind, blocks, att in kinds:
        for l, b in enumerate(blocks):
            a = att(b)
            q, k, v, o = (m.weight.detach().double().numpy() for m in (a.q, a.k, a.v, a.o))
            for h in range(H):
                sl = slice(h * K, (h + 1) * K)
                qk = q[sl].T @ k[sl]  # d x d
                ov = v[sl].T @ o[:, sl].T  # d x d
                row = {"kind": kind, "layer": l, "head": h}
                for name, m in (("qk", qk), ("ov", ov)):
                    s = np.linalg.svd(m, compute_uv=False)
                    row[name] = {"stableRank": float((s**2).sum() / s[0] ** 2), "frobenius": float(math.sqrt((s**2).sum())), "spectral": float(s[0])}
                out.append(row)
    return out


# ---- hooks -------------------------------------------------------------------------------------------

def sublayer(model, stack, layer, part):
    block = (model.encoder if stack == "encoder" else model.decoder).block[layer]
    if stack == "encoder":
        return {"attention": block.layer[0], "ff": block.layer[1]}[part]
    return {"self": block.layer[0], "cross": block.layer[1], "ff": block.layer[2]}[part]


def parts_of(stack, part):
    if part == "all":
        return ["attention", "ff"] if stack == "encoder" else ["self", "cross", "ff"]
    if part == "attention" and stack == "decoder":
        return ["self", "cross"]
    return [part]


def skip_hooks(model, skips):
    """Forward hooks that make each listed sublayer return its input hidden states (residual passes)."""
    handles = []
    for stack, layer, part in skips:
        for p in parts_of(stack, part):
            mod = sublayer(model, stack, layer, p)

            def hook(module, args, kwargs, output):
                x = args[0] if args else kwargs["hidden_states"]
                if isinstance(output, tuple):
                    return (x,) + tuple(output[1:])
                return x

            handles.append(mod.register_forward_hook(hook, with_kwargs=True))
    return handles


def forward(model, enc_ids, dec_ids, mask=None):
    enc = torch.tensor(enc_ids, dtype=torch.long)
    m = torch.ones_like(enc) if mask is None else torch.tensor(mask, dtype=torch.long)
    return model(input_ids=enc, attention_mask=m, decoder_input_ids=torch.tensor(dec_ids, dtype=torch.long)).logits.double().numpy()


# ---- series ------------------------------------------------------------------------------------------

def value_dist(logits_row, n_special):
    z = logits_row[n_special:].astype(np.float64)
    p = np.exp(z - z.max())
    p /= p.sum()
    full = np.zeros(len(logits_row))
    full[n_special:] = p
    return full


def quantile_token(p, q, first):
    cum = 0.0
    for v in range(first, len(p)):
        cum += p[v]
        if cum >= q:
            return v
    return len(p) - 1


def center_of(tok, centers, n_special):
    return float(centers[min(max(tok - n_special - 1, 0), len(centers) - 1)])


def median_path(model, ids, mask, steps, start, n_special):
    path = []
    for s in range(steps):
        lg = forward(model, [ids], [[start] + path], [mask])
        path.append(quantile_token(value_dist(lg[0, s], n_special), 0.5, n_special))
    return path


def capture(model, ids, mask, dec):
    """Hooks capturing what the attribution needs at every decoder position."""
    cap = {}
    hs = []
    L = len(model.decoder.block)
    for l, b in enumerate(model.decoder.block):
        hs.append(b.layer[0].SelfAttention.o.register_forward_pre_hook(lambda m, a, l=l: cap.__setitem__(f"self{l}", a[0].detach().double().numpy())))
        hs.append(b.layer[1].EncDecAttention.o.register_forward_pre_hook(lambda m, a, l=l: cap.__setitem__(f"cross{l}", a[0].detach().double().numpy())))
        hs.append(b.layer[2].DenseReluDense.register_forward_hook(lambda m, a, o, l=l: cap.__setitem__(f"ff{l}", o.detach().double().numpy())))
    hs.append(model.decoder.final_layer_norm.register_forward_pre_hook(lambda m, a: cap.__setitem__("final", a[0].detach().double().numpy())))
    hs.append(model.decoder.embed_tokens.register_forward_hook(lambda m, a, o: cap.__setitem__("embed", o.detach().double().numpy())))
    logits = forward(model, [ids], [dec], [mask])
    for h in hs:
        h.remove()
    return cap, logits, L


def attribution(model, cfg, ids, mask, scale, centers, n_special, step, start):
    path = median_path(model, ids, mask, step + 1, start, n_special)
    dec = [start] + path[:step]
    cap, logits, L = capture(model, ids, mask, dec)
    H, K, D = cfg.num_heads, cfg.d_kv, cfg.d_model
    x = cap["final"][0, step]
    s = 1.0 / math.sqrt((x * x).mean() + cfg.layer_norm_epsilon)
    g = model.decoder.final_layer_norm.weight.detach().double().numpy()
    alpha = D**-0.5 if cfg.tie_word_embeddings else 1.0
    E = (model.shared.weight if cfg.tie_word_embeddings else model.lm_head.weight).detach().double().numpy()
    parts = [("embedding", cap["embed"][0, step])]
    for l in range(L):
        b = model.decoder.block[l]
        for kind, key, o in (("decoder", f"self{l}", b.layer[0].SelfAttention.o), ("cross", f"cross{l}", b.layer[1].EncDecAttention.o)):
            W = o.weight.detach().double().numpy()  # [D, H*K]
            out = cap[key][0, step]  # [H*K]
            for h in range(H):
                sl = slice(h * K, (h + 1) * K)
                parts.append((f"{kind}:L{l}.H{h}", W[:, sl] @ out[sl]))
            if kind == "decoder":
                pass
        parts.append((f"decoder:L{l}.ff", cap[f"ff{l}"][0, step]))
    # Reorder as the engine lists them: per layer, self heads, cross heads, ff.
    order = ["embedding"] + [n for l in range(L) for n in [f"decoder:L{l}.H{h}" for h in range(H)] + [f"cross:L{l}.H{h}" for h in range(H)] + [f"decoder:L{l}.ff"]]
    by = dict(parts)
    lg = logits[0, step]
    token = path[step]
    mx = lg.max()
    lse = mx + math.log(np.exp(lg - mx).sum())
    p = value_dist(lg, n_special)
    cvals = np.array([center_of(v, centers, n_special) if v >= n_special else 0.0 for v in range(len(lg))])
    mu = float((p * cvals).sum())
    coef = g * s * alpha
    u_tok = coef * E[token]
    a = scale * p * (cvals - mu)
    u_exp = coef * (a[n_special:, None] * E[n_special:]).sum(0)
    res = {"step": step, "token": token, "decoderInputs": dec, "path": path, "normScale": s, "logit": float(lg[token]), "logprob": float(lg[token] - lse), "expectedValue": scale * mu}
    res["logitParts"] = {n: float(u_tok @ by[n]) for n in order}
    res["expectedParts"] = {n: float(u_exp @ by[n]) for n in order}
    res["lse"] = float(lse)
    res["expectedTotal"] = float((a * lg).sum())
    return res


def lens(model, cfg, ids, mask, scale, centers, n_special, steps, start, levels):
    path = median_path(model, ids, mask, steps, start, n_special)
    dec = [start] + path[: steps - 1]
    cap = {}
    hs = [b.register_forward_hook(lambda m, a, o, l=l: cap.__setitem__(l, o[0].detach())) for l, b in enumerate(model.decoder.block)]
    forward(model, [ids], [dec], [mask])
    for h in hs:
        h.remove()
    out = []
    for l in range(len(model.decoder.block)):
        lg = model.lm_head(model.decoder.final_layer_norm(cap[l]) * (cfg.d_model**-0.5 if cfg.tie_word_embeddings else 1.0)).double().numpy()[0]
        dists = [value_dist(lg[s], n_special) for s in range(steps)]
        cvals = np.array([center_of(v, centers, n_special) if v >= n_special else 0.0 for v in range(lg.shape[1])])
        out.append({"layer": l, "quantiles": [[center_of(quantile_token(p, q, n_special), centers, n_special) * scale for p in dists] for q in levels], "mean": [float((p * cvals).sum()) * scale for p in dists]})
    return {"steps": steps, "path": path, "levels": levels, "layers": out}


# ---- patching -----------------------------------------------------------------------------------------

def mean_logprob(logits, labels):
    lg = logits[0]
    mx = lg.max(-1, keepdims=True)
    lse = mx[:, 0] + np.log(np.exp(lg - mx).sum(-1))
    return float(np.mean([lg[t, labels[t]] - lse[t] for t in range(len(labels))]))


def patch_pair(model, cfg, clean, corrupted, dec, labels, head_sets):
    H, K = cfg.num_heads, cfg.d_kv
    Le, Ld = len(model.encoder.block), len(model.decoder.block)
    o_mods = {"encoder": [b.layer[0].SelfAttention.o for b in model.encoder.block], "decoder": [b.layer[0].SelfAttention.o for b in model.decoder.block], "cross": [b.layer[1].EncDecAttention.o for b in model.decoder.block]}
    # Residual entering block i; boundary L is the input of the stack's final norm.
    resid_mods = {"encoder": list(model.encoder.block) + [model.encoder.final_layer_norm], "decoder": list(model.decoder.block) + [model.decoder.final_layer_norm]}
    store = {}
    hs = []
    for k, mods in o_mods.items():
        for l, m in enumerate(mods):
            hs.append(m.register_forward_pre_hook(lambda mod, a, k=k, l=l: store.__setitem__((k, l), a[0].detach().clone())))
    for s, mods in resid_mods.items():
        for i, m in enumerate(mods):
            hs.append(m.register_forward_pre_hook(lambda mod, a, kw, s=s, i=i: store.__setitem__((s + "_resid", i), (a[0] if a else kw["hidden_states"]).detach().clone()), with_kwargs=True))
    m_clean = mean_logprob(forward(model, [clean], [dec]), labels)
    for h in hs:
        h.remove()
    m_corr = mean_logprob(forward(model, [corrupted], [dec]), labels)

    def run(patches):
        hs = []
        for site, l, h, pos in patches:
            if site in o_mods:
                def pre(mod, a, site=site, l=l, h=h, pos=pos):
                    x = a[0].clone()
                    sl = slice(h * K, (h + 1) * K)
                    src = store[(site, l)]
                    if pos < 0:
                        x[:, :, sl] = src[:, :, sl]
                    else:
                        x[:, pos, sl] = src[:, pos, sl]
                    return (x,) + tuple(a[1:])
                hs.append(o_mods[site][l].register_forward_pre_hook(pre))
            else:
                stack = site.replace("_resid", "")
                def pre(mod, a, kw, site=site, l=l, pos=pos):
                    x = (a[0] if a else kw["hidden_states"]).clone()
                    x[:, pos] = store[(site, l)][:, pos]
                    if a:
                        return (x,) + tuple(a[1:]), kw
                    kw = dict(kw)
                    kw["hidden_states"] = x
                    return a, kw
                hs.append(resid_mods[stack][l].register_forward_pre_hook(pre, with_kwargs=True))
        v = mean_logprob(forward(model, [corrupted], [dec]), labels)
        for h in hs:
            h.remove()
        return v

    heads = {k: [[run([(k, l, h, -1)]) for h in range(H)] for l in range(len(mods))] for k, mods in o_mods.items()}
    resid = {s: [[run([(s + "_resid", i, 0, p)]) for p in range(len(clean) if s == "encoder" else len(dec))] for i in range((Le if s == "encoder" else Ld) + 1)] for s in ("encoder", "decoder")}
    sets = [run([(h["kind"], h["layer"], h["head"], -1) for h in st]) for st in head_sets]
    return {"clean": m_clean, "corrupted": m_corr, "heads": heads, "resid": resid, "sets": sets}


def rrt_pairs(n, seq_len, vocab, seed, eos, start):
    """Repeated random tokens (clean) against fresh non-repeating tokens (corrupted), as analysis/ablation.ts builds them."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        s = rng.integers(vocab[0], vocab[1] + 1, size=seq_len).tolist()
        fresh = rng.integers(vocab[0], vocab[1] + 1, size=seq_len).tolist()
        sub = 1
        pairs.append({"clean": s + s[:sub] + [eos], "corrupted": fresh + s[:sub] + [eos], "decoder": [start] + s[sub:-1], "labels": s[sub:]})
    return pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(REPO_ROOT / "models" / "chronos-t5-nano"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--csv", default=str(SHARED / "AirPassengers.csv"))
    ap.add_argument("--column", default="#Passengers")
    args = ap.parse_args()
    setup_torch()
    model_dir = Path(args.model)
    model = load_t5_float32(model_dir)
    cfg = model.config
    cc = load_chronos_config(model_dir)
    tok = make_tokenizer(cc)
    n_special = cc["n_special_tokens"]
    start = cfg.decoder_start_token_id
    centers = tok.centers.double().numpy()
    out = {"format": "chronos-lens-causal-reference", "version": 1, "model": rel_to_repo(model_dir), "versions": versions()}

    log("stable ranks")
    out["stableRank"] = stable_ranks(model, cfg)

    log("layer skips")
    V = cfg.vocab_size
    vocab = (1911, 2187) if V > 2187 else (n_special + 1, V - 1)
    pairs = rrt_pairs(3, 10, vocab, 7, cc["eos_token_id"], start)
    enc = [p["clean"] for p in pairs]
    dec = [p["decoder"] for p in pairs]
    skip_sets = [[("encoder", 0, "all")], [("decoder", 1, "ff")], [("decoder", 0, "cross")], [("encoder", 1, "attention"), ("decoder", 0, "self")], [("decoder", 1, "attention")]]
    skips = []
    for st in skip_sets:
        hs = skip_hooks(model, st)
        lg = forward(model, enc, dec)
        for h in hs:
            h.remove()
        skips.append({"layers": [f"{s}:L{l}" + ("" if p == "all" else f".{p}") for s, l, p in st], "logits": lg[:, :, SKIP_WINDOW].astype(np.float32).tolist(), "meanLogprob": [mean_logprob(lg[i : i + 1], p["labels"]) for i, p in enumerate(pairs)]})
    base = forward(model, enc, dec)
    out["layerSkip"] = {"encoder": enc, "decoder": dec, "window": [SKIP_WINDOW.start, SKIP_WINDOW.stop], "sets": skips, "unskipped": base[:, :, SKIP_WINDOW].astype(np.float32).tolist()}

    log("attribution and lens")
    with open(args.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    values = [float(r[args.column]) for r in rows]
    ids, mask, scale = tok.context_input_transform(torch.tensor([values], dtype=torch.float32))
    ids = ids[0].tolist()
    mask = mask[0].long().tolist()
    scale = float(scale[0])
    out["series"] = {"file": Path(args.csv).name, "column": args.column, "values": values, "scale": scale}
    out["attribution"] = [attribution(model, cfg, ids, mask, scale, centers, n_special, step, start) for step in (0, 3)]
    out["lens"] = lens(model, cfg, ids, mask, scale, centers, n_special, 6, start, [0.1, 0.5, 0.9])

    log("patching")
    top = [{"kind": "cross", "layer": 1, "head": h} for h in (1, 2, 0)]
    ctrl = [{"kind": "cross", "layer": 0, "head": h} for h in (0, 2)] + [{"kind": "cross", "layer": 1, "head": 3}]
    out["patching"] = {"pairs": pairs, "headSets": [top, ctrl], "results": [patch_pair(model, cfg, p["clean"], p["corrupted"], p["decoder"], p["labels"], [top, ctrl]) for p in pairs]}

    path = Path(args.out) if args.out else REPO_ROOT / "test" / "fixtures" / "causal" / f"causal-{model_dir.name}.json"
    write_json(path, out)
    log(f"wrote {rel_to_repo(path)}")


if __name__ == "__main__":
    main()
