/**
 * Open Sweep Atlas… in a real VS Code (code-server) with the extension installed from the VSIX: a tiny
 * local sweep on the bundled model (reference mosaic and an ablation against two control sets) is run
 * by the CLI; right-clicking its sweep.json opens the atlas panel, whose counts are the CLI's merged
 * atlas.json numbers; following a number opens that task's manifest in an editor.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe } from 'node:test';
import type { AtlasSummary } from '../../analysis/types';
import { cliPath } from './lib/paths';
import { e2eSkipReason, useVSCode } from './lib/session';

const work = mkdtempSync(path.join(os.tmpdir(), 'cl-e2e-atlas-'));
const sweep = path.join(work, 'atlas-sweep');

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: work, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`chronos-lens ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  return r.stdout;
}

describe('Open Sweep Atlas in VS Code (code-server)', { skip: e2eSkipReason() }, () => {
  let atlas: AtlasSummary;
  // Registered before useVSCode's hook: the sweep is in the workspace when VS Code opens it.
  before(() => {
    writeFileSync(
      path.join(work, 'spec.yaml'),
      'name: e2e-atlas\nmodels: [bundled]\ndata: [reference]\nanalyses:\n  - mosaic: { batch: 8, kinds: [cross, encoder] }\n  - ablate: { top: 1, controls: 2, batch: 8 }\n',
    );
    cli(['sweep', 'plan', 'spec.yaml', '--out', sweep]);
    cli(['sweep', 'run', sweep, '--threads', '1']);
    cli(['sweep', 'merge', sweep, '--out', path.join(work, 'atlas.json')]);
    atlas = JSON.parse(readFileSync(path.join(work, 'atlas.json'), 'utf8')) as AtlasSummary;
    assert.equal(atlas.counts.done, 2, 'the CLI ran both tasks');
  }, { timeout: 300_000 });

  const vs = useVSCode('atlas', {
    samples: false,
    workspaceFiles: [sweep],
    settings: { 'chronosLens.executionProvider': 'cpu', 'workbench.secondarySideBar.defaultVisibility': 'hidden' },
  });

  vs.test('right-click sweep.json → Open Sweep Atlas…: the CLI\'s counts, and a number opens its manifest', async () => {
    const wb = vs.wb;
    await wb.explorerItem('atlas-sweep').first().click({ timeout: 60_000 });
    await wb.explorerItem('sweep.json').first().waitFor({ timeout: 30_000 });
    await wb.explorerContextMenu('sweep.json', 'Open Sweep Atlas…');
    const frame = await wb.findWebview(/Sweep atlas · e2e-atlas/);
    await frame.locator('table.cl-atlas-counts tbody tr').first().waitFor({ timeout: 60_000 });

    // The panel's counts are the merged atlas's.
    const row = atlas.induction[0];
    const links = frame.locator('table.cl-atlas-counts tbody tr').first().locator('a.cl-task-link');
    const texts = await links.allInnerTexts();
    assert.equal(texts[0], String(row.counts.cross!.center));
    assert.equal(texts[1], String(row.counts.cross!.right));
    assert.ok(texts[2].startsWith(`${row.counts.cross!.total} / ${row.counts.cross!.heads}`), texts[2]);
    assert.equal(await frame.locator('figure.cl-atlas-mosaic').count(), 1);
    assert.equal(await frame.locator('table.cl-atlas-ablations tbody tr').count(), atlas.ablations[0].metrics.length);
    await wb.screenshot('atlas-panel');

    // Following the ablation's change opens the ablation task's manifest.
    const ablationTask = atlas.ablations[0].task;
    await frame.locator(`table.cl-atlas-ablations a.cl-task-link[data-task="${ablationTask}"]`).nth(2).click();
    await wb.page.locator('.tabs-container .tab', { hasText: 'task.json' }).first().waitFor({ timeout: 60_000 });
    const editor = wb.page.locator('.editor-group-container.active .monaco-editor .view-lines');
    await editor.first().waitFor({ timeout: 30_000 });
    await wb.page.waitForFunction((id) => [...document.querySelectorAll('.editor-group-container.active .monaco-editor .view-lines')].some((e) => (e.textContent ?? '').includes(id)), ablationTask, { timeout: 30_000 });
    const manifest = JSON.parse(readFileSync(path.join(vs.server.workspace, 'atlas-sweep', 'tasks', ablationTask, 'task.json'), 'utf8')) as { id: string; analysis: { type: string } };
    assert.equal(manifest.analysis.type, 'ablate');
    await wb.screenshot('atlas-manifest');
  });
});
