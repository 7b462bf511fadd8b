/**
 * One activation-patching heat map: rows × columns of restored fractions ((patched − corrupted) /
 * (clean − corrupted)), e.g. layer × head for the head outputs or layer × position for the residual
 * stream, with row 0 at the bottom, a colour legend and optional marked cells. The colour domain
 * always spans 0 (nothing restored) to 1 (all of it), widened to what the map holds. Pure:
 * (map, options) → a new <svg>.
 */
import { scaleBand, type ScaleBand } from 'd3';
import { heatScale, type HeatScale } from './colors';
import { createSvg, fmtNum, resolveDocument, styles, text, textWidth, wrapWords, type AnySel, type RenderTarget } from './dom';
import { fmtMetric } from './format';
import { readoutMark } from './readout';
import { cssVarTheme, type ChartTheme } from './theme';

export interface PatchMap {
  /** Heading, e.g. "Cross-attention heads". */
  title: string;
  /** [row][column] restored fractions. */
  values: number[][];
  rowLabel(row: number): string;
  columnLabel(column: number): string;
  rowTitle: string;
  columnTitle: string;
  /** "cross L1.H2" for the readout of a cell. */
  cellName(row: number, column: number): string;
  /** Cells to outline, as [row, column]. */
  marked?: [number, number][];
}

export interface PatchHeatmapOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Total width in px (default 760; at least 320). */
  width?: number;
  /** Largest cell height in px (default 26). */
  maxCell?: number;
  background?: boolean;
}

export interface PatchHeatmapLayout {
  width: number;
  height: number;
  left: number;
  top: number;
  gridWidth: number;
  gridHeight: number;
  x: ScaleBand<number>;
  y: ScaleBand<number>;
  color: HeatScale;
  legendX: number;
  labelEvery: number;
  /** The heading, in lines that fit the width. */
  titleLines: string[];
}

const LEGEND_W = 60;
/** The legend's colour bar: at least this tall, else as tall as the grid (at most 160 px). */
const LEGEND_MIN = 60;

export function patchHeatmapLayout(map: Pick<PatchMap, 'values' | 'rowLabel' | 'title'>, opts: Pick<PatchHeatmapOptions, 'width' | 'maxCell' | 'theme'> = {}): PatchHeatmapLayout {
  const theme = opts.theme ?? cssVarTheme();
  const width = Math.max(320, opts.width ?? 760);
  const rows = map.values.length;
  const cols = Math.max(1, ...map.values.map((r) => r.length));
  const left = Math.max(...Array.from({ length: rows }, (_, r) => textWidth(map.rowLabel(r), theme.fontSize - 2)), 16) + 26;
  const titleLines = wrapWords(map.title, width * 0.88, theme.fontSize);
  const top = 8 + 14 * titleLines.length;
  const legendX = width - LEGEND_W;
  const gridWidth = Math.max(40, legendX - 16 - left);
  const cellW = gridWidth / cols;
  const cellH = Math.max(10, Math.min(opts.maxCell ?? 26, Math.max(cellW, 14)));
  const gridHeight = cellH * rows;
  const x = scaleBand<number>()
    .domain(Array.from({ length: cols }, (_, i) => i))
    .range([left, left + gridWidth]);
  const y = scaleBand<number>()
    .domain(Array.from({ length: rows }, (_, i) => i))
    .range([top + gridHeight, top]);
  const finite = map.values.flat().filter(Number.isFinite);
  const color = heatScale([Math.min(0, ...finite), Math.max(1, ...finite)], 'viridis');
  // column labels at least ~28 px apart
  const labelEvery = Math.max(1, Math.ceil(28 / Math.max(1, cellW)));
  return { width, height: top + Math.max(gridHeight, LEGEND_MIN + 16) + 40, left, top, gridWidth, gridHeight, x, y, color, legendX, labelEvery, titleLines };
}

export function renderPatchHeatmap(map: PatchMap, options: PatchHeatmapOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const L = patchHeatmapLayout(map, { ...options, theme });
  const svg = createSvg(doc, L.width, L.height, 'cl-patch-heatmap');
  svg.attr('role', 'img').attr('aria-label', `${map.title}: fraction of the clean metric restored by patching, ${map.rowTitle.toLowerCase()} × ${map.columnTitle.toLowerCase()}`);
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(L.width)).attr('height', fmtNum(L.height)), { fill: theme.background });
  L.titleLines.forEach((line, i) => text(svg, 0, 14 + 14 * i, line, theme, { weight: 600, className: 'map-title' }));
  const cells = svg.append('g').attr('class', 'cells').attr('shape-rendering', 'crispEdges');
  const bw = L.x.bandwidth();
  const bh = L.y.bandwidth();
  map.values.forEach((row, r) =>
    row.forEach((v, c) => {
      const m = readoutMark(cells.append('rect'), `${map.cellName(r, c)}: restored ${fmtMetric(v)}`, 'cell')
        .attr('data-row', String(r))
        .attr('data-column', String(c))
        .attr('data-value', String(v))
        .attr('x', fmtNum(L.x(c)!))
        .attr('y', fmtNum(L.y(r)!))
        .attr('width', fmtNum(bw))
        .attr('height', fmtNum(bh));
      styles(m, { fill: L.color(v) });
    }),
  );
  for (const [r, c] of map.marked ?? []) {
    if (r >= map.values.length || c >= (map.values[r]?.length ?? 0)) continue;
    const at = (sel: AnySel) => sel.attr('x', fmtNum(L.x(c)! + 1)).attr('y', fmtNum(L.y(r)! + 1)).attr('width', fmtNum(Math.max(1, bw - 2))).attr('height', fmtNum(Math.max(1, bh - 2)));
    // two-tone outline: visible on any cell colour
    styles(at(svg.append('rect').attr('class', 'marked-halo')), { fill: 'none', stroke: theme.background, 'stroke-width': 3 });
    styles(at(svg.append('rect').attr('class', 'marked').attr('data-row', String(r)).attr('data-column', String(c))), { fill: 'none', stroke: theme.marked, 'stroke-width': 1.5 });
  }
  // axes
  const rowsN = map.values.length;
  const rowEvery = Math.max(1, Math.ceil(12 / Math.max(1, bh)));
  for (let r = 0; r < rowsN; r += rowEvery) text(svg, L.left - 4, L.y(r)! + bh / 2, map.rowLabel(r), theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'tick row-tick' });
  const cols = L.x.domain().length;
  for (let c = 0; c < cols; c += L.labelEvery) text(svg, L.x(c)! + bw / 2, L.top + L.gridHeight + 4, map.columnLabel(c), theme, { anchor: 'middle', baseline: 'hanging', size: theme.fontSize - 2, fill: theme.muted, className: 'tick column-tick' });
  text(svg, L.left + L.gridWidth / 2, L.top + L.gridHeight + 22, map.columnTitle, theme, { anchor: 'middle', baseline: 'hanging', size: theme.fontSize - 1, fill: theme.muted, className: 'axis-title' });
  text(svg, 10, L.top + L.gridHeight / 2, map.rowTitle, theme, { anchor: 'middle', size: theme.fontSize - 1, fill: theme.muted, rotate: -90, className: 'axis-title' });
  // legend: a vertical colour bar
  const [lo, hi] = L.color.domain;
  const lg = svg.append('g').attr('class', 'legend').attr('aria-hidden', 'true');
  const barH = Math.max(LEGEND_MIN, Math.min(L.gridHeight, 160));
  const steps = 24;
  for (let i = 0; i < steps; i++) {
    const v = lo + ((hi - lo) * (i + 0.5)) / steps;
    styles(lg.append('rect').attr('x', fmtNum(L.legendX)).attr('y', fmtNum(L.top + barH - ((i + 1) * barH) / steps)).attr('width', 10).attr('height', fmtNum(barH / steps + 0.5)), { fill: L.color(v) });
  }
  // lo and hi always; 0 and 1 where they do not crowd them
  const yOf = (v: number) => L.top + barH - ((v - lo) / (hi - lo || 1)) * barH;
  const ticks = [lo, hi];
  for (const v of [0, 1]) if (ticks.every((t) => Math.abs(yOf(t) - yOf(v)) >= 12)) ticks.push(v);
  for (const v of ticks) text(lg, L.legendX + 14, yOf(v), Math.abs(v) >= 10 || v === Math.round(v) ? fmtMetric(v) : v.toFixed(2), theme, { baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'legend-tick' });
  text(lg, L.legendX, L.top + barH + 14, 'restored', theme, { size: theme.fontSize - 2, fill: theme.muted });
  return svg.node() as SVGSVGElement;
}
