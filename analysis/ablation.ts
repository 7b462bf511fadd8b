/**
 * Head ablation: ablate a head set (zero, or mean: the head's output replaced by its mean over
 * a reference batch) and measure
 *  (a) induction loss: per sequence S of random ids, the encoder gets S repeated (repeats - 1) times,
 *      then S[:sub], then EOS; the decoder is teacher-forced on the continuation S[sub:], and the loss is
 *      the mean cross-entropy of those tokens. Control: the same S[:sub] and continuation after fresh,
 *      non-repeating random ids (nothing to copy from);
 *  (b) on a series with the last H points held out: MASE (seasonal naive scale at the detected or given
 *      period), WQL over the quantile levels, MAE of the median (the 0.5 quantile of the samples);
 *  (c) the change vs the unablated model, and where the ablated set falls among seeded random control
 *      sets of the same size and kind mix (percentile with ties counted half, z-score).
 * The forecasts of every variant share one sampling seed (common random numbers).
 */
import { ChronosLensError } from '../core/errors';
import { RunControl, throwIfAborted } from '../core/progress';
import { Rng } from '../core/rng';
import { DEFAULT_QUANTILE_LEVELS, forecast, quantileLinear } from './forecast';
import { ChronosModel, HeadAblation } from '../models/model';
import { BoltModel } from '../models/bolt/model';
import { isBolt } from '../models/load';
import { forecastBolt } from './forecast/bolt';
import { CopyBatch, copyLoss } from './copy-loss';
import { BOUNDS, ModelDims, Need, ensureFits, forecastNeed, forwardRowNeed, maxRowsFor, repeated, sequential, together, tokenRowsNeed, typedNeed } from '../core/limits';
import { checkInt, forEachChunk, makeManifest, modelSummary } from './common';
import { formatHead, headGrid, headKey, randomControlSets, checkHead } from './heads';
import { detectPeriods } from './periodicity';
import { mae, mase, percentileOf, seasonalScale, wql, zScoreOf } from './stats';
import { PROTOCOL_DEFAULTS } from './tokens';
import { AblationMethod, AblationResult, AttentionKind, HeadRef, InductionParams, MetricSummary } from './types';

export type { AblationMethod };

/** The induction batch's parameters; absent ones take the reference protocol's (PROTOCOL_DEFAULTS). */
export type InductionLossOptions = Partial<InductionParams>;

/** Rows [0, batch) repeat S; rows [batch, 2 batch) are the non-repeating controls (same S[:sub] and continuation). */
export interface InductionBatch extends InductionParams {
  encoder: number[][];
  /** Decoder inputs [start, cont[0..m-2]]. */
  decoder: number[][];
  /** The continuation S[sub:] the decoder is scored on. */
  labels: number[][];
}

/** The induction batch's sizes, checked: `encLen` encoder and `decLen` decoder tokens per row, 2 x batch rows. */
export function inductionShape(opts: InductionLossOptions = {}): { batch: number; seqLen: number; repeats: number; sub: number; encLen: number; decLen: number } {
  const seqLen = checkInt('seqLen', opts.seqLen ?? PROTOCOL_DEFAULTS.seqLen, BOUNDS.seqLen.min, BOUNDS.seqLen.max);
  const repeats = checkInt('repeats', opts.repeats ?? PROTOCOL_DEFAULTS.repeats, BOUNDS.repeats.min, BOUNDS.repeats.max);
  const sub = checkInt('subExtension (must be < seqLen)', opts.subExtension ?? PROTOCOL_DEFAULTS.subExtension, 0, seqLen - 1);
  const batch = checkInt('batch', opts.batch ?? PROTOCOL_DEFAULTS.batch, BOUNDS.inductionBatch.min, BOUNDS.inductionBatch.max);
  return { batch, seqLen, repeats, sub, encLen: seqLen * (repeats - 1) + sub + 1, decLen: seqLen - sub };
}

/** One induction-loss pass: the rows (repeating and control) held, and one row's forward pass with logits. */
export function inductionNeed(t: ModelDims, sh: { batch: number; encLen: number; decLen: number }): { need: Need; held: number; perRow: number } {
  const rows = 2 * sh.batch;
  const held = together(tokenRowsNeed(rows, sh.encLen + 2 * sh.decLen), typedNeed(rows, 8));
  const row = forwardRowNeed(t, { encLen: sh.encLen, decLen: sh.decLen, logits: true });
  const perRow = row.bytes + (sh.encLen + sh.decLen) * 8 * 2;
  return { need: { bytes: held.bytes + perRow, heapBytes: held.heapBytes, flops: rows * row.flops }, held: held.bytes, perRow };
}

export function inductionBatch(model: ChronosModel, opts: InductionLossOptions = {}): InductionBatch {
  const { seqLen, repeats, sub, batch, encLen, decLen } = inductionShape(opts);
  ensureFits(`an induction batch of ${batch} sequences`, inductionNeed(model.config.t5, { batch, encLen, decLen }).need, ['batch', 'seqLen', 'repeats']);
  const vocab = opts.vocab ?? PROTOCOL_DEFAULTS.vocab;
  const seed = opts.seed ?? PROTOCOL_DEFAULTS.seed;
  const V = model.config.t5.vocabSize;
  if (!(Number.isInteger(vocab[0]) && Number.isInteger(vocab[1]) && vocab[0] >= 0 && vocab[1] >= vocab[0])) throw new ChronosLensError('BAD_INPUT', `vocab range must be two integers A <= B, got ${vocab.join(':')}`);
  if (vocab[1] >= V) throw new ChronosLensError('BAD_INPUT', `vocab range ${vocab[0]}:${vocab[1]} is outside ${model.name}'s vocabulary (0..${V - 1})`);
  const eos = model.config.chronos.eosTokenId;
  const start = model.config.t5.decoderStartTokenId;
  const rng = new Rng(seed);
  const draw = (n: number) => Array.from({ length: n }, () => rng.intInclusive(vocab[0], vocab[1]));
  const enc: number[][] = [];
  const ctrlEnc: number[][] = [];
  const dec: number[][] = [];
  const labels: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const s = draw(seqLen);
    const fresh = draw(seqLen * (repeats - 1));
    const head = s.slice(0, sub);
    const cont = s.slice(sub);
    const rep: number[] = [];
    for (let r = 0; r < repeats - 1; r++) rep.push(...s);
    enc.push([...rep, ...head, eos]);
    ctrlEnc.push([...fresh, ...head, eos]);
    dec.push([start, ...cont.slice(0, -1)]);
    labels.push(cont);
  }
  return { batch, seqLen, repeats, subExtension: sub, vocab: [vocab[0], vocab[1]], seed, encoder: [...enc, ...ctrlEnc], decoder: [...dec, ...dec], labels: [...labels, ...labels] };
}

function flat(rows: number[][], a: number, b: number): { data: Int32Array; dims: [number, number] } {
  const w = rows[a].length;
  const data = new Int32Array((b - a) * w);
  for (let i = a; i < b; i++) data.set(rows[i], (i - a) * w);
  return { data, dims: [b - a, w] };
}

/** Mean cross-entropy (nats) of the continuation, on the repeating rows and on the controls. */
export async function inductionLoss(model: ChronosModel, batch: InductionBatch, ablation?: HeadAblation, ctl: RunControl & { chunkMs?: number } = {}): Promise<{ repeated: number; control: number }> {
  const rows = batch.encoder.length;
  const encLen = batch.encoder[0].length;
  const m = batch.labels[0].length;
  const V = model.config.t5.vocabSize;
  const size = inductionNeed(model.config.t5, { batch: batch.batch, encLen, decLen: m });
  ensureFits(`the induction loss of ${batch.batch} sequences`, size.need, ['batch', 'seqLen', 'repeats']);
  const ce = new Float64Array(rows);
  await forEachChunk(rows, async (a, b) => {
    const n = b - a;
    const r = await model.forward({ inputIds: flat(batch.encoder, a, b), attentionMask: { data: new Int32Array(n * encLen).fill(1), dims: [n, encLen] }, decoderInputIds: flat(batch.decoder, a, b) }, { logits: true }, ablation);
    const lg = r.logits!.data;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let s = 0; s < m; s++) {
        const base = (i * m + s) * V;
        let mx = -Infinity;
        for (let v = 0; v < V; v++) if (lg[base + v] > mx) mx = lg[base + v];
        let z = 0;
        for (let v = 0; v < V; v++) z += Math.exp(lg[base + v] - mx);
        acc += mx + Math.log(z) - lg[base + batch.labels[a + i][s]];
      }
      ce[a + i] = acc / m;
    }
  }, { signal: ctl.signal, onProgress: ctl.onProgress, targetMs: ctl.chunkMs, maxRows: maxRowsFor(size.perRow, size.held), message: 'induction loss' });
  let rep = 0;
  let con = 0;
  for (let i = 0; i < batch.batch; i++) {
    rep += ce[i];
    con += ce[batch.batch + i];
  }
  return { repeated: rep / batch.batch, control: con / batch.batch };
}

/**
 * Mean output (over rows and positions) of each head in `heads`, on the repeating rows of an induction
 * batch (encoder heads over encoder positions, decoder / cross heads over decoder positions).
 */
export async function meanHeadOutputs(model: ChronosModel, heads: HeadRef[], ref: InductionBatch, ctl: RunControl = {}): Promise<Map<string, Float32Array>> {
  const t = model.config.t5;
  const kinds = [...new Set(heads.map((h) => h.kind))] as AttentionKind[];
  const sums = new Map<string, Float64Array>(heads.map((h) => [headKey(h), new Float64Array(t.dKv)]));
  const counts = new Map<string, number>(heads.map((h) => [headKey(h), 0]));
  const rows = ref.batch;
  const encLen = ref.encoder[0].length;
  await forEachChunk(rows, async (a, b) => {
    const n = b - a;
    const r = await model.forward({ inputIds: flat(ref.encoder, a, b), attentionMask: { data: new Int32Array(n * encLen).fill(1), dims: [n, encLen] }, decoderInputIds: flat(ref.decoder, a, b) }, { headOutputs: kinds });
    for (const h of heads) {
      const out = r.headOutputs![h.kind]![h.layer]; // [n, H, P, dKv]
      const P = out.dims[2];
      const sum = sums.get(headKey(h))!;
      for (let i = 0; i < n; i++) {
        for (let p = 0; p < P; p++) {
          const base = ((i * t.numHeads + h.head) * P + p) * t.dKv;
          for (let d = 0; d < t.dKv; d++) sum[d] += out.data[base + d];
        }
      }
      counts.set(headKey(h), counts.get(headKey(h))! + n * P);
    }
  }, { signal: ctl.signal, onProgress: ctl.onProgress, message: 'mean head outputs' });
  const means = new Map<string, Float32Array>();
  for (const [k, s] of sums) means.set(k, Float32Array.from(s, (v) => v / counts.get(k)!));
  return means;
}

/** The HeadAblation for a head set: zero, or mean with the given per-head means (keys from headKey). */
export function buildAblation(model: ChronosModel, heads: HeadRef[], method: AblationMethod, means?: Map<string, Float32Array>): HeadAblation {
  const ab = model.newAblation();
  for (const h of heads) {
    if (method === 'zero') ab.zero(h.kind, h.layer, h.head);
    else {
      const m = means?.get(headKey(h));
      if (!m) throw new ChronosLensError('BAD_INPUT', `no mean output for ${formatHead(h)}`);
      ab.replace(h.kind, h.layer, h.head, m);
    }
  }
  return ab;
}

// ---- forecast metrics --------------------------------------------------------------------------------

// The forecast metrics live in stats.ts (the copy loss uses WQL too); re-exported for this module's users.
export { seasonalScale, mase, mae, wql } from './stats';

export interface SeriesEvalOptions {
  values: ArrayLike<number>;
  file: string;
  column: string;
  /** Points held out at the end (default: the model's prediction length). */
  heldOut?: number;
  /** Seasonal period of MASE (default: the strongest detected in the context, else 1). */
  period?: number;
  numSamples?: number;
  /** Sampling seed, shared by every variant (default 0). */
  seed?: number;
  quantileLevels?: number[];
}

export interface PreparedSeries {
  context: Float64Array;
  actual: Float64Array;
  heldOut: number;
  period: number;
  levels: number[];
  numSamples?: number;
  seed: number;
}

/** The prediction and context lengths a series is evaluated with, in either family. */
function horizonOf(model: ChronosModel | BoltModel): { predictionLength: number; contextLength: number } {
  return isBolt(model) ? model.config.bolt : model.config.chronos;
}

export function prepareSeries(model: ChronosModel | BoltModel, s: SeriesEvalOptions): PreparedSeries {
  const n = s.values.length;
  const H = checkInt('held-out points', s.heldOut ?? horizonOf(model).predictionLength, 1, 100000);
  const label = `${s.file}${s.column ? ` column "${s.column}"` : ''}`;
  if (n - H < 2) throw new ChronosLensError('BAD_INPUT', `${label} has ${n} values; holding out ${H} leaves too little context (use a smaller --held-out)`);
  const context = Float64Array.from({ length: n - H }, (_, i) => s.values[i]);
  const actual = Float64Array.from({ length: H }, (_, i) => s.values[n - H + i]);
  if (!actual.some((v) => Number.isFinite(v))) throw new ChronosLensError('BAD_INPUT', `${label}: the ${H} held-out values are all missing`);
  const tail = context.subarray(Math.max(0, context.length - horizonOf(model).contextLength));
  const period = s.period ?? detectPeriods(tail)[0]?.period ?? 1;
  checkInt('period', period, 1, 100000);
  if (!(seasonalScale(context, period) > 0)) throw new ChronosLensError('BAD_INPUT', `${label}: the in-sample seasonal differences at period ${period} are all 0 (or missing), so MASE is undefined`);
  // A Bolt model is scored on its own quantile levels (it predicts no others).
  const levels = isBolt(model) ? model.config.bolt.quantiles : (s.quantileLevels ?? DEFAULT_QUANTILE_LEVELS);
  return { context, actual, heldOut: H, period, levels, numSamples: s.numSamples, seed: s.seed ?? 0 };
}

/**
 * MASE / WQL / MAE of the median forecast of the held-out points: Chronos-T5's sampled forecast (the
 * median of the samples), Chronos-Bolt's 0.5 level (rolled out past prediction_length as the pipeline does).
 */
export async function seriesMetrics(model: ChronosModel | BoltModel, p: PreparedSeries, ablation: HeadAblation | undefined, ctl: RunControl): Promise<{ mase: number; wql: number; mae_median: number }> {
  let median: ArrayLike<number>;
  let quantiles: ArrayLike<number>[];
  if (isBolt(model)) {
    const f = await forecastBolt(model, p.context, { predictionLength: p.heldOut, ablation, signal: ctl.signal, onProgress: ctl.onProgress });
    const mid = p.levels.indexOf(0.5);
    median = mid >= 0 ? f.quantiles[mid] : f.mean;
    quantiles = f.quantiles;
  } else {
    const f = await forecast(model, p.context, { predictionLength: p.heldOut, numSamples: p.numSamples, seed: p.seed, quantileLevels: p.levels, ablation, signal: ctl.signal, onProgress: ctl.onProgress });
    median = Array.from({ length: p.heldOut }, (_, t) => quantileLinear(f.samples.map((x) => x[t]), 0.5));
    quantiles = f.quantiles;
  }
  return { mase: mase(p.actual, median, p.context, p.period), wql: wql(p.actual, quantiles, p.levels), mae_median: mae(p.actual, median) };
}

// ---- the experiment ------------------------------------------------------------------------------------

/**
 * What an ablation run measures under each variant (the unablated model, the ablated one, its controls):
 * the induction loss on repeated random tokens and/or the forecast metrics of a series, with progress
 * spread over `variants` runs after `extraSteps` units of other work. Head and layer ablations share it.
 */
export function ablationMeter(
  model: ChronosModel | BoltModel,
  ctl: RunControl,
  data: { induction?: InductionBatch; copy?: CopyBatch; series?: PreparedSeries; file?: { file: string; column: string } },
  variants: number,
  extraSteps = 0,
) {
  const { induction, copy, series } = data;
  if (induction && isBolt(model)) throw new ChronosLensError('BAD_INPUT', `${model.name} is a Chronos-Bolt model: it has no tokens for an induction loss (its copy loss is the analogue)`);
  if (copy && !isBolt(model)) throw new ChronosLensError('BAD_INPUT', `the copy loss is Chronos-Bolt's; ${model.name} is measured by the induction loss`);
  const total = extraSteps + variants * ((induction ? 1 : 0) + (copy ? 1 : 0) + (series ? 4 : 0));
  let done = 0;
  const sub = (weight: number, message: string): RunControl => ({
    signal: ctl.signal,
    onProgress: ctl.onProgress ? (u) => ctl.onProgress!({ fraction: (done + weight * (u.fraction ?? 0)) / total, message: `${message}${u.message ? ` (${u.message})` : ''}` }) : undefined,
  });
  const evaluate = async (ab: HeadAblation | undefined, label: string): Promise<Record<string, number>> => {
    const v: Record<string, number> = {};
    if (induction && !isBolt(model)) {
      const r = await inductionLoss(model, induction, ab, sub(1, `${label}: induction loss`));
      v.induction_loss = r.repeated;
      v.induction_loss_control = r.control;
      done += 1;
    }
    if (copy && isBolt(model)) {
      const r = await copyLoss(model, copy, ab, sub(1, `${label}: copy loss`));
      v.copy_loss = r.repeated;
      v.copy_loss_control = r.control;
      done += 1;
    }
    if (series) {
      Object.assign(v, await seriesMetrics(model, series, ab, sub(4, `${label}: forecast`)));
      done += 4;
    }
    throwIfAborted(ctl.signal);
    return v;
  };
  /** The seeds and data parameters of the run's manifest. */
  const manifestData = (): { seeds: Record<string, number>; parameters: Record<string, unknown> } => {
    const seeds: Record<string, number> = {};
    const parameters: Record<string, unknown> = {};
    if (induction) {
      seeds.tokens = induction.seed;
      parameters.induction = { batch: induction.batch, seqLen: induction.seqLen, repeats: induction.repeats, subExtension: induction.subExtension, vocab: induction.vocab };
    }
    if (copy) {
      seeds.patches = copy.protocol.seed;
      const p = copy.protocol;
      parameters.copyLoss = { batch: p.batch, patchSize: p.patchSize, period: p.period, repeats: p.repeats, subExtension: p.subExtension, horizon: copy.horizon };
    }
    if (series) {
      if (isBolt(model)) parameters.series = { file: data.file?.file, column: data.file?.column, heldOut: series.heldOut, period: series.period, quantileLevels: series.levels };
      else {
        seeds.forecast = series.seed;
        parameters.series = { file: data.file?.file, column: data.file?.column, heldOut: series.heldOut, period: series.period, numSamples: series.numSamples ?? model.config.chronos.numSamples, quantileLevels: series.levels };
      }
    }
    return { seeds, parameters };
  };
  return { sub, evaluate, manifestData, advance: (units: number) => void (done += units) };
}

export interface AblationOptions extends RunControl {
  heads: HeadRef[];
  method?: AblationMethod;
  /** Random control sets (default 10). */
  controls?: number;
  /** Seed of the control sets (default 0). */
  controlSeed?: number;
  /** The induction-loss metric (default on); false to skip it. */
  induction?: InductionLossOptions | false;
  /** Forecast metrics on a series (e.g. a CSV column). */
  series?: SeriesEvalOptions;
  /** Reference batch for mean ablation (default: 100 sequences, seed 1). */
  meanReference?: { batch?: number; seed?: number };
}

/**
 * Refuses an experiment that cannot fit or finish before anything is allocated: every variant (unablated,
 * ablated, each control set) runs the induction loss and the held-out forecast again.
 */
export function checkAblationSize(model: ChronosModel, opts: Pick<AblationOptions, 'induction'> & { series?: Pick<SeriesEvalOptions, 'heldOut' | 'numSamples'> }, nControls: number): void {
  const t = model.config.t5;
  const cc = model.config.chronos;
  const variants = 2 + nControls;
  const phases: Need[] = [];
  const lower: string[] = ['controls'];
  if (opts.induction !== false) {
    const sh = inductionShape(opts.induction ?? {});
    phases.push(repeated(inductionNeed(t, sh).need, variants));
    lower.push('batch', 'seqLen', 'repeats');
  }
  if (opts.series) {
    const heldOut = checkInt('held-out points', opts.series.heldOut ?? cc.predictionLength, BOUNDS.heldOut.min, BOUNDS.heldOut.max);
    const numSamples = checkInt('samples', opts.series.numSamples ?? cc.numSamples, BOUNDS.numSamples.min, BOUNDS.numSamples.max);
    const f = forecastNeed(t, { contextTokens: cc.contextLength + 1, chunkSteps: cc.predictionLength, predictionLength: heldOut, numSamples });
    phases.push(repeated(f, variants));
    lower.push('numSamples', 'heldOut');
  }
  ensureFits(`an ablation with ${nControls} control sets`, sequential(...phases), lower);
}

export async function runAblation(model: ChronosModel, opts: AblationOptions): Promise<AblationResult> {
  const grid = headGrid(model.config);
  const heads = opts.heads;
  if (!heads.length) throw new ChronosLensError('BAD_INPUT', 'no heads to ablate');
  const seen = new Set<string>();
  for (const h of heads) {
    checkHead(h, grid);
    if (seen.has(headKey(h))) throw new ChronosLensError('BAD_INPUT', `${formatHead(h)} is listed twice`);
    seen.add(headKey(h));
  }
  const method = opts.method ?? 'zero';
  if (method !== 'zero' && method !== 'mean') throw new ChronosLensError('BAD_INPUT', `unknown ablation method "${method}" (expected zero or mean)`);
  const nControls = opts.controls ?? 10;
  const controlSeed = opts.controlSeed ?? 0;
  checkInt('controls', nControls, BOUNDS.controls.min, BOUNDS.controls.max);
  checkAblationSize(model, opts, nControls);
  const controlSets = randomControlSets(grid, heads, nControls, controlSeed);
  const induction = opts.induction === false ? undefined : inductionBatch(model, opts.induction ?? {});
  const series = opts.series ? prepareSeries(model, opts.series) : undefined;
  if (!induction && !series) throw new ChronosLensError('BAD_INPUT', 'nothing to measure: enable the induction loss or give a series');

  // Progress: mean reference (1), then per variant induction (1) + series (4).
  const meter = ablationMeter(model, opts, { induction, series, file: opts.series }, 2 + controlSets.length, method === 'mean' ? 1 : 0);
  const { sub, evaluate } = meter;

  let means: Map<string, Float32Array> | undefined;
  const meanRef = { batch: opts.meanReference?.batch ?? 100, seed: opts.meanReference?.seed ?? 1 };
  if (method === 'mean') {
    const ref = inductionBatch(model, { ...(opts.induction || {}), batch: meanRef.batch, seed: meanRef.seed });
    const all = [...heads, ...controlSets.flat()];
    const uniq = [...new Map(all.map((h) => [headKey(h), h])).values()];
    means = await meanHeadOutputs(model, uniq, { ...ref, encoder: ref.encoder.slice(0, ref.batch), decoder: ref.decoder.slice(0, ref.batch) }, sub(1, 'mean head outputs'));
    meter.advance(1);
  }

  type Values = Record<string, number>;
  const base = await evaluate(undefined, 'unablated');
  const ablated = await evaluate(buildAblation(model, heads, method, means), 'ablated');
  const controls: Values[] = [];
  for (let i = 0; i < controlSets.length; i++) controls.push(await evaluate(buildAblation(model, controlSets[i], method, means), `control ${i + 1}/${controlSets.length}`));

  const metrics: MetricSummary[] = Object.keys(base).map((name) => {
    const cv = controls.map((c) => c[name]);
    return { name, unablated: base[name], ablated: ablated[name], controls: cv, percentile: percentileOf(ablated[name], cv), zScore: zScoreOf(ablated[name], cv) };
  });
  const md = meter.manifestData();
  const seeds: Record<string, number> = { controls: controlSeed, ...md.seeds };
  if (method === 'mean') seeds.meanReference = meanRef.seed;
  const parameters: Record<string, unknown> = { heads: heads.map(formatHead), method, controls: nControls, ...md.parameters };
  if (method === 'mean') parameters.meanReference = meanRef;
  const result: AblationResult = {
    model: await modelSummary(model),
    heads,
    method,
    controlSets,
    metrics,
    data: { inductionLoss: !!induction },
    manifest: await makeManifest(model, 'ablate', seeds, parameters),
  };
  if (method === 'mean') result.meanReference = meanRef;
  if (series) result.data.csv = { file: opts.series!.file, column: opts.series!.column, heldOut: series.heldOut, period: series.period };
  return result;
}
