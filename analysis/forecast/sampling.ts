/**
 * Next-token sampling with the semantics of transformers' `generate(do_sample=True)` as
 * chronos-forecasting calls it: EOS forbidden until the requested length (min_new_tokens), then
 * temperature, top-k (keep every token whose logit is >= the k-th largest), top-p (nucleus), softmax,
 * multinomial draw. The draw uses our seeded Rng, so runs are reproducible (torch's generator
 * cannot be reproduced outside torch; results agree in distribution, which tests check).
 */
import { Rng } from '../../core/rng';

export interface SamplingParams {
  temperature: number;
  topK: number;
  topP: number;
  /** Token ids that may not be drawn (EOS while fewer than min_new_tokens were generated). */
  forbidden?: readonly number[];
}

/** Samples one token from a row of logits. `scratch` (length >= vocab) avoids allocations. */
export function sampleToken(logits: Float32Array, offset: number, vocab: number, p: SamplingParams, rng: Rng, scratch: Float64Array): number {
  const x = scratch;
  // transformers divides by the temperature in float32: logits / temperature
  if (p.temperature === 1) for (let i = 0; i < vocab; i++) x[i] = logits[offset + i];
  else for (let i = 0; i < vocab; i++) x[i] = Math.fround(logits[offset + i] / p.temperature);
  if (p.forbidden) for (const id of p.forbidden) if (id >= 0 && id < vocab) x[id] = -Infinity;

  let threshold = -Infinity;
  if (p.topK > 0 && p.topK < vocab) threshold = kthLargest(x, vocab, p.topK);

  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (x[i] >= threshold && x[i] > max) max = x[i];
  if (max === -Infinity) return argmaxRaw(logits, offset, vocab, p.forbidden);
  let total = 0;
  for (let i = 0; i < vocab; i++) {
    const w = x[i] >= threshold && x[i] !== -Infinity ? Math.exp(x[i] - max) : 0;
    x[i] = w;
    total += w;
  }
  if (p.topP < 1) applyTopP(x, vocab, total, p.topP);
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += x[i];
  let u = rng.nextFloat() * sum;
  let last = -1;
  for (let i = 0; i < vocab; i++) {
    if (x[i] <= 0) continue;
    last = i;
    u -= x[i];
    if (u < 0) return i;
  }
  return last;
}

/** The k-th largest value (k >= 1) among x[0..n), with a small min-heap. */
export function kthLargest(x: Float64Array, n: number, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (size < k) {
      let j = size++;
      heap[j] = v;
      while (j > 0) {
        const parent = (j - 1) >> 1;
        if (heap[parent] <= heap[j]) break;
        const t = heap[parent];
        heap[parent] = heap[j];
        heap[j] = t;
        j = parent;
      }
    } else if (v > heap[0]) {
      heap[0] = v;
      let j = 0;
      for (;;) {
        const l = 2 * j + 1;
        const r = l + 1;
        let m = j;
        if (l < k && heap[l] < heap[m]) m = l;
        if (r < k && heap[r] < heap[m]) m = r;
        if (m === j) break;
        const t = heap[m];
        heap[m] = heap[j];
        heap[j] = t;
        j = m;
      }
    }
  }
  return heap[0];
}

/**
 * transformers' TopPLogitsWarper on unnormalised weights: sort ascending, remove the tokens whose
 * cumulative probability is <= 1 - top_p, always keeping the most likely one.
 */
function applyTopP(w: Float64Array, n: number, total: number, topP: number): void {
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (w[i] > 0) idx.push(i);
  idx.sort((a, b) => w[a] - w[b]);
  let cum = 0;
  for (let j = 0; j < idx.length - 1; j++) {
    cum += w[idx[j]] / total;
    if (cum <= 1 - topP) w[idx[j]] = 0;
    else break;
  }
}

function argmaxRaw(logits: Float32Array, offset: number, vocab: number, forbidden?: readonly number[]): number {
  let best = -1;
  let bv = -Infinity;
  for (let i = 0; i < vocab; i++) {
    if (forbidden?.includes(i)) continue;
    if (logits[offset + i] > bv || best < 0) {
      bv = logits[offset + i];
      best = i;
    }
  }
  return best;
}
