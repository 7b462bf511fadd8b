/**
 * The periodicity strip mark: the detected period and every encoder head's periodic attention score
 * (attention mass at multiples of the period, or of its lag in patches for Chronos-Bolt, over a uniform
 * head's), one cell per head grouped by layer, aligned with the series chart's plot area.
 */
import type { PeriodicityResult } from '../../analysis/types';
import { heatScale } from './colors';
import { createSvg, fmtNum, resolveDocument, styles, text, textWidth, title, type RenderTarget } from './dom';
import { fmtMetric, fmtScore } from './format';
import { cssVarTheme, type ChartTheme } from './theme';

export interface PeriodicityStripOptions extends RenderTarget {
  theme?: ChartTheme;
  width: number;
  /** The chart's left and right margins, to line up with its plot area. */
  left?: number;
  right?: number;
  selected?: { layer: number; head: number };
  /** Focusable cells (click / keyboard selects a head). */
  interactive?: boolean;
}

/**
 * The detected period and, per encoder head, the ratio of its attention mass at multiples of the
 * period to a uniform head's: a caption, then one cell per head grouped by layer (aligned with the
 * chart's plot area from `left`), coloured on a shared scale from 1× (no more than uniform: grey).
 */
export function renderPeriodicityStrip(p: PeriodicityResult, options: PeriodicityStripOptions): SVGSVGElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const ratio = p.headScores.ratio;
  const layers = ratio.length;
  const heads = Math.max(0, ...ratio.map((r) => r.length));
  const width = options.width;
  const left = options.left ?? 40;
  const right = options.right ?? 4;
  const main = p.periods[0];
  const period = p.headScores.period;
  const all = ratio.flat().filter(Number.isFinite);
  const hi = Math.max(2, ...all);
  const heading = `Periodic attention · period ${period}`;
  // Over patches (Chronos-Bolt) the lag is in patches: the nearest patch to each multiple.
  const lag = p.headScores.lag;
  const lags = lag === undefined ? `lags k·${period} (±1)` : `lags k·${fmtMetric(lag)} patches (nearest)`;
  const detail = main ? `autocorrelation ${main.strength.toFixed(2)} · cell: attention at ${lags} over a uniform head's, 1× – ${hi.toFixed(1)}×` : `given period · cell: attention at ${lags} over a uniform head's`;
  const headSize = theme.fontSize - 1;
  const detailSize = theme.fontSize - 2;
  // bold text runs wider than textWidth's estimate
  const headW = textWidth(heading, headSize) * 1.08;
  const lineH = theme.fontSize + 2;
  // the heading and the detail on one line when they fit; else the detail wrapped under the heading
  const oneLine = left + headW + 16 + textWidth(detail, detailSize) <= width - right;
  const detailLines = oneLine ? [detail] : wrapParts(detail.split(' · '), ' · ', width - right, detailSize);
  const headX = Math.max(0, Math.min(left, width - right - headW));
  const cellsTop = oneLine ? 18 : 18 + detailLines.length * lineH;
  const cellH = 16;
  const height = cellsTop + cellH + 16;
  const svg = createSvg(doc, width, height, 'cl-periodicity-strip');
  svg.attr('role', options.interactive ? 'grid' : 'img').attr('aria-label', `Periodic attention per head at lag ${period}`);
  styles(svg, { 'font-family': theme.fontFamily });
  const cap = text(svg, headX, 10, heading, theme, { baseline: 'middle', size: headSize, weight: 600, className: 'period' });
  cap.attr('data-period', period);
  detailLines.forEach((line, i) =>
    oneLine
      ? text(svg, width - right, 10, line, theme, { anchor: 'end', baseline: 'middle', size: detailSize, fill: theme.muted, className: 'strength' })
      : text(svg, 0, 10 + (i + 1) * lineH, line, theme, { baseline: 'middle', size: detailSize, fill: theme.muted, className: 'strength' }),
  );
  const groupGap = 6;
  const avail = width - left - right - groupGap * Math.max(0, layers - 1);
  const cw = Math.max(3, Math.min(24, avail / Math.max(1, layers * heads)));
  const scale = heatScale([1, hi], 'viridis');
  for (let l = 0; l < layers; l++) {
    const gx = left + l * (heads * cw + groupGap);
    const row = svg.append('g').attr('class', 'layer').attr('data-layer', l);
    if (options.interactive) row.attr('role', 'row');
    for (let h = 0; h < heads; h++) {
      const v = ratio[l]?.[h];
      const sel = options.selected?.layer === l && options.selected?.head === h;
      const cell = row.append('g').attr('class', `pcell${sel ? ' selected' : ''}`).attr('data-layer', l).attr('data-head', h).attr('data-ratio', String(v));
      const label = `L${l}.H${h}: ${fmtScore(v)}× a uniform head's attention at lags of ${lag === undefined ? period : `${fmtMetric(lag)} patches (${period} values)`} (mass ${fmtScore(p.headScores.mass[l]?.[h])})`;
      if (options.interactive) cell.attr('role', 'gridcell').attr('aria-label', label);
      title(cell, label);
      const above = Number.isFinite(v) && (v as number) > 1;
      // at or below a uniform head's attention: an empty cell
      styles(cell.append('rect').attr('x', fmtNum(gx + h * cw + (above ? 0 : 0.5))).attr('y', cellsTop + (above ? 0 : 0.5)).attr('width', fmtNum(Math.max(1, cw - (above ? 1 : 2)))).attr('height', above ? cellH : cellH - 1), {
        fill: above ? scale(v as number) : 'none',
        stroke: above ? 'none' : theme.grid,
        'stroke-width': above ? 0 : 1,
      });
      if (sel) {
        styles(cell.append('rect').attr('class', 'sel-halo').attr('x', fmtNum(gx + h * cw - 1.5)).attr('y', cellsTop - 1.5).attr('width', fmtNum(Math.max(1, cw - 1) + 3)).attr('height', cellH + 3), { fill: 'none', stroke: theme.background, 'stroke-width': 3 });
        styles(cell.append('rect').attr('class', 'sel-ring').attr('x', fmtNum(gx + h * cw - 1.5)).attr('y', cellsTop - 1.5).attr('width', fmtNum(Math.max(1, cw - 1) + 3)).attr('height', cellH + 3), { fill: 'none', stroke: theme.foreground, 'stroke-width': 1.5 });
      }
    }
    text(svg, gx + (heads * cw) / 2, cellsTop + cellH + 10, `L${l}`, theme, { anchor: 'middle', size: theme.fontSize - 2, fill: theme.muted, className: 'tick' });
  }
  return svg.node() as SVGSVGElement;
}

/** Parts joined by `sep` into lines no wider than `max` px (a part wider than that gets a line of its own). */
function wrapParts(parts: string[], sep: string, max: number, size: number): string[] {
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.length ? lines[lines.length - 1] : undefined;
    if (last !== undefined && textWidth(last + sep + part, size) <= max) lines[lines.length - 1] = last + sep + part;
    else lines.push(part);
  }
  return lines;
}
