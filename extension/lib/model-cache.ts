/**
 * Clear Model Cache's file work, vscode-free. The cache root is the extension's global storage, and
 * only what the graph cache wrote there is counted and deleted: graphs/ entries of its own layout (and
 * leftovers of interrupted writes) and the checkpoint-hash memo, through the models module's
 * clearGraphCache, which refuses a folder without its marker. Anything else in graphs/ is left alone and
 * reported, and the GPU package (`<root>/gpu/`) is never looked at.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { formatBytes } from '../../core/hub/dirsize';
import { CACHE_MARKER, clearGraphCache, GraphCache, graphCacheSize, GRAPHS_DIR, type Warn } from '../../models/runtime/graph-cache';

export interface ModelCacheSize {
  /** `<root>/graphs`, where the built graphs live. */
  dir: string;
  /** What clearing would free: our graph entries and the memo. */
  bytes: number;
  files: number;
  /** Other things in graphs/ (not of the cache's layout): never counted, never deleted. */
  others: number;
}

export interface ModelCacheCleared {
  dir: string;
  bytes: number;
  files: number;
  /** Things in graphs/ that are not the cache's, left where they were. */
  kept: number;
}

/** What Clear Model Cache would free in `root` (the confirmation shows it). */
export async function modelCacheSize(root: string): Promise<ModelCacheSize> {
  const r = await graphCacheSize(root);
  return { dir: path.join(r.dir, GRAPHS_DIR), bytes: r.bytes, files: r.files, others: r.kept };
}

/**
 * Clears the graph cache in `root`. The root is the extension's own global storage, so a cache that
 * graphs were built into before the marker existed gets it first (opening the cache writes it, or warns
 * through `warn` when the folder cannot be used; clearGraphCache then refuses with its one line).
 */
export async function clearModelCacheAt(root: string, warn: Warn): Promise<ModelCacheCleared> {
  const markerMissing = await fsp.lstat(path.join(root, CACHE_MARKER)).then(
    () => false,
    () => true,
  );
  if (markerMissing && (await fsp.lstat(root).then((s) => s.isDirectory(), () => false))) await GraphCache.open(root, warn);
  const r = await clearGraphCache(root);
  return { dir: path.join(r.dir, GRAPHS_DIR), bytes: r.bytes, files: r.files, kept: r.kept };
}

/** The notification after clearing. */
export function clearedMessage(r: ModelCacheCleared): string {
  const kept = r.kept ? ` Left alone in ${r.dir}: ${r.kept} ${r.kept === 1 ? 'item' : 'items'} that Chronos Lens did not write.` : '';
  return `Chronos Lens: model cache cleared (${formatBytes(r.bytes)} freed).${kept}`;
}
