/**
 * The series view's Chronos-2 section, a template that only reads the view's state: the group-attention
 * lens, per head of the selected layer, the series × series matrix at the hovered patch or forecast step
 * (render/group-matrix.ts), and each series' share on the other series over the context
 * (render/group-lines.ts).
 */
import { html, nothing } from 'lit';
import type { HeadSelection, LensResponse, SeriesPayload } from '../../protocol/series';
import type { KeyedLensRequest } from '../controllers/lens-cache';
import { headId } from '../render/format';
import { renderGroupLines } from '../render/group-lines';
import { renderGroupMatrix } from '../render/group-matrix';
import type { SeriesLayout } from '../render/series-chart';
import { aggregateHeads } from '../render/series-domain';

/** Each series' share on the other series at every context patch, per head, for one layer. */
export interface GroupLines {
  layer: number;
  lines: number[][][];
  series: string[];
}

export interface GroupLensState {
  series: SeriesPayload;
  /** The lens answer shown (hovered patch or forecast step). */
  shown: LensResponse | undefined;
  /** The answer is the hovered point's (not a previous one kept while the next loads). */
  fresh: boolean;
  layout: SeriesLayout;
  selection: HeadSelection;
  groupLines: GroupLines | undefined;
  /** What the view asks the lens for now (its context position is marked on the lines). */
  query: KeyedLensRequest | undefined;
  document: Document;
}

export function groupLensTemplate(st: GroupLensState) {
  const s = st.series;
  const patches = s.context.patches;
  const sel = st.selection;
  const g = st.shown?.group;
  const layer = g ? Math.min(sel.layer, g.layers - 1) : sel.layer;
  const matrices = g?.matrices[layer] ?? [];
  const names = g?.series.map((x) => x.name) ?? [];
  const where = g ? (g.at === 'context' ? `patch ${g.position + 1}` : `forecast step ${g.position + 1} (its output-patch token)`) : undefined;
  const gl = st.groupLines;
  let lines: number[][] | undefined;
  let linesLabel = '';
  if (gl && gl.layer === layer && gl.lines.length) {
    if (sel.mode === 'head') {
      const h = Math.min(sel.head, gl.lines.length - 1);
      lines = gl.lines[h];
      linesLabel = headId({ layer, head: h });
    } else {
      lines = gl.series.map((_, i) => aggregateHeads(gl.lines.map((perHead) => perHead[i]), sel.mode as 'max' | 'mean'));
      linesLabel = `${sel.mode} L${layer}`;
    }
  }
  const query = st.query;
  return html`<section class="group" aria-label="Group attention">
    <h2>Group attention${where ? html` · ${where} · L${layer}` : nothing}</h2>
    <p class="note muted">${g ? 'Per head: how much each series (row) reads from each series (column) at this token.' : 'Hover a patch or a forecast step: per head, which series reads which.'}</p>
    <div class=${st.fresh ? 'group-matrices' : 'group-matrices stale'}>
      ${matrices.map((m, h) => renderGroupMatrix({ series: names, matrix: m, label: headId({ layer, head: h }), selected: sel.mode === 'head' && sel.head === h }, { document: st.document }))}
    </div>
    ${lines && patches && gl
      ? html`<h3>Share on the other series over the context · ${linesLabel}</h3>
          <div class="group-lines">${renderGroupLines({ series: gl.series, lines, context: { ...s.context, patches }, query: query?.kind === 'encoder' ? query.position : undefined, label: linesLabel }, st.layout, { document: st.document })}</div>`
      : nothing}
  </section>`;
}
