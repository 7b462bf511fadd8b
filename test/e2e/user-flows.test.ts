/**
 * What users do, in a real VS Code (code-server) with the extension installed from the VSIX, driven from
 * headless Chromium: the extension is listed, its Getting Started walkthrough clicked through (every step's
 * button, every step completed), it activates from the command palette, right-click a CSV →
 * Compute Induction Mosaic (cells = layers × heads, the top head equals the CLI's for the same seed), Run
 * Ablation… from the palette, both kinds of panel back after Developer: Reload Window, the Series View and the
 * CSV hover. One VS Code for the whole file; the
 * tests run in order and each leaves a screenshot in test-results/e2e/user-flows/.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { cliJson } from './lib/cli';
import { e2eModel } from './lib/model';
import { repoRoot } from './lib/paths';
import { e2eSkipReason, sampleCsvs, useVSCode } from './lib/session';
import { webviewText } from './lib/workbench';

const model = e2eModel();
const MOSAIC_SEED = 7;
const MOSAIC_BATCH = 24;
const { name: EXT_NAME, publisher, version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  name: string; publisher: string; version: string;
};

/** The CSV the flows use: a sample with a clear period, or the harness's fallback series. */
const csvName = (() => {
  const names = sampleCsvs().map((f) => path.basename(f));
  return ['periodic.csv', 'repeated-motif.csv'].find((n) => names.includes(n)) ?? names[0] ?? 'series.csv';
})();

interface Cell { side: string; layer: number; head: number; value: number }

async function mosaicCells(frame: FrameLocator): Promise<Cell[]> {
  return frame.locator('g.cell[data-side]').evaluateAll((els) => els.map((e) => ({
    side: e.getAttribute('data-side') ?? '',
    layer: Number(e.getAttribute('data-layer')),
    head: Number(e.getAttribute('data-head')),
    value: Number(e.getAttribute('data-value')),
  })));
}

/** The ablation report's metrics as drawn: name, unablated and ablated values, control points. */
async function reportMetrics(frame: FrameLocator): Promise<{ name: string | null; unablated: number; ablated: number; controls: number }[]> {
  return frame.locator('g.metric').evaluateAll((els) => els.map((e) => ({
    name: e.getAttribute('data-metric'),
    unablated: Number(e.querySelector('.mark-unablated')?.getAttribute('data-value')),
    ablated: Number(e.querySelector('.mark-ablated')?.getAttribute('data-value')),
    controls: e.querySelectorAll('.control-point').length,
  })));
}

const dataPanelRe = new RegExp(`${csvName.replace('.', '\\.')}.*data-driven`);
// editor tab labels: "Mosaic · <csv>" for the data-driven panel, "Mosaic · <model>" for the reference
const dataTabRe = new RegExp(`Mosaic · ${csvName.replace('.', '\\.')}`);
const referenceTabRe = new RegExp(`Mosaic · (?!${csvName.replace('.', '\\.')})`);

function top<T extends { value: number }>(xs: T[]): T {
  return xs.reduce((a, b) => (b.value > a.value ? b : a));
}

describe('user flows in VS Code (code-server)', { skip: e2eSkipReason() }, () => {
  const vs = useVSCode('user-flows', {
    settings: {
      'chronosLens.model': model.setting,
      'chronosLens.executionProvider': 'cpu',
      'chronosLens.mosaic.seed': MOSAIC_SEED,
      'chronosLens.mosaic.batch': MOSAIC_BATCH,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
    },
  });

  vs.test('the extension installed from the VSIX is listed by code-server', async () => {
    const listed = vs.server.listExtensions();
    assert.ok(listed.includes(`${publisher}.${EXT_NAME}@${version}`), `not listed: ${listed.join(', ')}`);
    await vs.wb.screenshot('workbench');
  });

  vs.test('Welcome: Open Walkthrough… → Get Started with Chronos Lens: each step\'s button runs and completes its step', { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    const page = wb.page;
    await wb.runCommand('Welcome: Open Walkthrough...');
    // Filtered to the one row and taken with Enter: a click can land on the row's hover.
    const input = page.locator('.quick-input-widget input');
    await input.fill('Chronos Lens');
    assert.ok(await wb.quickPickRow('Get Started with Chronos Lens', 30_000), `not listed: ${(await wb.quickPickLabels()).join(' | ')}`);
    await input.press('Enter');
    const stepOf = (id: string) => page.locator(`button.getting-started-step[data-step-id$="#${id}"]`);
    await stepOf('openSamples').waitFor({ timeout: 60_000 });
    await wb.screenshot('walkthrough');
    /** Expands the step, checks it is not done yet, clicks its button, runs `then`, and waits for its check mark. */
    const walk = async (id: string, button: string, then: () => Promise<void>) => {
      const step = stepOf(id);
      await step.click();
      assert.equal(await step.getAttribute('aria-checked'), 'false', `${id} is done before its button was clicked`);
      await step.locator('.button-container .monaco-button', { hasText: button }).click({ timeout: 30_000 });
      await then();
      await page.locator(`button.getting-started-step[data-step-id$="#${id}"][aria-checked="true"]`).waitFor({ timeout: 30_000 });
    };
    await walk('openSamples', 'Open Sample CSVs', async () => {
      await wb.pick(`Copy into ${path.basename(vs.server.workspace)}`);
      const copied = path.join(vs.server.workspace, 'chronos-lens-samples', 'periodic.csv');
      for (let i = 0; i < 100 && !existsSync(copied); i++) await new Promise((r) => setTimeout(r, 200));
      assert.ok(existsSync(copied), `${copied} was not copied`);
    });
    // The copy's periodic.csv is open beside the walkthrough: the series view and the mosaic run on it.
    await walk('seriesView', 'Open Series View', async () => {
      await wb.findWebview(/rows · context: last \d+/, { timeoutMs: 120_000 });
    });
    await walk('mosaic', 'Compute Induction Mosaic', async () => {
      // the data-driven panel opens last, in front of the reference one
      await (await wb.findWebview(/periodic\.csv.*data-driven/, { timeoutMs: 240_000 })).locator('g.cell[data-side="center"]').first().waitFor({ timeout: 60_000 });
    });
    await walk('ablation', 'Run Ablation…', async () => {
      await page.locator('.quick-input-widget .quick-input-title', { hasText: /Run Ablation \(1\/4\)/ }).waitFor({ timeout: 60_000 });
      await wb.escape(1);
    });
    await walk('selectModel', 'Select Model…', async () => {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'chronos-t5-' }).first().waitFor({ timeout: 60_000 });
      await wb.escape(1);
      await page.locator('.quick-input-widget input').waitFor({ state: 'hidden', timeout: 10_000 });
    });
    await wb.screenshot('walkthrough-done');
    // What the later flows expect: no editors open, the copy's folder collapsed, the workspace's own CSVs at the top.
    await wb.runCommand('View: Close All Editors');
    await wb.runCommand('Collapse Folders in Explorer');
  });

  vs.test('Show Model Info from the command palette activates the extension and names the model', async () => {
    const wb = vs.wb;
    await wb.runCommand('Chronos Lens: Show Model Info');
    const note = await wb.waitForNotification(new RegExp(model.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), { timeoutMs: 120_000 });
    console.log(`# notification: ${note}`);
    await wb.screenshot('model-info');
    await wb.hideNotifications();
  });

  vs.test(`right-click ${csvName} → Compute Induction Mosaic: layers × heads cells, the top head as the CLI's`, { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.explorerContextMenu(csvName, 'Compute Induction Mosaic');
    // the reference and the data-driven mosaic are tabs of one results group, the data-driven one in front
    await wb.showTab(dataTabRe, { timeoutMs: 240_000 });
    await wb.showTab(referenceTabRe);
    const reference = await wb.findWebview(/reference protocol/, { timeoutMs: 120_000 });
    const cellsOf = reference.locator('g.cell[data-side="center"]');
    await cellsOf.first().waitFor({ timeout: 60_000 });
    await wb.screenshot('mosaic');
    const cells = await mosaicCells(reference);
    const center = cells.filter((c) => c.side === 'center');
    const right = cells.filter((c) => c.side === 'right');
    assert.equal(center.length, model.layers * model.heads, `center cells of ${model.name}`);
    assert.equal(right.length, model.layers * model.heads, `right cells of ${model.name}`);
    for (const c of cells) assert.ok(Number.isFinite(c.value) && c.value >= 0 && c.value <= 1, `cell L${c.layer}.H${c.head} (${c.side}) = ${c.value}`);

    // The same numbers headless: the CLI on the same model, seed and batch (cross-attention, the view's first tab).
    const cli = cliJson<{ layers: number; heads: number; cross: { center: number[][]; right: number[][] } }>([
      'mosaic', '--model', model.dir, '--kind', 'cross', '--seed', String(MOSAIC_SEED), '--batch', String(MOSAIC_BATCH), '--provider', 'cpu',
    ]);
    assert.equal(cli.layers * cli.heads, center.length);
    const cliCells = cli.cross.center.flatMap((row, layer) => row.map((value, head) => ({ layer, head, value })));
    const shown = top(center);
    const expected = top(cliCells);
    const near = cliCells.filter((c) => expected.value - c.value <= 1e-5).map((c) => `L${c.layer}.H${c.head}`);
    assert.ok(near.includes(`L${shown.layer}.H${shown.head}`), `top head: editor L${shown.layer}.H${shown.head} (${shown.value}), CLI ${near.join(' / ')} (${expected.value})`);
    assert.ok(Math.abs(shown.value - expected.value) <= 1e-5, `top score: editor ${shown.value}, CLI ${expected.value}`);
    for (const c of center) {
      const v = cli.cross.center[c.layer][c.head];
      assert.ok(Math.abs(c.value - v) <= 1e-5, `L${c.layer}.H${c.head}: editor ${c.value}, CLI ${v}`);
    }
    // The data-driven panel on the CSV's column: a tab beside it.
    await wb.showTab(dataTabRe);
    const data = await wb.findWebview(dataPanelRe, { timeoutMs: 120_000 });
    assert.equal(await data.locator('g.cell[data-side="center"]').count(), model.layers * model.heads);
  });

  vs.test('Developer: Reload Window brings both mosaic panels back, with the same cells', { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.showTab(referenceTabRe);
    const before = await mosaicCells(await wb.findWebview(/reference protocol/, { timeoutMs: 30_000 }));
    await wb.showTab(dataTabRe);
    const beforeData = await mosaicCells(await wb.findWebview(dataPanelRe, { timeoutMs: 30_000 }));
    assert.equal(before.length, 2 * model.layers * model.heads);
    await wb.reloadWindow();
    await wb.showTab(referenceTabRe);
    const reference = await wb.findWebview(/reference protocol/, { timeoutMs: 120_000 });
    await reference.locator('g.cell[data-side="center"]').first().waitFor({ timeout: 60_000 });
    assert.deepEqual(await mosaicCells(reference), before);
    await wb.showTab(dataTabRe);
    const data = await wb.findWebview(dataPanelRe, { timeoutMs: 120_000 });
    await data.locator('g.cell[data-side="center"]').first().waitFor({ timeout: 60_000 });
    assert.deepEqual(await mosaicCells(data), beforeData);
    await wb.screenshot('mosaic-restored');
  });

  vs.test('Run Ablation… from the palette (one head, zero, induction loss, 3 controls): the report', { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.runCommand('View: Close All Editors');
    await wb.runCommand('Chronos Lens: Run Ablation…');
    await wb.pick('Type heads…', { step: /\(1\/4\)/ });
    await wb.answerInput('L0.H1', { step: /\(1\/4\)/ });
    await wb.pick('Zero ablation', { step: /\(2\/4\)/ });
    await wb.pick('Induction loss', { step: /\(3\/4\)/ });
    await wb.answerInput('3', { step: /\(4\/4\)/ });
    const report = await wb.findWebview(/Head ablation/, { timeoutMs: 240_000 });
    await report.locator('g.metric').first().waitFor({ timeout: 60_000 });
    await wb.screenshot('ablation-report');
    const metrics = await reportMetrics(report);
    assert.ok(metrics.length >= 1, 'the report shows no metric');
    for (const m of metrics) {
      assert.ok(Number.isFinite(m.unablated) && Number.isFinite(m.ablated), `${m.name}: unablated ${m.unablated}, ablated ${m.ablated}`);
      assert.equal(m.controls, 3, `${m.name}: control points`);
    }
  });

  vs.test('Developer: Reload Window brings the ablation report back, with the same numbers', { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    const before = await reportMetrics(await wb.findWebview(/Head ablation/, { timeoutMs: 30_000 }));
    assert.ok(before.length >= 1);
    await wb.reloadWindow();
    const report = await wb.findWebview(/Head ablation/, { timeoutMs: 120_000 });
    await report.locator('g.metric').first().waitFor({ timeout: 60_000 });
    assert.deepEqual(await reportMetrics(report), before);
    await wb.screenshot('ablation-restored');
  });

  vs.test('Open Series View, hover a point: the attention overlay shows weights from the host', { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.runCommand('View: Close All Editors');
    await wb.explorerContextMenu(csvName, 'Open Series View');
    const series = await wb.findWebview(/rows · context: last \d+/, { timeoutMs: 240_000 });
    const line = series.locator('path.series-line').first();
    await line.waitFor({ timeout: 120_000 });
    // The chart re-renders as the forecast and the analyses arrive: hover once it has settled on a box.
    let box = await line.boundingBox();
    for (let i = 0; i < 60 && !(box && box.width > 10); i++) {
      await new Promise((r) => setTimeout(r, 500));
      box = await line.boundingBox();
    }
    assert.ok(box && box.width > 10, 'the series line is not drawn');
    // A point near the end of the context window (the right part of the series line).
    await line.hover({ position: { x: box.width * 0.8, y: box.height / 2 }, force: true });
    const weights = series.locator('rect.weight[data-weight]');
    await weights.first().waitFor({ timeout: 60_000 });
    await wb.screenshot('series-hover');
    const values = (await weights.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-weight')))));
    assert.ok(values.length > 0 && values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1), `weights: ${values.slice(0, 10).join(', ')}`);
    assert.ok(values.some((v) => v > 0), 'every weight is zero');
    // The readout names the hovered row, its token, and where the selected head looks.
    const text = await webviewText(series);
    assert.match(text, /Row \d+ .*token \d+/);
    assert.match(text, /attends most to row \d+/);
  });

  vs.test(`hover a number in ${csvName} in the text editor: token, bin and the heads attending`, { timeout: 300_000 }, async () => {
    const wb = vs.wb;
    await wb.runCommand('View: Close All Editors');
    await wb.openFile(csvName, { text: true });
    await wb.page.keyboard.press('Control+End');
    // The last row is inside the context window (the last context_length rows).
    const lines = readFileSync(path.join(vs.server.workspace, csvName), 'utf8').split(/\r?\n/);
    let last = lines.length - 1;
    while (last > 0 && !lines[last].trim()) last--;
    const value = lines[last].split(/[,;\t]/).map((c) => c.trim()).reverse().find((c) => /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(c));
    assert.ok(value, `no number on the last row: ${lines[last]}`);
    const hover = await wb.hoverEditorText(value, { lineNumber: last + 1, expect: /Token\s*\d+/, timeoutMs: 180_000 });
    await wb.screenshot('csv-hover');
    assert.match(hover, /Chronos Lens/);
    assert.match(hover, new RegExp(`row ${last}\\b`), 'the hover is about the hovered row (the header is line 1)');
    assert.match(hover, /Token\s*\d+\s*·\s*bin value/);
    assert.match(hover, /L\d+\.H\d+/, 'no head attending from the cell');
    assert.match(hover, /Open in Series View/);
  });
});
