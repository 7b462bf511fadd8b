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
import { Chronos2Model } from '../models/chronos2/model';
import { ensureFits, forwardRowNeed } from '../core/limits';
import { Chronos2Task, lastValues, taskRows } from './forecast/chronos2';
import { GroupLensResult, GroupScoreResult, LensResult } from './types';

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
  /** Per decoder layer [1, heads, queries, keys]. */
  private cross?: FloatTensor[];
  private crossTokens?: Int32Array;
  /** The cross query that predicts each forecast step (an index along `cross`'s queries). */
  private crossQuery?: Int32Array;

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
    // One query for every step: each step of the horizon reads the decoder token's row.
    const T = b.predictionLength;
    lens.setCross(r.crossAttentions!, new Int32Array(T).fill(-1), new Int32Array(T));
    opts.onProgress?.({ fraction: 1, message: 'attention lens' });
    return lens;
  }

  /**
   * The lens of a Chronos-2 model over one task (targets and covariates, forecast jointly): one forward
   * pass as the forecast's first (its output patches for the horizon, known future values on them), with
   * every time and group attention. Each row gets an AttentionLens over its time attention: positions
   * are context patches, [REG] and the output-patch tokens are left out of the keys as EOS is, and a
   * forecast step reads the time attention of the output-patch token that predicts it. The group
   * attention is answered by the Chronos2Lens.
   */
  static async computeChronos2(model: Chronos2Model, task: Chronos2Task, opts: Chronos2LensOptions = {}): Promise<Chronos2Lens> {
    throwIfAborted(opts.signal);
    const x = model.config.chronos2;
    const t = model.config.t5;
    const P = x.patchSize;
    const mop = opts.maxOutputPatches ?? x.maxOutputPatches;
    if (!Number.isInteger(mop) || mop < 1) throw new ChronosLensError('BAD_INPUT', `max output patches must be a positive integer, got ${mop}`);
    const horizon = opts.predictionLength ?? mop * P;
    if (!Number.isInteger(horizon) || horizon < 1) throw new ChronosLensError('BAD_INPUT', `the horizon must be a positive integer, got ${horizon}`);
    if (task.targets.length === 0) throw new ChronosLensError('BAD_INPUT', 'no target series given');
    const rows = taskRows(task, horizon);
    const n = rows.length;
    const contexts = rows.map((r) => lastValues(r.values, x.contextLength));
    const longest = Math.max(...rows.map((r) => r.values.length));
    if (longest === 0) throw new ChronosLensError('BAD_INPUT', 'the context is empty');
    const Po = Math.min(Math.ceil(horizon / P), mop);
    const tokens = Math.ceil(Math.min(longest, x.contextLength) / P) + (x.useRegToken ? 1 : 0) + Po;
    // every layer's time attention (rows x heads x tokens^2) and group attention (tokens x heads x rows^2), plus the forward's own work
    const held = 4 * t.numLayers * t.numHeads * (n * tokens * tokens + tokens * n * n);
    ensureFits(`the Chronos-2 attention lens of ${n} series over ${tokens} tokens`, { bytes: 2 * held + 4 * n * tokens * 8 * Math.max(t.dModel, t.dFf), heapBytes: 0, flops: 2 * n * tokens * t.numLayers * (4 * t.dModel * t.dModel + 2 * t.dModel * t.dFf + 2 * tokens * t.dModel) }, ['the number of columns', 'the prediction length']);
    opts.onProgress?.({ fraction: 0, message: 'attention lens' });
    const future = rows.map((r) => (r.future ? Float32Array.from(Array.prototype.slice.call(r.future, 0, Math.min(horizon, Po * P)) as number[]) : undefined));
    const r = await model.forward({ rows: contexts, groupIds: rows.map((_, i) => (opts.groupAttention === false ? i : 0)), future, outputPatches: Po }, { timeAttentions: true, groupAttentions: true });
    throwIfAborted(opts.signal);
    if (!r.rows.some((row) => row.patched.observed.some((o) => o === 1))) throw new ChronosLensError('BAD_INPUT', 'the context has no observed values');
    const Pc = r.contextPatches;
    const T = r.tokens;
    // every row ends where the longest does (the pipeline aligns a task's rows at their last value)
    const used = Math.min(longest, x.contextLength);
    const offset = longest - used + r.rows[0].patched.start[0];
    const steps = Po * P;
    const query = Int32Array.from({ length: steps }, (_, s) => r.firstOutputToken + Math.floor(s / P));
    const lenses = r.rows.map((row, i) => {
      const time = r.timeAttentions!.map((a) => ({ data: a.data.subarray(i * t.numHeads * T * T, (i + 1) * t.numHeads * T * T), dims: [1, t.numHeads, T, T] }));
      const lens = new AttentionLens(model.name, t.numLayers, t.numLayers, t.numHeads, Pc, Int32Array.from({ length: Pc }, (_, p) => p), row.patched.observed.slice(), row.norm.scale, offset, time, { size: P, stride: P });
      lens.setCross(time, new Int32Array(steps).fill(-1), query);
      return lens;
    });
    opts.onProgress?.({ fraction: 1, message: 'attention lens' });
    return new Chronos2Lens(model.name, t.numLayers, t.numHeads, rows.map((row) => ({ name: row.name, role: row.role })), lenses, r.groupAttentions!, Pc, r.firstOutputToken, steps, P);
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

  /** `query[s]`: the query of `cross` that predicts step s (default: query s). */
  private setCross(cross: FloatTensor[], tokens: Int32Array, query: Int32Array = Int32Array.from(tokens, (_, s) => s)): void {
    this.cross = cross;
    this.crossTokens = tokens;
    this.crossQuery = query;
    this.crossSteps = tokens.length;
  }

  get forecastSteps(): number {
    return this.crossSteps;
  }

  /** Bytes of attention held (a view shared with another lens counts in each). */
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
    const [, , queries, te] = this.cross![layer].dims;
    const base = (head * queries + this.crossQuery![step]) * te;
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

export interface Chronos2LensOptions extends RunControl {
  /** The horizon: the output patches are the forecast's first pass's (default: max_output_patches x patch). */
  predictionLength?: number;
  /** The pipeline's max_output_patches option (default: the model's). */
  maxOutputPatches?: number;
  /** false: every row its own group (as `forecast --no-group-attention`). */
  groupAttention?: boolean;
}

/**
 * A Chronos-2 lens: the time attention of every row of a task (one AttentionLens each, positions =
 * context patches) and the group attention between the rows at each token index. Hover queries are
 * answered from memory.
 */
export class Chronos2Lens {
  constructor(
    readonly modelName: string,
    readonly layers: number,
    readonly heads: number,
    /** The rows the model saw, in its order (targets, past-only covariates, known-future covariates). */
    readonly series: GroupLensResult['series'],
    private readonly time: AttentionLens[],
    /** Per layer [tokens, heads, rows, rows]. */
    private readonly group: FloatTensor[],
    /** Context patches (every row has the same). */
    readonly contextPatches: number,
    /** Token index of the first output patch. */
    readonly firstOutputToken: number,
    /** Forecast steps the output-patch tokens predict in this pass. */
    readonly forecastSteps: number,
    readonly patchSize: number,
  ) {}

  /** The time-attention lens of row `i` (in the model's row order). */
  timeLens(i: number): AttentionLens {
    if (!Number.isInteger(i) || i < 0 || i >= this.series.length) throw new ChronosLensError('BAD_INPUT', `series ${i} does not exist (the task has ${this.series.length}, numbered from 0)`);
    return this.time[i];
  }

  /** Row index of the series named `name`. */
  indexOf(name: string): number {
    const i = this.series.findIndex((s) => s.name === name);
    if (i < 0) throw new ChronosLensError('BAD_INPUT', `"${name}" is not one of the task's series (${this.series.map((s) => s.name).join(', ')})`);
    return i;
  }

  /** Index in the (longest) input series of context patch 0's first value (negative: left padding). */
  get offset(): number {
    return this.time[0].offset;
  }

  /** The context patch holding input index `i`; -1 outside the context. */
  positionAt(i: number): number {
    return this.time[0].positionAt(i);
  }

  /** Input indices [first, last] of context patch `p`. */
  spanOf(p: number): [number, number] {
    return this.time[0].spanOf(p);
  }

  get bytes(): number {
    return this.group.reduce((a, x) => a + x.data.byteLength, 0) + this.time.reduce((a, l) => a + l.encoderAttention(0).data.byteLength * this.layers, 0);
  }

  /**
   * Group attention at context patch `position`: per layer and head, the rows x rows matrix (entry
   * [i][j]: how much series i reads from series j). With `lines`, also each series' share of attention
   * on the other series at every context patch (for `q.layer`, or every layer).
   */
  groupAt(position: number, q: GroupQuery = {}): GroupLensResult {
    if (!Number.isInteger(position) || position < 0 || position >= this.contextPatches) throw new ChronosLensError('BAD_INPUT', `patch ${position} is outside the context (0..${this.contextPatches - 1})`);
    return this.groupResult('context', position, position, q);
  }

  /** Group attention at the output-patch token that predicts forecast step `step`. */
  groupAtStep(step: number, q: GroupQuery = {}): GroupLensResult {
    if (!Number.isInteger(step) || step < 0 || step >= this.forecastSteps) throw new ChronosLensError('BAD_INPUT', `forecast step ${step} is outside 0..${this.forecastSteps - 1} (past it the pipeline rolls the forecast out with new contexts)`);
    return this.groupResult('forecast', step, this.firstOutputToken + Math.floor(step / this.patchSize), q);
  }

  /**
   * The group-attention score of every head (docs/chronos2.md): for each series, its share of group
   * attention on the other series (1 - what it reads from itself), averaged over the context patches
   * where that series is observed; the head's score is the mean over the series. Also the rows x rows
   * matrix averaged over the same patches.
   */
  groupScore(): GroupScoreResult {
    const L = this.layers;
    const H = this.heads;
    const n = this.series.length;
    const patches = this.series.map((_, i) => {
      const mask = this.time[i].mask;
      return Array.from({ length: this.contextPatches }, (_, p) => p).filter((p) => mask[p] === 1);
    });
    const matrix = this.group.map((a) =>
      Array.from({ length: H }, (_, h) =>
        Array.from({ length: n }, (_, i) => {
          const row = new Float64Array(n);
          for (const p of patches[i]) {
            const base = ((p * H + h) * n + i) * n;
            for (let j = 0; j < n; j++) row[j] += a.data[base + j];
          }
          return Array.from(row, (v) => (patches[i].length ? v / patches[i].length : NaN));
        }),
      ),
    );
    const perSeries = matrix.map((byHead) => byHead.map((m) => m.map((row, i) => 1 - row[i])));
    const score = perSeries.map((byHead) => byHead.map((v) => v.reduce((x, y) => x + y, 0) / n));
    return { kind: 'group-score', layers: L, heads: H, series: this.series.map((s, i) => ({ ...s, patches: patches[i].length })), contextPatches: this.contextPatches, score, perSeries, matrix };
  }

  private groupResult(at: 'context' | 'forecast', position: number, token: number, q: GroupQuery): GroupLensResult {
    const L = this.layers;
    const H = this.heads;
    const n = this.series.length;
    if (q.layer !== undefined && !(Number.isInteger(q.layer) && q.layer >= 0 && q.layer < L)) throw new ChronosLensError('BAD_INPUT', `layer ${q.layer} does not exist (the model has ${L}, numbered from 0)`);
    if (q.decimals !== undefined && !(Number.isInteger(q.decimals) && q.decimals >= 0 && q.decimals <= 15)) throw new ChronosLensError('BAD_INPUT', `decimals must be an integer in [0, 15], got ${q.decimals}`);
    const scale = q.decimals === undefined ? 0 : 10 ** q.decimals;
    const round = (v: number) => (scale ? Math.round(v * scale) / scale : v);
    const on = (l: number) => q.layer === undefined || q.layer === l;
    const matrices = this.group.map((a, l) => {
      if (!on(l)) return [];
      return Array.from({ length: H }, (_, h) => Array.from({ length: n }, (_, i) => Array.from(a.data.subarray(((token * H + h) * n + i) * n, ((token * H + h) * n + i + 1) * n), round)));
    });
    const out: GroupLensResult = { kind: 'group', at, position, token, layers: L, heads: H, series: this.series.map((s) => ({ ...s })), matrices };
    if (q.lines) {
      out.lines = this.group.map((a, l) => {
        if (!on(l)) return [];
        return Array.from({ length: H }, (_, h) =>
          Array.from({ length: n }, (_, i) =>
            Array.from({ length: this.contextPatches }, (_, p) => {
              const base = ((p * H + h) * n + i) * n;
              let other = 0;
              for (let j = 0; j < n; j++) if (j !== i) other += a.data[base + j];
              return round(other);
            }),
          ),
        );
      });
    }
    return out;
  }
}

export interface GroupQuery {
  /** Only this layer's matrices (and lines) are filled (the others are empty arrays). */
  layer?: number;
  /** Round to this many decimals (as RowQuery.decimals). */
  decimals?: number;
  /** Also each series' share of attention on the others at every context patch. */
  lines?: boolean;
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
