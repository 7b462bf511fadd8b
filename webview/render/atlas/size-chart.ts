/**
 * The model-size axis: induction heads (of each attention kind, on the reference protocol, averaged
 * over seeds) against model parameters on a log axis: the background article's headline comparison
 * (more induction heads in bigger models) in one view. Each point links to its model's first
 * reference mosaic task.
 */
import { scaleLinear, scaleLog, select } from 'd3';
import { ATTENTION_KINDS, type AtlasSummary, type AttentionKind } from '../../../analysis/types';
import { createSvg, fmtNum, resolveDocument, styles, text, title, type RenderTarget } from '../dom';
import { KIND_SHORT } from '../format';
import { cssVarTheme, type ChartTheme } from '../theme';
import { fmtParams, svgTaskLink, taskById } from './common';

export interface AtlasSizeChartOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Width in px (default 560). */
  width?: number;
  height?: number;
  background?: boolean;
}

export interface AtlasSizePoint {
  model: number;
  kind: AttentionKind;
  parameters: number;
  /** Mean total of induction heads over the model's reference mosaics. */
  heads: number;
  /** Heads of that kind in the model. */
  of: number;
  /** The first of those mosaics' tasks (the point's link). */
  task: string;
  mosaics: number;
}

/** The points: one per model and attention kind that has a finished reference mosaic and a size. */
export function atlasSizePoints(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'induction'>): AtlasSizePoint[] {
  const out: AtlasSizePoint[] = [];
  for (const kind of ATTENTION_KINDS) {
    atlas.models.forEach((m, mi) => {
      const rows = atlas.induction.filter((r) => r.model === mi && atlas.datasets[r.dataset]?.kind === 'reference' && r.counts[kind]);
      if (!rows.length || !m.parameters) return;
      const heads = rows.reduce((a, r) => a + r.counts[kind]!.total, 0) / rows.length;
      out.push({ model: mi, kind, parameters: m.parameters, heads, of: rows[0].counts[kind]!.heads, task: rows[0].task, mosaics: rows.length });
    });
  }
  return out;
}

const KIND_COLOR: Record<AttentionKind, keyof ChartTheme> = { cross: 'accent', encoder: 'forecast', decoder: 'sameToken' };

export function renderAtlasSizeChart(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'induction' | 'tasks'>, options: AtlasSizeChartOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const points = atlasSizePoints(atlas);
  const byId = taskById(atlas);
  const W = options.width ?? 560;
  const H = options.height ?? 280;
  const M = { left: 48, right: 16, top: 30, bottom: 40 };
  const svg = createSvg(doc, W, H, 'cl-atlas-size');
  svg.attr('role', 'group').attr('aria-label', 'Induction heads against model parameters (log scale)');
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', W).attr('height', H), { fill: theme.background });
  if (!points.length) {
    text(svg, W / 2, H / 2, 'No reference mosaic has finished yet.', theme, { anchor: 'middle', fill: theme.muted });
    return svg.node() as SVGSVGElement;
  }
  let lo = Math.min(...points.map((p) => p.parameters));
  let hi = Math.max(...points.map((p) => p.parameters));
  lo = 10 ** Math.floor(Math.log10(lo));
  hi = 10 ** Math.ceil(Math.log10(hi));
  if (lo === hi) [lo, hi] = [lo / 10, hi * 10];
  const x = scaleLog().domain([lo, hi]).range([M.left, W - M.right]);
  const yMax = Math.max(1, ...points.map((p) => p.heads));
  const y = scaleLinear().domain([0, yMax]).range([H - M.bottom, M.top]).nice();
  const axis = svg.append('g').attr('class', 'axes');
  styles(axis.append('line').attr('x1', M.left).attr('x2', W - M.right).attr('y1', fmtNum(H - M.bottom)).attr('y2', fmtNum(H - M.bottom)), { stroke: theme.grid });
  styles(axis.append('line').attr('x1', M.left).attr('x2', M.left).attr('y1', M.top).attr('y2', fmtNum(H - M.bottom)), { stroke: theme.grid });
  for (let e = Math.round(Math.log10(lo)); e <= Math.round(Math.log10(hi)); e++) {
    const xv = x(10 ** e);
    styles(axis.append('line').attr('x1', fmtNum(xv)).attr('x2', fmtNum(xv)).attr('y1', fmtNum(H - M.bottom)).attr('y2', fmtNum(H - M.bottom + 4)), { stroke: theme.muted });
    text(axis, xv, H - M.bottom + 16, fmtParams(10 ** e), theme, { anchor: 'middle', fill: theme.muted, size: theme.fontSize - 1 });
  }
  for (const v of y.ticks(Math.min(5, Math.ceil(yMax)))) {
    if (!Number.isInteger(v)) continue;
    text(axis, M.left - 6, y(v), String(v), theme, { anchor: 'end', baseline: 'middle', fill: theme.muted, size: theme.fontSize - 1 });
    if (v) styles(axis.append('line').attr('x1', M.left).attr('x2', W - M.right).attr('y1', fmtNum(y(v))).attr('y2', fmtNum(y(v))), { stroke: theme.grid, 'stroke-dasharray': '2 3' });
  }
  text(axis, (M.left + W - M.right) / 2, H - 6, 'parameters (log scale)', theme, { anchor: 'middle' });
  text(axis, 12, (M.top + H - M.bottom) / 2, 'induction heads', theme, { anchor: 'middle', rotate: -90 });

  const kinds = ATTENTION_KINDS.filter((k) => points.some((p) => p.kind === k));
  // Legend (top left): which colour is which kind.
  let lx = M.left + 4;
  for (const k of kinds) {
    const g = svg.append('g').attr('class', `legend legend-${k}`);
    styles(g.append('circle').attr('cx', fmtNum(lx + 5)).attr('cy', 12).attr('r', 4), { fill: theme[KIND_COLOR[k]] as string });
    text(g, lx + 13, 12, KIND_SHORT[k], theme, { baseline: 'middle', size: theme.fontSize - 1 });
    lx += 24 + KIND_SHORT[k].length * 7;
  }
  for (const k of kinds) {
    const color = theme[KIND_COLOR[k]] as string;
    const ps = points.filter((p) => p.kind === k).sort((a, b) => a.parameters - b.parameters || a.model - b.model);
    const g = svg.append('g').attr('class', `series series-${k}`).attr('data-kind', k);
    if (ps.length > 1) styles(g.append('polyline').attr('points', ps.map((p) => `${fmtNum(x(p.parameters))},${fmtNum(y(p.heads))}`).join(' ')), { fill: 'none', stroke: color, 'stroke-width': 1.5 });
    for (const p of ps) {
      const label = `${atlas.models[p.model].label} (${fmtParams(p.parameters)} parameters): ${fmtNum(p.heads)} of ${p.of} ${k} heads are induction heads${p.mosaics > 1 ? `, mean of ${p.mosaics} mosaics` : ''}`;
      const a = svgTaskLink(doc, byId.get(p.task)!, label);
      (g.node() as SVGGElement).appendChild(a);
      const pt = styles(
        select(a)
          .append('circle')
          .attr('class', 'point')
          .attr('cx', fmtNum(x(p.parameters)))
          .attr('cy', fmtNum(y(p.heads)))
          .attr('r', 5)
          .attr('data-model', p.model)
          .attr('data-heads', p.heads)
          .attr('data-parameters', p.parameters),
        { fill: color, stroke: theme.background, 'stroke-width': 1.5 },
      );
      title(pt, label);
      // One name per model, above its first kind's point.
      if (k === kinds[0]) text(g, x(p.parameters), y(p.heads) - 10, atlas.models[p.model].label, theme, { anchor: 'middle', size: theme.fontSize - 1, className: 'point-label' });
    }
  }
  return svg.node() as SVGSVGElement;
}
