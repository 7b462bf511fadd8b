/**
 * The on-disk cache of built ONNX graphs (`<root>/graphs/<checkpoint hash>-<variant>/`), shared by
 * every model family.
 *
 * - Integrity: each entry carries a manifest with the size and sha256 of every file written
 *   (model.onnx, and model.onnx.data for graphs with external weights). An entry is verified on every
 *   load; a flipped byte, a truncation or a missing file discards the entry and the graph is rebuilt,
 *   with one warning. A bad entry never becomes a permanent failure.
 * - Cheap re-checks: hashing the weights on every load costs seconds for a base-size model (a second
 *   per few hundred MB), so after an entry has been written or fully verified its files' identity (size,
 *   inode, modification and change times, to the nanosecond) is kept in `stamp.json`; a load whose files
 *   all still match it skips the hash. Any write to a file, or its replacement, changes its change time
 *   (which no program can set back), so such a file is hashed again and a damaged one is caught as before.
 * - Optimised graphs: next to a graph, ONNX Runtime's own optimised, weight-packed version of it for this
 *   machine's CPU (`cpu-<key>/`, keyed by ORT version, platform and CPU features; see ort.ts
 *   OptimizedGraphFiles). ORT writes it, so it has no hash to check against: it is trusted only while
 *   every file matches the stamp taken right after it was written, and any other state (a file touched,
 *   missing or added, no stamp) discards it with one warning, to be written again.
 * - Atomic writes: an entry is written into a temporary folder next to its final place and renamed
 *   into place only when complete; the temporary folder is removed on any failure (and one that a
 *   killed process left behind is removed when the cache is next opened, a day later).
 * - Ownership: the cache root gets a marker file (`.chronos-lens-cache`) when it is first used, and
 *   `clearGraphCache` deletes only entries of this layout inside a folder that has the marker, so
 *   pointing it at any other folder deletes nothing.
 * - A cache that cannot be used (the path is a file, the folder cannot be created or written) is not an
 *   error: the caller gets one warning and runs without the disk cache (graphs are built in memory).
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosLensError } from '../../core/errors';
import { writeFileAtomic } from '../../core/files';
import { dirSize } from '../../core/hub/dirsize';
import { oneLine, openRegularFile, readRegularText } from '../files';
import { OPTIMIZED_DATA, OPTIMIZED_MODEL } from './ort';

export const CACHE_MARKER = '.chronos-lens-cache';
export const GRAPHS_DIR = 'graphs';
export const HASHES_FILE = 'checkpoint-hashes.json';
const MARKER_FORMAT = 'chronos-lens-graph-cache';
const MARKER_VERSION = 1;
const MANIFEST = 'manifest.json';
const INFO = 'info.json';
const MANIFEST_FORMAT = 'chronos-lens-graph';
const STAMP = 'stamp.json';
const STAMP_FORMAT = 'chronos-lens-file-stamps';

/** An optimised graph's folder inside an entry: `cpu-` and 16 hex digits of its key. */
const OPTIMIZED_NAME = /^cpu-[0-9a-f]{16}$/;
const OPTIMIZED_LEFTOVER = /^cpu-[0-9a-f]{16}\.tmp-[0-9a-z-]+$/;

/** An entry folder: 24 hex digits of the checkpoint hash, a dash, 16 of the variant. */
export const ENTRY_NAME = /^[0-9a-f]{24}-[0-9a-f]{16}$/;
/** Temporary and discarded entry folders (a crash can leave them; clearing removes them). */
const ENTRY_LEFTOVER = /^[0-9a-f]{24}-[0-9a-f]{16}\.(tmp|bad)-[0-9a-z-]+$/;
/** writeFileAtomic's temporary copies of the hash memo. */
const MEMO_LEFTOVER = /^\.checkpoint-hashes\.json\.[0-9a-z-]+\.tmp$/;
/** File names a manifest may list (written by us: model.onnx, model.onnx.data). */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

export type Warn = (message: string) => void;

/** What a cached entry gives back: the graph bytes (embedded weights) or the model.onnx path (external data). */
export interface CachedGraph {
  bytes?: Uint8Array;
  path?: string;
}

interface ManifestFile {
  size: number;
  sha256: string;
}

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way';
  if (e instanceof ChronosLensError) return e.message;
  return code ?? oneLine(e instanceof Error ? e.message : String(e));
}

async function sha256File(file: string): Promise<{ size: number; sha256: string }> {
  const { fh } = await openRegularFile(file, 'IO');
  try {
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 22);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return { size: pos, sha256: h.digest('hex') };
  } finally {
    await fh.close();
  }
}

type FileStamp = { size: string; ino: string; mtimeNs: string; ctimeNs: string };

/** The identity of a regular file (undefined: missing, or not a regular file). */
async function fileStamp(file: string): Promise<FileStamp | undefined> {
  const st = await fsp.lstat(file, { bigint: true }).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return { size: String(st.size), ino: String(st.ino), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
}

async function takeStamps(dir: string, files: string[]): Promise<Record<string, FileStamp>> {
  const out: Record<string, FileStamp> = {};
  for (const f of files) {
    const st = await fileStamp(path.join(dir, f));
    if (!st) throw new ChronosLensError('IO', `${f} vanished while being stamped`);
    out[f] = st;
  }
  return out;
}

/** Whether `files` in `dir` are, each, exactly the files stamped in its stamp.json (and nothing else is stamped). */
async function stampsMatch(dir: string, files: string[]): Promise<boolean> {
  let stamp: { format?: unknown; files?: Record<string, FileStamp> };
  try {
    stamp = JSON.parse(await readRegularText(path.join(dir, STAMP), { maxBytes: 1 << 16, code: 'IO' }));
  } catch {
    return false;
  }
  if (stamp?.format !== STAMP_FORMAT || typeof stamp.files !== 'object' || stamp.files === null) return false;
  const stamped = Object.keys(stamp.files).sort();
  if (stamped.join('/') !== [...files].sort().join('/')) return false;
  for (const f of files) {
    const want = stamp.files[f];
    const got = await fileStamp(path.join(dir, f));
    if (!got || !want || got.size !== want.size || got.ino !== want.ino || got.mtimeNs !== want.mtimeNs || got.ctimeNs !== want.ctimeNs) return false;
  }
  return true;
}

async function writeStamps(dir: string, files: string[], atomic: boolean): Promise<void> {
  const text = JSON.stringify({ format: STAMP_FORMAT, version: 1, files: await takeStamps(dir, files) }, null, 1);
  if (atomic) await writeFileAtomic(path.join(dir, STAMP), text);
  else await fsp.writeFile(path.join(dir, STAMP), text, { flag: 'wx' });
}

/** Removes a folder, renamed aside first (`<dir>.<tag>-<suffix>`, a leftover pattern) so no reader sees half of it. */
async function removeAside(dir: string, tag: 'tmp' | 'bad'): Promise<void> {
  const aside = `${dir}.${tag}-${suffix()}`;
  try {
    await fsp.rename(dir, aside);
    await fsp.rm(aside, { recursive: true, force: true });
  } catch {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function suffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

export class GraphCache {
  private constructor(
    readonly root: string,
    private readonly warn: Warn,
  ) {}

  /**
   * Opens (creating it and its marker when needed) the cache at `root`. When it cannot be used, warns
   * once through `warn` and returns null: the caller then builds graphs in memory.
   */
  static async open(root: string, warn: Warn): Promise<GraphCache | null> {
    const abs = path.resolve(root);
    try {
      const st = await fsp.stat(abs).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      if (st && !st.isDirectory()) {
        warn(`the graph cache ${abs} is not a folder; continuing without the graph cache (give a folder as the cache, or turn the cache off)`);
        return null;
      }
      await fsp.mkdir(path.join(abs, GRAPHS_DIR), { recursive: true });
      const gst = await fsp.stat(path.join(abs, GRAPHS_DIR));
      if (!gst.isDirectory()) throw Object.assign(new Error('graphs is not a folder'), { code: 'ENOTDIR' });
      await fsp.access(abs, constants.W_OK);
      await fsp.access(path.join(abs, GRAPHS_DIR), constants.W_OK);
      if (!(await hasMarker(abs))) {
        await writeFileAtomic(path.join(abs, CACHE_MARKER), JSON.stringify({ format: MARKER_FORMAT, version: MARKER_VERSION, note: "Chronos Lens' cache of built ONNX graphs. Clearing it deletes only the graphs/ entries and checkpoint-hashes.json Chronos Lens wrote here." }) + '\n');
      }
    } catch (e) {
      warn(`the graph cache ${abs} cannot be used (${why(e)}); continuing without the graph cache`);
      return null;
    }
    await removeStaleLeftovers(path.join(abs, GRAPHS_DIR));
    return new GraphCache(abs, warn);
  }

  /** Where checkpoint hashes are memoised. */
  get memoFile(): string {
    return path.join(this.root, HASHES_FILE);
  }

  entryDir(name: string): string {
    if (!ENTRY_NAME.test(name)) throw new ChronosLensError('RUNTIME', `internal: bad graph cache entry name ${oneLine(name)}`);
    return path.join(this.root, GRAPHS_DIR, name);
  }

  /**
   * The verified graph of entry `name`, or undefined when there is none. An entry that fails its check
   * is discarded with one warning (and undefined is returned, so the caller rebuilds it).
   */
  async load(name: string, opts: { external: boolean }): Promise<CachedGraph | undefined> {
    const dir = this.entryDir(name);
    try {
      await fsp.lstat(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    }
    try {
      return await this.verify(dir, opts.external);
    } catch (e) {
      await this.discard(name, `failed its integrity check (${why(e)})`);
      return undefined;
    }
  }

  private async verify(dir: string, external: boolean): Promise<CachedGraph> {
    const st = await fsp.lstat(dir);
    if (!st.isDirectory()) throw new ChronosLensError('IO', 'not a folder');
    let manifest: { format?: unknown; files?: unknown };
    try {
      manifest = JSON.parse(await readRegularText(path.join(dir, MANIFEST), { maxBytes: 1 << 16, code: 'IO' }));
    } catch (e) {
      throw new ChronosLensError('IO', e instanceof ChronosLensError && e.code === 'NOT_FOUND' ? 'no manifest' : 'unreadable manifest');
    }
    const files = manifest?.files;
    if (manifest?.format !== MANIFEST_FORMAT || typeof files !== 'object' || files === null || Array.isArray(files)) throw new ChronosLensError('IO', 'unreadable manifest');
    const entries = Object.entries(files as Record<string, unknown>);
    if (!entries.some(([n]) => n === 'model.onnx')) throw new ChronosLensError('IO', 'manifest without model.onnx');
    if (external && entries.every(([n]) => FILE_NAME.test(n)) && (await stampsMatch(dir, entries.map(([n]) => n)))) return { path: path.join(dir, 'model.onnx') };
    let bytes: Uint8Array | undefined;
    for (const [fname, meta] of entries) {
      const m = meta as Partial<ManifestFile> | null;
      if (!FILE_NAME.test(fname) || typeof m !== 'object' || m === null || !Number.isSafeInteger(m.size) || typeof m.sha256 !== 'string') throw new ChronosLensError('IO', 'unreadable manifest');
      const file = path.join(dir, fname);
      if (fname === 'model.onnx' && !external) {
        // Embedded weights: read once, check, and hand the verified bytes to ONNX Runtime (no second read).
        const buf = await readWhole(file, m.size!);
        const got = createHash('sha256').update(buf).digest('hex');
        if (got !== m.sha256) throw new ChronosLensError('IO', `${fname}: sha256 mismatch`);
        bytes = buf;
      } else {
        const got = await sha256File(file);
        if (got.size !== m.size) throw new ChronosLensError('IO', `${fname}: ${got.size} bytes, ${m.size} expected`);
        if (got.sha256 !== m.sha256) throw new ChronosLensError('IO', `${fname}: sha256 mismatch`);
      }
    }
    // Verified in full: stamp the files, so the next load need not hash them again (best effort).
    if (external) await writeStamps(dir, entries.map(([n]) => n), true).catch(() => undefined);
    return external ? { path: path.join(dir, 'model.onnx') } : { bytes };
  }

  /** The optimised graph folder `cpu-<key>` of entry `name`. */
  optimizedDir(name: string, key: string): string {
    const d = `cpu-${key}`;
    if (!OPTIMIZED_NAME.test(d)) throw new ChronosLensError('RUNTIME', `internal: bad optimised graph key ${oneLine(key)}`);
    return path.join(this.entryDir(name), d);
  }

  /**
   * The model.onnx of entry `name`'s optimised graph for `key`, when there is one whose files are exactly
   * those stamped when it was written; one in any other state is discarded with one warning.
   */
  async loadOptimized(name: string, key: string): Promise<string | undefined> {
    const dir = this.optimizedDir(name, key);
    let listed: string[];
    try {
      listed = (await fsp.readdir(dir)).filter((f) => f !== STAMP);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      listed = [];
    }
    if (listed.includes(OPTIMIZED_MODEL) && listed.every((f) => f === OPTIMIZED_MODEL || f === OPTIMIZED_DATA) && (await stampsMatch(dir, listed))) {
      return path.join(dir, OPTIMIZED_MODEL);
    }
    await this.discardOptimized(dir, 'was changed or is incomplete since it was written');
    return undefined;
  }

  /** Removes an optimised graph folder (moved aside first, so a concurrent reader never sees half of it) and warns once. */
  async discardOptimized(dir: string, reason: string): Promise<void> {
    this.warn(`the optimised graph ${dir} ${reason}; writing it again`);
    await removeAside(dir, 'tmp');
  }

  /**
   * An empty temporary folder for ONNX Runtime to write entry `name`'s optimised graph into (see
   * commitOptimized), or undefined when the entry's folder cannot be written (the session then just runs).
   * Optimised graphs for other keys (another CPU, an older layout) and leftovers of killed writers are removed.
   */
  async prepareOptimized(name: string, key: string): Promise<string | undefined> {
    const final = this.optimizedDir(name, key);
    const entry = path.dirname(final);
    try {
      for (const e of await fsp.readdir(entry)) {
        const p = path.join(entry, e);
        if (OPTIMIZED_NAME.test(e) && p !== final) await fsp.rm(p, { recursive: true, force: true });
        else if (OPTIMIZED_LEFTOVER.test(e) && Date.now() - (await fsp.lstat(p)).mtimeMs > STALE_MS) await fsp.rm(p, { recursive: true, force: true });
      }
      const tmp = `${final}.tmp-${suffix()}`;
      await fsp.mkdir(tmp);
      return tmp;
    } catch {
      return undefined;
    }
  }

  /**
   * Stamps what ONNX Runtime wrote into `tmp` and renames it into place as entry `name`'s optimised graph
   * for `key`; on any failure (or when `saved` is false: nothing complete was written) `tmp` is removed.
   */
  async commitOptimized(name: string, key: string, tmp: string, saved: boolean): Promise<void> {
    try {
      if (!saved) throw new Error('nothing to keep');
      const files = (await fsp.readdir(tmp)).filter((f) => f === OPTIMIZED_MODEL || f === OPTIMIZED_DATA);
      if (!files.includes(OPTIMIZED_MODEL)) throw new Error('no model.onnx');
      await writeStamps(tmp, files, false);
      await fsp.rename(tmp, this.optimizedDir(name, key));
    } catch {
      // Another process put its copy in place first, the disk is full, ...: this session runs anyway.
      await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Removes entry `name` (moved aside first, so a concurrent reader never sees half of it) and warns once. */
  async discard(name: string, reason: string): Promise<void> {
    const dir = this.entryDir(name);
    this.warn(`the cached graph ${dir} ${reason}; rebuilding it`);
    await removeAside(dir, 'bad');
  }

  /**
   * Builds entry `name` through `build` (which writes into the folder it is given, or returns the
   * bytes of an embedded graph) and stores it atomically with its manifest and `info`. Returns what to
   * open: the bytes, or the final model.onnx path. When the cache cannot be written the temporary folder
   * is removed, one warning is given, and embedded bytes are still returned; a graph with external data
   * cannot live without its folder, so that failure is an error.
   */
  async store(name: string, build: (tmpDir: string) => Promise<{ bytes?: Uint8Array; files?: Record<string, ManifestFile> }>, info: Record<string, unknown>): Promise<CachedGraph> {
    const dir = this.entryDir(name);
    const tmp = `${dir}.tmp-${suffix()}`;
    let bytes: Uint8Array | undefined;
    try {
      await fsp.mkdir(tmp);
      const built = await build(tmp);
      bytes = built.bytes;
      const files: Record<string, ManifestFile> = {};
      if (bytes) {
        await fsp.writeFile(path.join(tmp, 'model.onnx'), bytes, { flag: 'wx' });
        files['model.onnx'] = { size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
      } else {
        // Hashes the builder took while writing are used where the file is still that size; others are read back.
        for (const f of (await fsp.readdir(tmp)).sort()) {
          const known = built.files?.[f];
          files[f] = known && (await fsp.lstat(path.join(tmp, f))).size === known.size ? known : await sha256File(path.join(tmp, f));
        }
        await writeStamps(tmp, Object.keys(files), false);
      }
      await fsp.writeFile(path.join(tmp, INFO), JSON.stringify(info, null, 1), { flag: 'wx' });
      // The manifest last: an entry without one is never trusted.
      await fsp.writeFile(path.join(tmp, MANIFEST), JSON.stringify({ format: MANIFEST_FORMAT, version: 1, files }, null, 1), { flag: 'wx' });
      try {
        await fsp.rename(tmp, dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e;
        // Another process stored the same graph first; use ours (identical) from memory, or theirs.
        await fsp.rm(tmp, { recursive: true, force: true });
        return bytes ? { bytes } : { path: path.join(dir, 'model.onnx') };
      }
      return bytes ? { bytes } : { path: path.join(dir, 'model.onnx') };
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      if (e instanceof ChronosLensError && e.code !== 'IO') throw e; // a bad checkpoint, a cancel: not a cache problem
      if (bytes) {
        this.warn(`could not write the graph cache ${this.root} (${why(e)}); continuing without caching this graph`);
        return { bytes };
      }
      throw new ChronosLensError('IO', `cannot write the graph to ${tmp} (${why(e)}); free some space or turn the graph cache off`, { cause: e });
    }
  }
}

async function readWhole(file: string, expected: number): Promise<Buffer> {
  const { fh, size } = await openRegularFile(file, 'IO');
  try {
    if (size !== expected) throw new ChronosLensError('IO', `${path.basename(file)}: ${size} bytes, ${expected} expected`);
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) throw new ChronosLensError('IO', `${path.basename(file)}: truncated while being read`);
      off += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** Leftovers older than this are from a process that was killed mid-write (a live write takes minutes at most). */
const STALE_MS = 24 * 3600 * 1000;

/** Removes temporary and discarded entry folders that a killed process left behind. */
async function removeStaleLeftovers(graphs: string): Promise<void> {
  try {
    for (const e of await fsp.readdir(graphs)) {
      if (!ENTRY_LEFTOVER.test(e)) continue;
      const p = path.join(graphs, e);
      const st = await fsp.lstat(p);
      if (Date.now() - st.mtimeMs > STALE_MS) await fsp.rm(p, { recursive: true, force: true });
    }
  } catch {
    // Housekeeping only: a folder that cannot be listed or cleaned is left as it is.
  }
}

async function hasMarker(root: string): Promise<boolean> {
  try {
    const st = await fsp.lstat(path.join(root, CACHE_MARKER));
    if (!st.isFile()) return false;
    const m = JSON.parse(await readRegularText(path.join(root, CACHE_MARKER), { maxBytes: 1 << 14 })) as { format?: unknown };
    return m?.format === MARKER_FORMAT;
  } catch {
    return false;
  }
}

export interface ClearResult {
  dir: string;
  bytes: number;
  files: number;
  /** Entries found inside graphs/ that are not of this cache's layout, left where they are. */
  kept: number;
}

/** What clearing `abs` would delete (graph entries, leftovers of interrupted writes, the memo) and what it leaves. */
async function cacheEntries(abs: string): Promise<{ victims: string[]; kept: number; graphsIsDir: boolean }> {
  const victims: string[] = [];
  let kept = 0;
  const graphs = path.join(abs, GRAPHS_DIR);
  const graphsIsDir = await fsp.lstat(graphs).then((st) => st.isDirectory(), () => false);
  if (graphsIsDir) {
    for (const e of await fsp.readdir(graphs)) {
      if (ENTRY_NAME.test(e) || ENTRY_LEFTOVER.test(e)) victims.push(path.join(graphs, e));
      else kept++;
    }
  }
  const top = await fsp.readdir(abs).catch(() => [] as string[]);
  for (const e of top) if (e === HASHES_FILE || MEMO_LEFTOVER.test(e)) victims.push(path.join(abs, e));
  return { victims, kept, graphsIsDir };
}

/** What clearing the cache at `root` would free, and how many things in graphs/ it would leave alone; deletes nothing. */
export async function graphCacheSize(root: string): Promise<ClearResult> {
  const abs = path.resolve(root);
  const { victims, kept } = await cacheEntries(abs);
  let bytes = 0;
  let files = 0;
  for (const v of victims) {
    const m = await dirSize(v).catch(() => ({ bytes: 0, files: 0 }));
    bytes += m.bytes;
    files += m.files;
  }
  return { dir: abs, bytes, files, kept };
}

/**
 * Clears the graph cache at `root`: the graph entries (and leftovers of interrupted writes) in
 * graphs/ and the checkpoint-hash memo. Refuses, deleting nothing, a folder without the marker that
 * the cache writes when it is first used. The marker stays, so the folder remains a known cache.
 */
export async function clearGraphCache(root: string): Promise<ClearResult> {
  const abs = path.resolve(root);
  let st;
  try {
    st = await fsp.stat(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { dir: abs, bytes: 0, files: 0, kept: 0 };
    throw new ChronosLensError('IO', `cannot clear ${abs}: ${why(e)}`, { cause: e });
  }
  if (!st.isDirectory()) throw new ChronosLensError('BAD_INPUT', `refusing to clear ${abs}: it is not a folder, so not a Chronos Lens graph cache; nothing was deleted`);
  if (!(await hasMarker(abs))) {
    throw new ChronosLensError(
      'BAD_INPUT',
      `refusing to clear ${abs}: it has no ${CACHE_MARKER} marker, so it is not a Chronos Lens graph cache (or one made before the marker existed: delete its graphs/ folder by hand); nothing was deleted`,
    );
  }
  try {
    const { victims, kept, graphsIsDir } = await cacheEntries(abs);
    let bytes = 0;
    let files = 0;
    for (const v of victims) {
      const m = await dirSize(v).catch(() => ({ bytes: 0, files: 0 }));
      // rm never follows a symbolic link: a link named like an entry is removed, not what it points to.
      await fsp.rm(v, { recursive: true, force: true });
      bytes += m.bytes;
      files += m.files;
    }
    if (graphsIsDir && kept === 0) await fsp.rmdir(path.join(abs, GRAPHS_DIR)).catch(() => undefined);
    return { dir: abs, bytes, files, kept };
  } catch (e) {
    throw new ChronosLensError('IO', `cannot clear ${abs}: ${why(e)}`, { cause: e });
  }
}

/** The built-graph cache: `$XDG_CACHE_HOME/chronos-lens` (else ~/.cache/chronos-lens; %LOCALAPPDATA% on Windows). */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || (process.platform === 'win32' ? process.env.LOCALAPPDATA : undefined) || path.join(os.homedir(), '.cache');
  return path.join(base || os.tmpdir(), 'chronos-lens');
}
