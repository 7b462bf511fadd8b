/**
 * Reading the .nupkg (a zip) with yauzl: streaming, from the file (the GPU package is hundreds of MB,
 * never loaded into memory), with yauzl's checks of entry sizes and file names. Only the entries asked
 * for are extracted, to file names we choose, so a hostile archive cannot write elsewhere.
 */
import * as fs from 'fs';
import { pipeline } from 'stream/promises';
import * as yauzl from 'yauzl';
import { CancelledError } from '../errors';
import { HubError } from '../hub/hub-error';

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) reject(new HubError('NETWORK', 'bad-response', `${file} is not a valid NuGet package (zip): ${err?.message ?? 'unreadable'}.`, { cause: err }));
      else resolve(zip);
    });
  });
}

/** NuGet escapes some characters of entry names (a space is %20); compare unescaped names. */
function entryName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Entry names and uncompressed sizes (from the central directory; nothing is decompressed). */
export async function listZip(file: string): Promise<Map<string, number>> {
  const zip = await openZip(file);
  const out = new Map<string, number>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      out.set(entryName(e.fileName), e.uncompressedSize);
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', (err: Error) => reject(new HubError('NETWORK', 'bad-response', `${file} is a damaged zip: ${err.message}.`, { cause: err })));
    zip.readEntry();
  });
  return out;
}

/**
 * Extracts `wanted` (entry name -> destination file) and returns the entry names found. Destinations
 * are written with mode 0755 (shared libraries). `onBytes` is told about every chunk written.
 */
export async function extractEntries(file: string, wanted: Map<string, string>, o: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<Set<string>> {
  const zip = await openZip(file);
  const found = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      zip.close();
      reject(e);
    };
    zip.on('entry', (e: yauzl.Entry) => {
      if (o.signal?.aborted) return fail(new CancelledError('GPU support installation cancelled.'));
      const name = entryName(e.fileName);
      const dest = wanted.get(name);
      if (!dest || name.endsWith('/')) {
        zip.readEntry();
        return;
      }
      zip.openReadStream(e, (err, stream) => {
        if (err || !stream) return fail(new HubError('NETWORK', 'bad-response', `Cannot read ${name} from ${file}: ${err?.message ?? 'no data'}.`, { cause: err }));
        stream.on('data', (c: Buffer) => o.onBytes?.(c.length));
        const out = fs.createWriteStream(dest, { mode: 0o755 });
        pipeline(stream, out, { signal: o.signal }).then(
          () => {
            found.add(name);
            zip.readEntry();
          },
          (pe: unknown) => {
            if (o.signal?.aborted) return fail(new CancelledError('GPU support installation cancelled.'));
            const code = (pe as NodeJS.ErrnoException).code;
            if (code && /^E[A-Z]+$/.test(code)) return fail(pe);
            fail(new HubError('NETWORK', 'bad-response', `Cannot extract ${name} from ${file}: ${(pe as Error).message}.`, { cause: pe }));
          },
        );
      });
    });
    zip.on('end', () => {
      if (!failed) resolve();
    });
    zip.on('error', (err: Error) => fail(new HubError('NETWORK', 'bad-response', `${file} is a damaged zip: ${err.message}.`, { cause: err })));
    zip.readEntry();
  });
  return found;
}
