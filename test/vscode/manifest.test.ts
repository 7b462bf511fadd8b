/**
 * The extension's contributions as VS Code sees them once installed (from the VSIX, in the e2e run):
 * activation only on its own commands and editors, the CSV/TSV context menus, the workspace extension
 * host, the series custom editor as an option, settings defaults. Expectations are read from the
 * installed package.json, so the suite follows the contributions as they grow.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'chronos-lens.chronos-lens';

interface Manifest {
  name: string;
  publisher: string;
  main?: string;
  icon?: string;
  activationEvents?: string[];
  extensionKind?: string[];
  contributes?: {
    commands?: { command: string; title: string; category?: string }[];
    menus?: Record<string, { command: string; when?: string }[]>;
    customEditors?: { viewType: string; selector?: { filenamePattern?: string }[]; priority?: string }[];
  };
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed (others: ${vscode.extensions.all.filter((e) => !e.id.startsWith('vscode.')).map((e) => e.id).join(', ')})`);
  return ext;
}

const manifest = (): Manifest => extension().packageJSON as Manifest;

suite('Chronos Lens manifest, as installed', () => {
  test('is the repository\'s extension, with an entry point and an icon', () => {
    const m = manifest();
    assert.equal(`${m.publisher}.${m.name}`, EXTENSION_ID);
    assert.ok(m.main, 'package.json has no "main"');
    assert.ok(m.icon, 'package.json has no "icon"');
  });

  test('activates only on its own commands and editors, nothing at start-up', () => {
    for (const e of manifest().activationEvents ?? []) {
      assert.ok(!['*', 'onStartupFinished'].includes(e), `activation event ${e} activates the extension at start-up`);
      assert.match(e, /^(onCommand:chronosLens\.|onCustomEditor:chronosLens\.|onWebviewPanel:chronosLens\.)/, `unexpected activation event ${e}`);
    }
  });

  test('Compute Induction Mosaic and Open Series View are on .csv/.tsv files in the explorer and editor title menus', () => {
    for (const menuId of ['explorer/context', 'editor/title/context']) {
      const menu = manifest().contributes?.menus?.[menuId] ?? [];
      for (const command of ['chronosLens.computeInductionMosaic', 'chronosLens.openSeriesView']) {
        const item = menu.find((m) => m.command === command);
        assert.ok(item, `${command} is not in ${menuId}`);
        assert.match(item.when ?? '', /csv/i, `${menuId}: ${command}'s when clause does not mention csv`);
        assert.match(item.when ?? '', /tsv/i, `${menuId}: ${command}'s when clause does not mention tsv`);
      }
    }
  });

  test('every contributed command is in the Chronos Lens category', () => {
    const commands = manifest().contributes?.commands ?? [];
    assert.ok(commands.length > 0);
    for (const c of commands) assert.equal(c.category, 'Chronos Lens', `${c.command}'s category`);
  });

  test('runs in the workspace extension host (where the data and the GPU are)', () => {
    assert.deepEqual(manifest().extensionKind, ['workspace']);
    assert.equal(extension().extensionKind, vscode.ExtensionKind.Workspace);
  });

  test('the series custom editor is offered for .csv and .tsv, never as the default', function () {
    const editors = manifest().contributes?.customEditors ?? [];
    // Issue 7's CustomTextEditorProvider has not landed while package.json contributes none.
    if (editors.length === 0) this.skip();
    const patterns = editors.flatMap((e) => (e.selector ?? []).map((s) => s.filenamePattern ?? ''));
    assert.ok(patterns.some((p) => /csv/i.test(p)), `no custom editor for *.csv (patterns: ${patterns.join(', ')})`);
    assert.ok(patterns.some((p) => /tsv/i.test(p)), `no custom editor for *.tsv (patterns: ${patterns.join(', ')})`);
    for (const e of editors) assert.equal(e.priority, 'option', `${e.viewType} must not replace the text editor by default`);
  });

  test('settings default to the bundled model and automatic provider choice', () => {
    const config = vscode.workspace.getConfiguration('chronosLens');
    assert.equal(config.inspect('model')?.defaultValue, 'bundled');
    assert.equal(config.inspect('executionProvider')?.defaultValue, 'auto');
  });
});
