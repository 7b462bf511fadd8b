/**
 * The residual-stream panel's figures, one per part of a CausalRun: direct attribution (bars), the
 * per-layer lens (fans), activation patching (heat maps: heads per attention kind, heads × positions,
 * the residual stream per stack) and layer ablation (bars). Each is drawn by its mark's render
 * function; this module picks them, stacks the patching maps into one SVG, and adds the heading of a
 * standalone (exported) figure. Pure: (run, figure, options) → a new <svg>.
 */
import type { AttentionKind, PatchingResult } from '../../analysis/types';
import { CAUSAL_FIGURE_LABEL, CAUSAL_FIGURES, type CausalFigure, type CausalRun } from '../../protocol/causal';
import { attributionTargetText, renderAttributionBars } from './attribution-bars';
import { createSvg, fmtNum, resolveDocument, styles, text, type RenderTarget } from './dom';
import { KIND_SHORT, fmtMetric } from './format';
import { renderLayerFans } from './layer-fans';
import { renderLayerSweep } from './layer-sweep';
import { renderPatchHeatmap, type PatchMap } from './patch-heatmap';
import { cssVarTheme, type ChartTheme } from './theme';

export { CAUSAL_FIGURE_LABEL };

/** The figures a run has, in tab order. */
export function causalFigures(run: CausalRun): CausalFigure[] {
  return CAUSAL_FIGURES.filter((f) => run[f] !== undefined);
}

const KIND_ORDER: readonly AttentionKind[] = ['encoder', 'decoder', 'cross'];
const STACK_LABEL = { encoder: 'Encoder', decoder: 'Decoder' } as const;

/** Every heat map of a patching result: heads per kind, heads × positions per kind, the residual stream per stack. */
export function patchMaps(result: Pick<PatchingResult, 'restored'>, marked: CausalRun['marked'] = []): PatchMap[] {
  const maps: PatchMap[] = [];
  const r = result.restored;
  for (const kind of KIND_ORDER) {
    const m = r.heads?.[kind];
    if (!m) continue;
    maps.push({
      title: `${KIND_SHORT[kind]} heads, every position`,
      values: m,
      rowLabel: (l) => `L${l}`,
      columnLabel: (h) => `H${h}`,
      rowTitle: 'Layer',
      columnTitle: 'Head',
      cellName: (l, h) => `${kind} L${l}.H${h}`,
      marked: marked.filter((h) => h.kind === kind).map((h) => [h.layer, h.head] as [number, number]),
    });
  }
  for (const kind of KIND_ORDER) {
    const m = r.headPos?.[kind];
    if (!m) continue;
    const heads = m[0]?.length ?? 0;
    maps.push({
      title: `${KIND_SHORT[kind]} heads × position`,
      values: m.flat(),
      rowLabel: (i) => `L${Math.floor(i / heads)}.H${i % heads}`,
      columnLabel: (p) => String(p),
      rowTitle: 'Head',
      columnTitle: kind === 'encoder' ? 'Context position' : 'Forecast step',
      cellName: (i, p) => `${kind} L${Math.floor(i / heads)}.H${i % heads} at ${kind === 'encoder' ? 'position' : 'step'} ${p}`,
    });
  }
  for (const stack of ['encoder', 'decoder'] as const) {
    const m = r.resid?.[stack];
    if (!m) continue;
    const last = m.length - 1;
    const name = (i: number) => (i === last ? 'out' : `L${i}`);
    maps.push({
      title: `${STACK_LABEL[stack]} residual stream, entering each layer`,
      values: m,
      rowLabel: name,
      columnLabel: (p) => String(p),
      rowTitle: 'Layer',
      columnTitle: stack === 'encoder' ? 'Context position' : 'Decoder position',
      cellName: (i, p) => `${stack} residual ${i === last ? 'leaving the last layer' : `entering L${i}`} at position ${p}`,
    });
  }
  return maps;
}

export interface CausalChartOptions extends RenderTarget {
  theme?: ChartTheme;
  width?: number;
  background?: boolean;
}

/** The chart of one figure (no heading). */
export function renderCausalChart(run: CausalRun, figure: CausalFigure, options: CausalChartOptions = {}): SVGSVGElement {
  switch (figure) {
    case 'attribution':
      return renderAttributionBars(need(run.attribution, figure), options);
    case 'layerLens':
      return renderLayerFans(need(run.layerLens, figure), options);
    case 'layerAblation':
      return renderLayerSweep(need(run.layerAblation, figure), options);
    case 'patching': {
      const doc = resolveDocument(options);
      const width = Math.max(320, options.width ?? 760);
      const parts = patchMaps(need(run.patching, figure), run.marked).map((m) => renderPatchHeatmap(m, { ...options, document: doc, width }));
      const height = parts.reduce((h, p) => h + Number(p.getAttribute('height')) + 8, 0);
      const svg = createSvg(doc, width, Math.max(1, height), 'cl-patch-maps');
      svg.attr('role', 'group').attr('aria-label', `${parts.length} activation-patching maps`);
      let y = 0;
      for (const p of parts) {
        p.setAttribute('y', fmtNum(y));
        (svg.node() as SVGSVGElement).appendChild(p);
        y += Number(p.getAttribute('height')) + 8;
      }
      return svg.node() as SVGSVGElement;
    }
  }
}

function need<T>(v: T | undefined, figure: CausalFigure): T {
  if (v === undefined) throw new Error(`This run has no ${CAUSAL_FIGURE_LABEL[figure].toLowerCase()} figure.`);
  return v;
}

/** One line under a figure's heading: what was measured. */
export function causalHeadline(run: CausalRun, figure: CausalFigure): string {
  switch (figure) {
    case 'attribution': {
      const a = need(run.attribution, figure);
      return `${attributionTargetText(a)} · ${a.components.length} parts sum to ${fmtMetric(a.total)} · expected value ${fmtMetric(a.target.expectedValue)}`;
    }
    case 'layerLens': {
      const l = need(run.layerLens, figure);
      return `${l.layers.length} decoder layers read out through the final norm · ${l.steps} steps on the median path`;
    }
    case 'patching': {
      const p = need(run.patching, figure);
      return `${p.description} · ${p.pairs} pair${p.pairs === 1 ? '' : 's'} · clean ${fmtMetric(p.clean)}, corrupted ${fmtMetric(p.corrupted)} (mean log-prob)`;
    }
    case 'layerAblation': {
      const a = need(run.layerAblation, figure);
      const data = [a.data.inductionLoss ? 'induction loss on repeated random tokens' : '', a.data.csv ? `${a.data.csv.file} · ${a.data.csv.column}, last ${a.data.csv.heldOut} held out` : ''].filter(Boolean).join('; ');
      return `${a.variants.length} layer set${a.variants.length === 1 ? '' : 's'}${a.sweep ? ' (sweep)' : ''} · ${data}`;
    }
  }
}

export interface CausalFigureOptions extends RenderTarget {
  theme: ChartTheme;
  width?: number;
}

/** Standalone figure: heading, headline and the chart, on the theme's background. */
export function renderCausalFigureSvg(run: CausalRun, figure: CausalFigure, options: CausalFigureOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const width = Math.max(320, options.width ?? 800);
  const pad = 20;
  const chart = renderCausalChart(run, figure, { document: doc, theme, width: width - 2 * pad });
  const headerH = 60;
  const height = headerH + Number(chart.getAttribute('height')) + pad;
  const svg = createSvg(doc, width, height, 'cl-causal-figure');
  const model = run[figure]?.model.name ?? '';
  svg.attr('role', 'img').attr('aria-label', `${CAUSAL_FIGURE_LABEL[figure]}, ${model}`);
  styles(svg, { 'font-family': theme.fontFamily });
  styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(width)).attr('height', fmtNum(height)), { fill: theme.background });
  text(svg, pad, 28, `${CAUSAL_FIGURE_LABEL[figure]} · ${model}`, theme, { size: theme.fontSize + 4, weight: 600, className: 'figure-title' });
  text(svg, pad, 47, causalHeadline(run, figure), theme, { fill: theme.muted, className: 'figure-subtitle' });
  chart.setAttribute('x', String(pad));
  chart.setAttribute('y', String(headerH));
  (svg.node() as SVGSVGElement).appendChild(chart);
  return svg.node() as SVGSVGElement;
}
