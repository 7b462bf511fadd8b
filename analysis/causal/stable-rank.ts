/**
 * Weight-only head statistics, no inference: for every attention head of a T5 checkpoint, the QK
 * matrix W_Q,h W_K,h^T and the OV matrix W_V,h W_O,h (each d_model x d_model, rank <= d_kv) and their
 * stable rank ||W||_F^2 / ||W||_2^2, Frobenius norm and spectral norm.
 *
 * Conventions (HF T5 tensors are [out, in]): W_Q,h = q.weight[h*d_kv:(h+1)*d_kv, :]^T (d_model x d_kv),
 * likewise W_K,h and W_V,h; W_O,h = o.weight[:, h*d_kv:(h+1)*d_kv]^T (d_kv x d_model). T5 applies no
 * 1/sqrt(d_kv) to the scores; the stable rank is scale-free anyway, the norms are of the raw product.
 * The RMS-norm weights in front of Q/K/V are not folded in (they are per-layer, not per-head).
 *
 * Exactness: a product A B^T with A, B of d x k has the same non-zero singular values as the k x k
 * symmetric matrix G_A^{1/2} G_B G_A^{1/2} (G = A^T A), whose eigenvalues are the squared singular
 * values; both eigen-decompositions are cyclic Jacobi in float64, so the statistics are exact to
 * float64 rounding of the float32 weights (far below the 1e-6 relative the tests ask).
 */
import { ChronosLensError } from '../../core/errors';
import { throwIfAborted } from '../../core/progress';
import { Checkpoint } from '../../models/checkpoint';
import { AttentionKind } from '../types';

export interface MatrixStats {
  /** ||W||_F^2 / ||W||_2^2, in [1, d_kv]. */
  stableRank: number;
  frobenius: number;
  spectral: number;
}

export interface HeadWeightStats {
  kind: AttentionKind;
  layer: number;
  head: number;
  qk: MatrixStats;
  ov: MatrixStats;
}

export interface HeadWeightResult {
  model: string;
  layers: Record<AttentionKind, number>;
  heads: number;
  dModel: number;
  dKv: number;
  /** Every head, kinds in the order cross, encoder, decoder; then layer, head. */
  stats: HeadWeightStats[];
}

/** Eigenvalues (ascending order not guaranteed) and eigenvectors (columns of V) of a symmetric n x n matrix. */
export function jacobiEigen(sym: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(sym);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/** G = A^T A for A given as d x k (row-major). */
function gram(a: Float64Array, d: number, k: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let r = 0; r < d; r++) {
    for (let i = 0; i < k; i++) {
      const x = a[r * k + i];
      if (x === 0) continue;
      for (let j = i; j < k; j++) g[i * k + j] += x * a[r * k + j];
    }
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) g[i * k + j] = g[j * k + i];
  return g;
}

function matmulSq(x: Float64Array, y: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let l = 0; l < k; l++) {
    const xv = x[i * k + l];
    if (xv === 0) continue;
    for (let j = 0; j < k; j++) out[i * k + j] += xv * y[l * k + j];
  }
  return out;
}

/** Squared singular values of A B^T (A, B: d x k, row-major), via the k x k matrix G_A^{1/2} G_B G_A^{1/2}. */
export function productSingularValuesSq(a: Float64Array, b: Float64Array, d: number, k: number): Float64Array {
  const ga = gram(a, d, k);
  const gb = gram(b, d, k);
  const { values, vectors } = jacobiEigen(ga, k);
  // G_A^{1/2} = V diag(sqrt(max(l, 0))) V^T
  const root = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let e = 0; e < k; e++) s += vectors[i * k + e] * Math.sqrt(Math.max(values[e], 0)) * vectors[j * k + e];
    root[i * k + j] = s;
  }
  const c = matmulSq(matmulSq(root, gb, k), root, k);
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) {
    const m = (c[i * k + j] + c[j * k + i]) / 2;
    c[i * k + j] = m;
    c[j * k + i] = m;
  }
  return jacobiEigen(c, k).values.map((x) => Math.max(x, 0));
}

/** Statistics of A B^T from its factors. Frobenius^2 = trace(G_A G_B), exact without the eigen-solve. */
export function productStats(a: Float64Array, b: Float64Array, d: number, k: number): MatrixStats {
  const ga = gram(a, d, k);
  const gb = gram(b, d, k);
  let fro2 = 0;
  for (let i = 0; i < k * k; i++) fro2 += ga[i] * gb[i]; // both symmetric: trace(G_A G_B) = sum G_A .* G_B
  const sv2 = productSingularValuesSq(a, b, d, k);
  const top = Math.max(...sv2);
  return { stableRank: top > 0 ? fro2 / top : NaN, frobenius: Math.sqrt(fro2), spectral: Math.sqrt(top) };
}

/** Rows [r0, r0+k) of a [rows, cols] weight, transposed to cols x k (d x k). */
function rowsT(w: Float32Array, cols: number, r0: number, k: number): Float64Array {
  const out = new Float64Array(cols * k);
  for (let i = 0; i < k; i++) for (let c = 0; c < cols; c++) out[c * k + i] = w[(r0 + i) * cols + c];
  return out;
}

/** Columns [c0, c0+k) of a [rows, cols] weight: rows x k. */
function colsOf(w: Float32Array, rows: number, cols: number, c0: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let i = 0; i < k; i++) out[r * k + i] = w[r * cols + c0 + i];
  return out;
}

function attentionPrefix(kind: AttentionKind, layer: number): string {
  if (kind === 'encoder') return `encoder.block.${layer}.layer.0.SelfAttention`;
  if (kind === 'decoder') return `decoder.block.${layer}.layer.0.SelfAttention`;
  return `decoder.block.${layer}.layer.1.EncDecAttention`;
}

/** QK and OV statistics of every head of a T5 checkpoint (reads only the attention weights). */
export async function headWeightStats(ck: Checkpoint, opts: { signal?: AbortSignal } = {}): Promise<HeadWeightResult> {
  const t = ck.config.t5;
  const d = t.dModel;
  const k = t.dKv;
  const H = t.numHeads;
  const layers: Record<AttentionKind, number> = { cross: t.numDecoderLayers, encoder: t.numLayers, decoder: t.numDecoderLayers };
  const stats: HeadWeightStats[] = [];
  for (const kind of ['cross', 'encoder', 'decoder'] as const) {
    for (let l = 0; l < layers[kind]; l++) {
      throwIfAborted(opts.signal);
      const p = attentionPrefix(kind, l);
      const [q, kw, v, o] = await Promise.all(['q', 'k', 'v', 'o'].map((n) => ck.read(`${p}.${n}.weight`)));
      for (let h = 0; h < H; h++) {
        const qh = rowsT(q, d, h * k, k);
        const kh = rowsT(kw, d, h * k, k);
        const vh = rowsT(v, d, h * k, k);
        const oh = colsOf(o, d, H * k, h * k, k); // W_O,h^T: d x k, so W_V,h W_O,h = vh oh^T
        stats.push({ kind, layer: l, head: h, qk: productStats(qh, kh, d, k), ov: productStats(vh, oh, d, k) });
      }
    }
  }
  return { model: ck.name, layers, heads: H, dModel: d, dKv: k, stats };
}

/** Average ranks (ties share the mean rank), 1-based. */
export function ranks(values: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const r = new Float64Array(values.length);
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && values[idx[j + 1]] === values[idx[i]]) j++;
    for (let m = i; m <= j; m++) r[idx[m]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson on average ranks); NaN when either side is constant or n < 2. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new ChronosLensError('BAD_INPUT', `spearman: ${x.length} vs ${y.length} values`);
  const n = x.length;
  if (n < 2) return NaN;
  const rx = ranks(x);
  const ry = ranks(y);
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}
