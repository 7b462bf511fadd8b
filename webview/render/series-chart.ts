/**
 * The series chart mark: a CSV column as a line (timestamps or row index on x), the context window
 * shaded and the forecast fan (the two widest central intervals of its levels, e.g. 10–90 / 20–80, and
 * the median). A pure function of
 * (data, options) → a new <svg>; its geometry is a plain value (seriesLayout) so that components can
 * hit-test and line other marks up with it without reading the DOM.
 */
import { area, line, scaleLinear, scaleUtc, ticks as d3ticks, type ScaleLinear } from 'd3';
import type { ForecastResult } from '../../analysis/types';
import { createSvg, fmtNum, resolveDocument, styles, text, textWidth, type AnySel, type RenderTarget } from './dom';
import { fmtMetric } from './format';
import { lowerBound } from './series-domain';
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

  // time labels when every displayed timestamp parses and time moves forward from point to point:
  // repeated or unordered timestamps (several series stacked in one file) map one date to many rows,
  // and their labels would pile up, so such a column is drawn against its rows
  const times = data.timestamps?.map(parseTime);
  const wantTime =
    opts.xAxis !== 'index' && !!times && times.length === data.index.length && times.every((t, i) => Number.isFinite(t) && (i === 0 || t > times[i - 1]));
  const time = wantTime && (opts.xAxis === 'time' || opts.xAxis === 'auto' || opts.xAxis === undefined);
  const timeAt = (row: number): number => {
    if (!times || !time) return NaN;
    const fTimes = data.forecast?.timestamps?.map(parseTime);
    if (data.forecast && fTimes && row >= data.forecast.start) {
      const k = Math.round(row - data.forecast.start);
      if (k >= 0 && k < fTimes.length) return fTimes[k];
    }
    // nearest displayed point, then extrapolate with the local step
    let i = lowerBound(data.index, row);
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
  xTicks = spacedTicks(xTicks, x, theme.fontSize - 1);

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

/** Ticks in x order, each kept only when its label clears the last kept one (labels never overprint). */
function spacedTicks(ticks: { row: number; label: string }[], x: (row: number) => number, size: number): { row: number; label: string }[] {
  const out: { row: number; label: string }[] = [];
  let right = -Infinity;
  for (const t of [...ticks].sort((a, b) => a.row - b.row)) {
    const w = textWidth(t.label, size);
    const left = x(t.row) - w / 2;
    if (left < right + 6) continue;
    out.push(t);
    right = left + w;
  }
  return out;
}

function nearest(index: number[], row: number): number {
  const i = lowerBound(index, row);
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
      // A window at the right end (the whole column shown) would push its label off the chart: it then ends at the chart's edge.
      const label = `context · ${data.context.end - data.context.start} points`;
      const fits = c0 + 4 + textWidth(label, theme.fontSize - 2) * 1.1 <= L.width - 2;
      text(g, fits ? c0 + 4 : L.width - 2, plotTop - 6, label, theme, { anchor: fits ? 'start' : 'end', size: theme.fontSize - 2, fill: theme.muted, className: 'context-label' });
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
  // The two widest central intervals the forecast's own levels give (10–90 % and 20–80 % for the usual
  // nine levels; a Chronos-Bolt head with other levels draws its own).
  const pairs = f.levels.filter((l) => l < 0.5 - LEVEL_EPS && levelIndex(f.levels, 1 - l) >= 0).sort((a, b) => a - b);
  const pct = (l: number) => String(Math.round(l * 1000) / 10).replace('.', '_');
  pairs.slice(0, 2).forEach((lo, i) => band(lo, 1 - lo, `band-${pct(lo)}-${pct(1 - lo)}`, i === 0 ? 0.18 : 0.28));
  const m = levelIndex(f.levels, 0.5);
  if (m >= 0) {
    const d = line<number>()
      .x((k) => Math.round(x(f.start + k) * 100) / 100)
      .y((k) => Math.round(y(f.quantiles[m][k]) * 100) / 100)(idx);
    styles(g.append('path').attr('class', 'median').attr('d', d ?? ''), { fill: 'none', stroke: theme.forecast, 'stroke-width': 1.75 });
  }
}
