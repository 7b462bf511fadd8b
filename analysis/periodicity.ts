/**
 * Periodicity of a series and of the attention heads that follow it.
 *
 *  - `detectPeriods`: dominant periods from the autocorrelation of the series (missing values linearly
 *    interpolated, linear trend removed): local maxima of the ACF at lags 2..n/2 with r >= minStrength
 *    and a topographic prominence >= minProminence (a trough before and after), strongest first, lags near 2..6 times a stronger period (within ±1 or 4%) dropped: they are its
 *    echoes in the lag domain. Strength = the autocorrelation at the period.
 *  - per encoder head, for a period P: the attention mass at keys j with | |j - q| - kP | <= 1 (k >= 1),
 *    averaged over the observed queries q, against what a uniform head (equal weight on every unmasked
 *    key, EOS included) would put there; ratio = mass / uniform. Over patches (Chronos-Bolt) the period
 *    in values becomes a lag of P / stride patches, at least 2, and the keys at lag k are the patches
 *    round(k·lag) away on either side ([REG] counts as EOS does).
 *  - the attention spectrum per head: the share of an attention row's power (mean removed, context
 *    keys) at the harmonics of 1/P, i.e. the variance explained by a P-periodic pattern; averaged over
 *    queries. A head that attends every P steps scores near 1; a row of noise about (P-1)/(T-1).
 */
import { ChronosLensError } from '../core/errors';
import { RunControl, throwIfAborted } from '../core/progress';
import { FloatTensor } from '../core/tensor';
import { ChronosModel } from '../models/model';
import { AttentionLens, LensOptions } from './lens';
import { LayerHead, PeriodicityResult } from './types';

export interface Period {
  period: number;
  strength: number;
}

export interface DetectOptions {
  /** Smallest period considered (default 2). */
  minPeriod?: number;
  /** Largest period considered (default: half the series, so that two cycles are seen). */
  maxPeriod?: number;
  /** Autocorrelation a peak needs (default 0.2). */
  minStrength?: number;
  /** At most this many periods (default 3). */
  count?: number;
  /** How far a peak must rise above the troughs around it (default 0.1), so bumps on a slope are not periods. */
  minProminence?: number;
}

/** In-place iterative radix-2 FFT of (re, im); length a power of two. */
function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b] * cr - im[b] * ci;
        const xi = re[b] * ci + im[b] * cr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
        const t = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = t;
      }
    }
  }
}

/** Missing values linearly interpolated (held constant at the ends), then the least-squares line removed. */
export function detrended(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const x = new Float64Array(n);
  let prev = -1;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) continue;
    x[i] = values[i];
    if (prev < 0) for (let j = 0; j < i; j++) x[j] = values[i];
    else for (let j = prev + 1; j < i; j++) x[j] = values[prev] + ((values[i] - values[prev]) * (j - prev)) / (i - prev);
    prev = i;
  }
  if (prev < 0) return new Float64Array(n);
  for (let j = prev + 1; j < n; j++) x[j] = values[prev];
  const tm = (n - 1) / 2;
  let xm = 0;
  for (let i = 0; i < n; i++) xm += x[i];
  xm /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - tm) * (x[i] - xm);
    sxx += (i - tm) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  for (let i = 0; i < n; i++) x[i] -= xm + slope * (i - tm);
  return x;
}

/** Autocorrelation r(0..maxLag) of a (detrended) series: sum x_t x_{t+k} / sum x_t^2 (biased, via FFT). */
export function autocorrelation(x: ArrayLike<number>, maxLag: number): Float64Array {
  const n = x.length;
  let size = 1;
  while (size < 2 * n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < n; i++) re[i] = x[i];
  fft(re, im);
  for (let i = 0; i < size; i++) {
    re[i] = re[i] * re[i] + im[i] * im[i];
    im[i] = 0;
  }
  fft(re, im, true);
  const out = new Float64Array(Math.min(maxLag, n - 1) + 1);
  const r0 = re[0];
  for (let k = 0; k < out.length; k++) out[k] = r0 > 0 ? re[k] / r0 : 0;
  return out;
}

/** Dominant periods of a series, strongest first (see the module comment). */
export function detectPeriods(values: ArrayLike<number>, opts: DetectOptions = {}): Period[] {
  const n = values.length;
  const minP = Math.max(2, Math.floor(opts.minPeriod ?? 2));
  const maxP = Math.floor(Math.min(opts.maxPeriod ?? n / 2, n / 2));
  const minStrength = opts.minStrength ?? 0.2;
  const count = opts.count ?? 3;
  let observed = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(values[i])) observed++;
  if (observed < 8 || maxP < minP) return [];
  const r = autocorrelation(detrended(values), maxP + 1);
  const minProm = opts.minProminence ?? 0.1;
  const peaks: Period[] = [];
  for (let k = minP; k <= maxP && k + 1 < r.length; k++) {
    if (!(r[k] > r[k - 1] && r[k] >= r[k + 1] && r[k] >= minStrength)) continue;
    // Topographic prominence: the peak over the higher of the two troughs that separate it from a
    // higher point (r(0) = 1 on the left; the end of the range on the right).
    let left = r[k];
    for (let j = k - 1; j >= 0 && r[j] <= r[k]; j--) left = Math.min(left, r[j]);
    let right = r[k];
    for (let j = k + 1; j < r.length && r[j] <= r[k]; j++) right = Math.min(right, r[j]);
    if (r[k] - Math.max(left, right) >= minProm) peaks.push({ period: k, strength: r[k] });
  }
  peaks.sort((a, b) => b.strength - a.strength || a.period - b.period);
  const kept: Period[] = [];
  for (const p of peaks) {
    const harmonic = kept.some((q) => {
      const m = Math.round(p.period / q.period);
      return m >= 2 && m <= 6 && Math.abs(p.period - m * q.period) <= Math.max(1, 0.04 * p.period);
    });
    if (!harmonic) kept.push(p);
    if (kept.length >= count) break;
  }
  return kept;
}

export interface HeadPeriodScores {
  mass: LayerHead;
  uniform: LayerHead;
  ratio: LayerHead;
  spectrum: LayerHead;
}

/** What the head scores read: encoder attention over a context (an AttentionLens is one). */
export interface EncoderAttentionSource {
  layers: number;
  heads: number;
  /** Context positions (EOS excluded); the attention's keys may have one more (EOS). */
  contextLength: number;
  /** 1 observed, 0 missing, per context position. */
  mask: ArrayLike<number>;
  /** [heads, T(+1), T(+1)] */
  encoderAttention(layer: number): FloatTensor;
}

/**
 * Per encoder head: attention mass at lags k*P (±1) vs a uniform head, and the attention spectrum at 1/P.
 * With `nearest` (positions that are patches, where a period is rarely a whole number of them) P may be
 * any lag >= 2 positions, and the keys at lag k*P are the one position nearest to it on each side
 * (round(k*P)); the spectrum then needs a whole P and is left out otherwise (undefined).
 */
export function headPeriodScores(lens: EncoderAttentionSource, period: number, ctl: RunControl = {}, opts: { nearest?: boolean } = {}): HeadPeriodScores {
  const nearest = !!opts.nearest;
  if (nearest ? !(period >= 2) : !Number.isInteger(period) || period < 2) throw new ChronosLensError('BAD_INPUT', `period must be ${nearest ? 'a lag' : 'an integer'} >= 2, got ${period}`);
  const T = lens.contextLength;
  const mask = lens.mask;
  const P = period;
  const withSpectrum = Number.isInteger(P);
  // Keys a uniform head attends to: observed context keys plus EOS (when the encoder input has one).
  let unmaskedKeys = 0;
  for (let j = 0; j < T; j++) if (mask[j]) unmaskedKeys++;
  const te = lens.encoderAttention(0).dims[1];
  unmaskedKeys += te - T;
  // Lag sets per query (observed keys only).
  const lagKeys: Int32Array[] = [];
  const queries: number[] = [];
  for (let q = 0; q < T; q++) {
    if (!mask[q]) continue;
    const keys: number[] = [];
    if (nearest) {
      for (let k = 1; Math.round(k * P) < T; k++) {
        const d = Math.round(k * P);
        for (const j of [q - d, q + d]) if (j >= 0 && j < T && mask[j]) keys.push(j);
      }
      keys.sort((a, b) => a - b);
    } else {
      for (let j = 0; j < T; j++) {
        if (!mask[j]) continue;
        const d = Math.abs(j - q);
        const k = Math.round(d / P);
        if (k >= 1 && Math.abs(d - k * P) <= 1) keys.push(j);
      }
    }
    if (keys.length) {
      queries.push(q);
      lagKeys.push(Int32Array.from(keys));
    }
  }
  const allQueries: number[] = [];
  for (let q = 0; q < T; q++) if (mask[q]) allQueries.push(q);
  const L = lens.layers;
  const H = lens.heads;
  const mk = () => Array.from({ length: L }, () => new Array<number>(H).fill(0));
  const mass = mk();
  const uniform = mk();
  const ratio = mk();
  const spectrum = mk();
  let uni = 0;
  for (const keys of lagKeys) uni += keys.length / unmaskedKeys;
  uni = queries.length ? uni / queries.length : 0;
  const bins = new Float64Array(withSpectrum ? P : 0);
  const counts = new Float64Array(withSpectrum ? P : 0);
  if (withSpectrum) for (let j = 0; j < T; j++) counts[j % P]++;
  for (let l = 0; l < L; l++) {
    throwIfAborted(ctl.signal);
    const att = lens.encoderAttention(l);
    for (let h = 0; h < H; h++) {
      let m = 0;
      queries.forEach((q, i) => {
        const base = (h * te + q) * te;
        const keys = lagKeys[i];
        for (let k = 0; k < keys.length; k++) m += att.data[base + keys[k]];
      });
      m = queries.length ? m / queries.length : 0;
      mass[l][h] = m;
      uniform[l][h] = uni;
      ratio[l][h] = uni > 0 ? m / uni : 0;
      // Spectrum: variance of the row explained by a P-periodic pattern (power at the harmonics of 1/P).
      if (!withSpectrum) {
        spectrum[l][h] = NaN;
        continue;
      }
      let acc = 0;
      let nq = 0;
      for (const q of allQueries) {
        const base = (h * te + q) * te;
        let s = 0;
        for (let j = 0; j < T; j++) s += att.data[base + j];
        const mean = s / T;
        bins.fill(0);
        let total = 0;
        for (let j = 0; j < T; j++) {
          const v = att.data[base + j] - mean;
          bins[j % P] += v;
          total += v * v;
        }
        if (!(total > 0)) continue;
        let periodic = 0;
        for (let c = 0; c < P; c++) if (counts[c]) periodic += (bins[c] * bins[c]) / counts[c];
        acc += Math.min(1, periodic / total);
        nq++;
      }
      spectrum[l][h] = nq ? acc / nq : 0;
    }
  }
  return { mass, uniform, ratio, spectrum };
}

export interface PeriodicityOptions extends DetectOptions, RunControl {
  /** Use this period for the head scores instead of the strongest detected one. */
  period?: number;
}

/**
 * Periods of the lens' context (the values the lens was computed from) and the per-head scores at the
 * given or strongest period. Throws when no period is given and none is detected.
 */
export function periodicity(lens: AttentionLens, values: ArrayLike<number>, opts: PeriodicityOptions = {}): PeriodicityResult {
  const stride = lens.patch.stride;
  const patched = lens.patch.size > 1 || stride > 1;
  // The values the context positions cover (a patched context: from the first value of patch 0 that exists).
  const first = Math.max(0, lens.spanOf(0)[0]);
  const ctx = Array.prototype.slice.call(values, first, lens.spanOf(lens.contextLength - 1)[1] + 1) as number[];
  // Over patches a period shorter than two of them has no lag between patches to score.
  const periods = detectPeriods(ctx, patched ? { ...opts, minPeriod: Math.max(opts.minPeriod ?? 2, 2 * stride) } : opts);
  const period = opts.period ?? periods[0]?.period;
  if (period === undefined) {
    throw new ChronosLensError('BAD_INPUT', `no dominant period in the context (${ctx.length} values): no autocorrelation peak reaches ${opts.minStrength ?? 0.2}${patched ? ` at a lag of two patches (${2 * stride} values) or more` : ''}; give a period`);
  }
  if (!patched) {
    const s = headPeriodScores(lens, period, opts);
    return { periods, headScores: { kind: 'encoder', period, mass: s.mass, uniform: s.uniform, ratio: s.ratio }, spectrum: s.spectrum };
  }
  if (period < 2 * stride) throw new ChronosLensError('BAD_INPUT', `period ${period} is shorter than two patches (${2 * stride} values): over patches it has no lag to score`);
  const lag = period / stride;
  const s = headPeriodScores(lens, lag, opts, { nearest: true });
  return { periods, headScores: { kind: 'encoder', period, lag, mass: s.mass, uniform: s.uniform, ratio: s.ratio }, ...(Number.isInteger(lag) ? { spectrum: s.spectrum } : {}) };
}

/** Convenience: computes the lens (encoder only) and the periodicity of a series. */
export async function computePeriodicity(model: ChronosModel, values: ArrayLike<number>, opts: PeriodicityOptions & LensOptions = {}): Promise<PeriodicityResult> {
  const lens = await AttentionLens.compute(model, values, { signal: opts.signal, onProgress: opts.onProgress });
  return periodicity(lens, values, opts);
}
