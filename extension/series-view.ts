/**
 * The series view in VS Code: a CustomTextEditorProvider for .csv / .tsv (offered as an
 * option; the text editor stays the default), also opened by Open Series View and the mosaic's
 * "Show this head on the series" (the Controller owns the SeriesViews), and the CSV text
 * editor's hover.
 *
 * The TextDocument is the source of truth: the view reads its text (unsaved edits included), never
 * writes to it, and refreshes (debounced) when it changes. Per document version and column the
 * analyses run once in the background (lib/series-analysis.ts: lens, periodicity, forecast,
 * cancelled by a newer version); the page gets the points it draws and, per hover, one point's
 * attention (lib/series-lens.ts). Each page is a ViewPanel (panels.ts), as the other views' are: a
 * PanelRouter validates everything it posts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isHeadRef } from '../analysis/heads';
import type { HeadRef, ModelSummary, MosaicResult } from '../analysis/types';
import { rowAtLine } from '../core/csv/lines';
import { cellAtChar, type ColumnScan, type CsvLayout } from '../core/csv/scan';
import { CancelledError, ChronosLensError, errorMessage, isCancelled } from '../core/errors';
import type { ChronosModel } from '../models/model';
import { seriesValidationContext, type HeadSelection, type InitSeriesMessage, type RequestMessage, type ValidationContext } from '../protocol';
import type { ExportablePanel } from './figure-export';
import type { NotificationOf, RequestContext } from './lib/router';
import { SeriesDocuments, type ColumnAnalysis, type DocumentSnapshot, type ModelRunner } from './lib/series-analysis';
import { DEFAULT_CONTEXT_LENGTH, seriesPayload, seriesRange } from './lib/series-data';
import { HOVER_COMMANDS, hoverMarkdown } from './lib/series-hover';
import { attendingHeads, lensResponse } from './lib/series-lens';
import type { ModelManager } from './lib/model-manager';
import { modelKey } from './lib/settings';
import { ViewPanel, type MosaicPanel, type PanelDeps } from './panels';
import { isCsvUri } from './ui';

/** What the series views need from the extension (the Controller provides it). */
export interface SeriesViewDeps {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly models: Pick<ModelManager<ChronosModel>, 'use' | 'settings' | 'current' | 'onDidChange'>;
  /** The most recently shown mosaic panel (its scores go to the views of the same model). */
  latestMosaic(): MosaicPanel | undefined;
  /** Called after Compute Induction Mosaic has opened its panels. */
  onDidComputeMosaic(listener: () => void): vscode.Disposable;
}

export const SERIES_VIEW_TYPE = 'chronosLens.series';
/** Edits are applied to the view this long after the last keystroke. */
export const REFRESH_DEBOUNCE_MS = 400;
/** How long the text editor hover waits for attention that is still being computed. */
export const HOVER_WAIT_MS = 5000;

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
  selection: HeadSelection;
  active: boolean;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
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
class SeriesSession extends ViewPanel<'series'> {
  column: string | undefined;
  selection: HeadSelection = { mode: 'head', layer: 0, head: 0 };
  snap: DocumentSnapshot | undefined;
  layout: CsvLayout | undefined;
  scan: ColumnScan | undefined;
  analysis: ColumnAnalysis | undefined;
  /** The last initSeries posted (re-posted when the page reloads), and what followed it. */
  init: InitSeriesMessage | undefined;
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
      title: `Series · ${path.basename(document.uri.path)}`,
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
    if (this.analysis?.lensNow && !this.init?.forecast) this.post({ type: 'busy', busy: true, message: 'Forecasting…' });
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
      this.post({ type: 'error', message: `The series view failed: ${errorMessage(e)}` });
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
    const slow = setTimeout(() => this.post({ type: 'busy', busy: true, message: `Reading ${file}…` }), 150);
    let layout: CsvLayout;
    let scan: ColumnScan;
    let t1 = 0;
    try {
      layout = await snap.layout();
      t1 = Date.now();
      try {
        scan = await snap.scan(this.column);
      } catch (e) {
        // A column that is gone (edited header): fall back to the first numeric one.
        if (this.column === undefined || isCancelled(e)) throw e;
        scan = await snap.scan(undefined);
      }
    } catch (e) {
      clearTimeout(slow);
      if (seq !== this.#seq || isCancelled(e)) return;
      this.post({ type: 'busy', busy: false });
      this.post({ type: 'error', message: `${file} cannot be shown as a series: ${errorMessage(e)}` });
      c.log.warn(`series view of ${file}: ${errorMessage(e)}`);
      return;
    }
    clearTimeout(slow);
    if (seq !== this.#seq || this.disposed) return;
    if (textMs) c.log.info(`series view: ${file} v${doc.version} · ${scan.column}: ${scan.totalRows} rows (text ${textMs} ms, layout ${t1 - t0 - textMs} ms, scan ${Date.now() - t1} ms)`);
    this.snap = snap;
    this.layout = layout;
    this.scan = scan;
    this.column = scan.column;
    this.views.rememberColumn(doc.uri, scan.column);
    const analysis = snap.analysis(scan, this.views.runner);
    this.analysis = analysis;
    const summary = analysis.modelNow ?? this.views.summaryFor(analysis.modelKey);
    await this.#postInit(seq, summary, analysis);
    this.#follow(seq, analysis);
  }

  async #postInit(seq: number, model: ModelSummary | undefined, analysis: ColumnAnalysis): Promise<void> {
    const snap = this.snap;
    const layout = this.layout;
    const scan = this.scan;
    if (!snap || !layout || !scan) return;
    const series = await seriesPayload({ text: snap.text, layout, scan }, model?.contextLength ?? DEFAULT_CONTEXT_LENGTH);
    if (seq !== this.#seq || this.disposed) return;
    const m: InitSeriesMessage = { type: 'initSeries', series, selection: this.selection };
    // The model only when the lens will match it (its context window is the one drawn).
    if (model && analysis.modelNow) m.model = model;
    const mosaic = this.views.latestMosaic();
    if (mosaic) m.mosaic = mosaic;
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
    if (!a.lensNow) this.post({ type: 'busy', busy: true, message: a.modelNow ? 'Computing attention…' : 'Loading the model and computing attention…' });
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
        this.post({ type: 'error', message: `The attention of ${file} could not be computed: ${errorMessage(e)}`, detail: 'Choose a model with “Chronos Lens: Select Model…”.' });
        this.views.controller.log.error(`series view of ${file}: ${errorMessage(e)}`);
      },
    );
    a.lens.then(
      () => {
        if (current()) this.post({ type: 'busy', busy: true, message: 'Forecasting…' });
      },
      () => undefined,
    );
    a.periodicity.then(
      (p) => {
        if (!current() || !this.init) return;
        this.init = { ...this.init, periodicity: p ?? undefined };
        this.post({ type: 'setPeriodicity', periodicity: p ?? null });
      },
      () => undefined,
    );
    a.forecast.then(
      (f) => {
        if (!current() || !this.init) return;
        this.init = { ...this.init, forecast: f };
        this.post({ type: 'setForecast', forecast: f });
        this.post({ type: 'busy', busy: false });
      },
      (e: unknown) => {
        if (!current() || isCancelled(e)) return;
        this.post({ type: 'busy', busy: false });
        if (a.lensNow) {
          this.post({ type: 'error', message: `The forecast of ${file} failed: ${errorMessage(e)}` });
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
      case 'revealRow': {
        const line = this.scan?.lines[m.row];
        if (line !== undefined) await revealLine(this.document.uri, line, this.panel.viewColumn);
        return;
      }
    }
  }

  protected override async handleRequest(m: Exclude<RequestMessage, { type: 'export' }>, ctx: RequestContext): Promise<unknown> {
    if (m.type === 'requestRange') {
      const snap = this.snap;
      const layout = this.layout;
      const scan = this.scan;
      if (!snap || !layout || !scan) throw new ChronosLensError('BAD_INPUT', 'the series is not loaded');
      return seriesRange({ text: snap.text, layout, scan }, m.start, m.end, m.points);
    }
    const a = this.analysis;
    if (!a) throw new ChronosLensError('BAD_INPUT', 'no attention: the series is not loaded');
    const lens = await abortable(a.lens, ctx.signal);
    if (m.kind === 'cross') await abortable(a.forecast, ctx.signal);
    if (ctx.signal.aborted || a.aborted) throw new CancelledError();
    return lensResponse(lens, m);
  }

  info(): SeriesViewInfo {
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
      forecastReady: !!this.init?.forecast,
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
async function revealLine(uri: vscode.Uri, line: number, besides?: vscode.ViewColumn): Promise<void> {
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

export class SeriesViews implements vscode.CustomTextEditorProvider, vscode.HoverProvider, vscode.Disposable {
  readonly docs: SeriesDocuments;
  readonly runner: ModelRunner;
  readonly sessions = new Set<SeriesSession>();
  readonly #pending = new Map<string, SeriesOpenOptions>();
  readonly #summaries = new Map<string, ModelSummary>();
  readonly #columns = new Map<string, string>();
  readonly #selections = new Map<string, HeadSelection>();
  readonly #subscriptions: vscode.Disposable[] = [];
  #modelKey: string;

  constructor(readonly controller: SeriesViewDeps) {
    this.docs = new SeriesDocuments((level, m) => controller.log[level](m));
    this.runner = {
      use: (fn, o) => controller.models.use(fn, { signal: o.signal, activity: o.activity }),
      key: () => modelKey(controller.models.settings),
    };
    this.#modelKey = this.runner.key();
  }

  /** Registers the custom editor, the hover provider and the internal commands. */
  static register(controller: SeriesViewDeps): SeriesViews {
    const v = new SeriesViews(controller);
    const ctx = controller.context;
    ctx.subscriptions.push(
      v,
      vscode.window.registerCustomEditorProvider(SERIES_VIEW_TYPE, v, { supportsMultipleEditorsPerDocument: true, webviewOptions: { retainContextWhenHidden: false } }),
      vscode.languages.registerHoverProvider(
        [
          { scheme: 'file', pattern: '**/*.{csv,tsv,CSV,TSV}' },
          { scheme: 'untitled', language: 'csv' },
          { scheme: 'vscode-remote', pattern: '**/*.{csv,tsv,CSV,TSV}' },
        ],
        v,
      ),
      vscode.commands.registerCommand(HOVER_COMMANDS.revealLine, (arg: unknown) => v.#revealCommand(arg)),
      vscode.commands.registerCommand(HOVER_COMMANDS.openAt, (arg: unknown) => v.#openAtCommand(arg)),
      controller.onDidComputeMosaic(() => v.#mosaicChanged()),
    );
    v.#subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        for (const s of v.sessions) if (s.uri === e.document.uri.toString()) s.scheduleRefresh();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        const key = d.uri.toString();
        if (![...v.sessions].some((s) => s.uri === key)) v.docs.drop(key);
      }),
    );
    controller.models.onDidChange(() => {
      const key = v.runner.key();
      if (key === v.#modelKey) return;
      v.#modelKey = key;
      // Another model: new analyses (the old ones are cancelled when asked again).
      for (const s of v.sessions) void s.refresh();
    });
    return v;
  }

  // --- state remembered per document ----------------------------------------------------------

  columnFor(uri: vscode.Uri): string | undefined {
    return this.#columns.get(uri.toString());
  }
  rememberColumn(uri: vscode.Uri, column: string): void {
    this.#columns.set(uri.toString(), column);
  }
  selectionFor(uri: vscode.Uri): HeadSelection {
    return this.#selections.get(uri.toString()) ?? { mode: 'head', layer: 0, head: 0 };
  }
  rememberSelection(uri: vscode.Uri, sel: HeadSelection): void {
    this.#selections.set(uri.toString(), sel);
  }
  summaryFor(key: string): ModelSummary | undefined {
    return this.#summaries.get(key);
  }
  rememberSummary(key: string, s: ModelSummary): void {
    this.#summaries.set(key, s);
  }

  latestMosaic(): MosaicResult | undefined {
    return this.controller.latestMosaic()?.state.result;
  }

  #mosaicChanged(): void {
    const m = this.latestMosaic();
    if (!m) return;
    for (const s of this.sessions) {
      if (s.init) s.init = { ...s.init, mosaic: m };
      s.post({ type: 'setMosaic', mosaic: m });
    }
  }

  // --- CustomTextEditorProvider ---------------------------------------------------------------

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const key = document.uri.toString();
    const opts = this.#pending.get(key) ?? {};
    this.#pending.delete(key);
    const s = new SeriesSession(this, document, panel, opts);
    this.sessions.add(s);
    panel.onDidDispose(() => {
      s.dispose();
      this.sessions.delete(s);
    });
  }

  // --- for the Controller: Open Series View, the mosaic's "Show this head on the series" -------

  /** Opens (or reveals) the series view of a CSV, with a head selected / a row focused. */
  async open(uri: vscode.Uri, options: SeriesOpenOptions = {}): Promise<void> {
    const key = uri.toString();
    const existing = [...this.sessions].find((s) => s.uri === key && !s.disposed);
    if (existing) {
      existing.apply(options);
      existing.panel.reveal(undefined, false);
      return;
    }
    this.#pending.set(key, options);
    const anyEditor = vscode.window.tabGroups.all.some((g) => g.tabs.length > 0);
    await vscode.commands.executeCommand('vscode.openWith', uri, SERIES_VIEW_TYPE, { viewColumn: anyEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active, preview: false });
  }

  async #revealCommand(arg: unknown): Promise<void> {
    const a = arg as { uri?: unknown; line?: unknown } | undefined;
    if (!a || typeof a.uri !== 'string' || !Number.isInteger(a.line) || (a.line as number) < 0) throw new ChronosLensError('BAD_INPUT', 'expected { uri, line }');
    await revealLine(vscode.Uri.parse(a.uri), a.line as number);
  }

  async #openAtCommand(arg: unknown): Promise<void> {
    const a = arg as { uri?: unknown; column?: unknown; row?: unknown; head?: unknown } | undefined;
    if (!a || typeof a.uri !== 'string') throw new ChronosLensError('BAD_INPUT', 'expected { uri, column?, row?, head? }');
    const uri = vscode.Uri.parse(a.uri);
    if (!isCsvUri(uri)) throw new ChronosLensError('BAD_INPUT', `${path.basename(uri.path)} is not a .csv or .tsv file`);
    const h = a.head;
    const head = isHeadRef(h) ? { kind: h.kind, layer: h.layer, head: h.head } : undefined;
    await this.open(uri, { column: typeof a.column === 'string' ? a.column : undefined, row: Number.isInteger(a.row) ? (a.row as number) : undefined, head });
  }

  // --- HoverProvider --------------------------------------------------------------------------

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!isCsvUri(document.uri) && document.languageId !== 'csv') return undefined;
    try {
      return await this.#hover(document, position, token);
    } catch (e) {
      if (!isCancelled(e)) this.controller.log.warn(`CSV hover: ${errorMessage(e)}`);
      return undefined;
    }
  }

  async #hover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const uri = document.uri.toString();
    const file = path.basename(document.uri.path);
    const snap = this.docs.snapshot(uri, document.version, () => document.getText(), file);
    const layout = await snap.layout();
    const cell = cellAtChar(document.lineAt(position.line).text, layout.delimiter, position.character);
    if (!cell || !cell.text) return undefined;
    const col = layout.columns[cell.column];
    if (!col || col.kind !== 'numeric') return undefined;
    const scan = await snap.scan(col.name);
    if (token.isCancellationRequested) return undefined;
    const row = rowAtLine(scan.lines, position.line);
    if (row < 0) return undefined;
    const known = this.summaryFor(this.runner.key());
    const T = known?.contextLength ?? DEFAULT_CONTEXT_LENGTH;
    if (row < scan.totalRows - T) return undefined; // outside the context window
    const a = snap.analysis(scan, this.runner);
    const range = new vscode.Range(position.line, cell.start, position.line, cell.end);
    if (!a.lensNow) {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      const timer = setTimeout(() => ac.abort(), HOVER_WAIT_MS);
      try {
        await abortable(a.lens, ac.signal);
      } catch (e) {
        if (!isCancelled(e) || token.isCancellationRequested || a.aborted) {
          if (!isCancelled(e)) return this.#noteHover(`could not compute the attention: ${errorMessage(e)}`, uri, col.name, row, range);
          return undefined;
        }
        return this.#noteHover('computing the attention of this column in the background… hover again in a moment.', uri, col.name, row, range);
      } finally {
        clearTimeout(timer);
        sub.dispose();
      }
    }
    const lens = a.lensNow;
    const summary = a.modelNow;
    if (!lens || !summary) return undefined;
    const start = scan.totalRows - lens.contextLength;
    const pos = row - start;
    if (pos < 0 || pos >= lens.contextLength) return undefined;
    const observed = lens.mask[pos] === 1;
    const heads = attendingHeads(lens, pos, 3, 3).map((h) => ({
      ...h,
      targets: h.targets.map((t) => ({ ...t, row: start + t.position, line: scan.lines[start + t.position] })),
    }));
    const binCenter = observed ? this.controller.models.current?.tokenizer.centerOf(lens.tokens[pos]) : undefined;
    const md = hoverMarkdown({
      uri,
      column: col.name,
      model: summary.name,
      row,
      line: position.line,
      position: pos,
      contextLength: lens.contextLength,
      value: scan.values[row],
      token: observed ? lens.tokens[pos] : undefined,
      binCenter,
      scale: lens.scale,
      heads,
    });
    return new vscode.Hover(trusted(md), range);
  }

  #noteHover(text: string, uri: string, column: string, row: number, range: vscode.Range): vscode.Hover {
    const md = `**Chronos Lens** · ${text}\n\n[$(graph-line) Open in Series View](command:${HOVER_COMMANDS.openAt}?${encodeURIComponent(JSON.stringify({ uri, column, row }))})`;
    return new vscode.Hover(trusted(md), range);
  }

  // --- introspection --------------------------------------------------------------------------

  info(): SeriesViewInfo[] {
    return [...this.sessions].filter((s) => !s.disposed).map((s) => s.info());
  }

  /** The series view in the active editor tab, if one is (for "Export Current Figure…"). */
  activeView(): ExportablePanel | undefined {
    return [...this.sessions].find((s) => !s.disposed && s.panel.active);
  }

  dispose(): void {
    for (const s of this.sessions) s.dispose();
    this.sessions.clear();
    this.docs.dispose();
    for (const d of this.#subscriptions.splice(0)) d.dispose();
  }
}

function trusted(md: string): vscode.MarkdownString {
  const s = new vscode.MarkdownString(md, true);
  s.isTrusted = { enabledCommands: [HOVER_COMMANDS.revealLine, HOVER_COMMANDS.openAt] };
  return s;
}
