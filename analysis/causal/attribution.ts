/**
 * Direct attribution on the decoder's residual stream (Chronos-T5). At forecast step N (decoder
 * position N, teacher-forced on the model's median path), the final residual x (before the final RMS
 * norm) is exactly the sum of
 *   the token embedding, every self-attention head's output through its slice of the output projection
 *   (head h of layer l: o_h W_O[:, h d_kv:(h+1) d_kv]^T), every cross-attention head's likewise, and
 *   every feed-forward block's update.
 * Each part c_i goes through the final norm with its scale s = 1 / sqrt(mean(x^2) + eps) frozen from the
 * clean run and through the LM head (the tied embedding times d_model^-0.5 when tie_word_embeddings),
 * so that the readout is linear and the parts sum to the total exactly (up to float rounding):
 *   logit:    part_i = u_v . c_i with u_v = g * s * alpha * E[v]; total = the logit of token v;
 *   logprob:  the logit parts plus one constant part, -logsumexp of the clean logits (frozen); total =
 *             log p(v) (the log-softmax over the whole vocabulary);
 *   expected: the expected value E = scale * sum_w p_w centre(w) (p over the value tokens) is not linear
 *             in the logits; with p frozen, part_i = scale * sum_w p_w (centre(w) - mu) u_w . c_i (the
 *             gradient of E with respect to the logits times each part's logits), and the total is
 *             scale * Cov_p(centre, logit) = the sum of the parts; E itself is reported beside it.
 */
import { ChronosLensError } from '../../core/errors';
import { RunControl, throwIfAborted } from '../../core/progress';
import { ChronosModel } from '../../models/model';
import { BoltModel } from '../../models/bolt/model';
import { linearised, readBoltReadout, residualPass, rmsScale } from './bolt-readout';
import { builderVersion, checkInt, makeManifest, modelSummary } from '../common';
import { AttributionTarget, AttributionComponent, AttributionResult, BoltAttributionResult } from '../types';
// The result types live with the other result types (the webviews read them); re-exported for this module's users.
export type { AttributionTarget, AttributionComponent, AttributionResult, BoltAttributionResult } from '../types';
import { SeriesContext, logSoftmax, medianPath, rowsOf, runCausal, seriesContext, valueDistribution } from './run';

export interface AttributionOptions extends RunControl {
  values: ArrayLike<number>;
  /** For messages and the manifest. */
  label: string;
  /** Forecast step (0-based; default 0). */
  step?: number;
  target?: AttributionTarget;
  /** Token id whose logit / log-prob is attributed (default: the median token at the step). */
  token?: number;
}

interface Weights {
  oSelf: Float32Array[];
  oCross: Float32Array[];
  normG: Float32Array;
  readout: Float32Array;
}

async function readWeights(model: ChronosModel): Promise<Weights> {
  const ck = model.checkpoint;
  const t = model.config.t5;
  const L = t.numDecoderLayers;
  const oSelf = await Promise.all(Array.from({ length: L }, (_, l) => ck.read(`decoder.block.${l}.layer.0.SelfAttention.o.weight`)));
  const oCross = await Promise.all(Array.from({ length: L }, (_, l) => ck.read(`decoder.block.${l}.layer.1.EncDecAttention.o.weight`)));
  const normG = await ck.read('decoder.final_layer_norm.weight');
  const readout = await ck.read(t.tieWordEmbeddings ? 'shared.weight' : 'lm_head.weight');
  return { oSelf, oCross, normG, readout };
}

/**
 * What head h wrote into the residual stream at position pos: its output there (before the output
 * projection; `out` [1, H, T, K]) through its slice of the output projection (`o` [D, H*K]).
 */
function headWrite(out: Float32Array, o: Float32Array, h: number, pos: number, T: number, H: number, K: number, D: number): Float64Array {
  const c = new Float64Array(D);
  const base = (h * T + pos) * K;
  for (let d = 0; d < D; d++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += out[base + k] * o[d * H * K + h * K + k];
    c[d] = s;
  }
  return c;
}

export async function attribute(model: ChronosModel, opts: AttributionOptions): Promise<AttributionResult> {
  const t = model.config.t5;
  const cc = model.config.chronos;
  const V = t.vocabSize;
  const D = t.dModel;
  const H = t.numHeads;
  const K = t.dKv;
  const L = t.numDecoderLayers;
  const step = checkInt('step', opts.step ?? 0, 0, cc.predictionLength - 1);
  const kind = opts.target ?? 'logit';
  if (!['logit', 'logprob', 'expected'].includes(kind)) throw new ChronosLensError('BAD_INPUT', `unknown attribution target "${kind}" (expected logit, logprob or expected)`);
  if (opts.token !== undefined) checkInt(`token (the vocabulary has ${V})`, opts.token, 0, V - 1);
  const ctx: SeriesContext = seriesContext(model, opts.values, opts.label);
  const path = await medianPath(model, ctx, step + 1);
  throwIfAborted(opts.signal);
  const dec = [t.decoderStartTokenId, ...path.slice(0, step)];
  const r = await runCausal(model, { encoder: rowsOf([ctx.ids]), mask: rowsOf([ctx.mask]), decoder: rowsOf([dec]) }, { logits: true, decoderResidual: true, decoderDeltas: true, headOutputs: ['decoder', 'cross'] });
  const w = await readWeights(model);
  const T = dec.length;
  const pos = step;
  const vec = (name: string) => Float64Array.from(r[name].data.subarray(pos * D, (pos + 1) * D));
  const x = vec(`dec_resid.${3 * L}`);
  let ms = 0;
  for (let d = 0; d < D; d++) ms += x[d] * x[d];
  const normScale = 1 / Math.sqrt(ms / D + t.layerNormEpsilon);
  const alpha = t.tieWordEmbeddings ? D ** -0.5 : 1;
  const logits = r.logits.data;
  const lo = pos * V;
  const median = path[step];
  const token = opts.token ?? median;
  const { lse, logp } = logSoftmax(logits, lo, V);
  const p = valueDistribution(model, logits, lo);
  let mu = 0;
  for (let v = cc.nSpecialTokens; v < V; v++) mu += p[v] * model.tokenizer.centerOf(v);

  // The readout direction r (D): u_v for logit / logprob; sum_w a_w u_w for the expected value.
  const dir = new Float64Array(D);
  const coef = new Float64Array(D);
  for (let d = 0; d < D; d++) coef[d] = w.normG[d] * normScale * alpha;
  if (kind === 'expected') {
    for (let v = cc.nSpecialTokens; v < V; v++) {
      const a = ctx.scale * p[v] * (model.tokenizer.centerOf(v) - mu);
      if (a === 0) continue;
      for (let d = 0; d < D; d++) dir[d] += a * w.readout[v * D + d];
    }
    for (let d = 0; d < D; d++) dir[d] *= coef[d];
  } else {
    for (let d = 0; d < D; d++) dir[d] = coef[d] * w.readout[token * D + d];
  }
  const dot = (c: ArrayLike<number>) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += dir[d] * c[d];
    return s;
  };

  const components: AttributionComponent[] = [{ component: 'embedding', kind: 'embedding', layer: null, head: null, value: dot(vec('dec_resid.0')) }];
  const headPart = (out: Float32Array, o: Float32Array, h: number): Float64Array => headWrite(out, o, h, pos, T, H, K, D);
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) components.push({ component: `decoder:L${l}.H${h}`, kind: 'self_head', layer: l, head: h, value: dot(headPart(r[`decoder_head.${l}`].data, w.oSelf[l], h)) });
    for (let h = 0; h < H; h++) components.push({ component: `cross:L${l}.H${h}`, kind: 'cross_head', layer: l, head: h, value: dot(headPart(r[`cross_head.${l}`].data, w.oCross[l], h)) });
    components.push({ component: `decoder:L${l}.ff`, kind: 'ff', layer: l, head: null, value: dot(vec(`dec_delta.ff.${l}`)) });
  }
  if (kind === 'logprob') components.push({ component: 'logsumexp', kind: 'constant', layer: null, head: null, value: -lse });
  const total = components.reduce((a, c) => a + c.value, 0);
  return {
    model: await modelSummary(model),
    target: {
      kind,
      step,
      token,
      tokenValue: model.tokenizer.centerOf(token) * ctx.scale,
      decoderInputs: dec,
      scale: ctx.scale,
      normScale,
      logit: logits[lo + token],
      logprob: logp[token],
      expectedValue: ctx.scale * mu,
    },
    total,
    components,
    manifest: await makeManifest(model, 'attribute', {}, { label: opts.label, step, target: kind, token }),
  };
}

export interface BoltAttributionOptions extends RunControl {
  values: ArrayLike<number>;
  label: string;
  /** Forecast step (0-based, within prediction_length; default 0). */
  step?: number;
  /** One of the model's quantile levels (default 0.5). */
  level?: number;
}

/**
 * Direct attribution of one Chronos-Bolt forecast value (docs/causal.md): the decoder token's final
 * residual x = its embedding + every self / cross head's write + every feed-forward update; the head is
 * linearised at x (final-norm scale and activation gates frozen, analysis/causal/bolt-readout.ts), so each
 * part c contributes scale x dir . c, the head's biases scale x bias, and the instance norm's loc itself;
 * the parts sum to the forecast value. The cross heads' parts are split further by encoder component
 * (patch embeddings, [REG], encoder heads and feed-forward blocks): with the cross-attention weights and
 * the encoder's final-norm scale at each position frozen, a cross head's output is linear in what each
 * component wrote at each position.
 */
export async function attributeBolt(model: BoltModel, opts: BoltAttributionOptions): Promise<BoltAttributionResult> {
  const t = model.config.t5;
  const b = model.config.bolt;
  const D = t.dModel;
  const H = t.numHeads;
  const K = t.dKv;
  const Ld = t.numDecoderLayers;
  const Le = t.numLayers;
  const T = b.predictionLength;
  const step = checkInt(`step (${model.name} forecasts ${T} steps in one pass)`, opts.step ?? 0, 0, T - 1);
  const level = opts.level ?? 0.5;
  const li = b.quantiles.indexOf(level);
  if (li < 0) throw new ChronosLensError('BAD_INPUT', `level ${level} is not one of ${model.name}'s quantile levels (${b.quantiles.join(', ')})`);
  const r = await residualPass(model, opts.values, opts.label, { crossAttentions: true, headOutputs: ['encoder', 'decoder', 'cross'] }, 'the attribution pass');
  throwIfAborted(opts.signal);
  const { loc, scale } = r.rows[0].norm;
  const Te = r.encLen;
  const ck = model.checkpoint;
  const head = await readBoltReadout(model);
  const dec = r.decoderResid!.map((x) => x.data);
  const enc = r.encoderResid!.map((x) => x.data);
  const j = li * T + step;
  const lin = linearised(head, dec[3 * Ld], j);
  const dot = (c: ArrayLike<number>, off = 0) => {
    let v = 0;
    for (let d = 0; d < D; d++) v += lin.dir[d] * c[off + d];
    return scale * v;
  };
  const diff = (a: Float32Array, c: Float32Array) => Float64Array.from({ length: D }, (_, d) => a[d] - c[d]);
  const oSelf = await Promise.all(Array.from({ length: Ld }, (_, l) => ck.read(`decoder.block.${l}.layer.0.SelfAttention.o.weight`)));
  const oCross = await Promise.all(Array.from({ length: Ld }, (_, l) => ck.read(`decoder.block.${l}.layer.1.EncDecAttention.o.weight`)));
  const components: AttributionComponent[] = [{ component: 'embedding', kind: 'embedding', layer: null, head: null, value: dot(dec[0]) }];
  for (let l = 0; l < Ld; l++) {
    for (let h = 0; h < H; h++) components.push({ component: `decoder:L${l}.H${h}`, kind: 'self_head', layer: l, head: h, value: dot(headWrite(r.headOutputs!.decoder![l].data, oSelf[l], h, 0, 1, H, K, D)) });
    for (let h = 0; h < H; h++) components.push({ component: `cross:L${l}.H${h}`, kind: 'cross_head', layer: l, head: h, value: dot(headWrite(r.headOutputs!.cross![l].data, oCross[l], h, 0, 1, H, K, D)) });
    components.push({ component: `decoder:L${l}.ff`, kind: 'ff', layer: l, head: null, value: dot(diff(dec[3 * l + 3], dec[3 * l + 2])) });
  }
  components.push({ component: 'head_bias', kind: 'constant', layer: null, head: null, value: scale * lin.bias });
  components.push({ component: 'loc', kind: 'constant', layer: null, head: null, value: loc });

  // Encoder breakdown: a part c_k written at encoder position k reaches the decoder through every cross
  // head as sum_{l,h} a_lhk W_O,h W_V,h (s_k g_enc * c_k); so its value is s_k c_k . w_k with
  // w_k = g_enc * sum_{l,h} a_lhk W_V,h^T (W_O,h^T dir) (times the series scale).
  const gEnc = await ck.read('encoder.final_layer_norm.weight');
  const w = Array.from({ length: Te }, () => new Float64Array(D));
  for (let l = 0; l < Ld; l++) {
    const v = await ck.read(`decoder.block.${l}.layer.1.EncDecAttention.v.weight`); // [H*K, D]
    const o = oCross[l]; // [D, H*K]
    const att = r.crossAttentions![l].data; // [1, H, 1, Te]
    for (let h = 0; h < H; h++) {
      const od = new Float64Array(K);
      for (let k = 0; k < K; k++) for (let d = 0; d < D; d++) od[k] += o[d * H * K + h * K + k] * lin.dir[d];
      const u = new Float64Array(D);
      for (let k = 0; k < K; k++) for (let d = 0; d < D; d++) u[d] += v[(h * K + k) * D + d] * od[k];
      for (let p = 0; p < Te; p++) {
        const a = att[h * Te + p];
        if (a === 0) continue;
        for (let d = 0; d < D; d++) w[p][d] += a * u[d];
      }
    }
  }
  const sEnc = Array.from({ length: Te }, (_, p) => rmsScale(enc[2 * Le].subarray(p * D, (p + 1) * D), t.layerNormEpsilon));
  for (let p = 0; p < Te; p++) for (let d = 0; d < D; d++) w[p][d] *= gEnc[d] * sEnc[p];
  /** scale x sum over positions [from, to) of w_p . c_p, with c_p = part(p). */
  const over = (part: (p: number) => ArrayLike<number>, from = 0, to = Te) => {
    let v = 0;
    for (let p = from; p < to; p++) {
      const c = part(p);
      for (let d = 0; d < D; d++) v += w[p][d] * c[d];
    }
    return scale * v;
  };
  const at = (x: Float32Array) => (p: number) => x.subarray(p * D, (p + 1) * D);
  const P = r.patches;
  const encoderComponents: AttributionComponent[] = [{ component: 'patch_embedding', kind: 'embedding', layer: null, head: null, value: over(at(enc[0]), 0, P) }];
  if (b.useRegToken) encoderComponents.push({ component: '[REG]', kind: 'embedding', layer: null, head: null, value: over(at(enc[0]), P, P + 1) });
  for (let l = 0; l < Le; l++) {
    const o = await ck.read(`encoder.block.${l}.layer.0.SelfAttention.o.weight`);
    const out = r.headOutputs!.encoder![l].data; // [1, H, Te, K]
    for (let h = 0; h < H; h++) encoderComponents.push({ component: `encoder:L${l}.H${h}`, kind: 'encoder_head', layer: l, head: h, value: over((p) => headWrite(out, o, h, p, Te, H, K, D)) });
    encoderComponents.push({ component: `encoder:L${l}.ff`, kind: 'ff', layer: l, head: null, value: over((p) => diff(enc[2 * l + 2].subarray(p * D, (p + 1) * D), enc[2 * l + 1].subarray(p * D, (p + 1) * D))) });
  }
  const total = components.reduce((a, c) => a + c.value, 0);
  return {
    model: await modelSummary(model),
    target: { kind: 'quantile', step, level, value: r.quantiles!.data[j], loc, scale, normScale: lin.normScale, activation: head.activation, openGates: lin.openGates },
    total,
    components,
    encoderComponents,
    manifest: await makeManifest(model, 'attribute', {}, { label: opts.label, step, level }, builderVersion(model)),
  };
}
