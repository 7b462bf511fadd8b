/**
 * The Getting Started walkthrough as installed: every step has its media in the extension, a button
 * running a contributed command and a completion event; and its first step, Open Sample CSVs…, copies
 * the bundled samples into a new folder, never over anything that exists. (The e2e suite clicks
 * through the walkthrough itself in code-server.) And the palette's context keys: GPU commands only where
 * they make sense, Clear Hugging Face Token only with a token stored, no "fallback" on a machine
 * without an NVIDIA GPU.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChronosLensApi } from '../../extension/extension';
import type { OpenSamplesResult } from '../../extension/samples';
import { checkCudaRuntime, hasNvidiaDriver } from '../../core/gpu';

const EXTENSION_ID = 'chronos-lens.chronos-lens';

interface Step { id: string; title: string; description: string; media: { image?: string; markdown?: string; altText?: string }; completionEvents?: string[] }
interface Walkthrough { id: string; title: string; steps: Step[] }

suite('Chronos Lens walkthrough and samples', () => {
  let ext: vscode.Extension<ChronosLensApi>;
  let dir: string;

  suiteSetup(async () => {
    const e = vscode.extensions.getExtension<ChronosLensApi>(EXTENSION_ID);
    assert.ok(e, `extension ${EXTENSION_ID} is installed`);
    ext = e;
    await ext.activate();
    dir = mkdtempSync(path.join(os.tmpdir(), 'chronos-lens-walkthrough-'));
  });

  suiteTeardown(() => rmSync(dir, { recursive: true, force: true }));

  test('every step: media shipped in the extension, a button running a contributed command, a completion event', () => {
    const pkg = ext.packageJSON as { contributes: { walkthroughs?: Walkthrough[]; commands: { command: string }[] } };
    const walkthroughs = pkg.contributes.walkthroughs ?? [];
    assert.equal(walkthroughs.length, 1);
    const commands = new Set(pkg.contributes.commands.map((c) => c.command));
    const steps = walkthroughs[0].steps;
    assert.deepEqual(steps.map((s) => s.id), ['openSamples', 'seriesView', 'mosaic', 'ablation', 'selectModel']);
    for (const s of steps) {
      const media = s.media.image ?? s.media.markdown;
      assert.ok(media, `${s.id}: no media`);
      assert.ok(existsSync(path.join(ext.extensionPath, media)), `${s.id}: ${media} is not in the installed extension`);
      if (s.media.image) assert.ok((s.media.altText ?? '').length > 20, `${s.id}: the image has no alt text`);
      // A link alone on its line is drawn as the step's button.
      const button = /^\[[^\]]+\]\(command:(?:toSide:)?([\w.]+)\)$/m.exec(s.description);
      assert.ok(button, `${s.id}: no button line in "${s.description}"`);
      assert.ok(commands.has(button[1]), `${s.id}: its button runs ${button[1]}, which the extension does not contribute`);
      assert.deepEqual(s.completionEvents, [`onCommand:${button[1]}`], `${s.id}: completes when its button's command runs`);
    }
  });

  test('Open Sample CSVs… copies every sample into a new folder; a second copy leaves the first alone', async () => {
    const bundled = readdirSync(path.join(ext.extensionPath, 'samples')).filter((f) => /\.csv$|^README\.md$/.test(f)).sort();
    const first = await vscode.commands.executeCommand<OpenSamplesResult>('chronosLens.openSamples', { folder: dir });
    assert.ok(first, 'no result');
    assert.equal(first.folder, path.join(dir, 'chronos-lens-samples'));
    assert.deepEqual(readdirSync(first.folder).sort(), bundled);
    for (const f of bundled) assert.equal(readFileSync(path.join(first.folder, f), 'utf8'), readFileSync(path.join(ext.extensionPath, 'samples', f), 'utf8'), f);
    assert.equal(first.inWorkspace, false);
    // outside the workspace: the walkthrough opens the folder only in a window without one
    assert.equal(first.openFolder !== undefined, (vscode.workspace.workspaceFolders ?? []).length === 0);
    mkdirSync(path.join(dir, 'chronos-lens-samples-2'));
    const second = await vscode.commands.executeCommand<OpenSamplesResult>('chronosLens.openSamples', { folder: dir });
    assert.equal(second?.folder, path.join(dir, 'chronos-lens-samples-3'));
    assert.deepEqual(readdirSync(path.join(dir, 'chronos-lens-samples-2')), []);
    assert.deepEqual(readdirSync(dir).sort(), ['chronos-lens-samples', 'chronos-lens-samples-2', 'chronos-lens-samples-3']);
  });

  test('a relative folder or a missing one: one line saying what to give', async () => {
    const api = ext.exports;
    assert.equal(await vscode.commands.executeCommand('chronosLens.openSamples', { folder: 'relative/dir' }), undefined);
    assert.match(api.inspect.lastError() ?? '', /"folder" must be an absolute folder path/);
    assert.equal(await vscode.commands.executeCommand('chronosLens.openSamples', { folder: path.join(dir, 'missing') }), undefined);
    assert.match(api.inspect.lastError() ?? '', /cannot copy into .*missing: the folder does not exist/);
  });

  test('the palette: GPU commands follow the NVIDIA driver, Clear Hugging Face Token a stored token', async () => {
    const api = ext.exports;
    const pkg = ext.packageJSON as { contributes: { menus: { commandPalette?: { command: string; when?: string }[] } } };
    const when = new Map((pkg.contributes.menus.commandPalette ?? []).map((m) => [m.command, m.when]));
    assert.equal(when.get('chronosLens.installGpuSupport'), "chronosLens.gpu != 'none'");
    assert.equal(when.get('chronosLens.removeGpuSupport'), "chronosLens.gpuSupport != 'none'");
    assert.equal(when.get('chronosLens.clearHuggingFaceToken'), "chronosLens.hubToken != 'none'");
    const keys = await api.inspect.contextKeys();
    assert.equal(keys['chronosLens.gpu'], hasNvidiaDriver(await checkCudaRuntime()) ? 'nvidia' : 'none');
    assert.ok(['installed', 'none'].includes(keys['chronosLens.gpuSupport']), `chronosLens.gpuSupport = ${keys['chronosLens.gpuSupport']}`);
    assert.equal(await vscode.commands.executeCommand('chronosLens.setHuggingFaceToken', 'hf_walkthroughTestToken0123456789'), true);
    assert.equal((await api.inspect.contextKeys())['chronosLens.hubToken'], 'stored');
    await vscode.commands.executeCommand('chronosLens.clearHuggingFaceToken');
    assert.equal((await api.inspect.contextKeys())['chronosLens.hubToken'], 'none');
  });

  test('auto on a machine without an NVIDIA GPU: the CPU is no fallback, and nothing offers GPU support', async function () {
    const api = ext.exports;
    if ((await api.inspect.contextKeys())['chronosLens.gpu'] !== 'none') this.skip();
    const cfg = vscode.workspace.getConfiguration('chronosLens');
    const before = { model: cfg.inspect('model')?.globalValue, provider: cfg.inspect('executionProvider')?.globalValue };
    try {
      await cfg.update('model', 'bundled', vscode.ConfigurationTarget.Global);
      await cfg.update('executionProvider', 'auto', vscode.ConfigurationTarget.Global);
      const info = await vscode.commands.executeCommand<{ provider: { requested: string; used: string }; gpu: { nvidiaDriver: boolean } }>('chronosLens.showModelInfo');
      assert.ok(info, api.inspect.lastError());
      assert.equal(info.provider.requested, 'auto');
      assert.equal(info.gpu.nvidiaDriver, false);
      const bar = api.inspect.statusBar();
      assert.match(bar.text, /chronos-t5-nano.* · cpu/);
      assert.doesNotMatch(bar.text, /fallback/);
      assert.doesNotMatch(bar.tooltip, /Install GPU Support|Not on the GPU/);
      // the bundled model says what it is, with the way to Amazon's
      assert.match(bar.tooltip, /chronos-t5-nano is a toy model.*\[Select Model…\]\(command:chronosLens\.selectModel\)/s);
    } finally {
      await cfg.update('model', before.model, vscode.ConfigurationTarget.Global);
      await cfg.update('executionProvider', before.provider, vscode.ConfigurationTarget.Global);
    }
  });
});
