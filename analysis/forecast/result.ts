/**
 * The forecast as both adapters present it: `forecastResult` turns a forecast run of either family
 * (T5 sampling in ./forecast, Chronos-Bolt quantile head in ./bolt) into one ForecastResult, and
 * `forecastJson` is that result as the CLI's `forecast --json` prints it (snake_case keys).
 */
import { AnyModel, isBolt, isChronos2 } from '../../models/load';
import { builderVersion, makeManifest, modelSummary } from '../common';
import { ForecastResult } from '../types';
import { Forecast } from './forecast';

export interface ForecastResultOptions {
  column: string;
  /** The CSV the context came from, when it is a file on disk. */
  file?: string;
  /** Warnings about the input (e.g. the CSV's), listed before the forecast's own. */
  warnings?: string[];
  timestamps?: string[];
  /** Keep every sample path (T5 only: Bolt has none). */
  samples?: boolean;
  /** Stored in the manifest. */
  parameters?: Record<string, unknown>;
}

export async function forecastResult(model: AnyModel, f: Forecast, opts: ForecastResultOptions): Promise<ForecastResult> {
  const bolt = isBolt(model) || isChronos2(model);
  // Bolt and Chronos-2 do not sample: their manifest records no seed, which is how forecastJson tells the families apart
  const seeds: Record<string, number> = bolt ? {} : { sampling: f.seed };
  const r: ForecastResult = {
    model: await modelSummary(model),
    ...(opts.file !== undefined ? { file: opts.file } : {}),
    column: opts.column,
    contextLengthUsed: f.contextLengthUsed,
    predictionLength: f.predictionLength,
    numSamples: f.numSamples,
    seed: f.seed,
    quantileLevels: f.quantileLevels,
    quantiles: f.quantiles,
    mean: f.mean,
    median: f.median,
    warnings: [...(opts.warnings ?? []), ...f.warnings],
    manifest: await makeManifest(model, 'forecast', seeds, opts.parameters ?? {}, builderVersion(model)),
  };
  if (opts.timestamps) r.timestamps = opts.timestamps;
  if (opts.samples) r.samples = f.samples.map((s) => Array.from(s));
  return r;
}

/** The CLI's `forecast --json` object: its keys, in its order, are a published format. */
export function forecastJson(r: ForecastResult): Record<string, unknown> {
  const { model: _model, parameters: _parameters, ...manifest } = r.manifest;
  return {
    model: { name: r.model.name, path: r.model.path, hash: r.model.hash },
    file: r.file,
    column: r.column,
    context_length_used: r.contextLengthUsed,
    prediction_length: r.predictionLength,
    num_samples: r.numSamples,
    seed: 'sampling' in r.manifest.seeds ? r.seed : null,
    quantile_levels: r.quantileLevels,
    quantiles: r.quantiles,
    mean: r.mean,
    median: r.median,
    ...(r.timestamps ? { timestamps: r.timestamps } : {}),
    ...(r.samples ? { samples: r.samples } : {}),
    warnings: r.warnings,
    manifest,
  };
}
