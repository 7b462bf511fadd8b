/**
 * chronos-lens forecast FILE.csv [--column NAME] [--model DIR] [--prediction-length N] [--samples N]
 *   [--seed N] [--quantiles 0.1,0.5,0.9] [--temperature X] [--top-k N] [--top-p X] [--json]
 *   Chronos-2: [--columns A,B] [--covariates X,Y] [--future-covariates FILE2.csv] [--no-group-attention]
 */
import * as path from 'node:path';
import { readCsvFile, nextTimestamps } from '../../core/csv';
import type { CsvSeries } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { BOUNDS } from '../../core/limits';
import { forecast } from '../../analysis/forecast';
import { forecastBolt } from '../../analysis/forecast/bolt';
import { forecastChronos2 } from '../../analysis/forecast/chronos2';
import { Forecast } from '../../analysis/forecast/forecast';
import { forecastJson, forecastResult } from '../../analysis/forecast/result';
import { Chronos2Model } from '../../models/chronos2/model';
import { isBolt, isChronos2 } from '../../models/load';
import { Chronos2TaskFlags, chronos2TaskFromFlags } from './chronos2-task';
import { CliIO, flags, floatFlag, intFlag, loadModelFromFlags, MODEL_OPTIONS, parse, printJson, progressBar, strings } from '../common';

/** Sample values --samples-out prints at most: more would not fit in one JSON string. */
const MAX_PRINTED_SAMPLES = 5_000_000;

export const usage = `chronos-lens forecast FILE.csv [options]

Forecasts the last values of a CSV column with a Chronos model, as chronos-forecasting's
ChronosPipeline.predict does (sample paths, quantiles, mean); a Chronos-Bolt model's quantiles come
from its quantile head as ChronosBoltPipeline.predict_quantiles gives them (its own levels by
default; no sampling, so --samples, --seed, --temperature, --top-k, --top-p and --samples-out do not apply).
A Chronos-2 model forecasts as Chronos2Pipeline.predict_quantiles does (its own 21 levels by default, no
sampling either): several target columns jointly (--columns), with covariates known over the context
(--covariates) and, for those a second CSV has columns for, over the horizon (--future-covariates).

Options:
  --column NAME|INDEX       value column (default: the first numeric column that is not an index)
  --model DIR|OWNER/NAME    checkpoint folder, or a hub id from the Hugging Face cache (default: the bundled
                            chronos-t5-nano); --download fetches a hub id, --revision R picks its revision;
                            or a LoRA adapter folder of a Chronos-2 model (adapter_config.json), merged at load
  --base DIR|OWNER/NAME     the base model of a LoRA adapter (default: its base_model_name_or_path)
  --prediction-length N     steps to forecast (default: the model's prediction_length)
  --samples N               sample paths (default: the model's num_samples, 20)
  --seed N                  random seed (default 0)
  --quantiles LIST          quantile levels (default 0.1,0.2,...,0.9)
  --temperature X --top-k N --top-p X   sampling (default: the model's)
  --samples-out             include every sample path in the JSON
  --columns A,B,...         Chronos-2: target columns forecast jointly (one group)
  --covariates X,Y,...      Chronos-2: covariate columns of FILE.csv the targets may read from
  --future-covariates F.csv Chronos-2: their values over the horizon (rows from the first forecast step on;
                            a covariate with a column there is known-future, the others past-only)
  --no-group-attention      Chronos-2: every series alone (no cross-series attention)
  --provider auto|cpu|cuda|dml|coreml|webgpu   execution provider (default auto)
  --threads N               intra-op threads, at most 4 per core (default, or 0: one per core)
  --json                    print one JSON object instead of a table
  --debug                   print stack traces on errors`;

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...MODEL_OPTIONS,
    ...strings('column', 'prediction-length', 'samples', 'seed', 'quantiles', 'temperature', 'top-k', 'top-p'),
    'samples-out': { type: 'boolean' },
    ...strings('columns', 'covariates', 'future-covariates'),
    ...flags('no-group-attention', 'json'),
  });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', `forecast takes one CSV file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  const file = positionals[0];
  const levels = values.quantiles === undefined ? undefined : values.quantiles.split(',').map((q) => floatFlag(q, 'quantiles', 'quantileLevel')!);
  if (levels && levels.length > BOUNDS.quantileCount.max) throw new ChronosLensError('BAD_INPUT', `--quantiles lists ${levels.length} levels; at most ${BOUNDS.quantileCount.max}`);
  // every flag is checked before the model is resolved or loaded
  const predictionLength = intFlag(values['prediction-length'], 'prediction-length', 'predictionLength');
  const numSamples = intFlag(values.samples, 'samples', 'numSamples');
  const seed = intFlag(values.seed, 'seed', 'seed') ?? 0;
  const temperature = floatFlag(values.temperature, 'temperature', 'temperature');
  const topK = intFlag(values['top-k'], 'top-k', 'samplingTopK');
  const topP = floatFlag(values['top-p'], 'top-p', 'topP');
  const model = await loadModelFromFlags(values, io, { families: 'any' });
  try {
    const c2Flags = (['columns', 'covariates', 'future-covariates', 'no-group-attention'] as const).filter((k) => values[k] !== undefined);
    if (!isChronos2(model) && c2Flags.length) {
      throw new ChronosLensError('BAD_INPUT', `${c2Flags.map((k) => `--${k}`).join(', ')}: only for Chronos-2 models; ${model.name} is a ${isBolt(model) ? 'Chronos-Bolt' : 'Chronos-T5'} model, which forecasts one column (--column) alone`);
    }
    if (isChronos2(model)) {
      const given = (['samples', 'seed', 'temperature', 'top-k', 'top-p', 'samples-out'] as const).filter((k) => values[k] !== undefined);
      if (given.length) throw new ChronosLensError('BAD_INPUT', `${given.map((k) => `--${k}`).join(', ')}: meaningless for ${model.name}, a Chronos-2 model: it predicts its quantiles directly, with no sample paths; leave ${given.length > 1 ? 'them' : 'it'} out`);
      return await forecastWithChronos2(model, file, { ...values, levels, predictionLength }, io);
    }
    if (isBolt(model)) {
      const given = (['samples', 'seed', 'temperature', 'top-k', 'top-p', 'samples-out'] as const).filter((k) => values[k] !== undefined);
      if (given.length) throw new ChronosLensError('BAD_INPUT', `${given.map((k) => `--${k}`).join(', ')}: meaningless for ${model.name}, a Chronos-Bolt model: it predicts its quantiles directly, with no sample paths; leave ${given.length > 1 ? 'them' : 'it'} out`);
    }
    const cc = isBolt(model) ? { ...model.config.bolt, numSamples: 0 } : model.config.chronos;
    const column = values.column === undefined ? undefined : /^\d+$/.test(values.column) ? values.column : values.column;
    const printed = (numSamples ?? cc.numSamples) * (predictionLength ?? cc.predictionLength);
    if (values['samples-out'] && printed > MAX_PRINTED_SAMPLES) {
      throw new ChronosLensError('BAD_INPUT', `--samples-out would print ${printed} values (at most ${MAX_PRINTED_SAMPLES}); lower --samples or --prediction-length`);
    }
    const series = await readCsvFile(file, { column, tailRows: cc.contextLength, signal: io.signal });
    const bar = progressBar(io, 'forecast');
    let f;
    try {
      f = isBolt(model) ? await forecastBolt(model, series.values, { predictionLength, quantileLevels: levels, signal: io.signal, onProgress: bar.onProgress }) : await forecast(model, series.values, {
        predictionLength,
        numSamples,
        seed,
        quantileLevels: levels,
        temperature,
        topK,
        topP,
        signal: io.signal,
        onProgress: bar.onProgress,
      });
    } finally {
      bar.done();
    }
    const { timestamps, timestampNote } = forecastTimestamps(series, f.predictionLength);
    for (const w of [...series.warnings, ...f.warnings]) io.stderr.write(`warning: ${w}\n`);
    if (values.json) {
      const result = await forecastResult(model, f, {
        column: series.column,
        file: path.resolve(file),
        warnings: series.warnings,
        timestamps,
        samples: values['samples-out'],
        parameters: { file: path.resolve(file), column: series.column, contextRows: series.values.length },
      });
      printJson(io, forecastJson(result));
    } else {
      io.stdout.write(`${model.name} · ${series.column} · ${f.contextLengthUsed} context values · ${isBolt(model) ? 'quantile head' : `${f.numSamples} samples · seed ${seed}`}\n`);
      printTable(io, f, timestamps, timestampNote);
    }
    return 0;
  } finally {
    await model.dispose();
  }
}

function forecastTimestamps(series: CsvSeries, steps: number): { timestamps?: string[]; timestampNote?: string } {
  if (series.time?.kind !== 'timestamp') return {};
  const next = nextTimestamps(series.time.text, steps, series.time.yearOnly);
  return next.ok ? { timestamps: next.timestamps } : { timestampNote: next.reason };
}

function printTable(io: CliIO, f: Forecast, timestamps: string[] | undefined, timestampNote: string | undefined): void {
  const lv = f.quantileLevels;
  const head = ['step', ...(timestamps ? ['timestamp'] : []), ...lv.map((q) => `q${q}`), 'mean'];
  const rows = Array.from({ length: f.predictionLength }, (_, s) => [
    String(s + 1),
    ...(timestamps ? [timestamps[s]] : []),
    ...lv.map((_, j) => fmt(f.quantiles[j][s])),
    fmt(f.mean[s]),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || (timestamps && i === 1) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  io.stdout.write(line(head) + '\n' + rows.map(line).join('\n') + '\n');
  if (timestampNote) io.stdout.write(`(no forecast timestamps: ${timestampNote})\n`);
}

interface Chronos2Flags extends Chronos2TaskFlags {
  'no-group-attention'?: boolean;
  json?: boolean;
  levels?: number[];
  predictionLength?: number;
}

/**
 * A Chronos-2 forecast: the targets (--columns, or --column, or the first numeric column) forecast
 * jointly with their covariates; one target prints as every family's forecast does, several as
 * { model, series: [...] } with one entry per target.
 */
async function forecastWithChronos2(model: Chronos2Model, file: string, v: Chronos2Flags, io: CliIO): Promise<number> {
  const x = model.config.chronos2;
  const horizon = v.predictionLength ?? x.maxOutputPatches * x.patchSize;
  const { task, table, targets, warnings } = await chronos2TaskFromFlags(file, v, horizon, x.contextLength, io);
  const bar = progressBar(io, 'forecast');
  let fc;
  try {
    fc = await forecastChronos2(model, task, { predictionLength: v.predictionLength, quantileLevels: v.levels, groupAttention: v['no-group-attention'] ? false : true, signal: io.signal, onProgress: bar.onProgress });
  } finally {
    bar.done();
  }
  for (const w of [...warnings, ...fc.warnings]) io.stderr.write(`warning: ${w}\n`);
  const parameters = {
    file: path.resolve(file),
    columns: targets.map((t) => t.column),
    pastCovariates: (task.pastCovariates ?? []).map((c) => c.name),
    futureCovariates: (task.futureCovariates ?? []).map((c) => c.name),
    ...(v['future-covariates'] !== undefined ? { futureFile: path.resolve(v['future-covariates']) } : {}),
    groupAttention: !v['no-group-attention'],
    contextRows: table.rows.length,
  };
  const { timestamps, timestampNote } = forecastTimestamps(targets[0], horizon);
  const results = await Promise.all(
    fc.series.map((f, i) => forecastResult(model, f, { column: targets[i].column, file: path.resolve(file), warnings, timestamps, parameters: { ...parameters, column: targets[i].column } })),
  );
  if (v.json) {
    if (results.length === 1) printJson(io, forecastJson(results[0]));
    else {
      const jsons = results.map(forecastJson);
      const { model: m, file: fl, manifest, warnings: w } = jsons[0];
      printJson(io, {
        model: m,
        file: fl,
        past_covariates: parameters.pastCovariates,
        future_covariates: parameters.futureCovariates,
        series: jsons.map(({ model: _m, file: _f, manifest: _man, warnings: _w, ...rest }) => rest),
        warnings: w,
        manifest,
      });
    }
    return 0;
  }
  const covText = [...parameters.pastCovariates.map((c) => `${c} (past)`), ...parameters.futureCovariates.map((c) => `${c} (past and future)`)];
  fc.series.forEach((f, i) => {
    io.stdout.write(`${i ? '\n' : ''}${model.name} · ${f.column}${fc.series.length > 1 ? ` (jointly with ${fc.series.filter((_, j) => j !== i).map((s) => s.column).join(', ')})` : ''}${covText.length ? ` · covariates ${covText.join(', ')}` : ''} · ${f.contextLengthUsed} context values · quantile head${v['no-group-attention'] ? ' · group attention off' : ''}\n`);
    printTable(io, f, timestamps, timestampNote);
  });
  return 0;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
  return v.toFixed(a >= 100 ? 1 : 3);
}
