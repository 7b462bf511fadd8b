/**
 * Chronos Lens inside a real VS Code: activation (commands registered, onnxruntime-node not loaded
 * until a command needs the model), Compute Induction Mosaic on a sample CSV (the reference and the
 * data-driven panels, layers × heads, the pages load under their CSP and say ready), cancellation,
 * Show Model Info, settings changes, errors as notifications.
 *
 * The model: a committed fixture checkpoint of the repository this suite was built in (vocabulary
 * 4096, so the reference protocol's token ids 1911..2187 fit), else the bundled model. The CSV: a
 * sample in the opened workspace (the e2e harness copies samples/ there), else the repository's.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MosaicCommandResult } from '../../extension/controller';
import type { ChronosLensApi } from '../../extension/extension';

const EXTENSION_ID = 'chronos-lens.chronos-lens';
const COMMAND_IDS = [
  'chronosLens.computeInductionMosaic',
  'chronosLens.openSeriesView',
  'chronosLens.runAblation',
  'chronosLens.attributeForecast',
  'chronosLens.ablateLayers',
  'chronosLens.patchActivations',
  'chronosLens.selectModel',
  'chronosLens.showModelInfo',
  'chronosLens.exportCurrentFigure',
  'chronosLens.setHuggingFaceToken',
  'chronosLens.clearHuggingFaceToken',
  'chronosLens.clearModelCache',
  'chronosLens.installGpuSupport',
  'chronosLens.removeGpuSupport',
  'chronosLens.openSweepAtlas',
  'chronosLens.openSamples',
];

let api: ChronosLensApi;
let root: string;
let fixtureModel: string;
let csv: string;
/** A CSV with a noisy tail, for forecast metrics (periodic.csv repeats exactly: its MASE is undefined). */
let noisyCsv: string;
const config = () => vscode.workspace.getConfiguration('chronosLens');

async function until(f: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function mosaicTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('chronosLens.mosaic'));
}

async function setSetting(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}

suite('Chronos Lens in VS Code', () => {
  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<ChronosLensApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    root = ext.extensionPath;
    // dist/test/vscode/index.js -> the repository
    const repo = path.resolve(__dirname, '..', '..', '..');
    const fixture = path.join(repo, 'test', 'fixtures', 'checkpoints', 't5-relu-v4096-f32');
    fixtureModel = existsSync(path.join(fixture, 'config.json')) ? fixture : path.join(root, 'models', 'chronos-t5-nano');
    const ws = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
    const wsCsvs = ws ? readdirSync(ws).filter((f) => f.endsWith('.csv')).sort() : [];
    const preferred = ['periodic.csv', 'repeated-motif.csv'].find((f) => wsCsvs.includes(f)) ?? wsCsvs[0];
    csv = ws && preferred ? path.join(ws, preferred) : path.join(repo, 'samples', 'periodic.csv');
    noisyCsv = ws && wsCsvs.includes('monthly-sales.csv') ? path.join(ws, 'monthly-sales.csv') : path.join(repo, 'samples', 'monthly-sales.csv');
    api = await ext.activate();
  });

  suiteTeardown(async () => {
    for (const k of ['model', 'executionProvider', 'threads', 'mosaic.batch', 'mosaic.dataDriven', 'mosaic.seed']) await setSetting(k, undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('activation registers every command and leaves onnxruntime-node unloaded', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of COMMAND_IDS) assert.ok(all.includes(id), `${id} registered`);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { commands: { command: string; category: string }[] } };
    assert.deepEqual(pkg.contributes.commands.map((c) => c.command), COMMAND_IDS);
    assert.ok(pkg.contributes.commands.every((c) => c.category === '%category%'), 'every command in the Chronos Lens category (package.nls.json)');
    assert.equal(api.apiVersion, 1);
    assert.equal(api.inspect.runtimeLoaded(), false, 'onnxruntime-node loaded at activation');
    assert.equal(api.inspect.modelState().loaded, false);
  });

  test('settings changes reach the model manager (nothing loads until needed)', async () => {
    assert.equal(await vscode.commands.executeCommand('chronosLens.selectModel', path.join(root, 'no-such-model')), undefined);
    assert.match(api.inspect.lastError() ?? '', /no-such-model does not exist/);
    assert.equal(await vscode.commands.executeCommand('chronosLens.selectModel', fixtureModel), fixtureModel);
    assert.equal(config().get('model'), fixtureModel);
    await setSetting('executionProvider', 'cpu');
    await setSetting('threads', 1);
    await until(() => api.inspect.modelState().setting === fixtureModel && api.inspect.modelState().provider === 'cpu', 'the model settings');
    const s = api.inspect.modelState();
    assert.equal(s.label, path.basename(fixtureModel));
    assert.equal(s.provider, 'cpu');
    assert.equal(s.loaded, false);
    assert.equal(api.inspect.runtimeLoaded(), false);
  });

  test('Compute Induction Mosaic on a CSV: reference and data-driven panels, layers × heads, pages ready', async () => {
    await setSetting('mosaic.batch', 24);
    const cfg = JSON.parse(readFileSync(path.join(fixtureModel, 'config.json'), 'utf8')) as { num_decoder_layers: number; num_layers: number; num_heads: number };
    const r = (await vscode.commands.executeCommand('chronosLens.computeInductionMosaic', vscode.Uri.file(csv))) as MosaicCommandResult | undefined;
    assert.ok(r, `the command returned a result (last error: ${api.inspect.lastError()})`);
    assert.equal(r.dataError, undefined);
    assert.deepEqual(r.panels.map((p) => p.variant), ['reference', 'data']);
    for (const p of r.panels) {
      assert.equal(p.layers, cfg.num_decoder_layers);
      assert.equal(p.heads, cfg.num_heads);
      assert.deepEqual(p.kinds, ['cross', 'encoder', 'decoder']);
    }
    assert.equal(api.inspect.runtimeLoaded(), true);
    const s = api.inspect.modelState();
    assert.equal(s.loaded, true);
    assert.equal(s.used, 'cpu');
    assert.equal(s.busy, false);
    // the pages load their bundles under the CSP, say ready, and get the mosaic; tabs of one results group
    const shown = (variant: string) => api.inspect.panels().some((p) => p.view === 'mosaic' && p.variant === variant && p.ready && p.posted.includes('showMosaic'));
    // the data-driven tab is in front; the reference page loads when its tab is shown
    await until(() => shown('data'), 'the data-driven mosaic page ready');
    await vscode.commands.executeCommand('workbench.action.previousEditorInGroup');
    await until(() => shown('reference'), 'the reference mosaic page ready once its tab is shown');
    assert.equal(mosaicTabs().length, 2);
    const columns = vscode.window.tabGroups.all.filter((g) => g.tabs.some((t) => mosaicTabs().includes(t))).map((g) => g.viewColumn);
    assert.equal(columns.length, 1, 'the two mosaics are tabs of one results group');
    const panels = api.inspect.panels().filter((p) => p.view === 'mosaic');
    assert.ok(panels.some((p) => p.variant === 'data' && p.title.includes(path.basename(csv))), JSON.stringify(panels.map((p) => p.title)));
    for (const p of panels) assert.equal((p.layers ?? 0) * (p.heads ?? 0), cfg.num_decoder_layers * cfg.num_heads);

    // Export Current Figure… through the real page (PNG rasterised under VS Code's webview CSP), written atomically
    const out = mkdtempSync(path.join(os.tmpdir(), 'chronos-lens-export-'));
    for (const format of ['svg', 'png', 'json', 'csv'] as const) {
      const r = (await vscode.commands.executeCommand('chronosLens.exportCurrentFigure', { format, path: path.join(out, `figure.${format}`) })) as { saved: boolean; path?: string } | undefined;
      assert.ok(r?.saved, `${format} saved (last error: ${api.inspect.lastError()})`);
      assert.equal(r.path, path.join(out, `figure.${format}`));
    }
    assert.deepEqual(readdirSync(out).sort(), ['figure.csv', 'figure.json', 'figure.png', 'figure.svg']);
    assert.equal(readFileSync(path.join(out, 'figure.png')).subarray(1, 4).toString('latin1'), 'PNG');
    assert.match(readFileSync(path.join(out, 'figure.svg'), 'utf8'), /<\/svg>\s*$/);
    assert.ok(Array.isArray((JSON.parse(readFileSync(path.join(out, 'figure.json'), 'utf8')) as { data: unknown[] }).data));

    // again: the reference is reused, the panels are updated in place (no new tabs)
    const again = (await vscode.commands.executeCommand('chronosLens.computeInductionMosaic', vscode.Uri.file(csv))) as MosaicCommandResult;
    assert.equal(again.referenceCached, true);
    assert.equal(mosaicTabs().length, 2);
  });

  test('cancel stops a running mosaic; nothing is shown, no error is reported', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setSetting('mosaic.batch', 100_000); // the largest batch the setting allows: a run long enough to cancel
    await setSetting('mosaic.dataDriven', false);
    await setSetting('mosaic.seed', 4242); // not in the reference cache
    try {
      const before = api.inspect.lastError();
      const running = vscode.commands.executeCommand('chronosLens.computeInductionMosaic', vscode.Uri.file(csv));
      await until(() => api.inspect.runningJobs() === 1 && api.inspect.modelState().busy, 'the mosaic job to start');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(api.inspect.cancelAll(), 1);
      const r = await running;
      assert.equal(r, undefined);
      assert.equal(api.inspect.runningJobs(), 0);
      assert.equal(api.inspect.modelState().busy, false);
      assert.equal(api.inspect.lastError(), before, 'a cancellation is not an error');
      assert.equal(mosaicTabs().length, 0);
    } finally {
      for (const k of ['mosaic.batch', 'mosaic.dataDriven', 'mosaic.seed']) await setSetting(k, undefined);
    }
  });

  test('Run Ablation with arguments: runs, stores the run, shows the report; the next run reuses the panel', async () => {
    type Run = { id: string; result: { metrics: { name: string }[]; heads: unknown[]; method: string } };
    const first = (await vscode.commands.executeCommand('chronosLens.runAblation', { heads: 'L1.H2, L0.H0', method: 'zero', data: 'both', csv: noisyCsv, controls: 2 })) as Run | undefined;
    assert.ok(first, `a run came back (last error: ${api.inspect.lastError()})`);
    assert.deepEqual(first.result.heads, [
      { kind: 'cross', layer: 1, head: 2 },
      { kind: 'cross', layer: 0, head: 0 },
    ]);
    assert.deepEqual(first.result.metrics.map((m) => m.name).sort(), ['induction_loss', 'induction_loss_control', 'mae_median', 'mase', 'wql']);
    await until(() => api.inspect.panels().some((p) => p.view === 'ablation' && p.ready && p.posted.includes('showAblation') && p.runId === first.id), 'the report page ready');
    const second = (await vscode.commands.executeCommand('chronosLens.runAblation', { heads: 'enc:L0.H1', method: 'mean', data: 'inductionLoss', controls: 1 })) as Run | undefined;
    assert.ok(second, `a second run (last error: ${api.inspect.lastError()})`);
    assert.equal(second.result.method, 'mean');
    const reports = api.inspect.panels().filter((p) => p.view === 'ablation');
    assert.equal(reports.length, 1, 'the report panel is reused');
    await until(() => api.inspect.panels().some((p) => p.view === 'ablation' && p.runId === second.id), 'the report showing the second run');
    // a series the metric is undefined for: the engine's reason, as a notification
    assert.equal(await vscode.commands.executeCommand('chronosLens.runAblation', { heads: 'L0.H0', data: 'csv', csv, controls: 0 }), undefined);
    assert.match(api.inspect.lastError() ?? '', /MASE is undefined/);
    // bad arguments: a notification naming the problem
    assert.equal(await vscode.commands.executeCommand('chronosLens.runAblation', { heads: 'L99.H0' }), undefined);
    assert.match(api.inspect.lastError() ?? '', /layer 99 is out of range/);
    assert.equal(await vscode.commands.executeCommand('chronosLens.runAblation', { heads: 'L0.H0', data: 'csv', csv: path.join(root, 'package.json') }), undefined);
    assert.match(api.inspect.lastError() ?? '', /not a \.csv or \.tsv file/);
  });

  test('Show Model Info reports the checkpoint and the execution provider', async () => {
    const info = (await vscode.commands.executeCommand('chronosLens.showModelInfo')) as { name: string; heads: number; provider: { requested: string; used: string }; hash: string } | undefined;
    assert.ok(info, `info returned (last error: ${api.inspect.lastError()})`);
    assert.equal(info.name, path.basename(fixtureModel));
    assert.equal(info.provider.requested, 'cpu');
    assert.equal(info.provider.used, 'cpu');
    assert.match(info.hash, /^[0-9a-f]{64}$/);
  });

  test('a failing command becomes a notification with the cause, not a rejection', async () => {
    await setSetting('mosaic.batch', 24);
    const r = await vscode.commands.executeCommand('chronosLens.computeInductionMosaic', vscode.Uri.file(path.join(root, 'no-such-file.csv')));
    assert.equal(r, undefined);
    assert.match(api.inspect.lastError() ?? '', /no-such-file\.csv/);
    const bad = await vscode.commands.executeCommand('chronosLens.computeInductionMosaic', vscode.Uri.file(path.join(root, 'package.json')));
    assert.equal(bad, undefined);
    assert.match(api.inspect.lastError() ?? '', /not a \.csv or \.tsv file/);
  });

  test('a model setting that does not resolve is reported, and the next good one loads', async () => {
    await setSetting('model', path.join(root, 'no-such-model'));
    await until(() => api.inspect.modelState().setting.endsWith('no-such-model'), 'the model setting');
    const r = await vscode.commands.executeCommand('chronosLens.showModelInfo');
    assert.equal(r, undefined);
    assert.match(api.inspect.lastError() ?? '', /no-such-model does not exist/);
    await setSetting('model', fixtureModel);
    await until(() => api.inspect.modelState().setting === fixtureModel, 'the model setting');
    assert.ok(await vscode.commands.executeCommand('chronosLens.showModelInfo'));
  });
});
