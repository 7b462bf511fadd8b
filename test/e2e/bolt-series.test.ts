/**
 * A Chronos-Bolt model in a real VS Code (code-server, the extension from the VSIX, driven from headless
 * Chromium), with a committed random-weight Bolt checkpoint (test/fixtures/bolt/checkpoints/
 * bolt-reduced-random) selected: Show Model Info names the family; the series view of hourly-load.csv
 * names it and forecasts with the quantile head; hovering a context point outlines its patch and paints
 * the patch's attention over the patches as bands over the series; the status bar names the family; the
 * CSV text hover names the patch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe } from 'node:test';
import { repoRoot } from './lib/paths';
import { e2eSkipReason, useVSCode } from './lib/session';
import { webviewText } from './lib/workbench';

const BOLT = path.join(repoRoot, 'test', 'fixtures', 'bolt', 'checkpoints', 'bolt-reduced-random');
const CSV = 'hourly-load.csv';

describe('Chronos-Bolt in VS Code (code-server)', { skip: e2eSkipReason() }, () => {
  const vs = useVSCode('bolt-series', {
    settings: {
      'chronosLens.model': BOLT,
      'chronosLens.executionProvider': 'cpu',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
    },
  });

  vs.test('Show Model Info names the Bolt checkpoint, its family and patch size', { timeout: 180_000 }, async () => {
    const wb = vs.wb;
    await wb.runCommand('Chronos Lens: Show Model Info');
    const note = await wb.waitForNotification(/bolt-reduced-random \(Chronos-Bolt, patches of 16\)/, { timeoutMs: 120_000 });
    console.log(`# notification: ${note}`);
    await wb.hideNotifications();
  });

  vs.test(`Open Series View on ${CSV}, hover a context point: its patch and the patch attention bands`, { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.explorerContextMenu(CSV, 'Open Series View');
    const series = await wb.findWebview(/bolt-reduced-random \(Chronos-Bolt\)/, { timeoutMs: 240_000 });
    // the forecast comes from the quantile head (no samples); wait for it so the chart has settled
    await series.locator('.subtitle', { hasText: /quantile head, 9 levels/ }).waitFor({ timeout: 180_000 });
    const text = await webviewText(series);
    assert.match(text, /context: last 512 in 32 patches of 16/);
    const line = series.locator('path.series-line').first();
    const box = await line.boundingBox();
    assert.ok(box && box.width > 10, 'the series line is not drawn');
    // a point near the end of the context window
    await line.hover({ position: { x: box.width * 0.9, y: box.height / 2 }, force: true });
    const query = series.locator('.cl-patch-bands rect.query-patch');
    await query.waitFor({ timeout: 60_000 });
    const bands = series.locator('.cl-patch-bands rect.band[data-weight]');
    await bands.first().waitFor({ timeout: 60_000 });
    await wb.screenshot('bolt-series-hover');
    const drawn = await bands.evaluateAll((els) => els.map((e) => ({ position: Number(e.getAttribute('data-position')), weight: Number(e.getAttribute('data-weight')) })));
    assert.ok(drawn.length > 1 && drawn.every((b) => b.position >= 0 && b.position < 32 && b.weight > 0 && b.weight <= 1), `bands: ${JSON.stringify(drawn.slice(0, 5))}`);
    // the query patch is 16 rows of the window, and the readout names it
    const first = Number(await query.getAttribute('data-first-row'));
    const last = Number(await query.getAttribute('data-last-row'));
    assert.equal(last - first, 15);
    const readout = await webviewText(series);
    assert.match(readout, new RegExp(`patch (\\d+) of 32 · rows ${first + 1}–${last + 1}`));
    assert.match(readout, /attends most to patch \d+ \(rows \d+–\d+\)/);
    const status = (await wb.statusBarTexts()).join(' | ');
    assert.match(status, /bolt-reduced-random \(Bolt\)/, `status bar: ${status}`);
  });

  vs.test(`hover a number of ${CSV} in the text editor: the hover names its patch`, { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.runCommand('View: Close All Editors');
    await wb.openFile(CSV, { text: true });
    await wb.page.keyboard.press('Control+End');
    const lines = readFileSync(path.join(vs.server.workspace, CSV), 'utf8').split(/\r?\n/);
    let lastLine = lines.length - 1;
    while (lastLine > 0 && !lines[lastLine].trim()) lastLine--;
    const value = lines[lastLine].split(',')[1].trim();
    const hover = await wb.hoverEditorText(value, { lineNumber: lastLine + 1, expect: /Patch\s*32/, timeoutMs: 180_000 });
    await wb.screenshot('bolt-csv-hover');
    // the last data row (row 672) is in the last of the 32 patches, rows 657–672
    assert.match(hover, /patch 32 of 32/);
    assert.match(hover, /Patch\s*32\s*·\s*rows 657–672 \(16 values\)/);
    assert.match(hover, /L\d+\.H\d+/, 'no head attending from the patch');
  });
});
