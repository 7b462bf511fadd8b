/**
 * <cl-series-view>: the series view, the interactive version of the background article's
 * Figure 1. A CSV column with the model's forecast fan; hover (or move with the keyboard) over a
 * context point to see its encoder self-attention over the context under the chart, for the selected
 * layer and head or the max / mean over the layer's heads, with the earlier copies of its token and
 * the points right after them ringed; hover a forecast step for its cross-attention. Beside it the
 * layers × heads sparklines of the hovered point's attention (click selects a head) with the
 * selected head's induction scores from the latest mosaic, and the periodicity strip. With a Chronos-2
 * model, positions are patches (bands, as for Chronos-Bolt) and the group-attention lens follows the
 * hover: per head of the selected layer, the series × series matrix at the hovered patch (or the
 * forecast step's output token), and a lane per series with its share of attention on the other series
 * over the whole context (render/group-matrix.ts, render/group-lines.ts).
 *
 * Drawing is layered so that a hover redraws little: the chart is rendered once per data / size /
 * zoom (render/series-chart.ts) and the hover rule, point and highlights go in an overlay on top
 * (render/series-overlay.ts); the attention strip and the sparklines are redrawn in place from the
 * hovered point's lens answer.
 *
 * The pieces: controllers/lens-cache.ts (the answers, per kind, position and layer), controllers/
 * viewport.ts (width, zoom and pan, detail rows of a zoomed range, pointer → hover),
 * controllers/keyboard.ts (the keys), <cl-series-toolbar> (head / max / mean, layer, head, zoom),
 * series-readout.ts (the line under the chart and the induction note), series-group.ts (Chronos-2's
 * group-attention section), controllers/layers.ts (the chart, overview, periodicity and attention strips
 * kept between hovers; the strip's bars on a canvas).
 *
 * One job, kept in one file on purpose: the element's state (its properties, the hovered and pinned
 * point, the step menu) and the one render that composes the pieces above. What remains here is the glue
 * between them, which would only be split across files that all read the same state.
 *
 * Properties
 *   series: SeriesPayload | undefined         model: ModelSummary | undefined
 *   forecast: ForecastResult | undefined       mosaic: MosaicResult | undefined
 *   periodicity: PeriodicityResult | null | undefined (null: no period stands out; undefined: computing)
 *   selection: HeadSelection                   notice: Notice | undefined
 *   fetchLens: (request, signal) => Promise<LensResponse>   (set by the page script)
 *   fetchRange: (start, end, points, signal) => Promise<SeriesRange>
 * Events (bubbling, composed)
 *   cl-select-head { selection }   cl-select-column { column }   cl-reveal-row { row }   cl-select-model
 *   cl-choose-task   (Chronos-2: the host asks for the targets and covariates forecast together)
 *   cl-attribute-step { step }   (a forecast step's action menu: right-click, or Enter / Shift+F10 on it)
 *   cl-view-state { hover, pinned, domain }   cl-dismiss-notice
 *   cl-export { format, suggestedName, content }   (the export bar; the page script saves it through the host)
 * Methods
 *   setHover(hover | undefined, pinned?), hover, domain, setDomain(d), lensCacheSize
 *   openStepMenu(step): the forecast step's action menu (false where the step has none)
 *   exportFigure(format): the chart as shown (SVG, PNG; a Chronos-Bolt model's patch bands included), a Plotly
 *   figure (JSON), the context window and the forecast (CSV)
 */
import { LitElement, html, nothing } from 'lit';
import { objectProps, stringProps, booleanProps, stateProps } from './properties';
import type { ForecastResult, LayerHead, ModelSummary, MosaicResult, PeriodicityResult } from '../../analysis/types';
import type { ExportContent, ExportFormat } from '../../protocol/common';
import type { HeadSelection, LensResponse, SeriesPayload } from '../../protocol/series';
import { LensCacheController, lensKey, SPARK_BINS, type KeyedLensRequest, type LensFetcher } from '../controllers/lens-cache';
import { SeriesKeyboardController } from '../controllers/keyboard';
import { CHART_HEIGHT, SeriesLayersController } from '../controllers/layers';
import { Memo } from '../controllers/memo';
import { ViewportController, type RangeFetcher } from '../controllers/viewport';
import { seriesExportText, seriesFileName } from '../render/exports';
import type { SeriesFigure } from '../render/figure-data';
import { headId } from '../render/format';
import { resolveTheme } from '../render/resolve-theme';
import type { SeriesHover, SeriesLayout } from '../render/series-chart';
import { renderPatchBands } from '../render/patch-bands';
import { aggregateHeads, clampDomain, lowerBound, mergePoints, positionOfRow, rowsOfPosition, type Domain, type Points } from '../render/series-domain';
import { renderSeriesOverlay } from '../render/series-overlay';
import './action-menu';
import type { ClActionMenu, MenuItem } from './action-menu';
import './banner';
import { ensureThemeCss, svgToPngBase64 } from './browser-export';
import './export-bar';
import './head-grid';
import { groupLensTemplate, type GroupLines } from './series-group';
import { inductionNoteTemplate, mosaicKindOf, readoutTemplate } from './series-readout';
import './series-toolbar';
import type { ZoomAction } from './series-toolbar';
import { seriesViewStyles } from './series-view-styles';
import { baseStyles, selectStyles } from './styles';
import type { ExportDetail, Notice } from './types';
import { noticeBanner } from './banner';

export { LENS_CACHE_SIZE, SPARK_BINS, type LensFetcher, type LensRequest } from '../controllers/lens-cache';
export type { RangeFetcher } from '../controllers/viewport';

export interface SeriesViewState {
  hover?: SeriesHover;
  pinned?: boolean;
  domain?: Domain;
}

const EXPORT_FORMATS: ExportFormat[] = ['svg', 'png', 'json', 'csv'];

/** A forecast step's actions (its action menu). */
export const STEP_ACTIONS: readonly MenuItem[] = [{ id: 'attributeStep', label: 'Attribute this step', hint: 'residual stream' }];

export class ClSeriesView extends LitElement {
  static override properties = {
    ...objectProps('series', 'model', 'modelNote', 'forecast', 'mosaic', 'periodicity', 'selection', 'notice', 'fetchLens', 'fetchRange'),
    ...stringProps('exportStatus'),
    ...booleanProps('exportBusy'),
    ...stateProps('_hover', '_pinned', '_lens', '_stepMenu', '_groupLines'),
  };

  static override styles = [baseStyles, selectStyles, seriesViewStyles];

  declare series: SeriesPayload | undefined;
  declare model: ModelSummary | undefined;
  /** What the model is when its forecasts are not a real one's (the bundled toy), with a link to Select Model…. */
  declare modelNote: string | undefined;
  declare forecast: ForecastResult | undefined;
  declare mosaic: MosaicResult | undefined;
  declare periodicity: PeriodicityResult | null | undefined;
  declare selection: HeadSelection;
  declare notice: Notice | undefined;
  /** Set by the shared page chrome (bootstrap.ts) while an export is saved, and what happened. */
  declare exportBusy: boolean;
  declare exportStatus: string;
  declare fetchLens: LensFetcher | undefined;
  declare fetchRange: RangeFetcher | undefined;
  declare _hover: SeriesHover | undefined;
  declare _pinned: boolean;
  declare _lens: { key: string; response: LensResponse } | undefined;
  /** The forecast step whose action menu is open. */
  declare _stepMenu: number | undefined;
  /** Chronos-2: each series' share on the others over the context, per head of `layer` (they do not depend on the hover). */
  declare _groupLines: GroupLines | undefined;

  readonly #lenses = new LensCacheController(this, {
    fetcher: () => this.fetchLens,
    answered: (key, response) => {
      const lines = response.group?.lines;
      const layer = Number(key.split(':')[2]);
      if (lines?.[layer]?.length) this._groupLines = { layer, lines: lines[layer], series: response.group!.series.map((s) => s.name) };
      if (this.#wanted()?.key === key) this._lens = { key, response };
    },
    failed: (err) => {
      this.notice = { kind: 'error', message: `The attention of this point could not be fetched: ${err.message}` };
    },
  });
  readonly #viewport = new ViewportController(this, {
    series: () => this.series,
    forecastSteps: () => this.#forecastSteps(),
    fetchRange: () => this.fetchRange,
    layout: () => this.#drawn.chartLayout,
    hover: () => this._hover,
    pinned: () => this._pinned,
    setHover: (h, pinned) => this.setHover(h, pinned),
    changed: () => this.#emitState(),
    focusChart: () => this.renderRoot.querySelector<HTMLElement>('.charts')?.focus({ preventScroll: true }),
  });
  readonly #keys = new SeriesKeyboardController(this, {
    series: () => this.series,
    forecastSteps: () => (this.forecast ? this.#forecastSteps() : 0),
    rows: () => this.#points().index,
    hover: () => this._hover,
    pinned: () => this._pinned,
    setHover: (h, pinned) => this.setHover(h, pinned),
    reveal: (h) => this.#viewport.reveal(h),
    selection: () => this.selection,
    select: (sel) => this.#select(sel),
    heads: () => this.model?.heads ?? 0,
    layers: () => Math.max(this.#layers('encoder'), this.#layers('cross')),
    zoomBy: (f) => this.#viewport.zoomBy(f),
    fitContext: () => this.#viewport.fitContext(),
    revealRow: (row) => this.#revealRow(row),
    stepMenu: (step) => this.openStepMenu(step),
  });
  readonly #drawn = new SeriesLayersController(this);
  readonly #merged = new Memo<Points>();
  #pendingFocus: number | undefined;
  #restored: SeriesViewState | undefined;
  /** file + column of the data the view state belongs to. */
  #dataId = '';

  constructor() {
    super();
    this.series = undefined;
    this.model = undefined;
    this.forecast = undefined;
    this.mosaic = undefined;
    this.periodicity = undefined;
    this.selection = { mode: 'head', layer: 0, head: 0 };
    this.notice = undefined;
    this.exportBusy = false;
    this.exportStatus = '';
    this.fetchLens = undefined;
    this.fetchRange = undefined;
    this._hover = undefined;
    this._pinned = false;
    this._lens = undefined;
    this._stepMenu = undefined;
    this._groupLines = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    ensureThemeCss(this.ownerDocument);
  }

  // ---- public API (page script, tests, benchmark) ------------------------------------------

  get hover(): SeriesHover | undefined {
    return this._hover;
  }
  get pinned(): boolean {
    return this._pinned;
  }
  get domain(): Domain | undefined {
    return this.#viewport.domain;
  }
  get lensCacheSize(): number {
    return this.#lenses.size;
  }
  /** The chart's geometry (row → px in the chart's own coordinates), once drawn. */
  get chartLayout(): SeriesLayout | undefined {
    return this.#drawn.chartLayout;
  }

  /** Hovers a data row (`{ kind: 'encoder', row }`) or forecast step (`{ kind: 'cross', step }`). */
  setHover(h: SeriesHover | undefined, pinned = this._pinned): void {
    this._hover = h;
    this._pinned = !!h && pinned;
    this.#emitState();
  }

  /** Hovers and pins a data row, panning to it. */
  focusRow(row: number): void {
    const s = this.series;
    if (!s) {
      this.#pendingFocus = row;
      return;
    }
    const h: SeriesHover = { kind: 'encoder', row: Math.max(0, Math.min(s.totalRows - 1, row)) };
    this.setHover(h, true);
    this.#viewport.reveal(h);
  }

  setDomain(d: Domain): void {
    this.#viewport.setDomain(d);
  }

  /**
   * Hover, pin and zoom saved by the page (a panel shown again reloads it), applied with the next
   * `series` instead of the defaults. The page script calls it only for the same file and column.
   */
  restoreState(s: SeriesViewState): void {
    this.#restored = s;
  }

  /** Also waits for the toolbar and the head grid, so a hover's redraw is complete when this resolves. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const r = await super.getUpdateComplete();
    for (const el of this.renderRoot.querySelectorAll<LitElement>('cl-head-grid, cl-series-toolbar')) await el.updateComplete;
    return r;
  }

  // ---- data ----------------------------------------------------------------------------------

  #forecastSteps(): number {
    return this.forecast?.quantiles[0]?.length ?? 0;
  }

  #contextLength(): number {
    const s = this.series;
    return s ? s.context.end - s.context.start : 0;
  }

  #layers(kind: 'encoder' | 'cross'): number {
    const m = this.model;
    if (!m) return 0;
    // Chronos-2 has no decoder: a forecast step reads its output-patch token's time attention, in the encoder's layers
    return kind === 'encoder' || m.family === 'chronos-2' ? m.encoderLayers : m.decoderLayers;
  }

  /** The lens answer the hover needs: kind, position, layer and its cache key. */
  #wanted(): KeyedLensRequest | undefined {
    const h = this._hover;
    const s = this.series;
    if (!h || !s || !this.model) return undefined;
    let kind: 'encoder' | 'cross';
    let position: number;
    if (h.kind === 'encoder') {
      // a row's position: itself in the window, or its patch (Chronos-Bolt)
      position = positionOfRow(s.context, h.row);
      if (position < 0) return undefined;
      kind = 'encoder';
    } else {
      if (!this.forecast || h.step >= this.#forecastSteps()) return undefined;
      kind = 'cross';
      position = h.step;
    }
    const layer = Math.min(this.selection.layer, Math.max(0, this.#layers(kind) - 1));
    const group = this.model.family === 'chronos-2' ? { group: true, ...(this._groupLines?.layer === layer ? {} : { groupLines: true }) } : {};
    return { kind, position, layer, sparkBins: SPARK_BINS, ...group, key: lensKey(kind, position, layer) };
  }

  /** The first message's points with the detail rows of a zoomed range merged in. */
  #points(): Points {
    const s = this.series!;
    const detail = this.#viewport.detail;
    return this.#merged.get([s, detail], () => {
      const points: Points = { index: s.index, values: s.values, timestamps: s.timestamps };
      return detail ? mergePoints(points, detail) : points;
    });
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('series') && this.series) {
      const id = `${this.series.file}\u0000${this.series.column}`;
      const sameData = id === this.#dataId;
      this.#dataId = id;
      // New data (a document version, another column): answers from before are stale.
      this.#lenses.clear();
      this._lens = undefined;
      this._groupLines = undefined;
      const restored = this.#restored;
      this.#restored = undefined;
      this.#viewport.resetFor(this.series, sameData, restored?.domain);
      if (restored) {
        this._hover = restored.hover;
        this._pinned = !!restored.hover && !!restored.pinned;
      } else if (!sameData) {
        this._hover = undefined;
        this._pinned = false;
      }
      if (this._hover?.kind === 'encoder' && this._hover.row >= this.series.totalRows) this._hover = { kind: 'encoder', row: this.series.totalRows - 1 };
      if (this.#pendingFocus !== undefined) {
        const row = Math.max(0, Math.min(this.series.totalRows - 1, this.#pendingFocus));
        this.#pendingFocus = undefined;
        this._hover = { kind: 'encoder', row };
        this._pinned = true;
        const d = this.#viewport.domain;
        if (d && (row < d[0] || row > d[1])) this.#viewport.domain = clampDomain([row - (d[1] - d[0]) / 2, row + (d[1] - d[0]) / 2], this.#viewport.extent());
      }
    }
    if (changed.has('forecast') || changed.has('model')) {
      // cross rows follow the forecast; layer counts follow the model
      this.#lenses.drop((k) => changed.has('model') || k.startsWith('cross:'));
      if (changed.has('model')) this._groupLines = undefined;
      if (this._lens && (changed.has('model') || this._lens.key.startsWith('cross:'))) this._lens = undefined;
      // the fan arrived: make room for it when the view ended at the last row
      if (changed.has('forecast') && this.series && this.forecast && !changed.get('forecast')) this.#viewport.makeRoomForForecast(this.series.totalRows);
    }
    const w = this.#wanted();
    if (w && this._lens?.key !== w.key) {
      const hit = this.#lenses.take(w.key);
      if (hit) this._lens = { key: w.key, response: hit };
      else this.#lenses.request(w);
    }
  }

  #emitState(): void {
    this.dispatchEvent(new CustomEvent('cl-view-state', { detail: { hover: this._hover, pinned: this._pinned, domain: this.#viewport.domain } satisfies SeriesViewState, bubbles: true, composed: true }));
  }

  // ---- drawing -------------------------------------------------------------------------------

  /** The strip's weights for the current selection, from the hovered point's answer. */
  #stripWeights(r: LensResponse): { weights: number[]; label: string } | undefined {
    const sel = this.selection;
    const layer = Math.min(sel.layer, r.layers - 1);
    const rows = r.rows[layer];
    if (!rows?.length) return undefined;
    const kind = r.kind === 'cross' ? 'cross ' : '';
    if (sel.mode === 'head') {
      const row = rows[Math.min(sel.head, rows.length - 1)];
      return row ? { weights: row, label: `${kind}${headId({ layer, head: sel.head })}` } : undefined;
    }
    return { weights: aggregateHeads(rows, sel.mode), label: `${kind}${sel.mode} L${layer}` };
  }

  #gridScores(kind: 'encoder' | 'cross'): LayerHead | undefined {
    const k = mosaicKindOf(this.mosaic, this.model, kind);
    return k?.center.map((row, l) => row.map((c, h) => Math.max(c, k.right[l]?.[h] ?? 0)));
  }

  // ---- interaction ---------------------------------------------------------------------------

  #select(sel: HeadSelection): void {
    const layers = Math.max(this.#layers('encoder'), this.#layers('cross'));
    const heads = this.model?.heads ?? 1;
    const layer = Math.max(0, Math.min(layers - 1, sel.layer));
    const next: HeadSelection = sel.mode === 'head' ? { mode: 'head', layer, head: Math.max(0, Math.min(heads - 1, sel.head)) } : { mode: sel.mode, layer };
    this.selection = next;
    this.dispatchEvent(new CustomEvent('cl-select-head', { detail: { selection: next }, bubbles: true, composed: true }));
  }

  #onZoom(action: ZoomAction): void {
    if (action === 'context') this.#viewport.fitContext();
    else if (action === 'all') this.setDomain(this.#viewport.extent());
    else this.#viewport.zoomBy(action === 'in' ? 0.5 : 2);
  }

  #revealRow(row: number): void {
    this.dispatchEvent(new CustomEvent('cl-reveal-row', { detail: { row }, bubbles: true, composed: true }));
  }

  #onPeriodicClick(e: Event): void {
    const g = (e.target as Element).closest?.('.pcell') as SVGGElement | null;
    if (g) this.#select({ mode: 'head', layer: Number(g.dataset.layer), head: Number(g.dataset.head) });
  }

  #timeAt(row: number): string | undefined {
    const s = this.series;
    if (!s) return undefined;
    if (row >= s.totalRows) return this.forecast?.timestamps?.[row - s.totalRows];
    const p = this.#points();
    const k = lowerBound(p.index, row);
    return p.index[k] === row ? p.timestamps?.[k] : undefined;
  }

  #valueAt(row: number): number | null | undefined {
    const p = this.#points();
    const k = lowerBound(p.index, row);
    return p.index[k] === row ? p.values[k] : undefined;
  }

  /**
   * Whether a forecast step has actions: the causal toolkit attributes Chronos-T5 forecasts (a model
   * with no `family`), within the steps the model forecasts at once.
   */
  #stepHasActions(step: number): boolean {
    const m = this.model;
    return !!m && !m.family && !!this.forecast && step >= 0 && step < Math.min(this.#forecastSteps(), m.predictionLength);
  }

  /**
   * Opens the forecast step's action menu, under the step (or at the pointer), with the step hovered and
   * pinned; false where the step has no actions.
   */
  openStepMenu(step: number, at?: { clientX: number; clientY: number }): boolean {
    if (!this.#stepHasActions(step)) return false;
    this.setHover({ kind: 'cross', step }, true);
    this._stepMenu = step;
    void this.updateComplete.then(() => {
      const charts = this.renderRoot.querySelector<HTMLElement>('.charts');
      const svg = this.renderRoot.querySelector<SVGSVGElement>('.stage svg');
      const layout = this.#drawn.chartLayout;
      const menu = this.renderRoot.querySelector<ClActionMenu>('cl-action-menu.step-menu');
      if (!charts || !svg || !layout || !menu || !this.series) return;
      const c = charts.getBoundingClientRect();
      const r = svg.getBoundingClientRect();
      const k = r.width / (layout.width || r.width || 1);
      const x = at ? at.clientX - c.left : r.left - c.left + layout.x(this.series.totalRows + step) * k;
      const y = at ? at.clientY - c.top : r.top - c.top + layout.margin.top * k + 8;
      void menu.show(Math.max(0, x - 12), y);
    });
    return true;
  }

  #onContextMenu(e: MouseEvent): void {
    const h = this.#viewport.hitAt(e);
    if (h?.kind !== 'cross' || !this.#stepHasActions(h.step)) return;
    e.preventDefault();
    this.openStepMenu(h.step, e);
  }

  #onStepMenuSelect(e: CustomEvent<{ id: string }>): void {
    const step = this._stepMenu;
    if (step === undefined || e.detail.id !== 'attributeStep') return;
    this.dispatchEvent(new CustomEvent('cl-attribute-step', { detail: { step }, bubbles: true, composed: true }));
  }

  #onStepMenuClose(e: CustomEvent<{ reason: string }>): void {
    this._stepMenu = undefined;
    if (e.detail.reason !== 'outside' && e.detail.reason !== 'tab') this.renderRoot.querySelector<HTMLElement>('.charts')?.focus({ preventScroll: true });
  }

  // ---- export ----------------------------------------------------------------------------

  /** The figure in a format: the chart as shown (zoom, forecast fan, the hovered point), in the current theme's colours. */
  async exportFigure(format: ExportFormat): Promise<{ suggestedName: string; content: ExportContent }> {
    const s = this.series;
    if (!s) throw new Error('There is no series to export yet.');
    const p = this.#points();
    const fig: SeriesFigure = { file: s.file, column: s.column, index: p.index, values: p.values, timestamps: p.timestamps, totalRows: s.totalRows, context: s.context };
    if (this.forecast) fig.forecast = this.forecast;
    const lens = this._lens?.response;
    const w = this.#wanted();
    const highlights = lens && w && this._lens?.key === w.key ? { sameToken: lens.sameToken.map((q) => rowsOfPosition(s.context, q)[0]), nextToken: lens.nextToken.map((q) => rowsOfPosition(s.context, q)[0]) } : undefined;
    const patches = s.context.patches;
    const strip = lens && w && this._lens?.key === w.key ? this.#stripWeights(lens) : undefined;
    const bands = patches && w ? { weights: strip?.weights ?? [], context: { ...s.context, patches }, query: w.kind === 'encoder' ? w.position : undefined, label: strip?.label } : undefined;
    const opts = { document: this.ownerDocument, theme: resolveTheme(this), width: this.#viewport.chartWidth(), height: CHART_HEIGHT, chart: { xDomain: this.#viewport.domain, hover: this._hover, highlights }, bands };
    const suggestedName = seriesFileName(s, format);
    if (format === 'png') return { suggestedName, content: { encoding: 'base64', data: await svgToPngBase64(seriesExportText(fig, 'svg', opts), this.ownerDocument) } };
    return { suggestedName, content: { encoding: 'utf8', data: seriesExportText(fig, format, opts) } };
  }

  async #onExportClick(format: ExportFormat): Promise<void> {
    try {
      const { suggestedName, content } = await this.exportFigure(format);
      this.dispatchEvent(new CustomEvent<ExportDetail>('cl-export', { detail: { format, suggestedName, content }, bubbles: true, composed: true }));
    } catch (err) {
      this.notice = { kind: 'error', message: (err as Error).message };
    }
  }

  // ---- render --------------------------------------------------------------------------------

  override render() {

    const notice = noticeBanner(this, this.notice);
    const s = this.series;
    // Once the host has said why there is no series, "Reading…" would contradict it.
    if (!s) return html`${notice}${this.notice?.kind === 'error' ? nothing : html`<div class="empty muted">Reading the CSV…</div>`}`;
    const m = this.model;
    const base = this.#drawn.chart(s, this.#points(), this.forecast, this.#viewport.domain, this.#viewport.chartWidth());
    const data = base.data;
    const w = this.#wanted();
    const r = this._lens?.response;
    const fresh = !!w && this._lens?.key === w.key;
    const shown = r && (fresh || (w && r.kind === w.kind)) ? r : undefined;
    const strip = shown ? this.#stripWeights(shown) : undefined;
    const h = this._hover;
    const highlights = shown && fresh ? { sameToken: shown.sameToken.map((p) => rowsOfPosition(s.context, p)[0]), nextToken: shown.nextToken.map((p) => rowsOfPosition(s.context, p)[0]) } : undefined;
    const overlay = renderSeriesOverlay(data, base.layout, { document: this.ownerDocument, hover: h, pinned: this._pinned, highlights });
    // Chronos-Bolt: the hovered patch's span and its attention over the patches, as bands over the series
    const patches = s.context.patches;
    const bands =
      patches && w
        ? renderPatchBands(
            { weights: (fresh || shown?.kind === w.kind) && strip ? strip.weights : [], context: { ...s.context, patches }, query: w.kind === 'encoder' ? w.position : undefined, label: strip?.label },
            base.layout,
            { document: this.ownerDocument },
          )
        : nothing;
    const queryRow = h ? (h.kind === 'encoder' ? h.row : s.totalRows + h.step) : undefined;
    const stripLayer = this.#drawn.strip(
      {
        weights: strip?.weights ?? [],
        contextStart: s.context.start,
        context: s.context,
        queryRow,
        sameToken: fresh ? shown?.sameToken : undefined,
        nextToken: fresh ? shown?.nextToken : undefined,
        label: strip?.label ?? (m ? (w ? 'loading…' : h ? 'no attention' : 'attention') : 'no model'),
      },
      base.layout,
    );
    const kind: 'encoder' | 'cross' = (w?.kind ?? shown?.kind ?? 'encoder') as 'encoder' | 'cross';
    const sel = this.selection;
    const layers = m ? Math.max(m.encoderLayers, m.decoderLayers) : 0;
    const fsteps = this.#forecastSteps();
    const per = this.periodicity;
    const wide = this.#viewport.wide();
    const sparkRows = shown?.sparklines ?? [];
    const T = this.#contextLength();
    const marker = shown && shown.kind === 'encoder' && fresh ? Math.floor((shown.position * (sparkRows[0]?.[0]?.length ?? SPARK_BINS)) / Math.max(1, shown.contextLength)) : undefined;
    const fc = this.forecast;
    const subtitle = [
      m ? `${m.name}${m.family === 'chronos-bolt' ? ' (Chronos-Bolt)' : m.family === 'chronos-2' ? ' (Chronos-2)' : ''}` : 'loading the model…',
      s.task && (s.task.targets.length > 1 || s.task.covariates.length)
        ? [s.task.targets.length > 1 ? `jointly with ${s.task.targets.filter((t) => t !== s.column).join(', ')}` : '', s.task.covariates.length ? `covariates ${s.task.covariates.join(', ')}` : ''].filter(Boolean).join(' · ')
        : null,
      `${s.totalRows.toLocaleString('en-US')} rows`,
      `context: last ${T.toLocaleString('en-US')}${patches ? ` in ${patches.count} patches of ${patches.size}` : ''}`,
      fc ? `forecast: ${fsteps} steps (${fc.numSamples ? `${fc.numSamples} samples` : `quantile head, ${fc.quantileLevels.length} levels`})` : m ? 'forecast: computing…' : null,
      // the context window's period: the ablation report states MASE's own, found before its held-out points
      per ? `period ${per.headScores.period} in the context` : per === null ? 'no dominant period' : null,
    ].filter(Boolean);
    return html`
      <header>
        <div>
          <h1>${s.file} · ${s.column}</h1>
          <div class="subtitle muted">${subtitle.join(' · ')}</div>
          ${m && this.modelNote
            ? html`<div class="model-note muted" role="note">${this.modelNote}. <button type="button" class="link" @click=${() => this.dispatchEvent(new CustomEvent('cl-select-model', { bubbles: true, composed: true }))}>Select Model…</button> picks one of Amazon's.</div>`
            : nothing}
          ${s.warnings?.length ? html`<div class="warnings muted" role="status">${s.warnings.map((w) => html`<div>${w}</div>`)}</div>` : nothing}
        </div>
        <cl-export-bar .formats=${EXPORT_FORMATS} .status=${this.exportStatus} ?busy=${this.exportBusy} @cl-export-click=${(e: CustomEvent<{ format: ExportFormat }>) => void this.#onExportClick(e.detail.format)}></cl-export-bar>
        ${m?.family === 'chronos-2'
          ? html`<button class="task" title="Choose the columns forecast together with this one, and the covariates they read" @click=${() => this.dispatchEvent(new CustomEvent('cl-choose-task', { bubbles: true, composed: true }))}>Targets &amp; covariates…</button>`
          : nothing}
        <label class="field">Column
          <select aria-label="Column" .value=${s.column} @change=${(e: Event) => this.dispatchEvent(new CustomEvent('cl-select-column', { detail: { column: (e.target as HTMLSelectElement).value }, bubbles: true, composed: true }))}>
            ${s.columns.map((c) => html`<option value=${c} ?selected=${c === s.column}>${c}</option>`)}
          </select>
        </label>
      </header>
      ${notice}
      <cl-series-toolbar
        .selection=${sel}
        .layers=${layers}
        .heads=${m?.heads ?? 0}
        ?patches=${!!s.context.patches}
        @cl-toolbar-select=${(e: CustomEvent<{ selection: HeadSelection }>) => this.#select(e.detail.selection)}
        @cl-zoom=${(e: CustomEvent<{ action: ZoomAction }>) => this.#onZoom(e.detail.action)}
      ></cl-series-toolbar>
      <div class=${wide ? 'main wide' : 'main'}>
        <div
          class="charts"
          tabindex="0"
          role="application"
          aria-roledescription="series chart"
          aria-label=${`${s.column}: ${s.totalRows} rows. Arrow keys move the hovered point, up and down change the head, Page Up and Page Down the layer, M the mode, plus and minus zoom.`}
          @keydown=${(e: KeyboardEvent) => {
            // keys the open step menu leaves alone stay with the menu
            if (this._stepMenu === undefined) this.#keys.onKey(e);
          }}
        >
          <div
            class=${this.#viewport.dragging ? 'stage dragging' : 'stage'}
            @pointermove=${(e: PointerEvent) => this.#viewport.onPointerMove(e)}
            @pointerdown=${(e: PointerEvent) => this.#viewport.onPointerDown(e)}
            @pointerup=${(e: PointerEvent) => this.#viewport.onPointerUp(e)}
            @pointercancel=${() => this.#viewport.onPointerCancel()}
            @wheel=${(e: WheelEvent) => this.#viewport.onWheel(e)}
            @contextmenu=${(e: MouseEvent) => this.#onContextMenu(e)}
          >
            ${base.svg}${bands}${overlay}
          </div>
          <div class=${fresh || !strip ? 'strip' : 'strip stale'}>${stripLayer.canvas}${stripLayer.svg}</div>
          <div
            class="overview"
            title="The whole column: click or drag to move the view"
            @pointerdown=${(e: PointerEvent) => this.#viewport.onOverviewPointer(e)}
            @pointermove=${(e: PointerEvent) => this.#viewport.onOverviewPointer(e)}
            @pointerup=${(e: PointerEvent) => this.#viewport.onOverviewPointer(e)}
          >
            ${this.#drawn.overview(s, base.layout, this.#viewport.domain ?? this.#viewport.extent(), this.#forecastSteps())}
          </div>
          <div class="periodic" @click=${(e: Event) => this.#onPeriodicClick(e)}>
            ${per
              ? this.#drawn.periodicity(per, base.layout, sel.mode === 'head' ? { layer: sel.layer, head: sel.head } : undefined)
              : html`<span class="muted">${!m ? '' : per === null ? 'Periodicity: no period stands out in the context window.' : 'Periodicity: computing…'}</span>`}
          </div>
          <cl-action-menu
            class="step-menu"
            .items=${STEP_ACTIONS}
            .label=${this._stepMenu !== undefined ? `Forecast step ${this._stepMenu + 1}` : ''}
            @cl-menu-select=${(e: CustomEvent<{ id: string }>) => this.#onStepMenuSelect(e)}
            @cl-menu-close=${(e: CustomEvent<{ reason: string }>) => this.#onStepMenuClose(e)}
          ></cl-action-menu>
          <div class="readout" aria-live="polite">${readoutTemplate({
            series: s,
            forecast: this.forecast,
            hover: h,
            pinned: this._pinned,
            contextLength: T,
            strip,
            lens: shown,
            timeAt: (row) => this.#timeAt(row),
            valueAt: (row) => this.#valueAt(row),
            revealRow: (row) => this.#revealRow(row),
          })}</div>
        </div>
        <aside class="side" aria-label="Heads">
          <h2>${kind === 'cross' ? (m?.family === 'chronos-2' ? 'Output-token time attention' : 'Cross-attention') : m?.family === 'chronos-2' ? 'Time attention' : 'Encoder self-attention'} per head</h2>
          ${sparkRows.length
            ? html`<cl-head-grid
                .rows=${sparkRows}
                .selected=${sel.mode === 'head' ? { layer: sel.layer, head: sel.head } : undefined}
                .marker=${marker}
                .scores=${this.#gridScores(kind)}
                .cellWidth=${this.#viewport.sparkCell(sparkRows[0]?.length ?? 8)}
                .cellHeight=${this.#gridScores(kind) ? 34 : 26}
                label=${`Attention of the hovered point, ${sparkRows.length} layers × ${sparkRows[0]?.length ?? 0} heads; Enter selects a head`}
                @cl-head-select=${(e: CustomEvent<{ layer: number; head: number }>) => this.#select({ mode: 'head', layer: e.detail.layer, head: e.detail.head })}
              ></cl-head-grid>`
            : html`<p class="note muted">${m ? 'Hover a context point or a forecast step.' : 'The heads appear once the model has loaded.'}</p>`}
          ${m ? inductionNoteTemplate(sel, this.mosaic, m, kind) : nothing}
        </aside>
        ${m?.family === 'chronos-2'
          ? groupLensTemplate({ series: this.series!, shown, fresh, layout: base.layout, selection: this.selection, groupLines: this._groupLines, query: this.#wanted(), document: this.ownerDocument })
          : nothing}
      </div>
      <p class="hint muted">
        <kbd>←</kbd> <kbd>→</kbd> move the point (<kbd>Shift</kbd> ×10) · <kbd>↑</kbd> <kbd>↓</kbd> head · <kbd>PgUp</kbd> <kbd>PgDn</kbd> layer · <kbd>M</kbd> head / max / mean ·
        <kbd>+</kbd> <kbd>−</kbd> <kbd>0</kbd> zoom · click pins the point · wheel zooms, drag pans · <kbd>Enter</kbd> reveals the row in the editor${this.#stepHasActions(0) ? html`, or on a forecast step (or right-click it) opens its actions` : nothing}
      </p>
    `;
  }
}

if (!customElements.get('cl-series-view')) customElements.define('cl-series-view', ClSeriesView);

declare global {
  interface HTMLElementTagNameMap {
    'cl-series-view': ClSeriesView;
  }
}
