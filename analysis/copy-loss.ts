/**
 * The copy loss of Chronos-Bolt (docs/patch-mosaic.md, "Copy loss"): the patch analogue of the T5
 * induction loss (analysis/ablation.ts). On the patch protocol's contexts (analysis/patch-batch.ts: a
 * sequence S of `period` values repeated, cut to whole patches) the next values of the series are S
 * again, so a model that copies forecasts them exactly. The loss is the weighted quantile loss of the
 * model's forecast of the next `horizon` = min(prediction_length, period) values,
 *
 *   copy loss = mean over levels q of  2 · sum_{b,t} rho_q(y_bt - yhat_q,bt) / sum_{b,t} |y_bt|,
 *
 * pooled over the batch (the WQL of analysis/ablation.ts over every row's horizon at once), in the
 * series' units (the model undoes its instance norm). The control rows keep each context's last
 * `subExtension` patches and the same targets, but replace everything before them by fresh iid values
 * (a second generator seeded seed + 1), so nothing earlier can be copied (the T5 control's design).
 */
import { ChronosLensError } from '../core/errors';
import { RunControl } from '../core/progress';
import { Rng } from '../core/rng';
import { Need, ensureFits, forwardRowNeed, maxRowsFor, together, typedNeed } from '../core/limits';
import { BoltModel } from '../models/bolt/model';
import { HeadAblation } from '../models/model';
import { forEachChunk } from './common';
import { wql } from './stats';
import { PatchProtocol, PatchShape, checkedShape, randomPatchBatch } from './patch-batch';
import { tilingPatch } from './patch-mosaic';

/** The copy-loss batch's shape: the patch protocol's (batch, patches per repeat or period, repeats, sub-extension, seed). */
export type CopyLossOptions = PatchShape;

export interface CopyBatch {
  /** The protocol of the repeating rows. */
  protocol: PatchProtocol;
  /** Values forecast and scored per row. */
  horizon: number;
  /** Rows [0, batch) repeat S; rows [batch, 2 batch) are their controls. Every row has the same length. */
  contexts: Float32Array[];
  /** Per row, the next `horizon` values of its sequence (the same for a row and its control). */
  targets: Float32Array[];
}

/** The held contexts and targets, and one row of the forward pass with its quantiles. */
function copyNeed(model: BoltModel, rows: number, contextLength: number): { need: Need; held: number; perRow: number } {
  const b = model.config.bolt;
  const encLen = Math.ceil(contextLength / b.inputPatchSize) + (b.useRegToken ? 1 : 0);
  const held = together(typedNeed(rows * (contextLength + b.predictionLength)), typedNeed(2 * rows, 8));
  const row = forwardRowNeed(model.config.t5, { encLen, decLen: 1 });
  const perRow = row.bytes + contextLength * 4 * 3 + b.quantiles.length * b.predictionLength * 4 * 2;
  return { need: { bytes: held.bytes + perRow, heapBytes: held.heapBytes, flops: rows * row.flops }, held: held.bytes, perRow };
}

/** The memory and work of one copy-loss pass of this shape, checked before anything is drawn. */
export function copyLossNeed(model: BoltModel, opts: CopyLossOptions): Need {
  const { shape, geometry } = checkedShape(opts, tilingPatch(model), model.config.bolt.contextLength, model.name);
  return copyNeed(model, 2 * shape.batch, geometry.contextLength).need;
}

/** The repeating rows of the patch protocol, their controls and the values each should forecast. */
export function copyBatch(model: BoltModel, opts: CopyLossOptions = {}): CopyBatch {
  const size = tilingPatch(model);
  const C = model.config.bolt.contextLength;
  const { shape, geometry } = checkedShape(opts, size, C, model.name);
  ensureFits(`a copy loss of ${shape.batch} contexts of ${geometry.contextLength} values`, copyNeed(model, 2 * shape.batch, geometry.contextLength).need, ['batch', 'period', 'repeats']);
  const batch = randomPatchBatch(opts, size, C, model.name);
  const L = geometry.contextLength;
  const V = shape.period;
  const horizon = Math.min(model.config.bolt.predictionLength, V);
  // context[i] = S[i mod V] and L >= V, so the value after the context at step t is context[(L + t) mod V].
  const targets = batch.contexts.map((c) => Float32Array.from({ length: horizon }, (_, t) => c[(L + t) % V]));
  const kept = shape.subExtension * size;
  const rng = new Rng(shape.seed + 1);
  const controls = batch.contexts.map((c) => {
    const x = new Float32Array(L);
    for (let i = 0; i < L - kept; i++) x[i] = rng.normal();
    x.set(c.subarray(L - kept), L - kept);
    return x;
  });
  return { protocol: batch.protocol, horizon, contexts: [...batch.contexts, ...controls], targets: [...targets, ...targets] };
}

/** One WQL over rows [from, from + n): every row's horizon laid end to end. */
function pooledWql(from: number, n: number, preds: Float32Array[], targets: Float32Array[], levels: number[], horizon: number, T: number): number {
  const actual = new Float64Array(n * horizon);
  const quantiles = levels.map(() => new Float64Array(n * horizon));
  for (let i = 0; i < n; i++) {
    actual.set(targets[from + i].subarray(0, horizon), i * horizon);
    levels.forEach((_, j) => quantiles[j].set(preds[from + i].subarray(j * T, j * T + horizon), i * horizon));
  }
  return wql(actual, quantiles, levels);
}

/** The copy loss on the repeating rows and on the controls, under an optional ablation. */
export async function copyLoss(model: BoltModel, batch: CopyBatch, ablation?: HeadAblation, ctl: RunControl & { chunkMs?: number } = {}): Promise<{ repeated: number; control: number }> {
  const rows = batch.contexts.length;
  const half = rows / 2;
  if (!(rows >= 2 && Number.isInteger(half)) || batch.targets.length !== rows) throw new ChronosLensError('BAD_INPUT', `a copy batch needs as many controls as repeating rows and one target per row (${rows} rows, ${batch.targets.length} targets)`);
  const L = batch.contexts[0].length;
  const b = model.config.bolt;
  const T = b.predictionLength;
  if (!(batch.horizon >= 1 && batch.horizon <= T)) throw new ChronosLensError('BAD_INPUT', `the copy horizon must be 1..${T} (${model.name}'s prediction length), got ${batch.horizon}`);
  const size = copyNeed(model, rows, L);
  ensureFits(`the copy loss of ${half} contexts`, size.need, ['batch', 'period', 'repeats']);
  const preds: Float32Array[] = new Array(rows);
  await forEachChunk(
    rows,
    async (a, e) => {
      const r = await model.forward(batch.contexts.slice(a, e), { quantiles: true }, ablation);
      const per = b.quantiles.length * T;
      for (let i = a; i < e; i++) preds[i] = r.quantiles!.data.slice((i - a) * per, (i - a + 1) * per);
    },
    { signal: ctl.signal, onProgress: ctl.onProgress, targetMs: ctl.chunkMs, maxRows: maxRowsFor(size.perRow, size.held), message: 'copy loss' },
  );
  return {
    repeated: pooledWql(0, half, preds, batch.targets, b.quantiles, batch.horizon, T),
    control: pooledWql(half, half, preds, batch.targets, b.quantiles, batch.horizon, T),
  };
}
