/**
 * The staged folder is a working onnxruntime-node package: after installGpuSupport (from the fake NuGet
 * feed, with FAKE provider libraries — see fake-nuget.ts), a fresh process that calls useOrtPackage(dir)
 * loads ORT's JS and native libraries from that folder and runs a real model on CPU with the same
 * results as the bundled package. Asking it for CUDA falls back to CPU with a reason: the provider library
 * it finds next to its libonnxruntime is not a loadable shared object. This is the CPU-only fallback
 * test; no GPU runs here, and nothing pretends one did.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installGpuSupport } from '../../../core/gpu';
import { bundledOrtPackage } from '../../../models/runtime/ort';
import { fixtures, repoRoot } from '../helpers';
import { buildNupkg, FakeNuget, gpuPackageEntries, PACKAGE_ID } from './fake-nuget';

const checkpoint = path.join(fixtures, 'checkpoints', 't5-relu-tied-f32');
const child = path.join(__dirname, 'staged-child.ts');
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

interface ApiOut {
  provider: { requested: string; used: string; fallbackReason?: string };
  js: string[];
  native: string[];
  logits: number[];
}

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('the staged onnxruntime-node copy', { skip: linuxX64 ? false : 'onnxruntime-node has a CUDA provider on linux-x64 only', timeout: 120_000 }, () => {
  const feed = new FakeNuget();
  let storage: string;
  let dir: string;

  before(async () => {
    const ort = bundledOrtPackage();
    feed.add(PACKAGE_ID, ort.version, await buildNupkg(gpuPackageEntries(ort.version)));
    await feed.start();
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'chronos-gpu-staged-'));
    dir = (await installGpuSupport({ storageDir: storage, endpoint: feed.index, env: {} })).dir;
  });
  after(async () => {
    await feed.stop();
    fs.rmSync(storage, { recursive: true, force: true });
  });

  it('loads with require() and exposes the same API and version', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pj = require(path.join(dir, 'package.json')) as { name: string; main: string; version: string };
    assert.equal(pj.name, 'onnxruntime-node');
    assert.equal(pj.version, bundledOrtPackage().version);
    assert.equal(require.resolve(dir), path.join(dir, 'dist', 'index.js'));
  });

  it('runs a model on CPU from the staged copy, with the same logits as the bundled package', () => {
    const staged = run(['api', dir, 'cpu', checkpoint]);
    assert.equal(staged.code, 0, staged.stderr);
    const s = JSON.parse(staged.stdout) as ApiOut;
    assert.deepEqual(s.provider, { requested: 'cpu', used: 'cpu' });
    // Everything onnxruntime came from the staged folder: its JS, onnxruntime-common, the binding and libonnxruntime.
    assert.ok(s.js.length >= 2 && s.js.every((f) => f.startsWith(dir + path.sep)), s.js.join('\n'));
    assert.ok(s.js.some((f) => f.includes(`${path.sep}node_modules${path.sep}onnxruntime-common${path.sep}`)));
    assert.deepEqual(s.native, [path.join(dir, 'bin/napi-v6/linux/x64/libonnxruntime.so.1'), path.join(dir, 'bin/napi-v6/linux/x64/onnxruntime_binding.node')]);

    const bundled = run(['api', '-', 'cpu', checkpoint]);
    assert.equal(bundled.code, 0, bundled.stderr);
    const b = JSON.parse(bundled.stdout) as ApiOut;
    assert.ok(b.native.every((f) => !f.startsWith(dir)), 'the bundled run does not touch the staged copy');
    assert.equal(s.logits.length, b.logits.length);
    assert.deepEqual(s.logits, b.logits);
  });

  it('asked for CUDA, falls back to CPU and says the provider library in the staged folder could not be loaded', () => {
    const r = run(['api', dir, 'cuda', checkpoint]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout) as ApiOut;
    assert.equal(o.provider.requested, 'cuda');
    assert.equal(o.provider.used, 'cpu');
    assert.match(o.provider.fallbackReason ?? '', new RegExp(`cuda provider libraries in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could not be loaded .*CUDA 12\\.x / cuDNN 9\\.x`));
    assert.ok(o.logits.length > 0, 'and the model still ran');
  });

  it('ORT itself looked for the provider next to the staged libonnxruntime and rejected the fake file', () => {
    const r = run(['raw', dir, checkpoint]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout) as { created: boolean; error?: string };
    assert.equal(o.created, false);
    assert.match(o.error ?? '', /Failed to load shared library/);
    // ORT's own log names the file in the staged folder and the loader's verdict on it (not "missing").
    const shared = path.join(dir, 'bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so');
    assert.ok(r.stderr.includes(`Failed to load library ${shared}`), r.stderr);
    assert.match(r.stderr, /invalid ELF header|file too short|not an ELF/);
    assert.doesNotMatch(r.stderr, /No such file or directory/);
  });
});
