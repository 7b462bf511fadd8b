/**
 * Clear Model Cache: the ONNX graphs Chronos Lens built for checkpoints (`<globalStorage>/graphs/`, keyed
 * by content hash) and the memo of checkpoint hashes. Only entries the graph cache wrote are deleted
 * (lib/model-cache.ts, through the models module's clearGraphCache); never the GPU package
 * (`<globalStorage>/gpu/`), the stored ablation runs, or the Hugging Face cache (shared with Python
 * tools). The loaded model is unloaded first (it is loaded, and its graphs rebuilt, on the next use).
 */
import * as vscode from 'vscode';
import { ChronosLensError } from '../core/errors';

export interface ModelCacheHost {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly models: { unload(): Promise<boolean> };
}

export interface ClearCacheResult {
  dir: string;
  bytes: number;
  files: number;
  cleared: boolean;
  /** Things in graphs/ that Chronos Lens did not write, left alone. */
  kept: number;
}

/** The folder ChronosModel.load gets as `cacheDir` (graphs/ and checkpoint-hashes.json inside). */
export function graphCacheRoot(context: vscode.ExtensionContext): string {
  return context.globalStorageUri.fsPath;
}

/** Shows the size and clears the cache after a confirmation (`{ confirm: false }` skips it, for scripts). */
export async function clearModelCache(host: ModelCacheHost, arg?: unknown): Promise<ClearCacheResult | undefined> {
  // Loaded on use: nothing of the models module at activation.
  const { clearedMessage, clearModelCacheAt, modelCacheSize } = await import('./lib/model-cache');
  const { formatBytes } = await import('../core/hub/dirsize');
  const root = graphCacheRoot(host.context);
  const size = await modelCacheSize(root);
  if (size.files === 0) {
    const message =
      size.others === 0
        ? vscode.l10n.t('Chronos Lens: the model cache is empty ({0}).', size.dir)
        : size.others === 1
          ? vscode.l10n.t('Chronos Lens: the model cache is empty ({0}) (1 other item there that Chronos Lens did not write is left alone).', size.dir)
          : vscode.l10n.t('Chronos Lens: the model cache is empty ({0}) ({1} other items there that Chronos Lens did not write are left alone).', size.dir, size.others);
    void vscode.window.showInformationMessage(message);
    return { dir: size.dir, bytes: 0, files: 0, cleared: false, kept: size.others };
  }
  const confirm = !(arg && typeof arg === 'object' && (arg as { confirm?: unknown }).confirm === false);
  if (confirm) {
    const clear = vscode.l10n.t('Clear');
    const ok = await vscode.window.showWarningMessage(
      vscode.l10n.t('Clear the Chronos Lens model cache ({0})?', formatBytes(size.bytes)),
      {
        modal: true,
        detail: size.others
          ? vscode.l10n.t('{0} files of built ONNX graphs in {1}; they are rebuilt the next time a model needs them. The Hugging Face cache and GPU support are kept, and so are {2} other items in that folder that Chronos Lens did not write.', size.files, size.dir, size.others)
          : vscode.l10n.t('{0} files of built ONNX graphs in {1}; they are rebuilt the next time a model needs them. The Hugging Face cache and GPU support are kept.', size.files, size.dir),
      },
      clear,
    );
    if (ok !== clear) return undefined;
  }
  if (!(await host.models.unload())) {
    throw new ChronosLensError('RUNTIME', vscode.l10n.t('a model is in use: wait for the running analysis to finish (or cancel it), then clear the cache'));
  }
  const r = await clearModelCacheAt(root, (m) => host.log.warn(m));
  host.log.info(`model cache cleared: ${formatBytes(r.bytes)} in ${r.files} files (${r.dir})${r.kept ? `; ${r.kept} other items left alone` : ''}`);
  void vscode.window.showInformationMessage(clearedMessage(r));
  return { ...r, cleared: true };
}
