/**
 * The series overview mark: the whole column as a thin line under the chart, the context window
 * shaded and the visible range as a brush (zoom and pan), lined up with the chart's plot area.
 */
import { line, scaleLinear } from 'd3';
import { createSvg, fmtNum, resolveDocument, styles, type RenderTarget } from './dom';
import { extentOf, type Domain } from './series-domain';
import { cssVarTheme, type ChartTheme } from './theme';

export interface SeriesOverviewData {
  index: number[];
  values: (number | null)[];
  totalRows: number;
  context?: { start: number; end: number };
  forecastSteps?: number;
}

export interface SeriesOverviewOptions extends RenderTarget {
  theme?: ChartTheme;
  width: number;
  height?: number;
  /** The chart's margins, so the overview lines up with it. */
  margin: { left: number; right: number };
  /** The visible range (the brush). */
  domain: Domain;
}

export interface OverviewGeometry {
  x: (row: number) => number;
  /** px → row */
  invert: (px: number) => number;
}

export function overviewGeometry(data: Pick<SeriesOverviewData, 'totalRows' | 'forecastSteps'>, o: Pick<SeriesOverviewOptions, 'width' | 'margin'>): OverviewGeometry {
  const ext = extentOf(data.totalRows, data.forecastSteps ?? 0);
  const x = scaleLinear().domain(ext).range([o.margin.left, o.width - o.margin.right]).clamp(true);
  return { x: (r) => x(r), invert: (px) => x.invert(px) };
}

/** The whole column as a thin line, the context window shaded and the visible range as a brush. */
export function renderSeriesOverview(data: SeriesOverviewData, options: SeriesOverviewOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const width = options.width;
  const height = options.height ?? 40;
  const top = 3;
  const bottom = height - 3;
  const svg = createSvg(doc, width, height, 'cl-series-overview');
  svg.attr('role', 'img').attr('aria-label', `Overview of ${data.totalRows} rows; rows ${Math.round(options.domain[0])} to ${Math.round(options.domain[1])} shown`);
  styles(svg, { 'font-family': theme.fontFamily });
  const g = overviewGeometry(data, options);
  const left = options.margin.left;
  const right = width - options.margin.right;
  styles(svg.append('rect').attr('class', 'frame').attr('x', fmtNum(left)).attr('y', top).attr('width', fmtNum(right - left)).attr('height', fmtNum(bottom - top)), { fill: 'none', stroke: theme.grid });
  if (data.context) {
    const c0 = g.x(data.context.start);
    const c1 = g.x(data.context.end);
    styles(svg.append('rect').attr('class', 'context').attr('x', fmtNum(c0)).attr('y', top).attr('width', fmtNum(Math.max(1, c1 - c0))).attr('height', fmtNum(bottom - top)), { fill: theme.context });
  }
  const ys = data.values.filter((v): v is number => v !== null && Number.isFinite(v));
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ys) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) [lo, hi] = [(lo === Infinity ? 0 : lo) - 1, (hi === -Infinity ? 0 : hi) + 1];
  const y = scaleLinear().domain([lo, hi]).range([bottom - 2, top + 2]);
  const d = line<number>()
    .defined((k) => data.values[k] !== null && Number.isFinite(data.values[k] as number))
    .x((k) => Math.round(g.x(data.index[k]) * 100) / 100)
    .y((k) => Math.round(y(data.values[k] as number) * 100) / 100)(data.index.map((_, k) => k));
  styles(svg.append('path').attr('class', 'overview-line').attr('d', d ?? ''), { fill: 'none', stroke: theme.muted, 'stroke-width': 1 });
  const b0 = g.x(options.domain[0]);
  const b1 = Math.max(b0 + 2, g.x(options.domain[1]));
  const brush = svg.append('g').attr('class', 'brush').attr('data-start', fmtNum(options.domain[0])).attr('data-end', fmtNum(options.domain[1]));
  styles(brush.append('rect').attr('class', 'selection').attr('x', fmtNum(b0)).attr('y', 1).attr('width', fmtNum(b1 - b0)).attr('height', fmtNum(height - 2)).attr('rx', 2), {
    fill: theme.accent,
    'fill-opacity': 0.08,
    stroke: theme.accent,
    'stroke-width': 1,
  });
  return svg.node() as SVGSVGElement;
}
