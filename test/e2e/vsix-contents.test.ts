/**
 * The VSIX users install: exactly the files the extension needs (an allow-list; anything else fails), only
 * the target platform's onnxruntime-node binaries, at most 30 MB for linux-x64, and it works once unpacked
 * away from the repository (onnxruntime-node loads from the package's own node_modules, the packaged CLI
 * runs the bundled model).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundledModelDir, bundledModelPresent, repoRoot } from './lib/paths';
import { ensureVsix, extractZip, hostTarget, listZip, readZipText, type VsixEntry } from './lib/vsix';

const MAX_LINUX_X64_BYTES = 30 * 1024 * 1024;

/** vsce target -> onnxruntime-node's bin/napi-v<N>/<platform>/<arch> folder (as in scripts/package.mjs). */
const ORT_FOLDER: Record<string, string> = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'darwin-x64': 'darwin/x64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

/** Everything a VSIX for `target` may contain, as patterns over the zip's entry names. */
function allowed(target: string): RegExp[] {
  const ort = ORT_FOLDER[target].replace('/', '\\/');
  return [
    /^extension\.vsixmanifest$/,
    /^\[Content_Types\]\.xml$/,
    /^extension\/package\.json$/,
    /^extension\/package\.nls\.json$/,
    /^extension\/readme\.md$/,
    /^extension\/changelog\.md$/,
    /^extension\/LICENSE\.txt$/,
    /^extension\/images\/icon\.png$/,
    /^extension\/dist\/(extension|cli|ort-worker)\.js$/,
    /^extension\/dist\/webview\/[\w-]+\.(js|css)$/,
    /^extension\/node_modules\/onnxruntime-node\/package\.json$/,
    /^extension\/node_modules\/onnxruntime-node\/dist\/[\w-]+\.js$/,
    new RegExp(`^extension/node_modules/onnxruntime-node/bin/napi-v\\d+/${ort}/[^/]+$`),
    /^extension\/node_modules\/onnxruntime-common\/package\.json$/,
    /^extension\/node_modules\/onnxruntime-common\/dist\/cjs\/([\w-]+\.js|package\.json)$/,
    /^extension\/models\/chronos-t5-nano\/[\w.-]+\.(json|safetensors|md)$/,
    /^extension\/samples\/([\w-]+\.csv|README\.md)$/,
    /^extension\/media\/walkthrough\/[\w-]+\.md$/,
    /^extension\/docs\/images\/[\w-]+\.png$/,
  ];
}

interface Manifest { main?: string; icon?: string; contributes?: Record<string, unknown> }
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;

/** Files that must be there: derived from the repository, so the list grows with it. */
function required(): string[] {
  const req = [
    'extension.vsixmanifest',
    'extension/package.json',
    'extension/package.nls.json',
    'extension/readme.md',
    'extension/changelog.md',
    'extension/LICENSE.txt',
    'extension/dist/cli.js',
    'extension/dist/ort-worker.js',
    'extension/node_modules/onnxruntime-node/dist/index.js',
    'extension/node_modules/onnxruntime-common/dist/cjs/index.js',
  ];
  if (manifest.main) req.push(path.posix.join('extension', manifest.main));
  if (manifest.icon) req.push(path.posix.join('extension', manifest.icon));
  const entries = path.join(repoRoot, 'webview', 'entries');
  if (existsSync(entries)) {
    for (const f of readdirSync(entries)) if (f.endsWith('.ts')) req.push(`extension/dist/webview/${f.replace(/\.ts$/, '.js')}`);
  }
  for (const f of readdirSync(path.join(repoRoot, 'samples'))) if (f.endsWith('.csv')) req.push(`extension/samples/${f}`);
  // The walkthrough's media (and the README's screenshots, shown on the extension's page).
  for (const w of (manifest.contributes?.walkthroughs ?? []) as { steps: { media: { markdown?: string; image?: string } }[] }[]) {
    for (const s of w.steps) for (const m of [s.media.markdown, s.media.image]) if (m) req.push(path.posix.join('extension', m));
  }
  if (bundledModelPresent()) {
    for (const f of readdirSync(bundledModelDir)) if (/\.(json|safetensors|md)$/.test(f)) req.push(`extension/models/chronos-t5-nano/${f}`);
  }
  return req;
}

function checkContents(target: string, entries: VsixEntry[]): void {
  const names = entries.map((e) => e.name);
  const patterns = allowed(target);
  const unexpected = names.filter((n) => !n.endsWith('/') && !patterns.some((p) => p.test(n)));
  assert.deepEqual(unexpected, [], `unexpected files in the ${target} VSIX (fix .vscodeignore or this allow-list)`);
  const missing = required().filter((r) => !names.includes(r));
  assert.deepEqual(missing, [], `files missing from the ${target} VSIX`);
  const ortFiles = names.filter((n) => n.includes('/onnxruntime-node/bin/'));
  assert.ok(ortFiles.some((n) => n.endsWith(`/${ORT_FOLDER[target]}/onnxruntime_binding.node`)), `no ${ORT_FOLDER[target]} onnxruntime binding in the ${target} VSIX`);
  assert.ok(ortFiles.length >= 2, `the ${target} VSIX lacks ONNX Runtime's shared library: ${ortFiles.join(', ')}`);
}

describe('VSIX', () => {
  const target = hostTarget();
  let vsix = '';
  let entries: VsixEntry[] = [];
  let unpacked = '';

  before(async () => {
    vsix = ensureVsix(target);
    entries = await listZip(vsix);
    console.log(`# ${path.relative(repoRoot, vsix)}: ${(statSync(vsix).size / 1024 / 1024).toFixed(1)} MB, ${entries.length} entries`);
  }, { timeout: 240_000 });

  after(() => {
    if (unpacked) rmSync(unpacked, { recursive: true, force: true });
  });

  test(`${target}: only the allowed files, and all of the required ones`, () => {
    checkContents(target, entries);
  });

  test(`${target}: the package.json inside is the repository's`, async () => {
    const inside = JSON.parse(await readZipText(vsix, 'extension/package.json')) as Manifest & { name: string; version: string };
    const { name, version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
    assert.equal(inside.name, name);
    assert.equal(inside.version, version);
    const xml = await readZipText(vsix, 'extension.vsixmanifest');
    assert.match(xml, new RegExp(`TargetPlatform="${target}"`));
  });

  test('linux-x64 VSIX stays within 30 MB', { skip: target !== 'linux-x64' && 'the size budget is for linux-x64' }, () => {
    const size = statSync(vsix).size;
    assert.ok(size <= MAX_LINUX_X64_BYTES, `${path.basename(vsix)} is ${(size / 1024 / 1024).toFixed(1)} MB, over the 30 MB budget`);
  });

  test('the bundled model is packaged once it exists', { skip: !bundledModelPresent() && 'models/chronos-t5-nano is not there yet (being trained)' }, () => {
    for (const f of ['config.json', 'model.safetensors']) {
      assert.ok(entries.some((e) => e.name === `extension/models/chronos-t5-nano/${f}`), `models/chronos-t5-nano/${f} is not in the VSIX`);
    }
  });

  test('unpacked away from the repository, onnxruntime-node loads and the CLI runs', { timeout: 120_000 }, async () => {
    unpacked = mkdtempSync(path.join(os.tmpdir(), 'chronos-vsix-'));
    await extractZip(vsix, unpacked);
    const ext = path.join(unpacked, 'extension');
    // onnxruntime-node from the package's own node_modules: the native binding and libonnxruntime load.
    const ort = spawnSync(process.execPath, ['-e', `const ort = require(${JSON.stringify(path.join(ext, 'node_modules', 'onnxruntime-node'))});
      const names = ort.listSupportedBackends().map((b) => b.name);
      if (!names.includes('cpu')) throw new Error('no cpu backend: ' + names);
      console.log(names.join(','));`], { encoding: 'utf8', cwd: unpacked, timeout: 60_000 });
    assert.equal(ort.status, 0, `onnxruntime-node does not load from the unpacked VSIX:\n${ort.stderr}`);
    // The packaged CLI, run from the unpacked folder (NODE_PATH cleared: nothing may come from the repository).
    const env = { ...process.env, NODE_PATH: '' };
    const help = spawnSync(process.execPath, [path.join(ext, 'dist', 'cli.js'), '--help'], { encoding: 'utf8', cwd: unpacked, env, timeout: 60_000 });
    assert.equal(help.status, 0, `dist/cli.js --help failed:\n${help.stderr}`);
    if (bundledModelPresent()) {
      const info = spawnSync(process.execPath, [path.join(ext, 'dist', 'cli.js'), 'info', '--json'], { encoding: 'utf8', cwd: unpacked, env, timeout: 90_000 });
      assert.equal(info.status, 0, `dist/cli.js info --json (bundled model) failed:\n${info.stderr}`);
    }
  });

  test('linux-arm64 VSIX: only linux/arm64 binaries', { timeout: 240_000, skip: target !== 'linux-x64' && 'cross-target check runs on linux-x64' }, async () => {
    const other = ensureVsix('linux-arm64');
    checkContents('linux-arm64', await listZip(other));
  });
});
