/**
 * Screen-reader reachability of the views in real Chromium: an axe-core audit (WCAG 2 A / AA rules,
 * shadow roots included) of the mosaic, the series view (hovered, so that its strip, head grid and
 * readout are drawn, and with a forecast step's action menu open), the ablation report and the
 * residual-stream panel (each of its figures) finds no serious or critical violation; every mosaic
 * cell, head-grid cell and periodicity cell the keyboard reaches has an accessible name that
 * carries its value; moving the series view's point with the keyboard updates a live region with
 * the point's reading.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ablationFixture, causalRunFixture, mosaicFixture, seriesInitFixture } from './fixtures';
import { axeViolations } from './axe';
import { WebviewHarness, type ThemeKind, type ViewPage } from './harness';
import { FakeSeriesHost } from './series-host';

let h: WebviewHarness;
before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

async function openSeries(theme: ThemeKind): Promise<{ v: ViewPage; host: FakeSeriesHost }> {
  const v = await h.open({ entry: 'series', theme, viewport: { width: 1280, height: 900 }, initialState: seriesInitFixture() });
  const host = new FakeSeriesHost(v, { contextLength: 96, layers: 4, heads: 8 }).start();
  await v.page.locator('cl-series-view path.series-line').first().waitFor();
  return { v, host };
}

/** Accessible names of the elements matching `selector` (in shadow roots too). */
function names(v: ViewPage, selector: string): Promise<string[]> {
  return v.page.locator(selector).evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
}

describe('accessibility in Chromium', { timeout: 300_000 }, () => {
  for (const theme of ['light', 'high-contrast'] as const) {
    test(`axe-core finds no serious or critical violation (${theme})`, async () => {
      const mosaic = await h.open({ entry: 'mosaic', theme, initialState: { type: 'showMosaic', result: mosaicFixture('chronos-t5-mini'), ablationSet: [{ kind: 'cross', layer: 1, head: 2 }] } });
      try {
        await mosaic.page.locator('cl-mosaic-view .cell').first().waitFor();
        assert.deepEqual(await axeViolations(mosaic), [], 'mosaic');
      } finally {
        await mosaic.close();
      }
      const { v, host } = await openSeries(theme);
      try {
        await v.page.locator('cl-series-view .charts').focus();
        await v.page.keyboard.press('ArrowLeft');
        await v.page.locator('cl-series-view cl-head-grid .spark').first().waitFor();
        assert.deepEqual(await axeViolations(v), [], 'series view');
        await v.page.keyboard.press('End');
        await v.page.keyboard.press('Enter');
        await v.page.locator('cl-series-view cl-action-menu.step-menu[open] [role="menuitem"]').first().waitFor();
        assert.deepEqual(await axeViolations(v), [], 'series view, step menu open');
      } finally {
        host.stop();
        await v.close();
      }
      const runs = [{ id: 'run-2', label: 'zero · L3.H5, L4.H1 · 40 controls', createdAt: '2025-06-01T12:00:00.000Z' }];
      const ablation = await h.open({ entry: 'ablation', theme, initialState: { type: 'showAblation', result: ablationFixture(), runs, runId: 'run-2' } });
      try {
        await ablation.page.locator('cl-ablation-report .metric').first().waitFor();
        assert.deepEqual(await axeViolations(ablation), [], 'ablation report');
      } finally {
        await ablation.close();
      }
      const causal = await h.open({ entry: 'causal', theme, viewport: { width: 1100, height: 900 }, initialState: { type: 'showCausal', run: causalRunFixture() } });
      try {
        for (const figure of ['attribution', 'layerLens', 'patching', 'layerAblation']) {
          await causal.page.locator(`cl-causal-view cl-tabs [role="tab"][data-id="${figure}"]`).click();
          await causal.page.locator(`cl-causal-view cl-tabs [role="tab"][data-id="${figure}"][aria-selected="true"]`).waitFor();
          await causal.page.locator('cl-causal-view .plot svg').first().waitFor();
          assert.deepEqual(await axeViolations(causal), [], `residual-stream panel, ${figure}`);
        }
      } finally {
        await causal.close();
      }
    });
  }

  test('every mosaic cell is named with its layer, head and score', async () => {
    const result = mosaicFixture('chronos-t5-mini');
    const v = await h.open({ entry: 'mosaic', initialState: { type: 'showMosaic', result } });
    try {
      await v.page.locator('cl-mosaic-view .cell').first().waitFor();
      const cross = result.cross;
      assert.ok(cross);
      const labels = await v.page.locator('cl-mosaic-view .cell').evaluateAll((els) =>
        els.map((e) => ({ side: (e as SVGElement).dataset.side as 'center' | 'right', layer: Number((e as SVGElement).dataset.layer), head: Number((e as SVGElement).dataset.head), role: e.getAttribute('role'), label: e.getAttribute('aria-label') ?? '' })),
      );
      assert.equal(labels.length, 2 * cross.layers * cross.heads);
      for (const c of labels) {
        assert.equal(c.role, 'gridcell');
        assert.ok(c.label.startsWith(`Layer ${c.layer}, head ${c.head}`), c.label);
        assert.ok(c.label.includes(cross[c.side][c.layer][c.head].toFixed(3)), `${c.label} carries ${cross[c.side][c.layer][c.head].toFixed(3)}`);
      }
    } finally {
      await v.close();
    }
  });

  test('series view: head-grid and periodicity cells are named with their values; the keyboard point is read out in a live region', async () => {
    const { v, host } = await openSeries('light');
    try {
      const live = v.page.locator('cl-series-view .readout');
      assert.equal(await live.getAttribute('aria-live'), 'polite');
      await v.page.locator('cl-series-view .charts').focus();
      await v.page.keyboard.press('ArrowLeft');
      await v.page.locator('cl-series-view cl-head-grid .spark').first().waitFor();
      const init = seriesInitFixture();
      const row = init.series.context.end - 1;
      // the hovered point's reading: its row (1-based, as the editor counts) and its value
      await v.page.waitForFunction(
        ([r, value]) => {
          const el = document.querySelector('cl-series-view')?.shadowRoot?.querySelector('.readout[aria-live]');
          const t = el?.textContent?.replace(/\s+/g, ' ') ?? '';
          return t.includes(`Row ${r}`) && t.includes(`value ${value}`);
        },
        [row + 1, init.series.values[row]] as const,
      );
      await v.page.keyboard.press('ArrowLeft');
      await v.page.waitForFunction((r) => (document.querySelector('cl-series-view')?.shadowRoot?.querySelector('.readout[aria-live]')?.textContent ?? '').includes(`Row ${r}`), row);
      const sparks = await names(v, 'cl-series-view cl-head-grid .spark');
      assert.equal(sparks.length, 4 * 8);
      for (const n of sparks) assert.match(n, /^Layer \d, head \d: peak at position \d+ \(\d\.\d{3}\), induction score \d\.\d{3}$/);
      const periodic = await names(v, 'cl-series-view .periodic .pcell');
      assert.equal(periodic.length, 4 * 8);
      for (const n of periodic) assert.match(n, /^L\d\.H\d: \d+\.\d{3}× a uniform head's attention at lags of 12/);
    } finally {
      host.stop();
      await v.close();
    }
  });
});
