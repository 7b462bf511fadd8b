/**
 * Open Sweep Atlas…: pick a sweep folder (its tasks' results are merged now) or an atlas.json written by
 * `chronos-lens sweep merge`, and show it in a panel (<cl-atlas-view>): the model-size axis, induction
 * counts, mosaics, ablation effects, forecast metrics and attributions. Every number the user follows
 * opens its task's manifest (task.json) in an editor beside the panel.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { OpenedAtlas } from '../analysis/sweep/merge';
import { ChronosLensError } from '../core/errors';
import type { AtlasHostMessage, ShowAtlasMessage, ValidationContext } from '../protocol';
import type { NotificationOf } from './lib/router';
import { ViewPanel, type PanelDeps } from './panels';

export const ATLAS_VIEW_TYPE = 'chronosLens.atlas';

export class AtlasPanel extends ViewPanel<'atlas'> {
  #opened: OpenedAtlas;
  #show: ShowAtlasMessage;
  #taskIds: Set<string>;

  constructor(deps: PanelDeps, opened: OpenedAtlas, show: ShowAtlasMessage) {
    super(deps, 'atlas', { viewType: ATLAS_VIEW_TYPE, title: atlasTitle(opened), column: vscode.ViewColumn.Active, preserveFocus: false, initialState: show });
    this.#opened = opened;
    this.#show = show;
    this.#taskIds = new Set(opened.atlas.tasks.map((t) => t.id));
  }

  get opened(): OpenedAtlas {
    return this.#opened;
  }

  /** Shows the atlas again, re-read (a sweep that is still running has more results now). */
  show(opened: OpenedAtlas, show: ShowAtlasMessage): void {
    this.#opened = opened;
    this.#show = show;
    this.#taskIds = new Set(opened.atlas.tasks.map((t) => t.id));
    this.panel.title = atlasTitle(opened);
    this.refresh();
  }

  protected showMessage(): AtlasHostMessage {
    return this.#show;
  }

  protected validationContext(): ValidationContext {
    return { taskIds: this.#taskIds };
  }

  protected exportFolder(): vscode.Uri | undefined {
    return vscode.Uri.file(this.#opened.base);
  }

  protected async handle(m: NotificationOf<'atlas'>): Promise<void> {
    if (m.type !== 'openManifest') return;
    const { manifestFile } = await import('../analysis/sweep/merge');
    const file = manifestFile(this.#opened, m.task);
    if (!file) throw new ChronosLensError('NOT_FOUND', vscode.l10n.t('The atlas names no manifest for task {0}.', m.task));
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: false });
    } catch (e) {
      const msg = `Cannot open the manifest of task ${m.task} (${file}): ${(e as Error).message}`;
      this.deps.log.error(msg);
      this.post({ type: 'error', message: vscode.l10n.t('The manifest of task {0} could not be opened.', m.task), detail: `${file}: ${(e as Error).message}` });
    }
  }
}

function atlasTitle(o: OpenedAtlas): string {
  return `Atlas · ${o.atlas.name}`;
}

/** The sweep folder or atlas file the command was given (explorer: a Uri; scripts: a path), else asked for. */
export async function pickAtlasTarget(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string' && arg) return path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.', arg);
  const kind = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t('$(folder) Sweep folder…'), description: vscode.l10n.t('merge its tasks’ results now'), id: 'folder' as const },
      { label: vscode.l10n.t('$(json) Atlas file…'), description: vscode.l10n.t('an atlas.json from “chronos-lens sweep merge”'), id: 'file' as const },
    ],
    { title: vscode.l10n.t('Chronos Lens: Open Sweep Atlas'), placeHolder: vscode.l10n.t('What to open') },
  );
  if (!kind) return undefined;
  const picked = await vscode.window.showOpenDialog({
    title: kind.id === 'folder' ? vscode.l10n.t('Open the atlas of a sweep folder') : vscode.l10n.t('Open an atlas file'),
    canSelectMany: false,
    canSelectFiles: kind.id === 'file',
    canSelectFolders: kind.id === 'folder',
    openLabel: vscode.l10n.t('Open Atlas'),
    filters: kind.id === 'file' ? { 'Atlas (JSON)': ['json'] } : undefined,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}

/** What Open Sweep Atlas… needs from the extension (the Controller provides it). */
export interface AtlasDeps {
  readonly panelDeps: PanelDeps;
  readonly atlasPanels: Map<string, AtlasPanel>;
  readonly log: vscode.LogOutputChannel;
}

/** The command: opens (or re-reads and reveals) the atlas panel of a sweep folder or an atlas file. */
export async function openSweepAtlas(c: AtlasDeps, arg?: unknown): Promise<AtlasPanel | undefined> {
  const target = await pickAtlasTarget(arg);
  if (!target) return undefined;
  const { openAtlas, atlasView } = await import('../analysis/sweep/merge');
  const opened = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Chronos Lens: reading the atlas of {0}', path.basename(target)) }, () => openAtlas(target));
  const view = atlasView(opened.atlas);
  const show: ShowAtlasMessage = { type: 'showAtlas', atlas: view.atlas, mosaics: view.mosaics, source: path.basename(opened.source) };
  const a = opened.atlas;
  c.log.info(`atlas ${a.name} from ${opened.source}: ${a.counts.done} of ${a.tasks.length} tasks done, ${a.models.length} models, ${view.mosaics.length} mosaics`);
  const key = path.resolve(opened.source);
  const existing = c.atlasPanels.get(key);
  if (existing && !existing.disposed) {
    existing.show(opened, show);
    existing.reveal();
    return existing;
  }
  const panel = new AtlasPanel(c.panelDeps, opened, show);
  c.atlasPanels.set(key, panel);
  panel.panel.onDidDispose(() => {
    if (c.atlasPanels.get(key) === panel) c.atlasPanels.delete(key);
  });
  return panel;
}
