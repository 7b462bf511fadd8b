/**
 * The group-attention matrix mark (Chronos-2): for one head at one token index, how much each series
 * (row, the reader) reads from each series (column) of the task, as a small heatmap with the series'
 * names on both sides. One <svg> per head; the selected head is outlined. Its accessible name states
 * each series' strongest source, so a screen reader hears what the picture shows.
 */
import { heatScale } from './colors';
import { createSvg, fmtNum, resolveDocument, styles, text, textWidth, title, type RenderTarget } from './dom';
import { fmtScore } from './format';
import { cssVarTheme, type ChartTheme } from './theme';

export interface GroupMatrixData {
  /** The task's series, in the model's order. */
  series: readonly string[];
  /** [i][j]: how much series i reads from series j. */
  matrix: readonly (readonly number[])[];
  /** e.g. "L1.H2". */
  label: string;
  selected?: boolean;
}

export interface GroupMatrixOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Side of a cell in px (default 22). */
  cell?: number;
  /** Longest series name drawn, in characters (longer names are cut with an ellipsis; the tooltip has them whole). */
  maxName?: number;
}

function short(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, Math.max(1, n - 1))}…` : s;
}

/** One head's series × series matrix (see the module comment). */
export function renderGroupMatrix(d: GroupMatrixData, options: GroupMatrixOptions = {}): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const n = d.series.length;
  const cell = options.cell ?? 22;
  const size = theme.fontSize - 2;
  const names = d.series.map((s) => short(s, options.maxName ?? 10));
  // textWidth estimates; names run a little wider in most fonts
  const left = Math.ceil(1.25 * Math.max(...names.map((s) => textWidth(s, size)))) + 8;
  const top = 16 + Math.ceil(size * 1.2);
  const width = left + n * cell + 2;
  const height = top + n * cell + 2;
  const svg = createSvg(doc, width, height, `cl-group-matrix${d.selected ? ' selected' : ''}`);
  const strongest = d.matrix.map((row, i) => {
    let j = 0;
    row.forEach((v, k) => (v > row[j] ? (j = k) : undefined));
    return `${d.series[i]} reads ${j === i ? 'itself' : d.series[j]} most (${fmtScore(row[j])})`;
  });
  svg.attr('role', 'img').attr('aria-label', `Group attention ${d.label}: ${strongest.join('; ')}`).attr('data-label', d.label);
  styles(svg, { 'font-family': theme.fontFamily });
  text(svg, 0, 8, d.label, theme, { baseline: 'middle', size: theme.fontSize - 1, weight: d.selected ? 600 : 400, className: 'head-label' });
  names.forEach((s, j) => text(svg, left + (j + 0.5) * cell, top - 4, s.length > 3 ? s.slice(0, 3) : s, theme, { anchor: 'middle', size, fill: theme.muted, className: 'col-name' }));
  const scale = heatScale([0, 1], 'viridis');
  d.matrix.forEach((row, i) => {
    text(svg, left - 4, top + (i + 0.5) * cell, names[i], theme, { anchor: 'end', baseline: 'middle', size, fill: theme.muted, className: 'row-name' });
    row.forEach((v, j) => {
      const r = svg
        .append('rect')
        .attr('class', 'gcell')
        .attr('data-from', i)
        .attr('data-to', j)
        .attr('data-weight', String(v))
        .attr('x', fmtNum(left + j * cell + 0.5))
        .attr('y', fmtNum(top + i * cell + 0.5))
        .attr('width', fmtNum(cell - 1))
        .attr('height', fmtNum(cell - 1));
      styles(r, { fill: scale(v), stroke: i === j ? theme.foreground : 'none', 'stroke-width': i === j ? 0.5 : 0 });
      title(r, `${d.label}: ${d.series[i]} reads ${d.series[j]}: ${fmtScore(v)}`);
    });
  });
  if (d.selected) styles(svg.append('rect').attr('class', 'sel-ring').attr('x', fmtNum(left - 1)).attr('y', fmtNum(top - 1)).attr('width', fmtNum(n * cell + 2)).attr('height', fmtNum(n * cell + 2)), { fill: 'none', stroke: theme.accent, 'stroke-width': 1.5 });
  return svg.node() as SVGSVGElement;
}
