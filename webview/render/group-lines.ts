/**
 * The group-attention lines mark (Chronos-2): under the series chart and on its x axis, one lane per
 * series of the task, a line over the context's patches of how much of that series' group attention
 * goes to the other series (0: it reads only itself; 1: only the others), for the selected head (or the
 * max / mean over the layer's heads). The hovered patch is marked across the lanes.
 */
import { createSvg, fmtNum, resolveDocument, styles, text, title, type RenderTarget } from './dom';
import { fmtScore } from './format';
import type { SeriesLayout } from './series-chart';
import { rowsOfPosition, type PositionRows } from './series-domain';
import { cssVarTheme, type ChartTheme } from './theme';

export interface GroupLinesData {
  series: readonly string[];
  /** [series][patch]: share on the other series. */
  lines: readonly (readonly number[])[];
  context: PositionRows & { patches: NonNullable<PositionRows['patches']> };
  /** The hovered patch, marked. */
  query?: number;
  /** What the lines are, e.g. "L1.H2" or "mean L1". */
  label: string;
}

export interface GroupLinesOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Height of one lane in px (default 30). */
  lane?: number;
}

/** The lanes (see the module comment), as wide as the chart and on its scale. */
export function renderGroupLines(d: GroupLinesData, layout: Pick<SeriesLayout, 'width' | 'margin' | 'x'>, options: GroupLinesOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const lane = options.lane ?? 34;
  const { x, margin } = layout;
  const left = margin.left;
  const right = layout.width - margin.right;
  const height = d.series.length * lane + 4;
  const svg = createSvg(doc, layout.width, height, 'cl-group-lines');
  svg.attr('role', 'img').attr('aria-label', `Share of each series' group attention on the other series over the context, ${d.label}: ${d.series.map((s, i) => `${s} ${fmtScore(mean(d.lines[i]))} on average`).join(', ')}`);
  styles(svg, { 'font-family': theme.fontFamily });
  const [d0, d1] = x.domain();
  const centre = (p: number) => {
    const [r0, r1] = rowsOfPosition(d.context, p);
    return (r0 + r1) / 2;
  };
  d.series.forEach((name, i) => {
    const top = i * lane + 2;
    const g = svg.append('g').attr('class', 'lane').attr('data-series', name);
    styles(g.append('line').attr('x1', left).attr('x2', right).attr('y1', top + lane - 4).attr('y2', top + lane - 4), { stroke: theme.grid, 'stroke-width': 1 });
    // the series' name over its lane, the line in the rest (0 at the lane's foot, 1 just under the name)
    const y = (v: number) => top + (lane - 4) - v * (lane - 16);
    const pts: string[] = [];
    d.lines[i].forEach((v, p) => {
      const c = centre(p);
      if (!Number.isFinite(v) || c < d0 - 1 || c > d1 + 1) return;
      const px = Math.max(left, Math.min(right, x(c)));
      pts.push(`${fmtNum(px)},${fmtNum(y(v))}`);
    });
    if (pts.length) {
      const path = g.append('polyline').attr('class', 'share').attr('points', pts.join(' ')).attr('data-values', d.lines[i].join(' '));
      styles(path, { fill: 'none', stroke: theme.accent, 'stroke-width': 1.5 });
      title(path, `${name}: share of its group attention on the other series (${d.label})`);
    }
    text(svg, left, top + 5, name, theme, { baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'lane-name' });
  });
  if (d.query !== undefined && d.query >= 0 && d.query < d.context.patches.count) {
    const c = centre(d.query);
    if (c >= d0 && c <= d1) styles(svg.append('line').attr('class', 'query').attr('data-position', d.query).attr('x1', fmtNum(x(c))).attr('x2', fmtNum(x(c))).attr('y1', 0).attr('y2', height), { stroke: theme.marked, 'stroke-width': 1, 'stroke-dasharray': '3 2' });
  }
  return svg.node() as SVGSVGElement;
}

function mean(a: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const v of a) {
    if (!Number.isFinite(v)) continue;
    s += v;
    n++;
  }
  return n ? s / n : NaN;
}
