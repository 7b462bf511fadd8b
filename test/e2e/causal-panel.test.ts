/**
 * Attribute Forecast… in a real VS Code (code-server) with the extension installed from the VSIX, on
 * the bundled model: right-click the CSV in the explorer, the command's steps (step 2, the logit), and
 * the residual-stream panel: one bar per residual-stream part plus the total, the parts summing to
 * it, the per-layer forecast tab, the readout of a bar reached from the keyboard. Then the series
 * view's shortcut: right-click the same forecast step → Attribute this step opens the panel with that
 * step's attribution (the same total). Screenshots land in test-results/e2e/causal-panel/.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { e2eModel } from './lib/model';
import { e2eSkipReason, sampleCsvs, useVSCode } from './lib/session';

const model = e2eModel();
const csvName = (() => {
  const names = sampleCsvs().map((f) => path.basename(f));
  return ['periodic.csv', 'repeated-motif.csv'].find((n) => names.includes(n)) ?? names[0] ?? 'series.csv';
})();

/** The parts and the total of the attribution bars the panel draws. */
async function attributionBars(panel: FrameLocator): Promise<{ parts: { kind: string | null; value: number }[]; total: number }> {
  await panel.locator('svg.cl-attribution-bars .bar.total').waitFor({ timeout: 120_000 });
  const bars = await panel.locator('svg.cl-attribution-bars .bar').evaluateAll((els) => els.map((e) => ({ total: e.classList.contains('total'), kind: e.getAttribute('data-kind'), value: Number(e.getAttribute('data-value')) })));
  const total = bars.find((b) => b.total);
  assert.ok(total, 'no total bar');
  return { parts: bars.filter((b) => !b.total).map(({ kind, value }) => ({ kind, value })), total: total.value };
}

describe('residual-stream panel in VS Code (code-server)', { skip: e2eSkipReason() }, () => {
  /** Step 2's total from Attribute Forecast…, which the series view's shortcut must reproduce. */
  let paletteTotal: number | undefined;
  const vs = useVSCode('causal-panel', {
    settings: {
      'chronosLens.model': model.setting,
      'chronosLens.executionProvider': 'cpu',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
    },
  });

  vs.test(`Attribute Forecast… on ${csvName}, step 2: attribution bars summing to the total, and the per-layer fans`, { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.runCommand('View: Close All Editors');
    await wb.explorerContextMenu(csvName, 'Attribute Forecast…');
    await wb.answerInput('2', { step: /\(2\/3\)/ });
    await wb.pick('Logit of the median token', { step: /\(3\/3\)/ });
    const panel = await wb.findWebview(/Residual stream · chronos-t5/, { timeoutMs: 240_000 });
    const { parts, total } = await attributionBars(panel);
    // the bundled model: embedding, 2 decoder layers × (4 self + 4 cross heads + ff)
    assert.equal(parts.length, 1 + 2 * (4 + 4 + 1));
    assert.deepEqual([...new Set(parts.map((p) => p.kind))].sort(), ['cross_head', 'embedding', 'ff', 'self_head']);
    const sum = parts.reduce((s, p) => s + p.value, 0);
    assert.ok(Math.abs(sum - total) < 1e-4, `parts ${sum} vs total ${total}`);
    paletteTotal = total;
    assert.match(await panel.locator('.headline').innerText(), /logit of token \d+ \(.*\) at step 2/);
    // the keyboard reaches the marks: End is the total bar, read out
    await panel.locator('.plot').focus();
    await wb.page.keyboard.press('End');
    assert.match(await panel.locator('.readout').innerText(), /^total \(logit\): /);
    await wb.screenshot('attribution');
    await panel.locator('cl-tabs [role="tab"][data-id="layerLens"]').click();
    assert.equal(await panel.locator('svg.cl-layer-fans .fan').count(), 2);
    await wb.screenshot('layer-lens');
  });

  vs.test(`Series view of ${csvName}: right-click forecast step 2 → Attribute this step opens that step's attribution`, { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.runCommand('View: Close All Editors');
    await wb.explorerContextMenu(csvName, 'Open Series View');
    const series = await wb.findWebview(/rows · context: last \d+/, { timeoutMs: 240_000 });
    // the forecast steps exist once the forecast has arrived
    await series.locator('.subtitle', { hasText: /forecast: \d+ steps/ }).waitFor({ timeout: 180_000 });
    const chart = series.locator('.stage svg').first();
    // step 2's x on the chart, in the chart element's own box (the layout maps rows, forecast rows after the data)
    const at = await series.locator('cl-series-view').evaluate((el) => {
      const view = el as HTMLElement & { series: { totalRows: number }; chartLayout: { x(r: number): number; width: number; height: number; margin: { top: number; bottom: number } } };
      const svg = view.shadowRoot!.querySelector('.stage svg') as SVGSVGElement;
      const box = svg.getBoundingClientRect();
      const L = view.chartLayout;
      return { x: (L.x(view.series.totalRows + 2) * box.width) / L.width, y: box.height / 2 };
    });
    await chart.click({ button: 'right', position: at, force: true });
    const menu = series.locator('cl-action-menu.step-menu[open] [role="menu"]');
    await menu.waitFor({ timeout: 30_000 });
    assert.equal(await menu.getAttribute('aria-label'), 'Forecast step 3');
    await wb.screenshot('series-step-menu');
    await menu.locator('[role="menuitem"]', { hasText: 'Attribute this step' }).click();
    const panel = await wb.findWebview(/Residual stream · chronos-t5/, { timeoutMs: 240_000 });
    const { parts, total } = await attributionBars(panel);
    assert.match(await panel.locator('.headline').innerText(), /logit of token \d+ \(.*\) at step 2/);
    assert.equal(parts.length, 1 + 2 * (4 + 4 + 1));
    const sum = parts.reduce((s, p) => s + p.value, 0);
    assert.ok(Math.abs(sum - total) < 1e-4, `parts ${sum} vs total ${total}`);
    // the same file, column, step and target as Attribute Forecast… above: the same number
    if (paletteTotal !== undefined) assert.ok(Math.abs(total - paletteTotal) < 1e-6, `series view ${total} vs palette ${paletteTotal}`);
    await wb.screenshot('series-attribution');
  });
});
