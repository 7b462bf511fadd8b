/**
 * The sample CSVs the extension ships (samples/*.csv and their README) and the folder name their copies
 * go into. vscode-free: extension/samples.ts asks where and shows the copy.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from '../../core/errors';

/** The new folder the samples are copied into (a file-system name, never translated). */
export const SAMPLES_FOLDER = 'chronos-lens-samples';
/** The sample opened after the copy: a clear period, for the series view and the mosaic. */
export const FIRST_SAMPLE = 'periodic.csv';

/** The sample files shipped under `extensionRoot`; `missing` words the error when there are none. */
export async function bundledSamples(extensionRoot: string, missing: (dir: string) => string): Promise<string[]> {
  const dir = path.join(extensionRoot, 'samples');
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const files = names.filter((n) => /\.(csv|tsv)$/i.test(n) || n === 'README.md').sort();
  if (!files.some((n) => /\.(csv|tsv)$/i.test(n))) throw new ChronosLensError('NOT_FOUND', missing(dir));
  return files.map((n) => path.join(dir, n));
}
