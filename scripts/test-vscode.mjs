#!/usr/bin/env node
// npm run test:vscode: the in-host mocha suite (test/vscode/, bundled to dist/test/vscode/index.js) in
// desktop VS Code through @vscode/test-electron, with the extension loaded from this repository.
//
// VS Code is downloaded once into .tools/vscode-test/ (gitignored), or taken from
// CHRONOS_VSCODE_EXECUTABLE=/path/to/code. Offline and without a cached copy this stops within seconds
// with a message saying so (it never waits on the network for long): the same suite runs inside
// code-server, offline, in `npm run test:e2e` (test/e2e/in-host.test.ts).
// On Linux without a display, run it under xvfb-run.
//
// Usage: node scripts/test-vscode.mjs [--no-build] [--version X.Y.Z|stable]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const vi = args.indexOf('--version');
const version = vi >= 0 ? args[vi + 1] : process.env.CHRONOS_VSCODE_VERSION || 'stable';
const cachePath = join(root, '.tools', 'vscode-test');
const NETWORK_IDLE_MS = 20_000;

function fail(message) {
  console.error(`test:vscode: ${message}`);
  process.exit(1);
}

/** Kills this process if the whole run takes longer than `ms` (a hung download or a hung VS Code). */
function watchdog(ms, what) {
  const t = setTimeout(() => fail(`${what} did not finish within ${Math.round(ms / 1000)} s; giving up`), ms);
  t.unref();
  return () => clearTimeout(t);
}

if (build) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('the build failed');
}
const extensionTestsPath = join(root, 'dist', 'test', 'vscode', 'index.js');
if (!existsSync(extensionTestsPath)) fail(`${extensionTestsPath} is missing (test/vscode/index.ts not bundled?)`);
if (!existsSync(join(root, 'dist', 'extension.js'))) fail('dist/extension.js is missing: the extension is not built');

const { runTests, downloadAndUnzipVSCode, SilentReporter } = await import('@vscode/test-electron');

let vscodeExecutablePath = process.env.CHRONOS_VSCODE_EXECUTABLE;
if (vscodeExecutablePath) {
  if (!existsSync(vscodeExecutablePath)) fail(`CHRONOS_VSCODE_EXECUTABLE=${vscodeExecutablePath} does not exist`);
} else {
  const stop = watchdog(15 * 60_000, 'downloading VS Code');
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({
      version,
      cachePath,
      timeout: NETWORK_IDLE_MS,
      reporter: process.stdout.isTTY ? undefined : new SilentReporter(),
    });
  } catch (e) {
    const cached = existsSync(cachePath) ? readdirSync(cachePath).filter((d) => d.startsWith('vscode-')) : [];
    fail([
      `cannot get desktop VS Code ${version} (${e?.message ?? e}).`,
      cached.length ? `Cached copies in .tools/vscode-test/: ${cached.join(', ')} (pass --version to use one).`
        : 'Nothing is cached in .tools/vscode-test/: run this once with internet access, or set CHRONOS_VSCODE_EXECUTABLE=/path/to/code.',
      'The same in-host suite runs offline inside code-server: npm run test:e2e (test/e2e/in-host.test.ts).',
    ].join('\n  '));
  }
  stop();
}

// A throw-away profile and a workspace with the sample CSVs.
const tmp = mkdtempSync(join(tmpdir(), 'chronos-vscode-test-'));
const workspace = join(tmp, 'workspace');
mkdirSync(workspace, { recursive: true });
const samples = join(root, 'samples');
if (existsSync(samples)) for (const f of readdirSync(samples)) if (f.endsWith('.csv')) cpSync(join(samples, f), join(workspace, f));

const stop = watchdog(20 * 60_000, 'the in-host suite');
let code = 0;
try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath,
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--disable-telemetry',
      `--user-data-dir=${join(tmp, 'user-data')}`,
      `--extensions-dir=${join(tmp, 'extensions')}`,
    ],
    extensionTestsEnv: { CHRONOS_LENS_TEST_GREP: process.env.CHRONOS_LENS_TEST_GREP ?? '' },
  });
} catch (e) {
  console.error(`test:vscode: ${e?.message ?? e}`);
  if (process.platform === 'linux' && !process.env.DISPLAY) console.error('test:vscode: no DISPLAY: on Linux, run under xvfb-run');
  code = 1;
} finally {
  stop();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
