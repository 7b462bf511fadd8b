/**
 * Running a shard of a sweep: the tasks of shard I of N (a contiguous slice of the plan, which is in
 * model-major order, so a shard loads each of its models once), skipping tasks already done. Each
 * task writes status.json (running, then done or failed with the error's first line) and, when it
 * succeeds, result.json, both atomically: a shard killed at any moment leaves each task either done
 * (with its whole result) or not, and rerunning the shard redoes only what is not.
 */
import { promises as fsp, readFileSync, writeFileSync, renameSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosLensError, errorMessage, isCancelled } from '../../core/errors';
import { writeFileAtomic } from '../../core/files';
import { RunControl } from '../../core/progress';
import { ChronosModel } from '../../models/model';
import { toJson } from '../common';
import type { SweepTaskState } from '../types';
import { PlannedModel, SweepPlan, TaskDef, readPlan, taskDir, taskManifest } from './plan';
import { SweepAnalysisResult, TaskContext, runTask } from './tasks';

export type TaskState = SweepTaskState;

export interface TaskStatus {
  state: Exclude<TaskState, 'pending'>;
  host: string;
  pid: number;
  shard: string;
  startedAt: string;
  finishedAt?: string;
  elapsedMs?: number;
  /** First line of the error (failed). */
  error?: string;
}

export interface TaskResultFile {
  id: string;
  type: SweepAnalysisResult['type'];
  /** Parameters of the model (float32 values of its weights), for the atlas's model-size axis. */
  parameters: number;
  result: SweepAnalysisResult['result'];
}

/** Environment variables that carry an array index, in the order they are consulted. */
export const SHARD_ENV = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX', 'CHRONOS_LENS_SHARD'] as const;
/** Environment variables that carry the number of shards. */
export const SHARD_COUNT_ENV = ['SLURM_ARRAY_TASK_COUNT', 'CHRONOS_LENS_SHARDS'] as const;

/** Shard I of N from flags, else from the engine's environment; shard 0 of 1 (everything) when neither says. */
export function resolveShard(flags: { shard?: number; of?: number }, env: Record<string, string | undefined> = process.env): { shard: number; of: number; from: string } {
  let shard = flags.shard;
  let from = '--shard';
  if (shard === undefined) {
    for (const k of SHARD_ENV) {
      const v = env[k];
      if (v !== undefined && v !== '') {
        shard = Number(v);
        from = k;
        if (!Number.isInteger(shard) || shard < 0) throw new ChronosLensError('BAD_INPUT', `${k}="${v}" is not a shard index (an integer >= 0)`);
        break;
      }
    }
  }
  let of = flags.of;
  if (of === undefined && shard !== undefined) {
    for (const k of SHARD_COUNT_ENV) {
      const v = env[k];
      if (v !== undefined && v !== '') {
        of = Number(v);
        if (!Number.isInteger(of) || of < 1) throw new ChronosLensError('BAD_INPUT', `${k}="${v}" is not a shard count (an integer >= 1)`);
        break;
      }
    }
    if (of === undefined) throw new ChronosLensError('BAD_INPUT', `shard ${shard} (from ${from}) needs --of N, the number of shards`);
  }
  if (shard === undefined) return { shard: 0, of: of ?? 1, from: 'default' };
  if (shard >= of!) throw new ChronosLensError('BAD_INPUT', `shard ${shard} (from ${from}) is not below --of ${of}`);
  return { shard, of: of!, from };
}

/** The tasks of shard I of N: a contiguous slice, sizes differing by at most one. */
export function shardTasks<T>(tasks: readonly T[], shard: number, of: number): T[] {
  return tasks.slice(Math.floor((shard * tasks.length) / of), Math.floor(((shard + 1) * tasks.length) / of));
}

export async function readStatus(dir: string, id: string): Promise<TaskStatus | undefined> {
  try {
    return JSON.parse(await fsp.readFile(path.join(taskDir(dir, id), 'status.json'), 'utf8')) as TaskStatus;
  } catch {
    return undefined;
  }
}

export async function isDone(dir: string, id: string): Promise<boolean> {
  const s = await readStatus(dir, id);
  if (s?.state !== 'done') return false;
  try {
    await fsp.access(path.join(taskDir(dir, id), 'result.json'));
    return true;
  } catch {
    return false;
  }
}

async function writeStatus(dir: string, id: string, s: TaskStatus): Promise<void> {
  await writeFileAtomic(path.join(taskDir(dir, id), 'status.json'), JSON.stringify(s, null, 1) + '\n');
}

/**
 * Marks a running task failed, synchronously (from a signal handler, where the event loop may not
 * turn again): only when its status still says running in this process.
 */
export function markInterruptedSync(dir: string, id: string, why: string): void {
  const file = path.join(taskDir(dir, id), 'status.json');
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as TaskStatus;
    if (s.state !== 'running' || s.pid !== process.pid) return;
    const tmp = `${file}.${process.pid}.sig.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...s, state: 'failed', finishedAt: new Date().toISOString(), error: why }, null, 1) + '\n');
    renameSync(tmp, file);
  } catch {
    // Nothing to mark: the status was not written yet, or the folder is gone.
  }
}

export interface RunEvent {
  task: TaskDef;
  index: number;
  total: number;
  state: 'skipped' | 'running' | 'done' | 'failed';
  error?: string;
  elapsedMs?: number;
}

export interface ShardRunOptions extends RunControl {
  shard: number;
  of: number;
  /** Loads (resolves, builds) a model; the runner disposes it when the shard moves on. */
  loadModel: (m: PlannedModel) => Promise<ChronosModel>;
  onEvent?: (e: RunEvent) => void;
  /** Rerun tasks already done. */
  force?: boolean;
}

export interface ShardRunSummary {
  tasks: number;
  skipped: number;
  done: number;
  failed: number;
}

let currentTask: { dir: string; id: string } | undefined;
/** The task this process is running, if any (for signal handlers). */
export function runningTask(): { dir: string; id: string } | undefined {
  return currentTask;
}

export async function runShard(dir: string, o: ShardRunOptions): Promise<ShardRunSummary> {
  const plan: SweepPlan = await readPlan(dir);
  const mine = shardTasks(plan.tasks, o.shard, o.of);
  const summary: ShardRunSummary = { tasks: mine.length, skipped: 0, done: 0, failed: 0 };
  const ctx = new TaskContext();
  const host = os.hostname();
  const shardLabel = `${o.shard}/${o.of}`;
  let loaded: { index: number; model?: ChronosModel; error?: string } | undefined;
  try {
    for (let i = 0; i < mine.length; i++) {
      const t = mine[i];
      const ev = (state: RunEvent['state'], extra: Partial<RunEvent> = {}) => o.onEvent?.({ task: t, index: i, total: mine.length, state, ...extra });
      if (!o.force && (await isDone(dir, t.id))) {
        summary.skipped++;
        ev('skipped');
        continue;
      }
      if (o.signal?.aborted) break;
      const startedAt = new Date();
      const base: TaskStatus = { state: 'running', host, pid: process.pid, shard: shardLabel, startedAt: startedAt.toISOString() };
      await fsp.mkdir(taskDir(dir, t.id), { recursive: true });
      const manifest = taskManifest(plan, t);
      await writeFileAtomic(path.join(taskDir(dir, t.id), 'task.json'), JSON.stringify(manifest, null, 1) + '\n');
      await writeStatus(dir, t.id, base);
      currentTask = { dir, id: t.id };
      ev('running');
      const t0 = performance.now();
      try {
        if (loaded?.index !== t.model) {
          await loaded?.model?.dispose();
          loaded = { index: t.model };
          try {
            loaded.model = await o.loadModel(plan.models[t.model]);
          } catch (e) {
            if (isCancelled(e)) throw e;
            loaded.error = `model ${plan.models[t.model].label}: ${errorMessage(e).split('\n')[0]}`;
          }
        }
        if (!loaded.model) throw new ChronosLensError('RUNTIME', loaded.error ?? 'the model did not load');
        const r = await runTask(loaded.model, manifest, ctx, { signal: o.signal });
        const file: TaskResultFile = { id: t.id, type: r.type, parameters: Math.round(loaded.model.checkpoint.float32Bytes / 4), result: r.result };
        await writeFileAtomic(path.join(taskDir(dir, t.id), 'result.json'), toJson(file) + '\n');
        const elapsedMs = Math.round(performance.now() - t0);
        await writeStatus(dir, t.id, { ...base, state: 'done', finishedAt: new Date().toISOString(), elapsedMs });
        summary.done++;
        ev('done', { elapsedMs });
      } catch (e) {
        const error = isCancelled(e) ? 'cancelled' : errorMessage(e).split('\n')[0];
        const elapsedMs = Math.round(performance.now() - t0);
        await writeStatus(dir, t.id, { ...base, state: 'failed', finishedAt: new Date().toISOString(), elapsedMs, error });
        summary.failed++;
        ev('failed', { error, elapsedMs });
        if (isCancelled(e)) throw e;
      } finally {
        currentTask = undefined;
      }
    }
  } finally {
    await loaded?.model?.dispose();
  }
  return summary;
}
