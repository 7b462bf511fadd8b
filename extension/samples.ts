/**
 * Open Sample CSVs…: the walkthrough's first step. The samples ship inside the extension, which must
 * never be edited (and is read-only on many installs), so they are copied into a new folder
 * `chronos-lens-samples` in the workspace or in a folder the user picks: nothing of the user's is
 * overwritten or changed (core/files.ts's copyIntoNewFolder). Then the copy is shown: revealed in the
 * explorer with periodic.csv open (so Open Series View has its CSV), or, outside the workspace, offered
 * as a folder to open. In a window without a folder, the result's `openFolder` is the walkthrough's own
 * way to open a folder and come back to the next step.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ChronosLensError } from '../core/errors';
import { copyIntoNewFolder } from '../core/files';
import { isInside } from '../core/hub/names';
import { bundledSamples, FIRST_SAMPLE, SAMPLES_FOLDER } from './lib/samples';

export interface OpenSamplesResult {
  folder: string;
  files: string[];
  /** The copy lies inside a folder of this window's workspace. */
  inWorkspace: boolean;
  /** Outside the workspace: the folder to open (the walkthrough opens it and comes back). */
  openFolder?: vscode.Uri;
}

interface SamplesHost {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
}

/**
 * Asks where (a workspace folder, or any folder through the dialog) unless `{ folder }` names the
 * parent folder (scripts, tests); copies; shows the copy.
 */
export async function openSamplesCommand(host: SamplesHost, arg?: unknown): Promise<OpenSamplesResult | undefined> {
  const given = arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) ? (arg as { folder?: unknown }).folder : undefined;
  if (given !== undefined && (typeof given !== 'string' || !path.isAbsolute(given))) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('"folder" must be an absolute folder path'));
  const workspace = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  let parent = given as string | undefined;
  if (parent === undefined) {
    const items: (vscode.QuickPickItem & { parent?: string })[] = [
      ...workspace.map((f) => ({
        label: `$(new-folder) ${vscode.l10n.t('Copy into {0}', f.name)}`,
        description: `${SAMPLES_FOLDER}/`,
        detail: vscode.l10n.t('A new folder beside your files; nothing of yours is changed.'),
        parent: f.uri.fsPath,
      })),
      { label: `$(folder-opened) ${vscode.l10n.t('Copy to a Folder…')}`, detail: vscode.l10n.t('Pick any folder: the samples go into a new {0} folder inside it.', SAMPLES_FOLDER) },
    ];
    const pick = await vscode.window.showQuickPick(items, {
      // the walkthrough ticks its step as this command starts and redraws, taking the focus: the pick must stay open
      ignoreFocusOut: true,
      title: vscode.l10n.t('Chronos Lens: Open Sample CSVs'),
      placeHolder: vscode.l10n.t('Where to put a copy of the six sample CSVs (periodic, seasonal, trend, noise, gaps)'),
    });
    if (!pick) return undefined;
    parent = pick.parent;
    if (parent === undefined) {
      const picked = await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Copy the Chronos Lens samples into…'),
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: false,
        openLabel: vscode.l10n.t('Copy Samples Here'),
        defaultUri: workspace[0]?.uri ?? vscode.Uri.file(os.homedir()),
      });
      if (!picked?.[0]) return undefined;
      if (picked[0].scheme !== 'file') throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('{0} is not a folder on this machine', picked[0].toString()));
      parent = picked[0].fsPath;
    }
  }
  const copy = await copyIntoNewFolder(await bundledSamples(host.context.extensionUri.fsPath, (dir) => vscode.l10n.t('the extension has no sample CSVs in {0}: reinstall Chronos Lens', dir)), parent, SAMPLES_FOLDER);
  host.log.info(`samples copied into ${copy.folder}: ${copy.files.map((f) => path.basename(f)).join(', ')}`);
  const inWorkspace = workspace.some((f) => isInside(f.uri.fsPath, copy.folder));
  const first = copy.files.find((f) => path.basename(f) === FIRST_SAMPLE) ?? copy.files.find((f) => /\.(csv|tsv)$/i.test(f))!;
  if (inWorkspace) {
    await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(copy.folder));
    // Beside the page that ran it (the walkthrough: a tab of no file type), so the next step's button stays in view.
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    const input: unknown = tab?.input;
    const beside = !!tab && !(input instanceof vscode.TabInputText || input instanceof vscode.TabInputTextDiff || input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputNotebook);
    await vscode.window.showTextDocument(vscode.Uri.file(first), { preview: true, ...(beside ? { viewColumn: vscode.ViewColumn.Beside } : {}) });
    return { ...copy, inWorkspace };
  }
  const folderUri = vscode.Uri.file(copy.folder);
  const open = vscode.l10n.t('Open Folder');
  const openNew = vscode.l10n.t('Open in New Window');
  void vscode.window.showInformationMessage(vscode.l10n.t('Chronos Lens: the samples are in {0}.', copy.folder), open, openNew).then(
    async (choice) => {
      if (choice) await vscode.commands.executeCommand('vscode.openFolder', folderUri, { forceNewWindow: choice === openNew });
    },
    () => undefined,
  );
  // Only an empty window is taken over by the walkthrough's folder opening; a workspace is never replaced unasked.
  return { ...copy, inWorkspace, ...(workspace.length === 0 ? { openFolder: folderUri } : {}) };
}
