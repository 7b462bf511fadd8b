/**
 * chronos-lens models … and --model OWNER/NAME, as a user runs them: real child processes against a fake
 * Hugging Face hub and a fake NuGet feed on 127.0.0.1 (test/unit/hub/fake-hub.ts, test/unit/gpu/fake-nuget.ts),
 * with HF_HUB_CACHE, XDG_CACHE_HOME and CHRONOS_LENS_GPU_DIR in temporary folders. The GPU package has
 * FAKE provider libraries (we cannot ship CUDA): `--provider cuda` must fall back to CPU, saying why.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundledOrtPackage } from '../../../models/runtime/ort';
import { buildNupkg, FakeNuget, gpuPackageEntries, PACKAGE_ID } from '../gpu/fake-nuget';
import { FakeHub } from '../hub/fake-hub';
import { dummyFiles } from '../hub/helpers';
import { fixtures, repoRoot } from '../helpers';

const fixture = path.join(fixtures, 'checkpoints', 't5-relu-tied-f32');
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('chronos-lens models', { timeout: 180_000 }, () => {
  const hub = new FakeHub();
  const feed = new FakeNuget();
  let root: string;
  let env: NodeJS.ProcessEnv;

  // Async: the fake servers live in this process and must keep answering while the CLI runs.
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Result> =>
    new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli', 'main.ts'), ...args], { cwd: repoRoot, env: { ...env, ...extra } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      p.on('error', reject);
      p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  const json = (r: Result) => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  before(async () => {
    const f = dummyFiles();
    const files = { 'config.json': f.config, 'generation_config.json': f.generation, 'model.safetensors': f.weights };
    hub.addRepo('amazon/chronos-t5-small', files);
    hub.addRepo('amazon/chronos-t5-mini', files);
    hub.addRepo('lab/private-chronos', files, 'private');
    hub.validTokens.add('hf_cli_secret_token');
    hub.privateTokens.add('hf_cli_secret_token');
    await hub.start();
    const ort = bundledOrtPackage();
    feed.add(PACKAGE_ID, ort.version, await buildNupkg(gpuPackageEntries(ort.version)));
    await feed.start();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'chronos-cli-models-'));
    env = { ...process.env };
    for (const k of Object.keys(env)) if (/^(HF_|HUGGING_FACE_|HUGGINGFACE_|CHRONOS_LENS_|XDG_|https?_proxy|HTTPS?_PROXY|ALL_PROXY|all_proxy)/.test(k)) delete env[k];
    Object.assign(env, {
      HF_ENDPOINT: hub.endpoint,
      HF_HUB_CACHE: path.join(root, 'hf'),
      HF_HOME: path.join(root, 'hf-home'),
      XDG_CACHE_HOME: path.join(root, 'xdg-cache'),
      XDG_DATA_HOME: path.join(root, 'xdg-data'),
      CHRONOS_LENS_GPU_DIR: path.join(root, 'gpu'),
      CHRONOS_LENS_NUGET_INDEX: feed.index,
    });
  });
  after(async () => {
    await Promise.all([hub.stop(), feed.stop()]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('list, download with progress, list again; --model OWNER/NAME from the cache', async () => {
    const empty = json(await cli(['models', 'list', '--json']));
    const bundled = empty.bundled as { path: string; present: boolean };
    assert.equal(bundled.path, path.join(repoRoot, 'models', 'chronos-t5-nano'));
    assert.equal(bundled.present, fs.existsSync(bundled.path));
    assert.equal(empty.hubCache, path.join(root, 'hf'));
    const known = empty.known as Array<{ repoId: string; cached: boolean; approxDownloadBytes: number }>;
    assert.deepEqual(known.map((k) => k.repoId), ['amazon/chronos-t5-tiny', 'amazon/chronos-t5-mini', 'amazon/chronos-t5-small', 'amazon/chronos-t5-base', 'amazon/chronos-t5-large']);
    assert.ok(known.every((k) => !k.cached && k.approxDownloadBytes > 1e6));
    assert.deepEqual(empty.cached, []);

    // Not in the cache: --model says how to get it, and nothing touches the network.
    hub.reset();
    const missing = await cli(['info', '--model', 'amazon/chronos-t5-small', '--provider', 'cpu']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /amazon\/chronos-t5-small \(revision "main"\) is not in the Hugging Face cache at .*chronos-lens models download amazon\/chronos-t5-small" or add --download/);
    assert.equal(hub.requests.length, 0);

    const dl = await cli(['models', 'download', 'amazon/chronos-t5-small']);
    assert.equal(dl.code, 0, dl.stderr);
    const snap = dl.stdout.trim();
    assert.match(snap, new RegExp(`^${path.join(root, 'hf', 'models--amazon--chronos-t5-small', 'snapshots').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[0-9a-f]{40}$`));
    assert.deepEqual(fs.readdirSync(snap).sort(), ['config.json', 'generation_config.json', 'model.safetensors']);
    // Progress lines on stderr (not a terminal here: whole lines, no control characters).
    assert.match(dl.stderr, /^Downloading amazon\/chronos-t5-small: \d+% /m);
    assert.match(dl.stderr, /Downloaded amazon\/chronos-t5-small @ [0-9a-f]{7}/);
    assert.doesNotMatch(dl.stderr, /\x1b\[/);

    const listed = json(await cli(['models', 'list', '--json']));
    const small = (listed.known as Array<{ repoId: string; cached: boolean; path?: string }>).find((k) => k.repoId === 'amazon/chronos-t5-small')!;
    assert.deepEqual([small.cached, small.path], [true, snap]);
    const cached = listed.cached as Array<{ repoId: string; path: string; refs: string[]; usable: boolean; family: string; sizeBytes: number }>;
    assert.equal(cached.length, 1);
    assert.deepEqual([cached[0].repoId, cached[0].path, cached[0].refs, cached[0].usable, cached[0].family], ['amazon/chronos-t5-small', snap, ['main'], true, 'chronos-t5']);
    const text = await cli(['models', 'list']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`amazon/chronos-t5-small\\s+46M\\s+~185 MB\\s+cached  ${snap.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(text.stdout, /amazon\/chronos-t5-large\s+710M\s+~2\.84 GB\s+not downloaded/);

    // --model OWNER/NAME now resolves from the cache, offline.
    hub.reset();
    const info = json(await cli(['info', '--model', 'amazon/chronos-t5-small', '--provider', 'cpu', '--no-cache', '--json'], { HF_HUB_OFFLINE: '1' }));
    assert.equal(info.path, snap);
    assert.equal(hub.requests.length, 0);
  });

  it('--download fetches a model named by --model; offline mode and tokens are honoured', async () => {
    const r = json(await cli(['info', '--model', 'amazon/chronos-t5-mini', '--download', '--provider', 'cpu', '--no-cache', '--json']));
    assert.match(String(r.path), /models--amazon--chronos-t5-mini\/snapshots\/[0-9a-f]{40}$/);
    const folder = await cli(['info', '--model', fixture, '--download']);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /--download needs --model owner\/name/);

    const offline = await cli(['models', 'download', 'amazon/chronos-t5-tiny'], { HF_HUB_OFFLINE: '1' });
    assert.equal(offline.code, 1);
    assert.match(offline.stderr, /^chronos-lens: models: amazon\/chronos-t5-tiny \(revision "main"\) is not in the Hugging Face cache .*offline mode is on \(HF_HUB_OFFLINE=1\)/m);
    const offlineCached = await cli(['models', 'download', 'amazon/chronos-t5-mini', '--json'], { HF_HUB_OFFLINE: '1' });
    assert.equal(JSON.parse(offlineCached.stdout).fromCache, true);
    assert.match(offlineCached.stderr, /Used the cache: offline mode is on/);

    // A private model: 401 without a token; with the token from the variable --token-env names (or HF_TOKEN).
    const denied = await cli(['models', 'download', 'lab/private-chronos']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /needs a Hugging Face access token \(HTTP 401\)/);
    assert.equal(denied.stderr.trim().split('\n').filter((l) => l.startsWith('chronos-lens')).length, 1, 'one error line');
    const unset = await cli(['models', 'download', 'lab/private-chronos', '--token-env', 'NOT_SET_ANYWHERE']);
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /--token-env NOT_SET_ANYWHERE: that environment variable is not set or empty/);
    const viaVar = await cli(['models', 'download', 'lab/private-chronos', '--token-env', 'MY_HF_TOKEN'], { MY_HF_TOKEN: 'hf_cli_secret_token' });
    assert.equal(viaVar.code, 0, viaVar.stderr);
    assert.ok(!viaVar.stdout.includes('hf_cli_secret_token') && !viaVar.stderr.includes('hf_cli_secret_token'));
    assert.ok(hub.hubRequests().some((q) => q.headers.authorization === 'Bearer hf_cli_secret_token'));
    const viaHfToken = await cli(['models', 'download', 'lab/private-chronos', '--json'], { HF_TOKEN: 'hf_cli_secret_token' });
    assert.equal(JSON.parse(viaHfToken.stdout).fromCache, true);

    const bad = await cli(['models', 'download', 'not a repo']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a Hugging Face model id/);
  });

  it('cache: size of the built-graph cache, and --clear', async () => {
    const dir = path.join(root, 'xdg-cache', 'chronos-lens');
    json(await cli(['info', '--model', fixture, '--provider', 'cpu', '--json']));
    const before = json(await cli(['models', 'cache', '--json']));
    assert.equal(before.path, dir);
    assert.ok((before.graphs as number) >= 1 && (before.bytes as number) > 1000, JSON.stringify(before));
    const text = await cli(['models', 'cache']);
    assert.match(text.stdout, new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .* in \\d+ files \\(\\d+ built ONNX graphs`));
    const cleared = json(await cli(['models', 'cache', '--clear', '--json']));
    // Everything but the marker that makes the folder a cache --clear may empty.
    const marker = fs.statSync(path.join(dir, '.chronos-lens-cache')).size;
    assert.equal(cleared.freedBytes, (before.bytes as number) - marker);
    assert.deepEqual(fs.readdirSync(dir), ['.chronos-lens-cache']);
    assert.equal(json(await cli(['models', 'cache', '--json'])).bytes, marker);
  });

  it('gpu: status, install from the NuGet feed, --provider cuda uses the staged package and falls back to CPU, remove', { skip: linuxX64 ? false : 'CUDA provider: linux-x64 only' }, async () => {
    const gpuDir = path.join(root, 'gpu');
    const st0 = json(await cli(['models', 'gpu', '--json']));
    assert.deepEqual([st0.supported, st0.installed, st0.storageDir], [true, false, gpuDir]);
    assert.ok(Array.isArray((st0.cudaRuntime as { libraries: unknown[] }).libraries));

    const inst = await cli(['models', 'gpu', '--install']);
    assert.equal(inst.code, 0, inst.stderr);
    assert.match(inst.stdout, new RegExp(`Installed ${PACKAGE_ID} [\\d.]+ \\(SHA-512 verified`));
    assert.match(inst.stderr, /^GPU support: \d+% Looking up Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux/m);
    assert.match(inst.stderr, /^GPU support: 100% Installed the CUDA provider/m);
    const st1 = json(await cli(['models', 'gpu', '--status', '--json']));
    assert.equal(st1.installed, true);
    const staged = String(st1.dir);
    assert.ok(staged.startsWith(gpuDir + path.sep));
    const text = await cli(['models', 'gpu']);
    assert.match(text.stdout, /CUDA provider: installed in /);
    assert.match(text.stdout, /problem: libonnxruntime_providers_cuda\.so is not an ELF shared library/);

    // --provider cuda: ORT comes from the staged copy (the reason names it), and falls back to CPU.
    const cuda = json(await cli(['info', '--model', fixture, '--provider', 'cuda', '--no-cache', '--json']));
    const ep = cuda.executionProvider as { requested: string; used: string; fallbackReason?: string };
    assert.deepEqual([ep.requested, ep.used], ['cuda', 'cpu']);
    assert.ok(ep.fallbackReason?.includes(`provider libraries in ${staged} could not be loaded`), ep.fallbackReason);
    // --provider cpu leaves the bundled ORT alone.
    const cpu = json(await cli(['info', '--model', fixture, '--provider', 'cpu', '--no-cache', '--json']));
    assert.deepEqual(cpu.executionProvider, { requested: 'cpu', used: 'cpu' });

    const again = await cli(['models', 'gpu', '--install', '--json']);
    assert.equal(JSON.parse(again.stdout).alreadyInstalled, true);
    const both = await cli(['models', 'gpu', '--install', '--remove']);
    assert.equal(both.code, 2);
    const rm = await cli(['models', 'gpu', '--remove']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /Removed 1 item\(s\) from .*freed/);
    assert.equal(json(await cli(['models', 'gpu', '--json'])).installed, false);
    // Without the package, --provider cuda falls back as before (library missing, with the install hint).
    const after = json(await cli(['info', '--model', fixture, '--provider', 'cuda', '--no-cache', '--json']));
    assert.match((after.executionProvider as { fallbackReason: string }).fallbackReason, /library missing.*chronos-lens models gpu --install/);
  });
});
