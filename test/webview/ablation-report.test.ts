/**
 * <cl-ablation-report> in real headless Chromium: marks at the right positions (checked against
 * the renderer's own scales and against the laid-out page), the run picker, exports, host messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { validateWebviewMessage } from '../../protocol';
import { ablationLayout } from '../../webview/render/ablation';
import { ablationFixture } from './fixtures';
import { WebviewHarness, type ViewPage } from './harness';

const result = ablationFixture();
const runs = [
  { id: 'run-2', label: 'zero · L3.H5, L4.H1 · 40 controls', createdAt: '2025-06-01T12:00:00.000Z' },
  { id: 'run-1', label: 'mean · L3.H5 · 20 controls', createdAt: '2025-05-30T09:30:00.000Z' },
];
let h: WebviewHarness;

before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

async function openReport(theme: 'light' | 'dark' | 'high-contrast' = 'light'): Promise<ViewPage> {
  const v = await h.open({ entry: 'ablation', theme, initialState: { type: 'showAblation', result, runs, runId: 'run-2' } });
  await v.page.locator('cl-ablation-report .metric').first().waitFor();
  return v;
}

async function assertClean(v: ViewPage): Promise<void> {
  for (const m of await v.posted()) {
    const r = validateWebviewMessage('ablation', m, { runIds: runs.map((r) => r.id) });
    assert.ok(r.ok, r.ok ? '' : r.error);
  }
  assert.deepEqual(await v.violations(), []);
  assert.deepEqual(v.errors, []);
}

describe('cl-ablation-report in Chromium', { timeout: 120_000 }, () => {
  test('one row per metric; ablated, unablated and control marks sit at their values on the metric axis', async () => {
    const v = await openReport();
    try {
      await v.waitForMessage('ready');
      const svg = v.page.locator('cl-ablation-report svg.cl-ablation-chart');
      const width = Number(await svg.getAttribute('width'));
      const layout = ablationLayout(result, { width });
      assert.equal(await v.page.locator('cl-ablation-report .metric').count(), result.metrics.length);
      // MASE's period is named as MASE's: the series view shows the context window's, which may differ
      assert.match(await v.page.evaluate(() => document.querySelector('cl-ablation-report')?.shadowRoot?.textContent ?? ''), /MASE's seasonal period 12 \(detected before the held-out points unless given\)/);
      const svgBox = await svg.boundingBox();
      assert.ok(svgBox);
      for (const row of layout.rows) {
        const m = row.metric;
        const g = v.page.locator(`cl-ablation-report .metric[data-metric="${m.name}"]`);
        // attributes: the renderer's own scale
        const ablatedX = Number(await g.locator('.mark-ablated').getAttribute('data-x'));
        const unablatedX = Number(await g.locator('.mark-unablated').getAttribute('data-x'));
        assert.ok(Math.abs(ablatedX - row.x(m.ablated)) < 0.01, `${m.name}: ablated at ${ablatedX}, expected ${row.x(m.ablated)}`);
        assert.ok(Math.abs(unablatedX - row.x(m.unablated)) < 0.01, `${m.name}: unablated`);
        // the laid-out page agrees (the diamond's box is centred on its value)
        const box = await g.locator('.mark-ablated path').boundingBox();
        assert.ok(box);
        assert.ok(Math.abs(box.x + box.width / 2 - svgBox.x - ablatedX) < 1, `${m.name}: diamond centre in the page`);
        // every control set, at its value
        const cxs = await g.locator('.control-point').evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-value')), Number(e.getAttribute('cx'))]));
        assert.equal(cxs.length, m.controls.length);
        for (const [value, cx] of cxs) assert.ok(Math.abs(cx - row.x(value)) < 0.01);
        // percentile and z-score are printed
        const stats = await g.locator('.metric-stats').textContent();
        assert.ok(stats?.includes(`z = ${m.zScore.toFixed(2)}`), stats ?? '');
        // worse after ablation: the diamond is right of the unablated rule
        assert.equal(ablatedX > unablatedX, m.ablated > m.unablated);
      }
      const rows = v.page.locator('cl-ablation-report table.cl-ablation-table tbody tr');
      assert.equal(await rows.count(), result.metrics.length);
      assert.equal(await rows.first().locator('th').textContent(), 'Induction loss (repeated tokens)');
      await v.screenshot('ablation-light');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('the run picker reopens a stored run; exports post requests; host messages update the view', async () => {
    const v = await openReport('dark');
    try {
      await v.page.locator('cl-ablation-report select#run').selectOption('run-1');
      assert.deepEqual(await v.waitForMessage('openRun'), { type: 'openRun', runId: 'run-1' });

      await v.page.locator('cl-ablation-report cl-export-bar button[data-format="svg"]').click();
      const svg = (await v.waitForMessage('export', (m) => m.format === 'svg')) as { requestId: string; suggestedName: string; content: { data: string } };
      assert.equal(svg.suggestedName, 'ablation-chronos-t5-small-zero.svg');
      assert.ok(svg.content.data.includes('Head ablation'));
      assert.ok(!svg.content.data.includes('var(--'));
      // one export at a time: the buttons wait for the host's answer
      assert.ok(await v.page.locator('cl-ablation-report cl-export-bar button[data-format="csv"]').isDisabled());
      await v.send({ type: 'response', requestId: svg.requestId, ok: true, result: { saved: false } });
      await v.page.waitForFunction(() => document.querySelector('cl-ablation-report')?.shadowRoot?.querySelector('cl-export-bar')?.shadowRoot?.querySelector('.status')?.textContent === 'Export cancelled');
      await v.page.locator('cl-ablation-report cl-export-bar button[data-format="csv"]').click();
      const csv = (await v.waitForMessage('export', (m) => m.format === 'csv')) as { requestId: string; content: { data: string } };
      const lines = csv.content.data.trimEnd().split('\n');
      assert.equal(lines.length, 1 + result.metrics.length);
      assert.ok(lines[0].startsWith('metric,heads,method,unablated,ablated,delta,control_n'));
      await v.send({ type: 'response', requestId: csv.requestId, ok: true, result: { saved: true, path: '/tmp/a.csv' } });
      await v.page.locator('cl-ablation-report cl-export-bar button[data-format="png"]').click();
      const png = (await v.waitForMessage('export', (m) => m.format === 'png')) as { content: { encoding: string; data: string } };
      assert.equal(png.content.encoding, 'base64');

      const other = { ...result, method: 'mean' as const, heads: [{ kind: 'cross' as const, layer: 3, head: 5 }], metrics: result.metrics.slice(0, 2) };
      await v.send({ type: 'showAblation', result: other, runs, runId: 'run-1' });
      await v.waitForCount('cl-ablation-report .metric', 2);
      assert.ok((await v.page.locator('cl-ablation-report .subtitle').innerText()).startsWith('L3.H5 (cross) · mean ablation'));
      await v.send({ type: 'error', message: 'Ablation failed.', detail: 'The CSV column "y" has 10 numeric values; 24 are held out.' });
      await v.page.locator('cl-ablation-report cl-banner[kind="error"] .banner').waitFor();
      await v.screenshot('ablation-dark');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });
});
