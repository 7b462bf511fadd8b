/**
 * Reading the huggingface_hub cache and checkpoint folders on disk.
 *
 * Cache layout (shared with Python tools):
 *   <cacheDir>/models--<owner>--<name>/
 *     blobs/<etag>                    content: sha256 (LFS files) or git blob sha1 (small files)
 *     snapshots/<commit>/<file>       relative symlink to ../../blobs/<etag> (a real file where symlinks fail)
 *     refs/<revision>                 the commit hash a branch/tag resolved to (no newline)
 *     .no_exist/<commit>/<file>       empty marker: the file does not exist at that commit
 *   <cacheDir>/.locks/models--<owner>--<name>/<etag>.lock
 */
import * as fs from 'fs';
import * as path from 'path';
import { quoteName, repoFileProblem, revisionProblem } from './names';
import { COMMIT_HASH, defaultCacheDir, repoFolderName, repoIdFromFolderName, type Env } from './settings';

export const CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';
export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';
export const PICKLE_FILES = ['pytorch_model.bin', 'pytorch_model.bin.index.json'];

export function repoCacheDir(cacheDir: string, repoId: string): string {
  return path.join(cacheDir, repoFolderName(repoId));
}
export function snapshotDir(cacheDir: string, repoId: string, commit: string): string {
  return path.join(repoCacheDir(cacheDir, repoId), 'snapshots', commit);
}
export function blobFile(cacheDir: string, repoId: string, etag: string): string {
  return path.join(repoCacheDir(cacheDir, repoId), 'blobs', etag);
}
export function refFile(cacheDir: string, repoId: string, revision: string): string {
  return path.join(repoCacheDir(cacheDir, repoId), 'refs', ...revision.split('/'));
}
export function noExistFile(cacheDir: string, repoId: string, commit: string, filename: string): string {
  return path.join(repoCacheDir(cacheDir, repoId), '.no_exist', commit, ...filename.split('/'));
}
export function lockDir(cacheDir: string, repoId: string): string {
  return path.join(cacheDir, '.locks', repoFolderName(repoId));
}

/** The commit a revision points to in the cache: the revision itself if it is a commit hash, else refs/<revision>. */
export async function readRef(cacheDir: string, repoId: string, revision: string): Promise<string | undefined> {
  if (COMMIT_HASH.test(revision)) return revision;
  if (revisionProblem(revision)) return undefined; // never a path outside refs/
  try {
    const c = (await fs.promises.readFile(refFile(cacheDir, repoId, revision), 'utf8')).trim();
    return COMMIT_HASH.test(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

export type ChronosFamily = 'chronos-t5' | 'chronos-bolt' | 'unknown';

export interface CheckpointFolderInfo {
  /** The folder, absolute. */
  path: string;
  /** config.json has a chronos_config block and all weight files are present: load it. */
  isChronos: boolean;
  /** Why it is not usable (no config, not Chronos, pickle only, missing shards...). */
  problem?: string;
  family?: ChronosFamily;
  /** config.json `architectures`. */
  architectures?: string[];
  /** The `chronos_config` block as found. */
  chronosConfig?: Record<string, unknown>;
  /** Files present, relative to the folder. */
  files: {
    config?: string;
    generationConfig?: string;
    /** model.safetensors, or the shards named by the index. */
    weights: string[];
    index?: string;
  };
  weightsKind?: 'single' | 'sharded';
  /** Shards the index names that are missing (or broken links). */
  missing: string[];
  /** Only pytorch_model.bin weights: refused (pickle can run code). */
  pickleOnly: boolean;
  /** Bytes of the files above (links followed). */
  sizeBytes: number;
}

async function fileSize(p: string): Promise<number | undefined> {
  try {
    const st = await fs.promises.stat(p);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

function familyOf(config: Record<string, unknown>, chronos: Record<string, unknown>): ChronosFamily {
  const arch = Array.isArray(config.architectures) ? (config.architectures as unknown[]).map(String) : [];
  if (arch.some((a) => /ChronosBolt/i.test(a)) || /Bolt/i.test(String(config.chronos_pipeline_class ?? ''))) return 'chronos-bolt';
  if (chronos.model_type === 'seq2seq' || arch.includes('T5ForConditionalGeneration')) return 'chronos-t5';
  return 'unknown';
}

export const PICKLE_ADVICE =
  'Chronos Lens loads only safetensors weights: pytorch_model.bin is a Python pickle, and unpickling a file can run arbitrary code. ' +
  'Convert it once in Python: `from transformers import AutoModelForSeq2SeqLM; AutoModelForSeq2SeqLM.from_pretrained(SRC).save_pretrained(DST, safe_serialization=True)` ' +
  '(copy config.json along), or use the hub\'s safetensors conversion Space, then open the converted folder.';

/** Is this folder a Chronos checkpoint Chronos Lens can load, and which files make it up? Never throws for a bad folder. */
export async function inspectCheckpointFolder(dir: string): Promise<CheckpointFolderInfo> {
  const abs = path.resolve(dir);
  const info: CheckpointFolderInfo = { path: abs, isChronos: false, files: { weights: [] }, missing: [], pickleOnly: false, sizeBytes: 0 };
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(abs);
  } catch {
    info.problem = `${abs} does not exist.`;
    return info;
  }
  if (!st.isDirectory()) {
    info.problem = `${abs} is not a folder.`;
    return info;
  }
  const at = (f: string) => path.join(abs, ...f.split('/'));
  const configSize = await fileSize(at(CONFIG_FILE));
  const genSize = await fileSize(at(GENERATION_CONFIG_FILE));
  if (genSize !== undefined) {
    info.files.generationConfig = GENERATION_CONFIG_FILE;
    info.sizeBytes += genSize;
  }
  const pickle = (await Promise.all(PICKLE_FILES.map((f) => fileSize(at(f))))).some((s) => s !== undefined);
  if (configSize === undefined) {
    info.problem = `${CONFIG_FILE} is missing in ${abs}: not a Hugging Face checkpoint folder.`;
    return info;
  }
  info.files.config = CONFIG_FILE;
  info.sizeBytes += configSize;
  let config: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await fs.promises.readFile(at(CONFIG_FILE), 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    config = parsed as Record<string, unknown>;
  } catch (e) {
    info.problem = `${at(CONFIG_FILE)} is not valid JSON (${e instanceof Error ? e.message : String(e)}).`;
    return info;
  }
  if (Array.isArray(config.architectures)) info.architectures = (config.architectures as unknown[]).map(String);
  const chronos = config.chronos_config;
  if (!chronos || typeof chronos !== 'object' || Array.isArray(chronos)) {
    info.problem = `${at(CONFIG_FILE)} has no "chronos_config" block: not a Chronos checkpoint.`;
    return info;
  }
  info.chronosConfig = chronos as Record<string, unknown>;
  info.family = familyOf(config, info.chronosConfig);

  const single = await fileSize(at(SAFETENSORS_FILE));
  if (single !== undefined) {
    info.files.weights = [SAFETENSORS_FILE];
    info.weightsKind = 'single';
    info.sizeBytes += single;
    info.isChronos = true;
    return info;
  }
  const indexSize = await fileSize(at(SAFETENSORS_INDEX_FILE));
  if (indexSize !== undefined) {
    info.files.index = SAFETENSORS_INDEX_FILE;
    info.weightsKind = 'sharded';
    info.sizeBytes += indexSize;
    let shards: string[];
    try {
      shards = shardsOfIndex(await fs.promises.readFile(at(SAFETENSORS_INDEX_FILE), 'utf8'));
    } catch (e) {
      info.problem = `${at(SAFETENSORS_INDEX_FILE)} is not a valid safetensors index (${e instanceof Error ? e.message : String(e)}).`;
      return info;
    }
    for (const s of shards) {
      const size = await fileSize(at(s));
      if (size === undefined) info.missing.push(s);
      else {
        info.files.weights.push(s);
        info.sizeBytes += size;
      }
    }
    if (info.missing.length) {
      info.problem = `${SAFETENSORS_INDEX_FILE} names shards that are missing in ${abs}: ${info.missing.join(', ')}.`;
      return info;
    }
    info.isChronos = true;
    return info;
  }
  if (pickle) {
    info.pickleOnly = true;
    info.problem = `${abs} has only pytorch_model.bin weights. ${PICKLE_ADVICE}`;
    return info;
  }
  // A dangling link is the usual reason in a cache: say so.
  const dangling = await fs.promises.lstat(at(SAFETENSORS_FILE)).then((l) => l.isSymbolicLink(), () => false);
  info.problem = dangling
    ? `${at(SAFETENSORS_FILE)} is a broken link (its blob is missing).`
    : `${abs} has no ${SAFETENSORS_FILE} and no ${SAFETENSORS_INDEX_FILE}.`;
  if (dangling) info.missing.push(SAFETENSORS_FILE);
  return info;
}

/** The shard files named by a model.safetensors.index.json (its weight_map values), in order, once each. */
export function shardsOfIndex(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  const map = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new Error('no "weight_map" object');
  const out: string[] = [];
  for (const v of Object.values(map as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new Error(`bad shard name ${String(JSON.stringify(v)).slice(0, 60)}: not a string`);
    const problem = repoFileProblem(v);
    if (problem) throw new Error(`bad shard name ${quoteName(v)}: ${problem}`);
    if (!out.includes(v)) out.push(v);
  }
  if (!out.length) throw new Error('empty "weight_map"');
  return out;
}

export interface CachedCheckpoint extends CheckpointFolderInfo {
  repoId: string;
  commit: string;
  /** Revisions (branches, tags) whose refs/ entry points at this commit, e.g. ['main']. */
  refs: string[];
  /** The snapshot folder's modification time. */
  lastModified: Date;
}

async function listDir(p: string): Promise<fs.Dirent[]> {
  try {
    return await fs.promises.readdir(p, { withFileTypes: true });
  } catch {
    return [];
  }
}

async function readRefs(repoDir: string): Promise<Map<string, string[]>> {
  const byCommit = new Map<string, string[]>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const e of await listDir(dir)) {
      const name = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(dir, e.name), name);
      else if (e.isFile()) {
        const c = (await fs.promises.readFile(path.join(dir, e.name), 'utf8').catch(() => '')).trim();
        if (COMMIT_HASH.test(c)) byCommit.set(c, [...(byCommit.get(c) ?? []), name]);
      }
    }
  };
  await walk(path.join(repoDir, 'refs'), '');
  return byCommit;
}

export interface ScanOptions {
  /** Also list snapshots that look like Chronos but are incomplete (missing weights, broken links). */
  includeIncomplete?: boolean;
  env?: Env;
}

/**
 * Every Chronos checkpoint in a hub cache (default: HF_HUB_CACHE / HF_HOME/hub / ~/.cache/huggingface/hub),
 * one entry per snapshot, usable in place through `path`. Newest first within a repo; refs'd snapshots first.
 */
export async function scanCache(cacheDir?: string, options: ScanOptions = {}): Promise<CachedCheckpoint[]> {
  const root = cacheDir ? path.resolve(cacheDir) : defaultCacheDir(options.env ?? process.env);
  const out: CachedCheckpoint[] = [];
  for (const e of await listDir(root)) {
    if (!e.isDirectory()) continue;
    const repoId = repoIdFromFolderName(e.name);
    if (!repoId) continue;
    const repoDir = path.join(root, e.name);
    const refs = await readRefs(repoDir);
    const found: CachedCheckpoint[] = [];
    for (const s of await listDir(path.join(repoDir, 'snapshots'))) {
      if (!s.isDirectory()) continue;
      const snap = path.join(repoDir, 'snapshots', s.name);
      const info = await inspectCheckpointFolder(snap);
      const looksChronos = info.chronosConfig !== undefined;
      if (!info.isChronos && !(options.includeIncomplete && looksChronos)) continue;
      const st = await fs.promises.stat(snap);
      found.push({ ...info, repoId, commit: s.name, refs: refs.get(s.name) ?? [], lastModified: st.mtime });
    }
    found.sort((a, b) => b.refs.length - a.refs.length || b.lastModified.getTime() - a.lastModified.getTime());
    out.push(...found);
  }
  out.sort((a, b) => (a.repoId < b.repoId ? -1 : a.repoId > b.repoId ? 1 : 0));
  return out;
}

/** The cached, complete snapshot of repoId at revision (branch/tag via refs/, or a commit hash), if any. */
export async function findCachedModel(repoId: string, revision = 'main', cacheDir?: string, env?: Env): Promise<CachedCheckpoint | undefined> {
  const root = cacheDir ? path.resolve(cacheDir) : defaultCacheDir(env ?? process.env);
  const commit = await readRef(root, repoId, revision);
  if (!commit) return undefined;
  const snap = snapshotDir(root, repoId, commit);
  const info = await inspectCheckpointFolder(snap);
  if (!info.isChronos) return undefined;
  const refs = (await readRefs(repoCacheDir(root, repoId))).get(commit) ?? [];
  const st = await fs.promises.stat(snap);
  return { ...info, repoId, commit, refs, lastModified: st.mtime };
}
