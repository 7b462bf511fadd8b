/**
 * Clear Model Cache: the ONNX graphs Chronos Lens built for checkpoints (`<globalStorage>/graphs/`, keyed
 * by content hash) and the memo of checkpoint hashes. Never the GPU package (`<globalStorage>/gpu/`), the
 * stored ablation runs, or the Hugging Face cache (shared with Python tools). The loaded model is unloaded
 * first (it is loaded, and its graphs rebuilt, on the next use).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
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
}

/** The folder ChronosModel.load gets as `cacheDir` (graphs/ and checkpoint-hashes.json inside). */
export function graphCacheRoot(context: vscode.ExtensionContext): string {
  return context.globalStorageUri.fsPath;
}

const HASHES_FILE = 'checkpoint-hashes.json';

export async function modelCacheSize(context: vscode.ExtensionContext): Promise<{ dir: string; bytes: number; files: number }> {
  const { dirSize } = await import('../core/hub');
  const root = graphCacheRoot(context);
  const dir = path.join(root, 'graphs');
  const s = await dirSize(dir);
  const memo = await fsp.stat(path.join(root, HASHES_FILE)).catch(() => undefined);
  return { dir, bytes: s.bytes + (memo?.size ?? 0), files: s.files + (memo ? 1 : 0) };
}

/** Shows the size and clears the cache after a confirmation (`{ confirm: false }` skips it, for scripts). */
export async function clearModelCache(host: ModelCacheHost, arg?: unknown): Promise<ClearCacheResult | undefined> {
  const { clearDir, formatBytes } = await import('../core/hub');
  const size = await modelCacheSize(host.context);
  if (size.files === 0) {
    void vscode.window.showInformationMessage(`Chronos Lens: the model cache is empty (${size.dir}).`);
    return { ...size, cleared: false };
  }
  const confirm = !(arg && typeof arg === 'object' && (arg as { confirm?: unknown }).confirm === false);
  if (confirm) {
    const ok = await vscode.window.showWarningMessage(
      `Clear the Chronos Lens model cache (${formatBytes(size.bytes)})?`,
      {
        modal: true,
        detail: `${size.files} files of built ONNX graphs in ${size.dir}; they are rebuilt the next time a model needs them. The Hugging Face cache and GPU support are kept.`,
      },
      'Clear',
    );
    if (ok !== 'Clear') return undefined;
  }
  if (!(await host.models.unload())) {
    throw new ChronosLensError('RUNTIME', 'a model is in use: wait for the running analysis to finish (or cancel it), then clear the cache');
  }
  await clearDir(size.dir);
  await fsp.rm(path.join(graphCacheRoot(host.context), HASHES_FILE), { force: true });
  host.log.info(`model cache cleared: ${formatBytes(size.bytes)} in ${size.files} files (${size.dir})`);
  void vscode.window.showInformationMessage(`Chronos Lens: model cache cleared (${formatBytes(size.bytes)} freed).`);
  return { ...size, cleared: true };
}
