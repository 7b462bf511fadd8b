/**
 * Small statistics used across the engine: batch means with standard errors, and where a value falls
 * in a control distribution. Everything in float64.
 */

/** Mean and standard error of the mean (sample std with ddof = 1, over sqrt(n)); stderr is 0 for n < 2. */
export function meanStderr(values: ArrayLike<number>): { mean: number; stderr: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, stderr: NaN };
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  if (n < 2) return { mean, stderr: 0 };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { mean, stderr: Math.sqrt(ss / (n - 1)) / Math.sqrt(n) };
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Sample standard deviation (ddof = 1). */
export function std(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/**
 * Percentile (0..100) of `value` in `controls`: the share of controls below it, ties counted half
 * (mid-rank). NaN when there are no controls.
 */
export function percentileOf(value: number, controls: ArrayLike<number>): number {
  const n = controls.length;
  if (n === 0) return NaN;
  let below = 0;
  let equal = 0;
  for (let i = 0; i < n; i++) {
    if (controls[i] < value) below++;
    else if (controls[i] === value) equal++;
  }
  return (100 * (below + 0.5 * equal)) / n;
}

/**
 * z-score of `value` against the controls (mean, sample std). 0 when the value equals a constant
 * control distribution; NaN with fewer than 2 controls or when a constant distribution differs.
 */
export function zScoreOf(value: number, controls: ArrayLike<number>): number {
  if (controls.length < 2) return NaN;
  const m = mean(controls);
  const s = std(controls);
  if (!(s > 0)) return value === m ? 0 : NaN;
  return (value - m) / s;
}

// ---- forecast metrics --------------------------------------------------------------------------------

/** Seasonal-naive scale: mean |y_t - y_{t-m}| over observed pairs of the in-sample series. */
export function seasonalScale(insample: ArrayLike<number>, period: number): number {
  let s = 0;
  let n = 0;
  for (let t = period; t < insample.length; t++) {
    const d = insample[t] - insample[t - period];
    if (Number.isFinite(d)) {
      s += Math.abs(d);
      n++;
    }
  }
  return n ? s / n : NaN;
}

/** MASE of a point forecast (observed targets only). */
export function mase(actual: ArrayLike<number>, pointForecast: ArrayLike<number>, insample: ArrayLike<number>, period: number): number {
  return mae(actual, pointForecast) / seasonalScale(insample, period);
}

export function mae(actual: ArrayLike<number>, pointForecast: ArrayLike<number>): number {
  let e = 0;
  let n = 0;
  for (let t = 0; t < actual.length; t++) {
    if (!Number.isFinite(actual[t])) continue;
    e += Math.abs(actual[t] - pointForecast[t]);
    n++;
  }
  return e / n;
}

/** Weighted quantile loss: mean over levels of 2 * sum_t pinball_q(y_t, yhat_q,t) / sum_t |y_t| (observed targets). */
export function wql(actual: ArrayLike<number>, quantiles: ArrayLike<number>[], levels: number[]): number {
  let denom = 0;
  for (let t = 0; t < actual.length; t++) if (Number.isFinite(actual[t])) denom += Math.abs(actual[t]);
  let total = 0;
  levels.forEach((q, j) => {
    let loss = 0;
    for (let t = 0; t < actual.length; t++) {
      const y = actual[t];
      if (!Number.isFinite(y)) continue;
      const d = y - quantiles[j][t];
      loss += d >= 0 ? q * d : (q - 1) * d;
    }
    total += (2 * loss) / denom;
  });
  return total / levels.length;
}
