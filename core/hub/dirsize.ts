/**
 * Size and clearing of a cache folder (the hub cache, the built-ONNX-graph cache). Symbolic links are
 * counted as links, not followed, so a hub cache's blobs are counted once.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChronosLensError } from '../errors';

export interface DirSize {
  bytes: number;
  files: number;
}

async function walk(p: string, acc: DirSize, signal?: AbortSignal): Promise<void> {
  let st: fs.Stats;
  try {
    st = await fs.promises.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (st.isDirectory()) {
    if (signal?.aborted) return;
    let entries: string[];
    try {
      entries = await fs.promises.readdir(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) await walk(path.join(p, e), acc, signal);
    return;
  }
  acc.files += 1;
  acc.bytes += st.isSymbolicLink() ? 0 : st.size;
}

/** Bytes and file count below `dir` (0 when it does not exist). Links count as 0 bytes. */
export async function dirSize(dir: string, options: { signal?: AbortSignal } = {}): Promise<DirSize> {
  const acc: DirSize = { bytes: 0, files: 0 };
  try {
    await walk(path.resolve(dir), acc, options.signal);
  } catch (e) {
    throw new ChronosLensError('IO', `Cannot measure ${dir}: ${(e as Error).message}`, { cause: e });
  }
  return acc;
}

/**
 * Deletes everything inside `dir` (the folder itself stays) and returns what was freed. Refuses a
 * filesystem root, the home folder and relative paths, so that a bad setting cannot wipe a disk.
 */
export async function clearDir(dir: string): Promise<DirSize> {
  if (!path.isAbsolute(dir)) throw new ChronosLensError('BAD_INPUT', `Refusing to clear "${dir}": the path must be absolute.`);
  const abs = path.resolve(dir);
  if (abs === path.parse(abs).root || abs === path.resolve(os.homedir())) {
    throw new ChronosLensError('BAD_INPUT', `Refusing to clear ${abs}: it is a filesystem root or the home folder.`);
  }
  const before = await dirSize(abs);
  let entries: string[];
  try {
    entries = await fs.promises.readdir(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { bytes: 0, files: 0 };
    throw new ChronosLensError('IO', `Cannot clear ${abs}: ${(e as Error).message}`, { cause: e });
  }
  try {
    for (const e of entries) await fs.promises.rm(path.join(abs, e), { recursive: true, force: true });
  } catch (e) {
    throw new ChronosLensError('IO', `Cannot clear ${abs}: ${(e as Error).message}`, { cause: e });
  }
  return before;
}

/** 1234567 -> "1.2 MB" (decimal units, as the hub shows sizes). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}
