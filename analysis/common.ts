/**
 * Shared plumbing of the analysis engine: the model summary and manifest every result carries,
 * adaptive chunking of big batches (so cancellation is observed within a fraction of a second, since
 * ONNX Runtime runs synchronously on the calling thread), and atomic file writes.
 */
import { ChronosLensError } from '../core/errors';
import { ProgressCallback, RunControl, throwIfAborted, yieldToEventLoop } from '../core/progress';
import { BUILDER_VERSION, ChronosModel } from '../models/model';
import { AnyModel, isBolt, isChronos2 } from '../models/load';
import { chronos2Horizon } from '../models/chronos2/config';
import { BOLT_BUILDER_VERSION } from '../models/bolt/model';
import { CHRONOS2_BUILDER_VERSION } from '../models/chronos2/model';
import { ortVersion } from '../models/runtime/ort';
import { Manifest, ModelSummary } from './types';
import pkg from '../package.json';

export const TOOL_VERSION: string = (pkg as { version?: string }).version ?? '0.0.0';

export async function modelSummary(model: AnyModel): Promise<ModelSummary> {
  const t = model.config.t5;
  const c = isChronos2(model) ? chronos2Horizon(model.config) : isBolt(model) ? model.config.bolt : model.config.chronos;
  return {
    name: model.name,
    path: model.checkpoint.dir,
    hash: await model.hash(),
    encoderLayers: t.numLayers,
    decoderLayers: t.numDecoderLayers,
    heads: t.numHeads,
    dModel: t.dModel,
    dKv: t.dKv,
    contextLength: c.contextLength,
    predictionLength: c.predictionLength,
    ...(isBolt(model) ? { family: 'chronos-bolt' as const, patch: { size: model.config.bolt.inputPatchSize, stride: model.config.bolt.inputPatchStride } } : {}),
    ...(isChronos2(model) ? { family: 'chronos-2' as const, patch: { size: model.config.chronos2.patchSize, stride: model.config.chronos2.patchSize } } : {}),
  };
}

/** What a manifest reads off a model: any family's model has these. */
export type ManifestModel = Pick<ChronosModel, 'name' | 'hash' | 'provider'>;

/** The graph builder version of a model's family (what a manifest records). */
export function builderVersion(model: AnyModel): string {
  return isChronos2(model) ? CHRONOS2_BUILDER_VERSION : isBolt(model) ? BOLT_BUILDER_VERSION : BUILDER_VERSION;
}

export async function makeManifest(
  model: ManifestModel,
  command: string,
  seeds: Record<string, number>,
  parameters: Record<string, unknown>,
  /** The graph builder's version: each model family builds its own graphs. */
  builder: string = BUILDER_VERSION,
): Promise<Manifest> {
  return {
    tool: 'chronos-lens',
    toolVersion: TOOL_VERSION,
    createdAt: new Date().toISOString(),
    model: { name: model.name, hash: await model.hash() },
    command,
    seeds,
    versions: { onnxruntime: ortVersion(), node: process.version, builder },
    executionProvider: model.provider?.used ?? 'cpu',
    parameters,
  };
}

export interface ChunkOptions extends RunControl {
  /** Wall time one chunk should take (default 300 ms). */
  targetMs?: number;
  /** Rows of the first chunk (default 8). */
  firstRows?: number;
  /** Upper bound on rows per chunk (default: all). */
  maxRows?: number;
  /** Progress message. */
  message?: string;
}

/**
 * Runs `fn(start, end)` over [0, total) in chunks sized so that each takes about `targetMs`: the first
 * chunk is small, later ones are sized from the measured time per row. The signal is checked (after
 * yielding to the event loop, so an abort can be delivered) before every chunk.
 */
export async function forEachChunk(total: number, fn: (start: number, end: number) => Promise<void>, opts: ChunkOptions = {}): Promise<void> {
  const target = opts.targetMs ?? 300;
  const maxRows = Math.max(1, opts.maxRows ?? total);
  let rows = Math.max(1, Math.min(opts.firstRows ?? 8, maxRows));
  let start = 0;
  while (start < total) {
    await yieldToEventLoop();
    throwIfAborted(opts.signal);
    const end = Math.min(total, start + rows);
    const t0 = performance.now();
    await fn(start, end);
    const perRow = Math.max(performance.now() - t0, 0.01) / (end - start);
    start = end;
    opts.onProgress?.({ fraction: start / total, message: opts.message });
    // Grow at most 8x per step (the first chunk may include building the graph), shrink freely.
    rows = Math.max(1, Math.min(maxRows, Math.floor(target / perRow), rows * 8));
  }
  throwIfAborted(opts.signal);
}

/** Runs the steps of a job with a shared progress range each. */
export function stepProgress(onProgress: ProgressCallback | undefined, weights: number[]): ((i: number) => ProgressCallback | undefined) {
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  return (i: number) => {
    if (!onProgress) return undefined;
    const from = weights.slice(0, i).reduce((a, b) => a + b, 0) / total;
    const to = from + weights[i] / total;
    return (u) => onProgress({ message: u.message, fraction: u.fraction === undefined ? undefined : from + (to - from) * u.fraction });
  };
}

export { writeFileAtomic } from '../core/files';

/** JSON with NaN / Infinity written as null (JSON has no such numbers) and 2-space indentation. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}

/** Integer parameter check with a message naming the parameter. */
export function checkInt(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ChronosLensError('BAD_INPUT', `${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got ${v}`);
  }
  return v;
}
