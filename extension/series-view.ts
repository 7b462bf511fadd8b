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
 * attention (lib/series-lens.ts). Each page is a SeriesSession (series-session.ts), a ViewPanel as the
 * other views' pages are.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isHeadRef } from '../analysis/heads';
import type { ModelSummary, MosaicResult } from '../analysis/types';
import { rowAtLine } from '../core/csv/lines';
import { cellAtChar } from '../core/csv/scan';
import { ChronosLensError, errorMessage, isCancelled } from '../core/errors';
import type { AnyModel } from '../models/load';
import type { HeadSelection } from '../protocol';
import type { CausalController } from './causal';
import type { ExportablePanel } from './figure-export';
import { SeriesDocuments, type ModelRunner } from './lib/series-analysis';
import { DEFAULT_CONTEXT_LENGTH } from './lib/series-data';
import { HOVER_COMMANDS, hoverMarkdown } from './lib/series-hover';
import { attendingHeads } from './lib/series-lens';
import type { ModelManager } from './lib/model-manager';
import { modelKey } from './lib/settings';
import { abortable, revealLine, SERIES_VIEW_TYPE, SeriesSession, type SeriesOpenOptions, type SeriesViewInfo } from './series-session';
import { isCsvUri } from './ui';

export { SERIES_VIEW_TYPE, type SeriesOpenOptions, type SeriesViewInfo } from './series-session';

/** What the series views need from the extension (the Controller provides it). */
export interface SeriesViewDeps {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly models: Pick<ModelManager<AnyModel>, 'use' | 'settings' | 'current' | 'onDidChange'>;
  /** The latest mosaic (of the model with that hash, when there is one), also after its panel closed. */
  latestMosaic(modelHash?: string): { result: MosaicResult } | undefined;
  /** Where a result opens (the results group). */
  resultsColumn(): vscode.ViewColumn;
  /** Called after Compute Induction Mosaic has opened its panels. */
  onDidComputeMosaic(listener: () => void): vscode.Disposable;
  /** "Attribute this step": the residual-stream panel for a forecast step of the column shown. */
  readonly causal: Pick<CausalController, 'attributeStep'>;
}

/**
 * The largest file the series view opens. The view reads the editor's document, and VS Code hands no
 * document above 50 MB to an extension (the editor then fails with a generic error after reading it
 * all); the mosaic and the ablation read files from disk and have no such limit.
 */
export const SERIES_VIEW_MAX_BYTES = 50 * 1024 * 1024;

/** Refuses, in one line naming the file, a CSV too large for the series view (see SERIES_VIEW_MAX_BYTES). */
export async function checkSeriesViewSize(uri: vscode.Uri): Promise<void> {
  let size: number;
  try {
    size = (await vscode.workspace.fs.stat(uri)).size;
  } catch {
    return; // not on a file system VS Code can stat (an untitled document): VS Code opens it or says why
  }
  if (size <= SERIES_VIEW_MAX_BYTES) return;
  const mb = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;
  throw new ChronosLensError(
    'BAD_INPUT',
    vscode.l10n.t('{0} is {1}: the series view opens CSVs up to {2} (VS Code gives extensions no larger document). Compute Induction Mosaic and Run Ablation… read it from disk; for the series view, keep its last rows in a smaller file.', path.basename(uri.path), mb(size), mb(SERIES_VIEW_MAX_BYTES)),
  );
}

/** How long the text editor hover waits for attention that is still being computed. */
export const HOVER_WAIT_MS = 5000;

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
      use: (fn, o) => controller.models.use(fn, { signal: o.signal, activity: o.activity, interactive: o.interactive }),
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

  latestMosaic(modelHash?: string): MosaicResult | undefined {
    return this.controller.latestMosaic(modelHash)?.result;
  }

  #mosaicChanged(): void {
    for (const s of this.sessions) {
      const m = this.latestMosaic(s.init?.model?.hash);
      if (!m) continue;
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
    await checkSeriesViewSize(uri);
    this.#pending.set(key, options);
    await vscode.commands.executeCommand('vscode.openWith', uri, SERIES_VIEW_TYPE, { viewColumn: this.controller.resultsColumn(), preview: false });
  }

  async #revealCommand(arg: unknown): Promise<void> {
    const a = arg as { uri?: unknown; line?: unknown } | undefined;
    if (!a || typeof a.uri !== 'string' || !Number.isInteger(a.line) || (a.line as number) < 0) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('expected { uri, line }'));
    await revealLine(vscode.Uri.parse(a.uri), a.line as number);
  }

  async #openAtCommand(arg: unknown): Promise<void> {
    const a = arg as { uri?: unknown; column?: unknown; row?: unknown; head?: unknown } | undefined;
    if (!a || typeof a.uri !== 'string') throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('expected { uri, column?, row?, head? }'));
    const uri = vscode.Uri.parse(a.uri);
    if (!isCsvUri(uri)) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('{0} is not a .csv or .tsv file', path.basename(uri.path)));
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
    // Data row of the window's first value (the lens' input is the column's last contextLength rows).
    const windowStart = scan.totalRows - Math.min(scan.totalRows, summary.contextLength);
    const pos = lens.positionAt(row - windowStart);
    if (pos < 0) return undefined;
    const observed = lens.mask[pos] === 1;
    const rowsOf = (p: number): [number, number] => {
      const [first, last] = lens.spanOf(p);
      return [windowStart + Math.max(first, 0), windowStart + last];
    };
    const heads = attendingHeads(lens, pos, 3, 3).map((h) => ({
      ...h,
      targets: h.targets.map((t) => {
        const [first, last] = rowsOf(t.position);
        return { ...t, row: first, line: scan.lines[first], ...(last > first ? { lastRow: last } : {}) };
      }),
    }));
    const model = this.controller.models.current;
    const patched = !!summary.patch;
    const binCenter = observed && model && 'tokenizer' in model ? model.tokenizer.centerOf(lens.tokens[pos]) : undefined;
    const [first, last] = rowsOf(pos);
    const md = hoverMarkdown({
      uri,
      column: col.name,
      model: summary.name,
      row,
      line: position.line,
      position: pos,
      contextLength: lens.contextLength,
      value: scan.values[row],
      token: observed && !patched ? lens.tokens[pos] : undefined,
      binCenter,
      scale: lens.scale,
      heads,
      ...(patched ? { patch: { first, last, size: lens.patch.size, observed } } : {}),
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

  /** The webview panels of the open series views. */
  panels(): vscode.WebviewPanel[] {
    return [...this.sessions].filter((s) => !s.disposed).map((s) => s.panel);
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
