/**
 * Atomic file writes: a temporary file in the same folder, then a rename, so a crash or a full disk
 * never leaves a half-written export and an existing file is replaced in one step. Used by the CLI,
 * the analysis engine, the extension and the hub cache.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from './errors';

let seq = 0;

export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mkdir?: boolean } = {}): Promise<void> {
  const abs = path.resolve(file);
  if (opts.mkdir) await fsp.mkdir(path.dirname(abs), { recursive: true });
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}.tmp`);
  try {
    await fsp.writeFile(tmp, data, { flag: 'wx' });
    await fsp.rename(tmp, abs);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOSPC' ? 'no space left on the device' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOENT' ? 'the folder does not exist' : (e as Error).message;
    throw new ChronosLensError('IO', `cannot write ${abs}: ${why}`, { cause: e });
  }
}
