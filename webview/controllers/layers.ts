/**
 * The series view's drawn layers, kept between hovers: the chart (once per data, size and visible
 * range), the overview, the periodicity strip, and the attention strip, which a hover redraws in
 * place: its SVG keeps each bar's position and weight on transparent targets and the bars go on a
 * canvas under it (hundreds of restyled SVG rects per hover cost more than a frame on a slow
 * machine), drawn once the update is in the page.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ForecastResult, PeriodicityResult } from '../../analysis/types';
import type { SeriesPayload } from '../../protocol/series';
import { drawAttentionBars, renderAttentionStrip, updateAttentionStrip, type AttentionStripData } from '../render/attention-strip';
import { renderPeriodicityStrip } from '../render/periodicity-strip';
import { forecastFan, renderSeriesChart, seriesLayout, type SeriesChartData, type SeriesLayout } from '../render/series-chart';
import type { Domain, Points } from '../render/series-domain';
import { renderSeriesOverview } from '../render/series-overview';
import { Memo } from './memo';
import { ThemeController } from './theme';

export const CHART_HEIGHT = 300;
// a caption line above 42 px of bars
export const STRIP_HEIGHT = 72;

export interface ChartLayer {
  svg: SVGSVGElement;
  layout: SeriesLayout;
  data: SeriesChartData;
}

export class SeriesLayersController implements ReactiveController {
  readonly #chart = new Memo<ChartLayer>();
  readonly #overview = new Memo<SVGSVGElement>();
  readonly #periodic = new Memo<SVGSVGElement>();
  readonly #theme: ThemeController;
  #strip: { layout: SeriesLayout; svg: SVGSVGElement; canvas: HTMLCanvasElement; scale: number } | undefined;
  /** What the strip's canvas must show next. */
  #stripBars: AttentionStripData | undefined;

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
    this.#theme = new ThemeController(host);
  }

  hostUpdated(): void {
    const strip = this.#strip;
    const data = this.#stripBars;
    this.#stripBars = undefined;
    const ctx = data && strip?.canvas.getContext('2d');
    if (!strip || !data || !ctx) return;
    drawAttentionBars(ctx, data, { layout: strip.layout, height: STRIP_HEIGHT, fill: this.#theme.theme.accent, scale: strip.scale });
  }

  /** The chart's geometry as last drawn. */
  get chartLayout(): SeriesLayout | undefined {
    return this.#chart.last?.layout;
  }

  chart(series: SeriesPayload, points: Points, forecast: ForecastResult | undefined, domain: Domain | undefined, width: number): ChartLayer {
    return this.#chart.get([series, points, forecast, domain?.[0], domain?.[1], width], () => {
      const data: SeriesChartData = { index: points.index, values: points.values, timestamps: points.timestamps, context: series.context };
      if (forecast) data.forecast = forecastFan(forecast, series.totalRows);
      const opts = { document: this.host.ownerDocument, width, height: CHART_HEIGHT, xDomain: domain, yLabel: series.column };
      return { svg: renderSeriesChart(data, opts), layout: seriesLayout(data, opts), data };
    });
  }

  overview(series: SeriesPayload, layout: SeriesLayout, domain: Domain, forecastSteps: number): SVGSVGElement {
    return this.#overview.get([series, layout.width, domain[0], domain[1], forecastSteps], () =>
      renderSeriesOverview(
        { index: series.index, values: series.values, totalRows: series.totalRows, context: series.context, forecastSteps },
        { document: this.host.ownerDocument, width: layout.width, margin: layout.margin, domain },
      ),
    );
  }

  periodicity(p: PeriodicityResult, layout: SeriesLayout, selected: { layer: number; head: number } | undefined): SVGSVGElement {
    const { width } = layout;
    const { left, right } = layout.margin;
    return this.#periodic.get([p, width, left, right, selected?.layer, selected?.head], () => renderPeriodicityStrip(p, { document: this.host.ownerDocument, width, left, right, selected, interactive: true }));
  }

  /** The attention strip for `data`, redrawn in place while the chart's geometry stays the same (a hover). */
  strip(data: AttentionStripData, layout: SeriesLayout): { svg: SVGSVGElement; canvas: HTMLCanvasElement } {
    const doc = this.host.ownerDocument;
    const opts = { document: doc, layout, height: STRIP_HEIGHT, bars: 'canvas' as const };
    const scale = doc.defaultView?.devicePixelRatio || 1;
    this.#stripBars = data;
    if (this.#strip?.layout === layout && this.#strip.scale === scale) {
      updateAttentionStrip(this.#strip.svg, data, opts);
      return this.#strip;
    }
    const svg = renderAttentionStrip(data, opts);
    const canvas = doc.createElement('canvas');
    canvas.className = 'strip-bars';
    canvas.setAttribute('aria-hidden', 'true');
    canvas.width = Math.round(layout.width * scale);
    canvas.height = Math.round(STRIP_HEIGHT * scale);
    this.#strip = { layout, svg, canvas, scale };
    return this.#strip;
  }
}
