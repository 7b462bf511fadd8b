/**
 * Ablation effects per dataset: for each dataset, every model's ablated set against its random
 * control sets (same size, same method), per metric: unablated, ablated, the change, the controls'
 * mean ± sd, and where the ablated value falls among them (percentile, z). Every number links to its
 * task's manifest.
 */
import type { AtlasSummary } from '../../../analysis/types';
import { resolveDocument, type RenderTarget } from '../dom';
import { fmtMetric, fmtSigned, metricLabel } from '../format';
import { atlasTable, tableSpec, type AtlasTableSpec, modelOrder, seedText, taskById, linkCell, type Cell } from './common';

export function atlasAblationsTable(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'ablations' | 'tasks'>): AtlasTableSpec {
  const byId = taskById(atlas);
  const order = modelOrder(atlas);
  const rank = new Map(order.map((m, i) => [m, i]));
  const rows: Cell[][] = [];
  const datasets = [...new Set(atlas.ablations.map((a) => a.dataset))].sort((a, b) => a - b);
  for (const d of datasets) {
    const list = atlas.ablations.filter((a) => a.dataset === d).sort((a, b) => rank.get(a.model)! - rank.get(b.model)!);
    for (const a of list) {
      const t = byId.get(a.task);
      const model = atlas.models[a.model].label;
      const data = atlas.datasets[d]?.label ?? '?';
      for (const m of a.metrics) {
        const num = (v: number | null, f: (x: number) => string = fmtMetric) => linkCell(t, v === null ? '–' : f(v));
        rows.push([
          data,
          model,
          seedText(a.seed),
          `${a.method}: ${a.heads.join(', ')}`,
          metricLabel(m.name),
          num(m.unablated),
          num(m.ablated),
          num(m.change, (x) => fmtSigned(x)),
          linkCell(t, `${m.controlsMean === null ? '–' : fmtMetric(m.controlsMean)} ± ${m.controlsSd === null ? '–' : fmtMetric(m.controlsSd)} (${a.controls})`),
          num(m.percentile, (x) => x.toFixed(0)),
          num(m.zScore, (x) => x.toFixed(2)),
        ]);
      }
    }
  }
  return tableSpec('cl-atlas-ablations', 'Ablation effects per dataset, against random control head sets', [
      { label: 'Dataset' },
      { label: 'Model' },
      { label: 'Seed', num: true },
      { label: 'Heads' },
      { label: 'Metric' },
      { label: 'Unablated', num: true },
      { label: 'Ablated', num: true },
      { label: 'Change', num: true },
      { label: 'Controls (mean ± sd, n)', num: true },
      { label: 'Percentile', num: true },
      { label: 'z', num: true },
    ],
    rows,
  );
}

export function renderAtlasAblations(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'ablations' | 'tasks'>, options: RenderTarget = {}): HTMLTableElement {
  return atlasTable(resolveDocument(options), atlasAblationsTable(atlas));
}
