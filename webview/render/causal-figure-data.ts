/**
 * The residual-stream panel's data exports, DOM-free (the webview's export buttons and the CLI): a
 * Plotly-compatible figure JSON and a CSV table per figure.
 */
import type { CausalFigure, CausalRun } from '../../protocol/causal';
import { componentLabel } from './attribution-bars';
import { CAUSAL_FIGURE_LABEL, patchMaps } from './causal-figure';
import { csvLine, type PlotlyFigure } from './figure-data';
import { fanBands } from './layer-fans';
import { metricLabel } from './format';

function missing(figure: CausalFigure): Error {
  return new Error(`This run has no ${CAUSAL_FIGURE_LABEL[figure].toLowerCase()} figure.`);
}

export function causalPlotlyFigure(run: CausalRun, figure: CausalFigure): PlotlyFigure {
  const meta = (model: { name: string; hash: string }) => ({ tool: 'chronos-lens', figure, model: model.name, modelHash: model.hash, run: run.label });
  switch (figure) {
    case 'attribution': {
      const a = run.attribution;
      if (!a) throw missing(figure);
      const labels = [...a.components.map(componentLabel), 'total'];
      const values = [...a.components.map((c) => c.value), a.total];
      return {
        data: [{ type: 'bar', orientation: 'h', y: labels, x: values, customdata: [...a.components.map((c) => c.component), 'total'], hovertemplate: '%{customdata}: %{x:.4f}<extra></extra>', marker: { color: values.map((v, i) => (i === values.length - 1 ? '#1f1f1f' : v >= 0 ? '#0e7c86' : '#c72e0f')) } }],
        layout: { title: { text: `Direct attribution – ${a.target.kind} at step ${a.target.step} – Model: ${a.model.name}` }, yaxis: { autorange: 'reversed' }, xaxis: { title: { text: `${a.target.kind} contribution` }, zeroline: true }, height: 120 + 16 * labels.length, meta: meta(a.model) },
      };
    }
    case 'layerLens': {
      const l = run.layerLens;
      if (!l) throw missing(figure);
      const n = l.layers.length;
      const steps = Array.from({ length: l.steps }, (_, s) => s);
      const { bands, median } = fanBands(l.quantileLevels);
      const data: Record<string, unknown>[] = [];
      const layout: Record<string, unknown> = { title: { text: `Per-layer forecast lens – Model: ${l.model.name}` }, grid: { rows: n, columns: 1, pattern: 'independent', roworder: 'top to bottom' }, height: 140 + 180 * n, showlegend: false, meta: meta(l.model) };
      l.layers.forEach((layer, i) => {
        const ax = i === 0 ? '' : String(i + 1);
        const on = { xaxis: `x${ax}`, yaxis: `y${ax}` };
        for (const [lo, hi] of bands) {
          data.push({ ...on, type: 'scatter', mode: 'lines', x: steps, y: layer.quantiles[lo], line: { width: 0 }, name: `L${layer.layer} q${l.quantileLevels[lo]}` });
          data.push({ ...on, type: 'scatter', mode: 'lines', x: steps, y: layer.quantiles[hi], line: { width: 0 }, fill: 'tonexty', fillcolor: 'rgba(14,124,134,0.18)', name: `L${layer.layer} q${l.quantileLevels[hi]}` });
        }
        data.push({ ...on, type: 'scatter', mode: 'lines', x: steps, y: median >= 0 ? layer.quantiles[median] : layer.mean, line: { color: '#0e7c86', width: 2 }, name: `L${layer.layer} ${median >= 0 ? 'median' : 'mean'}` });
        layout[`yaxis${ax}`] = { title: { text: `L${layer.layer}` } };
        layout[`xaxis${ax}`] = { title: { text: i === n - 1 ? 'Forecast step' : '' } };
      });
      return { data, layout };
    }
    case 'patching': {
      const p = run.patching;
      if (!p) throw missing(figure);
      const maps = patchMaps(p, run.marked);
      const data = maps.map((m, i) => ({
        type: 'heatmap',
        name: m.title,
        xaxis: `x${i === 0 ? '' : i + 1}`,
        yaxis: `y${i === 0 ? '' : i + 1}`,
        z: m.values,
        x: (m.values[0] ?? []).map((_, c) => m.columnLabel(c)),
        y: m.values.map((_, r) => m.rowLabel(r)),
        coloraxis: 'coloraxis',
        hovertemplate: `${m.title}<br>%{y}, %{x}: restored %{z:.3f}<extra></extra>`,
      }));
      const layout: Record<string, unknown> = { title: { text: `Activation patching – ${p.description} – Model: ${p.model.name}` }, grid: { rows: maps.length, columns: 1, pattern: 'independent', roworder: 'top to bottom' }, coloraxis: { colorscale: 'Viridis', colorbar: { title: { text: 'restored' } } }, height: 140 + 220 * maps.length, meta: meta(p.model) };
      maps.forEach((m, i) => {
        const ax = i === 0 ? '' : String(i + 1);
        layout[`xaxis${ax}`] = { title: { text: m.columnTitle }, type: 'category' };
        layout[`yaxis${ax}`] = { title: { text: `${m.title}` }, type: 'category' };
      });
      return { data, layout };
    }
    case 'layerAblation': {
      const a = run.layerAblation;
      if (!a) throw missing(figure);
      const metrics = Object.keys(a.unablated);
      const data: Record<string, unknown>[] = [];
      const shapes: Record<string, unknown>[] = [];
      const layout: Record<string, unknown> = { shapes, title: { text: `Layer ablation – Model: ${a.model.name}` }, grid: { rows: metrics.length, columns: 1, pattern: 'independent', roworder: 'top to bottom' }, height: 140 + (60 + 22 * a.variants.length) * metrics.length, showlegend: false, meta: meta(a.model) };
      metrics.forEach((name, i) => {
        const ax = i === 0 ? '' : String(i + 1);
        data.push({ type: 'bar', orientation: 'h', xaxis: `x${ax}`, yaxis: `y${ax}`, y: a.variants.map((v) => v.label), x: a.variants.map((v) => v.values[name]), name: metricLabel(name) });
        layout[`xaxis${ax}`] = { title: { text: metricLabel(name) } };
        layout[`yaxis${ax}`] = { autorange: 'reversed' };
        shapes.push({ type: 'line', xref: `x${ax}`, yref: `y${ax} domain`, x0: a.unablated[name], x1: a.unablated[name], y0: 0, y1: 1, line: { dash: 'dash', color: '#1f1f1f' } });
      });
      return { data, layout };
    }
  }
}

export function causalCsv(run: CausalRun, figure: CausalFigure): string {
  const lines: string[] = [];
  switch (figure) {
    case 'attribution': {
      const a = run.attribution;
      if (!a) throw missing(figure);
      lines.push(csvLine(['component', 'kind', 'layer', 'head', 'value', 'target', 'step', 'token']));
      for (const c of a.components) lines.push(csvLine([c.component, c.kind, c.layer ?? '', c.head ?? '', c.value, a.target.kind, a.target.step, a.target.token]));
      lines.push(csvLine(['total', 'total', '', '', a.total, a.target.kind, a.target.step, a.target.token]));
      break;
    }
    case 'layerLens': {
      const l = run.layerLens;
      if (!l) throw missing(figure);
      lines.push(csvLine(['layer', 'step', ...l.quantileLevels.map((q) => `q${q}`), 'mean', 'kl_to_final', 'final_median_path']));
      for (const layer of l.layers) for (let s = 0; s < l.steps; s++) lines.push(csvLine([layer.layer, s, ...layer.quantiles.map((q) => q[s]), layer.mean[s], layer.klToFinal?.[s] ?? '', l.pathValues[s]]));
      break;
    }
    case 'patching': {
      const p = run.patching;
      if (!p) throw missing(figure);
      lines.push(csvLine(['map', 'row', 'column', 'restored']));
      for (const m of patchMaps(p)) m.values.forEach((row, r) => row.forEach((v, c) => lines.push(csvLine([m.title, m.rowLabel(r), m.columnLabel(c), v]))));
      (p.sets ?? []).forEach((s, i) => lines.push(csvLine([s.control ? 'control set' : 'head set', s.label, '', p.restored.sets?.[i] ?? NaN])));
      break;
    }
    case 'layerAblation': {
      const a = run.layerAblation;
      if (!a) throw missing(figure);
      const metrics = Object.keys(a.unablated);
      lines.push(csvLine(['layers', ...metrics]));
      lines.push(csvLine(['unablated', ...metrics.map((m) => a.unablated[m])]));
      for (const v of a.variants) lines.push(csvLine([v.label, ...metrics.map((m) => v.values[m])]));
      break;
    }
  }
  return `${lines.join('\n')}\n`;
}
