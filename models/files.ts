/**
 * Reading the files a checkpoint and the graph cache consist of. Only regular files (after resolving
 * links) are read: a FIFO, a device, a socket or a folder where config.json or a weight file should be
 * would otherwise block forever or fail with raw errno text. The kind is checked with stat before the
 * open, the open is non-blocking (so a FIFO swapped in after the stat cannot hang it), and the opened
 * handle is checked again. Also: one-line, bounded renderings of untrusted strings for error messages.
 */
import { constants, promises as fsp } from 'node:fs';
import { ChronosLensError, ErrorCode } from '../core/errors';

/** What a stat result is, in words, when it is not a regular file. */
function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function errnoWords(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'a symbolic link loop';
  if (code === 'ENOTDIR') return 'a path component is not a folder';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return code ?? oneLine((e as Error).message ?? String(e));
}

/**
 * Opens `file` for reading if it is a regular file (links followed). `code` is the error code for a
 * file that is there but is not a regular file; a missing file is NOT_FOUND.
 */
export async function openRegularFile(file: string, code: ErrorCode = 'BAD_CHECKPOINT'): Promise<{ fh: fsp.FileHandle; size: number }> {
  let st;
  try {
    st = await fsp.stat(file);
  } catch (e) {
    const c = (e as NodeJS.ErrnoException).code;
    throw new ChronosLensError(c === 'ENOENT' ? 'NOT_FOUND' : 'IO', `${file}: cannot read it (${errnoWords(e)})`, { cause: e });
  }
  if (!st.isFile()) throw new ChronosLensError(code, `${file} is ${kindOf(st)}, not a regular file`);
  let fh: fsp.FileHandle;
  try {
    // O_NONBLOCK: regular files ignore it; a FIFO put here after the stat opens at once instead of waiting for a writer.
    fh = await fsp.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const c = (e as NodeJS.ErrnoException).code;
    throw new ChronosLensError(c === 'ENOENT' ? 'NOT_FOUND' : 'IO', `${file}: cannot open it (${errnoWords(e)})`, { cause: e });
  }
  try {
    const now = await fh.stat();
    if (!now.isFile()) throw new ChronosLensError(code, `${file} is ${kindOf(now)}, not a regular file`);
    return { fh, size: now.size };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Reads a whole regular file, refusing one larger than `maxBytes` before reading it (a multi-gigabyte
 * "config.json" is a mistake, not something to load into memory).
 */
export async function readRegularFile(file: string, opts: { maxBytes: number; code?: ErrorCode; what?: string }): Promise<Buffer> {
  const { fh, size } = await openRegularFile(file, opts.code);
  try {
    if (size > opts.maxBytes) {
      throw new ChronosLensError(opts.code ?? 'BAD_CHECKPOINT', `${file} is ${size} bytes, more than the ${opts.maxBytes} bytes ${opts.what ?? 'such a file'} can reasonably have`);
    }
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === size ? buf : buf.subarray(0, off);
  } catch (e) {
    if (e instanceof ChronosLensError) throw e;
    throw new ChronosLensError('IO', `${file}: cannot read it (${errnoWords(e)})`, { cause: e });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Reads a regular file as UTF-8 text (see readRegularFile). */
export async function readRegularText(file: string, opts: { maxBytes: number; code?: ErrorCode; what?: string }): Promise<string> {
  return (await readRegularFile(file, opts)).toString('utf8');
}

/**
 * A value from an untrusted file rendered for a one-line message: control characters (newlines
 * included) escaped, at most `max` characters.
 */
export function oneLine(s: string, max = 120): string {
  const esc = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return esc.length > max ? esc.slice(0, max) + '…' : esc;
}

/**
 * Any parsed JSON value as bounded one-line text. JSON.parse accepts nesting far deeper than
 * JSON.stringify and String() can recurse, so both are guarded.
 */
export function showValue(v: unknown, max = 80): string {
  let s: string;
  try {
    s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Array.isArray(v) ? '[…deeply nested array…]' : '{…deeply nested object…}';
  }
  return oneLine(s, max);
}

/** String(v) for a value from an untrusted file, bounded, one line, safe for deep nesting. */
export function plainText(v: unknown, max = 60): string {
  if (typeof v === 'object' && v !== null) return showValue(v, max);
  return oneLine(String(v), max);
}

/** A name from an untrusted file, quoted and bounded, for messages ("tensor "x" ..."). */
export function quoted(s: string, max = 120): string {
  return `"${oneLine(s, max)}"`;
}
