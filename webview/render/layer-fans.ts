/**
 * The per-layer forecast lens as small multiples: one forecast fan per decoder layer (its residual
 * read out through the final norm and the LM head), on one shared value axis, so a reader sees at
 * which depth the forecast settles. Each panel: the quantile bands (outer levels lightest), the
 * layer's median (or mean), the final layer's median path dashed for reference, and the mean KL to
 * the final layer in its title. Pure: (result, options) → a new <svg>.
 */
import { area, line, scaleLinear, type ScaleLinear } from 'd3';
import type { LayerLensResult } from '../../analysis/types';
import { createSvg, fmtNum, resolveDocument, styles, text, type RenderTarget } from './dom';
import { fmtMetric } from './format';
import { readoutMark } from './readout';
import { cssVarTheme, type ChartTheme } from './theme';

export interface LayerFansOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Total width in px (default 760; at least 320). */
  width?: number;
  /** Height of one panel's plot in px (default 120). */
  panelHeight?: number;
  background?: boolean;
}

export interface LayerFanPanel {
  layer: number;
  /** Top-left corner of the plot area. */
  left: number;
  top: number;
  x: ScaleLinear<number, number>;
  meanKl: number;
}

export interface LayerFansLayout {
  width: number;
  height: number;
  columns: number;
  plotWidth: number;
  plotHeight: number;
  y: ScaleLinear<number, number>;
  panels: LayerFanPanel[];
}

const PANEL_MIN = 200;
const AXIS_W = 44;
const TITLE_H = 20;
const TICKS_H = 18;

/** The level pairs drawn as bands (lo, hi), outermost first, and the central line's level index. */
export function fanBands(levels: readonly number[]): { bands: [number, number][]; median: number } {
  const bands: [number, number][] = [];
  for (let i = 0; i < levels.length; i++) {
    const j = levels.findIndex((q) => Math.abs(q - (1 - levels[i])) < 1e-9);
    if (j > i) bands.push([i, j]);
  }
  return { bands, median: levels.findIndex((q) => Math.abs(q - 0.5) < 1e-9) };
}

export function layerFansLayout(result: Pick<LayerLensResult, 'layers' | 'steps' | 'pathValues'>, opts: Pick<LayerFansOptions, 'width' | 'panelHeight'> = {}): LayerFansLayout {
  const width = Math.max(320, opts.width ?? 760);
  const plotHeight = opts.panelHeight ?? 120;
  const columns = Math.max(1, Math.min(result.layers.length, Math.floor(width / PANEL_MIN)));
  const cellW = width / columns;
  const plotWidth = cellW - AXIS_W - 12;
  const all = [...result.layers.flatMap((l) => [...l.quantiles.flat(), ...l.mean]), ...result.pathValues].filter(Number.isFinite);
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  const y = scaleLinear().domain([lo, hi]).range([plotHeight, 0]).nice(4);
  const panels = result.layers.map((l, i) => {
    const col = i % columns;
    const row = Math.floor(i / columns);
    const left = col * cellW + AXIS_W;
    const top = row * (plotHeight + TITLE_H + TICKS_H + 8) + TITLE_H;
    const x = scaleLinear().domain([0, Math.max(1, result.steps - 1)]).range([left, left + plotWidth]);
    // Chronos-Bolt's lens has quantiles, not distributions: its gap to the last layer stands in for the KL
    const d = l.klToFinal ?? l.gapToFinal ?? [];
    const meanKl = d.reduce((a, b) => a + b, 0) / Math.max(1, d.length);
    return { layer: l.layer, left, top, x, meanKl };
  });
  const rows = Math.ceil(result.layers.length / columns);
  return { width, height: rows * (plotHeight + TITLE_H + TICKS_H + 8) + 4, columns, plotWidth, plotHeight, y, panels };
}

export function renderLayerFans(result: Pick<LayerLensResult, 'layers' | 'steps' | 'pathValues' | 'quantileLevels'>, options: LayerFansOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const L = layerFansLayout(result, options);
  const svg = createSvg(doc, L.width, L.height, 'cl-layer-fans');
  const last = result.layers.length - 1;
  svg.attr('role', 'img').attr('aria-label', `Forecast of each of ${result.layers.length} decoder layers over ${result.steps} steps (per-layer lens)`);
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(L.width)).attr('height', fmtNum(L.height)), { fill: theme.background });
  const { bands, median } = fanBands(result.quantileLevels);
  const levels = result.quantileLevels;
  const pct = (q: number) => `${Math.round(q * 100)}%`;
  result.layers.forEach((layer, i) => {
    const P = L.panels[i];
    const y = (v: number) => L.y(v) + P.top;
    const g = svg.append('g').attr('class', 'fan').attr('data-layer', String(layer.layer));
    text(g, P.left, P.top - 6, `L${layer.layer}${i === last ? ' (final)' : ''} · KL to final ${fmtMetric(P.meanKl)}`, theme, { size: theme.fontSize - 1, weight: 600, className: 'fan-title' });
    // frame and value axis
    styles(g.append('rect').attr('x', fmtNum(P.left)).attr('y', fmtNum(P.top)).attr('width', fmtNum(L.plotWidth)).attr('height', fmtNum(L.plotHeight)), { fill: 'none', stroke: theme.grid });
    for (const t of L.y.ticks(4)) {
      styles(g.append('line').attr('x1', fmtNum(P.left)).attr('x2', fmtNum(P.left + L.plotWidth)).attr('y1', fmtNum(y(t))).attr('y2', fmtNum(y(t))), { stroke: theme.grid, 'stroke-opacity': 0.5 });
      text(g, P.left - 4, y(t), fmtMetric(t), theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
    }
    const steps = Array.from({ length: result.steps }, (_, s) => s);
    for (const t of P.x.ticks(Math.max(2, Math.floor(L.plotWidth / 50)))) {
      if (!Number.isInteger(t)) continue;
      text(g, P.x(t), P.top + L.plotHeight + 4, String(t), theme, { anchor: 'middle', baseline: 'hanging', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
    }
    // bands, outermost (lightest) first
    bands.forEach(([lo, hi], b) => {
      const a = area<number>()
        .x((s) => P.x(s))
        .y0((s) => y(layer.quantiles[lo][s]))
        .y1((s) => y(layer.quantiles[hi][s]));
      styles(g.append('path').attr('class', 'band').attr('data-levels', `${levels[lo]}-${levels[hi]}`).attr('d', a(steps) ?? ''), { fill: theme.forecast, 'fill-opacity': 0.12 + (0.3 * b) / Math.max(1, bands.length) });
    });
    const central = median >= 0 ? layer.quantiles[median] : layer.mean;
    const ln = line<number>()
      .x((s) => P.x(s))
      .y((s) => y(central[s]));
    styles(g.append('path').attr('class', 'median').attr('d', ln(steps) ?? ''), { fill: 'none', stroke: theme.forecast, 'stroke-width': 1.75 });
    if (i !== last) {
      const ref = line<number>()
        .x((s) => P.x(s))
        .y((s) => y(result.pathValues[s]));
      styles(g.append('path').attr('class', 'final-path').attr('d', ref(steps) ?? ''), { fill: 'none', stroke: theme.foreground, 'stroke-width': 1, 'stroke-dasharray': '3 2' });
    }
    // one hover / keyboard column per step
    const colW = L.plotWidth / Math.max(1, result.steps);
    for (const s of steps) {
      const outer = bands[0];
      const range = outer ? `, ${pct(levels[outer[0]])}–${pct(levels[outer[1]])} [${fmtMetric(layer.quantiles[outer[0]][s])}, ${fmtMetric(layer.quantiles[outer[1]][s])}]` : '';
      const readout = `L${layer.layer} · step ${s}: ${median >= 0 ? 'median' : 'mean'} ${fmtMetric(central[s])}${range}, ${layer.klToFinal ? `KL to final ${fmtMetric(layer.klToFinal[s])}` : `gap to final ${fmtMetric(layer.gapToFinal?.[s] ?? NaN)}`}`;
      const m = readoutMark(g.append('rect'), readout, 'step')
        .attr('data-step', String(s))
        .attr('x', fmtNum(Math.max(P.left, P.x(s) - colW / 2)))
        .attr('y', fmtNum(P.top))
        .attr('width', fmtNum(Math.min(colW, L.plotWidth)))
        .attr('height', fmtNum(L.plotHeight));
      styles(m, { fill: 'transparent' });
    }
  });
  return svg.node() as SVGSVGElement;
}
