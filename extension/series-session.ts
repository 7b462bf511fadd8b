/**
 * One series view page (SeriesSession): a ViewPanel (panels.ts) on a CSV document's custom editor
 * panel, which reads the document's current version (debounced after edits), posts what the page
 * draws, and answers its hover (lens) and zoom (range) requests from the document's analyses
 * (lib/series-analysis.ts). SeriesViews (series-view.ts) makes one per panel.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ForecastResult, HeadRef, ModelSummary, PeriodicityResult } from '../analysis/types';
import type { ColumnScan, CsvLayout } from '../core/csv/scan';
import { CancelledError, ChronosLensError, errorMessage, isCancelled } from '../core/errors';
import { BUNDLED_MODEL_NOTE, isBundledDir } from '../models/source';
import { seriesValidationContext, type HeadSelection, type InitSeriesMessage, type RequestMessage, type ValidationContext } from '../protocol';
import type { NotificationOf, RequestContext } from './lib/router';
import { taskFor, type ColumnAnalysis, type DocumentSnapshot } from './lib/series-analysis';
import type { SeriesTask } from '../protocol/series';
import { pickTask, rememberTask, rememberedTask, taskWithin } from './task-choice';
import { DEFAULT_CONTEXT_LENGTH, seriesPayload, seriesRange } from './lib/series-data';
import { lensResponse } from './lib/series-lens';
import { ViewPanel, type PanelDeps } from './panels';
import type { SeriesViews } from './series-view';

export const SERIES_VIEW_TYPE = 'chronosLens.series';
/** Edits are applied to the view this long after the last keystroke. */
export const REFRESH_DEBOUNCE_MS = 400;

export interface SeriesOpenOptions {
  head?: HeadRef;
  column?: string;
  /** Data row to hover (and pin). */
  row?: number;
}

/** What the in-host tests and scripts can see of an open series view. */
export interface SeriesViewInfo {
  uri: string;
  column?: string;
  ready: boolean;
  readyCount: number;
  /** Types of the messages posted to the page, oldest first (last 50). */
  posted: string[];
  version?: number;
  totalRows?: number;
  /** Points in the page's first message (the context window and the downsampled history). */
  points?: number;
  model?: string;
  lensReady: boolean;
  forecastReady: boolean;
  /** The model of the mosaic the page has for its induction scores. */
  mosaicModel?: string;
  /** What a page (re)loading now would show of the periodicity. */
  periodicity: 'computing' | 'none' | 'found';
  selection: HeadSelection;
  active: boolean;
}

export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A series view page: the host side every view has (ViewPanel) plus the document, its scan and analyses. */
export class SeriesSession extends ViewPanel<'series'> {
  column: string | undefined;
  selection: HeadSelection = { mode: 'head', layer: 0, head: 0 };
  snap: DocumentSnapshot | undefined;
  layout: CsvLayout | undefined;
  scan: ColumnScan | undefined;
  analysis: ColumnAnalysis | undefined;
  /** The last initSeries posted (re-posted when the page reloads), and what followed it. */
  init: InitSeriesMessage | undefined;
  /**
   * What the current analysis has delivered so far. Every initSeries carries it: a re-init (the model
   * arriving after the series was shown) can land after the periodicity or the forecast, and must not
   * send the page back to "computing…".
   */
  #delivered: { analysis: ColumnAnalysis; periodicity?: PeriodicityResult | null; forecast?: ForecastResult } | undefined;
  #focusRow: number | undefined;
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly views: SeriesViews,
    readonly document: vscode.TextDocument,
    panel: vscode.WebviewPanel,
    opts: SeriesOpenOptions,
  ) {
    const c = views.controller;
    // The custom editor's panel belongs to VS Code's editor: not among the Controller's panels.
    const deps: PanelDeps = { extensionUri: c.context.extensionUri, log: c.log, onActive: () => {}, onDispose: () => {} };
    super(deps, 'series', {
      viewType: SERIES_VIEW_TYPE,
      title: vscode.l10n.t('Series · {0}', path.basename(document.uri.path)),
      column: vscode.ViewColumn.Active,
      preserveFocus: false,
      given: { panel, keepTitle: true },
    });
    this.column = opts.column ?? views.columnFor(document.uri);
    this.selection = views.selectionFor(document.uri);
    if (opts.head) this.selection = { mode: 'head', layer: opts.head.layer, head: opts.head.head };
    this.#focusRow = opts.row;
    void this.refresh();
  }

  get uri(): string {
    return this.document.uri.toString();
  }

  protected showMessage(): InitSeriesMessage | undefined {
    return this.init;
  }

  protected override shown(): void {
    if (this.analysis?.lensNow && !this.init?.forecast) this.post({ type: 'busy', busy: true, message: vscode.l10n.t('Forecasting…') });
  }

  protected validationContext(): ValidationContext {
    return this.init ? seriesValidationContext(this.init.series, this.init.model) : {};
  }

  protected exportFolder(): vscode.Uri {
    return vscode.Uri.joinPath(this.document.uri, '..');
  }

  /** Applies options from outside (mosaic, hover link) to an open view. */
  apply(opts: SeriesOpenOptions): void {
    if (opts.head) {
      this.selection = { mode: 'head', layer: opts.head.layer, head: opts.head.head };
      this.views.rememberSelection(this.document.uri, this.selection);
      this.post({ type: 'setSelection', selection: this.selection });
    }
    if (opts.column && opts.column !== this.column) {
      this.column = opts.column;
      this.#focusRow = opts.row;
      void this.refresh();
      return;
    }
    if (opts.row !== undefined) this.post({ type: 'focusRow', row: opts.row });
  }

  /** The document changed: refresh once the edits pause. */
  scheduleRefresh(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh(), REFRESH_DEBOUNCE_MS);
  }

  /** Reads the document's current version and re-initialises the page; the analyses follow. Never rejects. */
  override async refresh(): Promise<void> {
    try {
      await this.#refresh();
    } catch (e) {
      if (isCancelled(e) || this.disposed) return;
      this.views.controller.log.error(`series view of ${path.basename(this.document.uri.path)}: ${errorMessage(e)}`);
      this.post({ type: 'busy', busy: false });
      this.post({ type: 'error', message: vscode.l10n.t('The series view failed: {0}', errorMessage(e)) });
    }
  }

  async #refresh(): Promise<void> {
    if (this.disposed) return;
    clearTimeout(this.#timer);
    const seq = ++this.#seq;
    const c = this.views.controller;
    const doc = this.document;
    const file = path.basename(doc.uri.path);
    const t0 = Date.now();
    let textMs = 0;
    const snap = this.views.docs.snapshot(
      this.uri,
      doc.version,
      () => {
        const t = Date.now();
        const text = doc.getText();
        textMs = Date.now() - t;
        return text;
      },
      file,
    );
    const slow = setTimeout(() => this.post({ type: 'busy', busy: true, message: vscode.l10n.t('Reading {0}…', file) }), 150);
    let layout: CsvLayout;
    let scan: ColumnScan;
    let t1 = 0;
    try {
      layout = await snap.layout();
      t1 = Date.now();
      try {
        scan = await snap.scan(this.column);
      } catch (e) {
        // A column that is gone (edited header): fall back to the default value column.
        if (this.column === undefined || isCancelled(e)) throw e;
        scan = await snap.scan(undefined);
      }
    } catch (e) {
      clearTimeout(slow);
      if (seq !== this.#seq || isCancelled(e)) return;
      this.post({ type: 'busy', busy: false });
      this.post({ type: 'error', message: vscode.l10n.t('{0} cannot be shown as a series: {1}', file, errorMessage(e)) });
      c.log.warn(`series view of ${file}: ${errorMessage(e)}`);
      return;
    }
    clearTimeout(slow);
    if (seq !== this.#seq || this.disposed) return;
    if (textMs) c.log.debug(`series view: ${file} v${doc.version} · ${scan.column}: ${scan.totalRows} rows (text ${textMs} ms, layout ${t1 - t0 - textMs} ms, scan ${Date.now() - t1} ms)`);
    this.snap = snap;
    this.layout = layout;
    this.scan = scan;
    this.column = scan.column;
    this.views.rememberColumn(doc.uri, scan.column);
    const analysis = snap.analysis(scan, this.views.runner, this.#chosenTask(layout));
    this.analysis = analysis;
    const summary = analysis.modelNow ?? this.views.summaryFor(analysis.modelKey);
    await this.#postInit(seq, summary, analysis);
    this.#follow(seq, analysis);
  }

  /** The Chronos-2 task remembered for the file, within its numeric columns now. */
  #chosenTask(layout: CsvLayout): SeriesTask | undefined {
    return taskWithin(rememberedTask(this.views.controller.context.workspaceState, this.document.uri), layout.numeric);
  }

  /** Asks for the Chronos-2 targets and covariates, remembers them for the file and shows the first target. */
  async #chooseTask(): Promise<void> {
    const layout = this.layout;
    const column = this.column;
    if (!layout || !column) return;
    const columns = layout.numeric;
    const current = this.analysis?.task ?? taskFor(column, this.#chosenTask(layout));
    const picked = await pickTask(this.document.uri, columns, current);
    if (!picked || this.disposed) return;
    await rememberTask(this.views.controller.context.workspaceState, this.document.uri, picked);
    if (!picked.targets.includes(column)) this.column = picked.targets[0];
    await this.refresh();
  }

  async #postInit(seq: number, model: ModelSummary | undefined, analysis: ColumnAnalysis): Promise<void> {
    const snap = this.snap;
    const layout = this.layout;
    const scan = this.scan;
    if (!snap || !layout || !scan) return;
    const series = await seriesPayload({ text: snap.text, layout, scan }, model?.contextLength ?? DEFAULT_CONTEXT_LENGTH, model?.patch);
    if (seq !== this.#seq || this.disposed) return;
    if (analysis.task) series.task = analysis.task;
    const m: InitSeriesMessage = { type: 'initSeries', series, selection: this.selection };
    // The model only when the lens will match it (its context window is the one drawn).
    if (model && analysis.modelNow) {
      m.model = model;
      if (isBundledDir(model.path, this.views.controller.context.extensionUri.fsPath)) m.modelNote = BUNDLED_MODEL_NOTE;
    }
    const mosaic = this.views.latestMosaic(m.model?.hash);
    if (mosaic) m.mosaic = mosaic;
    const done = this.#delivered?.analysis === analysis ? this.#delivered : undefined;
    if (done?.periodicity !== undefined) m.periodicity = done.periodicity;
    if (done?.forecast) m.forecast = done.forecast;
    this.init = m;
    this.post(m);
    if (this.#focusRow !== undefined && m.model) {
      this.post({ type: 'focusRow', row: this.#focusRow });
      this.#focusRow = undefined;
    }
  }

  #follow(seq: number, a: ColumnAnalysis): void {
    const file = path.basename(this.document.uri.path);
    const current = () => seq === this.#seq && !this.disposed && this.analysis === a;
    if (this.#delivered?.analysis !== a) this.#delivered = { analysis: a };
    const delivered = this.#delivered;
    if (!a.lensNow) this.post({ type: 'busy', busy: true, message: a.modelNow ? vscode.l10n.t('Computing attention…') : vscode.l10n.t('Loading the model and computing attention…') });
    a.model.then(
      async (summary) => {
        this.views.rememberSummary(a.modelKey, summary);
        if (!current()) return;
        if (!this.init?.model || this.init.model.hash !== summary.hash || this.init.series.context.end - this.init.series.context.start !== Math.min(summary.contextLength, this.init.series.totalRows)) {
          await this.#postInit(seq, summary, a);
        }
      },
      (e: unknown) => {
        if (!current() || isCancelled(e)) return;
        this.post({ type: 'busy', busy: false });
        this.post({ type: 'error', message: vscode.l10n.t('The attention of {0} could not be computed: {1}', file, errorMessage(e)), detail: vscode.l10n.t('Choose a model with “Chronos Lens: Select Model…”.') });
        this.views.controller.log.error(`series view of ${file}: ${errorMessage(e)}`);
      },
    );
    a.lens.then(
      () => {
        if (current()) this.post({ type: 'busy', busy: true, message: vscode.l10n.t('Forecasting…') });
      },
      () => undefined,
    );
    a.periodicity.then(
      (p) => {
        delivered.periodicity = p ?? null;
        if (!current() || !this.init) return;
        this.init = { ...this.init, periodicity: p ?? null };
        this.post({ type: 'setPeriodicity', periodicity: p ?? null });
      },
      () => undefined,
    );
    a.forecast.then(
      (f) => {
        delivered.forecast = f;
        if (!current() || !this.init) return;
        this.init = { ...this.init, forecast: f };
        this.post({ type: 'setForecast', forecast: f });
        this.post({ type: 'busy', busy: false });
      },
      (e: unknown) => {
        if (!current() || isCancelled(e)) return;
        this.post({ type: 'busy', busy: false });
        if (a.lensNow) {
          this.post({ type: 'error', message: vscode.l10n.t('The forecast of {0} failed: {1}', file, errorMessage(e)) });
          this.views.controller.log.error(`series view forecast of ${file}: ${errorMessage(e)}`);
        }
      },
    );
  }

  protected async handle(m: NotificationOf<'series'>): Promise<void> {
    switch (m.type) {
      case 'selectHead':
        this.selection = m.selection;
        this.views.rememberSelection(this.document.uri, m.selection);
        if (this.init) this.init = { ...this.init, selection: m.selection };
        return;
      case 'selectColumn':
        if (m.column === this.column) return;
        this.column = m.column;
        await this.refresh();
        return;
      case 'chooseTask':
        await this.#chooseTask();
        return;
      case 'revealRow': {
        const line = this.scan?.lines[m.row];
        if (line !== undefined) await revealLine(this.document.uri, line, this.panel.viewColumn);
        return;
      }
      case 'attributeStep':
        // The column on screen; the attribution reads the file as saved, like the palette command.
        await this.views.controller.causal.attributeStep(this.document.uri, this.init?.series.column ?? this.column, m.step);
        return;
      case 'selectModel':
        await vscode.commands.executeCommand('chronosLens.selectModel');
        return;
    }
  }

  protected override async handleRequest(m: Exclude<RequestMessage, { type: 'export' }>, ctx: RequestContext): Promise<unknown> {
    if (m.type === 'requestRange') {
      const snap = this.snap;
      const layout = this.layout;
      const scan = this.scan;
      if (!snap || !layout || !scan) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('the series is not loaded'));
      return seriesRange({ text: snap.text, layout, scan }, m.start, m.end, m.points);
    }
    const a = this.analysis;
    if (!a) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('no attention: the series is not loaded'));
    const lens = await abortable(a.lens, ctx.signal);
    if (m.kind === 'cross') await abortable(a.forecast, ctx.signal);
    if (ctx.signal.aborted || a.aborted) throw new CancelledError();
    return lensResponse(lens, m, a.chronos2Now);
  }

  info(): SeriesViewInfo {
    // what the page has of the column asked for (a column switch is under way until its initSeries)
    const shown = this.init?.series.column === this.column ? this.init : undefined;
    return {
      uri: this.uri,
      column: this.column,
      ready: this.ready,
      readyCount: this.readyCount,
      posted: [...this.posted],
      version: this.snap?.version,
      totalRows: this.scan?.totalRows,
      points: this.init?.series.index.length,
      model: this.analysis?.modelNow?.name,
      lensReady: !!this.analysis?.lensNow,
      forecastReady: !!shown?.forecast,
      mosaicModel: shown?.mosaic?.model.name,
      periodicity: shown?.periodicity === undefined ? 'computing' : shown.periodicity === null ? 'none' : 'found',
      selection: this.selection,
      active: this.panel.active,
    };
  }

  /** Stops serving the page; the panel stays (it is the editor's, closed by the user or VS Code). */
  override dispose(): void {
    clearTimeout(this.#timer);
    this.release();
  }
}

/** Reveals a line of a document in a text editor (the one showing it, else a new one beside). */
export async function revealLine(uri: vscode.Uri, line: number, besides?: vscode.ViewColumn): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const pos = new vscode.Position(Math.min(line, doc.lineCount - 1), 0);
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const range = new vscode.Range(pos, doc.lineAt(pos.line).range.end);
  const editor = await vscode.window.showTextDocument(doc, {
    viewColumn: visible?.viewColumn ?? (besides !== undefined ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active),
    preserveFocus: false,
    preview: false,
    selection: range,
  });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
