/**
 * Restricted mode: in an untrusted workspace chronosLens.model comes from the user settings only, and the
 * workspace's value (from its .vscode/settings.json or .code-workspace, JSON with comments) is reported as
 * ignored; the manifest declares the same rule to VS Code. (The e2e harness runs code-server with
 * workspace trust disabled, so this rule is tested here rather than in an untrusted window.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readSettings } from '../../../extension/lib/settings';
import { ignoredWorkspaceSettings, parseJsonc, restrictedModeMessage, RESTRICTED_SETTINGS, trustAwareGetter, type InspectedValue } from '../../../extension/lib/trust';
import { repoRoot } from '../helpers';

/** A stand-in for WorkspaceConfiguration: the merged value and the scopes, as VS Code computes them when it does not filter. */
function config(scopes: Record<string, InspectedValue>) {
  const get = (key: string) => {
    const i = scopes[key];
    return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue ?? i?.defaultValue;
  };
  return { get, inspect: (key: string) => scopes[key] };
}

const WORKSPACE_MODEL = '/tmp/evil-checkpoint';

test('untrusted: the model comes from the user settings (or the default); other settings as usual', () => {
  const c = config({ model: { defaultValue: 'bundled', globalValue: 'amazon/chronos-t5-small', workspaceValue: WORKSPACE_MODEL }, threads: { defaultValue: 0, workspaceValue: 2 } });
  assert.equal(readSettings(trustAwareGetter(c.get, c.inspect, false)).settings.model, 'amazon/chronos-t5-small');
  assert.equal(readSettings(trustAwareGetter(c.get, c.inspect, false)).settings.threads, 2, 'not a path: the workspace may set it');
  const onlyWorkspace = config({ model: { defaultValue: 'bundled', workspaceFolderValue: WORKSPACE_MODEL } });
  assert.equal(readSettings(trustAwareGetter(onlyWorkspace.get, onlyWorkspace.inspect, false)).settings.model, 'bundled');
  // trusted: the workspace value wins, as VS Code merges it
  assert.equal(readSettings(trustAwareGetter(c.get, c.inspect, true)).settings.model, WORKSPACE_MODEL);
});

test('the workspace values that restricted mode ignores, from settings files with comments and trailing commas', () => {
  const folderSettings = `{
    // a comment with "quotes" and a // inside
    "editor.tabSize": 2,
    /* block */ "chronosLens.model": "${WORKSPACE_MODEL}",
    "chronosLens.threads": 4,
  }`;
  const workspaceFile = `{ "folders": [{ "path": "." }], "settings": { "chronosLens.model": "../models/x", }, }`;
  const files = [
    { source: '/w/a/.vscode/settings.json', text: folderSettings },
    { source: '/w/x.code-workspace', text: workspaceFile, workspaceFile: true },
    { source: '/w/b/.vscode/settings.json', text: '{ not json' },
  ];
  const ignored = ignoredWorkspaceSettings({ trusted: false, files, inspect: () => ({ workspaceValue: WORKSPACE_MODEL }) });
  assert.deepEqual(ignored, [
    { setting: 'chronosLens.model', source: '/w/a/.vscode/settings.json', value: WORKSPACE_MODEL },
    { setting: 'chronosLens.model', source: '/w/x.code-workspace', value: '../models/x' },
  ]);
  assert.deepEqual(ignoredWorkspaceSettings({ trusted: true, files }), [], 'trusted: nothing is ignored');
  const msg = restrictedModeMessage(ignored[0], 'bundled');
  assert.match(msg, /^Restricted mode: chronosLens\.model = "\/tmp\/evil-checkpoint" from \/w\/a\/\.vscode\/settings\.json is ignored.*using "bundled" from your user settings\. Trust the workspace/);
});

test('parseJsonc keeps strings intact', () => {
  assert.deepEqual(parseJsonc('{"a": "http://x//y", "b": "/* no */", "c": [1, 2,], }'), { a: 'http://x//y', b: '/* no */', c: [1, 2] });
  assert.deepEqual(parseJsonc('\uFEFF{"a": "q\\"//x"}'), { a: 'q"//x' });
  assert.equal(parseJsonc('{'), undefined);
});

test('the manifest restricts exactly these settings in untrusted workspaces', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    capabilities?: { untrustedWorkspaces?: { supported: unknown; restrictedConfigurations?: string[] } };
    contributes: { configuration: { properties: Record<string, unknown> } };
  };
  const u = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(u?.supported, 'limited');
  assert.deepEqual(u?.restrictedConfigurations, RESTRICTED_SETTINGS.map((k) => `chronosLens.${k}`));
  for (const k of u?.restrictedConfigurations ?? []) assert.ok(k in pkg.contributes.configuration.properties, `${k} is a contributed setting`);
  // No setting names a download endpoint, a cache or a GPU folder (those come from the environment / global storage).
  const paths = Object.keys(pkg.contributes.configuration.properties).filter((k) => /endpoint|cache|dir|folder|path|gpu|feed/i.test(k));
  assert.deepEqual(paths, []);
});
