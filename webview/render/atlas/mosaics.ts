/**
 * Each model's reference mosaic side by side, smallest model first, all at the one colour scale
 * (attention probability 0 to 1) so that colours compare across models; each caption links to the
 * mosaic's task.
 */
import type { AtlasSummary, MosaicResult } from '../../../analysis/types';
import { resolveDocument, type RenderTarget } from '../dom';
import { renderMosaicFigureSvg } from '../mosaic';
import { cssVarTheme, type ChartTheme } from '../theme';
import { fmtParams, linkCell, linkElement, modelOrder, taskById } from './common';

/** The colour scale every mosaic of the atlas is drawn at. */
export const ATLAS_MOSAIC_DOMAIN: [number, number] = [0, 1];

export interface AtlasMosaicsOptions extends RenderTarget {
  theme?: ChartTheme;
  /** Width of one mosaic in px (default 460). */
  width?: number;
}

export function renderAtlasMosaics(atlas: Pick<AtlasSummary, 'models' | 'tasks'>, mosaics: readonly { task: string; result: MosaicResult }[], options: AtlasMosaicsOptions = {}): HTMLDivElement {
  const doc = resolveDocument(options);
  const theme = options.theme ?? cssVarTheme();
  const byId = taskById(atlas);
  const div = doc.createElement('div');
  div.className = 'cl-atlas-mosaics';
  const order = modelOrder(atlas);
  const rank = (task: string) => order.indexOf(byId.get(task)?.model ?? -1);
  for (const m of [...mosaics].sort((a, b) => rank(a.task) - rank(b.task))) {
    const t = byId.get(m.task);
    if (!t) continue;
    const model = atlas.models[t.model];
    const fig = doc.createElement('figure');
    fig.className = 'cl-atlas-mosaic';
    fig.dataset.task = m.task;
    fig.dataset.model = String(t.model);
    const svg = renderMosaicFigureSvg(m.result, { document: doc, theme, width: options.width ?? 460, domain: ATLAS_MOSAIC_DOMAIN, title: model.label });
    fig.append(svg);
    const cap = doc.createElement('figcaption');
    cap.append(linkElement(doc, linkCell(t, `${model.label} (${fmtParams(model.parameters)} parameters)`)));
    fig.append(cap);
    div.append(fig);
  }
  return div;
}
