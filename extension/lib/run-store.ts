/**
 * Ablation runs kept as JSON files in the workspace storage (`<storage>/ablation-runs/<id>.json`), so
 * earlier runs can be listed, reopened and compared. One file per run, written atomically; files that
 * do not parse are skipped (and reported), never fatal. vscode-free.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { AblationResult } from '../../analysis/types';
import type { AblationRunSummary } from '../../protocol';
import { ChronosLensError } from '../../core/errors';
import { writeFileAtomic } from './files';
import { describeHeads } from './heads';

export const RUN_FILE_FORMAT = 'chronos-lens-ablation-run';
const ID_RE = /^[0-9]{8}T[0-9]{9}Z-[a-z0-9]{4,12}$/;

export interface StoredRun {
  format: typeof RUN_FILE_FORMAT;
  version: 1;
  id: string;
  label: string;
  createdAt: string;
  /** The CSV the run used, if any (for the report's title). */
  source?: string;
  result: AblationResult;
}

/** "zero · cross L3.H5, L4.H1 · 20 controls" */
export function runLabel(r: AblationResult): string {
  const data = [r.data.inductionLoss ? 'induction loss' : '', r.data.copyLoss ? 'copy loss' : '', r.data.csv ? `${r.data.csv.file} ${r.data.csv.column}` : ''].filter(Boolean).join(' + ');
  return `${r.method} · ${describeHeads(r.heads, 4)} · ${r.controlSets.length} control${r.controlSets.length === 1 ? '' : 's'}${data ? ` · ${data}` : ''}`;
}

function newId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', ''); // 20261127T164500123Z
  return `${stamp}-${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}`;
}

export function isRunId(id: string): boolean {
  return ID_RE.test(id);
}

export class RunStore {
  readonly dir: string;

  constructor(storageDir: string) {
    this.dir = path.join(storageDir, 'ablation-runs');
  }

  #file(id: string): string {
    if (!isRunId(id)) throw new ChronosLensError('BAD_INPUT', `not an ablation run id: ${JSON.stringify(id)}`);
    return path.join(this.dir, `${id}.json`);
  }

  async save(result: AblationResult, opts: { source?: string; now?: Date } = {}): Promise<StoredRun> {
    const now = opts.now ?? new Date();
    const run: StoredRun = { format: RUN_FILE_FORMAT, version: 1, id: newId(now), label: runLabel(result), createdAt: now.toISOString(), result };
    if (opts.source) run.source = opts.source;
    await fsp.mkdir(this.dir, { recursive: true });
    const text = JSON.stringify(run, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1);
    await writeFileAtomic(this.#file(run.id), text + '\n');
    return run;
  }

  async load(id: string): Promise<StoredRun> {
    const file = this.#file(id);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (e) {
      throw new ChronosLensError('NOT_FOUND', `ablation run ${id} is no longer stored (${file})`, { cause: e });
    }
    return parseRun(text, file);
  }

  /** Stored runs, newest first. `problems` lists files that could not be read. */
  async list(): Promise<{ runs: AblationRunSummary[]; problems: string[] }> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return { runs: [], problems: [] };
    }
    const runs: AblationRunSummary[] = [];
    const problems: string[] = [];
    for (const n of names) {
      if (!n.endsWith('.json') || !isRunId(n.slice(0, -5))) continue;
      const file = path.join(this.dir, n);
      try {
        const r = parseRun(await fsp.readFile(file, 'utf8'), file);
        runs.push({ id: r.id, label: r.label, createdAt: r.createdAt });
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    runs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
    return { runs, problems };
  }

  async delete(id: string): Promise<void> {
    await fsp.rm(this.#file(id), { force: true });
  }
}

export function parseRun(text: string, file: string): StoredRun {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ChronosLensError('BAD_INPUT', `${file}: not valid JSON (${(e as Error).message})`);
  }
  const d = doc as Partial<StoredRun> | null;
  if (!d || typeof d !== 'object' || d.format !== RUN_FILE_FORMAT || d.version !== 1) throw new ChronosLensError('BAD_INPUT', `${file}: not a ${RUN_FILE_FORMAT} v1 file`);
  if (typeof d.id !== 'string' || !isRunId(d.id) || typeof d.label !== 'string' || typeof d.createdAt !== 'string') throw new ChronosLensError('BAD_INPUT', `${file}: id, label or createdAt missing`);
  const r = d.result as AblationResult | undefined;
  if (!r || typeof r !== 'object' || !Array.isArray(r.heads) || !Array.isArray(r.metrics) || !Array.isArray(r.controlSets) || !r.model || !r.manifest) {
    throw new ChronosLensError('BAD_INPUT', `${file}: the stored result is incomplete (heads, metrics, controlSets, model, manifest)`);
  }
  // JSON has no NaN: metric values written as null come back as NaN.
  for (const m of r.metrics) {
    for (const k of ['unablated', 'ablated', 'percentile', 'zScore'] as const) if (m[k] === null) (m as unknown as Record<string, number>)[k] = NaN;
    if (Array.isArray(m.controls)) m.controls = m.controls.map((v) => (v === null ? NaN : v));
  }
  return d as StoredRun;
}
