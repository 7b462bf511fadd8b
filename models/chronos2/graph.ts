/**
 * Chronos-2 as one ONNX graph, with the semantics of chronos-forecasting's Chronos2Model (eval mode)
 * from the patches on:
 *  - the patch embedding: Bolt's residual MLP on each patch's [time encoding, values, mask] (3 x
 *    patch_size numbers), for the context patches and for the output patches alike (an output patch
 *    carries the known future covariates, or zeros with a zero mask);
 *  - the tokens: context patches, the [REG] embedding (with use_reg_token), output patches;
 *  - each encoder block: time self-attention (RMS norm, RoPE on queries and keys with positions
 *    0..T-1, bidirectional, unscaled scores, padding mask on keys) -> group self-attention (the same
 *    attention along the batch axis at each token index, no RoPE: a row reads the rows of its own
 *    group whose token at that index is not padding) -> feed-forward (RMS norm, relu MLP), each with
 *    a residual connection;
 *  - the final RMS norm, then the output head (a residual MLP) on the output-patch tokens:
 *    [batch, quantiles, output_patches x patch_size], in normalised units (the caller undoes the
 *    instance norm and the arcsinh).
 * Masks are additive float32-min, as the Python model builds them; a group row whose keys are all
 * masked therefore spreads evenly, exactly as there.
 * Head gates as the other families' (T5GraphWriter.ablate): `time_head_mask` / `time_head_repl` and
 * `group_head_mask` / `group_head_repl`; `layer_skip` [layers, 3] (time, group, feed-forward; > 0.5
 * skips that sublayer's residual update).
 *
 * Inputs: `patches` float32 [batch, tokens - 1 or tokens, 3 x patch_size] (context patches then output
 * patches; [REG] is inserted by the graph after `context_patches`), `attention_mask` int64 [batch,
 * tokens] (1 = attend), `group_ids` int64 [batch], `context_patches` int64 [1].
 */
import { GraphBuilder, Value } from '../onnx/builder';
import { residualBlock } from '../bolt/graph';
import { T5GraphWriter, T5WeightSource, specKey } from '../t5/graph';
import { Chronos2ModelConfig } from './config';

export type Chronos2AttentionKind = 'time' | 'group';
export const CHRONOS2_ATTENTION_KINDS: readonly Chronos2AttentionKind[] = ['time', 'group'];

export interface Chronos2Outputs {
  /** [batch, quantiles, output_patches x patch_size], normalised. */
  quantiles?: boolean;
  /** [batch, tokens, d_model] after the final norm. */
  encoderHidden?: boolean;
  /** Per layer [batch, heads, tokens, tokens]. */
  timeAttentions?: boolean;
  /** Per layer [tokens, heads, batch, batch]: at each token index, row (query) x row (key). */
  groupAttentions?: boolean;
  /** Per-head attention outputs (before the output projection), for mean ablation. */
  headOutputs?: Chronos2AttentionKind[];
}

export interface Chronos2GraphSpec {
  kind: 'chronos2-forward';
  outputs: Chronos2Outputs;
}

export function chronos2SpecKey(spec: Chronos2GraphSpec): string {
  return specKey({ kind: 'forward', outputs: spec.outputs as never }).replace(/^forward/, spec.kind);
}

export interface Chronos2WeightSource extends T5WeightSource {
  config: Chronos2ModelConfig;
}

/** Float32 minimum, the additive mask value the Python model uses (torch.finfo(float32).min). */
const F32_MIN = -3.4028234663852886e38;

/** inv_freq of the rotary embedding in float32: 1 / theta^(2i / d_kv). */
export function ropeInverseFrequencies(theta: number, dKv: number): number[] {
  return Array.from({ length: dKv / 2 }, (_, i) => Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / dKv)))));
}

export function buildChronos2Graph(ck: Chronos2WeightSource, spec: Chronos2GraphSpec): GraphBuilder {
  const w = new T5GraphWriter(ck, `chronos-2:${chronos2SpecKey(spec)}`);
  const g = w.g;
  const c = w.c;
  const x2 = ck.config.chronos2;
  const o = spec.outputs;
  const H = c.numHeads;
  const K = c.dKv;
  const L = c.numLayers;
  const patches = g.input('patches', 'float32', ['batch', 'patch_tokens', 3 * x2.patchSize]);
  const mask = g.input('attention_mask', 'int64', ['batch', 'tokens']);
  const groupIds = g.input('group_ids', 'int64', ['batch']);
  const ctxLen = g.input('context_patches', 'int64', [1]);
  const gates = {
    time: { mask: g.input('time_head_mask', 'float32', [L, H]), repl: g.input('time_head_repl', 'float32', [L, H, K]) },
    group: { mask: g.input('group_head_mask', 'float32', [L, H]), repl: g.input('group_head_repl', 'float32', [L, H, K]) },
  };
  const skip = g.input('layer_skip', 'float32', [L, 3]);
  const batch = g.dim(patches, 0);

  // the residual after sublayer j of layer l: y, or x where that sublayer is skipped (a Where keeps
  // the unskipped path bit-identical)
  const gate = (l: number, j: number, x: Value, y: Value): Value => {
    const flag = g.node('Greater', [g.gather(g.gather(skip, g.scalarInt64(l), 0), g.scalarInt64(j), 0), g.scalarFloat(0.5)], {}, ['bool'])[0];
    return g.node('Where', [flag, x, y], {}, [x.type])[0];
  };

  let x = residualBlock(w, patches, 'input_patch_embedding'); // [B, Pc + Po, D]
  if (x2.useRegToken) {
    const row = g.gather(w.raw('shared.weight'), g.constInt64([ck.config.regTokenId], [1, 1]), 0); // [1, 1, D]
    const reg = g.node('Expand', [row, g.concat([batch, g.constInt64([1, c.dModel])], 0)])[0];
    const ctx = g.slice(x, g.constInt64([0]), ctxLen, [1]);
    const fut = g.slice(x, ctxLen, g.constInt64([Number.MAX_SAFE_INTEGER]), [1]);
    x = g.concat([ctx, reg, fut], 1);
  }

  // masks: time [B, 1, 1, T] on keys; group [T, 1, B, B]: same group and key row not padding at t
  const timeBias = w.extendedMask(mask);
  const am = g.cast(mask, 'float32'); // [B, T]
  const same = g.cast(g.node('Equal', [g.unsqueeze(groupIds, [1]), g.unsqueeze(groupIds, [0])], {}, ['bool'])[0], 'float32'); // [B, B]
  const groupTime = g.mul(g.unsqueeze(same, [0, 1]), g.unsqueeze(g.transpose(am, [1, 0]), [1, 2])); // [T, 1, B, B]
  const groupBias = g.mul(g.sub(g.scalarFloat(1), groupTime), g.scalarFloat(F32_MIN));

  // RoPE: cos / sin [T, K] for positions 0..T-1, inv_freq as the Python model computes it in float32
  const T = g.dim(mask, 1);
  const pos = g.cast(w.arange(T), 'float32'); // [T]
  const freqs = g.mul(g.unsqueeze(pos, [1]), g.constFloat(ropeInverseFrequencies(ck.config.ropeTheta, K), [1, K / 2])); // [T, K/2]
  const emb = g.concat([freqs, freqs], 1);
  const cos = g.node('Cos', [emb])[0];
  const sin = g.node('Sin', [emb])[0];
  const rope = (t: Value): Value => {
    const [a, b] = g.split(t, [K / 2, K / 2], 3);
    const rotated = g.concat([g.neg(b), a], 3);
    return g.add(g.mul(t, cos), g.mul(rotated, sin));
  };

  /** One attention sublayer over [N, S, D] (N = batch for time, tokens for group): probs [N, H, S, S], head outputs [N, H, S, K]. */
  const attend = (h: Value, prefix: string, bias: Value, kind: Chronos2AttentionKind, l: number) => {
    const a = `${prefix}.self_attention`;
    const qkv = g.matmul(w.rmsNorm(h, `${prefix}.layer_norm.weight`), w.linearT([`${a}.q.weight`, `${a}.k.weight`, `${a}.v.weight`], `${a}.qkv.T`));
    const [q0, k0, v] = g.split(qkv, [w.inner, w.inner, w.inner], 2).map((t) => w.splitHeads(t));
    const q = kind === 'time' ? rope(q0) : q0;
    const k = kind === 'time' ? rope(k0) : k0;
    const { probs, out } = w.attention(q, k, v, bias);
    const ablated = w.ablate(out, gates[kind].mask, gates[kind].repl, l);
    const update = g.add(h, g.matmul(w.mergeHeads(ablated), w.linearT([`${a}.o.weight`], `${a}.o.T`)));
    return { update, probs, headOut: out };
  };

  const timeProbs: Value[] = [];
  const groupProbs: Value[] = [];
  const timeHeads: Value[] = [];
  const groupHeads: Value[] = [];
  for (let l = 0; l < L; l++) {
    g.withScope(`block${l}`, () => {
      const p = `encoder.block.${l}.layer`;
      const t = attend(x, `${p}.0`, timeBias, 'time', l);
      timeProbs.push(t.probs);
      timeHeads.push(t.headOut);
      x = gate(l, 0, x, t.update);
      // group attention runs along the batch axis: [B, T, D] -> [T, B, D] and back
      const xt = g.transpose(x, [1, 0, 2]);
      const gr = attend(xt, `${p}.1`, groupBias, 'group', l);
      groupProbs.push(gr.probs);
      groupHeads.push(gr.headOut);
      x = gate(l, 1, x, g.transpose(gr.update, [1, 0, 2]));
      const f = `${p}.2`;
      const hid = g.relu(g.matmul(w.rmsNorm(x, `${f}.layer_norm.weight`), w.linearT([`${f}.mlp.wi.weight`], `${f}.wi.T`)));
      x = gate(l, 2, x, g.add(x, g.matmul(hid, w.linearT([`${f}.mlp.wo.weight`], `${f}.wo.T`))));
    });
  }
  const hidden = w.rmsNorm(x, 'encoder.final_layer_norm.weight');
  const Q = x2.quantiles.length;
  const P = x2.patchSize;
  if (o.quantiles) {
    // the output-patch tokens are the last Po = T - Pc (- 1 for [REG]) tokens
    const start = x2.useRegToken ? g.add(ctxLen, g.constInt64([1])) : ctxLen;
    const fut = g.slice(hidden, start, g.constInt64([Number.MAX_SAFE_INTEGER]), [1]); // [B, Po, D]
    const head = residualBlock(w, fut, 'output_patch_embedding'); // [B, Po, Q*P]
    const perPatch = g.transpose(g.reshape(head, [0, 0, Q, P]), [0, 2, 1, 3]); // [B, Q, Po, P]
    g.output(g.reshape(perPatch, [0, Q, -1]), 'quantile_preds', ['batch', Q, 'horizon']);
  }
  if (o.encoderHidden) g.output(hidden, 'encoder_hidden', ['batch', 'tokens', c.dModel]);
  if (o.timeAttentions) timeProbs.forEach((p, l) => g.output(p, `time_attn.${l}`, ['batch', H, 'tokens', 'tokens']));
  if (o.groupAttentions) groupProbs.forEach((p, l) => g.output(p, `group_attn.${l}`, ['tokens', H, 'batch', 'batch']));
  const heads = new Set(o.headOutputs ?? []);
  if (heads.has('time')) timeHeads.forEach((p, l) => g.output(p, `time_head.${l}`, ['batch', H, 'tokens', K]));
  if (heads.has('group')) groupHeads.forEach((p, l) => g.output(p, `group_head.${l}`, ['tokens', H, 'batch', K]));
  return g;
}
