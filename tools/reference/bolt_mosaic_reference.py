#!/usr/bin/env python
"""Patch induction-mosaic reference for Chronos-Bolt (docs/patch-mosaic.md), from chronos-forecasting's
ChronosBoltModelForForecasting with transformers' eager attentions, float32 on CPU.

    # regenerate the committed fixtures (test/fixtures/bolt-mosaic/): batches made here, mosaics on them
    tools/.venv-families/bin/python tools/reference/bolt_mosaic_reference.py --fixtures
    # the mosaics of any Bolt model on any patch batch (e.g. one saved by `chronos-lens mosaic --save-tokens`)
    tools/.venv-families/bin/python tools/reference/bolt_mosaic_reference.py --model DIR --batch FILE --out FILE

The protocol, written here from its definition (not from the TypeScript): a context is S repeated,
x_t = S[t mod V] for t < L = P * (ceil(R * V / P) + sub), with V values per repeat, P the patch size,
R repeats and sub extra patches; patch k covers [kP, (k+1)P). The copy shift D is the smallest multiple
of V that is >= P. A span [a, a + P) is read from the attention as (1 - f) * att[k] + f * att[k + 1] with
k = floor(a / P), f = a / P - k.
  encoder: query patches q with q*P >= max(D, R*V - D) and (q+1)*P <= R*V; center = span qP - D, right =
           span qP - D + P; the per-sequence score is the mean over the queries.
  cross:   the decoder token's cross-attention; center = span L - P - D (the copy of the last patch),
           right = span L - D.
Every cell: batch mean and standard error std(ddof=1) / sqrt(batch), as the T5 reference
(mosaic_reference.py, whose statistics this script reuses).
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
from _common import FIXTURES, REPO_ROOT, log, rel_to_repo, setup_torch, versions, write_json  # noqa: E402
from mosaic_reference import THRESHOLD, kind_result  # noqa: E402

BATCH_FORMAT = "chronos-lens-patch-batch"
OUT_DIR = FIXTURES / "bolt-mosaic"
DUMMY_BOLT = (REPO_ROOT / ".." / "shared" / "data" / "chronos-bolt-dummy-model").resolve()
AIR = (REPO_ROOT / ".." / "shared" / "data" / "AirPassengers.csv").resolve()
CKPTS = FIXTURES / "bolt" / "checkpoints"

# (case, model dir, batch spec): source, batch, period (values), repeats, sub_extension, seed
CASES: List[Tuple[str, Path, Dict[str, Any]]] = [
    ("dummy-aligned", DUMMY_BOLT, dict(source="random-patches", batch=8, period=4 * 16, repeats=2, sub=1, seed=1911)),
    ("dummy-subpatch", DUMMY_BOLT, dict(source="random-patches", batch=8, period=24, repeats=3, sub=1, seed=7)),
    ("dummy-air", DUMMY_BOLT, dict(source="series-patches", batch=6, period=2 * 16, repeats=3, sub=1, seed=3)),
    ("reduced-aligned", CKPTS / "bolt-reduced-random", dict(source="random-patches", batch=6, period=3 * 16, repeats=3, sub=2, seed=11)),
    ("noreg-subpatch", CKPTS / "bolt-noreg-random", dict(source="random-patches", batch=6, period=12, repeats=4, sub=1, seed=5)),
    ("noreg-shortperiod", CKPTS / "bolt-noreg-random", dict(source="random-patches", batch=6, period=5, repeats=10, sub=0, seed=9)),
]


def geometry(P: int, V: int, R: int, sub: int) -> Dict[str, Any]:
    D = V * math.ceil(P / V)
    n = math.ceil(R * V / P) + sub
    L = n * P
    end = R * V
    queries = [q for q in range(n) if q * P >= max(D, end - D) and (q + 1) * P <= end]
    if not queries:
        raise SystemExit(f"no query patch for P={P} V={V} R={R}")
    return dict(size=P, contextLength=L, patches=n, period=V, shift=D, queries=queries)


def span(a: int, P: int) -> List[Tuple[int, float]]:
    k = a // P
    f = (a - k * P) / P
    return [(k, 1.0)] if f == 0 else [(k, 1.0 - f), (k + 1, f)]


def air_values() -> Tuple[str, np.ndarray]:
    import csv

    with open(AIR, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0][1], np.array([float(r[1]) for r in rows[1:]], dtype=np.float64)


def make_batch(spec: Dict[str, Any], P: int) -> Dict[str, Any]:
    V, R, sub = spec["period"], spec["repeats"], spec["sub"]
    g = geometry(P, V, R, sub)
    rng = np.random.default_rng(spec["seed"])
    protocol: Dict[str, Any] = dict(source=spec["source"], batch=spec["batch"], patchSize=P, period=V, repeats=R, subExtension=sub, seed=spec["seed"])
    if spec["source"] == "random-patches":
        seqs = [rng.standard_normal(V).astype(np.float32) for _ in range(spec["batch"])]
    else:
        column, x = air_values()
        starts = sorted(rng.choice(len(x) - V + 1, size=spec["batch"], replace=False).tolist())
        seqs = [x[s:s + V].astype(np.float32) for s in starts]
        protocol["series"] = dict(file=AIR.name, column=column, windows=len(starts), starts=starts)
    t = np.arange(g["contextLength"])
    contexts = [s[t % V] for s in seqs]
    return {"format": BATCH_FORMAT, "version": 1, "protocol": protocol, "contexts": [[float(v) for v in c] for c in contexts]}


def compute(model_dir: Path, batch: Dict[str, Any]) -> Dict[str, Any]:
    from chronos import BaseChronosPipeline

    pipe = BaseChronosPipeline.from_pretrained(str(model_dir), device_map="cpu", dtype=torch.float32, attn_implementation="eager")
    model = pipe.model.eval()
    cc = model.chronos_config
    p = batch["protocol"]
    P = cc.input_patch_size
    assert p["patchSize"] == P and cc.input_patch_stride == P
    g = geometry(P, p["period"], p["repeats"], p["subExtension"])
    assert g["contextLength"] <= cc.context_length
    ctx = torch.tensor(np.array(batch["contexts"], dtype=np.float32))
    assert ctx.shape == (p["batch"], g["contextLength"])
    hidden, _, embeds, attn_mask = model.encode(context=ctx)
    enc = model.encoder(attention_mask=attn_mask, inputs_embeds=embeds, output_attentions=True, return_dict=True)
    dec_ids = torch.full((ctx.shape[0], 1), model.config.decoder_start_token_id)
    dec = model.decoder(input_ids=dec_ids, encoder_hidden_states=hidden, encoder_attention_mask=attn_mask, output_attentions=True, return_dict=True)
    D, L = g["shift"], g["contextLength"]
    # encoder: [layers, B, H, E, E] -> per sequence mean over the queries of the span-weighted reads
    ea = torch.stack(list(enc.attentions)).to(torch.float64)
    enc_vals = torch.zeros(2, ea.shape[0], ea.shape[2], ea.shape[1], dtype=torch.float64)
    for q in g["queries"]:
        for side, start in ((0, q * P - D), (1, q * P - D + P)):
            for k, w in span(start, P):
                enc_vals[side] += w * ea[:, :, :, q, k].permute(0, 2, 1)
    enc_vals /= len(g["queries"])
    ca = torch.stack(list(dec.cross_attentions)).to(torch.float64)[:, :, :, 0, :]  # [layers, B, H, E]
    cross_vals = torch.zeros(2, ca.shape[0], ca.shape[2], ca.shape[1], dtype=torch.float64)
    for side, start in ((0, L - P - D), (1, L - D)):
        for k, w in span(start, P):
            cross_vals[side] += w * ca[:, :, :, k].permute(0, 2, 1)
    last = g["patches"] - 1
    return {
        "model": rel_to_repo(model_dir),
        "layers": {"encoder": model.config.num_layers, "decoder": model.config.num_decoder_layers},
        "heads": model.config.num_heads,
        "geometry": g,
        "encoder": kind_result(enc_vals, [[x for x in span(q * P - D, P)] for q in g["queries"]], [[x for x in span(q * P - D + P, P)] for q in g["queries"]], g["queries"]),
        "cross": kind_result(cross_vals, span(L - P - D, P), span(L - D, P), last),
        "meta": {"threshold": THRESHOLD, "encoder_positions": int(attn_mask.shape[1]), "versions": versions()},
    }


def write_mosaic_fixtures(cases: List[Tuple[str, Path, Dict[str, Any]]], out_dir: Path, compute_fn) -> None:
    """Per case: a batch made from the definition, and the reference mosaic `compute_fn` computes on it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for case, model_dir, spec in cases:
        P = json.loads((model_dir / "config.json").read_text())["chronos_config"]["input_patch_size"]
        batch = make_batch(spec, P)
        batch_file = out_dir / f"{case}.batch.json"
        write_json(batch_file, batch)
        ref = compute_fn(model_dir, batch)
        ref["batch"] = rel_to_repo(batch_file)
        write_json(out_dir / f"{case}.mosaic.json", ref)
        log(f"{case}: encoder {ref['encoder']['counts']}, cross {ref['cross']['counts']}")


def mosaic_on_batch(a: argparse.Namespace, compute_fn) -> None:
    """--model DIR --batch FILE --out FILE: the reference mosaic of any model on any saved patch batch."""
    batch = json.loads(a.batch.read_text())
    if batch.get("format") != BATCH_FORMAT:
        raise SystemExit(f"{a.batch}: not a {BATCH_FORMAT} file")
    ref = compute_fn(a.model, batch)
    ref["batch"] = str(a.batch)
    write_json(a.out, ref)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", action="store_true")
    ap.add_argument("--model", type=Path)
    ap.add_argument("--batch", type=Path)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    setup_torch()
    if a.fixtures:
        write_mosaic_fixtures(CASES, OUT_DIR, compute)
        return
    if not (a.model and a.batch and a.out):
        ap.error("give --fixtures, or --model, --batch and --out")
    mosaic_on_batch(a, compute)


if __name__ == "__main__":
    main()
