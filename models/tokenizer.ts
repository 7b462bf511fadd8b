/**
 * Chronos' MeanScaleUniformBins tokenizer, bit-for-bit as chronos-forecasting computes it in float32:
 *  - keep the last `context_length` values; NaN is missing (pad token, attention mask 0);
 *  - scale = mean |x| over observed values (1.0 where that is not > 0);
 *  - token = bucketize(x / scale, boundaries, right=True) + n_special_tokens, clamped to the vocabulary,
 *    where boundaries are [-1e20, midpoints of the bin centres, 1e20] and the centres are
 *    torch.linspace(low_limit, high_limit, n_tokens - n_special_tokens - 1) in float32;
 *  - EOS appended (seq2seq models with use_eos_token);
 *  - decoding maps id -> centre[id - n_special_tokens - 1] (clamped) x scale.
 */
import { ChronosConfig } from './config';

const f32 = Math.fround;

/**
 * torch.linspace(start, end, steps) in float32 on CPU: each element computed as start + step*i
 * (first half) or end - step*(steps-1-i) (second half) with a single rounding (fused multiply-add),
 * step = (end - start) / (steps - 1) rounded to float32.
 */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    // step*i and the sum are exact in float64 for any realistic config, so one fround = one rounding.
    out[i] = i < half ? f32(s + step * i) : f32(e - step * (steps - i - 1));
  }
  return out;
}

export interface TokenizedContext {
  /** Token ids, length = kept context + 1 (EOS) for seq2seq models. */
  ids: Int32Array;
  /** 1 for observed values and EOS, 0 for missing values. */
  mask: Uint8Array;
  /** The float32 scale used. */
  scale: number;
  /** How many input values were kept (the last `context_length`). */
  kept: number;
  /** Index in the original input of the first kept value. */
  offset: number;
}

export class MeanScaleUniformBins {
  readonly centers: Float32Array;
  /** [-1e20, midpoints..., 1e20] as float32, the boundaries chronos bucketizes against. */
  readonly boundaries: Float32Array;

  constructor(readonly config: ChronosConfig) {
    const nBins = config.nTokens - config.nSpecialTokens - 1;
    this.centers = torchLinspaceF32(config.lowLimit, config.highLimit, nBins);
    const b = new Float32Array(nBins + 1);
    b[0] = -1e20;
    for (let i = 1; i < nBins; i++) b[i] = f32(f32(this.centers[i] + this.centers[i - 1]) / 2);
    b[nBins] = 1e20;
    this.boundaries = b;
  }

  /** Mean absolute value over observed (non-NaN) entries in float32; 1.0 where not > 0. */
  static scaleOf(values: ArrayLike<number>): number {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      const v = f32(values[i]);
      if (!Number.isNaN(v)) {
        sum += Math.abs(v);
        count++;
      }
    }
    const s = count > 0 ? f32(f32(sum) / count) : NaN;
    return s > 0 ? s : 1.0;
  }

  /** torch.bucketize(x, boundaries, right=True): the number of boundaries <= x. */
  bucketize(x: number): number {
    const b = this.boundaries;
    if (Number.isNaN(x)) return b.length;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Token id of one value given a scale (no missing-value handling). */
  tokenOf(value: number, scale: number): number {
    const c = this.config;
    const scaled = f32(f32(value) / f32(scale));
    const id = this.bucketize(scaled) + c.nSpecialTokens;
    return Math.min(Math.max(id, 0), c.nTokens - 1);
  }

  /**
   * Tokenizes a context as chronos' `context_input_transform` does (one series).
   * `scale` may be given to tokenize with a known scale (e.g. windows cut from a longer series).
   */
  encode(values: ArrayLike<number>, opts: { scale?: number; appendEos?: boolean } = {}): TokenizedContext {
    const c = this.config;
    const offset = Math.max(0, values.length - c.contextLength);
    const kept = values.length - offset;
    const ctx = new Float32Array(kept);
    for (let i = 0; i < kept; i++) ctx[i] = values[offset + i];
    const scale = opts.scale ?? MeanScaleUniformBins.scaleOf(ctx);
    const eos = (opts.appendEos ?? true) && c.useEosToken ? 1 : 0;
    const ids = new Int32Array(kept + eos);
    const mask = new Uint8Array(kept + eos);
    for (let i = 0; i < kept; i++) {
      if (Number.isNaN(ctx[i])) {
        ids[i] = c.padTokenId;
        mask[i] = 0;
      } else {
        ids[i] = this.tokenOf(ctx[i], scale);
        mask[i] = 1;
      }
    }
    if (eos) {
      ids[kept] = c.eosTokenId;
      mask[kept] = 1;
    }
    return { ids, mask, scale, kept, offset };
  }

  /** The (unscaled) bin centre of a token id, as chronos' output_transform indexes it. */
  centerOf(id: number): number {
    const i = Math.min(Math.max(id - this.config.nSpecialTokens - 1, 0), this.centers.length - 1);
    return this.centers[i];
  }

  /** Maps token ids back to values: centre x scale in float32. */
  decode(ids: ArrayLike<number>, scale: number): Float32Array {
    const out = new Float32Array(ids.length);
    const s = f32(scale);
    for (let i = 0; i < ids.length; i++) out[i] = f32(this.centerOf(ids[i]) * s);
    return out;
  }
}
