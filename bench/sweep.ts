/**
 * Sweep scale checks (not CI):
 *   - plan: 5 models × 100 datasets × 3 analyses (1 500 tasks; goal < 2 s), first plan and re-plan;
 *   - merge: 1 500 finished results into atlas.json, results.csv and atlas.html (goal < 5 s), the
 *     results copied from real runs of each analysis on the bundled model;
 *   - shard overhead per task: a real 12-task shard against the same analyses called directly on the
 *     same loaded model (goal < 1 s per task).
 *
 *   node --import tsx bench/sweep.ts [--runs 3]
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ChronosModel } from '../models/model';
import { atlasCsv, atlasJson, buildAtlas } from '../analysis/sweep/merge';
import { planSweep, taskDir, taskManifest } from '../analysis/sweep/plan';
import { TaskResultFile, runShard } from '../analysis/sweep/run';
import { TaskContext, runTask } from '../analysis/sweep/tasks';
import { renderAtlasPage } from '../cli/atlas-page';

const root = path.resolve(__dirname, '..');
const work = path.join(root, 'bench', '.work', 'sweep');
const bundled = path.join(root, 'models', 'chronos-t5-nano');
const fixtures = path.join(root, 'test', 'fixtures', 'checkpoints');
const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Number(opt.runs));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

async function main(): Promise<void> {
  await fsp.rm(work, { recursive: true, force: true });
  const data = path.join(work, 'data');
  await fsp.mkdir(data, { recursive: true });
  // 100 small datasets: noisy seasonal series of different periods.
  for (let i = 0; i < 100; i++) {
    const rows = ['t,value'];
    for (let t = 0; t < 300; t++) rows.push(`${t},${(10 + 5 * Math.sin((2 * Math.PI * t) / (6 + (i % 20))) + ((t * 7919 + i * 104729) % 97) / 50).toFixed(3)}`);
    await fsp.writeFile(path.join(data, `series-${String(i).padStart(3, '0')}.csv`), rows.join('\n') + '\n');
  }
  const models = ['bundled', ...['t5-relu-v4096-f32', 't5-relu-tied-f32', 't5-relu-untied-f16', 't5-gated-v2304-bf16'].map((m) => path.join(fixtures, m))];
  const spec = path.join(work, 'spec.yaml');
  await fsp.writeFile(
    spec,
    `name: scale
models: [${models.map((m) => JSON.stringify(m)).join(', ')}]
data: ["data/*.csv"]
analyses:
  - mosaic: { onData: true, batch: 8 }
  - ablate: { top: 1, controls: 2, samples: 3 }
  - forecast: { samples: 3, heldOut: 8 }
`,
  );

  // ---- plan
  const planMs: number[] = [];
  const replanMs: number[] = [];
  let tasks = 0;
  for (let r = 0; r < runs; r++) {
    const dir = path.join(work, `plan-${r}`);
    const [ms, s] = await time(() => planSweep(spec, dir, { bundledModelDir: bundled }));
    planMs.push(ms);
    tasks = s.plan.tasks.length;
    const [ms2, s2] = await time(() => planSweep(spec, dir, { bundledModelDir: bundled }));
    if (s2.plan.tasks.some((t, i) => t.id !== s.plan.tasks[i].id)) throw new Error('re-plan changed task ids');
    replanMs.push(ms2);
  }
  console.log(`plan: ${tasks} tasks (5 models × 100 datasets × 3 analyses): first ${median(planMs).toFixed(0)} ms, re-plan ${median(replanMs).toFixed(0)} ms (median of ${runs}; goal < 2000 ms)`);

  // ---- merge: one real result of each analysis, copied to every task of its kind.
  const dir = path.join(work, 'plan-0');
  const { plan } = await planSweep(spec, dir, { bundledModelDir: bundled });
  const load = () => ChronosModel.load(bundled, { provider: 'cpu', threads: 1, cacheDir: path.join(root, '.cache', 'bench-sweep') });
  const model = await load();
  const ctx = new TaskContext();
  const real = new Map<string, string>();
  for (const t of plan.tasks) {
    const type = plan.analyses[t.analysis].type;
    if (real.has(type) || t.model !== 0) continue;
    const r = await runTask(model, taskManifest(plan, t), ctx);
    const file: TaskResultFile = { id: t.id, type: r.type, parameters: Math.round(model.checkpoint.float32Bytes / 4), result: r.result };
    real.set(type, JSON.stringify(file));
  }
  await model.dispose();
  const status = JSON.stringify({ state: 'done', host: 'bench', pid: 1, shard: '0/1', startedAt: new Date().toISOString() });
  for (const t of plan.tasks) {
    const td = taskDir(dir, t.id);
    await fsp.mkdir(td, { recursive: true });
    await fsp.writeFile(path.join(td, 'task.json'), JSON.stringify(taskManifest(plan, t)));
    await fsp.writeFile(path.join(td, 'result.json'), real.get(plan.analyses[t.analysis].type)!.replace(/"id":"[0-9a-f]+"/, `"id":"${t.id}"`));
    await fsp.writeFile(path.join(td, 'status.json'), status);
  }
  const mergeMs: Record<string, number[]> = { json: [], csv: [], html: [] };
  for (let r = 0; r < runs; r++) {
    mergeMs.json.push((await time(async () => atlasJson(await buildAtlas(dir))))[0]);
    mergeMs.csv.push((await time(async () => atlasCsv(await buildAtlas(dir))))[0]);
    mergeMs.html.push((await time(async () => renderAtlasPage(await buildAtlas(dir))))[0]);
  }
  console.log(`merge of ${plan.tasks.length} results: atlas.json ${median(mergeMs.json).toFixed(0)} ms, results.csv ${median(mergeMs.csv).toFixed(0)} ms, atlas.html ${median(mergeMs.html).toFixed(0)} ms (goal < 5000 ms)`);

  // ---- shard overhead: 12 real tasks (bundled model, 4 datasets) through runShard vs runTask directly.
  const small = path.join(work, 'small.yaml');
  await fsp.writeFile(small, `name: overhead\nmodels: [bundled]\ndata: ["data/series-00[0-3].csv"]\nanalyses:\n  - mosaic: { onData: true, batch: 8 }\n  - ablate: { top: 1, controls: 2, samples: 3 }\n  - forecast: { samples: 3, heldOut: 8 }\n`);
  const over: number[] = [];
  for (let r = 0; r < runs; r++) {
    const d = path.join(work, `overhead-${r}`);
    const { plan: p } = await planSweep(small, d, { bundledModelDir: bundled });
    const m = await load();
    const directRun = async () => {
      const c = new TaskContext();
      for (const t of p.tasks) await runTask(m, taskManifest(p, t), c);
    };
    await directRun(); // builds the sessions both paths then share
    const [direct] = await time(directRun);
    const [sharded] = await time(() => runShard(d, { shard: 0, of: 1, loadModel: async () => m }).then(() => undefined));
    over.push((sharded - direct) / p.tasks.length);
  }
  console.log(`shard overhead: ${median(over).toFixed(1)} ms per task over calling the analyses directly (12 tasks, warm sessions; goal < 1000 ms)`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
