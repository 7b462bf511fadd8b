/**
 * Planning: a spec becomes a manifest of independent tasks (model × dataset × analysis × seed) in a
 * sweep folder. A task's id is the hash of everything that determines its result (the model's
 * content, the data file's content and column, the analysis and its options, the seed, the tool
 * version), so planning again, after adding a model or a dataset, keeps every finished task whose
 * inputs did not change, and a changed CSV or checkpoint gets a new task instead of a stale result.
 *
 * Folder layout:
 *   DIR/sweep.json             the plan (models, datasets, analyses, tasks in run order)
 *   DIR/tasks/<id>/task.json   one task's manifest, self-contained (what the atlas links to; written
 *                              by run when the task starts)
 *   DIR/tasks/<id>/status.json running / done / failed, with the error line (written by run)
 *   DIR/tasks/<id>/result.json the result (written by run)
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseCsvTable, selectSeries } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { writeFileAtomic } from '../../core/files';
import { checkpointHash, loadCheckpoint } from '../../models/checkpoint';
import { TOOL_VERSION } from '../common';
import { expandGlob } from './glob';
import { AnalysisSpec, DataRef, LIMITS, ModelRef, SWEEP_FORMAT, SpecError, SweepSpec, parseSweepSpec } from './spec';

export interface PlannedModel {
  ref: ModelRef;
  /** What the task ids hash: sha256 of a checkpoint's files, or hub:owner/name@revision. */
  identity: string;
  label: string;
  /** The checkpoint folder, absolute (path models). */
  dir?: string;
}

export interface PlannedDataset {
  kind: 'reference' | 'csv';
  label: string;
  /** Absolute path of the CSV. */
  file?: string;
  column?: string;
  /** sha256 of the CSV's bytes. */
  hash?: string;
}

export interface TaskDef {
  id: string;
  model: number;
  dataset: number;
  analysis: number;
  seed: number | null;
}

export interface SweepPlan {
  format: typeof SWEEP_FORMAT;
  toolVersion: string;
  name: string;
  models: PlannedModel[];
  datasets: PlannedDataset[];
  analyses: AnalysisSpec[];
  seeds: (number | null)[];
  runtime: SweepSpec['runtime'];
  tasks: TaskDef[];
}

/** A task's manifest (task.json): everything needed to rerun it, and nothing else. */
export interface TaskManifest {
  format: typeof SWEEP_FORMAT;
  id: string;
  toolVersion: string;
  model: PlannedModel;
  dataset: PlannedDataset;
  analysis: AnalysisSpec;
  seed: number | null;
}

export const PLAN_FILE = 'sweep.json';
export const TASKS_DIR = 'tasks';

export function taskDir(dir: string, id: string): string {
  return path.join(dir, TASKS_DIR, id);
}

/** JSON with sorted keys, so equal values hash equally whatever order the spec wrote them in. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Whether an analysis runs on a dataset (see docs/sweeps.md). */
export function applies(a: AnalysisSpec, d: PlannedDataset): boolean {
  if (a.type === 'mosaic') return d.kind === 'reference' || a.onData;
  if (a.type === 'ablate') return true;
  return d.kind === 'csv'; // forecast, attribute
}

export function taskId(toolVersion: string, m: PlannedModel, d: PlannedDataset, a: AnalysisSpec, seed: number | null): string {
  const data = d.kind === 'reference' ? { kind: 'reference' } : { kind: 'csv', hash: d.hash, column: d.column ?? null };
  return sha256(canonicalJson({ format: SWEEP_FORMAT, toolVersion, model: m.identity, data, analysis: a, seed })).slice(0, 24);
}

export interface PlanOptions {
  /** The bundled model's folder (the CLI knows where it is). */
  bundledModelDir: string;
  /** The spec's folder: relative model paths and CSV globs are resolved against it. */
  baseDir: string;
  /** Memo of checkpoint hashes (by path, size, mtime), so re-planning does not rehash big weights. */
  hashMemo?: string;
}

async function planModel(ref: ModelRef, i: number, o: PlanOptions): Promise<PlannedModel> {
  if (ref.kind === 'hub') return { ref, identity: `hub:${ref.repo}@${ref.revision}`, label: ref.repo };
  const dir = ref.kind === 'bundled' ? o.bundledModelDir : path.resolve(o.baseDir, ref.path.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
  let ck;
  try {
    ck = await loadCheckpoint(dir);
  } catch (e) {
    throw new SpecError('spec', [`models[${i}]: ${(e as Error).message.split('\n')[0]}`]);
  }
  const identity = `sha256:${await checkpointHash(ck, o.hashMemo)}`;
  return { ref: ref.kind === 'bundled' ? ref : { kind: 'path', path: dir }, identity, label: ck.name, dir };
}

/** The first `n` lines of a file's bytes, as text. */
function headLines(bytes: Uint8Array, n: number): string {
  let end = 0;
  for (let k = 0; k < n && end < bytes.length; k++) {
    const nl = bytes.indexOf(10, end);
    end = nl < 0 ? bytes.length : nl + 1;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
}

async function planData(entries: DataRef[], baseDir: string): Promise<PlannedDataset[]> {
  const out: PlannedDataset[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const entryOf = new Map<PlannedDataset, number>();
  for (let i = 0; i < entries.length; i++) {
    const d = entries[i];
    if (d.kind === 'reference') {
      if (!seen.has('reference')) out.push({ kind: 'reference', label: 'reference protocol' });
      seen.add('reference');
      continue;
    }
    let files: string[];
    try {
      files = await expandGlob(d.pattern, baseDir, LIMITS.datasets);
    } catch (e) {
      problems.push(`data[${i}].csv: ${(e as Error).message}`);
      continue;
    }
    if (!files.length) problems.push(`data[${i}].csv: "${d.pattern}" matches no file (relative to ${baseDir})`);
    for (const f of files) {
      const key = `${f}\0${d.column ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ kind: 'csv', label: `${path.basename(f)}${d.column ? `:${d.column}` : ''}`, file: f, column: d.column });
      entryOf.set(out[out.length - 1], i);
    }
    if (out.length > LIMITS.datasets) {
      problems.push(`data: ${out.length}+ datasets; at most ${LIMITS.datasets} are allowed`);
      break;
    }
  }
  if (problems.length) throw new SpecError('spec', problems);
  // Hash each file once, and check that its column is there and numeric on the file's first lines,
  // so a misspelt column is one line now rather than a failed task per model and seed.
  const csv = out.filter((d) => d.kind === 'csv');
  for (let i = 0; i < csv.length; i += 16) {
    await Promise.all(
      csv.slice(i, i + 16).map(async (d) => {
        const bytes = await fsp.readFile(d.file!);
        d.hash = sha256(bytes);
        try {
          selectSeries(parseCsvTable(headLines(bytes, 64), { fileLabel: path.basename(d.file!) }), d.column);
        } catch (e) {
          if (problems.length < 100) problems.push(`data[${entryOf.get(d)}]${d.column ? '.column' : '.csv'}: ${(e as Error).message.split('\n')[0]}`);
        }
      }),
    );
  }
  if (problems.length) throw new SpecError('spec', problems);
  return out;
}

/** Expands a parsed spec into a plan (no files written). */
export async function expandSpec(spec: SweepSpec, o: PlanOptions): Promise<SweepPlan> {
  const models: PlannedModel[] = [];
  for (let i = 0; i < spec.models.length; i++) models.push(await planModel(spec.models[i], i, o));
  const datasets = await planData(spec.data, o.baseDir);
  const problems: string[] = [];
  spec.analyses.forEach((a, i) => {
    if (!datasets.some((d) => applies(a, d))) problems.push(`analyses[${i}].${a.type}: no dataset it applies to (mosaic needs "reference" in data, or onData: true; forecast and attribute need a CSV)`);
  });
  const perModel = datasets.reduce((n, d) => n + spec.analyses.filter((a) => applies(a, d)).reduce((k, a) => k + (a.type === 'attribute' ? 1 : spec.seeds.length), 0), 0);
  if (perModel * models.length > LIMITS.tasks) problems.push(`the spec expands to ${perModel * models.length} tasks; at most ${LIMITS.tasks} are allowed`);
  if (problems.length) throw new SpecError('spec', problems);
  const tasks: TaskDef[] = [];
  const ids = new Set<string>();
  // Model-major order: contiguous shards then load few models each.
  for (let m = 0; m < models.length; m++) {
    for (let d = 0; d < datasets.length; d++) {
      for (let a = 0; a < spec.analyses.length; a++) {
        if (!applies(spec.analyses[a], datasets[d])) continue;
        // Attribution follows the median path: no randomness, so one task whatever the seeds.
        const seeds = spec.analyses[a].type === 'attribute' ? [null] : spec.seeds;
        for (const seed of seeds) {
          const id = taskId(TOOL_VERSION, models[m], datasets[d], spec.analyses[a], seed);
          if (ids.has(id)) continue; // two globs naming the same file, or two identical models
          ids.add(id);
          tasks.push({ id, model: m, dataset: d, analysis: a, seed });
        }
      }
    }
  }
  return { format: SWEEP_FORMAT, toolVersion: TOOL_VERSION, name: spec.name, models, datasets, analyses: spec.analyses, seeds: spec.seeds, runtime: spec.runtime, tasks };
}

export function taskManifest(plan: SweepPlan, t: TaskDef): TaskManifest {
  return { format: SWEEP_FORMAT, id: t.id, toolVersion: plan.toolVersion, model: plan.models[t.model], dataset: plan.datasets[t.dataset], analysis: plan.analyses[t.analysis], seed: t.seed };
}

/** Refuses to plan into a folder that holds something other than a sweep (never clobber a user's files). */
async function checkOutDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new ChronosLensError('BAD_INPUT', `--out ${dir} is a file; give a folder for the sweep`);
    throw e;
  }
  if (entries.length && !entries.includes(PLAN_FILE)) throw new ChronosLensError('BAD_INPUT', `--out ${dir} is not empty and holds no ${PLAN_FILE}; give an empty or new folder, or an existing sweep folder`);
}

export interface PlanSummary {
  plan: SweepPlan;
  /** Tasks an earlier plan already started (their folders, with any finished result, are kept). */
  kept: number;
  added: number;
  /** Task folders of an earlier plan that this plan no longer lists (left in place). */
  orphaned: number;
}

/** Reads SPEC, expands it and writes the plan into DIR. */
export async function planSweep(specFile: string, dir: string, o: Omit<PlanOptions, 'baseDir' | 'hashMemo'>): Promise<PlanSummary> {
  let text: string;
  try {
    text = await fsp.readFile(specFile, 'utf8');
  } catch (e) {
    throw new ChronosLensError('NOT_FOUND', `cannot read the sweep spec ${specFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const spec = parseSweepSpec(text, specFile);
  await checkOutDir(dir);
  let plan: SweepPlan;
  try {
    plan = await expandSpec(spec, { ...o, baseDir: path.dirname(path.resolve(specFile)), hashMemo: path.join(dir, '.cache', 'checkpoint-hashes.json') });
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(specFile, e.problems);
    throw e;
  }
  // Task folders are made by the runner when a task starts (with its task.json), so a plan of a
  // hundred thousand tasks is one file; a folder that exists is work an earlier plan started.
  const tasksRoot = path.join(dir, TASKS_DIR);
  await fsp.mkdir(tasksRoot, { recursive: true });
  const existing = new Set(await fsp.readdir(tasksRoot));
  const kept = plan.tasks.filter((t) => existing.has(t.id)).length;
  const ids = new Set(plan.tasks.map((t) => t.id));
  const orphaned = [...existing].filter((e) => !ids.has(e) && !e.startsWith('.')).length;
  await writeFileAtomic(path.join(dir, PLAN_FILE), JSON.stringify(plan) + '\n');
  return { plan, kept, added: plan.tasks.length - kept, orphaned };
}

export async function readPlan(dir: string): Promise<SweepPlan> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, PLAN_FILE), 'utf8');
  } catch {
    throw new ChronosLensError('NOT_FOUND', `${dir} is not a sweep folder (no ${PLAN_FILE}); make one with "chronos-lens sweep plan SPEC.yaml --out ${dir}"`);
  }
  let plan: SweepPlan;
  try {
    plan = JSON.parse(text) as SweepPlan;
  } catch (e) {
    throw new ChronosLensError('BAD_INPUT', `${path.join(dir, PLAN_FILE)} is not valid JSON (${(e as Error).message}); plan the sweep again`);
  }
  if (plan?.format !== SWEEP_FORMAT || !Array.isArray(plan.tasks)) throw new ChronosLensError('BAD_INPUT', `${path.join(dir, PLAN_FILE)} is not a ${SWEEP_FORMAT} plan; plan the sweep again`);
  return plan;
}
