/**
 * chronos-lens group-score: Chronos-2's group-attention score per head (analysis/group-score.ts,
 * docs/chronos2.md) on a CSV's columns, or on a synthetic pair where one series leads the other.
 */
import { ChronosLensError } from '../../core/errors';
import { groupScore, leadPairTask } from '../../analysis/group-score';
import { GroupScoreResult } from '../../analysis/types';
import { isChronos2 } from '../../models/load';
import { CliIO, MODEL_OPTIONS, intFlag, loadModelFromFlags, parse, printJson, progressBar, strings } from '../common';
import { chronos2TaskFromFlags } from './chronos2-task';

export const usage = `chronos-lens group-score [FILE.csv] --model DIR [options]

Chronos-2's group attention, head by head: for each series, its share of group attention on the OTHER
series of its group (1 - what it reads from itself), averaged over the context patches where it is
observed; a head's score is the mean over the series. Also each head's series x series matrix, averaged
over the same patches (row i: how much series i reads from series j). One forward pass, as the attention
lens runs it (the forecast's first pass over --prediction-length).

Options:
  --model DIR|OWNER/NAME     a Chronos-2 checkpoint (or a LoRA adapter folder, with --base)
  --columns A,B,...          target columns of FILE.csv, forecast jointly
  --covariates X,Y,...       covariate columns of FILE.csv
  --future-covariates F.csv  their values over the horizon (as for forecast)
  --prediction-length N      the horizon whose first forward pass is read (default: the model's)
  --synthetic-lead K         instead of FILE.csv: a synthetic pair, the "leader" K steps ahead of the
                             "follower" (the same seeded series shifted), both targets
  --length N                 values per synthetic series (default: the model's context, at most 512)
  --seed N                   seed of the synthetic series (default 0)
  --json                     print {model, file | synthetic, series, contextPatches, score, perSeries, matrix}
  --provider, --threads, --cache-dir, --no-cache, --debug   see chronos-lens --help`;

function text(r: GroupScoreResult, modelName: string, source: string): string {
  const H = r.heads;
  const head = Array.from({ length: H }, (_, h) => `H${h}`.padStart(7)).join('');
  const out = [`${modelName} · ${source} · ${r.series.map((s) => `${s.name} (${s.role})`).join(', ')} · ${r.contextPatches} context patches`, '', 'group-attention score: share on the other series, mean over series', `     ${head}`];
  r.score.forEach((row, l) => out.push(`L${String(l).padEnd(3)} ${row.map((v) => v.toFixed(3).padStart(7)).join('')}`));
  out.push('', 'per series (share on the others), by head');
  r.series.forEach((s, i) => {
    out.push(`  ${s.name}`);
    r.perSeries.forEach((byHead, l) => out.push(`    L${String(l).padEnd(3)} ${byHead.map((v) => v[i].toFixed(3).padStart(7)).join('')}`));
  });
  return out.join('\n') + '\n';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...MODEL_OPTIONS,
    ...strings('columns', 'covariates', 'future-covariates', 'prediction-length', 'synthetic-lead', 'length', 'seed'),
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  const lead = intFlag(values['synthetic-lead'], 'synthetic-lead', 'seriesLead');
  if (lead === undefined && positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', `group-score takes one CSV file (or --synthetic-lead K), got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  if (lead !== undefined) {
    const clash = [...positionals, ...(['columns', 'covariates', 'future-covariates'] as const).filter((k) => values[k] !== undefined).map((k) => `--${k}`)];
    if (clash.length) throw new ChronosLensError('BAD_INPUT', `--synthetic-lead makes its own pair of series; drop ${clash.join(', ')}`);
  } else {
    const synthOnly = (['length', 'seed'] as const).filter((k) => values[k] !== undefined).map((k) => `--${k}`);
    if (synthOnly.length) throw new ChronosLensError('BAD_INPUT', `${synthOnly.join(', ')}: only with --synthetic-lead`);
  }
  const predictionLength = intFlag(values['prediction-length'], 'prediction-length', 'predictionLength');
  const length = intFlag(values.length, 'length', 'seqLen');
  const seed = intFlag(values.seed, 'seed', 'seed');
  const model = await loadModelFromFlags(values, io, { families: 'any' });
  try {
    if (!isChronos2(model)) throw new ChronosLensError('UNSUPPORTED_MODEL', `${model.name} is not a Chronos-2 model; group attention is Chronos-2's (attention across the series of one task)`);
    const x = model.config.chronos2;
    const horizon = predictionLength ?? x.maxOutputPatches * x.patchSize;
    let task;
    let source: { file: string } | { synthetic: { lead: number; length: number; seed: number } };
    if (lead !== undefined) {
      const n = length ?? Math.min(x.contextLength, 512);
      task = leadPairTask({ length: n, lead, seed: seed ?? 0 });
      source = { synthetic: { lead, length: n, seed: seed ?? 0 } };
    } else {
      const r = await chronos2TaskFromFlags(positionals[0], values, horizon, x.contextLength, io);
      for (const w of r.warnings) io.stderr.write(`warning: ${w}\n`);
      task = r.task;
      source = { file: positionals[0] };
    }
    const bar = progressBar(io, 'group-score');
    let res: GroupScoreResult;
    try {
      res = await groupScore(model, task, { predictionLength: horizon, signal: io.signal, onProgress: bar.onProgress });
    } finally {
      bar.done();
    }
    if (values.json) printJson(io, { model: { name: model.name, hash: await model.hash() }, ...source, predictionLength: horizon, ...res });
    else io.stdout.write(text(res, model.name, 'file' in source ? source.file : `synthetic pair, leader ${source.synthetic.lead} steps ahead (${source.synthetic.length} values, seed ${source.synthetic.seed})`));
    return 0;
  } finally {
    await model.dispose();
  }
}
