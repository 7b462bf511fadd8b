/** Forecast metrics per model and dataset (MASE, WQL, MAE of the median), each linking to its task. */
import type { AtlasSummary } from '../../../analysis/types';
import { resolveDocument, type RenderTarget } from '../dom';
import { fmtMetric } from '../format';
import { atlasTable, modelOrder, seedText, taskById, taskLink, type Cell } from './common';

export function renderAtlasForecasts(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'forecasts' | 'tasks'>, options: RenderTarget = {}): HTMLTableElement {
  const doc = resolveDocument(options);
  const byId = taskById(atlas);
  const rows: Cell[][] = [];
  for (const mi of modelOrder(atlas)) {
    for (const f of atlas.forecasts.filter((x) => x.model === mi)) {
      const t = byId.get(f.task);
      const what = `${atlas.models[mi].label}, ${atlas.datasets[f.dataset]?.label ?? '?'}`;
      const num = (v: number | null, label: string) => taskLink(doc, t, v === null ? '–' : fmtMetric(v), `${what}, ${label}`);
      rows.push([atlas.models[mi].label, atlas.datasets[f.dataset]?.label ?? '?', seedText(f.seed), String(f.heldOut), String(f.period), num(f.mase, 'MASE'), num(f.wql, 'WQL'), num(f.mae_median, 'MAE of the median')]);
    }
  }
  return atlasTable(
    doc,
    'cl-atlas-forecasts',
    'Forecast metrics on the held-out end of each dataset',
    [{ label: 'Model' }, { label: 'Dataset' }, { label: 'Seed', num: true }, { label: 'Held out', num: true }, { label: 'Period', num: true }, { label: 'MASE', num: true }, { label: 'WQL', num: true }, { label: 'MAE (median)', num: true }],
    rows,
  );
}
