/**
 * The attention lens of the series view. `AttentionLens.compute` runs the model once for a series
 * (per document version): the encoder self-attention of every layer and head over the context, and,
 * when a forecast is given, the cross-attention of the decoder teacher-forced with it (e.g. the
 * median forecast). Hover queries (`rowsAt`, `crossAt`) are then answered from memory: slicing rows,
 * top-k and the same-token positions, no model run.
 *
 * Positions are 0-based in the context window (the last `context_length` values of the series);
 * `offset` is the index in the input of context position 0. Rows cover the context keys (EOS
 * excluded), so a row sums to 1 minus the attention on EOS.
 *
 * Memory: encoder layers x heads x (T+1)^2 x 4 bytes (T = context length), e.g. 6 x 8 x 513^2 x 4 =
 * 50 MB for chronos-t5-small at T = 512; cross rows add decoder layers x heads x steps x (T+1) x 4.
 */
import { ChronosLensError } from '../core/errors';
import { RunControl, throwIfAborted } from '../core/progress';
import { FloatTensor } from '../core/tensor';
import { ChronosModel } from '../models/model';
import { BoltModel } from '../models/bolt/model';
import { ensureFits, forwardRowNeed } from '../core/limits';
import { LensResult } from './types';

export const DEFAULT_TOP_K = 5;

export interface LensOptions extends RunControl {
  /** Forecast values (data units) to teacher-force the decoder with, for cross-attention rows. */
  forecast?: ArrayLike<number>;
  /** The forecast as token ids instead (takes precedence over `forecast`). */
  forecastTokens?: ArrayLike<number>;
}

export interface RowQuery {
  /** Only this layer's rows / top entries are filled (the others are empty arrays). */
  layer?: number;
  /** Only this head's rows / top entries are filled (within the selected layers). */
  head?: number;
  /** Top attended positions per head (default 5). */
  topK?: number;
  /**
   * Round row weights to this many decimals (e.g. 6), which makes a webview message several times
   * smaller; default: the exact float32 values. Top-k weights are never rounded.
   */
  decimals?: number;
}

export interface TopEntry {
  position: number;
  weight: number;
}

/** The k largest entries of `row`, largest first (ties: lower position first). */
export function topK(row: ArrayLike<number>, k: number): TopEntry[] {
  const out: TopEntry[] = [];
  if (k <= 0) return out;
  for (let i = 0; i < row.length; i++) {
    const w = row[i];
    if (!(w === w)) continue; // NaN
    if (out.length < k) out.push({ position: i, weight: w });
    else if (w > out[k - 1].weight) out[k - 1] = { position: i, weight: w };
    else continue;
    for (let j = out.length - 1; j > 0 && out[j - 1].weight < w; j--) {
      const tmp = out[j - 1];
      out[j - 1] = out[j];
      out[j] = tmp;
    }
  }
  return out;
}

/**
 * Context positions holding `token` (observed ones, `exclude` left out), and the positions right after
 * them (within the context, `exclude` left out): what an induction head attends to.
 */
export function sameTokenPositions(tokens: ArrayLike<number>, mask: ArrayLike<number>, token: number, exclude: number): { sameToken: number[]; nextToken: number[] } {
  const sameToken: number[] = [];
  const nextToken: number[] = [];
  for (let q = 0; q < tokens.length; q++) {
    if (q === exclude || !mask[q] || tokens[q] !== token) continue;
    sameToken.push(q);
    if (q + 1 < tokens.length && q + 1 !== exclude) nextToken.push(q + 1);
  }
  return { sameToken, nextToken };
}

export class AttentionLens {
  /** Forecast steps with cross rows (0 when no forecast was given). */
  private crossSteps = 0;
  private cross?: FloatTensor[];
  private crossTokens?: Int32Array;

  private constructor(
    readonly modelName: string,
    readonly layers: number,
    readonly decoderLayers: number,
    readonly heads: number,
    /** Context positions (EOS excluded). */
    readonly contextLength: number,
    /** Token id and mask (1 observed, 0 missing) per context position. */
    readonly tokens: Int32Array,
    readonly mask: Uint8Array,
    readonly scale: number,
    /** Index in the input series of context position 0. */
    readonly offset: number,
    /** Per encoder layer [1, heads, T+1, T+1] (keys include EOS). */
    private readonly enc: FloatTensor[],
    /**
     * What a context position is: one value (Chronos-T5), or a patch of `size` values every `stride`
     * (Chronos-Bolt: position p covers input indices offset + p x stride .. + size - 1; offset may be
     * negative, where the first patch is padded on the left).
     */
    readonly patch: { size: number; stride: number } = { size: 1, stride: 1 },
  ) {}

  /**
   * The lens of a Chronos-Bolt model: positions are patches, [REG] is left out of the keys as EOS is;
   * its one decoder token reads the context once for the whole horizon, so every forecast step has the
   * same cross-attention row. `tokens` holds patch indices (no two patches share a token).
   */
  static async computeBolt(model: BoltModel, values: ArrayLike<number>, opts: RunControl = {}): Promise<AttentionLens> {
    throwIfAborted(opts.signal);
    if (values.length === 0) throw new ChronosLensError('BAD_INPUT', 'the series is empty');
    const b = model.config.bolt;
    const t = model.config.t5;
    opts.onProgress?.({ fraction: 0, message: 'attention lens' });
    const r = await model.forward([values], { encoderAttentions: true, crossAttentions: true });
    throwIfAborted(opts.signal);
    const row = r.rows[0];
    if (!row.patched.observed.some((o) => o === 1)) throw new ChronosLensError('BAD_INPUT', 'the context has no observed values');
    const P = r.patches;
    const used = Math.min(values.length, b.contextLength);
    const offset = values.length - used + row.patched.start[0];
    const lens = new AttentionLens(model.name, t.numLayers, t.numDecoderLayers, t.numHeads, P, Int32Array.from({ length: P }, (_, p) => p), row.patched.observed.slice(), row.norm.scale, offset, r.encoderAttentions!, { size: b.inputPatchSize, stride: b.inputPatchStride });
    // One query for every step: repeat it over the horizon so that step queries read as for T5.
    const T = b.predictionLength;
    const te = r.encLen;
    const cross = r.crossAttentions!.map((a) => {
      const out = new Float32Array(t.numHeads * T * te);
      for (let h = 0; h < t.numHeads; h++) for (let s = 0; s < T; s++) out.set(a.data.subarray(h * te, (h + 1) * te), (h * T + s) * te);
      return { data: out, dims: [1, t.numHeads, T, te] };
    });
    lens.setCross(cross, new Int32Array(T).fill(-1));
    opts.onProgress?.({ fraction: 1, message: 'attention lens' });
    return lens;
  }

  /** Runs the encoder (and, with a forecast, the teacher-forced decoder) once for a series. */
  static async compute(model: ChronosModel, values: ArrayLike<number>, opts: LensOptions = {}): Promise<AttentionLens> {
    throwIfAborted(opts.signal);
    if (values.length === 0) throw new ChronosLensError('BAD_INPUT', 'the series is empty');
    const tc = model.tokenizer.encode(values);
    if (!tc.mask.some((m, i) => m === 1 && i < tc.kept)) throw new ChronosLensError('BAD_INPUT', 'the context has no observed values');
    const t = model.config.t5;
    const te = tc.ids.length;
    const hasEos = te > tc.kept;
    const ids = { data: tc.ids, dims: [1, te] as [number, number] };
    const mask = { data: tc.mask, dims: [1, te] as [number, number] };
    const decTokens = forecastTokensOf(model, tc.scale, opts);
    checkLensSize(model, te, decTokens?.length ?? 0);
    let enc: FloatTensor[];
    let cross: FloatTensor[] | undefined;
    opts.onProgress?.({ fraction: 0, message: 'attention lens' });
    if (decTokens) {
      const r = await model.forward({ inputIds: ids, attentionMask: mask, decoderInputIds: decoderIds(t.decoderStartTokenId, decTokens) }, { encoderAttentions: true, crossAttentions: true });
      enc = r.encoderAttentions!;
      cross = r.crossAttentions!;
    } else {
      enc = (await model.encode(ids, mask, { encoderAttentions: true })).attentions!;
    }
    throwIfAborted(opts.signal);
    opts.onProgress?.({ fraction: 1, message: 'attention lens' });
    const lens = new AttentionLens(model.name, t.numLayers, t.numDecoderLayers, t.numHeads, hasEos ? te - 1 : te, tc.ids.slice(0, tc.kept), tc.mask.slice(0, tc.kept), tc.scale, tc.offset, enc);
    if (decTokens && cross) lens.setCross(cross, decTokens);
    return lens;
  }

  /**
   * The context position holding index `i` of the input the lens was computed from: the value itself
   * (Chronos-T5), or the (last) patch covering it (Chronos-Bolt); -1 outside the context.
   */
  positionAt(i: number): number {
    const d = i - this.offset;
    if (!Number.isInteger(d) || d < 0) return -1;
    const p = Math.min(Math.floor(d / this.patch.stride), this.contextLength - 1);
    return d - p * this.patch.stride < this.patch.size ? p : -1;
  }

  /** Input indices [first, last] of context position `p` (first < 0 in a left-padded first patch). */
  spanOf(p: number): [number, number] {
    this.checkPosition(p);
    const first = this.offset + p * this.patch.stride;
    return [first, first + this.patch.size - 1];
  }

  /** Adds (or replaces) the cross-attention rows for a forecast, e.g. once the forecast is ready. */
  async setForecast(model: ChronosModel, forecast: { values?: ArrayLike<number>; tokens?: ArrayLike<number> }, ctl: RunControl = {}): Promise<void> {
    throwIfAborted(ctl.signal);
    const t = model.config.t5;
    if (model.name !== this.modelName || t.numLayers !== this.layers || t.numHeads !== this.heads) throw new ChronosLensError('BAD_INPUT', `this lens was computed with ${this.modelName}`);
    const decTokens = forecastTokensOf(model, this.scale, { forecast: forecast.values, forecastTokens: forecast.tokens });
    if (!decTokens) throw new ChronosLensError('BAD_INPUT', 'setForecast needs forecast values or tokens');
    const te = this.enc[0].dims[2];
    checkLensSize(model, te, decTokens.length);
    const ids = new Int32Array(te);
    ids.set(this.tokens);
    const mask = new Uint8Array(te).fill(1);
    mask.set(this.mask);
    if (te > this.contextLength) ids[te - 1] = model.config.chronos.eosTokenId;
    const r = await model.forward({ inputIds: { data: ids, dims: [1, te] }, attentionMask: { data: mask, dims: [1, te] }, decoderInputIds: decoderIds(t.decoderStartTokenId, decTokens) }, { crossAttentions: true });
    throwIfAborted(ctl.signal);
    this.setCross(r.crossAttentions!, decTokens);
  }

  private setCross(cross: FloatTensor[], tokens: Int32Array): void {
    this.cross = cross;
    this.crossTokens = tokens;
    this.crossSteps = tokens.length;
  }

  get forecastSteps(): number {
    return this.crossSteps;
  }

  /** Bytes of attention held. */
  get bytes(): number {
    return [...this.enc, ...(this.cross ?? [])].reduce((a, x) => a + x.data.byteLength, 0);
  }

  /** The full encoder attention of a layer: [heads, T+1, T+1] (keys and queries include EOS). */
  encoderAttention(layer: number): FloatTensor {
    this.checkLayer(layer, this.layers, 'encoder');
    const d = this.enc[layer].dims;
    return { data: this.enc[layer].data, dims: [d[1], d[2], d[3]] };
  }

  /** One encoder row (a view, no copy): attention of context `position` over the context keys. */
  encoderRow(layer: number, head: number, position: number): Float32Array {
    this.checkLayer(layer, this.layers, 'encoder');
    this.checkHead(head);
    this.checkPosition(position);
    const te = this.enc[layer].dims[2];
    const base = (head * te + position) * te;
    return this.enc[layer].data.subarray(base, base + this.contextLength);
  }

  /** One cross row (a view): attention of the decoder query that predicts forecast `step`. */
  crossRow(layer: number, head: number, step: number): Float32Array {
    this.checkLayer(layer, this.decoderLayers, 'decoder');
    this.checkHead(head);
    this.checkStep(step);
    const te = this.cross![layer].dims[3];
    const base = (head * this.crossSteps + step) * te;
    return this.cross![layer].data.subarray(base, base + this.contextLength);
  }

  /**
   * Encoder self-attention rows of context `position`, every layer and head (or the selected ones),
   * with top-k and the positions holding the same token (and the ones after them).
   */
  rowsAt(position: number, q: RowQuery = {}): LensResult {
    this.checkPosition(position);
    const same = this.mask[position] ? sameTokenPositions(this.tokens, this.mask, this.tokens[position], position) : { sameToken: [], nextToken: [] };
    return this.result('encoder', position, this.layers, (l, h) => this.encoderRow(l, h, position), same, q);
  }

  /**
   * Cross-attention rows of forecast step `step`: the decoder query at position `step` (its input is the
   * previous forecast token, or the decoder start for step 0), which predicts step `step`. Same-token
   * positions are those of the value before the step: the last context value for step 0, else the
   * forecast token of step - 1.
   */
  crossAt(step: number, q: RowQuery = {}): LensResult {
    this.checkStep(step);
    const last = this.contextLength - 1;
    const same = step === 0 ? sameTokenPositions(this.tokens, this.mask, this.tokens[last], last) : sameTokenPositions(this.tokens, this.mask, this.crossTokens![step - 1], -1);
    return this.result('cross', step, this.decoderLayers, (l, h) => this.crossRow(l, h, step), same, q);
  }

  private result(kind: 'encoder' | 'cross', position: number, layers: number, row: (l: number, h: number) => Float32Array, same: { sameToken: number[]; nextToken: number[] }, q: RowQuery): LensResult {
    if (q.layer !== undefined) this.checkLayer(q.layer, layers, kind === 'encoder' ? 'encoder' : 'decoder');
    if (q.head !== undefined) this.checkHead(q.head);
    const k = q.topK ?? DEFAULT_TOP_K;
    if (q.decimals !== undefined && !(Number.isInteger(q.decimals) && q.decimals >= 0 && q.decimals <= 15)) throw new ChronosLensError('BAD_INPUT', `decimals must be an integer in [0, 15], got ${q.decimals}`);
    const scale = q.decimals === undefined ? 0 : 10 ** q.decimals;
    const rows: number[][][] = [];
    const top: TopEntry[][][] = [];
    for (let l = 0; l < layers; l++) {
      const rl: number[][] = [];
      const tl: TopEntry[][] = [];
      const layerOn = q.layer === undefined || q.layer === l;
      for (let h = 0; h < this.heads; h++) {
        if (layerOn && (q.head === undefined || q.head === h)) {
          const r = row(l, h);
          if (scale) {
            const a = new Array<number>(r.length);
            for (let i = 0; i < r.length; i++) a[i] = Math.round(r[i] * scale) / scale;
            rl.push(a);
          } else rl.push(Array.from(r));
          tl.push(topK(r, k));
        } else {
          rl.push([]);
          tl.push([]);
        }
      }
      rows.push(layerOn ? rl : []);
      top.push(layerOn ? tl : []);
    }
    return { kind, position, contextLength: this.contextLength, layers, heads: this.heads, rows, tokens: Array.from(this.tokens), sameToken: same.sameToken, nextToken: same.nextToken, top };
  }

  private checkLayer(layer: number, n: number, what: string): void {
    if (!Number.isInteger(layer) || layer < 0 || layer >= n) throw new ChronosLensError('BAD_INPUT', `${what} layer ${layer} does not exist (the model has ${n}, numbered from 0)`);
  }

  private checkHead(head: number): void {
    if (!Number.isInteger(head) || head < 0 || head >= this.heads) throw new ChronosLensError('BAD_INPUT', `head ${head} does not exist (the model has ${this.heads} per layer, numbered from 0)`);
  }

  private checkPosition(p: number): void {
    if (!Number.isInteger(p) || p < 0 || p >= this.contextLength) throw new ChronosLensError('BAD_INPUT', `position ${p} is outside the context (0..${this.contextLength - 1})`);
  }

  private checkStep(s: number): void {
    if (this.crossSteps === 0) throw new ChronosLensError('BAD_INPUT', 'no forecast: cross-attention rows need the lens computed with a forecast');
    if (!Number.isInteger(s) || s < 0 || s >= this.crossSteps) throw new ChronosLensError('BAD_INPUT', `forecast step ${s} is outside 0..${this.crossSteps - 1}`);
  }
}

/** The encoder attention of every layer for `te` tokens, and the cross rows of `steps` forecast steps, must fit. */
export function checkLensSize(model: ChronosModel, te: number, steps: number): void {
  const need = forwardRowNeed(model.config.t5, { encLen: te, decLen: steps, encoderAttentions: true, crossQueries: steps });
  ensureFits(`the attention lens of ${te} context tokens${steps ? ` and ${steps} forecast steps` : ''}`, need, steps ? ['predictionLength'] : []);
}

function forecastTokensOf(model: ChronosModel, scale: number, o: { forecast?: ArrayLike<number>; forecastTokens?: ArrayLike<number> }): Int32Array | undefined {
  const vocab = model.config.t5.vocabSize;
  if (o.forecastTokens) {
    const t = Int32Array.from(o.forecastTokens as ArrayLike<number>);
    t.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= vocab) throw new ChronosLensError('BAD_INPUT', `forecast token ${i} = ${v} is outside 0..${vocab - 1}`);
    });
    return t.length ? t : undefined;
  }
  if (!o.forecast || o.forecast.length === 0) return undefined;
  const t = new Int32Array(o.forecast.length);
  for (let i = 0; i < t.length; i++) {
    const v = o.forecast[i];
    if (!Number.isFinite(v)) throw new ChronosLensError('BAD_INPUT', `forecast value ${i} is ${v}; expected a number`);
    t[i] = model.tokenizer.tokenOf(v, scale);
  }
  return t;
}

/** [start, t0, ..., t(n-2)]: the decoder input whose query at position s predicts step s. */
function decoderIds(start: number, tokens: Int32Array): { data: Int32Array; dims: [number, number] } {
  const d = new Int32Array(tokens.length);
  d[0] = start;
  d.set(tokens.subarray(0, tokens.length - 1), 1);
  return { data: d, dims: [1, d.length] };
}
