/**
 * The series overlay mark: what changes on every hover, drawn over a chart rendered once with the same
 * SeriesLayout: the hover rule and point (a ring when pinned), the earlier copies of the hovered
 * token and the points right after them. Redrawing only this keeps a hover inside a frame.
 */
import { createSvg, fmtNum, resolveDocument, styles, type RenderTarget } from './dom';
import type { SeriesChartData, SeriesHover, SeriesLayout } from './series-chart';
import { lowerBound } from './series-domain';
import { cssVarTheme, type ChartTheme } from './theme';

export interface SeriesOverlayOptions extends RenderTarget {
  theme?: ChartTheme;
  hover?: SeriesHover;
  /** The hover is pinned (click): drawn with a ring. */
  pinned?: boolean;
  highlights?: { sameToken?: readonly number[]; nextToken?: readonly number[] };
}

function valueAt(data: SeriesChartData, row: number): number | null {
  const i = lowerBound(data.index, row);
  return data.index[i] === row ? data.values[i] : null;
}

/** The hover rule and point and the induction highlights, for a chart drawn with `layout`. */
export function renderSeriesOverlay(data: SeriesChartData, layout: Pick<SeriesLayout, 'width' | 'height' | 'margin' | 'x' | 'y'>, options: SeriesOverlayOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const { x, y, margin } = layout;
  const svg = createSvg(doc, layout.width, layout.height, 'cl-series-overlay');
  svg.attr('aria-hidden', 'true');
  styles(svg, { 'font-family': theme.fontFamily });
  const [d0, d1] = x.domain();
  const inX = (r: number) => r >= d0 - 0.5 && r <= d1 + 0.5;
  const top = margin.top;
  const bottom = layout.height - margin.bottom;
  const hl = svg.append('g').attr('class', 'highlights');
  for (const [rows, cls, colour] of [
    [options.highlights?.sameToken, 'same-token', theme.sameToken],
    [options.highlights?.nextToken, 'next-token', theme.nextToken],
  ] as const) {
    for (const r of rows ?? []) {
      const v = valueAt(data, r);
      if (v === null || !Number.isFinite(v) || !inX(r)) continue;
      // a background halo under the ring: it stands out from the line and the shading it sits on
      styles(hl.append('circle').attr('class', `${cls}-halo`).attr('cx', fmtNum(x(r))).attr('cy', fmtNum(y(v))).attr('r', 5.5), {
        fill: theme.background,
        stroke: theme.background,
        'stroke-width': 4.5,
      });
      styles(hl.append('circle').attr('class', cls).attr('data-row', r).attr('cx', fmtNum(x(r))).attr('cy', fmtNum(y(v))).attr('r', 5.5), {
        fill: 'none',
        stroke: colour,
        'stroke-width': 2.5,
      });
    }
  }
  const h = options.hover;
  if (h) {
    const row = h.kind === 'encoder' ? h.row : (data.forecast?.start ?? 0) + h.step;
    if (inX(row)) {
      const g = svg.append('g').attr('class', `hover${options.pinned ? ' pinned' : ''}`).attr('data-kind', h.kind).attr('data-row', row);
      styles(g.append('line').attr('class', 'rule').attr('x1', fmtNum(x(row))).attr('x2', fmtNum(x(row))).attr('y1', fmtNum(top)).attr('y2', fmtNum(bottom)), {
        stroke: theme.marked,
        'stroke-width': options.pinned ? 1.5 : 1,
        'stroke-dasharray': options.pinned ? undefined : '3 2',
      });
      let v: number | null = null;
      if (h.kind === 'encoder') v = valueAt(data, row);
      else if (data.forecast) {
        const mi = data.forecast.levels.findIndex((l) => Math.abs(l - 0.5) < 1e-6);
        v = mi >= 0 ? (data.forecast.quantiles[mi]?.[h.step] ?? null) : null;
      }
      if (v !== null && Number.isFinite(v)) {
        if (options.pinned) styles(g.append('circle').attr('class', 'pin-ring').attr('cx', fmtNum(x(row))).attr('cy', fmtNum(y(v))).attr('r', 8), { fill: 'none', stroke: theme.marked, 'stroke-width': 1.5 });
        styles(g.append('circle').attr('class', 'point').attr('data-value', String(v)).attr('cx', fmtNum(x(row))).attr('cy', fmtNum(y(v))).attr('r', 4.5), {
          fill: theme.marked,
          stroke: theme.background,
          'stroke-width': 1.5,
        });
      }
    }
  }
  return svg.node() as SVGSVGElement;
}
