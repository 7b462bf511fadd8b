/** The tasks not finished (pending, running or failed), with the error of each failure; ids link to manifests. */
import type { AtlasSummary } from '../../../analysis/types';
import { resolveDocument, type RenderTarget } from '../dom';
import { atlasTable, tableSpec, type AtlasTableSpec, linkCell, type Cell } from './common';

/** At most this many rows (the counts in the heading say how many there are). */
export const ATLAS_UNFINISHED_ROWS = 500;

export function atlasUnfinishedTable(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'analyses' | 'tasks'>): AtlasTableSpec {
  const rows: Cell[][] = atlas.tasks
    .filter((t) => t.state !== 'done')
    .slice(0, ATLAS_UNFINISHED_ROWS)
    .map((t) => [
      linkCell(t, t.id),
      t.state,
      atlas.analyses[t.analysis]?.type ?? '?',
      atlas.models[t.model]?.label ?? '?',
      atlas.datasets[t.dataset]?.label ?? '?',
      { parts: [t.error ?? ''], className: 'wrap error' },
    ]);
  return tableSpec('cl-atlas-unfinished', 'Tasks not finished', [{ label: 'Task' }, { label: 'State' }, { label: 'Analysis' }, { label: 'Model' }, { label: 'Dataset' }, { label: 'Error' }], rows);
}

export function renderAtlasUnfinished(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'analyses' | 'tasks'>, options: RenderTarget = {}): HTMLTableElement {
  return atlasTable(resolveDocument(options), atlasUnfinishedTable(atlas));
}
