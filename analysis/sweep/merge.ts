/**
 * Status and merge of a sweep folder. The atlas is a plain-JSON summary of every task: per model the
 * induction-head counts (center / right / total), the mosaics, ablation effects per dataset against
 * their controls, forecast metrics, the largest components of direct attributions, and each model's parameter count (the model-size axis). It holds
 * no timestamps, hosts or absolute paths, so the merge of a cluster run and of a local run of the same
 * plan are the same bytes; every entry names its task's manifest (a path relative to the atlas file).
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosLensError } from '../../core/errors';
import { processAlive } from '../../core/hub/lock';
import { formatBytes, MAX_ATLAS_FILE_BYTES } from '../../core/limits';
import type { AttributionResult } from '../causal/attribution';
import {
  ATLAS_FORMAT,
  ATTENTION_KINDS,
  type AblationResult,
  type AtlasSummary,
  type AtlasTask,
  type AttentionKind,
  type HeadCounts,
  type MosaicResult,
} from '../types';
import { formatHead } from '../heads';
import { PLAN_FILE, SweepPlan, TaskDef, readPlan, taskDir } from './plan';
import { TaskResultFile, TaskState, TaskStatus } from './run';

export { ATLAS_FORMAT };
export type { AtlasAblation, AtlasAblationMetric, AtlasAttribution, AtlasForecast, AtlasInduction, AtlasModel, AtlasTask } from '../types';
import { AnalysisSpec } from './spec';
import { ForecastMetricsResult } from './tasks';

export interface TaskView {
  task: TaskDef;
  state: TaskState;
  /** A running task whose process is gone (same host, pid not alive): it was killed. */
  stale?: boolean;
  status?: TaskStatus;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}


async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export interface SweepStatus {
  plan: SweepPlan;
  tasks: TaskView[];
  counts: Record<TaskState, number>;
}

export async function sweepStatus(dir: string, plan?: SweepPlan): Promise<SweepStatus> {
  plan ??= await readPlan(dir);
  const host = os.hostname();
  const tasks = await mapLimit(plan.tasks, 64, async (task): Promise<TaskView> => {
    const status = await readJson<TaskStatus>(path.join(taskDir(dir, task.id), 'status.json'));
    if (!status) return { task, state: 'pending' };
    const stale = status.state === 'running' && status.host === host && !processAlive(status.pid);
    return { task, state: status.state, status, stale: stale || undefined };
  });
  const counts: Record<TaskState, number> = { pending: 0, running: 0, done: 0, failed: 0 };
  for (const t of tasks) counts[t.state]++;
  return { plan, tasks, counts };
}

// ---- the atlas -----------------------------------------------------------------------------------

/** Components of an attribution listed in the atlas summary. */
export const ATTRIBUTION_TOP = 8;

export interface Atlas extends AtlasSummary {
  analyses: AnalysisSpec[];
  /** Every finished task's result, by task id, without run-specific fields (time stamps, local paths). */
  results: Record<string, { type: TaskResultFile['type']; result: unknown }>;
}

const fin = (v: number | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Drops what differs between runs of the same task, the creation time and the checkpoint's local
 * path, in place (the result was just read from disk and is not shared).
 */
export function canonicalResult<T>(r: T): T {
  const c = r as { manifest?: { createdAt?: string }; model?: { path?: string } };
  if (c.manifest) delete c.manifest.createdAt;
  if (c.model) delete c.model.path;
  return r;
}

export interface MergeOptions {
  /** Where task manifests are, as seen from the atlas file (default: the sweep folder's relative path "."). */
  linkBase?: string;
}

export async function buildAtlas(dir: string, o: MergeOptions = {}): Promise<Atlas> {
  const st = await sweepStatus(dir);
  const { plan } = st;
  const base = (o.linkBase ?? '.').split(path.sep).join('/');
  const link = (id: string) => `${base === '.' || base === '' ? '' : base + '/'}tasks/${id}/task.json`;
  const files = await mapLimit(st.tasks, 64, (v) => (v.state === 'done' ? readJson<TaskResultFile>(path.join(taskDir(dir, v.task.id), 'result.json')) : Promise.resolve(undefined)));
  const atlas: Atlas = {
    format: ATLAS_FORMAT,
    name: plan.name,
    toolVersion: plan.toolVersion,
    complete: false,
    counts: { pending: 0, running: 0, done: 0, failed: 0 },
    models: plan.models.map((m) => ({ label: m.label, identity: m.identity })),
    datasets: plan.datasets.map((d) => ({ label: d.label, kind: d.kind, column: d.column, hash: d.hash })),
    analyses: plan.analyses,
    tasks: [],
    induction: [],
    ablations: [],
    forecasts: [],
    attributions: [],
    results: {},
  };
  st.tasks.forEach((v, i) => {
    const t = v.task;
    const f = files[i];
    // A status that says done without a readable result is not done.
    const state: TaskState = v.state === 'done' && !f ? 'pending' : v.state;
    atlas.counts[state]++;
    const entry: AtlasTask = { id: t.id, model: t.model, dataset: t.dataset, analysis: t.analysis, seed: t.seed, state, manifest: link(t.id) };
    if (state === 'failed' && v.status?.error) entry.error = v.status.error;
    atlas.tasks.push(entry);
    if (!f) return;
    const m = atlas.models[t.model];
    const summary = (f.result as { model?: MosaicResult['model'] }).model;
    if (m.parameters === undefined) {
      m.parameters = f.parameters;
      if (summary) Object.assign(m, { encoderLayers: summary.encoderLayers, decoderLayers: summary.decoderLayers, heads: summary.heads, dModel: summary.dModel });
    }
    atlas.results[t.id] = { type: f.type, result: canonicalResult(f.result) };
    const where = { task: t.id, model: t.model, dataset: t.dataset, seed: t.seed };
    if (f.type === 'mosaic') {
      const r = f.result as MosaicResult;
      const counts: Partial<Record<AttentionKind, HeadCounts>> = {};
      for (const k of ATTENTION_KINDS) if (r[k]) counts[k] = r[k]!.counts;
      atlas.induction.push({ ...where, threshold: r.threshold, counts });
    } else if (f.type === 'ablate') {
      const r = f.result as AblationResult;
      atlas.ablations.push({
        ...where,
        heads: r.heads.map(formatHead),
        method: r.method,
        controls: r.controlSets.length,
        metrics: r.metrics.map((x) => {
          const c = x.controls.filter((v) => Number.isFinite(v));
          const mean = c.length ? c.reduce((a, b) => a + b, 0) / c.length : NaN;
          const sd = c.length > 1 ? Math.sqrt(c.reduce((a, b) => a + (b - mean) ** 2, 0) / (c.length - 1)) : NaN;
          return { name: x.name, unablated: fin(x.unablated), ablated: fin(x.ablated), change: fin(x.ablated - x.unablated), controlsMean: fin(mean), controlsSd: fin(sd), percentile: fin(x.percentile), zScore: fin(x.zScore) };
        }),
      });
    } else if (f.type === 'attribute') {
      const r = f.result as AttributionResult;
      // Ties broken by name, so the order never depends on the engine's sort.
      const top = [...r.components]
        .sort((x, y) => Math.abs(y.value) - Math.abs(x.value) || (x.component < y.component ? -1 : x.component > y.component ? 1 : 0))
        .slice(0, ATTRIBUTION_TOP)
        .map((c) => ({ component: c.component, value: fin(c.value) }));
      atlas.attributions.push({ task: t.id, model: t.model, dataset: t.dataset, target: r.target.kind, step: r.target.step, total: fin(r.total), top });
    } else {
      const r = f.result as ForecastMetricsResult;
      atlas.forecasts.push({ ...where, heldOut: r.data.heldOut, period: r.data.period, mase: fin(r.metrics.mase), wql: fin(r.metrics.wql), mae_median: fin(r.metrics.mae_median) });
    }
  });
  atlas.complete = atlas.counts.done === plan.tasks.length;
  return atlas;
}

/**
 * Each model's first finished mosaic on the reference protocol (plan order: the first seed): the
 * mosaics an atlas draws side by side.
 */
export function atlasMosaics(a: Atlas): { task: string; result: MosaicResult }[] {
  const out: { task: string; result: MosaicResult }[] = [];
  a.models.forEach((_, mi) => {
    const r = a.induction.find((x) => x.model === mi && a.datasets[x.dataset].kind === 'reference' && a.results[x.task]);
    if (r) out.push({ task: r.task, result: a.results[r.task].result as MosaicResult });
  });
  return out;
}

/** The atlas as JSON text (non-finite numbers as null). */
export function atlasJson(a: Atlas): string {
  return JSON.stringify(a, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n';
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per number: task, model, dataset, analysis, seed, metric, value, manifest. */
export function atlasCsv(a: Atlas): string {
  const rows: unknown[][] = [['task', 'model', 'model_parameters', 'dataset', 'analysis', 'seed', 'metric', 'value', 'manifest']];
  const byId = new Map(a.tasks.map((t) => [t.id, t]));
  const push = (id: string, metric: string, value: number | null) => {
    const t = byId.get(id)!;
    rows.push([id, a.models[t.model].label, a.models[t.model].parameters ?? '', a.datasets[t.dataset].label, a.analyses[t.analysis].type, t.seed ?? '', metric, value ?? '', t.manifest]);
  };
  for (const x of a.induction) for (const k of ATTENTION_KINDS) {
    const c = x.counts[k];
    if (c) for (const s of ['center', 'right', 'total', 'heads'] as const) push(x.task, `${k}.${s}`, c[s]);
  }
  for (const x of a.ablations) for (const m of x.metrics) for (const s of ['unablated', 'ablated', 'change', 'controlsMean', 'controlsSd', 'percentile', 'zScore'] as const) push(x.task, `${m.name}.${s}`, m[s]);
  for (const x of a.forecasts) for (const s of ['mase', 'wql', 'mae_median'] as const) push(x.task, s, x[s]);
  for (const x of a.attributions) {
    push(x.task, `attribution.${x.target}.step${x.step}.total`, x.total);
    for (const c of x.top) push(x.task, `attribution.${x.target}.step${x.step}.${c.component}`, c.value);
  }
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/**
 * Reads an atlas file written by `sweep merge --out atlas.json`, refusing in one line (naming the file)
 * one that is too big, is not JSON, or is not an atlas.
 */
export async function readAtlas(file: string): Promise<Atlas> {
  const st = await fsp.stat(file);
  if (st.size > MAX_ATLAS_FILE_BYTES) throw new ChronosLensError('BAD_INPUT', `${file}: ${formatBytes(st.size)} is more than an atlas file may be (${formatBytes(MAX_ATLAS_FILE_BYTES)}); open the sweep folder instead.`);
  let v: unknown;
  try {
    v = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new ChronosLensError('BAD_INPUT', `${file}: not JSON (${(e as Error).message}); pick an atlas.json written by "chronos-lens sweep merge" or a sweep folder.`);
  }
  const a = v as Partial<Atlas> | null;
  if (!a || typeof a !== 'object' || a.format !== ATLAS_FORMAT) {
    throw new ChronosLensError('BAD_INPUT', `${file}: not a sweep atlas (its "format" is not "${ATLAS_FORMAT}"); pick an atlas.json written by "chronos-lens sweep merge" or a sweep folder.`);
  }
  for (const k of ['models', 'datasets', 'analyses', 'tasks', 'induction', 'ablations', 'forecasts', 'attributions'] as const) {
    if (!Array.isArray(a[k])) throw new ChronosLensError('BAD_INPUT', `${file}: the atlas has no "${k}" list; write it again with "chronos-lens sweep merge".`);
  }
  if (!a.results || typeof a.results !== 'object') throw new ChronosLensError('BAD_INPUT', `${file}: the atlas has no "results"; write it again with "chronos-lens sweep merge".`);
  if (!a.counts || typeof a.counts !== 'object') throw new ChronosLensError('BAD_INPUT', `${file}: the atlas has no "counts"; write it again with "chronos-lens sweep merge".`);
  return a as Atlas;
}

export interface OpenedAtlas {
  atlas: Atlas;
  /** The folder its manifest links are relative to. */
  base: string;
  /** What was opened: the sweep folder or the atlas file. */
  source: string;
}

/**
 * An atlas from a sweep folder (merged now, from its tasks' results), the folder's sweep.json, or an
 * atlas.json file.
 */
export async function openAtlas(target: string): Promise<OpenedAtlas> {
  let st;
  try {
    st = await fsp.stat(target);
  } catch {
    throw new ChronosLensError('NOT_FOUND', `${target}: no such file or folder; pick a sweep folder (with ${PLAN_FILE}) or an atlas.json.`);
  }
  const dir = st.isDirectory() ? target : path.basename(target) === PLAN_FILE ? path.dirname(target) : undefined;
  if (dir !== undefined) {
    try {
      await fsp.access(path.join(dir, PLAN_FILE));
    } catch {
      throw new ChronosLensError('NOT_FOUND', `${dir}: not a sweep folder (no ${PLAN_FILE}); plan one with "chronos-lens sweep plan SPEC --out DIR", or pick an atlas.json.`);
    }
    return { atlas: await buildAtlas(dir), base: dir, source: dir };
  }
  return { atlas: await readAtlas(target), base: path.dirname(target), source: target };
}

/** Where a task's manifest (task.json) is, for an opened atlas; undefined for a task it does not have. */
export function manifestFile(o: OpenedAtlas, task: string): string | undefined {
  const t = o.atlas.tasks.find((x) => x.id === task);
  if (!t || typeof t.manifest !== 'string') return undefined;
  const file = path.resolve(o.base, ...t.manifest.split('/'));
  // Only a task's manifest: an edited atlas cannot point the editor at another file.
  return path.basename(file) === 'task.json' && path.basename(path.dirname(file)) === task ? file : undefined;
}

/** The atlas without the tasks' full results (what the panel draws) and the mosaics it draws. */
export function atlasView(a: Atlas): { atlas: AtlasSummary; mosaics: { task: string; result: MosaicResult }[] } {
  const { results: _results, ...summary } = a;
  return { atlas: summary, mosaics: atlasMosaics(a) };
}
