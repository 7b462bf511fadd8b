/**
 * Head references as people type them (`L3.H5, L4.H1`, optionally with a kind: `enc:L0.H1`), their
 * display form, and head rankings from a mosaic (top-k for ablation). vscode-free.
 */
import { ATTENTION_KINDS, type AttentionKind, type HeadRef, type MosaicKind, type MosaicResult } from '../../analysis/types';

/** Layers and heads per attention kind that a head list may refer to. */
export type HeadShape = Partial<Record<AttentionKind, { layers: number; heads: number }>>;

export const KIND_NAMES: Readonly<Record<AttentionKind, string>> = {
  cross: 'cross-attention',
  encoder: 'encoder self-attention',
  decoder: 'decoder self-attention',
};

const KIND_ALIASES: Record<string, AttentionKind> = {
  cross: 'cross',
  c: 'cross',
  x: 'cross',
  encoder: 'encoder',
  enc: 'encoder',
  e: 'encoder',
  decoder: 'decoder',
  dec: 'decoder',
  d: 'decoder',
};

export class HeadListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeadListError';
  }
}

const HEAD_RE = /^(?:([a-z]+)\s*:\s*)?l?(\d+)\s*[.:/]?\s*h(\d+)$|^(?:([a-z]+)\s*:\s*)?(\d+)\s*[.:/]\s*(\d+)$/i;

/**
 * Parses a head list: items separated by commas, semicolons or white space, each `L3.H5` (also
 * `L3H5`, `L3:H5`, `3.5`; what analysis/heads parseHeads and the CLI accept), zero-based, optionally prefixed by a kind (`cross:`, `encoder:`/`enc:`/`e:`,
 * `decoder:`/`dec:`/`d:`); items without a kind get `defaultKind`. Duplicates are dropped, order kept.
 * With `shape`, layers and heads are checked against the model. Throws HeadListError naming the item.
 */
export function parseHeadList(text: string, opts: { defaultKind?: AttentionKind; shape?: HeadShape } = {}): HeadRef[] {
  const defaultKind = opts.defaultKind ?? 'cross';
  const items = text
    .split(/[,;\n]+/)
    .flatMap((part) => part.trim().replace(/\s*:\s*/g, ':').split(/\s+/))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new HeadListError('No heads given: type heads like "L3.H5, L4.H1" (zero-based layer and head).');
  const out: HeadRef[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const m = HEAD_RE.exec(item);
    if (!m) throw new HeadListError(`"${item}" is not a head: write L<layer>.H<head>, e.g. L3.H5 (optionally with a kind: enc:L0.H1, dec:L1.H2).`);
    const prefix = (m[1] ?? m[4])?.toLowerCase();
    const layer = Number(m[2] ?? m[5]);
    const head = Number(m[3] ?? m[6]);
    let kind = defaultKind;
    if (prefix !== undefined) {
      const k = KIND_ALIASES[prefix];
      if (!k) throw new HeadListError(`"${item}": unknown attention kind "${prefix}" (use cross, enc or dec).`);
      kind = k;
    }
    if (opts.shape) {
      const s = opts.shape[kind];
      if (!s) {
        const have = ATTENTION_KINDS.filter((k) => opts.shape?.[k]).map((k) => KIND_NAMES[k]);
        throw new HeadListError(`"${item}": no ${KIND_NAMES[kind]} here (available: ${have.join(', ') || 'none'}).`);
      }
      if (layer >= s.layers) throw new HeadListError(`"${item}": layer ${layer} is out of range (${KIND_NAMES[kind]} has layers 0–${s.layers - 1}).`);
      if (head >= s.heads) throw new HeadListError(`"${item}": head ${head} is out of range (${KIND_NAMES[kind]} has heads 0–${s.heads - 1}).`);
    }
    const key = headKey({ kind, layer, head });
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ kind, layer, head });
  }
  return out;
}

export function headKey(h: HeadRef): string {
  return `${h.kind}:${h.layer}.${h.head}`;
}

export function sameHead(a: HeadRef, b: HeadRef): boolean {
  return a.kind === b.kind && a.layer === b.layer && a.head === b.head;
}

/** `L3.H5` */
export function headId(h: Pick<HeadRef, 'layer' | 'head'>): string {
  return `L${h.layer}.H${h.head}`;
}

const KIND_PREFIX: Readonly<Record<AttentionKind, string>> = { cross: 'cross', encoder: 'enc', decoder: 'dec' };

/**
 * A head list as parseHeadList reads it back: `L3.H5, L4.H1` when every head has `defaultKind`,
 * otherwise each head not of that kind is prefixed (`enc:L0.H1`).
 */
export function formatHeadList(heads: readonly HeadRef[], defaultKind: AttentionKind = 'cross'): string {
  return heads.map((h) => (h.kind === defaultKind ? headId(h) : `${KIND_PREFIX[h.kind]}:${headId(h)}`)).join(', ');
}

/** Short human label: `cross L3.H5, L4.H1` (kinds grouped, in first-seen order). */
export function describeHeads(heads: readonly HeadRef[], max = 6): string {
  if (heads.length === 0) return 'no heads';
  const shown = heads.slice(0, max);
  const groups = new Map<AttentionKind, string[]>();
  for (const h of shown) groups.set(h.kind, [...(groups.get(h.kind) ?? []), headId(h)]);
  const text = [...groups].map(([k, ids]) => `${KIND_PREFIX[k]} ${ids.join(', ')}`).join('; ');
  return heads.length > max ? `${text} … (+${heads.length - max})` : text;
}

/** Adds a head to a set (no duplicates); returns a new array. */
export function addHead(set: readonly HeadRef[], head: HeadRef): HeadRef[] {
  return set.some((h) => sameHead(h, head)) ? [...set] : [...set, { kind: head.kind, layer: head.layer, head: head.head }];
}

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

export interface RankedHead extends HeadRef {
  /** max(center, right): the head's induction score. */
  score: number;
  center: number;
  right: number;
}

/** Every head of a mosaic kind ranked by max(center, right), highest first (ties: lower layer, head). */
export function rankHeads(m: MosaicKind, kind: AttentionKind): RankedHead[] {
  const out: RankedHead[] = [];
  for (let l = 0; l < m.layers; l++) {
    for (let h = 0; h < m.heads; h++) {
      const center = m.center[l]?.[h] ?? NaN;
      const right = m.right[l]?.[h] ?? NaN;
      const score = Math.max(Number.isFinite(center) ? center : -Infinity, Number.isFinite(right) ? right : -Infinity);
      out.push({ kind, layer: l, head: h, center, right, score });
    }
  }
  return out.sort((a, b) => b.score - a.score || a.layer - b.layer || a.head - b.head);
}

/** The k heads with the highest induction score in one kind of a mosaic. */
export function topHeads(result: MosaicResult, kind: AttentionKind, k: number): RankedHead[] {
  const m = result[kind];
  if (!m) throw new HeadListError(`The mosaic has no ${KIND_NAMES[kind]} scores.`);
  if (!Number.isInteger(k) || k < 1) throw new HeadListError(`The number of heads must be a whole number ≥ 1, got ${k}.`);
  const total = m.layers * m.heads;
  if (k > total) throw new HeadListError(`Asked for the top ${k} heads, but ${KIND_NAMES[kind]} has ${total} heads.`);
  return rankHeads(m, kind).slice(0, k);
}
