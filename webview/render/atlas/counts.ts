/**
 * Induction heads per model: the background article's table (center / right / total per attention
 * kind) for every mosaic task, smallest model first. Every count links to its task's manifest.
 */
import { ATTENTION_KINDS, type AtlasSummary } from '../../../analysis/types';
import { resolveDocument, type RenderTarget } from '../dom';
import { KIND_SHORT, fmtPercent } from '../format';
import { atlasTable, fmtParams, modelOrder, seedText, taskById, taskLink, type Cell } from './common';

export function renderAtlasCounts(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'induction' | 'tasks'>, options: RenderTarget = {}): HTMLTableElement {
  const doc = resolveDocument(options);
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
        const what = `${m.label}, ${data}, ${KIND_SHORT[k].toLowerCase()} heads`;
        if (!c) cells.push('–', '–', '–');
        else
          cells.push(
            taskLink(doc, t, String(c.center), `${what} scoring on the current token`),
            taskLink(doc, t, String(c.right), `${what} scoring on the token to the right`),
            taskLink(doc, t, `${c.total} / ${c.heads} (${fmtPercent(c.percent, 0)})`, `${what}, induction heads in all`),
          );
      }
      rows.push(cells);
    }
  }
  return atlasTable(doc, 'cl-atlas-counts', 'Induction heads per model: center, right and total per attention kind', columns, rows);
}
