/**
 * Head ablation on a Chronos-Bolt model, measured on a series with its last H points held out: the
 * forecast of the held-out points (analysis/forecast/bolt.ts, rolled out past prediction_length as
 * the pipeline does) scored by MASE (seasonal naive scale at the detected or given period) of the 0.5
 * level, WQL over the model's levels and MAE of the 0.5 level; for the unablated model, the ablated
 * set and seeded random control sets of the same size and kind mix (percentile with ties counted
 * half, z-score), as analysis/ablation.ts does for Chronos-T5.
 *  - zero: the heads' outputs are 0;
 *  - mean: each head's output is replaced by its mean over the context run unablated (encoder: over
 *    the observed patches and [REG]; decoder and cross: the one decoder token).
 * Bolt has no sampling, so variants differ only by their heads.
 */
import { ChronosLensError } from '../core/errors';
import { RunControl, throwIfAborted } from '../core/progress';
import { forecastBolt } from './forecast/bolt';
import { BoltModel } from '../models/bolt/model';
import { HeadAblation } from '../models/model';
import { mae, mase, seasonalScale, wql } from './ablation';
import { HeadGrid, checkHead, formatHead, randomControlSets } from './heads';
import { detectPeriods } from './periodicity';
import { percentileOf, zScoreOf } from './stats';
import { AttentionKind, HeadRef } from './types';

export interface BoltSeriesMetrics {
  mase: number;
  wql: number;
  mae_median: number;
}

export interface BoltAblationOptions extends RunControl {
  heads: HeadRef[];
  method?: 'zero' | 'mean';
  /** Random control sets (default 10). */
  controls?: number;
  controlSeed?: number;
  values: ArrayLike<number>;
  /** Points held out at the end (default: the model's prediction_length). */
  heldOut?: number;
  /** MASE's seasonal period (default: the strongest detected in the context, else 1). */
  period?: number;
}

export interface BoltAblationResult {
  heads: string[];
  method: 'zero' | 'mean';
  heldOut: number;
  period: number;
  unablated: BoltSeriesMetrics;
  ablated: BoltSeriesMetrics;
  controls: { heads: string[]; metrics: BoltSeriesMetrics }[];
  /** Per metric: where the ablated set's value falls among the controls'. */
  percentile: BoltSeriesMetrics;
  z: BoltSeriesMetrics;
}

export function boltHeadGrid(model: BoltModel): HeadGrid {
  const t = model.config.t5;
  return { layers: { encoder: t.numLayers, decoder: t.numDecoderLayers, cross: t.numDecoderLayers }, heads: t.numHeads };
}

/** Each head's mean output over the context's positions, unablated: [kind][layer][head] -> d_kv values. */
async function meanHeadOutputs(model: BoltModel, context: ArrayLike<number>, kinds: AttentionKind[]): Promise<Map<string, Float32Array>> {
  const r = await model.forward([context], { headOutputs: kinds });
  const t = model.config.t5;
  const K = t.dKv;
  const observed = [...r.rows[0].patched.observed, ...(model.config.bolt.useRegToken ? [1] : [])];
  const out = new Map<string, Float32Array>();
  for (const kind of kinds) {
    r.headOutputs![kind]!.forEach((x, l) => {
      const positions = x.dims[2];
      for (let h = 0; h < t.numHeads; h++) {
        const m = new Float32Array(K);
        let n = 0;
        for (let p = 0; p < positions; p++) {
          if (kind === 'encoder' && !observed[p]) continue;
          n++;
          const base = (h * positions + p) * K;
          for (let k = 0; k < K; k++) m[k] += x.data[base + k];
        }
        for (let k = 0; k < K; k++) m[k] /= n;
        out.set(`${kind}:${l}.${h}`, m);
      }
    });
  }
  return out;
}

export async function runBoltAblation(model: BoltModel, o: BoltAblationOptions): Promise<BoltAblationResult> {
  const method = o.method ?? 'zero';
  const grid = boltHeadGrid(model);
  if (o.heads.length === 0) throw new ChronosLensError('BAD_INPUT', 'no heads to ablate');
  for (const h of o.heads) checkHead(h, grid);
  const n = o.values.length;
  const H = o.heldOut ?? model.config.bolt.predictionLength;
  if (!Number.isInteger(H) || H < 1) throw new ChronosLensError('BAD_INPUT', `held-out points must be a positive integer, got ${H}`);
  if (n - H < 2) throw new ChronosLensError('BAD_INPUT', `the series has ${n} values; holding out ${H} leaves too little context`);
  const context = Float64Array.from({ length: n - H }, (_, i) => o.values[i]);
  const actual = Float64Array.from({ length: H }, (_, i) => o.values[n - H + i]);
  if (!actual.some((v) => Number.isFinite(v))) throw new ChronosLensError('BAD_INPUT', `the ${H} held-out values are all missing`);
  const tail = context.subarray(Math.max(0, context.length - model.config.bolt.contextLength));
  const period = o.period ?? detectPeriods(tail)[0]?.period ?? 1;
  if (!(seasonalScale(context, period) > 0)) throw new ChronosLensError('BAD_INPUT', `the in-sample seasonal differences at period ${period} are all 0 (or missing), so MASE is undefined`);
  const controlSets = randomControlSets(grid, o.heads, o.controls ?? 10, o.controlSeed ?? 0);
  const kinds = [...new Set([...o.heads, ...controlSets.flat()].map((h) => h.kind))];
  const means = method === 'mean' ? await meanHeadOutputs(model, tail, kinds) : undefined;

  const levels = model.config.bolt.quantiles;
  const mid = levels.indexOf(0.5);
  const metrics = async (heads: HeadRef[] | undefined): Promise<BoltSeriesMetrics> => {
    throwIfAborted(o.signal);
    let ab: HeadAblation | undefined;
    if (heads) {
      ab = model.newAblation();
      for (const h of heads) {
        if (means) ab.replace(h.kind, h.layer, h.head, means.get(`${h.kind}:${h.layer}.${h.head}`)!);
        else ab.zero(h.kind, h.layer, h.head);
      }
    }
    const f = await forecastBolt(model, context, { predictionLength: H, ablation: ab, signal: o.signal });
    const median = mid >= 0 ? f.quantiles[mid] : f.mean;
    return { mase: mase(actual, median, context, period), wql: wql(actual, f.quantiles, levels), mae_median: mae(actual, median) };
  };
  const total = 2 + controlSets.length;
  const unablated = await metrics(undefined);
  o.onProgress?.({ fraction: 1 / total, message: 'unablated' });
  const ablated = await metrics(o.heads);
  o.onProgress?.({ fraction: 2 / total, message: 'ablated' });
  const controls: BoltAblationResult['controls'] = [];
  for (const set of controlSets) {
    controls.push({ heads: set.map(formatHead), metrics: await metrics(set) });
    o.onProgress?.({ fraction: (2 + controls.length) / total, message: `control ${controls.length} of ${controlSets.length}` });
  }
  const keys = ['mase', 'wql', 'mae_median'] as const;
  const pick = (f: (v: number, c: number[]) => number) => Object.fromEntries(keys.map((k) => [k, f(ablated[k], controls.map((c) => c.metrics[k]))])) as unknown as BoltSeriesMetrics;
  return { heads: o.heads.map(formatHead), method, heldOut: H, period, unablated, ablated, controls, percentile: pick(percentileOf), z: pick(zScoreOf) };
}
