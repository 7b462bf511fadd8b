/**
 * File writing for the extension: figure exports decoded from the protocol's ExportContent and
 * written atomically (a temporary file in the same folder, then a rename), so a crash never leaves a
 * half-written figure and an existing file is replaced in one step. vscode-free.
 */
import * as path from 'node:path';
import type { ExportContent, ExportFormat } from '../../protocol';

export function exportBytes(content: ExportContent): Buffer {
  return content.encoding === 'base64' ? Buffer.from(content.data, 'base64') : Buffer.from(content.data, 'utf8');
}

/** The extension a file of this format should end with. */
export function withFormatExtension(file: string, format: ExportFormat): string {
  return path.extname(file).toLowerCase() === `.${format}` ? file : `${file}.${format}`;
}

export { writeFileAtomic } from '../../core/files';
