/**
 * installGpuSupport against a fake NuGet feed on 127.0.0.1 (see fake-nuget.ts: a real zip, real HTTP,
 * fake provider libraries): resolution through the service index, the gzip registration and the catalog's
 * SHA-512; download with progress; checksum refusal; cancel; resume after a cut; the staged folder's
 * layout; status and removal. Whether the staged folder works as onnxruntime-node is in staged.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError, ChronosLensError } from '../../../core/errors';
import {
  checkCudaRuntime,
  defaultGpuStorageDir,
  findGpuPackage,
  gpuPackageDir,
  gpuPackageFor,
  gpuSupportStatus,
  installGpuSupport,
  removeGpuSupport,
  type GpuInstallProgress,
} from '../../../core/gpu';
import { HubError } from '../../../core/hub';
import { bundledOrtPackage } from '../../../models/runtime/ort';
import { TestProxy } from '../hub/test-proxy';
import { buildNupkg, FakeNuget, gpuPackageEntries, NATIVE, PACKAGE_ID } from './fake-nuget';

const ORT = bundledOrtPackage();
const made: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'chronos-gpu-'));
  made.push(d);
  return d;
}

function listNames(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

describe('installGpuSupport', { timeout: 120_000 }, () => {
  const feed = new FakeNuget();
  let entries: Record<string, Buffer>;
  let nupkg: Buffer;
  const opts = (storageDir: string, extra: Partial<Parameters<typeof installGpuSupport>[0]> = {}) => ({
    storageDir,
    endpoint: feed.index,
    platform: 'linux',
    arch: 'x64',
    retryDelayMs: 10,
    env: {},
    ...extra,
  });

  before(async () => {
    entries = gpuPackageEntries(ORT.version);
    nupkg = await buildNupkg(entries);
    feed.add(PACKAGE_ID, ORT.version, nupkg);
    await feed.start();
  });
  after(async () => {
    await feed.stop();
    for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('looks up the package for the exact ORT version in onnxruntime-node\'s own install metadata', () => {
    const r = gpuPackageFor(ORT.version, 'linux', 'x64', ORT.dir);
    assert.ok(r.supported);
    assert.equal(r.spec.packageId, PACKAGE_ID);
    assert.equal(r.spec.packageVersion, ORT.version);
    assert.equal(r.spec.source, 'install-metadata');
    assert.equal(r.spec.feedIndex, 'https://api.nuget.org/v3/index.json');
    assert.deepEqual(r.spec.files.filter((f) => f.required).map((f) => f.name).sort(), ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']);
    // Without the metadata file, the built-in copy of it gives the same answer.
    const builtIn = gpuPackageFor(ORT.version, 'linux', 'x64');
    assert.ok(builtIn.supported);
    assert.equal(builtIn.spec.source, 'built-in');
    assert.deepEqual(builtIn.spec.files, r.spec.files);
    for (const [platform, arch, hint] of [['win32', 'x64', /DirectML/], ['darwin', 'arm64', /CoreML/], ['linux', 'arm64', /linux-x64 only/]] as const) {
      const u = gpuPackageFor(ORT.version, platform, arch, ORT.dir);
      assert.equal(u.supported, false);
      if (!u.supported) assert.match(u.reason, hint);
    }
  });

  it('downloads with progress, verifies the SHA-512 and stages a complete onnxruntime-node copy', async () => {
    feed.reset();
    const dir = tempDir();
    const progress: GpuInstallProgress[] = [];
    const r = await installGpuSupport(opts(dir, { onProgress: (p) => progress.push(p) }));
    const staged = gpuPackageDir(dir, ORT.version, 'linux', 'x64');
    assert.equal(r.dir, staged);
    assert.equal(r.alreadyInstalled, false);
    assert.equal(r.bytesDownloaded, nupkg.length);
    assert.equal(r.sha512, FakeNuget.sha512(nupkg));
    assert.deepEqual(r.providerFiles.sort(), ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so']);
    // The protocol: service index, gzip registration leaf, catalog leaf, flat-container URL (302) to the bytes.
    const urls = feed.requests.map((q) => q.url);
    assert.deepEqual(urls.slice(0, 3), [
      '/v3/index.json',
      `/v3/registration5-gz-semver2/${PACKAGE_ID.toLowerCase()}/${ORT.version}.json`,
      `/v3/catalog0/data/2026.01.01.00.00.00/${PACKAGE_ID.toLowerCase()}.${ORT.version}.json`,
    ]);
    assert.ok(urls.includes(`/v3-flatcontainer/${PACKAGE_ID.toLowerCase()}/${ORT.version}/${PACKAGE_ID.toLowerCase()}.${ORT.version}.nupkg`));
    assert.equal(feed.packageRequests().length, 1);

    // Layout: onnxruntime-node's JS and package.json, the platform's binding and libonnxruntime, the
    // provider libraries next to them, onnxruntime-common in its node_modules.
    const bin = path.join(staged, 'bin', 'napi-v6', 'linux', 'x64');
    for (const f of ['package.json', 'dist/index.js', 'dist/binding.js', 'node_modules/onnxruntime-common/package.json', 'chronos-lens-gpu.json']) assert.ok(fs.existsSync(path.join(staged, f)), f);
    assert.deepEqual(listNames(bin), ['libonnxruntime.so.1', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so', 'onnxruntime_binding.node']);
    for (const f of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so']) {
      assert.ok(fs.readFileSync(path.join(bin, f)).equals(entries[`${NATIVE}/${f}`]), `${f} extracted byte for byte`);
    }
    // libonnxruntime is onnxruntime-node's own, not the package's; other platforms are not copied.
    assert.ok(fs.readFileSync(path.join(bin, 'libonnxruntime.so.1')).equals(fs.readFileSync(path.join(ORT.dir, 'bin/napi-v6/linux/x64/libonnxruntime.so.1'))));
    assert.deepEqual(listNames(path.join(staged, 'bin', 'napi-v6')), ['linux']);
    assert.equal(JSON.parse(fs.readFileSync(path.join(staged, 'package.json'), 'utf8')).version, ORT.version);
    // Atomic: nothing temporary left, the verified download deleted.
    assert.deepEqual(listNames(dir), [path.basename(staged)]);

    // Progress: phases in order, bytes up to the package size, a speed, fraction ending at 1.
    const phases = [...new Set(progress.map((p) => p.phase))];
    assert.deepEqual(phases, ['resolving', 'downloading', 'verifying', 'staging', 'extracting', 'done']);
    const dl = progress.filter((p) => p.phase === 'downloading');
    assert.equal(dl[dl.length - 1].bytesDone, nupkg.length);
    assert.ok(dl.every((p) => p.bytesTotal === nupkg.length));
    assert.match(dl[dl.length - 1].message!, new RegExp(`Downloading ${PACKAGE_ID} ${ORT.version.replace(/\./g, '\\.')}: .* of `));
    const fractions = progress.map((p) => p.fraction).filter((f): f is number => f !== undefined);
    for (let i = 1; i < fractions.length; i++) assert.ok(fractions[i] >= fractions[i - 1] - 1e-9, `fraction went back: ${fractions[i - 1]} -> ${fractions[i]}`);
    assert.equal(fractions[fractions.length - 1], 1);

    // Installed: found, and a second call does nothing (no network at all).
    assert.equal(await findGpuPackage(dir, { platform: 'linux', arch: 'x64' }), staged);
    feed.reset();
    const again = await installGpuSupport(opts(dir));
    assert.equal(again.alreadyInstalled, true);
    assert.equal(again.dir, staged);
    assert.equal(feed.requests.length, 0);

    // Status says installed, its size, and that the (fake) libraries are not loadable ELF files.
    const st = await gpuSupportStatus(dir, { platform: 'linux', arch: 'x64' });
    assert.equal(st.installed, true);
    assert.equal(st.supported, true);
    assert.equal(st.dir, staged);
    assert.deepEqual(st.package, { id: PACKAGE_ID, version: ORT.version });
    assert.ok(st.sizeBytes > 40e6, `size ${st.sizeBytes}`);
    assert.deepEqual(st.others, []);
    assert.ok(st.problems.some((p) => /^libonnxruntime_providers_cuda\.so is not an ELF shared library/.test(p)), st.problems.join('; '));
    assert.match(st.requirements, /CUDA 12\.x.*cuDNN 9\.x/);

    // A package for another ORT version (left by an update) is "other", and removable on its own.
    const stale = gpuPackageDir(dir, '1.29.0', 'linux', 'x64');
    fs.cpSync(staged, stale, { recursive: true });
    fs.writeFileSync(path.join(stale, 'chronos-lens-gpu.json'), JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(staged, 'chronos-lens-gpu.json'), 'utf8')), ortVersion: '1.29.0' }));
    const st2 = await gpuSupportStatus(dir, { platform: 'linux', arch: 'x64' });
    assert.deepEqual(st2.others.map((o) => [path.basename(o.dir), o.ortVersion]), [[path.basename(stale), '1.29.0']]);
    const r1 = await removeGpuSupport(dir, { platform: 'linux', arch: 'x64', onlyStale: true });
    assert.deepEqual(r1.removed, [stale]);
    assert.ok(fs.existsSync(staged));
    const r2 = await removeGpuSupport(dir);
    assert.deepEqual(r2.removed, [staged]);
    assert.ok(r2.freedBytes > 40e6);
    assert.deepEqual(listNames(dir), []);
    const st3 = await gpuSupportStatus(dir, { platform: 'linux', arch: 'x64' });
    assert.equal(st3.installed, false);
    assert.equal(st3.sizeBytes, 0);
    assert.equal(await findGpuPackage(dir, { platform: 'linux', arch: 'x64' }), undefined);
  });

  it('refuses a package whose SHA-512 does not match the catalog, and installs nothing', async () => {
    feed.reset();
    feed.behaviour.publishHash = FakeNuget.sha512(Buffer.from('something else'));
    const dir = tempDir();
    const e = await installGpuSupport(opts(dir)).then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof HubError, String(e));
    assert.equal(e.reason, 'checksum');
    assert.match(e.message, /Checksum mismatch .*SHA-512 published in the NuGet catalog is .*nothing was installed/);
    assert.deepEqual(listNames(dir).filter((n) => !n.startsWith('.gpu-install')), ['.downloads']);
    assert.deepEqual(listNames(path.join(dir, '.downloads')), [], 'the bad download is deleted');
    // A catalog without a SHA-512 is refused too (unverifiable native code is not installed).
    feed.behaviour.publishHash = '';
    const e2 = await installGpuSupport(opts(dir)).then(() => undefined, (x: unknown) => x);
    assert.ok(e2 instanceof HubError && e2.reason === 'bad-response', String(e2));
    assert.match((e2 as Error).message, /no SHA-512 package hash/);
    assert.ok(!fs.existsSync(gpuPackageDir(dir, ORT.version, 'linux', 'x64')));
  });

  it('cancel stops the download, stages nothing, and the next install resumes with Range', async () => {
    feed.reset();
    feed.behaviour.throttle = { chunk: 16 * 1024, delayMs: 15 };
    const dir = tempDir();
    const ac = new AbortController();
    let seen = 0;
    const e = await installGpuSupport(
      opts(dir, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.phase === 'downloading' && (p.bytesDone ?? 0) > 64 * 1024) {
            seen = p.bytesDone!;
            ac.abort();
          }
        },
      }),
    ).then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof CancelledError, String(e));
    assert.match((e as Error).message, /cancelled; .* already downloaded are kept/);
    assert.ok(!fs.existsSync(gpuPackageDir(dir, ORT.version, 'linux', 'x64')));
    assert.deepEqual(listNames(dir).filter((n) => n.startsWith('.staging')), []);
    const partial = fs.readdirSync(path.join(dir, '.downloads')).find((n) => n.endsWith('.partial'));
    assert.ok(partial, 'the partial download is kept');
    const kept = fs.statSync(path.join(dir, '.downloads', partial)).size;
    assert.ok(kept >= seen && kept < nupkg.length, `kept ${kept}`);

    feed.reset();
    const progress: GpuInstallProgress[] = [];
    const r = await installGpuSupport(opts(dir, { onProgress: (p) => progress.push(p) }));
    assert.equal(r.bytesDownloaded, nupkg.length - kept);
    const gets = feed.packageRequests();
    assert.equal(gets.length, 1);
    assert.equal(gets[0].range, `bytes=${kept}-`);
    assert.ok(progress.some((p) => /resumed at/.test(p.message ?? '')));
    assert.ok(fs.readFileSync(path.join(r.dir, 'bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so')).equals(entries[`${NATIVE}/libonnxruntime_providers_cuda.so`]));
  });

  it('a cut transfer resumes with Range by itself; after the last retry the next install resumes', async () => {
    feed.reset();
    feed.behaviour.cutAfter = 100_000;
    feed.behaviour.cutTimes = 1;
    const dir = tempDir();
    const r = await installGpuSupport(opts(dir));
    const gets = feed.packageRequests();
    assert.equal(gets.length, 2);
    assert.equal(gets[0].range, undefined);
    assert.match(gets[1].range ?? '', /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(gets[1].range!)![0]) >= 100_000 - 65_536, gets[1].range);
    assert.ok(fs.readFileSync(path.join(r.dir, 'bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so')).equals(entries[`${NATIVE}/libonnxruntime_providers_cuda.so`]));

    // No retries left: the error says the bytes are kept; the next call picks up from there.
    feed.reset();
    feed.behaviour.cutAfter = 150_000;
    feed.behaviour.cutTimes = 1;
    const dir2 = tempDir();
    const e = await installGpuSupport(opts(dir2, { retries: 0 })).then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof HubError && e.reason === 'connection-cut', String(e));
    assert.match((e as Error).message, /are kept and the next install resumes from there/);
    const r2 = await installGpuSupport(opts(dir2, { retries: 0 }));
    const gets2 = feed.packageRequests();
    assert.equal(gets2.length, 2);
    assert.match(gets2[1].range ?? '', /^bytes=\d+-$/);
    assert.equal(r2.sha512, FakeNuget.sha512(nupkg));
  });

  it('a server that ignores Range makes a clean restart, still verified', async () => {
    feed.reset();
    feed.behaviour.cutAfter = 120_000;
    feed.behaviour.cutTimes = 1;
    feed.behaviour.ignoreRange = true;
    const dir = tempDir();
    const r = await installGpuSupport(opts(dir));
    assert.equal(feed.packageRequests().length, 2);
    assert.ok(r.bytesDownloaded >= nupkg.length);
    assert.ok(fs.readFileSync(path.join(r.dir, 'bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so')).equals(entries[`${NATIVE}/libonnxruntime_providers_shared.so`]));
  });

  it('reads the plain (uncompressed) registration hive too, and goes through an explicit proxy', async () => {
    feed.reset();
    feed.behaviour.plainRegistration = true;
    const proxy = new TestProxy();
    await proxy.start();
    try {
      const dir = tempDir();
      await installGpuSupport(opts(dir, { proxy: proxy.url }));
      const port = new URL(feed.base).port;
      assert.ok(proxy.seen.some((s) => s.target === `http://127.0.0.1:${port}/v3/index.json`));
      assert.ok(proxy.seen.some((s) => s.target.startsWith(`http://127.0.0.1:${port}/blobs/`)));
      assert.equal(proxy.seen.length, feed.requests.length, 'every request went through the proxy');
    } finally {
      await proxy.stop();
    }
  });

  it('says why when the version is not on the feed, the platform has no CUDA provider, or the version does not match', async () => {
    feed.reset();
    const other = new FakeNuget();
    other.add(PACKAGE_ID, '1.19.2', nupkg);
    await other.start();
    try {
      const e = await installGpuSupport(opts(tempDir(), { endpoint: other.index })).then(() => undefined, (x: unknown) => x);
      assert.ok(e instanceof HubError && e.reason === 'entry-not-found', String(e));
      assert.match((e as Error).message, new RegExp(`${PACKAGE_ID} ${ORT.version.replace(/\./g, '\\.')} is not on the NuGet feed .*Versions on the feed: .*1\\.19\\.2`));
    } finally {
      await other.stop();
    }
    const w = await installGpuSupport(opts(tempDir(), { platform: 'win32', arch: 'x64' })).then(() => undefined, (x: unknown) => x);
    assert.ok(w instanceof ChronosLensError, String(w));
    assert.match((w as Error).message, /no CUDA execution provider for win32-x64.*DirectML/);
    const v = await installGpuSupport(opts(tempDir(), { version: '1.2.3' })).then(() => undefined, (x: unknown) => x);
    assert.ok(v instanceof ChronosLensError && v.code === 'BAD_INPUT', String(v));
    assert.match((v as Error).message, /must match the onnxruntime-node they load into/);
    const c = await installGpuSupport(opts(tempDir(), { endpoint: 'http://127.0.0.1:9/v3/index.json', retries: 0 })).then(() => undefined, (x: unknown) => x);
    assert.ok(c instanceof HubError && c.reason === 'unreachable', String(c));
    assert.equal(feed.requests.length, 0);
  });

  it('a staged folder made by hand as docs/gpu.md describes is recognised', async () => {
    const dir = tempDir();
    const staged = path.join(dir, `onnxruntime-gpu-${ORT.version}-linux-x64`);
    const bin = path.join(staged, 'bin/napi-v6/linux/x64');
    fs.mkdirSync(bin, { recursive: true });
    fs.copyFileSync(path.join(ORT.dir, 'package.json'), path.join(staged, 'package.json'));
    fs.cpSync(path.join(ORT.dir, 'dist'), path.join(staged, 'dist'), { recursive: true });
    fs.cpSync(path.join(ORT.dir, 'bin/napi-v6/linux/x64'), bin, { recursive: true });
    fs.cpSync(path.join(path.dirname(ORT.dir), 'onnxruntime-common'), path.join(staged, 'node_modules', 'onnxruntime-common'), { recursive: true });
    for (const f of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']) fs.writeFileSync(path.join(bin, f), entries[`${NATIVE}/${f}`]);
    const marker = { format: 1, ortVersion: ORT.version, platform: 'linux', arch: 'x64', flavor: 'cuda12', providerFiles: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'], installedAt: '2026-01-01T00:00:00Z' };
    fs.writeFileSync(path.join(staged, 'chronos-lens-gpu.json'), JSON.stringify(marker));
    assert.equal(await findGpuPackage(dir, { platform: 'linux', arch: 'x64' }), staged);
    const st = await gpuSupportStatus(dir, { platform: 'linux', arch: 'x64' });
    assert.deepEqual([st.installed, st.dir, st.sha512], [true, staged, undefined]);
    // Missing a provider library: not installed, and the status says which file.
    fs.rmSync(path.join(bin, 'libonnxruntime_providers_shared.so'));
    assert.equal(await findGpuPackage(dir, { platform: 'linux', arch: 'x64' }), undefined);
    const st2 = await gpuSupportStatus(dir, { platform: 'linux', arch: 'x64' });
    assert.equal(st2.installed, false);
    assert.ok(st2.problems.some((p) => /libonnxruntime_providers_shared\.so is missing/.test(p)), st2.problems.join('; '));
  });

  it('default storage folder and the CUDA runtime check', async () => {
    assert.equal(defaultGpuStorageDir({ CHRONOS_LENS_GPU_DIR: '/x/gpu' }, 'linux'), path.resolve('/x/gpu'));
    assert.equal(defaultGpuStorageDir({ XDG_DATA_HOME: '/data' }, 'linux'), path.join('/data', 'chronos-lens', 'gpu'));
    assert.equal(defaultGpuStorageDir({}, 'linux'), path.join(os.homedir(), '.local', 'share', 'chronos-lens', 'gpu'));
    const libs = tempDir();
    fs.writeFileSync(path.join(libs, 'libcudart.so.12'), 'fake');
    const r = await checkCudaRuntime({ env: { LD_LIBRARY_PATH: libs }, platform: 'linux' });
    assert.deepEqual(r.libraries.map((l) => l.library), ['libcuda.so.1', 'libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcudnn.so.9']);
    assert.equal(r.libraries.find((l) => l.library === 'libcudart.so.12')!.found, path.join(libs, 'libcudart.so.12'));
    // This machine has no CUDA: the check says so (it is what explains a fallback to CPU).
    if (!r.libraries.find((l) => l.library === 'libcudnn.so.9')!.found) assert.equal(r.complete, false);
  });
});
