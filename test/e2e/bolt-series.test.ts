/**
 * A Chronos-Bolt model in a real VS Code (code-server, the extension from the VSIX, driven from headless
 * Chromium), with a committed random-weight Bolt checkpoint (test/fixtures/bolt/checkpoints/
 * bolt-reduced-random) selected: Show Model Info names the family; the series view of hourly-load.csv
 * names it and forecasts with the quantile head; hovering a context point outlines its patch and paints
 * the patch's attention over the patches as bands over the series; the status bar names the family; the
 * CSV text hover names the patch; right-click the CSV → Compute Induction Mosaic shows the patch mosaics
 * (the reference protocol's cells equal the CLI's on the same settings; the sub-patch panel beside it).
 * Then, in the same editor, a committed random-weight Chronos-2 (test/fixtures/chronos2/checkpoints/
 * chronos2-reduced-random) is selected through the workspace's settings: the series view of building.csv, with its targets and covariates chosen in the view's two
 * QuickPicks, forecasts load and occupancy jointly and hovering a patch shows the group-attention lens.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe } from 'node:test';
import { cliJson } from './lib/cli';
import { repoRoot } from './lib/paths';
import { e2eSkipReason, useVSCode } from './lib/session';
import { webviewText } from './lib/workbench';

const BOLT = path.join(repoRoot, 'test', 'fixtures', 'bolt', 'checkpoints', 'bolt-reduced-random');
const CSV = 'hourly-load.csv';
/** The mosaic tabs' titles (extension/panels.ts): the reference, and the sub-patch variant with its period. */
const REFERENCE_TAB = /Mosaic · bolt-reduced-random(?! · period)/;
const SUB_PATCH_TAB = /Mosaic · bolt-reduced-random · period 24/;
// a small batch keeps the mosaic's CI time low; the data-driven variant is left to the T5 flows
const MOSAIC_SEED = 7;
const MOSAIC_BATCH = 16;
const CHRONOS2 = path.join(repoRoot, 'test', 'fixtures', 'chronos2', 'checkpoints', 'chronos2-reduced-random');

describe('Chronos-Bolt in VS Code (code-server)', { skip: e2eSkipReason() }, () => {
  const vs = useVSCode('bolt-series', {
    settings: {
      'chronosLens.model': BOLT,
      'chronosLens.executionProvider': 'cpu',
      'chronosLens.mosaic.seed': MOSAIC_SEED,
      'chronosLens.mosaic.batch': MOSAIC_BATCH,
      'chronosLens.mosaic.dataDriven': false,
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

  vs.test(`right-click ${CSV} → Compute Induction Mosaic: patch mosaics with the CLI's values`, { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.runCommand('View: Close All Editors');
    await wb.explorerContextMenu(CSV, 'Compute Induction Mosaic');
    // the reference and sub-patch mosaics open as tabs of one results group, the sub-patch one after the reference;
    // a webview in a background tab is not rendered, so each is brought to the front before it is read
    await wb.showTab(SUB_PATCH_TAB, { timeoutMs: 240_000 });
    await wb.showTab(REFERENCE_TAB);
    const reference = await wb.findWebview(/reference protocol \(random patches\)/, { timeoutMs: 120_000 });
    await reference.locator('g.cell[data-side="center"]').first().waitFor({ timeout: 60_000 });
    await wb.screenshot('bolt-mosaic');
    const text = await webviewText(reference);
    assert.match(text, /16 × 10 patches of 16, random normal values, 2 repeats, seed 7/);
    assert.match(text, /Current patch/);
    assert.match(text, /Patch to right/);
    assert.doesNotMatch(text, /current token|token to right/i);
    // the cross tab first: bolt-reduced-random's 2 decoder layers × 4 heads, each score as the CLI computes it
    const cells = await reference.locator('g.cell[data-side]').evaluateAll((els) => els.map((e) => ({
      side: e.getAttribute('data-side') as 'center' | 'right',
      layer: Number(e.getAttribute('data-layer')),
      head: Number(e.getAttribute('data-head')),
      value: Number(e.getAttribute('data-value')),
    })));
    assert.equal(cells.length, 2 * 2 * 4);
    const cli = cliJson<{ cross: { center: number[][]; right: number[][] } }>([
      'mosaic', '--model', BOLT, '--kind', 'cross', '--seed', String(MOSAIC_SEED), '--batch', String(MOSAIC_BATCH), '--provider', 'cpu',
    ]);
    for (const c of cells) {
      const v = cli.cross[c.side][c.layer][c.head];
      assert.ok(Math.abs(c.value - v) <= 1e-5, `L${c.layer}.H${c.head} (${c.side}): editor ${c.value}, CLI ${v}`);
    }
    // the sub-patch variant (a period of one and a half patches) opens beside it
    await wb.showTab(SUB_PATCH_TAB);
    const sub = await wb.findWebview(/sub-patch protocol \(period 24 values on patches of 16\)/, { timeoutMs: 120_000 });
    assert.equal(await sub.locator('g.cell[data-side="center"]').count(), 2 * 4);
  });

  vs.test('Chronos-2: building.csv with load and occupancy jointly and temperature as covariate; hover → the group-attention lens', { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.runCommand('View: Close All Editors');
    // the workspace's settings select the Chronos-2 checkpoint (they override the user settings the session started with)
    mkdirSync(path.join(vs.server.workspace, '.vscode'), { recursive: true });
    writeFileSync(path.join(vs.server.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'chronosLens.model': CHRONOS2 }));
    await wb.explorerContextMenu('building.csv', 'Open Series View');
    const series = await wb.findWebview(/chronos2-reduced-random \(Chronos-2\)/, { timeoutMs: 240_000 });
    await series.locator('.subtitle', { hasText: /quantile head, 21 levels/ }).waitFor({ timeout: 180_000 });
    // targets: load (shown, already picked) and occupancy; covariates: temperature
    await series.locator('button.task').click();
    const occupancy = await wb.quickPickRow('occupancy', 30_000);
    assert.ok(occupancy, `no occupancy in the targets' QuickPick (listed: ${(await wb.quickPickLabels()).join(' | ')})`);
    await occupancy.click();
    await wb.page.keyboard.press('Enter');
    const deadline = Date.now() + 30_000;
    while (!/covariates/.test(await wb.quickInputTitle()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const temperature = await wb.quickPickRow('temperature', 30_000);
    assert.ok(temperature, `no temperature in the covariates' QuickPick (listed: ${(await wb.quickPickLabels()).join(' | ')})`);
    await temperature.click();
    await wb.page.keyboard.press('Enter');
    await series.locator('.subtitle', { hasText: /jointly with occupancy · covariates temperature/ }).waitFor({ timeout: 120_000 });
    await series.locator('.subtitle', { hasText: /quantile head, 21 levels/ }).waitFor({ timeout: 180_000 });
    assert.match(await webviewText(series), /context: last 96 in 6 patches of 16/);
    const line = series.locator('path.series-line').first();
    const box = await line.boundingBox();
    assert.ok(box && box.width > 10, 'the series line is not drawn');
    await line.hover({ position: { x: box.width * 0.95, y: box.height / 2 }, force: true });
    const cells = series.locator('.group-matrices rect.gcell');
    await cells.first().waitFor({ timeout: 60_000 });
    await series.locator('.group-lines polyline.share').first().waitFor({ state: 'attached', timeout: 60_000 });
    await wb.screenshot('chronos2-series-group');
    const drawn = await cells.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-weight'))));
    // 4 heads of the selected layer, 3 series each way; a row of a matrix is a distribution over the series
    assert.equal(drawn.length, 4 * 9);
    for (let k = 0; k < drawn.length; k += 3) assert.ok(Math.abs(drawn[k] + drawn[k + 1] + drawn[k + 2] - 1) < 1e-3, `matrix row ${k / 3}: ${drawn.slice(k, k + 3).join(', ')}`);
    const lanes = await series.locator('.group-lines g.lane').evaluateAll((els) => els.map((e) => e.getAttribute('data-series')));
    assert.deepEqual(lanes, ['load', 'occupancy', 'temperature']);
    assert.ok((await series.locator('.cl-patch-bands rect.band[data-weight]').count()) > 0, 'no time-attention bands');
    const status = (await wb.statusBarTexts()).join(' | ');
    assert.match(status, /chronos2-reduced-random \(Chronos-2\)/, `status bar: ${status}`);
  });
});
