/**
 * Induction heads per model: the background article's table (center / right / total per attention
 * kind) for every mosaic task, smallest model first. Every count links to its task's manifest.
 */
import { ATTENTION_KINDS, type AtlasSummary } from '../../../analysis/types';
import { resolveDocument, type RenderTarget } from '../dom';
import { KIND_SHORT, fmtPercent } from '../format';
import { atlasTable, tableSpec, type AtlasTableSpec, fmtParams, modelOrder, seedText, taskById, linkCell, type Cell } from './common';

export function atlasCountsTable(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'induction' | 'tasks'>): AtlasTableSpec {
  const byId = taskById(atlas);
  const kinds = ATTENTION_KINDS.filter((k) => atlas.induction.some((r) => r.counts[k]));
  const columns = [
    { label: 'Model' },
    { label: 'Parameters', num: true },
    { label: 'Data' },
    { label: 'Seed', num: true },
    { label: 'Threshold', num: true },
    ...kinds.flatMap((k) => [
      { label: `${KIND_SHORT[k]} center`, num: true },
      { label: `${KIND_SHORT[k]} right`, num: true },
      { label: `${KIND_SHORT[k]} total`, num: true },
    ]),
  ];
  const rows: Cell[][] = [];
  for (const mi of modelOrder(atlas)) {
    const m = atlas.models[mi];
    for (const r of atlas.induction.filter((x) => x.model === mi)) {
      const t = byId.get(r.task);
      const data = atlas.datasets[r.dataset]?.label ?? '?';
      const cells: Cell[] = [m.label, fmtParams(m.parameters), data, seedText(r.seed), String(r.threshold)];
      for (const k of kinds) {
        const c = r.counts[k];
        if (!c) cells.push('–', '–', '–');
        else
          cells.push(
            linkCell(t, String(c.center)),
            linkCell(t, String(c.right)),
            linkCell(t, `${c.total} / ${c.heads} (${fmtPercent(c.percent, 0)})`),
          );
      }
      rows.push(cells);
    }
  }
  return tableSpec('cl-atlas-counts', 'Induction heads per model: center, right and total per attention kind', columns, rows);
}

export function renderAtlasCounts(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'induction' | 'tasks'>, options: RenderTarget = {}): HTMLTableElement {
  return atlasTable(resolveDocument(options), atlasCountsTable(atlas));
}
