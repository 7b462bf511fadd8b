/**
 * Direct attribution as bars: one horizontal bar per component of the residual stream (the token
 * embedding, every self- and cross-attention head, every feed-forward block, and the frozen
 * normaliser for log-probabilities), in the result's order (layer by layer), with the total (the
 * sum of the parts) as the last bar. Pure: (result, options) → a new <svg>.
 */
import { scaleLinear, type ScaleLinear } from 'd3';
import type { AttributionComponent, AttributionResult } from '../../analysis/types';
import { createSvg, fmtNum, type LabelledRowsFrame, type RenderTarget, resolveDocument, styles, text, textWidth } from './dom';
import { fmtMetric, fmtSigned } from './format';
import { readoutMark } from './readout';
import { cssVarTheme, type ChartTheme } from './theme';

export interface AttributionBarsOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Total width in px (default 760; at least 320 is laid out without clipping). */
  width?: number;
  /** Height of one bar's row in px (default 16). */
  rowHeight?: number;
  background?: boolean;
}

export interface AttributionRow {
  label: string;
  value: number;
  /** The total (sum of the parts), drawn last. */
  total: boolean;
  component?: AttributionComponent;
  y: number;
}

export interface AttributionLayout extends LabelledRowsFrame {
  x: ScaleLinear<number, number>;
  rows: AttributionRow[];
}

const TARGET_LABEL: Record<AttributionResult['target']['kind'], string> = {
  logit: 'logit',
  logprob: 'log-probability',
  expected: 'expected value (linearised)',
};

/** "logit of token 2223 (12.67) at step 2" */
export function attributionTargetText(r: Pick<AttributionResult, 'target'>): string {
  const t = r.target;
  return t.kind === 'expected' ? `${TARGET_LABEL.expected} at step ${t.step}` : `${TARGET_LABEL[t.kind]} of token ${t.token} (${fmtMetric(t.tokenValue)}) at step ${t.step}`;
}

/** "decoder:L1.H2" → "self L1.H2", "cross:L0.H3" → "cross L0.H3", "decoder:L1.ff" → "ff L1". */
export function componentLabel(c: AttributionComponent): string {
  switch (c.kind) {
    case 'self_head':
      return `self L${c.layer}.H${c.head}`;
    case 'cross_head':
      return `cross L${c.layer}.H${c.head}`;
    case 'ff':
      return `ff L${c.layer}`;
    default:
      return c.component;
  }
}

export function attributionLayout(result: Pick<AttributionResult, 'components' | 'total'>, opts: Pick<AttributionBarsOptions, 'width' | 'rowHeight' | 'theme'> = {}): AttributionLayout {
  const theme = opts.theme ?? cssVarTheme();
  const width = Math.max(320, opts.width ?? 760);
  const rowHeight = opts.rowHeight ?? 16;
  const labels = result.components.map(componentLabel);
  const labelWidth = Math.max(60, ...labels.map((l) => textWidth(l, theme.fontSize - 1) + 8));
  const plotLeft = labelWidth + 8;
  // room on the right for the largest value's label
  const plotRight = width - 64;
  const top = 22;
  const rows: AttributionRow[] = result.components.map((c, i) => ({ label: labels[i], value: c.value, total: false, component: c, y: top + i * rowHeight }));
  rows.push({ label: 'total', value: result.total, total: true, y: top + result.components.length * rowHeight + 6 });
  const values = rows.map((r) => r.value).filter(Number.isFinite);
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const x = scaleLinear()
    .domain(lo === hi ? [-1, 1] : [lo, hi])
    .range([plotLeft, plotRight])
    .nice(6);
  return { width, height: rows[rows.length - 1].y + rowHeight + 22, labelWidth, plotLeft, plotRight, rowHeight, x, rows };
}

export function renderAttributionBars(result: Pick<AttributionResult, 'components' | 'total' | 'target'>, options: AttributionBarsOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const L = attributionLayout(result, { ...options, theme });
  const svg = createSvg(doc, L.width, L.height, 'cl-attribution-bars');
  svg.attr('role', 'img').attr('aria-label', `Direct attribution of the ${attributionTargetText(result)}: ${result.components.length} parts summing to ${fmtMetric(result.total)}`);
  styles(svg, { 'font-family': theme.fontFamily });
  if (options.background) styles(svg.append('rect').attr('class', 'background').attr('width', fmtNum(L.width)).attr('height', fmtNum(L.height)), { fill: theme.background });
  const x0 = L.x(0);
  // axis on top: ticks and grid lines
  const axis = svg.append('g').attr('class', 'axis').attr('aria-hidden', 'true');
  const bottom = L.height - 22;
  for (const t of L.x.ticks(Math.max(2, Math.floor((L.plotRight - L.plotLeft) / 70)))) {
    styles(axis.append('line').attr('x1', fmtNum(L.x(t))).attr('x2', fmtNum(L.x(t))).attr('y1', 18).attr('y2', fmtNum(bottom)), { stroke: theme.grid, 'stroke-width': t === 0 ? 0 : 1 });
    text(axis, L.x(t), 14, fmtMetric(t), theme, { anchor: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
  }
  styles(axis.append('line').attr('class', 'zero').attr('x1', fmtNum(x0)).attr('x2', fmtNum(x0)).attr('y1', 18).attr('y2', fmtNum(bottom)), { stroke: theme.foreground, 'stroke-width': 1 });
  const bars = svg.append('g').attr('class', 'bars');
  const barH = Math.max(4, L.rowHeight - 4);
  for (const row of L.rows) {
    const c = row.component;
    const g = readoutMark(bars.append('g'), `${row.total ? `total (${TARGET_LABEL[result.target.kind]})` : c?.component ?? row.label}: ${fmtSigned(row.value)}`, row.total ? 'bar total' : 'bar');
    g.attr('data-value', String(row.value)).attr('data-x', fmtNum(L.x(row.value)));
    if (c) {
      g.attr('data-kind', c.kind);
      if (c.layer !== null) g.attr('data-layer', String(c.layer));
      if (c.head !== null) g.attr('data-head', String(c.head));
    }
    if (row.total) styles(g.append('line').attr('x1', fmtNum(L.plotLeft)).attr('x2', fmtNum(L.plotRight)).attr('y1', fmtNum(row.y - 4)).attr('y2', fmtNum(row.y - 4)), { stroke: theme.grid });
    text(g, L.labelWidth, row.y + L.rowHeight / 2, row.label, theme, { anchor: 'end', baseline: 'middle', size: theme.fontSize - 1, weight: row.total ? 600 : undefined, className: 'bar-label' });
    const xv = Number.isFinite(row.value) ? L.x(row.value) : x0;
    const fill = row.total ? theme.foreground : row.value >= 0 ? theme.forecast : theme.marked;
    styles(
      g
        .append('rect')
        .attr('class', 'bar-fill')
        .attr('x', fmtNum(Math.min(x0, xv)))
        .attr('y', fmtNum(row.y + (L.rowHeight - barH) / 2))
        .attr('width', fmtNum(Math.max(1, Math.abs(xv - x0))))
        .attr('height', fmtNum(barH)),
      { fill },
    );
    if (row.total) text(g, Math.max(x0, xv) + 4, row.y + L.rowHeight / 2, fmtMetric(row.value), theme, { baseline: 'middle', size: theme.fontSize - 1, weight: 600, className: 'total-value' });
  }
  text(svg, L.plotLeft, L.height - 6, `${TARGET_LABEL[result.target.kind]} contribution (final norm scale frozen)`, theme, { size: theme.fontSize - 1, fill: theme.muted, className: 'axis-title' });
  return svg.node() as SVGSVGElement;
}
