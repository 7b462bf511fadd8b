/**
 * Pieces the causal-analysis commands (attribute, layer-lens, patch, ablate --layers) share: reading
 * the series of a CSV, and the JSON output file.
 */
import * as path from 'node:path';
import { readCsvFile } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { writeFileAtomic } from '../../core/files';
import { toJson } from '../../analysis/common';
import { CliIO } from '../common';

/** The one CSV positional of a command, and its column. */
export async function readSeries(positionals: string[], column: string | undefined, io: CliIO, command: string): Promise<{ values: Float64Array; label: string; file: string; column: string }> {
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', `${command} takes one CSV file${positionals.length ? `, got ${positionals.length} arguments` : ''} (chronos-lens ${command} FILE.csv [--column NAME])`);
  const file = positionals[0];
  const s = await readCsvFile(file, { column, signal: io.signal });
  for (const w of s.warnings) io.stderr.write(`warning: ${w}\n`);
  return { values: Float64Array.from(s.values), label: `${path.basename(file)} column "${s.column}"`, file: path.basename(file), column: s.column };
}

/** --out FILE.json: the result as JSON, written atomically. */
export async function writeJsonOut(file: string | undefined, result: unknown): Promise<void> {
  if (!file) return;
  if (path.extname(file).toLowerCase() !== '.json') throw new ChronosLensError('BAD_INPUT', `--out ${file}: this command writes .json results`);
  await writeFileAtomic(file, toJson(result) + '\n');
}

export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : v.toFixed(digits);
}
