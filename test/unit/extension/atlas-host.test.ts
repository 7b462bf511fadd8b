/**
 * The host side of Open Sweep Atlas…, without VS Code: opening an atlas from a sweep folder, its
 * sweep.json or a merged atlas.json elsewhere (the same tasks, the same manifests), what the panel is
 * sent (the atlas without its bulk results, one mosaic per model), which file a followed number opens
 * (only a task's own task.json, whatever an edited atlas says), and the one-line refusals.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { atlasJson, atlasView, buildAtlas, manifestFile, openAtlas } from '../../../analysis/sweep/merge';
import { planSweep } from '../../../analysis/sweep/plan';
import { runShard } from '../../../analysis/sweep/run';
import { ChronosLensError } from '../../../core/errors';
import { ChronosModel } from '../../../models/model';
import { validateWebviewMessage } from '../../../protocol';
import { bundledModel, repoRoot, tempDir } from '../helpers';

const cacheDir = path.join(repoRoot, '.cache', 'test-sweep');

test('an atlas opens from a sweep folder, its sweep.json or a merged atlas.json; a number opens its own manifest', async () => {
  const root = await tempDir('atlas-host-');
  const spec = path.join(root, 'spec.yaml');
  await fsp.writeFile(spec, 'name: host\nmodels: [bundled]\ndata: [reference]\nanalyses:\n  - mosaic: { batch: 4, kinds: [cross] }\n  - ablate: { top: 1, controls: 2, batch: 4 }\n');
  const dir = path.join(root, 'sweep');
  await planSweep(spec, dir, { bundledModelDir: bundledModel });
  const run = await runShard(dir, { shard: 0, of: 1, loadModel: () => ChronosModel.load(bundledModel, { provider: 'cpu', threads: 1, cacheDir }) });
  assert.equal(run.done, 2);

  const fromDir = await openAtlas(dir);
  const fromPlan = await openAtlas(path.join(dir, 'sweep.json'));
  assert.equal(fromDir.base, dir);
  assert.equal(fromPlan.base, dir);
  assert.equal(atlasJson(fromPlan.atlas), atlasJson(fromDir.atlas));
  assert.equal(fromDir.atlas.counts.done, 2);

  // A merged atlas.json in another folder: its links are relative to it, and lead to the same manifests.
  const out = path.join(root, 'reports');
  await fsp.mkdir(out);
  const merged = await buildAtlas(dir, { linkBase: path.relative(out, dir) });
  await fsp.writeFile(path.join(out, 'atlas.json'), atlasJson(merged));
  const fromFile = await openAtlas(path.join(out, 'atlas.json'));
  for (const t of fromDir.atlas.tasks) {
    const a = manifestFile(fromDir, t.id);
    assert.equal(a, path.join(dir, 'tasks', t.id, 'task.json'));
    assert.equal(manifestFile(fromFile, t.id), a);
    const m = JSON.parse(await fsp.readFile(a!, 'utf8')) as { id: string };
    assert.equal(m.id, t.id);
  }
  assert.equal(manifestFile(fromDir, 'f'.repeat(24)), undefined, 'a task the atlas does not have');
  // An edited atlas cannot point the editor at another file.
  const edited = { ...fromFile, atlas: { ...fromFile.atlas, tasks: fromFile.atlas.tasks.map((t) => ({ ...t, manifest: '../../etc/passwd' })) } };
  assert.equal(manifestFile(edited, fromFile.atlas.tasks[0].id), undefined);

  // What the panel gets: no bulk results, the model's reference mosaic.
  const view = atlasView(fromFile.atlas);
  assert.equal('results' in view.atlas, false);
  assert.equal(view.mosaics.length, 1);
  assert.equal(view.mosaics[0].task, fromFile.atlas.induction[0].task);
  assert.equal(view.mosaics[0].result.cross?.counts.total, fromFile.atlas.induction[0].counts.cross?.total);
  assert.equal(view.atlas.ablations.length, 1);
  // The page may only ask for the atlas's tasks.
  const taskIds = new Set(view.atlas.tasks.map((t) => t.id));
  assert.ok(validateWebviewMessage('atlas', { type: 'openManifest', task: view.atlas.tasks[0].id }, { taskIds }).ok);
  const bad = validateWebviewMessage('atlas', { type: 'openManifest', task: 'nope' }, { taskIds });
  assert.ok(!bad.ok && /openManifest\.task: the atlas shown has no task "nope"/.test(bad.error));
  assert.ok(!validateWebviewMessage('atlas', { type: 'openManifest', task: view.atlas.tasks[0].id, path: '/etc/passwd' }, { taskIds }).ok);
});

test('what is not an atlas is refused in one line naming the file', async () => {
  const root = await tempDir('atlas-host-bad-');
  const notJson = path.join(root, 'atlas.json');
  await fsp.writeFile(notJson, '{ nope');
  const other = path.join(root, 'other.json');
  await fsp.writeFile(other, JSON.stringify({ format: 'chronos-lens-sweep/1' }));
  const partial = path.join(root, 'partial.json');
  await fsp.writeFile(partial, JSON.stringify({ format: 'chronos-lens-atlas/1', models: [] }));
  const oneLine = (re: RegExp) => (e: unknown) => e instanceof ChronosLensError && !e.message.includes('\n') && re.test(e.message);
  await assert.rejects(openAtlas(notJson), oneLine(/atlas\.json: not JSON .*pick an atlas\.json written by "chronos-lens sweep merge" or a sweep folder/));
  await assert.rejects(openAtlas(other), oneLine(/other\.json: not a sweep atlas \(its "format" is not "chronos-lens-atlas\/1"\)/));
  await assert.rejects(openAtlas(partial), oneLine(/partial\.json: the atlas has no "datasets" list/));
  await assert.rejects(openAtlas(root), oneLine(/not a sweep folder \(no sweep\.json\)/));
  await assert.rejects(openAtlas(path.join(root, 'missing')), oneLine(/missing: no such file or folder/));
});
