/**
 * chronos-lens lens FILE.csv --position I: the attention lens of the series view, headless. Encoder
 * self-attention rows of one context position (or, with --step S, the cross-attention of forecast step
 * S, the decoder teacher-forced with the median forecast), top-k positions and same-token positions;
 * optionally the periodicity of the context and of every encoder head.
 */
import * as path from 'node:path';
import { readCsvFile } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { forecast } from '../../analysis/forecast';
import { AttentionLens, checkLensSize } from '../../analysis/lens';
import { periodicity } from '../../analysis/periodicity';
import { LensResult } from '../../analysis/types';
import { periodicityText } from './periodicity-text';
import { CliIO, intFlag, loadModelFromFlags, MODEL_OPTIONS, parse, printJson, progressBar, strings } from '../common';
import { defaultModelDir } from '../paths';
import { isBolt, isChronos2 } from '../../models/load';
import { boltLens } from './lens-bolt';
import { chronos2Lens } from './lens-chronos2';

/** The lens names the forecast length by the step it asks for. */
export const flags: Record<string, string> = { predictionLength: '--step' };

export const usage = `chronos-lens lens FILE.csv --position I [options]

Attention of the model on the last context_length values of a CSV column: the encoder self-attention
row of context position I for every layer and head (or one), the top attended positions, and the
positions holding the same token as I and the ones after them (what an induction head looks at).

Options:
  --column NAME|INDEX    value column (default: the first numeric column that is not an index)
  --position I           context position, 0-based (negative counts from the end: --position=-1 is the last)
  --step S               instead: the cross-attention of forecast step S (0-based), with the decoder
                         teacher-forced on the median forecast
  --layer L --head H     only this layer / head (full rows are printed for a single head)
  --top K                top attended positions per head (default 5)
  --periodicity          also: the context's periods and per-head attention at lags k*period
  --period P             the period for --periodicity (default: the strongest detected)
  --samples N --seed N   forecast sampling for --step (default: the model's num_samples, seed 0)
  --model DIR            Chronos checkpoint folder (default: the bundled chronos-t5-nano)

Chronos-2 (positions are context patches; one forward pass over the targets and covariates, the
forecast's first): each series' time attention, and the group attention at the patch (or at the
output-patch token of --step S): per layer and head, how much each series reads from each other.
  --columns A,B,...      target columns, read jointly (default: --column, or the first numeric column)
  --covariates X,Y,...   covariate columns of FILE.csv
  --future-covariates F.csv  their values over the horizon (as for forecast)
  --prediction-length N  the horizon whose first forward pass is read (default: the model's)
  --no-group-attention   every series alone
  --json                 print {file, column, contextStart, lens, periodicity?} as JSON
                         (Chronos-2: {file, family, patch, patches, forecastSteps, series: [{name, role, lens}], group})
  --provider, --threads, --cache-dir, --no-cache, --debug   see chronos-lens --help`;

/** `values`: the kept rows; `offset`: kept index of context position 0; `firstRow`: data-row index of the first kept row. */
function lensText(r: LensResult, values: ArrayLike<number>, offset: number, firstRow: number, full: boolean): string {
  const at = (p: number) => `${p} (data row ${firstRow + offset + p}, value ${fmt(values[offset + p])}, token ${r.tokens[p]})`;
  const out = [
    r.kind === 'encoder' ? `encoder self-attention of context position ${at(r.position)}` : `cross-attention of forecast step ${r.position} over ${r.contextLength} context positions`,
    `same token at: ${r.sameToken.length ? r.sameToken.join(', ') : 'none'}; after them: ${r.nextToken.length ? r.nextToken.join(', ') : 'none'}`,
    '',
  ];
  for (let l = 0; l < r.rows.length; l++) {
    for (let h = 0; h < (r.rows[l]?.length ?? 0); h++) {
      const top = r.top[l][h];
      if (!top.length) continue;
      out.push(`L${l}.H${h}  ${top.map((t) => `${t.position}:${t.weight.toFixed(3)}`).join('  ')}`);
      if (full) out.push(r.rows[l][h].map((w, p) => `  ${String(p).padStart(4)} ${w.toFixed(4)}`).join('\n'));
    }
  }
  return out.join('\n') + '\n';
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return 'missing';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(6)));
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...MODEL_OPTIONS,
    ...strings('column', 'position', 'step', 'layer', 'head', 'top'),
    periodicity: { type: 'boolean' },
    ...strings('period', 'samples', 'seed', 'columns', 'covariates', 'future-covariates'),
    'no-group-attention': { type: 'boolean' },
    'prediction-length': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', `lens takes one CSV file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  const position = intFlag(values.position, 'position', 'position');
  const step = intFlag(values.step, 'step', 'step');
  if ((position === undefined) === (step === undefined)) throw new ChronosLensError('BAD_INPUT', 'give --position I (a context position) or --step S (a forecast step)');
  const layer = intFlag(values.layer, 'layer', 'layer');
  const head = intFlag(values.head, 'head', 'head');
  const topK = intFlag(values.top, 'top', 'lensTop');
  const period = intFlag(values.period, 'period', 'lensPeriod');
  if (period !== undefined && !values.periodicity) throw new ChronosLensError('BAD_INPUT', '--period goes with --periodicity');
  for (const f of ['samples', 'seed'] as const) if (values[f] !== undefined && step === undefined) throw new ChronosLensError('BAD_INPUT', `--${f} goes with --step (the forecast it teacher-forces the decoder with)`);
  const numSamples = intFlag(values.samples, 'samples', 'numSamples');
  const seed = intFlag(values.seed, 'seed', 'seed') ?? 0;
  const predictionLength = intFlag(values['prediction-length'], 'prediction-length', 'predictionLength');
  const file = positionals[0];
  const model = await loadModelFromFlags({ ...values, model: values.model ?? defaultModelDir() }, undefined, { families: 'any' });
  const c2Flags = (['columns', 'covariates', 'future-covariates', 'no-group-attention', 'prediction-length'] as const).filter((k) => values[k] !== undefined);
  if (!isChronos2(model) && c2Flags.length) {
    await model.dispose();
    throw new ChronosLensError('BAD_INPUT', `${c2Flags.map((k) => `--${k}`).join(', ')}: only for Chronos-2 models; ${model.name} is a ${isBolt(model) ? 'Chronos-Bolt' : 'Chronos-T5'} model, whose lens reads one column (--column)`);
  }
  if (isChronos2(model)) {
    try {
      const unsupported = (['samples', 'seed', 'periodicity', 'period'] as const).filter((k) => values[k] !== undefined).map((k) => `--${k}`);
      return await chronos2Lens(model, { file, column: values.column, columns: values.columns, covariates: values.covariates, 'future-covariates': values['future-covariates'], groupAttention: !values['no-group-attention'], predictionLength, position, step, layer, head, topK, json: values.json, unsupported }, io);
    } finally {
      await model.dispose();
    }
  }
  if (isBolt(model)) {
    try {
      const unsupported = (['samples', 'seed'] as const).filter((k) => values[k] !== undefined).map((k) => `--${k}`);
      return await boltLens(model, { file, column: values.column, position, step, layer, head, topK, json: values.json, periodicity: !!values.periodicity, period, unsupported }, io);
    } finally {
      await model.dispose();
    }
  }
  const bar = progressBar(io, 'lens');
  try {
    const cc = model.config.chronos;
    // the cross rows of --step are held for every step up to it: refuse before the forecast, not after
    if (step !== undefined) checkLensSize(model, cc.contextLength + 1, Math.max(step + 1, cc.predictionLength));
    const s = await readCsvFile(file, { column: values.column, tailRows: cc.contextLength, signal: io.signal });
    for (const w of s.warnings) io.stderr.write(`warning: ${w}\n`);
    const lens = await AttentionLens.compute(model, s.values, { signal: io.signal });
    const contextStart = lens.offset; // index into the kept rows
    let result: LensResult;
    if (step !== undefined) {
      const f = await forecast(model, s.values, { predictionLength: Math.max(step + 1, cc.predictionLength), numSamples, seed, signal: io.signal, onProgress: bar.onProgress });
      await lens.setForecast(model, { values: f.median }, { signal: io.signal });
      result = lens.crossAt(step, { layer, head, topK });
    } else {
      const p = position! < 0 ? lens.contextLength + position! : position!;
      if (p < 0 || p >= lens.contextLength) throw new ChronosLensError('BAD_INPUT', `--position ${position} is outside the context (0..${lens.contextLength - 1}, or -${lens.contextLength}..-1)`);
      result = lens.rowsAt(p, { layer, head, topK });
    }
    const per = values.periodicity ? periodicity(lens, s.values, { period, signal: io.signal }) : undefined;
    bar.done();
    if (values.json) {
      printJson(io, { file: path.resolve(file), column: s.column, contextStart: s.firstRow + contextStart, lens: result, ...(per ? { periodicity: per } : {}) });
    } else {
      io.stdout.write(`${model.name} · ${path.basename(file)} column "${s.column}" · context = data rows ${s.firstRow + contextStart}..${s.firstRow + contextStart + lens.contextLength - 1}\n`);
      io.stdout.write(lensText(result, s.values, contextStart, s.firstRow, layer !== undefined && head !== undefined));
      if (per) io.stdout.write(periodicityText(per));
    }
    return 0;
  } finally {
    bar.done();
    await model.dispose();
  }
}
