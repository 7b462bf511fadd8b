/**
 * The Chronos T5 encoder-decoder as ONNX graphs, with the exact semantics of transformers'
 * `modeling_t5.py` (eval mode):
 *  - RMS layer norm (no mean subtraction, no bias), weight x x / sqrt(mean(x^2) + eps);
 *  - relative position bias from the first layer's table, shared by every layer: bidirectional buckets
 *    in the encoder, causal in the decoder self-attention, none in the cross-attention;
 *  - masks as additive float32-min (added to the position bias first, as HF does);
 *  - no 1/sqrt(d) scaling of attention scores; softmax in float32;
 *  - relu or gated-gelu (gelu_new, tanh approximation) feed-forward;
 *  - tied embeddings rescaled by d_model^-0.5 before the LM head.
 * Every attention head's output (before the output projection) passes through
 *   out = mask * out + (1 - mask) * replacement
 * with per-kind inputs `<kind>_head_mask` [layers, heads] and `<kind>_head_repl` [layers, heads, d_kv],
 * so zero and mean ablation never need a rebuild.
 *
 * Graph kinds (one ONNX graph per output set; unused nodes are pruned):
 *  - 'forward'      teacher-forced encoder + decoder: logits and/or attention probabilities, hidden
 *                   states, per-head outputs;
 *  - 'encoder'      encoder only: hidden states, optional attentions, and per-decoder-layer cross-attention
 *                   keys/values for incremental decoding;
 *  - 'decoder-step' one decoding step with a key/value cache. Samples of a series share its cross K/V:
 *                   decoder rows N = batch x samples, cross K/V have the batch only;
 *  - 'causal'       teacher-forced, with the residual stream, sublayer updates, per-layer lens logits and
 *                   activation-patching inputs (./causal-graph.ts).
 * Every kind also takes `<stack>_layer_skip` (see T5GraphWriter.gate): a skipped sublayer passes the
 * residual stream through unchanged.
 */
import { TensorInfo } from '../safetensors';
import { T5Config } from '../config';
import { GraphBuilder, Value } from '../onnx/builder';
import { bucketTable } from './buckets';
import { CausalOutputs, buildCausal } from './causal-graph';

export type AttentionKind = 'encoder' | 'decoder' | 'cross';

export interface ForwardOutputs {
  logits?: boolean;
  encoderHidden?: boolean;
  encoderAttentions?: boolean;
  decoderAttentions?: boolean;
  crossAttentions?: boolean;
  /** Per-head attention outputs (before the output projection), for mean ablation. */
  headOutputs?: AttentionKind[];
  /** Keep only this decoder position in the cross-attention outputs (e.g. 1 for the reference mosaic). */
  crossQuery?: number;
}

export type GraphSpec =
  | { kind: 'forward'; outputs: ForwardOutputs }
  | { kind: 'encoder'; outputs: { encoderAttentions?: boolean; crossKv?: boolean; headOutputs?: boolean } }
  | { kind: 'decoder-step'; outputs: { crossAttentions?: boolean } }
  | { kind: 'causal'; outputs: CausalOutputs };

/** Stable key for caching built graphs. */
export function specKey(spec: GraphSpec): string {
  const o = spec.outputs as Record<string, unknown>;
  const parts = Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined && o[k] !== false && !(Array.isArray(o[k]) && (o[k] as unknown[]).length === 0))
    .map((k) => (o[k] === true ? k : `${k}=${Array.isArray(o[k]) ? (o[k] as string[]).slice().sort().join('+') : String(o[k])}`));
  return `${spec.kind}[${parts.join(',')}]`;
}

/** Float32 minimum, the additive mask value HF uses (torch.finfo(float32).min). */
const F32_MIN = -3.4028234663852886e38;

function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = w[base + c];
  }
  return out;
}

/**
 * What the writer reads weights from: a checkpoint of any family whose transformer is a T5 stack
 * (Chronos-T5, Chronos-Bolt), under transformers' tensor names.
 */
export interface T5WeightSource {
  config: { t5: T5Config };
  tensors: Map<string, TensorInfo>;
  read(name: string): Promise<Float32Array>;
}

/** The T5 building blocks (norms, attention with head gates, feed-forward), over one GraphBuilder. */
export class T5GraphWriter {
  readonly g: GraphBuilder;
  readonly c: T5Config;
  readonly inner: number;
  private readonly weightCache = new Map<string, Value>();
  /**
   * Chronos-T5 graphs set this: every sublayer's residual update may then be skipped, per layer, through
   * the inputs `encoder_layer_skip` [layers, 2] (attention, feed-forward) and `decoder_layer_skip`
   * [layers, 3] (self-attention, cross-attention, feed-forward); > 0.5 skips. Declared on first use.
   */
  layerSkips = false;
  private readonly skipInputs = new Map<string, Value>();

  constructor(readonly ck: T5WeightSource, name: string) {
    this.g = new GraphBuilder(name);
    this.c = ck.config.t5;
    this.inner = this.c.numHeads * this.c.dKv;
  }

  /** A checkpoint tensor as-is. */
  raw(name: string): Value {
    const key = `raw:${name}`;
    let v = this.weightCache.get(key);
    if (!v) {
      const info = this.ck.tensors.get(name);
      if (!info) throw new Error(`tensor ${name} not in checkpoint`);
      v = this.g.initializer(name, 'float32', info.shape, () => this.ck.read(name));
      this.weightCache.set(key, v);
    }
    return v;
  }

  /** Linear weights [out, in] concatenated along `out`, transposed to [in, sum(out)] for x @ W. */
  linearT(names: string[], label: string): Value {
    const key = `lin:${names.join('|')}`;
    let v = this.weightCache.get(key);
    if (!v) {
      const shapes = names.map((n) => this.ck.tensors.get(n)!.shape);
      const inDim = shapes[0][1];
      const outDims = shapes.map((s) => s[0]);
      const total = outDims.reduce((a, b) => a + b, 0);
      v = this.g.initializer(label, 'float32', [inDim, total], async () => {
        const parts = await Promise.all(names.map((n) => this.ck.read(n)));
        const stacked = new Float32Array(total * inDim);
        let off = 0;
        parts.forEach((p) => {
          stacked.set(p, off);
          off += p.length;
        });
        return transpose2d(stacked, total, inDim);
      });
      this.weightCache.set(key, v);
    }
    return v;
  }

  /**
   * The residual after a sublayer: y, or x unchanged where the sublayer is skipped. `prefix` is the
   * sublayer's tensor prefix (`encoder.block.L.layer.J`, `decoder.block.L.layer.J`). A Where (not
   * x + gate * delta) keeps the unskipped path bit-identical to the graph without skips.
   */
  gate(prefix: string, x: Value, y: Value): Value {
    if (!this.layerSkips) return y;
    const m = /^(encoder|decoder)\.block\.(\d+)\.layer\.(\d+)$/.exec(prefix);
    if (!m) throw new Error(`no layer-skip slot for ${prefix}`);
    const stack = m[1];
    let skip = this.skipInputs.get(stack);
    if (!skip) {
      const layers = stack === 'encoder' ? this.c.numLayers : this.c.numDecoderLayers;
      skip = this.g.input(`${stack}_layer_skip`, 'float32', [layers, stack === 'encoder' ? 2 : 3]);
      this.skipInputs.set(stack, skip);
    }
    const g = this.g;
    const flag = g.node('Greater', [g.gather(g.gather(skip, g.scalarInt64(Number(m[2])), 0), g.scalarInt64(Number(m[3])), 0), g.scalarFloat(0.5)], {}, ['bool'])[0];
    return g.node('Where', [flag, x, y], {}, [x.type])[0];
  }

  rmsNorm(x: Value, weightName: string): Value {
    const g = this.g;
    const variance = g.reduceMean(g.mul(x, x), [-1], true);
    const inv = g.reciprocal(g.sqrt(g.add(variance, g.scalarFloat(this.c.layerNormEpsilon))));
    return g.mul(this.raw(weightName), g.mul(x, inv));
  }

  /** [B, T, H*K] -> [B, H, T, K] */
  splitHeads(x: Value): Value {
    return this.g.transpose(this.g.reshape(x, [0, 0, this.c.numHeads, this.c.dKv]), [0, 2, 1, 3]);
  }

  /** [B, H, T, K] -> [B, T, H*K] */
  mergeHeads(x: Value): Value {
    return this.g.reshape(this.g.transpose(x, [0, 2, 1, 3]), [0, 0, this.inner]);
  }

  /** Applies out*m + (1-m)*repl for one layer's heads; out is [B, H, T, K]. */
  ablate(out: Value, mask: Value, repl: Value, layer: number): Value {
    const g = this.g;
    const idx = g.scalarInt64(layer);
    const m = g.reshape(g.gather(mask, idx, 0), [1, this.c.numHeads, 1, 1]);
    const r = g.reshape(g.gather(repl, idx, 0), [1, this.c.numHeads, 1, this.c.dKv]);
    const oneMinus = g.sub(g.scalarFloat(1), m);
    return g.add(g.mul(out, m), g.mul(oneMinus, r));
  }

  /** softmax(q k^T + bias) v for [B,H,Tq,K] x [B,H,Tk,K]; returns probs and head outputs. */
  attention(q: Value, k: Value, v: Value, bias: Value): { probs: Value; out: Value } {
    const g = this.g;
    const scores = g.add(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), bias);
    const probs = g.softmax(scores, -1);
    return { probs, out: g.matmul(probs, v) };
  }

  embed(ids: Value): Value {
    return this.g.gather(this.raw('shared.weight'), ids, 0);
  }

  /** Position bias [1, H, Tq, Tk] from relative positions rel = key - query, [Tq, Tk] int64. */
  positionBias(rel: Value, bidirectional: boolean, prefix: 'encoder' | 'decoder'): Value {
    const g = this.g;
    const c = this.c;
    const { radius, table } = bucketTable(bidirectional, c.relativeAttentionNumBuckets, c.relativeAttentionMaxDistance);
    const tbl = g.initializer(`${prefix}.bucket_table`, 'int64', [table.length], table);
    const clipped = g.max(g.min(rel, g.scalarInt64(radius)), g.scalarInt64(-radius));
    const buckets = g.gather(tbl, g.add(clipped, g.scalarInt64(radius)), 0); // [Tq, Tk]
    const w = this.raw(`${prefix}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`); // [NB, H]
    const b = g.gather(w, buckets, 0); // [Tq, Tk, H]
    return g.unsqueeze(g.transpose(b, [2, 0, 1]), [0]); // [1, H, Tq, Tk]
  }

  /** arange(n) for a 1-element int64 length vector. */
  arange(len1: Value, start?: Value): Value {
    const g = this.g;
    const n = g.squeeze(len1, [0]);
    const s = start ?? g.scalarInt64(0);
    return g.range(s, start ? g.add(s, n) : n, g.scalarInt64(1));
  }

  /** Additive mask [B, 1, 1, T] from an int64 attention mask [B, T]. */
  extendedMask(mask: Value): Value {
    const g = this.g;
    const m = g.cast(mask, 'float32');
    return g.unsqueeze(g.mul(g.sub(g.scalarFloat(1), m), g.scalarFloat(F32_MIN)), [1, 2]);
  }

  feedForward(x: Value, prefix: string): Value {
    const g = this.g;
    const h = this.rmsNorm(x, `${prefix}.layer_norm.weight`);
    let act: Value;
    if (this.c.feedForwardProj === 'gated-gelu') {
      const a = g.matmul(h, this.linearT([`${prefix}.DenseReluDense.wi_0.weight`], `${prefix}.wi_0.T`));
      const lin = g.matmul(h, this.linearT([`${prefix}.DenseReluDense.wi_1.weight`], `${prefix}.wi_1.T`));
      // gelu_new: 0.5 * a * (1 + tanh(sqrt(2/pi) * (a + 0.044715 * a^3)))
      const cube = g.pow(a, g.scalarFloat(3));
      const inner = g.mul(g.scalarFloat(Math.sqrt(2 / Math.PI)), g.add(a, g.mul(g.scalarFloat(0.044715), cube)));
      const gelu = g.mul(g.mul(g.scalarFloat(0.5), a), g.add(g.scalarFloat(1), g.tanh(inner)));
      act = g.mul(gelu, lin);
    } else {
      act = g.relu(g.matmul(h, this.linearT([`${prefix}.DenseReluDense.wi.weight`], `${prefix}.wi.T`)));
    }
    return this.gate(prefix, x, g.add(x, g.matmul(act, this.linearT([`${prefix}.DenseReluDense.wo.weight`], `${prefix}.wo.T`))));
  }

  /** Self-attention sublayer with fused QKV; returns new residual stream, probs, head outputs, k, v. */
  selfAttention(x: Value, prefix: string, bias: Value, mask: Value, repl: Value, layer: number, past?: { k: Value; v: Value }) {
    const g = this.g;
    const h = this.rmsNorm(x, `${prefix}.layer_norm.weight`);
    const a = `${prefix}.SelfAttention`;
    const qkv = g.matmul(h, this.linearT([`${a}.q.weight`, `${a}.k.weight`, `${a}.v.weight`], `${a}.qkv.T`));
    const [q, k, v] = g.split(qkv, [this.inner, this.inner, this.inner], 2).map((t) => this.splitHeads(t));
    const kAll = past ? g.concat([past.k, k], 2) : k;
    const vAll = past ? g.concat([past.v, v], 2) : v;
    const { probs, out } = this.attention(q, kAll, vAll, bias);
    const ablated = this.ablate(out, mask, repl, layer);
    const y = this.gate(prefix, x, g.add(x, g.matmul(this.mergeHeads(ablated), this.linearT([`${a}.o.weight`], `${a}.o.T`))));
    return { y, probs, headOut: out, k: kAll, v: vAll };
  }

  /** Cross-attention K and V of one decoder layer from encoder hidden states: each [B, H, Te, K]. */
  crossKv(encHidden: Value, layer: number): { k: Value; v: Value } {
    const a = `decoder.block.${layer}.layer.1.EncDecAttention`;
    const kv = this.g.matmul(encHidden, this.linearT([`${a}.k.weight`, `${a}.v.weight`], `${a}.kv.T`));
    const [k, v] = this.g.split(kv, [this.inner, this.inner], 2).map((t) => this.splitHeads(t));
    return { k, v };
  }
}

export interface AblationInputs {
  mask: Value;
  repl: Value;
}

export function ablationInputs(w: T5GraphWriter, kind: AttentionKind, layers: number): AblationInputs {
  const c = w.c;
  return {
    mask: w.g.input(`${kind}_head_mask`, 'float32', [layers, c.numHeads]),
    repl: w.g.input(`${kind}_head_repl`, 'float32', [layers, c.numHeads, c.dKv]),
  };
}

function runEncoder(w: T5GraphWriter, ids: Value, mask: Value, abl: AblationInputs) {
  return encoderStack(w, w.embed(ids), mask, abl);
}

/**
 * The T5 encoder stack over input embeddings x [B, Te, D] (token embeddings for Chronos-T5, patch
 * embeddings for Chronos-Bolt): relative position buckets count positions of x, whatever they stand for.
 */
export function encoderStack(w: T5GraphWriter, x0: Value, mask: Value, abl: AblationInputs) {
  const g = w.g;
  const c = w.c;
  const te = g.dim(mask, 1);
  const r = w.arange(te);
  const rel = g.sub(g.unsqueeze(r, [0]), g.unsqueeze(r, [1])); // [Te, Te] = key - query
  const bias = g.add(w.positionBias(rel, true, 'encoder'), w.extendedMask(mask)); // [B, H, Te, Te]
  let x = x0;
  const probs: Value[] = [];
  const headOuts: Value[] = [];
  // the residual stream: the input, then after each layer's attention and feed-forward (2L + 1 values)
  const resid: Value[] = [x0];
  for (let l = 0; l < c.numLayers; l++) {
    g.withScope(`enc${l}`, () => {
      const s = w.selfAttention(x, `encoder.block.${l}.layer.0`, bias, abl.mask, abl.repl, l);
      probs.push(s.probs);
      headOuts.push(s.headOut);
      x = w.feedForward(s.y, `encoder.block.${l}.layer.1`);
      resid.push(s.y, x);
    });
  }
  return { hidden: w.rmsNorm(x, 'encoder.final_layer_norm.weight'), probs, headOuts, resid };
}

/**
 * One teacher-forced decoder layer: causal self-attention (bias [1|B, H, Td, Td]), cross-attention to
 * encHidden (bias [B, 1, 1, Te]) and the feed-forward, with the head gates of both attentions.
 */
function decoderLayer(w: T5GraphWriter, x: Value, l: number, selfBias: Value, crossBias: Value, encHidden: Value, decAbl: AblationInputs, crossAbl: AblationInputs) {
  const g = w.g;
  const s = w.selfAttention(x, `decoder.block.${l}.layer.0`, selfBias, decAbl.mask, decAbl.repl, l);
  const p = `decoder.block.${l}.layer.1`;
  const h = w.rmsNorm(s.y, `${p}.layer_norm.weight`);
  const q = w.splitHeads(g.matmul(h, w.linearT([`${p}.EncDecAttention.q.weight`], `${p}.q.T`)));
  const kv = w.crossKv(encHidden, l);
  const a = w.attention(q, kv.k, kv.v, crossBias);
  const ablated = w.ablate(a.out, crossAbl.mask, crossAbl.repl, l);
  const y = w.gate(p, s.y, g.add(s.y, g.matmul(w.mergeHeads(ablated), w.linearT([`${p}.EncDecAttention.o.weight`], `${p}.o.T`))));
  const out = w.feedForward(y, `decoder.block.${l}.layer.2`);
  return { y: out, resid: [s.y, y, out], selfProbs: s.probs, selfHead: s.headOut, crossProbs: a.probs, crossHead: a.out };
}

/**
 * The T5 decoder stack over input embeddings x0 [B, Td, D] (the decoder tokens for Chronos-T5, the one
 * decoder-start token for Chronos-Bolt): the last layer's output (before the final norm) and every layer's
 * self- and cross-attention probabilities and head outputs, and the residual stream after every sublayer.
 */
export function decoderStack(w: T5GraphWriter, x0: Value, selfBias: Value, crossBias: Value, encHidden: Value, decAbl: AblationInputs, crossAbl: AblationInputs) {
  const g = w.g;
  let y = x0;
  const selfProbs: Value[] = [];
  const crossProbs: Value[] = [];
  const selfHeads: Value[] = [];
  const crossHeads: Value[] = [];
  // the residual stream: the input, then after each layer's self-attention, cross-attention and feed-forward (3L + 1 values)
  const resid: Value[] = [x0];
  for (let l = 0; l < w.c.numDecoderLayers; l++) {
    g.withScope(`dec${l}`, () => {
      const d = decoderLayer(w, y, l, selfBias, crossBias, encHidden, decAbl, crossAbl);
      selfProbs.push(d.selfProbs);
      selfHeads.push(d.selfHead);
      crossProbs.push(d.crossProbs);
      crossHeads.push(d.crossHead);
      resid.push(...d.resid);
      y = d.y;
    });
  }
  return { y, selfProbs, crossProbs, selfHeads, crossHeads, resid };
}

function lmHead(w: T5GraphWriter, x: Value): Value {
  const g = w.g;
  const c = w.c;
  const h = w.rmsNorm(x, 'decoder.final_layer_norm.weight');
  if (c.tieWordEmbeddings) {
    const scaled = g.mul(h, g.scalarFloat(c.dModel ** -0.5));
    return g.matmul(scaled, w.linearT(['shared.weight'], 'lm_head.T'));
  }
  return g.matmul(h, w.linearT(['lm_head.weight'], 'lm_head.T'));
}

function buildForward(w: T5GraphWriter, o: ForwardOutputs): void {
  const g = w.g;
  const c = w.c;
  const ids = g.input('input_ids', 'int64', ['batch', 'enc_len']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'enc_len']);
  const dec = g.input('decoder_input_ids', 'int64', ['batch', 'dec_len']);
  const encAbl = ablationInputs(w, 'encoder', c.numLayers);
  const decAbl = ablationInputs(w, 'decoder', c.numDecoderLayers);
  const crossAbl = ablationInputs(w, 'cross', c.numDecoderLayers);

  const enc = runEncoder(w, ids, mask, encAbl);
  const td = g.dim(dec, 1);
  const r = w.arange(td);
  const rel = g.sub(g.unsqueeze(r, [0]), g.unsqueeze(r, [1])); // key - query
  const causal = g.mul(g.cast(g.node('Greater', [rel, g.scalarInt64(0)], {}, ['bool'])[0], 'float32'), g.scalarFloat(F32_MIN));
  const selfBias = g.add(w.positionBias(rel, false, 'decoder'), g.unsqueeze(causal, [0, 1])); // [1, H, Td, Td]
  const crossBias = w.extendedMask(mask); // [B, 1, 1, Te]

  const { y: x, selfProbs: decProbs, crossProbs, selfHeads: decHeads, crossHeads } = decoderStack(w, w.embed(dec), selfBias, crossBias, enc.hidden, decAbl, crossAbl);

  if (o.logits) g.output(lmHead(w, x), 'logits', ['batch', 'dec_len', c.vocabSize]);
  if (o.encoderHidden) g.output(enc.hidden, 'encoder_hidden', ['batch', 'enc_len', c.dModel]);
  const H = c.numHeads;
  if (o.encoderAttentions) enc.probs.forEach((p, l) => g.output(p, `encoder_attn.${l}`, ['batch', H, 'enc_len', 'enc_len']));
  if (o.decoderAttentions) decProbs.forEach((p, l) => g.output(p, `decoder_attn.${l}`, ['batch', H, 'dec_len', 'dec_len']));
  if (o.crossAttentions) {
    crossProbs.forEach((p, l) => {
      if (o.crossQuery !== undefined) {
        const q = o.crossQuery;
        g.output(g.slice(p, [q], [q + 1], [2]), `cross_attn.${l}`, ['batch', H, 1, 'enc_len']);
      } else {
        g.output(p, `cross_attn.${l}`, ['batch', H, 'dec_len', 'enc_len']);
      }
    });
  }
  const heads = new Set(o.headOutputs ?? []);
  if (heads.has('encoder')) enc.headOuts.forEach((p, l) => g.output(p, `encoder_head.${l}`, ['batch', H, 'enc_len', c.dKv]));
  if (heads.has('decoder')) decHeads.forEach((p, l) => g.output(p, `decoder_head.${l}`, ['batch', H, 'dec_len', c.dKv]));
  if (heads.has('cross')) crossHeads.forEach((p, l) => g.output(p, `cross_head.${l}`, ['batch', H, 'dec_len', c.dKv]));
}

function buildEncoder(w: T5GraphWriter, o: { encoderAttentions?: boolean; crossKv?: boolean; headOutputs?: boolean }): void {
  const g = w.g;
  const c = w.c;
  const ids = g.input('input_ids', 'int64', ['batch', 'enc_len']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'enc_len']);
  const abl = ablationInputs(w, 'encoder', c.numLayers);
  const enc = runEncoder(w, ids, mask, abl);
  g.output(enc.hidden, 'encoder_hidden', ['batch', 'enc_len', c.dModel]);
  const H = c.numHeads;
  if (o.encoderAttentions) enc.probs.forEach((p, l) => g.output(p, `encoder_attn.${l}`, ['batch', H, 'enc_len', 'enc_len']));
  if (o.headOutputs) enc.headOuts.forEach((p, l) => g.output(p, `encoder_head.${l}`, ['batch', H, 'enc_len', c.dKv]));
  if (o.crossKv) {
    for (let l = 0; l < c.numDecoderLayers; l++) {
      const kv = w.crossKv(enc.hidden, l);
      g.output(kv.k, `cross_k.${l}`, ['batch', H, 'enc_len', c.dKv]);
      g.output(kv.v, `cross_v.${l}`, ['batch', H, 'enc_len', c.dKv]);
    }
  }
}

function buildDecoderStep(w: T5GraphWriter, o: { crossAttentions?: boolean }): void {
  const g = w.g;
  const c = w.c;
  const H = c.numHeads;
  const K = c.dKv;
  const dec = g.input('decoder_input_ids', 'int64', ['rows', 1]);
  const encMask = g.input('encoder_attention_mask', 'int64', ['batch', 'enc_len']);
  const decAbl = ablationInputs(w, 'decoder', c.numDecoderLayers);
  const crossAbl = ablationInputs(w, 'cross', c.numDecoderLayers);
  const past: { k: Value; v: Value }[] = [];
  const cross: { k: Value; v: Value }[] = [];
  for (let l = 0; l < c.numDecoderLayers; l++) {
    past.push({ k: g.input(`past_k.${l}`, 'float32', ['rows', H, 'past_len', K]), v: g.input(`past_v.${l}`, 'float32', ['rows', H, 'past_len', K]) });
  }
  for (let l = 0; l < c.numDecoderLayers; l++) {
    cross.push({ k: g.input(`cross_k.${l}`, 'float32', ['batch', H, 'enc_len', K]), v: g.input(`cross_v.${l}`, 'float32', ['batch', H, 'enc_len', K]) });
  }
  // Query position = past length; keys 0..P. rel = key - query <= 0, so no causal mask is needed.
  const pastLen = g.dim(past[0].k, 2);
  const keys = w.arange(g.add(pastLen, g.constInt64([1])));
  const rel = g.unsqueeze(g.sub(keys, g.squeeze(pastLen, [0])), [0]); // [1, P+1]
  const selfBias = w.positionBias(rel, false, 'decoder'); // [1, H, 1, P+1]
  // Cross-attention: rows are (batch, sample) pairs, sample fastest; cross K/V carry the batch only.
  const batch = g.dim(encMask, 0);
  const crossBias = w.extendedMask(encMask); // [B, 1, 1, Te]

  let x = w.embed(dec); // [N, 1, D]
  const crossProbs: Value[] = [];
  for (let l = 0; l < c.numDecoderLayers; l++) {
    g.withScope(`step${l}`, () => {
      const s = w.selfAttention(x, `decoder.block.${l}.layer.0`, selfBias, decAbl.mask, decAbl.repl, l, past[l]);
      g.output(s.k, `present_k.${l}`, ['rows', H, 'past_len_plus_1', K]);
      g.output(s.v, `present_v.${l}`, ['rows', H, 'past_len_plus_1', K]);
      const p = `decoder.block.${l}.layer.1`;
      const h = w.rmsNorm(s.y, `${p}.layer_norm.weight`); // [N, 1, D]
      const q = g.matmul(h, w.linearT([`${p}.EncDecAttention.q.weight`], `${p}.q.T`)); // [N, 1, I]
      // [N, 1, I] -> [B, S, H, K] -> [B, H, S, K]
      const qb = g.transpose(g.reshape(q, g.concat([batch, g.constInt64([-1, H, K])], 0)), [0, 2, 1, 3]);
      const a = w.attention(qb, cross[l].k, cross[l].v, crossBias); // probs [B, H, S, Te], out [B, H, S, K]
      crossProbs.push(a.probs);
      const ablated = w.ablate(a.out, crossAbl.mask, crossAbl.repl, l);
      // [B, H, S, K] -> [B, S, H, K] -> [N, 1, I]
      const merged = g.reshape(g.transpose(ablated, [0, 2, 1, 3]), [-1, 1, w.inner]);
      const y = w.gate(p, s.y, g.add(s.y, g.matmul(merged, w.linearT([`${p}.EncDecAttention.o.weight`], `${p}.o.T`))));
      x = w.feedForward(y, `decoder.block.${l}.layer.2`);
    });
  }
  const logits = lmHead(w, x); // [N, 1, V]
  g.output(g.squeeze(logits, [1]), 'logits', ['rows', c.vocabSize]);
  if (o.crossAttentions) crossProbs.forEach((p, l) => g.output(p, `cross_attn.${l}`, ['batch', H, 'samples', 'enc_len']));
}

/** Builds the graph for a spec (not yet serialised). */
export function buildT5Graph(ck: T5WeightSource, spec: GraphSpec): GraphBuilder {
  const w = new T5GraphWriter(ck, `chronos-t5:${specKey(spec)}`);
  w.layerSkips = true;
  if (spec.kind === 'forward') buildForward(w, spec.outputs);
  else if (spec.kind === 'encoder') buildEncoder(w, spec.outputs);
  else if (spec.kind === 'causal') buildCausal(w, spec.outputs);
  else buildDecoderStep(w, spec.outputs);
  return w.g;
}
