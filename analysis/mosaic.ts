/**
 * Induction mosaics, the background article's protocol:
 *  - cross: score[layer][head] = batch mean of the decoder cross-attention probability from decoder
 *    position 1 (holding S[sub]) to encoder position seqLen*(repeats-1)+sub ("center": the latest
 *    earlier copy of that token) and the position after it ("right": the token that followed it).
 *    Computed with the cross-attention-only graph restricted to decoder query 1.
 *  - encoder: for every position p of the last repeat, attention p -> p - seqLen (center) and
 *    p -> p - seqLen + 1 (right), averaged over p (TransformerLens' diagonal-offset score).
 *  - decoder: the decoder teacher-forced on the repeated sequence ([start] + encoder ids without EOS,
 *    so decoder position p + 1 holds sequence token p); query p + 1, keys p + 1 - seqLen (center) and
 *    p + 2 - seqLen (right), p over the last repeat.
 * Every cell is the batch mean of per-sequence values, with its standard error (std ddof=1 / sqrt(n));
 * counts at a threshold as the article's table: center / right / total (either) / percent of heads.
 * This is exactly what tools/reference/mosaic_reference.py computes with transformers.
 */
import { ChronosLensError } from '../core/errors';
import { RunControl } from '../core/progress';
import { ChronosModel } from '../models/model';
import { AnyModel, isChronos2 } from '../models/load';
import { BOUNDS, ModelDims, NO_NEED, Need, ensureFits, forwardRowNeed, maxRowsFor, together, tokenRowsNeed, typedNeed } from '../core/limits';
import { builderVersion, checkInt, forEachChunk, makeManifest, modelSummary, stepProgress } from './common';
import { meanStderr } from './stats';
import { PROTOCOL_DEFAULTS, TokenBatch, centerIndex, randomTokenBatch, seriesTokenBatch } from './tokens';
import { ATTENTION_KINDS, AttentionKind, HeadCounts, LayerHead, InductionParams, MosaicKind, MosaicProtocol, MosaicResult } from './types';

export const DEFAULT_THRESHOLD = 0.3;

/** Absent induction parameters take the reference protocol's (PROTOCOL_DEFAULTS: random tokens from 1911..2187). */
export interface MosaicOptions extends RunControl, Partial<InductionParams> {
  /** Which mosaics (default: all three). */
  kinds?: AttentionKind[];
  threshold?: number;
  /** Run on this batch instead of generating one (e.g. loaded with readTokenBatch). */
  tokens?: TokenBatch;
  /** Recorded in the protocol when `tokens` came from a file. */
  tokensFile?: string;
  /** Data-driven variant: windows cut from this series (ignored when `tokens` is given). */
  series?: { values: ArrayLike<number>; file: string; column: string; scale?: number };
  /** Wall time per ONNX run when splitting the batch (default 300 ms). */
  chunkMs?: number;
}

/** Per-sequence values: [side 0 center / 1 right][layer][head] -> Float64Array(batch). */
export type Samples = Float64Array[][][];

export function newSamples(layers: number, heads: number, batch: number): Samples {
  return [0, 1].map(() => Array.from({ length: layers }, () => Array.from({ length: heads }, () => new Float64Array(batch))));
}

export function countHeads(center: LayerHead, right: LayerHead, threshold: number): HeadCounts {
  let c = 0;
  let r = 0;
  let t = 0;
  let n = 0;
  for (let l = 0; l < center.length; l++) {
    for (let h = 0; h < center[l].length; h++) {
      const ce = center[l][h] >= threshold;
      const ri = right[l][h] >= threshold;
      n++;
      if (ce) c++;
      if (ri) r++;
      if (ce || ri) t++;
    }
  }
  return { center: c, right: r, total: t, heads: n, percent: n ? (100 * t) / n : 0 };
}

/** Every cell's batch mean and standard error, and the head counts at the threshold (every protocol's mosaics). */
export function summarise(s: Samples, threshold: number): MosaicKind {
  const layers = s[0].length;
  const heads = layers ? s[0][0].length : 0;
  const stat = (side: number) => s[side].map((row) => row.map((v) => meanStderr(v)));
  const c = stat(0);
  const r = stat(1);
  const center = c.map((row) => row.map((x) => x.mean));
  const right = r.map((row) => row.map((x) => x.mean));
  return {
    layers,
    heads,
    center,
    right,
    stderr: { center: c.map((row) => row.map((x) => x.stderr)), right: r.map((row) => row.map((x) => x.stderr)) },
    counts: countHeads(center, right, threshold),
  };
}

/** Recomputes every kind's counts at another threshold (no model run). */
export function withThreshold(result: MosaicResult, threshold: number): MosaicResult {
  const out: MosaicResult = { ...result, threshold };
  for (const k of ATTENTION_KINDS) {
    const m = result[k];
    if (m) out[k] = { ...m, counts: countHeads(m.center, m.right, threshold) };
  }
  return out;
}

function flat(rows: number[][], start: number, end: number): { data: Int32Array; dims: [number, number] } {
  const w = rows[start].length;
  const data = new Int32Array((end - start) * w);
  for (let i = start; i < end; i++) data.set(rows[i], (i - start) * w);
  return { data, dims: [end - start, w] };
}

function ones(rows: number, cols: number): { data: Int32Array; dims: [number, number] } {
  return { data: new Int32Array(rows * cols).fill(1), dims: [rows, cols] };
}

/**
 * What a mosaic of `batch` rows of `encLen` encoder tokens needs: the token rows and per-sequence values
 * held throughout, and one row of the largest forward pass (the captured attention grows with encLen²).
 */
export function mosaicNeed(t: ModelDims, batch: number, encLen: number, kinds: readonly AttentionKind[]): { need: Need; held: number; perRow: number } {
  const want = new Set(kinds);
  const H = t.numHeads;
  const kept = (want.has('encoder') ? t.numLayers : 0) + (want.has('cross') ? t.numDecoderLayers : 0) + (want.has('decoder') ? t.numDecoderLayers : 0);
  const held = together(tokenRowsNeed(batch, encLen + 2), typedNeed(2 * kept * H * batch, 8));
  const cross = want.has('cross') ? forwardRowNeed(t, { encLen, decLen: 2, crossQueries: 1 }) : NO_NEED;
  const self = want.has('encoder') || want.has('decoder') ? forwardRowNeed(t, { encLen, decLen: want.has('decoder') ? encLen : 0, encoderAttentions: want.has('encoder'), decoderAttentions: want.has('decoder') }) : NO_NEED;
  // a chunk's rows are also copied into flat input tensors (and, for the decoder mosaic, shifted JS rows)
  const perRow = Math.max(cross.bytes, self.bytes) + encLen * 8 * 3;
  return { need: { bytes: held.bytes + perRow, heapBytes: held.heapBytes, flops: batch * (cross.flops + self.flops) }, held: held.bytes, perRow };
}

/** Refuses a mosaic that cannot fit before its token batch is generated (see mosaicNeed). */
function checkMosaicSize(model: ChronosModel, batch: number, encLen: number, kinds: readonly AttentionKind[], lower: string[]): { held: number; perRow: number } {
  const n = mosaicNeed(model.config.t5, batch, encLen, kinds);
  ensureFits(`a mosaic of ${batch} sequences of ${encLen} tokens`, n.need, lower);
  return n;
}

/** The batch a mosaic runs on, from the options (given, series windows, or random tokens). */
export function mosaicTokenBatch(model: ChronosModel, opts: MosaicOptions): TokenBatch {
  if (opts.tokens) return opts.tokens;
  {
    const seqLen = checkInt('seqLen', opts.seqLen ?? PROTOCOL_DEFAULTS.seqLen, BOUNDS.seqLen.min, BOUNDS.seqLen.max);
    const repeats = checkInt('repeats', opts.repeats ?? PROTOCOL_DEFAULTS.repeats, BOUNDS.repeats.min, BOUNDS.repeats.max);
    const batch = checkInt('batch', opts.batch ?? PROTOCOL_DEFAULTS.batch, BOUNDS.mosaicBatch.min, BOUNDS.mosaicBatch.max);
    const sub = checkInt('subExtension (must be < seqLen)', opts.subExtension ?? PROTOCOL_DEFAULTS.subExtension, 0, seqLen - 1);
    checkMosaicSize(model, batch, seqLen * repeats + sub + 1, opts.kinds ?? ATTENTION_KINDS, ['batch', 'seqLen', 'repeats']);
  }
  const eos = model.config.chronos.eosTokenId;
  const start = model.config.t5.decoderStartTokenId;
  const shape = { batch: opts.batch, seqLen: opts.seqLen, repeats: opts.repeats, subExtension: opts.subExtension, seed: opts.seed, eosTokenId: eos, decoderStartTokenId: start };
  if (opts.series) return seriesTokenBatch(model.tokenizer, opts.series.values, { ...shape, scale: opts.series.scale, file: opts.series.file, column: opts.series.column });
  return randomTokenBatch({ ...shape, vocab: opts.vocab });
}

/** Runs the mosaics of `opts.kinds` on one token batch. */
export async function runMosaic(model: ChronosModel, opts: MosaicOptions = {}): Promise<MosaicResult> {
  const kinds = opts.kinds ?? [...ATTENTION_KINDS];
  if (kinds.length === 0) throw new ChronosLensError('BAD_INPUT', 'no mosaic kind selected');
  for (const k of kinds) if (!ATTENTION_KINDS.includes(k)) throw new ChronosLensError('BAD_INPUT', `unknown mosaic kind "${k}" (expected cross, encoder or decoder)`);
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isFinite(threshold)) throw new ChronosLensError('BAD_INPUT', `threshold must be a number, got ${threshold}`);
  const tokens = mosaicTokenBatch(model, opts);
  const p = tokens.protocol;
  const t = model.config.t5;
  const label = opts.tokensFile ?? (p.source === 'series' ? 'the series windows' : 'the token batch');
  let maxId = 0;
  for (const row of tokens.encoder_input_ids) for (const v of row) maxId = Math.max(maxId, v);
  for (const row of tokens.decoder_input_ids) for (const v of row) maxId = Math.max(maxId, v);
  if (maxId >= t.vocabSize) {
    throw new ChronosLensError('BAD_INPUT', `${label} holds token id ${maxId}, but ${model.name} has a vocabulary of ${t.vocabSize} ids (0..${t.vocabSize - 1}); pick a --vocab range inside it`);
  }
  const B = tokens.encoder_input_ids.length;
  const encLen = tokens.encoder_input_ids[0].length;
  const size = checkMosaicSize(model, B, encLen, kinds, opts.tokens ? ['tokens'] : ['batch', 'seqLen', 'repeats']);
  const { seqLen: sl, repeats: r } = p;
  const H = t.numHeads;
  const want = new Set(kinds);
  const prog = stepProgress(opts.onProgress, [want.has('cross') ? 1 : 0, want.has('encoder') || want.has('decoder') ? 3 : 0]);
  const chunk = { signal: opts.signal, targetMs: opts.chunkMs, maxRows: maxRowsFor(size.perRow, size.held) };
  const out: Partial<Record<AttentionKind, Samples>> = {};

  if (want.has('cross')) {
    const s = newSamples(t.numDecoderLayers, H, B);
    const sIdx = centerIndex(p);
    await forEachChunk(B, async (a, b) => {
      const res = await model.forward({ inputIds: flat(tokens.encoder_input_ids, a, b), attentionMask: ones(b - a, encLen), decoderInputIds: flat(tokens.decoder_input_ids, a, b) }, { crossAttentions: true, crossQuery: 1 });
      res.crossAttentions!.forEach((att, l) => {
        // [rows, H, 1, encLen]
        for (let i = 0; i < b - a; i++) {
          for (let h = 0; h < H; h++) {
            const base = (i * H + h) * encLen;
            s[0][l][h][a + i] = att.data[base + sIdx];
            s[1][l][h][a + i] = att.data[base + sIdx + 1];
          }
        }
      });
    }, { ...chunk, onProgress: prog(0), message: 'cross-attention mosaic' });
    out.cross = s;
  }

  if (want.has('encoder') || want.has('decoder')) {
    const enc = want.has('encoder') ? newSamples(t.numLayers, H, B) : undefined;
    const dec = want.has('decoder') ? newSamples(t.numDecoderLayers, H, B) : undefined;
    const p0 = sl * (r - 1);
    const positions = Array.from({ length: sl }, (_, i) => p0 + i);
    // Mean over the last repeat of a[q(p)][k(p)] for one row/head of an attention tensor [.., T, T].
    const diag = (data: Float32Array, base: number, T: number, qOff: number, kOff: number) => {
      let acc = 0;
      for (const q of positions) acc += data[base + (q + qOff) * T + (q + qOff - sl + kOff)];
      return acc / positions.length;
    };
    await forEachChunk(B, async (a, b) => {
      const inputIds = flat(tokens.encoder_input_ids, a, b);
      const attentionMask = ones(b - a, encLen);
      let encAtt;
      let decAtt;
      if (dec) {
        const start = p.decoderStartTokenId ?? PROTOCOL_DEFAULTS.decoderStartTokenId;
        const rows = tokens.encoder_input_ids.slice(a, b).map((e) => [start, ...e.slice(0, -1)]);
        const res = await model.forward({ inputIds, attentionMask, decoderInputIds: flat(rows, 0, rows.length) }, { encoderAttentions: !!enc, decoderAttentions: true });
        encAtt = res.encoderAttentions;
        decAtt = res.decoderAttentions;
      } else {
        encAtt = (await model.encode(inputIds, attentionMask, { encoderAttentions: true })).attentions;
      }
      const T = encLen;
      const fill = (s: Samples, atts: { data: Float32Array }[], qOff: number) => {
        atts.forEach((att, l) => {
          for (let i = 0; i < b - a; i++) {
            for (let h = 0; h < H; h++) {
              const base = (i * H + h) * T * T;
              s[0][l][h][a + i] = diag(att.data, base, T, qOff, 0);
              s[1][l][h][a + i] = diag(att.data, base, T, qOff, 1);
            }
          }
        });
      };
      if (enc) fill(enc, encAtt!, 0);
      if (dec) fill(dec, decAtt!, 1);
    }, { ...chunk, onProgress: prog(1), message: want.has('decoder') ? 'encoder/decoder self-attention mosaics' : 'encoder self-attention mosaic' });
    if (enc) out.encoder = enc;
    if (dec) out.decoder = dec;
  }

  const protocol: MosaicProtocol = {
    source: p.source ?? 'random-tokens',
    batch: B,
    seqLen: sl,
    repeats: r,
    subExtension: p.subExtension,
    vocab: [p.vocab[0], p.vocab[1]],
    seed: p.seed,
    eosTokenId: p.eosTokenId ?? PROTOCOL_DEFAULTS.eosTokenId,
    decoderStartTokenId: p.decoderStartTokenId ?? PROTOCOL_DEFAULTS.decoderStartTokenId,
  };
  if (p.series) protocol.series = { file: p.series.file, column: p.series.column, scale: p.series.scale, windows: p.series.windows };
  if (opts.tokensFile) protocol.tokensFile = opts.tokensFile;
  return mosaicResult(model, protocol, out, { kinds, threshold, seeds: { tokens: p.seed } });
}

/** A mosaic result of every family: the model, the protocol, and each kind's samples summarised at the threshold. */
export async function mosaicResult(
  model: AnyModel,
  protocol: MosaicProtocol,
  samples: Partial<Record<AttentionKind, Samples>>,
  o: { kinds: AttentionKind[]; threshold: number; seeds: Record<string, number> },
): Promise<MosaicResult> {
  const result: MosaicResult = {
    model: await modelSummary(model),
    protocol,
    threshold: o.threshold,
    // Chronos-2 has no decoder: its forecast-token kind ("cross") reads the encoder's layers
    layers: isChronos2(model) ? model.config.t5.numLayers : model.config.t5.numDecoderLayers,
    heads: model.config.t5.numHeads,
    manifest: await makeManifest(model, 'mosaic', o.seeds, { kinds: o.kinds, threshold: o.threshold, ...protocol }, builderVersion(model)),
  };
  for (const k of ATTENTION_KINDS) {
    const s = samples[k];
    if (s) result[k] = summarise(s, o.threshold);
  }
  return result;
}
