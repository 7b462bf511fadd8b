/**
 * Downloading one large file (the .nupkg) to `<dest>.partial`, resumable with HTTP Range, and verified
 * against a known SHA-512 before it is renamed to `<dest>`.
 *
 * `<dest>.partial.json` records which package (URL, size, SHA-512) the partial bytes belong to, so a later
 * call resumes only the same package and starts over otherwise. The transfer itself (Range, retries,
 * bounds, what is kept after a failure) is core/hub/http-download.ts, shared with the hub download. On a
 * checksum mismatch the file is deleted and the call refuses.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CancelledError } from '../errors';
import type { HttpSettings } from '../hub/http';
import { downloadResumable, fileSize, hashFile, ioError as fileError, SpeedMeter } from '../hub/http-download';
import { HubError } from '../hub/hub-error';
import { getFollowing, httpStatusError } from './nuget';

export interface TransferProgress {
  bytesDone: number;
  bytesTotal?: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
  /** Bytes that were already on disk from an earlier, interrupted call. */
  resumedFrom: number;
}

export interface FetchOptions {
  url: URL;
  dest: string;
  sha512: string;
  size?: number;
  http: HttpSettings;
  retries: number;
  retryDelayMs: number;
  signal?: AbortSignal;
  onProgress?: (p: TransferProgress) => void;
  onVerify?: () => void;
}

interface PartialInfo {
  url: string;
  sha512: string;
  size?: number;
}

const CANCELLED = 'GPU support installation cancelled.';

function sha512File(file: string, signal?: AbortSignal): Promise<string> {
  return hashFile(file, 'sha512', { encoding: 'base64', signal, cancelMessage: CANCELLED });
}

export function ioError(e: unknown, what: string, dir: string): Error {
  return fileError(e, what, {
    place: dir,
    fix: 'set CHRONOS_LENS_GPU_DIR (or the storage folder) to a writable folder',
    noSpace: `Free some space in ${dir} and try again; what was downloaded is kept and the next try resumes from it.`,
  });
}

/** Without a size from the catalog, a package larger than this is not the one we asked for. */
const MAX_UNANNOUNCED_BYTES = 4 << 30;

/** Downloads and verifies; returns the bytes transferred by this call. */
export async function fetchVerified(o: FetchOptions): Promise<number> {
  const partial = `${o.dest}.partial`;
  const infoFile = `${partial}.json`;
  const dir = path.dirname(o.dest);
  const want: PartialInfo = { url: o.url.href, sha512: o.sha512, size: o.size };
  try {
    await fs.promises.mkdir(dir, { recursive: true });
    // Partial bytes of another package (another version, a re-published hash): start over.
    const had = await fs.promises.readFile(infoFile, 'utf8').then((t) => JSON.parse(t) as PartialInfo, () => undefined);
    if (!had || had.sha512 !== want.sha512 || had.size !== want.size) {
      await fs.promises.rm(partial, { force: true });
      await fs.promises.writeFile(infoFile, JSON.stringify(want));
    }
  } catch (e) {
    throw ioError(e, `preparing ${dir}`, dir);
  }
  const meter = new SpeedMeter();
  const resumedFrom = (await fileSize(partial)) ?? 0;
  let lastEmit = 0;
  const emit = (done: number, transferred: number, force = false) => {
    if (!o.onProgress) return;
    const now = Date.now();
    const bps = meter.sample(transferred, now);
    if (!force && now - lastEmit < 100) return;
    lastEmit = now;
    const eta = bps && o.size !== undefined && bps > 0 ? Math.max(0, (o.size - done) / bps) : undefined;
    try {
      o.onProgress({ bytesDone: done, bytesTotal: o.size, bytesPerSecond: bps, etaSeconds: eta, resumedFrom });
    } catch {
      /* a failing progress callback must not break the download */
    }
  };
  if (o.signal?.aborted) throw new CancelledError(CANCELLED);
  const what = `the package ${path.basename(o.dest)}`;
  const transferred = await downloadResumable({
    file: partial,
    what,
    expectedSize: o.size,
    maxBytes: MAX_UNANNOUNCED_BYTES,
    sizeSource: "the NuGet catalog's package size says",
    retries: o.retries,
    retryDelayMs: o.retryDelayMs,
    signal: o.signal,
    get: (headers) => getFollowing(o.url, o.http, { 'Accept-Encoding': 'identity', ...headers }),
    statusError: (res, url) => httpStatusError(res.statusCode ?? 0, what, url),
    onBytes: (fileBytes, received) => emit(fileBytes, received),
    ioError: (e, w) => ioError(e, w, dir),
    cancelLabel: 'GPU support installation',
    nextTry: 'the next install',
  });
  emit((await fileSize(partial)) ?? 0, transferred, true);

  o.onVerify?.();
  const got = (await fileSize(partial)) ?? 0;
  const fail = async (what: string) => {
    await fs.promises.rm(partial, { force: true });
    await fs.promises.rm(infoFile, { force: true });
    throw new HubError('NETWORK', 'checksum', `Checksum mismatch for ${path.basename(o.dest)}: ${what}. The download was deleted and nothing was installed; try again (a proxy or antivirus that alters downloads can cause this).`);
  };
  if (o.size !== undefined && got !== o.size) await fail(`expected ${o.size} bytes, got ${got}`);
  const digest = await sha512File(partial, o.signal);
  if (digest !== o.sha512) await fail(`the SHA-512 published in the NuGet catalog is ${o.sha512}, the file's is ${digest}`);
  try {
    await fs.promises.rename(partial, o.dest);
    await fs.promises.rm(infoFile, { force: true });
  } catch (e) {
    throw ioError(e, `storing ${o.dest}`, dir);
  }
  return transferred;
}
