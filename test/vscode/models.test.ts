/**
 * Models, the Hugging Face hub and GPU support inside a real VS Code:
 *  - Select Model… (the real QuickPick, driven with the workbench's quick-open commands) lists Amazon's
 *    models; picking `amazon/chronos-t5-tiny` downloads it from a fake hub on 127.0.0.1 (HF_ENDPOINT) into
 *    a temporary Hugging Face cache (HF_HUB_CACHE), selects it, and it loads from there; the picker then
 *    says "in cache";
 *  - `auto` on this GPU-less machine runs on the CPU and says why (status bar state, Show Model Info);
 *  - a private model: 401 without a token, the token set through the command (SecretStorage), the
 *    download, and the token in no log file and no setting;
 *  - Cancel on the download notification stops it quietly; the next selection resumes it (HTTP Range);
 *  - VS Code's http.proxy (with credentials) carries the download, and the log hides the credentials;
 *  - Clear Model Cache reports the size of the built graphs and clears only them;
 *  - Install GPU Support from a fake NuGet feed (CHRONOS_LENS_NUGET_INDEX) into global storage/gpu, with
 *    a reload needed because ONNX Runtime already runs; Show Model Info reports it; Remove GPU Support.
 * The extension runs in this process, so the environment variables set here reach it.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChronosLensApi } from '../../extension/extension';
import type { ModelInfo } from '../../extension/model-picker';
import { buildNupkg, FakeNuget, gpuPackageEntries, PACKAGE_ID } from '../unit/gpu/fake-nuget';
import { FakeHub } from '../unit/hub/fake-hub';
import { TestProxy } from '../unit/hub/test-proxy';

const EXTENSION_ID = 'chronos-lens.chronos-lens';
const TOKEN = 'hf_InHostSECRETtoken0123456789abcdef';
const WRONG_TOKEN = 'hf_InHostWRONGtoken0123456789abcdef';
const NEW_COMMANDS = [
  'chronosLens.setHuggingFaceToken',
  'chronosLens.clearHuggingFaceToken',
  'chronosLens.clearModelCache',
  'chronosLens.installGpuSupport',
  'chronosLens.removeGpuSupport',
];
const ENV_KEYS = ['HF_ENDPOINT', 'HF_HUB_CACHE', 'HF_HOME', 'HF_HUB_OFFLINE', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'CHRONOS_LENS_NUGET_INDEX'] as const;

const config = () => vscode.workspace.getConfiguration('chronosLens');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => T | undefined | false, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesBelow(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

suite('Chronos Lens models, hub and GPU in VS Code', () => {
  let api: ChronosLensApi;
  let ext: vscode.Extension<ChronosLensApi>;
  const hub = new FakeHub();
  const feed = new FakeNuget();
  let tmp: string;
  let hubCache: string;
  const savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};

  suiteSetup(async () => {
    const e = vscode.extensions.getExtension<ChronosLensApi>(EXTENSION_ID);
    assert.ok(e, `extension ${EXTENSION_ID} is installed`);
    ext = e;
    api = await ext.activate();
    // A real checkpoint (committed fixture), served the way the hub serves amazon/chronos-t5-tiny.
    const repo = path.resolve(__dirname, '..', '..', '..');
    const ck = path.join(repo, 'test', 'fixtures', 'checkpoints', 't5-relu-v4096-f32');
    const files = Object.fromEntries(['config.json', 'generation_config.json', 'model.safetensors'].map((f) => [f, readFileSync(path.join(ck, f))]));
    hub.addRepo('amazon/chronos-t5-tiny', files);
    hub.addRepo('acme/private-chronos', files, 'private');
    hub.addRepo('amazon/chronos-t5-mini', files);
    hub.addRepo('amazon/chronos-t5-small', files);
    hub.validTokens.add(TOKEN);
    hub.privateTokens.add(TOKEN);
    await hub.start();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'chronos-lens-inhost-hub-'));
    hubCache = path.join(tmp, 'hf-cache');
    for (const k of ENV_KEYS) {
      savedEnv[k] = process.env[k];
      delete process.env[k];
    }
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.HF_HUB_CACHE = hubCache;
    process.env.HF_HOME = path.join(tmp, 'hf-home'); // no huggingface-cli token file
    await vscode.commands.executeCommand('chronosLens.clearHuggingFaceToken');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    await vscode.commands.executeCommand('chronosLens.clearHuggingFaceToken');
    for (const k of ['model', 'executionProvider', 'threads']) await config().update(k, undefined, vscode.ConfigurationTarget.Global);
    for (const k of ENV_KEYS) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
    await hub.stop();
    if (feed.base) await feed.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('the model, token, cache and GPU commands are registered and declared', async () => {
    const all = await vscode.commands.getCommands(true);
    const pkg = ext.packageJSON as { contributes: { commands: { command: string }[] }; capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: string[] } } };
    for (const id of NEW_COMMANDS) {
      assert.ok(all.includes(id), `${id} registered`);
      assert.ok(pkg.contributes.commands.some((c) => c.command === id), `${id} in package.json`);
    }
    assert.deepEqual(pkg.capabilities?.untrustedWorkspaces?.restrictedConfigurations, ['chronosLens.model']);
    assert.equal(vscode.workspace.isTrusted, true, 'the harness opens a trusted workspace (restricted mode is unit-tested)');
  });

  test('Select Model…: pick amazon/chronos-t5-tiny, it downloads from the hub into HF_HUB_CACHE and is selected; auto falls back to the CPU and says why', async () => {
    await config().update('executionProvider', 'auto', vscode.ConfigurationTarget.Global);
    await config().update('threads', 1, vscode.ConfigurationTarget.Global);
    const running = vscode.commands.executeCommand<string | undefined>('chronosLens.selectModel');
    const picker = await until(() => api.inspect.modelPicker(), 'the model picker');
    assert.match(picker.items[0].label, /chronos-t5-nano/);
    await until(() => api.inspect.modelPicker()?.busy === false, 'the cache scan');
    const labels = api.inspect.modelPicker()!.items.map((i) => `${i.label} ${i.description ?? ''}`);
    for (const size of ['tiny', 'mini', 'small', 'base', 'large']) assert.ok(labels.some((l) => l.includes(`amazon/chronos-t5-${size}`)), `${size} offered: ${labels.join(' | ')}`);
    const tiny = labels.find((l) => l.includes('amazon/chronos-t5-tiny'))!;
    assert.match(tiny, /8M parameters · download ~33\.6 MB/);
    // Move to it with the workbench's own quick-open navigation, then accept.
    for (let i = 0; i < 10 && !/chronos-t5-tiny/.test(api.inspect.modelPicker()?.active ?? ''); i++) {
      await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
      await sleep(100);
    }
    assert.match(api.inspect.modelPicker()?.active ?? '', /amazon\/chronos-t5-tiny/);
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const value = await running;
    // Give the focus back to the editors, as a user's next click would (the quick input's list otherwise
    // stays the last focused list, and list-aware commands such as File: Revert act on it).
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    assert.equal(value, 'amazon/chronos-t5-tiny', `selected (last error: ${api.inspect.lastError()})`);
    assert.equal(config().get('model'), 'amazon/chronos-t5-tiny');
    // the huggingface_hub layout in HF_HUB_CACHE
    const repoDir = path.join(hubCache, 'models--amazon--chronos-t5-tiny');
    const commit = readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8');
    assert.match(commit, /^[0-9a-f]{40}$/);
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors']) assert.ok(existsSync(path.join(repoDir, 'snapshots', commit, f)), f);
    assert.ok(hub.cdnRequests().some((r) => r.method === 'GET'), 'the weights came from the CDN redirect');

    const info = (await vscode.commands.executeCommand('chronosLens.showModelInfo')) as ModelInfo | undefined;
    assert.ok(info, `model info (last error: ${api.inspect.lastError()})`);
    assert.equal(info.path, path.join(repoDir, 'snapshots', commit));
    assert.match(info.source, /Hugging Face cache \(amazon\/chronos-t5-tiny@/);
    // No GPU here: auto tried the platform's GPU provider and runs on the CPU, with the reason.
    assert.equal(info.provider.requested, 'auto');
    assert.equal(info.provider.used, 'cpu');
    if (process.platform === 'linux') assert.match(info.provider.fallbackReason ?? '', /cuda/i);
    const state = api.inspect.modelState();
    assert.equal(state.used, 'cpu');
    assert.equal(state.fallbackReason, info.provider.fallbackReason);
    assert.equal(typeof info.gpu.installed, 'boolean');
    assert.equal(info.gpu.installed, false);
    assert.ok(Array.isArray(info.gpu.cudaRuntime.missing));

    // The picker now lists it as cached; Escape leaves the setting alone.
    const again = vscode.commands.executeCommand('chronosLens.selectModel');
    await until(() => api.inspect.modelPicker()?.busy === false, 'the second cache scan');
    const cached = api.inspect.modelPicker()!.items.find((i) => i.label.includes('amazon/chronos-t5-tiny'));
    assert.match(cached?.description ?? '', /in cache/);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    assert.equal(await again, undefined);
    assert.equal(config().get('model'), 'amazon/chronos-t5-tiny');
  });

  test('a private model: 401 asks for a token; the token from Set Hugging Face Token downloads it and appears in no log or setting', async () => {
    hub.echoTokenInErrors = true;
    try {
      assert.equal(await vscode.commands.executeCommand('chronosLens.selectModel', 'acme/private-chronos'), undefined);
      assert.match(api.inspect.lastError() ?? '', /needs a Hugging Face access token \(HTTP 401\).*Set Hugging Face Token/);
      assert.equal(await vscode.commands.executeCommand('chronosLens.setHuggingFaceToken', WRONG_TOKEN), true);
      assert.equal(await vscode.commands.executeCommand('chronosLens.selectModel', 'acme/private-chronos'), undefined);
      assert.match(api.inspect.lastError() ?? '', /token was rejected/);
      assert.ok(!(api.inspect.lastError() ?? '').includes(WRONG_TOKEN), 'the echoed token is scrubbed');
      assert.equal(await vscode.commands.executeCommand('chronosLens.setHuggingFaceToken', TOKEN), true);
      assert.equal(await vscode.commands.executeCommand('chronosLens.selectModel', 'acme/private-chronos'), 'acme/private-chronos', `downloaded (last error: ${api.inspect.lastError()})`);
    } finally {
      hub.echoTokenInErrors = false;
    }
    assert.ok(hub.hubRequests().some((r) => r.headers.authorization === `Bearer ${TOKEN}`), 'the token went to the hub');
    assert.ok(hub.cdnRequests().every((r) => r.headers.authorization === undefined), 'and not to the CDN');
    // Not in any setting, not in the log files (wait for the log to reach the file).
    const settingsText = JSON.stringify(vscode.workspace.getConfiguration().inspect('chronosLens') ?? {}) + JSON.stringify(config());
    assert.ok(!settingsText.includes(TOKEN));
    const logDir = api.inspect.logFolder();
    await until(() => filesBelow(logDir).some((f) => readFileSync(f, 'utf8').includes('model set to acme/private-chronos')), 'the log file', 20_000);
    for (const f of filesBelow(logDir)) {
      const text = readFileSync(f, 'utf8');
      assert.ok(!text.includes(TOKEN) && !text.includes(WRONG_TOKEN), `a token in ${f}`);
    }
    assert.equal(await vscode.commands.executeCommand('chronosLens.clearHuggingFaceToken'), true);
    assert.equal(await vscode.commands.executeCommand('chronosLens.clearHuggingFaceToken'), false);
  });

  test('cancelling a download is quiet and keeps the part; selecting again resumes it with a Range request', async () => {
    const before = api.inspect.lastError();
    const model = config().get('model');
    hub.cdn = { throttle: { chunk: 4096, delayMs: 25 } };
    try {
      const running = vscode.commands.executeCommand('chronosLens.selectModel', 'amazon/chronos-t5-small');
      const blobs = path.join(hubCache, 'models--amazon--chronos-t5-small', 'blobs');
      await until(() => filesBelow(blobs).some((f) => f.endsWith('.incomplete') && statSync(f).size > 16_000), 'part of the weights on disk');
      assert.equal(api.inspect.cancelAll(), 1);
      assert.equal(await running, undefined);
      assert.equal(api.inspect.lastError(), before, 'a cancellation is not an error');
      assert.equal(config().get('model'), model, 'the setting is unchanged');
      assert.ok(filesBelow(blobs).some((f) => f.endsWith('.incomplete')), 'the part is kept');
    } finally {
      hub.cdn = {};
    }
    hub.requests.length = 0;
    assert.equal(await vscode.commands.executeCommand('chronosLens.selectModel', 'amazon/chronos-t5-small'), 'amazon/chronos-t5-small', `resumed (last error: ${api.inspect.lastError()})`);
    assert.ok(hub.cdnRequests().some((r) => r.method === 'GET' && /^bytes=[1-9]\d*-/.test(String(r.headers.range))), 'resumed with Range');
  });

  test('the download goes through VS Code\'s http.proxy (with credentials), which the log does not show', async () => {
    const proxy = new TestProxy({ user: 'alice', password: 'pr0xyPASSWORD' });
    await proxy.start();
    const http = vscode.workspace.getConfiguration('http');
    try {
      await http.update('proxy', proxy.url.replace('http://', 'http://alice:pr0xyPASSWORD@'), vscode.ConfigurationTarget.Global);
      await http.update('noProxy', ['nothing.example'], vscode.ConfigurationTarget.Global);
      assert.equal(await vscode.commands.executeCommand('chronosLens.selectModel', 'amazon/chronos-t5-mini'), 'amazon/chronos-t5-mini', `downloaded (last error: ${api.inspect.lastError()})`);
      const hubPort = new URL(hub.endpoint).port;
      assert.ok(proxy.seen.some((r) => r.method === 'HEAD' && r.target.includes(`127.0.0.1:${hubPort}/amazon/chronos-t5-mini/resolve/`)), 'the hub was asked through the proxy');
      assert.ok(proxy.seen.some((r) => r.method === 'GET' && r.target.includes('/lfs/')), 'the weights came through the proxy');
      assert.ok(proxy.seen.every((r) => r.proxyAuthorization === `Basic ${Buffer.from('alice:pr0xyPASSWORD').toString('base64')}`));
      const logDir = api.inspect.logFolder();
      await until(() => filesBelow(logDir).some((f) => readFileSync(f, 'utf8').includes('model set to amazon/chronos-t5-mini')), 'the log file', 20_000);
      const log = filesBelow(logDir).map((f) => readFileSync(f, 'utf8')).join('\n');
      assert.match(log, /downloading amazon\/chronos-t5-mini@main .*proxy http:\/\/\*\*\*@127\.0\.0\.1:\d+ \(http\.proxy\); no proxy for nothing\.example/);
      assert.ok(!log.includes('pr0xyPASSWORD'));
    } finally {
      await http.update('proxy', undefined, vscode.ConfigurationTarget.Global);
      await http.update('noProxy', undefined, vscode.ConfigurationTarget.Global);
      await proxy.stop();
    }
  });

  test('Clear Model Cache reports the built graphs\' size and clears only them', async () => {
    // (downloaded by the Select Model… test; here again when this test runs alone)
    assert.equal(await vscode.commands.executeCommand('chronosLens.selectModel', 'amazon/chronos-t5-tiny'), 'amazon/chronos-t5-tiny');
    assert.ok(await vscode.commands.executeCommand('chronosLens.showModelInfo'));
    const { graphCache, gpu } = api.inspect.storage();
    const graphs = path.join(graphCache, 'graphs');
    const built = filesBelow(graphs);
    assert.ok(built.length > 0, 'graphs were built');
    const bytes = built.reduce((n, f) => n + statSync(f).size, 0);
    mkdirSync(gpu, { recursive: true });
    writeFileSync(path.join(gpu, 'keep-me.txt'), 'not part of the model cache');
    const r = (await vscode.commands.executeCommand('chronosLens.clearModelCache', { confirm: false })) as { bytes: number; files: number; cleared: boolean; dir: string } | undefined;
    assert.ok(r, `cleared (last error: ${api.inspect.lastError()})`);
    assert.equal(r.cleared, true);
    assert.equal(r.dir, graphs);
    assert.ok(r.bytes >= bytes && r.files >= built.length, `${r.bytes} bytes / ${r.files} files reported for ${bytes} / ${built.length}`);
    assert.deepEqual(filesBelow(graphs), []);
    assert.ok(existsSync(path.join(gpu, 'keep-me.txt')), 'GPU storage untouched');
    assert.ok(existsSync(path.join(hubCache, 'models--amazon--chronos-t5-tiny', 'refs', 'main')), 'Hugging Face cache untouched');
    assert.equal(api.inspect.modelState().loaded, false, 'the model was unloaded first');
    const empty = (await vscode.commands.executeCommand('chronosLens.clearModelCache', { confirm: false })) as { cleared: boolean; files: number };
    assert.deepEqual([empty.cleared, empty.files], [false, 0]);
    // the next use rebuilds them
    assert.ok(await vscode.commands.executeCommand('chronosLens.showModelInfo'));
    assert.ok(filesBelow(graphs).length > 0);
    rmSync(path.join(gpu, 'keep-me.txt'));
  });

  test('Install GPU Support from the NuGet feed into global storage (reload needed: ONNX Runtime runs); Show Model Info reports it; Remove GPU Support', async function () {
    if (`${process.platform}-${process.arch}` !== 'linux-x64') return this.skip();
    const ortDir = path.join(ext.extensionPath, 'node_modules', 'onnxruntime-node');
    const version = (JSON.parse(readFileSync(path.join(ortDir, 'package.json'), 'utf8')) as { version: string }).version;
    feed.add(PACKAGE_ID, version, await buildNupkg(gpuPackageEntries(version)));
    await feed.start();
    process.env.CHRONOS_LENS_NUGET_INDEX = feed.index;
    assert.ok(await vscode.commands.executeCommand('chronosLens.showModelInfo'), 'ONNX Runtime runs');
    assert.equal(api.inspect.runtimeLoaded(), true);
    const r = (await vscode.commands.executeCommand('chronosLens.installGpuSupport')) as { dir: string; alreadyInstalled: boolean; reloadNeeded: boolean; bytesDownloaded: number } | undefined;
    assert.ok(r, `installed (last error: ${api.inspect.lastError()})`);
    assert.equal(path.dirname(r.dir), api.inspect.storage().gpu);
    assert.equal(r.alreadyInstalled, false);
    assert.ok(r.bytesDownloaded > 0);
    assert.equal(r.reloadNeeded, true, 'ONNX Runtime is already loaded in this extension host');
    assert.ok(feed.packageRequests().length >= 1);
    const info = (await vscode.commands.executeCommand('chronosLens.showModelInfo')) as ModelInfo;
    assert.equal(info.gpu.installed, true);
    assert.equal(info.gpu.dir, r.dir);
    assert.equal(info.provider.used, 'cpu', 'still the CPU: the staged package is used after a reload');
    const again = (await vscode.commands.executeCommand('chronosLens.installGpuSupport')) as { alreadyInstalled: boolean };
    assert.equal(again.alreadyInstalled, true);
    const removed = (await vscode.commands.executeCommand('chronosLens.removeGpuSupport', { confirm: false })) as { removed: string[]; freedBytes: number; reloadNeeded: boolean };
    assert.ok(removed.removed.includes(r.dir));
    assert.ok(removed.freedBytes > 0);
    assert.equal(removed.reloadNeeded, false, 'this window runs the bundled ONNX Runtime');
    assert.equal(existsSync(r.dir), false);
  });
});
