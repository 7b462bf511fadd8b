/**
 * Heads, the one home for them: the head-list grammar ("L3.H5"-style, zero-based, with an optional kind)
 * that the CLI and the editor both read, the key and text forms of a head, head rankings and the top-k
 * heads of a mosaic, and seeded random control sets of the same size and kind mix for ablation.
 */
import { ChronosLensError } from '../core/errors';
import { Rng } from '../core/rng';
import type { ModelConfig } from '../models/config';
import { ATTENTION_KINDS, AttentionKind, HeadRef, MosaicKind, MosaicResult } from './types';

/** Layers per kind and heads per layer. */
export interface HeadGrid {
  layers: Record<AttentionKind, number>;
  heads: number;
}

export function headGrid(config: ModelConfig): HeadGrid {
  const t = config.t5;
  return { layers: { encoder: t.numLayers, decoder: t.numDecoderLayers, cross: t.numDecoderLayers }, heads: t.numHeads };
}

const KIND_ALIASES: Record<string, AttentionKind> = {
  cross: 'cross', x: 'cross', c: 'cross',
  encoder: 'encoder', enc: 'encoder', e: 'encoder',
  decoder: 'decoder', dec: 'decoder', d: 'decoder',
};

/** "cross:L3.H5" */
export function formatHead(h: HeadRef): string {
  return `${h.kind}:L${h.layer}.H${h.head}`;
}

/** The one key of a head in maps and sets (the same text as formatHead). */
export function headKey(h: HeadRef): string {
  return formatHead(h);
}

/** `L3.H5` */
export function headId(h: Pick<HeadRef, 'layer' | 'head'>): string {
  return `L${h.layer}.H${h.head}`;
}

/** A well-formed head reference (known kind, non-negative integer layer and head), e.g. from saved state. */
export function isHeadRef(x: unknown): x is HeadRef {
  const h = x as Partial<HeadRef> | null;
  return !!h && typeof h === 'object' && ATTENTION_KINDS.includes(h.kind as AttentionKind) && Number.isInteger(h.layer) && Number.isInteger(h.head) && (h.layer as number) >= 0 && (h.head as number) >= 0;
}

export function sameHead(a: HeadRef, b: HeadRef): boolean {
  return a.kind === b.kind && a.layer === b.layer && a.head === b.head;
}

/**
 * The head-list grammar, for the CLI and the editor alike: items separated by commas, semicolons or
 * white space, each `[kind:]L<layer>.H<head>` with `.`, `:` or `/` between and the L and H optional
 * (`3.5`), zero-based; kind cross|encoder|decoder or x|enc|dec (c|e|d); white space around the kind's
 * colon is allowed. `compact` also reads `L3H5` (no separator), which the editor's input box accepts.
 */
const HEAD_ITEM = /^(?:([a-z]+):)?L?(\d+)([.:/]?)(H?)(\d+)$/i;

/** How a caller words the errors of a head list (the CLI names flags, the editor talks to a person). */
export interface HeadListDialect {
  compact?: boolean;
  empty(): Error;
  syntax(item: string): Error;
  unknownKind(item: string, prefix: string): Error;
  /** Throws when the head does not exist in the model at hand. */
  check?(h: HeadRef, item: string): void;
}

/** Reads a head list with the grammar above; duplicates are dropped, order kept. */
export function readHeadList(text: string, defaultKind: AttentionKind, dialect: HeadListDialect): HeadRef[] {
  const items = text.replace(/\s*:\s*/g, ':').split(/[\s,;]+/).filter(Boolean);
  if (items.length === 0) throw dialect.empty();
  const out: HeadRef[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const m = HEAD_ITEM.exec(item);
    if (!m || (!m[3] && !(dialect.compact && m[4]))) throw dialect.syntax(item);
    let kind = defaultKind;
    if (m[1]) {
      const k = KIND_ALIASES[m[1].toLowerCase()];
      if (!k) throw dialect.unknownKind(item, m[1]);
      kind = k;
    }
    const h: HeadRef = { kind, layer: Number(m[2]), head: Number(m[5]) };
    dialect.check?.(h, item);
    if (!seen.has(headKey(h))) {
      seen.add(headKey(h));
      out.push(h);
    }
  }
  return out;
}

/**
 * Parses a list of heads for the CLI (see readHeadList; `L3H5` needs a separator here). Every head is
 * checked against the model.
 */
export function parseHeads(spec: string, grid: HeadGrid, defaultKind: AttentionKind = 'cross'): HeadRef[] {
  return readHeadList(spec, defaultKind, {
    empty: () => new ChronosLensError('BAD_INPUT', 'no heads given (expected e.g. "L3.H5,cross:L2.H0,encoder:1.4")'),
    syntax: (item) => new ChronosLensError('BAD_INPUT', `cannot read head "${item}" (expected L<layer>.H<head>, e.g. L3.H5, optionally prefixed with cross:, encoder: or decoder:)`),
    unknownKind: (item, prefix) => new ChronosLensError('BAD_INPUT', `unknown attention kind "${prefix}" in "${item}" (expected cross, encoder or decoder)`),
    check: (h, item) => checkHead(h, grid, item),
  });
}

export function checkHead(h: HeadRef, grid: HeadGrid, label = formatHead(h)): void {
  if (!ATTENTION_KINDS.includes(h.kind)) throw new ChronosLensError('BAD_INPUT', `${label}: unknown attention kind "${h.kind}"`);
  const n = grid.layers[h.kind];
  if (!Number.isInteger(h.layer) || h.layer < 0 || h.layer >= n) throw new ChronosLensError('BAD_INPUT', `${label}: ${h.kind} layer ${h.layer} does not exist (the model has ${n}, L0..L${n - 1})`);
  if (!Number.isInteger(h.head) || h.head < 0 || h.head >= grid.heads) throw new ChronosLensError('BAD_INPUT', `${label}: head ${h.head} does not exist (the model has ${grid.heads} per layer, H0..H${grid.heads - 1})`);
}

/** Layers and heads per attention kind that a head list may refer to (kinds absent: none of them here). */
export type HeadShape = Partial<Record<AttentionKind, { layers: number; heads: number }>>;

export function shapeOfMosaic(result: Pick<MosaicResult, 'cross' | 'encoder' | 'decoder'>): HeadShape {
  const s: HeadShape = {};
  for (const k of ATTENTION_KINDS) {
    const m = result[k];
    if (m) s[k] = { layers: m.layers, heads: m.heads };
  }
  return s;
}

/** Shape of every kind from a model's layer counts (cross and decoder use the decoder layers). */
export function shapeOfModel(m: { encoderLayers: number; decoderLayers: number; heads: number }): HeadShape {
  return {
    cross: { layers: m.decoderLayers, heads: m.heads },
    encoder: { layers: m.encoderLayers, heads: m.heads },
    decoder: { layers: m.decoderLayers, heads: m.heads },
  };
}

export type ScoreSide = 'center' | 'right' | 'max';

export interface RankedHead extends HeadRef {
  /** The ranking score: max(center, right) by default, or one side. */
  score: number;
  center: number;
  right: number;
}

/**
 * Every head of one mosaic kind ranked by its score (max of center and right by default), highest first;
 * ties: lower layer, then lower head; a missing (NaN) score ranks last.
 */
export function rankHeads(m: MosaicKind, kind: AttentionKind, side: ScoreSide = 'max'): RankedHead[] {
  const finite = (x: number) => (Number.isFinite(x) ? x : -Infinity);
  const out: RankedHead[] = [];
  for (let l = 0; l < m.layers; l++) {
    for (let h = 0; h < m.heads; h++) {
      const center = m.center[l]?.[h] ?? NaN;
      const right = m.right[l]?.[h] ?? NaN;
      const score = side === 'center' ? finite(center) : side === 'right' ? finite(right) : Math.max(finite(center), finite(right));
      out.push({ kind, layer: l, head: h, center, right, score });
    }
  }
  return out.sort((a, b) => b.score - a.score || a.layer - b.layer || a.head - b.head);
}

/**
 * The k heads with the highest mosaic score (rankHeads) over the given kinds of the result (default:
 * cross, the reference mosaic). Ties across kinds: cross, encoder, decoder. Plain head references, as
 * results carry them (rankHeads has the scores).
 */
export function topHeads(result: MosaicResult, k: number, opts: { kinds?: readonly AttentionKind[]; side?: ScoreSide } = {}): HeadRef[] {
  const kinds = opts.kinds ?? ['cross'];
  if (!Number.isInteger(k) || k < 1) throw new ChronosLensError('BAD_INPUT', `top-k needs k >= 1, got ${k}`);
  const all: RankedHead[] = [];
  for (const kind of kinds) {
    const m = result[kind];
    if (!m) throw new ChronosLensError('BAD_INPUT', `the mosaic has no ${kind} scores (run it with --kind ${kind} or all)`);
    all.push(...rankHeads(m, kind, opts.side));
  }
  if (k > all.length) throw new ChronosLensError('BAD_INPUT', `top ${k} heads requested but the mosaic has ${all.length}`);
  const order = (x: HeadRef) => ATTENTION_KINDS.indexOf(x.kind);
  all.sort((a, b) => b.score - a.score || order(a) - order(b) || a.layer - b.layer || a.head - b.head);
  return all.slice(0, k).map(({ kind, layer, head }) => ({ kind, layer, head }));
}

/**
 * `n` random head sets with as many heads of each kind as `like`, drawn (seeded) from the heads not in
 * `like`. Each set is sorted (kind, layer, head).
 */
export function randomControlSets(grid: HeadGrid, like: HeadRef[], n: number, seed: number): HeadRef[][] {
  if (!Number.isInteger(n) || n < 0) throw new ChronosLensError('BAD_INPUT', `number of control sets must be a non-negative integer, got ${n}`);
  const taken = new Set(like.map(headKey));
  const perKind = new Map<AttentionKind, number>();
  for (const h of like) perKind.set(h.kind, (perKind.get(h.kind) ?? 0) + 1);
  const pools = new Map<AttentionKind, HeadRef[]>();
  for (const [kind, count] of perKind) {
    const pool: HeadRef[] = [];
    for (let l = 0; l < grid.layers[kind]; l++) for (let h = 0; h < grid.heads; h++) {
      const ref = { kind, layer: l, head: h };
      if (!taken.has(headKey(ref))) pool.push(ref);
    }
    if (pool.length < count) {
      throw new ChronosLensError('BAD_INPUT', `cannot draw control sets of ${count} ${kind} heads: only ${pool.length} ${kind} heads are outside the ablated set`);
    }
    pools.set(kind, pool);
  }
  const rng = new Rng(seed);
  const sets: HeadRef[][] = [];
  for (let i = 0; i < n; i++) {
    const set: HeadRef[] = [];
    for (const kind of ATTENTION_KINDS) {
      const count = perKind.get(kind);
      if (!count) continue;
      const pool = pools.get(kind)!;
      for (const j of rng.sampleWithoutReplacement(pool.length, count)) set.push(pool[j]);
    }
    set.sort((a, b) => ATTENTION_KINDS.indexOf(a.kind) - ATTENTION_KINDS.indexOf(b.kind) || a.layer - b.layer || a.head - b.head);
    sets.push(set);
  }
  return sets;
}
