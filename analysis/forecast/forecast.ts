/**
 * Probabilistic forecasts exactly as chronos-forecasting's ChronosPipeline.predict computes them:
 * tokenize the last context_length values, sample `numSamples` paths of up to the model's
 * prediction_length tokens with the KV-cache decoder (samples batched as rows), decode with the scale;
 * longer horizons extend autoregressively by appending the (lower) median of the samples to the context,
 * with a warning. Quantiles as torch.quantile (linear interpolation), mean over samples.
 */
import { ChronosLensError } from '../../core/errors';
import { checkBound, ensureFits, forecastNeed } from '../../core/limits';
import { RunControl, throwIfAborted, yieldToEventLoop } from '../../core/progress';
import { Rng } from '../../core/rng';
import { ChronosModel, HeadAblation } from '../../models/model';
import { sampleToken } from './sampling';

export const DEFAULT_QUANTILE_LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export interface ForecastOptions extends RunControl {
  /** Steps to forecast; default: the model's prediction_length. */
  predictionLength?: number;
  /** Sample paths; default: the model's num_samples (20). */
  numSamples?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  quantileLevels?: number[];
  /** Refuse horizons longer than the model's prediction_length instead of warning. */
  limitPredictionLength?: boolean;
  ablation?: HeadAblation;
}

export interface Forecast {
  /** [sample][step] */
  samples: Float32Array[];
  quantileLevels: number[];
  /** [level][step] */
  quantiles: number[][];
  mean: number[];
  /** Lower median per step (torch.median semantics), as used to extend long horizons. */
  median: number[];
  predictionLength: number;
  numSamples: number;
  /** Number of context values the model saw (the last context_length, missing ones included). */
  contextLengthUsed: number;
  /** Scale of the first chunk's context. */
  scale: number;
  warnings: string[];
  seed: number;
}

/**
 * The checks and warnings the quantile-head pipelines (Chronos-Bolt, Chronos-2) share: a positive
 * integer horizon and levels in [0, 1]; past the model's own horizon the pipeline's warning (an error
 * with `limit`), and a note when levels outside the trained range are clamped to its ends.
 */
export function quantileHeadChecks(horizon: number, modelHorizon: number, levels: number[], trained: number[], limit?: boolean): string[] {
  if (!Number.isInteger(horizon) || horizon < 1) throw new ChronosLensError('BAD_INPUT', `prediction length must be a positive integer, got ${horizon}`);
  for (const q of levels) if (!(q >= 0 && q <= 1)) throw new ChronosLensError('BAD_INPUT', `quantile levels must be in [0, 1], got ${q}`);
  const warnings: string[] = [];
  if (horizon > modelHorizon) {
    const msg = `We recommend keeping prediction length <= ${modelHorizon}. The quality of longer predictions may degrade since the model is not optimized for it.`;
    if (limit) throw new ChronosLensError('BAD_INPUT', msg);
    warnings.push(msg);
  }
  const lo = Math.min(...trained);
  const hi = Math.max(...trained);
  if (levels.some((q) => !trained.includes(q)) && levels.some((q) => q < lo || q > hi)) {
    warnings.push(`quantile levels outside [${lo}, ${hi}], the range the model was trained on, are set to its lowest / highest level`);
  }
  return warnings;
}

/**
 * A quantile head's Forecast (Chronos-Bolt, Chronos-2): `paths[level][step]` at the model's `trained` levels, in
 * series units, read at the asked `levels`: off the trained ones where every level is one of them, else through
 * the family pipeline's own `interpolate`; the 0.5 level is the mean and the median (both pipelines return the
 * median as the mean). No sample paths, no seed.
 */
export function quantileHeadForecast(
  paths: ArrayLike<ArrayLike<number>>,
  trained: number[],
  levels: number[],
  horizon: number,
  interpolate: (query: number[], trained: number[], values: ArrayLike<number>) => number[],
  meta: Pick<Forecast, 'contextLengthUsed' | 'scale' | 'warnings'>,
): Forecast {
  const Q = trained.length;
  const quantiles = levels.map(() => new Array<number>(horizon));
  const mean = new Array<number>(horizon);
  const step = new Array<number>(Q);
  const idx = levels.map((q) => trained.indexOf(q));
  const exact = idx.every((j) => j >= 0);
  const mid = trained.indexOf(0.5);
  for (let s = 0; s < horizon; s++) {
    for (let q = 0; q < Q; q++) step[q] = paths[q][s];
    const vals = exact ? idx.map((j) => step[j]) : interpolate(levels, trained, step);
    vals.forEach((v, j) => (quantiles[j][s] = v));
    mean[s] = mid >= 0 ? step[mid] : interpolate([0.5], trained, step)[0];
  }
  return {
    samples: [],
    quantileLevels: levels,
    quantiles,
    mean,
    median: mean.slice(),
    predictionLength: horizon,
    numSamples: 0,
    contextLengthUsed: meta.contextLengthUsed,
    scale: meta.scale,
    warnings: meta.warnings,
    seed: 0,
  };
}

/** torch.quantile(values, q) with linear interpolation, values unsorted (copied). */
export function quantileLinear(values: ArrayLike<number>, q: number): number {
  const v = Float64Array.from(values).sort();
  if (v.length === 0) return NaN;
  const pos = q * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/** torch.median: the lower of the two middle values for an even count. */
export function lowerMedian(values: ArrayLike<number>): number {
  const v = Float64Array.from(values).sort();
  return v[Math.floor((v.length - 1) / 2)];
}

/** Samples token paths for one tokenized context: [samples][steps] token ids. */
export async function sampleTokenPaths(
  model: ChronosModel,
  ids: Int32Array,
  mask: Uint8Array,
  steps: number,
  numSamples: number,
  params: { temperature: number; topK: number; topP: number },
  rng: Rng,
  ctl: RunControl & { ablation?: HeadAblation; onStep?: (done: number) => void } = {},
): Promise<Int32Array[]> {
  const t = model.config.t5;
  const enc = await model.encode({ data: ids, dims: [1, ids.length] }, { data: mask, dims: [1, mask.length] }, { crossKv: true }, ctl.ablation);
  const state = enc.state!;
  let cache = model.emptyCache(numSamples);
  let tokens: number[] = new Array(numSamples).fill(t.decoderStartTokenId);
  const paths = Array.from({ length: numSamples }, () => new Int32Array(steps));
  const scratch = new Float64Array(t.vocabSize);
  const forbidden = [model.config.chronos.eosTokenId];
  for (let s = 0; s < steps; s++) {
    throwIfAborted(ctl.signal);
    const r = await model.decodeStep(state, tokens, cache, {}, ctl.ablation);
    cache = r.cache;
    const next: number[] = new Array(numSamples);
    for (let i = 0; i < numSamples; i++) {
      // min_new_tokens = steps: EOS may never be drawn
      next[i] = sampleToken(r.logits.data, i * t.vocabSize, t.vocabSize, { ...params, forbidden }, rng, scratch);
      paths[i][s] = next[i];
    }
    tokens = next;
    ctl.onStep?.(s + 1);
    if (s % 8 === 7) await yieldToEventLoop();
  }
  return paths;
}

export async function forecast(model: ChronosModel, context: ArrayLike<number>, opts: ForecastOptions = {}): Promise<Forecast> {
  const cc = model.config.chronos;
  const predictionLength = opts.predictionLength ?? cc.predictionLength;
  const numSamples = opts.numSamples ?? cc.numSamples;
  const temperature = opts.temperature ?? cc.temperature;
  const topK = opts.topK ?? cc.topK;
  const topP = opts.topP ?? cc.topP;
  const seed = opts.seed ?? 0;
  const levels = opts.quantileLevels ?? DEFAULT_QUANTILE_LEVELS;
  if (!Number.isInteger(predictionLength) || predictionLength < 1) throw new ChronosLensError('BAD_INPUT', `prediction length must be a positive integer, got ${predictionLength}`);
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new ChronosLensError('BAD_INPUT', `number of samples must be a positive integer, got ${numSamples}`);
  if (!(temperature > 0)) throw new ChronosLensError('BAD_INPUT', `temperature must be > 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new ChronosLensError('BAD_INPUT', `top_p must be in (0, 1], got ${topP}`);
  for (const q of levels) if (!(q >= 0 && q <= 1)) throw new ChronosLensError('BAD_INPUT', `quantile levels must be in [0, 1], got ${q}`);
  if (context.length === 0) throw new ChronosLensError('BAD_INPUT', 'the context is empty');
  checkBound('predictionLength', predictionLength, 'prediction length');
  checkBound('numSamples', numSamples, 'number of samples');
  checkBound('temperature', temperature, 'temperature');
  const t5 = model.config.t5;
  const need = forecastNeed(t5, { contextTokens: cc.contextLength + 1, chunkSteps: cc.predictionLength, predictionLength, numSamples, quantileLevels: levels.length });
  ensureFits(`a forecast of ${numSamples} samples x ${predictionLength} steps`, need, ['numSamples', 'predictionLength']);
  const warnings: string[] = [];
  if (predictionLength > cc.predictionLength) {
    const msg = `We recommend keeping prediction length <= ${cc.predictionLength}. The quality of longer predictions may degrade since the model is not optimized for it.`;
    if (opts.limitPredictionLength) throw new ChronosLensError('BAD_INPUT', msg);
    warnings.push(msg);
  }

  const rng = new Rng(seed);
  let ctx = Float32Array.from(context);
  const samples = Array.from({ length: numSamples }, () => new Float32Array(predictionLength));
  let done = 0;
  let firstScale = NaN;
  const contextLengthUsed = Math.min(ctx.length, cc.contextLength);
  while (done < predictionLength) {
    throwIfAborted(opts.signal);
    const steps = Math.min(predictionLength - done, cc.predictionLength);
    const tok = model.tokenizer.encode(ctx);
    if (Number.isNaN(firstScale)) firstScale = tok.scale;
    const base = done;
    const paths = await sampleTokenPaths(model, tok.ids, tok.mask, steps, numSamples, { temperature, topK, topP }, rng, {
      signal: opts.signal,
      ablation: opts.ablation,
      onStep: (k) => opts.onProgress?.({ fraction: (base + k) / predictionLength, message: `step ${base + k} of ${predictionLength}` }),
    });
    for (let i = 0; i < numSamples; i++) samples[i].set(model.tokenizer.decode(paths[i], tok.scale), done);
    done += steps;
    if (done < predictionLength) {
      const med = new Float32Array(steps);
      for (let s = 0; s < steps; s++) med[s] = lowerMedian(samples.map((p) => p[base + s]));
      const next = new Float32Array(ctx.length + steps);
      next.set(ctx);
      next.set(med, ctx.length);
      ctx = next;
    }
  }

  const quantiles = levels.map(() => new Array<number>(predictionLength));
  const mean = new Array<number>(predictionLength);
  const median = new Array<number>(predictionLength);
  const column = new Float64Array(numSamples);
  for (let s = 0; s < predictionLength; s++) {
    let sum = 0;
    for (let i = 0; i < numSamples; i++) {
      column[i] = samples[i][s];
      sum += samples[i][s];
    }
    mean[s] = Math.fround(sum / numSamples);
    levels.forEach((q, j) => (quantiles[j][s] = quantileLinear(column, q)));
    median[s] = lowerMedian(column);
  }
  return { samples, quantileLevels: levels, quantiles, mean, median, predictionLength, numSamples, contextLengthUsed, scale: firstScale, warnings, seed };
}
