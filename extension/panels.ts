/**
 * The host side of every webview page (ViewPanel), and the panels of the mosaic and the ablation report
 * (the series view's sessions, in series-view.ts, are ViewPanels too). Each panel hosts one view bundle
 * (dist/webview/<view>.js) under a strict CSP (lib/html.ts), with `localResourceRoots` limited to
 * dist/webview; everything the page posts goes through a PanelRouter (validated with the protocol's
 * validators); exports are saved by figure-export.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ATTENTION_KINDS, type AttentionKind, type HeadRef, type MosaicResult } from '../analysis/types';
import {
  mosaicValidationContext,
  type AblationHostMessage,
  type AblationRunSummary,
  type ExportFormat,
  type ExportMessage,
  type ExportResponse,
  type HostMessageOf,
  type RequestMessage,
  type MosaicHostMessage,
  type ShowAblationMessage,
  type ShowMosaicMessage,
  type ValidationContext,
  type ViewId,
} from '../protocol';
import { FigureExports, type ExportablePanel } from './figure-export';
import { messageHtml, webviewHtml } from './lib/html';
import { PanelRouter, type NotificationOf, type RequestContext } from './lib/router';
import type { StoredRun } from './lib/run-store';

export const MOSAIC_VIEW_TYPE = 'chronosLens.mosaic';
export const ABLATION_VIEW_TYPE = 'chronosLens.ablation';

export type PanelView = 'mosaic' | 'ablation' | 'causal';

export interface PanelLog {
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
}

export interface PanelDeps {
  extensionUri: vscode.Uri;
  log: PanelLog;
  /** Called when a panel becomes active or closes (for "Export Current Figure…"). */
  onActive(p: ViewPanel<PanelView>): void;
  onDispose(p: ViewPanel<PanelView>): void;
}

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: Error): void;
}

/** Where a ViewPanel's page lives, and what it first shows. */
export interface PageOptions<V extends ViewId> {
  viewType: string;
  title: string;
  column: vscode.ViewColumn;
  preserveFocus: boolean;
  /** The page's first message, in the HTML (none: the page waits for the host's answer to `ready`). */
  initialState?: HostMessageOf<V>;
  /**
   * A panel VS Code made: one it restored after a window reload (a WebviewPanelSerializer), or a custom
   * editor's. It gets our options; `keepTitle` leaves its title alone (a custom editor's is the file's).
   */
  given?: { panel: vscode.WebviewPanel; keepTitle?: boolean };
}

export abstract class ViewPanel<V extends ViewId> implements ExportablePanel {
  readonly panel: vscode.WebviewPanel;
  readonly router: PanelRouter<V>;
  #ready = false;
  #readyWaiters: Waiter<void>[] = [];
  readonly #exports: FigureExports;
  #readyCount = 0;
  /** Messages posted to the page, newest last (kept short; for diagnostics and tests). */
  readonly posted: string[] = [];

  protected constructor(
    protected readonly deps: PanelDeps,
    readonly view: V,
    page: PageOptions<V>,
  ) {
    const { title, initialState, given } = page;
    const root = vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview');
    const options = { enableScripts: true, enableCommandUris: false, enableForms: false, localResourceRoots: [root] };
    if (given) {
      // A panel VS Code made (restored after a window reload, or a custom editor's): our options.
      this.panel = given.panel;
      this.panel.webview.options = options;
      if (!given.keepTitle) this.panel.title = title;
    } else {
      this.panel = vscode.window.createWebviewPanel(page.viewType, title, { viewColumn: page.column, preserveFocus: page.preserveFocus }, { ...options, retainContextWhenHidden: false });
    }
    this.#exports = new FigureExports({
      view,
      log: deps.log,
      folder: () => this.exportFolder(),
      post: (m) => this.post(m as HostMessageOf<V>),
      tie: (p) => this.router.tie(p),
    });
    this.router = new PanelRouter<V>({
      view,
      post: (m) => {
        this.posted.push(m.type);
        if (this.posted.length > 50) this.posted.shift();
        return this.panel.webview.postMessage(m);
      },
      context: () => this.validationContext(),
      handlers: {
        notify: (m) => this.#notify(m),
        export: (m, ctx) => this.#exports.handle(m, ctx),
        ...(this.handleRequest ? { request: (m: Exclude<RequestMessage, ExportMessage>, ctx: RequestContext) => this.handleRequest!(m, ctx) } : {}),
      },
      log: (level, m) => deps.log[level](m),
    });
    const webview = this.panel.webview;
    webview.html = webviewHtml({
      view,
      title,
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, `${view}.js`)).toString(),
      initialState,
    });
    this.panel.webview.onDidReceiveMessage((m: unknown) => void this.router.receive(m));
    this.panel.onDidChangeViewState((e) => {
      // A hidden page is discarded (no retainContextWhenHidden) and reloads when shown: wait for its
      // next `ready` before posting to it.
      if (!e.webviewPanel.visible) this.#ready = false;
      if (e.webviewPanel.active) deps.onActive(this as unknown as ViewPanel<PanelView>);
    });
    this.panel.onDidDispose(() => this.release());
    deps.onActive(this as unknown as ViewPanel<PanelView>);
  }

  /** The message that (re)draws the page: sent on every `ready` (none yet: nothing is sent). */
  protected abstract showMessage(): HostMessageOf<V> | undefined;
  /** After the page got showMessage() on `ready`: anything it needs beyond it. */
  protected shown(): void {}
  /** The view's requests other than `export` (views without any leave it out). */
  protected handleRequest?(m: Exclude<RequestMessage, ExportMessage>, ctx: RequestContext): Promise<unknown>;
  protected abstract validationContext(): ValidationContext;
  /** View-specific notifications (cell actions, openRun, …). */
  protected abstract handle(m: NotificationOf<V>): void | Promise<void>;
  /** Where the save dialog starts. */
  protected abstract exportFolder(): vscode.Uri | undefined;

  get disposed(): boolean {
    return this.router.disposed;
  }

  /** The page on screen has announced itself (false while it reloads after being hidden). */
  get ready(): boolean {
    return this.#ready;
  }

  /** How many times the page said ready (reloads when the panel is shown again count). */
  get readyCount(): number {
    return this.#readyCount;
  }

  whenReady(): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return this.router.tie(new Promise<void>((resolve, reject) => this.#readyWaiters.push({ resolve, reject })));
  }

  post(m: HostMessageOf<V>): boolean {
    return this.router.post(m);
  }

  /** Redraws the page with the current state. */
  refresh(): void {
    const m = this.showMessage();
    if (m) this.post(m);
  }

  /** Shows the panel, in its own group, or moved into `column` when given. */
  reveal(preserveFocus = false, column?: vscode.ViewColumn): void {
    this.panel.reveal(column, preserveFocus);
  }

  async #notify(m: NotificationOf<V>): Promise<void> {
    if (m.type === 'ready') {
      this.#ready = true;
      this.#readyCount++;
      const show = this.showMessage();
      if (show) {
        this.post(show);
        this.shown();
      }
      for (const w of this.#readyWaiters.splice(0)) w.resolve();
      return;
    }
    if (m.type === 'webviewError') return; // logged by the router
    await this.handle(m);
  }

  /**
   * "Export Current Figure…": asks the page for the figure in `format`; resolves once the page's export
   * request has been handled (saved, or the dialog cancelled).
   */
  requestExport(format: ExportFormat, target?: vscode.Uri): Promise<ExportResponse> {
    return this.#exports.request(format, target);
  }

  /** Stops serving the page (pending work rejected, no more posts); the panel itself is left as it is. */
  protected release(): void {
    if (this.router.disposed) return;
    this.router.dispose();
    this.#readyWaiters.splice(0);
    this.#exports.dispose();
    this.deps.onDispose(this as unknown as ViewPanel<PanelView>);
  }

  dispose(): void {
    this.panel.dispose();
  }
}

/**
 * A panel VS Code restored after a reload whose contents cannot come back: it stays open and says why
 * (no script runs in it) until the user closes it.
 */
export function showRestoreFailure(panel: vscode.WebviewPanel, what: string, reason: string, again: string): void {
  panel.webview.options = { enableScripts: false, enableCommandUris: false, enableForms: false, localResourceRoots: [] };
  panel.webview.html = messageHtml({ title: panel.title, heading: `This ${what} could not be restored`, text: `${reason}. ${again}` });
}

// ---------------------------------------------------------------------------------------------

export type MosaicVariant = 'reference' | 'data';

export interface MosaicPanelState {
  result: MosaicResult;
  /** The id of the panel's saved copy (lib/panel-store.ts), which brings it back after a window reload. */
  panelId?: string;
  variant: MosaicVariant;
  /** The panel heading. */
  title: string;
  /** The CSV the command ran on (the data-driven variant's series; the reference's context). */
  csv?: { uri: vscode.Uri; column?: string };
  kind?: AttentionKind;
}

export interface MosaicActions {
  showHeadOnSeries(panel: MosaicPanel, head: HeadRef): Promise<void>;
  ablateHead(panel: MosaicPanel, head: HeadRef): Promise<void>;
  addToAblationSet(panel: MosaicPanel, head: HeadRef): Promise<void>;
  patchHead(panel: MosaicPanel, head: HeadRef): Promise<void>;
  ablationSet(): HeadRef[];
}

export class MosaicPanel extends ViewPanel<'mosaic'> {
  #state: MosaicPanelState;

  constructor(
    deps: PanelDeps,
    private readonly actions: MosaicActions,
    readonly key: string,
    state: MosaicPanelState,
    opts: { column?: vscode.ViewColumn; preserveFocus?: boolean; restored?: vscode.WebviewPanel } = {},
  ) {
    super(deps, 'mosaic', {
      viewType: MOSAIC_VIEW_TYPE,
      title: panelTitle(state),
      column: opts.column ?? vscode.ViewColumn.Beside,
      preserveFocus: opts.preserveFocus ?? false,
      initialState: showMosaic(state, actions.ablationSet()),
      given: opts.restored && { panel: opts.restored },
    });
    this.#state = { ...state };
  }

  get state(): Readonly<MosaicPanelState> {
    return this.#state;
  }

  /** The attention kind on screen (the page reports tab changes). */
  get kind(): AttentionKind {
    const r = this.#state.result;
    return this.#state.kind ?? ATTENTION_KINDS.find((k) => r[k]) ?? 'cross';
  }

  update(state: MosaicPanelState): void {
    this.#state = { ...state, kind: state.kind ?? this.#state.kind, panelId: state.panelId ?? this.#state.panelId };
    this.panel.title = panelTitle(state);
    this.refresh();
  }

  setAblationSet(heads: HeadRef[]): void {
    this.post({ type: 'setAblationSet', heads });
  }

  protected showMessage(): MosaicHostMessage {
    return showMosaic(this.#state, this.actions.ablationSet());
  }

  protected validationContext(): ValidationContext {
    return mosaicValidationContext(this.#state.result);
  }

  protected exportFolder(): vscode.Uri | undefined {
    const csv = this.#state.csv?.uri;
    if (csv) return vscode.Uri.joinPath(csv, '..');
    return vscode.workspace.workspaceFolders?.[0]?.uri;
  }

  protected async handle(m: NotificationOf<'mosaic'>): Promise<void> {
    switch (m.type) {
      case 'kindChanged':
        this.#state.kind = m.kind;
        return;
      case 'showHeadOnSeries':
        return this.actions.showHeadOnSeries(this, m.head);
      case 'ablateHead':
        return this.actions.ablateHead(this, m.head);
      case 'addToAblationSet':
        return this.actions.addToAblationSet(this, m.head);
      case 'patchHead':
        return this.actions.patchHead(this, m.head);
    }
  }
}

/** A mosaic as "the latest mosaic": its result, the attention kind shown, the CSV it ran on. */
export interface LatestMosaic {
  result: MosaicResult;
  kind: AttentionKind;
  csv?: { uri: vscode.Uri; column?: string };
}

/** What a mosaic panel shows, as the latest mosaic (kept after the panel closes). */
export function latestOf(p: MosaicPanel): LatestMosaic {
  return { result: p.state.result, kind: p.kind, ...(p.state.csv ? { csv: p.state.csv } : {}) };
}

function panelTitle(s: MosaicPanelState): string {
  const p = s.result.protocol;
  if (s.variant === 'data' && p.series) return `Mosaic · ${p.series.file}`;
  // a patch protocol whose period is not whole patches: the sub-patch variant, beside the reference
  return p.patch && p.patch.period % p.patch.size !== 0 ? `Mosaic · ${s.result.model.name} · period ${p.patch.period}` : `Mosaic · ${s.result.model.name}`;
}

function showMosaic(s: MosaicPanelState, ablationSet: HeadRef[]): ShowMosaicMessage {
  const m: ShowMosaicMessage = { type: 'showMosaic', result: s.result, ablationSet, title: s.title };
  if (s.kind) m.kind = s.kind;
  if (s.panelId) m.panelId = s.panelId;
  return m;
}

// ---------------------------------------------------------------------------------------------

export interface AblationPanelDeps {
  listRuns(): Promise<AblationRunSummary[]>;
  loadRun(id: string): Promise<StoredRun>;
}

export class AblationPanel extends ViewPanel<'ablation'> {
  #run: StoredRun;
  #runs: AblationRunSummary[];

  constructor(
    deps: PanelDeps,
    private readonly store: AblationPanelDeps,
    run: StoredRun,
    runs: AblationRunSummary[],
    opts: { column?: vscode.ViewColumn; preserveFocus?: boolean; restored?: vscode.WebviewPanel } = {},
  ) {
    super(deps, 'ablation', {
      viewType: ABLATION_VIEW_TYPE,
      title: ablationTitle(run),
      column: opts.column ?? vscode.ViewColumn.Beside,
      preserveFocus: opts.preserveFocus ?? false,
      initialState: showAblation(run, runs),
      given: opts.restored && { panel: opts.restored },
    });
    this.#run = run;
    this.#runs = runs;
  }

  get run(): StoredRun {
    return this.#run;
  }

  show(run: StoredRun, runs: AblationRunSummary[]): void {
    this.#run = run;
    this.#runs = runs;
    this.panel.title = ablationTitle(run);
    this.refresh();
  }

  protected showMessage(): AblationHostMessage {
    return showAblation(this.#run, this.#runs);
  }

  protected validationContext(): ValidationContext {
    return { runIds: this.#runs.map((r) => r.id) };
  }

  protected exportFolder(): vscode.Uri | undefined {
    const csv = this.#run.source;
    if (csv && path.isAbsolute(csv)) return vscode.Uri.file(path.dirname(csv));
    return vscode.workspace.workspaceFolders?.[0]?.uri;
  }

  protected async handle(m: NotificationOf<'ablation'>): Promise<void> {
    if (m.type === 'openRun') {
      const [run, runs] = await Promise.all([this.store.loadRun(m.runId), this.store.listRuns()]);
      if (this.disposed) return;
      this.show(run, runs);
    }
  }
}

function ablationTitle(run: StoredRun): string {
  return `Ablation · ${run.result.method} · ${run.result.heads.length} head${run.result.heads.length === 1 ? '' : 's'}`;
}

function showAblation(run: StoredRun, runs: AblationRunSummary[]): ShowAblationMessage {
  return { type: 'showAblation', result: run.result, runId: run.id, runs };
}
