/**
 * The analyses the extension runs, as vscode-free functions over a loaded model: the induction mosaic
 * job (the reference protocol, reused from a small cache when the model and parameters are the same,
 * plus the data-driven variant on a column of a CSV), CSV loading and its column list (a file on disk, or the
 * unsaved text of an open editor), and the run log text. The analysis engine is imported lazily, so
 * loading this module never loads onnxruntime-node.
 */
import { ATTENTION_KINDS, type MosaicResult, type Manifest } from '../../analysis/types';
import type { CsvSeries } from '../../core/csv';
import { ChronosLensError, errorMessage, isCancelled } from '../../core/errors';
import type { RunControl } from '../../core/progress';
import type { AnyModel } from '../../models/load';
import type { BoltModel } from '../../models/bolt/model';
import type { ChronosModel } from '../../models/model';
import { mosaicParameters, type MosaicSettings } from './settings';

/** Where a CSV comes from: a file, or an editor's (possibly unsaved) text. */
export type CsvSource = { kind: 'file'; path: string; label?: string } | { kind: 'text'; text: string; label: string; path?: string };

export async function loadCsvSeries(src: CsvSource, opts: { column?: string | number; signal?: AbortSignal } = {}): Promise<CsvSeries> {
  const csv = await import('../../core/csv');
  if (src.kind === 'file') return csv.readCsvFile(src.path, { column: opts.column, fileLabel: src.label, signal: opts.signal });
  return csv.parseCsvText(src.text, { column: opts.column, fileLabel: src.label });
}

/**
 * The model of an editor analysis that Chronos-Bolt does not have in the editor yet (its forecast and
 * attention lens do): a Chronos-Bolt model is refused in one line naming the analysis and the way out.
 */
export async function t5Model(model: AnyModel, what: string): Promise<ChronosModel> {
  const { isBolt, isChronos2 } = await import('../../models/load');
  if (isBolt(model)) throw new ChronosLensError('UNSUPPORTED_MODEL', `${what} is not available in the editor for ${model.name}, a Chronos-Bolt model, yet; select a Chronos-T5 model (Chronos Lens: Select Model…) for it`);
  if (isChronos2(model)) throw new ChronosLensError('UNSUPPORTED_MODEL', `${what} is not available in the editor for ${model.name}, a Chronos-2 model, yet; select a Chronos-T5 model (Chronos Lens: Select Model…) for it`);
  return model;
}

/**
 * A CSV's columns for column pickers: every numeric one, those worth offering as values (index-like
 * ones left out: core/csv's valueColumns) and the one read when none is named (defaultValueColumn).
 */
export async function csvColumns(src: CsvSource, signal?: AbortSignal): Promise<{ numeric: string[]; values: string[]; fallback?: string }> {
  const csv = await import('../../core/csv');
  const table = src.kind === 'file' ? await csv.readCsvTable(src.path, { tailRows: 1, fileLabel: src.label, signal }) : csv.parseCsvTable(src.text, { tailRows: 1, fileLabel: src.label });
  return {
    numeric: table.columns.filter((c) => c.kind === 'numeric').map((c) => c.name),
    values: csv.valueColumns(table.columns).map((c) => c.name),
    fallback: csv.defaultValueColumn(table.columns)?.name,
  };
}

/** Reference mosaics by model hash and protocol parameters (they do not depend on the CSV). */
export class ReferenceCache {
  readonly #entries = new Map<string, MosaicResult>();
  constructor(private readonly max = 8) {}

  key(modelHash: string, m: MosaicSettings): string {
    return JSON.stringify([modelHash, mosaicParameters(m)]);
  }
  get(key: string): MosaicResult | undefined {
    const r = this.#entries.get(key);
    if (r) {
      this.#entries.delete(key);
      this.#entries.set(key, r);
    }
    return r;
  }
  set(key: string, r: MosaicResult): void {
    this.#entries.delete(key);
    this.#entries.set(key, r);
    while (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value as string);
  }
  clear(): void {
    this.#entries.clear();
  }
}

/** Wall time per ONNX run inside the extension host. */
export const CHUNK_MS = 100;

export interface MosaicJobResult {
  reference: MosaicResult;
  /** The reference came from the cache (same model and parameters as an earlier run). */
  referenceCached: boolean;
  /** The data-driven variant, when a series was given and it could run. */
  data?: MosaicResult;
  /** Why the data-driven variant did not run (too few windows, …). */
  dataError?: string;
  /** Chronos-Bolt: the sub-patch variant (random values with a period of one and a half patches), or why it did not run. */
  subPatch?: MosaicResult;
  subPatchError?: string;
}

/**
 * Runs the reference protocol (random tokens) and, with `series`, the data-driven variant on the same
 * parameters. Progress: the reference and the data-driven variant share the range equally. A failure of
 * the data-driven variant alone is reported in `dataError`; cancellation always rejects.
 */
export async function runMosaicJob(
  model: AnyModel,
  settings: MosaicSettings,
  series: CsvSeries | undefined,
  control: RunControl & { cache?: ReferenceCache; chunkMs?: number },
): Promise<MosaicJobResult> {
  const { isBolt } = await import('../../models/load');
  if (isBolt(model)) return runPatchMosaicJob(model, settings, series, control);
  const t5 = await t5Model(model, 'the induction mosaic');
  const { runMosaic } = await import('../../analysis/mosaic');
  const { subProgress } = await import('../../core/progress');
  // Short ONNX runs: the runtime computes on the extension host's thread, so each chunk is a pause
  // for other extensions (and the cancel check comes between chunks).
  const params = { ...mosaicParameters(settings), chunkMs: control.chunkMs ?? CHUNK_MS };
  const withData = !!series && settings.dataDriven;
  const split = withData ? 0.5 : 1;
  const key = control.cache ? control.cache.key(await t5.hash(), settings) : undefined;
  let reference = key ? control.cache!.get(key) : undefined;
  const referenceCached = !!reference;
  if (!reference) {
    const onProgress = subProgress(control.onProgress, 0, split);
    reference = await runMosaic(t5, { ...params, signal: control.signal, onProgress: onProgress && ((u) => onProgress({ ...u, message: `reference protocol: ${u.message ?? ''}`.trim() })) });
    if (key) control.cache!.set(key, reference);
  }
  const out: MosaicJobResult = { reference, referenceCached };
  if (withData && series) {
    const onProgress = subProgress(control.onProgress, split, 1);
    try {
      out.data = await runMosaic(t5, {
        ...params,
        series: { values: series.values, file: series.file, column: series.column },
        signal: control.signal,
        onProgress: onProgress && ((u) => onProgress({ ...u, message: `${series.file}: ${u.message ?? ''}`.trim() })),
      });
    } catch (e) {
      if (isCancelled(e)) throw e;
      out.dataError = errorMessage(e);
    }
  }
  control.onProgress?.({ fraction: 1 });
  return out;
}

/**
 * The Chronos-Bolt mosaics (docs/patch-mosaic.md) on the mosaic settings read in patches: the reference
 * protocol (seqLen random patches, repeats, subExtension patches), the sub-patch variant (a period of one
 * and a half patches, repeated to about the reference's context) and, with `series`, the data-driven
 * variant (windows of seqLen patches). Kinds: cross and encoder (Bolt's decoder token sees only itself).
 * The reference is cached as the T5 one; the two variants' failures are reported, not thrown.
 */
async function runPatchMosaicJob(model: BoltModel, settings: MosaicSettings, series: CsvSeries | undefined, control: RunControl & { cache?: ReferenceCache; chunkMs?: number }): Promise<MosaicJobResult> {
  const { PATCH_MOSAIC_KINDS, runPatchMosaic } = await import('../../analysis/patch-mosaic');
  const { subProgress } = await import('../../core/progress');
  const kinds = settings.kinds.filter((k) => PATCH_MOSAIC_KINDS.includes(k));
  if (kinds.length === 0) throw new ChronosLensError('BAD_INPUT', `${model.name} is a Chronos-Bolt model, which has cross and encoder mosaics only (its one decoder token attends to itself); add cross or encoder to chronosLens.mosaic.kinds`);
  const P = model.config.bolt.inputPatchSize;
  const params = { kinds, batch: settings.batch, patchesPerRepeat: settings.seqLen, repeats: settings.repeats, subExtension: settings.subExtension, seed: settings.seed, threshold: settings.threshold, chunkMs: control.chunkMs ?? CHUNK_MS };
  const withData = !!series && settings.dataDriven;
  const steps = withData ? 3 : 2;
  const step = (i: number, label: string) => {
    const onProgress = subProgress(control.onProgress, i / steps, (i + 1) / steps);
    return { signal: control.signal, onProgress: onProgress && ((u: { fraction?: number; message?: string }) => onProgress({ ...u, message: `${label}: ${u.message ?? ''}`.trim() })) };
  };
  const key = control.cache ? control.cache.key(await model.hash(), settings) : undefined;
  let reference = key ? control.cache!.get(key) : undefined;
  const referenceCached = !!reference;
  if (!reference) {
    reference = await runPatchMosaic(model, { ...params, ...step(0, 'reference protocol') });
    if (key) control.cache!.set(key, reference);
  }
  const out: MosaicJobResult = { reference, referenceCached };
  const period = Math.round(1.5 * P);
  try {
    out.subPatch = await runPatchMosaic(model, {
      ...params,
      patchesPerRepeat: undefined,
      period,
      repeats: Math.max(3, Math.floor((settings.seqLen * P * settings.repeats) / period)),
      subExtension: Math.min(settings.subExtension, Math.ceil(period / P) - 1),
      ...step(1, 'sub-patch protocol'),
    });
  } catch (e) {
    if (isCancelled(e)) throw e;
    out.subPatchError = errorMessage(e);
  }
  if (withData && series) {
    try {
      out.data = await runPatchMosaic(model, { ...params, series: { values: series.values, file: series.file, column: series.column }, ...step(2, series.file) });
    } catch (e) {
      if (isCancelled(e)) throw e;
      out.dataError = errorMessage(e);
    }
  }
  control.onProgress?.({ fraction: 1 });
  return out;
}

/** The lines the output channel gets for a finished run: a summary, then the manifest as JSON. */
export function runLogText(what: string, manifest: Manifest, extra: Record<string, unknown> = {}): string {
  return `${what}\n${JSON.stringify({ ...extra, manifest }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}`;
}

/** One line per kind: "cross 3/24 (12.5%) center 2 right 2". */
export function mosaicSummary(r: MosaicResult): string {
  const parts: string[] = [];
  for (const k of ATTENTION_KINDS) {
    const m = r[k];
    if (m) parts.push(`${k} ${m.counts.total}/${m.counts.heads} heads ≥ ${r.threshold} (${m.counts.percent.toFixed(1)}%; center ${m.counts.center}, right ${m.counts.right})`);
  }
  return parts.join('; ');
}
