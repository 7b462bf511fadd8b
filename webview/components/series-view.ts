/**
 * <cl-series-view>: the series view (issue 7), the interactive version of the background article's
 * Figure 1. A CSV column with the model's forecast fan; hover (or move with the keyboard) over a
 * context point to see its encoder self-attention over the context under the chart, for the selected
 * layer and head or the max / mean over the layer's heads, with the earlier copies of its token and
 * the points right after them ringed; hover a forecast step for its cross-attention. Beside it the
 * layers × heads sparklines of the hovered point's attention (click selects a head) with the
 * selected head's induction scores from the latest mosaic, and the periodicity strip.
 *
 * Drawing is layered so that a hover redraws little: the chart is rendered once per data / size /
 * zoom (render/series.ts) and the hover rule, point and highlights go in an overlay on top
 * (render/series-view.ts); the attention strip and the sparklines are redrawn from the hovered
 * point's lens answer, which is cached per (kind, position, layer).
 *
 * Zoom: wheel (at the pointer), drag to pan, the overview strip's brush, buttons and keys; a range
 * the first message under-resolves (a long column is sent downsampled) is asked from the host.
 *
 * Properties
 *   series: SeriesPayload | undefined         model: ModelSummary | undefined
 *   forecast: ForecastResult | undefined       mosaic: MosaicResult | undefined
 *   periodicity: PeriodicityResult | null | undefined (null: no period stands out; undefined: computing)
 *   selection: HeadSelection                   notice: Notice | undefined
 *   fetchLens: (request, signal) => Promise<LensResponse>   (set by the page script)
 *   fetchRange: (start, end, points, signal) => Promise<SeriesRange>
 * Events (bubbling, composed)
 *   cl-select-head { selection }   cl-select-column { column }   cl-reveal-row { row }
 *   cl-view-state { hover, pinned, domain }   cl-dismiss-notice
 *   cl-export { format, suggestedName, content }   (the export bar; the page script saves it through the host)
 * Methods
 *   setHover(hover | undefined, pinned?), hover, domain, setDomain(d), lensCacheSize
 *   exportFigure(format): the chart as shown (SVG, PNG), a Plotly figure (JSON), the context window and the
 *   forecast (CSV)
 */
import { LitElement, css, html, nothing } from 'lit';
import type { ForecastResult, LayerHead, ModelSummary, MosaicKind, MosaicResult, PeriodicityResult } from '../../analysis/types';
import type { HeadSelection, LensResponse, SeriesPayload, SeriesRange } from '../../protocol/series';
import { fmtMetric, fmtScore, fmtScoreSe, headId } from '../render/format';
import { forecastFan, renderAttentionStrip, renderSeriesChart, seriesLayout, updateAttentionStrip, type AttentionStripData, type SeriesChartData, type SeriesHover, type SeriesLayout } from '../render/series';
import {
  aggregateHeads,
  clampDomain,
  defaultDomain,
  extentOf,
  lowerBound,
  mergePoints,
  overviewGeometry,
  panDomain,
  pointsIn,
  renderPeriodicityStrip,
  renderSeriesOverlay,
  renderSeriesOverview,
  strongest,
  zoomDomain,
  type Domain,
  type Points,
} from '../render/series-view';
import './banner';
import type { ExportContent, ExportFormat } from '../../protocol/common';
import { seriesExportText, seriesFileName } from '../render/exports';
import type { SeriesFigure } from '../render/figure-data';
import { resolveTheme } from '../render/resolve-theme';
import { ensureThemeCss, svgToPngBase64 } from './browser-export';
import './export-bar';
import './head-grid';
import { baseStyles } from './styles';
import type { ExportDetail, Notice } from './types';

export interface LensRequest {
  kind: 'encoder' | 'cross';
  position: number;
  layer: number;
  sparkBins: number;
}
export type LensFetcher = (req: LensRequest, signal: AbortSignal) => Promise<LensResponse>;
export type RangeFetcher = (start: number, end: number, points: number, signal: AbortSignal) => Promise<SeriesRange>;

export interface SeriesViewState {
  hover?: SeriesHover;
  pinned?: boolean;
  domain?: Domain;
}

/** Sparkline resolution asked of the host. */
export const SPARK_BINS = 48;
/** Lens answers kept in the page. */
export const LENS_CACHE_SIZE = 400;
const CHART_HEIGHT = 300;
const EXPORT_FORMATS: ExportFormat[] = ['svg', 'png', 'json', 'csv'];
const STRIP_HEIGHT = 58;
/** Side panel width (head grid) when there is room beside the chart. */
const SIDE_WIDTH = 420;
const WIDE = 1040;

const MODES: { id: HeadSelection['mode']; label: string }[] = [
  { id: 'head', label: 'Head' },
  { id: 'max', label: 'Max' },
  { id: 'mean', label: 'Mean' },
];

function sameHover(a: SeriesHover | undefined, b: SeriesHover | undefined): boolean {
  if (!a || !b) return a === b;
  return a.kind === b.kind && (a.kind === 'encoder' ? a.row === (b as { row: number }).row : a.step === (b as { step: number }).step);
}

function fmtRow(r: number): string {
  return (r + 1).toLocaleString('en-US');
}

export class ClSeriesView extends LitElement {
  static override properties = {
    series: { attribute: false },
    model: { attribute: false },
    forecast: { attribute: false },
    mosaic: { attribute: false },
    periodicity: { attribute: false },
    selection: { attribute: false },
    notice: { attribute: false },
    exportBusy: { type: Boolean },
    exportStatus: { type: String },
    fetchLens: { attribute: false },
    fetchRange: { attribute: false },
    _hover: { state: true },
    _pinned: { state: true },
    _domain: { state: true },
    _detail: { state: true },
    _lens: { state: true },
    _width: { state: true },
    _dragging: { state: true },
  };

  static override styles = [
    baseStyles,
    css`
      :host {
        padding: 12px 16px 20px;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-end;
        justify-content: space-between;
        gap: 6px 24px;
      }
      .subtitle {
        margin-top: 2px;
      }
      cl-banner {
        margin: 8px 0 0;
      }
      label.field {
        display: inline-flex;
        align-items: center;
        gap: 6px;
      }
      select {
        font: inherit;
        color: var(--vscode-dropdown-foreground, var(--cl-fg, #1f1f1f));
        background: var(--vscode-dropdown-background, var(--cl-bg, #ffffff));
        border: 1px solid var(--vscode-dropdown-border, var(--cl-grid, #c8c8c8));
        border-radius: 2px;
        padding: 2px 4px;
      }
      select:disabled {
        opacity: 0.5;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px 18px;
        margin: 12px 0 8px;
        padding-bottom: 8px;
        border-bottom: 1px solid var(--vscode-panel-border, var(--cl-grid, #d8d8d8));
      }
      .group {
        display: inline-flex;
        align-items: center;
        gap: 6px;
      }
      .group > .caption {
        color: var(--cl-muted, #616161);
      }
      .segmented {
        display: inline-flex;
      }
      .segmented button {
        border-radius: 0;
        padding: 2px 10px;
      }
      .segmented button:first-child {
        border-radius: 2px 0 0 2px;
      }
      .segmented button:last-child {
        border-radius: 0 2px 2px 0;
      }
      .segmented button[aria-pressed='true'] {
        color: var(--vscode-button-foreground, #ffffff);
        background: var(--vscode-button-background, #005fb8);
        outline: 1px solid var(--vscode-contrastActiveBorder, transparent);
        outline-offset: -2px;
      }
      .main {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 12px 20px;
        align-items: start;
      }
      .main.wide {
        /* SIDE_WIDTH */
        grid-template-columns: minmax(0, 1fr) 420px;
      }
      .charts {
        min-width: 0;
        outline: none;
        border-radius: 2px;
      }
      .charts:focus-visible {
        outline: 1px solid var(--vscode-focusBorder, var(--cl-accent, #005fb8));
        outline-offset: 2px;
      }
      .stage {
        position: relative;
        width: fit-content;
        max-width: 100%;
        cursor: crosshair;
        touch-action: none;
      }
      .stage.dragging {
        cursor: grabbing;
      }
      .stage svg,
      .strip svg,
      .overview svg,
      .periodic svg {
        display: block;
        max-width: 100%;
        height: auto;
      }
      .stage .cl-series-overlay {
        position: absolute;
        left: 0;
        top: 0;
        width: 100%;
        height: 100%;
        pointer-events: none;
      }
      /* hovers redraw inside these boxes only */
      .stage,
      .strip,
      .readout,
      .side {
        contain: layout paint;
      }
      .strip.stale svg {
        opacity: 0.45;
      }
      .overview {
        margin-top: 2px;
        cursor: pointer;
        touch-action: none;
      }
      .periodic {
        margin-top: 10px;
      }
      .periodic .pcell {
        cursor: pointer;
      }
      h2 {
        font-size: 1em;
        margin: 0 0 4px;
      }
      .side {
        min-width: 0;
        overflow-x: auto;
      }
      .side .note {
        margin: 4px 0 0;
        font-size: 0.92em;
      }
      .readout {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 4px 16px;
        margin-top: 10px;
        padding: 6px 10px;
        border-radius: 3px;
        background: var(--vscode-editorWidget-background, rgba(128, 128, 128, 0.08));
        border: 1px solid var(--vscode-editorWidget-border, transparent);
        font-variant-numeric: tabular-nums;
        min-height: 22px;
      }
      .readout strong {
        font-weight: 600;
      }
      .readout button {
        margin-left: auto;
        padding: 1px 8px;
      }
      .legend {
        display: inline-flex;
        gap: 12px;
        align-items: center;
      }
      .swatch {
        display: inline-block;
        width: 9px;
        height: 9px;
        border-radius: 50%;
        border: 2px solid currentColor;
        margin-right: 4px;
        vertical-align: -1px;
      }
      .swatch.same {
        color: var(--cl-same-token, #b35900);
      }
      .swatch.next {
        color: var(--cl-next-token, #7a3db8);
      }
      .hint {
        margin: 8px 0 0;
        font-size: 0.92em;
      }
      kbd {
        font-family: var(--vscode-editor-font-family, monospace);
        font-size: 0.9em;
        padding: 0 4px;
        border-radius: 3px;
        border: 1px solid var(--vscode-keybindingLabel-border, var(--cl-grid, #c8c8c8));
        background: var(--vscode-keybindingLabel-background, transparent);
      }
      .empty {
        padding: 32px 0;
      }
    `,
  ];

  declare series: SeriesPayload | undefined;
  declare model: ModelSummary | undefined;
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
  declare _domain: Domain | undefined;
  declare _detail: SeriesRange | undefined;
  declare _lens: { key: string; response: LensResponse } | undefined;
  declare _width: number;
  declare _dragging: boolean;

  readonly #cache = new Map<string, LensResponse>();
  #pending: { key: string; ac: AbortController } | undefined;
  #rangeTimer: ReturnType<typeof setTimeout> | undefined;
  #rangeAc: AbortController | undefined;
  #observer: ResizeObserver | undefined;
  #base: { key: unknown[]; svg: SVGSVGElement; layout: SeriesLayout; data: SeriesChartData } | undefined;
  #merged: { key: unknown[]; points: Points } | undefined;
  #overview: { key: unknown[]; svg: SVGSVGElement } | undefined;
  #periodic: { key: unknown[]; svg: SVGSVGElement } | undefined;
  #strip: { layout: SeriesLayout; svg: SVGSVGElement } | undefined;
  #frame = 0;
  #pendingPx: number | undefined;
  #drag: { x: number; domain: Domain; moved: boolean; pointer: number } | undefined;
  #brushDrag: number | undefined;
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
    this._domain = undefined;
    this._detail = undefined;
    this._lens = undefined;
    this._width = 0;
    this._dragging = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    ensureThemeCss(this.ownerDocument);
    if (typeof ResizeObserver !== 'undefined') {
      this.#observer = new ResizeObserver((entries) => {
        const w = Math.floor((entries[0]?.contentRect.width ?? 0) / 8) * 8;
        if (w > 0 && w !== this._width) requestAnimationFrame(() => (this._width = w));
      });
      this.#observer.observe(this);
    }
  }

  override disconnectedCallback(): void {
    this.#observer?.disconnect();
    this.#pending?.ac.abort();
    this.#rangeAc?.abort();
    super.disconnectedCallback();
  }

  // ---- public API (page script, tests, benchmark) ------------------------------------------

  get hover(): SeriesHover | undefined {
    return this._hover;
  }
  get pinned(): boolean {
    return this._pinned;
  }
  get domain(): Domain | undefined {
    return this._domain;
  }
  get lensCacheSize(): number {
    return this.#cache.size;
  }
  /** The chart's geometry (row → px in the chart's own coordinates), once drawn. */
  get chartLayout(): SeriesLayout | undefined {
    return this.#base?.layout;
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
    this.#reveal(h);
  }

  setDomain(d: Domain): void {
    if (!this.series) return;
    this._domain = clampDomain(d, this.#extent());
    this.#emitState();
    this.#scheduleRange();
  }

  /**
   * Hover, pin and zoom saved by the page (a panel shown again reloads it), applied with the next
   * `series` instead of the defaults. The page script calls it only for the same file and column.
   */
  restoreState(s: SeriesViewState): void {
    this.#restored = s;
  }

  /** Also waits for the head grid, so a hover's redraw is complete when this resolves. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const r = await super.getUpdateComplete();
    const grid = this.renderRoot.querySelector('cl-head-grid');
    if (grid) await grid.updateComplete;
    return r;
  }

  // ---- data ----------------------------------------------------------------------------------

  #forecastSteps(): number {
    return this.forecast?.quantiles[0]?.length ?? 0;
  }

  #extent(): Domain {
    return extentOf(this.series?.totalRows ?? 1, this.#forecastSteps());
  }

  #contextLength(): number {
    const s = this.series;
    return s ? s.context.end - s.context.start : 0;
  }

  #layers(kind: 'encoder' | 'cross'): number {
    const m = this.model;
    if (!m) return 0;
    return kind === 'encoder' ? m.encoderLayers : m.decoderLayers;
  }

  /** The lens answer the hover needs: kind, position, layer and its cache key. */
  #wanted(): (LensRequest & { key: string }) | undefined {
    const h = this._hover;
    const s = this.series;
    if (!h || !s || !this.model) return undefined;
    let kind: 'encoder' | 'cross';
    let position: number;
    if (h.kind === 'encoder') {
      if (h.row < s.context.start || h.row >= s.context.end) return undefined;
      kind = 'encoder';
      position = h.row - s.context.start;
    } else {
      if (!this.forecast || h.step >= this.#forecastSteps()) return undefined;
      kind = 'cross';
      position = h.step;
    }
    const layer = Math.min(this.selection.layer, Math.max(0, this.#layers(kind) - 1));
    return { kind, position, layer, sparkBins: SPARK_BINS, key: `${kind}:${position}:${layer}` };
  }

  #points(): Points {
    const s = this.series!;
    const key = [s, this._detail];
    if (this.#merged && key.every((k, i) => k === this.#merged!.key[i])) return this.#merged.points;
    let points: Points = { index: s.index, values: s.values, timestamps: s.timestamps };
    if (this._detail) points = mergePoints(points, this._detail);
    this.#merged = { key, points };
    return points;
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('series') && this.series) {
      const id = `${this.series.file}\u0000${this.series.column}`;
      const sameData = id === this.#dataId;
      this.#dataId = id;
      // New data (a document version, another column): answers from before are stale.
      this.#cache.clear();
      this.#pending?.ac.abort();
      this.#pending = undefined;
      this._lens = undefined;
      this._detail = undefined;
      const ext = this.#extent();
      const restored = this.#restored;
      this.#restored = undefined;
      if (restored?.domain) this._domain = clampDomain(restored.domain, ext);
      else if (!sameData || !this._domain) this._domain = defaultDomain(this.series.totalRows, this.series.context, this.#forecastSteps());
      else this._domain = clampDomain(this._domain, ext);
      if (restored) {
        this._hover = restored.hover;
        this._pinned = !!restored.hover && !!restored.pinned;
      } else if (!sameData) {
        this._hover = undefined;
        this._pinned = false;
      }
      if (this._hover?.kind === 'encoder' && this._hover.row >= this.series.totalRows) this._hover = { kind: 'encoder', row: this.series.totalRows - 1 };
      this.#scheduleRange();
      if (this.#pendingFocus !== undefined) {
        const row = Math.max(0, Math.min(this.series.totalRows - 1, this.#pendingFocus));
        this.#pendingFocus = undefined;
        this._hover = { kind: 'encoder', row };
        this._pinned = true;
        const d = this._domain;
        if (d && (row < d[0] || row > d[1])) this._domain = clampDomain([row - (d[1] - d[0]) / 2, row + (d[1] - d[0]) / 2], ext);
      }
    }
    if (changed.has('forecast') || changed.has('model')) {
      // cross rows follow the forecast; layer counts follow the model
      for (const k of [...this.#cache.keys()]) if (changed.has('model') || k.startsWith('cross:')) this.#cache.delete(k);
      if (this._lens && (changed.has('model') || this._lens.key.startsWith('cross:'))) this._lens = undefined;
      if (changed.has('forecast') && this.series && this._domain && this.forecast && !changed.get('forecast')) {
        // the fan arrived: make room for it when the view ended at the last row
        const ext = this.#extent();
        if (this._domain[1] >= this.series.totalRows - 1.5) this._domain = clampDomain([this._domain[0], ext[1]], ext);
      }
    }
    const w = this.#wanted();
    if (w && this._lens?.key !== w.key) {
      const hit = this.#cache.get(w.key);
      if (hit) {
        this.#cache.delete(w.key);
        this.#cache.set(w.key, hit);
        this._lens = { key: w.key, response: hit };
      } else this.#request(w);
    }
  }

  #request(w: LensRequest & { key: string }): void {
    if (!this.fetchLens || this.#pending?.key === w.key) return;
    this.#pending?.ac.abort();
    const ac = new AbortController();
    this.#pending = { key: w.key, ac };
    const { key, ...req } = w;
    this.fetchLens(req, ac.signal).then(
      (r) => {
        if (this.#pending?.ac === ac) this.#pending = undefined;
        if (ac.signal.aborted) return;
        this.#cache.set(key, r);
        while (this.#cache.size > LENS_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
        if (this.#wanted()?.key === key) this._lens = { key, response: r };
      },
      (err: Error & { code?: string }) => {
        if (this.#pending?.ac === ac) this.#pending = undefined;
        if (ac.signal.aborted || err.code === 'cancelled' || err.code === 'disposed') return;
        this.notice = { kind: 'error', message: `The attention of this point could not be fetched: ${err.message}` };
      },
    );
  }

  #scheduleRange(): void {
    clearTimeout(this.#rangeTimer);
    this.#rangeTimer = setTimeout(() => this.#fetchRange(), 120);
  }

  /** Asks the host for the visible rows when the first message's points under-resolve them. */
  #fetchRange(): void {
    const s = this.series;
    const d = this._domain;
    if (!s || !d || !this.fetchRange) return;
    const start = Math.max(0, Math.floor(d[0]));
    const end = Math.min(s.totalRows, Math.ceil(d[1]) + 1);
    if (end - start < 3) return;
    if (this._detail && this._detail.start <= start && this._detail.end >= end && pointsIn(this._detail.index, d) >= Math.min(end - start, this.#plotWidth()) * 0.5) return;
    const have = pointsIn(s.index, d);
    const want = Math.min(end - start, Math.round(this.#plotWidth() * 1.5));
    if (have >= want * 0.6) {
      if (this._detail) this._detail = undefined;
      return;
    }
    this.#rangeAc?.abort();
    const ac = new AbortController();
    this.#rangeAc = ac;
    this.fetchRange(start, end, Math.max(3, want), ac.signal).then(
      (r) => {
        if (!ac.signal.aborted && this.series === s) this._detail = r;
      },
      () => undefined,
    );
  }

  #plotWidth(): number {
    return Math.max(200, this.#chartWidth() - 80);
  }

  /** Sparkline width so that the grid fits the side panel (or half the page when narrow). */
  #sparkCell(heads: number): number {
    const avail = this.#wide() ? SIDE_WIDTH : Math.min(SIDE_WIDTH * 1.5, (this._width || 1100) - 32);
    return Math.max(26, Math.min(64, Math.floor((avail - 30) / Math.max(1, heads)) - 4));
  }

  #wide(): boolean {
    return (this._width || 1100) >= WIDE;
  }

  #chartWidth(): number {
    const w = this._width || 1100;
    const pad = 32;
    return Math.max(360, Math.floor(this.#wide() ? w - pad - SIDE_WIDTH - 20 : w - pad));
  }

  #emitState(): void {
    this.dispatchEvent(new CustomEvent('cl-view-state', { detail: { hover: this._hover, pinned: this._pinned, domain: this._domain } satisfies SeriesViewState, bubbles: true, composed: true }));
  }

  // ---- drawing -------------------------------------------------------------------------------

  #chartData(): SeriesChartData {
    const s = this.series!;
    const p = this.#points();
    const d: SeriesChartData = { index: p.index, values: p.values, timestamps: p.timestamps, context: s.context };
    if (this.forecast) d.forecast = forecastFan(this.forecast, s.totalRows);
    return d;
  }

  #baseChart(): { svg: SVGSVGElement; layout: SeriesLayout; data: SeriesChartData } {
    const w = this.#chartWidth();
    const key = [this.series, this.#points(), this.forecast, this._domain?.[0], this._domain?.[1], w];
    if (this.#base && key.every((k, i) => k === this.#base!.key[i])) return this.#base;
    const data = this.#chartData();
    const opts = { document: this.ownerDocument, width: w, height: CHART_HEIGHT, xDomain: this._domain, yLabel: this.series!.column };
    const svg = renderSeriesChart(data, opts);
    const layout = seriesLayout(data, opts);
    this.#base = { key, svg, layout, data };
    return this.#base;
  }

  #overviewSvg(layout: SeriesLayout): SVGSVGElement {
    const s = this.series!;
    const key = [s, layout.width, this._domain?.[0], this._domain?.[1], this.#forecastSteps()];
    if (this.#overview && key.every((k, i) => k === this.#overview!.key[i])) return this.#overview.svg;
    const svg = renderSeriesOverview(
      { index: s.index, values: s.values, totalRows: s.totalRows, context: s.context, forecastSteps: this.#forecastSteps() },
      { document: this.ownerDocument, width: layout.width, margin: layout.margin, domain: this._domain ?? this.#extent() },
    );
    this.#overview = { key, svg };
    return svg;
  }

  #periodicSvg(width: number, left: number, right: number): SVGSVGElement | undefined {
    const p = this.periodicity;
    if (!p) return undefined;
    const sel = this.selection.mode === 'head' ? { layer: this.selection.layer, head: this.selection.head } : undefined;
    const key = [p, width, left, right, sel?.layer, sel?.head];
    if (this.#periodic && key.every((k, i) => k === this.#periodic!.key[i])) return this.#periodic.svg;
    const svg = renderPeriodicityStrip(p, { document: this.ownerDocument, width, left, right, selected: sel, interactive: true });
    this.#periodic = { key, svg };
    return svg;
  }

  /** The attention strip, redrawn in place while the chart's geometry stays the same (a hover). */
  #stripSvg(data: AttentionStripData, layout: SeriesLayout): SVGSVGElement {
    const opts = { document: this.ownerDocument, layout, height: STRIP_HEIGHT };
    if (this.#strip?.layout === layout) {
      updateAttentionStrip(this.#strip.svg, data, opts);
      return this.#strip.svg;
    }
    const svg = renderAttentionStrip(data, opts);
    this.#strip = { layout, svg };
    return svg;
  }

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

  #mosaicKind(kind: 'encoder' | 'cross'): MosaicKind | undefined {
    const m = this.mosaic;
    if (!m || (this.model && m.model.hash !== this.model.hash)) return undefined;
    return m[kind];
  }

  #gridScores(kind: 'encoder' | 'cross'): LayerHead | undefined {
    const k = this.#mosaicKind(kind);
    return k?.center.map((row, l) => row.map((c, h) => Math.max(c, k.right[l]?.[h] ?? 0)));
  }

  // ---- interaction ---------------------------------------------------------------------------

  #px(e: { clientX: number }, svg: Element, layoutWidth: number): number {
    const r = svg.getBoundingClientRect();
    return (e.clientX - r.left) * (layoutWidth / (r.width || layoutWidth));
  }

  #hoverAtPx(px: number): void {
    const base = this.#base;
    if (!base || this._pinned) return;
    const h = base.layout.hit(px);
    if (h && !sameHover(h, this._hover)) this.setHover(h, false);
  }

  #onPointerMove(e: PointerEvent): void {
    const svg = (e.currentTarget as HTMLElement).querySelector('svg');
    const base = this.#base;
    if (!svg || !base) return;
    const px = this.#px(e, svg, base.layout.width);
    if (this.#drag && e.pointerId === this.#drag.pointer) {
      const dx = px - this.#drag.x;
      if (Math.abs(dx) > 3) this.#drag.moved = true;
      if (this.#drag.moved) {
        this._dragging = true;
        const [a, b] = this.#drag.domain;
        const plot = base.layout.width - base.layout.margin.left - base.layout.margin.right;
        this.setDomain(panDomain([a, b], (-dx / plot) * (b - a), this.#extent()));
      }
      return;
    }
    // one hover per frame, the latest position
    this.#pendingPx = px;
    if (!this.#frame) {
      this.#frame = requestAnimationFrame(() => {
        this.#frame = 0;
        if (this.#pendingPx !== undefined) this.#hoverAtPx(this.#pendingPx);
      });
    }
  }

  #onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    const svg = (e.currentTarget as HTMLElement).querySelector('svg');
    const base = this.#base;
    if (!svg || !base || !this._domain) return;
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    this.#drag = { x: this.#px(e, svg, base.layout.width), domain: this._domain, moved: false, pointer: e.pointerId };
  }

  #onPointerUp(e: PointerEvent): void {
    const d = this.#drag;
    this.#drag = undefined;
    this._dragging = false;
    if (!d || d.moved) return;
    // a click: pin the point under the pointer (or release the pin)
    const svg = (e.currentTarget as HTMLElement).querySelector('svg');
    const base = this.#base;
    if (!svg || !base) return;
    const h = base.layout.hit(this.#px(e, svg, base.layout.width));
    if (this._pinned && sameHover(h, this._hover)) this.setHover(this._hover, false);
    else if (h) this.setHover(h, true);
    this.renderRoot.querySelector<HTMLElement>('.charts')?.focus({ preventScroll: true });
  }

  #onWheel(e: WheelEvent): void {
    const svg = (e.currentTarget as HTMLElement).querySelector('svg');
    const base = this.#base;
    if (!svg || !base || !this._domain) return;
    e.preventDefault();
    const at = base.layout.x.invert(this.#px(e, svg, base.layout.width));
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    this.setDomain(zoomDomain(this._domain, Math.exp(delta * 0.0015), at, this.#extent()));
  }

  #onOverviewPointer(e: PointerEvent): void {
    const s = this.series;
    const base = this.#base;
    if (!s || !base || !this._domain) return;
    if (e.type === 'pointerdown') {
      if (e.button !== 0) return;
      this.#brushDrag = e.pointerId;
      (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    } else if (e.type === 'pointerup') {
      this.#brushDrag = undefined;
      return;
    } else if (this.#brushDrag !== e.pointerId) return;
    const svg = (e.currentTarget as HTMLElement).querySelector('svg');
    if (!svg) return;
    const g = overviewGeometry({ totalRows: s.totalRows, forecastSteps: this.#forecastSteps() }, { width: base.layout.width, margin: base.layout.margin });
    const row = g.invert(this.#px(e, svg, base.layout.width));
    const span = this._domain[1] - this._domain[0];
    this.setDomain([row - span / 2, row + span / 2]);
  }

  /** Moves the hovered point by `steps` points (context rows, then forecast steps). */
  #step(steps: number): void {
    const s = this.series;
    if (!s) return;
    const fsteps = this.forecast ? this.#forecastSteps() : 0;
    const p = this.#points();
    let h = this._hover ?? (s.context.end > s.context.start ? { kind: 'encoder' as const, row: s.context.end - 1 } : undefined);
    if (!h) return;
    if (this._hover) {
      for (let i = 0; i < Math.abs(steps); i++) {
        const dir = Math.sign(steps);
        if (h.kind === 'encoder') {
          const k = lowerBound(p.index, h.row);
          if (dir > 0) {
            if (k + 1 < p.index.length) h = { kind: 'encoder', row: p.index[k + 1] };
            else if (fsteps) h = { kind: 'cross', step: 0 };
          } else if (k > 0) h = { kind: 'encoder', row: p.index[k - 1] };
        } else if (dir > 0) h = { kind: 'cross', step: Math.min(fsteps - 1, h.step + 1) };
        else h = h.step > 0 ? { kind: 'cross', step: h.step - 1 } : { kind: 'encoder', row: s.totalRows - 1 };
      }
    }
    this.setHover(h, this._pinned);
    this.#reveal(h);
  }

  /** Pans so that the hovered point is visible. */
  #reveal(h: SeriesHover): void {
    const s = this.series;
    const d = this._domain;
    if (!s || !d) return;
    const row = h.kind === 'encoder' ? h.row : s.totalRows + h.step;
    const span = d[1] - d[0];
    if (row < d[0]) this.setDomain([row - span * 0.1, row - span * 0.1 + span]);
    else if (row > d[1]) this.setDomain([row + span * 0.1 - span, row + span * 0.1]);
  }

  #select(sel: HeadSelection): void {
    const layers = Math.max(this.#layers('encoder'), this.#layers('cross'));
    const heads = this.model?.heads ?? 1;
    const layer = Math.max(0, Math.min(layers - 1, sel.layer));
    const next: HeadSelection = sel.mode === 'head' ? { mode: 'head', layer, head: Math.max(0, Math.min(heads - 1, sel.head)) } : { mode: sel.mode, layer };
    this.selection = next;
    this.dispatchEvent(new CustomEvent('cl-select-head', { detail: { selection: next }, bubbles: true, composed: true }));
  }

  #currentHead(): number {
    return this.selection.mode === 'head' ? this.selection.head : 0;
  }

  #onKey(e: KeyboardEvent): void {
    if (!this.series) return;
    const sel = this.selection;
    const heads = this.model?.heads ?? 0;
    const layers = Math.max(this.#layers('encoder'), this.#layers('cross'));
    switch (e.key) {
      case 'ArrowRight':
        this.#step(e.shiftKey ? 10 : 1);
        break;
      case 'ArrowLeft':
        this.#step(e.shiftKey ? -10 : -1);
        break;
      case 'Home': {
        const s = this.series;
        this.setHover({ kind: 'encoder', row: s.context.start }, this._pinned);
        this.#reveal({ kind: 'encoder', row: s.context.start });
        break;
      }
      case 'End': {
        const h: SeriesHover = this.forecast ? { kind: 'cross', step: this.#forecastSteps() - 1 } : { kind: 'encoder', row: this.series.totalRows - 1 };
        this.setHover(h, this._pinned);
        this.#reveal(h);
        break;
      }
      case 'ArrowUp':
      case 'ArrowDown': {
        if (!heads) return;
        const d = e.key === 'ArrowDown' ? 1 : -1;
        this.#select({ mode: 'head', layer: sel.layer, head: sel.mode === 'head' ? (sel.head + d + heads) % heads : 0 });
        break;
      }
      case 'PageUp':
      case 'PageDown': {
        if (!layers) return;
        const d = e.key === 'PageDown' ? 1 : -1;
        this.#select({ ...sel, layer: (sel.layer + d + layers) % layers } as HeadSelection);
        break;
      }
      case 'm':
      case 'M': {
        const order: HeadSelection['mode'][] = ['head', 'max', 'mean'];
        const mode = order[(order.indexOf(sel.mode) + 1) % order.length];
        this.#select(mode === 'head' ? { mode, layer: sel.layer, head: 0 } : { mode, layer: sel.layer });
        break;
      }
      case '+':
      case '=':
        this.#zoomBy(0.5);
        break;
      case '-':
      case '_':
        this.#zoomBy(2);
        break;
      case '0':
        this.#fitContext();
        break;
      case 'Escape':
        if (this._pinned) this.setHover(this._hover, false);
        else this.setHover(undefined, false);
        break;
      case 'Enter':
      case ' ':
        if (this._hover?.kind === 'encoder') this.#revealRow(this._hover.row);
        else return;
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  #zoomBy(f: number): void {
    const d = this._domain;
    if (!d) return;
    const h = this._hover;
    const at = h ? (h.kind === 'encoder' ? h.row : (this.series?.totalRows ?? 0) + h.step) : (d[0] + d[1]) / 2;
    this.setDomain(zoomDomain(d, f, Math.min(d[1], Math.max(d[0], at)), this.#extent()));
  }

  #fitContext(): void {
    const s = this.series;
    if (!s) return;
    const len = s.context.end - s.context.start;
    this.setDomain([s.context.start - Math.round(len * 0.05), s.totalRows - 1 + this.#forecastSteps()]);
  }

  #revealRow(row: number): void {
    this.dispatchEvent(new CustomEvent('cl-reveal-row', { detail: { row }, bubbles: true, composed: true }));
  }

  #onGridSelect(e: CustomEvent<{ layer: number; head: number }>): void {
    this.#select({ mode: 'head', layer: e.detail.layer, head: e.detail.head });
  }

  #onPeriodicClick(e: Event): void {
    const g = (e.target as Element).closest?.('.pcell') as SVGGElement | null;
    if (g) this.#select({ mode: 'head', layer: Number(g.dataset.layer), head: Number(g.dataset.head) });
  }

  // ---- render --------------------------------------------------------------------------------

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

  #readout(strip: { weights: number[]; label: string } | undefined, r: LensResponse | undefined) {
    const s = this.series!;
    const h = this._hover;
    if (!h) {
      return html`<span class="muted">Hover a point of the context window (or focus the chart and use <kbd>←</kbd> <kbd>→</kbd>) to see what each head attends to.</span>`;
    }
    const pin = this._pinned ? html`<span title="Pinned: click the chart or press Escape to release">📌</span>` : nothing;
    if (h.kind === 'cross') {
      const f = this.forecast;
      const mi = f ? f.quantileLevels.findIndex((q) => Math.abs(q - 0.5) < 1e-6) : -1;
      const lo = f ? f.quantileLevels.findIndex((q) => Math.abs(q - 0.1) < 1e-6) : -1;
      const hi = f ? f.quantileLevels.findIndex((q) => Math.abs(q - 0.9) < 1e-6) : -1;
      const t = this.#timeAt(s.totalRows + h.step);
      const top = strip && r?.kind === 'cross' ? strongest(strip.weights, 3) : [];
      return html`${pin}<span><strong>Forecast step ${h.step + 1}</strong>${t ? html` · ${t}` : nothing}</span>
        ${f && mi >= 0 ? html`<span>median ${fmtMetric(f.quantiles[mi][h.step])}${lo >= 0 && hi >= 0 ? html` (80% ${fmtMetric(f.quantiles[lo][h.step])} – ${fmtMetric(f.quantiles[hi][h.step])})` : nothing}</span>` : nothing}
        ${top.length ? html`<span>${strip?.label} attends most to ${top.map((x, i) => html`${i ? ', ' : ''}row ${fmtRow(s.context.start + x.position)} (${fmtScore(x.weight)})`)}</span>` : nothing}`;
    }
    const row = h.row;
    const inContext = row >= s.context.start && row < s.context.end;
    const v = this.#valueAt(row);
    const t = this.#timeAt(row);
    const pos = row - s.context.start;
    const token = inContext && r?.kind === 'encoder' && r.position === pos ? r.tokens[pos] : undefined;
    const top = inContext && strip && r?.kind === 'encoder' && r.position === pos ? strongest(strip.weights, 3, pos) : [];
    return html`${pin}<span><strong>Row ${fmtRow(row)}</strong>${t ? html` · ${t}` : nothing}</span>
      <span>value ${v === null ? 'missing' : v === undefined ? '–' : fmtMetric(v)}</span>
      ${inContext ? html`<span>position ${pos} of ${this.#contextLength()}${token !== undefined ? html` · token ${token}` : nothing}</span>` : html`<span class="muted">outside the context window (no attention)</span>`}
      ${top.length ? html`<span>${strip?.label} attends most to ${top.map((x, i) => html`${i ? ', ' : ''}row ${fmtRow(s.context.start + x.position)} (${fmtScore(x.weight)})`)}</span>` : nothing}
      <button title="Reveal this row in the CSV's text editor (Enter)" @click=${() => this.#revealRow(row)}>Reveal in editor</button>`;
  }

  #inductionNote(kind: 'encoder' | 'cross') {
    const sel = this.selection;
    if (sel.mode !== 'head') return html`<p class="note muted">Select a head to see its induction scores.</p>`;
    if (!this.mosaic) return html`<p class="note muted">No mosaic yet: run “Compute Induction Mosaic” for the induction scores of ${headId(sel)}.</p>`;
    if (this.model && this.mosaic.model.hash !== this.model.hash) return html`<p class="note muted">The latest mosaic is of ${this.mosaic.model.name}, not this model.</p>`;
    const line = (k: 'encoder' | 'cross') => {
      const m = this.#mosaicKind(k);
      if (!m || sel.layer >= m.layers || sel.head >= m.heads) return nothing;
      const c = m.center[sel.layer][sel.head];
      const r = m.right[sel.layer][sel.head];
      const induction = Math.max(c, r) >= this.mosaic!.threshold;
      return html`<div class=${k === kind ? 'current' : 'muted'}>
        ${k === 'encoder' ? 'Encoder' : 'Cross'}: current token ${fmtScoreSe(c, m.stderr.center[sel.layer][sel.head])} · token to right ${fmtScoreSe(r, m.stderr.right[sel.layer][sel.head])}${induction ? html` · <strong>induction head</strong>` : nothing}
      </div>`;
    };
    return html`<div class="note"><strong>${headId(sel)}</strong> in the latest mosaic (${this.mosaic.protocol.source === 'series' ? 'data-driven' : 'reference protocol'}):${line('encoder')}${line('cross')}</div>`;
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
    const highlights = lens && w && this._lens?.key === w.key ? { sameToken: lens.sameToken.map((q) => s.context.start + q), nextToken: lens.nextToken.map((q) => s.context.start + q) } : undefined;
    const opts = { document: this.ownerDocument, theme: resolveTheme(this), width: this.#chartWidth(), height: CHART_HEIGHT, chart: { xDomain: this._domain, hover: this._hover, highlights } };
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

  override render() {
    const notice = this.notice
      ? html`<cl-banner
          .kind=${this.notice.kind}
          .message=${this.notice.message}
          .detail=${this.notice.detail ?? ''}
          ?dismissible=${this.notice.kind !== 'busy'}
          @cl-dismiss=${() => this.dispatchEvent(new CustomEvent('cl-dismiss-notice', { bubbles: true, composed: true }))}
        ></cl-banner>`
      : null;
    const s = this.series;
    if (!s) return html`${notice}<div class="empty muted">Reading the CSV…</div>`;
    const m = this.model;
    const base = this.#baseChart();
    const data = base.data;
    const w = this.#wanted();
    const r = this._lens?.response;
    const fresh = !!w && this._lens?.key === w.key;
    const shown = r && (fresh || (w && r.kind === w.kind)) ? r : undefined;
    const strip = shown ? this.#stripWeights(shown) : undefined;
    const h = this._hover;
    const highlights = shown && fresh ? { sameToken: shown.sameToken.map((p) => s.context.start + p), nextToken: shown.nextToken.map((p) => s.context.start + p) } : undefined;
    const overlay = renderSeriesOverlay(data, base.layout, { document: this.ownerDocument, hover: h, pinned: this._pinned, highlights });
    const queryRow = h ? (h.kind === 'encoder' ? h.row : s.totalRows + h.step) : undefined;
    const stripSvg = this.#stripSvg(
      {
        weights: strip?.weights ?? [],
        contextStart: s.context.start,
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
    const wide = this.#wide();
    const sparkRows = shown?.sparklines ?? [];
    const T = this.#contextLength();
    const marker = shown && shown.kind === 'encoder' && fresh ? Math.floor((shown.position * (sparkRows[0]?.[0]?.length ?? SPARK_BINS)) / Math.max(1, T)) : undefined;
    const subtitle = [
      m ? m.name : 'loading the model…',
      `${s.totalRows.toLocaleString('en-US')} rows`,
      `context: last ${T.toLocaleString('en-US')}`,
      this.forecast ? `forecast: ${fsteps} steps (${this.forecast.numSamples} samples)` : m ? 'forecast: computing…' : null,
      per ? `period ${per.headScores.period}` : per === null ? 'no dominant period' : null,
    ].filter(Boolean);
    return html`
      <header>
        <div>
          <h1>${s.file} · ${s.column}</h1>
          <div class="subtitle muted">${subtitle.join(' · ')}</div>
        </div>
        <cl-export-bar .formats=${EXPORT_FORMATS} .status=${this.exportStatus} ?busy=${this.exportBusy} @cl-export-click=${(e: CustomEvent<{ format: ExportFormat }>) => void this.#onExportClick(e.detail.format)}></cl-export-bar>
        <label class="field">Column
          <select aria-label="Column" .value=${s.column} @change=${(e: Event) => this.dispatchEvent(new CustomEvent('cl-select-column', { detail: { column: (e.target as HTMLSelectElement).value }, bubbles: true, composed: true }))}>
            ${s.columns.map((c) => html`<option value=${c} ?selected=${c === s.column}>${c}</option>`)}
          </select>
        </label>
      </header>
      ${notice}
      <div class="toolbar" role="toolbar" aria-label="Attention and zoom">
        <span class="group"><span class="caption">Attention</span>
          <span class="segmented" role="group" aria-label="Show one head, or the max or mean over the layer's heads">
            ${MODES.map(
              (x) => html`<button aria-pressed=${sel.mode === x.id ? 'true' : 'false'} ?disabled=${!m} @click=${() => this.#select(x.id === 'head' ? { mode: 'head', layer: sel.layer, head: this.#currentHead() } : { mode: x.id, layer: sel.layer })}>${x.label}</button>`,
            )}
          </span>
        </span>
        <label class="group"><span class="caption">Layer</span>
          <select aria-label="Layer" ?disabled=${!m} .value=${String(sel.layer)} @change=${(e: Event) => this.#select({ ...sel, layer: Number((e.target as HTMLSelectElement).value) } as HeadSelection)}>
            ${Array.from({ length: layers }, (_, l) => html`<option value=${l} ?selected=${l === sel.layer}>L${l}</option>`)}
          </select>
        </label>
        <label class="group"><span class="caption">Head</span>
          <select aria-label="Head" ?disabled=${!m || sel.mode !== 'head'} .value=${String(this.#currentHead())} @change=${(e: Event) => this.#select({ mode: 'head', layer: sel.layer, head: Number((e.target as HTMLSelectElement).value) })}>
            ${Array.from({ length: m?.heads ?? 0 }, (_, hh) => html`<option value=${hh} ?selected=${hh === this.#currentHead()}>H${hh}</option>`)}
          </select>
        </label>
        <span class="group"><span class="caption">Zoom</span>
          <button title="The context window and the forecast (0)" @click=${() => this.#fitContext()}>Context</button>
          <button title="The whole column" @click=${() => this.setDomain(this.#extent())}>All</button>
          <button title="Zoom out (−)" aria-label="Zoom out" @click=${() => this.#zoomBy(2)}>−</button>
          <button title="Zoom in (+)" aria-label="Zoom in" @click=${() => this.#zoomBy(0.5)}>+</button>
        </span>
        <span class="legend muted"><span><span class="swatch same"></span>same token</span><span><span class="swatch next"></span>next position</span></span>
      </div>
      <div class=${wide ? 'main wide' : 'main'}>
        <div
          class="charts"
          tabindex="0"
          role="application"
          aria-roledescription="series chart"
          aria-label=${`${s.column}: ${s.totalRows} rows. Arrow keys move the hovered point, up and down change the head, Page Up and Page Down the layer, M the mode, plus and minus zoom.`}
          @keydown=${(e: KeyboardEvent) => this.#onKey(e)}
        >
          <div
            class=${this._dragging ? 'stage dragging' : 'stage'}
            @pointermove=${(e: PointerEvent) => this.#onPointerMove(e)}
            @pointerdown=${(e: PointerEvent) => this.#onPointerDown(e)}
            @pointerup=${(e: PointerEvent) => this.#onPointerUp(e)}
            @pointercancel=${() => ((this.#drag = undefined), (this._dragging = false))}
            @wheel=${(e: WheelEvent) => this.#onWheel(e)}
          >
            ${base.svg}${overlay}
          </div>
          <div class=${fresh || !strip ? 'strip' : 'strip stale'}>${stripSvg}</div>
          <div
            class="overview"
            title="The whole column: click or drag to move the view"
            @pointerdown=${(e: PointerEvent) => this.#onOverviewPointer(e)}
            @pointermove=${(e: PointerEvent) => this.#onOverviewPointer(e)}
            @pointerup=${(e: PointerEvent) => this.#onOverviewPointer(e)}
          >
            ${this.#overviewSvg(base.layout)}
          </div>
          <div class="periodic" @click=${(e: Event) => this.#onPeriodicClick(e)}>
            ${per
              ? this.#periodicSvg(base.layout.width, base.layout.margin.left, base.layout.margin.right)
              : html`<span class="muted">${!m ? '' : per === null ? 'Periodicity: no period stands out in the context window.' : 'Periodicity: computing…'}</span>`}
          </div>
          <div class="readout" aria-live="polite">${this.#readout(strip, shown)}</div>
        </div>
        <aside class="side" aria-label="Heads">
          <h2>${kind === 'cross' ? 'Cross-attention' : 'Encoder self-attention'} per head</h2>
          ${sparkRows.length
            ? html`<cl-head-grid
                .rows=${sparkRows}
                .selected=${sel.mode === 'head' ? { layer: sel.layer, head: sel.head } : undefined}
                .marker=${marker}
                .scores=${this.#gridScores(kind)}
                .cellWidth=${this.#sparkCell(sparkRows[0]?.length ?? 8)}
                .cellHeight=${this.#gridScores(kind) ? 34 : 26}
                label=${`Attention of the hovered point, ${sparkRows.length} layers × ${sparkRows[0]?.length ?? 0} heads; Enter selects a head`}
                @cl-head-select=${(e: CustomEvent<{ layer: number; head: number }>) => this.#onGridSelect(e)}
              ></cl-head-grid>`
            : html`<p class="note muted">${m ? 'Hover a context point or a forecast step.' : 'The heads appear once the model has loaded.'}</p>`}
          ${m ? this.#inductionNote(kind) : nothing}
        </aside>
      </div>
      <p class="hint muted">
        <kbd>←</kbd> <kbd>→</kbd> move the point (<kbd>Shift</kbd> ×10) · <kbd>↑</kbd> <kbd>↓</kbd> head · <kbd>PgUp</kbd> <kbd>PgDn</kbd> layer · <kbd>M</kbd> head / max / mean ·
        <kbd>+</kbd> <kbd>−</kbd> <kbd>0</kbd> zoom · click pins the point · wheel zooms, drag pans · <kbd>Enter</kbd> reveals the row in the editor
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
