/**
 * The extension's state and commands: settings, the model manager, the status bar, the output channel,
 * the open panels, the ablation set and the stored ablation runs. Everything heavy (the analysis
 * engine, the model runtime, onnxruntime-node) is imported lazily inside the commands.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { isHeadRef } from '../analysis/heads';
import { ATTENTION_KINDS, type HeadRef } from '../analysis/types';
import type { CsvSeries } from '../core/csv';
import { ChronosLensError, errorMessage, isCancelled } from '../core/errors';
import type { AnyModel } from '../models/load';
import type { ExportResponse } from '../protocol';
import { AblationController } from './ablation';
import { openSweepAtlas, type AtlasPanel } from './atlas';
import { chooseColumn } from './column-choice';
import { CausalController } from './causal';
import type { CausalPanel } from './causal-panel';
import { exportCurrentFigure } from './figure-export';
import { detectGpuPresence, gpuStorageDir, installGpuSupportCommand, provisionGpu, removeGpuSupportCommand } from './gpu';
import { HubAccess, redactingLog, TOKEN_SECRET_KEY } from './hub';
import { addHead, describeHeads, headId, KIND_NAMES } from './lib/heads';
import { loadCsvSeries, mosaicSummary, ReferenceCache, runLogText, runMosaicJob } from './lib/jobs';
import { ModelManager, type ModelState } from './lib/model-manager';
import { resolveModel } from '../models/source';
import { MosaicPanelStore, mosaicPanelId, restoreTarget, type StoredMosaicPanel } from './lib/panel-store';
import { redactError, Redactor } from './lib/redact';
import { RunStore } from './lib/run-store';
import { readSettings, SECTION, type Settings } from './lib/settings';
import { ignoredWorkspaceSettings, restrictedModeMessage, trustAwareGetter, type SettingsFile } from './lib/trust';
import { clearModelCache, graphCacheRoot } from './model-cache';
import { selectModel, showModelInfo } from './model-picker';
import { ABLATION_VIEW_TYPE, AblationPanel, latestOf, MOSAIC_VIEW_TYPE, MosaicPanel, type LatestMosaic, showRestoreFailure, type MosaicActions, type MosaicPanelState, type PanelDeps, type PanelView, type ViewPanel } from './panels';
import { openSamplesCommand } from './samples';
import { SeriesViews } from './series-view';
import { ModelStatusBar } from './status';
import { csvTargetFor, JobRegistry, pickCsvUri, registerCommand, reportError, withCancellableProgress } from './ui';

export const COMMANDS = {
  computeInductionMosaic: 'chronosLens.computeInductionMosaic',
  openSeriesView: 'chronosLens.openSeriesView',
  runAblation: 'chronosLens.runAblation',
  attributeForecast: 'chronosLens.attributeForecast',
  patchActivations: 'chronosLens.patchActivations',
  ablateLayers: 'chronosLens.ablateLayers',
  selectModel: 'chronosLens.selectModel',
  showModelInfo: 'chronosLens.showModelInfo',
  exportCurrentFigure: 'chronosLens.exportCurrentFigure',
  setHuggingFaceToken: 'chronosLens.setHuggingFaceToken',
  clearHuggingFaceToken: 'chronosLens.clearHuggingFaceToken',
  clearModelCache: 'chronosLens.clearModelCache',
  installGpuSupport: 'chronosLens.installGpuSupport',
  removeGpuSupport: 'chronosLens.removeGpuSupport',
  openSweepAtlas: 'chronosLens.openSweepAtlas',
  openSamples: 'chronosLens.openSamples',
} as const;

const ABLATION_SET_KEY = 'chronosLens.ablationSet';

/** What the mosaic command returns (for scripts and the in-host tests). */
export interface MosaicCommandResult {
  csv: string;
  panels: { key: string; variant: 'reference' | 'data'; layers: number; heads: number; kinds: string[] }[];
  referenceCached: boolean;
  dataError?: string;
}

export class Controller implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  /** Scrubs the Hugging Face token (and proxy credentials) from every log line and error shown. */
  readonly redactor = new Redactor();
  readonly hub: HubAccess;
  readonly jobs = new JobRegistry();
  readonly referenceCache = new ReferenceCache();
  readonly models: ModelManager<AnyModel>;
  readonly runs: RunStore;
  readonly mosaicStore: MosaicPanelStore;
  readonly status: ModelStatusBar;
  readonly mosaicPanels = new Map<string, MosaicPanel>();
  readonly ablationPanels = new Set<AblationPanel>();
  /** Atlas panels by the sweep folder or atlas file they show. */
  readonly atlasPanels = new Map<string, AtlasPanel>();
  readonly ablation: AblationController;
  /** Attribute Forecast…, Patch Activations…, Ablate Layers… and their residual-stream panel. */
  readonly causal: CausalController;
  readonly causalPanels = new Set<CausalPanel>();
  /** The series views (the CSV custom editor, its hover, Open Series View). */
  readonly seriesViews: SeriesViews;
  /** Panels, most recently active last. */
  #recent: ViewPanel<PanelView>[] = [];
  /** The latest mosaic per model hash, and the latest of all (kept after their panels close), with their panel's last activation. */
  readonly #latestMosaics = new Map<string, LatestMosaic & { stamp: number }>();
  #latestMosaic: (LatestMosaic & { stamp: number }) | undefined;
  readonly #activeStamps = new WeakMap<ViewPanel<PanelView>, number>();
  #activations = 0;
  #settings: Settings;
  readonly #mosaicListeners = new Set<() => void>();
  lastError?: string;
  /** Select Model…'s QuickPick while it is open (for `inspect.modelPicker()`). */
  modelPicker?: vscode.QuickPick<vscode.QuickPickItem>;
  readonly panelDeps: PanelDeps;

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = redactingLog(vscode.window.createOutputChannel('Chronos Lens', { log: true }), this.redactor);
    context.subscriptions.push(this.log);
    this.hub = new HubAccess(this);
    const { settings, problems } = this.#readSettings();
    this.#settings = settings;
    for (const p of problems) this.log.warn(p);
    // Built graphs in <globalStorage>/graphs (Clear Model Cache); GPU support in <globalStorage>/gpu (kept).
    const cacheDir = graphCacheRoot(context);
    const storage = (context.storageUri ?? context.globalStorageUri).fsPath;
    this.runs = new RunStore(storage);
    this.models = new ModelManager<AnyModel>(settings, {
      cacheDir,
      resolve: (setting) =>
        resolveModel(setting, {
          extensionRoot: context.extensionUri.fsPath,
          workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
        }),
      load: async (dir, o) => {
        await fs.promises.mkdir(cacheDir, { recursive: true });
        // The staged CUDA package must be chosen before onnxruntime-node loads (cuda / auto only).
        await provisionGpu(this, o.provider);
        const { loadModel } = await import('../models/load');
        // The checkpoint's own family (Chronos-T5 or Chronos-Bolt); others are refused by name.
        // Sessions run in a worker thread: a long forward pass never freezes the extension host.
        // Graph cache warnings (a corrupt cached graph rebuilt, an unusable cache folder) go to the output channel, not the host's stderr.
        return loadModel(dir, { provider: o.provider, threads: o.threads, cacheDir: o.cacheDir, sessionHost: 'worker', onWarning: o.onWarning });
      },
      log: (level, m) => this.log[level](m),
      onFallback: (p) => {
        if (p.requested === 'auto') return; // the status bar says which provider runs and why
        void vscode.window.showWarningMessage(`Chronos Lens: the ${p.requested} execution provider could not start; running on ${p.used}. ${p.fallbackReason ?? ''}`.trim());
      },
    });
    this.status = new ModelStatusBar(COMMANDS.selectModel);
    context.subscriptions.push(this.status);
    this.models.onDidChange((s) => this.status.update(s));
    this.status.update(this.models.state);
    this.panelDeps = {
      extensionUri: context.extensionUri,
      log: this.log,
      onActive: (p) => {
        this.#recent = [...this.#recent.filter((x) => x !== p), p];
        this.#activeStamps.set(p, ++this.#activations);
      },
      onDispose: (p) => {
        // A closing mosaic panel leaves what it showed behind (the latest mosaic while it was the most recently active).
        if (p instanceof MosaicPanel) this.#rememberMosaic(p);
        this.#recent = this.#recent.filter((x) => x !== p);
        for (const [k, v] of this.mosaicPanels) if (v === (p as unknown)) this.mosaicPanels.delete(k);
        this.ablationPanels.delete(p as unknown as AblationPanel);
        this.causalPanels.delete(p as unknown as CausalPanel);
      },
    };
    this.ablation = new AblationController(this);
    this.causal = new CausalController(this);
    this.mosaicStore = new MosaicPanelStore(storage);
    context.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(MOSAIC_VIEW_TYPE, { deserializeWebviewPanel: (panel, state) => this.#restoreMosaic(panel, state) }),
      vscode.window.registerWebviewPanelSerializer(ABLATION_VIEW_TYPE, { deserializeWebviewPanel: (panel, state) => this.ablation.restore(panel, state) }),
    );
    context.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SECTION)) return;
        const r = this.#readSettings();
        this.#settings = r.settings;
        for (const p of r.problems) {
          this.log.warn(p);
          void vscode.window.showWarningMessage(vscode.l10n.t('Chronos Lens: {0}', p));
        }
        if (this.models.configure(r.settings)) this.log.info(`model settings: ${r.settings.model} · ${r.settings.provider}${r.settings.threads ? ` · ${r.settings.threads} threads` : ''}`);
        void this.#reportRestricted();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        const r = this.#readSettings();
        this.#settings = r.settings;
        this.log.info('workspace trusted: its chronosLens.model setting applies');
        this.models.configure(r.settings);
      }),
    );
    this.#registerCommands();
    this.seriesViews = SeriesViews.register(this);
    void this.#reportRestricted();
    // The palette hides what makes no sense here (package.json's commandPalette `when` clauses read these).
    this.contextReady = Promise.all([this.updateGpuContext(), this.#updateTokenContext()]).then(() => undefined);
  }

  /** The context keys this extension has set, for `inspect.contextKeys()`. */
  readonly contextKeys = new Map<string, string>();
  /** Resolves once the context keys set at activation are known. */
  readonly contextReady: Promise<void>;

  async #setContext(key: string, value: string): Promise<void> {
    this.contextKeys.set(key, value);
    await vscode.commands.executeCommand('setContext', key, value);
  }

  /** `chronosLens.gpu` (nvidia / none) and `chronosLens.gpuSupport` (installed / none); the status bar learns whether CPU is a fallback. */
  async updateGpuContext(): Promise<void> {
    try {
      const p = await detectGpuPresence(this);
      this.status.setNvidia(p.nvidia);
      await this.#setContext('chronosLens.gpu', p.nvidia ? 'nvidia' : 'none');
      await this.#setContext('chronosLens.gpuSupport', p.supportInstalled ? 'installed' : 'none');
    } catch (e) {
      // unknown: the GPU commands stay listed
      this.log.warn(`GPU detection failed: ${errorMessage(e)}`);
    }
  }

  /** `chronosLens.hubToken`: stored / none (VS Code's secret storage; an environment token cannot be cleared here). */
  async #updateTokenContext(): Promise<void> {
    try {
      await this.#setContext('chronosLens.hubToken', (await this.context.secrets.get(TOKEN_SECRET_KEY)) ? 'stored' : 'none');
    } catch (e) {
      this.log.warn(`reading the secret storage failed: ${errorMessage(e)}`);
    }
  }

  /** Settings; in restricted mode the model path comes from the user settings only (lib/trust.ts). */
  #readSettings() {
    const cfg = vscode.workspace.getConfiguration(SECTION);
    return readSettings(trustAwareGetter((key) => cfg.get(key), (key) => cfg.inspect(key), vscode.workspace.isTrusted));
  }

  #restrictedReported = new Set<string>();

  /** In restricted mode, says once per value which workspace model setting is ignored. */
  async #reportRestricted(): Promise<void> {
    if (vscode.workspace.isTrusted) return;
    const files: SettingsFile[] = [];
    const read = async (uri: vscode.Uri, workspaceFile: boolean) => {
      try {
        files.push({ source: uri.scheme === 'file' ? uri.fsPath : uri.toString(), text: new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)), workspaceFile });
      } catch {
        /* no settings file */
      }
    };
    for (const f of vscode.workspace.workspaceFolders ?? []) await read(vscode.Uri.joinPath(f.uri, '.vscode', 'settings.json'), false);
    const wsFile = vscode.workspace.workspaceFile;
    if (wsFile && wsFile.scheme !== 'untitled') await read(wsFile, true);
    const cfg = vscode.workspace.getConfiguration(SECTION);
    for (const ignored of ignoredWorkspaceSettings({ trusted: vscode.workspace.isTrusted, inspect: (k) => cfg.inspect(k), files })) {
      const key = `${ignored.setting}=${JSON.stringify(ignored.value)}`;
      if (this.#restrictedReported.has(key)) continue;
      this.#restrictedReported.add(key);
      const msg = restrictedModeMessage(ignored, this.#settings.model);
      this.log.warn(msg);
      void vscode.window.showWarningMessage(vscode.l10n.t('Chronos Lens: {0}', msg), vscode.l10n.t('Manage Workspace Trust')).then(
        (choice) => choice && vscode.commands.executeCommand('workbench.trust.manage'),
        () => undefined,
      );
    }
  }

  /**
   * Where a result opens (mosaic, ablation report, residual-stream panel, series view): the editor group
   * of the active extension page, else of the most recently active one, so that results share one group
   * as tabs; else the group beside the active editor (one new group the first time), or the active group
   * when no editor is open. Always a group number: a panel created a moment ago still reports the
   * column it was asked for (Beside, Active) until VS Code places it, and a second Beside from there
   * would open yet another group.
   */
  resultsColumn(): vscode.ViewColumn {
    const placed = (c: vscode.ViewColumn | undefined): c is vscode.ViewColumn => c !== undefined && c > 0;
    const pages = [...this.seriesViews.panels(), ...this.#recent.filter((p) => !p.disposed).map((p) => p.panel)];
    const active = pages.find((p) => p.active && placed(p.viewColumn))?.viewColumn;
    if (active !== undefined) return active;
    const last = pages.map((p) => p.viewColumn).filter(placed).pop();
    if (last !== undefined) return last;
    const groups = vscode.window.tabGroups;
    const current = groups.activeTabGroup.viewColumn;
    if (!groups.all.some((g) => g.tabs.length > 0)) return current;
    return Math.min(current + 1, vscode.ViewColumn.Nine) as vscode.ViewColumn;
  }

  /** The column the file's series view shows (or showed), for the column pickers' default. */
  seriesColumn(uri: vscode.Uri): string | undefined {
    return this.seriesViews.columnFor(uri);
  }

  /** For `inspect.lastError()`: an error already shown in its own notification. */
  noteError(message: string): void {
    this.lastError = message;
  }

  /** `<globalStorage>/gpu`. */
  get gpuDir(): string {
    return gpuStorageDir(this.context);
  }

  get settings(): Settings {
    return this.#settings;
  }

  get modelState(): ModelState {
    return this.models.state;
  }

  // --- panels ---------------------------------------------------------------------------------

  /** The panel "Export Current Figure…" exports: the active one, else the most recently active. */
  currentPanel(): ViewPanel<PanelView> | undefined {
    const alive = this.#recent.filter((p) => !p.disposed);
    return alive.find((p) => p.panel.active) ?? alive[alive.length - 1];
  }

  /**
   * The latest mosaic (for "top-k from the latest mosaic" and the series views' induction scores): the
   * most recently active mosaic panel, else the last one shown, also once its panel is closed; with
   * `modelHash`, the latest of that model when there is one.
   */
  latestMosaic(modelHash?: string): LatestMosaic | undefined {
    const open = this.#recent.filter((p): p is MosaicPanel => p instanceof MosaicPanel && !p.disposed);
    for (const p of open) this.#rememberMosaic(p);
    const active = open[open.length - 1];
    if (modelHash !== undefined) {
      const mine = open.filter((p) => p.state.result.model.hash === modelHash).pop();
      if (mine) return latestOf(mine);
      const kept = this.#latestMosaics.get(modelHash);
      if (kept) return kept;
    }
    return active ? latestOf(active) : this.#latestMosaic;
  }

  /**
   * Keeps what a mosaic panel shows as the latest mosaic of its model, and of all, unless a panel
   * active more recently is kept there already (panels close in any order).
   */
  #rememberMosaic(p: MosaicPanel): void {
    const m = { ...latestOf(p), stamp: this.#activeStamps.get(p) ?? 0 };
    const hash = m.result.model.hash;
    if ((this.#latestMosaics.get(hash)?.stamp ?? -1) <= m.stamp) this.#latestMosaics.set(hash, m);
    if ((this.#latestMosaic?.stamp ?? -1) <= m.stamp) this.#latestMosaic = m;
  }

  ablationSet(): HeadRef[] {
    const v = this.context.workspaceState.get<unknown>(ABLATION_SET_KEY);
    if (!Array.isArray(v)) return [];
    return v.filter(isHeadRef);
  }

  async setAblationSet(heads: HeadRef[]): Promise<void> {
    await this.context.workspaceState.update(ABLATION_SET_KEY, heads);
    for (const p of this.mosaicPanels.values()) p.setAblationSet(heads);
  }

  #openMosaic(key: string, given: MosaicPanelState, opts: { column?: vscode.ViewColumn; preserveFocus?: boolean }): MosaicPanel {
    const state: MosaicPanelState = { ...given, panelId: mosaicPanelId(key) };
    this.#saveMosaicPanel(key, state);
    const existing = this.mosaicPanels.get(key);
    if (existing && !existing.disposed) {
      existing.update(state);
      // into the results group, beside the mosaic's other panels
      existing.reveal(opts.preserveFocus, opts.column);
      return existing;
    }
    const p = new MosaicPanel(this.panelDeps, this.#mosaicActions(), key, state, opts);
    this.mosaicPanels.set(key, p);
    return p;
  }

  /** The saved copy that brings the panel back after a window reload; failing to write it costs only that. */
  #saveMosaicPanel(key: string, state: MosaicPanelState): void {
    const csv = state.csv ? { uri: state.csv.uri.toString(), ...(state.csv.column !== undefined ? { column: state.csv.column } : {}) } : undefined;
    this.mosaicStore
      .save({ key, variant: state.variant, title: state.title, result: state.result, ...(state.kind ? { kind: state.kind } : {}), ...(csv ? { csv } : {}) })
      .catch((e: unknown) => this.log.warn(`the mosaic panel will not be restored after a reload: ${errorMessage(e)}`));
  }

  /** A mosaic panel VS Code brings back after a window reload, from the id its page state names. */
  async #restoreMosaic(panel: vscode.WebviewPanel, pageState: unknown): Promise<void> {
    const target = restoreTarget('mosaic', pageState);
    let saved: StoredMosaicPanel;
    try {
      if (target?.view !== 'mosaic') throw new Error('its saved state names no mosaic');
      saved = await this.mosaicStore.load(target.panelId);
    } catch (e) {
      this.log.warn(`a mosaic panel was not restored after the reload: ${errorMessage(e)}`);
      showRestoreFailure(panel, 'mosaic', errorMessage(e), 'Run Chronos Lens: Compute Induction Mosaic again to see it.');
      return;
    }
    const existing = this.mosaicPanels.get(saved.key);
    if (existing && !existing.disposed) {
      panel.dispose();
      return;
    }
    const kind = target.kind ?? saved.kind;
    const state: MosaicPanelState = {
      result: saved.result,
      variant: saved.variant,
      title: saved.title,
      panelId: saved.id,
      ...(kind ? { kind } : {}),
      ...(saved.csv ? { csv: { uri: vscode.Uri.parse(saved.csv.uri), ...(saved.csv.column !== undefined ? { column: saved.csv.column } : {}) } } : {}),
    };
    this.mosaicPanels.set(saved.key, new MosaicPanel(this.panelDeps, this.#mosaicActions(), saved.key, state, { restored: panel }));
    this.log.info(`restored the mosaic panel "${panel.title}" after the reload`);
  }

  #mosaicActions(): MosaicActions {
    return {
      ablationSet: () => this.ablationSet(),
      addToAblationSet: async (_panel, head) => {
        const set = addHead(this.ablationSet(), head);
        await this.setAblationSet(set);
        vscode.window.setStatusBarMessage(`Chronos Lens: ablation set: ${describeHeads(set)}`, 5000);
        this.log.info(`ablation set: ${describeHeads(set, 100)}`);
      },
      ablateHead: async (panel, head) => {
        await this.ablation.runQuick([head], panel.state.csv?.uri);
      },
      patchHead: async (_panel, head) => {
        await this.causal.patchHead(head);
      },
      showHeadOnSeries: async (panel, head) => {
        const csv = panel.state.csv?.uri;
        if (csv) {
          await this.seriesViews.open(csv, { head, column: panel.state.csv?.column });
          return;
        }
        const which = `${headId(head)} (${KIND_NAMES[head.kind]})`;
        void vscode.window.showInformationMessage(vscode.l10n.t('Chronos Lens: This mosaic is not tied to a CSV, so there is no series to show {0} on.', which));
      },
    };
  }

  // --- commands -------------------------------------------------------------------------------

  #registerCommands(): void {
    const reg = (id: string, what: string, fn: (...a: unknown[]) => unknown) =>
      registerCommand(this.context, this.log, id, what, fn, (e) => {
        redactError(e, this.redactor);
        if (!isCancelled(e)) this.lastError = errorMessage(e);
      });
    reg(COMMANDS.computeInductionMosaic, vscode.l10n.t('Compute Induction Mosaic'), (arg) => this.computeInductionMosaic(arg));
    reg(COMMANDS.openSeriesView, vscode.l10n.t('Open Series View'), (arg) => this.openSeriesView(arg));
    reg(COMMANDS.runAblation, vscode.l10n.t('Run Ablation'), (arg) => this.ablation.command(arg));
    reg(COMMANDS.attributeForecast, vscode.l10n.t('Attribute Forecast'), (arg) => this.causal.attribute(arg));
    reg(COMMANDS.patchActivations, vscode.l10n.t('Patch Activations'), (arg) => this.causal.patch(arg));
    reg(COMMANDS.ablateLayers, vscode.l10n.t('Ablate Layers'), (arg) => this.causal.ablateLayers(arg));
    reg(COMMANDS.selectModel, vscode.l10n.t('Select Model'), (arg) => selectModel(this, arg));
    reg(COMMANDS.showModelInfo, vscode.l10n.t('Show Model Info'), () => showModelInfo(this));
    reg(COMMANDS.exportCurrentFigure, vscode.l10n.t('Export Current Figure'), (arg) => this.exportCurrentFigure(arg));
    reg(COMMANDS.setHuggingFaceToken, vscode.l10n.t('Set Hugging Face Token'), async (arg) => {
      try {
        return await this.hub.setToken(arg);
      } finally {
        await this.#updateTokenContext();
      }
    });
    reg(COMMANDS.clearHuggingFaceToken, vscode.l10n.t('Clear Hugging Face Token'), async () => {
      try {
        return await this.hub.clearToken();
      } finally {
        await this.#updateTokenContext();
      }
    });
    reg(COMMANDS.clearModelCache, vscode.l10n.t('Clear Model Cache'), (arg) => clearModelCache(this, arg));
    reg(COMMANDS.installGpuSupport, vscode.l10n.t('Install GPU Support'), async () => {
      try {
        return await installGpuSupportCommand(this);
      } finally {
        await this.updateGpuContext();
      }
    });
    reg(COMMANDS.removeGpuSupport, vscode.l10n.t('Remove GPU Support'), async (arg) => {
      try {
        return await removeGpuSupportCommand(this, arg);
      } finally {
        await this.updateGpuContext();
      }
    });
    reg(COMMANDS.openSweepAtlas, vscode.l10n.t('Open Sweep Atlas'), (arg) => openSweepAtlas(this, arg));
    reg(COMMANDS.openSamples, vscode.l10n.t('Open Sample CSVs'), (arg) => openSamplesCommand(this, arg));
  }

  async computeInductionMosaic(arg?: unknown): Promise<MosaicCommandResult | undefined> {
    const named = arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) && typeof (arg as { uri?: unknown }).uri === 'string' ? vscode.Uri.parse((arg as { uri: string }).uri) : arg;
    const uri = await pickCsvUri(named, vscode.l10n.t('Compute Induction Mosaic on…'));
    if (!uri) return undefined;
    const target = await csvTargetFor(uri);
    const settings = this.#settings.mosaic;
    let column: string | undefined;
    if (settings.dataDriven) {
      // asked unless a script named it: { uri, column }
      const given = typeof (arg as { column?: unknown } | undefined)?.column === 'string' ? (arg as { column: string }).column : undefined;
      const choice = given !== undefined ? { column: given } : await chooseColumn(this, uri, target.source, { ask: true, title: vscode.l10n.t('Induction mosaic on {0}', target.name) });
      if (choice.dismissed) return undefined;
      column = choice.column;
    }
    let csvError: string | undefined;
    const job = await withCancellableProgress(vscode.l10n.t('Chronos Lens: induction mosaic · {0}', target.name), this.jobs, async (c) => {
      let series: CsvSeries | undefined;
      if (settings.dataDriven) {
        c.onProgress({ message: vscode.l10n.t('reading {0}', target.name) });
        try {
          series = await loadCsvSeries(target.source, { column, signal: c.signal });
        } catch (e) {
          // A file that cannot be read fails the command; a CSV without a usable numeric column only
          // skips the data-driven variant (the reference protocol does not depend on the data).
          if (c.signal.aborted || !(e instanceof ChronosLensError) || e.code === 'NOT_FOUND' || e.code === 'IO' || e.code === 'CANCELLED') throw e;
          csvError = errorMessage(e);
        }
      }
      return this.models.use(
        async (model) => {
          const r = await runMosaicJob(model, settings, series, { ...c, cache: this.referenceCache });
          return { ...r, series };
        },
        { signal: c.signal, activity: vscode.l10n.t('induction mosaic · {0}', target.name), onWaiting: () => c.onProgress({ message: vscode.l10n.t('waiting for the running analysis…') }) },
      );
    });
    const ref = job.reference;
    this.log.info(runLogText(`mosaic (reference protocol${job.referenceCached ? ', reused' : ''}) · ${ref.model.name}: ${mosaicSummary(ref)}`, ref.manifest, { protocol: ref.protocol }));
    if (job.data) this.log.info(runLogText(`mosaic (data-driven) · ${target.name} · ${job.series?.column}: ${mosaicSummary(job.data)}`, job.data.manifest, { protocol: job.data.protocol }));
    const csv = { uri, column: job.series?.column };
    // One results group: the sub-patch and data-driven panels are tabs beside the reference.
    const resultsGroup = this.resultsColumn();
    const refPanel = this.#openMosaic(
      `reference:${ref.model.hash}`,
      { result: ref, variant: 'reference', title: ref.protocol.patch ? vscode.l10n.t('{0} · reference protocol (random patches)', ref.model.name) : vscode.l10n.t('{0} · reference protocol (random tokens)', ref.model.name), csv },
      { column: resultsGroup, preserveFocus: !!job.data || !!job.subPatch },
    );
    const panels: MosaicCommandResult['panels'] = [describePanel(refPanel)];
    if (job.subPatch) {
      const g = job.subPatch.protocol.patch!;
      this.log.info(runLogText(`mosaic (sub-patch protocol) · ${job.subPatch.model.name}: ${mosaicSummary(job.subPatch)}`, job.subPatch.manifest, { protocol: job.subPatch.protocol }));
      const sub = this.#openMosaic(
        `subpatch:${job.subPatch.model.hash}`,
        { result: job.subPatch, variant: 'reference', title: vscode.l10n.t('{0} · sub-patch protocol (period {1} values on patches of {2})', job.subPatch.model.name, g.period, g.size), csv },
        { column: resultsGroup, preserveFocus: !!job.data },
      );
      panels.push(describePanel(sub));
    }
    if (job.subPatchError) this.log.warn(`sub-patch mosaic did not run: ${job.subPatchError}`);
    if (job.data) {
      // A tab beside the reference (its tab strip compares the two; a column each left 250 px panels).
      const dataPanel = this.#openMosaic(
        `data:${uri.toString()}#${job.series?.column ?? ''}`,
        { result: job.data, variant: 'data', title: vscode.l10n.t('{0} · {1} · {2} (data-driven)', job.data.model.name, target.name, job.series?.column ?? ''), csv },
        { column: resultsGroup, preserveFocus: false },
      );
      panels.push(describePanel(dataPanel));
    }
    for (const l of this.#mosaicListeners) {
      try {
        l();
      } catch (e) {
        this.log.error(`mosaic listener failed: ${errorMessage(e)}`);
      }
    }
    const dataError = csvError ?? job.dataError;
    if (settings.dataDriven && dataError) {
      this.log.warn(`data-driven mosaic on ${target.name} did not run: ${dataError}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('Chronos Lens: the data-driven mosaic on {0} did not run: {1}', target.name, dataError));
    }
    return { csv: uri.toString(), panels, referenceCached: job.referenceCached, dataError };
  }

  async openSeriesView(arg?: unknown): Promise<void> {
    const uri = await pickCsvUri(arg, vscode.l10n.t('Open Series View on…'));
    if (!uri) return;
    return this.seriesViews.open(uri);
  }

  /** Called after Compute Induction Mosaic has opened its panels (latestMosaic() is the new one). */
  onDidComputeMosaic(listener: () => void): vscode.Disposable {
    this.#mosaicListeners.add(listener);
    return new vscode.Disposable(() => this.#mosaicListeners.delete(listener));
  }

  /** Export Current Figure… (see exportCurrentFigure): the series view in the active tab, else the active or latest result panel. */
  exportCurrentFigure(arg?: unknown): Promise<ExportResponse | undefined> {
    return exportCurrentFigure(this.seriesViews.activeView() ?? this.currentPanel(), arg);
  }

  /** Shows the output channel and reports an error (used by helpers outside the command wrapper). */
  report(what: string, e: unknown): void {
    redactError(e, this.redactor);
    if (!isCancelled(e)) this.lastError = errorMessage(e);
    reportError(this.log, what, e);
  }

  async dispose(): Promise<void> {
    this.jobs.cancelAll('Chronos Lens is shutting down.');
    for (const p of [...this.mosaicPanels.values(), ...this.ablationPanels, ...this.causalPanels]) p.dispose();
    await this.models.dispose();
  }
}

function describePanel(p: MosaicPanel): MosaicCommandResult['panels'][number] {
  const r = p.state.result;
  return { key: p.key, variant: p.state.variant, layers: r.layers, heads: r.heads, kinds: ATTENTION_KINDS.filter((k) => r[k]) };
}
