/**
 * The in-host mocha suite (test/vscode/, bundled to dist/test/vscode/index.js) inside code-server's
 * extension host, against the extension installed from the VSIX: the same suite `npm run test:vscode`
 * runs in desktop VS Code through @vscode/test-electron.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe } from 'node:test';
import { runInHostTests } from './lib/in-host';
import { repoRoot } from './lib/paths';
import { e2eSkipReason, useVSCode } from './lib/session';

const suitePath = path.join(repoRoot, 'dist', 'test', 'vscode', 'index.js');
const WORKBENCH_NOISE = /connection token|Creating a socket|reconnection-grace-time|Service Worker|AgentHost|AccountPolicyGate|additional builtin extensions|Failed to load resource|web worker extension host|allow-scripts and allow-same-origin|open-vsx|authentication provider 'github'|^ERR \{"name":"Failed"\}/;

describe('in-host suite (mocha in code-server\'s extension host)', { skip: e2eSkipReason() }, () => {
  const vs = useVSCode('in-host', { openWorkbench: false });

  vs.test('passes', { timeout: 300_000 }, async () => {
    assert.ok(existsSync(suitePath), `${path.relative(repoRoot, suitePath)} is missing: run npm run build`);
    const installed = vs.server.installedExtensionDir('chronos-lens.chronos-lens');
    const result = await runInHostTests(vs.server, {
      extensionDevelopmentPath: installed,
      extensionTestsPath: suitePath,
      timeoutMs: 240_000,
    });
    const report = result.lines.join('\n');
    if (result.code !== 0) vs.printDiagnostics(`in-host suite exited with ${result.code ?? 'no exit code (timeout)'}`);
    // The suite's report, without the workbench's start-up chatter (printed in full when it fails).
    const lines = result.code === 0 ? result.lines.filter((l) => !WORKBENCH_NOISE.test(l)) : result.lines;
    console.log(lines.join('\n').split('\n').map((l) => `#   ${l}`).join('\n'));
    assert.notEqual(result.code, undefined, 'the in-host suite did not finish in time');
    assert.match(report, /passing/, 'no mocha report on the console');
    assert.equal(result.code, 0, 'in-host tests failed (report above)');
  });
});
