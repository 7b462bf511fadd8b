/**
 * ChronosModel: a loaded Chronos checkpoint with lazily built ONNX graphs and sessions, one per output
 * set. This is the API the forecaster, the analysis engine, the CLI and the extension use.
 *
 *   const model = await ChronosModel.load(dir, { provider: 'auto', cacheDir });
 *   const r = await model.forward({ inputIds, attentionMask, decoderInputIds }, { logits: true, crossAttentions: true });
 *   await model.dispose();
 *
 * Inputs are validated (shapes, token ids inside the vocabulary, masks of 0/1) before anything runs.
 */
import { ChronosLensError } from '../core/errors';
import { FloatTensor } from '../core/tensor';
import { Checkpoint, loadCheckpoint } from './checkpoint';
import { LoadOptions, LoadedModel, stackOutputs, withDefaultCacheDir } from './loaded-model';
import { ModelConfig, T5Config } from './config';
import { defaultCacheDir } from './runtime/graph-cache';
import { GraphTiming } from './runtime/sessions';
import { AttentionKind, ForwardOutputs, GraphSpec, buildT5Graph, specKey } from './t5/graph';
import { MeanScaleUniformBins } from './tokenizer';

/** Bump whenever the graphs built for a checkpoint change, so cached graphs are rebuilt. */
export const BUILDER_VERSION = '2';

export { EXTERNAL_DATA_THRESHOLD } from './runtime/sessions';

export type { LoadOptions } from './loaded-model';

/** A 2-D batch of token ids or mask values, row-major. */
export interface IdBatch {
  data: ArrayLike<number>;
  dims: readonly [number, number];
}

export interface ForwardInputs {
  inputIds: IdBatch;
  attentionMask: IdBatch;
  decoderInputIds: IdBatch;
}

export interface ForwardResult {
  logits?: FloatTensor;
  encoderHidden?: FloatTensor;
  /** Per layer, [batch, heads, queries, keys]. */
  encoderAttentions?: FloatTensor[];
  decoderAttentions?: FloatTensor[];
  crossAttentions?: FloatTensor[];
  /** Per kind and layer, [batch, heads, positions, d_kv]. */
  headOutputs?: Partial<Record<AttentionKind, FloatTensor[]>>;
}

/**
 * Which heads are ablated and how: for each attention kind a mask [layers x heads] (1 keep, 0 ablate)
 * and a replacement [layers x heads x d_kv] (zeros for zero ablation, the head's mean output for mean
 * ablation).
 */
export class HeadAblation {
  readonly mask: Record<AttentionKind, Float32Array>;
  readonly repl: Record<AttentionKind, Float32Array>;

  constructor(readonly layers: Record<AttentionKind, number>, readonly heads: number, readonly dKv: number) {
    const mk = (k: AttentionKind) => new Float32Array(layers[k] * heads).fill(1);
    const rp = (k: AttentionKind) => new Float32Array(layers[k] * heads * dKv);
    this.mask = { encoder: mk('encoder'), decoder: mk('decoder'), cross: mk('cross') };
    this.repl = { encoder: rp('encoder'), decoder: rp('decoder'), cross: rp('cross') };
    this.layerSkip = { encoder: new Float32Array(layers.encoder * 2), decoder: new Float32Array(layers.decoder * 3) };
  }

  /** Skipped sublayers (1 = skipped: the residual passes through): encoder [layers x (attention, ff)], decoder [layers x (self, cross, ff)]. */
  readonly layerSkip: { encoder: Float32Array; decoder: Float32Array };

  /** Skips a sublayer of a layer, or the whole layer ('all'): its residual update is dropped. */
  skipLayer(stack: 'encoder' | 'decoder', layer: number, part: 'all' | 'attention' | 'self' | 'cross' | 'ff'): this {
    const n = this.layers[stack];
    if (!Number.isInteger(layer) || layer < 0 || layer >= n) throw new ChronosLensError('BAD_INPUT', `${stack} layer ${layer} does not exist (the model has ${n} ${stack} layers, numbered from 0)`);
    const cols = stack === 'encoder' ? ['attention', 'ff'] : ['self', 'cross', 'ff'];
    const parts = part === 'all' ? cols : stack === 'decoder' && part === 'attention' ? ['self', 'cross'] : stack === 'encoder' && part === 'self' ? ['attention'] : [part];
    for (const p of parts) {
      const j = cols.indexOf(p);
      if (j < 0) throw new ChronosLensError('BAD_INPUT', `an ${stack} layer has no "${p}" block (it has ${cols.join(', ')})`);
      this.layerSkip[stack][layer * cols.length + j] = 1;
    }
    return this;
  }

  static none(config: ModelConfig): HeadAblation {
    const t = config.t5;
    return new HeadAblation({ encoder: t.numLayers, decoder: t.numDecoderLayers, cross: t.numDecoderLayers }, t.numHeads, t.dKv);
  }

  private check(kind: AttentionKind, layer: number, head: number): void {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layers[kind]) {
      throw new ChronosLensError('BAD_INPUT', `${kind} layer ${layer} does not exist (the model has ${this.layers[kind]} ${kind === 'encoder' ? 'encoder' : 'decoder'} layers, numbered from 0)`);
    }
    if (!Number.isInteger(head) || head < 0 || head >= this.heads) throw new ChronosLensError('BAD_INPUT', `head ${head} does not exist (the model has ${this.heads} heads per layer, numbered from 0)`);
  }

  /** Zero-ablates a head: its output becomes 0. */
  zero(kind: AttentionKind, layer: number, head: number): this {
    this.check(kind, layer, head);
    this.mask[kind][layer * this.heads + head] = 0;
    this.repl[kind].fill(0, (layer * this.heads + head) * this.dKv, (layer * this.heads + head + 1) * this.dKv);
    return this;
  }

  /** Mean-ablates a head: its output becomes `value` (length d_kv) at every position. */
  replace(kind: AttentionKind, layer: number, head: number, value: ArrayLike<number>): this {
    this.check(kind, layer, head);
    if (value.length !== this.dKv) throw new ChronosLensError('BAD_INPUT', `replacement for ${kind} L${layer}.H${head} has ${value.length} values; expected d_kv = ${this.dKv}`);
    this.mask[kind][layer * this.heads + head] = 0;
    this.repl[kind].set(value, (layer * this.heads + head) * this.dKv);
    return this;
  }

  get isIdentity(): boolean {
    return (['encoder', 'decoder', 'cross'] as const).every((k) => this.mask[k].every((m) => m === 1)) && this.layerSkip.encoder.every((m) => m === 0) && this.layerSkip.decoder.every((m) => m === 0);
  }

  feeds(): Record<string, FloatTensor> {
    const out: Record<string, FloatTensor> = {};
    for (const k of ['encoder', 'decoder', 'cross'] as const) {
      out[`${k}_head_mask`] = { data: this.mask[k], dims: [this.layers[k], this.heads] };
      out[`${k}_head_repl`] = { data: this.repl[k], dims: [this.layers[k], this.heads, this.dKv] };
    }
    out.encoder_layer_skip = { data: this.layerSkip.encoder, dims: [this.layers.encoder, 2] };
    out.decoder_layer_skip = { data: this.layerSkip.decoder, dims: [this.layers.decoder, 3] };
    return out;
  }

  /** The graph feeds for a model of these dimensions; refuses an ablation built for another model. */
  feedsFor(t: Pick<T5Config, 'numHeads' | 'dKv' | 'numLayers' | 'numDecoderLayers'>): Record<string, FloatTensor> {
    if (this.heads !== t.numHeads || this.dKv !== t.dKv || this.layers.encoder !== t.numLayers || this.layers.decoder !== t.numDecoderLayers) {
      throw new ChronosLensError('BAD_INPUT', 'head ablation was built for a different model');
    }
    return this.feeds();
  }
}

/** Key/value cache of the incremental decoder. */
export interface DecoderCache {
  k: FloatTensor[];
  v: FloatTensor[];
}

/** Encoder output prepared for incremental decoding. */
export interface EncoderState {
  batch: number;
  encLen: number;
  attentionMask: BigInt64Array;
  crossK: FloatTensor[];
  crossV: FloatTensor[];
}

export { defaultCacheDir };
export type { GraphTiming };

export class ChronosModel extends LoadedModel<ModelConfig, GraphSpec> {
  readonly tokenizer: MeanScaleUniformBins;
  private readonly noAblation: HeadAblation;

  private constructor(checkpoint: Checkpoint, options: LoadOptions) {
    super(checkpoint, options, { builderVersion: BUILDER_VERSION, key: specKey, build: (spec) => buildT5Graph(checkpoint, spec) });
    this.tokenizer = new MeanScaleUniformBins(checkpoint.config.chronos);
    this.noAblation = HeadAblation.none(checkpoint.config);
  }

  static async load(dir: string, options: LoadOptions = {}): Promise<ChronosModel> {
    const ck = await loadCheckpoint(dir);
    return new ChronosModel(ck, withDefaultCacheDir(options));
  }

  newAblation(): HeadAblation {
    return HeadAblation.none(this.config);
  }

  private validateIds(name: string, b: IdBatch, maxExclusive: number): BigInt64Array {
    const [rows, cols] = b.dims;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) throw new ChronosLensError('BAD_INPUT', `${name}: dims must be [batch >= 1, length >= 1], got [${b.dims.join(', ')}]`);
    if (b.data.length !== rows * cols) throw new ChronosLensError('BAD_INPUT', `${name}: ${b.data.length} values for dims [${rows}, ${cols}]`);
    const out = new BigInt64Array(rows * cols);
    for (let i = 0; i < out.length; i++) {
      const v = b.data[i];
      if (!Number.isInteger(v) || v < 0 || v >= maxExclusive) {
        throw new ChronosLensError('BAD_INPUT', `${name}[${Math.floor(i / cols)}][${i % cols}] = ${v} is outside [0, ${maxExclusive - 1}]`);
      }
      out[i] = BigInt(v);
    }
    return out;
  }

  /** Teacher-forced encoder-decoder pass. */
  async forward(inputs: ForwardInputs, outputs: ForwardOutputs, ablation?: HeadAblation): Promise<ForwardResult> {
    const t = this.config.t5;
    const ids = this.validateIds('input_ids', inputs.inputIds, t.vocabSize);
    const mask = this.validateIds('attention_mask', inputs.attentionMask, 2);
    const dec = this.validateIds('decoder_input_ids', inputs.decoderInputIds, t.vocabSize);
    const [b, te] = inputs.inputIds.dims;
    if (inputs.attentionMask.dims[0] !== b || inputs.attentionMask.dims[1] !== te) {
      throw new ChronosLensError('BAD_INPUT', `attention_mask dims [${inputs.attentionMask.dims.join(', ')}] must equal input_ids dims [${b}, ${te}]`);
    }
    if (inputs.decoderInputIds.dims[0] !== b) throw new ChronosLensError('BAD_INPUT', `decoder_input_ids has ${inputs.decoderInputIds.dims[0]} rows; input_ids has ${b}`);
    const td = inputs.decoderInputIds.dims[1];
    if (outputs.crossQuery !== undefined && (outputs.crossQuery < 0 || outputs.crossQuery >= td)) {
      throw new ChronosLensError('BAD_INPUT', `crossQuery ${outputs.crossQuery} is outside the decoder length ${td}`);
    }
    const session = await this.session({ kind: 'forward', outputs });
    const feeds = {
      input_ids: { data: ids, dims: [b, te] },
      attention_mask: { data: mask, dims: [b, te] },
      decoder_input_ids: { data: dec, dims: [b, td] },
      ...(ablation ?? this.noAblation).feedsFor(this.config.t5),
    };
    const r = await session.run(feeds);
    return this.collect(r);
  }

  private collect(r: Record<string, FloatTensor>): ForwardResult {
    return { logits: r.logits, encoderHidden: r.encoder_hidden, ...stackOutputs(r, this.config.t5) };
  }

  /** Encoder pass; optionally attentions, per-head outputs, and cross K/V for incremental decoding. */
  async encode(
    inputIds: IdBatch,
    attentionMask: IdBatch,
    outputs: { encoderAttentions?: boolean; crossKv?: boolean; headOutputs?: boolean } = {},
    ablation?: HeadAblation,
  ): Promise<{ hidden: FloatTensor; attentions?: FloatTensor[]; headOutputs?: FloatTensor[]; state?: EncoderState }> {
    const t = this.config.t5;
    const ids = this.validateIds('input_ids', inputIds, t.vocabSize);
    const mask = this.validateIds('attention_mask', attentionMask, 2);
    const [b, te] = inputIds.dims;
    if (attentionMask.dims[0] !== b || attentionMask.dims[1] !== te) throw new ChronosLensError('BAD_INPUT', `attention_mask dims must equal input_ids dims [${b}, ${te}]`);
    const session = await this.session({ kind: 'encoder', outputs });
    const feeds: Record<string, FloatTensor | { data: BigInt64Array; dims: number[] }> = {
      input_ids: { data: ids, dims: [b, te] },
      attention_mask: { data: mask, dims: [b, te] },
      ...(ablation ?? this.noAblation).feedsFor(this.config.t5),
    };
    const r = await session.run(feeds);
    const res: { hidden: FloatTensor; attentions?: FloatTensor[]; headOutputs?: FloatTensor[]; state?: EncoderState } = { hidden: r.encoder_hidden };
    if (outputs.encoderAttentions) res.attentions = Array.from({ length: t.numLayers }, (_, l) => r[`encoder_attn.${l}`]);
    if (outputs.headOutputs) res.headOutputs = Array.from({ length: t.numLayers }, (_, l) => r[`encoder_head.${l}`]);
    if (outputs.crossKv) {
      res.state = {
        batch: b,
        encLen: te,
        attentionMask: mask,
        crossK: Array.from({ length: t.numDecoderLayers }, (_, l) => r[`cross_k.${l}`]),
        crossV: Array.from({ length: t.numDecoderLayers }, (_, l) => r[`cross_v.${l}`]),
      };
    }
    return res;
  }

  /** An empty key/value cache for `rows` decoder rows. */
  emptyCache(rows: number): DecoderCache {
    const t = this.config.t5;
    const empty = (): FloatTensor => ({ data: new Float32Array(0), dims: [rows, t.numHeads, 0, t.dKv] });
    return { k: Array.from({ length: t.numDecoderLayers }, empty), v: Array.from({ length: t.numDecoderLayers }, empty) };
  }

  /**
   * One incremental decoding step. `tokens` has one id per row; rows = state.batch x samples, with the
   * sample index fastest (row = b * samples + s). Returns the next-token logits [rows, vocab] and the
   * grown cache.
   */
  async decodeStep(
    state: EncoderState,
    tokens: ArrayLike<number>,
    cache: DecoderCache,
    opts: { crossAttentions?: boolean } = {},
    ablation?: HeadAblation,
  ): Promise<{ logits: FloatTensor; cache: DecoderCache; crossAttentions?: FloatTensor[] }> {
    const t = this.config.t5;
    const rows = tokens.length;
    if (rows % state.batch !== 0) throw new ChronosLensError('BAD_INPUT', `decoder rows (${rows}) must be a multiple of the encoder batch (${state.batch})`);
    const ids = this.validateIds('decoder_input_ids', { data: tokens, dims: [rows, 1] }, t.vocabSize);
    const session = await this.session({ kind: 'decoder-step', outputs: { crossAttentions: opts.crossAttentions } });
    const feeds: Record<string, FloatTensor | { data: BigInt64Array; dims: number[] }> = {
      decoder_input_ids: { data: ids, dims: [rows, 1] },
      encoder_attention_mask: { data: state.attentionMask, dims: [state.batch, state.encLen] },
      ...(ablation ?? this.noAblation).feedsFor(this.config.t5),
    };
    for (let l = 0; l < t.numDecoderLayers; l++) {
      feeds[`past_k.${l}`] = cache.k[l];
      feeds[`past_v.${l}`] = cache.v[l];
      feeds[`cross_k.${l}`] = state.crossK[l];
      feeds[`cross_v.${l}`] = state.crossV[l];
    }
    const r = await session.run(feeds);
    const next: DecoderCache = {
      k: Array.from({ length: t.numDecoderLayers }, (_, l) => r[`present_k.${l}`]),
      v: Array.from({ length: t.numDecoderLayers }, (_, l) => r[`present_v.${l}`]),
    };
    const out: { logits: FloatTensor; cache: DecoderCache; crossAttentions?: FloatTensor[] } = { logits: r.logits, cache: next };
    if (opts.crossAttentions) out.crossAttentions = Array.from({ length: t.numDecoderLayers }, (_, l) => r[`cross_attn.${l}`]);
    return out;
  }

}
