/**
 * File writing for the extension: figure exports decoded from the protocol's ExportContent and
 * written atomically (a temporary file in the same folder, then a rename), so a crash never leaves a
 * half-written figure and an existing file is replaced in one step. vscode-free.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from '../../core/errors';
import type { ExportContent, ExportFormat } from '../../protocol';

export function exportBytes(content: ExportContent): Buffer {
  return content.encoding === 'base64' ? Buffer.from(content.data, 'base64') : Buffer.from(content.data, 'utf8');
}

/** The extension a file of this format should end with. */
export function withFormatExtension(file: string, format: ExportFormat): string {
  return path.extname(file).toLowerCase() === `.${format}` ? file : `${file}.${format}`;
}

let seq = 0;

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const abs = path.resolve(file);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}.tmp`);
  try {
    await fsp.writeFile(tmp, data, { flag: 'wx' });
    await fsp.rename(tmp, abs);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOSPC' ? 'no space left on the device' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOENT' ? 'the folder does not exist' : (e as Error).message;
    throw new ChronosLensError('IO', `cannot write ${abs}: ${why}`, { cause: e });
  }
}
