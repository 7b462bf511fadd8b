/**
 * Export payloads built from a result (text formats: svg, json, csv), shared by the webviews' export
 * buttons and the CLI. PNG is a rasterisation of the SVG, done by the caller (canvas in a webview,
 * resvg in the CLI).
 */
import type { AblationResult, AttentionKind, HeadRef, MosaicResult } from '../../analysis/types';
import type { CausalFigure, CausalRun } from '../../protocol/causal';
import { renderAblationFigureSvg } from './ablation';
import { renderCausalFigureSvg } from './causal-figure';
import { causalCsv, causalPlotlyFigure } from './causal-figure-data';
import { serializeSvg, type RenderTarget } from './dom';
import { ablationCsv, ablationPlotlyFigure, mosaicCsv, mosaicPlotlyFigure, seriesCsv, seriesPlotlyFigure, slug, type SeriesFigure } from './figure-data';
import { renderMosaicFigureSvg } from './mosaic';
import { renderPatchBands, type PatchBandsData } from './patch-bands';
import { forecastFan, renderSeriesChart, seriesLayout, type SeriesChartOptions } from './series-chart';
import { renderSeriesOverlay, type SeriesOverlayOptions } from './series-overlay';
import type { ChartTheme } from './theme';

export type TextFormat = 'svg' | 'json' | 'csv';

export interface MosaicExportOptions extends RenderTarget {
  theme: ChartTheme;
  /** SVG: the kinds drawn (default all); JSON: the first is the figure's initial kind. */
  kinds?: AttentionKind[];
  marked?: readonly HeadRef[];
  width?: number;
}

export function mosaicExportText(result: MosaicResult, format: TextFormat, opts: MosaicExportOptions): string {
  switch (format) {
    case 'svg':
      return serializeSvg(renderMosaicFigureSvg(result, { document: opts.document, theme: opts.theme, kinds: opts.kinds, marked: opts.marked, width: opts.width }));
    case 'json':
      return `${JSON.stringify(mosaicPlotlyFigure(result, { kind: opts.kinds?.[0] }), null, 1)}\n`;
    case 'csv':
      return mosaicCsv(result);
  }
}

export interface AblationExportOptions extends RenderTarget {
  theme: ChartTheme;
  width?: number;
}

export function ablationExportText(result: AblationResult, format: TextFormat, opts: AblationExportOptions): string {
  switch (format) {
    case 'svg':
      return serializeSvg(renderAblationFigureSvg(result, { document: opts.document, theme: opts.theme, width: opts.width }));
    case 'json':
      return `${JSON.stringify(ablationPlotlyFigure(result), null, 1)}\n`;
    case 'csv':
      return ablationCsv(result);
  }
}

/** "mosaic-chronos-t5-small-cross.svg" (CSV holds every kind: no kind in its name). */
export function mosaicFileName(result: Pick<MosaicResult, 'model'>, format: string, kind?: AttentionKind): string {
  return `${slug(`mosaic-${result.model.name}${kind && format !== 'csv' ? `-${kind}` : ''}`)}.${format}`;
}

export function ablationFileName(result: Pick<AblationResult, 'model' | 'method'>, format: string): string {
  return `${slug(`ablation-${result.model.name}-${result.method}`)}.${format}`;
}

export interface SeriesExportOptions extends RenderTarget {
  theme: ChartTheme;
  width?: number;
  height?: number;
  /** SVG: what the view shows (zoom, the hovered point and its highlights). */
  chart?: Pick<SeriesChartOptions, 'xDomain'> & Pick<SeriesOverlayOptions, 'hover' | 'highlights'>;
  /** SVG: the hovered patch's attention bands (Chronos-Bolt), drawn over the chart as on screen. */
  bands?: PatchBandsData;
}

/** The series view's figure: SVG as on screen (concrete colours, background), JSON (Plotly) and CSV of the context window and the forecast. */
export function seriesExportText(f: SeriesFigure, format: TextFormat, opts: SeriesExportOptions): string {
  switch (format) {
    case 'svg': {
      const data = { index: [...f.index], values: [...f.values], timestamps: f.timestamps ? [...f.timestamps] : undefined, context: f.context, ...(f.forecast ? { forecast: forecastFan(f.forecast, f.totalRows) } : {}) };
      const chartOpts = { ...opts.chart, document: opts.document, theme: opts.theme, width: opts.width, height: opts.height, background: true, yLabel: f.column };
      const svg = renderSeriesChart(data, chartOpts);
      // the layers the view draws over the chart (bands, then hover and highlights), moved into the chart's
      // own <svg>: one self-contained figure, drawn by the same marks as on screen
      const layout = seriesLayout(data, chartOpts);
      const layers = [
        opts.bands && renderPatchBands(opts.bands, layout, { document: opts.document, theme: opts.theme }),
        (opts.chart?.hover || opts.chart?.highlights) && renderSeriesOverlay(data, layout, { document: opts.document, theme: opts.theme, hover: opts.chart.hover, highlights: opts.chart.highlights }),
      ];
      for (const layer of layers) if (layer) for (const c of [...layer.childNodes]) svg.appendChild(c);
      return serializeSvg(svg);
    }
    case 'json':
      return `${JSON.stringify(seriesPlotlyFigure(f), null, 1)}\n`;
    case 'csv':
      return seriesCsv(f);
  }
}

/** "series-AirPassengers-Passengers.svg" */
export function seriesFileName(f: Pick<SeriesFigure, 'file' | 'column'>, format: string): string {
  return `${slug(['series', f.file.replace(/\.[^.]*$/, ''), f.column].map(slug).join('-'))}.${format}`;
}

export interface CausalExportOptions extends RenderTarget {
  theme: ChartTheme;
  width?: number;
}

/** One figure of the residual-stream panel: SVG as drawn (concrete colours), Plotly JSON, CSV. */
export function causalExportText(run: CausalRun, figure: CausalFigure, format: TextFormat, opts: CausalExportOptions): string {
  switch (format) {
    case 'svg':
      return serializeSvg(renderCausalFigureSvg(run, figure, { document: opts.document, theme: opts.theme, width: opts.width }));
    case 'json':
      return `${JSON.stringify(causalPlotlyFigure(run, figure), null, 1)}\n`;
    case 'csv':
      return causalCsv(run, figure);
  }
}

/** "patching-chronos-t5-nano.svg" */
export function causalFileName(run: CausalRun, figure: CausalFigure, format: string): string {
  const name = { attribution: 'attribution', layerLens: 'layer-lens', patching: 'patching', layerAblation: 'layer-ablation' }[figure];
  return `${slug(`${name}-${run[figure]?.model.name ?? 'model'}`)}.${format}`;
}
