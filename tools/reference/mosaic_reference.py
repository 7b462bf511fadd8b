#!/usr/bin/env python
"""Induction-mosaic reference, computed the way the background article's code does, in fp32.

    # make a token batch (the article's repeated-random-tokens protocol, Python's seeded RNG)
    tools/.venv/bin/python tools/reference/mosaic_reference.py --make-tokens FILE [--seed N] [--batch 100]
        [--seq-len 10] [--repeats 2] [--sub-extension 1] [--vocab 1911:2187]
    # compute the reference mosaics of a model on a token batch
    tools/.venv/bin/python tools/reference/mosaic_reference.py --model DIR --tokens FILE --out FILE
    # regenerate the committed fixtures (test/fixtures/mosaic/)
    tools/.venv/bin/python tools/reference/mosaic_reference.py --fixtures

Cross-attention mosaic (the article's `rrt_induction_mosaic.ipynb`): the HF T5 model of
ChronosPipeline.from_pretrained(model) (here torch_dtype=float32, CPU, instead of bfloat16 on GPU) runs

    t5_model.generate(input_ids=encoder_input_ids, attention_mask=ones (bool), max_new_tokens=1,
                      decoder_input_ids=decoder_input_ids, num_return_sequences=1, do_sample=False,
                      use_cache=False, output_attentions=True, output_scores=True,
                      output_hidden_states=True, return_dict_in_generate=True)

and score[layer][head] = batch mean of outputs.cross_attentions[0][layer][:, head, 1, s_idx] with
s_idx = seq_len * (repeats - 1) + sub_extension ("center": the latest earlier copy of the decoder's
current token) and s_idx + 1 ("right": the token that followed it).

Encoder-self and decoder-self mosaics (issue 5), from one forward pass model(input_ids, attention_mask,
decoder_input_ids=[0] + encoder_input_ids[:, :-1], output_attentions=True) on the same batch:
  encoder: for every position p in the last repeat (seq_len*(repeats-1) <= p < seq_len*repeats),
           center = attention(p -> p - seq_len), right = attention(p -> p - seq_len + 1), averaged over p;
  decoder: the decoder is teacher-forced on the repeated sequence (decoder position p + 1 holds sequence
           token p); for the same p, query p + 1, center key p + 1 - seq_len, right key p + 2 - seq_len.
Every cell: batch mean (of the per-sequence averages) and standard error std(ddof=1) / sqrt(batch).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CHECKPOINTS_DIR, FIXTURES, log, rel_to_repo, setup_torch, versions, write_json  # noqa: E402

TOKEN_FORMAT = "chronos-lens-token-batch"
MOSAIC_DIR = FIXTURES / "mosaic"
FIXTURE_SEED = 1911
FIXTURE_TOKENS = MOSAIC_DIR / f"tokens-rrt-b100-sl10-r2-seed{FIXTURE_SEED}.json"
FIXTURE_MODELS = ["t5-relu-v4096-f32", "t5-gated-v2304-bf16"]
THRESHOLD = 0.3
EOS_ID = 1
DECODER_START_ID = 0


# ---------------------------------------------------------------------------------------------
# Token batches
# ---------------------------------------------------------------------------------------------
def make_token_batch(seed: int, batch: int = 100, seq_len: int = 10, repeats: int = 2, sub_extension: int = 1,
                     vocab: tuple[int, int] = (1911, 2187)) -> Dict[str, Any]:
    """The article's protocol with Python's random.Random(seed): per sequence, seq_len ids drawn uniformly
    from vocab[0]..vocab[1] inclusive (rng.randint), in row order; encoder = S * repeats + S[:sub_extension]
    + [EOS 1]; decoder = [0, S[sub_extension]]."""
    if not (0 <= sub_extension < seq_len) or repeats < 2 or batch < 2:
        raise SystemExit("need 0 <= sub_extension < seq_len, repeats >= 2, batch >= 2")
    rng = random.Random(seed)
    enc: List[List[int]] = []
    dec: List[List[int]] = []
    for _ in range(batch):
        s = [rng.randint(vocab[0], vocab[1]) for _ in range(seq_len)]
        enc.append(s * repeats + s[:sub_extension] + [EOS_ID])
        dec.append([DECODER_START_ID, s[sub_extension]])
    return {
        "format": TOKEN_FORMAT,
        "version": 1,
        "protocol": {"batch": batch, "seqLen": seq_len, "repeats": repeats, "subExtension": sub_extension,
                     "vocab": [vocab[0], vocab[1]], "seed": seed},
        "encoder_input_ids": enc,
        "decoder_input_ids": dec,
    }


def read_token_batch(path: Path) -> Dict[str, Any]:
    doc = json.loads(Path(path).read_text())
    if doc.get("format") != TOKEN_FORMAT or doc.get("version") != 1:
        raise SystemExit(f"{path}: not a {TOKEN_FORMAT} version 1 file")
    p = doc["protocol"]
    b, sl, r, sub = p["batch"], p["seqLen"], p["repeats"], p["subExtension"]
    enc, dec = doc["encoder_input_ids"], doc["decoder_input_ids"]
    if len(enc) != b or len(dec) != b:
        raise SystemExit(f"{path}: protocol.batch {b} but {len(enc)} encoder / {len(dec)} decoder rows")
    for i, (e, d) in enumerate(zip(enc, dec)):
        s = e[:sl]
        if e != s * r + s[:sub] + [EOS_ID] or d != [DECODER_START_ID, s[sub]]:
            raise SystemExit(f"{path}: row {i} does not follow the protocol (seqLen {sl}, repeats {r}, subExtension {sub})")
    return doc


# ---------------------------------------------------------------------------------------------
# Mosaics
# ---------------------------------------------------------------------------------------------
def cell_stats(values: torch.Tensor) -> tuple[list, list]:
    """values: [layers, heads, batch] float32 -> (mean, stderr) as nested lists (computed in float64)."""
    v = values.to(torch.float64)
    n = v.shape[-1]
    mean = v.mean(-1)
    stderr = v.std(-1, unbiased=True) / np.sqrt(n)
    return mean.tolist(), stderr.tolist()


def kind_result(values: torch.Tensor, center_keys: Any, right_keys: Any, query: Any) -> Dict[str, Any]:
    c_mean, c_se = cell_stats(values[0])
    r_mean, r_se = cell_stats(values[1])
    c = np.array(c_mean)
    r = np.array(r_mean)
    return {
        "center": c_mean,
        "right": r_mean,
        "center_stderr": c_se,
        "right_stderr": r_se,
        "counts": {
            "threshold": THRESHOLD,
            "center_ge": int((c >= THRESHOLD).sum()),
            "right_ge": int((r >= THRESHOLD).sum()),
            "either_ge": int(((c >= THRESHOLD) | (r >= THRESHOLD)).sum()),
            "heads": int(c.size),
        },
        "query_positions": query,
        "center_key_positions": center_keys,
        "right_key_positions": right_keys,
    }


def compute_mosaics(model_dir: Path, tokens: Dict[str, Any]) -> Dict[str, Any]:
    from chronos import ChronosPipeline

    pipeline = ChronosPipeline.from_pretrained(str(model_dir), device_map="cpu", torch_dtype=torch.float32)
    t5_model = pipeline.model.model
    t5_model.eval()
    p = tokens["protocol"]
    sl, r, sub = p["seqLen"], p["repeats"], p["subExtension"]
    token_ids = torch.tensor(tokens["encoder_input_ids"], dtype=torch.long)
    decoder_input_ids = torch.tensor(tokens["decoder_input_ids"], dtype=torch.long)
    attention_mask = torch.ones_like(token_ids, dtype=torch.bool)
    vocab = t5_model.config.vocab_size
    if int(token_ids.max()) >= vocab:
        raise SystemExit(f"{model_dir}: token id {int(token_ids.max())} >= vocab_size {vocab}")
    n_layers, n_dec_layers, n_heads = (t5_model.config.num_layers, t5_model.config.num_decoder_layers,
                                       t5_model.config.num_heads)

    # --- cross-attention: exactly the article's call ----------------------------------------
    outputs = t5_model.generate(
        input_ids=token_ids,
        attention_mask=attention_mask,
        max_new_tokens=1,
        decoder_input_ids=decoder_input_ids,
        num_return_sequences=1,
        do_sample=False,
        use_cache=False,
        output_attentions=True,
        output_scores=True,
        output_hidden_states=True,
        return_dict_in_generate=True,
    )
    cross_attn_probs = outputs.cross_attentions
    t_idx = 1
    s_idx = sl * (r - 1) + sub
    cross = torch.stack([
        torch.stack([
            torch.stack([cross_attn_probs[0][layer][:, head, t_idx, s_idx] for head in range(n_heads)]),
            torch.stack([cross_attn_probs[0][layer][:, head, t_idx, s_idx + 1] for head in range(n_heads)]),
        ]) for layer in range(n_dec_layers)
    ], dim=1)  # [2, layers, heads, batch]

    # The same numbers from a plain forward pass (what an implementation without generate computes).
    fwd = t5_model(input_ids=token_ids, attention_mask=attention_mask, decoder_input_ids=decoder_input_ids,
                   output_attentions=True, use_cache=False)
    check = max((fwd.cross_attentions[layer][:, :, t_idx, s_idx:s_idx + 2].permute(2, 1, 0) - cross[:, layer]).abs().max().item()
                for layer in range(n_dec_layers))
    assert check < 1e-6, check

    # --- encoder-self and decoder-self: teacher-forced forward on the repeated sequence -------
    dec_full = torch.cat([torch.full((token_ids.shape[0], 1), DECODER_START_ID, dtype=torch.long), token_ids[:, :-1]], dim=1)
    out = t5_model(input_ids=token_ids, attention_mask=attention_mask, decoder_input_ids=dec_full,
                   output_attentions=True, use_cache=False)
    positions = list(range(sl * (r - 1), sl * r))
    pos = torch.tensor(positions)

    def diag_scores(atts, q: torch.Tensor, kc: torch.Tensor, kr: torch.Tensor) -> torch.Tensor:
        res = []
        for a in atts:  # [batch, heads, queries, keys]
            center = a[:, :, q, kc].mean(-1)  # [batch, heads]
            right = a[:, :, q, kr].mean(-1)
            res.append(torch.stack([center.T, right.T]))  # [2, heads, batch]
        return torch.stack(res, dim=1)  # [2, layers, heads, batch]

    enc_vals = diag_scores(out.encoder_attentions, pos, pos - sl, pos - sl + 1)
    dec_vals = diag_scores(out.decoder_attentions, pos + 1, pos + 1 - sl, pos + 2 - sl)

    return {
        "format": "chronos-lens-mosaic-reference",
        "version": 1,
        "model": rel_to_repo(model_dir),
        "protocol": p,
        "n": int(token_ids.shape[0]),
        "layers": {"encoder": n_layers, "decoder": n_dec_layers},
        "heads": n_heads,
        "cross": kind_result(cross, s_idx, s_idx + 1, t_idx),
        "encoder": kind_result(enc_vals, (pos - sl).tolist(), (pos - sl + 1).tolist(), positions),
        "decoder": kind_result(dec_vals, (pos + 1 - sl).tolist(), (pos + 2 - sl).tolist(), (pos + 1).tolist()),
        "method": {
            "cross": "ChronosPipeline.from_pretrained(model, device_map='cpu', torch_dtype=torch.float32).model.model"
                     ".generate(input_ids, attention_mask=ones(bool), max_new_tokens=1, decoder_input_ids, "
                     "num_return_sequences=1, do_sample=False, use_cache=False, output_attentions=True, "
                     "output_scores=True, output_hidden_states=True, return_dict_in_generate=True); value = "
                     "outputs.cross_attentions[0][layer][:, head, query, key]; a forward pass gives the same "
                     f"numbers (max |diff| {check:.1e}). [layer][head] indexes decoder layers.",
            "encoder": "model(input_ids, attention_mask, decoder_input_ids=[0] + input_ids[:, :-1], "
                       "output_attentions=True).encoder_attentions[layer][:, head, p, key]; per sequence the "
                       "mean over the query positions; [layer][head] indexes encoder layers.",
            "decoder": "same forward pass, .decoder_attentions[layer][:, head, p + 1, key]; [layer][head] indexes "
                       "decoder layers.",
            "statistics": "center/right = batch mean; *_stderr = std(ddof=1) / sqrt(n); float64 over the "
                          "float32 probabilities. counts: heads with score >= threshold (either_ge: center or right).",
        },
        "versions": versions(),
        "generator": "tools/reference/mosaic_reference.py",
    }


def verify_mosaic(path: Path) -> None:
    doc = json.loads(path.read_text())
    for kind, n_layers in (("cross", doc["layers"]["decoder"]), ("encoder", doc["layers"]["encoder"]),
                           ("decoder", doc["layers"]["decoder"])):
        for key in ("center", "right", "center_stderr", "right_stderr"):
            a = np.array(doc[kind][key])
            assert a.shape == (n_layers, doc["heads"]), (path, kind, key, a.shape)
            assert np.all(np.isfinite(a)) and np.all(a >= 0) and np.all(a <= 1)
    log(f"  verified {rel_to_repo(path)}: cross center max {np.max(doc['cross']['center']):.3f}, "
        f"encoder center max {np.max(doc['encoder']['center']):.3f}, decoder right max {np.max(doc['decoder']['right']):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="checkpoint folder")
    ap.add_argument("--tokens", type=Path, help="token batch file (chronos-lens-token-batch v1)")
    ap.add_argument("--out", type=Path, help="output JSON")
    ap.add_argument("--make-tokens", type=Path, metavar="FILE", help="write a token batch and exit")
    ap.add_argument("--seed", type=int, default=FIXTURE_SEED)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--seq-len", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--sub-extension", type=int, default=1)
    ap.add_argument("--vocab", default="1911:2187", help="inclusive id range A:B")
    ap.add_argument("--fixtures", action="store_true", help="regenerate test/fixtures/mosaic/")
    args = ap.parse_args()
    setup_torch()

    if args.make_tokens:
        lo, hi = (int(x) for x in args.vocab.split(":"))
        doc = make_token_batch(args.seed, args.batch, args.seq_len, args.repeats, args.sub_extension, (lo, hi))
        write_json(args.make_tokens, doc)
        read_token_batch(args.make_tokens)
        log(f"wrote {args.make_tokens}")
        return
    if args.fixtures:
        doc = make_token_batch(FIXTURE_SEED)
        write_json(FIXTURE_TOKENS, doc)
        tokens = read_token_batch(FIXTURE_TOKENS)
        assert np.array(tokens["encoder_input_ids"]).shape == (100, 22)
        for name in FIXTURE_MODELS:
            res = compute_mosaics(CHECKPOINTS_DIR / name, tokens)
            res["tokens"] = rel_to_repo(FIXTURE_TOKENS)
            out = MOSAIC_DIR / f"mosaic-{name}.json"
            write_json(out, res)
            verify_mosaic(out)
        return
    if not (args.model and args.tokens and args.out):
        ap.error("give --model DIR --tokens FILE --out FILE (or --make-tokens FILE, or --fixtures)")
    tokens = read_token_batch(args.tokens)
    res = compute_mosaics(args.model.resolve(), tokens)
    res["tokens"] = rel_to_repo(args.tokens)
    write_json(args.out, res)
    verify_mosaic(args.out)


if __name__ == "__main__":
    main()
