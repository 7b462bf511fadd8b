/**
 * Direct attribution of a forecast step: per model and dataset, the attributed quantity and its
 * largest components (embedding, attention heads, feed-forward blocks), each linking to its task.
 */
import type { AtlasSummary } from '../../../analysis/types';
import { resolveDocument, type RenderTarget } from '../dom';
import { fmtMetric, fmtSigned } from '../format';
import { atlasTable, tableSpec, type AtlasTableSpec, modelOrder, taskById, linkCell, type Cell } from './common';

export function atlasAttributionsTable(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'attributions' | 'tasks'>): AtlasTableSpec {
  const byId = taskById(atlas);
  const rows: Cell[][] = [];
  for (const mi of modelOrder(atlas)) {
    for (const x of atlas.attributions.filter((y) => y.model === mi)) {
      const t = byId.get(x.task);
      const parts = x.top.map((c) => linkCell(t, `${c.component} ${c.value === null ? '–' : fmtSigned(c.value)}`));
      rows.push([
        atlas.models[mi].label,
        atlas.datasets[x.dataset]?.label ?? '?',
        x.target,
        String(x.step),
        linkCell(t, x.total === null ? '–' : fmtMetric(x.total)),
        { parts, className: 'wrap' },
      ]);
    }
  }
  return tableSpec('cl-atlas-attributions', 'Direct attribution of a forecast step: the largest components', [{ label: 'Model' }, { label: 'Dataset' }, { label: 'Target' }, { label: 'Step', num: true }, { label: 'Total', num: true }, { label: 'Largest components' }],
    rows,
  );
}

export function renderAtlasAttributions(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'attributions' | 'tasks'>, options: RenderTarget = {}): HTMLTableElement {
  return atlasTable(resolveDocument(options), atlasAttributionsTable(atlas));
}
