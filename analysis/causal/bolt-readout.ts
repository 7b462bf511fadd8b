/**
 * Chronos-Bolt's readout of a decoder residual, in float64 from the checkpoint's weights, for the causal
 * analyses: the final RMS norm and the quantile head (models/bolt/graph.ts's residualBlock: hidden =
 * act(W_h z + b_h); out = W_o hidden + b_o + W_r z + b_r, act ReLU or gelu_new), run as is (the
 * per-layer lens) or linearised at a clean run (attribution): with the gates act(pre) / pre frozen, the
 * head is affine in z, and with the norm's scale frozen, linear in the residual up to a constant.
 */
import { ChronosLensError } from '../../core/errors';
import { ensureFits, forwardRowNeed, together, typedNeed } from '../../core/limits';
import { BoltForwardResult, BoltModel } from '../../models/bolt/model';
import { BoltOutputs } from '../../models/bolt/graph';

export interface BoltReadout {
  D: number;
  /** Hidden units of the head, and its outputs (levels x prediction_length). */
  F: number;
  out: number;
  eps: number;
  normG: Float32Array;
  wh: Float32Array;
  bh: Float32Array;
  wo: Float32Array;
  bo: Float32Array;
  wr: Float32Array;
  br: Float32Array;
  activation: 'relu' | 'gelu_new';
}

export async function readBoltReadout(model: BoltModel): Promise<BoltReadout> {
  const ck = model.checkpoint;
  const t = model.config.t5;
  const b = model.config.bolt;
  const r = (n: string) => ck.read(`output_patch_embedding.${n}`);
  const [normG, wh, bh, wo, bo, wr, br] = await Promise.all([ck.read('decoder.final_layer_norm.weight'), r('hidden_layer.weight'), r('hidden_layer.bias'), r('output_layer.weight'), r('output_layer.bias'), r('residual_layer.weight'), r('residual_layer.bias')]);
  return { D: t.dModel, F: bh.length, out: b.quantiles.length * b.predictionLength, eps: t.layerNormEpsilon, normG, wh, bh, wo, bo, wr, br, activation: t.feedForwardProj === 'gated-gelu' ? 'gelu_new' : 'relu' };
}

/** 1 / sqrt(mean(x^2) + eps): T5's RMS norm scale of one residual vector. */
export function rmsScale(x: ArrayLike<number>, eps: number): number {
  let ms = 0;
  for (let d = 0; d < x.length; d++) ms += x[d] * x[d];
  return 1 / Math.sqrt(ms / x.length + eps);
}

/** act(pre) / pre: 1 or 0 for ReLU; gelu_new's 0.5 (1 + tanh(sqrt(2/pi) (pre + 0.044715 pre^3))). */
function gate(pre: number, activation: BoltReadout['activation']): number {
  if (activation === 'relu') return pre > 0 ? 1 : 0;
  return 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (pre + 0.044715 * pre * pre * pre)));
}

/** The normed residual z = g * s * x, and the head's pre-activations and gates at it. */
function atResidual(h: BoltReadout, x: ArrayLike<number>, s: number): { z: Float64Array; gates: Float64Array } {
  const z = Float64Array.from({ length: h.D }, (_, d) => h.normG[d] * s * x[d]);
  const gates = new Float64Array(h.F);
  for (let f = 0; f < h.F; f++) {
    let pre = h.bh[f];
    for (let d = 0; d < h.D; d++) pre += h.wh[f * h.D + d] * z[d];
    gates[f] = gate(pre, h.activation);
  }
  return { z, gates };
}

/** The head run as is on the residual x (its own norm scale): every output, normalised units. */
export function readOut(h: BoltReadout, x: ArrayLike<number>): Float64Array {
  const { z, gates } = atResidual(h, x, rmsScale(x, h.eps));
  const hid = new Float64Array(h.F);
  for (let f = 0; f < h.F; f++) {
    let pre = h.bh[f];
    for (let d = 0; d < h.D; d++) pre += h.wh[f * h.D + d] * z[d];
    hid[f] = gates[f] * pre;
  }
  const out = new Float64Array(h.out);
  for (let j = 0; j < h.out; j++) {
    let v = h.bo[j] + h.br[j];
    for (let f = 0; f < h.F; f++) v += h.wo[j * h.F + f] * hid[f];
    for (let d = 0; d < h.D; d++) v += h.wr[j * h.D + d] * z[d];
    out[j] = v;
  }
  return out;
}

/**
 * Output j of the head linearised at the clean residual x: out_j(x') = dir . x' + bias for every x'
 * (the norm's scale s and the gates frozen at x; exact at x' = x), with
 *   dir = s g * (W_h^T (gates * W_o[j]) + W_r[j]),  bias = W_o[j] . (gates * b_h) + b_o[j] + b_r[j].
 */
export function linearised(h: BoltReadout, x: ArrayLike<number>, j: number): { dir: Float64Array; bias: number; normScale: number; openGates: number } {
  const s = rmsScale(x, h.eps);
  const { gates } = atResidual(h, x, s);
  const dir = new Float64Array(h.D);
  let bias = h.bo[j] + h.br[j];
  let open = 0;
  for (let f = 0; f < h.F; f++) {
    const w = h.wo[j * h.F + f] * gates[f];
    if (gates[f] !== 0) open++;
    if (w === 0) continue;
    bias += w * h.bh[f];
    for (let d = 0; d < h.D; d++) dir[d] += w * h.wh[f * h.D + d];
  }
  for (let d = 0; d < h.D; d++) dir[d] = (dir[d] + h.wr[j * h.D + d]) * s * h.normG[d];
  return { dir, bias, normScale: s, openGates: open };
}

/**
 * One clean pass over a series' last context_length values with the residual streams (and `extra`
 * outputs), sized first; `what` names the analysis in messages, `heldBytes` what it keeps beside.
 */
export async function residualPass(model: BoltModel, values: ArrayLike<number>, label: string, extra: BoltOutputs, what: string, heldBytes = 0): Promise<BoltForwardResult> {
  const b = model.config.bolt;
  if (!Array.from(values).some((v) => Number.isFinite(v))) throw new ChronosLensError('BAD_INPUT', `${label}: every value is missing`);
  const encLen = Math.ceil(Math.min(values.length, b.contextLength) / b.inputPatchSize) + (b.useRegToken ? 1 : 0);
  const row = forwardRowNeed(model.config.t5, { encLen, decLen: 1, encoderAttentions: !!extra.headOutputs?.length, crossQueries: extra.crossAttentions ? 1 : 0 });
  ensureFits(what, together(row, typedNeed(heldBytes, 1)), []);
  return model.forward([values], { ...extra, quantiles: true, residuals: true });
}
