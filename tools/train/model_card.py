"""Write models/chronos-t5-nano/MODEL_CARD.md from training_summary.json and evaluation.json.

    tools/.venv/bin/python tools/train/model_card.py models/chronos-t5-nano
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from evaluate import mosaic_markdown  # noqa: E402


def fmt(x, nd=3):
    return f"{x:.{nd}f}"


def long_mix(stages) -> str:
    parts = []
    for i, st in enumerate(stages, 1):
        a = st["args"]
        pp, pq = int(round(a["p_long_parrot"] * 100)), int(round(a["p_long_periodic"] * 100))
        mix = f"{pp} % long parroting, {pq} % noisy periodic and {100 - pp - pq} % GP / seasonal-trend / mixture series"
        parts.append(mix if len(stages) == 1 else f"in stage {i}, {mix}")
    return "; ".join(parts)


def commands(stages) -> str:
    if len(stages) == 1:
        return f"`{stages[0]['command']}`"
    return "<br>".join(f"stage {i}: `{st['command']}`" for i, st in enumerate(stages, 1))


def schedule(stages) -> str:
    parts = []
    for i, st in enumerate(stages, 1):
        a, n = st["args"], st["steps_done"]
        short = f"{a['p_short'] * 100:.0f} % short"
        if i == 1:
            parts.append(f"{'stage 1, ' if len(stages) > 1 else ''}phase 1: {a['phase1_steps']} steps of short drift-parroting "
                         f"batches only; phase 2: {short}, {100 - a['p_short'] * 100:.0f} % long batches"
                         + (f" ({n} steps)" if len(stages) > 1 else ""))
        else:
            start = (f", {a['p_start'] * 100:.0f} % of them start batches (the first {a['start_future']} future values only)"
                     if a.get("p_start") else "")
            parts.append(f"stage {i}, from stage {i - 1}'s weights: {short}, {100 - a['p_short'] * 100:.0f} % long batches{start} "
                         f"({n} steps)")
    return "; ".join(parts)


def optimizer(stages) -> str:
    return "; ".join(
        f"{'stage %d: ' % i if len(stages) > 1 else ''}lr {st['args']['lr']} (linear warm-up {st['args']['warmup']} steps, "
        f"cosine decay to {st['args']['final_lr_factor']} × lr)"
        for i, st in enumerate(stages, 1)
    )


def per_stage_minutes(stages) -> str:
    if len(stages) == 1:
        return ""
    return ": " + ", ".join(f"stage {i} {st['train_seconds'] / 60:.0f}" for i, st in enumerate(stages, 1))


def compute(stages) -> str:
    """Where each stage ran: CPU threads, or the torch device (summaries before --device ran on the CPU)."""
    where = [f"{st['args']['threads']} CPU thread{'s' if st['args']['threads'] > 1 else ''}"
             if st["args"].get("device", "cpu") == "cpu" else f"torch device {st['args']['device']}" for st in stages]
    if len(set(where)) == 1:
        return where[0] + (" in every stage" if len(stages) > 1 else "")
    return ", ".join(f"stage {i} on {w}" for i, w in enumerate(where, 1))


def val_text(stages) -> str:
    used = [st["args"] for st in stages if st["args"].get("val_every", 0)]
    if not used:
        return ""
    every = sorted({a["val_every"] for a in used})
    n = sorted({a.get("val_series", 32) for a in used})
    return (f", the median MASE on {' / '.join(map(str, n))} validation periodic series (their own seed, not the held-out "
            f"set below) every {' / '.join(map(str, every))} steps")


def main(folder: str):
    out = Path(folder)
    summ = json.loads((out / "training_summary.json").read_text())
    ev = json.loads((out / "evaluation.json").read_text())
    cfg = json.loads((out / "config.json").read_text())
    cc = cfg["chronos_config"]
    # a continued run (train_nano.py --init) lists every stage; stage 1 defines the data and the curriculum
    stages = summ.get("stages") or [summ]
    a = stages[0]["args"]
    ind = ev["induction"]
    center, right = np.array(ind["center"]), np.array(ind["right"])
    per = ev["periodic"]
    size_mb = (out / "model.safetensors").stat().st_size / 1e6
    minutes = sum(st["train_seconds"] for st in stages) / 60
    total_steps = sum(st["steps_done"] for st in stages)

    vd = a.get("value_dims", 0)
    value_text = (
        f"The first {vd} of the {cfg['d_model']} embedding dimensions start from each bin's value (sines and cosines of "
        "the bin centre at log-spaced frequencies), so that nearby values start out similar and a noisy copy of a value "
        "still matches it; the rest start random, as usual; training changes all of them."
        if vd
        else ""
    )
    if per["mase_model_median"] < per["mase_seasonal_naive_median"]:
        periodic_verdict = "**Its median forecast beats seasonal naive on these series** (median MASE over the series)."
        if per["mase_model_mean"] >= per["mase_seasonal_naive_mean"] or per["relative_mase_geomean"] >= 1:
            periodic_verdict += (
                " Not on the mean MASE or the geometric mean of the ratio, though: where it loses it loses by more than "
                "it wins elsewhere (by period, below)."
            )
    else:
        periodic_verdict = (
            "**It does not beat seasonal naive here**: seasonal naive with the true period is a strong baseline "
            "on clean periodic series. With noise on the values the model's matching is loose, and its own sampled "
            "paths drift off the phase, most on the longer periods. A longer run on noisy periodic series (a GPU) is "
            "the obvious next step."
        )
    bands = per.get("by_period")
    band_text = (
        "\n\nBy period (median MASE over the series in each band):\n\n"
        "| periods | series | chronos-t5-nano | seasonal naive | nano better on |\n| --- | --- | --- | --- | --- |\n"
        + "\n".join(
            f"| {b['periods'][0]}–{b['periods'][1]} | {b['n_series']} | {fmt(b['mase_model_median'])} | "
            f"{fmt(b['mase_seasonal_naive_median'])} | {b['share_series_model_better'] * 100:.0f} % |"
            for b in bands
        )
        if bands else ""
    )
    tf = ev.get("periodic_teacher_forced")
    first = (
        f" On the first step alone, where the decoder has read no value yet and must find where the context ends, "
        f"its median MASE is {fmt(tf['first_step_mase_model_median'])} (seasonal naive: "
        f"{fmt(tf['first_step_mase_seasonal_naive_median'])}); the start batches are there for that step."
        if tf and "first_step_mase_model_median" in tf
        else ""
    )
    tf_text = (
        f"\n\nOne step ahead, reading the true previous values instead of its own samples (teacher forcing, as in "
        f"training; each step's forecast is the median of the full predictive distribution), the model's median MASE "
        f"on the same series is {fmt(tf['mase_model_median'])} (mean {fmt(tf['mase_model_mean'])}; seasonal naive: "
        f"{fmt(per['mase_seasonal_naive_median'])}).{first} The gap to the sampled forecast above is what the model "
        "loses by reading its own samples: a value a little off can make it continue the cycle at a neighbouring phase."
        if tf
        else ""
    )
    start_stages = [st["args"] for st in stages if st["args"].get("p_start")]
    start_text = (
        "* **Start batches**: long batches (the same mix) that keep only the first "
        f"{start_stages[0]['start_future']} values of the future. On the first forecast step the decoder has read no value "
        "yet (its input is the start token), so it must find where the context ends before it can match the last values "
        "against earlier cycles; a model trained without them got that step badly wrong and its sampled paths then "
        "continued the cycle at the wrong phase.\n\n"
        if start_stages else ""
    )
    cab = ev.get("copy_attention_by_context")
    if cab:
        copy_text = (
            "A motif of 12 random values repeated to a context of *n* points (20 series, random phase); the "
            "decoder gets `[0, next token]`, and we measure the cross-attention weight from decoder position 1 on "
            "the positions right after earlier copies of that token (where an induction head should look):\n\n"
            "| context points | best head | mean over heads |\n| --- | --- | --- |\n"
            + "\n".join(f"| {n} | {fmt(v['best_head'])} | {fmt(v['mean_head'])} |" for n, v in cab.items())
            + "\n\n"
            + (
                "The heads find the earlier copies in short contexts (as in the probe above, 22 tokens) and lose "
                "them as the context grows."
                if min(v["best_head"] for v in cab.values()) < 0.5 * max(v["best_head"] for v in cab.values())
                else "The heads keep finding the earlier copies in a full-length context, not only in contexts as "
                "short as the probe's 22 tokens."
            )
        )
    else:
        copy_text = "(not measured: rerun `tools/train/evaluate.py`)"
    abl_file = out / "ablation.json"
    if abl_file.exists():
        ab = json.loads(abl_file.read_text())
        heads = ", ".join(f"L{h['layer']}.H{h['head']}" for h in ab["heads"])
        m = next(x for x in ab["metrics"] if x["name"] == "induction_loss")
        c = np.array(m["controls"])
        n_other = len({(x["layer"], x["head"]) for cs in ab["controlSets"] for x in cs})
        n_distinct = len({tuple(sorted((x["layer"], x["head"]) for x in cs)) for cs in ab["controlSets"]})
        ablation_text = (
            f"Zero-ablating the top-3 cross-attention induction heads ({heads}) with Chronos Lens' own engine "
            f"(`node dist/cli.js ablate --model models/chronos-t5-nano --top 3 --controls {len(c)} --json`): the induction loss "
            f"(cross-entropy of the continuation of 100 repeated random sequences, nats) goes from "
            f"{fmt(m['unablated'])} to **{fmt(m['ablated'])}**; {len(c)} random sets of 3 other cross-attention heads give "
            f"{fmt(c.mean())} ± {fmt(c.std())} (95th percentile {fmt(float(np.percentile(c, 95)))}, max {fmt(c.max())}; "
            f"the other {n_other} cross-attention heads allow {n_distinct} distinct sets). "
            f"The top-3 set is at percentile {m['percentile']:.0f} of the controls (z = {m['zScore']:.1f})."
        )
        probe_top = [(h["layer"], h["head"]) for h in ind["top_heads"][:3]]
        if sorted(probe_top) != sorted((h["layer"], h["head"]) for h in ab["heads"]):
            ablation_text += (
                " The engine ranks the heads on its own mosaic (100 random sequences of its own), so its top 3 can differ "
                "from the Python probe's above where two scores are close (the probe's top 3: "
                + ", ".join(f"L{l}.H{h}" for l, h in probe_top) + ")."
            )
    else:
        ablation_text = "(not measured: run `node dist/cli.js ablate --model models/chronos-t5-nano --top 3 --controls 100 --json > models/chronos-t5-nano/ablation.json`)"
    top = "\n".join(
        f"| {h['layer']} | {h['head']} | {fmt(h['center'])} | {fmt(h['right'])} |" for h in ind["top_heads"]
    )
    real = "\n".join(
        f"| {r['series']} | {r['frequency']}, m={r['season_length']} | {r['n_points']} | "
        f"{fmt(r['mase_model'])} | {fmt(r['mase_seasonal_naive'])} | {fmt(r['wql_model'])} | {fmt(r['wql_seasonal_naive'])} |"
        for r in ev["real"]
    )
    start_loss = f", start batches {summ['final_loss_start']:.3f}" if summ.get("final_loss_start") is not None else ""
    # the last stage may have had no short batches: report the last stage's short loss that exists
    with_short = [(i, st["final_loss_short"]) for i, st in enumerate(stages, 1) if st.get("final_loss_short") is not None]
    if not with_short:
        short_loss = "short drift-parroting not trained"
    else:
        short_at, loss = with_short[-1]
        after = f" (end of stage {short_at}; no short batches after it)" if short_at != len(stages) else ""
        short_loss = f"short drift-parroting {loss:.3f}{after}"
    last = stages[-1]["args"]
    no_copy_text = (
        f"\n\nThe last stage ({stages[-1]['steps_done']} steps) has no copying task at all: no short drift-parroting "
        "batches and no long parroting series. Before it, every cross-attention head was an induction head doing the same "
        "job, so zero-ablating the 3 with the highest scores hurt the induction loss no more than ablating 3 others "
        "(the measurements are in `tools/train/train_nano.py`'s notes). Without a copying task the copying that the "
        "forecasts do not need fades from most heads; the heads that keep a high score are the ones the induction loss still "
        "depends on (the ablation below). The price is a weaker copier: the induction loss of the whole model rose."
        if len(stages) > 1 and last["p_short"] == 0 and last["p_long_parrot"] == 0
        else ""
    )
    text = f"""# chronos-t5-nano

A tiny Chronos-format forecasting model **trained here, by Chronos Lens, on synthetic data only**. It
is **not an Amazon model** and not a member of the amazon/chronos-t5 family: it only shares their
architecture (T5 encoder-decoder), tokenizer (MeanScaleUniformBins, 4096 tokens, limits ±15, EOS)
and checkpoint format (`config.json` with `chronos_config`, `model.safetensors`,
`generation_config.json`), so it loads through the same code path
(`ChronosPipeline.from_pretrained("models/chronos-t5-nano")` works).

Its purpose is to be the model Chronos Lens ships and opens by default, offline, and to be worth
looking at: it was trained so that it has **induction heads** (decoder cross-attention heads that
find the earlier copy of the current token in the context, and the token after it). It is a toy
forecaster, far weaker than the Amazon models; use those for real forecasting.

## Configuration

| | |
| --- | --- |
| architecture | `T5ForConditionalGeneration`, relu feed-forward, tied input/output embeddings |
| d_model / d_kv / d_ff | {cfg['d_model']} / {cfg['d_kv']} / {cfg['d_ff']} |
| layers (encoder, decoder) | {cfg['num_layers']}, {cfg['num_decoder_layers']} |
| heads | {cfg['num_heads']} |
| relative attention | {cfg['relative_attention_num_buckets']} buckets, max distance {cfg['relative_attention_max_distance']} |
| vocabulary | {cfg['vocab_size']} (pad 0, EOS 1, 4093 bins + 1) |
| context_length / prediction_length | {cc['context_length']} / {cc['prediction_length']} |
| parameters | {summ['parameters']:,} ({size_mb:.1f} MB float32 safetensors) |
| sampling defaults | num_samples {cc['num_samples']}, temperature {cc['temperature']}, top_k {cc['top_k']}, top_p {cc['top_p']} |

`chronos_config` is written exactly as chronos-forecasting's training script writes it
(`model.config.chronos_config = ChronosConfig(...).__dict__`, then `save_pretrained`).

## Training data (all synthetic, generated from fixed seeds by `tools/train/train_nano.py` and `tools/train/synth.py`)

* **Drift parroting, short** (the induction curriculum): a prefix of 0–15 iid values, then 1–3 copies of a
  motif of 5–20 iid uniform values, where each copy mutates {int(a['p_mutate']*100)} % of the motif's values and the
  mutations persist (so the most recent copy is the best predictor), cut at a random phase of the next
  copy; the future is the next {a['short_future']} values. Batches of {a['short_batch']}. Plain repetition
  from the start of the context teaches copying by *position*, which the probe does not reward; the
  random prefix, the random phase and the drift are what made content-based induction heads appear.
* **KernelSynth-style GP series** (the method of the Chronos paper): 1–5 kernels drawn from a bank of
  periodic (ExpSineSquared), RBF, rational-quadratic, linear (dot-product), white-noise and constant
  kernels, combined with random `+`/`*`, one draw from the GP prior on 512 points; a pool of
  {a['pool_size']} such series, random windows.
* **Seasonal-trend series**: integer period, harmonic or free-form seasonal shape, additive or
  multiplicative seasonality on a positive trend with a random-walk level, noise, sometimes counts.
* **Mixtures** of 2–3 of the above (TSMixup-style convex combinations), and random level offsets.
* **Long parroting series**: a motif (iid uniform or normal values, a GP segment, or sparse spikes;
  3–64 points, sometimes shifted in level) after a random prefix, repeated with drift (persistent
  mutations, 5–30 %) or with noise, random phase.

* **Noisy periodic series**: level + amplitude × a seasonal shape (harmonics or free-form; periods 3–64,
  mostly 4–24) + noise of 0–40 % of the amplitude, sometimes on a trend: averaging the earlier cycles
  beats repeating the last one. (The held-out periodic evaluation set below is drawn from another
  generator and seed.)

{start_text}Long batches ({a['long_batch']} series, padded length {a['min_long_context']}–{cc['context_length']} points, shorter series
left-padded with NaN as `ChronosPipeline` pads, {cc['prediction_length']} future points + EOS) are
{long_mix(stages)}.
{value_text} Tokenizer and loss are chronos-forecasting's own:
`ChronosConfig(...).create_tokenizer()` (`context_input_transform`, `label_input_transform`), token
cross-entropy with -100 where the label is missing.

## Training

| | |
| --- | --- |
| command | {commands(stages)} |
| schedule | {schedule(stages)}; {total_steps} steps in all |
| optimizer | AdamW, {optimizer(stages)}, no weight decay, no clipping, dropout 0 |
| duration | {minutes:.0f} min of training{per_stage_minutes(stages)} (+ {sum(st['pool_seconds'] for st in stages):.0f} s to draw the GP pool{'s' if len(stages) > 1 else ''}); {compute(stages)} |
| hardware | {summ['hardware']}; other jobs shared the machine, so an idle one is faster |
| versions | torch {summ['versions']['torch']}, transformers {summ['versions']['transformers']}, chronos-forecasting {summ['versions']['chronos-forecasting']}, numpy {summ['versions']['numpy']} |
| final loss | {short_loss}, long (256 + 64) {summ['final_loss_long']:.3f}{start_loss} (nats per token; uniform over 4096 tokens is 8.32) |

Curve: `training_log.csv` (losses every {a['log_every']} steps, induction scores every {a['eval_every']}{val_text(stages)}),
`training_curve.svg`.

![training curve](training_curve.svg){no_copy_text}

Regenerate everything in this folder (same seeds, same numbers up to floating-point
non-determinism across CPUs):

```
tools/setup-venv.sh
tools/train/build_nano.sh
```

## Induction mosaic

Protocol of "Hunting for Induction Heads in Amazon's Chronos" (hasithv/chronos_induction): 100
sequences S of 10 iid token ids in 1911..2187; encoder input `S S S[0] EOS` (22 tokens), decoder
input `[0, S[1]]`; score = batch mean of the cross-attention from decoder position 1 to encoder
position 11 (**center**: the earlier copy of the current token) and 12 (**right**: the token after it).
Uniform attention would give 1/22 ≈ 0.045. float32, one forward pass, torch seed 0.

{mosaic_markdown(center, right)}
Heads with a score ≥ 0.3: **{ind['n_heads_at_threshold']}**. Top heads:

| layer | head | center | right |
| --- | --- | --- | --- |
{top}

## Copying and context length

{copy_text}

## Ablation

{ablation_text}

## Forecasting metrics

Median of 20 samples (`ChronosPipeline.predict`, torch seed 0) for MASE; quantiles 0.1…0.9 of the
samples for WQL. Seasonal naive repeats the last season. MASE scale: mean absolute seasonal
difference of the whole history.

**Held-out synthetic periodic series** ({per['n_series']} series from their own seed: random seasonal shape,
period 4–48, noise 5–30 % of the amplitude; context {per['context_length']}, horizon {per['prediction_length']}):

| | chronos-t5-nano | seasonal naive |
| --- | --- | --- |
| mean MASE | {fmt(per['mase_model_mean'])} | {fmt(per['mase_seasonal_naive_mean'])} |
| median MASE | {fmt(per['mase_model_median'])} | {fmt(per['mase_seasonal_naive_median'])} |

Geometric mean of the per-series MASE ratio: {fmt(per['relative_mase_geomean'])}; the model is better on
{per['share_series_model_better']*100:.0f} % of the series. {periodic_verdict}{band_text}{tf_text}

**Real series** (`../shared/data`, read in place; last {cc['prediction_length']} points held out, context = the
{cc['context_length']} points before):

| series | frequency | points | MASE nano | MASE seasonal naive | WQL nano | WQL seasonal naive |
| --- | --- | --- | --- | --- | --- | --- |
{real}

One forecast window per series, 20 samples: these numbers are noisy and say little beyond the order of
magnitude. Reproduce with `tools/.venv/bin/python tools/train/evaluate.py models/chronos-t5-nano`.

## Limits

* A toy: {summ['parameters']/1e6:.1f} M parameters, about {minutes:.0f} minutes of CPU training on synthetic
  data. It has never seen a real series. Expect it to be beaten by seasonal naive on real data with
  strong seasonality and by every Amazon Chronos model everywhere.
* Context length {cc['context_length']} (longer inputs are cut to the last {cc['context_length']} points by the
  pipeline), horizon {cc['prediction_length']}.
* Its induction heads come from a training mix that rewards copying (parroting series, including
  RRT-shaped short contexts); they are a property of this synthetic curriculum and should not be read as
  evidence about the Amazon models.
* {ind['n_heads_at_threshold']} of its {cfg['num_decoder_layers'] * cfg['num_heads']} cross-attention heads score ≥ 0.3 on the probe, the best
  {max(right.max(), center.max()):.2f}: modest scores, close to the threshold.
* Float32 only was evaluated; the mosaic is measured on one seed of 100 sequences.

## License

Apache-2.0 (weights and the training code in `tools/train/`). Trained with chronos-forecasting's
tokenizer (Apache-2.0); no Amazon weights or data were used.
"""
    (out / "MODEL_CARD.md").write_text(text)
    print(f"wrote {out / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/chronos-t5-nano")
