/**
 * The 'causal' graph of Chronos-T5: a teacher-forced encoder-decoder pass (same semantics as the
 * 'forward' graph: the same building blocks of T5GraphWriter, layer skips and head ablation included)
 * that also exposes what the causal analyses read and write:
 *  - outputs: the decoder residual stream after every sublayer (`dec_resid.i`, i = 0 the embedding,
 *    3l+1 / 3l+2 / 3l+3 after layer l's self-attention / cross-attention / feed-forward), each sublayer's
 *    update (`dec_delta.self|cross|ff.l`), the encoder residual before each layer and after the last
 *    (`enc_resid.i`, i = 0..L, before the final norm), per-head outputs before the output projection
 *    (`<kind>_head.l`), and the per-layer lens logits (`lens_logits.l`: the residual after decoder
 *    layer l through the final RMS norm and the LM head);
 *  - activation patching inputs, per site (batch row b patches its own selection, the source
 *    activations are shared by every row):
 *      head sites (encoder | decoder | cross): `<kind>_patch_heads` [B, L, H] and `<kind>_patch_pos`
 *      [B, T] (T = encoder length for encoder heads, decoder length for decoder and cross heads);
 *      head (l, h) at position t of row b takes `<kind>_patch_src` [1, L, H, T, d_kv] where
 *      heads[b, l, h] * pos[b, t] > 0.5;
 *      residual sites (encoder_resid | decoder_resid): `<stack>_resid_patch_layers` [B, L + 1],
 *      `<stack>_resid_patch_pos` [B, T] and `<stack>_resid_src` [1, L + 1, T, D]: the residual entering
 *      layer i (i = L: leaving the last layer) at position t is replaced.
 * Replacements are Where selections, so unpatched values are bit-identical to the unpatched graph.
 */
import { GraphBuilder, Value } from '../onnx/builder';
import type { AttentionKind, T5GraphWriter } from './graph';

interface AblationInputs {
  mask: Value;
  repl: Value;
}

/** The head-ablation inputs of one attention kind, named as the other graph kinds name them. */
function ablationInputs(w: T5GraphWriter, kind: AttentionKind, layers: number): AblationInputs {
  return {
    mask: w.g.input(`${kind}_head_mask`, 'float32', [layers, w.c.numHeads]),
    repl: w.g.input(`${kind}_head_repl`, 'float32', [layers, w.c.numHeads, w.c.dKv]),
  };
}

export type PatchSite = AttentionKind | 'encoder_resid' | 'decoder_resid';
export const PATCH_SITES: readonly PatchSite[] = ['encoder', 'decoder', 'cross', 'encoder_resid', 'decoder_resid'];

export interface CausalOutputs {
  logits?: boolean;
  lens?: boolean;
  decoderResidual?: boolean;
  decoderDeltas?: boolean;
  encoderResidual?: boolean;
  headOutputs?: AttentionKind[];
  patch?: PatchSite[];
  /** Output the encoder's final hidden states (`encoder_hidden`). */
  encoderHidden?: boolean;
  /**
   * Decoder only: take the encoder's final hidden states as the input `encoder_hidden` [1|B, Te, D]
   * (with `attention_mask` [1|B, Te]) instead of running the encoder, so that patched runs which only
   * touch the decoder share one encoder pass. Encoder outputs and encoder patch sites are not available.
   */
  fromEncoderHidden?: boolean;
}

/** Float32 minimum, the additive mask value HF uses. */
const F32_MIN = -3.4028234663852886e38;

interface HeadPatch {
  heads: Value;
  pos: Value;
  src: Value;
}

function headPatchInputs(w: T5GraphWriter, kind: AttentionKind, layers: number, len: string): HeadPatch {
  const c = w.c;
  return {
    heads: w.g.input(`${kind}_patch_heads`, 'float32', ['patch_rows', layers, c.numHeads]),
    pos: w.g.input(`${kind}_patch_pos`, 'float32', ['patch_rows', len]),
    src: w.g.input(`${kind}_patch_src`, 'float32', [1, layers, c.numHeads, len, c.dKv]),
  };
}

function residPatchInputs(w: T5GraphWriter, stack: 'encoder' | 'decoder', layers: number, len: string): HeadPatch {
  return {
    heads: w.g.input(`${stack}_resid_patch_layers`, 'float32', ['patch_rows', layers + 1]),
    pos: w.g.input(`${stack}_resid_patch_pos`, 'float32', ['patch_rows', len]),
    src: w.g.input(`${stack}_resid_src`, 'float32', [1, layers + 1, len, w.c.dModel]),
  };
}

/** Head outputs [B, H, T, K] of layer l with the patch applied. */
function patchHeads(w: T5GraphWriter, out: Value, p: HeadPatch | undefined, l: number): Value {
  if (!p) return out;
  const g = w.g;
  const idx = g.scalarInt64(l);
  const mh = g.unsqueeze(g.gather(p.heads, idx, 1), [2, 3]); // [B, H, 1, 1]
  const mp = g.unsqueeze(p.pos, [1, 3]); // [B, 1, T, 1]
  const flag = g.node('Greater', [g.mul(mh, mp), g.scalarFloat(0.5)], {}, ['bool'])[0];
  return g.node('Where', [flag, g.gather(p.src, idx, 1), out], {}, ['float32'])[0];
}

/** Residual [B, T, D] entering boundary i with the patch applied. */
function patchResid(w: T5GraphWriter, x: Value, p: HeadPatch | undefined, i: number): Value {
  if (!p) return x;
  const g = w.g;
  const idx = g.scalarInt64(i);
  const ml = g.unsqueeze(g.gather(p.heads, idx, 1), [1, 2]); // [B, 1, 1]
  const mp = g.unsqueeze(p.pos, [2]); // [B, T, 1]
  const flag = g.node('Greater', [g.mul(ml, mp), g.scalarFloat(0.5)], {}, ['bool'])[0];
  return g.node('Where', [flag, g.gather(p.src, idx, 1), x], {}, ['float32'])[0];
}

/** Attention sublayer: returns the update (before the residual add) and the (patched) head outputs. */
function attentionBlock(w: T5GraphWriter, x: Value, kv: Value | null, prefix: string, module: string, bias: Value, abl: AblationInputs, patch: HeadPatch | undefined, l: number): { delta: Value; head: Value } {
  const g = w.g;
  const h = w.rmsNorm(x, `${prefix}.layer_norm.weight`);
  const a = `${prefix}.${module}`;
  let q: Value;
  let k: Value;
  let v: Value;
  if (kv === null) {
    const qkv = g.matmul(h, w.linearT([`${a}.q.weight`, `${a}.k.weight`, `${a}.v.weight`], `${a}.qkv.T`));
    [q, k, v] = g.split(qkv, [w.inner, w.inner, w.inner], 2).map((t) => w.splitHeads(t));
  } else {
    q = w.splitHeads(g.matmul(h, w.linearT([`${a}.q.weight`], `${prefix}.q.T`)));
    const l = Number(/block\.(\d+)/.exec(prefix)![1]);
    ({ k, v } = w.crossKv(kv, l));
  }
  const { out } = w.attention(q, k, v, bias);
  const head = patchHeads(w, w.ablate(out, abl.mask, abl.repl, l), patch, l);
  return { delta: g.matmul(w.mergeHeads(head), w.linearT([`${a}.o.weight`], `${a}.o.T`)), head };
}

/** Feed-forward update (before the residual add), relu or gated-gelu as the writer's feedForward. */
function feedForwardDelta(w: T5GraphWriter, x: Value, prefix: string): Value {
  const g = w.g;
  const h = w.rmsNorm(x, `${prefix}.layer_norm.weight`);
  let act: Value;
  if (w.c.feedForwardProj === 'gated-gelu') {
    const a = g.matmul(h, w.linearT([`${prefix}.DenseReluDense.wi_0.weight`], `${prefix}.wi_0.T`));
    const lin = g.matmul(h, w.linearT([`${prefix}.DenseReluDense.wi_1.weight`], `${prefix}.wi_1.T`));
    const cube = g.pow(a, g.scalarFloat(3));
    const inner = g.mul(g.scalarFloat(Math.sqrt(2 / Math.PI)), g.add(a, g.mul(g.scalarFloat(0.044715), cube)));
    act = g.mul(g.mul(g.mul(g.scalarFloat(0.5), a), g.add(g.scalarFloat(1), g.tanh(inner))), lin);
  } else {
    act = g.relu(g.matmul(h, w.linearT([`${prefix}.DenseReluDense.wi.weight`], `${prefix}.wi.T`)));
  }
  return g.matmul(act, w.linearT([`${prefix}.DenseReluDense.wo.weight`], `${prefix}.wo.T`));
}

/** Final RMS norm and LM head (tied embeddings rescaled by d_model^-0.5), as the forward graph's. */
function lmHead(w: T5GraphWriter, x: Value): Value {
  const g = w.g;
  const c = w.c;
  const h = w.rmsNorm(x, 'decoder.final_layer_norm.weight');
  if (c.tieWordEmbeddings) return g.matmul(g.mul(h, g.scalarFloat(c.dModel ** -0.5)), w.linearT(['shared.weight'], 'lm_head.T'));
  return g.matmul(h, w.linearT(['lm_head.weight'], 'lm_head.T'));
}

/** The encoder with its patch sites: returns the final hidden states; fills the residuals and head outputs. */
function encoderPart(w: T5GraphWriter, ids: Value, mask: Value, encAbl: AblationInputs, patch: Partial<Record<PatchSite, HeadPatch>>, encResid: Value[], encHeads: Value[]): Value {
  const g = w.g;
  const Le = w.c.numLayers;
  const te = g.dim(ids, 1);
  const re = w.arange(te);
  const relE = g.sub(g.unsqueeze(re, [0]), g.unsqueeze(re, [1]));
  const encBias = g.add(w.positionBias(relE, true, 'encoder'), w.extendedMask(mask));
  let x = w.embed(ids);
  for (let l = 0; l < Le; l++) {
    g.withScope(`cenc${l}`, () => {
      x = patchResid(w, x, patch.encoder_resid, l);
      encResid.push(x);
      const p0 = `encoder.block.${l}.layer.0`;
      const a = attentionBlock(w, x, null, p0, 'SelfAttention', encBias, encAbl, patch.encoder, l);
      encHeads.push(a.head);
      x = w.gate(p0, x, g.add(x, a.delta));
      const p1 = `encoder.block.${l}.layer.1`;
      x = w.gate(p1, x, g.add(x, feedForwardDelta(w, x, p1)));
    });
  }
  x = patchResid(w, x, patch.encoder_resid, Le);
  encResid.push(x);
  return w.rmsNorm(x, 'encoder.final_layer_norm.weight');
}

export function buildCausal(w: T5GraphWriter, o: CausalOutputs): GraphBuilder {
  const g = w.g;
  const c = w.c;
  const H = c.numHeads;
  const Le = c.numLayers;
  const Ld = c.numDecoderLayers;
  const sites = new Set(o.patch ?? []);
  if (o.fromEncoderHidden && (o.encoderResidual || o.encoderHidden || o.headOutputs?.includes('encoder') || sites.has('encoder') || sites.has('encoder_resid'))) {
    throw new Error('a causal graph from encoder hidden states has no encoder outputs or encoder patch sites');
  }
  const ids = o.fromEncoderHidden ? null : g.input('input_ids', 'int64', ['batch', 'enc_len']);
  const mask = g.input('attention_mask', 'int64', [o.fromEncoderHidden ? 'enc_batch' : 'batch', 'enc_len']);
  const dec = g.input('decoder_input_ids', 'int64', ['batch', 'dec_len']);
  const decAbl = ablationInputs(w, 'decoder', Ld);
  const crossAbl = ablationInputs(w, 'cross', Ld);
  const patch: Partial<Record<PatchSite, HeadPatch>> = {};
  if (sites.has('encoder')) patch.encoder = headPatchInputs(w, 'encoder', Le, 'enc_len');
  if (sites.has('decoder')) patch.decoder = headPatchInputs(w, 'decoder', Ld, 'dec_len');
  if (sites.has('cross')) patch.cross = headPatchInputs(w, 'cross', Ld, 'dec_len');
  if (sites.has('encoder_resid')) patch.encoder_resid = residPatchInputs(w, 'encoder', Le, 'enc_len');
  if (sites.has('decoder_resid')) patch.decoder_resid = residPatchInputs(w, 'decoder', Ld, 'dec_len');

  // Encoder.
  const encResid: Value[] = [];
  const encHeads: Value[] = [];
  let encHidden: Value;
  if (ids === null) encHidden = g.input('encoder_hidden', 'float32', ['enc_batch', 'enc_len', c.dModel]);
  else encHidden = encoderPart(w, ids, mask, ablationInputs(w, 'encoder', Le), patch, encResid, encHeads);


  // Decoder.
  const td = g.dim(dec, 1);
  const rd = w.arange(td);
  const relD = g.sub(g.unsqueeze(rd, [0]), g.unsqueeze(rd, [1]));
  const causal = g.mul(g.cast(g.node('Greater', [relD, g.scalarInt64(0)], {}, ['bool'])[0], 'float32'), g.scalarFloat(F32_MIN));
  const selfBias = g.add(w.positionBias(relD, false, 'decoder'), g.unsqueeze(causal, [0, 1]));
  const crossBias = w.extendedMask(mask);
  let y = w.embed(dec);
  const decResid: Value[] = [];
  const deltas: { self: Value; cross: Value; ff: Value }[] = [];
  const decHeads: Value[] = [];
  const crossHeads: Value[] = [];
  const afterLayer: Value[] = [];
  for (let l = 0; l < Ld; l++) {
    g.withScope(`cdec${l}`, () => {
      y = patchResid(w, y, patch.decoder_resid, l);
      decResid.push(y);
      const p0 = `decoder.block.${l}.layer.0`;
      const s = attentionBlock(w, y, null, p0, 'SelfAttention', selfBias, decAbl, patch.decoder, l);
      decHeads.push(s.head);
      y = w.gate(p0, y, g.add(y, s.delta));
      decResid.push(y);
      const p1 = `decoder.block.${l}.layer.1`;
      const a = attentionBlock(w, y, encHidden, p1, 'EncDecAttention', crossBias, crossAbl, patch.cross, l);
      crossHeads.push(a.head);
      y = w.gate(p1, y, g.add(y, a.delta));
      decResid.push(y);
      const p2 = `decoder.block.${l}.layer.2`;
      const ff = feedForwardDelta(w, y, p2);
      y = w.gate(p2, y, g.add(y, ff));
      deltas.push({ self: s.delta, cross: a.delta, ff });
      afterLayer.push(y);
    });
  }
  y = patchResid(w, y, patch.decoder_resid, Ld);
  decResid.push(y);

  const D = c.dModel;
  if (o.logits) g.output(lmHead(w, y), 'logits', ['batch', 'dec_len', c.vocabSize]);
  if (o.lens) afterLayer.forEach((v, l) => g.output(l === Ld - 1 ? lmHead(w, y) : lmHead(w, v), `lens_logits.${l}`, ['batch', 'dec_len', c.vocabSize]));
  if (o.decoderResidual) decResid.forEach((v, i) => g.output(v, `dec_resid.${i}`, ['batch', 'dec_len', D]));
  if (o.decoderDeltas) {
    deltas.forEach((d, l) => {
      g.output(d.self, `dec_delta.self.${l}`, ['batch', 'dec_len', D]);
      g.output(d.cross, `dec_delta.cross.${l}`, ['batch', 'dec_len', D]);
      g.output(d.ff, `dec_delta.ff.${l}`, ['batch', 'dec_len', D]);
    });
  }
  if (o.encoderHidden) g.output(encHidden, 'encoder_hidden', ['batch', 'enc_len', D]);
  if (o.encoderResidual) encResid.forEach((v, i) => g.output(v, `enc_resid.${i}`, ['batch', 'enc_len', D]));
  const kinds = new Set(o.headOutputs ?? []);
  if (kinds.has('encoder')) encHeads.forEach((v, l) => g.output(v, `encoder_head.${l}`, ['batch', H, 'enc_len', c.dKv]));
  if (kinds.has('decoder')) decHeads.forEach((v, l) => g.output(v, `decoder_head.${l}`, ['batch', H, 'dec_len', c.dKv]));
  if (kinds.has('cross')) crossHeads.forEach((v, l) => g.output(v, `cross_head.${l}`, ['batch', H, 'dec_len', c.dKv]));
  return g;
}
