/**
 * Downloading one large file (the .nupkg) to `<dest>.partial`, resumable with HTTP Range, and verified
 * against a known SHA-512 before it is renamed to `<dest>`.
 *
 * `<dest>.partial.json` records which package (URL, size, SHA-512) the partial bytes belong to, so a later
 * call resumes only the same package and starts over otherwise. A cut transfer is retried with Range
 * (`retries` times, backing off); when it still fails, the partial file is kept for the next call. A
 * server that ignores Range (200) or sends the wrong part restarts the file from zero. On a checksum
 * mismatch the file is deleted and the call refuses.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CancelledError, ChronosLensError } from '../errors';
import { formatBytes } from '../hub/dirsize';
import { discard, networkError, type HttpSettings } from '../hub/http';
import { HubError } from '../hub/hub-error';
import { getFollowing, httpStatusError } from './nuget';
import { sleep as abortableSleep } from '../progress';

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

export function formatEta(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** Recent speed over a sliding window of a few seconds. */
export class SpeedMeter {
  private samples: Array<{ t: number; b: number }> = [];
  constructor(private readonly windowMs = 5000) {}
  sample(bytes: number, now = Date.now()): number | undefined {
    this.samples.push({ t: now, b: bytes });
    while (this.samples.length > 2 && now - this.samples[0].t > this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const dt = (now - first.t) / 1000;
    return dt >= 0.2 ? (bytes - first.b) / dt : undefined;
  }
}

async function size(p: string): Promise<number | undefined> {
  try {
    return (await fs.promises.stat(p)).size;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortableSleep(ms, signal, 'GPU support installation cancelled.');
}

export async function sha512File(file: string, signal?: AbortSignal): Promise<string> {
  const h = crypto.createHash('sha512');
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) {
    if (signal?.aborted) {
      stream.destroy();
      throw new CancelledError('GPU support installation cancelled.');
    }
    h.update(chunk as Buffer);
  }
  return h.digest('base64');
}

export function ioError(e: unknown, what: string, dir: string): Error {
  if (e instanceof ChronosLensError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new HubError('IO', 'no-space', `No space left on the disk while ${what} (${code}). Free some space in ${dir} and try again; what was downloaded is kept and the next try resumes from it.`, { cause: e });
  }
  return new HubError('IO', 'io', `Cannot ${what}: ${(e as Error).message ?? String(e)}.`, { cause: e });
}

function parseContentRange(v: string | string[] | undefined): { start: number; total?: number } | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  const m = s ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(s.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

const retryable = (e: unknown) =>
  e instanceof HubError && (e.reason === 'connection-cut' || e.reason === 'timeout' || (e.reason === 'http' && e.status !== undefined && (e.status >= 500 || e.status === 429)));

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
  const resumedFrom = (await size(partial)) ?? 0;
  let transferred = 0;
  let lastEmit = 0;
  const emit = (done: number, force = false) => {
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

  let attempt = 0;
  for (;;) {
    if (o.signal?.aborted) throw new CancelledError(`GPU support installation cancelled; ${formatBytes((await size(partial)) ?? 0)} already downloaded are kept and the next install resumes from there.`);
    let offset = (await size(partial)) ?? 0;
    if (o.size !== undefined && offset > o.size) {
      await fs.promises.truncate(partial, 0);
      offset = 0;
    }
    emit(offset, true);
    if (o.size !== undefined && offset === o.size && offset > 0) break;
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    let fh: fs.promises.FileHandle | undefined;
    try {
      const { res, url: finalUrl } = await getFollowing(o.url, o.http, headers);
      const status = res.statusCode ?? 0;
      if (status === 416) {
        discard(res);
        await fs.promises.truncate(partial, 0).catch(() => undefined);
        if (++attempt > o.retries) throw new HubError('NETWORK', 'http', `${finalUrl.host} refused to resume the download (HTTP 416), also after starting over.`, { status });
        continue;
      }
      if (status < 200 || status >= 300) {
        discard(res);
        throw httpStatusError(status, `the package ${path.basename(o.dest)}`, finalUrl);
      }
      let append = false;
      if (status === 206) {
        const range = parseContentRange(res.headers['content-range']);
        if (!range || range.start !== offset || (o.size !== undefined && range.total !== undefined && range.total !== o.size)) {
          discard(res);
          await fs.promises.truncate(partial, 0);
          if (++attempt > o.retries) throw new HubError('NETWORK', 'http', `${finalUrl.host} sent the wrong part of the package (Content-Range ${String(res.headers['content-range'] ?? 'missing')}).`);
          continue;
        }
        append = true;
      } else if (offset > 0) {
        // 200 to a Range request: the server sends everything again.
        offset = 0;
        emit(0, true);
      }
      fh = await fs.promises.open(partial, append ? 'a' : 'w');
      let written = offset;
      for await (const chunk of res) {
        const b = chunk as Buffer;
        await fh.write(b);
        written += b.length;
        transferred += b.length;
        if (o.size !== undefined && written > o.size) {
          res.destroy();
          throw new HubError('NETWORK', 'checksum', `${finalUrl.host} sent more bytes than the catalog's package size (${o.size}).`);
        }
        emit(written);
      }
      await fh.close();
      fh = undefined;
      emit(written, true);
      if (o.size !== undefined && written < o.size) throw new HubError('NETWORK', 'connection-cut', `The download from ${finalUrl.host} ended early (${written} of ${o.size} bytes).`);
      break;
    } catch (e) {
      await fh?.close().catch(() => undefined);
      let err: unknown = e;
      if (err instanceof CancelledError || o.signal?.aborted) {
        throw new CancelledError(`GPU support installation cancelled; ${formatBytes((await size(partial)) ?? 0)} already downloaded are kept and the next install resumes from there.`);
      }
      if (!(err instanceof HubError)) {
        const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
        if (/^(ENOSPC|EDQUOT|EACCES|EPERM|EROFS|EISDIR|ENOENT|EMFILE|EIO)$/.test(code)) throw ioError(err, `writing ${partial}`, dir);
        err = networkError(err, o.url.host);
      }
      if (retryable(err) && attempt < o.retries) {
        attempt++;
        await sleep(Math.min(o.retryDelayMs * 2 ** (attempt - 1), 10_000), o.signal);
        continue;
      }
      if (err instanceof HubError && (err.reason === 'connection-cut' || err.reason === 'timeout')) {
        const have = (await size(partial)) ?? 0;
        throw new HubError('NETWORK', err.reason, `${err.message} Gave up after ${attempt + 1} tries; ${formatBytes(have)} are kept and the next install resumes from there.`, { cause: err, status: err.status });
      }
      throw err;
    }
  }

  o.onVerify?.();
  const got = (await size(partial)) ?? 0;
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
