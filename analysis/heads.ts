/**
 * Head sets for ablation: "L3.H5"-style parsing (zero-based, with an optional kind), the top-k heads of
 * a mosaic, and seeded random control sets of the same size and kind mix.
 */
import { ChronosLensError } from '../core/errors';
import { Rng } from '../core/rng';
import { ModelConfig } from '../models/config';
import { ATTENTION_KINDS, AttentionKind, HeadRef, MosaicResult } from './types';

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

export function headKey(h: HeadRef): string {
  return formatHead(h);
}

/**
 * Parses a list of heads: items separated by commas or spaces, each `[kind:]L<layer>.H<head>` or
 * `[kind:]<layer>.<head>` (zero-based; kind cross|encoder|decoder, or x|enc|dec; default `defaultKind`).
 * Duplicates are dropped; every head is checked against the model.
 */
export function parseHeads(spec: string, grid: HeadGrid, defaultKind: AttentionKind = 'cross'): HeadRef[] {
  const items = spec.split(/[\s,;]+/).filter(Boolean);
  if (items.length === 0) throw new ChronosLensError('BAD_INPUT', 'no heads given (expected e.g. "L3.H5,cross:L2.H0,encoder:1.4")');
  const out: HeadRef[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const m = /^(?:([a-z]+):)?L?(\d+)[.:/]H?(\d+)$/i.exec(item);
    if (!m) throw new ChronosLensError('BAD_INPUT', `cannot read head "${item}" (expected L<layer>.H<head>, e.g. L3.H5, optionally prefixed with cross:, encoder: or decoder:)`);
    let kind = defaultKind;
    if (m[1]) {
      const k = KIND_ALIASES[m[1].toLowerCase()];
      if (!k) throw new ChronosLensError('BAD_INPUT', `unknown attention kind "${m[1]}" in "${item}" (expected cross, encoder or decoder)`);
      kind = k;
    }
    const h: HeadRef = { kind, layer: Number(m[2]), head: Number(m[3]) };
    checkHead(h, grid, item);
    if (!seen.has(headKey(h))) {
      seen.add(headKey(h));
      out.push(h);
    }
  }
  return out;
}

export function checkHead(h: HeadRef, grid: HeadGrid, label = formatHead(h)): void {
  if (!ATTENTION_KINDS.includes(h.kind)) throw new ChronosLensError('BAD_INPUT', `${label}: unknown attention kind "${h.kind}"`);
  const n = grid.layers[h.kind];
  if (!Number.isInteger(h.layer) || h.layer < 0 || h.layer >= n) throw new ChronosLensError('BAD_INPUT', `${label}: ${h.kind} layer ${h.layer} does not exist (the model has ${n}, L0..L${n - 1})`);
  if (!Number.isInteger(h.head) || h.head < 0 || h.head >= grid.heads) throw new ChronosLensError('BAD_INPUT', `${label}: head ${h.head} does not exist (the model has ${grid.heads} per layer, H0..H${grid.heads - 1})`);
}

export type ScoreSide = 'center' | 'right' | 'max';

/**
 * The k heads with the highest mosaic score (max of center and right by default), over the given kinds
 * of the result (default: cross, the reference mosaic). Ties: lower layer, then lower head first.
 */
export function topHeads(result: MosaicResult, k: number, opts: { kinds?: AttentionKind[]; side?: ScoreSide } = {}): HeadRef[] {
  const kinds = opts.kinds ?? ['cross'];
  const side = opts.side ?? 'max';
  if (!Number.isInteger(k) || k < 1) throw new ChronosLensError('BAD_INPUT', `top-k needs k >= 1, got ${k}`);
  const all: { h: HeadRef; score: number }[] = [];
  for (const kind of kinds) {
    const m = result[kind];
    if (!m) throw new ChronosLensError('BAD_INPUT', `the mosaic has no ${kind} scores (run it with --kind ${kind} or all)`);
    for (let l = 0; l < m.layers; l++) {
      for (let h = 0; h < m.heads; h++) {
        const c = m.center[l][h];
        const r = m.right[l][h];
        all.push({ h: { kind, layer: l, head: h }, score: side === 'center' ? c : side === 'right' ? r : Math.max(c, r) });
      }
    }
  }
  if (k > all.length) throw new ChronosLensError('BAD_INPUT', `top ${k} heads requested but the mosaic has ${all.length}`);
  const order = (x: HeadRef) => ATTENTION_KINDS.indexOf(x.kind);
  all.sort((a, b) => b.score - a.score || order(a.h) - order(b.h) || a.h.layer - b.h.layer || a.h.head - b.h.head);
  return all.slice(0, k).map((x) => x.h);
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
