/**
 * Answers to the series view's hover: from an attention lens computed once per document version
 * (analysis/lens), one query's rows for one layer (every head: the page takes the max / mean itself)
 * plus, for the head grid, every head's row max-pooled to a few dozen bins; never whole attention
 * tensors. And the text editor hover's facts: the heads that attend most strongly from a cell and
 * the rows they attend to. vscode-free; the lens is only used through the interface below.
 */
import type { GroupLensResult, LensResult } from '../../analysis/types';
import type { LensResponse, RequestLensMessage } from '../../protocol';

/** What this module needs of an AttentionLens (analysis/lens.ts). */
export interface LensSource {
  readonly layers: number;
  readonly decoderLayers: number;
  readonly heads: number;
  readonly contextLength: number;
  readonly forecastSteps: number;
  readonly tokens: ArrayLike<number>;
  readonly mask: ArrayLike<number>;
  readonly scale: number;
  rowsAt(position: number, q?: { layer?: number; head?: number; topK?: number; decimals?: number }): LensResult;
  crossAt(step: number, q?: { layer?: number; head?: number; topK?: number; decimals?: number }): LensResult;
  encoderRow(layer: number, head: number, position: number): ArrayLike<number>;
  crossRow(layer: number, head: number, step: number): ArrayLike<number>;
}

/** What this module needs of a Chronos2Lens (analysis/lens.ts): the group attention. */
export interface GroupSource {
  groupAt(position: number, q?: { layer?: number; decimals?: number; lines?: boolean }): GroupLensResult;
  groupAtStep(step: number, q?: { layer?: number; decimals?: number; lines?: boolean }): GroupLensResult;
}

/** Decimals of the row weights sent to the page (plenty for drawing; several times smaller JSON). */
export const ROW_DECIMALS = 5;

/**
 * `row` max-pooled into `bins` runs of (nearly) equal length: bin b covers keys
 * [floor(b·n/bins), floor((b+1)·n/bins)). Every row when bins >= n.
 */
export function maxPool(row: ArrayLike<number>, bins: number, decimals = ROW_DECIMALS): number[] {
  const n = row.length;
  const scale = 10 ** decimals;
  if (bins >= n) return Array.from(row, (v) => Math.round(v * scale) / scale);
  const out = new Array<number>(bins);
  for (let b = 0; b < bins; b++) {
    const lo = Math.floor((b * n) / bins);
    const hi = Math.floor(((b + 1) * n) / bins);
    let m = 0;
    for (let i = lo; i < hi; i++) if (row[i] > m) m = row[i];
    out[b] = Math.round(m * scale) / scale;
  }
  return out;
}

/**
 * The response to a requestLens: rows of `layer` (default 0; all heads), top-k for that layer, the
 * same-token positions, and with `sparkBins` every layer's heads max-pooled; with `group` (a Chronos-2
 * lens) the group attention at the query's token for that layer (and its lines with `groupLines`).
 */
export function lensResponse(lens: LensSource, req: Pick<RequestLensMessage, 'kind' | 'position' | 'layer' | 'sparkBins' | 'group' | 'groupLines'>, group?: GroupSource): LensResponse {
  const layer = req.layer ?? 0;
  const r: LensResponse =
    req.kind === 'encoder' ? lens.rowsAt(req.position, { layer, decimals: ROW_DECIMALS }) : lens.crossAt(req.position, { layer, decimals: ROW_DECIMALS });
  if (req.sparkBins) {
    const layers = req.kind === 'encoder' ? lens.layers : lens.decoderLayers;
    const bins = Math.min(req.sparkBins, lens.contextLength);
    r.sparklines = Array.from({ length: layers }, (_, l) =>
      Array.from({ length: lens.heads }, (_, h) => maxPool(req.kind === 'encoder' ? lens.encoderRow(l, h, req.position) : lens.crossRow(l, h, req.position), bins)),
    );
  }
  if (req.group && group) {
    const q = { layer, decimals: ROW_DECIMALS, lines: !!req.groupLines };
    r.group = req.kind === 'encoder' ? group.groupAt(req.position, q) : group.groupAtStep(req.position, q);
  }
  return r;
}

export interface AttendingHead {
  layer: number;
  head: number;
  /** The head's largest weight to another context position. */
  weight: number;
  /** Positions it attends to most (the query itself left out), largest first. */
  targets: { position: number; weight: number }[];
}

/**
 * The `k` encoder heads that attend most strongly from context position `position` to another
 * position (ranked by their largest such weight), each with its `targets` strongest positions.
 */
export function attendingHeads(lens: Pick<LensSource, 'layers' | 'heads' | 'encoderRow'>, position: number, k = 3, targets = 3): AttendingHead[] {
  const all: AttendingHead[] = [];
  for (let l = 0; l < lens.layers; l++) {
    for (let h = 0; h < lens.heads; h++) {
      const row = lens.encoderRow(l, h, position);
      const best: { position: number; weight: number }[] = [];
      for (let i = 0; i < row.length; i++) {
        if (i === position) continue;
        const w = row[i];
        if (!(w > 0)) continue;
        if (best.length < targets || w > best[best.length - 1].weight) {
          best.push({ position: i, weight: w });
          best.sort((a, b) => b.weight - a.weight || a.position - b.position);
          if (best.length > targets) best.pop();
        }
      }
      if (best.length) all.push({ layer: l, head: h, weight: best[0].weight, targets: best });
    }
  }
  all.sort((a, b) => b.weight - a.weight || a.layer - b.layer || a.head - b.head);
  return all.slice(0, k);
}
