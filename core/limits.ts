/**
 * Request bounds and resource estimates, shared by every adapter so that a flag, a setting and a direct
 * call of the analysis engine are held to the same limits:
 *  - BOUNDS: the allowed range of every numeric parameter a user can set (CLI flags and `chronosLens.*`
 *    settings read these; the adapters only choose how a parameter is named in a message);
 *  - parseIntegerText / parseNumberText / checkBound: validation with one-line messages that name the
 *    flag or setting, the allowed range and (shortened, escaped) what was given;
 *  - estimates of the memory and compute a forecast or an attention run needs, computed from the model's
 *    dimensions and the request before anything is allocated, and `ensureFits`, which refuses what
 *    cannot fit in the memory available (ResourceLimitError says how much it needs and what to lower).
 *
 * The estimates are deliberately coarse upper bounds (float32 tensors, the captured attention, ONNX
 * Runtime's largest transient per layer, JS arrays at 8 bytes a number): their job is to refuse
 * requests that are orders of magnitude too big before the process is killed, not to predict usage.
 */
import * as os from 'node:os';
import * as v8 from 'node:v8';
import { ChronosLensError } from './errors';

export interface Bound {
  min: number;
  max: number;
  integer: boolean;
  /** A float bound whose minimum itself is not allowed (e.g. temperature > 0). */
  exclusiveMin?: boolean;
  /** What the parameter is, in words (used when no adapter name is given). */
  label: string;
}

/** Seeds feed a 32-bit generator (core/rng.ts), so larger values would silently alias smaller ones. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * ONNX Runtime aborts the whole process when it cannot create its thread pool, and more threads than
 * cores only slow it down; four per core leaves room for oversubscription experiments.
 */
export const MAX_THREADS = 4 * os.availableParallelism();

/** Largest atlas file (a merged sweep's atlas.json) that is read: its tables, not its bulk, are what is shown. */
export const MAX_ATLAS_FILE_BYTES = 512 * 2 ** 20;

/** The allowed range of every user-settable numeric parameter (one home for the CLI and the extension). */
export const BOUNDS = {
  threads: { min: 0, max: MAX_THREADS, integer: true, label: 'intra-op threads (0: one per logical core)' },
  predictionLength: { min: 1, max: 10_000, integer: true, label: 'prediction length' },
  numSamples: { min: 1, max: 10_000, integer: true, label: 'sample paths' },
  seed: { min: 0, max: MAX_SEED, integer: true, label: 'seed' },
  samplingTopK: { min: 0, max: 1_000_000, integer: true, label: 'top-k' },
  topP: { min: 0, max: 1, integer: false, exclusiveMin: true, label: 'top-p' },
  // below ~1e-3 the scaled logits overflow float32 and the sampler degenerates to the highest bin
  temperature: { min: 0.001, max: 1000, integer: false, label: 'temperature' },
  quantileLevel: { min: 0, max: 1, integer: false, label: 'quantile level' },
  quantileCount: { min: 1, max: 1000, integer: true, label: 'quantile levels' },
  seriesColumns: { min: 1, max: 256, integer: true, label: 'series forecast together (targets and covariates)' },
  seriesLead: { min: 1, max: 100_000, integer: true, label: 'lead (steps one series is ahead of the other)' },
  // a LoRA adapter's rank per layer (rank_pattern included): real ones are 4 .. 256
  loraRank: { min: 1, max: 65_536, integer: true, label: 'LoRA rank' },
  mosaicBatch: { min: 2, max: 100_000, integer: true, label: 'batch (sequences)' },
  inductionBatch: { min: 1, max: 100_000, integer: true, label: 'batch (sequences)' },
  seqLen: { min: 2, max: 100_000, integer: true, label: 'sequence length' },
  mosaicPeriod: { min: 2, max: 100_000, integer: true, label: 'period (values per repeat)' },
  repeats: { min: 2, max: 1000, integer: true, label: 'repeats' },
  subExtension: { min: 0, max: 100_000, integer: true, label: 'sub-extension' },
  tokenId: { min: 0, max: 2 ** 31 - 1, integer: true, label: 'token id' },
  threshold: { min: 0, max: 1, integer: false, label: 'threshold' },
  controls: { min: 0, max: 1000, integer: true, label: 'control sets' },
  topHeads: { min: 1, max: 100_000, integer: true, label: 'top heads' },
  heldOut: { min: 1, max: 100_000, integer: true, label: 'held-out points' },
  period: { min: 1, max: 100_000, integer: true, label: 'period' },
  lensPeriod: { min: 2, max: 100_000, integer: true, label: 'period' },
  position: { min: -1_000_000, max: 1_000_000, integer: true, label: 'context position' },
  step: { min: 0, max: 9_999, integer: true, label: 'forecast step' },
  layer: { min: 0, max: 100_000, integer: true, label: 'layer' },
  head: { min: 0, max: 100_000, integer: true, label: 'head' },
  lensTop: { min: 1, max: 100_000, integer: true, label: 'top positions' },
  // causal toolkit (attribute, layer-lens, patch)
  topParts: { min: 1, max: 100_000, integer: true, label: 'top parts' },
  forecastSteps: { min: 1, max: 10_000, integer: true, label: 'forecast steps' },
  // a lens level of 0 has no quantile of a categorical distribution to read
  lensLevel: { min: 0, max: 1, integer: false, exclusiveMin: true, label: 'quantile level' },
  patchPairs: { min: 1, max: 100_000, integer: true, label: 'clean / corrupted pairs' },
  noiseAmount: { min: 0, max: 1000, integer: false, exclusiveMin: true, label: 'noise (window standard deviations)' },
  corruptAmount: { min: 1, max: 1_000_000_000, integer: true, label: 'corruption amount (points, or the other window\'s end)' },
  windowEnd: { min: 2, max: 1_000_000_000, integer: true, label: 'window end' },
  // sweeps: submit writes at most 10 000 shards, so run accepts no shard beyond them
  shardIndex: { min: 0, max: 9_999, integer: true, label: 'shard index' },
  shardCount: { min: 1, max: 10_000, integer: true, label: 'shards' },
  cpus: { min: 1, max: 1024, integer: true, label: 'CPUs per shard' },
  gpus: { min: 0, max: 64, integer: true, label: 'GPUs per shard' },
  maxParallel: { min: 1, max: 10_000, integer: true, label: 'shards running at once' },
} as const satisfies Record<string, Bound>;

export type BoundName = keyof typeof BOUNDS;

/** "an integer in 1..10000" / "a number in (0, 1]". */
export function describeBound(b: Bound): string {
  if (b.integer) return `an integer in ${b.min}..${b.max}`;
  return `a number in ${b.exclusiveMin ? '(' : '['}${b.min}, ${b.max}]`;
}

/** A user's value for a message: shortened and escaped, so a message stays one readable line. */
export function shown(v: unknown): string {
  const s = typeof v === 'string' ? v : String(v);
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 37)}...` : s);
}

function inRange(b: Bound, n: number): boolean {
  return Number.isFinite(n) && (b.exclusiveMin ? n > b.min : n >= b.min) && n <= b.max && (!b.integer || Number.isInteger(n));
}

/** Checks a numeric value (a setting, an option of a direct call); `name` is how the message names it. */
export function checkBound(bound: BoundName | Bound, v: unknown, name: string): number {
  const b = typeof bound === 'string' ? BOUNDS[bound] : bound;
  if (typeof v !== 'number' || !inRange(b, v)) throw new ChronosLensError('BAD_INPUT', `${name} must be ${describeBound(b)}, got ${typeof v === 'number' ? String(v) : shown(v)}`);
  return v;
}

/** True when `v` is a number inside the bound (for adapters that fall back to a default instead). */
export function withinBound(bound: BoundName | Bound, v: unknown): v is number {
  const b = typeof bound === 'string' ? BOUNDS[bound] : bound;
  return typeof v === 'number' && inRange(b, v);
}

const INTEGER_TEXT = /^[+-]?\d{1,16}$/;
const NUMBER_TEXT = /^[+-]?(\d{1,300}(\.\d{0,300})?|\.\d{1,300})([eE][+-]?\d{1,4})?$/;

/**
 * An integer typed by a user (a flag value): plain decimal digits only, so "", "0x10", "1e6", "1.0",
 * " 5" and "Infinity" are refused rather than read as 0, 16, a million, one or five.
 */
export function parseIntegerText(bound: BoundName | Bound, text: string, name: string): number {
  const b = typeof bound === 'string' ? BOUNDS[bound] : bound;
  const n = INTEGER_TEXT.test(text) ? Number(text) : NaN;
  if (!inRange(b, n)) throw new ChronosLensError('BAD_INPUT', `${name} must be ${describeBound(b)}, got ${shown(text)}`);
  return n === 0 ? 0 : n; // no -0
}

/** A decimal number typed by a user (1.5, .5, 2e-3); no hex, no Infinity / NaN, no blanks. */
export function parseNumberText(bound: BoundName | Bound, text: string, name: string): number {
  const b = typeof bound === 'string' ? BOUNDS[bound] : bound;
  const n = NUMBER_TEXT.test(text) ? Number(text) : NaN;
  if (!inRange(b, n)) throw new ChronosLensError('BAD_INPUT', `${name} must be ${describeBound(b)}, got ${shown(text)}`);
  return n === 0 ? 0 : n;
}

// ---- resources -------------------------------------------------------------------------------------

/** The model dimensions an estimate needs (a T5Config has them all). */
export interface ModelDims {
  vocabSize: number;
  dModel: number;
  dKv: number;
  dFf: number;
  numLayers: number;
  numDecoderLayers: number;
  numHeads: number;
}

/** What a request needs: bytes of memory (peak), of them on the JS heap, and floating-point operations. */
export interface Need {
  /** Peak bytes, all kinds of memory together. */
  bytes: number;
  /** The part of `bytes` held in JS objects (number arrays), bounded by V8's heap limit. */
  heapBytes: number;
  flops: number;
}

export const NO_NEED: Need = { bytes: 0, heapBytes: 0, flops: 0 };

/** Sequential phases: the peak of any phase, the work of all. */
export function sequential(...needs: Need[]): Need {
  return { bytes: Math.max(0, ...needs.map((n) => n.bytes)), heapBytes: Math.max(0, ...needs.map((n) => n.heapBytes)), flops: needs.reduce((a, n) => a + n.flops, 0) };
}

/** Held at the same time: memory adds up, and so does the work. */
export function together(...needs: Need[]): Need {
  return { bytes: needs.reduce((a, n) => a + n.bytes, 0), heapBytes: needs.reduce((a, n) => a + n.heapBytes, 0), flops: needs.reduce((a, n) => a + n.flops, 0) };
}

/** The same phase `times` times over (memory reused, work repeated). */
export function repeated(n: Need, times: number): Need {
  return { bytes: n.bytes, heapBytes: n.heapBytes, flops: n.flops * times };
}

const F32 = 4;
/** A number in a JS array (boxed or not, with the array's share of overhead). */
const JS_NUMBER = 8;
/**
 * Work is counted in floating-point operations of well-shaped matrix products; the per-token overhead
 * of small ONNX Runtime kernels and the JS sampling over the vocabulary (per sample and step) are
 * counted as the operations they cost in time, measured on the bundled model.
 */
const TOKEN_OVERHEAD_FLOPS = 1e6;
const SAMPLING_FLOPS_PER_ID = 3000;

/** Multiply-adds of one token through the encoder / decoder stack (projections, feed-forward). */
function tokenFlops(d: ModelDims, decoder: boolean): number {
  const inner = d.numHeads * d.dKv;
  // q, k, v, o (self), plus cross q, k, v, o in the decoder; feed-forward counted as gated (3 matrices)
  const perLayer = (decoder ? 8 : 4) * d.dModel * inner + 3 * d.dModel * d.dFf;
  return 2 * perLayer * (decoder ? d.numDecoderLayers : d.numLayers);
}

export interface ForwardShape {
  /** Encoder tokens per row (EOS included). */
  encLen: number;
  /** Decoder tokens per row (0: encoder only). */
  decLen: number;
  /** Captured outputs. */
  encoderAttentions?: boolean;
  decoderAttentions?: boolean;
  /** Cross-attention rows captured per decoder layer: the decoder queries kept (1 for a mosaic). */
  crossQueries?: number;
  logits?: boolean;
  /** Per-head outputs of these stacks. */
  headOutputs?: { encoder?: boolean; decoder?: boolean };
}

/**
 * One row of a full forward pass (`model.forward` / `model.encode`): the captured tensors plus ONNX
 * Runtime's largest transient (one layer's scores, softmax and position bias; the activations).
 */
export function forwardRowNeed(d: ModelDims, s: ForwardShape): Need {
  const T = Math.max(1, s.encLen);
  const D = Math.max(0, s.decLen);
  const H = d.numHeads;
  let captured = 0;
  if (s.encoderAttentions) captured += d.numLayers * H * T * T * F32;
  if (s.decoderAttentions) captured += d.numDecoderLayers * H * D * D * F32;
  if (s.crossQueries) captured += d.numDecoderLayers * H * s.crossQueries * T * F32;
  if (s.logits) captured += D * d.vocabSize * F32 * 2;
  if (s.headOutputs?.encoder) captured += d.numLayers * H * T * d.dKv * F32;
  if (s.headOutputs?.decoder) captured += 2 * d.numDecoderLayers * H * D * d.dKv * F32;
  const transient = 3 * H * (T * T + D * D + D * T) * F32 + (T + D) * (d.dFf + 6 * d.dModel) * F32 + D * d.vocabSize * F32;
  const attention = 4 * H * d.dKv * (d.numLayers * T * T + d.numDecoderLayers * (D * D + D * T));
  const flops = T * tokenFlops(d, false) + D * (tokenFlops(d, true) + 2 * d.dModel * d.vocabSize) + attention + (T + D) * TOKEN_OVERHEAD_FLOPS;
  return { bytes: captured + transient, heapBytes: 0, flops };
}

/** JS arrays of token ids: `rows` rows of `width` numbers. */
export function tokenRowsNeed(rows: number, width: number): Need {
  const bytes = rows * (width * JS_NUMBER + 64);
  return { bytes, heapBytes: bytes, flops: 0 };
}

/** Typed arrays (off the JS heap) of `count` elements of `bytesEach`. */
export function typedNeed(count: number, bytesEach = F32): Need {
  return { bytes: count * bytesEach, heapBytes: 0, flops: 0 };
}

export interface ForecastShape {
  /** Context tokens the encoder sees (the model's context_length, plus EOS). */
  contextTokens: number;
  /** Steps sampled per encoder run (the model's prediction_length); longer horizons re-encode. */
  chunkSteps: number;
  predictionLength: number;
  numSamples: number;
  quantileLevels?: number;
}

/** A sampled forecast (core/forecast): the sample paths, the KV caches of every sample, the logits. */
export function forecastNeed(d: ModelDims, f: ForecastShape): Need {
  const S = f.numSamples;
  const Hn = f.predictionLength;
  const steps = Math.min(Hn, f.chunkSteps);
  const T = f.contextTokens;
  const inner = d.numHeads * d.dKv;
  const chunks = Math.ceil(Hn / Math.max(1, f.chunkSteps));
  // self-attention cache grows to `steps`, cross K/V span the context; old and new cache coexist in a step
  const kv = 2 * S * d.numDecoderLayers * 2 * inner * (steps + T) * F32;
  const perStep = S * d.vocabSize * F32 * 3 + S * (d.dFf + 6 * d.dModel) * F32 + 3 * S * d.numHeads * (steps + T) * F32;
  const samples = S * Hn * F32 + S * steps * F32;
  const summary = (f.quantileLevels ?? 9) * Hn * JS_NUMBER + 2 * Hn * JS_NUMBER + S * 8;
  const encoder = forwardRowNeed(d, { encLen: T, decLen: 0 });
  const decodeFlops = S * Hn * (tokenFlops(d, true) + 2 * d.dModel * d.vocabSize + 4 * inner * d.numDecoderLayers * (steps + T) + SAMPLING_FLOPS_PER_ID * d.vocabSize);
  return {
    bytes: kv + perStep + samples + summary + encoder.bytes,
    heapBytes: summary + 2 * S * JS_NUMBER,
    flops: chunks * encoder.flops + decodeFlops,
  };
}

// ---- budget ----------------------------------------------------------------------------------------

/**
 * Environment variable that caps the memory a request may plan for (bytes, or with a K / M / G / T
 * suffix): for shared machines, and so tests can exercise the refusal without exhausting the host.
 */
export const MEMORY_LIMIT_ENV = 'CHRONOS_LENS_MEMORY_LIMIT';

/** Operations per second of a fast machine, for saying how long a refused request would take at best. */
export const REFERENCE_FLOPS_PER_SECOND = 5e10;
/** A compute ceiling beyond which a request is refused outright: over five hours even on a fast machine. */
export const MAX_FLOPS = 1e15;

export interface Budget {
  /** Bytes a request may plan to hold at its peak. */
  bytes: number;
  /** Bytes of it that may live on the JS heap. */
  heapBytes: number;
  /** Where the limit comes from, for the message. */
  source: string;
}

export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase()[0];
  const mult = unit === 'k' ? 2 ** 10 : unit === 'm' ? 2 ** 20 : unit === 'g' ? 2 ** 30 : unit === 't' ? 2 ** 40 : 1;
  const n = Math.floor(Number(m[1]) * mult);
  return n > 0 && Number.isFinite(n) ? n : undefined;
}

/** What this process may plan for now: 80 % of the memory available (cgroup limits included), and of V8's heap. */
export function memoryBudget(env: Record<string, string | undefined> = process.env): Budget {
  let avail = os.freemem();
  let source = 'available memory';
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  if (constrained && constrained > 0 && constrained < os.totalmem()) {
    const left = constrained - process.memoryUsage.rss();
    if (left < avail) {
      avail = Math.max(0, left);
      source = 'the memory limit of this process (cgroup)';
    }
  }
  let bytes = Math.floor(avail * 0.8);
  const heap = v8.getHeapStatistics();
  let heapBytes = Math.floor(Math.max(0, heap.heap_size_limit - heap.used_heap_size) * 0.8);
  const raw = env[MEMORY_LIMIT_ENV];
  if (raw !== undefined && raw !== '') {
    const cap = parseSize(raw);
    if (cap === undefined) throw new ChronosLensError('BAD_INPUT', `${MEMORY_LIMIT_ENV} must be a size such as 512M or 4G, got ${shown(raw)}`);
    if (cap < bytes) {
      bytes = cap;
      source = `${MEMORY_LIMIT_ENV}=${raw}`;
    }
    heapBytes = Math.min(heapBytes, cap);
  }
  return { bytes, heapBytes, source };
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'more than can be counted';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(n)} bytes` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/**
 * A request refused for its size before it started. `lower` names the parameters (BOUNDS keys or other
 * option names of the analysis) that make it smaller; adapters render them as their own flags or
 * settings with `describe`.
 */
export class ResourceLimitError extends ChronosLensError {
  constructor(
    readonly what: string,
    readonly resource: 'memory' | 'heap' | 'compute',
    readonly need: number,
    readonly have: number,
    readonly lower: string[],
    readonly source: string,
  ) {
    super('BAD_INPUT', '');
    this.name = 'ResourceLimitError';
    this.message = this.describe((p) => (p in BOUNDS ? BOUNDS[p as BoundName].label : p));
  }

  /** The message with the parameters named by `nameOf` (e.g. as CLI flags). */
  describe(nameOf: (param: string) => string): string {
    const names = this.lower.map(nameOf);
    const fix = names.length ? `; lower ${names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0]}` : '';
    if (this.resource === 'compute') {
      const hours = this.need / REFERENCE_FLOPS_PER_SECOND / 3600;
      return `${this.what} would compute for about ${hours < 100 ? hours.toFixed(0) : hours.toPrecision(2)} hours even on a fast machine (the limit is ${(this.have / REFERENCE_FLOPS_PER_SECOND / 3600).toFixed(1)}), refused before starting${fix}`;
    }
    const where = this.resource === 'heap' ? `JavaScript heap space (${formatBytes(this.have)} left)` : `memory (${formatBytes(this.have)} usable: ${this.source})`;
    return `${this.what} needs about ${formatBytes(this.need)} of ${where}, refused before allocating${fix}`;
  }
}

/** Refuses a request whose estimate does not fit; `lower` as in ResourceLimitError. */
export function ensureFits(what: string, need: Need, lower: string[], budget: Budget = memoryBudget()): void {
  if (!(need.flops <= MAX_FLOPS)) throw new ResourceLimitError(what, 'compute', need.flops, MAX_FLOPS, lower, '');
  if (!(need.bytes <= budget.bytes)) throw new ResourceLimitError(what, 'memory', need.bytes, budget.bytes, lower, budget.source);
  if (!(need.heapBytes <= budget.heapBytes)) throw new ResourceLimitError(what, 'heap', need.heapBytes, budget.heapBytes, lower, 'V8 heap limit');
}

/**
 * Rows per chunk so that a chunk of `perRow` bytes stays inside what is left of the budget after
 * `held` bytes; at least 1 (ensureFits has made sure one row fits).
 */
export function maxRowsFor(perRow: number, held: number, budget: Budget = memoryBudget()): number {
  const left = budget.bytes - held;
  return Math.max(1, Math.floor(left / Math.max(1, perRow)));
}
