/**
 * `chronos-lens lens` on a Chronos-Bolt model: positions are patches. --position I is a patch (0-based,
 * negative from the end), its encoder self-attention over the patches; --step S is the decoder token's
 * cross-attention, the same for every step (one token predicts the whole horizon, no forecast needed).
 * --periodicity scores the encoder heads at the period's lag in patches.
 */
import * as path from 'node:path';
import { readCsvFile } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { AttentionLens } from '../../analysis/lens';
import { periodicity } from '../../analysis/periodicity';
import { LensResult } from '../../analysis/types';
import { BoltModel } from '../../models/bolt/model';
import { CliIO, printJson } from '../common';
import { periodicityText } from './periodicity-text';

export interface BoltLensArgs {
  file: string;
  column?: string;
  position?: number;
  step?: number;
  layer?: number;
  head?: number;
  topK?: number;
  json?: boolean;
  periodicity?: boolean;
  period?: number;
  /** Flags that mean nothing here (sampling), as given. */
  unsupported: string[];
}

export async function boltLens(model: BoltModel, a: BoltLensArgs, io: CliIO): Promise<number> {
  if (a.unsupported.length) {
    throw new ChronosLensError('BAD_INPUT', `${a.unsupported.join(', ')}: not available for ${model.name}, a Chronos-Bolt model (its quantile head forecasts directly: nothing is sampled); leave ${a.unsupported.length > 1 ? 'them' : 'it'} out`);
  }
  const b = model.config.bolt;
  const s = await readCsvFile(a.file, { column: a.column, tailRows: b.contextLength, signal: io.signal });
  for (const w of s.warnings) io.stderr.write(`warning: ${w}\n`);
  const lens = await AttentionLens.computeBolt(model, s.values, { signal: io.signal });
  const P = lens.contextLength;
  let result: LensResult;
  if (a.step !== undefined) {
    if (a.step >= lens.forecastSteps) throw new ChronosLensError('BAD_INPUT', `--step ${a.step} is outside the model's horizon (0..${lens.forecastSteps - 1}); past it the pipeline rolls the forecast out with new contexts`);
    result = lens.crossAt(a.step, { layer: a.layer, head: a.head, topK: a.topK });
  } else {
    const p = a.position! < 0 ? P + a.position! : a.position!;
    if (p < 0 || p >= P) throw new ChronosLensError('BAD_INPUT', `--position ${a.position} is outside the ${P} patches (0..${P - 1}, or -${P}..-1)`);
    result = lens.rowsAt(p, { layer: a.layer, head: a.head, topK: a.topK });
  }
  // data rows of a patch (the left padding of patch 0 has none)
  const span = (p: number) => {
    const [first, last] = lens.spanOf(p);
    return [Math.max(first, 0) + s.firstRow, last + s.firstRow];
  };
  const per = a.periodicity ? periodicity(lens, s.values, { period: a.period, signal: io.signal }) : undefined;
  if (a.json) {
    printJson(io, { file: path.resolve(a.file), column: s.column, family: model.family, patch: lens.patch, patches: Array.from({ length: P }, (_, p) => span(p)), lens: result, ...(per ? { periodicity: per } : {}) });
    return 0;
  }
  const [r0, r1] = span(P - 1);
  const out = [
    `${model.name} · ${path.basename(a.file)} column "${s.column}" · ${P} patches of ${lens.patch.size} values, the last = data rows ${r0}..${r1}`,
    result.kind === 'encoder' ? `encoder self-attention of patch ${result.position} (data rows ${span(result.position).join('..')}) over the patches` : `cross-attention of the decoder token (forecast step ${result.position}: every step of the horizon reads the same) over the patches`,
    '',
  ];
  const full = a.layer !== undefined && a.head !== undefined;
  for (let l = 0; l < result.rows.length; l++) {
    for (let h = 0; h < (result.rows[l]?.length ?? 0); h++) {
      const top = result.top[l][h];
      if (!top.length) continue;
      out.push(`L${l}.H${h}  ${top.map((t) => `${t.position}:${t.weight.toFixed(3)}`).join('  ')}`);
      if (full) out.push(result.rows[l][h].map((w, p) => `  ${String(p).padStart(4)} ${w.toFixed(4)}  rows ${span(p).join('..')}`).join('\n'));
    }
  }
  io.stdout.write(out.join('\n') + '\n');
  if (per) io.stdout.write(periodicityText(per));
  return 0;
}
