/**
 * One large file over HTTP(S) into a partial file on disk: the part both the hub download (a checkpoint's
 * blobs) and the GPU-package download (a .nupkg) share, so that resuming, bounding and retrying behave
 * the same in both.
 *
 * `downloadResumable` GETs into `file`, resuming from its current size with Range (and If-Range when
 * asked), restarting from zero when the server ignores Range (200) or sends another part (Content-Range),
 * retrying cut, timed-out, 5xx and 429 transfers with backoff, and never writing more than the size the
 * server announced (or, when none was announced, `maxBytes`). What is left on failure: a partial of a
 * file whose size was announced, no larger than that size, after a cut, timeout or cancel (the next call
 * resumes from it); nothing in every other case (unknown size, too long, wrong part), so no failure
 * leaves an unbounded or unverifiable file behind. Checksums are the caller's (`hashFile`).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import type * as http from 'http';
import { CancelledError, ChronosLensError } from '../errors';
import { sleep } from '../progress';
import { formatBytes } from './dirsize';
import { discard, networkError } from './http';
import { HubError } from './hub-error';

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

export async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const st = await fs.promises.statfs(dir);
    return Number(st.bavail) * Number(st.bsize);
  } catch {
    return undefined;
  }
}

export async function fileSize(p: string): Promise<number | undefined> {
  try {
    return (await fs.promises.stat(p)).size;
  } catch {
    return undefined;
  }
}

/** The digest of a file (after `prefix`), checking `signal` between chunks. */
export async function hashFile(
  file: string,
  algo: 'sha1' | 'sha256' | 'sha512',
  o: { prefix?: Buffer; encoding?: 'hex' | 'base64'; signal?: AbortSignal; cancelMessage?: string } = {},
): Promise<string> {
  const h = crypto.createHash(algo);
  if (o.prefix) h.update(o.prefix);
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) {
    if (o.signal?.aborted) {
      stream.destroy();
      throw new CancelledError(o.cancelMessage ?? 'Download cancelled.');
    }
    h.update(chunk as Buffer);
  }
  return h.digest(o.encoding ?? 'hex');
}

export function parseContentRange(v: string | string[] | undefined): { start: number; total?: number } | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  const m = s ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(s.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** Worth another try: the transfer was cut or stalled, or the server had a (possibly passing) problem. */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof HubError)) return false;
  if (e.reason === 'connection-cut' || e.reason === 'timeout') return true;
  return e.reason === 'http' && e.status !== undefined && (e.status >= 500 || e.status === 429);
}

/** File-system failures (as opposed to network ones) while writing a download. */
export const FS_ERROR_CODES = /^(ENOSPC|EDQUOT|EACCES|EPERM|EROFS|EISDIR|ENOTDIR|EEXIST|ENOENT|EMFILE|ENFILE|EIO|ENAMETOOLONG|ELOOP)$/;

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'a folder is in the way',
  ENOTDIR: 'a file is in the way',
  EEXIST: 'a file is in the way',
  ENOENT: 'a folder disappeared',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'input/output error',
};

/**
 * A file-system failure as one line: what failed, where, why in words, and what to do. `place` names the
 * folder ("the Hugging Face cache at /x"), `fix` says how to point elsewhere, `noSpace` what to do about a
 * full disk.
 */
export function ioError(e: unknown, what: string, o: { place: string; fix: string; noSpace: string }): Error {
  if (e instanceof ChronosLensError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new HubError('IO', 'no-space', `No space left on the disk while ${what} (${code}). ${o.noSpace}`, { cause: e });
  }
  const why = FS_REASONS[code] ?? (e instanceof Error ? e.message.split('\n')[0] : String(e));
  return new HubError('IO', 'io', `Cannot write to ${o.place} while ${what} (${why}${FS_REASONS[code] ? `, ${code}` : ''}): ${o.fix}.`, { cause: e });
}

export interface ResumableDownload {
  /** The partial file the bytes go to (created if needed; its current size is resumed from). */
  file: string;
  /** For messages: "model.safetensors of amazon/chronos-t5-small", "the package X 1.2". */
  what: string;
  /** The size the server announced; the download never writes more. */
  expectedSize?: number;
  /** The most bytes to write when no size was announced. */
  maxBytes?: number;
  /** Who announced the size, for messages: "the hub announced". */
  sizeSource: string;
  retries: number;
  retryDelayMs: number;
  signal?: AbortSignal;
  /** Send If-Range with the ETag of the last answer, so that a changed file restarts instead of mixing. */
  ifRange?: boolean;
  /** GET (following redirects) with these extra headers. */
  get(headers: Record<string, string>): Promise<{ res: http.IncomingMessage; url: URL }>;
  /** The error a 4xx/5xx answer means. */
  statusError(res: http.IncomingMessage, url: URL): Error;
  /** Before each retry (e.g. to ask for a fresh signed URL). */
  beforeRetry?(): Promise<void>;
  /** Bytes of the file on disk so far, and bytes received by this call, after every chunk. */
  onBytes?(fileBytes: number, received: number): void;
  /** The error a file-system failure means. */
  ioError(e: unknown, what: string): Error;
  /** "Download of amazon/x" / "GPU support installation": starts the cancel message. */
  cancelLabel: string;
  /** "the next download" / "the next install": who resumes from a kept partial. */
  nextTry: string;
}

/** Downloads into `o.file` (see the module comment); returns the bytes received by this call. */
export async function downloadResumable(o: ResumableDownload): Promise<number> {
  const expected = o.expectedSize;
  const limit = expected ?? o.maxBytes ?? Number.MAX_SAFE_INTEGER;
  let attempt = 0;
  let validator: string | undefined;
  let received = 0;
  let host = '';
  const restart = async () => {
    await fs.promises.writeFile(o.file, '');
    validator = undefined;
  };
  const dropPartial = () => fs.promises.rm(o.file, { force: true }).catch(() => undefined);
  const keepable = async () => {
    const have = (await fileSize(o.file)) ?? 0;
    if (expected === undefined || have === 0 || have > expected) {
      await dropPartial();
      return 0;
    }
    return have;
  };
  for (;;) {
    let offset = (await fileSize(o.file)) ?? 0;
    if (offset > limit) {
      await restart().catch((e) => {
        throw o.ioError(e, `resetting ${o.file}`);
      });
      offset = 0;
    }
    o.onBytes?.(offset, received);
    if (expected !== undefined && offset === expected && offset > 0) return received; // complete from an earlier try
    const headers: Record<string, string> = {};
    if (offset > 0) {
      headers.Range = `bytes=${offset}-`;
      if (o.ifRange && validator) headers['If-Range'] = validator;
    }
    let fh: fs.promises.FileHandle | undefined;
    try {
      const { res, url } = await o.get(headers);
      host = url.host;
      const status = res.statusCode ?? 0;
      if (status === 416) {
        discard(res);
        // Nothing left to send from there: either we have it all already, or the partial file is bad.
        if (expected !== undefined && offset === expected) return received;
        await restart();
        if (++attempt > o.retries) throw new HubError('NETWORK', 'http', `${host} refused to resume ${o.what} (HTTP 416), also after starting over.`, { status });
        continue;
      }
      if (status >= 400) {
        discard(res);
        throw o.statusError(res, url);
      }
      if (status !== 200 && status !== 206) {
        discard(res);
        throw new HubError('NETWORK', 'http', `Unexpected answer HTTP ${status} from ${host} when downloading ${o.what}.`, { status });
      }
      let append = false;
      if (status === 206) {
        const range = parseContentRange(res.headers['content-range']);
        if (!range || range.start !== offset || (expected !== undefined && range.total !== undefined && range.total !== expected)) {
          // Not the part we asked for: start over from zero.
          discard(res);
          await restart();
          if (++attempt > o.retries) throw new HubError('NETWORK', 'http', `${host} sent the wrong part of ${o.what} (Content-Range ${String(res.headers['content-range'] ?? 'missing')}).`);
          continue;
        }
        append = true;
      }
      // 200 to a Range request: the server (or the validator) says start over.
      let written = append ? offset : 0;
      if (!append) o.onBytes?.(0, received);
      const etag = res.headers.etag;
      if (etag && !etag.startsWith('W/')) validator = etag;
      try {
        fh = await fs.promises.open(o.file, append ? 'a' : 'w');
      } catch (e) {
        discard(res);
        throw o.ioError(e, `writing ${o.file}`);
      }
      for await (const chunk of res) {
        const b = chunk as Buffer;
        if (written + b.length > limit) {
          res.destroy();
          throw new HubError(
            'NETWORK',
            expected !== undefined ? 'checksum' : 'too-large',
            expected !== undefined
              ? `${host} sent more than the ${expected} bytes ${o.sizeSource} for ${o.what}: the transfer is corrupted.`
              : `${o.what} from ${host} is larger than ${formatBytes(limit)}, the most that can be downloaded without an announced size (${o.sizeSource} none).`,
          );
        }
        try {
          await fh.write(b);
        } catch (e) {
          res.destroy();
          throw o.ioError(e, `writing ${o.file}`);
        }
        written += b.length;
        received += b.length;
        o.onBytes?.(written, received);
      }
      await fh.close();
      fh = undefined;
      if (expected !== undefined && written < expected) {
        throw new HubError('NETWORK', 'connection-cut', `The transfer of ${o.what} from ${host} ended early (${written} of ${expected} bytes).`);
      }
      return received;
    } catch (e) {
      await fh?.close().catch(() => undefined);
      let err: unknown = e;
      if (err instanceof CancelledError || (err instanceof Error && err.name === 'AbortError') || o.signal?.aborted) {
        const kept = await keepable();
        throw new CancelledError(kept ? `${o.cancelLabel} cancelled; ${formatBytes(kept)} already downloaded are kept and ${o.nextTry} resumes from there.` : `${o.cancelLabel} cancelled.`);
      }
      if (!(err instanceof ChronosLensError)) {
        // Not classified yet: a file-system error (truncate, rm) or the response stream failing.
        const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
        if (FS_ERROR_CODES.test(code)) err = o.ioError(err, `writing ${o.file}`);
        else err = networkError(err, host || 'the server');
      }
      if (isRetryable(err) && attempt < o.retries) {
        attempt++;
        await sleep(Math.min(o.retryDelayMs * 2 ** (attempt - 1), 10_000), o.signal, `${o.cancelLabel} cancelled.`).catch(async (c: unknown) => {
          const kept = await keepable();
          throw kept ? new CancelledError(`${o.cancelLabel} cancelled; ${formatBytes(kept)} already downloaded are kept and ${o.nextTry} resumes from there.`) : c;
        });
        await o.beforeRetry?.();
        continue;
      }
      if (err instanceof HubError && (err.reason === 'connection-cut' || err.reason === 'timeout')) {
        const kept = await keepable();
        if (kept) throw new HubError('NETWORK', err.reason, `${err.message} Gave up after ${attempt + 1} tries; ${formatBytes(kept)} are kept and ${o.nextTry} resumes from there.`, { cause: err, status: err.status });
        throw new HubError('NETWORK', err.reason, `${err.message} Gave up after ${attempt + 1} tries.`, { cause: err, status: err.status });
      }
      // A server that sent more than it announced gets nothing kept; other failures keep a bounded partial.
      if (err instanceof HubError && (err.reason === 'checksum' || err.reason === 'too-large')) await dropPartial();
      else await keepable();
      throw err;
    }
  }
}
