/**
 * The patch bands mark (Chronos-Bolt): one query's attention over the context's patches painted as
 * bands over the series chart, each patch's rows shaded by its weight, and the hovered patch's span
 * outlined. Drawn over a chart rendered with the same SeriesLayout, under the hover overlay; a new
 * <svg> per hover (a Bolt context has at most a few hundred patches).
 */
import { createSvg, fmtNum, resolveDocument, styles, title, type RenderTarget } from './dom';
import { fmtScore } from './format';
import type { SeriesLayout } from './series-chart';
import { rowsOfPosition, type PositionRows } from './series-domain';
import { cssVarTheme, type ChartTheme } from './theme';

export interface PatchBandsData {
  /** Attention weight to each patch (one row of the lens); empty: only the query's span. */
  weights: readonly number[];
  /** The context window and its patches. */
  context: PositionRows & { patches: NonNullable<PositionRows['patches']> };
  /** The hovered patch (an encoder query), outlined. */
  query?: number;
  /** What the weights are, for the accessible name, e.g. "L1.H2". */
  label?: string;
}

export interface PatchBandsOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Strongest band's opacity (default 0.45). */
  maxOpacity?: number;
}

/** The bands over the chart's plot area (see the module comment). */
export function renderPatchBands(data: PatchBandsData, layout: Pick<SeriesLayout, 'width' | 'height' | 'margin' | 'x'>, options: PatchBandsOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const { x, margin } = layout;
  const svg = createSvg(doc, layout.width, layout.height, 'cl-patch-bands');
  svg.attr('role', 'img').attr('aria-label', `Attention over ${data.context.patches.count} patches${data.label ? `, ${data.label}` : ''}${data.query !== undefined ? `, from patch ${data.query + 1}` : ''}`);
  const top = margin.top;
  const height = layout.height - margin.top - margin.bottom;
  const [d0, d1] = x.domain();
  const left = margin.left;
  const right = layout.width - margin.right;
  const clip = (a: number, b: number): [number, number] | undefined => {
    const x0 = Math.max(left, x(a - 0.5));
    const x1 = Math.min(right, x(b + 0.5));
    return x1 > x0 ? [x0, x1] : undefined;
  };
  let max = 0;
  for (const w of data.weights) if (Number.isFinite(w) && w > max) max = w;
  const peak = options.maxOpacity ?? 0.45;
  const g = styles(svg.append('g').attr('class', 'bands'), { fill: theme.accent });
  data.weights.forEach((w, p) => {
    if (!Number.isFinite(w) || !(w > 0) || !(max > 0)) return;
    const [r0, r1] = rowsOfPosition(data.context, p);
    if (r1 < d0 - 1 || r0 > d1 + 1) return;
    const span = clip(r0, r1);
    if (!span) return;
    const band = g
      .append('rect')
      .attr('class', 'band')
      .attr('data-position', p)
      .attr('data-weight', String(w))
      .attr('x', fmtNum(span[0]))
      .attr('y', fmtNum(top))
      .attr('width', fmtNum(span[1] - span[0]))
      .attr('height', fmtNum(height))
      .attr('fill-opacity', fmtNum(peak * (w / max)));
    title(band, `patch ${p + 1} (rows ${r0 + 1}–${r1 + 1}): ${fmtScore(w)}`);
  });
  if (data.query !== undefined && data.query >= 0 && data.query < data.context.patches.count) {
    const [r0, r1] = rowsOfPosition(data.context, data.query);
    const span = clip(r0, r1);
    if (span) {
      styles(
        svg
          .append('rect')
          .attr('class', 'query-patch')
          .attr('data-position', data.query)
          .attr('data-first-row', r0)
          .attr('data-last-row', r1)
          .attr('x', fmtNum(span[0]))
          .attr('y', fmtNum(top))
          .attr('width', fmtNum(span[1] - span[0]))
          .attr('height', fmtNum(height)),
        { fill: 'none', stroke: theme.marked, 'stroke-width': 1.5, 'stroke-dasharray': '4 2' },
      );
    }
  }
  return svg.node() as SVGSVGElement;
}
