/**
 * <cl-series-view> for a Chronos-Bolt model in real headless Chromium: the context window is cut into
 * patches (AirPassengers, a 100-row window in 7 patches of 16, the first left-padded), so hovering a
 * row asks for its patch; the hovered patch's span is outlined on the chart and its attention over the
 * patches painted as bands over the series (and as patch-wide bars in the strip); hovering the forecast
 * paints the decoder token's cross-attention the same way; the arrow keys step one patch (and as many
 * forecast steps), and the toolbar has no same-token legend. Every posted message passes the host's
 * validator (positions are patches); no CSP violation, no page error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ForecastResult, LensResult, ModelSummary } from '../../analysis/types';
import { seriesValidationContext, type InitSeriesMessage, type SeriesPayload } from '../../protocol';
import { forecastFixture, lensFixture, modelSummary, seriesFixture } from './fixtures';
import { WebviewHarness, type ViewPage } from './harness';
import { FakeSeriesHost } from './series-host';

const ROWS = 100;
const PATCHES = 7;
const LAYERS = 4;
const HEADS = 8;
const model: ModelSummary = { ...modelSummary('chronos-t5-mini'), name: 'chronos-bolt-mini', contextLength: ROWS, predictionLength: 24, family: 'chronos-bolt', patch: { size: 16, stride: 16 } };
const base = seriesFixture(ROWS);
const start = base.context.start;
// 100 rows: 7 patches, the first one starting 12 rows before the window (its left padding)
const series: SeriesPayload = { ...base, context: { ...base.context, patches: { size: 16, stride: 16, first: start - 12, count: PATCHES } } };
const forecast: ForecastResult = { ...forecastFixture(24), numSamples: 0, model };
const init: InitSeriesMessage = { type: 'initSeries', series, model, forecast, selection: { mode: 'head', layer: 2, head: 3 } };
/** Patches are never the same token: no copies to ring. */
const lens = (kind: 'encoder' | 'cross', position: number): LensResult => ({ ...lensFixture(kind === 'encoder' ? position : PATCHES - 1, PATCHES, LAYERS, HEADS), sameToken: [], nextToken: [] });

let h: WebviewHarness;
before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

async function open(): Promise<{ v: ViewPage; host: FakeSeriesHost }> {
  const v = await h.open({ entry: 'series', viewport: { width: 1280, height: 900 }, initialState: init });
  const host = new FakeSeriesHost(v, { contextLength: PATCHES, layers: LAYERS, heads: HEADS }, undefined, 0, lens).start();
  await v.page.locator('cl-series-view path.series-line').first().waitFor();
  return { v, host };
}

async function hover(v: ViewPage, row: number): Promise<void> {
  const p = await v.page.evaluate((r) => {
    const view = document.querySelector('cl-series-view') as HTMLElement & { chartLayout: { x(r: number): number; width: number } };
    const box = (view.shadowRoot?.querySelector('.stage svg') as SVGSVGElement).getBoundingClientRect();
    return { x: box.left + (view.chartLayout.x(r) * box.width) / view.chartLayout.width, y: box.top + box.height / 2 };
  }, row);
  await v.page.mouse.move(p.x, p.y);
  await v.page.locator(`cl-series-view .cl-series-overlay .hover[data-row="${row}"]`).waitFor();
}

function bands(v: ViewPage): Promise<{ position: number; weight: number; x: number; width: number }[]> {
  return v.page.locator('cl-series-view .stage .cl-patch-bands rect.band').evaluateAll((els) =>
    els.map((e) => ({ position: Number(e.getAttribute('data-position')), weight: Number(e.getAttribute('data-weight')), x: Number(e.getAttribute('x')), width: Number(e.getAttribute('width')) })),
  );
}

async function clean(v: ViewPage): Promise<void> {
  const { validateWebviewMessage } = await import('../../protocol');
  for (const m of await v.posted()) {
    const r = validateWebviewMessage('series', m, seriesValidationContext(series, model));
    assert.ok(r.ok, `posted message rejected by the host validator: ${r.ok ? '' : r.error}`);
  }
  assert.deepEqual(await v.violations(), [], 'CSP violations');
  assert.deepEqual(v.errors, [], 'page errors');
}

describe('cl-series-view with a Chronos-Bolt model', { timeout: 180_000 }, () => {
  test('hover a row: its patch is asked for, outlined, and its attention over the patches painted as bands', async () => {
    const { v, host } = await open();
    try {
      const sub = (await v.page.locator('cl-series-view .subtitle').textContent()) ?? '';
      assert.match(sub, /chronos-bolt-mini \(Chronos-Bolt\)/);
      assert.match(sub, /context: last 100 in 7 patches of 16/);
      assert.match(sub, /forecast: 24 steps \(quantile head, 9 levels\)/);
      // row start + 60 is window row 60, in patch (60 + 12) / 16 = 4 (rows start + 52 .. start + 67)
      const row = start + 60;
      await hover(v, row);
      const req = await v.waitForMessage('requestLens');
      assert.equal(req.kind, 'encoder');
      assert.equal(req.position, 4);
      const query = v.page.locator('cl-series-view .cl-patch-bands rect.query-patch');
      await query.waitFor();
      assert.equal(await query.getAttribute('data-first-row'), String(start + 52));
      assert.equal(await query.getAttribute('data-last-row'), String(start + 67));
      // the selected head's (L2.H3) row over the patches: one band per positive weight, with its value
      const expected = lens('encoder', 4).rows[2][3];
      let drawn = await bands(v);
      for (let i = 0; i < 200 && drawn.length === 0; i++) drawn = await new Promise((r) => setTimeout(() => r(bands(v)), 25));
      assert.equal(drawn.length, expected.filter((w) => Math.round(w * 1e5) / 1e5 > 0).length);
      for (const b of drawn) assert.ok(Math.abs(b.weight - expected[b.position]) < 1e-5, `patch ${b.position}`);
      // a band spans its patch's rows: 16 rows wide, the left-padded first one only its 4 rows
      const full = drawn.find((b) => b.position === 2)!;
      const first = drawn.find((b) => b.position === 0)!;
      assert.ok(Math.abs(first.width / full.width - 4 / 16) < 0.02, `${first.width} vs ${full.width}`);
      // the strip's bars are patch-wide too, and the readout names the patch
      const bars = await v.page.locator('cl-series-view .strip .cl-attention-strip rect.weight').evaluateAll((els) => els.map((e) => Number(e.getAttribute('width'))));
      assert.equal(bars.length, drawn.length);
      assert.ok(Math.max(...bars) > 10, `bar widths ${bars.join(' ')}`);
      assert.match((await v.page.locator('cl-series-view .readout .position').textContent()) ?? '', new RegExp(`patch 5 of 7 · rows ${start + 53}–${start + 68}`));
      // the exported SVG is the chart as shown: the bands and the query patch included
      const svg = await v.page.evaluate(async () => {
        const view = document.querySelector('cl-series-view') as HTMLElement & { exportFigure(f: string): Promise<{ content: { data: string } }> };
        return (await view.exportFigure('svg')).content.data;
      });
      assert.equal((svg.match(/<rect class="band"/g) ?? []).length, drawn.length);
      assert.match(svg, new RegExp(`<rect class="query-patch" data-position="4" data-first-row="${start + 52}" data-last-row="${start + 67}"`));
      // the head grid: sparklines over the patches
      assert.equal(await v.page.locator('cl-series-view cl-head-grid .spark').count(), LAYERS * HEADS);
      assert.equal(host.lensRequests.at(-1)?.sparkBins, 48);
      await clean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('hover the forecast: the decoder token\'s cross-attention over the patches, without a query patch', async () => {
    const { v, host } = await open();
    try {
      await hover(v, series.totalRows + 3);
      const req = await v.waitForMessage('requestLens');
      assert.equal(req.kind, 'cross');
      assert.equal(req.position, 3);
      let drawn = await bands(v);
      for (let i = 0; i < 200 && drawn.length === 0; i++) drawn = await new Promise((r) => setTimeout(() => r(bands(v)), 25));
      const expected = lens('cross', 3).rows[2][3];
      assert.equal(drawn.length, expected.filter((w) => Math.round(w * 1e5) / 1e5 > 0).length);
      for (const b of drawn) assert.ok(Math.abs(b.weight - expected[b.position]) < 1e-5, `patch ${b.position}`);
      assert.equal(await v.page.locator('cl-series-view .cl-patch-bands rect.query-patch').count(), 0);
      assert.match((await v.page.locator('cl-series-view .readout').textContent()) ?? '', /attends most to patch \d \(rows \d+–\d+\)/);
      const json = await v.page.evaluate(async () => {
        const view = document.querySelector('cl-series-view') as HTMLElement & { exportFigure(f: string): Promise<{ content: { data: string } }> };
        return (await view.exportFigure('json')).content.data;
      });
      assert.match(json, /forecast by chronos-bolt-mini \(quantile head\)/);
      // the causal toolkit reads Chronos-T5 only: a Bolt forecast step has no action menu
      await v.page.locator('cl-series-view .charts').focus();
      await v.page.keyboard.press('Enter');
      assert.equal(await v.page.evaluate(() => (document.querySelector('cl-series-view') as HTMLElement & { openStepMenu(s: number): boolean }).openStepMenu(3)), false);
      assert.equal(await v.page.locator('cl-series-view cl-action-menu.step-menu[open]').count(), 0);
      assert.equal((await v.posted()).filter((m) => m.type === 'attributeStep').length, 0);
      await clean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  test('keyboard: an arrow steps one patch of the context, and as many forecast steps; no same-token / next legend', async () => {
    const { v, host } = await open();
    try {
      const at = (row: number) => v.page.locator(`cl-series-view .cl-series-overlay .hover[data-row="${row}"]`).waitFor();
      const asked = async (kind: string, position: number) => {
        for (let i = 0; i < 400 && !host.lensRequests.some((r) => r.kind === kind && r.position === position); i++) await new Promise((r) => setTimeout(r, 25));
        assert.ok(host.lensRequests.some((r) => r.kind === kind && r.position === position), `a ${kind} request for position ${position}`);
      };
      assert.equal(await v.page.locator('cl-series-view cl-series-toolbar .legend').count(), 0);
      await v.page.locator('cl-series-view .charts').focus();
      const last = series.totalRows - 1;
      await v.page.keyboard.press('ArrowRight'); // no hover yet: the last context point, in patch 6
      await at(last);
      await v.page.keyboard.press('ArrowLeft');
      await v.page.keyboard.press('ArrowLeft');
      await at(last - 32);
      await asked('encoder', 4);
      // patch 1 (rows start + 4 .. start + 19), then the left-padded patch 0 (start .. start + 3), then out of the window
      for (let i = 0; i < 3; i++) await v.page.keyboard.press('ArrowLeft');
      await at(start + 19);
      await v.page.keyboard.press('ArrowLeft');
      await at(start + 3);
      await asked('encoder', 0);
      await v.page.keyboard.press('ArrowLeft');
      await at(start - 1);
      // the forecast: 16 steps a key, the last step, then back into the context
      await v.page.keyboard.press('End');
      await at(series.totalRows + 23);
      await v.page.keyboard.press('ArrowLeft');
      await at(series.totalRows + 7);
      await asked('cross', 7);
      await v.page.keyboard.press('ArrowLeft');
      await at(series.totalRows);
      await v.page.keyboard.press('ArrowLeft');
      await at(last);
      await v.page.keyboard.press('ArrowRight');
      await v.page.keyboard.press('ArrowRight');
      await at(series.totalRows + 16);
      await clean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });
});
