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

/**
 * torch.nansum of a contiguous float32 row on CPU, reproducing ATen's cascade sum (SumKernel.cpp):
 * `lanes`-wide vectors accumulated in 4 interleaved rows with multi-level partial sums, a scalar tail,
 * then the lanes folded in order (rows shorter than `lanes` take ATen's scalar path). Every addition is
 * rounded to float32. `lanes` is the float vector width ATen's reduction kernel uses: 8 on x86-64
 * (checked against torch 2.6 on an AVX-512 machine) and on ARM builds.
 */
export function torchNansumF32(x: ArrayLike<number>, lanes = 8): number {
  const n = x.length;
  const load = (i: number) => {
    const v = f32(x[i]);
    return Number.isNaN(v) ? 0 : v;
  };
  if (n < lanes) return rowSum(load, n, 1)[0];
  // vectorized_inner_sum: row_sum over whole vectors, a scalar tail, then the lanes in order.
  const vecSize = Math.floor(n / lanes);
  const vec = rowSum(load, vecSize, lanes);
  let total = 0;
  for (let k = vecSize * lanes; k < n; k++) total = f32(total + load(k));
  for (let l = 0; l < lanes; l++) total = f32(total + vec[l]);
  return total;
}

/**
 * ATen's row_sum: elements are `width`-lane float32 vectors (element e, lane l = load(e * width + l)),
 * summed as 4 interleaved rows through multi_row_sum's 4 levels of partial sums.
 */
function rowSum(load: (i: number) => number, size: number, width: number): Float64Array {
  const ilp = 4;
  const levels = 4;
  const rows = Math.floor(size / ilp);
  const ceilLog2 = (v: number) => (v <= 2 ? 1 : 32 - Math.clz32(v - 1));
  const levelPower = Math.max(4, Math.floor(ceilLog2(rows) / levels));
  const levelStep = 2 ** levelPower;
  const levelMask = levelStep - 1;
  const acc = Array.from({ length: levels }, () => Array.from({ length: ilp }, () => new Float64Array(width)));
  const addElem = (dst: Float64Array, e: number) => {
    for (let l = 0; l < width; l++) dst[l] = f32(dst[l] + load(e * width + l));
  };
  let i = 0;
  while (i + levelStep <= rows) {
    for (let j = 0; j < levelStep; j++, i++) for (let k = 0; k < ilp; k++) addElem(acc[0][k], i * ilp + k);
    for (let j = 1; j < levels; j++) {
      for (let k = 0; k < ilp; k++) {
        for (let l = 0; l < width; l++) {
          acc[j][k][l] = f32(acc[j][k][l] + acc[j - 1][k][l]);
          acc[j - 1][k][l] = 0;
        }
      }
      if ((i & (levelMask << (j * levelPower))) !== 0) break;
    }
  }
  for (; i < rows; i++) for (let k = 0; k < ilp; k++) addElem(acc[0][k], i * ilp + k);
  for (let j = 1; j < levels; j++) for (let k = 0; k < ilp; k++) for (let l = 0; l < width; l++) acc[0][k][l] = f32(acc[0][k][l] + acc[j][k][l]);
  const partial = acc[0];
  for (let e = rows * ilp; e < size; e++) addElem(partial[0], e);
  for (let k = 1; k < ilp; k++) for (let l = 0; l < width; l++) partial[0][l] = f32(partial[0][l] + partial[k][l]);
  return partial[0];
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

  /**
   * @param sumLanes float vector width of torch's reduction kernel on the machine whose results should
   *   be matched bit for bit (8 on common x86-64 and ARM builds). Only the last bit of the scale depends on it.
   */
  constructor(readonly config: ChronosConfig, readonly sumLanes = 8) {
    const nBins = config.nTokens - config.nSpecialTokens - 1;
    this.centers = torchLinspaceF32(config.lowLimit, config.highLimit, nBins);
    const b = new Float32Array(nBins + 1);
    b[0] = -1e20;
    for (let i = 1; i < nBins; i++) b[i] = f32(f32(this.centers[i] + this.centers[i - 1]) / 2);
    b[nBins] = 1e20;
    this.boundaries = b;
  }

  /**
   * chronos: nansum(|x| * mask) / nansum(mask) in float32 (torch's summation order), 1.0 where not > 0.
   */
  scaleOf(values: ArrayLike<number>): number {
    const abs = new Float32Array(values.length);
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      const v = f32(values[i]);
      abs[i] = Math.abs(v); // NaN stays NaN, and nansum skips it
      if (!Number.isNaN(v)) count++;
    }
    const s = f32(torchNansumF32(abs, this.sumLanes) / count);
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
    const scale = opts.scale ?? this.scaleOf(ctx);
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
