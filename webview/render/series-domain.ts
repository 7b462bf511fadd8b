/**
 * DOM-free helpers of the series view: the visible range's arithmetic (rows, fractional allowed:
 * default range, zoom, pan, clamping), merging detail rows fetched for a zoomed range into the
 * first message's points, max / mean over a layer's heads, the strongest positions of a row.
 */

// ---------------------------------------------------------------------------------------------
// domain arithmetic (rows, fractional allowed)

export type Domain = [number, number];

/** Last row drawn: the last data row, or the last forecast step. */
export function extentOf(totalRows: number, forecastSteps: number): Domain {
  return [0, Math.max(1, totalRows - 1 + forecastSteps)];
}

/**
 * The range shown first: everything for a short column; else the context window with as much history
 * before it (at most its length again) and the forecast.
 */
export function defaultDomain(totalRows: number, context: { start: number; end: number }, forecastSteps: number): Domain {
  const ext = extentOf(totalRows, forecastSteps);
  const len = context.end - context.start;
  if (totalRows <= 3 * Math.max(len, 1)) return ext;
  return [Math.max(0, context.start - len), ext[1]];
}

/** Keeps a domain inside the extent, at least `minSpan` rows wide, its width kept when it can be. */
export function clampDomain(d: Domain, extent: Domain, minSpan = 8): Domain {
  const full = extent[1] - extent[0];
  let span = Math.min(Math.max(d[1] - d[0], Math.min(minSpan, full)), full);
  if (!(span > 0)) span = full;
  let a = d[0];
  if (a < extent[0]) a = extent[0];
  if (a + span > extent[1]) a = extent[1] - span;
  return [a, a + span];
}

/** Zoom by `factor` (< 1 zooms in) around row `at`. */
export function zoomDomain(d: Domain, factor: number, at: number, extent: Domain, minSpan = 8): Domain {
  const f = Math.max(1e-6, factor);
  return clampDomain([at - (at - d[0]) * f, at + (d[1] - at) * f], extent, minSpan);
}

/** Shift by `rows`. */
export function panDomain(d: Domain, rows: number, extent: Domain): Domain {
  return clampDomain([d[0] + rows, d[1] + rows], extent);
}

export interface Points {
  index: number[];
  values: (number | null)[];
  timestamps?: string[];
}

/** Union of two point sets sorted by row (rows in both: `b`'s point); timestamps kept when both have them. */
export function mergePoints(a: Points, b: Points): Points {
  const index: number[] = [];
  const values: (number | null)[] = [];
  const ts = a.timestamps && b.timestamps ? ([] as string[]) : undefined;
  let i = 0;
  let j = 0;
  while (i < a.index.length || j < b.index.length) {
    const ra = i < a.index.length ? a.index[i] : Infinity;
    const rb = j < b.index.length ? b.index[j] : Infinity;
    if (rb <= ra) {
      index.push(rb);
      values.push(b.values[j]);
      ts?.push(b.timestamps![j]);
      if (ra === rb) i++;
      j++;
    } else {
      index.push(ra);
      values.push(a.values[i]);
      ts?.push(a.timestamps![i]);
      i++;
    }
  }
  return ts ? { index, values, timestamps: ts } : { index, values };
}

/** Number of points of a sorted index inside [d0, d1]. */
export function pointsIn(index: readonly number[], d: Domain): number {
  const lo = lowerBound(index, d[0]);
  const hi = lowerBound(index, Math.floor(d[1]) + 1);
  return hi - lo;
}

export function lowerBound(index: readonly number[], row: number): number {
  let lo = 0;
  let hi = index.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index[mid] < row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Max or mean over the heads of one layer's rows (`rows[head][key]`). */
export function aggregateHeads(rows: readonly (readonly number[])[], mode: 'max' | 'mean'): number[] {
  const n = rows[0]?.length ?? 0;
  const out = new Array<number>(n).fill(0);
  if (!rows.length) return out;
  for (const r of rows) {
    for (let k = 0; k < n; k++) {
      const v = r[k] ?? 0;
      if (mode === 'max') {
        if (v > out[k]) out[k] = v;
      } else out[k] += v;
    }
  }
  if (mode === 'mean') for (let k = 0; k < n; k++) out[k] /= rows.length;
  return out;
}

/** The `k` largest entries of a row, largest first (ties: lower position first). */
export function strongest(row: readonly number[], k: number, exclude = -1): { position: number; weight: number }[] {
  const out: { position: number; weight: number }[] = [];
  for (let i = 0; i < row.length; i++) {
    const w = row[i];
    if (i === exclude || !(w > 0)) continue;
    if (out.length < k || w > out[out.length - 1].weight) {
      out.push({ position: i, weight: w });
      out.sort((a, b) => b.weight - a.weight || a.position - b.position);
      if (out.length > k) out.pop();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// context positions and data rows: one row each (Chronos-T5), or patches of rows (Chronos-Bolt)

/** What maps positions to rows: the context window, with its patches when the model has them. */
export interface PositionRows {
  start: number;
  end: number;
  patches?: { size: number; stride: number; first: number; count: number };
}

/** The context position of a data row: the row's offset in the window, or the (last) patch covering it; -1 outside. */
export function positionOfRow(c: PositionRows, row: number): number {
  if (row < c.start || row >= c.end || !Number.isInteger(row)) return -1;
  const p = c.patches;
  if (!p) return row - c.start;
  const k = Math.min(Math.floor((row - p.first) / p.stride), p.count - 1);
  return k >= 0 && row - (p.first + k * p.stride) < p.size ? k : -1;
}

/** The data rows [first, last] of context position `p`, inside the window (a left-padded patch starts at its first row). */
export function rowsOfPosition(c: PositionRows, p: number): [number, number] {
  const s = c.patches;
  if (!s) return [c.start + p, c.start + p];
  const first = s.first + p * s.stride;
  return [Math.max(first, c.start), Math.min(first + s.size - 1, c.end - 1)];
}

/** Context positions of the window: its rows, or its patches. */
export function positionCount(c: PositionRows): number {
  return c.patches ? c.patches.count : c.end - c.start;
}
