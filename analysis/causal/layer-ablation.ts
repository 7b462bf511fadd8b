/**
 * Layer ablation: skip whole encoder / decoder layers, or only their attention or feed-forward block
 * (the residual stream passes through unchanged: x_out = x_in for the skipped sublayer), alone or in
 * sets, and measure what the head-ablation experiment measures (Chronos-T5: the induction loss on
 * repeated random tokens with its non-repeating control; Chronos-Bolt: the copy loss on repeated random
 * patches with its control, analysis/copy-loss.ts; either: MASE / WQL / MAE of the median on held-out
 * points of a series) against the unablated model. A sweep ablates each layer (or each layer's given
 * block) in turn. Every T5 variant's forecast uses the same sampling seed (common random numbers); Bolt
 * has no sampling. Both families skip through the same graph inputs (HeadAblation.skipLayer).
 */
import { ChronosLensError } from '../../core/errors';
import { RunControl } from '../../core/progress';
import { ChronosModel, HeadAblation } from '../../models/model';
import { BoltModel } from '../../models/bolt/model';
import { isBolt } from '../../models/load';
import { BOUNDS, Need, ensureFits, forecastNeed, repeated, sequential } from '../../core/limits';
import { InductionLossOptions, SeriesEvalOptions, ablationMeter, inductionBatch, inductionNeed, inductionShape, prepareSeries } from '../ablation';
import { CopyLossOptions, copyBatch, copyLossNeed } from '../copy-loss';
import { checkInt } from '../common';
import { builderVersion, makeManifest, modelSummary } from '../common';

/** A model whose layers can be skipped: Chronos-T5 or Chronos-Bolt (the same T5 stacks). */
export type LayeredModel = ChronosModel | BoltModel;

/** Refuses, before anything runs, a layer ablation whose variants would not fit in memory or time. */
export function checkLayerAblationSize(model: LayeredModel, opts: Pick<LayerAblationOptions, 'induction' | 'copyLoss' | 'series'>, variants: number): void {
  if (isBolt(model)) {
    const phases: Need[] = [];
    if (opts.copyLoss) phases.push(repeated(copyLossNeed(model, opts.copyLoss), variants));
    if (opts.series) checkInt('held-out points', opts.series.heldOut ?? model.config.bolt.predictionLength, BOUNDS.heldOut.min, BOUNDS.heldOut.max);
    if (phases.length) ensureFits(`a layer ablation of ${variants - 1} variant${variants === 2 ? '' : 's'}`, sequential(...phases), ['batch', 'period', 'repeats']);
    return;
  }
  const t = model.config.t5;
  const cc = model.config.chronos;
  const phases: Need[] = [];
  const lower: string[] = [];
  if (opts.induction !== false) {
    phases.push(repeated(inductionNeed(t, inductionShape(opts.induction ?? {})).need, variants));
    lower.push('batch', 'seqLen', 'repeats');
  }
  if (opts.series) {
    const heldOut = checkInt('held-out points', opts.series.heldOut ?? cc.predictionLength, BOUNDS.heldOut.min, BOUNDS.heldOut.max);
    const numSamples = checkInt('samples', opts.series.numSamples ?? cc.numSamples, BOUNDS.numSamples.min, BOUNDS.numSamples.max);
    phases.push(repeated(forecastNeed(t, { contextTokens: cc.contextLength + 1, chunkSteps: cc.predictionLength, predictionLength: heldOut, numSamples }), variants));
    lower.push('numSamples', 'heldOut');
  }
  ensureFits(`a layer ablation of ${variants - 1} variant${variants === 2 ? '' : 's'}`, sequential(...phases), lower);
}
import { LayerStack, LayerPart, LayerRef, LayerVariant, LayerAblationResult } from '../types';
// The result types live with the other result types (the webviews read them); re-exported for this module's users.
export type { LayerStack, LayerPart, LayerRef, LayerVariant, LayerAblationResult } from '../types';

const STACKS: Record<string, LayerStack> = { encoder: 'encoder', enc: 'encoder', e: 'encoder', decoder: 'decoder', dec: 'decoder', d: 'decoder' };
const PARTS: Record<string, LayerPart> = { all: 'all', layer: 'all', attention: 'attention', attn: 'attention', self: 'self', cross: 'cross', ff: 'ff', mlp: 'ff', ffn: 'ff' };

export function formatLayer(r: LayerRef): string {
  return `${r.stack}:L${r.layer}${r.part === 'all' ? '' : `.${r.part}`}`;
}

/** Checks a layer reference against the model (stack, layer index, and a block the stack has). */
export function checkLayer(r: LayerRef, layers: Record<LayerStack, number>, label = formatLayer(r)): void {
  const n = layers[r.stack];
  if (!Number.isInteger(r.layer) || r.layer < 0 || r.layer >= n) throw new ChronosLensError('BAD_INPUT', `${label}: ${r.stack} layer ${r.layer} does not exist (the model has ${n}, L0..L${n - 1})`);
  if (r.stack === 'encoder' && r.part === 'cross') throw new ChronosLensError('BAD_INPUT', `${label}: encoder layers have no cross-attention (blocks: attention, ff)`);
}

/**
 * Parses one layer set: items separated by commas or spaces, each `<stack>:L<layer>[.<block>]` with
 * stack encoder|decoder (enc, dec, e, d) and block all|attention|self|cross|ff (default all).
 */
export function parseLayers(spec: string, layers: Record<LayerStack, number>): LayerRef[] {
  const items = spec.split(/[\s,;]+/).filter(Boolean);
  if (!items.length) throw new ChronosLensError('BAD_INPUT', 'no layers given (expected e.g. "encoder:L0,decoder:L1.ff")');
  const out: LayerRef[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const m = /^([a-z]+):L?(\d+)(?:\.([a-z0-9]+))?$/i.exec(item);
    if (!m) throw new ChronosLensError('BAD_INPUT', `cannot read layer "${item}" (expected <stack>:L<layer>[.<block>], e.g. encoder:L0, decoder:L1.ff)`);
    const stack = STACKS[m[1].toLowerCase()];
    if (!stack) throw new ChronosLensError('BAD_INPUT', `unknown stack "${m[1]}" in "${item}" (expected encoder or decoder)`);
    const part = m[3] === undefined ? 'all' : PARTS[m[3].toLowerCase()];
    if (!part) throw new ChronosLensError('BAD_INPUT', `unknown block "${m[3]}" in "${item}" (expected all, attention, self, cross or ff)`);
    const r = { stack, layer: Number(m[2]), part };
    checkLayer(r, layers, item);
    if (!seen.has(formatLayer(r))) {
      seen.add(formatLayer(r));
      out.push(r);
    }
  }
  return out;
}

export function layerCounts(model: LayeredModel): Record<LayerStack, number> {
  return { encoder: model.config.t5.numLayers, decoder: model.config.t5.numDecoderLayers };
}

/** The intervention that skips every layer block of a set. */
export function layerAblation(model: LayeredModel, set: LayerRef[]): HeadAblation {
  const ab = model.newAblation();
  for (const r of set) {
    checkLayer(r, layerCounts(model));
    ab.skipLayer(r.stack, r.layer, r.part);
  }
  return ab;
}

/** Every layer of the given stacks in turn, each with `part` skipped (for the encoder, 'cross' is not offered). */
export function sweepSets(model: LayeredModel, stacks: LayerStack[], part: LayerPart = 'all'): LayerRef[][] {
  const n = layerCounts(model);
  const sets: LayerRef[][] = [];
  for (const stack of stacks) {
    if (stack === 'encoder' && part === 'cross') continue;
    for (let l = 0; l < n[stack]; l++) sets.push([{ stack, layer: l, part }]);
  }
  if (!sets.length) throw new ChronosLensError('BAD_INPUT', `nothing to sweep: no ${stacks.join(' or ')} layer has a ${part} block`);
  return sets;
}

export interface LayerAblationOptions extends RunControl {
  /** Layer sets; each is one variant. */
  sets: LayerRef[][];
  sweep?: boolean;
  /** Chronos-T5: the induction loss (default on). */
  induction?: InductionLossOptions | false;
  /** Chronos-Bolt: the copy loss on repeated random patches (off unless given). */
  copyLoss?: CopyLossOptions;
  series?: SeriesEvalOptions;
}

export async function runLayerAblation(model: LayeredModel, opts: LayerAblationOptions): Promise<LayerAblationResult> {
  if (!opts.sets.length || opts.sets.some((s) => !s.length)) throw new ChronosLensError('BAD_INPUT', 'no layers to ablate');
  const counts = layerCounts(model);
  for (const set of opts.sets) for (const r of set) checkLayer(r, counts);
  const bolt = isBolt(model);
  if (bolt && opts.induction) throw new ChronosLensError('BAD_INPUT', `${model.name} is a Chronos-Bolt model: it has no tokens for an induction loss (measure the copy loss instead)`);
  if (!bolt && opts.copyLoss) throw new ChronosLensError('BAD_INPUT', `the copy loss is Chronos-Bolt's; ${model.name} is measured by the induction loss`);
  checkLayerAblationSize(model, opts, opts.sets.length + 1);
  const induction = bolt || opts.induction === false ? undefined : inductionBatch(model, opts.induction ?? {});
  const copy = bolt && opts.copyLoss ? copyBatch(model, opts.copyLoss) : undefined;
  const series = opts.series ? prepareSeries(model, opts.series) : undefined;
  if (!induction && !copy && !series) throw new ChronosLensError('BAD_INPUT', bolt ? 'nothing to measure: ask for the copy loss or give a series' : 'nothing to measure: enable the induction loss or give a series');
  const { evaluate, manifestData } = ablationMeter(model, opts, { induction, copy, series, file: opts.series }, opts.sets.length + 1);
  const unablated = await evaluate(undefined, 'unablated');
  const variants: LayerVariant[] = [];
  for (const set of opts.sets) {
    const label = set.map(formatLayer).join(' + ');
    variants.push({ label, layers: set, values: await evaluate(layerAblation(model, set), label) });
  }
  const md = manifestData();
  const seeds = md.seeds;
  const parameters: Record<string, unknown> = { sets: opts.sets.map((s) => s.map(formatLayer)), sweep: !!opts.sweep, ...md.parameters };
  const result: LayerAblationResult = {
    model: await modelSummary(model),
    unablated,
    variants,
    sweep: !!opts.sweep,
    data: { inductionLoss: !!induction },
    manifest: await makeManifest(model, 'ablate --layers', seeds, parameters, builderVersion(model)),
  };
  if (copy) result.data.copyLoss = { batch: copy.protocol.batch, period: copy.protocol.period, repeats: copy.protocol.repeats, subExtension: copy.protocol.subExtension, horizon: copy.horizon };
  if (series) result.data.csv = { file: opts.series!.file, column: opts.series!.column, heldOut: series.heldOut, period: series.period };
  return result;
}
