/**
 * Pieces the causal-analysis commands (attribute, layer-lens, patch, ablate --layers) share: reading
 * the series of a CSV, and the output file (the result, or the residual-stream panel's figure of it).
 */
import * as path from 'node:path';
import { readCsvFile } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { checkOutputPath } from '../../core/files';
import type { CausalFigure, CausalRun } from '../../protocol/causal';
import { CliIO, protectedModelDirs } from '../common';
import { outKind, renderCausalFigure, writeResultOut } from '../figures';

/** The --out lines of a command's usage, its text starting at column `at`. */
export function causalOutUsage(at: number): string {
  const pad = ' '.repeat(at);
  return [`  ${'--out FILE'.padEnd(at - 2)}write the result (.json) or its figure, as the residual-stream panel draws it:`, `${pad}.svg / .png / .html, .csv (the numbers), .plotly.json (a Plotly figure)`].join('\n');
}

/** The one CSV positional of a command, and its column. */
export async function readSeries(positionals: string[], column: string | undefined, io: CliIO, command: string): Promise<{ values: Float64Array; label: string; file: string; column: string }> {
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', `${command} takes one CSV file${positionals.length ? `, got ${positionals.length} arguments` : ''} (chronos-lens ${command} FILE.csv [--column NAME])`);
  const file = positionals[0];
  const s = await readCsvFile(file, { column, signal: io.signal });
  for (const w of s.warnings) io.stderr.write(`warning: ${w}\n`);
  return { values: Float64Array.from(s.values), label: `${path.basename(file)} column "${s.column}"`, file: path.basename(file), column: s.column };
}

/**
 * --out FILE, before any work: a known extension, and no input or model file (`modelDir`, once the
 * model is loaded, covers a hub id's snapshot folder).
 */
export async function checkCausalOut(file: string | undefined, inputs: (string | undefined)[], model: string | undefined, modelDir?: string): Promise<void> {
  if (file === undefined) return;
  outKind(file);
  await checkOutputPath(file, { name: '--out', inputs, protectedDirs: [...protectedModelDirs(model), modelDir] });
}

/** --out FILE: the run's `figure` result as JSON, or its figure, by the extension; written atomically. */
export async function writeCausalOut(file: string | undefined, run: CausalRun, figure: CausalFigure): Promise<void> {
  if (!file) return;
  await writeResultOut(file, run[figure], (_result, format) => renderCausalFigure(run, figure, format));
}

export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : v.toFixed(digits);
}
