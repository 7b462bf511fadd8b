/**
 * The clean / corrupted inputs of a patching run, described for its result and manifest: a series
 * window against one of its corruptions (corrupt.ts), or repeated random tokens against a
 * non-repeating control (the induction-loss protocol). Shared by the CLI's `patch` and the editor's
 * Patch Activations….
 */
import { ChronosLensError } from '../../core/errors';
import { ChronosModel } from '../../models/model';
import { InductionLossOptions, inductionBatch } from '../ablation';
import { Corruption, corruptSeries, seriesPatchPair } from './corrupt';
import { PatchPair } from './patching';

export interface PatchInputs {
  pairs: PatchPair[];
  /** What clean and corrupted are, for the result. */
  description: string;
  parameters: Record<string, unknown>;
  seeds: Record<string, number>;
}

export interface SeriesPatchOptions {
  corrupt: Corruption;
  /** window: the other window's end; shift / swap: points; noise: sd in window sds. */
  amount?: number;
  noiseSeed?: number;
  /** The clean window ends before this index (default: the end of the series). */
  end?: number;
  /** Forecast steps scored on the clean median path. */
  steps: number;
}

/** A series' clean window against its corruption, scored on the clean median path. */
export async function seriesPatchInputs(model: ChronosModel, series: { values: ArrayLike<number>; label: string; file: string; column: string }, o: SeriesPatchOptions): Promise<PatchInputs> {
  const maxSteps = model.config.chronos.predictionLength;
  if (!Number.isInteger(o.steps) || o.steps < 1 || o.steps > maxSteps) throw new ChronosLensError('BAD_INPUT', `the scored forecast steps must be a whole number from 1 to the model's prediction length (${maxSteps}), got ${o.steps}`);
  const end = o.end ?? series.values.length;
  const w = corruptSeries(model, series.values, end, { kind: o.corrupt, amount: o.amount, seed: o.noiseSeed }, series.label);
  const pairs = [await seriesPatchPair(model, w.clean, w.corrupted, o.steps, series.label)];
  const description = `${series.label}: clean window against ${o.corrupt} (${Object.entries(w.detail).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`).join(', ')})`;
  const seeds: Record<string, number> = o.corrupt === 'noise' ? { noise: o.noiseSeed ?? 0 } : {};
  return { pairs, description, parameters: { file: series.file, column: series.column, end, corrupt: o.corrupt, ...w.detail, steps: o.steps }, seeds };
}

/** Repeated random tokens against the same prefix after fresh non-repeating tokens, scored on the continuation. */
export function tokenPatchInputs(model: ChronosModel, opts: InductionLossOptions): PatchInputs {
  const b = inductionBatch(model, opts);
  const pairs = Array.from({ length: b.batch }, (_, i) => ({ clean: { ids: b.encoder[i] }, corrupted: { ids: b.encoder[b.batch + i] }, decoder: b.decoder[i], labels: b.labels[i] }));
  return {
    pairs,
    description: 'repeated random tokens against a non-repeating control',
    parameters: { seqLen: b.seqLen, repeats: b.repeats, subExtension: b.subExtension, vocab: b.vocab },
    seeds: { tokens: b.seed },
  };
}
