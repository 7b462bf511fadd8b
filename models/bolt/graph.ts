/**
 * Chronos-Bolt as one ONNX graph, with the semantics of chronos-forecasting's
 * ChronosBoltModelForForecasting (eval mode) from the patches on:
 *  - the patch embedding: a residual MLP on each patch's [values, mask] (hidden = act(W_h x + b_h);
 *    out = W_o hidden + b_o + W_r x + b_r);
 *  - with use_reg_token, the [REG] embedding appended after the last patch (always attended);
 *  - the T5 encoder over patches (T5GraphWriter: relative position buckets count patches), masked
 *    where a patch has no observed value;
 *  - a T5 decoder over exactly one token (the decoder start embedding): its self-attention sees only
 *    itself, its cross-attention reads every patch;
 *  - the residual MLP quantile head on the decoder's output: [batch, quantiles, prediction_length],
 *    in normalised units (the caller undoes the instance norm).
 * Normalisation and patching happen before the graph (models/patching.ts), as tokenisation does for
 * Chronos-T5. The head gates are T5's: `<kind>_head_mask` / `<kind>_head_repl` for the kinds
 * encoder, decoder and cross, so zero and mean ablation never need a rebuild.
 *
 * Inputs: `patches` float32 [batch, patches, 2 x patch_size]; `attention_mask` int64
 * [batch, enc_len] with enc_len = patches (+ 1 for [REG]); the six head-gate tensors; the layer
 * skips `encoder_layer_skip` [layers, 2] and `decoder_layer_skip` [layers, 3] (T5GraphWriter.gate).
 */
import { GraphBuilder, Value } from '../onnx/builder';
import { AblationInputs, AttentionKind, T5GraphWriter, T5WeightSource, ablationInputs, decoderStack, encoderStack, specKey } from '../t5/graph';
import { BoltModelConfig } from './config';

export interface BoltOutputs {
  /** [batch, quantiles, prediction_length], normalised. */
  quantiles?: boolean;
  encoderHidden?: boolean;
  /** Per layer [batch, heads, enc_len, enc_len]. */
  encoderAttentions?: boolean;
  /** Per layer [batch, heads, 1, 1] (always 1: one decoder token), kept so that every kind has its view. */
  decoderAttentions?: boolean;
  /** Per layer [batch, heads, 1, enc_len]. */
  crossAttentions?: boolean;
  /** Per-head attention outputs (before the output projection), for mean ablation. */
  headOutputs?: AttentionKind[];
  /**
   * The residual streams, for attribution and the per-layer lens: `enc_resid.i` [batch, enc_len, d_model]
   * (i = 0 the patch embeddings with [REG], 2l+1 / 2l+2 after layer l's attention / feed-forward, before
   * the final norm) and `dec_resid.i` [batch, 1, d_model] (i = 0 the decoder token's embedding, 3l+1 /
   * 3l+2 / 3l+3 after layer l's self-attention / cross-attention / feed-forward, before the final norm).
   */
  residuals?: boolean;
}

export interface BoltGraphSpec {
  kind: 'bolt-forward';
  outputs: BoltOutputs;
}

export function boltSpecKey(spec: BoltGraphSpec): string {
  return specKey({ kind: 'forward', outputs: spec.outputs }).replace(/^forward/, spec.kind);
}

export interface BoltWeightSource extends T5WeightSource {
  config: BoltModelConfig;
}

/**
 * x [.., in] -> [.., out] through a residual MLP block `prefix` (input_patch_embedding /
 * output_patch_embedding): Chronos-Bolt's and Chronos-2's ResidualBlock (without its unused layer norm).
 */
export function residualBlock(w: T5GraphWriter, x: Value, prefix: string): Value {
  const g = w.g;
  const lin = (name: string) => g.add(g.matmul(x, w.linearT([`${prefix}.${name}.weight`], `${prefix}.${name}.T`)), w.raw(`${prefix}.${name}.bias`));
  const pre = lin('hidden_layer');
  let hid: Value;
  if (w.c.feedForwardProj === 'gated-gelu') {
    // T5Config maps gated-gelu to dense_act_fn gelu_new (tanh approximation), which the block uses.
    const cube = g.pow(pre, g.scalarFloat(3));
    const inner = g.mul(g.scalarFloat(Math.sqrt(2 / Math.PI)), g.add(pre, g.mul(g.scalarFloat(0.044715), cube)));
    hid = g.mul(g.mul(g.scalarFloat(0.5), pre), g.add(g.scalarFloat(1), g.tanh(inner)));
  } else {
    hid = g.relu(pre);
  }
  const out = g.add(g.matmul(hid, w.linearT([`${prefix}.output_layer.weight`], `${prefix}.output_layer.T`)), w.raw(`${prefix}.output_layer.bias`));
  return g.add(out, lin('residual_layer'));
}

/** Builds the graph for a spec (not yet serialised). */
export function buildBoltGraph(ck: BoltWeightSource, spec: BoltGraphSpec): GraphBuilder {
  const w = new T5GraphWriter(ck, `chronos-bolt:${boltSpecKey(spec)}`);
  // whole-layer and sublayer ablation (`encoder_layer_skip`, `decoder_layer_skip`), as for Chronos-T5
  w.layerSkips = true;
  const g = w.g;
  const c = w.c;
  const b = ck.config.bolt;
  const o = spec.outputs;
  const H = c.numHeads;
  const patches = g.input('patches', 'float32', ['batch', 'patches', 2 * b.inputPatchSize]);
  const mask = g.input('attention_mask', 'int64', ['batch', 'enc_len']);
  const encAbl: AblationInputs = ablationInputs(w, 'encoder', c.numLayers);
  const decAbl = ablationInputs(w, 'decoder', c.numDecoderLayers);
  const crossAbl = ablationInputs(w, 'cross', c.numDecoderLayers);
  const batch = g.dim(patches, 0);

  /** One row of the embedding table, broadcast to [batch, 1, d_model]. */
  const tokenRow = (id: number): Value => {
    const row = g.gather(w.raw('shared.weight'), g.constInt64([id], [1, 1]), 0); // [1, 1, D]
    return g.node('Expand', [row, g.concat([batch, g.constInt64([1, c.dModel])], 0)])[0];
  };

  let x = residualBlock(w, patches, 'input_patch_embedding'); // [B, P, D]
  if (b.useRegToken) x = g.concat([x, tokenRow(ck.config.regTokenId)], 1);
  const enc = encoderStack(w, x, mask, encAbl);

  // One decoder token at position 0: relative position 0 only, no causal mask to add.
  const selfBias = w.positionBias(g.constInt64([0], [1, 1]), false, 'decoder'); // [1, H, 1, 1]
  const crossBias = w.extendedMask(mask); // [B, 1, 1, Te]
  const { y, selfProbs: decProbs, crossProbs, selfHeads: decHeads, crossHeads, resid: decResid } = decoderStack(w, tokenRow(c.decoderStartTokenId), selfBias, crossBias, enc.hidden, decAbl, crossAbl);
  const Q = b.quantiles.length;
  if (o.quantiles) {
    const head = residualBlock(w, w.rmsNorm(y, 'decoder.final_layer_norm.weight'), 'output_patch_embedding'); // [B, 1, Q*T]
    g.output(g.reshape(head, [0, Q, b.predictionLength]), 'quantile_preds', ['batch', Q, b.predictionLength]);
  }
  if (o.encoderHidden) g.output(enc.hidden, 'encoder_hidden', ['batch', 'enc_len', c.dModel]);
  if (o.encoderAttentions) enc.probs.forEach((p, l) => g.output(p, `encoder_attn.${l}`, ['batch', H, 'enc_len', 'enc_len']));
  if (o.decoderAttentions) decProbs.forEach((p, l) => g.output(p, `decoder_attn.${l}`, ['batch', H, 1, 1]));
  if (o.crossAttentions) crossProbs.forEach((p, l) => g.output(p, `cross_attn.${l}`, ['batch', H, 1, 'enc_len']));
  if (o.residuals) {
    enc.resid.forEach((r, i) => g.output(r, `enc_resid.${i}`, ['batch', 'enc_len', c.dModel]));
    decResid.forEach((r, i) => g.output(r, `dec_resid.${i}`, ['batch', 1, c.dModel]));
  }
  const heads = new Set(o.headOutputs ?? []);
  if (heads.has('encoder')) enc.headOuts.forEach((p, l) => g.output(p, `encoder_head.${l}`, ['batch', H, 'enc_len', c.dKv]));
  if (heads.has('decoder')) decHeads.forEach((p, l) => g.output(p, `decoder_head.${l}`, ['batch', H, 1, c.dKv]));
  if (heads.has('cross')) crossHeads.forEach((p, l) => g.output(p, `cross_head.${l}`, ['batch', H, 1, c.dKv]));
  return g;
}
