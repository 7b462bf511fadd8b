/**
 * The head sparklines mark: small multiples of one query's attention rows, layers × heads, each
 * scaled to its own maximum, optionally with a score under each (the head's induction score) and a
 * marker at a key position. renderHeadSparklines makes the grid; updateHeadSparklines redraws the
 * sparklines in place for another query (what a hover does). With `areas: 'canvas'` the areas and
 * markers go on a canvas over the grid (drawHeadSparklines) and a hover only relabels the cells.
 */
import type { LayerHead } from '../../analysis/types';
import { createSvg, fmtNum, resolveDocument, styles, SVG_NS, text, type RenderTarget } from './dom';
import { fmtScore } from './format';
import { cssVarTheme, type ChartTheme } from './theme';

export interface HeadSparklinesOptions extends RenderTarget {
  theme?: ChartTheme;
  cellWidth?: number;
  cellHeight?: number;
  selected?: { layer: number; head: number };
  /** Key position to mark in every sparkline (e.g. the query). */
  marker?: number;
  /** Score printed under each sparkline (e.g. the head's induction score). */
  scores?: LayerHead;
  /** Focusable cells (roving tabindex) with ARIA grid roles. */
  interactive?: boolean;
  background?: boolean;
  /**
   * Where the sparklines' areas and markers are drawn. 'svg' (the default): a path and a line per
   * cell. 'canvas': the caller draws them with drawHeadSparklines on a canvas laid over the SVG,
   * which keeps the cells, their labels (peak position and weight, the score) and the selection,
   * so a hover changes no SVG geometry.
   */
  areas?: 'svg' | 'canvas';
}

/** Size of the grid and of its cells. */
function gridBox(rows: readonly (readonly (readonly number[])[])[], options: Pick<HeadSparklinesOptions, 'cellWidth' | 'cellHeight' | 'scores'>) {
  const layers = rows.length;
  const heads = Math.max(0, ...rows.map((r) => r.length));
  const cw = options.cellWidth ?? 64;
  const ch = options.cellHeight ?? (options.scores ? 34 : 26);
  const gap = 4;
  const left = 30;
  const top = 18;
  return { layers, heads, cw, ch, gap, left, top, width: left + heads * (cw + gap), height: top + layers * (ch + gap), plotH: options.scores ? ch - 11 : ch };
}

export interface HeadSparklinesCanvasOptions extends Pick<HeadSparklinesOptions, 'cellWidth' | 'cellHeight' | 'scores' | 'marker'> {
  /** Concrete colours (a canvas cannot resolve CSS variables): the areas, the marker. */
  fill: string;
  marked: string;
  /** Canvas pixels per SVG unit (devicePixelRatio). Default 1. */
  scale?: number;
}

/** The canvas size (SVG units) of a grid of `rows`, the same as the SVG's. */
export function headSparklinesSize(rows: readonly (readonly (readonly number[])[])[], options: Pick<HeadSparklinesOptions, 'cellWidth' | 'cellHeight' | 'scores'>): { width: number; height: number } {
  const b = gridBox(rows, options);
  return { width: b.width, height: b.height };
}

/** The areas and markers of an `areas: 'canvas'` grid, where the SVG would draw them. */
export function drawHeadSparklines(ctx: CanvasRenderingContext2D, rows: readonly (readonly (readonly number[])[])[], options: HeadSparklinesCanvasOptions): void {
  const b = gridBox(rows, options);
  const scale = options.scale ?? 1;
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.clearRect(0, 0, b.width, b.height);
  ctx.lineWidth = 1;
  for (let l = 0; l < b.layers; l++) {
    for (let h = 0; h < b.heads; h++) {
      const r = rows[l]?.[h] ?? [];
      if (r.length < 2) continue;
      const gx = b.left + h * (b.cw + b.gap);
      const gy = b.top + l * (b.ch + b.gap);
      const area = sparkArea(r, b.cw, b.plotH);
      ctx.beginPath();
      ctx.moveTo(gx + area.px(0), gy + area.py(r[0]));
      for (let k = 1; k < r.length; k++) ctx.lineTo(gx + area.px(k), gy + area.py(r[k]));
      ctx.lineTo(gx + area.px(r.length - 1), gy + area.base);
      ctx.lineTo(gx + area.px(0), gy + area.base);
      ctx.closePath();
      ctx.globalAlpha = 0.35;
      ctx.fillStyle = options.fill;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = options.fill;
      ctx.stroke();
      const m = options.marker;
      if (m !== undefined && m >= 0 && m < r.length) {
        const mx = gx + area.sx(m);
        ctx.beginPath();
        ctx.moveTo(mx, gy + 2);
        ctx.lineTo(mx, gy + b.plotH - 2);
        ctx.strokeStyle = options.marked;
        ctx.stroke();
      }
    }
  }
}

/** A sparkline's geometry in its cell: key → x, weight → y (rounded as the SVG path writes them). */
function sparkArea(r: readonly number[], cw: number, plotH: number) {
  let max = 1e-12;
  for (const v of r) if (Number.isFinite(v) && v > max) max = v;
  const x0 = 2;
  const dx = (cw - 4) / (r.length - 1);
  const base = plotH - 2;
  const span = base - 3;
  return {
    base,
    px: (k: number) => Math.round((x0 + k * dx) * 100) / 100,
    py: (v: number) => Math.round((base - (Number.isFinite(v) ? v / max : 0) * span) * 100) / 100,
    sx: (k: number) => x0 + k * dx,
  };
}

/** Small multiples of `rows[layer][head][key]`; each sparkline scaled to its own maximum. */
export function renderHeadSparklines(rows: readonly (readonly (readonly number[])[])[], options: HeadSparklinesOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const { layers, heads, cw, ch, gap, left, top, width, height, plotH } = gridBox(rows, options);
  const svg = createSvg(doc, width, height, 'cl-head-sparklines');
  svg.attr('role', options.interactive ? 'grid' : 'img').attr('aria-label', `Attention of ${layers} layers × ${heads} heads`);
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(width)).attr('height', fmtNum(height)), { fill: theme.background });
  for (let h = 0; h < heads; h++) text(svg, left + h * (cw + gap) + cw / 2, top - 6, `H${h}`, theme, { anchor: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
  const sel = options.selected ?? { layer: 0, head: 0 };
  for (let l = 0; l < layers; l++) {
    const rowG = svg.append('g').attr('class', 'row').attr('data-layer', l);
    if (options.interactive) rowG.attr('role', 'row');
    text(rowG, left - 6, top + l * (ch + gap) + ch / 2, `L${l}`, theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
    for (let h = 0; h < heads; h++) {
      const gx = left + h * (cw + gap);
      const gy = top + l * (ch + gap);
      const isSel = options.selected?.layer === l && options.selected?.head === h;
      const g = rowG.append('g').attr('class', `spark${isSel ? ' selected' : ''}`).attr('data-layer', l).attr('data-head', h).attr('transform', `translate(${fmtNum(gx)},${fmtNum(gy)})`);
      if (options.interactive) g.attr('role', 'gridcell').attr('tabindex', sel.layer === l && sel.head === h ? 0 : -1).attr('aria-selected', isSel ? 'true' : 'false');
      styles(g.append('rect').attr('class', 'spark-bg').attr('width', cw).attr('height', ch).attr('rx', 2), {
        fill: theme.background,
        stroke: isSel ? theme.accent : theme.grid,
        'stroke-width': isSel ? 2 : 1,
      });
      if (options.areas !== 'canvas') {
        styles(g.append('path').attr('class', 'spark-area'), { fill: theme.accent, 'fill-opacity': 0.35, stroke: theme.accent, 'stroke-width': 1 });
        styles(g.append('line').attr('class', 'spark-marker').attr('y1', 2).attr('y2', fmtNum(plotH - 2)), { stroke: theme.marked, 'stroke-width': 1 });
      }
      if (options.scores) text(g, cw - 3, ch - 2, fmtScore(options.scores[l]?.[h]), theme, { anchor: 'end', size: 9, fill: theme.muted, className: 'spark-score' });
    }
  }
  const node = svg.node() as SVGSVGElement;
  updateHeadSparklines(node, rows, options);
  return node;
}

/**
 * Redraws a grid made by renderHeadSparklines with the same shape and options (cell size, scores,
 * selection) for other rows and marker, in place: only each sparkline's area, marker and label
 * change. The result is the same as a fresh renderHeadSparklines.
 */
export function updateHeadSparklines(svgNode: SVGSVGElement, rows: readonly (readonly (readonly number[])[])[], options: Pick<HeadSparklinesOptions, 'cellWidth' | 'cellHeight' | 'scores' | 'marker' | 'interactive' | 'areas'> = {}): void {
  const { cw, plotH } = gridBox(rows, options);
  for (const g of svgNode.querySelectorAll<SVGGElement>('.spark')) {
    const l = Number(g.getAttribute('data-layer'));
    const h = Number(g.getAttribute('data-head'));
    const r = rows[l]?.[h] ?? [];
    let peak = 0;
    for (let k = 1; k < r.length; k++) if (r[k] > r[peak]) peak = k;
    const label = `Layer ${l}, head ${h}${r.length ? `: peak at position ${peak + 1} (${fmtScore(r[peak])})` : ''}${options.scores ? `, induction score ${fmtScore(options.scores[l]?.[h])}` : ''}`;
    if (options.interactive) g.setAttribute('aria-label', label);
    else {
      let t = g.querySelector(':scope > title');
      if (!t) t = g.insertBefore(svgNode.ownerDocument.createElementNS(SVG_NS, 'title'), g.firstChild);
      t.textContent = label;
    }
    if (options.areas === 'canvas') continue;
    const path = g.querySelector('.spark-area') as SVGPathElement;
    const marker = g.querySelector('.spark-marker') as SVGLineElement;
    if (r.length > 1) {
      // The area under the row (as d3's area() writes it, built directly: this runs on every hover).
      const { base, px, py, sx } = sparkArea(r, cw, plotH);
      let d = `M${px(0)},${py(r[0])}`;
      for (let k = 1; k < r.length; k++) d += `L${px(k)},${py(r[k])}`;
      d += `L${px(r.length - 1)},${base}`;
      for (let k = r.length - 2; k >= 0; k--) d += `L${px(k)},${base}`;
      path.setAttribute('d', `${d}Z`);
      path.removeAttribute('visibility');
      if (options.marker !== undefined && options.marker >= 0 && options.marker < r.length) {
        const mx = fmtNum(sx(options.marker));
        marker.setAttribute('x1', mx);
        marker.setAttribute('x2', mx);
        marker.removeAttribute('visibility');
      } else marker.setAttribute('visibility', 'hidden');
    } else {
      path.setAttribute('visibility', 'hidden');
      marker.setAttribute('visibility', 'hidden');
    }
  }
}
