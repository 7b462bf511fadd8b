/**
 * WCAG AA contrast of the views in the light, dark and high-contrast themes, in real Chromium with
 * VS Code's theme variables: every visible piece of text against what is behind it, and the marks
 * a reader has to find (the induction rings on the series and their legend, the strip's markers,
 * the series line, the ablated set's diamond) against the background they are drawn on, the
 * context window's shading included.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ablationFixture, mosaicFixture, seriesInitFixture } from './fixtures';
import { WebviewHarness, type ThemeKind, type ViewPage } from './harness';
import { contrastProblems, type MarkSpec } from './contrast-check';
import { FakeSeriesHost } from './series-host';

const THEMES: ThemeKind[] = ['light', 'dark', 'high-contrast'];
/** The context window's shading, where the rings usually are. */
const CONTEXT = 'var(--cl-context)';

let h: WebviewHarness;
before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

async function assertContrast(v: ViewPage, what: string, marks: MarkSpec[], minMarks: number): Promise<void> {
  const r = await contrastProblems(v.page, marks);
  assert.deepEqual(
    r.problems.map((p) => `${p.what}: ${p.ratio}:1, needs ${p.need}:1`),
    [],
    `${what}: ${r.problems.length} of ${r.checkedText} texts and ${r.checkedMarks} marks below WCAG AA`,
  );
  assert.ok(r.checkedText > 10, `${what}: only ${r.checkedText} texts checked`);
  assert.ok(r.checkedMarks >= minMarks, `${what}: ${r.checkedMarks} marks checked, expected at least ${minMarks}`);
}

describe('contrast (WCAG AA) in every theme', { timeout: 300_000 }, () => {
  for (const theme of THEMES) {
    test(`series view, ${theme}: text, the induction rings and their legend`, async () => {
      const v = await h.open({ entry: 'series', theme, viewport: { width: 1100, height: 900 }, initialState: seriesInitFixture() });
      const host = new FakeSeriesHost(v, { contextLength: 96, layers: 4, heads: 8 }).start();
      try {
        await v.page.locator('cl-series-view path.series-line').first().waitFor();
        await v.page.locator('cl-series-view .charts').focus();
        await v.page.keyboard.press('ArrowLeft');
        await v.page.locator('cl-series-view .cl-series-overlay circle.same-token').first().waitFor();
        await v.page.locator('cl-series-view .strip:not(.stale) .cl-attention-strip path.same-token').first().waitFor();
        const marks: MarkSpec[] = [];
        for (const bg of [undefined, CONTEXT]) {
          marks.push(
            { selector: '.cl-series-overlay circle.same-token', paint: 'stroke', over: bg },
            { selector: '.cl-series-overlay circle.next-token', paint: 'stroke', over: bg },
            { selector: 'path.series-line', paint: 'stroke', over: bg },
          );
        }
        marks.push(
          { selector: '.swatch.same', paint: 'border' },
          { selector: '.swatch.next', paint: 'border' },
          { selector: '.cl-attention-strip path.same-token', paint: 'fill' },
          { selector: '.cl-attention-strip path.next-token', paint: 'fill' },
        );
        await assertContrast(v, `series view (${theme})`, marks, 10);
      } finally {
        host.stop();
        await v.close();
      }
    });

    test(`mosaic, ${theme}: text on the page and in the cells`, async () => {
      const v = await h.open({ entry: 'mosaic', theme, viewport: { width: 1100, height: 900 }, initialState: { type: 'showMosaic', result: mosaicFixture('chronos-t5-mini'), ablationSet: [{ kind: 'cross', layer: 1, head: 2 }] } });
      try {
        await v.page.locator('cl-mosaic-view .cell').first().waitFor();
        await assertContrast(v, `mosaic (${theme})`, [{ selector: '.legend-threshold', paint: 'stroke' }], 1);
      } finally {
        await v.close();
      }
    });

    test(`ablation report, ${theme}: text and the ablated set`, async () => {
      const runs = [{ id: 'run-2', label: 'zero · L3.H5, L4.H1 · 40 controls', createdAt: '2025-06-01T12:00:00.000Z' }];
      const v = await h.open({ entry: 'ablation', theme, viewport: { width: 1100, height: 900 }, initialState: { type: 'showAblation', result: ablationFixture(), runs, runId: 'run-2' } });
      try {
        await v.page.locator('cl-ablation-report .metric').first().waitFor();
        await assertContrast(v, `ablation report (${theme})`, [{ selector: '.mark-ablated path', paint: 'fill' }, { selector: '.mark-unablated line', paint: 'stroke' }], 8);
      } finally {
        await v.close();
      }
    });
  }
});
