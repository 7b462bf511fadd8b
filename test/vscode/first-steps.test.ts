/**
 * A researcher's first steps inside a real VS Code: nothing the views show gets stuck or forgotten.
 * The series view's periodicity does not go back to "computing…" when the column changes while the
 * model is still busy (nor when the page reloads), and the latest mosaic outlives its panels (the
 * series view's induction scores, Run Ablation…'s "Top-k heads of the latest mosaic"). Results open where
 * the user expects them: one results group beside the CSV, not a new column per panel.
 *
 * Model: the committed fixture checkpoint (t5-relu-v4096-f32) of the repository this suite was built
 * in, else the bundled model. CSVs: written to a temporary folder here, or the workspace's samples.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MosaicCommandResult } from '../../extension/controller';
import type { ChronosLensApi } from '../../extension/extension';
import { until } from './until';

const EXTENSION_ID = 'chronos-lens.chronos-lens';

let api: ChronosLensApi;
let repo: string;
let dir: string;
const config = () => vscode.workspace.getConfiguration('chronosLens');

/** A clean daily wave beside seeded white noise (no period stands out in it). */
function twoColumnCsv(rows: number): string {
  let seed = 12345;
  const out = ['wave,noise'];
  for (let i = 0; i < rows; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    out.push(`${(50 + 20 * Math.sin((2 * Math.PI * i) / 24)).toFixed(3)},${(100 + (seed / 2147483648) * 10).toFixed(3)}`);
  }
  return `${out.join('\n')}\n`;
}

/** Runs `fn` with no editor open, a small mosaic batch and the data-driven mosaic on, then sets it back. */
async function withDataDrivenMosaic(fn: () => Promise<void>): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await config().update('mosaic.batch', 24, vscode.ConfigurationTarget.Global);
  await config().update('mosaic.dataDriven', true, vscode.ConfigurationTarget.Global);
  try {
    await fn();
  } finally {
    await config().update('mosaic.dataDriven', undefined, vscode.ConfigurationTarget.Global);
  }
}

suite('Chronos Lens first steps: nothing stuck, nothing forgotten', () => {
  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<ChronosLensApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    repo = path.resolve(__dirname, '..', '..', '..');
    const fixture = path.join(repo, 'test', 'fixtures', 'checkpoints', 't5-relu-v4096-f32');
    const model = existsSync(path.join(fixture, 'config.json')) ? fixture : path.join(ext.extensionPath, 'models', 'chronos-t5-nano');
    api = await ext.activate();
    await config().update('model', model, vscode.ConfigurationTarget.Global);
    await config().update('executionProvider', 'cpu', vscode.ConfigurationTarget.Global);
    await config().update('threads', 1, vscode.ConfigurationTarget.Global);
    await until(() => api.inspect.modelState().setting === model, 'the model setting');
    dir = mkdtempSync(path.join(os.tmpdir(), 'chronos-lens-first-steps-'));
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const k of ['model', 'executionProvider', 'threads', 'mosaic.batch']) await config().update(k, undefined, vscode.ConfigurationTarget.Global);
    rmSync(dir, { recursive: true, force: true });
  });

  test('switching column while the model is busy: the periodicity arrives and stays (also for a page that reloads)', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const file = path.join(dir, 'two-columns.csv');
    writeFileSync(file, twoColumnCsv(800));
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.openWith', uri, 'chronosLens.series');
    await until(() => api.inspect.seriesViews().find((s) => s.uri === uri.toString() && s.column === 'wave'), 'the view on the first numeric column');
    // at once, while the first column's analysis still holds the model
    await vscode.commands.executeCommand('chronosLens.series.openAt', { uri: uri.toString(), column: 'noise' });
    const noise = await until(() => api.inspect.seriesViews().find((s) => s.uri === uri.toString() && s.column === 'noise' && s.forecastReady), 'the noise column with its forecast', 240_000);
    assert.equal(noise.periodicity, 'none', 'no period stands out in white noise, and a reloading page is told so');
    // back: the first column's analysis was kept; its periodicity is found, not "computing…"
    await vscode.commands.executeCommand('chronosLens.series.openAt', { uri: uri.toString(), column: 'wave' });
    const wave = await until(() => api.inspect.seriesViews().find((s) => s.uri === uri.toString() && s.column === 'wave' && s.forecastReady), 'the wave column with its forecast', 240_000);
    assert.equal(wave.periodicity, 'found');
    assert.ok(!wave.posted.includes('error'), wave.posted.join(', '));
  });

  test('closing the mosaic panels keeps the latest mosaic: the series view and Run Ablation… still have it', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await config().update('mosaic.batch', 24, vscode.ConfigurationTarget.Global);
    const ws = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
    const sample = ws && existsSync(path.join(ws, 'periodic.csv')) ? path.join(ws, 'periodic.csv') : path.join(repo, 'samples', 'periodic.csv');
    const r = (await vscode.commands.executeCommand('chronosLens.computeInductionMosaic', vscode.Uri.file(sample))) as MosaicCommandResult | undefined;
    assert.ok(r, `the mosaic ran (last error: ${api.inspect.lastError()})`);
    const latest = api.inspect.latestMosaic();
    assert.ok(latest, 'a latest mosaic while its panels are open');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await until(() => api.inspect.panels().length === 0, 'the mosaic panels closed');
    // (closing a tab activates its neighbour, so which of the two panels was active last is VS Code's choice)
    const kept = api.inspect.latestMosaic();
    assert.ok(kept, 'the latest mosaic is kept after its panels close');
    assert.deepEqual([kept.model, kept.kind], [latest.model, latest.kind]);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(sample), 'chronosLens.series');
    const view = await until(() => api.inspect.seriesViews().find((s) => s.uri === vscode.Uri.file(sample).toString() && s.lensReady && s.model && s.mosaicModel), 'the series view with the mosaic');
    assert.equal(view.mosaicModel, latest.model);
  });

  test('results where you expect them: mosaic, ablation report, residual stream and "Show this head on the series" share one results group beside the CSV', () =>
    withDataDrivenMosaic(async () => {
      const file = path.join(dir, 'results.csv');
      writeFileSync(file, twoColumnCsv(400));
      const uri = vscode.Uri.file(file);
      // as a user starts: the CSV open as text in the only group
      await vscode.window.showTextDocument(uri);
      const groups = () => vscode.window.tabGroups.all.filter((g) => g.tabs.length > 0);
      const webviewGroups = (viewType: RegExp) => groups().filter((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && viewType.test(t.input.viewType)));
      const r = (await vscode.commands.executeCommand('chronosLens.computeInductionMosaic', { uri: uri.toString(), column: 'wave' })) as MosaicCommandResult | undefined;
      assert.ok(r, `the mosaic ran (last error: ${api.inspect.lastError()})`);
      assert.deepEqual(r.panels.map((p) => p.variant), ['reference', 'data']);
      const data = r.panels.find((p) => p.variant === 'data');
      await until(() => api.inspect.panels().some((p) => p.view === 'mosaic' && p.key === data?.key && p.ready), 'the data-driven mosaic page ready (the tab in front)');
      assert.equal(webviewGroups(/chronosLens\.mosaic$/).length, 1, 'the reference and the data-driven mosaic are tabs of one group');
      assert.equal(groups().length, 2, 'the CSV, and one results group beside it');
      const run = await vscode.commands.executeCommand('chronosLens.runAblation', { heads: 'L0.H0', method: 'zero', data: 'inductionLoss', controls: 0 });
      assert.ok(run, `the ablation ran (last error: ${api.inspect.lastError()})`);
      await until(() => api.inspect.panels().some((p) => p.view === 'ablation' && p.ready), 'the ablation report ready');
      const attribution = await vscode.commands.executeCommand('chronosLens.attributeForecast', { csv: uri.toString(), column: 'wave', step: 0 });
      assert.ok(attribution, `the attribution ran (last error: ${api.inspect.lastError()})`);
      await until(() => api.inspect.panels().some((p) => p.view === 'causal' && p.ready), 'the residual-stream panel ready');
      // "Show this head on the series" (a mosaic cell's action) opens the series view through the same call
      await vscode.commands.executeCommand('chronosLens.series.openAt', { uri: uri.toString(), column: 'wave', head: { kind: 'cross', layer: 0, head: 0 } });
      await until(() => api.inspect.seriesViews().find((v) => v.uri === uri.toString() && v.ready), 'the series view');
      const results = groups().filter((g) => g.tabs.some((t) => (t.input instanceof vscode.TabInputWebview && /chronosLens\.(mosaic|ablation|causal)$/.test(t.input.viewType)) || (t.input instanceof vscode.TabInputCustom && t.input.viewType === 'chronosLens.series')));
      const describe = groups().map((g) => `${g.viewColumn}: ${g.tabs.map((t) => t.label).join(' | ')}`).join('; ');
      assert.equal(results.length, 1, `every result in one group (${describe})`);
      assert.ok(groups().length <= 2, `at most two editor groups (${describe})`);
    }));

  test('a CSV above 50 MB: Open Series View says the limit in one line, before VS Code reads it', async () => {
    const file = path.join(dir, 'huge.csv');
    writeFileSync(file, 'v\n1\n');
    truncateSync(file, 51 * 1024 * 1024); // sparse: the size is what is checked
    const before = api.inspect.seriesViews().length;
    await vscode.commands.executeCommand('chronosLens.openSeriesView', vscode.Uri.file(file));
    assert.match(api.inspect.lastError() ?? '', /^huge\.csv is 51 MB: the series view opens CSVs up to 50 MB \(VS Code gives extensions no larger document\)\. Compute Induction Mosaic and Run Ablation… read it from disk/);
    assert.equal(api.inspect.seriesViews().length, before, 'no view opened');
  });

  test('the data-driven mosaic reads the column the series view shows (offered first in the QuickPick), never the index column', () =>
    withDataDrivenMosaic(async () => {
      // an integer index first, then two value columns: HUFL would be the first numeric column after the index
      const file = path.join(dir, 'indexed.csv');
      writeFileSync(file, `hour,HUFL,OT\n${Array.from({ length: 300 }, (_, i) => `${i},${(5 + Math.sin(i / 3)).toFixed(3)},${(30 + 8 * Math.sin((2 * Math.PI * i) / 24)).toFixed(3)}`).join('\n')}\n`);
      const uri = vscode.Uri.file(file);
      await vscode.commands.executeCommand('vscode.openWith', uri, 'chronosLens.series');
      const first = await until(() => api.inspect.seriesViews().find((s) => s.uri === uri.toString() && s.ready && s.column), 'the series view');
      assert.equal(first.column, 'HUFL', 'the series view skips the index column too');
      await vscode.commands.executeCommand('chronosLens.series.openAt', { uri: uri.toString(), column: 'OT' });
      await until(() => api.inspect.seriesViews().find((s) => s.uri === uri.toString() && s.column === 'OT'), 'the view on OT');
      let done = false;
      const running = (vscode.commands.executeCommand('chronosLens.computeInductionMosaic', uri) as Thenable<MosaicCommandResult | undefined>).then((r) => {
        done = true;
        return r;
      });
      // the QuickPick asks for the column with the view's column active: Enter takes it
      while (!done) {
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        await new Promise((r) => setTimeout(r, 200));
      }
      const r = await running;
      assert.ok(r, `the mosaic ran (last error: ${api.inspect.lastError()})`);
      const data = r.panels.find((p) => p.variant === 'data');
      assert.ok(data, `a data-driven panel (${r.dataError ?? ''})`);
      assert.ok(data.key.endsWith('#OT'), data.key);
      // results share one group: the series view (active when the mosaic ran) holds the mosaics as tabs
      const groups = vscode.window.tabGroups.all.filter((g) => g.tabs.some((t) => (t.input instanceof vscode.TabInputWebview && /chronosLens\.mosaic$/.test(t.input.viewType)) || (t.input instanceof vscode.TabInputCustom && t.input.viewType === 'chronosLens.series')));
      assert.equal(groups.length, 1, `one results group (groups: ${vscode.window.tabGroups.all.length})`);
    }));
});
