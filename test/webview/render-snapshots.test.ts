/**
 * The pure D3 renderers under jsdom: normalised SVG snapshots (UPDATE_SNAPSHOTS=1 to accept
 * changes) plus structural checks that hold whatever the styling.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { renderAblationChart, renderAblationTable } from '../../webview/render/ablation';
import { serializeSvg } from '../../webview/render/dom';
import { mosaicLayout, renderInductionSummaryTable, renderMosaicHeatmaps } from '../../webview/render/mosaic';
import { renderAttentionStrip, updateAttentionStrip } from '../../webview/render/attention-strip';
import { renderHeadSparklines, updateHeadSparklines } from '../../webview/render/head-sparklines';
import { forecastFan, renderSeriesChart, seriesLayout } from '../../webview/render/series-chart';
import { renderSeriesOverlay } from '../../webview/render/series-overlay';
import { DARK, HIGH_CONTRAST, LIGHT, cssVarTheme } from '../../webview/render/theme';
import { ablationFixture, forecastFixture, lensFixture, mosaicFixture, seriesFixture } from './fixtures';
import { matchSnapshot } from './snapshot';

const doc = new JSDOM('<!doctype html><html><body></body></html>').window.document;
const mosaic = mosaicFixture('chronos-t5-mini');

describe('render functions (jsdom)', () => {
  test('mosaic heatmaps: a cell per layer × head on each side, outlines >= threshold, marks, legend', () => {
    const m = mosaic.cross;
    assert.ok(m);
    const svg = renderMosaicHeatmaps(m, { document: doc, kind: 'cross', threshold: 0.3, theme: LIGHT, background: true, marked: [{ kind: 'cross', layer: 1, head: 2 }, { kind: 'encoder', layer: 0, head: 0 }] });
    assert.equal(svg.querySelectorAll('.panel-center .cell').length, 32);
    assert.equal(svg.querySelectorAll('.panel-right .cell').length, 32);
    assert.equal(svg.querySelectorAll('.cell.above').length, [...m.center.flat(), ...m.right.flat()].filter((v) => v >= 0.3).length);
    assert.equal(svg.querySelectorAll('.cell.marked').length, 2, 'the cross head on both sides; the encoder head is not on this tab');
    assert.deepEqual([...svg.querySelectorAll('.axis-title')].map((t) => t.textContent), ['Head', 'Layer', 'Head', 'Layer']);
    assert.deepEqual([...svg.querySelectorAll('.panel-title')].map((t) => t.textContent), ['Current token', 'Token to right']);
    // layer 0 at the bottom
    const y = (layer: number) => Number(svg.querySelector(`.panel-center .cell[data-layer="${layer}"][data-head="0"]`)?.getAttribute('data-y'));
    assert.ok(y(0) > y(3));
    // the same colour for the same value on both sides (one shared scale)
    const fill = (side: string, l: number, hd: number) => (svg.querySelector(`.panel-${side} .cell[data-layer="${l}"][data-head="${hd}"] .cell-fill`) as SVGElement).style.fill;
    assert.equal(fill('center', 0, 0), (renderMosaicHeatmaps({ ...m, right: m.center }, { document: doc, kind: 'cross', threshold: 0.3, theme: LIGHT }).querySelector('.panel-right .cell[data-layer="0"][data-head="0"] .cell-fill') as SVGElement).style.fill);
    matchSnapshot('mosaic-heatmaps-light.svg', serializeSvg(svg));
  });

  test('mosaic heatmaps, interactive with live theme variables: ARIA grid, one tab stop', () => {
    const m = mosaic.encoder;
    assert.ok(m);
    const svg = renderMosaicHeatmaps(m, { document: doc, kind: 'encoder', threshold: 0.3, interactive: true, focusCell: { side: 'right', layer: 2, head: 5 } });
    assert.equal(svg.querySelectorAll('[role="grid"]').length, 2);
    assert.equal(svg.querySelectorAll('[role="row"]').length, 2 * m.layers);
    assert.equal(svg.querySelectorAll('[role="gridcell"]').length, 2 * m.layers * m.heads);
    const stops = svg.querySelectorAll('[tabindex="0"]');
    assert.equal(stops.length, 1);
    assert.equal((stops[0] as SVGElement).dataset.side, 'right');
    assert.match(stops[0].getAttribute('aria-label') ?? '', /^Layer 2, head 5, token to right: \d\.\d{3} ± \d\.\d{3}/);
    assert.ok(serializeSvg(svg).includes('var(--cl-fg'), 'live colours are theme variables');
    matchSnapshot('mosaic-heatmaps-interactive.svg', serializeSvg(svg));
  });

  test('mosaic layout: cells shrink to the width budget and stay >= 12 px; large grids thin their tick labels', () => {
    const big = mosaicLayout({ layers: 24, heads: 16 }, { width: 760, theme: LIGHT });
    const small = mosaicLayout({ layers: 4, heads: 8 }, { width: 760, theme: LIGHT });
    assert.ok(big.cell < small.cell);
    assert.ok(mosaicLayout({ layers: 48, heads: 64 }, { width: 300, theme: LIGHT }).cell >= 12);
    assert.equal(small.showValues, true);
    assert.equal(big.showValues, false);
  });

  test('summary table: center / right / total (percent) per kind', () => {
    const table = renderInductionSummaryTable(mosaic, { document: doc, threshold: 0.3 });
    const rows = [...table.querySelectorAll('tbody tr')].map((r) => [...r.children].map((c) => c.textContent));
    assert.equal(rows.length, 3);
    const c = mosaic.cross?.counts;
    assert.ok(c);
    assert.deepEqual(rows[0], ['Cross-attention', String(c.center), String(c.right), `${c.total} / ${c.heads}`, `${c.percent.toFixed(1)}%`]);
    matchSnapshot('mosaic-summary-table.html', table.outerHTML);
  });

  test('ablation chart: marks, box and strip per metric; table', () => {
    const result = ablationFixture();
    const svg = renderAblationChart(result, { document: doc, theme: DARK, width: 760, background: true });
    assert.equal(svg.querySelectorAll('.metric').length, result.metrics.length);
    assert.equal(svg.querySelectorAll('.control-point').length, result.metrics.reduce((s, m) => s + m.controls.length, 0));
    assert.equal(svg.querySelectorAll('.mark-ablated').length, result.metrics.length);
    assert.equal(svg.querySelectorAll('.mark-unablated').length, result.metrics.length);
    matchSnapshot('ablation-chart-dark.svg', serializeSvg(svg));
    const table = renderAblationTable(result, { document: doc });
    assert.equal(table.querySelectorAll('tbody tr').length, result.metrics.length);
    matchSnapshot('ablation-table.html', table.outerHTML);
  });

  test('series chart: timestamps on x, context window, 10–90 and 20–80 bands with the median, hover and highlights', () => {
    const s = seriesFixture();
    const data = { index: s.index, values: s.values, timestamps: s.timestamps, context: s.context, forecast: forecastFan(forecastFixture(), s.totalRows) };
    const lens = lensFixture(80);
    const opts = {
      document: doc,
      theme: LIGHT,
      width: 760,
      height: 280,
      yLabel: '#Passengers',
    };
    const hover = { kind: 'encoder' as const, row: s.context.start + 80 };
    const highlights = { sameToken: lens.sameToken.map((p) => p + s.context.start), nextToken: lens.nextToken.map((p) => p + s.context.start) };
    const svg = renderSeriesChart(data, opts);
    // the hover and highlights are the overlay's, drawn on the chart's layout (the export composes the two)
    const overlay = renderSeriesOverlay(data, seriesLayout(data, opts), { document: doc, theme: LIGHT, hover, highlights });
    assert.ok(svg.querySelector('.forecast .band-10-90'));
    assert.ok(svg.querySelector('.forecast .band-20-80'));
    assert.ok(svg.querySelector('.forecast .median'));
    assert.equal(svg.querySelector('.context-window')?.getAttribute('data-start'), String(s.context.start));
    assert.equal(overlay.querySelectorAll('.highlights .same-token').length, lens.sameToken.length);
    const labels = [...svg.querySelectorAll('.tick-x')].map((t) => t.textContent);
    assert.ok(labels.includes('1950') && labels.includes('1960'), labels.join(' '));
    // hit testing maps pixels back to rows and forecast steps
    const L = seriesLayout(data, opts);
    assert.deepEqual(L.hit(L.x(100)), { kind: 'encoder', row: 100 });
    assert.deepEqual(L.hit(L.x(s.totalRows + 3)), { kind: 'cross', step: 3 });
    matchSnapshot('series-chart-light.svg', serializeSvg(svg));

    // without timestamps: row numbers
    const plain = renderSeriesChart({ index: s.index, values: s.values }, { document: doc, theme: LIGHT, xAxis: 'index' });
    assert.ok([...plain.querySelectorAll('.tick-x')].every((t) => /^\d+$/.test(t.textContent ?? '')));
  });

  test('attention strip lines up with the chart; head sparklines form a layers × heads grid', () => {
    const s = seriesFixture();
    const data = { index: s.index, values: s.values, context: s.context };
    const L = seriesLayout(data, { theme: HIGH_CONTRAST, width: 760 });
    const lens = lensFixture(80);
    const strip = renderAttentionStrip(
      { weights: lens.rows[2][3], contextStart: s.context.start, queryRow: s.context.start + 80, sameToken: lens.sameToken, nextToken: lens.nextToken, label: 'L2.H3' },
      { document: doc, layout: L, theme: HIGH_CONTRAST, background: true },
    );
    const q = strip.querySelector('.query');
    assert.equal(Number(q?.getAttribute('x1')), Math.round(L.x(s.context.start + 80) * 100) / 100);
    assert.equal(strip.querySelectorAll('.same-token').length, 2);
    matchSnapshot('attention-strip-hc.svg', serializeSvg(strip));

    const grid = renderHeadSparklines(lens.rows, { document: doc, theme: cssVarTheme(), selected: { layer: 2, head: 3 }, marker: 80, interactive: true, scores: mosaic.encoder?.center });
    assert.equal(grid.querySelectorAll('.spark').length, 4 * 8);
    assert.equal(grid.querySelectorAll('.spark.selected').length, 1);
    assert.equal(grid.querySelectorAll('[tabindex="0"]').length, 1);
    matchSnapshot('head-sparklines.svg', serializeSvg(grid));
  });

  test('strip and sparklines redrawn in place (a hover) equal a fresh rendering', () => {
    const s = seriesFixture();
    const data = { index: s.index, values: s.values, context: s.context };
    const L = seriesLayout(data, { theme: LIGHT, width: 760 });
    const a = lensFixture(80);
    const b = lensFixture(20);
    const stripOf = (lens: typeof a, label: string) => ({ weights: lens.rows[1][2], contextStart: s.context.start, queryRow: s.context.start + lens.position, sameToken: lens.sameToken, nextToken: lens.nextToken, label });
    const opts = { document: doc, layout: L, theme: LIGHT };
    const strip = renderAttentionStrip(stripOf(a, 'L1.H2'), opts);
    updateAttentionStrip(strip, stripOf(b, 'max L1'), opts);
    assert.equal(serializeSvg(strip), serializeSvg(renderAttentionStrip(stripOf(b, 'max L1'), opts)));
    updateAttentionStrip(strip, { weights: [], contextStart: s.context.start, label: 'loading…' }, opts);
    assert.equal(strip.querySelectorAll('.weight').length, 0);
    assert.equal(strip.querySelector('.query')?.getAttribute('visibility'), 'hidden');
    const gridOpts = { document: doc, theme: LIGHT, selected: { layer: 1, head: 2 }, interactive: true, cellWidth: 44, cellHeight: 34, scores: mosaic.encoder?.center };
    const grid = renderHeadSparklines(a.rows, { ...gridOpts, marker: 80 });
    updateHeadSparklines(grid, b.rows, { ...gridOpts, marker: 20 });
    assert.equal(serializeSvg(grid), serializeSvg(renderHeadSparklines(b.rows, { ...gridOpts, marker: 20 })));
  });

  test('render functions need a document outside a browser and say so', () => {
    assert.throws(() => renderAblationChart(ablationFixture()), /need a document: pass \{ document \}/);
  });
});
