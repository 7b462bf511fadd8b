/**
 * `chronos-lens ablate --heads ... (--copy-loss | --csv FILE)` on a Chronos-Bolt model: zero or mean
 * ablation of its encoder / decoder / cross heads scored by the copy loss on repeated random patches
 * and / or on the held-out end of a CSV column (MASE, WQL, MAE of the 0.5 level) against the unablated
 * model and random control sets (analysis/bolt-ablation.ts); --top K ranks the heads of a patch mosaic
 * (docs/patch-mosaic.md). Report files are Chronos-T5 only so far.
 */
import * as path from 'node:path';
import { readCsvFile } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { BoltAblationResult, boltHeadGrid, runBoltAblation } from '../../analysis/bolt-ablation';
import { parseHeads } from '../../analysis/heads';
import { HeadRef } from '../../analysis/types';
import { BoltModel } from '../../models/bolt/model';
import type { CopyLossOptions } from '../../analysis/copy-loss';
import { copyLossLine } from './ablate-data';
import { CliIO, printJson, progressBar } from '../common';

export interface BoltAblateArgs {
  heads?: string;
  /** The heads of --top, ranked from a patch mosaic (instead of --heads). */
  headRefs?: HeadRef[];
  method: 'zero' | 'mean';
  controls: number;
  controlSeed: number;
  copyLoss?: CopyLossOptions;
  csv?: string;
  column?: string;
  heldOut?: number;
  period?: number;
  json?: boolean;
  /** Flags given that apply to Chronos-T5 only. */
  unsupported: string[];
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : v.toFixed(4);
}

export function boltAblationText(model: string, file: string | undefined, column: string | undefined, r: BoltAblationResult): string {
  const head = ['metric', 'unablated', 'ablated', 'change', 'controls (mean ± sd)', 'percentile', 'z'];
  const rows = Object.keys(r.unablated).map((k) => {
    const c = r.controls.map((x) => x.metrics[k]);
    const n = c.length;
    const mean = n ? c.reduce((a, b) => a + b, 0) / n : NaN;
    const sd = n > 1 ? Math.sqrt(c.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
    const change = r.ablated[k] - r.unablated[k];
    return [k, fmt(r.unablated[k]), fmt(r.ablated[k]), `${change >= 0 ? '+' : ''}${fmt(change)}`, n ? `${fmt(mean)} ± ${fmt(sd)}` : '—', Number.isFinite(r.percentile[k]) ? r.percentile[k].toFixed(0) : '—', Number.isFinite(r.z[k]) ? r.z[k].toFixed(2) : '—'];
  });
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  return [
    `${model} · ${r.method} ablation of ${r.heads.join(', ')} · ${r.controls.length} control sets`,
    copyLossLine(r.copyLoss),
    file ? `forecast metrics on ${file} column "${column}": last ${r.heldOut} points held out, MASE period ${r.period}` : '',
    line(head),
    ...rows.map(line),
  ].filter(Boolean).join('\n') + '\n';
}

export async function boltAblate(model: BoltModel, a: BoltAblateArgs, io: CliIO): Promise<number> {
  if (a.unsupported.length) {
    throw new ChronosLensError('BAD_INPUT', `${a.unsupported.join(', ')}: not available for ${model.name}, a Chronos-Bolt model (it has no tokens for an induction loss and no sampling; report files are Chronos-T5 only so far; the batch flags go with --top or --copy-loss); leave ${a.unsupported.length > 1 ? 'them' : 'it'} out`);
  }
  if (!a.csv && !a.copyLoss) throw new ChronosLensError('BAD_INPUT', `give --copy-loss and / or --csv FILE: ${model.name} is a Chronos-Bolt model, measured by the copy loss on repeated random patches or on the held-out end of a CSV column`);
  if (a.heads === undefined && !a.headRefs) throw new ChronosLensError('BAD_INPUT', `give --heads L.H,... or --top K for ${model.name}`);
  const heads = a.headRefs ?? parseHeads(a.heads!, boltHeadGrid(model));
  const s = a.csv ? await readCsvFile(a.csv, { column: a.column, signal: io.signal }) : undefined;
  for (const w of s?.warnings ?? []) io.stderr.write(`warning: ${w}\n`);
  const bar = progressBar(io, 'ablate');
  let r: BoltAblationResult;
  try {
    r = await runBoltAblation(model, { heads, method: a.method, controls: a.controls, controlSeed: a.controlSeed, copyLoss: a.copyLoss, values: s?.values, file: a.csv && path.basename(a.csv), column: s?.column, heldOut: a.heldOut, period: a.period, signal: io.signal, onProgress: bar.onProgress });
  } finally {
    bar.done();
  }
  if (a.json) printJson(io, { model: { name: model.name, family: model.family, hash: await model.hash() }, ...(a.csv ? { file: path.resolve(a.csv), column: s!.column } : {}), ...r });
  else io.stdout.write(boltAblationText(model.name, a.csv && path.basename(a.csv), s?.column, r));
  return 0;
}
