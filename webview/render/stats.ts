/** Summary statistics of a control distribution (DOM-free). */
import { quantileSorted } from 'd3';

export interface ControlStats {
  n: number;
  mean: number;
  sd: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  /** Whiskers: the most extreme controls within 1.5 IQR of the box. */
  lo: number;
  hi: number;
}

export function controlStats(values: readonly number[]): ControlStats {
  const v = values.filter(Number.isFinite).slice().sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return { n, mean: NaN, sd: NaN, min: NaN, q1: NaN, median: NaN, q3: NaN, max: NaN, lo: NaN, hi: NaN };
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const q1 = quantileSorted(v, 0.25) as number;
  const q3 = quantileSorted(v, 0.75) as number;
  const iqr = q3 - q1;
  const lo = v.find((x) => x >= q1 - 1.5 * iqr) ?? v[0];
  const hi = [...v].reverse().find((x) => x <= q3 + 1.5 * iqr) ?? v[n - 1];
  return { n, mean, sd, min: v[0], q1, median: quantileSorted(v, 0.5) as number, q3, max: v[n - 1], lo, hi };
}
