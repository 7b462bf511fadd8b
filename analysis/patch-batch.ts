/**
 * Batches of the patch induction protocol (docs/patch-mosaic.md), the Chronos-Bolt analogue of the
 * repeated-random-tokens batches in analysis/tokens.ts: each context is one sequence S of `period`
 * values repeated, cut to a multiple of the patch size so that patches align with the start:
 *
 *   x_t = S[t mod period], t = 0 .. L-1, L = size · (ceil(repeats · period / size) + subExtension).
 *
 * With period = N · size this is N patches repeated `repeats` times and the first `subExtension`
 * patches once more (the reference protocol); any other period is the sub-patch variant. S is drawn
 * (seeded) as independent standard normal values (reference), or cut from a user's series (the
 * data-driven variant). Instance normalisation maps every copy of a patch to the same values, and two
 * patches of iid normal values differ almost surely (mean squared distance 2 per value before the
 * norm), so copies are exactly what the model can match.
 *
 * Batches are saved / loaded as JSON (`chronos-lens-patch-batch` v1, float32 values), the file
 * tools/reference/bolt_mosaic_reference.py reads, so another implementation runs on the very same
 * contexts.
 */
import { ChronosLensError } from '../core/errors';
import { BOUNDS } from '../core/limits';
import { Rng } from '../core/rng';
import { checkInt, toJson, writeFileAtomic } from './common';
import { bad, batchEnvelope, pickWindows, readJsonDocument } from './tokens';
import type { PatchGeometry } from './types';

export const PATCH_BATCH_FORMAT = 'chronos-lens-patch-batch';

/** Reference protocol defaults: as the token protocol (100 sequences, 10 patches, 2 repeats, 1 more patch). */
export const PATCH_PROTOCOL_DEFAULTS = { batch: 100, patchesPerRepeat: 10, repeats: 2, subExtension: 1, seed: 1911 };

export interface PatchProtocol {
  source: 'random-patches' | 'series-patches';
  batch: number;
  /** Values per context patch. */
  patchSize: number;
  /** Values per repeat. */
  period: number;
  repeats: number;
  /** Patches of the sequence once more after the last full repeat. */
  subExtension: number;
  seed: number;
  series?: { file: string; column: string; windows: number; starts: number[] };
}

export interface PatchBatch {
  format: typeof PATCH_BATCH_FORMAT;
  version: 1;
  protocol: PatchProtocol;
  /** [batch][contextLength], float32 values. */
  contexts: Float32Array[];
}

export interface PatchShape {
  batch?: number;
  /** Patches per repeat (the reference protocol: period = patchesPerRepeat · patchSize). */
  patchesPerRepeat?: number;
  /** Values per repeat (the sub-patch variant; excludes patchesPerRepeat). */
  period?: number;
  repeats?: number;
  subExtension?: number;
  seed?: number;
}

/**
 * The geometry of a protocol (see PatchGeometry): the context length, the copy shift D (the smallest
 * multiple of the period that is at least one patch: the nearest earlier span with the same values),
 * and the encoder query patches: those inside the last D values of the repeats, [repeats·period - D,
 * repeats·period) (the last full repeat when the period is at least a patch), whose copy starts in the
 * context. Refuses a protocol with no query patch or a context past `maxContext`.
 */
export function patchGeometry(p: Pick<PatchProtocol, 'patchSize' | 'period' | 'repeats' | 'subExtension'>, maxContext = Infinity, model = 'the model'): PatchGeometry {
  const { patchSize: size, period, repeats, subExtension: sub } = p;
  if (sub * size >= period) {
    throw new ChronosLensError('BAD_INPUT', `the sub-extension must be shorter than the repeat (${period} values on patches of ${size}: at most ${Math.ceil(period / size) - 1} patches), got ${sub}`);
  }
  const shift = period * Math.ceil(size / period);
  const patches = Math.ceil((repeats * period) / size) + sub;
  const contextLength = patches * size;
  if (contextLength > maxContext) {
    throw new ChronosLensError('BAD_INPUT', `the patch protocol's context is ${contextLength} values (${patches} patches of ${size}), longer than ${model}'s context of ${maxContext}; lower the repeats, the period (or patches per repeat) or the sub-extension`);
  }
  const queries = queryPatches(size, period, shift, repeats);
  if (queries.length === 0) {
    let need = repeats + 1;
    while (queryPatches(size, period, shift, need).length === 0) need++;
    throw new ChronosLensError('BAD_INPUT', `with a period of ${period} values and patches of ${size}, no patch of the last repeat has an earlier copy in ${repeats} repeats; raise the repeats to at least ${need}`);
  }
  return { size, contextLength, patches, period, shift, queries };
}

function queryPatches(size: number, period: number, shift: number, repeats: number): number[] {
  const end = repeats * period;
  const from = Math.max(shift, end - shift);
  const out: number[] = [];
  for (let q = Math.ceil(from / size); (q + 1) * size <= end; q++) out.push(q);
  return out;
}

/** The patches a span [start, start + size) covers, with the share of the span in each (sums to 1). */
export function spanWeights(start: number, size: number): { patch: number; weight: number }[] {
  const k = Math.floor(start / size);
  const f = (start - k * size) / size;
  return f === 0 ? [{ patch: k, weight: 1 }] : [{ patch: k, weight: 1 - f }, { patch: k + 1, weight: f }];
}

/**
 * What each score reads, per query patch: center = the span `shift` values before the query (its
 * earlier copy), right = the span one patch after that (what followed the copy). The encoder's queries
 * are g.queries; the cross-attention's one query is the last context patch.
 */
export function copyTargets(g: PatchGeometry, query: number): { center: { patch: number; weight: number }[]; right: { patch: number; weight: number }[] } {
  const start = query * g.size - g.shift;
  return { center: spanWeights(start, g.size), right: spanWeights(start + g.size, g.size) };
}

function shapeOf(o: PatchShape, patchSize: number): Omit<PatchProtocol, 'source' | 'series'> {
  const batch = checkInt('batch', o.batch ?? PATCH_PROTOCOL_DEFAULTS.batch, BOUNDS.mosaicBatch.min, BOUNDS.mosaicBatch.max);
  if (o.period !== undefined && o.patchesPerRepeat !== undefined) throw new ChronosLensError('BAD_INPUT', 'give either the period (values) or the patches per repeat, not both');
  const period =
    o.period !== undefined
      ? checkInt('period (values per repeat)', o.period, BOUNDS.mosaicPeriod.min, BOUNDS.mosaicPeriod.max)
      : patchSize * checkInt('patches per repeat', o.patchesPerRepeat ?? PATCH_PROTOCOL_DEFAULTS.patchesPerRepeat, 2, Math.floor(BOUNDS.seqLen.max / patchSize));
  const sub = checkInt('sub-extension (patches)', o.subExtension ?? PATCH_PROTOCOL_DEFAULTS.subExtension, 0, BOUNDS.subExtension.max);
  return {
    batch,
    patchSize: checkInt('patch size', patchSize, 1),
    period,
    repeats: checkInt('repeats', o.repeats ?? PATCH_PROTOCOL_DEFAULTS.repeats, BOUNDS.repeats.min, BOUNDS.repeats.max),
    subExtension: sub,
    seed: checkInt('seed', o.seed ?? PATCH_PROTOCOL_DEFAULTS.seed, BOUNDS.seed.min, BOUNDS.seed.max),
  };
}

/** One context: S repeated, `length` values. */
function repeated(s: ArrayLike<number>, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let t = 0; t < length; t++) out[t] = s[t % s.length];
  return out;
}

/** The shape's geometry checked against the model before anything is drawn. */
export function checkedShape(o: PatchShape, patchSize: number, maxContext = Infinity, model = 'the model'): { shape: Omit<PatchProtocol, 'source' | 'series'>; geometry: PatchGeometry } {
  const shape = shapeOf(o, patchSize);
  return { shape, geometry: patchGeometry(shape, maxContext, model) };
}

/** The reference batch: per sequence, `period` iid standard normal values (float32), in row order from one seeded Rng. */
export function randomPatchBatch(o: PatchShape, patchSize: number, maxContext = Infinity, model?: string): PatchBatch {
  const { shape, geometry } = checkedShape(o, patchSize, maxContext, model);
  const rng = new Rng(shape.seed);
  const contexts: Float32Array[] = [];
  for (let b = 0; b < shape.batch; b++) {
    const s = Float32Array.from({ length: shape.period }, () => rng.normal());
    contexts.push(repeated(s, geometry.contextLength));
  }
  return { format: PATCH_BATCH_FORMAT, version: 1, protocol: { source: 'random-patches', ...shape }, contexts };
}

/**
 * The data-driven variant: `batch` windows of `period` consecutive observed values of the series
 * (analysis/tokens.ts pickWindows: distinct seeded starts), each repeated as the reference protocol
 * repeats S. The model normalises each context itself.
 */
export function seriesPatchBatch(values: ArrayLike<number>, o: PatchShape & { file?: string; column?: string }, patchSize: number, maxContext = Infinity, model?: string): PatchBatch {
  const { shape, geometry } = checkedShape(o, patchSize, maxContext, model);
  const label = o.file ? `${o.file}${o.column ? ` column "${o.column}"` : ''}` : 'the series';
  const starts = pickWindows(values, shape.period, shape.batch, shape.seed, label, o.period !== undefined ? '--period' : '--seq-len');
  const contexts = starts.map((st) => repeated(Float32Array.from({ length: shape.period }, (_, j) => values[st + j]), geometry.contextLength));
  return {
    format: PATCH_BATCH_FORMAT,
    version: 1,
    protocol: { source: 'series-patches', ...shape, batch: starts.length, series: { file: o.file ?? '', column: o.column ?? '', windows: starts.length, starts } },
    contexts,
  };
}

/** Validates a parsed patch-batch document: format, protocol, and that every context repeats with the period. */
export function parsePatchBatch(doc: unknown, label = 'patch batch'): PatchBatch {
  const { d, p } = batchEnvelope(doc, label, PATCH_BATCH_FORMAT);
  const int = (k: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = p[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(label, `protocol.${k} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v;
  };
  if (p.source !== 'random-patches' && p.source !== 'series-patches') bad(label, `protocol.source must be "random-patches" or "series-patches", got ${JSON.stringify(p.source)}`);
  const protocol: PatchProtocol = {
    source: p.source,
    batch: int('batch', BOUNDS.mosaicBatch.min, BOUNDS.mosaicBatch.max),
    patchSize: int('patchSize', 1, BOUNDS.seqLen.max),
    period: int('period', BOUNDS.mosaicPeriod.min, BOUNDS.mosaicPeriod.max),
    repeats: int('repeats', BOUNDS.repeats.min, BOUNDS.repeats.max),
    subExtension: int('subExtension', 0, BOUNDS.subExtension.max),
    seed: int('seed', BOUNDS.seed.min, BOUNDS.seed.max),
  };
  if (p.series !== undefined) protocol.series = p.series as PatchProtocol['series'];
  let g: PatchGeometry;
  try {
    g = patchGeometry(protocol);
  } catch (e) {
    bad(label, (e as Error).message);
  }
  const rows = d.contexts;
  if (!Array.isArray(rows) || rows.length !== protocol.batch) bad(label, `"contexts" must be ${protocol.batch} rows (protocol.batch)`);
  const contexts = rows.map((r, i) => {
    if (!Array.isArray(r) || r.length !== g.contextLength || !r.every((v) => typeof v === 'number' && Number.isFinite(v))) bad(label, `contexts[${i}] must be ${g.contextLength} finite numbers`);
    const x = Float32Array.from(r as number[]);
    for (let t = protocol.period; t < x.length; t++) if (x[t] !== x[t - protocol.period]) bad(label, `contexts[${i}] does not repeat with period ${protocol.period} (value ${t})`);
    return x;
  });
  return { format: PATCH_BATCH_FORMAT, version: 1, protocol, contexts };
}

export async function readPatchBatch(file: string): Promise<PatchBatch> {
  return parsePatchBatch(await readJsonDocument(file, 'patch batch', PATCH_BATCH_FORMAT), file);
}

/** Saves a batch (atomically), one context per line; float32 values print exactly as their shortest decimal. */
export async function writePatchBatch(file: string, batch: PatchBatch): Promise<void> {
  const rows = batch.contexts.map((c) => `    ${JSON.stringify(Array.from(c))}`).join(',\n');
  await writeFileAtomic(file, `{\n  "format": ${JSON.stringify(batch.format)},\n  "version": 1,\n  "protocol": ${toJson(batch.protocol).replace(/\n/g, '\n  ')},\n  "contexts": [\n${rows}\n  ]\n}\n`);
}
