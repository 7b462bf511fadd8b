/**
 * Every view lays out from a 320 px panel to a wide one without clipping or overlap, in real
 * Chromium: the mosaic (the largest published grid, chronos-t5-large's 24 × 16 heads, and a small
 * one, with the tooltip of a focused cell), the series view (hovered, so that its attention strip,
 * head grid and readout are drawn; zoomed to the whole column), the ablation report. The checks
 * (layout-check.ts): text inside the viewport and inside whatever clips it, nothing scrolls
 * sideways, no two pieces of text overlap, no two laid-out siblings overlap.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ablationFixture, mosaicFixture, seriesInitFixture } from './fixtures';
import { WebviewHarness, type ViewPage } from './harness';
import { layoutProblems } from './layout-check';
import { FakeSeriesHost } from './series-host';

const WIDTHS = [320, 600, 1600] as const;

let h: WebviewHarness;
before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

async function assertLaidOut(v: ViewPage, what: string): Promise<void> {
  const problems = await layoutProblems(v.page);
  if (problems.length) await v.screenshot(`layout-${what.replace(/\W+/g, '-')}`);
  assert.deepEqual(
    problems.map((p) => `${p.kind}: ${p.what}`),
    [],
    `${what}: ${problems.length} layout problems`,
  );
  assert.deepEqual(v.errors, [], 'page errors');
}

describe('views lay out without clipping or overlap', { timeout: 300_000 }, () => {
  for (const width of WIDTHS) {
    test(`mosaic at ${width} px: every tab, a large grid, the tooltip`, async () => {
      for (const model of ['chronos-t5-mini', 'chronos-t5-large'] as const) {
        const result = mosaicFixture(model);
        const v = await h.open({ entry: 'mosaic', viewport: { width, height: 900 }, initialState: { type: 'showMosaic', result, ablationSet: [{ kind: 'cross', layer: 1, head: 2 }] } });
        try {
          await v.page.locator('cl-mosaic-view .cell').first().waitFor();
          for (const kind of ['cross', 'encoder', 'decoder'] as const) {
            await v.page.locator(`cl-mosaic-view cl-tabs [role="tab"][data-id="${kind}"]`).click();
            await v.page.locator(`cl-mosaic-view svg.cl-mosaic[data-kind="${kind}"]`).waitFor();
            await assertLaidOut(v, `${model} ${kind} mosaic at ${width} px`);
          }
          // the tooltip of the last head on the right-hand side (the one nearest an edge)
          const cell = v.page.locator(`cl-mosaic-view .cell[data-side="right"][data-layer="0"][data-head="${result.heads - 1}"]`);
          await cell.focus();
          await v.page.locator('cl-mosaic-view cl-tooltip [role="tooltip"]').waitFor();
          await assertLaidOut(v, `${model} mosaic tooltip at ${width} px`);
        } finally {
          await v.close();
        }
      }
    });

    for (const [T, scale] of [
      [96, 1],
      [12, 0.001],
    ] as const) {
      test(`series view at ${width} px, context ${T}, values × ${scale}: hovered, then the whole column`, async () => {
        const v = await h.open({ entry: 'series', viewport: { width, height: 900 }, initialState: seriesInitFixture(T, scale) });
        const host = new FakeSeriesHost(v, { contextLength: T, layers: 4, heads: 8 }).start();
        try {
          await v.page.locator('cl-series-view path.series-line').first().waitFor();
          await assertLaidOut(v, `series view, nothing hovered, at ${width} px`);
          await v.page.locator('cl-series-view .charts').focus();
          await v.page.keyboard.press('ArrowLeft');
          await v.page.locator('cl-series-view cl-head-grid .spark').first().waitFor();
          await v.page.locator('cl-series-view .strip:not(.stale) .cl-attention-strip rect.weight').first().waitFor();
          await assertLaidOut(v, `series view at ${width} px`);
          await v.page.locator('cl-series-view cl-series-toolbar button', { hasText: 'All' }).click();
          await v.page.waitForFunction(() => (document.querySelector('cl-series-view') as HTMLElement & { domain?: [number, number] }).domain?.[0] === 0);
          await v.page.locator('cl-series-view .strip:not(.stale)').waitFor();
          await assertLaidOut(v, `series view (all) at ${width} px`);
        } finally {
          host.stop();
          await v.close();
        }
      });
    }

    test(`ablation report at ${width} px`, async () => {
      const runs = [{ id: 'run-2', label: 'zero · L3.H5, L4.H1 · 40 controls', createdAt: '2025-06-01T12:00:00.000Z' }];
      const v = await h.open({ entry: 'ablation', viewport: { width, height: 900 }, initialState: { type: 'showAblation', result: ablationFixture(), runs, runId: 'run-2' } });
      try {
        await v.page.locator('cl-ablation-report .metric').first().waitFor();
        await assertLaidOut(v, `ablation report at ${width} px`);
      } finally {
        await v.close();
      }
    });
  }
});
