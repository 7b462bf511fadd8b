/**
 * Patch induction mosaics for Chronos-Bolt (docs/patch-mosaic.md): the reference protocol's scores
 * read off patch attention, on the batches of analysis/patch-batch.ts.
 *  - encoder: for every query patch q of the last full repeat, the attention q -> the span `shift`
 *    values earlier (its copy: "center") and q -> the span one patch after that ("right"), a span
 *    straddling two patches read as the overlap-weighted sum of their attention; averaged over q.
 *  - cross: the decoder token's cross-attention to the copy of the last context patch (center) and
 *    to the span after that copy (right: the values the forecast should repeat).
 * With the period a multiple of the patch size every span is one patch and this is the T5 protocol
 * on patches. Bolt's one decoder token attends only to itself, so there is no decoder mosaic.
 * Means, standard errors, counts, thresholds and exports are the T5 mosaic's (analysis/mosaic.ts);
 * tools/reference/bolt_mosaic_reference.py computes the same from transformers' eager attentions.
 */
import { ChronosLensError } from '../core/errors';
import { RunControl } from '../core/progress';
import { ensureFits, forwardRowNeed, maxRowsFor, together, typedNeed } from '../core/limits';
import { BoltModel } from '../models/bolt/model';
import { checkInt, forEachChunk } from './common';
import { DEFAULT_THRESHOLD, mosaicResult, newSamples } from './mosaic';
import { PatchBatch, PatchShape, checkedShape, copyTargets, patchGeometry, randomPatchBatch, seriesPatchBatch } from './patch-batch';
import { AttentionKind, MosaicProtocol, MosaicResult, PatchGeometry } from './types';

/** The kinds a patch mosaic has (Bolt's decoder self-attention is one token onto itself). */
export const PATCH_MOSAIC_KINDS: readonly AttentionKind[] = ['cross', 'encoder'];

export interface PatchMosaicOptions extends RunControl, PatchShape {
  kinds?: AttentionKind[];
  threshold?: number;
  /** Run on this batch instead of generating one (e.g. loaded with readPatchBatch). */
  batchData?: PatchBatch;
  /** Recorded in the protocol when `batchData` came from a file. */
  batchFile?: string;
  /** Data-driven variant: windows of this series (ignored when `batchData` is given). */
  series?: { values: ArrayLike<number>; file: string; column: string };
  /** Wall time per ONNX run when splitting the batch (default 300 ms). */
  chunkMs?: number;
}

/** Refuses a Bolt model whose patches overlap or leave gaps: the protocol needs patches that tile the context. */
export function tilingPatch(model: BoltModel): number {
  const b = model.config.bolt;
  if (b.inputPatchStride !== b.inputPatchSize) {
    throw new ChronosLensError('BAD_INPUT', `${model.name} cuts patches of ${b.inputPatchSize} values every ${b.inputPatchStride}; the patch mosaic needs patches that tile the context (stride = size)`);
  }
  return b.inputPatchSize;
}

/** Memory of a batch: the contexts and per-sequence values held throughout, and one row of the forward pass. */
function checkSize(model: BoltModel, batch: number, g: PatchGeometry, kinds: readonly AttentionKind[], lower: string[]): { held: number; perRow: number } {
  const t = model.config.t5;
  const encLen = g.patches + (model.config.bolt.useRegToken ? 1 : 0);
  const want = new Set(kinds);
  const kept = (want.has('encoder') ? t.numLayers : 0) + (want.has('cross') ? t.numDecoderLayers : 0);
  const held = together(typedNeed(batch * g.contextLength), typedNeed(2 * kept * t.numHeads * batch, 8));
  const row = forwardRowNeed(t, { encLen, decLen: 1, encoderAttentions: want.has('encoder'), crossQueries: want.has('cross') ? 1 : 0 });
  // the forward pass copies each row into its patch tensor (values and mask, float32)
  const perRow = row.bytes + g.contextLength * 4 * 3;
  ensureFits(`a patch mosaic of ${batch} contexts of ${g.contextLength} values`, { bytes: held.bytes + perRow, heapBytes: held.heapBytes, flops: batch * row.flops }, lower);
  return { held: held.bytes, perRow };
}

/** The batch a patch mosaic runs on, from the options (given, series windows, or random patches). */
export function patchMosaicBatch(model: BoltModel, opts: PatchMosaicOptions): PatchBatch {
  const size = tilingPatch(model);
  const ctx = model.config.bolt.contextLength;
  if (opts.batchData) return opts.batchData;
  const { shape, geometry } = checkedShape(opts, size, ctx, model.name);
  checkSize(model, shape.batch, geometry, opts.kinds ?? PATCH_MOSAIC_KINDS, ['batch', 'period', 'repeats']);
  if (opts.series) return seriesPatchBatch(opts.series.values, { ...opts, file: opts.series.file, column: opts.series.column }, size, ctx, model.name);
  return randomPatchBatch(opts, size, ctx, model.name);
}

/** Sum of weight x attention over the patches of a span. */
function read(data: Float32Array, base: number, span: { patch: number; weight: number }[]): number {
  let v = 0;
  for (const s of span) v += s.weight * data[base + s.patch];
  return v;
}

/** Runs the patch mosaics of `opts.kinds` (default cross and encoder) on one batch. */
export async function runPatchMosaic(model: BoltModel, opts: PatchMosaicOptions = {}): Promise<MosaicResult> {
  const kinds = opts.kinds ?? [...PATCH_MOSAIC_KINDS];
  if (kinds.length === 0) throw new ChronosLensError('BAD_INPUT', 'no mosaic kind selected');
  for (const k of kinds) {
    if (!PATCH_MOSAIC_KINDS.includes(k)) throw new ChronosLensError('BAD_INPUT', `mosaic kind "${k}" is not available for ${model.name}, a Chronos-Bolt model (cross or encoder: its one decoder token attends only to itself)`);
  }
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isFinite(threshold)) throw new ChronosLensError('BAD_INPUT', `threshold must be a number, got ${threshold}`);
  const size = tilingPatch(model);
  const batch = patchMosaicBatch(model, opts);
  const p = batch.protocol;
  const label = opts.batchFile ?? 'the patch batch';
  if (p.patchSize !== size) throw new ChronosLensError('BAD_INPUT', `${label} was made for patches of ${p.patchSize} values, but ${model.name} cuts patches of ${size}`);
  const g = patchGeometry(p, model.config.bolt.contextLength, model.name);
  const B = batch.contexts.length;
  checkInt('batch', B, 2);
  const room = checkSize(model, B, g, kinds, opts.batchData ? ['the batch file'] : ['batch', 'period', 'repeats']);
  const t = model.config.t5;
  const H = t.numHeads;
  const E = g.patches + (model.config.bolt.useRegToken ? 1 : 0);
  const want = new Set(kinds);
  const enc = want.has('encoder') ? newSamples(t.numLayers, H, B) : undefined;
  const cross = want.has('cross') ? newSamples(t.numDecoderLayers, H, B) : undefined;
  const qTargets = g.queries.map((q) => ({ q, ...copyTargets(g, q) }));
  const last = copyTargets(g, g.patches - 1);

  await forEachChunk(
    B,
    async (a, b) => {
      const r = await model.forward(batch.contexts.slice(a, b), { encoderAttentions: !!enc, crossAttentions: !!cross });
      if (enc) {
        r.encoderAttentions!.forEach((att, l) => {
          for (let i = 0; i < b - a; i++) {
            for (let h = 0; h < H; h++) {
              const base = (i * H + h) * E * E;
              let c = 0;
              let rt = 0;
              for (const x of qTargets) {
                c += read(att.data, base + x.q * E, x.center);
                rt += read(att.data, base + x.q * E, x.right);
              }
              enc[0][l][h][a + i] = c / qTargets.length;
              enc[1][l][h][a + i] = rt / qTargets.length;
            }
          }
        });
      }
      if (cross) {
        r.crossAttentions!.forEach((att, l) => {
          // [rows, H, 1, E]
          for (let i = 0; i < b - a; i++) {
            for (let h = 0; h < H; h++) {
              const base = (i * H + h) * E;
              cross[0][l][h][a + i] = read(att.data, base, last.center);
              cross[1][l][h][a + i] = read(att.data, base, last.right);
            }
          }
        });
      }
    },
    { signal: opts.signal, onProgress: opts.onProgress, targetMs: opts.chunkMs, maxRows: maxRowsFor(room.perRow, room.held), message: 'patch mosaic' },
  );

  const protocol: MosaicProtocol = {
    source: p.source,
    batch: B,
    seqLen: p.period,
    repeats: p.repeats,
    subExtension: p.subExtension,
    seed: p.seed,
    patch: g,
  };
  if (p.series) protocol.series = { file: p.series.file, column: p.series.column, scale: 0, windows: p.series.windows };
  if (opts.batchFile) protocol.tokensFile = opts.batchFile;
  return mosaicResult(model, protocol, { cross, encoder: enc }, { kinds, threshold, seeds: { patches: p.seed } });
}
