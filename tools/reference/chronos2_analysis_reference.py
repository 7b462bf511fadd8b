#!/usr/bin/env python
"""Chronos-2 analysis references, from chronos-forecasting's Chronos2Model with eager attentions, float32 on CPU.

    # regenerate the committed fixtures (test/fixtures/chronos2-analysis/): mosaics, group-attention scores
    tools/.venv-families/bin/python tools/reference/chronos2_analysis_reference.py --fixtures
    # the patch mosaics of any Chronos-2 model on any patch batch (`chronos-lens mosaic --save-tokens FILE`)
    tools/.venv-families/bin/python tools/reference/chronos2_analysis_reference.py --model DIR --batch FILE --out FILE

Patch induction mosaic (docs/patch-mosaic.md; the batches and the span reads are bolt_mosaic_reference.py's,
written from the definition): every context is forecast alone (its own group id) with one output patch;
  encoder: the time self-attention among the context patches, read as for Chronos-Bolt's encoder;
  cross:   the time attention of the first output-patch token (the forecast token), center = span L - P - D,
           right = span L - D, as for Chronos-Bolt's decoder token.

Group-attention score (docs/chronos2.md): the task's rows in one group, one forward pass with max_output_patches
output patches; per layer and head, the group attention [T, H, n, n] averaged over the context patches (every row
observed everywhere): the matrix; 1 - its diagonal: each series' share on the others; their mean: the score.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
from _common import FIXTURES, rel_to_repo, setup_torch, versions, write_json  # noqa: E402
from bolt_mosaic_reference import geometry, mosaic_on_batch, span, write_mosaic_fixtures  # noqa: E402
from mosaic_reference import THRESHOLD, kind_result  # noqa: E402

OUT_DIR = FIXTURES / "chronos2-analysis"
DUMMY = (_common.REPO_ROOT / ".." / "shared" / "data" / "chronos2-dummy-model").resolve()
CKPTS = FIXTURES / "chronos2" / "checkpoints"

# (case, model dir, batch spec), as bolt_mosaic_reference.py's CASES; the small checkpoints' contexts are
# 96 (patches of 16) and 64 (patches of 8) values
MOSAIC_CASES: List[Tuple[str, Path, Dict[str, Any]]] = [
    ("mosaic-dummy-aligned", DUMMY, dict(source="random-patches", batch=6, period=3 * 16, repeats=2, sub=1, seed=1911)),
    ("mosaic-reduced-aligned", CKPTS / "chronos2-reduced-random", dict(source="random-patches", batch=6, period=2 * 16, repeats=2, sub=1, seed=11)),
    ("mosaic-reduced-subpatch", CKPTS / "chronos2-reduced-random", dict(source="random-patches", batch=6, period=24, repeats=3, sub=1, seed=7)),
    ("mosaic-reduced-air", CKPTS / "chronos2-reduced-random", dict(source="series-patches", batch=5, period=2 * 16, repeats=2, sub=1, seed=3)),
    ("mosaic-linear-shortperiod", CKPTS / "chronos2-linear-random", dict(source="random-patches", batch=5, period=5, repeats=10, sub=0, seed=9)),
]


def load_model(model_dir: Path):
    from chronos import Chronos2Pipeline

    pipe = Chronos2Pipeline.from_pretrained(str(model_dir), device_map="cpu", dtype=torch.float32, attn_implementation="eager")
    return pipe.model.eval()


def mosaic(model_dir: Path, batch: Dict[str, Any]) -> Dict[str, Any]:
    model = load_model(model_dir)
    cc = model.chronos_config
    p = batch["protocol"]
    P = cc.input_patch_size
    assert p["patchSize"] == P and cc.input_patch_stride == P
    g = geometry(P, p["period"], p["repeats"], p["subExtension"])
    assert g["contextLength"] <= cc.context_length
    ctx = torch.tensor(np.array(batch["contexts"], dtype=np.float32))
    B = ctx.shape[0]
    assert ctx.shape == (p["batch"], g["contextLength"])
    with torch.no_grad():
        out = model(context=ctx, group_ids=torch.arange(B), num_output_patches=1, output_attentions=True)
    # [layers, B, H, T, T]; tokens: context patches, [REG], the output patch
    ta = torch.stack(list(out.enc_time_self_attn_weights)).to(torch.float64)
    n = g["patches"]
    assert ta.shape[-1] == n + 2, ta.shape
    D, L = g["shift"], g["contextLength"]
    enc_vals = torch.zeros(2, ta.shape[0], ta.shape[2], B, dtype=torch.float64)
    for q in g["queries"]:
        for side, start in ((0, q * P - D), (1, q * P - D + P)):
            for k, w in span(start, P):
                enc_vals[side] += w * ta[:, :, :, q, k].permute(0, 2, 1)
    enc_vals /= len(g["queries"])
    first_out = n + 1
    cross_vals = torch.zeros(2, ta.shape[0], ta.shape[2], B, dtype=torch.float64)
    for side, start in ((0, L - P - D), (1, L - D)):
        for k, w in span(start, P):
            cross_vals[side] += w * ta[:, :, :, first_out, k].permute(0, 2, 1)
    return {
        "model": rel_to_repo(model_dir),
        "layers": model.config.num_layers,
        "heads": model.config.num_heads,
        "geometry": g,
        "encoder": kind_result(enc_vals, [span(q * P - D, P) for q in g["queries"]], [span(q * P - D + P, P) for q in g["queries"]], g["queries"]),
        "cross": kind_result(cross_vals, span(L - P - D, P), span(L - D, P), first_out),
        "meta": {"threshold": THRESHOLD, "tokens": int(ta.shape[-1]), "versions": versions()},
    }


# Group-attention score (docs/chronos2.md): tasks of same-length rows with no gaps, all targets or past-only
# covariates in one group; the rows are stored, so the TypeScript side runs the very same task.
ETT = (_common.REPO_ROOT / ".." / "shared" / "data" / "ETTh1.csv").resolve()


def lead_pair(length: int, lead: int, seed: int) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(length + lead)
    s = 10 + np.cumsum(rng.normal(0, 0.3, length + lead)) + 3 * np.sin(2 * np.pi * t / 24) + 2 * np.sin(2 * np.pi * t / 9)
    return {"follower": s[:length].astype(np.float32), "leader": s[lead:lead + length].astype(np.float32)}


def ett_columns(names: List[str], length: int) -> Dict[str, np.ndarray]:
    import csv

    with open(ETT, newline="") as fh:
        rows = list(csv.DictReader(fh))[-length:]
    return {c: np.array([float(r[c]) for r in rows], dtype=np.float32) for c in names}


GROUP_CASES: List[Tuple[str, Path, Dict[str, Any]]] = [
    ("group-reduced-lead", CKPTS / "chronos2-reduced-random", dict(targets=lead_pair(96, 3, 5), past={})),
    ("group-reduced-ett", CKPTS / "chronos2-reduced-random", dict(targets=ett_columns(["OT", "HUFL"], 96), past=ett_columns(["MULL"], 96))),
    ("group-linear-ett", CKPTS / "chronos2-linear-random", dict(targets=ett_columns(["OT"], 64), past=ett_columns(["HULL", "LULL"], 64))),
]


def group_score(model_dir: Path, case: Dict[str, Any]) -> Dict[str, Any]:
    """One forward pass of the task's rows in one group, with the model's max_output_patches output patches."""
    model = load_model(model_dir)
    cc = model.chronos_config
    names = list(case["targets"]) + sorted(case["past"])
    rows = [case["targets"][k] for k in case["targets"]] + [case["past"][k] for k in sorted(case["past"])]
    ctx = torch.tensor(np.stack(rows))
    n = ctx.shape[0]
    Po = cc.max_output_patches
    with torch.no_grad():
        out = model(context=ctx, group_ids=torch.zeros(n, dtype=torch.long), num_output_patches=Po, output_attentions=True)
    Pc = -(-ctx.shape[1] // cc.input_patch_size)
    # per layer [T, H, n, n] -> the context patches, averaged: [layers, H, n, n]
    ga = torch.stack([a[:Pc].to(torch.float64).mean(dim=0) for a in out.enc_group_self_attn_weights])
    per = 1 - torch.diagonal(ga, dim1=-2, dim2=-1)
    return {
        "model": rel_to_repo(model_dir),
        "series": names,
        "targets": len(case["targets"]),
        "rows": [[float(v) for v in r] for r in rows],
        "prediction_length": Po * cc.output_patch_size,
        "context_patches": Pc,
        "matrix": ga.tolist(),
        "per_series": per.tolist(),
        "score": per.mean(dim=-1).tolist(),
        "meta": {"versions": versions()},
    }


# Whole sublayers skipped (the graph's layer_skip): a forward hook returns the sublayer's input as its
# output, so the residual update is dropped, on the rows of group-reduced-ett (one group, one output patch).
SKIPS: List[Tuple[int, str]] = [(0, "time"), (1, "group"), (0, "ff"), (1, "all")]
PARTS = {"time": [0], "group": [1], "ff": [2], "all": [0, 1, 2]}


def skipped_sublayers(model_dir: Path, case: Dict[str, Any], base: str) -> None:
    model = load_model(model_dir)
    rows = [case["targets"][k] for k in case["targets"]] + [case["past"][k] for k in sorted(case["past"])]
    ctx = torch.tensor(np.stack(rows))
    gids = torch.zeros(ctx.shape[0], dtype=torch.long)

    def identity(_module, args, output):
        x = args[0]
        if isinstance(output, torch.Tensor):
            return x
        output.hidden_states = x
        return output

    arrays: Dict[str, torch.Tensor] = {"rows": ctx}
    with torch.no_grad():
        arrays["plain"] = model(context=ctx, group_ids=gids, num_output_patches=1).quantile_preds
        for layer, part in SKIPS:
            hooks = [model.encoder.block[layer].layer[j].register_forward_hook(identity) for j in PARTS[part]]
            try:
                arrays[f"skip.{layer}.{part}"] = model(context=ctx, group_ids=gids, num_output_patches=1).quantile_preds
            finally:
                for h in hooks:
                    h.remove()
    meta: Dict[str, Any] = {"model": rel_to_repo(model_dir), "skips": [[l, p] for l, p in SKIPS], "series_scale": float(ctx.abs().max())}
    _common.write_case(OUT_DIR, base, meta, arrays)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", action="store_true")
    ap.add_argument("--model", type=Path)
    ap.add_argument("--batch", type=Path)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    setup_torch()
    if a.fixtures:
        write_mosaic_fixtures(MOSAIC_CASES, OUT_DIR, mosaic)
        for case, model_dir, spec in GROUP_CASES:
            write_json(OUT_DIR / f"{case}.json", group_score(model_dir, spec))
        skipped_sublayers(GROUP_CASES[1][1], GROUP_CASES[1][2], "skip-reduced-ett")
        _common.check_fixture_budget(OUT_DIR, 300_000, "Chronos-2 analysis")
        return
    if not (a.model and a.batch and a.out):
        ap.error("give --fixtures, or --model, --batch and --out")
    mosaic_on_batch(a, mosaic)


if __name__ == "__main__":
    main()
