/**
 * Induction-mosaic renderers: the center | right heatmap pair of one attention kind (layers × heads,
 * shared colour scale and legend, cells >= threshold outlined), the summary table of induction heads,
 * and a standalone figure with every kind (exports, CLI).
 *
 * Pure functions of (data, options) → a new element; no hidden state. Interactive affordances are
 * attributes only (tabindex, ARIA roles, data-*): behaviour lives in the components.
 */
import { ticks as d3ticks } from 'd3';
import type { AttentionKind, HeadRef, MosaicKind, MosaicResult } from '../../analysis/types';
import { ATTENTION_KINDS } from '../../protocol/mosaic';
import { contrastText, heatScale, type HeatScheme } from './colors';
import { createSvg, fmtNum, makeStackable, resolveDocument, styles, text, textWidth, title, type AnySel, type RenderTarget } from './dom';
import { KIND_LABEL, SIDE_LABELS, SIDES, fmtPercent, fmtScoreSe, mosaicSource, mosaicUnit, type MosaicSide, type MosaicUnit } from './format';
import { cssVarTheme, type ChartTheme } from './theme';

export interface MosaicHeatmapOptions extends RenderTarget {
  kind: AttentionKind;
  /** Cells with a score >= threshold are outlined. */
  threshold: number;
  theme?: ChartTheme;
  /** Width budget in px (default 760); cells shrink to fit, within 12..44 px. */
  width?: number;
  /** Fixed cell size in px (overrides the width budget). */
  cellSize?: number;
  /** Colour domain shared by both panels (default [0, 1]: scores are attention probabilities). */
  domain?: [number, number];
  scheme?: HeatScheme;
  /** Print values in cells: 'auto' (default) when cells are at least 30 px. */
  showValues?: boolean | 'auto';
  /** Heads to mark with a corner triangle (the ablation set); other kinds' heads are ignored. */
  marked?: readonly HeadRef[];
  /** Focusable cells (roving tabindex: the cell `focusCell`, else the first, gets tabindex 0) and ARIA grid roles. */
  interactive?: boolean;
  focusCell?: { side: MosaicSide; layer: number; head: number };
  /** Paint the background (standalone files); off in the webview, where the page has one. */
  background?: boolean;
  /** What the mosaic repeats, for the panel titles (default tokens). */
  unit?: MosaicUnit;
}

export interface MosaicLayout {
  cell: number;
  width: number;
  height: number;
  top: number;
  gridWidth: number;
  gridHeight: number;
  /** The two panels one above the other (a narrow panel), the legend under them. */
  stacked: boolean;
  /** Top left corner of each panel's grid. */
  panelX: Record<MosaicSide, number>;
  panelY: Record<MosaicSide, number>;
  legendX: number;
  legendY: number;
  tickSize: number;
  showValues: boolean;
  /** Show every n-th tick label. */
  layerTickStep: number;
  headTickStep: number;
}

const MIN_CELL = 12;
/** Side by side, cells smaller than this stack the panels instead (when stacking makes them bigger). */
const STACK_BELOW_CELL = 16;
/** The colour bar is as tall as the grid minus the key under it, and at least 100 px. */
function legendBarHeight(gridHeight: number): number {
  return Math.max(100, gridHeight - 60);
}
const MAX_CELL = 44;

/** The geometry renderMosaicHeatmaps uses (exported for components and tests). */
export function mosaicLayout(
  shape: { layers: number; heads: number },
  opts: Pick<MosaicHeatmapOptions, 'width' | 'cellSize' | 'showValues' | 'theme'> & { stacked?: boolean } = {},
): MosaicLayout {
  const theme = opts.theme ?? cssVarTheme();
  const tickSize = Math.max(9, theme.fontSize - 1);
  const axisW = 18 + textWidth(String(Math.max(0, shape.layers - 1)), tickSize) + 8;
  const legendTextW = Math.max(80, textWidth('Attention score', theme.fontSize) * 1.08);
  const legendW = 80;
  const gap = 28;
  const budget = opts.width ?? 760;
  const heads = Math.max(1, shape.heads);
  const fit = (c: number) => Math.max(MIN_CELL, Math.min(MAX_CELL, Math.min(c, Math.floor(620 / Math.max(1, shape.layers)))));
  const sideBySide = Math.floor((budget - 2 * axisW - gap - legendW - 8) / (2 * heads));
  const stackedCell = Math.floor((budget - axisW - 8) / heads);
  const stacked = opts.stacked ?? (opts.cellSize === undefined && sideBySide < STACK_BELOW_CELL && fit(stackedCell) > fit(sideBySide));
  const cell = opts.cellSize !== undefined ? Math.max(MIN_CELL, Math.min(MAX_CELL, opts.cellSize)) : fit(stacked ? stackedCell : sideBySide);
  const gridWidth = cell * shape.heads;
  const gridHeight = cell * shape.layers;
  const top = theme.fontSize + 18;
  const legendH = legendBarHeight(gridHeight) + 60;
  // under a grid: its head ticks and axis title
  const below = 44;
  let panelX: Record<MosaicSide, number>;
  let panelY: Record<MosaicSide, number>;
  let legendX: number;
  let legendY: number;
  let width: number;
  let height: number;
  if (stacked) {
    panelX = { center: axisW, right: axisW };
    panelY = { center: top, right: top + gridHeight + below + top };
    legendX = axisW;
    legendY = panelY.right + gridHeight + below + top;
    width = Math.max(axisW + gridWidth, legendX + legendTextW) + 8;
    height = legendY + legendH + 8;
  } else {
    const right = axisW + gridWidth + gap + axisW;
    panelX = { center: axisW, right };
    panelY = { center: top, right: top };
    legendX = right + gridWidth + 24;
    legendY = top;
    width = legendX + legendTextW + 8;
    height = top + Math.max(gridHeight + below, legendH + 8);
  }
  const showValues = opts.showValues === 'auto' || opts.showValues === undefined ? cell >= 30 : opts.showValues;
  const step = (n: number) => (cell >= 16 ? 1 : cell >= 8 ? 2 : 5) * (n > 40 ? 2 : 1);
  return { cell, width, height, top, gridWidth, gridHeight, stacked, panelX, panelY, legendX, legendY, tickSize, showValues, layerTickStep: step(shape.layers), headTickStep: step(shape.heads) };
}

function cellLabel(sides: Readonly<Record<MosaicSide, string>>, side: MosaicSide, layer: number, head: number, v: number, se: number, threshold: number, marked: boolean): string {
  const above = v >= threshold ? ', at or above threshold' : '';
  return `Layer ${layer}, head ${head}, ${sides[side].toLowerCase()}: ${fmtScoreSe(v, se)}${above}${marked ? ', in ablation set' : ''}`;
}

/** The two heatmaps (center | right) of one attention kind with their shared legend. */
export function renderMosaicHeatmaps(data: MosaicKind, options: MosaicHeatmapOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const L = mosaicLayout(data, { ...options, theme });
  const domain = options.domain ?? [0, 1];
  const color = heatScale(domain, options.scheme);
  const marked = new Set((options.marked ?? []).filter((h) => h.kind === options.kind).map((h) => `${h.layer}:${h.head}`));
  const focus = options.focusCell ?? { side: 'center' as MosaicSide, layer: data.layers - 1, head: 0 };
  const sides = SIDE_LABELS[options.unit ?? 'token'];

  const svg = createSvg(doc, L.width, L.height, 'cl-mosaic');
  svg.attr('data-kind', options.kind).attr('data-layers', data.layers).attr('data-heads', data.heads);
  if (options.interactive) svg.attr('role', 'group');
  else svg.attr('role', 'img');
  svg.attr('aria-label', `${KIND_LABEL[options.kind]} induction mosaic, ${data.layers} layers × ${data.heads} heads`);
  styles(svg, { 'font-family': theme.fontFamily, overflow: 'visible' });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(L.width)).attr('height', fmtNum(L.height)), { fill: theme.background });

  for (const side of SIDES) {
    const values = data[side];
    const errors = data.stderr[side];
    const x0 = L.panelX[side];
    const panel = svg.append('g').attr('class', `panel panel-${side}`).attr('data-side', side).attr('transform', `translate(${fmtNum(x0)},${fmtNum(L.panelY[side])})`);
    text(panel, L.gridWidth / 2, -10, sides[side], theme, { anchor: 'middle', weight: 600, className: 'panel-title' });
    drawAxes(panel, data.layers, data.heads, L, theme);

    const grid = panel.append('g').attr('class', 'cells');
    const printed: { x: number; y: number; layer: number; head: number; v: number; fill: string }[] = [];
    if (options.interactive) grid.attr('role', 'grid').attr('aria-label', `${sides[side]} scores: ${data.layers} layers × ${data.heads} heads`);
    // Rows top to bottom are the highest layer to layer 0 (layer 0 at the bottom, as in the article's figures).
    for (let layer = data.layers - 1; layer >= 0; layer--) {
      const row = grid.append('g').attr('class', 'row').attr('data-layer', layer);
      if (options.interactive) row.attr('role', 'row');
      const y = (data.layers - 1 - layer) * L.cell;
      for (let head = 0; head < data.heads; head++) {
        const v = values[layer]?.[head] ?? NaN;
        const se = errors[layer]?.[head] ?? NaN;
        const isMarked = marked.has(`${layer}:${head}`);
        const x = head * L.cell;
        const g = row
          .append('g')
          .attr('class', `cell${v >= options.threshold ? ' above' : ''}${isMarked ? ' marked' : ''}`)
          .attr('data-side', side)
          .attr('data-layer', layer)
          .attr('data-head', head)
          .attr('data-value', Number.isFinite(v) ? String(v) : '')
          .attr('data-stderr', Number.isFinite(se) ? String(se) : '')
          .attr('data-x', fmtNum(x))
          .attr('data-y', fmtNum(y))
          .attr('transform', `translate(${fmtNum(x)},${fmtNum(y)})`);
        const label = cellLabel(sides, side, layer, head, v, se, options.threshold, isMarked);
        if (options.interactive) {
          const isFocus = focus.side === side && focus.layer === layer && focus.head === head;
          g.attr('role', 'gridcell').attr('tabindex', isFocus ? 0 : -1).attr('aria-label', label).attr('aria-haspopup', 'menu');
        } else {
          title(g, label);
        }
        const fill = color(v);
        styles(g.append('rect').attr('class', 'cell-fill').attr('width', fmtNum(L.cell - 1)).attr('height', fmtNum(L.cell - 1)), { fill });
        if (L.showValues && Number.isFinite(v)) printed.push({ x, y, layer, head, v, fill });
        if (v >= options.threshold) drawOutline(g, L.cell - 1, theme);
        if (isMarked) drawMark(g, L.cell - 1, theme);
      }
    }
    // The printed values lie over the cells rather than inside them: a cell's name carries its value
    // unrounded, and a focusable cell whose visible text were not part of its name would read one
    // thing and show another.
    if (printed.length) {
      const vg = styles(panel.append('g').attr('class', 'values').attr('aria-hidden', 'true'), { 'pointer-events': 'none' });
      for (const p of printed) {
        text(vg, p.x + (L.cell - 1) / 2, p.y + (L.cell - 1) / 2, p.v.toFixed(2), theme, {
          anchor: 'middle',
          baseline: 'middle',
          size: Math.max(9, Math.round(L.cell * 0.3)),
          fill: contrastText(p.fill),
          className: 'cell-value',
        })
          .attr('data-layer', p.layer)
          .attr('data-head', p.head);
      }
    }
    panel.append('g').attr('class', 'overlay');
  }
  drawLegend(svg, L, domain, color, options.threshold, marked.size > 0, theme);
  return svg.node() as SVGSVGElement;
}

function drawAxes(panel: AnySel, layers: number, heads: number, L: MosaicLayout, theme: ChartTheme): void {
  const axis = panel.append('g').attr('class', 'axes').attr('aria-hidden', 'true');
  for (let layer = 0; layer < layers; layer++) {
    if (layer % L.layerTickStep !== 0 && layer !== layers - 1) continue;
    const y = (layers - 1 - layer) * L.cell + (L.cell - 1) / 2;
    text(axis, -6, y, String(layer), theme, { anchor: 'end', baseline: 'middle', size: L.tickSize, fill: theme.muted, className: 'tick tick-layer' });
  }
  for (let head = 0; head < heads; head++) {
    if (head % L.headTickStep !== 0 && head !== heads - 1) continue;
    text(axis, head * L.cell + (L.cell - 1) / 2, L.gridHeight + 4, String(head), theme, { anchor: 'middle', baseline: 'hanging', size: L.tickSize, fill: theme.muted, className: 'tick tick-head' });
  }
  text(axis, L.gridWidth / 2, L.gridHeight + 32, 'Head', theme, { anchor: 'middle', fill: theme.muted, className: 'axis-title' });
  const labelW = textWidth(String(Math.max(0, layers - 1)), L.tickSize);
  text(axis, -labelW - 14, L.gridHeight / 2, 'Layer', theme, { anchor: 'middle', fill: theme.muted, rotate: -90, className: 'axis-title' });
}

/** Two-tone outline (background halo under a foreground stroke): visible on every cell colour. */
function drawOutline(g: AnySel, size: number, theme: ChartTheme): void {
  const r = (cls: string, inset: number, width: number, stroke: string) =>
    styles(
      g.append('rect').attr('class', cls).attr('x', inset).attr('y', inset).attr('width', fmtNum(size - 2 * inset)).attr('height', fmtNum(size - 2 * inset)),
      { fill: 'none', stroke, 'stroke-width': width },
    );
  r('cell-outline', 1, 2, theme.foreground);
  r('cell-outline-halo', 2.5, 1, theme.background);
}

function drawMark(g: AnySel, size: number, theme: ChartTheme): void {
  const s = Math.max(6, Math.round(size * 0.34));
  styles(g.append('path').attr('class', 'cell-mark').attr('d', `M${fmtNum(size - s)},0H${fmtNum(size)}V${fmtNum(s)}Z`), {
    fill: theme.marked,
    stroke: theme.background,
    'stroke-width': 1,
  });
}

function drawLegend(
  svg: AnySel,
  L: MosaicLayout,
  domain: [number, number],
  color: (v: number) => string,
  threshold: number,
  hasMarked: boolean,
  theme: ChartTheme,
): void {
  const barW = 14;
  const barH = legendBarHeight(L.gridHeight);
  const g = svg.append('g').attr('class', 'legend').attr('transform', `translate(${fmtNum(L.legendX)},${fmtNum(L.legendY)})`).attr('aria-hidden', 'true');
  text(g, 0, -10, 'Attention score', theme, { weight: 600, className: 'legend-title' });
  // Stacked slices rather than a gradient: no ids to collide (several SVGs share a page or a shadow
  // root) and every renderer, resvg included, draws them identically.
  const slices = 48;
  const bar = g.append('g').attr('class', 'legend-bar');
  for (let i = 0; i < slices; i++) {
    const t = (i + 0.5) / slices;
    const h = barH / slices;
    styles(bar.append('rect').attr('y', fmtNum(barH - (i + 1) * h)).attr('width', barW).attr('height', fmtNum(h + 0.5)), { fill: color(domain[0] + t * (domain[1] - domain[0])) });
  }
  styles(g.append('rect').attr('class', 'legend-frame').attr('width', barW).attr('height', fmtNum(barH)), { fill: 'none', stroke: theme.grid, 'stroke-width': 1 });
  const y = (v: number) => barH - ((v - domain[0]) / (domain[1] - domain[0] || 1)) * barH;
  for (const t of d3ticks(domain[0], domain[1], Math.min(5, Math.max(2, Math.floor(barH / 28))))) {
    styles(g.append('line').attr('x1', barW).attr('x2', barW + 4).attr('y1', fmtNum(y(t))).attr('y2', fmtNum(y(t))), { stroke: theme.muted });
    text(g, barW + 7, y(t), fmtTick(t), theme, { baseline: 'middle', size: L.tickSize, fill: theme.muted, className: 'tick legend-tick' });
  }
  if (threshold >= domain[0] && threshold <= domain[1]) {
    const ty = y(threshold);
    styles(g.append('line').attr('class', 'legend-threshold-halo').attr('x1', -3).attr('x2', barW + 3).attr('y1', fmtNum(ty)).attr('y2', fmtNum(ty)), { stroke: theme.background, 'stroke-width': 3 });
    styles(g.append('line').attr('class', 'legend-threshold').attr('x1', -3).attr('x2', barW + 3).attr('y1', fmtNum(ty)).attr('y2', fmtNum(ty)), { stroke: theme.foreground, 'stroke-width': 1.5 });
  }
  // Key for the outline (and the ablation-set mark).
  const key = g.append('g').attr('class', 'legend-key').attr('transform', `translate(0,${fmtNum(barH + 16)})`);
  const sw = 14;
  const sample = key.append('g').attr('class', 'legend-outline');
  styles(sample.append('rect').attr('width', sw).attr('height', sw), { fill: color(domain[0] + 0.6 * (domain[1] - domain[0])) });
  drawOutline(sample, sw, theme);
  text(key, sw + 6, sw / 2, `≥ ${threshold.toFixed(2)}`, theme, { baseline: 'middle', size: L.tickSize, fill: theme.foreground });
  if (hasMarked) {
    const m = key.append('g').attr('class', 'legend-marked').attr('transform', `translate(0,${sw + 8})`);
    styles(m.append('rect').attr('width', sw).attr('height', sw), { fill: color(domain[0] + 0.2 * (domain[1] - domain[0])) });
    drawMark(m, sw, theme);
    text(m, sw + 6, sw / 2, 'ablation set', theme, { baseline: 'middle', size: L.tickSize, fill: theme.foreground });
  }
}

function fmtTick(v: number): string {
  return Number(v.toFixed(2)).toString();
}

// ---------------------------------------------------------------------------------------------
// Summary of induction heads

export interface SummaryRow {
  kind: AttentionKind;
  label: string;
  center: number;
  right: number;
  total: number;
  heads: number;
  percent: number;
}

/** One row per kind present: heads with center / right / either score >= threshold. */
export function inductionSummary(result: Pick<MosaicResult, 'cross' | 'encoder' | 'decoder'>): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const kind of ATTENTION_KINDS) {
    const m = result[kind];
    if (!m) continue;
    rows.push({ kind, label: KIND_LABEL[kind], ...m.counts });
  }
  return rows;
}

export interface SummaryTableOptions extends RenderTarget {
  threshold: number;
  /** What the mosaic repeats, for the column heads (default tokens). */
  unit?: MosaicUnit;
}

/** The summary table (HTML), as the article reports it: center / right / total (percent of heads). */
export function renderInductionSummaryTable(result: Pick<MosaicResult, 'cross' | 'encoder' | 'decoder'>, options: SummaryTableOptions): HTMLTableElement {
  const doc = resolveDocument(options);
  const table = doc.createElement('table');
  table.className = 'cl-summary';
  const caption = doc.createElement('caption');
  caption.textContent = `Induction heads (score ≥ ${options.threshold.toFixed(2)})`;
  table.append(caption);
  const thead = doc.createElement('thead');
  const hr = doc.createElement('tr');
  for (const [h, cls] of [
    ['Attention', ''],
    [SIDE_LABELS[options.unit ?? 'token'].center, 'num'],
    [SIDE_LABELS[options.unit ?? 'token'].right, 'num'],
    ['Total', 'num'],
    ['Percent of heads', 'num'],
  ]) {
    const th = doc.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    if (cls) th.className = cls;
    hr.append(th);
  }
  thead.append(hr);
  table.append(thead);
  const tbody = doc.createElement('tbody');
  for (const r of inductionSummary(result)) {
    const tr = doc.createElement('tr');
    tr.dataset.kind = r.kind;
    const th = doc.createElement('th');
    th.scope = 'row';
    th.textContent = r.label;
    tr.append(th);
    for (const [v, cls] of [
      [String(r.center), 'center'],
      [String(r.right), 'right'],
      [`${r.total} / ${r.heads}`, 'total'],
      [fmtPercent(r.percent), 'percent'],
    ]) {
      const td = doc.createElement('td');
      td.className = `num ${cls}`;
      td.textContent = v;
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.append(tbody);
  return makeStackable(table);
}

/** "12 / 9 / 18 (9.4%)", the article's notation. */
export function summaryText(r: Pick<SummaryRow, 'center' | 'right' | 'total' | 'percent'>): string {
  return `${r.center} / ${r.right} / ${r.total} (${fmtPercent(r.percent)})`;
}

// ---------------------------------------------------------------------------------------------
// Standalone figure (every kind, header, summary): SVG/PNG export and the CLI

export interface MosaicFigureOptions extends RenderTarget {
  theme: ChartTheme;
  /** Kinds to draw, in order (default: every kind the result has). */
  kinds?: AttentionKind[];
  width?: number;
  marked?: readonly HeadRef[];
  /** Heading; default "Induction mosaic · <model name>". */
  title?: string;
  /** Colour domain of every kind's heatmaps (default [0, 1]); figures set side by side share one. */
  domain?: [number, number];
}

export function mosaicSubtitle(result: Pick<MosaicResult, 'protocol' | 'threshold'>): string {
  const p = result.protocol;
  return `${mosaicSource(p)}, ${p.repeats} repeats, seed ${p.seed}${p.tokensFile ? ` (batch from ${p.tokensFile})` : ''} · threshold ${result.threshold.toFixed(2)}`;
}

export function renderMosaicFigureSvg(result: MosaicResult, options: MosaicFigureOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme;
  const kinds = (options.kinds ?? ATTENTION_KINDS).filter((k) => result[k]);
  const width = options.width ?? 800;
  const pad = 20;
  const parts = kinds.map((kind) =>
    renderMosaicHeatmaps(result[kind] as MosaicKind, { document: doc, kind, threshold: result.threshold, theme, width: width - 2 * pad, marked: options.marked, domain: options.domain, unit: mosaicUnit(result.protocol) }),
  );
  const headerH = 58;
  const sectionTitleH = 30;
  const summaryH = kinds.length > 1 ? 30 + 20 * (kinds.length + 1) : 0;
  const contentW = Math.max(width, ...parts.map((p) => Number(p.getAttribute('width')) + 2 * pad));
  const height = headerH + parts.reduce((s, p) => s + sectionTitleH + Number(p.getAttribute('height')) + 8, 0) + summaryH + pad;
  const svg = createSvg(doc, contentW, height, 'cl-mosaic-figure');
  svg.attr('role', 'img').attr('aria-label', options.title ?? `Induction mosaic of ${result.model.name}`);
  styles(svg, { 'font-family': theme.fontFamily });
  styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(contentW)).attr('height', fmtNum(height)), { fill: theme.background });
  text(svg, pad, 28, options.title ?? `Induction mosaic · ${result.model.name}`, theme, { size: theme.fontSize + 4, weight: 600, className: 'figure-title' });
  text(svg, pad, 47, mosaicSubtitle(result), theme, { fill: theme.muted, className: 'figure-subtitle' });
  let y = headerH;
  kinds.forEach((kind, i) => {
    const m = result[kind] as MosaicKind;
    const sec = svg.append('g').attr('class', `section section-${kind}`).attr('transform', `translate(${pad},${fmtNum(y)})`);
    text(sec, 0, 18, KIND_LABEL[kind], theme, { weight: 600, size: theme.fontSize + 1 });
    text(sec, textWidth(KIND_LABEL[kind], theme.fontSize + 1) + 14, 18, `induction heads ${summaryText(m.counts)} of ${m.counts.heads}`, theme, { fill: theme.muted });
    const part = parts[i];
    part.setAttribute('x', '0');
    part.setAttribute('y', String(sectionTitleH));
    (sec.node() as SVGGElement).appendChild(part);
    y += sectionTitleH + Number(part.getAttribute('height')) + 8;
  });
  if (summaryH) drawSummarySvg(svg.append('g').attr('class', 'summary').attr('transform', `translate(${pad},${fmtNum(y + 10)})`), result, theme);
  return svg.node() as SVGSVGElement;
}

function drawSummarySvg(g: AnySel, result: MosaicResult, theme: ChartTheme): void {
  const cols = [0, 200, 310, 380, 470];
  const sides = SIDE_LABELS[mosaicUnit(result.protocol)];
  const heads = ['Attention', sides.center, sides.right, 'Total', 'Percent'];
  heads.forEach((h, i) => text(g, cols[i] + (i ? 50 : 0), 0, h, theme, { anchor: i ? 'end' : 'start', weight: 600, fill: theme.muted }));
  styles(g.append('line').attr('x1', 0).attr('x2', cols[4] + 50).attr('y1', 6).attr('y2', 6), { stroke: theme.grid });
  inductionSummary(result).forEach((r, j) => {
    const y = 22 + j * 20;
    const cells = [r.label, String(r.center), String(r.right), `${r.total} / ${r.heads}`, fmtPercent(r.percent)];
    cells.forEach((c, i) => text(g, cols[i] + (i ? 50 : 0), y, c, theme, { anchor: i ? 'end' : 'start' }));
  });
}

/** Tooltip text of a cell (both scores of the head, the hovered side first). */
export function cellTooltip(data: MosaicKind, side: MosaicSide, layer: number, head: number, unit: MosaicUnit = 'token'): { title: string; lines: string[] } {
  const other: MosaicSide = side === 'center' ? 'right' : 'center';
  const line = (s: MosaicSide) => `${SIDE_LABELS[unit][s].toLowerCase()}: ${fmtScoreSe(data[s][layer]?.[head], data.stderr[s][layer]?.[head])}`;
  return { title: `Layer ${layer} · Head ${head}`, lines: [line(side), line(other)] };
}

