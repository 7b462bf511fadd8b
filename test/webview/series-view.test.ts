/**
 * <cl-series-view> in real headless Chromium, hosted the way VS Code hosts it (strict CSP with a
 * nonce, theme variables, acquireVsCodeApi), on fixture data (AirPassengers, a seasonal fan, an
 * induction-like lens answered by a stand-in host). Hover a point → the host is asked for that
 * position and layer, and the strip, highlights and sparklines show the answer's values; head grid
 * click → selectHead; the keyboard moves the point and changes head / layer / mode; column change;
 * zoom asks the host for the rows of a long column. Every posted message must pass the host's
 * validator; no CSP violation, no page error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ModelSummary, PeriodicityResult } from '../../analysis/types';
import { PROTOCOL_VERSION, seriesValidationContext, validateWebviewMessage, type InitSeriesMessage, type SeriesPayload, type SeriesRange } from '../../protocol';
import { BUNDLED_MODEL_NOTE } from '../../models/source';
import { forecastFixture, lensFixture, modelSummary, mosaicFixture, seriesFixture } from './fixtures';
import { WebviewHarness, type ThemeKind, type ViewPage } from './harness';
import { FakeSeriesHost } from './series-host';

const T = 96;
const LAYERS = 4;
const HEADS = 8;
const model: ModelSummary = { ...modelSummary('chronos-t5-mini'), contextLength: T, predictionLength: 24 };
const series: SeriesPayload = { ...seriesFixture(T), columns: ['#Passengers', 'Seats'] };
const start = series.context.start;
const forecast = forecastFixture(24);
const mosaic = mosaicFixture('chronos-t5-mini');
mosaic.model = model;
const ratio = Array.from({ length: LAYERS }, (_, l) => Array.from({ length: HEADS }, (_, h) => 0.5 + ((l * 5 + h * 3) % 7)));
const periodicity: PeriodicityResult = {
  periods: [{ period: 12, strength: 0.83 }],
  headScores: { kind: 'encoder', period: 12, mass: ratio.map((r) => r.map((v) => v / 10)), uniform: ratio.map((r) => r.map(() => 0.1)), ratio },
};
const init: InitSeriesMessage = { type: 'initSeries', series, model, forecast, mosaic, periodicity, selection: { mode: 'head', layer: 2, head: 3 } };
const shape = { contextLength: T, layers: LAYERS, heads: HEADS };

let h: WebviewHarness;
before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

async function openSeries(opts: { initialState?: unknown; theme?: ThemeKind; range?: (s: number, e: number, p: number) => SeriesRange } = {}): Promise<{ v: ViewPage; host: FakeSeriesHost }> {
  const v = await h.open({ entry: 'series', theme: opts.theme, viewport: { width: 1280, height: 900 }, initialState: 'initialState' in opts ? opts.initialState : init });
  const host = new FakeSeriesHost(v, shape, opts.range).start();
  await v.page.locator('cl-series-view path.series-line').first().waitFor();
  return { v, host };
}

async function assertClean(v: ViewPage, ctx = seriesValidationContext(series, model)): Promise<void> {
  for (const m of await v.posted()) {
    const r = validateWebviewMessage('series', m, ctx);
    assert.ok(r.ok, `posted message rejected by the host validator: ${r.ok ? '' : r.error}`);
  }
  assert.deepEqual(await v.violations(), [], 'CSP violations');
  assert.deepEqual(v.errors, [], 'page errors');
}

/** Client coordinates of a row (or a forecast row) on the chart. */
function rowPoint(v: ViewPage, row: number): Promise<{ x: number; y: number }> {
  return v.page.evaluate((r) => {
    const view = document.querySelector('cl-series-view') as HTMLElement & { chartLayout: { x(r: number): number; width: number; height: number; margin: { top: number } } };
    const svg = view.shadowRoot?.querySelector('.stage svg') as SVGSVGElement;
    const box = svg.getBoundingClientRect();
    const L = view.chartLayout;
    return { x: box.left + (L.x(r) * box.width) / L.width, y: box.top + box.height / 2 };
  }, row);
}

async function hoverRow(v: ViewPage, row: number): Promise<void> {
  const p = await rowPoint(v, row);
  await v.page.mouse.move(p.x, p.y);
  await v.page.locator(`cl-series-view .cl-series-overlay .hover[data-row="${row}"]`).waitFor();
}

function stripWeights(v: ViewPage): Promise<{ position: number; weight: number }[]> {
  return v.page.locator('cl-series-view .strip:not(.stale) .cl-attention-strip rect.weight').evaluateAll((els) =>
    els.map((e) => ({ position: Number(e.getAttribute('data-position')), weight: Number(e.getAttribute('data-weight')) })),
  );
}

async function waitFor<T>(f: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await f();
    if (r) return r;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('cl-series-view in Chromium', { timeout: 180_000 }, () => {
  test('announces itself; chart with timestamps, context window, 10–90 / 20–80 bands and median; periodicity strip', async () => {
    const { v, host } = await openSeries();
    try {
      assert.deepEqual(await v.waitForMessage('ready'), { type: 'ready', view: 'series', protocolVersion: PROTOCOL_VERSION });
      const chart = v.page.locator('cl-series-view .stage svg.cl-series-chart');
      assert.equal(await chart.locator('.context-window').getAttribute('data-start'), String(start));
      for (const cls of ['band-10-90', 'band-20-80', 'median']) assert.equal(await chart.locator(`.forecast .${cls}`).count(), 1, cls);
      const ticks = await chart.locator('.tick-x').allTextContents();
      assert.ok(ticks.some((t) => /^19\d\d$/.test(t)), `time ticks: ${ticks.join(' ')}`);
      assert.equal(await v.page.locator('cl-series-view .cl-periodicity-strip .pcell').count(), LAYERS * HEADS);
      assert.equal(await v.page.locator('cl-series-view .cl-periodicity-strip .pcell.selected').getAttribute('data-layer'), '2');
      assert.match((await v.page.locator('cl-series-view .cl-periodicity-strip .period').textContent()) ?? '', /period 12/);
      assert.equal(host.lensRequests.length, 0, 'nothing is asked before a hover');
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('hover a context point: the host is asked for that position and layer; the strip, highlights and grid show its answer', async () => {
    const { v, host } = await openSeries();
    try {
      const row = start + 60;
      await hoverRow(v, row);
      const req = await v.waitForMessage('requestLens');
      assert.equal(req.kind, 'encoder');
      assert.equal(req.position, 60);
      assert.equal(req.layer, 2);
      assert.equal(req.sparkBins, 48);
      const expected = lensFixture(60, T, LAYERS, HEADS);
      const drawn = await waitFor(async () => {
        const w = await stripWeights(v);
        return w.length ? w : undefined;
      }, 'the attention strip');
      // the selected head's row (L2.H3), every positive weight, with its value
      const row23 = expected.rows[2][3];
      assert.equal(drawn.length, row23.filter((x) => Math.round(x * 1e5) / 1e5 > 0).length);
      for (const d of drawn) assert.ok(Math.abs(d.weight - row23[d.position]) < 1e-5, `position ${d.position}: ${d.weight} vs ${row23[d.position]}`);
      // the earlier copies of the token and the positions after them, ringed on the chart
      const same = await v.page.locator('cl-series-view .cl-series-overlay .same-token').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row'))));
      const next = await v.page.locator('cl-series-view .cl-series-overlay .next-token').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row'))));
      assert.deepEqual(same, expected.sameToken.map((p) => p + start));
      assert.deepEqual(next, expected.nextToken.map((p) => p + start));
      assert.equal(Number(await v.page.locator('cl-series-view .cl-series-overlay .hover .point').getAttribute('data-value')), series.values[row]);
      // the grid: layers × heads sparklines, the selected head outlined, the mosaic's scores under them
      assert.equal(await v.page.locator('cl-series-view cl-head-grid .spark').count(), LAYERS * HEADS);
      assert.equal(await v.page.locator('cl-series-view cl-head-grid .spark.selected').getAttribute('data-layer'), '2');
      const score = (await v.page.locator('cl-series-view cl-head-grid .spark[data-layer="2"][data-head="3"] .spark-score').textContent()) ?? '';
      const enc = mosaic.encoder!;
      assert.equal(score, Math.max(enc.center[2][3], enc.right[2][3]).toFixed(3));
      const readout = (await v.page.locator('cl-series-view .readout').textContent()) ?? '';
      assert.match(readout, new RegExp(`Row ${row + 1}`));
      assert.match(readout, /position 61 of 96 · token \d+/);
      assert.match(readout, /L2\.H3 attends most to row \d+ \(0\.\d{3}\)/);
      assert.match((await v.page.locator('cl-series-view .side .note').textContent()) ?? '', /L2\.H3[\s\S]*Encoder: current token \d\.\d{3} ± \d\.\d{3}/);
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('head grid click → selectHead; the strip follows (same layer from the cache, another layer asked for)', async () => {
    const { v, host } = await openSeries();
    try {
      await hoverRow(v, start + 40);
      await v.page.locator('cl-series-view cl-head-grid .spark').first().waitFor();
      await v.clearPosted();
      await v.page.locator('cl-series-view cl-head-grid .spark[data-layer="2"][data-head="6"]').click();
      assert.deepEqual((await v.waitForMessage('selectHead')).selection, { mode: 'head', layer: 2, head: 6 });
      await v.page.locator('cl-series-view .cl-attention-strip .strip-label', { hasText: 'L2.H6' }).waitFor();
      assert.equal((await v.posted()).filter((m) => m.type === 'requestLens').length, 0, 'the same layer is answered from the page cache');
      const want = lensFixture(40, T, LAYERS, HEADS).rows[2][6];
      for (const d of await stripWeights(v)) assert.ok(Math.abs(d.weight - want[d.position]) < 1e-5);
      await v.page.locator('cl-series-view cl-head-grid .spark[data-layer="0"][data-head="1"]').click();
      assert.deepEqual((await v.waitForMessage('selectHead', (m) => (m.selection as { layer: number }).layer === 0)).selection, { mode: 'head', layer: 0, head: 1 });
      const req = await v.waitForMessage('requestLens');
      assert.equal(req.layer, 0);
      assert.equal(req.position, 40);
      await v.page.locator('cl-series-view .cl-attention-strip .strip-label', { hasText: 'L0.H1' }).waitFor();
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('keyboard: arrows move the hovered point (into the forecast: cross-attention), up/down the head, PageDown the layer, M the mode', async () => {
    const { v, host } = await openSeries();
    try {
      // the rings' legend (a Chronos-Bolt view has none: patches never repeat)
      assert.equal(await v.page.locator('cl-series-view cl-series-toolbar .legend').count(), 1);
      const charts = v.page.locator('cl-series-view .charts');
      await charts.focus();
      await v.page.keyboard.press('ArrowRight'); // no hover yet: the last context point
      await v.page.locator(`cl-series-view .cl-series-overlay .hover[data-row="${series.totalRows - 1}"]`).waitFor();
      await v.page.keyboard.press('ArrowLeft');
      await v.page.keyboard.press('ArrowLeft');
      await v.page.locator(`cl-series-view .cl-series-overlay .hover[data-row="${series.totalRows - 3}"]`).waitFor();
      await v.page.keyboard.press('Shift+ArrowLeft');
      await v.page.locator(`cl-series-view .cl-series-overlay .hover[data-row="${series.totalRows - 13}"]`).waitFor();
      await waitFor(async () => host.lensRequests.some((r) => r.kind === 'encoder' && r.position === T - 13), 'the request for the point');
      await v.page.keyboard.press('Home');
      await v.page.locator(`cl-series-view .cl-series-overlay .hover[data-row="${start}"]`).waitFor();
      // past the last row: forecast steps, answered with cross-attention
      await v.page.keyboard.press('End');
      await v.page.locator('cl-series-view .cl-series-overlay .hover[data-kind="cross"]').waitFor();
      await waitFor(async () => host.lensRequests.some((r) => r.kind === 'cross' && r.position === 23), 'the cross request');
      await v.page.locator('cl-series-view .cl-attention-strip .strip-label', { hasText: 'cross L2.H3' }).waitFor();
      assert.match((await v.page.locator('cl-series-view .readout').textContent()) ?? '', /Forecast step 24 · 1962-12-01/);
      await v.page.keyboard.press('ArrowDown');
      assert.deepEqual((await v.waitForMessage('selectHead')).selection, { mode: 'head', layer: 2, head: 4 });
      await v.page.keyboard.press('PageDown');
      assert.deepEqual((await v.waitForMessage('selectHead', (m) => (m.selection as { layer: number }).layer === 3)).selection, { mode: 'head', layer: 3, head: 4 });
      await v.page.keyboard.press('m');
      assert.deepEqual((await v.waitForMessage('selectHead', (m) => (m.selection as { mode: string }).mode === 'max')).selection, { mode: 'max', layer: 3 });
      await v.page.locator('cl-series-view .cl-attention-strip .strip-label', { hasText: 'cross max L3' }).waitFor();
      await v.page.keyboard.press('m');
      assert.deepEqual((await v.waitForMessage('selectHead', (m) => (m.selection as { mode: string }).mode === 'mean')).selection, { mode: 'mean', layer: 3 });
      await v.page.keyboard.press('Escape');
      await v.page.keyboard.press('Escape');
      await v.waitForCount('cl-series-view .cl-series-overlay .hover', 0);
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('a forecast step\'s action menu (right-click, Enter, Shift+F10) → Attribute this step posts attributeStep; context points have none', async () => {
    const { v, host } = await openSeries();
    const menu = v.page.locator('cl-series-view cl-action-menu.step-menu[open] [role="menu"]');
    const attributed = async () => (await v.posted()).filter((m) => m.type === 'attributeStep');
    try {
      // right-click on a forecast step: the menu, titled with the step as the readout numbers it
      const p = await rowPoint(v, series.totalRows + 5);
      await v.page.mouse.click(p.x, p.y, { button: 'right' });
      await menu.waitFor();
      assert.equal(await menu.getAttribute('aria-label'), 'Forecast step 6');
      await v.page.locator('cl-series-view .cl-series-overlay .hover.pinned[data-kind="cross"]').waitFor();
      await v.screenshot('series-step-menu');
      await menu.locator('[role="menuitem"]', { hasText: 'Attribute this step' }).click();
      assert.deepEqual(await v.waitForMessage('attributeStep'), { type: 'attributeStep', step: 5 });
      assert.equal(await v.page.locator('cl-series-view cl-action-menu.step-menu[open]').count(), 0, 'menu closed');

      // right-click on a context point: no menu, nothing posted
      const q = await rowPoint(v, series.totalRows - 10);
      await v.page.mouse.click(q.x, q.y, { button: 'right' });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(await v.page.locator('cl-series-view cl-action-menu.step-menu[open]').count(), 0);

      // keyboard only: End (the last step), Enter opens the menu, Enter chooses; Escape closes without posting
      const charts = v.page.locator('cl-series-view .charts');
      await charts.focus();
      await v.page.keyboard.press('End');
      await v.page.locator('cl-series-view .cl-series-overlay .hover[data-kind="cross"]').waitFor();
      await v.page.keyboard.press('Enter');
      await menu.waitFor();
      assert.equal(await menu.getAttribute('aria-label'), 'Forecast step 24');
      await v.page.keyboard.press('ArrowLeft'); // stays with the menu: the hovered step does not move
      await v.page.keyboard.press('Enter');
      await waitFor(async () => (await attributed()).length === 2, 'the second attributeStep');
      assert.deepEqual((await attributed())[1], { type: 'attributeStep', step: 23 });
      assert.equal(await charts.evaluate((el) => el.matches(':focus-within') || (el.getRootNode() as ShadowRoot).activeElement === el), true, 'focus returns to the chart');
      await v.page.keyboard.press('ArrowLeft');
      await v.page.keyboard.press('Shift+F10');
      await menu.waitFor();
      assert.equal(await menu.getAttribute('aria-label'), 'Forecast step 23');
      await v.page.keyboard.press('Escape');
      assert.equal(await v.page.locator('cl-series-view cl-action-menu.step-menu[open]').count(), 0);
      assert.equal((await attributed()).length, 2);
      // on a context point Enter still reveals the row, with no menu
      await v.page.keyboard.press('Home');
      await v.page.keyboard.press('Enter');
      assert.deepEqual(await v.waitForMessage('revealRow'), { type: 'revealRow', row: start });
      assert.equal(await v.page.locator('cl-series-view cl-action-menu.step-menu[open]').count(), 0);
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('max / mean over the heads: the strip shows the aggregate of the layer\'s rows', async () => {
    const { v, host } = await openSeries();
    try {
      await hoverRow(v, start + 70);
      await v.page.locator('cl-series-view .segmented button', { hasText: 'Max' }).click();
      assert.deepEqual((await v.waitForMessage('selectHead')).selection, { mode: 'max', layer: 2 });
      await v.page.locator('cl-series-view .cl-attention-strip .strip-label', { hasText: 'max L2' }).waitFor();
      const rows = lensFixture(70, T, LAYERS, HEADS).rows[2].map((r) => r.map((x) => Math.round(x * 1e5) / 1e5));
      for (const d of await stripWeights(v)) assert.ok(Math.abs(d.weight - Math.max(...rows.map((r) => r[d.position]))) < 1e-9);
      await v.page.locator('cl-series-view .segmented button', { hasText: 'Mean' }).click();
      await v.page.locator('cl-series-view .cl-attention-strip .strip-label', { hasText: 'mean L2' }).waitFor();
      for (const d of await stripWeights(v)) assert.ok(Math.abs(d.weight - rows.reduce((a, r) => a + r[d.position], 0) / HEADS) < 1e-9);
      assert.equal(await v.page.locator('cl-series-view select[aria-label="Head"]').isDisabled(), true);
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('column picker → selectColumn; a click pins the point; moving back is answered from the page cache', async () => {
    const { v, host } = await openSeries();
    try {
      await v.page.locator('cl-series-view select[aria-label="Column"]').selectOption('Seats');
      assert.deepEqual(await v.waitForMessage('selectColumn'), { type: 'selectColumn', column: 'Seats' });
      // wait for each answer: a request superseded before its answer is cancelled and not cached
      const cached = (): Promise<number> => v.page.evaluate(() => (document.querySelector('cl-series-view') as HTMLElement & { lensCacheSize: number }).lensCacheSize);
      await hoverRow(v, start + 10);
      await waitFor(async () => (await cached()) >= 1, 'the first answer');
      await hoverRow(v, start + 20);
      await waitFor(async () => host.lensRequests.some((r) => r.position === 20), 'the second request');
      await waitFor(async () => (await cached()) >= 2, 'the second answer');
      const asked = host.lensRequests.length;
      await hoverRow(v, start + 10);
      await v.page.locator('cl-series-view .cl-attention-strip .strip-label', { hasText: 'L2.H3' }).waitFor();
      assert.equal(host.lensRequests.length, asked, 'a point hovered before is not asked again');
      // click pins: moving away keeps the point
      const p = await rowPoint(v, start + 10);
      await v.page.mouse.click(p.x, p.y);
      await v.page.locator('cl-series-view .cl-series-overlay .hover.pinned').waitFor();
      const q = await rowPoint(v, start + 50);
      await v.page.mouse.move(q.x, q.y);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(await v.page.locator('cl-series-view .cl-series-overlay .hover').getAttribute('data-row'), String(start + 10));
      await v.page.locator('cl-series-view .readout button', { hasText: 'Reveal in editor' }).click();
      assert.deepEqual(await v.waitForMessage('revealRow'), { type: 'revealRow', row: start + 10 });
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('a long column: zooming asks the host for the rows of the range and draws them; the overview brush follows', async () => {
    const total = 100_000;
    const value = (r: number) => 100 + 20 * Math.sin(r / 40) + (r % 997 === 0 ? 50 : 0);
    const ctxStart = total - T;
    const overview = Array.from({ length: 1500 }, (_, k) => Math.floor((k * ctxStart) / 1500));
    const index = [...overview, ...Array.from({ length: T }, (_, k) => ctxStart + k)];
    const long: SeriesPayload = { file: 'long.csv', column: 'v', columns: ['v'], index, values: index.map(value), totalRows: total, context: { start: ctxStart, end: total } };
    const range = (s: number, e: number, p: number): SeriesRange => {
      const step = Math.max(1, Math.ceil((e - s) / p));
      const idx: number[] = [];
      for (let r = s; r < e; r += step) idx.push(r);
      return { start: s, end: e, index: idx, values: idx.map(value) };
    };
    const { v, host } = await openSeries({ initialState: { type: 'initSeries', series: long, model, selection: { mode: 'head', layer: 0, head: 0 } }, range });
    try {
      const domain = () => v.page.evaluate(() => (document.querySelector('cl-series-view') as HTMLElement & { domain: [number, number] }).domain);
      const d0 = await domain();
      assert.ok(d0[0] >= ctxStart - T - 1 && d0[1] >= total - 1, `the first view: the context window and some history (${d0.join('–')})`);
      await v.page.locator('cl-series-view button', { hasText: 'All' }).click();
      const all = await domain();
      assert.deepEqual(all, [0, total - 1]);
      // wheel in around the middle
      const p = await rowPoint(v, 50_000);
      await v.page.mouse.move(p.x, p.y);
      for (let i = 0; i < 6; i++) await v.page.mouse.wheel(0, -400);
      const zoomed = await waitFor(async () => {
        const d = await domain();
        return d[1] - d[0] < total / 10 ? d : undefined;
      }, 'the zoom');
      assert.ok(zoomed[0] < 50_000 && zoomed[1] > 50_000, `zoomed around the pointer: ${zoomed.join('–')}`);
      const req = await waitFor(async () => host.rangeRequests.find((r) => r.start <= zoomed[0] + 1 && r.end >= zoomed[1] - 1), 'a range request for the visible rows');
      assert.ok(req.points >= 300);
      for (const m of (await v.posted()).filter((m) => m.type === 'requestRange')) assert.ok(validateWebviewMessage('series', m, seriesValidationContext(long, model)).ok);
      const brush = v.page.locator('cl-series-view .cl-series-overview .brush');
      await waitFor(async () => Math.abs(Number(await brush.getAttribute('data-start')) - zoomed[0]) < 1, 'the brush at the zoomed range');
      // the detail points are drawn: the spike at row 49 851 (a multiple of 997) only exists in the detail
      await waitFor(
        async () =>
          v.page.evaluate(() => {
            const view = document.querySelector('cl-series-view') as HTMLElement & { chartLayout: { y: { domain(): number[] } } };
            return view.chartLayout.y.domain()[1] >= 160;
          }),
        'the y axis to include the spike from the detail rows',
      );
      // drag pans
      const before = await domain();
      const a = await rowPoint(v, Math.round((before[0] + before[1]) / 2));
      await v.page.mouse.move(a.x, a.y);
      await v.page.mouse.down();
      await v.page.mouse.move(a.x - 200, a.y, { steps: 5 });
      await v.page.mouse.up();
      const panned = await domain();
      assert.ok(panned[0] > before[0], `dragging left shows later rows (${before.join('–')} → ${panned.join('–')})`);
      assert.ok(Math.abs(panned[1] - panned[0] - (before[1] - before[0])) < 1e-6, 'panning keeps the width');
      assert.deepEqual(await v.violations(), []);
      assert.deepEqual(v.errors, []);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('focusRow from the host hovers and pins a row; without a model the series still shows and nothing is asked', async () => {
    const { v, host } = await openSeries();
    try {
      await v.send({ type: 'focusRow', row: start + 5 });
      await v.page.locator(`cl-series-view .cl-series-overlay .hover.pinned[data-row="${start + 5}"]`).waitFor();
      await waitFor(async () => host.lensRequests.some((r) => r.position === 5), 'the focused row asked for');
    } finally {
      host.stop();
      await v.close();
    }
    const { v: w, host: host2 } = await openSeries({ initialState: { type: 'initSeries', series } });
    try {
      await hoverRow(w, start + 30);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(host2.lensRequests.length, 0);
      assert.equal(await w.page.locator('cl-series-view select[aria-label="Layer"]').isDisabled(), true);
      assert.match((await w.page.locator('cl-series-view .subtitle').textContent()) ?? '', /loading the model/);
      await w.send({ type: 'busy', busy: true, message: 'Loading the model and computing attention…' });
      await w.page.locator('cl-series-view cl-banner').waitFor();
      await assertClean(w, seriesValidationContext(series, undefined));
    } finally {
      host2.stop();
      await w.close();
    }
  });

  test('a panel shown again restores the saved hover, pin and zoom of the same file and column', async () => {
    const saved = { id: `${series.file}\u0000${series.column}`, view: { hover: { kind: 'encoder', row: start + 33 }, pinned: true, domain: [60, 130] } };
    const v = await h.open({ entry: 'series', initialState: init, savedState: saved, viewport: { width: 1280, height: 900 } });
    const host = new FakeSeriesHost(v, shape).start();
    try {
      await v.page.locator(`cl-series-view .cl-series-overlay .hover.pinned[data-row="${start + 33}"]`).waitFor();
      assert.deepEqual(await v.page.evaluate(() => (document.querySelector('cl-series-view') as HTMLElement & { domain: number[] }).domain), [60, 130]);
      await waitFor(async () => host.lensRequests.some((r) => r.position === 33), 'the restored point asked for');
      // another column's state is not applied
      const other = await h.open({ entry: 'series', initialState: init, savedState: { ...saved, id: 'other.csv\u0000x' } });
      try {
        await other.page.locator('cl-series-view path.series-line').first().waitFor();
        assert.equal(await other.page.locator('cl-series-view .cl-series-overlay .hover').count(), 0);
      } finally {
        await other.close();
      }
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('export buttons post the figure (svg, png, json, csv) as shown, in the current theme; a host request gets the same', async () => {
    const { v, host } = await openSeries({ theme: 'dark' });
    try {
      await hoverRow(v, start + 84);
      await v.page.locator('cl-series-view .cl-series-overlay .highlights circle').first().waitFor();
      const rows = series.index.filter((r) => r >= series.context.start && r < series.context.end).length;
      const seen = new Set<unknown>();
      for (const format of ['svg', 'png', 'json', 'csv'] as const) {
        await v.page.locator(`cl-series-view cl-export-bar button[data-format="${format}"]`).click();
        const m = (await v.waitForMessage('export', (x) => x.format === format)) as { requestId: string; suggestedName: string; content: { encoding: string; data: string } };
        seen.add(m.requestId);
        assert.equal(m.suggestedName, `series-${series.file.replace(/\.csv$/, '')}-Passengers.${format}`);
        const data = m.content.data;
        if (format === 'svg') {
          assert.ok(data.startsWith('<?xml'), data.slice(0, 40));
          assert.ok(!data.includes('var(--'), 'exported SVG has concrete colours');
          assert.ok(data.includes('fill: rgb(31, 31, 31)') || data.includes('fill: #1f1f1f'), 'exported in the dark theme');
          assert.match(data, /class="series-line"/);
          assert.match(data, /class="median"/, 'the forecast is drawn');
          assert.match(data, new RegExp(`class="hover"[^>]*data-row="${start + 84}"`), 'the hovered point is drawn');
          assert.match(data, /class="highlights"/);
        } else if (format === 'png') {
          const png = Buffer.from(data, 'base64');
          assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
          assert.ok(png.readUInt32BE(16) > 1000, 'rendered at 2×');
        } else if (format === 'json') {
          const fig = JSON.parse(data) as { data: { name: string; x: unknown[]; y: number[] }[]; layout: { meta: { model: string } } };
          assert.equal(fig.data.length, 4);
          assert.deepEqual(fig.data[0].y, series.values);
          assert.deepEqual(fig.data[0].x, series.timestamps, 'x is the timestamps');
          assert.deepEqual(fig.data[3].y, forecast.quantiles[4], 'the median line');
          assert.deepEqual(fig.data[3].x, forecast.timestamps);
          assert.equal(fig.layout.meta.model, forecast.model.name);
        } else {
          const lines = data.trimEnd().split('\n');
          assert.equal(lines[0], 'row,timestamp,#Passengers,forecast_mean,forecast_q0.1,forecast_q0.2,forecast_q0.3,forecast_q0.4,forecast_q0.5,forecast_q0.6,forecast_q0.7,forecast_q0.8,forecast_q0.9');
          assert.equal(lines.length, 1 + rows + forecast.mean.length, 'every context row, then every forecast step');
          const i = series.index.indexOf(series.context.start);
          assert.equal(lines[1], `${series.context.start},${series.timestamps?.[i]},${series.values[i]},,,,,,,,,,`);
          const last = lines[lines.length - 1].split(',');
          assert.equal(Number(last[0]), series.totalRows + forecast.mean.length - 1);
          assert.equal(Number(last[4 + 8]), forecast.quantiles[8][forecast.mean.length - 1]);
        }
        await v.send({ type: 'response', requestId: m.requestId, ok: true, result: { saved: true, path: `/tmp/${m.suggestedName}` } });
        await v.page.waitForFunction(
          (name) => document.querySelector('cl-series-view')?.shadowRoot?.querySelector('cl-export-bar')?.shadowRoot?.querySelector('.status')?.textContent === `Saved /tmp/${name}`,
          m.suggestedName,
        );
      }
      // "Export Current Figure…": the host asks, the page answers with the same kind of export
      await v.send({ type: 'requestExport', format: 'csv' });
      const m = (await v.waitForMessage('export', (x) => x.format === 'csv' && !seen.has(x.requestId))) as { requestId: string; content: { data: string } };
      assert.equal(m.content.data.trimEnd().split('\n').length, 1 + rows + forecast.mean.length);
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('a CSV that cannot be shown: the error banner alone, no "Reading the CSV…" under it', async () => {
    const v = await h.open({ entry: 'series', viewport: { width: 800, height: 600 }, initialState: undefined });
    try {
      const empty = v.page.locator('cl-series-view .empty');
      await empty.waitFor();
      assert.equal(await empty.textContent(), 'Reading the CSV…');
      await v.send({ type: 'busy', busy: false });
      await v.send({ type: 'error', message: 'empty.csv cannot be shown as a series: empty.csv has no numeric column' });
      await v.page.locator('cl-series-view cl-banner').waitFor();
      await v.page.waitForFunction(() => !document.querySelector('cl-series-view')?.shadowRoot?.querySelector('.empty'));
      assert.match((await v.page.locator('cl-series-view cl-banner .message').textContent()) ?? '', /empty\.csv cannot be shown as a series/);
      assert.deepEqual(v.errors, [], 'page errors');
    } finally {
      await v.close();
    }
  });

  test('text cells read as gaps: the host\'s warning is shown under the title', async () => {
    const warning = '3 cells of column "#Passengers" in AirPassengers.csv are not numbers and were read as missing (first: "n.a." on line 12).';
    const { v, host } = await openSeries({ initialState: { ...init, series: { ...series, warnings: [warning] } } });
    try {
      assert.equal(await v.page.locator('cl-series-view .warnings').textContent(), warning);
      await v.send({ ...init, series: { ...series } });
      await v.page.waitForFunction(() => !document.querySelector('cl-series-view')?.shadowRoot?.querySelector('.warnings'));
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('the bundled toy model: its note under the title, whose link (mouse or keyboard) asks the host for Select Model…', async () => {
    const note = BUNDLED_MODEL_NOTE;
    const { v, host } = await openSeries({ initialState: { ...init, modelNote: note } });
    try {
      const shown = v.page.locator('cl-series-view .model-note');
      assert.equal(await shown.textContent(), `${note}. Select Model… picks one of Amazon's.`);
      assert.equal(await shown.getAttribute('role'), 'note');
      await shown.locator('button.link').click();
      assert.deepEqual(await v.waitForMessage('selectModel'), { type: 'selectModel' });
      await v.clearPosted();
      await shown.locator('button.link').focus();
      await v.page.keyboard.press('Enter');
      assert.deepEqual(await v.waitForMessage('selectModel'), { type: 'selectModel' }, 'Enter on the link');
      // another model: no note
      await v.send({ ...init });
      await v.page.waitForFunction(() => !document.querySelector('cl-series-view')?.shadowRoot?.querySelector('.model-note'));
      await assertClean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as const) {
    test(`${theme} theme: no CSP violation; screenshot`, async () => {
      const { v, host } = await openSeries({ theme });
      try {
        await hoverRow(v, start + 84);
        await v.page.locator('cl-series-view cl-head-grid .spark').first().waitFor();
        await v.page.locator('cl-series-view .strip:not(.stale) rect.weight').first().waitFor();
        await v.screenshot(`series-view-${theme}`);
        await assertClean(v);
      } finally {
        host.stop();
        await v.close();
      }
    });
  }
});
