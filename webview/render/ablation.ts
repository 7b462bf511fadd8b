/**
 * Ablation report renderers: per metric, the control distribution (box + strip of every control
 * set), the unablated value (dashed rule) and the ablated set (diamond), with percentile and
 * z-score; and the metrics table. Pure functions of (result, options) → a new element.
 */
import { scaleLinear, type ScaleLinear } from 'd3';
import type { AblationResult, MetricSummary } from '../../analysis/types';
import { type AnySel, createSvg, fmtNum, type LabelledRowsFrame, makeStackable, type RenderTarget, resolveDocument, styles, text, textWidth, title } from './dom';
import { KIND_SHORT, fmtMetric, fmtPercent, fmtSigned, headId, metricLabel } from './format';
import { controlStats, type ControlStats } from './stats';
import { cssVarTheme, type ChartTheme } from './theme';

export interface AblationChartOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Total width in px (default 760). */
  width?: number;
  /** Height of one metric's row in px (default 76). */
  rowHeight?: number;
  background?: boolean;
}

export interface AblationRowLayout {
  metric: MetricSummary;
  y: number;
  x: ScaleLinear<number, number>;
  stats: ControlStats;
}

export interface AblationLayout extends LabelledRowsFrame {
  top: number;
  /** A narrow chart: each metric's label, change and statistics above its plot, the plot full width. */
  stacked: boolean;
  /** Where the key's items go (rows of [x, y] from the chart's top left). */
  keyAt: [number, number][];
  rows: AblationRowLayout[];
}

/** The key's labels, in order. */
const KEY_LABELS = ['ablated set', 'unablated', 'random control sets (box: quartiles)'];
/** Narrower than this, the plot goes under the metric's label. */
const MIN_PLOT_WIDTH = 240;
/** Lines of text above a stacked row's plot. */
const STACKED_TEXT = 56;

/** Geometry of renderAblationChart (exported for components and tests). */
export function ablationLayout(result: Pick<AblationResult, 'metrics'>, opts: Pick<AblationChartOptions, 'width' | 'rowHeight' | 'theme'> = {}): AblationLayout {
  const theme = opts.theme ?? cssVarTheme();
  const width = opts.width ?? 760;
  const labelWidth = Math.min(260, Math.max(150, ...result.metrics.map((m) => textWidth(metricLabel(m.name), theme.fontSize) + 16)));
  const stacked = width - 160 - (labelWidth + 12) < MIN_PLOT_WIDTH;
  const rowHeight = opts.rowHeight ?? (stacked ? 76 + STACKED_TEXT : 76);
  const plotLeft = stacked ? 8 : labelWidth + 12;
  const plotRight = stacked ? width - 8 : width - 160;
  // the key from the plot's left edge, wrapped onto as many lines as the width needs
  const keyAt: [number, number][] = [];
  let kx = 0;
  let ky = 12;
  const keyLeft = stacked ? 0 : plotLeft;
  for (const label of KEY_LABELS) {
    const w = 14 + textWidth(label, theme.fontSize - 1);
    if (kx > 0 && keyLeft + kx + w > width) {
      kx = 0;
      ky += 18;
    }
    keyAt.push([keyLeft + kx, ky]);
    kx += w + 18;
  }
  const top = ky + 22;
  const rows = result.metrics.map((metric, i) => {
    const stats = controlStats(metric.controls);
    const all = [...metric.controls, metric.ablated, metric.unablated].filter(Number.isFinite);
    let lo = Math.min(...all);
    let hi = Math.max(...all);
    if (!all.length) [lo, hi] = [0, 1];
    if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
    const pad = (hi - lo) * 0.06;
    const x = scaleLinear().domain([lo - pad, hi + pad]).range([plotLeft, plotRight]).nice(5);
    return { metric, y: top + i * rowHeight, x, stats };
  });
  return { width, height: top + rows.length * rowHeight + 8, top, labelWidth, plotLeft, plotRight, rowHeight, stacked, keyAt, rows };
}

/** Deterministic jitter in [-1, 1] (a low-discrepancy sequence: no randomness, stable snapshots). */
function jitter(i: number): number {
  const golden = 0.6180339887498949;
  return ((i * golden) % 1) * 2 - 1;
}

export function renderAblationChart(result: Pick<AblationResult, 'metrics' | 'heads' | 'method'>, options: AblationChartOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const L = ablationLayout(result, { ...options, theme });
  const svg = createSvg(doc, L.width, L.height, 'cl-ablation-chart');
  svg.attr('role', 'img').attr('aria-label', `Ablation of ${result.heads.map(headId).join(', ')}: ${result.metrics.length} metrics against their control distributions`);
  styles(svg, { 'font-family': theme.fontFamily, overflow: 'visible' });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(L.width)).attr('height', fmtNum(L.height)), { fill: theme.background });
  drawKey(svg, L, theme);
  for (const row of L.rows) drawRow(svg.append('g').attr('class', 'metric').attr('data-metric', row.metric.name), row, L, theme);
  return svg.node() as SVGSVGElement;
}

function drawKey(svg: AnySel, L: AblationLayout, theme: ChartTheme): void {
  const g = svg.append('g').attr('class', 'key').attr('aria-hidden', 'true');
  const draws: ((at: AnySel) => void)[] = [
    (at) => diamond(at, 5, 0, 5, theme),
    (at) => styles(at.append('line').attr('x1', 5).attr('x2', 5).attr('y1', -7).attr('y2', 7), { stroke: theme.foreground, 'stroke-width': 1.5, 'stroke-dasharray': '3 2' }),
    (at) => styles(at.append('circle').attr('cx', 5).attr('r', 3), { fill: theme.control, 'fill-opacity': 0.6 }),
  ];
  KEY_LABELS.forEach((label, i) => {
    const [x, y] = L.keyAt[i];
    const it = g.append('g').attr('transform', `translate(${fmtNum(x)},${fmtNum(y)})`);
    draws[i](it);
    text(it, 14, 0, label, theme, { baseline: 'middle', fill: theme.muted, size: theme.fontSize - 1 });
  });
}

function diamond(g: AnySel, cx: number, cy: number, r: number, theme: ChartTheme): AnySel {
  return styles(
    g.append('path').attr('d', `M${fmtNum(cx)},${fmtNum(cy - r)}L${fmtNum(cx + r)},${fmtNum(cy)}L${fmtNum(cx)},${fmtNum(cy + r)}L${fmtNum(cx - r)},${fmtNum(cy)}Z`),
    { fill: theme.marked, stroke: theme.background, 'stroke-width': 1.5 },
  );
}

function drawRow(g: AnySel, row: AblationRowLayout, L: AblationLayout, theme: ChartTheme): void {
  const { metric: m, x, stats } = row;
  // stacked: three lines of text (label, change, statistics) above the plot
  const textTop = L.stacked ? row.y + 18 : row.y + L.rowHeight / 2 - 14;
  const mid = L.stacked ? row.y + STACKED_TEXT + (L.rowHeight - STACKED_TEXT) / 2 - 6 : row.y + L.rowHeight / 2 - 6;
  const band = 16;
  // separator
  styles(g.append('line').attr('x1', 0).attr('x2', fmtNum(L.width)).attr('y1', fmtNum(row.y)).attr('y2', fmtNum(row.y)), { stroke: theme.grid });
  // label and statistics
  text(g, 0, textTop, metricLabel(m.name), theme, { weight: 600, className: 'metric-label' });
  const statsText = `percentile ${fmtPercent(m.percentile, 0).replace('%', '')} · z = ${Number.isFinite(m.zScore) ? m.zScore.toFixed(2) : '–'}`;
  const change = `${fmtMetric(m.unablated)} → ${fmtMetric(m.ablated)}`;
  text(g, 0, L.stacked ? textTop + 36 : textTop + 18, L.stacked ? `${change} · ${statsText}` : statsText, theme, {
    fill: theme.muted,
    size: theme.fontSize - 1,
    className: 'metric-stats',
  });
  // axis
  const axisY = row.y + L.rowHeight - 18;
  styles(g.append('line').attr('x1', fmtNum(L.plotLeft)).attr('x2', fmtNum(L.plotRight)).attr('y1', fmtNum(axisY)).attr('y2', fmtNum(axisY)), { stroke: theme.grid });
  // as many ticks as fit their labels
  const tickCount = Math.max(2, Math.min(5, Math.floor((L.plotRight - L.plotLeft) / 56)));
  for (const t of x.ticks(tickCount)) {
    styles(g.append('line').attr('x1', fmtNum(x(t))).attr('x2', fmtNum(x(t))).attr('y1', fmtNum(axisY)).attr('y2', fmtNum(axisY + 3)), { stroke: theme.muted });
    text(g, x(t), axisY + 5, fmtMetric(t), theme, { anchor: 'middle', baseline: 'hanging', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
  }
  // box (quartiles, whiskers within 1.5 IQR) behind the strip
  if (stats.n >= 4) {
    const box = g.append('g').attr('class', 'box').attr('aria-hidden', 'true');
    styles(box.append('line').attr('x1', fmtNum(x(stats.lo))).attr('x2', fmtNum(x(stats.hi))).attr('y1', fmtNum(mid)).attr('y2', fmtNum(mid)), { stroke: theme.muted, 'stroke-width': 1 });
    for (const w of [stats.lo, stats.hi]) styles(box.append('line').attr('x1', fmtNum(x(w))).attr('x2', fmtNum(x(w))).attr('y1', fmtNum(mid - 5)).attr('y2', fmtNum(mid + 5)), { stroke: theme.muted });
    styles(box.append('rect').attr('x', fmtNum(x(stats.q1))).attr('y', fmtNum(mid - band / 2)).attr('width', fmtNum(Math.max(1, x(stats.q3) - x(stats.q1)))).attr('height', band), {
      fill: theme.control,
      'fill-opacity': 0.12,
      stroke: theme.muted,
      'stroke-width': 1,
    });
    styles(box.append('line').attr('class', 'box-median').attr('x1', fmtNum(x(stats.median))).attr('x2', fmtNum(x(stats.median))).attr('y1', fmtNum(mid - band / 2)).attr('y2', fmtNum(mid + band / 2)), {
      stroke: theme.foreground,
      'stroke-width': 1.5,
    });
  }
  // strip of every control set
  const strip = g.append('g').attr('class', 'controls');
  m.controls.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const c = styles(strip.append('circle').attr('class', 'control-point').attr('data-value', String(v)).attr('cx', fmtNum(x(v))).attr('cy', fmtNum(mid + jitter(i + 1) * (band / 2 - 2))).attr('r', 2.5), {
      fill: theme.control,
      'fill-opacity': 0.55,
    });
    title(c, `control set ${i + 1}: ${fmtMetric(v)}`);
  });
  // unablated: dashed rule across the band
  const ux = x(m.unablated);
  const un = g.append('g').attr('class', 'mark-unablated').attr('data-value', String(m.unablated)).attr('data-x', fmtNum(ux));
  styles(un.append('line').attr('x1', fmtNum(ux)).attr('x2', fmtNum(ux)).attr('y1', fmtNum(mid - band)).attr('y2', fmtNum(mid + band)), {
    stroke: theme.foreground,
    'stroke-width': 1.5,
    'stroke-dasharray': '3 2',
  });
  title(un, `unablated: ${fmtMetric(m.unablated)}`);
  // ablated: diamond with its value
  const ax = x(m.ablated);
  const ab = g.append('g').attr('class', 'mark-ablated').attr('data-value', String(m.ablated)).attr('data-x', fmtNum(ax));
  diamond(ab, ax, mid, 6.5, theme);
  title(ab, `ablated: ${fmtMetric(m.ablated)}`);
  const labelLeft = ax > (L.plotLeft + L.plotRight) / 2;
  text(g, ax + (labelLeft ? -9 : 9), mid - band + 2, fmtMetric(m.ablated), theme, { anchor: labelLeft ? 'end' : 'start', size: theme.fontSize - 1, fill: theme.marked, weight: 600, className: 'ablated-value' });
  // change vs unablated, right column
  const delta = m.ablated - m.unablated;
  const rel = m.unablated !== 0 ? ` (${fmtSigned((100 * delta) / Math.abs(m.unablated), (v) => v.toFixed(1))}%)` : '';
  const deltaX = L.stacked ? 0 : L.plotRight + 16;
  text(g, deltaX, L.stacked ? textTop + 18 : textTop, `Δ ${fmtSigned(delta)}${rel}`, theme, { weight: 600, className: 'metric-delta' });
  // stacked, the change went into the statistics line
  if (!L.stacked) text(g, deltaX, textTop + 18, change, theme, { fill: theme.muted, size: theme.fontSize - 1, className: 'metric-change' });
}

/** One-line description of the ablated heads: "L3.H5, L4.H1 (cross) · zero ablation". */
export function ablationHeadline(result: Pick<AblationResult, 'heads' | 'method' | 'controlSets'>): string {
  const kinds = [...new Set(result.heads.map((h) => h.kind))];
  const heads = result.heads.map(headId).join(', ');
  return `${heads} (${kinds.map((k) => KIND_SHORT[k].toLowerCase()).join(', ')}) · ${result.method} ablation · ${result.controlSets.length} random control sets`;
}

/** The metrics table (HTML). */
export function renderAblationTable(result: Pick<AblationResult, 'metrics'>, options: RenderTarget = {}): HTMLTableElement {
  const doc = resolveDocument(options);
  const table = doc.createElement('table');
  table.className = 'cl-ablation-table';
  const head = ['Metric', 'Unablated', 'Ablated', 'Change', 'Controls (mean ± sd)', 'n', 'Percentile', 'z-score'];
  const thead = doc.createElement('thead');
  const tr = doc.createElement('tr');
  head.forEach((h, i) => {
    const th = doc.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    if (i) th.className = 'num';
    tr.append(th);
  });
  thead.append(tr);
  table.append(thead);
  const tbody = doc.createElement('tbody');
  for (const m of result.metrics) {
    const s = controlStats(m.controls);
    const row = doc.createElement('tr');
    row.dataset.metric = m.name;
    const th = doc.createElement('th');
    th.scope = 'row';
    th.textContent = metricLabel(m.name);
    row.append(th);
    const cells = [
      fmtMetric(m.unablated),
      fmtMetric(m.ablated),
      fmtSigned(m.ablated - m.unablated),
      `${fmtMetric(s.mean)} ± ${fmtMetric(s.sd)}`,
      String(s.n),
      Number.isFinite(m.percentile) ? m.percentile.toFixed(1) : '–',
      Number.isFinite(m.zScore) ? m.zScore.toFixed(2) : '–',
    ];
    for (const c of cells) {
      const td = doc.createElement('td');
      td.className = 'num';
      td.textContent = c;
      row.append(td);
    }
    tbody.append(row);
  }
  table.append(tbody);
  return makeStackable(table);
}

export interface AblationFigureOptions extends RenderTarget {
  theme: ChartTheme;
  width?: number;
  title?: string;
}

/** Standalone figure: heading, chart and (as text) the table's key numbers. */
export function renderAblationFigureSvg(result: AblationResult, options: AblationFigureOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme;
  const width = options.width ?? 800;
  const pad = 20;
  const chart = renderAblationChart(result, { document: doc, theme, width: width - 2 * pad });
  const headerH = 60;
  const height = headerH + Number(chart.getAttribute('height')) + pad;
  const svg = createSvg(doc, width, height, 'cl-ablation-figure');
  svg.attr('role', 'img').attr('aria-label', options.title ?? `Ablation report, ${result.model.name}`);
  styles(svg, { 'font-family': theme.fontFamily });
  styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(width)).attr('height', fmtNum(height)), { fill: theme.background });
  text(svg, pad, 28, options.title ?? `Head ablation · ${result.model.name}`, theme, { size: theme.fontSize + 4, weight: 600, className: 'figure-title' });
  text(svg, pad, 47, ablationHeadline(result), theme, { fill: theme.muted, className: 'figure-subtitle' });
  const g = svg.append('g').attr('transform', `translate(${pad},${headerH})`);
  (g.node() as SVGGElement).appendChild(chart);
  return svg.node() as SVGSVGElement;
}
