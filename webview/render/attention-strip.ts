/**
 * The attention strip mark: one query's attention over the context as bars, drawn under the series
 * chart on the same x axis, with the earlier copies of the query's token and the positions right
 * after them marked, and the query itself as a rule. renderAttentionStrip makes it;
 * updateAttentionStrip redraws it in place for another query (what a hover does).
 */
import { select } from 'd3';
import { createSvg, fmtNum, resolveDocument, styles, SVG_NS, text, type RenderTarget } from './dom';
import { fmtScore } from './format';
import type { SeriesLayout } from './series-chart';
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
}

export interface AttentionStripOptions extends RenderTarget {
  /** The chart's layout, so the strip lines up with it. */
  layout: Pick<SeriesLayout, 'width' | 'margin' | 'x'>;
  height?: number;
  theme?: ChartTheme;
  background?: boolean;
}

/** One query's attention over the context, drawn under the series chart with the same x axis. */
export function renderAttentionStrip(data: AttentionStripData, options: AttentionStripOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const { margin, width } = options.layout;
  const height = options.height ?? 40;
  const top = 4;
  const h = height - top - 12;
  const svg = createSvg(doc, width, height, 'cl-attention-strip');
  svg.attr('role', 'img');
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(width)).attr('height', fmtNum(height)), { fill: theme.background });
  text(svg, margin.left - 6, top + h / 2, '', theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'strip-label' });
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
  const height = options.height ?? 40;
  const top = 4;
  const h = height - top - 12;
  const doc = svgNode.ownerDocument;
  svgNode.setAttribute('aria-label', `Attention over ${data.weights.length} context positions${data.label ? `, ${data.label}` : ''}`);
  const label = svgNode.querySelector('.strip-label');
  if (label) label.textContent = data.label ?? '';
  const g = svgNode.querySelector('.weights') as SVGGElement;
  let max = 1e-12;
  for (const w of data.weights) if (Number.isFinite(w) && w > max) max = w;
  const cellW = Math.abs(x(data.contextStart + 1) - x(data.contextStart));
  const bw = fmtNum(Math.max(1, cellW));
  const [d0, d1] = x.domain();
  let k = 0;
  const bars = g.children;
  for (let p = 0; p < data.weights.length; p++) {
    const w = data.weights[p];
    const row = data.contextStart + p;
    if (!Number.isFinite(w) || w <= 0 || row < d0 - 1 || row > d1 + 1) continue;
    let r = bars[k] as SVGRectElement | undefined;
    if (!r) {
      r = doc.createElementNS(SVG_NS, 'rect') as SVGRectElement;
      r.setAttribute('class', 'weight');
      g.appendChild(r);
    }
    k++;
    const bh = Math.max(0.5, (w / max) * h);
    const bx = fmtNum(x(row) - Math.max(1, cellW) / 2);
    // Attributes are only written when they change (most bars keep their position between hovers).
    const was = barState.get(r);
    if (!was || was.p !== p || was.x !== bx || was.w !== bw) {
      r.setAttribute('data-position', String(p));
      r.setAttribute('x', bx);
      r.setAttribute('width', bw);
      barState.set(r, { p, x: bx, w: bw });
    }
    r.setAttribute('data-weight', String(w));
    r.setAttribute('y', fmtNum(top + h - bh));
    r.setAttribute('height', fmtNum(bh));
    r.setAttribute('fill-opacity', fmtNum(0.35 + 0.65 * (w / max)));
    const tip = r.firstElementChild;
    if (cellW >= 3) {
      const t = tip ?? r.appendChild(doc.createElementNS(SVG_NS, 'title'));
      t.textContent = `position ${p} (row ${row}): ${fmtScore(w)}`;
    } else tip?.remove();
  }
  while (bars.length > k) bars[bars.length - 1].remove();
  const marks = select(svgNode.querySelector('.marks') as SVGGElement);
  marks.selectAll('*').remove();
  for (const [positions, cls, colour] of [
    [data.sameToken, 'same-token', theme.sameToken],
    [data.nextToken, 'next-token', theme.nextToken],
  ] as const) {
    for (const p of positions ?? []) {
      const cx = x(data.contextStart + p);
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
