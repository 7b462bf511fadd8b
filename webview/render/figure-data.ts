/**
 * Data exports that need no DOM, shared by the webviews (export buttons) and the CLI
 * (cli/figures.ts): a Plotly-compatible figure JSON, like the background article's published
 * mosaics (two heatmaps sharing a colour axis, "Current token" / "Token to right", a dropdown
 * switching attention kinds), and CSV.
 */
import type { AblationResult, AttentionKind, ForecastResult, LayerHead, MosaicKind, MosaicResult } from '../../analysis/types';
import { ATTENTION_KINDS } from '../../protocol/mosaic';
import { controlStats } from './stats';
import { KIND_LABEL, SIDE_LABELS, headId, metricLabel, mosaicRepeatUnit, mosaicUnit } from './format';

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

function cellText(layers: number, heads: number): string[][] {
  return Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => `(l=${l}, h=${h})`));
}

function outlineShapes(m: MosaicKind, threshold: number): Record<string, unknown>[] {
  const shapes: Record<string, unknown>[] = [];
  (['center', 'right'] as const).forEach((side, i) => {
    const suffix = i === 0 ? '' : '2';
    m[side].forEach((row, l) =>
      row.forEach((v, h) => {
        if (v >= threshold) {
          shapes.push({ type: 'rect', xref: `x${suffix}`, yref: `y${suffix}`, x0: h - 0.5, x1: h + 0.5, y0: l - 0.5, y1: l + 0.5, line: { color: '#000000', width: 2 }, fillcolor: 'rgba(0,0,0,0)' });
        }
      }),
    );
  });
  return shapes;
}

function mosaicTitle(result: MosaicResult, kind: AttentionKind): string {
  return `Induction Mosaics – ${KIND_LABEL[kind]} – RF ${result.protocol.repeats}, SL ${result.protocol.patch ? mosaicRepeatUnit(result.protocol) : result.protocol.seqLen}, Model: ${result.model.name}`;
}

const HOVER = 'layer %{y}, head %{x}<br>score %{z:.3f} ± %{customdata:.3f}<extra>%{text}</extra>';

/**
 * The mosaic as a Plotly figure: center | right heatmaps of `kind` (default: the first present),
 * cells >= threshold outlined (layout shapes), and a dropdown to switch to the other kinds present.
 */
export function mosaicPlotlyFigure(result: MosaicResult, opts: { kind?: AttentionKind } = {}): PlotlyFigure {
  const kinds = ATTENTION_KINDS.filter((k) => result[k]);
  if (!kinds.length) throw new Error('The mosaic result has no attention kind to plot (cross, encoder or decoder).');
  const kind = opts.kind && result[opts.kind] ? opts.kind : kinds[0];
  const m = result[kind] as MosaicKind;
  const sides = SIDE_LABELS[mosaicUnit(result.protocol)];
  const trace = (z: LayerHead, se: LayerHead, axis: '' | '2', name: string) => ({
    type: 'heatmap',
    name,
    coloraxis: 'coloraxis',
    z,
    customdata: se,
    text: cellText(m.layers, m.heads),
    hovertemplate: HOVER,
    zmin: 0,
    zmax: 1,
    xaxis: `x${axis}`,
    yaxis: `y${axis}`,
  });
  const axis = (domain: [number, number], anchor: string) => ({ anchor, domain, title: { text: 'Head' }, dtick: 1 });
  const layout: Record<string, unknown> = {
    title: { text: mosaicTitle(result, kind) },
    xaxis: axis([0, 0.45], 'y'),
    yaxis: { anchor: 'x', domain: [0, 1], title: { text: 'Layer' }, dtick: 1, showticklabels: true },
    xaxis2: axis([0.55, 1], 'y2'),
    yaxis2: { anchor: 'x2', domain: [0, 1], matches: 'y', title: { text: 'Layer' }, dtick: 1, showticklabels: true },
    annotations: [
      { text: sides.center, x: 0.225, xref: 'paper', y: 1, yref: 'paper', xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 16 } },
      { text: sides.right, x: 0.775, xref: 'paper', y: 1, yref: 'paper', xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 16 } },
    ],
    coloraxis: { cmin: 0, cmax: 1, colorscale: 'Plasma', colorbar: { title: { text: 'Attention Score' } } },
    shapes: outlineShapes(m, result.threshold),
    margin: { r: 150, t: 100 },
    width: 1000,
    height: Math.max(500, 200 + 22 * m.layers),
    meta: {
      tool: 'chronos-lens',
      model: result.model.name,
      modelHash: result.model.hash,
      kind,
      threshold: result.threshold,
      protocol: result.protocol,
    },
  };
  if (kinds.length > 1) {
    layout.updatemenus = [
      {
        type: 'dropdown',
        active: kinds.indexOf(kind),
        showactive: true,
        x: 1.02,
        xanchor: 'left',
        y: 1.1,
        yanchor: 'top',
        buttons: kinds.map((k) => {
          const mk = result[k] as MosaicKind;
          return {
            label: KIND_LABEL[k],
            method: 'update',
            args: [
              { z: [mk.center, mk.right], customdata: [mk.stderr.center, mk.stderr.right], text: [cellText(mk.layers, mk.heads), cellText(mk.layers, mk.heads)] },
              { 'title.text': mosaicTitle(result, k), shapes: outlineShapes(mk, result.threshold) },
            ],
          };
        }),
      },
    ];
  }
  return { data: [trace(m.center, m.stderr.center, '', sides.center), trace(m.right, m.stderr.right, '2', sides.right)], layout };
}

/** RFC 4180 field quoting. */
function csvField(v: string | number | boolean): string {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
export function csvLine(fields: (string | number | boolean)[]): string {
  return fields.map(csvField).join(',');
}

/** One row per (kind, layer, head): scores, standard errors and whether the head passes the threshold. */
export function mosaicCsv(result: MosaicResult, opts: { kinds?: AttentionKind[] } = {}): string {
  const lines = [csvLine(['kind', 'layer', 'head', 'center', 'center_stderr', 'right', 'right_stderr', 'center_induction', 'right_induction'])];
  for (const k of opts.kinds ?? ATTENTION_KINDS) {
    const m = result[k];
    if (!m) continue;
    for (let l = 0; l < m.layers; l++) {
      for (let h = 0; h < m.heads; h++) {
        const c = m.center[l][h];
        const r = m.right[l][h];
        lines.push(csvLine([k, l, h, c, m.stderr.center[l][h], r, m.stderr.right[l][h], c >= result.threshold, r >= result.threshold]));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Per metric: the control distribution as a horizontal box with every point, the ablated and unablated values as markers. */
export function ablationPlotlyFigure(result: AblationResult): PlotlyFigure {
  const n = result.metrics.length;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: `Head ablation – ${result.heads.map(headId).join(', ')} (${result.method}) – Model: ${result.model.name}` },
    grid: { rows: n, columns: 1, pattern: 'independent', roworder: 'top to bottom' },
    showlegend: true,
    legend: { orientation: 'h', y: -0.08 },
    width: 900,
    height: 160 + 150 * n,
    meta: { tool: 'chronos-lens', model: result.model.name, modelHash: result.model.hash, method: result.method, heads: result.heads },
  };
  result.metrics.forEach((m, i) => {
    const ax = i === 0 ? '' : String(i + 1);
    const common = { xaxis: `x${ax}`, yaxis: `y${ax}`, legendgroup: '', showlegend: i === 0 };
    data.push({ ...common, type: 'box', orientation: 'h', name: 'controls', legendgroup: 'controls', x: m.controls, y: m.controls.map(() => metricLabel(m.name)), boxpoints: 'all', jitter: 0.5, pointpos: 0, marker: { color: '#6e7781', size: 5, opacity: 0.6 }, line: { color: '#6e7781' }, fillcolor: 'rgba(110,119,129,0.12)' });
    data.push({ ...common, type: 'scatter', mode: 'markers', name: 'unablated', legendgroup: 'unablated', x: [m.unablated], y: [metricLabel(m.name)], marker: { symbol: 'line-ns-open', size: 22, line: { width: 2, color: '#1f1f1f' } } });
    data.push({ ...common, type: 'scatter', mode: 'markers', name: 'ablated set', legendgroup: 'ablated', x: [m.ablated], y: [metricLabel(m.name)], marker: { symbol: 'diamond', size: 13, color: '#c72e0f', line: { width: 1, color: '#ffffff' } }, text: [`percentile ${m.percentile.toFixed(1)}, z = ${m.zScore.toFixed(2)}`] });
    layout[`xaxis${ax}`] = { title: { text: metricLabel(m.name) }, zeroline: false };
    layout[`yaxis${ax}`] = { showticklabels: false };
  });
  return { data, layout };
}

/** One row per metric: values, change, control summary, percentile, z-score, then every control value. */
export function ablationCsv(result: AblationResult): string {
  const maxControls = Math.max(0, ...result.metrics.map((m) => m.controls.length));
  const header = ['metric', 'heads', 'method', 'unablated', 'ablated', 'delta', 'control_n', 'control_mean', 'control_sd', 'percentile', 'z_score'];
  for (let i = 1; i <= maxControls; i++) header.push(`control_${i}`);
  const lines = [csvLine(header)];
  const heads = result.heads.map((h) => `${h.kind}:${headId(h)}`).join(' ');
  for (const m of result.metrics) {
    const s = controlStats(m.controls);
    lines.push(csvLine([m.name, heads, result.method, m.unablated, m.ablated, m.ablated - m.unablated, s.n, s.mean, s.sd, m.percentile, m.zScore, ...m.controls]));
  }
  return `${lines.join('\n')}\n`;
}

/** A file-name-safe slug. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'figure';
}

/** What the series view's figure exports are made of: the page's points, the context window and the forecast. */
export interface SeriesFigure {
  file: string;
  column: string;
  /** Displayed points: data-row index, value (null where missing), timestamp. */
  index: readonly number[];
  values: readonly (number | null)[];
  timestamps?: readonly string[];
  totalRows: number;
  /** The model's context window, data rows [start, end). */
  context: { start: number; end: number };
  forecast?: Pick<ForecastResult, 'quantileLevels' | 'quantiles' | 'mean' | 'timestamps' | 'numSamples'> & { model: { name: string; hash?: string } };
}

function levelName(q: number): string {
  return `q${Number(q.toFixed(4))}`;
}

/** The level closest to the median (the forecast line). */
function medianLevel(levels: readonly number[]): number {
  return levels.reduce((best, q, i) => (Math.abs(q - 0.5) < Math.abs(levels[best] - 0.5) ? i : best), 0);
}

/**
 * The model's input and output as a table: every row of the context window (its exact values) and then
 * one row per forecast step (row = totalRows + step) with the mean and each quantile.
 */
export function seriesCsv(f: SeriesFigure): string {
  const levels = f.forecast?.quantileLevels ?? [];
  const withTime = !!f.timestamps || !!f.forecast?.timestamps;
  const header = ['row', ...(withTime ? ['timestamp'] : []), f.column, ...(f.forecast ? ['forecast_mean', ...levels.map((q) => `forecast_${levelName(q)}`)] : [])];
  const lines = [csvLine(header)];
  const empty = f.forecast ? ['', ...levels.map(() => '')] : [];
  for (let i = 0; i < f.index.length; i++) {
    const row = f.index[i];
    if (row < f.context.start || row >= f.context.end) continue;
    const v = f.values[i];
    lines.push(csvLine([row, ...(withTime ? [f.timestamps?.[i] ?? ''] : []), v ?? '', ...empty]));
  }
  if (f.forecast) {
    const fc = f.forecast;
    for (let s = 0; s < fc.mean.length; s++) {
      lines.push(csvLine([f.totalRows + s, ...(withTime ? [fc.timestamps?.[s] ?? ''] : []), '', fc.mean[s], ...levels.map((_, l) => fc.quantiles[l][s])]));
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The series as a Plotly figure: the column's points, the context window shaded, and the forecast as a
 * band between the outer quantiles with the median line. x is the timestamp when every point has one,
 * else the data row.
 */
export function seriesPlotlyFigure(f: SeriesFigure): PlotlyFigure {
  const fc = f.forecast;
  const steps = fc?.mean.length ?? 0;
  const useTime = !!f.timestamps && f.timestamps.length === f.index.length && (!fc || (fc.timestamps?.length ?? 0) === steps);
  const xs = useTime ? [...(f.timestamps as string[])] : [...f.index];
  const fx = useTime ? [...(fc?.timestamps ?? [])] : Array.from({ length: steps }, (_, s) => f.totalRows + s);
  const data: Record<string, unknown>[] = [{ type: 'scatter', mode: 'lines', name: f.column, x: xs, y: [...f.values], line: { color: '#1f77b4', width: 1.5 }, connectgaps: false }];
  if (fc) {
    const lo = 0;
    const hi = fc.quantileLevels.length - 1;
    const mid = medianLevel(fc.quantileLevels);
    const band = `${Math.round(fc.quantileLevels[lo] * 100)}–${Math.round(fc.quantileLevels[hi] * 100)} %`;
    data.push({ type: 'scatter', mode: 'lines', name: `forecast ${levelName(fc.quantileLevels[lo])}`, x: fx, y: fc.quantiles[lo], line: { width: 0, color: 'rgba(255,127,14,0)' }, showlegend: false, hoverinfo: 'skip' });
    data.push({ type: 'scatter', mode: 'lines', name: `forecast ${band}`, x: fx, y: fc.quantiles[hi], fill: 'tonexty', fillcolor: 'rgba(255,127,14,0.25)', line: { width: 0, color: 'rgba(255,127,14,0)' } });
    data.push({ type: 'scatter', mode: 'lines', name: `forecast median (${levelName(fc.quantileLevels[mid])})`, x: fx, y: fc.quantiles[mid], line: { color: '#ff7f0e', width: 2 } });
  }
  const ctxX = (row: number): number | string => {
    if (!useTime) return row;
    const i = f.index.indexOf(row);
    return i >= 0 ? (f.timestamps as string[])[i] : row;
  };
  const layout: Record<string, unknown> = {
    title: { text: `${f.file} · ${f.column}${fc ? ` – forecast by ${fc.model.name} (${fc.numSamples ? `${fc.numSamples} samples` : 'quantile head'})` : ''}` },
    xaxis: { title: { text: useTime ? 'time' : 'row' } },
    yaxis: { title: { text: f.column } },
    shapes: [{ type: 'rect', xref: 'x', yref: 'paper', x0: ctxX(f.context.start), x1: ctxX(f.context.end - 1), y0: 0, y1: 1, fillcolor: 'rgba(127,127,127,0.12)', line: { width: 0 }, layer: 'below' }],
    annotations: [{ xref: 'x', yref: 'paper', x: ctxX(f.context.start), y: 1, xanchor: 'left', yanchor: 'bottom', text: 'context window', showarrow: false }],
    legend: { orientation: 'h', y: -0.15 },
    width: 900,
    height: 420,
    meta: { tool: 'chronos-lens', file: f.file, column: f.column, totalRows: f.totalRows, context: f.context, ...(fc ? { model: fc.model.name, modelHash: fc.model.hash } : {}) },
  };
  return { data, layout };
}
