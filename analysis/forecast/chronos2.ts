/**
 * Chronos-2 forecasts exactly as chronos-forecasting's Chronos2Pipeline.predict_quantiles computes
 * them for one task (one group of rows):
 *  - the rows are the target columns, then the past-only covariates, then the covariates known over
 *    the horizon (each kind sorted by name, as the pipeline's preprocessing orders them); every row's
 *    last context_length values, left-padded with NaN to the longest;
 *  - one forward pass predicts min(ceil(horizon / patch), max_output_patches) output patches for
 *    every row, the known future values riding on the output-patch tokens;
 *  - a longer horizon is rolled out as the pipeline does: every row is copied once per unrolled
 *    level (0.1 .. 0.9), each copy in its own group with the other rows' copies at that level; each
 *    copy appends the previous block's prediction at its level (known future values replace their
 *    covariate's prediction), the model predicts the next block for all copies, and the
 *    levels x copies values of each step are reduced back to the model's levels by the pipeline's
 *    weighted quantile (each value weighted by the probability mass of its two levels);
 *  - levels the model has are read off; others are interpolated between the model's levels as the
 *    pipeline does (its lowest and highest level repeated at 0 and 1);
 *  - the "mean" is the model's 0.5 level (the pipeline returns the median as the mean).
 * With `groupAttention: false` every row is its own group, so no series reads another: what the
 * forecast is without cross-series learning.
 */
import { ChronosLensError } from '../../core/errors';
import { checkBound, ensureFits } from '../../core/limits';
import { RunControl, throwIfAborted, yieldToEventLoop } from '../../core/progress';
import { Chronos2Ablation, Chronos2Model } from '../../models/chronos2/model';
import { Forecast, quantileHeadChecks, quantileHeadForecast } from './forecast';

export interface Chronos2Series {
  name: string;
  values: ArrayLike<number>;
}

export interface Chronos2Task {
  /** Forecast jointly (one group). */
  targets: Chronos2Series[];
  /** Known only over the context. */
  pastCovariates?: Chronos2Series[];
  /** Known over the context (`values`) and over the horizon (`future`, at least prediction-length values). */
  futureCovariates?: (Chronos2Series & { future: ArrayLike<number> })[];
}

export interface Chronos2ForecastOptions extends RunControl {
  /** Steps to forecast; default: max_output_patches x patch size. */
  predictionLength?: number;
  /** Levels to report; default: the model's own. */
  quantileLevels?: number[];
  /** Output patches per forward pass before the roll-out starts (the pipeline's option); default: the model's. */
  maxOutputPatches?: number;
  /** Refuse horizons longer than the model's max_output_patches x patch size instead of warning. */
  limitPredictionLength?: boolean;
  /** false: every row its own group (group attention sees only the row itself). Default true. */
  groupAttention?: boolean;
  ablation?: Chronos2Ablation;
}

export interface Chronos2Forecast {
  /** One forecast per target, in the order given. */
  series: (Forecast & { column: string })[];
  /** The rows the model saw, in its order: targets, past-only covariates, known-future covariates. */
  rows: { name: string; role: 'target' | 'past-covariate' | 'future-covariate' }[];
  warnings: string[];
}

/** The pipeline's levels for the long-horizon roll-out. */
export const UNROLLED_QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

const f = Math.fround;

/** Probability mass per level ((q[i+1] - q[i-1]) / 2 with q[-1] = 0, q[n] = 1), normalised, in float32. */
export function probabilityMass(levels: number[]): number[] {
  const b = [0, ...levels, 1].map(f);
  const mass = levels.map((_, i) => f(f(b[i + 2] - b[i]) / 2));
  let sum = 0;
  for (const m of mass) sum = f(sum + m);
  return mass.map((m) => f(m / sum));
}

/**
 * Values at `query` levels from values at increasing `levels` (utils.interpolate_quantiles): linear
 * between neighbours, the first value below the lowest level and the last above the highest, float32.
 */
export function interpolateQuantiles(query: number[], levels: ArrayLike<number>, values: ArrayLike<number>): number[] {
  const n = levels.length;
  const lv = [0, ...Array.from(levels, f), 1];
  const vv = [values[0], ...Array.from(values), values[n - 1]];
  return query.map((q0) => {
    const q = f(q0);
    // the first level strictly above q (searchsorted right), clamped to the last
    let upper = lv.findIndex((l) => l > q);
    if (upper < 0) upper = lv.length - 1;
    const lower = Math.max(upper - 1, 0);
    const diff = f(lv[upper] - lv[lower]);
    let w = f(f(q - lv[lower]) / diff);
    if (Number.isNaN(w)) w = 0;
    return f(vv[lower] + f(w * f(vv[upper] - vv[lower])));
  });
}

/**
 * The pipeline's weighted_quantile for one step: `samples` with `weights` (normalised here) sorted,
 * their cumulative weights (accumulated in double, as torch's CPU cumsum does, then float32, clamped to
 * [0, 1]) taken as levels, and `query` interpolated on them.
 */
export function weightedQuantile(query: number[], weights: number[], samples: ArrayLike<number>): number[] {
  let sum = 0;
  for (const w of weights) sum = f(sum + w);
  const norm = weights.map((w) => f(w / sum));
  const order = Array.from(samples, (_, i) => i).sort((a, b) => samples[a] - samples[b]);
  const cum = new Float32Array(order.length);
  let acc = 0;
  order.forEach((i, k) => {
    acc += norm[i];
    cum[k] = Math.min(1, Math.max(0, f(acc)));
  });
  return interpolateQuantiles(query, cum, order.map((i) => samples[i]));
}

/** One row of a task as the model sees it, in the pipeline's order (see taskRows). */
export interface Chronos2TaskRow {
  name: string;
  role: 'target' | 'past-covariate' | 'future-covariate';
  values: ArrayLike<number>;
  /** Known-future covariates: their values over the horizon. */
  future?: ArrayLike<number>;
}

/**
 * The rows of a task in the pipeline's order: targets as given, then past-only covariates, then
 * known-future covariates, each kind of covariate sorted by name. A known-future covariate must
 * cover the horizon.
 */
export function taskRows(task: Chronos2Task, horizon: number): Chronos2TaskRow[] {
  const byName = <T extends Chronos2Series>(a: T[] | undefined) => [...(a ?? [])].sort((p, q) => (p.name < q.name ? -1 : p.name > q.name ? 1 : 0));
  const past = byName(task.pastCovariates);
  const known = byName(task.futureCovariates);
  for (const r of known) {
    if (r.future.length < horizon) throw new ChronosLensError('BAD_INPUT', `future covariate "${r.name}" has ${r.future.length} future values; the horizon needs ${horizon}`);
  }
  const rows: Chronos2TaskRow[] = [
    ...task.targets.map((s) => ({ name: s.name, role: 'target' as const, values: s.values })),
    ...past.map((s) => ({ name: s.name, role: 'past-covariate' as const, values: s.values })),
    ...known.map((s) => ({ name: s.name, role: 'future-covariate' as const, values: s.values, future: s.future })),
  ];
  checkBound('seriesColumns', rows.length, 'targets and covariates');
  return rows;
}

/** The last `n` values of a series, float32 (a Chronos-2 row's context). */
export function lastValues(s: ArrayLike<number>, n: number): Float32Array {
  return Float32Array.from(Array.prototype.slice.call(s, Math.max(0, s.length - n)) as number[]);
}

export async function forecastChronos2(model: Chronos2Model, task: Chronos2Task, opts: Chronos2ForecastOptions = {}): Promise<Chronos2Forecast> {
  const x = model.config.chronos2;
  const trained = x.quantiles;
  const Q = trained.length;
  const P = x.patchSize;
  const C = x.contextLength;
  const modelHorizon = x.maxOutputPatches * P;
  const horizon = opts.predictionLength ?? modelHorizon;
  const levels = opts.quantileLevels ?? trained;
  const mop = opts.maxOutputPatches ?? x.maxOutputPatches;
  if (!Number.isInteger(mop) || mop < 1) throw new ChronosLensError('BAD_INPUT', `max output patches must be a positive integer, got ${mop}`);
  if (task.targets.length === 0) throw new ChronosLensError('BAD_INPUT', 'no target series given');
  const warnings = quantileHeadChecks(horizon, modelHorizon, levels, trained, opts.limitPredictionLength);

  const rows = taskRows(task, horizon);
  const n = rows.length;
  // the largest forward pass: every row copied once per unrolled level, tokens over the context and the
  // output patches, its time attention (tokens^2 per head) and hidden states (several d_model per token)
  {
    const t = model.config.t5;
    const copies = n * (horizon > Math.min(Math.ceil(horizon / P), mop) * P ? UNROLLED_QUANTILES.length : 1);
    const tokens = Math.ceil(Math.min(C + horizon, C) / P) + 1 + mop;
    const floats = copies * tokens * (t.numHeads * tokens + 8 * Math.max(t.dModel, t.dFf));
    ensureFits('this Chronos-2 forecast', { bytes: 4 * floats, heapBytes: 8 * n * horizon * Q, flops: 2 * copies * tokens * t.numLayers * (4 * t.dModel * t.dModel + 2 * t.dModel * t.dFf + 2 * tokens * t.dModel) * Math.ceil(horizon / (mop * P)) }, ['the number of columns', '--prediction-length']);
  }
  const first = rows.map((r) => lastValues(r.values, C));
  if (Math.max(...first.map((r) => r.length)) === 0) throw new ChronosLensError('BAD_INPUT', 'the context is empty');
  const futureOf = (r: (typeof rows)[number]): Float32Array => {
    const out = new Float32Array(horizon).fill(NaN);
    if (r.future) for (let s = 0; s < horizon; s++) out[s] = r.future[s];
    return out;
  };
  let futures = rows.map(futureOf);
  const together = opts.groupAttention !== false;
  const ablation = opts.ablation;
  const patchesFor = (remaining: number) => Math.min(Math.ceil(remaining / P), mop);
  /** The future values a step of Po patches sees: the first Po x P (NaN past the known ones). */
  const stepFuture = (fu: Float32Array, Po: number) => fu.slice(0, Math.min(fu.length, Po * P));

  const blocks = 1 + Math.max(0, Math.ceil((horizon - patchesFor(horizon) * P) / (mop * P)));
  throwIfAborted(opts.signal);
  const Po0 = patchesFor(horizon);
  const r0 = await model.forward({ rows: first, groupIds: rows.map((_, i) => (together ? 0 : i)), future: futures.map((fu) => stepFuture(fu, Po0)), outputPatches: Po0 }, { quantiles: true }, ablation);
  const contextLengthUsed = r0.rows[0].context.length;
  // pred[row][q]: the model's levels over the horizon so far
  const width0 = Po0 * P;
  const paths = rows.map((_, i) => Array.from({ length: Q }, (_, q) => Array.from(r0.quantiles!.data.subarray((i * Q + q) * width0, (i * Q + q + 1) * width0))));
  let prev = paths.map((p) => p.map((v) => Float32Array.from(v))); // [row][q][width]
  let remaining = horizon - width0;
  opts.onProgress?.({ fraction: 1 / blocks, message: `block 1 of ${blocks}` });

  if (remaining > 0) {
    const U = UNROLLED_QUANTILES;
    const uIdx = U.map((u) => trained.indexOf(u));
    if (uIdx.some((i) => i < 0)) throw new ChronosLensError('BAD_INPUT', `${model.name}: its quantile levels lack some of ${U.join(', ')}, which the pipeline's long-horizon roll-out needs; forecast at most ${width0} steps`);
    const massU = probabilityMass(U);
    const massQ = probabilityMass(trained);
    const weights = massU.flatMap((a) => massQ.map((b) => f(a * b)));
    // copies: row-major (row b, level u); group ids as the pipeline shifts them
    let contexts = first.flatMap((c) => U.map(() => c));
    const groups = rows.flatMap((_, b) => U.map((_, u) => (together ? 0 : b) * U.length + u));
    let copyFutures = futures.flatMap((fu) => U.map(() => fu));
    let block = 1;
    while (remaining > 0) {
      throwIfAborted(opts.signal);
      await yieldToEventLoop();
      const slide = prev[0][0].length;
      contexts = contexts.map((c, k) => {
        const b = Math.floor(k / U.length);
        const u = k % U.length;
        const joined = new Float32Array(c.length + slide);
        joined.set(c);
        joined.set(prev[b][uIdx[u]], c.length);
        // known future values replace the appended prediction
        const fu = copyFutures[k];
        for (let s = 0; s < slide && s < fu.length; s++) if (!Number.isNaN(fu[s])) joined[c.length + s] = fu[s];
        return joined.length > C ? joined.slice(joined.length - C) : joined;
      });
      copyFutures = copyFutures.map((fu) => fu.slice(Math.min(slide, fu.length)));
      const Po = patchesFor(remaining);
      const width = Po * P;
      const r = await model.forward({ rows: contexts, groupIds: groups, future: copyFutures.map((fu) => stepFuture(fu, Po)), outputPatches: Po }, { quantiles: true }, ablation);
      const pred = r.quantiles!.data; // [(b u), Q, width]
      const next = rows.map(() => Array.from({ length: Q }, () => new Float32Array(width)));
      const samples = new Float32Array(U.length * Q);
      for (let b = 0; b < n; b++) {
        for (let s = 0; s < width; s++) {
          for (let u = 0; u < U.length; u++) for (let q = 0; q < Q; q++) samples[u * Q + q] = pred[((b * U.length + u) * Q + q) * width + s];
          weightedQuantile(trained, weights, samples).forEach((v, q) => (next[b][q][s] = v));
        }
        for (let q = 0; q < Q; q++) paths[b][q].push(...next[b][q]);
      }
      prev = next;
      remaining -= width;
      block++;
      opts.onProgress?.({ fraction: Math.min(1, block / blocks), message: `block ${block} of ${blocks}` });
    }
    futures = copyFutures;
  }

  const series = task.targets.map((t, i) => ({
    column: t.name,
    ...quantileHeadForecast(paths[i], trained, levels, horizon, interpolateQuantiles, { contextLengthUsed, scale: r0.rows[i].norm.scale, warnings }),
  }));
  return { series, rows: rows.map((r) => ({ name: r.name, role: r.role })), warnings };
}
