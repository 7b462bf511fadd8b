/**
 * The series view's and the CSV hover's analyses, computed once per document version and column, in
 * the background, cancellable:
 *
 *  - `SeriesDocuments` keeps one `DocumentSnapshot` per open document: the text of one version, its
 *    layout and column scans (core/csv/scan.ts), and per column and model a `ColumnAnalysis`. Asking for
 *    a newer version disposes the older snapshot, which aborts its analyses (a new version cancels the
 *    old computation); a different model (settings changed) aborts the analyses of the old one.
 *  - `ColumnAnalysis` runs, through the model manager (one job at a time, shown in the status bar):
 *    the attention lens of the context window (analysis/lens: every encoder layer and head, kept in
 *    memory so that hovers are answered without the model), the periodicity of the window and its
 *    heads, then the forecast and its cross-attention. Chronos-T5: sampled (analysis/forecast, 10–90 %
 *    quantiles), the decoder then teacher-forced with the forecast's median. Chronos-Bolt: the model's
 *    own quantile levels from its head (analysis/forecast/bolt.ts); its lens positions are patches and
 *    its one decoder token's cross-attention comes with the lens. Chronos-2: the column forecast jointly
 *    with the task chosen for the file (its fellow targets and covariates, `SeriesTask`) over
 *    CHRONOS2_VIEW_STEPS steps (analysis/forecast/chronos2.ts); the lens is the column's row of the
 *    task's Chronos2Lens (time attention over patches, a forecast step reading its output-patch token),
 *    and the group attention is answered from `chronos2Now`. Each result is a promise of its own, so
 *    the view can show each one as soon as it is ready.
 *
 * vscode-free. The engine is imported lazily (activation never loads it).
 */
import type { AttentionLens, Chronos2Lens } from '../../analysis/lens';
import type { Chronos2Task } from '../../analysis/forecast/chronos2';
import type { SeriesTask } from '../../protocol/series';
import type { ForecastResult, ModelSummary, PeriodicityResult } from '../../analysis/types';
import { CancelledError, ChronosLensError, errorMessage } from '../../core/errors';
import type { AnyModel } from '../../models/load';
import { csvLayout, layoutColumn, scanColumn, timeCells, type ColumnScan, type CsvLayout } from '../../core/csv/scan';

/** How the analyses reach the model (the controller's ModelManager.use, and its settings' key). */
export interface ModelRunner {
  use<T>(fn: (model: AnyModel) => Promise<T>, opts: { signal: AbortSignal; activity: string; interactive?: boolean }): Promise<T>;
  /** Identifies the model the settings name now: a different key means a different model. */
  key(): string;
}

/** Seed of the view's forecast (the CLI's default). */
export const FORECAST_SEED = 0;

/** Chronos-2's forecast horizon in the view (within max_output_patches x patch: no roll-out), in steps. */
export const CHRONOS2_VIEW_STEPS = 64;

/** The task a Chronos-2 model reads for `column`: the chosen one when it has the column as a target, else the column alone with the chosen covariates. */
export function taskFor(column: string, chosen: SeriesTask | undefined): SeriesTask {
  if (chosen?.targets.includes(column)) return { targets: chosen.targets, covariates: chosen.covariates.filter((c) => !chosen.targets.includes(c)) };
  return { targets: [column], covariates: (chosen?.covariates ?? []).filter((c) => c !== column) };
}

export function taskKey(t: SeriesTask | undefined): string {
  return t ? `${t.targets.join('\u0001')}\u0000${t.covariates.join('\u0001')}` : '';
}

export interface ColumnAnalysis {
  readonly column: string;
  readonly modelKey: string;
  /** Resolves once the model has loaded (before the attention is computed). */
  readonly model: Promise<ModelSummary>;
  /** The encoder attention of the context window; cross-attention rows are added with the forecast. */
  readonly lens: Promise<AttentionLens>;
  /** Undefined when no period stands out in the context. */
  readonly periodicity: Promise<PeriodicityResult | undefined>;
  /** Resolves after the lens has the forecast's cross-attention. */
  readonly forecast: Promise<ForecastResult>;
  /** The lens once computed (for synchronous hovers), else undefined. */
  readonly lensNow: AttentionLens | undefined;
  /** Chronos-2: the task's lens (group attention included), once computed. */
  readonly chronos2Now: Chronos2Lens | undefined;
  /** Chronos-2: the task read (absent for the other families, and until the model has loaded). */
  readonly task: SeriesTask | undefined;
  /** The task the user chose for the file when this analysis started (its identity with column and model). */
  readonly chosenKey: string;
  readonly modelNow: ModelSummary | undefined;
  readonly aborted: boolean;
  abort(): void;
}

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
  return { promise, resolve, reject };
}

class Analysis implements ColumnAnalysis {
  readonly #ac = new AbortController();
  readonly #model = deferred<ModelSummary>();
  readonly #lens = deferred<AttentionLens>();
  readonly #periodicity = deferred<PeriodicityResult | undefined>();
  readonly #forecast = deferred<ForecastResult>();
  lensNow: AttentionLens | undefined;
  chronos2Now: Chronos2Lens | undefined;
  task: SeriesTask | undefined;
  modelNow: ModelSummary | undefined;
  #c2task: Chronos2Task | undefined;

  constructor(
    readonly column: string,
    readonly modelKey: string,
    private readonly chosen: SeriesTask | undefined,
    private readonly snap: DocumentSnapshot,
    private readonly scan: ColumnScan,
    private readonly runner: ModelRunner,
    private readonly log?: (level: 'info' | 'warn' | 'error', m: string) => void,
  ) {
    void this.#run();
  }

  get model() {
    return this.#model.promise;
  }
  get lens() {
    return this.#lens.promise;
  }
  get periodicity() {
    return this.#periodicity.promise;
  }
  get forecast() {
    return this.#forecast.promise;
  }
  get aborted(): boolean {
    return this.#ac.signal.aborted;
  }
  get chosenKey(): string {
    return taskKey(this.chosen);
  }

  /** The columns of the task, each its last `n` values (scans of the same document: the same rows). */
  async #chronos2Task(n: number): Promise<Chronos2Task> {
    const task = taskFor(this.column, this.chosen);
    const window = async (c: string) => {
      const s = c === this.column ? this.scan : await this.snap.scan(c);
      return { name: s.column, values: s.values.subarray(Math.max(0, s.totalRows - n)) };
    };
    return { targets: await Promise.all(task.targets.map(window)), pastCovariates: await Promise.all(task.covariates.map(window)) };
  }

  abort(): void {
    if (!this.#ac.signal.aborted) this.#ac.abort(new CancelledError());
  }

  async #run(): Promise<void> {
    const signal = this.#ac.signal;
    const file = this.snap.file;
    const fail = (e: unknown, stages: { reject(e: unknown): void }[]) => {
      const err = signal.aborted ? new CancelledError() : e;
      for (const s of stages) s.reject(err);
    };
    let window: Float64Array | undefined;
    let lens: AttentionLens;
    try {
      const { AttentionLens } = await import('../../analysis/lens');
      const { modelSummary } = await import('../../analysis/common');
      const { isBolt, isChronos2 } = await import('../../models/load');
      lens = await this.runner.use(
        async (model) => {
          const summary = await modelSummary(model);
          if (isChronos2(model)) this.task = taskFor(this.column, this.chosen);
          this.modelNow = summary;
          this.#model.resolve(summary);
          window = this.scan.values.subarray(Math.max(0, this.scan.totalRows - summary.contextLength));
          if (isChronos2(model)) {
            const c2 = await this.#chronos2Task(summary.contextLength);
            this.#c2task = c2;
            const x = model.config.chronos2;
            const c2lens = await AttentionLens.computeChronos2(model, c2, { predictionLength: Math.min(CHRONOS2_VIEW_STEPS, x.maxOutputPatches * x.patchSize), signal });
            this.chronos2Now = c2lens;
            return c2lens.timeLens(c2lens.indexOf(this.column));
          }
          return isBolt(model) ? AttentionLens.computeBolt(model, window, { signal }) : AttentionLens.compute(model, window, { signal });
        },
        // the hovers wait on it: not behind a long job (an ablation, a mosaic)
        { signal, activity: `attention · ${file} · ${this.column}`, interactive: true },
      );
      if (signal.aborted) throw new CancelledError();
      this.lensNow = lens;
      this.#lens.resolve(lens);
    } catch (e) {
      fail(e, [this.#model, this.#lens, this.#periodicity, this.#forecast]);
      return;
    }
    try {
      const { periodicity } = await import('../../analysis/periodicity');
      this.#periodicity.resolve(periodicity(lens, window!, { signal }));
    } catch (e) {
      // No period stands out (or the context is too short): the view says so.
      if (signal.aborted) this.#periodicity.reject(new CancelledError());
      else this.#periodicity.resolve(undefined);
      if (!signal.aborted) this.log?.('info', `periodicity of ${file} · ${this.column}: ${errorMessage(e)}`);
    }
    try {
      this.#forecast.resolve(await this.#runForecast(lens, window!, signal));
    } catch (e) {
      fail(e, [this.#forecast]);
    }
  }

  async #runForecast(lens: AttentionLens, window: Float64Array, signal: AbortSignal): Promise<ForecastResult> {
    const { forecast } = await import('../../analysis/forecast');
    const { forecastBolt } = await import('../../analysis/forecast/bolt');
    const { forecastChronos2 } = await import('../../analysis/forecast/chronos2');
    const { forecastResult } = await import('../../analysis/forecast/result');
    const { isBolt, isChronos2 } = await import('../../models/load');
    const { nextTimestamps } = await import('../../core/csv');
    return this.runner.use(
      async (model) => {
        let f;
        if (isChronos2(model)) {
          // the joint forecast over the lens' horizon; this column's fan
          const x = model.config.chronos2;
          const task = this.#c2task;
          if (!task) throw new ChronosLensError('BAD_INPUT', 'the Chronos-2 task is not read yet');
          const fc = await forecastChronos2(model, task, { predictionLength: Math.min(CHRONOS2_VIEW_STEPS, x.maxOutputPatches * x.patchSize), signal });
          f = fc.series[task.targets.findIndex((t) => t.name === this.column)];
        } else if (isBolt(model)) {
          // The quantile head's own levels over the model's horizon; the lens already has the cross-attention of its one decoder token.
          f = await forecastBolt(model, window, { signal });
        } else {
          const cc = model.config.chronos;
          f = await forecast(model, window, { predictionLength: cc.predictionLength, numSamples: cc.numSamples, seed: FORECAST_SEED, signal });
          await lens.setForecast(model, { values: f.median }, { signal });
        }
        const task = this.task ? { columns: this.task.targets, pastCovariates: this.task.covariates } : {};
        const r = await forecastResult(model, f, { column: this.column, parameters: { file: this.snap.file, column: this.column, contextRows: window.length, ...task } });
        const layout = await this.snap.layout();
        if (layout.time?.kind === 'timestamp') {
          const tail = Array.from({ length: window.length }, (_, k) => this.scan.totalRows - window.length + k);
          const next = nextTimestamps(timeCells(this.snap.text, layout, this.scan, tail) ?? [], f.predictionLength, layout.time.yearOnly);
          if (next.ok) r.timestamps = next.timestamps;
        }
        return r;
      },
      { signal, activity: `forecast · ${this.snap.file} · ${this.column}` },
    );
  }
}

/** Columns with an analysis kept per snapshot (the least recently used beyond are aborted). */
const MAX_ANALYSES = 2;

/** One version of a document: its text and everything computed from it. */
export class DocumentSnapshot {
  #layout?: Promise<CsvLayout>;
  readonly #scans = new Map<string, Promise<ColumnScan>>();
  readonly #analyses: Analysis[] = [];
  readonly #ac = new AbortController();

  constructor(
    readonly uri: string,
    readonly version: number,
    readonly text: string,
    /** Display name, e.g. "AirPassengers.csv". */
    readonly file: string,
    private readonly log?: (level: 'info' | 'warn' | 'error', m: string) => void,
  ) {}

  get disposed(): boolean {
    return this.#ac.signal.aborted;
  }

  layout(): Promise<CsvLayout> {
    this.#layout ??= csvLayout(this.text, this.file);
    return this.#layout;
  }

  /** The scan of a numeric column (default: core/csv's default value column, not an index). */
  async scan(column?: string): Promise<ColumnScan> {
    const layout = await this.layout();
    const name = layoutColumn(layout, column).name;
    let p = this.#scans.get(name);
    if (!p) {
      p = scanColumn(this.text, layout, name, { signal: this.#ac.signal });
      this.#scans.set(name, p);
      p.catch(() => this.#scans.get(name) === p && this.#scans.delete(name));
    }
    return p;
  }

  /** The analysis of a column with a model, if one is running or done (nothing is started). */
  analysisNow(column: string, modelKey: string): ColumnAnalysis | undefined {
    return this.#analyses.find((a) => a.column === column && a.modelKey === modelKey && !a.aborted);
  }

  /**
   * The analysis of a scanned column with the runner's current model, started on first request;
   * `chosen`: the Chronos-2 task chosen for the file (read only by a Chronos-2 model).
   */
  analysis(scan: ColumnScan, runner: ModelRunner, chosen?: SeriesTask): ColumnAnalysis {
    if (this.disposed) throw new CancelledError();
    const key = runner.key();
    const ck = taskKey(chosen);
    // Another model, or another task chosen: the old analyses are of no further use.
    for (const a of this.#analyses.splice(0)) {
      if (a.modelKey === key && a.chosenKey === ck && !a.aborted) this.#analyses.push(a);
      else a.abort();
    }
    const i = this.#analyses.findIndex((a) => a.column === scan.column);
    if (i >= 0) {
      const [a] = this.#analyses.splice(i, 1);
      this.#analyses.push(a);
      return a;
    }
    const a = new Analysis(scan.column, key, chosen, this, scan, runner, this.log);
    this.#analyses.push(a);
    while (this.#analyses.length > MAX_ANALYSES) this.#analyses.shift()?.abort();
    return a;
  }

  dispose(): void {
    if (this.#ac.signal.aborted) return;
    this.#ac.abort(new CancelledError());
    for (const a of this.#analyses.splice(0)) a.abort();
  }
}

/** The current snapshot of each document (see the module comment). */
export class SeriesDocuments {
  readonly #docs = new Map<string, DocumentSnapshot>();

  constructor(private readonly log?: (level: 'info' | 'warn' | 'error', m: string) => void) {}

  /**
   * The snapshot of `uri` at `version` (made from `text()` when it is new); a snapshot of an older
   * version is disposed (its computations cancelled).
   */
  snapshot(uri: string, version: number, text: () => string, file: string): DocumentSnapshot {
    const cur = this.#docs.get(uri);
    if (cur && cur.version === version && !cur.disposed) return cur;
    if (cur && cur.version > version && !cur.disposed) return cur;
    cur?.dispose();
    const s = new DocumentSnapshot(uri, version, text(), file, this.log);
    this.#docs.set(uri, s);
    return s;
  }

  /** The current snapshot of a document, if any. */
  peek(uri: string): DocumentSnapshot | undefined {
    const s = this.#docs.get(uri);
    return s && !s.disposed ? s : undefined;
  }

  /** Forgets a document (closed), cancelling its work. */
  drop(uri: string): void {
    this.#docs.get(uri)?.dispose();
    this.#docs.delete(uri);
  }

  /** Documents with a snapshot. */
  get size(): number {
    return this.#docs.size;
  }

  dispose(): void {
    for (const s of this.#docs.values()) s.dispose();
    this.#docs.clear();
  }
}
