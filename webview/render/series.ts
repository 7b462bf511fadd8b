/**
 * Series-view renderers (issue 7): the series line chart (timestamps or row index on x, the context
 * window shaded, the forecast fan with 10–90 / 20–80 bands and the median), the attention strip
 * drawn under it (one query's attention over the context, aligned with the chart's x axis), and
 * the layers × heads sparkline grid. Pure functions of (data, options) → a new <svg>; the shared
 * geometry is a plain value (seriesLayout) so components can hit-test without reading the DOM.
 */
import { area, line, scaleLinear, scaleUtc, select, ticks as d3ticks, type ScaleLinear } from 'd3';
import type { ForecastResult, LayerHead } from '../../analysis/types';
import { createSvg, fmtNum, resolveDocument, styles, SVG_NS, text, textWidth, type AnySel, type RenderTarget } from './dom';
import { fmtMetric, fmtScore } from './format';
import { cssVarTheme, type ChartTheme } from './theme';

export interface ForecastFan {
  /** Data-row index of the first forecast step (the row after the context window). */
  start: number;
  /** Quantile levels, ascending, and values [level][step]. */
  levels: number[];
  quantiles: number[][];
  timestamps?: string[];
}

export interface SeriesChartData {
  /** Data-row index of each displayed point (strictly increasing). */
  index: number[];
  values: (number | null)[];
  timestamps?: string[];
  /** Context window, rows [start, end). */
  context?: { start: number; end: number };
  forecast?: ForecastFan;
}

/** A ForecastResult as a fan starting at row `start`. */
export function forecastFan(f: Pick<ForecastResult, 'quantileLevels' | 'quantiles' | 'timestamps'>, start: number): ForecastFan {
  return { start, levels: f.quantileLevels, quantiles: f.quantiles, timestamps: f.timestamps };
}

export type SeriesHover = { kind: 'encoder'; row: number } | { kind: 'cross'; step: number };

export interface SeriesChartOptions extends RenderTarget {
  theme?: ChartTheme;
  width?: number;
  height?: number;
  background?: boolean;
  /** x-axis labels: dates from the timestamps (when they parse), or row numbers. Default 'auto'. */
  xAxis?: 'auto' | 'index' | 'time';
  /** Visible rows [from, to] (zoom); default everything incl. the forecast. */
  xDomain?: [number, number];
  hover?: SeriesHover;
  /** Rows to highlight: earlier copies of the hovered token and the rows right after them. */
  highlights?: { sameToken?: readonly number[]; nextToken?: readonly number[] };
  /** y-axis label (the column name). */
  yLabel?: string;
}

export interface SeriesLayout {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
  /** Row (fractional allowed) → px. */
  x: ScaleLinear<number, number>;
  y: ScaleLinear<number, number>;
  time: boolean;
  xTicks: { row: number; label: string }[];
  /** Nearest displayed point (or forecast step) to a px position. */
  hit(px: number): SeriesHover | undefined;
}

const LEVEL_EPS = 1e-6;
function levelIndex(levels: number[], q: number): number {
  return levels.findIndex((l) => Math.abs(l - q) < LEVEL_EPS);
}

function parseTime(s: string): number {
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : NaN;
}

export function seriesLayout(data: SeriesChartData, opts: Omit<SeriesChartOptions, 'document'> = {}): SeriesLayout {
  const theme = opts.theme ?? cssVarTheme();
  const width = opts.width ?? 760;
  const height = opts.height ?? 280;
  const first = data.index[0] ?? 0;
  const lastData = data.index[data.index.length - 1] ?? 0;
  const steps = data.forecast ? (data.forecast.quantiles[0]?.length ?? 0) : 0;
  const last = data.forecast && steps ? Math.max(lastData, data.forecast.start + steps - 1) : lastData;
  const dom: [number, number] = opts.xDomain ?? [first, Math.max(last, first + 1)];

  const ys: number[] = [];
  data.index.forEach((r, i) => {
    const v = data.values[i];
    if (v !== null && Number.isFinite(v) && r >= dom[0] && r <= dom[1]) ys.push(v);
  });
  if (data.forecast) {
    const lo = data.forecast.quantiles[0] ?? [];
    const hi = data.forecast.quantiles[data.forecast.quantiles.length - 1] ?? [];
    for (const v of [...lo, ...hi]) if (Number.isFinite(v)) ys.push(v);
  }
  let yMin = ys.length ? Math.min(...ys) : 0;
  let yMax = ys.length ? Math.max(...ys) : 1;
  if (yMin === yMax) [yMin, yMax] = [yMin - 1, yMax + 1];
  const y0 = scaleLinear().domain([yMin, yMax]).nice(5);
  const yTickLabels = y0.ticks(5).map((t) => fmtMetric(t));
  const left = 14 + Math.max(...yTickLabels.map((l) => textWidth(l, theme.fontSize - 1))) + (opts.yLabel ? 16 : 0);
  const margin = { top: 22, right: 16, bottom: 30, left };
  const x = scaleLinear().domain(dom).range([margin.left, width - margin.right]);
  const y = y0.range([height - margin.bottom, margin.top]);

  // time labels when every displayed timestamp parses
  const times = data.timestamps?.map(parseTime);
  const wantTime = opts.xAxis !== 'index' && !!times && times.length === data.index.length && times.every(Number.isFinite);
  const time = wantTime && (opts.xAxis === 'time' || opts.xAxis === 'auto' || opts.xAxis === undefined);
  const timeAt = (row: number): number => {
    if (!times || !time) return NaN;
    const fTimes = data.forecast?.timestamps?.map(parseTime);
    if (data.forecast && fTimes && row >= data.forecast.start) {
      const k = Math.round(row - data.forecast.start);
      if (k >= 0 && k < fTimes.length) return fTimes[k];
    }
    // nearest displayed point, then extrapolate with the local step
    let i = bisectRows(data.index, row);
    i = Math.min(Math.max(i, 0), data.index.length - 1);
    const j = i > 0 ? i - 1 : Math.min(1, data.index.length - 1);
    const step = i !== j ? (times[i] - times[j]) / (data.index[i] - data.index[j]) : 0;
    return times[i] + (row - data.index[i]) * step;
  };
  const tickCount = Math.max(2, Math.floor((width - margin.left - margin.right) / 110));
  let xTicks: { row: number; label: string }[];
  if (time && times && times.length > 1) {
    // Calendar ticks (d3's UTC intervals) mapped back to rows by interpolating between known points.
    const known: [number, number][] = data.index.map((r, i) => [r, times[i]]);
    const fTimes = data.forecast?.timestamps?.map(parseTime);
    if (data.forecast && fTimes?.every(Number.isFinite)) fTimes.forEach((t, k) => known.push([(data.forecast as ForecastFan).start + k, t]));
    known.sort((a, b) => a[0] - b[0]);
    const rowAt = (t: number): number => {
      let i = 1;
      while (i < known.length - 1 && known[i][1] < t) i++;
      const [r0, t0] = known[i - 1];
      const [r1, t1] = known[i];
      return t1 === t0 ? r0 : r0 + ((t - t0) / (t1 - t0)) * (r1 - r0);
    };
    const t0 = timeAt(dom[0]);
    const t1 = timeAt(dom[1]);
    const ts = scaleUtc().domain([t0, t1]);
    const f = ts.tickFormat(tickCount);
    xTicks = ts.ticks(tickCount).map((d) => ({ row: rowAt(d.getTime()), label: f(d) })).filter((t) => t.row >= dom[0] && t.row <= dom[1]);
  } else {
    xTicks = d3ticks(dom[0], dom[1], tickCount)
      .filter((t) => Number.isInteger(t))
      .map((row) => ({ row, label: String(row) }));
  }

  const hit = (px: number): SeriesHover | undefined => {
    const row = x.invert(px);
    if (data.forecast && steps && row >= data.forecast.start - 0.5) {
      const step = Math.round(row - data.forecast.start);
      if (step >= 0 && step < steps) return { kind: 'cross', step };
    }
    if (!data.index.length) return undefined;
    const i = nearest(data.index, row);
    return { kind: 'encoder', row: data.index[i] };
  };
  return { width, height, margin, x, y, time, xTicks, hit };
}

function bisectRows(index: number[], row: number): number {
  let lo = 0;
  let hi = index.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index[mid] < row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nearest(index: number[], row: number): number {
  const i = bisectRows(index, row);
  if (i <= 0) return 0;
  if (i >= index.length) return index.length - 1;
  return row - index[i - 1] <= index[i] - row ? i - 1 : i;
}

export function renderSeriesChart(data: SeriesChartData, options: SeriesChartOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const L = seriesLayout(data, { ...options, theme });
  const { x, y, margin } = L;
  const svg = createSvg(doc, L.width, L.height, 'cl-series-chart');
  svg.attr('role', 'img').attr('aria-label', `Series${options.yLabel ? ` ${options.yLabel}` : ''}: ${data.index.length} points${data.forecast ? ', with forecast' : ''}`);
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(L.width)).attr('height', fmtNum(L.height)), { fill: theme.background });
  const [d0, d1] = x.domain();
  const inX = (r: number) => r >= d0 - 1 && r <= d1 + 1;
  const plotTop = margin.top;
  const plotBottom = L.height - margin.bottom;

  // context window
  if (data.context) {
    const c0 = Math.max(x(data.context.start - 0.5), margin.left);
    const c1 = Math.min(x(data.context.end - 0.5), L.width - margin.right);
    if (c1 > c0) {
      const g = svg.append('g').attr('class', 'context-window').attr('data-start', data.context.start).attr('data-end', data.context.end);
      styles(g.append('rect').attr('x', fmtNum(c0)).attr('y', fmtNum(plotTop)).attr('width', fmtNum(c1 - c0)).attr('height', fmtNum(plotBottom - plotTop)), { fill: theme.context });
      styles(g.append('line').attr('x1', fmtNum(c0)).attr('x2', fmtNum(c0)).attr('y1', fmtNum(plotTop)).attr('y2', fmtNum(plotBottom)), { stroke: theme.accent, 'stroke-opacity': 0.5, 'stroke-dasharray': '2 3' });
      text(g, c0 + 4, plotTop - 6, `context · ${data.context.end - data.context.start} points`, theme, { size: theme.fontSize - 2, fill: theme.muted });
    }
  }

  // grid + axes
  const axes = svg.append('g').attr('class', 'axes').attr('aria-hidden', 'true');
  for (const t of y.ticks(5)) {
    styles(axes.append('line').attr('x1', fmtNum(margin.left)).attr('x2', fmtNum(L.width - margin.right)).attr('y1', fmtNum(y(t))).attr('y2', fmtNum(y(t))), { stroke: theme.grid, 'stroke-opacity': 0.6 });
    text(axes, margin.left - 6, y(t), fmtMetric(t), theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 1, fill: theme.muted, className: 'tick tick-y' });
  }
  styles(axes.append('line').attr('x1', fmtNum(margin.left)).attr('x2', fmtNum(L.width - margin.right)).attr('y1', fmtNum(plotBottom)).attr('y2', fmtNum(plotBottom)), { stroke: theme.muted });
  for (const t of L.xTicks) {
    styles(axes.append('line').attr('x1', fmtNum(x(t.row))).attr('x2', fmtNum(x(t.row))).attr('y1', fmtNum(plotBottom)).attr('y2', fmtNum(plotBottom + 4)), { stroke: theme.muted });
    text(axes, x(t.row), plotBottom + 7, t.label, theme, { anchor: 'middle', baseline: 'hanging', size: theme.fontSize - 1, fill: theme.muted, className: 'tick tick-x' });
  }
  if (options.yLabel) text(axes, 10, (plotTop + plotBottom) / 2, options.yLabel, theme, { anchor: 'middle', rotate: -90, fill: theme.muted, size: theme.fontSize - 1, className: 'axis-title' });

  // forecast fan
  if (data.forecast) drawFan(svg, data.forecast, x, y, theme);

  // the series
  const pts = data.index.map((r, i) => [r, data.values[i]] as const).filter(([r]) => inX(r));
  const path = line<readonly [number, number | null]>()
    .defined(([, v]) => v !== null && Number.isFinite(v))
    .x(([r]) => Math.round(x(r) * 100) / 100)
    .y(([, v]) => Math.round(y(v as number) * 100) / 100)(pts);
  styles(svg.append('path').attr('class', 'series-line').attr('d', path ?? ''), { fill: 'none', stroke: theme.accent, 'stroke-width': 1.5, 'stroke-linejoin': 'round' });

  // induction highlights
  const valueAt = (row: number): number | null => {
    const i = bisectRows(data.index, row);
    return data.index[i] === row ? data.values[i] : null;
  };
  const hl = svg.append('g').attr('class', 'highlights');
  for (const [rows, cls, colour] of [
    [options.highlights?.sameToken, 'same-token', theme.sameToken],
    [options.highlights?.nextToken, 'next-token', theme.nextToken],
  ] as const) {
    for (const r of rows ?? []) {
      const v = valueAt(r);
      if (v === null || !inX(r)) continue;
      styles(hl.append('circle').attr('class', cls).attr('data-row', r).attr('cx', fmtNum(x(r))).attr('cy', fmtNum(y(v))).attr('r', 4), { fill: theme.background, stroke: colour, 'stroke-width': 2 });
    }
  }

  // hover
  if (options.hover) {
    const h = options.hover;
    const row = h.kind === 'encoder' ? h.row : (data.forecast?.start ?? 0) + h.step;
    const g = svg.append('g').attr('class', 'hover').attr('data-kind', h.kind).attr('data-row', row);
    styles(g.append('line').attr('x1', fmtNum(x(row))).attr('x2', fmtNum(x(row))).attr('y1', fmtNum(plotTop)).attr('y2', fmtNum(plotBottom)), { stroke: theme.marked, 'stroke-width': 1 });
    let v: number | null = null;
    if (h.kind === 'encoder') v = valueAt(row);
    else if (data.forecast) {
      const mi = levelIndex(data.forecast.levels, 0.5);
      v = mi >= 0 ? (data.forecast.quantiles[mi]?.[h.step] ?? null) : null;
    }
    if (v !== null && Number.isFinite(v)) styles(g.append('circle').attr('cx', fmtNum(x(row))).attr('cy', fmtNum(y(v))).attr('r', 4.5), { fill: theme.marked, stroke: theme.background, 'stroke-width': 1.5 });
  }
  return svg.node() as SVGSVGElement;
}

function drawFan(svg: AnySel, f: ForecastFan, x: ScaleLinear<number, number>, y: ScaleLinear<number, number>, theme: ChartTheme): void {
  const g = svg.append('g').attr('class', 'forecast');
  const steps = f.quantiles[0]?.length ?? 0;
  const idx = Array.from({ length: steps }, (_, k) => k);
  const band = (lo: number, hi: number, cls: string, opacity: number) => {
    const a = levelIndex(f.levels, lo);
    const b = levelIndex(f.levels, hi);
    if (a < 0 || b < 0) return;
    const d = area<number>()
      .x((k) => Math.round(x(f.start + k) * 100) / 100)
      .y0((k) => Math.round(y(f.quantiles[a][k]) * 100) / 100)
      .y1((k) => Math.round(y(f.quantiles[b][k]) * 100) / 100)(idx);
    styles(g.append('path').attr('class', cls).attr('d', d ?? ''), { fill: theme.forecast, 'fill-opacity': opacity, stroke: 'none' });
  };
  band(0.1, 0.9, 'band-10-90', 0.18);
  band(0.2, 0.8, 'band-20-80', 0.28);
  const m = levelIndex(f.levels, 0.5);
  if (m >= 0) {
    const d = line<number>()
      .x((k) => Math.round(x(f.start + k) * 100) / 100)
      .y((k) => Math.round(y(f.quantiles[m][k]) * 100) / 100)(idx);
    styles(g.append('path').attr('class', 'median').attr('d', d ?? ''), { fill: 'none', stroke: theme.forecast, 'stroke-width': 1.75 });
  }
}

// ---------------------------------------------------------------------------------------------
// Attention strip

export interface AttentionStripData {
  /** Attention weight to each context position (one row of the lens). */
  weights: readonly number[];
  /** Data row of context position 0. */
  contextStart: number;
  /** The query, as a data row (encoder: a context row; cross: the forecast step's row). */
  queryRow?: number;
  /** Context positions holding the query's token, and the positions right after them. */
  sameToken?: readonly number[];
  nextToken?: readonly number[];
  /** Caption at the left, e.g. "L3.H5" or "max over heads, layer 3". */
  label?: string;
}

export interface AttentionStripOptions extends RenderTarget {
  /** The chart's layout, so the strip lines up with it. */
  layout: Pick<SeriesLayout, 'width' | 'margin' | 'x'>;
  height?: number;
  theme?: ChartTheme;
  background?: boolean;
}

/** One query's attention over the context, drawn under the series chart with the same x axis. */
export function renderAttentionStrip(data: AttentionStripData, options: AttentionStripOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const { margin, width } = options.layout;
  const height = options.height ?? 40;
  const top = 4;
  const h = height - top - 12;
  const svg = createSvg(doc, width, height, 'cl-attention-strip');
  svg.attr('role', 'img');
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(width)).attr('height', fmtNum(height)), { fill: theme.background });
  text(svg, margin.left - 6, top + h / 2, '', theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'strip-label' });
  styles(svg.append('rect').attr('class', 'strip-frame').attr('x', fmtNum(margin.left)).attr('y', top).attr('width', fmtNum(width - margin.left - margin.right)).attr('height', fmtNum(h)), {
    fill: 'none',
    stroke: theme.grid,
  });
  // Bars share one fill (set on the group); each bar's opacity is a presentation attribute.
  styles(svg.append('g').attr('class', 'weights'), { fill: theme.accent });
  svg.append('g').attr('class', 'marks');
  styles(svg.append('line').attr('class', 'query').attr('y1', top).attr('y2', fmtNum(top + h)), { stroke: theme.marked, 'stroke-width': 1.5 });
  const node = svg.node() as SVGSVGElement;
  updateAttentionStrip(node, data, { ...options, theme });
  return node;
}

/** What each bar of a strip shows where it does not change between redraws. */
const barState = new WeakMap<Element, { p: number; x: string; w: string }>();

/**
 * Redraws a strip made by renderAttentionStrip with the same options (layout, height, theme) for
 * other data, in place: the bar elements are reused, so a hover changes attributes instead of
 * building the strip again. The result is the same as a fresh renderAttentionStrip.
 */
export function updateAttentionStrip(svgNode: SVGSVGElement, data: AttentionStripData, options: AttentionStripOptions): void {
  const theme = options.theme ?? cssVarTheme();
  const { x } = options.layout;
  const height = options.height ?? 40;
  const top = 4;
  const h = height - top - 12;
  const doc = svgNode.ownerDocument;
  svgNode.setAttribute('aria-label', `Attention over ${data.weights.length} context positions${data.label ? `, ${data.label}` : ''}`);
  const label = svgNode.querySelector('.strip-label');
  if (label) label.textContent = data.label ?? '';
  const g = svgNode.querySelector('.weights') as SVGGElement;
  let max = 1e-12;
  for (const w of data.weights) if (Number.isFinite(w) && w > max) max = w;
  const cellW = Math.abs(x(data.contextStart + 1) - x(data.contextStart));
  const bw = fmtNum(Math.max(1, cellW));
  const [d0, d1] = x.domain();
  let k = 0;
  const bars = g.children;
  for (let p = 0; p < data.weights.length; p++) {
    const w = data.weights[p];
    const row = data.contextStart + p;
    if (!Number.isFinite(w) || w <= 0 || row < d0 - 1 || row > d1 + 1) continue;
    let r = bars[k] as SVGRectElement | undefined;
    if (!r) {
      r = doc.createElementNS(SVG_NS, 'rect') as SVGRectElement;
      r.setAttribute('class', 'weight');
      g.appendChild(r);
    }
    k++;
    const bh = Math.max(0.5, (w / max) * h);
    const bx = fmtNum(x(row) - Math.max(1, cellW) / 2);
    // Attributes are only written when they change (most bars keep their position between hovers).
    const was = barState.get(r);
    if (!was || was.p !== p || was.x !== bx || was.w !== bw) {
      r.setAttribute('data-position', String(p));
      r.setAttribute('x', bx);
      r.setAttribute('width', bw);
      barState.set(r, { p, x: bx, w: bw });
    }
    r.setAttribute('data-weight', String(w));
    r.setAttribute('y', fmtNum(top + h - bh));
    r.setAttribute('height', fmtNum(bh));
    r.setAttribute('fill-opacity', fmtNum(0.35 + 0.65 * (w / max)));
    const tip = r.firstElementChild;
    if (cellW >= 3) {
      const t = tip ?? r.appendChild(doc.createElementNS(SVG_NS, 'title'));
      t.textContent = `position ${p} (row ${row}): ${fmtScore(w)}`;
    } else tip?.remove();
  }
  while (bars.length > k) bars[bars.length - 1].remove();
  const marks = select(svgNode.querySelector('.marks') as SVGGElement);
  marks.selectAll('*').remove();
  for (const [positions, cls, colour] of [
    [data.sameToken, 'same-token', theme.sameToken],
    [data.nextToken, 'next-token', theme.nextToken],
  ] as const) {
    for (const p of positions ?? []) {
      const cx = x(data.contextStart + p);
      styles(marks.append('path').attr('class', cls).attr('data-position', p).attr('d', `M${fmtNum(cx)},${fmtNum(top + h + 1)}l4,6h-8z`), { fill: colour });
    }
  }
  const q = svgNode.querySelector('.query') as SVGLineElement;
  if (data.queryRow !== undefined) {
    const qx = fmtNum(x(data.queryRow));
    q.setAttribute('x1', qx);
    q.setAttribute('x2', qx);
    q.removeAttribute('visibility');
  } else q.setAttribute('visibility', 'hidden');
}

// ---------------------------------------------------------------------------------------------
// Sparkline grid (layers × heads)

export interface HeadSparklinesOptions extends RenderTarget {
  theme?: ChartTheme;
  cellWidth?: number;
  cellHeight?: number;
  selected?: { layer: number; head: number };
  /** Key position to mark in every sparkline (e.g. the query). */
  marker?: number;
  /** Score printed under each sparkline (e.g. the head's induction score). */
  scores?: LayerHead;
  /** Focusable cells (roving tabindex) with ARIA grid roles. */
  interactive?: boolean;
  background?: boolean;
}

/** Small multiples of `rows[layer][head][key]`; each sparkline scaled to its own maximum. */
export function renderHeadSparklines(rows: readonly (readonly (readonly number[])[])[], options: HeadSparklinesOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const layers = rows.length;
  const heads = Math.max(0, ...rows.map((r) => r.length));
  const cw = options.cellWidth ?? 64;
  const ch = options.cellHeight ?? (options.scores ? 34 : 26);
  const gap = 4;
  const left = 30;
  const top = 18;
  const width = left + heads * (cw + gap);
  const height = top + layers * (ch + gap);
  const svg = createSvg(doc, width, height, 'cl-head-sparklines');
  svg.attr('role', options.interactive ? 'grid' : 'img').attr('aria-label', `Attention of ${layers} layers × ${heads} heads`);
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(width)).attr('height', fmtNum(height)), { fill: theme.background });
  for (let h = 0; h < heads; h++) text(svg, left + h * (cw + gap) + cw / 2, top - 6, `H${h}`, theme, { anchor: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
  const sel = options.selected ?? { layer: 0, head: 0 };
  const plotH = options.scores ? ch - 11 : ch;
  for (let l = 0; l < layers; l++) {
    const rowG = svg.append('g').attr('class', 'row').attr('data-layer', l);
    if (options.interactive) rowG.attr('role', 'row');
    text(rowG, left - 6, top + l * (ch + gap) + ch / 2, `L${l}`, theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
    for (let h = 0; h < heads; h++) {
      const gx = left + h * (cw + gap);
      const gy = top + l * (ch + gap);
      const isSel = options.selected?.layer === l && options.selected?.head === h;
      const g = rowG.append('g').attr('class', `spark${isSel ? ' selected' : ''}`).attr('data-layer', l).attr('data-head', h).attr('transform', `translate(${fmtNum(gx)},${fmtNum(gy)})`);
      if (options.interactive) g.attr('role', 'gridcell').attr('tabindex', sel.layer === l && sel.head === h ? 0 : -1).attr('aria-selected', isSel ? 'true' : 'false');
      styles(g.append('rect').attr('class', 'spark-bg').attr('width', cw).attr('height', ch).attr('rx', 2), {
        fill: theme.background,
        stroke: isSel ? theme.accent : theme.grid,
        'stroke-width': isSel ? 2 : 1,
      });
      styles(g.append('path').attr('class', 'spark-area'), { fill: theme.accent, 'fill-opacity': 0.35, stroke: theme.accent, 'stroke-width': 1 });
      styles(g.append('line').attr('class', 'spark-marker').attr('y1', 2).attr('y2', fmtNum(plotH - 2)), { stroke: theme.marked, 'stroke-width': 1 });
      if (options.scores) text(g, cw - 3, ch - 2, fmtScore(options.scores[l]?.[h]), theme, { anchor: 'end', size: 9, fill: theme.muted, className: 'spark-score' });
    }
  }
  const node = svg.node() as SVGSVGElement;
  updateHeadSparklines(node, rows, options);
  return node;
}

/**
 * Redraws a grid made by renderHeadSparklines with the same shape and options (cell size, scores,
 * selection) for other rows and marker, in place: only each sparkline's area, marker and label
 * change. The result is the same as a fresh renderHeadSparklines.
 */
export function updateHeadSparklines(svgNode: SVGSVGElement, rows: readonly (readonly (readonly number[])[])[], options: Pick<HeadSparklinesOptions, 'cellWidth' | 'cellHeight' | 'scores' | 'marker' | 'interactive'> = {}): void {
  const cw = options.cellWidth ?? 64;
  const ch = options.cellHeight ?? (options.scores ? 34 : 26);
  const plotH = options.scores ? ch - 11 : ch;
  for (const g of svgNode.querySelectorAll<SVGGElement>('.spark')) {
    const l = Number(g.getAttribute('data-layer'));
    const h = Number(g.getAttribute('data-head'));
    const r = rows[l]?.[h] ?? [];
    let peak = 0;
    for (let k = 1; k < r.length; k++) if (r[k] > r[peak]) peak = k;
    const label = `Layer ${l}, head ${h}${r.length ? `: peak at position ${peak} (${fmtScore(r[peak])})` : ''}${options.scores ? `, induction score ${fmtScore(options.scores[l]?.[h])}` : ''}`;
    if (options.interactive) g.setAttribute('aria-label', label);
    else {
      let t = g.querySelector(':scope > title');
      if (!t) t = g.insertBefore(svgNode.ownerDocument.createElementNS(SVG_NS, 'title'), g.firstChild);
      t.textContent = label;
    }
    const path = g.querySelector('.spark-area') as SVGPathElement;
    const marker = g.querySelector('.spark-marker') as SVGLineElement;
    if (r.length > 1) {
      let max = 1e-12;
      for (const v of r) if (Number.isFinite(v) && v > max) max = v;
      // The area under the row (as d3's area() writes it, built directly: this runs on every hover).
      const x0 = 2;
      const dx = (cw - 4) / (r.length - 1);
      const base = plotH - 2;
      const span = base - 3;
      const px = (k: number) => Math.round((x0 + k * dx) * 100) / 100;
      const py = (v: number) => Math.round((base - (Number.isFinite(v) ? v / max : 0) * span) * 100) / 100;
      let d = `M${px(0)},${py(r[0])}`;
      for (let k = 1; k < r.length; k++) d += `L${px(k)},${py(r[k])}`;
      d += `L${px(r.length - 1)},${base}`;
      for (let k = r.length - 2; k >= 0; k--) d += `L${px(k)},${base}`;
      path.setAttribute('d', `${d}Z`);
      const sx = (k: number) => x0 + k * dx;
      path.removeAttribute('visibility');
      if (options.marker !== undefined && options.marker >= 0 && options.marker < r.length) {
        const mx = fmtNum(sx(options.marker));
        marker.setAttribute('x1', mx);
        marker.setAttribute('x2', mx);
        marker.removeAttribute('visibility');
      } else marker.setAttribute('visibility', 'hidden');
    } else {
      path.setAttribute('visibility', 'hidden');
      marker.setAttribute('visibility', 'hidden');
    }
  }
}
