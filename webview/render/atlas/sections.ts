/**
 * The atlas as a list of sections, in reading order: the model-size axis, the induction counts, the
 * mosaics, ablation effects, forecast metrics, attributions, unfinished tasks. The panel
 * (<cl-atlas-view>) and the CLI's standalone atlas.html both lay out these same sections, so every
 * mark of the atlas has one home.
 */
import type { AtlasSummary, MosaicResult } from '../../../analysis/types';
import type { ChartTheme } from '../theme';
import { atlasTable, type AtlasTableSpec } from './common';
import { atlasAblationsTable } from './ablations';
import { atlasAttributionsTable } from './attributions';
import { atlasCountsTable } from './counts';
import { atlasForecastsTable } from './forecasts';
import { renderAtlasMosaics } from './mosaics';
import { atlasSizePoints, renderAtlasSizeChart } from './size-chart';
import { atlasUnfinishedTable } from './tasks';

export interface AtlasSection {
  id: 'size' | 'counts' | 'mosaics' | 'ablations' | 'forecasts' | 'attributions' | 'unfinished';
  title: string;
  /** One line under the heading. */
  note?: string;
  /** 'chart' follows the width it gets; 'table' scrolls sideways when wider; 'figures' wrap. */
  layout: 'chart' | 'table' | 'figures';
  /** Undefined: nothing to show yet (`empty` says so). */
  render?: (ctx: { document: Document; width: number }) => Element;
  /** A table section's table as data (render draws it): the CLI's page writes it as HTML text. */
  table?: () => AtlasTableSpec;
  empty?: string;
}

export { atlasTableHtml } from './common';

export interface AtlasSectionOptions {
  /** Concrete colours (exports, the static page); default the live theme's CSS variables. */
  theme?: ChartTheme;
}

/** A table section's two forms: the table as data, and drawn as elements. */
function tableSection(table: (() => AtlasTableSpec) | undefined): Pick<AtlasSection, 'render' | 'table'> {
  return table ? { table, render: ({ document }) => atlasTable(document, table()) } : {};
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** "12 tasks: 11 done, 1 failed · 2 models · 3 datasets · chronos-lens 0.1.0" */
export function atlasHeadline(atlas: Pick<AtlasSummary, 'tasks' | 'counts' | 'models' | 'datasets' | 'toolVersion'>): string {
  const c = atlas.counts;
  const states = [`${c.done} done`, c.failed ? `${c.failed} failed` : '', c.pending + c.running ? `${c.pending + c.running} not finished` : ''].filter(Boolean).join(', ');
  return `${plural(atlas.tasks.length, 'task')}: ${states} · ${plural(atlas.models.length, 'model')} · ${plural(atlas.datasets.length, 'dataset')} · chronos-lens ${atlas.toolVersion}`;
}

export function atlasSections(atlas: AtlasSummary, mosaics: readonly { task: string; result: MosaicResult }[], o: AtlasSectionOptions = {}): AtlasSection[] {
  const theme = o.theme;
  const unfinished = atlas.tasks.filter((t) => t.state !== 'done').length;
  const sections: AtlasSection[] = [
    {
      id: 'size',
      title: 'Induction heads against model size',
      note: 'Induction heads on the reference protocol (mean over seeds) against parameters; each point opens its mosaic task.',
      layout: 'chart',
      render: atlasSizePoints(atlas).length ? ({ document, width }) => renderAtlasSizeChart(atlas, { document, theme, width: Math.min(width, 760), background: !!theme }) : undefined,
      empty: 'No reference mosaic with a known model size has finished yet.',
    },
    {
      id: 'counts',
      title: 'Induction heads per model',
      note: 'Heads whose score on the current token (center) or on the token to its right reaches the threshold, as in the article’s table.',
      layout: 'table',
      ...tableSection(atlas.induction.length ? () => atlasCountsTable(atlas) : undefined),
      empty: 'No mosaic has finished yet.',
    },
    {
      id: 'mosaics',
      title: 'Mosaics',
      note: 'Reference protocol, one per model, smallest model first; one colour scale for all (attention probability 0 to 1).',
      layout: 'figures',
      render: mosaics.length ? ({ document, width }) => renderAtlasMosaics(atlas, mosaics, { document, theme, width: Math.max(280, Math.min(width, 460)) }) : undefined,
      empty: 'No reference mosaic has finished yet.',
    },
    {
      id: 'ablations',
      title: 'Ablation effects per dataset',
      note: 'The ablated heads against random control sets of the same size: change, the controls’ spread, and where the ablated value falls among them.',
      layout: 'table',
      ...tableSection(atlas.ablations.length ? () => atlasAblationsTable(atlas) : undefined),
      empty: 'No ablation has finished yet.',
    },
  ];
  if (atlas.forecasts.length || atlas.analyses.some((a) => a.type === 'forecast')) {
    sections.push({
      id: 'forecasts',
      title: 'Forecast metrics',
      layout: 'table',
      ...tableSection(atlas.forecasts.length ? () => atlasForecastsTable(atlas) : undefined),
      empty: 'No forecast metrics have finished yet.',
    });
  }
  if (atlas.attributions.length || atlas.analyses.some((a) => a.type === 'attribute')) {
    sections.push({
      id: 'attributions',
      title: 'Direct attribution of a forecast step',
      note: 'The largest components of the attributed quantity; every component is in the task’s result.',
      layout: 'table',
      ...tableSection(atlas.attributions.length ? () => atlasAttributionsTable(atlas) : undefined),
      empty: 'No attribution has finished yet.',
    });
  }
  if (unfinished) {
    sections.push({ id: 'unfinished', title: `Unfinished tasks (${unfinished})`, layout: 'table', ...tableSection(() => atlasUnfinishedTable(atlas)) });
  }
  return sections;
}
