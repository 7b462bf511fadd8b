/**
 * Patch induction mosaics for the patch families (docs/patch-mosaic.md): the reference protocol's
 * scores read off patch attention, on the batches of analysis/patch-batch.ts.
 *  - encoder: for every query patch q of the last full repeat, the attention q -> the span `shift`
 *    values earlier (its copy: "center") and q -> the span one patch after that ("right"), a span
 *    straddling two patches read as the overlap-weighted sum of their attention; averaged over q.
 *    Chronos-Bolt: its encoder's self-attention; Chronos-2: the time self-attention among the context
 *    patches (every context alone in its group, one output patch).
 *  - cross: the forecast token's attention to the copy of the last context patch (center) and to the
 *    span after that copy (right: the values the forecast should repeat). Chronos-Bolt: the decoder
 *    token's cross-attention; Chronos-2: the first output-patch token's time attention.
 * With the period a multiple of the patch size every span is one patch and this is the T5 protocol
 * on patches. Bolt's one decoder token attends only to itself, and Chronos-2 has no decoder, so there is
 * no decoder mosaic. Means, standard errors, counts, thresholds and exports are the T5 mosaic's
 * (analysis/mosaic.ts); tools/reference/bolt_mosaic_reference.py and chronos2_analysis_reference.py
 * compute the same from the eager PyTorch attentions.
 */
import { ChronosLensError } from '../core/errors';
import { RunControl } from '../core/progress';
import { Need, ensureFits, forwardRowNeed, maxRowsFor, together, typedNeed } from '../core/limits';
import { FloatTensor } from '../core/tensor';
import { BoltModel } from '../models/bolt/model';
import { Chronos2Model } from '../models/chronos2/model';
import { checkInt, forEachChunk } from './common';
import { DEFAULT_THRESHOLD, mosaicResult, newSamples } from './mosaic';
import { PatchBatch, PatchShape, checkedShape, copyTargets, patchGeometry, randomPatchBatch, seriesPatchBatch } from './patch-batch';
import { AttentionKind, MosaicProtocol, MosaicResult, PatchGeometry } from './types';

/** The kinds a patch mosaic has (Bolt's decoder self-attention is one token onto itself; Chronos-2 has no decoder). */
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

export type PatchModel = BoltModel | Chronos2Model;

/** Refuses a Bolt model whose patches overlap or leave gaps: the protocol needs patches that tile the context. */
export function tilingPatch(model: BoltModel): number {
  const b = model.config.bolt;
  if (b.inputPatchStride !== b.inputPatchSize) {
    throw new ChronosLensError('BAD_INPUT', `${model.name} cuts patches of ${b.inputPatchSize} values every ${b.inputPatchStride}; the patch mosaic needs patches that tile the context (stride = size)`);
  }
  return b.inputPatchSize;
}

/**
 * What the protocol needs from a patch family: its patch size (patches that tile the context), its
 * context length, the layers of each kind, an estimate of one row's forward pass, and a forward pass
 * returning per layer the attention rows the scores read: `encoderRow(i, h, q)` is the offset of context
 * patch q's row (of `keys` entries, key k = context patch k) for sequence i and head h, `crossRow(i, h)`
 * the forecast token's.
 */
interface PatchFamily {
  size: number;
  contextLength: number;
  layers: Record<'encoder' | 'cross', number>;
  rowNeed(g: PatchGeometry, want: ReadonlySet<AttentionKind>): Need;
  attend(contexts: Float32Array[], want: ReadonlySet<AttentionKind>): Promise<PatchAttention>;
}

interface PatchAttention {
  encoder?: FloatTensor[];
  cross?: FloatTensor[];
  encoderRow(i: number, h: number, q: number): number;
  crossRow(i: number, h: number): number;
}

function patchFamily(model: PatchModel): PatchFamily {
  const t = model.config.t5;
  const H = t.numHeads;
  if (model instanceof Chronos2Model) {
    const x = model.config.chronos2;
    return {
      size: x.patchSize,
      contextLength: x.contextLength,
      layers: { encoder: t.numLayers, cross: t.numLayers },
      rowNeed: (g) => forwardRowNeed(t, { encLen: g.patches + 2, decLen: 0, encoderAttentions: true }),
      attend: async (contexts) => {
        // each context alone in its group, one output patch: its first token is the forecast token
        const r = await model.forward({ rows: contexts, outputPatches: 1 }, { timeAttentions: true });
        const T = r.tokens;
        return {
          encoder: r.timeAttentions,
          cross: r.timeAttentions,
          encoderRow: (i, h, q) => ((i * H + h) * T + q) * T,
          crossRow: (i, h) => ((i * H + h) * T + r.firstOutputToken) * T,
        };
      },
    };
  }
  const b = model.config.bolt;
  const reg = b.useRegToken ? 1 : 0;
  return {
    size: tilingPatch(model),
    contextLength: b.contextLength,
    layers: { encoder: t.numLayers, cross: t.numDecoderLayers },
    rowNeed: (g, want) => forwardRowNeed(t, { encLen: g.patches + reg, decLen: 1, encoderAttentions: want.has('encoder'), crossQueries: want.has('cross') ? 1 : 0 }),
    attend: async (contexts, want) => {
      const r = await model.forward(contexts, { encoderAttentions: want.has('encoder'), crossAttentions: want.has('cross') });
      const E = (r.encoderAttentions ?? r.crossAttentions)![0].dims[3];
      return {
        encoder: r.encoderAttentions,
        cross: r.crossAttentions,
        encoderRow: (i, h, q) => ((i * H + h) * E + q) * E,
        // [rows, H, 1, E]
        crossRow: (i, h) => (i * H + h) * E,
      };
    },
  };
}

/** Memory of a batch: the contexts and per-sequence values held throughout, and one row of the forward pass. */
function checkSize(model: PatchModel, fam: PatchFamily, batch: number, g: PatchGeometry, kinds: readonly AttentionKind[], lower: string[]): { held: number; perRow: number } {
  const t = model.config.t5;
  const want = new Set(kinds);
  const kept = (want.has('encoder') ? fam.layers.encoder : 0) + (want.has('cross') ? fam.layers.cross : 0);
  const held = together(typedNeed(batch * g.contextLength), typedNeed(2 * kept * t.numHeads * batch, 8));
  const row = fam.rowNeed(g, want);
  // the forward pass copies each row into its patch tensor (values and mask, float32)
  const perRow = row.bytes + g.contextLength * 4 * 3;
  ensureFits(`a patch mosaic of ${batch} contexts of ${g.contextLength} values`, { bytes: held.bytes + perRow, heapBytes: held.heapBytes, flops: batch * row.flops }, lower);
  return { held: held.bytes, perRow };
}

/** The batch a patch mosaic runs on, from the options (given, series windows, or random patches). */
export function patchMosaicBatch(model: PatchModel, opts: PatchMosaicOptions): PatchBatch {
  const fam = patchFamily(model);
  const { size, contextLength: ctx } = fam;
  if (opts.batchData) return opts.batchData;
  const { shape, geometry } = checkedShape(opts, size, ctx, model.name);
  checkSize(model, fam, shape.batch, geometry, opts.kinds ?? PATCH_MOSAIC_KINDS, ['batch', 'period', 'repeats']);
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
export async function runPatchMosaic(model: PatchModel, opts: PatchMosaicOptions = {}): Promise<MosaicResult> {
  const kinds = opts.kinds ?? [...PATCH_MOSAIC_KINDS];
  if (kinds.length === 0) throw new ChronosLensError('BAD_INPUT', 'no mosaic kind selected');
  for (const k of kinds) {
    if (!PATCH_MOSAIC_KINDS.includes(k)) {
      const why = model instanceof Chronos2Model ? 'a Chronos-2 model (cross: the forecast token\'s time attention, or encoder: time attention among the context patches; it has no decoder)' : 'a Chronos-Bolt model (cross or encoder: its one decoder token attends only to itself)';
      throw new ChronosLensError('BAD_INPUT', `mosaic kind "${k}" is not available for ${model.name}, ${why}`);
    }
  }
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isFinite(threshold)) throw new ChronosLensError('BAD_INPUT', `threshold must be a number, got ${threshold}`);
  const fam = patchFamily(model);
  const batch = patchMosaicBatch(model, opts);
  const p = batch.protocol;
  const label = opts.batchFile ?? 'the patch batch';
  if (p.patchSize !== fam.size) throw new ChronosLensError('BAD_INPUT', `${label} was made for patches of ${p.patchSize} values, but ${model.name} cuts patches of ${fam.size}`);
  const g = patchGeometry(p, fam.contextLength, model.name);
  const B = batch.contexts.length;
  checkInt('batch', B, 2);
  const room = checkSize(model, fam, B, g, kinds, opts.batchData ? ['the batch file'] : ['batch', 'period', 'repeats']);
  const H = model.config.t5.numHeads;
  const want = new Set(kinds);
  const enc = want.has('encoder') ? newSamples(fam.layers.encoder, H, B) : undefined;
  const cross = want.has('cross') ? newSamples(fam.layers.cross, H, B) : undefined;
  const qTargets = g.queries.map((q) => ({ q, ...copyTargets(g, q) }));
  const last = copyTargets(g, g.patches - 1);

  await forEachChunk(
    B,
    async (a, b) => {
      const r = await fam.attend(batch.contexts.slice(a, b), want);
      if (enc) {
        r.encoder!.forEach((att, l) => {
          for (let i = 0; i < b - a; i++) {
            for (let h = 0; h < H; h++) {
              let c = 0;
              let rt = 0;
              for (const x of qTargets) {
                const base = r.encoderRow(i, h, x.q);
                c += read(att.data, base, x.center);
                rt += read(att.data, base, x.right);
              }
              enc[0][l][h][a + i] = c / qTargets.length;
              enc[1][l][h][a + i] = rt / qTargets.length;
            }
          }
        });
      }
      if (cross) {
        r.cross!.forEach((att, l) => {
          for (let i = 0; i < b - a; i++) {
            for (let h = 0; h < H; h++) {
              const base = r.crossRow(i, h);
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
