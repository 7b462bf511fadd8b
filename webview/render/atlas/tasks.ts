/** The tasks not finished (pending, running or failed), with the error of each failure; ids link to manifests. */
import type { AtlasSummary } from '../../../analysis/types';
import { resolveDocument, type RenderTarget } from '../dom';
import { atlasTable, taskLink, type Cell } from './common';

/** At most this many rows (the counts in the heading say how many there are). */
export const ATLAS_UNFINISHED_ROWS = 500;

export function renderAtlasUnfinished(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'analyses' | 'tasks'>, options: RenderTarget = {}): HTMLTableElement {
  const doc = resolveDocument(options);
  const rows: Cell[][] = atlas.tasks
    .filter((t) => t.state !== 'done')
    .slice(0, ATLAS_UNFINISHED_ROWS)
    .map((t) => [
      taskLink(doc, t, t.id, 'task'),
      t.state,
      atlas.analyses[t.analysis]?.type ?? '?',
      atlas.models[t.model]?.label ?? '?',
      atlas.datasets[t.dataset]?.label ?? '?',
      { node: t.error ?? '', className: 'wrap error' },
    ]);
  return atlasTable(doc, 'cl-atlas-unfinished', 'Tasks not finished', [{ label: 'Task' }, { label: 'State' }, { label: 'Analysis' }, { label: 'Model' }, { label: 'Dataset' }, { label: 'Error' }], rows);
}
