/**
 * Attribute Forecast… in a real VS Code (code-server) with the extension installed from the VSIX, on
 * the bundled model: right-click the CSV in the explorer, the command's steps (step 2, the logit), and
 * the residual-stream panel: one bar per residual-stream part plus the total, the parts summing to
 * it, the per-layer forecast tab, the readout of a bar reached from the keyboard. Screenshots land in
 * test-results/e2e/causal-panel/.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe } from 'node:test';
import { e2eModel } from './lib/model';
import { e2eSkipReason, sampleCsvs, useVSCode } from './lib/session';

const model = e2eModel();
const csvName = (() => {
  const names = sampleCsvs().map((f) => path.basename(f));
  return ['periodic.csv', 'repeated-motif.csv'].find((n) => names.includes(n)) ?? names[0] ?? 'series.csv';
})();

describe('residual-stream panel in VS Code (code-server)', { skip: e2eSkipReason() }, () => {
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
    await panel.locator('svg.cl-attribution-bars .bar.total').waitFor({ timeout: 120_000 });
    const bars = await panel.locator('svg.cl-attribution-bars .bar').evaluateAll((els) => els.map((e) => ({ total: e.classList.contains('total'), kind: e.getAttribute('data-kind'), value: Number(e.getAttribute('data-value')) })));
    const parts = bars.filter((b) => !b.total);
    const total = bars.find((b) => b.total);
    assert.ok(total, 'no total bar');
    // the bundled model: embedding, 2 decoder layers × (4 self + 4 cross heads + ff)
    assert.equal(parts.length, 1 + 2 * (4 + 4 + 1));
    assert.deepEqual([...new Set(parts.map((p) => p.kind))].sort(), ['cross_head', 'embedding', 'ff', 'self_head']);
    const sum = parts.reduce((s, p) => s + p.value, 0);
    assert.ok(Math.abs(sum - total.value) < 1e-4, `parts ${sum} vs total ${total.value}`);
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
});
