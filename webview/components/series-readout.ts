/**
 * Templates of <cl-series-view> that only read its state: the readout under the chart (the hovered
 * row or forecast step, its value, token and what the strip's head attends to most) and the note
 * under the head grid (the selected head's induction scores from the latest mosaic).
 */
import { html, nothing } from 'lit';
import type { ForecastResult, ModelSummary, MosaicKind, MosaicResult } from '../../analysis/types';
import type { HeadSelection, LensResponse, SeriesPayload } from '../../protocol/series';
import { SIDE_LABELS, fmtMetric, fmtScore, fmtScoreSe, headId, mosaicUnit } from '../render/format';
import type { SeriesHover } from '../render/series-chart';
import { positionCount, positionOfRow, rowsOfPosition, strongest } from '../render/series-domain';

function fmtRow(r: number): string {
  return (r + 1).toLocaleString('en-US');
}

/** A context position as the readout names it: its row, or its patch and rows (Chronos-Bolt). */
function fmtPosition(s: SeriesPayload, p: number): string {
  const [a, b] = rowsOfPosition(s.context, p);
  return s.context.patches ? `patch ${p + 1} (rows ${fmtRow(a)}–${fmtRow(b)})` : `row ${fmtRow(a)}`;
}

export interface ReadoutState {
  series: SeriesPayload;
  forecast: ForecastResult | undefined;
  hover: SeriesHover | undefined;
  pinned: boolean;
  contextLength: number;
  /** The strip's weights and caption, when the hovered point's answer is shown. */
  strip: { weights: number[]; label: string } | undefined;
  /** The answer shown. */
  lens: LensResponse | undefined;
  timeAt(row: number): string | undefined;
  /** A displayed row's value (null: missing in the CSV; undefined: not a displayed row). */
  valueAt(row: number): number | null | undefined;
  revealRow(row: number): void;
}

export function readoutTemplate(st: ReadoutState) {
  const s = st.series;
  const h = st.hover;
  const strip = st.strip;
  const r = st.lens;
  if (!h) {
    return html`<span class="muted">Hover a point of the context window (or focus the chart and use <kbd>←</kbd> <kbd>→</kbd>) to see what each head attends to.</span>`;
  }
  const pin = st.pinned ? html`<span title="Pinned: click the chart or press Escape to release">📌</span>` : nothing;
  if (h.kind === 'cross') {
    const f = st.forecast;
    const mi = f ? f.quantileLevels.findIndex((q) => Math.abs(q - 0.5) < 1e-6) : -1;
    const lo = f ? f.quantileLevels.findIndex((q) => Math.abs(q - 0.1) < 1e-6) : -1;
    const hi = f ? f.quantileLevels.findIndex((q) => Math.abs(q - 0.9) < 1e-6) : -1;
    const t = st.timeAt(s.totalRows + h.step);
    const top = strip && r?.kind === 'cross' ? strongest(strip.weights, 3) : [];
    return html`${pin}<span><strong>Forecast step ${h.step + 1}</strong>${t ? html` · ${t}` : nothing}</span>
      ${f && mi >= 0 ? html`<span>median ${fmtMetric(f.quantiles[mi][h.step])}${lo >= 0 && hi >= 0 ? html` (80% ${fmtMetric(f.quantiles[lo][h.step])} – ${fmtMetric(f.quantiles[hi][h.step])})` : nothing}</span>` : nothing}
      ${top.length ? html`<span>${strip?.label} attends most to ${top.map((x, i) => html`${i ? ', ' : ''}${fmtPosition(s, x.position)} (${fmtScore(x.weight)})`)}</span>` : nothing}`;
  }
  const row = h.row;
  const pos = positionOfRow(s.context, row);
  const inContext = pos >= 0;
  const v = st.valueAt(row);
  const t = st.timeAt(row);
  const patched = !!s.context.patches;
  const token = inContext && !patched && r?.kind === 'encoder' && r.position === pos ? r.tokens[pos] : undefined;
  const top = inContext && strip && r?.kind === 'encoder' && r.position === pos ? strongest(strip.weights, 3, pos) : [];
  const span = inContext ? rowsOfPosition(s.context, pos) : [row, row];
  const where = patched ? `patch ${pos + 1} of ${positionCount(s.context)} · rows ${fmtRow(span[0])}–${fmtRow(span[1])}` : `position ${pos + 1} of ${st.contextLength}`;
  return html`${pin}<span><strong>Row ${fmtRow(row)}</strong>${t ? html` · ${t}` : nothing}</span>
    <span>value ${v === null ? 'missing' : v === undefined ? '–' : fmtMetric(v)}</span>
    ${inContext ? html`<span class="position">${where}${token !== undefined ? html` · token ${token}` : nothing}</span>` : html`<span class="muted">outside the context window (no attention)</span>`}
    ${top.length ? html`<span>${strip?.label} attends most to ${top.map((x, i) => html`${i ? ', ' : ''}${fmtPosition(s, x.position)} (${fmtScore(x.weight)})`)}</span>` : nothing}
    <button title="Reveal this row in the CSV's text editor (Enter)" @click=${() => st.revealRow(row)}>Reveal in editor</button>`;
}

/** The mosaic's scores of one kind, when the latest mosaic is of this model. */
export function mosaicKindOf(mosaic: MosaicResult | undefined, model: ModelSummary | undefined, kind: 'encoder' | 'cross'): MosaicKind | undefined {
  if (!mosaic || (model && mosaic.model.hash !== model.hash)) return undefined;
  return mosaic[kind];
}

export function inductionNoteTemplate(selection: HeadSelection, mosaic: MosaicResult | undefined, model: ModelSummary | undefined, kind: 'encoder' | 'cross') {
  const sel = selection;
  if (sel.mode !== 'head') return html`<p class="note muted">Select a head to see its induction scores.</p>`;
  if (!mosaic) return html`<p class="note muted">No mosaic yet: run “Compute Induction Mosaic” for the induction scores of ${headId(sel)}.</p>`;
  if (model && mosaic.model.hash !== model.hash) return html`<p class="note muted">The latest mosaic is of ${mosaic.model.name}, not this model.</p>`;
  const line = (k: 'encoder' | 'cross') => {
    const m = mosaicKindOf(mosaic, model, k);
    if (!m || sel.layer >= m.layers || sel.head >= m.heads) return nothing;
    const c = m.center[sel.layer][sel.head];
    const r = m.right[sel.layer][sel.head];
    const induction = Math.max(c, r) >= mosaic.threshold;
    const sides = SIDE_LABELS[mosaicUnit(mosaic.protocol)];
    return html`<div class=${k === kind ? 'current' : 'muted'}>
      ${k === 'encoder' ? 'Encoder' : 'Cross'}: ${sides.center.toLowerCase()} ${fmtScoreSe(c, m.stderr.center[sel.layer][sel.head])} · ${sides.right.toLowerCase()} ${fmtScoreSe(r, m.stderr.right[sel.layer][sel.head])}${induction ? html` · <strong>induction head</strong>` : nothing}
    </div>`;
  };
  return html`<div class="note"><strong>${headId(sel)}</strong> in the latest mosaic (${mosaic.protocol.source === 'series' ? 'data-driven' : 'reference protocol'}):${line('encoder')}${line('cross')}</div>`;
}
