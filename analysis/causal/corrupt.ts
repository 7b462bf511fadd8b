/**
 * Clean / corrupted series for activation patching. The clean input is the window of the last
 * context_length values ending at `end`; the corrupted input has the same length:
 *   window  the window ending at another index (`other`);
 *   shift   the window ending `amount` points earlier (a phase shift; default half the detected period);
 *   noise   the clean window plus Gaussian noise of sd = amount x the window's standard deviation
 *           (default 0.5; seeded);
 *   spike   the point farthest from the window's median replaced by the mean of its neighbours;
 *   swap    the last two blocks of `amount` points swapped (a swapped repeat; default the detected period).
 * Both are tokenized on their own (each with its own mean scale), as the model would see them; the
 * decoder is teacher-forced on the clean run's median path and scored on it.
 */
import { ChronosLensError } from '../../core/errors';
import { Rng } from '../../core/rng';
import { ChronosModel } from '../../models/model';
import { detectPeriods } from '../periodicity';
import { PatchPair } from './patching';
import { medianPath, seriesContext } from './run';

export type Corruption = 'window' | 'shift' | 'noise' | 'spike' | 'swap';
export const CORRUPTIONS: readonly Corruption[] = ['window', 'shift', 'noise', 'spike', 'swap'];

export interface CorruptionSpec {
  kind: Corruption;
  /** window: the other window's end (exclusive index); shift / swap: points; noise: sd in window sds. */
  amount?: number;
  seed?: number;
}

function windowOf(values: ArrayLike<number>, end: number, len: number, label: string): Float64Array {
  if (!Number.isInteger(end) || end < 2 || end > values.length) throw new ChronosLensError('BAD_INPUT', `${label}: a window must end inside the series (2..${values.length}), got ${end}`);
  const start = Math.max(0, end - len);
  return Float64Array.from({ length: end - start }, (_, i) => values[start + i]);
}

function period(w: Float64Array): number {
  return detectPeriods(w)[0]?.period ?? 2;
}

/** The clean and corrupted windows of a series. */
export function corruptSeries(model: ChronosModel, values: ArrayLike<number>, end: number, spec: CorruptionSpec, label: string): { clean: Float64Array; corrupted: Float64Array; detail: Record<string, number> } {
  const len = model.config.chronos.contextLength;
  const clean = windowOf(values, end, len, label);
  const n = clean.length;
  switch (spec.kind) {
    case 'window': {
      if (spec.amount === undefined) throw new ChronosLensError('BAD_INPUT', 'a window corruption needs the other window\'s end');
      const other = windowOf(values, spec.amount, len, label);
      if (other.length !== n) throw new ChronosLensError('BAD_INPUT', `${label}: the windows ending at ${end} and ${spec.amount} have ${n} and ${other.length} values; both need ${n}`);
      return { clean, corrupted: other, detail: { otherEnd: spec.amount } };
    }
    case 'shift': {
      const k = spec.amount ?? Math.max(1, Math.round(period(clean) / 2));
      if (end - k - n < 0) throw new ChronosLensError('BAD_INPUT', `${label}: shifting the window by ${k} points needs ${n + k} values before its end (${end})`);
      return { clean, corrupted: windowOf(values, end - k, len, label), detail: { shift: k } };
    }
    case 'noise': {
      const a = spec.amount ?? 0.5;
      if (!(a > 0 && a <= 1000)) throw new ChronosLensError('BAD_INPUT', `noise amount must be in (0, 1000], got ${a}`);
      let m = 0;
      let c = 0;
      for (const v of clean) if (Number.isFinite(v)) { m += v; c++; }
      m /= c;
      let s = 0;
      for (const v of clean) if (Number.isFinite(v)) s += (v - m) ** 2;
      const sd = Math.sqrt(s / Math.max(1, c - 1)) * a;
      const rng = new Rng(spec.seed ?? 0);
      return { clean, corrupted: clean.map((v) => v + sd * rng.normal()), detail: { noiseSd: sd, seed: spec.seed ?? 0 } };
    }
    case 'spike': {
      const sorted = Array.from(clean).filter(Number.isFinite).sort((x, y) => x - y);
      const med = sorted[Math.floor(sorted.length / 2)];
      let at = -1;
      for (let i = 0; i < n; i++) if (Number.isFinite(clean[i]) && (at < 0 || Math.abs(clean[i] - med) > Math.abs(clean[at] - med))) at = i;
      const out = Float64Array.from(clean);
      const nb = [clean[at - 1], clean[at + 1]].filter((v) => v !== undefined && Number.isFinite(v));
      out[at] = nb.length ? nb.reduce((x, y) => x + y, 0) / nb.length : med;
      return { clean, corrupted: out, detail: { position: at } };
    }
    case 'swap': {
      const p = spec.amount ?? period(clean);
      if (!Number.isInteger(p) || p < 1 || 2 * p > n) throw new ChronosLensError('BAD_INPUT', `${label}: swapping two blocks of ${p} points needs at least ${2 * p} values in the window (it has ${n})`);
      const out = Float64Array.from(clean);
      for (let i = 0; i < p; i++) {
        out[n - 2 * p + i] = clean[n - p + i];
        out[n - p + i] = clean[n - 2 * p + i];
      }
      return { clean, corrupted: out, detail: { block: p } };
    }
    default:
      throw new ChronosLensError('BAD_INPUT', `unknown corruption "${String(spec.kind)}" (expected ${CORRUPTIONS.join(', ')})`);
  }
}

/** A patch pair from two series windows: the decoder teacher-forced on the clean median path of `steps` steps. */
export async function seriesPatchPair(model: ChronosModel, clean: ArrayLike<number>, corrupted: ArrayLike<number>, steps: number, label: string): Promise<PatchPair> {
  const a = seriesContext(model, clean, label);
  const b = seriesContext(model, corrupted, `${label} (corrupted)`);
  if (a.ids.length !== b.ids.length) throw new ChronosLensError('BAD_INPUT', `${label}: the clean and corrupted windows tokenize to ${a.ids.length} and ${b.ids.length} tokens`);
  const path = await medianPath(model, a, steps);
  return { clean: { ids: a.ids, mask: a.mask }, corrupted: { ids: b.ids, mask: b.mask }, decoder: [model.config.t5.decoderStartTokenId, ...path.slice(0, steps - 1)], labels: path };
}
