/** The series view's CSV and Plotly exports (DOM-free): context rows exact, forecast steps after the last row, x by time or row. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seriesCsv, seriesPlotlyFigure, type SeriesFigure } from '../../../webview/render/figure-data';

const base: SeriesFigure = {
  file: 'load, hourly.csv',
  column: 'MW "net"',
  // a downsampled history (rows 0, 5) and the context window (rows 8..11), one value missing
  index: [0, 5, 8, 9, 10, 11],
  values: [1, 2, 3, null, 5, 6],
  totalRows: 12,
  context: { start: 8, end: 12 },
};
const forecast = { quantileLevels: [0.1, 0.5, 0.9], quantiles: [[6, 7], [7, 8], [8, 9]], mean: [7.1, 8.1], numSamples: 20, model: { name: 'nano', hash: 'h' } };

test('CSV: only the context rows (exact values, a missing one empty), then the forecast steps; fields quoted', () => {
  assert.equal(
    seriesCsv({ ...base, forecast }),
    ['row,"MW ""net""",forecast_mean,forecast_q0.1,forecast_q0.5,forecast_q0.9', '8,3,,,,', '9,,,,,', '10,5,,,,', '11,6,,,,', '12,,7.1,6,7,8', '13,,8.1,7,8,9', ''].join('\n'),
  );
  assert.equal(seriesCsv(base), ['row,"MW ""net"""', '8,3', '9,', '10,5', '11,6', ''].join('\n'), 'no forecast yet: the context only');
  const timed = seriesCsv({ ...base, timestamps: ['t0', 't5', 't8', 't9', 't10', 't11'], forecast: { ...forecast, timestamps: ['t12', 't13'] } });
  assert.deepEqual(timed.trimEnd().split('\n').map((l) => l.split(',')[1]), ['timestamp', 't8', 't9', 't10', 't11', 't12', 't13']);
});

test('Plotly: rows on x without timestamps; the band and the median from the quantiles; the context window shaded', () => {
  const fig = seriesPlotlyFigure({ ...base, forecast });
  assert.equal(fig.data.length, 4);
  assert.deepEqual(fig.data[0].x, base.index);
  assert.deepEqual(fig.data[0].y, base.values);
  assert.deepEqual(fig.data[1].y, [6, 7]);
  assert.equal(fig.data[2].fill, 'tonexty');
  assert.deepEqual(fig.data[2].y, [8, 9]);
  assert.deepEqual(fig.data[3].x, [12, 13]);
  assert.deepEqual(fig.data[3].y, [7, 8], 'the median line');
  const shape = (fig.layout.shapes as { x0: unknown; x1: unknown }[])[0];
  assert.deepEqual([shape.x0, shape.x1], [8, 11]);
  assert.equal((fig.layout.xaxis as { title: { text: string } }).title.text, 'row');
  assert.equal(seriesPlotlyFigure(base).data.length, 1, 'no forecast: the series only');
});

test('Plotly: timestamps on x when every point and step has one', () => {
  const fig = seriesPlotlyFigure({ ...base, timestamps: ['t0', 't5', 't8', 't9', 't10', 't11'], forecast: { ...forecast, timestamps: ['t12', 't13'] } });
  assert.deepEqual(fig.data[3].x, ['t12', 't13']);
  const shape = (fig.layout.shapes as { x0: unknown; x1: unknown }[])[0];
  assert.deepEqual([shape.x0, shape.x1], ['t8', 't11']);
  // a forecast without timestamps falls back to rows for everything
  assert.deepEqual(seriesPlotlyFigure({ ...base, timestamps: ['t0', 't5', 't8', 't9', 't10', 't11'], forecast }).data[3].x, [12, 13]);
});
