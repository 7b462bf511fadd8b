/**
 * chronos-lens sweep: plan, run, watch, merge and submit sweeps of analyses over models × datasets ×
 * seeds, on one machine or as an array on Slurm, Kubernetes or Ray (see docs/sweeps.md). The engine is
 * analysis/sweep; this file resolves models (bundled, folders, the Hugging Face cache), parses flags,
 * prints, and talks to the cluster tools.
 */
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError, oneLine } from '../../core/errors';
import { writeFileAtomic } from '../../core/files';
import { ENGINES, Engine, EngineOptions, k8sManifest, rayJobs, slurmScript } from '../../analysis/sweep/engines';
import { atlasCsv, atlasJson, buildAtlas, sweepStatus } from '../../analysis/sweep/merge';
import { PlannedModel, SweepPlan, planSweep, readPlan } from '../../analysis/sweep/plan';
import { runningTask, markInterruptedSync, resolveShard, runShard, shardTasks } from '../../analysis/sweep/run';
import { SpecError } from '../../analysis/sweep/spec';
import { CliIO, intFlag, loadModelFromFlags, MODEL_OPTIONS, parse, printJson, strings } from '../common';
import { renderAtlasPage } from '../atlas-page';
import { resolveModelDir } from '../model-source';
import { defaultModelDir } from '../paths';

export const usage = `chronos-lens sweep <plan|run|status|merge|submit|prepare> ...

Sweeps of analyses over models × datasets × seeds, as independent tasks in a folder (docs/sweeps.md).

  sweep plan SPEC.yaml --out DIR      expand a YAML spec into DIR (re-planning keeps finished tasks)
  sweep run DIR [--shard I --of N]    run shard I of N (default: the engine's array index, else all),
                                      skipping finished tasks; --force reruns them
                                      --provider P, --threads N (default: the spec's runtime, else 1)
  sweep status DIR [--json]           done / running / failed (with errors) / pending
  sweep merge DIR --out FILE          atlas.html | atlas.json | results.csv
  sweep submit DIR --engine slurm|k8s|ray [--now] [--shards N] [--gpus N] [--cpus N]
                                      write (and with --now submit) the array job into DIR/submit/;
                                      only shards with unfinished tasks are submitted
      slurm: --partition P --time T --max-parallel M
      k8s:   --image IMAGE --namespace NS --sweep-claim PVC --cache-claim PVC
      ray:   --address http://HEAD:8265 (default RAY_ADDRESS)
      --cli "CMD"    how nodes start the CLI (default: this one's; chronos-lens for k8s and ray)
  sweep prepare DIR [--download]      resolve every model of the plan (download hub models with --download)`;

/**
 * A spec with several problems: a one-line summary first, as main prints every other error, then each
 * problem on its own indented line so all of them can be fixed in one go. One problem is an ordinary
 * error (main prints it).
 */
function printProblems(io: CliIO, e: unknown): boolean {
  if (!(e instanceof SpecError) || e.problems.length < 2) return false;
  io.stderr.write(`chronos-lens: sweep: ${oneLine(`${e.file}: ${e.problems.length} problems in the sweep spec:`)}\n`);
  for (const p of e.problems) io.stderr.write(`  ${oneLine(p)}\n`);
  return true;
}

/** The CLI as the nodes should start it: this very process's node, flags and entry script. */
function thisCli(): string[] {
  return [process.execPath, ...process.execArgv, path.resolve(process.argv[1])];
}

function splitCommand(s: string): string[] {
  const out = s.trim().split(/\s+/).filter(Boolean);
  if (!out.length) throw new ChronosLensError('BAD_INPUT', '--cli must name a command');
  return out;
}

async function modelLoader(values: { provider?: string; threads?: string; 'cache-dir'?: string; 'no-cache'?: boolean }, io: CliIO) {
  return async (m: PlannedModel) => {
    const model = m.ref.kind === 'bundled' ? defaultModelDir() : m.ref.kind === 'path' ? m.ref.path : m.ref.repo;
    const revision = m.ref.kind === 'hub' ? m.ref.revision : undefined;
    return loadModelFromFlags({ model, revision, provider: values.provider, threads: values.threads, 'cache-dir': values['cache-dir'], 'no-cache': values['no-cache'] }, io);
  };
}

async function plan(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } });
  if (values.help) return help(io);
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', 'sweep plan takes one spec file: chronos-lens sweep plan SPEC.yaml --out DIR');
  if (!values.out) throw new ChronosLensError('BAD_INPUT', 'sweep plan needs --out DIR, the sweep folder');
  const s = await planSweep(positionals[0], values.out, { bundledModelDir: defaultModelDir() });
  const p = s.plan;
  if (values.json) printJson(io, { dir: values.out, tasks: p.tasks.length, kept: s.kept, added: s.added, orphaned: s.orphaned });
  else {
    const n = (k: number, w: string, ws = `${w}s`) => `${k} ${k === 1 ? w : ws}`;
    io.stdout.write(`${p.name}: ${n(p.tasks.length, 'task')} (${n(p.models.length, 'model')} × ${n(p.datasets.length, 'dataset')} × ${n(p.analyses.length, 'analysis', 'analyses')} × ${n(p.seeds.length, 'seed')}) in ${values.out}\n`);
    io.stdout.write(`  ${s.added} new, ${s.kept} kept from an earlier plan${s.orphaned ? `, ${s.orphaned} earlier task folders no longer planned (left in place)` : ''}\n`);
  }
  return 0;
}

async function runCmd(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...strings('shard', 'of'),
    force: { type: 'boolean' },
    provider: MODEL_OPTIONS.provider,
    threads: MODEL_OPTIONS.threads,
    'cache-dir': MODEL_OPTIONS['cache-dir'],
    'no-cache': MODEL_OPTIONS['no-cache'],
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    debug: { type: 'boolean' },
  });
  if (values.help) return help(io);
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', 'sweep run takes one sweep folder: chronos-lens sweep run DIR [--shard I --of N]');
  const dir = positionals[0];
  const flags = { shard: intFlag(values.shard, 'shard', 'shardIndex'), of: intFlag(values.of, 'of', 'shardCount') };
  // checked here too, before the plan is read, rather than when the first task loads its model
  intFlag(values.threads, 'threads', 'threads');
  const p = await readPlan(dir);
  const { shard, of, from } = resolveShard(flags);
  const threads = values.threads ?? (p.runtime.threads !== undefined ? String(p.runtime.threads) : '1');
  const provider = values.provider ?? p.runtime.provider;
  const load = await modelLoader({ ...values, threads, provider }, io);
  // Slurm's scancel and Kubernetes send SIGTERM: record the task that was cut short before exiting.
  const onTerm = () => {
    const t = runningTask();
    if (t) markInterruptedSync(t.dir, t.id, 'killed (SIGTERM) while running');
    process.exit(143);
  };
  process.once('SIGTERM', onTerm);
  try {
    const mine = shardTasks(p.tasks, shard, of).length;
    if (!values.quiet) io.stderr.write(`sweep ${p.name}: shard ${shard} of ${of}${from !== 'default' && from !== '--shard' ? ` (from ${from})` : ''}: ${mine} tasks\n`);
    const summary = await runShard(dir, {
      shard,
      of,
      force: values.force,
      loadModel: load,
      signal: io.signal,
      onEvent: (e) => {
        if (values.quiet || e.state === 'running') return;
        const what = `${p.analyses[e.task.analysis].type} ${p.models[e.task.model].label} ${p.datasets[e.task.dataset].label}${e.task.seed !== null ? ` seed ${e.task.seed}` : ''}`;
        const tail = e.state === 'failed' ? `: ${e.error}` : e.elapsedMs !== undefined ? ` (${(e.elapsedMs / 1000).toFixed(1)} s)` : '';
        io.stderr.write(`  [${e.index + 1}/${e.total}] ${e.task.id} ${e.state} ${what}${tail}\n`);
      },
    });
    io.stdout.write(`shard ${shard}/${of}: ${summary.done} done, ${summary.skipped} already done, ${summary.failed} failed of ${summary.tasks}\n`);
    return summary.failed ? 1 : 0;
  } finally {
    process.removeListener('SIGTERM', onTerm);
  }
}

async function status(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } });
  if (values.help) return help(io);
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', 'sweep status takes one sweep folder');
  const st = await sweepStatus(positionals[0]);
  const p = st.plan;
  if (values.json) {
    printJson(io, { counts: st.counts, tasks: st.tasks.map((t) => ({ id: t.task.id, state: t.state, stale: t.stale, error: t.status?.error, host: t.status?.host, shard: t.status?.shard })) });
    return 0;
  }
  const c = st.counts;
  io.stdout.write(`${p.name}: ${p.tasks.length} tasks: ${c.done} done, ${c.running} running, ${c.failed} failed, ${c.pending} pending\n`);
  for (const t of st.tasks) {
    if (t.state !== 'failed' && t.state !== 'running') continue;
    const what = `${p.analyses[t.task.analysis].type} ${p.models[t.task.model].label} ${p.datasets[t.task.dataset].label}`;
    const note = t.state === 'failed' ? `: ${t.status?.error ?? ''}` : t.stale ? ' (its process is gone: killed; run the shard again)' : ` (${t.status?.host}, shard ${t.status?.shard})`;
    io.stdout.write(`  ${t.state.padEnd(7)} ${t.task.id} ${what}${note}\n`);
  }
  return 0;
}

async function merge(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } });
  if (values.help) return help(io);
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', 'sweep merge takes one sweep folder: chronos-lens sweep merge DIR --out atlas.html|atlas.json|results.csv');
  if (!values.out) throw new ChronosLensError('BAD_INPUT', 'sweep merge needs --out FILE (.html, .json or .csv)');
  const out = values.out;
  const ext = path.extname(out).toLowerCase();
  if (!['.html', '.json', '.csv'].includes(ext)) throw new ChronosLensError('BAD_INPUT', `--out ${out}: unknown extension (expected .html, .json or .csv)`);
  const atlas = await buildAtlas(positionals[0], { linkBase: path.relative(path.dirname(path.resolve(out)), path.resolve(positionals[0])) });
  const text = ext === '.json' ? atlasJson(atlas) : ext === '.csv' ? atlasCsv(atlas) : renderAtlasPage(atlas);
  await writeFileAtomic(out, text);
  const c = atlas.counts;
  io.stdout.write(`${out}: ${c.done} of ${atlas.tasks.length} tasks${c.done < atlas.tasks.length ? ` (${c.failed} failed, ${c.pending + c.running} not finished)` : ''}\n`);
  return 0;
}

/** Resolves every model of the plan (downloading hub models with download), so shards never download. */
async function prepareModels(p: SweepPlan, download: boolean, io: CliIO): Promise<void> {
  for (const m of p.models) {
    if (m.ref.kind !== 'hub') continue;
    const dir = await resolveModelDir(m.ref.repo, defaultModelDir(), { revision: m.ref.revision, download, io });
    io.stderr.write(`model ${m.ref.repo}@${m.ref.revision}: ${dir}\n`);
  }
}

async function prepare(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { download: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } });
  if (values.help) return help(io);
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', 'sweep prepare takes one sweep folder');
  await prepareModels(await readPlan(positionals[0]), !!values.download, io);
  return 0;
}

async function submit(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    engine: { type: 'string' },
    now: { type: 'boolean' },
    ...strings('shards', 'gpus', 'cpus', 'provider', 'partition', 'time', 'max-parallel', 'image', 'namespace'),
    ...strings('sweep-claim', 'cache-claim', 'address', 'cli'),
    'no-download': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    debug: { type: 'boolean' },
  });
  if (values.help) return help(io);
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', 'sweep submit takes one sweep folder: chronos-lens sweep submit DIR --engine slurm|k8s|ray');
  const engine = values.engine as Engine;
  if (!(ENGINES as readonly string[]).includes(engine)) throw new ChronosLensError('BAD_INPUT', `--engine must be ${ENGINES.join(', ')}, got "${values.engine ?? ''}"`);
  const given = {
    shards: intFlag(values.shards, 'shards', 'shardCount'),
    cpus: intFlag(values.cpus, 'cpus', 'cpus'),
    gpus: intFlag(values.gpus, 'gpus', 'gpus'),
    maxParallel: intFlag(values['max-parallel'], 'max-parallel', 'maxParallel'),
  };
  const dir = path.resolve(positionals[0]);
  const p = await readPlan(dir);
  const shards = Math.min(given.shards ?? Math.min(p.tasks.length, 32), Math.max(1, p.tasks.length));
  const st = await sweepStatus(dir, p);
  const done = new Set(st.tasks.filter((t) => t.state === 'done').map((t) => t.task.id));
  const indices = Array.from({ length: shards }, (_, i) => i).filter((i) => shardTasks(p.tasks, i, shards).some((t) => !done.has(t.id)));
  if (!indices.length) {
    io.stdout.write(`all ${p.tasks.length} tasks are done; nothing to submit (chronos-lens sweep merge ${positionals[0]} --out atlas.html)\n`);
    return 0;
  }
  if (engine === 'k8s' && values.now && !values.image) throw new ChronosLensError('BAD_INPUT', '--engine k8s --now needs --image IMAGE (an image with chronos-lens on its PATH)');
  const o: EngineOptions = {
    dir,
    name: p.name,
    shards,
    indices,
    cli: values.cli ? splitCommand(values.cli) : engine === 'slurm' ? thisCli() : ['chronos-lens'],
    cpus: given.cpus ?? 1,
    gpus: given.gpus ?? 0,
    provider: values.provider ?? (given.gpus ? 'cuda' : undefined),
    hfCache: process.env.HF_HUB_CACHE,
    partition: values.partition,
    time: values.time,
    maxParallel: given.maxParallel,
    image: values.image,
    namespace: values.namespace,
    sweepClaim: values['sweep-claim'],
    cacheClaim: values['cache-claim'],
  };
  const subDir = path.join(dir, 'submit');
  await fsp.mkdir(subDir, { recursive: true });
  await fsp.mkdir(path.join(dir, 'logs'), { recursive: true });
  const file = path.join(subDir, engine === 'slurm' ? 'sweep.sbatch' : engine === 'k8s' ? 'job.yaml' : 'ray-jobs.json');
  const rays = engine === 'ray' ? rayJobs(o) : [];
  await writeFileAtomic(file, engine === 'slurm' ? slurmScript(o) : engine === 'k8s' ? k8sManifest(o) : JSON.stringify(rays, null, 1) + '\n');
  io.stdout.write(`${file}: ${indices.length} of ${shards} shards (${p.tasks.length - done.size} unfinished tasks)\n`);
  if (!values.now) return 0;
  if (engine === 'slurm') {
    if (!values['no-download']) await prepareModels(p, true, io);
    const r = spawnSync('sbatch', ['--parsable', file], { encoding: 'utf8' });
    if (r.error) throw new ChronosLensError('NOT_FOUND', `cannot run sbatch (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); is Slurm installed here? The script is ${file}`);
    if (r.status !== 0) throw new ChronosLensError('RUNTIME', `sbatch failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
    const job = r.stdout.trim().split(';')[0];
    io.stdout.write(`submitted Slurm array job ${job}\n`);
    await writeFileAtomic(path.join(subDir, 'last-job.json'), JSON.stringify({ engine, job, indices, shards }) + '\n');
  } else if (engine === 'k8s') {
    const r = spawnSync('kubectl', ['apply', '-f', file], { encoding: 'utf8' });
    if (r.error) throw new ChronosLensError('NOT_FOUND', `cannot run kubectl (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); apply ${file} with your cluster's tools`);
    if (r.status !== 0) throw new ChronosLensError('RUNTIME', `kubectl apply failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
    io.stdout.write(r.stdout);
  } else {
    const address = (values.address ?? process.env.RAY_ADDRESS ?? '').replace(/\/+$/, '');
    if (!/^https?:\/\//.test(address)) throw new ChronosLensError('BAD_INPUT', '--engine ray --now needs --address http://HEAD:8265 (or RAY_ADDRESS), the Ray dashboard');
    for (const job of rays) {
      let res: Response;
      try {
        res = await fetch(`${address}/api/jobs/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job), signal: io.signal });
      } catch (e) {
        throw new ChronosLensError('NETWORK', `cannot reach the Ray dashboard at ${address} (${(e as Error).message})`);
      }
      if (!res.ok) throw new ChronosLensError('RUNTIME', `Ray refused ${job.submission_id}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      io.stdout.write(`submitted Ray job ${job.submission_id}\n`);
    }
  }
  return 0;
}

function help(io: CliIO): number {
  io.stdout.write(usage + '\n');
  return 0;
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'plan':
      return plan(rest, io);
    case 'run':
      return runCmd(rest, io);
    case 'status':
      return status(rest, io);
    case 'merge':
      return merge(rest, io);
    case 'submit':
      return submit(rest, io);
    case 'prepare':
      return prepare(rest, io);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.stdout.write(usage + '\n');
      return sub ? 0 : 2;
    default:
      throw new ChronosLensError('BAD_INPUT', `unknown sweep command "${sub}" (plan, run, status, merge, submit, prepare)`);
  }
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    // A spec's problems are many lines and main prints one: print them all here.
    if (printProblems(io, e)) return 2;
    throw e;
  }
}
