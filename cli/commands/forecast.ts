/**
 * chronos-lens forecast FILE.csv [--column NAME] [--model DIR] [--prediction-length N] [--samples N]
 *   [--seed N] [--quantiles 0.1,0.5,0.9] [--temperature X] [--top-k N] [--top-p X] [--json]
 */
import * as path from 'node:path';
import { readCsvFile, nextTimestamps } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { BOUNDS } from '../../core/limits';
import { forecast } from '../../analysis/forecast';
import { forecastBolt } from '../../analysis/forecast/bolt';
import { forecastJson, forecastResult } from '../../analysis/forecast/result';
import { isBolt } from '../../models/load';
import { CliIO, MODEL_OPTIONS, floatFlag, intFlag, loadModelFromFlags, parse, printJson, progressBar } from '../common';

/** Sample values --samples-out prints at most: more would not fit in one JSON string. */
const MAX_PRINTED_SAMPLES = 5_000_000;

export const usage = `chronos-lens forecast FILE.csv [options]

Forecasts the last values of a CSV column with a Chronos model, as chronos-forecasting's
ChronosPipeline.predict does (sample paths, quantiles, mean); a Chronos-Bolt model's quantiles come
from its quantile head as ChronosBoltPipeline.predict_quantiles gives them (its own levels by
default; no sampling, so --samples, --seed, --temperature, --top-k, --top-p and --samples-out do not apply).

Options:
  --column NAME|INDEX       value column (default: the first numeric column that is not an index)
  --model DIR|OWNER/NAME    checkpoint folder, or a hub id from the Hugging Face cache (default: the bundled
                            chronos-t5-nano); --download fetches a hub id, --revision R picks its revision
  --prediction-length N     steps to forecast (default: the model's prediction_length)
  --samples N               sample paths (default: the model's num_samples, 20)
  --seed N                  random seed (default 0)
  --quantiles LIST          quantile levels (default 0.1,0.2,...,0.9)
  --temperature X --top-k N --top-p X   sampling (default: the model's)
  --samples-out             include every sample path in the JSON
  --provider auto|cpu|cuda|dml|coreml|webgpu   execution provider (default auto)
  --threads N               intra-op threads, at most 4 per core (default, or 0: one per core)
  --json                    print one JSON object instead of a table
  --debug                   print stack traces on errors`;

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...MODEL_OPTIONS,
    column: { type: 'string' },
    'prediction-length': { type: 'string' },
    samples: { type: 'string' },
    seed: { type: 'string' },
    quantiles: { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    'samples-out': { type: 'boolean' },
    json: { type: 'boolean' },
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
    let timestamps: string[] | undefined;
    let timestampNote: string | undefined;
    if (series.time?.kind === 'timestamp') {
      const next = nextTimestamps(series.time.text, f.predictionLength, series.time.yearOnly);
      if (next.ok) timestamps = next.timestamps;
      else timestampNote = next.reason;
    }
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
      io.stdout.write(`${model.name} · ${series.column} · ${f.contextLengthUsed} context values · ${isBolt(model) ? 'quantile head' : `${f.numSamples} samples · seed ${seed}`}\n`);
      io.stdout.write(line(head) + '\n' + rows.map(line).join('\n') + '\n');
      if (timestampNote) io.stdout.write(`(no forecast timestamps: ${timestampNote})\n`);
    }
    return 0;
  } finally {
    await model.dispose();
  }
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
  return v.toFixed(a >= 100 ? 1 : 3);
}
