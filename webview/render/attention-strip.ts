/**
 * The attention strip mark: one query's attention over the context as bars, drawn under the series
 * chart on the same x axis, with the earlier copies of the query's token and the positions right
 * after them marked, and the query itself as a rule. renderAttentionStrip makes it;
 * updateAttentionStrip redraws it in place for another query (what a hover does). With
 * `bars: 'canvas'` the bars go on a canvas (drawAttentionBars) under an SVG that keeps every bar's
 * position and weight: a live view redraws hundreds of bars per hover without restyling hundreds of
 * SVG elements. Over patches (Chronos-Bolt) a position's bar spans its patch's rows.
 */
import { select } from 'd3';
import { createSvg, fmtNum, resolveDocument, styles, SVG_NS, text, type RenderTarget } from './dom';
import { fmtScore } from './format';
import type { SeriesLayout } from './series-chart';
import { rowsOfPosition, type PositionRows } from './series-domain';
import { cssVarTheme, type ChartTheme } from './theme';

export interface AttentionStripData {
  /** Attention weight to each context position (one row of the lens). */
  weights: readonly number[];
  /** Data row of context position 0. */
  contextStart: number;
  /** The query, as a data row (encoder: a context row; cross: the forecast step's row). */
  queryRow?: number;
  /** Context positions holding the query's token, and the positions right after them. */
  sameToken?: readonly number[];
  nextToken?: readonly number[];
  /** Caption at the left, e.g. "L3.H5" or "max over heads, layer 3". */
  label?: string;
  /** The context window with its patches (Chronos-Bolt): a position's bar spans its patch's rows. */
  context?: PositionRows;
}

/** Rows [first, last] of context position `p` (one row without patches). */
function rowsOf(data: AttentionStripData, p: number): [number, number] {
  return data.context?.patches ? rowsOfPosition(data.context, p) : [data.contextStart + p, data.contextStart + p];
}

export interface AttentionStripOptions extends RenderTarget {
  /** The chart's layout, so the strip lines up with it. */
  layout: Pick<SeriesLayout, 'width' | 'margin' | 'x'>;
  height?: number;
  theme?: ChartTheme;
  background?: boolean;
  /**
   * Where the bars are drawn. 'svg' (the default): rects sized and shaded by weight. 'canvas': the
   * caller draws them with drawAttentionBars on a canvas under the SVG, and the SVG keeps one
   * transparent full-height rect per bar with its position and weight (data-position, data-weight,
   * a title when the bars are wide enough) for tooltips, tests and screen readers; a hover then
   * changes no geometry and no presentation attribute, so nothing is restyled or laid out again.
   */
  bars?: 'svg' | 'canvas';
}

/** The caption's line above the bars (beside them it would need a margin as wide as the longest caption). */
const LABEL_ROW = 14;

function stripBox(options: Pick<AttentionStripOptions, 'height'>): { height: number; top: number; h: number } {
  const height = options.height ?? 54;
  const top = 4 + LABEL_ROW;
  return { height, top, h: height - top - 12 };
}

/**
 * Calls `bar` for each bar drawn (a positive weight inside the visible rows): its context position,
 * data row, weight, left x and width (px), height (px) and opacity.
 */
function eachBar(
  data: AttentionStripData,
  options: Pick<AttentionStripOptions, 'layout' | 'height'>,
  bar: (p: number, row: number, w: number, x: number, width: number, height: number, opacity: number) => void,
): void {
  const { x } = options.layout;
  const { h } = stripBox(options);
  let max = 1e-12;
  for (const w of data.weights) if (Number.isFinite(w) && w > max) max = w;
  const cellW = Math.abs(x(data.contextStart + 1) - x(data.contextStart));
  const bw = Math.max(1, cellW);
  const [d0, d1] = x.domain();
  for (let p = 0; p < data.weights.length; p++) {
    const w = data.weights[p];
    const [row, last] = rowsOf(data, p);
    if (!Number.isFinite(w) || w <= 0 || last < d0 - 1 || row > d1 + 1) continue;
    // a patch's bar spans its rows (less a sliver, so neighbouring patches stay apart)
    const left = last > row ? x(row - 0.5) + 0.5 : x(row) - bw / 2;
    const width = last > row ? Math.max(1, x(last + 0.5) - x(row - 0.5) - 1) : bw;
    bar(p, row, w, left, width, Math.max(0.5, (w / max) * h), 0.35 + 0.65 * (w / max));
  }
}

export interface AttentionBarsOptions extends Pick<AttentionStripOptions, 'layout' | 'height'> {
  /** The bars' colour, concrete (a canvas cannot resolve CSS variables). */
  fill: string;
  /** Canvas pixels per SVG unit (devicePixelRatio). Default 1. */
  scale?: number;
}

/** The bars of a `bars: 'canvas'` strip on a canvas of (layout width × height) · scale pixels, as the SVG would draw them. */
export function drawAttentionBars(ctx: CanvasRenderingContext2D, data: AttentionStripData, options: AttentionBarsOptions): void {
  const scale = options.scale ?? 1;
  const { height, top, h } = stripBox(options);
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.clearRect(0, 0, options.layout.width, height);
  ctx.fillStyle = options.fill;
  eachBar(data, options, (_p, _row, _w, bx, bw, bh, opacity) => {
    ctx.globalAlpha = opacity;
    ctx.fillRect(bx, top + h - bh, bw, bh);
  });
  ctx.globalAlpha = 1;
}

/** One query's attention over the context, drawn under the series chart with the same x axis. */
export function renderAttentionStrip(data: AttentionStripData, options: AttentionStripOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const { margin, width } = options.layout;
  const { height, top, h } = stripBox(options);
  const svg = createSvg(doc, width, height, 'cl-attention-strip');
  svg.attr('role', 'img');
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(width)).attr('height', fmtNum(height)), { fill: theme.background });
  text(svg, margin.left, top - 4, '', theme, { size: theme.fontSize - 2, fill: theme.muted, className: 'strip-label' });
  styles(svg.append('rect').attr('class', 'strip-frame').attr('x', fmtNum(margin.left)).attr('y', top).attr('width', fmtNum(width - margin.left - margin.right)).attr('height', fmtNum(h)), {
    fill: 'none',
    stroke: theme.grid,
  });
  // Bars share one fill (set on the group); each bar's opacity is a presentation attribute.
  styles(svg.append('g').attr('class', 'weights'), { fill: theme.accent });
  svg.append('g').attr('class', 'marks');
  styles(svg.append('line').attr('class', 'query').attr('y1', top).attr('y2', fmtNum(top + h)), { stroke: theme.marked, 'stroke-width': 1.5 });
  const node = svg.node() as SVGSVGElement;
  updateAttentionStrip(node, data, { ...options, theme });
  return node;
}

/** What each bar of a strip shows where it does not change between redraws. */
const barState = new WeakMap<Element, { p: number; x: string; w: string }>();

/**
 * Redraws a strip made by renderAttentionStrip with the same options (layout, height, theme) for
 * other data, in place: the bar elements are reused, so a hover changes attributes instead of
 * building the strip again. The result is the same as a fresh renderAttentionStrip.
 */
export function updateAttentionStrip(svgNode: SVGSVGElement, data: AttentionStripData, options: AttentionStripOptions): void {
  const theme = options.theme ?? cssVarTheme();
  const { x } = options.layout;
  const { top, h } = stripBox(options);
  const doc = svgNode.ownerDocument;
  svgNode.setAttribute('aria-label', `Attention over ${data.weights.length} ${data.context?.patches ? 'patches' : 'context positions'}${data.label ? `, ${data.label}` : ''}`);
  const label = svgNode.querySelector('.strip-label');
  if (label) label.textContent = data.label ?? '';
  const g = svgNode.querySelector('.weights') as SVGGElement;
  const canvas = options.bars === 'canvas';
  let k = 0;
  const bars = g.children;
  const cellW = Math.abs(x(data.contextStart + 1) - x(data.contextStart));
  eachBar(data, options, (p, row, w, bx, bw, bh, opacity) => {
    let r = bars[k] as SVGRectElement | undefined;
    if (!r) {
      r = doc.createElementNS(SVG_NS, 'rect') as SVGRectElement;
      r.setAttribute('class', 'weight');
      if (canvas) {
        // a transparent target the height of the strip: only its data change between hovers
        r.setAttribute('fill-opacity', '0');
        r.setAttribute('y', String(top));
        r.setAttribute('height', fmtNum(h));
      }
      g.appendChild(r);
    }
    k++;
    const rx = fmtNum(bx);
    const rw = fmtNum(bw);
    // Attributes are only written when they change (most bars keep their position between hovers).
    const was = barState.get(r);
    if (!was || was.p !== p || was.x !== rx || was.w !== rw) {
      r.setAttribute('data-position', String(p));
      r.setAttribute('x', rx);
      r.setAttribute('width', rw);
      barState.set(r, { p, x: rx, w: rw });
    }
    r.setAttribute('data-weight', String(w));
    if (!canvas) {
      r.setAttribute('y', fmtNum(top + h - bh));
      r.setAttribute('height', fmtNum(bh));
      r.setAttribute('fill-opacity', fmtNum(opacity));
    }
    const tip = r.firstElementChild;
    if (cellW >= 3 || data.context?.patches) {
      const t = tip ?? r.appendChild(doc.createElementNS(SVG_NS, 'title'));
      const [, last] = rowsOf(data, p);
      t.textContent = last > row ? `patch ${p + 1} (rows ${row + 1}–${last + 1}): ${fmtScore(w)}` : `position ${p + 1} (row ${row + 1}): ${fmtScore(w)}`;
    } else tip?.remove();
  });
  while (bars.length > k) bars[bars.length - 1].remove();
  const marks = select(svgNode.querySelector('.marks') as SVGGElement);
  marks.selectAll('*').remove();
  for (const [positions, cls, colour] of [
    [data.sameToken, 'same-token', theme.sameToken],
    [data.nextToken, 'next-token', theme.nextToken],
  ] as const) {
    for (const p of positions ?? []) {
      const cx = x(rowsOf(data, p)[0]);
      styles(marks.append('path').attr('class', cls).attr('data-position', p).attr('d', `M${fmtNum(cx)},${fmtNum(top + h + 1)}l4,6h-8z`), { fill: colour });
    }
  }
  const q = svgNode.querySelector('.query') as SVGLineElement;
  if (data.queryRow !== undefined) {
    const qx = fmtNum(x(data.queryRow));
    q.setAttribute('x1', qx);
    q.setAttribute('x2', qx);
    q.removeAttribute('visibility');
  } else q.setAttribute('visibility', 'hidden');
}
