/**
 * Downloading a Chronos checkpoint from the Hugging Face hub into the shared hub cache. One job, kept in
 * one file on purpose: the steps below share the pinned commit, the lock and the cache layout, and split
 * apart they would each need all three.
 *
 * What is fetched: config.json, generation_config.json (optional), and model.safetensors, or when it is
 * absent model.safetensors.index.json and its shards. Repositories with only pytorch_model.bin (pickle)
 * are refused. Every file is pinned to the commit `revision` resolved to (X-Repo-Commit of the first
 * HEAD), so a branch moving during the download cannot mix two versions.
 *
 * Per file (huggingface_hub semantics): HEAD resolve/<commit>/<file> for etag/size/location; if the
 * snapshot already has it, done; if blobs/<etag> exists, only link it; else, under a lock, GET into
 * blobs/<etag>.incomplete (resuming with Range from what is there), verify size and sha256 (LFS) or git
 * blob sha1, rename to blobs/<etag>, then point snapshots/<commit>/<file> at it (relative symlink, or a
 * moved/copied file where symlinks are unavailable). refs/<revision> is written last.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CancelledError, ChronosLensError } from '../errors';
import type { ProgressUpdate } from '../progress';
import {
  blobFile,
  CONFIG_FILE,
  findCachedModel,
  GENERATION_CONFIG_FILE,
  inspectCheckpointFolder,
  lockDir,
  noExistFile,
  PICKLE_ADVICE,
  PICKLE_FILES,
  refFile,
  repoCacheDir,
  SAFETENSORS_FILE,
  SAFETENSORS_INDEX_FILE,
  shardsOfIndex,
  snapshotDir,
  type CachedCheckpoint,
} from './cache';
import { writeFileAtomic } from '../files';
import { formatBytes } from './dirsize';
import type { HttpSettings } from './http';
import { downloadResumable, fileSize, formatEta, freeBytes, hashFile, ioError as fileError, SpeedMeter } from './http-download';
import { headFile, hubRequest, resolveUrl, statusError, type FileMeta, type HubContext } from './hub-api';
import { HubError, redactSecret } from './hub-error';
import { acquireLock } from './lock';
import { assertInside, checkRepoId, checkRevision, COMMIT_HASH, quoteName, repoFileProblem } from './names';
import { resolveHubSettings, type HubOptions, type ResolvedHubSettings } from './settings';

export interface DownloadProgress extends ProgressUpdate {
  phase: 'resolving' | 'waiting' | 'downloading' | 'verifying' | 'done';
  repoId: string;
  /** The file being transferred or verified. */
  file?: string;
  /** 0-based index of `file` among the files this call transfers, and their count. */
  fileIndex?: number;
  fileCount?: number;
  /** Bytes of the files being transferred that are on disk (including bytes resumed from an earlier try). */
  bytesDone: number;
  /** Total bytes of the files being transferred, when known. */
  bytesTotal?: number;
  /** Recent transfer speed (bytes/s), over the last few seconds. */
  bytesPerSecond?: number;
  /** Seconds left at the recent speed. */
  etaSeconds?: number;
}

export type DownloadProgressCallback = (p: DownloadProgress) => void;

export interface DownloadModelOptions extends HubOptions {
  /** Branch, tag or commit hash (default 'main'). */
  revision?: string;
  onProgress?: DownloadProgressCallback;
  /** Automatic resumes (Range requests) after a transfer is cut or times out, per file (default 5). */
  retries?: number;
  /** First wait before a retry, doubled each time, at most 10 s (default 1000 ms). */
  retryDelayMs?: number;
  /** Link snapshot files to blobs with symlinks (default: when the cache folder supports them). */
  useSymlinks?: boolean;
}

export interface DownloadedModel {
  repoId: string;
  revision: string;
  commit: string;
  /** The snapshot folder: load the checkpoint from here. */
  path: string;
  /** Files of the checkpoint, relative to `path`. */
  files: string[];
  sizeBytes: number;
  /** Bytes transferred by this call (0 when everything was cached). */
  bytesDownloaded: number;
  /** Nothing had to be transferred. */
  fromCache: boolean;
  /** Set when the hub was not asked at all: offline mode, or the hub unreachable and the cache complete. */
  offlineReason?: string;
  checkpoint: CachedCheckpoint;
}


// ---------------------------------------------------------------------------------------------------
// progress

class Progress {
  bytesTotal = 0;
  bytesDone = 0;
  bytesSession = 0;
  fileIndex = 0;
  fileCount = 0;
  file?: string;
  private readonly meter = new SpeedMeter();
  private lastEmit = 0;
  constructor(
    private readonly repoId: string,
    private readonly cb?: DownloadProgressCallback,
  ) {}

  emit(phase: DownloadProgress['phase'], force = false, message?: string): void {
    if (!this.cb) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < 100) return;
    this.lastEmit = now;
    const total = this.bytesTotal || undefined;
    const bps = phase === 'downloading' ? this.meter.sample(this.bytesSession, now) : undefined;
    const eta = bps && total !== undefined && bps > 0 ? Math.max(0, (total - this.bytesDone) / bps) : undefined;
    const fraction = total ? Math.min(1, this.bytesDone / total) : phase === 'done' ? 1 : undefined;
    let text = message;
    if (!text) {
      if (phase === 'downloading' && this.file) {
        text = `${this.file}: ${formatBytes(this.bytesDone)}${total ? ` of ${formatBytes(total)}` : ''}`;
        if (bps) text += `, ${formatBytes(Math.round(bps))}/s`;
        if (eta !== undefined) text += `, ${formatEta(eta)} left`;
      } else if (phase === 'verifying') text = `Verifying ${this.file}`;
      else if (phase === 'done') text = `Downloaded ${this.repoId}`;
      else text = `Resolving ${this.repoId}`;
    }
    try {
      this.cb({
        phase,
        repoId: this.repoId,
        file: this.file,
        fileIndex: this.file ? this.fileIndex : undefined,
        fileCount: this.fileCount || undefined,
        bytesDone: this.bytesDone,
        bytesTotal: total,
        bytesPerSecond: bps,
        etaSeconds: eta,
        fraction,
        message: text,
      });
    } catch {
      /* a failing progress callback must not break the download */
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// file-system helpers

const symlinkSupport = new Map<string, boolean>();

async function symlinksSupported(cacheDir: string): Promise<boolean> {
  const known = symlinkSupport.get(cacheDir);
  if (known !== undefined) return known;
  await fs.promises.mkdir(cacheDir, { recursive: true });
  const dir = await fs.promises.mkdtemp(path.join(cacheDir, '.symlink-probe-'));
  let ok = true;
  try {
    await fs.promises.writeFile(path.join(dir, 'src'), '');
    await fs.promises.symlink('src', path.join(dir, 'dst'), 'file');
  } catch {
    ok = false;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
  symlinkSupport.set(cacheDir, ok);
  return ok;
}

async function exists(p: string): Promise<fs.Stats | undefined> {
  try {
    return await fs.promises.stat(p);
  } catch {
    return undefined;
  }
}

function tmpName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
}

/** A file-system failure in the cache, in one line that says where and what to do. */
function ioError(e: unknown, what: string, cacheDir: string): Error {
  return fileError(e, what, {
    place: `the Hugging Face cache at ${cacheDir}`,
    fix: 'set HF_HUB_CACHE to a writable folder',
    noSpace: `Free some space, or point HF_HUB_CACHE at a larger disk than ${cacheDir}; what was already downloaded is kept, and the next download resumes from it.`,
  });
}

/** Atomically points `pointer` at `blob`: a relative symlink, else (no symlinks) a moved (new) or copied blob. */
async function linkPointer(blob: string, pointer: string, newBlob: boolean, useSymlinks: boolean): Promise<void> {
  await fs.promises.mkdir(path.dirname(pointer), { recursive: true });
  if (useSymlinks) {
    const tmp = tmpName(pointer);
    const target = path.relative(path.dirname(pointer), blob);
    assertInside(path.dirname(path.dirname(blob)), path.resolve(path.dirname(pointer), target), `the link ${pointer}`);
    await fs.promises.symlink(target, tmp, 'file');
    try {
      await fs.promises.rename(tmp, pointer);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  } else if (newBlob) {
    await fs.promises.rename(blob, pointer);
  } else {
    const tmp = tmpName(pointer);
    try {
      await fs.promises.copyFile(blob, tmp);
      await fs.promises.rename(tmp, pointer);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }
}


async function writeRef(cacheDir: string, repoId: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const file = refFile(cacheDir, repoId, revision);
  assertInside(path.join(repoCacheDir(cacheDir, repoId), 'refs'), file, `refs/${revision}`);
  const current = await fs.promises.readFile(file, 'utf8').catch(() => undefined);
  if (current?.trim() === commit) return;
  await writeFileAtomic(file, commit, { mkdir: true });
}

async function markNoExist(cacheDir: string, repoId: string, commit: string, filename: string): Promise<void> {
  const file = noExistFile(cacheDir, repoId, commit, filename);
  assertInside(path.join(repoCacheDir(cacheDir, repoId), '.no_exist'), file, `the marker for ${filename}`);
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, '');
  } catch {
    /* only a hint for offline use */
  }
}

// ---------------------------------------------------------------------------------------------------
// one file

interface Job {
  s: ResolvedHubSettings;
  ctx: HubContext;
  repoId: string;
  revision: string;
  commit: string;
  useSymlinks: boolean;
  retries: number;
  retryDelayMs: number;
  progress: Progress;
  signal?: AbortSignal;
}

/** JSON files of a checkpoint are small; a hub that announces (or sends) more is not answering honestly. */
const METADATA_MAX_BYTES = 16 << 20;
/** Room left on the disk when a file's size was not announced and the free space bounds it. */
const FREE_SPACE_MARGIN = 100 << 20;
const METADATA_FILES = new Set([CONFIG_FILE, GENERATION_CONFIG_FILE, SAFETENSORS_INDEX_FILE]);

/**
 * GETs meta into `incomplete` (see http-download.ts: resumed, retried, never longer than the announced
 * size, or without one than METADATA_MAX_BYTES for JSON files / the free space for weights), then
 * verifies size and checksum.
 */
async function transfer(job: Job, meta: FileMeta, incomplete: string): Promise<void> {
  const { progress } = job;
  let location = meta.location;
  let counted = 0; // bytes of this file counted in progress.bytesDone
  let session = 0;
  let maxBytes: number | undefined;
  if (meta.size === undefined) {
    const free = METADATA_FILES.has(meta.filename) ? undefined : await freeBytes(path.dirname(incomplete));
    maxBytes = METADATA_FILES.has(meta.filename) ? METADATA_MAX_BYTES : free !== undefined ? Math.max(0, free - FREE_SPACE_MARGIN) : undefined;
  }
  progress.emit('downloading', true);
  await downloadResumable({
    file: incomplete,
    what: `${meta.filename} of ${job.repoId}`,
    expectedSize: meta.size,
    maxBytes,
    sizeSource: 'the hub announced',
    retries: job.retries,
    retryDelayMs: job.retryDelayMs,
    signal: job.signal,
    ifRange: true,
    get: (headers) => hubRequest(job.ctx, location, 'GET', 'all', headers),
    statusError: (res) => statusError(res, job.ctx, { repoId: job.repoId, revision: job.revision, filename: meta.filename }),
    beforeRetry: async () => {
      if (location.origin === job.ctx.endpointOrigin) return;
      // CDN URLs are signed and expire: ask the hub for a fresh one (keep the old one if it cannot answer).
      location = await headFile(job.ctx, job.repoId, job.commit, meta.filename).then((m) => (m.etag === meta.etag ? m.location : location), () => location);
    },
    onBytes: (fileBytes, received) => {
      progress.bytesDone += fileBytes - counted;
      counted = fileBytes;
      progress.bytesSession += received - session;
      session = received;
      progress.emit('downloading');
    },
    ioError: (e, what) => ioError(e, what, job.s.cacheDir),
    cancelLabel: `Download of ${job.repoId}`,
    nextTry: 'the next download',
  });
  await verify(job, meta, incomplete);
}

async function verify(job: Job, meta: FileMeta, incomplete: string): Promise<void> {
  const { progress } = job;
  progress.emit('verifying', true);
  const size = (await fileSize(incomplete)) ?? 0;
  const fail = async (what: string) => {
    await fs.promises.rm(incomplete, { force: true });
    progress.bytesDone -= size;
    throw new HubError('NETWORK', 'checksum', `Checksum mismatch for ${meta.filename} of ${job.repoId}: ${what}. The corrupted download was deleted; try again (a proxy or antivirus that alters downloads can cause this).`);
  };
  if (meta.size !== undefined && size !== meta.size) await fail(`expected ${meta.size} bytes, got ${size}`);
  // The etag was checked to be one of these two forms (names.ts): every file is verified.
  const lfs = meta.etag.length === 64;
  const got = await hashFile(incomplete, lfs ? 'sha256' : 'sha1', { prefix: lfs ? undefined : Buffer.from(`blob ${size}\0`), signal: job.signal });
  if (got !== meta.etag) await fail(lfs ? `expected sha256 ${meta.etag}, got ${got}` : `expected git blob sha1 ${meta.etag}, got ${got}`);
}

/** Makes snapshots/<commit>/<file> exist. Returns the bytes transferred. */
async function fetchFile(job: Job, meta: FileMeta): Promise<number> {
  const { s, repoId, commit } = job;
  const problem = repoFileProblem(meta.filename);
  if (problem) {
    throw new HubError('NETWORK', 'bad-name', `${repoId} names a file ${quoteName(meta.filename)}, which is not a safe file name inside a repository (${problem}), so it was not downloaded.`);
  }
  const repoDir = repoCacheDir(s.cacheDir, repoId);
  const pointer = path.join(snapshotDir(s.cacheDir, repoId, commit), ...meta.filename.split('/'));
  const blob = blobFile(s.cacheDir, repoId, meta.etag);
  const lockFile = path.join(lockDir(s.cacheDir, repoId), `${meta.etag}.chronos-lens.lock`);
  // The names were checked (names.ts); this is the last guard before anything is written.
  assertInside(snapshotDir(s.cacheDir, repoId, commit), pointer, meta.filename);
  assertInside(path.join(repoDir, 'blobs'), blob, `the blob of ${meta.filename}`);
  assertInside(lockDir(s.cacheDir, repoId), lockFile, `the lock of ${meta.filename}`);
  if (await exists(pointer)) return 0;
  const blobOk = async () => {
    const st = await exists(blob);
    return !!st && st.isFile() && (meta.size === undefined || st.size === meta.size);
  };
  try {
    await fs.promises.mkdir(path.dirname(blob), { recursive: true });
    if (await blobOk()) {
      await linkPointer(blob, pointer, false, job.useSymlinks);
      return 0;
    }
  } catch (e) {
    throw ioError(e, `linking ${meta.filename} into ${path.dirname(pointer)}`, s.cacheDir);
  }
  const lock = await acquireLock(lockFile, {
    signal: job.signal,
    onWait: () => job.progress.emit('waiting', true, `Waiting for another download of ${meta.filename} to finish`),
  }).catch((e) => {
    throw e instanceof CancelledError ? e : ioError(e, `locking ${meta.filename} in ${s.cacheDir}`, s.cacheDir);
  });
  try {
    if (await blobOk()) {
      await linkPointer(blob, pointer, false, job.useSymlinks).catch((e) => {
        throw ioError(e, `linking ${meta.filename}`, s.cacheDir);
      });
      return 0;
    }
    const before = job.progress.bytesSession;
    const incomplete = `${blob}.incomplete`;
    await transfer(job, meta, incomplete);
    try {
      await fs.promises.rename(incomplete, blob);
      await linkPointer(blob, pointer, true, job.useSymlinks);
    } catch (e) {
      throw ioError(e, `storing ${meta.filename} in ${s.cacheDir}`, s.cacheDir);
    }
    return job.progress.bytesSession - before;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------
// the model

const FALLBACK_REASONS = new Set(['unreachable', 'dns', 'timeout', 'connection-cut']);

function resultFrom(c: CachedCheckpoint, revision: string, bytesDownloaded: number, offlineReason?: string): DownloadedModel {
  const files = [c.files.config, c.files.generationConfig, c.files.index, ...c.files.weights].filter((f): f is string => !!f);
  return {
    repoId: c.repoId,
    revision,
    commit: c.commit,
    path: c.path,
    files,
    sizeBytes: c.sizeBytes,
    bytesDownloaded,
    fromCache: bytesDownloaded === 0,
    offlineReason,
    checkpoint: c,
  };
}

async function headOptional(job: Job, filename: string): Promise<FileMeta | undefined> {
  try {
    return await headFile(job.ctx, job.repoId, job.commit, filename);
  } catch (e) {
    if (e instanceof HubError && e.reason === 'entry-not-found') {
      await markNoExist(job.s.cacheDir, job.repoId, job.commit, filename);
      return undefined;
    }
    throw e;
  }
}

/** HF_ENDPOINT (or the endpoint option) as a URL; only http(s). */
function parseEndpoint(endpoint: string, fromOption: boolean): URL {
  const name = fromOption ? 'The hub endpoint setting' : 'HF_ENDPOINT';
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new ChronosLensError('BAD_INPUT', `${name} ${quoteName(endpoint, 100)} is not a URL: use the hub's address, e.g. https://huggingface.co.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ChronosLensError('BAD_INPUT', `${name} ${quoteName(endpoint, 100)} is not an http:// or https:// URL: use the hub's address, e.g. https://huggingface.co.`);
  }
  return u;
}

/** The cache folder exists and is a folder (else one line naming it, before anything is asked of the hub). */
async function ensureCacheDir(cacheDir: string): Promise<void> {
  try {
    await fs.promises.mkdir(cacheDir, { recursive: true });
    const st = await fs.promises.stat(cacheDir);
    if (!st.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (e) {
    throw ioError(e, 'creating it', cacheDir);
  }
}

/**
 * Downloads (or finds in the cache) a Chronos checkpoint from the hub and returns its snapshot folder.
 * Cache first: a complete snapshot for the commit is used without transferring anything; in offline mode
 * (HF_HUB_OFFLINE / `offline`) or when the hub is unreachable, the cached snapshot of the revision is used.
 */
export async function downloadModel(repoId: string, options: DownloadModelOptions = {}): Promise<DownloadedModel> {
  try {
    return await downloadModelInner(repoId, options);
  } catch (e) {
    throw redactSecret(e, options.token);
  }
}

async function downloadModelInner(repoId: string, o: DownloadModelOptions): Promise<DownloadedModel> {
  checkRepoId(repoId);
  const revision = o.revision?.trim() || 'main';
  checkRevision(revision);
  const s = resolveHubSettings(o);
  const progress = new Progress(repoId, o.onProgress);
  if (o.signal?.aborted) throw new CancelledError('Download cancelled.');

  if (s.offline) {
    const cached = await findCachedModel(repoId, revision, s.cacheDir);
    const why = s.offlineSource === 'env' ? `offline mode is on (HF_HUB_OFFLINE=${s.env.HF_HUB_OFFLINE})` : 'offline mode is on';
    if (cached) {
      progress.emit('done', true, `Using the cached ${repoId}`);
      return resultFrom(cached, revision, 0, `Used the cache: ${why}.`);
    }
    throw new HubError('NOT_FOUND', 'offline', `${repoId} (revision "${revision}") is not in the Hugging Face cache at ${s.cacheDir}, and ${why}, so it cannot be downloaded. ${s.offlineSource === 'env' ? 'Unset HF_HUB_OFFLINE' : 'Turn offline mode off'} to download it, or copy the model into that cache.`);
  }
  if (COMMIT_HASH.test(revision)) {
    const cached = await findCachedModel(repoId, revision, s.cacheDir);
    if (cached) {
      progress.emit('done', true, `Using the cached ${repoId}`);
      return resultFrom(cached, revision, 0);
    }
  }

  const endpointUrl = parseEndpoint(s.endpoint, o.endpoint !== undefined);
  await ensureCacheDir(s.cacheDir);
  const http: HttpSettings = {
    proxy: o.proxy,
    noProxy: o.noProxy,
    ca: o.ca,
    strictSSL: o.strictSSL,
    timeoutMs: o.timeoutMs ?? 30_000,
    env: s.env,
    signal: o.signal,
  };
  const ctx: HubContext = { endpoint: s.endpoint, endpointOrigin: endpointUrl.origin, token: o.token || undefined, http };
  progress.emit('resolving', true);

  // 1. Which commit is `revision`? (HEAD config.json, as hf_hub_download does.)
  let configMeta: FileMeta;
  try {
    configMeta = await headFile(ctx, repoId, revision, CONFIG_FILE);
  } catch (e) {
    if (e instanceof HubError && FALLBACK_REASONS.has(e.reason)) {
      const cached = await findCachedModel(repoId, revision, s.cacheDir);
      if (cached) {
        progress.emit('done', true, `Using the cached ${repoId}`);
        return resultFrom(cached, revision, 0, `Used the cache: ${e.message}`);
      }
      throw new HubError(e.code, e.reason, `${e.message} ${repoId} (revision "${revision}") is not in the cache at ${s.cacheDir} either.`, { cause: e.cause, status: e.status });
    }
    throw e;
  }
  const commit = configMeta.commit && COMMIT_HASH.test(configMeta.commit) ? configMeta.commit : COMMIT_HASH.test(revision) ? revision : undefined;
  if (!commit) {
    throw new HubError('NETWORK', 'bad-response', `${endpointUrl.host} did not say which commit "${revision}" of ${repoId} is (no X-Repo-Commit header): it does not look like a Hugging Face hub. Check HF_ENDPOINT and the proxy setting.`);
  }
  // Fetch config.json itself from the commit too (its HEAD asked for the revision, which may move).
  if (configMeta.location.href === resolveUrl(ctx, repoId, revision, CONFIG_FILE).href) {
    configMeta = { ...configMeta, location: resolveUrl(ctx, repoId, commit, CONFIG_FILE) };
  }
  const useSymlinks = o.useSymlinks ?? (await symlinksSupported(s.cacheDir).catch(() => false));
  const job: Job = { s, ctx, repoId, revision, commit, useSymlinks, retries: o.retries ?? 5, retryDelayMs: o.retryDelayMs ?? 1000, progress, signal: o.signal };

  // 2. Already complete in the cache for that commit?
  const snap = snapshotDir(s.cacheDir, repoId, commit);
  const present = await inspectCheckpointFolder(snap);
  if (present.isChronos) {
    await writeRef(s.cacheDir, repoId, revision, commit).catch((e) => {
      throw ioError(e, `writing refs/${revision}`, s.cacheDir);
    });
    const cached = await findCachedModel(repoId, commit, s.cacheDir);
    if (cached) {
      progress.emit('done', true, `Using the cached ${repoId}`);
      return resultFrom(cached, revision, 0);
    }
  }

  // 3. Which weights? safetensors, else an index of safetensors shards; pickle is refused.
  const genMeta = await headOptional(job, GENERATION_CONFIG_FILE);
  const weightsMeta = await headOptional(job, SAFETENSORS_FILE);
  let indexMeta: FileMeta | undefined;
  if (!weightsMeta) {
    indexMeta = await headOptional(job, SAFETENSORS_INDEX_FILE);
    if (!indexMeta) {
      for (const p of PICKLE_FILES) {
        if (await headOptional(job, p)) {
          throw new HubError('UNSUPPORTED_MODEL', 'pickle-only', `${repoId} (revision "${revision}") has only ${p} weights and no model.safetensors, so it was not downloaded. ${PICKLE_ADVICE}`);
        }
      }
      throw new HubError('NOT_FOUND', 'no-weights', `${repoId} (revision "${revision}") has neither ${SAFETENSORS_FILE} nor ${SAFETENSORS_INDEX_FILE}: there are no weights Chronos Lens can load.`);
    }
  }

  for (const m of [configMeta, genMeta, indexMeta]) {
    if (m?.size !== undefined && m.size > METADATA_MAX_BYTES) {
      throw new HubError('NETWORK', 'too-large', `The hub announced ${m.filename} of ${repoId} as ${formatBytes(m.size)}; a checkpoint's ${m.filename} is at most ${formatBytes(METADATA_MAX_BYTES)}, so nothing was downloaded. Check HF_ENDPOINT and the proxy setting.`);
    }
  }

  // 4. config.json first: refuse a repository that is not Chronos before fetching its weights.
  let downloaded = 0;
  const plan: FileMeta[] = [configMeta, ...(indexMeta ? [indexMeta] : []), ...(genMeta ? [genMeta] : []), ...(weightsMeta ? [weightsMeta] : [])];
  const setPlan = async (metas: FileMeta[]) => {
    progress.fileCount = metas.length;
    progress.bytesTotal = metas.reduce((a, m) => a + (m.size ?? 0), 0);
    progress.bytesDone = 0;
    for (const m of metas) {
      const pointer = path.join(snap, ...m.filename.split('/'));
      if (await exists(pointer)) progress.bytesDone += m.size ?? 0;
    }
  };
  await setPlan(plan);
  const run = async (m: FileMeta, i: number) => {
    progress.file = m.filename;
    progress.fileIndex = i;
    const had = progress.bytesDone;
    const pointer = path.join(snap, ...m.filename.split('/'));
    const wasThere = !!(await exists(pointer));
    downloaded += await fetchFile(job, m);
    // Files linked from an existing blob count as done.
    if (!wasThere && progress.bytesDone === had) progress.bytesDone += m.size ?? 0;
    progress.emit('downloading', true);
  };
  await run(configMeta, 0);
  let configJson: Record<string, unknown> | undefined;
  try {
    configJson = JSON.parse(await fs.promises.readFile(path.join(snap, CONFIG_FILE), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new HubError('BAD_CHECKPOINT', 'not-chronos', `config.json of ${repoId} is not valid JSON (${(e as Error).message}).`, { cause: e });
  }
  const cc = configJson?.chronos_config;
  if (!cc || typeof cc !== 'object' || Array.isArray(cc)) {
    throw new HubError('BAD_CHECKPOINT', 'not-chronos', `${repoId} is not a Chronos model: its config.json has no "chronos_config" block, so its weights were not downloaded.`);
  }

  // 5. Sharded: the index names the shards.
  if (indexMeta) {
    await run(indexMeta, 1);
    let shards: string[];
    try {
      shards = shardsOfIndex(await fs.promises.readFile(path.join(snap, SAFETENSORS_INDEX_FILE), 'utf8'));
    } catch (e) {
      throw new HubError('BAD_CHECKPOINT', 'no-weights', `${SAFETENSORS_INDEX_FILE} of ${repoId} is not a valid safetensors index (${(e as Error).message}).`, { cause: e });
    }
    for (const shard of shards) {
      const m = await headFile(ctx, repoId, commit, shard);
      plan.push(m);
    }
    await setPlan(plan);
  }

  // 6. Enough room?
  let need = 0;
  for (const m of plan) {
    if (await exists(path.join(snap, ...m.filename.split('/')))) continue;
    const blob = blobFile(s.cacheDir, repoId, m.etag);
    if (await exists(blob)) continue;
    need += Math.max(0, (m.size ?? 0) - ((await exists(`${blob}.incomplete`))?.size ?? 0));
  }
  const free = await freeBytes(s.cacheDir);
  if (free !== undefined && need > free) {
    throw new HubError('IO', 'no-space', `Not enough free space for ${repoId}: it needs ${formatBytes(need)} more in ${s.cacheDir}, and only ${formatBytes(free)} is free. Free some space, or point HF_HUB_CACHE at a larger disk.`);
  }

  // 7. The rest, then the ref.
  for (let i = 0; i < plan.length; i++) {
    if (plan[i] === configMeta || plan[i] === indexMeta) continue;
    await run(plan[i], i);
  }
  try {
    await writeRef(s.cacheDir, repoId, revision, commit);
  } catch (e) {
    throw ioError(e, `writing refs/${revision}`, s.cacheDir);
  }
  const result = await findCachedModel(repoId, commit, s.cacheDir);
  if (!result) {
    const info = await inspectCheckpointFolder(snap);
    throw new HubError('BAD_CHECKPOINT', 'no-weights', `${repoId} was downloaded to ${snap}, but it is not a usable Chronos checkpoint: ${info.problem ?? 'unknown problem'}`);
  }
  progress.file = undefined;
  progress.emit('done', true);
  return resultFrom(result, revision, downloaded);
}
