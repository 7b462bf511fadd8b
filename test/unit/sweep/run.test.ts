/**
 * Sweeps end to end in-process with the bundled model and the repository's sample CSVs: planning
 * (content-addressed ids, re-planning keeps finished tasks), sharding, running with skips and
 * failures, status, and a merge that is byte-identical whether the tasks ran in two shards or one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosModel } from '../../../models/model';
import { atlasCsv, atlasJson, buildAtlas, sweepStatus } from '../../../analysis/sweep/merge';
import { PLAN_FILE, planSweep, readPlan, taskDir } from '../../../analysis/sweep/plan';
import { isDone, readStatus, resolveShard, runShard, shardTasks } from '../../../analysis/sweep/run';
import { SpecError } from '../../../analysis/sweep/spec';
import { renderAtlasPage } from '../../../cli/atlas-page';
import { bundledModel, repoRoot, tempDir } from '../helpers';

const samples = path.join(repoRoot, 'samples');
const cacheDir = path.join(repoRoot, '.cache', 'test-sweep');
const load = () => ChronosModel.load(bundledModel, { provider: 'cpu', threads: 1, cacheDir });

async function writeSpec(dir: string, extra = ''): Promise<string> {
  await fsp.copyFile(path.join(samples, 'hourly-load.csv'), path.join(dir, 'hourly-load.csv'));
  await fsp.copyFile(path.join(samples, 'periodic.csv'), path.join(dir, 'periodic.csv'));
  const spec = path.join(dir, 'spec.yaml');
  await fsp.writeFile(
    spec,
    `name: unit
models: [bundled]
data:
  - reference
  - "*.csv"
analyses:
  - mosaic: { batch: 8, kinds: [cross, encoder] }
  - ablate: { top: 1, controls: 2, samples: 3, batch: 8 }
  - forecast: { samples: 3, heldOut: 8 }
  - attribute: { step: 1 }
${extra}`,
  );
  return spec;
}

test('resolveShard: flags, then the engine variables, then everything', () => {
  assert.deepEqual(resolveShard({}, {}), { shard: 0, of: 1, from: 'default' });
  assert.deepEqual(resolveShard({ shard: 2, of: 3 }, {}), { shard: 2, of: 3, from: '--shard' });
  assert.deepEqual(resolveShard({ of: 4 }, { SLURM_ARRAY_TASK_ID: '3' }), { shard: 3, of: 4, from: 'SLURM_ARRAY_TASK_ID' });
  assert.deepEqual(resolveShard({ of: 4 }, { JOB_COMPLETION_INDEX: '1' }), { shard: 1, of: 4, from: 'JOB_COMPLETION_INDEX' });
  assert.deepEqual(resolveShard({ of: 4 }, { AWS_BATCH_JOB_ARRAY_INDEX: '0' }), { shard: 0, of: 4, from: 'AWS_BATCH_JOB_ARRAY_INDEX' });
  assert.deepEqual(resolveShard({}, { CHRONOS_LENS_SHARD: '1', CHRONOS_LENS_SHARDS: '2' }), { shard: 1, of: 2, from: 'CHRONOS_LENS_SHARD' });
  assert.throws(() => resolveShard({}, { SLURM_ARRAY_TASK_ID: '1' }), /needs --of N/);
  assert.throws(() => resolveShard({ of: 2 }, { SLURM_ARRAY_TASK_ID: '2' }), /shard 2 \(from SLURM_ARRAY_TASK_ID\) is not below --of 2/);
  assert.throws(() => resolveShard({ of: 2 }, { JOB_COMPLETION_INDEX: 'x' }), /JOB_COMPLETION_INDEX="x" is not a shard index/);
});

test('shards partition the tasks into contiguous slices of near-equal size', () => {
  const tasks = Array.from({ length: 23 }, (_, i) => i);
  for (const of of [1, 2, 5, 23, 40]) {
    const parts = Array.from({ length: of }, (_, i) => shardTasks(tasks, i, of));
    assert.deepEqual(parts.flat(), tasks);
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  }
});

test('plan, run in two shards, run in one, merge: the atlases are the same bytes', async () => {
  const root = await tempDir('sweep-run-');
  const spec = await writeSpec(root);
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  const s = await planSweep(spec, a, { bundledModelDir: bundledModel });
  // 1 model × (reference: mosaic + ablate; 2 CSVs: ablate + forecast + attribute) × 1 seed
  assert.equal(s.plan.tasks.length, 8);
  assert.equal(s.added, 8);
  assert.equal(new Set(s.plan.tasks.map((t) => t.id)).size, 8);

  const s0 = await runShard(a, { shard: 0, of: 2, loadModel: load });
  const s1 = await runShard(a, { shard: 1, of: 2, loadModel: load });
  for (const t of s.plan.tasks) {
    const m = JSON.parse(await fsp.readFile(path.join(taskDir(a, t.id), 'task.json'), 'utf8'));
    assert.equal(m.id, t.id);
    assert.equal(m.analysis.type, s.plan.analyses[t.analysis].type);
  }
  assert.equal(s0.tasks + s1.tasks, 8);
  // periodic.csv is noise-free at its period: MASE is undefined, so its ablation fails with that reason.
  assert.equal(s0.failed + s1.failed, 1);
  const st = await sweepStatus(a);
  assert.deepEqual(st.counts, { pending: 0, running: 0, done: 7, failed: 1 });
  const failed = st.tasks.find((t) => t.state === 'failed')!;
  assert.match(failed.status!.error!, /periodic\.csv column "value": the in-sample seasonal differences .* MASE is undefined/);
  assert.equal(s.plan.analyses[failed.task.analysis].type, 'ablate');

  // Rerunning skips what is done and retries the failure.
  const again = await runShard(a, { shard: 0, of: 1, loadModel: load });
  assert.deepEqual({ skipped: again.skipped, done: again.done, failed: again.failed }, { skipped: 7, done: 0, failed: 1 });

  await planSweep(spec, b, { bundledModelDir: bundledModel });
  await runShard(b, { shard: 0, of: 1, loadModel: load });
  const atlasA = atlasJson(await buildAtlas(a));
  const atlasB = atlasJson(await buildAtlas(b));
  assert.equal(atlasA, atlasB);

  const atlas = JSON.parse(atlasA);
  assert.equal(atlas.complete, false);
  assert.equal(atlas.models[0].label, 'chronos-t5-nano');
  assert.ok(atlas.models[0].parameters > 100000);
  assert.equal(atlas.induction.length, 1);
  assert.deepEqual(Object.keys(atlas.induction[0].counts), ['cross', 'encoder']);
  assert.equal(atlas.ablations.length, 2); // the reference protocol and hourly-load.csv
  assert.deepEqual(
    atlas.ablations.map((x: { metrics: { name: string }[] }) => x.metrics.map((m) => m.name)),
    [['induction_loss', 'induction_loss_control'], ['mase', 'wql', 'mae_median']],
  );
  assert.equal(atlas.forecasts.length, 2);
  assert.equal(atlas.attributions.length, 2);
  for (const x of atlas.attributions) {
    assert.equal(x.target, 'expected');
    assert.equal(x.step, 1);
    assert.equal(x.top.length, 8);
    for (let i = 1; i < x.top.length; i++) assert.ok(Math.abs(x.top[i - 1].value) >= Math.abs(x.top[i].value));
  }
  for (const t of atlas.tasks) assert.equal(t.manifest, `tasks/${t.id}/task.json`);
  assert.doesNotMatch(atlasA, new RegExp(root.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&')), 'the atlas names no local path');
  assert.doesNotMatch(atlasA, /createdAt/);

  const csv = atlasCsv(await buildAtlas(a)).split('\n');
  assert.equal(csv[0], 'task,model,model_parameters,dataset,analysis,seed,metric,value,manifest');
  assert.ok(csv.some((l) => /,mosaic,,cross\.total,\d+,tasks\//.test(l)));
  assert.ok(csv.some((l) => /,hourly-load\.csv,forecast,,mase,[\d.]+,tasks\//.test(l)));

  const html = renderAtlasPage(await buildAtlas(a, { linkBase: 'sweep' }));
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(html, /<script/);
  assert.match(html, /<svg/);
  assert.match(html, /href="sweep\/tasks\/[0-9a-f]{24}\/task\.json"/);
  assert.match(html, /Unfinished tasks \(1\)/);
});

test('re-planning keeps finished tasks; a changed CSV gets new task ids, others keep theirs', async () => {
  const root = await tempDir('sweep-replan-');
  const spec = await writeSpec(root);
  const dir = path.join(root, 'sweep');
  const first = await planSweep(spec, dir, { bundledModelDir: bundledModel });
  const mosaicTask = first.plan.tasks.find((t) => first.plan.analyses[t.analysis].type === 'mosaic')!;
  assert.equal(first.kept, 0);
  await runShard(dir, { shard: 0, of: 1, loadModel: load });
  assert.ok(await isDone(dir, mosaicTask.id));

  const same = await planSweep(spec, dir, { bundledModelDir: bundledModel });
  assert.deepEqual({ kept: same.kept, added: same.added }, { kept: 8, added: 0 });
  assert.deepEqual(
    same.plan.tasks.map((t) => t.id),
    first.plan.tasks.map((t) => t.id),
  );

  // Same file name, new content: its tasks are new, the rest (and the finished mosaic) are kept.
  const csvFile = path.join(root, 'hourly-load.csv');
  await fsp.appendFile(csvFile, '2024-01-29 01:00:00,50.0\n');
  const changed = await planSweep(spec, dir, { bundledModelDir: bundledModel });
  assert.deepEqual({ kept: changed.kept, added: changed.added, orphaned: changed.orphaned }, { kept: 5, added: 3, orphaned: 3 });
  assert.ok(await isDone(dir, mosaicTask.id));

  // Naming a seed changes every id (the default seed, none named, is another task than seed 0)
  // except attributions', which use no seed (periodic.csv's ran; hourly-load.csv's changed, never ran).
  await fsp.appendFile(spec, 'seeds: [0]\n');
  const seeded = await planSweep(spec, dir, { bundledModelDir: bundledModel });
  assert.deepEqual({ kept: seeded.kept, added: seeded.added }, { kept: 1, added: 7 });
  assert.equal((await readPlan(dir)).tasks.length, 8);
  assert.equal(await readStatus(dir, seeded.plan.tasks[0].id), undefined);
});

test('planning refuses folders that are not sweeps and names bad data and models', async () => {
  const root = await tempDir('sweep-refuse-');
  const spec = await writeSpec(root);
  const other = path.join(root, 'other');
  await fsp.mkdir(other);
  await fsp.writeFile(path.join(other, 'notes.txt'), 'mine');
  await assert.rejects(planSweep(spec, other, { bundledModelDir: bundledModel }), /is not empty and holds no sweep\.json/);
  assert.equal(await fsp.readFile(path.join(other, 'notes.txt'), 'utf8'), 'mine');
  await assert.rejects(planSweep(path.join(root, 'nope.yaml'), path.join(root, 'x'), { bundledModelDir: bundledModel }), /cannot read the sweep spec .*nope\.yaml: no such file/);

  const bad = path.join(root, 'bad.yaml');
  await fsp.writeFile(bad, 'models: [./no-such-model]\ndata: [reference, "missing/*.csv"]\nanalyses: [mosaic]\n');
  await assert.rejects(planSweep(bad, path.join(root, 'y'), { bundledModelDir: bundledModel }), (e: unknown) => {
    assert.ok(e instanceof SpecError);
    assert.match(e.problems[0], /^models\[0\]: model folder not found: .*no-such-model/);
    return true;
  });
  await fsp.writeFile(bad, 'models: [bundled]\ndata: [reference, "missing/*.csv"]\nanalyses: [mosaic]\n');
  await assert.rejects(planSweep(bad, path.join(root, 'y'), { bundledModelDir: bundledModel }), /data\[1\]\.csv: "missing\/\*\.csv" matches no file/);
  await fsp.writeFile(bad, 'models: [bundled]\ndata: [{csv: hourly-load.csv, column: lod}, periodic.csv]\nanalyses: [forecast]\n');
  await assert.rejects(planSweep(bad, path.join(root, 'y'), { bundledModelDir: bundledModel }), (e: unknown) => {
    assert.ok(e instanceof SpecError);
    assert.equal(e.problems.length, 1);
    assert.match(e.problems[0], /^data\[0\]\.column: hourly-load\.csv has no column "lod"/);
    return true;
  });
  await assert.rejects(readPlan(root), /is not a sweep folder \(no sweep\.json\)/);
  assert.equal(PLAN_FILE, 'sweep.json');
});
