/**
 * The series view's viewport: how wide the view is (and so the chart's and the side panel's widths),
 * the visible range of rows (zoom and pan by wheel, drag, the overview's brush, buttons and keys),
 * the detail rows the host is asked for when the first message under-resolves that range (a long
 * column is sent downsampled), and the pointer over the chart turned into a hover, one per frame.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { SeriesPayload, SeriesRange } from '../../protocol/series';
import type { SeriesHover, SeriesLayout } from '../render/series-chart';
import { clampDomain, defaultDomain, extentOf, panDomain, pointsIn, zoomDomain, type Domain } from '../render/series-domain';
import { overviewGeometry } from '../render/series-overview';

export type RangeFetcher = (start: number, end: number, points: number, signal: AbortSignal) => Promise<SeriesRange>;

/** Side panel width (head grid) when there is room beside the chart. */
export const SIDE_WIDTH = 420;
/** View width from which the head grid goes beside the chart. */
export const WIDE = 1040;

export function sameHover(a: SeriesHover | undefined, b: SeriesHover | undefined): boolean {
  if (!a || !b) return a === b;
  return a.kind === b.kind && (a.kind === 'encoder' ? a.row === (b as { row: number }).row : a.step === (b as { step: number }).step);
}

export interface ViewportOptions {
  series(): SeriesPayload | undefined;
  forecastSteps(): number;
  fetchRange(): RangeFetcher | undefined;
  /** The chart's geometry as last drawn. */
  layout(): SeriesLayout | undefined;
  hover(): SeriesHover | undefined;
  pinned(): boolean;
  setHover(h: SeriesHover | undefined, pinned: boolean): void;
  /** The visible range changed (the view saves its state). */
  changed(): void;
  /** Focus the chart (after a click on it, so the keys work). */
  focusChart(): void;
}

export class ViewportController implements ReactiveController {
  #domain: Domain | undefined;
  #detail: SeriesRange | undefined;
  #width = 0;
  #dragging = false;
  #observer: ResizeObserver | undefined;
  #rangeTimer: ReturnType<typeof setTimeout> | undefined;
  #rangeAc: AbortController | undefined;
  #frame = 0;
  #pendingPointer: { clientX: number; stage: HTMLElement } | undefined;
  #drag: { x: number; domain: Domain; moved: boolean; pointer: number } | undefined;
  #brushDrag: number | undefined;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly opts: ViewportOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (typeof ResizeObserver === 'undefined') return;
    this.#observer = new ResizeObserver((entries) => {
      const w = Math.floor((entries[0]?.contentRect.width ?? 0) / 8) * 8;
      if (w > 0 && w !== this.#width) {
        requestAnimationFrame(() => {
          this.#width = w;
          this.host.requestUpdate();
        });
      }
    });
    this.#observer.observe(this.host);
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#rangeAc?.abort();
  }

  // ---- state -------------------------------------------------------------------------------

  /** The visible rows (fractional allowed). */
  get domain(): Domain | undefined {
    return this.#domain;
  }
  set domain(d: Domain | undefined) {
    this.#domain = d;
    this.host.requestUpdate();
  }

  /** Rows of the visible range fetched from the host, when the first message's points under-resolve it. */
  get detail(): SeriesRange | undefined {
    return this.#detail;
  }
  set detail(r: SeriesRange | undefined) {
    this.#detail = r;
    this.host.requestUpdate();
  }

  get dragging(): boolean {
    return this.#dragging;
  }

  /** Last row drawn: the last data row or forecast step. */
  extent(): Domain {
    return extentOf(this.opts.series()?.totalRows ?? 1, this.opts.forecastSteps());
  }

  /** Sets the visible range (clamped), saves it and asks for detail rows if it needs them. */
  setDomain(d: Domain): void {
    if (!this.opts.series()) return;
    this.domain = clampDomain(d, this.extent());
    this.opts.changed();
    this.scheduleRange();
  }

  /**
   * New data: the detail rows are stale; the range is the one restored, kept (same file and column,
   * clamped) or the default one.
   */
  resetFor(series: SeriesPayload, sameData: boolean, restored: Domain | undefined): void {
    this.#detail = undefined;
    const ext = this.extent();
    if (restored) this.domain = clampDomain(restored, ext);
    else if (!sameData || !this.#domain) this.domain = defaultDomain(series.totalRows, series.context, this.opts.forecastSteps());
    else this.domain = clampDomain(this.#domain, ext);
    this.scheduleRange();
  }

  /** The forecast arrived: make room for it when the view ended at the last row. */
  makeRoomForForecast(totalRows: number): void {
    const d = this.#domain;
    if (!d) return;
    const ext = this.extent();
    if (d[1] >= totalRows - 1.5) this.domain = clampDomain([d[0], ext[1]], ext);
  }

  // ---- geometry ----------------------------------------------------------------------------

  wide(): boolean {
    return (this.#width || 1100) >= WIDE;
  }

  chartWidth(): number {
    const w = this.#width || 1100;
    const pad = 32;
    return Math.max(360, Math.floor(this.wide() ? w - pad - SIDE_WIDTH - 20 : w - pad));
  }

  plotWidth(): number {
    return Math.max(200, this.chartWidth() - 80);
  }

  /** Sparkline width so that the grid fits the side panel (or half the page when narrow). */
  sparkCell(heads: number): number {
    const avail = this.wide() ? SIDE_WIDTH : Math.min(SIDE_WIDTH * 1.5, (this.#width || 1100) - 32);
    return Math.max(26, Math.min(64, Math.floor((avail - 30) / Math.max(1, heads)) - 4));
  }

  // ---- zoom --------------------------------------------------------------------------------

  zoomBy(f: number): void {
    const d = this.#domain;
    if (!d) return;
    const h = this.opts.hover();
    const at = h ? (h.kind === 'encoder' ? h.row : (this.opts.series()?.totalRows ?? 0) + h.step) : (d[0] + d[1]) / 2;
    this.setDomain(zoomDomain(d, f, Math.min(d[1], Math.max(d[0], at)), this.extent()));
  }

  /** The context window and the forecast. */
  fitContext(): void {
    const s = this.opts.series();
    if (!s) return;
    const len = s.context.end - s.context.start;
    this.setDomain([s.context.start - Math.round(len * 0.05), s.totalRows - 1 + this.opts.forecastSteps()]);
  }

  /** Pans so that the hovered point is visible. */
  reveal(h: SeriesHover): void {
    const s = this.opts.series();
    const d = this.#domain;
    if (!s || !d) return;
    const row = h.kind === 'encoder' ? h.row : s.totalRows + h.step;
    const span = d[1] - d[0];
    if (row < d[0]) this.setDomain([row - span * 0.1, row - span * 0.1 + span]);
    else if (row > d[1]) this.setDomain([row + span * 0.1 - span, row + span * 0.1]);
  }

  // ---- detail rows -------------------------------------------------------------------------

  scheduleRange(): void {
    clearTimeout(this.#rangeTimer);
    this.#rangeTimer = setTimeout(() => this.#fetchRange(), 120);
  }

  /** Asks the host for the visible rows when the first message's points under-resolve them. */
  #fetchRange(): void {
    const s = this.opts.series();
    const d = this.#domain;
    const fetchRange = this.opts.fetchRange();
    if (!s || !d || !fetchRange) return;
    const start = Math.max(0, Math.floor(d[0]));
    const end = Math.min(s.totalRows, Math.ceil(d[1]) + 1);
    if (end - start < 3) return;
    const detail = this.#detail;
    if (detail && detail.start <= start && detail.end >= end && pointsIn(detail.index, d) >= Math.min(end - start, this.plotWidth()) * 0.5) return;
    const have = pointsIn(s.index, d);
    const want = Math.min(end - start, Math.round(this.plotWidth() * 1.5));
    if (have >= want * 0.6) {
      if (detail) this.detail = undefined;
      return;
    }
    this.#rangeAc?.abort();
    const ac = new AbortController();
    this.#rangeAc = ac;
    fetchRange(start, end, Math.max(3, want), ac.signal).then(
      (r) => {
        if (!ac.signal.aborted && this.opts.series() === s) this.detail = r;
      },
      () => undefined,
    );
  }

  // ---- pointer -----------------------------------------------------------------------------

  /** The pointer's x in the SVG's own coordinates. */
  #px(e: { clientX: number }, svg: Element, layoutWidth: number): number {
    const r = svg.getBoundingClientRect();
    return (e.clientX - r.left) * (layoutWidth / (r.width || layoutWidth));
  }

  /** The point or forecast step under a pointer event on the stage (for its context menu). */
  hitAt(e: { clientX: number; currentTarget: EventTarget | null }): SeriesHover | undefined {
    const svg = (e.currentTarget as HTMLElement | null)?.querySelector('svg');
    const layout = this.opts.layout();
    if (!svg || !layout) return undefined;
    return layout.hit(this.#px(e, svg, layout.width));
  }

  #hoverAtPx(px: number): void {
    const layout = this.opts.layout();
    if (!layout || this.opts.pinned()) return;
    const h = layout.hit(px);
    if (h && !sameHover(h, this.opts.hover())) this.opts.setHover(h, false);
  }

  #setDragging(v: boolean): void {
    if (this.#dragging === v) return;
    this.#dragging = v;
    this.host.requestUpdate();
  }

  onPointerMove(e: PointerEvent): void {
    const svg = (e.currentTarget as HTMLElement).querySelector('svg');
    const layout = this.opts.layout();
    if (!svg || !layout) return;
    if (this.#drag && e.pointerId === this.#drag.pointer) {
      const px = this.#px(e, svg, layout.width);
      const dx = px - this.#drag.x;
      if (Math.abs(dx) > 3) this.#drag.moved = true;
      if (this.#drag.moved) {
        this.#setDragging(true);
        const [a, b] = this.#drag.domain;
        const plot = layout.width - layout.margin.left - layout.margin.right;
        this.setDomain(panDomain([a, b], (-dx / plot) * (b - a), this.extent()));
      }
      return;
    }
    // One hover per frame, the latest position; the SVG's box is read in the frame callback, where
    // the previous hover's redraw has been laid out already, not on every event (a forced layout).
    this.#pendingPointer = { clientX: e.clientX, stage: e.currentTarget as HTMLElement };
    if (!this.#frame) {
      this.#frame = requestAnimationFrame(() => {
        this.#frame = 0;
        const p = this.#pendingPointer;
        this.#pendingPointer = undefined;
        // the chart as it is now (a zoom may have redrawn it since the event)
        const chart = p?.stage.querySelector('svg');
        const l = this.opts.layout();
        if (p && chart && l) this.#hoverAtPx(this.#px(p, chart, l.width));
      });
    }
  }

  onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    const svg = (e.currentTarget as HTMLElement).querySelector('svg');
    const layout = this.opts.layout();
    if (!svg || !layout || !this.#domain) return;
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    this.#drag = { x: this.#px(e, svg, layout.width), domain: this.#domain, moved: false, pointer: e.pointerId };
  }

  onPointerUp(e: PointerEvent): void {
    const d = this.#drag;
    this.#drag = undefined;
    this.#setDragging(false);
    if (!d || d.moved) return;
    // a click: pin the point under the pointer (or release the pin)
    const svg = (e.currentTarget as HTMLElement).querySelector('svg');
    const layout = this.opts.layout();
    if (!svg || !layout) return;
    const h = layout.hit(this.#px(e, svg, layout.width));
    const hover = this.opts.hover();
    if (this.opts.pinned() && sameHover(h, hover)) this.opts.setHover(hover, false);
    else if (h) this.opts.setHover(h, true);
    this.opts.focusChart();
  }

  onPointerCancel(): void {
    this.#drag = undefined;
    this.#setDragging(false);
  }

  onWheel(e: WheelEvent): void {
    const svg = (e.currentTarget as HTMLElement).querySelector('svg');
    const layout = this.opts.layout();
    if (!svg || !layout || !this.#domain) return;
    e.preventDefault();
    const at = layout.x.invert(this.#px(e, svg, layout.width));
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    this.setDomain(zoomDomain(this.#domain, Math.exp(delta * 0.0015), at, this.extent()));
  }

  /** The overview: a click or a drag centres the visible range on the row under the pointer. */
  onOverviewPointer(e: PointerEvent): void {
    const s = this.opts.series();
    const layout = this.opts.layout();
    if (!s || !layout || !this.#domain) return;
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
    const g = overviewGeometry({ totalRows: s.totalRows, forecastSteps: this.opts.forecastSteps() }, { width: layout.width, margin: layout.margin });
    const row = g.invert(this.#px(e, svg, layout.width));
    const span = this.#domain[1] - this.#domain[0];
    this.setDomain([row - span / 2, row + span / 2]);
  }
}
