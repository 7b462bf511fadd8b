/**
 * Layer ablation as bars: per metric (induction loss, its control, MASE, WQL, …) one bar per ablated
 * layer set (a sweep: each layer in turn), with the unablated model's value as a dashed rule, so a
 * reader sees which layer the metric depends on. Pure: (result, options) → a new <svg>.
 */
import { scaleLinear, type ScaleLinear } from 'd3';
import type { LayerAblationResult } from '../../analysis/types';
import { createSvg, fmtNum, type LabelledRowsFrame, type RenderTarget, resolveDocument, styles, text, textWidth, wrapWords } from './dom';
import { fmtMetric, fmtSigned, metricLabel } from './format';
import { readoutMark } from './readout';
import { cssVarTheme, type ChartTheme } from './theme';

export interface LayerSweepOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Total width in px (default 760; at least 320). */
  width?: number;
  /** Height of one bar's row in px (default 18). */
  rowHeight?: number;
  background?: boolean;
}

export interface LayerSweepBlock {
  metric: string;
  top: number;
  /** The block's heading (metric and unablated value), in lines that fit the width. */
  heading: string[];
  x: ScaleLinear<number, number>;
}

export interface LayerSweepLayout extends LabelledRowsFrame {
  blocks: LayerSweepBlock[];
}

const HEADER = 22;
const FOOTER = 22;

/** The metrics measured, in the order the result lists them for the unablated model. */
export function sweepMetrics(result: Pick<LayerAblationResult, 'unablated'>): string[] {
  return Object.keys(result.unablated);
}

export function layerSweepLayout(result: Pick<LayerAblationResult, 'unablated' | 'variants'>, opts: Pick<LayerSweepOptions, 'width' | 'rowHeight' | 'theme'> = {}): LayerSweepLayout {
  const theme = opts.theme ?? cssVarTheme();
  const width = Math.max(320, opts.width ?? 760);
  const rowHeight = opts.rowHeight ?? 18;
  const labelWidth = Math.min(Math.max(60, ...result.variants.map((v) => textWidth(v.label, theme.fontSize - 1) + 8)), width * 0.4);
  const plotLeft = labelWidth + 8;
  const plotRight = width - 56;
  let top = 0;
  const blocks = sweepMetrics(result).map((metric) => {
    const vals = [result.unablated[metric], ...result.variants.map((v) => v.values[metric])].filter(Number.isFinite);
    const hi = Math.max(0, ...vals);
    const lo = Math.min(0, ...vals);
    const heading = wrapWords(`${metricLabel(metric)} · unablated ${fmtMetric(result.unablated[metric])}`, width * 0.88, theme.fontSize);
    const block = { metric, top, heading, x: scaleLinear().domain(lo === hi ? [0, 1] : [lo, hi]).range([plotLeft, plotRight]).nice(5) };
    top += HEADER + 14 * (heading.length - 1) + result.variants.length * rowHeight + FOOTER;
    return block;
  });
  return { width, height: top + 4, labelWidth, plotLeft, plotRight, rowHeight, blocks };
}

export function renderLayerSweep(result: Pick<LayerAblationResult, 'unablated' | 'variants' | 'sweep'>, options: LayerSweepOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const L = layerSweepLayout(result, { ...options, theme });
  const svg = createSvg(doc, L.width, L.height, 'cl-layer-sweep');
  svg.attr('role', 'img').attr('aria-label', `Layer ablation${result.sweep ? ' sweep' : ''}: ${result.variants.length} layer sets, ${L.blocks.length} metrics against the unablated model`);
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(L.width)).attr('height', fmtNum(L.height)), { fill: theme.background });
  const barH = Math.max(4, L.rowHeight - 5);
  for (const b of L.blocks) {
    const g = svg.append('g').attr('class', 'metric').attr('data-metric', b.metric);
    const base = result.unablated[b.metric];
    b.heading.forEach((line, i) => text(g, 0, b.top + 14 + 14 * i, line, theme, { weight: 600, className: 'metric-label' }));
    const rowsTop = b.top + HEADER + 14 * (b.heading.length - 1);
    const rowsBottom = rowsTop + result.variants.length * L.rowHeight;
    const x0 = b.x(0);
    for (const t of b.x.ticks(Math.max(2, Math.floor((L.plotRight - L.plotLeft) / 70)))) {
      styles(g.append('line').attr('x1', fmtNum(b.x(t))).attr('x2', fmtNum(b.x(t))).attr('y1', fmtNum(rowsTop)).attr('y2', fmtNum(rowsBottom)), { stroke: theme.grid });
      text(g, b.x(t), rowsBottom + 4, fmtMetric(t), theme, { anchor: 'middle', baseline: 'hanging', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
    }
    result.variants.forEach((v, i) => {
      const value = v.values[b.metric];
      const y = rowsTop + i * L.rowHeight;
      const m = readoutMark(g.append('g'), `${v.label} · ${metricLabel(b.metric)}: ${fmtMetric(value)} (${fmtSigned(value - base)} against unablated)`, 'bar');
      m.attr('data-variant', v.label).attr('data-value', String(value)).attr('data-x', fmtNum(b.x(value)));
      text(m, L.labelWidth, y + L.rowHeight / 2, v.label, theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 1, className: 'bar-label' });
      const xv = Number.isFinite(value) ? b.x(value) : x0;
      styles(m.append('rect').attr('class', 'bar-fill').attr('x', fmtNum(Math.min(x0, xv))).attr('y', fmtNum(y + (L.rowHeight - barH) / 2)).attr('width', fmtNum(Math.max(1, Math.abs(xv - x0)))).attr('height', fmtNum(barH)), {
        fill: value > base ? theme.marked : theme.forecast,
      });
      text(m, Math.max(x0, xv) + 4, y + L.rowHeight / 2, fmtMetric(value), theme, { baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'bar-value' });
    });
    const ux = b.x(base);
    const un = g.append('g').attr('class', 'mark-unablated').attr('data-x', fmtNum(ux)).attr('aria-hidden', 'true');
    styles(un.append('line').attr('x1', fmtNum(ux)).attr('x2', fmtNum(ux)).attr('y1', fmtNum(rowsTop - 3)).attr('y2', fmtNum(rowsBottom + 3)), { stroke: theme.foreground, 'stroke-width': 1.5, 'stroke-dasharray': '3 2' });
  }
  return svg.node() as SVGSVGElement;
}
