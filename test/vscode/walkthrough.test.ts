/**
 * The Getting Started walkthrough as installed: every step has its media in the extension, a button
 * running a contributed command and a completion event; and its first step, Open Sample CSVs…, copies
 * the bundled samples into a new folder, never over anything that exists. (The e2e suite clicks
 * through the walkthrough itself in code-server.)
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChronosLensApi } from '../../extension/extension';
import type { OpenSamplesResult } from '../../extension/samples';

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
});
