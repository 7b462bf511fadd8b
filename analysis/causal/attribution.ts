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
import { checkInt, makeManifest, modelSummary } from '../common';
import { AttributionTarget, AttributionComponent, AttributionResult } from '../types';
// The result types live with the other result types (the webviews read them); re-exported for this module's users.
export type { AttributionTarget, AttributionComponent, AttributionResult } from '../types';
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
  const headPart = (out: Float32Array, o: Float32Array, h: number): Float64Array => {
    // out: [1, H, T, K]; o: [D, H*K]
    const c = new Float64Array(D);
    const base = (h * T + pos) * K;
    for (let d = 0; d < D; d++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += out[base + k] * o[d * H * K + h * K + k];
      c[d] = s;
    }
    return c;
  };
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
