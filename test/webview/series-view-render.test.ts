/**
 * The series view's own renderers under jsdom (render/series-overlay.ts, series-overview.ts,
 * periodicity-strip.ts, series-domain.ts): the hover overlay, the
 * overview with its brush and the periodicity strip, as normalised SVG snapshots
 * (UPDATE_SNAPSHOTS=1 to accept changes) with structural checks; and the view's DOM-free helpers
 * (zoom and pan arithmetic, merging detail rows, max / mean over heads, strongest positions).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import type { PeriodicityResult } from '../../analysis/types';
import { serializeSvg } from '../../webview/render/dom';
import { renderPeriodicityStrip } from '../../webview/render/periodicity-strip';
import { forecastFan, seriesLayout } from '../../webview/render/series-chart';
import { aggregateHeads, clampDomain, defaultDomain, extentOf, mergePoints, panDomain, pointsIn, strongest, zoomDomain } from '../../webview/render/series-domain';
import { renderSeriesOverlay } from '../../webview/render/series-overlay';
import { overviewGeometry, renderSeriesOverview } from '../../webview/render/series-overview';
import { DARK, HIGH_CONTRAST, LIGHT } from '../../webview/render/theme';
import { forecastFixture, lensFixture, seriesFixture } from './fixtures';
import { matchSnapshot } from './snapshot';

const doc = new JSDOM('<!doctype html><html><body></body></html>').window.document;

describe('series view renderers (jsdom)', () => {
  test('overlay: the hover rule and point at the hovered row, rings on the same-token and next rows, on the chart\'s geometry', () => {
    const s = seriesFixture();
    const data = { index: s.index, values: s.values, timestamps: s.timestamps, context: s.context, forecast: forecastFan(forecastFixture(), s.totalRows) };
    const L = seriesLayout(data, { theme: LIGHT, width: 760, height: 280 });
    const lens = lensFixture(80);
    const row = s.context.start + 80;
    const svg = renderSeriesOverlay(data, L, {
      document: doc,
      theme: LIGHT,
      hover: { kind: 'encoder', row },
      pinned: true,
      highlights: { sameToken: lens.sameToken.map((p) => p + s.context.start), nextToken: lens.nextToken.map((p) => p + s.context.start) },
    });
    assert.equal(svg.getAttribute('width'), '760');
    const hover = svg.querySelector('.hover.pinned');
    assert.equal(hover?.getAttribute('data-row'), String(row));
    assert.equal(Number(svg.querySelector('.hover .rule')?.getAttribute('x1')), Math.round(L.x(row) * 100) / 100);
    assert.equal(Number(svg.querySelector('.hover .point')?.getAttribute('cy')), Math.round(L.y(s.values[row] as number) * 100) / 100);
    assert.equal(Number(svg.querySelector('.hover .point')?.getAttribute('data-value')), s.values[row]);
    assert.deepEqual([...svg.querySelectorAll('.same-token')].map((c) => Number(c.getAttribute('data-row'))), lens.sameToken.map((p) => p + s.context.start));
    assert.equal(svg.querySelectorAll('.next-token').length, lens.nextToken.length);
    matchSnapshot('series-overlay-light.svg', serializeSvg(svg));
    // a forecast step: the point on the median
    const cross = renderSeriesOverlay(data, L, { document: doc, theme: DARK, hover: { kind: 'cross', step: 5 } });
    const f = forecastFixture();
    assert.equal(Number(cross.querySelector('.hover .point')?.getAttribute('data-value')), f.quantiles[4][5]);
    assert.equal(cross.querySelector('.hover')?.getAttribute('data-row'), String(s.totalRows + 5));
    // outside the visible range: nothing drawn
    const zoomed = seriesLayout(data, { theme: LIGHT, width: 760, xDomain: [0, 40] });
    assert.equal(renderSeriesOverlay(data, zoomed, { document: doc, hover: { kind: 'encoder', row } }).querySelector('.hover'), null);
  });

  test('overview: the whole column, the context window and the visible range as a brush', () => {
    const s = seriesFixture();
    const svg = renderSeriesOverview(
      { index: s.index, values: s.values, totalRows: s.totalRows, context: s.context, forecastSteps: 24 },
      { document: doc, theme: DARK, width: 760, margin: { left: 50, right: 16 }, domain: [60, 150] },
    );
    const g = overviewGeometry({ totalRows: s.totalRows, forecastSteps: 24 }, { width: 760, margin: { left: 50, right: 16 } });
    const sel = svg.querySelector('.brush .selection');
    assert.equal(Number(sel?.getAttribute('x')), Math.round(g.x(60) * 100) / 100);
    assert.equal(svg.querySelector('.brush')?.getAttribute('data-end'), '150');
    assert.ok(Math.abs(g.invert(g.x(123)) - 123) < 1e-9);
    assert.ok(svg.querySelector('.overview-line')?.getAttribute('d')?.startsWith('M50,'));
    assert.ok(svg.querySelector('.context'));
    matchSnapshot('series-overview-dark.svg', serializeSvg(svg));
  });

  test('periodicity strip: the period, one cell per head grouped by layer, the selected head ringed', () => {
    const ratio = [
      [0.8, 1.5, 3.2],
      [1.1, 4.4, 0.9],
    ];
    const p: PeriodicityResult = {
      periods: [{ period: 12, strength: 0.83 }],
      headScores: { kind: 'encoder', period: 12, mass: ratio.map((r) => r.map((v) => v / 10)), uniform: ratio.map((r) => r.map(() => 0.1)), ratio },
    };
    const svg = renderPeriodicityStrip(p, { document: doc, theme: HIGH_CONTRAST, width: 600, left: 50, right: 16, selected: { layer: 1, head: 1 }, interactive: true });
    assert.equal(svg.querySelectorAll('.pcell').length, 6);
    assert.equal(svg.querySelector('.pcell.selected')?.getAttribute('data-layer'), '1');
    assert.equal(svg.querySelector('.pcell.selected')?.getAttribute('data-head'), '1');
    assert.equal(svg.querySelector('.period')?.textContent, 'Periodic attention · period 12');
    assert.match(svg.querySelector('.strength')?.textContent ?? '', /autocorrelation 0\.83/);
    assert.match(svg.querySelector('.pcell[data-layer="0"][data-head="2"] title')?.textContent ?? '', /L0\.H2: 3\.200× a uniform head's attention at lags of 12/);
    assert.equal(svg.querySelectorAll('[role="gridcell"]').length, 6);
    // cells at or below a uniform head's attention are empty
    assert.equal((svg.querySelector('.pcell[data-layer="0"][data-head="0"] rect') as SVGElement).style.fill, 'none');
    matchSnapshot('periodicity-strip-hc.svg', serializeSvg(svg));
  });
});

describe('series view helpers', () => {
  test('domains: the default view, clamping, zoom around a row, pan', () => {
    assert.deepEqual(extentOf(144, 24), [0, 167]);
    assert.deepEqual(defaultDomain(144, { start: 48, end: 144 }, 24), [0, 167], 'a short column: everything');
    assert.deepEqual(defaultDomain(100_000, { start: 99_488, end: 100_000 }, 64), [98_976, 100_063], 'a long one: the context, as much history, the forecast');
    assert.deepEqual(clampDomain([-10, 20], [0, 100]), [0, 30]);
    assert.deepEqual(clampDomain([90, 120], [0, 100]), [70, 100]);
    assert.deepEqual(clampDomain([50, 51], [0, 100]), [50, 58], 'at least 8 rows');
    assert.deepEqual(clampDomain([-50, 500], [0, 100]), [0, 100]);
    const z = zoomDomain([0, 100], 0.5, 80, [0, 100]);
    assert.deepEqual(z, [40, 90], 'the row under the pointer stays put');
    assert.deepEqual(zoomDomain(z, 2, 80, [0, 100]), [0, 100]);
    assert.deepEqual(panDomain([10, 30], 15, [0, 100]), [25, 45]);
    assert.deepEqual(panDomain([10, 30], -50, [0, 100]), [0, 20]);
  });

  test('merging detail rows into the overview; counting points in a range', () => {
    const a = { index: [0, 10, 20, 30], values: [1, 2, 3, 4], timestamps: ['a0', 'a10', 'a20', 'a30'] };
    const b = { index: [10, 11, 12, 25], values: [20, null, 22, 25], timestamps: ['b10', 'b11', 'b12', 'b25'] };
    assert.deepEqual(mergePoints(a, b), { index: [0, 10, 11, 12, 20, 25, 30], values: [1, 20, null, 22, 3, 25, 4], timestamps: ['a0', 'b10', 'b11', 'b12', 'a20', 'b25', 'a30'] });
    assert.equal(mergePoints(a, { index: [5], values: [9] }).timestamps, undefined);
    assert.equal(pointsIn([0, 10, 11, 12, 20, 25, 30], [10, 20]), 4);
    assert.equal(pointsIn([0, 10, 20], [10.5, 19.5]), 0);
  });

  test('max / mean over heads, strongest positions', () => {
    const rows = [
      [0.1, 0.5, 0.4],
      [0.3, 0.2, 0.5],
    ];
    assert.deepEqual(aggregateHeads(rows, 'max'), [0.3, 0.5, 0.5]);
    assert.deepEqual(aggregateHeads(rows, 'mean').map((v) => Math.round(v * 100) / 100), [0.2, 0.35, 0.45]);
    assert.deepEqual(aggregateHeads([], 'mean'), []);
    assert.deepEqual(strongest([0.1, 0.5, 0.4, 0.5, 0], 2), [
      { position: 1, weight: 0.5 },
      { position: 3, weight: 0.5 },
    ]);
    assert.deepEqual(strongest([0.1, 0.5, 0.4], 2, 1), [
      { position: 2, weight: 0.4 },
      { position: 0, weight: 0.1 },
    ]);
  });
});
