/**
 * Shared plumbing of the causal analyses: running the 'causal' graph (validated ids, ablation and
 * patch feeds), a series' tokenized context, the model's median forecast path (decoded with the
 * key/value cache; the tests check it against the reference's teacher-forced path), and the
 * categorical forecast distribution over the value tokens.
 */
import { ChronosLensError } from '../../core/errors';
import { FloatTensor } from '../../core/tensor';
import { ChronosModel, HeadAblation } from '../../models/model';
import { CausalOutputs } from '../../models/t5/causal-graph';

export interface TokenRows {
  /** Row-major ids, `rows` x `width`. */
  data: ArrayLike<number>;
  rows: number;
  width: number;
}

export function rowsOf(rows: ArrayLike<number>[]): TokenRows {
  const width = rows[0]?.length ?? 0;
  const data = new Int32Array(rows.length * width);
  rows.forEach((r, i) => {
    if (r.length !== width) throw new ChronosLensError('BAD_INPUT', `token rows differ in length (${r.length} vs ${width})`);
    data.set(Array.from(r), i * width);
  });
  return { data, rows: rows.length, width };
}

function ids64(name: string, t: TokenRows, maxExclusive: number): BigInt64Array {
  if (!(t.rows >= 1 && t.width >= 1) || t.data.length !== t.rows * t.width) throw new ChronosLensError('BAD_INPUT', `${name}: ${t.data.length} ids for [${t.rows}, ${t.width}]`);
  const out = new BigInt64Array(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = t.data[i];
    if (!Number.isInteger(v) || v < 0 || v >= maxExclusive) throw new ChronosLensError('BAD_INPUT', `${name}[${Math.floor(i / t.width)}][${i % t.width}] = ${v} is outside [0, ${maxExclusive - 1}]`);
    out[i] = BigInt(v);
  }
  return out;
}

export interface CausalInputs {
  encoder: TokenRows;
  /** Encoder attention mask (1 observed, 0 missing), same shape as encoder; default all ones. */
  mask?: TokenRows;
  decoder: TokenRows;
}

/** One run of the causal graph; returns its outputs by name. */
export async function runCausal(model: ChronosModel, inputs: CausalInputs, outputs: CausalOutputs, extra: Record<string, FloatTensor> = {}, ablation?: HeadAblation): Promise<Record<string, FloatTensor>> {
  const t = model.config.t5;
  const { encoder, decoder } = inputs;
  // From encoder hidden states, one encoder row may serve every decoder row (broadcast).
  const shared = outputs.fromEncoderHidden && encoder.rows === 1;
  if (decoder.rows !== encoder.rows && !shared) throw new ChronosLensError('BAD_INPUT', `decoder rows (${decoder.rows}) must equal encoder rows (${encoder.rows})`);
  if (outputs.fromEncoderHidden && !extra.encoder_hidden) throw new ChronosLensError('BAD_INPUT', 'a decoder-only causal run needs the encoder hidden states');
  const mask = inputs.mask ?? { data: new Int32Array(encoder.rows * encoder.width).fill(1), rows: encoder.rows, width: encoder.width };
  if (mask.rows !== encoder.rows || mask.width !== encoder.width) throw new ChronosLensError('BAD_INPUT', 'attention mask shape must equal the encoder ids');
  const session = await model.session({ kind: 'causal', outputs });
  const ab = ablation ?? model.newAblation();
  return session.run({
    input_ids: { data: ids64('input_ids', encoder, t.vocabSize), dims: [encoder.rows, encoder.width] },
    attention_mask: { data: ids64('attention_mask', mask, 2), dims: [mask.rows, mask.width] },
    decoder_input_ids: { data: ids64('decoder_input_ids', decoder, t.vocabSize), dims: [decoder.rows, decoder.width] },
    ...ab.feeds(),
    ...extra,
  });
}

/** log-softmax of one logit row (float64). */
export function logSoftmax(logits: ArrayLike<number>, offset: number, n: number): { lse: number; logp: Float64Array } {
  let mx = -Infinity;
  for (let v = 0; v < n; v++) if (logits[offset + v] > mx) mx = logits[offset + v];
  let z = 0;
  for (let v = 0; v < n; v++) z += Math.exp(logits[offset + v] - mx);
  const lse = mx + Math.log(z);
  return { lse, logp: Float64Array.from({ length: n }, (_, v) => logits[offset + v] - lse) };
}

/**
 * The forecast distribution at one decoder position: softmax over the value tokens only (ids >=
 * n_special_tokens), renormalised; PAD / EOS are never forecasts.
 */
export function valueDistribution(model: ChronosModel, logits: ArrayLike<number>, offset: number): Float64Array {
  const V = model.config.t5.vocabSize;
  const first = model.config.chronos.nSpecialTokens;
  let mx = -Infinity;
  for (let v = first; v < V; v++) if (logits[offset + v] > mx) mx = logits[offset + v];
  const p = new Float64Array(V);
  let z = 0;
  for (let v = first; v < V; v++) {
    p[v] = Math.exp(logits[offset + v] - mx);
    z += p[v];
  }
  for (let v = first; v < V; v++) p[v] /= z;
  return p;
}

/** The first token (in id order, i.e. bin order) whose cumulative probability reaches q. */
export function quantileToken(p: Float64Array, q: number, first: number): number {
  let cum = 0;
  for (let v = first; v < p.length; v++) {
    cum += p[v];
    if (cum >= q) return v;
  }
  return p.length - 1;
}

export interface SeriesContext {
  ids: Int32Array;
  mask: Uint8Array;
  scale: number;
}

export function seriesContext(model: ChronosModel, values: ArrayLike<number>, label: string): SeriesContext {
  if (values.length < 2) throw new ChronosLensError('BAD_INPUT', `${label} has ${values.length} values; at least 2 are needed`);
  let observed = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) observed++;
  if (!observed) throw new ChronosLensError('BAD_INPUT', `${label}: every value is missing`);
  const tok = model.tokenizer.encode(values);
  return { ids: tok.ids, mask: tok.mask, scale: tok.scale };
}

/**
 * The model's median path: step by step, the median token of the value distribution given the
 * previous median tokens, decoded incrementally with the key/value cache (one encoder pass). Returns
 * `steps` tokens.
 */
export async function medianPath(model: ChronosModel, ctx: SeriesContext, steps: number, ablation?: HeadAblation): Promise<number[]> {
  const t = model.config.t5;
  const enc = await model.encode({ data: ctx.ids, dims: [1, ctx.ids.length] }, { data: ctx.mask, dims: [1, ctx.mask.length] }, { crossKv: true }, ablation);
  let cache = model.emptyCache(1);
  let token = t.decoderStartTokenId;
  const path: number[] = [];
  for (let s = 0; s < steps; s++) {
    const r = await model.decodeStep(enc.state!, [token], cache, {}, ablation);
    cache = r.cache;
    token = quantileToken(valueDistribution(model, r.logits.data, 0), 0.5, model.config.chronos.nSpecialTokens);
    path.push(token);
  }
  return path;
}
