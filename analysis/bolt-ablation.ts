/**
 * Head ablation on a Chronos-Bolt model, measured by the copy loss on repeated random patches
 * (analysis/copy-loss.ts, with its control) and/or on a series with its last H points held out: the
 * forecast of the held-out points (analysis/forecast/bolt.ts, rolled out past prediction_length as
 * the pipeline does) scored by MASE (seasonal naive scale at the detected or given period) of the 0.5
 * level, WQL over the model's levels and MAE of the 0.5 level; for the unablated model, the ablated
 * set and seeded random control sets of the same size and kind mix (percentile with ties counted
 * half, z-score), through analysis/ablation.ts's meter as for Chronos-T5.
 *  - zero: the heads' outputs are 0;
 *  - mean: each head's output is replaced by its mean over the context run unablated (encoder: over
 *    the observed patches and [REG]; decoder and cross: the one decoder token).
 * Bolt has no sampling, so variants differ only by their heads.
 */
import { ChronosLensError } from '../core/errors';
import { BOUNDS } from '../core/limits';
import { RunControl, throwIfAborted } from '../core/progress';
import { BOLT_BUILDER_VERSION, BoltModel } from '../models/bolt/model';
import { HeadAblation } from '../models/model';
import { ablationMeter, prepareSeries } from './ablation';
import { checkInt, makeManifest, modelSummary } from './common';
import { CopyLossOptions, copyBatch } from './copy-loss';
import { PATCH_PROTOCOL_DEFAULTS } from './patch-batch';
import { HeadGrid, checkHead, formatHead, randomControlSets } from './heads';
import { percentileOf, zScoreOf } from './stats';
import { AblationResult, AttentionKind, CopyLossSummary, HeadRef, MetricSummary } from './types';

/** Metric name -> value: copy_loss, copy_loss_control (with the copy loss); mase, wql, mae_median (with a series). */
export type BoltMetrics = Record<string, number>;

export interface BoltAblationOptions extends RunControl {
  heads: HeadRef[];
  method?: 'zero' | 'mean';
  /** Random control sets (default 10). */
  controls?: number;
  controlSeed?: number;
  /** The copy loss on repeated random patches, with this batch shape. */
  copyLoss?: CopyLossOptions;
  /** A series scored on its held-out end. */
  values?: ArrayLike<number>;
  /** Names the series in messages and the manifest. */
  file?: string;
  column?: string;
  /** Points held out at the end (default: the model's prediction_length). */
  heldOut?: number;
  /** MASE's seasonal period (default: the strongest detected in the context, else 1). */
  period?: number;
}

export interface BoltAblationResult {
  heads: string[];
  method: 'zero' | 'mean';
  /** With a series: its held-out points and MASE's period. */
  heldOut?: number;
  period?: number;
  /** With the copy loss: its batch. */
  copyLoss?: CopyLossSummary;
  unablated: BoltMetrics;
  ablated: BoltMetrics;
  controls: { heads: string[]; metrics: BoltMetrics }[];
  /** Per metric: where the ablated set's value falls among the controls'. */
  percentile: BoltMetrics;
  z: BoltMetrics;
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
  return (await boltAblation(model, o)).result;
}

/**
 * The same run in the shape of a Chronos-T5 ablation (the editor's report panel and run store): the copy
 * loss stands where T5 has the induction loss, and the control sets are kept as head references.
 */
export async function runBoltAblationReport(model: BoltModel, o: BoltAblationOptions): Promise<AblationResult> {
  const { result: r, controlSets } = await boltAblation(model, o);
  const metrics: MetricSummary[] = Object.keys(r.unablated).map((name) => ({ name, unablated: r.unablated[name], ablated: r.ablated[name], controls: r.controls.map((c) => c.metrics[name]), percentile: r.percentile[name], zScore: r.z[name] }));
  const controlSeed = o.controlSeed ?? 0;
  const csv = r.heldOut !== undefined ? { file: o.file ?? 'the series', column: o.column ?? '', heldOut: r.heldOut, period: r.period! } : undefined;
  const seeds: Record<string, number> = { controls: controlSeed };
  if (o.copyLoss) seeds.patches = o.copyLoss.seed ?? PATCH_PROTOCOL_DEFAULTS.seed;
  const parameters: Record<string, unknown> = { heads: r.heads, method: r.method, controls: controlSets.length };
  if (r.copyLoss) parameters.copyLoss = r.copyLoss;
  if (csv) parameters.series = { ...csv, quantileLevels: model.config.bolt.quantiles };
  const result: AblationResult = {
    model: await modelSummary(model),
    heads: o.heads,
    method: r.method,
    controlSets,
    metrics,
    data: { inductionLoss: false },
    manifest: await makeManifest(model, 'ablate', seeds, parameters, BOLT_BUILDER_VERSION),
  };
  if (r.copyLoss) result.data.copyLoss = r.copyLoss;
  if (csv) result.data.csv = csv;
  return result;
}

async function boltAblation(model: BoltModel, o: BoltAblationOptions): Promise<{ result: BoltAblationResult; controlSets: HeadRef[][] }> {
  const method = o.method ?? 'zero';
  if (method !== 'zero' && method !== 'mean') throw new ChronosLensError('BAD_INPUT', `unknown ablation method "${method}" (expected zero or mean)`);
  const grid = boltHeadGrid(model);
  if (o.heads.length === 0) throw new ChronosLensError('BAD_INPUT', 'no heads to ablate');
  for (const h of o.heads) checkHead(h, grid);
  if (!o.copyLoss && !o.values) throw new ChronosLensError('BAD_INPUT', 'nothing to measure: ask for the copy loss or give a series');
  const series = o.values ? prepareSeries(model, { values: o.values, file: o.file ?? 'the series', column: o.column ?? '', heldOut: o.heldOut, period: o.period }) : undefined;
  const copy = o.copyLoss ? copyBatch(model, o.copyLoss) : undefined;
  const nControls = checkInt('controls', o.controls ?? 10, BOUNDS.controls.min, BOUNDS.controls.max);
  const controlSets = randomControlSets(grid, o.heads, nControls, o.controlSeed ?? 0);
  const kinds = [...new Set([...o.heads, ...controlSets.flat()].map((h) => h.kind))];
  // the mean over the context the ablation is measured on: the series' (else the first repeating context)
  const reference = series ? series.context.subarray(Math.max(0, series.context.length - model.config.bolt.contextLength)) : copy!.contexts[0];
  const means = method === 'mean' ? await meanHeadOutputs(model, reference, kinds) : undefined;

  const total = 2 + controlSets.length;
  const meter = ablationMeter(model, { signal: o.signal }, { copy, series }, total);
  const metrics = async (heads: HeadRef[] | undefined, label: string): Promise<BoltMetrics> => {
    throwIfAborted(o.signal);
    let ab: HeadAblation | undefined;
    if (heads) {
      ab = model.newAblation();
      for (const h of heads) {
        if (means) ab.replace(h.kind, h.layer, h.head, means.get(`${h.kind}:${h.layer}.${h.head}`)!);
        else ab.zero(h.kind, h.layer, h.head);
      }
    }
    return meter.evaluate(ab, label);
  };
  const unablated = await metrics(undefined, 'unablated');
  o.onProgress?.({ fraction: 1 / total, message: 'unablated' });
  const ablated = await metrics(o.heads, 'ablated');
  o.onProgress?.({ fraction: 2 / total, message: 'ablated' });
  const controls: BoltAblationResult['controls'] = [];
  for (const set of controlSets) {
    controls.push({ heads: set.map(formatHead), metrics: await metrics(set, `control ${controls.length + 1}`) });
    o.onProgress?.({ fraction: (2 + controls.length) / total, message: `control ${controls.length} of ${controlSets.length}` });
  }
  const keys = Object.keys(unablated);
  const pick = (f: (v: number, c: number[]) => number): BoltMetrics => Object.fromEntries(keys.map((k) => [k, f(ablated[k], controls.map((c) => c.metrics[k]))]));
  const r: BoltAblationResult = { heads: o.heads.map(formatHead), method, unablated, ablated, controls, percentile: pick(percentileOf), z: pick(zScoreOf) };
  if (series) Object.assign(r, { heldOut: series.heldOut, period: series.period });
  if (copy) r.copyLoss = { batch: copy.protocol.batch, period: copy.protocol.period, repeats: copy.protocol.repeats, subExtension: copy.protocol.subExtension, horizon: copy.horizon };
  return { result: r, controlSets };
}
