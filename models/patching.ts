/**
 * The input side of the patch-based Chronos families (Chronos-Bolt; Chronos-2 adds an optional
 * arcsinh): NaN-aware instance normalisation and cutting the normalised series into patches, as
 * chronos-forecasting's `InstanceNorm` and `Patch` do, in float32.
 *
 *  - loc = mean of the observed values (0 when none), scale = their root-mean-square deviation from
 *    loc (1 when none, 1e-5 when 0); x -> (x - loc) / scale, then arcsinh when asked.
 *  - When the length is not a multiple of the patch size, the series is padded on the LEFT with
 *    missing values, so that the last patch ends at the last value; patches of `size` values every
 *    `stride` values.
 *  - Each patch becomes [values (missing ones as 0) ..., observed mask (0/1) ...], 2 x size numbers;
 *    a patch with no observed value is masked out of attention.
 */

import { ChronosLensError } from '../core/errors';

export interface InstanceNorm {
  loc: number;
  scale: number;
}

/** Mean and RMS deviation of the non-NaN values, as float32 (InstanceNorm with eps 1e-5). */
export function instanceNorm(values: ArrayLike<number>, eps = 1e-5): InstanceNorm {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.fround(values[i]);
    if (!Number.isNaN(v)) {
      sum += v;
      n++;
    }
  }
  if (n === 0) return { loc: 0, scale: 1 };
  const loc = Math.fround(sum / n);
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.fround(values[i]);
    if (!Number.isNaN(v)) {
      const d = Math.fround(v - loc);
      ss += Math.fround(d * d);
    }
  }
  let scale = Math.fround(Math.sqrt(Math.fround(ss / n)));
  if (scale === 0) scale = Math.fround(eps);
  return { loc, scale };
}

export interface Patched {
  /** [patches, 2 x size]: normalised values (missing as 0), then the observed mask. */
  data: Float32Array;
  patches: number;
  /** Per patch: 1 when at least one value is observed (the encoder's attention mask). */
  observed: Uint8Array;
  /**
   * Per patch: the index in the given context of its first value; negative for the left padding
   * (so patch p covers context indices start[p] .. start[p] + size - 1, the negative ones absent).
   */
  start: Int32Array;
}

/** Number of patches a context of `length` values becomes. */
export function patchCount(length: number, size: number, stride: number): number {
  const padded = length % size === 0 ? length : length + (size - (length % size));
  return padded < size ? 0 : Math.floor((padded - size) / stride) + 1;
}

/**
 * Where the patches of a context of `length` values lie: `count` patches, patch p starting at context
 * index first + p x stride (`first` <= 0: the left NaN padding that makes the last patch end at the
 * last value).
 */
export function patchLayout(length: number, size: number, stride: number): { count: number; first: number } {
  const pad = length % size === 0 ? 0 : size - (length % size);
  return { count: patchCount(length, size, stride), first: -pad };
}

/** A value normalised with `norm` (x - loc) / scale, then arcsinh'd when `arcsinh` (Chronos-2's use_arcsinh), in float32. */
export function normalise(v: number, norm: InstanceNorm, arcsinh = false): number {
  const z = Math.fround(Math.fround(v - norm.loc) / norm.scale);
  return arcsinh ? Math.fround(Math.asinh(z)) : z;
}

/** The inverse of normalise: sinh when `arcsinh`, then x scale + loc, in float32. */
export function denormalise(z: number, norm: InstanceNorm, arcsinh = false): number {
  const u = arcsinh ? Math.fround(Math.sinh(z)) : z;
  return Math.fround(Math.fround(u * norm.scale) + norm.loc);
}

/** Normalises `values` with `norm` (and arcsinh, for Chronos-2) and cuts them into patches (see the file comment). */
export function patchify(values: ArrayLike<number>, norm: InstanceNorm, size: number, stride: number, arcsinh = false): Patched {
  const len = values.length;
  const { count: patches, first } = patchLayout(len, size, stride);
  const pad = -first;
  const data = new Float32Array(patches * 2 * size);
  const observed = new Uint8Array(patches);
  const start = new Int32Array(patches);
  for (let p = 0; p < patches; p++) {
    const s0 = p * stride - pad;
    start[p] = s0;
    const row = p * 2 * size;
    for (let j = 0; j < size; j++) {
      const i = s0 + j;
      const v = i >= 0 ? Math.fround(values[i]) : NaN;
      if (!Number.isNaN(v)) {
        data[row + j] = normalise(v, norm, arcsinh);
        data[row + size + j] = 1;
        observed[p] = 1;
      }
    }
  }
  return { data, patches, observed, start };
}

/** One series as a patch-based encoder sees it. */
export interface PatchedRow {
  /** The values used: the last contextLength of the series, left-padded with NaN to the batch's longest. */
  context: Float32Array;
  norm: InstanceNorm;
  patched: Patched;
}

/**
 * The rows of a batch: each series' last `contextLength` values, left-padded with NaN to the longest
 * (as the pipelines stack a list of series), normalised and patched. Refuses an empty batch or context.
 */
export function patchRows(series: ArrayLike<number>[], contextLength: number, size: number, stride: number, arcsinh = false): PatchedRow[] {
  if (series.length === 0) throw new ChronosLensError('BAD_INPUT', 'no series given');
  const lengths = series.map((s) => Math.min(s.length, contextLength));
  const len = Math.max(...lengths);
  if (len === 0) throw new ChronosLensError('BAD_INPUT', 'the context is empty');
  return series.map((s, i) => {
    const context = new Float32Array(len).fill(NaN);
    const n = lengths[i];
    for (let j = 0; j < n; j++) context[len - n + j] = s[s.length - n + j];
    const norm = instanceNorm(context);
    return { context, norm, patched: patchify(context, norm, size, stride, arcsinh) };
  });
}
