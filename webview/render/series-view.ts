/**
 * Pieces of the series view (issue 7) beside the chart renderers of series.ts:
 *
 *  - `renderSeriesOverlay`: what changes on every hover, drawn over a chart rendered once (same
 *    SeriesLayout): the hover rule and point, the earlier copies of the hovered token and the points
 *    right after them. Redrawing only this keeps a hover well inside a frame.
 *  - `renderSeriesOverview`: the whole column in a thin strip with the visible range as a brush and
 *    the context window marked (zoom and pan).
 *  - `renderPeriodicityStrip`: the detected period and every encoder head's periodic attention score
 *    (attention mass at multiples of the period over a uniform head's), heads grouped by layer.
 *  - DOM-free helpers: the view's domain arithmetic (default range, zoom, pan), merging detail points
 *    into the overview, aggregating a layer's heads (max / mean), the strongest positions of a row.
 *
 * Pure functions of (data, options) → a new <svg>, like the other renderers.
 */
import { line, scaleLinear } from 'd3';
import type { PeriodicityResult } from '../../analysis/types';
import { heatScale } from './colors';
import { createSvg, fmtNum, resolveDocument, styles, text, title, type RenderTarget } from './dom';
import { fmtScore } from './format';
import type { SeriesChartData, SeriesHover, SeriesLayout } from './series';
import { cssVarTheme, type ChartTheme } from './theme';

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
// overlay

export interface SeriesOverlayOptions extends RenderTarget {
  theme?: ChartTheme;
  hover?: SeriesHover;
  /** The hover is pinned (click): drawn with a ring. */
  pinned?: boolean;
  highlights?: { sameToken?: readonly number[]; nextToken?: readonly number[] };
}

function valueAt(data: SeriesChartData, row: number): number | null {
  const i = lowerBound(data.index, row);
  return data.index[i] === row ? data.values[i] : null;
}

/** The hover rule and point and the induction highlights, for a chart drawn with `layout`. */
export function renderSeriesOverlay(data: SeriesChartData, layout: Pick<SeriesLayout, 'width' | 'height' | 'margin' | 'x' | 'y'>, options: SeriesOverlayOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const { x, y, margin } = layout;
  const svg = createSvg(doc, layout.width, layout.height, 'cl-series-overlay');
  svg.attr('aria-hidden', 'true');
  styles(svg, { 'font-family': theme.fontFamily });
  const [d0, d1] = x.domain();
  const inX = (r: number) => r >= d0 - 0.5 && r <= d1 + 0.5;
  const top = margin.top;
  const bottom = layout.height - margin.bottom;
  const hl = svg.append('g').attr('class', 'highlights');
  for (const [rows, cls, colour] of [
    [options.highlights?.sameToken, 'same-token', theme.sameToken],
    [options.highlights?.nextToken, 'next-token', theme.nextToken],
  ] as const) {
    for (const r of rows ?? []) {
      const v = valueAt(data, r);
      if (v === null || !Number.isFinite(v) || !inX(r)) continue;
      styles(hl.append('circle').attr('class', cls).attr('data-row', r).attr('cx', fmtNum(x(r))).attr('cy', fmtNum(y(v))).attr('r', 4), {
        fill: theme.background,
        stroke: colour,
        'stroke-width': 2,
      });
    }
  }
  const h = options.hover;
  if (h) {
    const row = h.kind === 'encoder' ? h.row : (data.forecast?.start ?? 0) + h.step;
    if (inX(row)) {
      const g = svg.append('g').attr('class', `hover${options.pinned ? ' pinned' : ''}`).attr('data-kind', h.kind).attr('data-row', row);
      styles(g.append('line').attr('class', 'rule').attr('x1', fmtNum(x(row))).attr('x2', fmtNum(x(row))).attr('y1', fmtNum(top)).attr('y2', fmtNum(bottom)), {
        stroke: theme.marked,
        'stroke-width': options.pinned ? 1.5 : 1,
        'stroke-dasharray': options.pinned ? undefined : '3 2',
      });
      let v: number | null = null;
      if (h.kind === 'encoder') v = valueAt(data, row);
      else if (data.forecast) {
        const mi = data.forecast.levels.findIndex((l) => Math.abs(l - 0.5) < 1e-6);
        v = mi >= 0 ? (data.forecast.quantiles[mi]?.[h.step] ?? null) : null;
      }
      if (v !== null && Number.isFinite(v)) {
        if (options.pinned) styles(g.append('circle').attr('class', 'pin-ring').attr('cx', fmtNum(x(row))).attr('cy', fmtNum(y(v))).attr('r', 8), { fill: 'none', stroke: theme.marked, 'stroke-width': 1.5 });
        styles(g.append('circle').attr('class', 'point').attr('data-value', String(v)).attr('cx', fmtNum(x(row))).attr('cy', fmtNum(y(v))).attr('r', 4.5), {
          fill: theme.marked,
          stroke: theme.background,
          'stroke-width': 1.5,
        });
      }
    }
  }
  return svg.node() as SVGSVGElement;
}

// ---------------------------------------------------------------------------------------------
// overview with brush

export interface SeriesOverviewData {
  index: number[];
  values: (number | null)[];
  totalRows: number;
  context?: { start: number; end: number };
  forecastSteps?: number;
}

export interface SeriesOverviewOptions extends RenderTarget {
  theme?: ChartTheme;
  width: number;
  height?: number;
  /** The chart's margins, so the overview lines up with it. */
  margin: { left: number; right: number };
  /** The visible range (the brush). */
  domain: Domain;
}

export interface OverviewGeometry {
  x: (row: number) => number;
  /** px → row */
  invert: (px: number) => number;
}

export function overviewGeometry(data: Pick<SeriesOverviewData, 'totalRows' | 'forecastSteps'>, o: Pick<SeriesOverviewOptions, 'width' | 'margin'>): OverviewGeometry {
  const ext = extentOf(data.totalRows, data.forecastSteps ?? 0);
  const x = scaleLinear().domain(ext).range([o.margin.left, o.width - o.margin.right]).clamp(true);
  return { x: (r) => x(r), invert: (px) => x.invert(px) };
}

/** The whole column as a thin line, the context window shaded and the visible range as a brush. */
export function renderSeriesOverview(data: SeriesOverviewData, options: SeriesOverviewOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const width = options.width;
  const height = options.height ?? 40;
  const top = 3;
  const bottom = height - 3;
  const svg = createSvg(doc, width, height, 'cl-series-overview');
  svg.attr('role', 'img').attr('aria-label', `Overview of ${data.totalRows} rows; rows ${Math.round(options.domain[0])} to ${Math.round(options.domain[1])} shown`);
  styles(svg, { 'font-family': theme.fontFamily });
  const g = overviewGeometry(data, options);
  const left = options.margin.left;
  const right = width - options.margin.right;
  styles(svg.append('rect').attr('class', 'frame').attr('x', fmtNum(left)).attr('y', top).attr('width', fmtNum(right - left)).attr('height', fmtNum(bottom - top)), { fill: 'none', stroke: theme.grid });
  if (data.context) {
    const c0 = g.x(data.context.start);
    const c1 = g.x(data.context.end);
    styles(svg.append('rect').attr('class', 'context').attr('x', fmtNum(c0)).attr('y', top).attr('width', fmtNum(Math.max(1, c1 - c0))).attr('height', fmtNum(bottom - top)), { fill: theme.context });
  }
  const ys = data.values.filter((v): v is number => v !== null && Number.isFinite(v));
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ys) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) [lo, hi] = [(lo === Infinity ? 0 : lo) - 1, (hi === -Infinity ? 0 : hi) + 1];
  const y = scaleLinear().domain([lo, hi]).range([bottom - 2, top + 2]);
  const d = line<number>()
    .defined((k) => data.values[k] !== null && Number.isFinite(data.values[k] as number))
    .x((k) => Math.round(g.x(data.index[k]) * 100) / 100)
    .y((k) => Math.round(y(data.values[k] as number) * 100) / 100)(data.index.map((_, k) => k));
  styles(svg.append('path').attr('class', 'overview-line').attr('d', d ?? ''), { fill: 'none', stroke: theme.muted, 'stroke-width': 1 });
  const b0 = g.x(options.domain[0]);
  const b1 = Math.max(b0 + 2, g.x(options.domain[1]));
  const brush = svg.append('g').attr('class', 'brush').attr('data-start', fmtNum(options.domain[0])).attr('data-end', fmtNum(options.domain[1]));
  styles(brush.append('rect').attr('class', 'selection').attr('x', fmtNum(b0)).attr('y', 1).attr('width', fmtNum(b1 - b0)).attr('height', fmtNum(height - 2)).attr('rx', 2), {
    fill: theme.accent,
    'fill-opacity': 0.08,
    stroke: theme.accent,
    'stroke-width': 1,
  });
  return svg.node() as SVGSVGElement;
}

// ---------------------------------------------------------------------------------------------
// periodicity strip

export interface PeriodicityStripOptions extends RenderTarget {
  theme?: ChartTheme;
  width: number;
  /** The chart's left and right margins, to line up with its plot area. */
  left?: number;
  right?: number;
  selected?: { layer: number; head: number };
  /** Focusable cells (click / keyboard selects a head). */
  interactive?: boolean;
}

/**
 * The detected period and, per encoder head, the ratio of its attention mass at multiples of the
 * period to a uniform head's: a caption, then one cell per head grouped by layer (aligned with the
 * chart's plot area from `left`), coloured on a shared scale from 1× (no more than uniform: grey).
 */
export function renderPeriodicityStrip(p: PeriodicityResult, options: PeriodicityStripOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const ratio = p.headScores.ratio;
  const layers = ratio.length;
  const heads = Math.max(0, ...ratio.map((r) => r.length));
  const width = options.width;
  const left = options.left ?? 40;
  const right = options.right ?? 4;
  const cellsTop = 18;
  const cellH = 16;
  const height = cellsTop + cellH + 16;
  const svg = createSvg(doc, width, height, 'cl-periodicity-strip');
  const main = p.periods[0];
  const period = p.headScores.period;
  svg.attr('role', options.interactive ? 'grid' : 'img').attr('aria-label', `Periodic attention per head at lag ${period}`);
  styles(svg, { 'font-family': theme.fontFamily });
  const all = ratio.flat().filter(Number.isFinite);
  const hi = Math.max(2, ...all);
  const cap = text(svg, left, 10, `Periodic attention · period ${period}`, theme, { baseline: 'middle', size: theme.fontSize - 1, weight: 600, className: 'period' });
  cap.attr('data-period', period);
  const detail = main ? `autocorrelation ${main.strength.toFixed(2)} · cell: attention at lags k·${period} (±1) over a uniform head's, 1× – ${hi.toFixed(1)}×` : `given period · cell: attention at lags k·${period} (±1) over a uniform head's`;
  text(svg, width - right, 10, detail, theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'strength' });
  const groupGap = 6;
  const avail = width - left - right - groupGap * Math.max(0, layers - 1);
  const cw = Math.max(3, Math.min(24, avail / Math.max(1, layers * heads)));
  const scale = heatScale([1, hi], 'viridis');
  for (let l = 0; l < layers; l++) {
    const gx = left + l * (heads * cw + groupGap);
    const row = svg.append('g').attr('class', 'layer').attr('data-layer', l);
    if (options.interactive) row.attr('role', 'row');
    for (let h = 0; h < heads; h++) {
      const v = ratio[l]?.[h];
      const sel = options.selected?.layer === l && options.selected?.head === h;
      const cell = row.append('g').attr('class', `pcell${sel ? ' selected' : ''}`).attr('data-layer', l).attr('data-head', h).attr('data-ratio', String(v));
      const label = `L${l}.H${h}: ${fmtScore(v)}× a uniform head's attention at lags of ${period} (mass ${fmtScore(p.headScores.mass[l]?.[h])})`;
      if (options.interactive) cell.attr('role', 'gridcell').attr('aria-label', label);
      title(cell, label);
      const above = Number.isFinite(v) && (v as number) > 1;
      // at or below a uniform head's attention: an empty cell
      styles(cell.append('rect').attr('x', fmtNum(gx + h * cw + (above ? 0 : 0.5))).attr('y', cellsTop + (above ? 0 : 0.5)).attr('width', fmtNum(Math.max(1, cw - (above ? 1 : 2)))).attr('height', above ? cellH : cellH - 1), {
        fill: above ? scale(v as number) : 'none',
        stroke: above ? 'none' : theme.grid,
        'stroke-width': above ? 0 : 1,
      });
      if (sel) {
        styles(cell.append('rect').attr('class', 'sel-halo').attr('x', fmtNum(gx + h * cw - 1.5)).attr('y', cellsTop - 1.5).attr('width', fmtNum(Math.max(1, cw - 1) + 3)).attr('height', cellH + 3), { fill: 'none', stroke: theme.background, 'stroke-width': 3 });
        styles(cell.append('rect').attr('class', 'sel-ring').attr('x', fmtNum(gx + h * cw - 1.5)).attr('y', cellsTop - 1.5).attr('width', fmtNum(Math.max(1, cw - 1) + 3)).attr('height', cellH + 3), { fill: 'none', stroke: theme.foreground, 'stroke-width': 1.5 });
      }
    }
    text(svg, gx + (heads * cw) / 2, cellsTop + cellH + 10, `L${l}`, theme, { anchor: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
  }
  return svg.node() as SVGSVGElement;
}
