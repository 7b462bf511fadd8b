/**
 * `chronos-lens lens` on a Chronos-2 model: the task's rows (targets and covariates, as `forecast`
 * reads them) in one forward pass, the forecast's first. --position I is a context patch: each row's
 * time attention from that patch over the context patches, and the group attention at that patch (per
 * layer and head, which series reads which); --step S is a forecast step: each row's output-patch
 * token's time attention over the context patches, and the group attention at that token.
 */
import * as path from 'node:path';
import { ChronosLensError } from '../../core/errors';
import { AttentionLens } from '../../analysis/lens';
import { GroupLensResult, LensResult } from '../../analysis/types';
import { Chronos2Model } from '../../models/chronos2/model';
import { CliIO, printJson, progressBar } from '../common';
import { Chronos2TaskFlags, chronos2TaskFromFlags } from './chronos2-task';

export interface Chronos2LensArgs extends Chronos2TaskFlags {
  file: string;
  position?: number;
  step?: number;
  layer?: number;
  head?: number;
  topK?: number;
  predictionLength?: number;
  groupAttention: boolean;
  json?: boolean;
  /** Flags that mean nothing here, as given. */
  unsupported: string[];
}

export async function chronos2Lens(model: Chronos2Model, a: Chronos2LensArgs, io: CliIO): Promise<number> {
  if (a.unsupported.length) {
    throw new ChronosLensError('BAD_INPUT', `${a.unsupported.join(', ')}: not available for ${model.name}, a Chronos-2 model (sampling and periodicity are Chronos-T5 and Chronos-Bolt analyses); leave ${a.unsupported.length > 1 ? 'them' : 'it'} out`);
  }
  const x = model.config.chronos2;
  const horizon = a.predictionLength ?? x.maxOutputPatches * x.patchSize;
  const { task, targets, warnings } = await chronos2TaskFromFlags(a.file, a, horizon, x.contextLength, io);
  for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
  const bar = progressBar(io, 'lens');
  let lens;
  try {
    lens = await AttentionLens.computeChronos2(model, task, { predictionLength: horizon, groupAttention: a.groupAttention, signal: io.signal, onProgress: bar.onProgress });
  } finally {
    bar.done();
  }
  const Pc = lens.contextPatches;
  const q = { layer: a.layer, head: a.head, topK: a.topK };
  let rows: LensResult[];
  let group: GroupLensResult;
  if (a.step !== undefined) {
    if (a.step >= lens.forecastSteps) throw new ChronosLensError('BAD_INPUT', `--step ${a.step} is outside the first forward pass (0..${lens.forecastSteps - 1}); past it the pipeline rolls the forecast out with new contexts`);
    rows = lens.series.map((_, i) => lens.timeLens(i).crossAt(a.step!, q));
    group = lens.groupAtStep(a.step, { layer: a.layer });
  } else {
    const p = a.position! < 0 ? Pc + a.position! : a.position!;
    if (p < 0 || p >= Pc) throw new ChronosLensError('BAD_INPUT', `--position ${a.position} is outside the ${Pc} patches (0..${Pc - 1}, or -${Pc}..-1)`);
    rows = lens.series.map((_, i) => lens.timeLens(i).rowsAt(p, q));
    group = lens.groupAt(p, { layer: a.layer });
  }
  if (a.head !== undefined) group.matrices = group.matrices.map((m) => m.map((h, k) => (k === a.head ? h : [])));
  // data rows of a patch (the left padding of patch 0 has none); the CSV's rows are the last context_length
  const firstRow = targets[0].firstRow;
  const span = (p: number) => {
    const [first, last] = lens.spanOf(p);
    return [Math.max(first, 0) + firstRow, last + firstRow];
  };
  if (a.json) {
    printJson(io, {
      file: path.resolve(a.file),
      family: model.family,
      patch: { size: lens.patchSize, stride: lens.patchSize },
      patches: Array.from({ length: Pc }, (_, p) => span(p)),
      forecastSteps: lens.forecastSteps,
      groupAttention: a.groupAttention,
      series: lens.series.map((s, i) => ({ ...s, lens: rows[i] })),
      group,
    });
    return 0;
  }
  const [r0, r1] = span(Pc - 1);
  const names = lens.series.map((s) => s.name);
  const out = [
    `${model.name} · ${path.basename(a.file)} · ${lens.series.map((s) => `${s.name} (${s.role})`).join(', ')} · ${Pc} patches of ${lens.patchSize} values, the last = data rows ${r0}..${r1}`,
    a.step !== undefined ? `forecast step ${a.step}: time attention of its output-patch token (token ${group.token}) over the context patches` : `patch ${group.position} (data rows ${span(group.position).join('..')}): its time attention over the context patches`,
  ];
  const full = a.layer !== undefined && a.head !== undefined;
  rows.forEach((r, i) => {
    out.push('', `${names[i]}:`);
    for (let l = 0; l < r.rows.length; l++) {
      for (let h = 0; h < (r.rows[l]?.length ?? 0); h++) {
        const top = r.top[l][h];
        if (!top.length) continue;
        out.push(`  L${l}.H${h}  ${top.map((t) => `${t.position}:${t.weight.toFixed(3)}`).join('  ')}`);
        if (full) out.push(r.rows[l][h].map((w, p) => `    ${String(p).padStart(4)} ${w.toFixed(4)}  rows ${span(p).join('..')}`).join('\n'));
      }
    }
  });
  out.push('', `group attention at token ${group.token} (row reads column):`);
  const width = Math.max(6, ...names.map((s) => s.length));
  group.matrices.forEach((heads, l) =>
    heads.forEach((m, h) => {
      if (!m.length) return;
      out.push(`  L${l}.H${h}  ${''.padEnd(width)} ${names.map((s) => s.padStart(width)).join(' ')}`);
      m.forEach((row, i) => out.push(`        ${names[i].padEnd(width)} ${row.map((w) => w.toFixed(3).padStart(width)).join(' ')}`));
    }),
  );
  io.stdout.write(out.join('\n') + '\n');
  return 0;
}
