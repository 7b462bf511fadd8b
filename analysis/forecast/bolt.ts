/**
 * Chronos-Bolt forecasts exactly as chronos-forecasting's ChronosBoltPipeline.predict_quantiles
 * computes them:
 *  - one forward pass gives every quantile level of the model for prediction_length steps;
 *  - a longer horizon is rolled out: each quantile path of the first block is appended to its own
 *    copy of the context (kept to the last context_length values), the model forecasts the next
 *    block for all of them, and the quantiles x quantiles values of each step are reduced back to
 *    the model's levels with torch.quantile (linear interpolation); those levels are appended to
 *    their copies in turn, until the horizon is covered (with the pipeline's warning);
 *  - levels the model has are read off; others are interpolated as the pipeline does, between the
 *    model's levels with the lowest and highest repeated at the ends (an equidistant-grid rule);
 *  - the "mean" is the model's 0.5 level (the pipeline returns the median as the mean).
 * No sampling: there are no sample paths, no seed, and numSamples is 0.
 */
import { ChronosLensError } from '../../core/errors';
import { RunControl, throwIfAborted, yieldToEventLoop } from '../../core/progress';
import { BoltModel } from '../../models/bolt/model';
import { HeadAblation } from '../../models/model';
import { Forecast, quantileHeadChecks, quantileHeadForecast, quantileLinear } from './forecast';

export interface BoltForecastOptions extends RunControl {
  /** Steps to forecast; default: the model's prediction_length. */
  predictionLength?: number;
  /** Levels to report; default: the model's own. */
  quantileLevels?: number[];
  /** Refuse horizons longer than the model's prediction_length instead of warning. */
  limitPredictionLength?: boolean;
  ablation?: HeadAblation;
}

/** Levels between the model's, as predict_quantiles interpolates them: the lowest and highest repeated at the ends. */
function interpolateBolt(query: number[], _trained: number[], values: ArrayLike<number>): number[] {
  const aug = [values[0], ...Array.from(values), values[values.length - 1]];
  return query.map((q) => Math.fround(quantileLinear(aug, q)));
}

export async function forecastBolt(model: BoltModel, context: ArrayLike<number>, opts: BoltForecastOptions = {}): Promise<Forecast> {
  const b = model.config.bolt;
  const trained = b.quantiles;
  const Q = trained.length;
  const T = b.predictionLength;
  const horizon = opts.predictionLength ?? T;
  const levels = opts.quantileLevels ?? trained;
  if (context.length === 0) throw new ChronosLensError('BAD_INPUT', 'the context is empty');
  const warnings = quantileHeadChecks(horizon, T, levels, trained, opts.limitPredictionLength);

  const ctl = opts.ablation;
  const C = b.contextLength;
  const first = Float32Array.from(Array.prototype.slice.call(context, -C) as number[]);
  const blocks = Math.ceil(horizon / T);
  // paths[q][step]: the model's levels over the whole rolled-out horizon
  const paths = Array.from({ length: Q }, () => new Float32Array(blocks * T));
  throwIfAborted(opts.signal);
  const r0 = await model.forward([first], { quantiles: true }, ctl);
  const q0 = r0.quantiles!.data;
  for (let q = 0; q < Q; q++) paths[q].set(q0.subarray(q * T, (q + 1) * T), 0);
  const scale = r0.rows[0].norm.scale;
  opts.onProgress?.({ fraction: 1 / blocks, message: `block 1 of ${blocks}` });

  let contexts: Float32Array[] = Array.from({ length: Q }, () => first);
  const column = new Float64Array(Q * Q);
  for (let k = 1; k < blocks; k++) {
    throwIfAborted(opts.signal);
    await yieldToEventLoop();
    contexts = contexts.map((c, q) => {
      const joined = new Float32Array(c.length + T);
      joined.set(c);
      joined.set(paths[q].subarray((k - 1) * T, k * T), c.length);
      return joined.length > C ? joined.slice(joined.length - C) : joined;
    });
    const r = await model.forward(contexts, { quantiles: true }, ctl);
    const pred = r.quantiles!.data; // [Q rows, Q levels, T]
    for (let s = 0; s < T; s++) {
      for (let i = 0; i < Q * Q; i++) column[i] = pred[i * T + s];
      for (let q = 0; q < Q; q++) paths[q][k * T + s] = Math.fround(quantileLinear(column, trained[q]));
    }
    opts.onProgress?.({ fraction: (k + 1) / blocks, message: `block ${k + 1} of ${blocks}` });
  }

  return quantileHeadForecast(paths, trained, levels, horizon, interpolateBolt, { contextLengthUsed: first.length, scale, warnings });
}
