/**
 * Head lists in the editor's words: parsing what people type in Run Ablation… (`L3.H5, L4.H1`, the
 * grammar of analysis/heads.ts, here also `L3H5`) with errors addressed to a person, the display forms,
 * and the top-k of one kind of a mosaic. The grammar, the key and the ranking live in analysis/heads.ts.
 * vscode-free.
 */
import { headId, rankHeads, readHeadList, sameHead, type HeadShape, type RankedHead } from '../../analysis/heads';
import { ATTENTION_KINDS, type AttentionKind, type HeadRef, type MosaicResult } from '../../analysis/types';

export { headId, rankHeads, sameHead, shapeOfModel, shapeOfMosaic, type HeadShape, type RankedHead } from '../../analysis/heads';

export const KIND_NAMES: Readonly<Record<AttentionKind, string>> = {
  cross: 'cross-attention',
  encoder: 'encoder self-attention',
  decoder: 'decoder self-attention',
};

export class HeadListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeadListError';
  }
}

/**
 * Parses a head list (analysis/heads.ts readHeadList, `L3H5` included), zero-based; items without a kind
 * get `defaultKind`. Duplicates are dropped, order kept. With `shape`, layers and heads are checked
 * against the model. Throws HeadListError naming the item.
 */
export function parseHeadList(text: string, opts: { defaultKind?: AttentionKind; shape?: HeadShape } = {}): HeadRef[] {
  const shape = opts.shape;
  return readHeadList(text, opts.defaultKind ?? 'cross', {
    compact: true,
    empty: () => new HeadListError('No heads given: type heads like "L3.H5, L4.H1" (zero-based layer and head).'),
    syntax: (item) => new HeadListError(`"${item}" is not a head: write L<layer>.H<head>, e.g. L3.H5 (optionally with a kind: enc:L0.H1, dec:L1.H2).`),
    unknownKind: (item, prefix) => new HeadListError(`"${item}": unknown attention kind "${prefix.toLowerCase()}" (use cross, enc or dec).`),
    check: shape
      ? ({ kind, layer, head }, item) => {
          const s = shape[kind];
          if (!s) {
            const have = ATTENTION_KINDS.filter((k) => shape[k]).map((k) => KIND_NAMES[k]);
            throw new HeadListError(`"${item}": no ${KIND_NAMES[kind]} here (available: ${have.join(', ') || 'none'}).`);
          }
          if (layer >= s.layers) throw new HeadListError(`"${item}": layer ${layer} is out of range (${KIND_NAMES[kind]} has layers 0–${s.layers - 1}).`);
          if (head >= s.heads) throw new HeadListError(`"${item}": head ${head} is out of range (${KIND_NAMES[kind]} has heads 0–${s.heads - 1}).`);
        }
      : undefined,
  });
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

/** The k heads with the highest induction score in one kind of a mosaic (rankHeads), for Run Ablation…. */
export function topHeads(result: MosaicResult, kind: AttentionKind, k: number): RankedHead[] {
  const m = result[kind];
  if (!m) throw new HeadListError(`The mosaic has no ${KIND_NAMES[kind]} scores.`);
  if (!Number.isInteger(k) || k < 1) throw new HeadListError(`The number of heads must be a whole number ≥ 1, got ${k}.`);
  const total = m.layers * m.heads;
  if (k > total) throw new HeadListError(`Asked for the top ${k} heads, but ${KIND_NAMES[kind]} has ${total} heads.`);
  return rankHeads(m, kind).slice(0, k);
}
