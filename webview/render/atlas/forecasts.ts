/** Forecast metrics per model and dataset (MASE, WQL, MAE of the median), each linking to its task. */
import type { AtlasSummary } from '../../../analysis/types';
import { resolveDocument, type RenderTarget } from '../dom';
import { fmtMetric } from '../format';
import { atlasTable, tableSpec, type AtlasTableSpec, modelOrder, seedText, taskById, linkCell, type Cell } from './common';

export function atlasForecastsTable(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'forecasts' | 'tasks'>): AtlasTableSpec {
  const byId = taskById(atlas);
  const rows: Cell[][] = [];
  for (const mi of modelOrder(atlas)) {
    for (const f of atlas.forecasts.filter((x) => x.model === mi)) {
      const t = byId.get(f.task);
      const num = (v: number | null) => linkCell(t, v === null ? '–' : fmtMetric(v));
      rows.push([atlas.models[mi].label, atlas.datasets[f.dataset]?.label ?? '?', seedText(f.seed), String(f.heldOut), String(f.period), num(f.mase), num(f.wql), num(f.mae_median)]);
    }
  }
  return tableSpec('cl-atlas-forecasts', 'Forecast metrics on the held-out end of each dataset', [{ label: 'Model' }, { label: 'Dataset' }, { label: 'Seed', num: true }, { label: 'Held out', num: true }, { label: 'Period', num: true }, { label: 'MASE', num: true }, { label: 'WQL', num: true }, { label: 'MAE (median)', num: true }],
    rows,
  );
}

export function renderAtlasForecasts(atlas: Pick<AtlasSummary, 'models' | 'datasets' | 'forecasts' | 'tasks'>, options: RenderTarget = {}): HTMLTableElement {
  return atlasTable(resolveDocument(options), atlasForecastsTable(atlas));
}
