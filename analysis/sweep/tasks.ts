/**
 * One sweep task on a loaded model: a reference or data-driven mosaic, an ablation (induction loss on
 * the reference protocol, forecast metrics on a CSV), forecast metrics alone, or the direct
 * attribution of one forecast step to the model's components. Results carry the
 * same manifests as the CLI's commands; runs are deterministic given the task (seeded batches,
 * seeded sampling), which is what lets a cluster run and a local run merge to the same atlas.
 */
import * as path from 'node:path';
import { readCsvFile } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { RunControl } from '../../core/progress';
import { ChronosModel } from '../../models/model';
import { runAblation, mase, mae, wql } from '../ablation';
import { AttributionResult, attribute } from '../causal/attribution';
import { makeManifest, modelSummary } from '../common';
import { DEFAULT_QUANTILE_LEVELS, forecast, quantileLinear } from '../forecast';
import { parseHeads, headGrid, topHeads } from '../heads';
import { runMosaic } from '../mosaic';
import { detectPeriods } from '../periodicity';
import { PROTOCOL_DEFAULTS } from '../tokens';
import { AblationResult, Manifest, ModelSummary, MosaicResult } from '../types';
import { PlannedDataset, TaskManifest } from './plan';

/** Forecast errors on the held-out tail of a CSV column (the "forecast metrics" analysis). */
export interface ForecastMetricsResult {
  model: ModelSummary;
  data: { file: string; column: string; heldOut: number; period: number };
  numSamples: number;
  seed: number;
  metrics: { mase: number; wql: number; mae_median: number };
  manifest: Manifest;
}

export type SweepAnalysisResult =
  | { type: 'mosaic'; result: MosaicResult }
  | { type: 'ablate'; result: AblationResult }
  | { type: 'forecast'; result: ForecastMetricsResult }
  | { type: 'attribute'; result: AttributionResult };

/** Per-shard memo: CSV columns read once, each model's reference mosaic (for ablate top-k) computed once. */
export class TaskContext {
  private readonly series = new Map<string, Promise<{ values: Float64Array; column: string }>>();
  private readonly mosaics = new Map<string, Promise<MosaicResult>>();

  readSeries(d: PlannedDataset, signal?: AbortSignal): Promise<{ values: Float64Array; column: string }> {
    const key = `${d.file}\0${d.column ?? ''}`;
    let p = this.series.get(key);
    if (!p) {
      p = readCsvFile(d.file!, { column: d.column, signal }).then((s) => ({ values: s.values, column: s.column }));
      this.series.set(key, p);
      p.catch(() => this.series.delete(key));
    }
    return p;
  }

  referenceMosaic(model: ChronosModel, key: string, ctl: RunControl): Promise<MosaicResult> {
    let p = this.mosaics.get(key);
    if (!p) {
      p = runMosaic(model, { kinds: ['cross'], signal: ctl.signal });
      this.mosaics.set(key, p);
      p.catch(() => this.mosaics.delete(key));
    }
    return p;
  }
}

async function forecastMetrics(model: ChronosModel, values: Float64Array, file: string, column: string, o: { heldOut?: number; samples?: number; period?: number; seed: number }, ctl: RunControl): Promise<ForecastMetricsResult> {
  const n = values.length;
  const H = o.heldOut ?? model.config.chronos.predictionLength;
  if (n - H < 2) throw new ChronosLensError('BAD_INPUT', `${file} column "${column}" has ${n} values; holding out ${H} leaves too little context (lower heldOut)`);
  const context = values.subarray(0, n - H);
  const actual = values.subarray(n - H);
  if (!actual.some((v) => Number.isFinite(v))) throw new ChronosLensError('BAD_INPUT', `${file} column "${column}": the ${H} held-out values are all missing`);
  const tail = context.subarray(Math.max(0, context.length - model.config.chronos.contextLength));
  const period = o.period ?? detectPeriods(tail)[0]?.period ?? 1;
  const f = await forecast(model, context, { predictionLength: H, numSamples: o.samples, seed: o.seed, quantileLevels: DEFAULT_QUANTILE_LEVELS, signal: ctl.signal, onProgress: ctl.onProgress });
  const median = Array.from({ length: H }, (_, t) => quantileLinear(f.samples.map((x) => x[t]), 0.5));
  const metrics = { mase: mase(actual, median, context, period), wql: wql(actual, f.quantiles, DEFAULT_QUANTILE_LEVELS), mae_median: mae(actual, median) };
  const data = { file, column, heldOut: H, period };
  return {
    model: await modelSummary(model),
    data,
    numSamples: f.numSamples,
    seed: o.seed,
    metrics,
    manifest: await makeManifest(model, 'forecast-metrics', { forecast: o.seed }, { ...data, numSamples: f.numSamples, quantileLevels: DEFAULT_QUANTILE_LEVELS }),
  };
}

/** Runs one task on its (already loaded) model. */
export async function runTask(model: ChronosModel, t: TaskManifest, ctx: TaskContext, ctl: RunControl = {}): Promise<SweepAnalysisResult> {
  const a = t.analysis;
  const d = t.dataset;
  const csv = d.kind === 'csv' ? await ctx.readSeries(d, ctl.signal) : undefined;
  const file = d.file ? path.basename(d.file) : '';
  switch (a.type) {
    case 'mosaic': {
      const result = await runMosaic(model, {
        kinds: a.kinds,
        batch: a.batch,
        seqLen: a.seqLen,
        repeats: a.repeats,
        subExtension: a.subExtension,
        vocab: csv ? undefined : a.vocab,
        threshold: a.threshold,
        seed: t.seed ?? PROTOCOL_DEFAULTS.seed,
        series: csv ? { values: csv.values, file, column: csv.column } : undefined,
        signal: ctl.signal,
        onProgress: ctl.onProgress,
      });
      return { type: 'mosaic', result };
    }
    case 'ablate': {
      const grid = headGrid(model.config);
      const heads = a.heads !== undefined ? parseHeads(a.heads, grid) : topHeads(await ctx.referenceMosaic(model, t.model.identity, ctl), a.top!, { kinds: ['cross'] });
      const result = await runAblation(model, {
        heads,
        method: a.method,
        controls: a.controls,
        controlSeed: t.seed ?? 0,
        induction: csv ? false : { batch: a.batch, seed: t.seed ?? PROTOCOL_DEFAULTS.seed },
        series: csv ? { values: csv.values, file, column: csv.column, heldOut: a.heldOut, numSamples: a.samples, seed: t.seed ?? 0 } : undefined,
        signal: ctl.signal,
        onProgress: ctl.onProgress,
      });
      return { type: 'ablate', result };
    }
    case 'forecast': {
      if (!csv) throw new ChronosLensError('BAD_INPUT', 'forecast metrics need a CSV dataset');
      const result = await forecastMetrics(model, csv.values, file, csv.column, { heldOut: a.heldOut, samples: a.samples, period: a.period, seed: t.seed ?? 0 }, ctl);
      return { type: 'forecast', result };
    }
    case 'attribute': {
      if (!csv) throw new ChronosLensError('BAD_INPUT', 'attribution needs a CSV dataset');
      const result = await attribute(model, { values: csv.values, label: `${file} column "${csv.column}"`, step: a.step, target: a.target, signal: ctl.signal, onProgress: ctl.onProgress });
      return { type: 'attribute', result };
    }
  }
}
