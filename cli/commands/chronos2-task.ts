/**
 * A Chronos-2 task from the command line, for `forecast` and `lens` alike: the targets (--columns, or
 * --column, or the first numeric column) and covariates (--covariates) of one CSV, each covariate
 * past-only or, where --future-covariates' CSV has its column, known over the horizon.
 */
import { readCsvTable, selectSeries } from '../../core/csv';
import type { CsvSeries, CsvTable } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { Chronos2Task } from '../../analysis/forecast/chronos2';
import { CliIO } from '../common';

export interface Chronos2TaskFlags {
  column?: string;
  columns?: string;
  covariates?: string;
  'future-covariates'?: string;
}

function list(v: string | undefined, flag: string): string[] {
  if (v === undefined) return [];
  const names = v.split(',').map((x) => x.trim());
  if (names.some((x) => x === '')) throw new ChronosLensError('BAD_INPUT', `--${flag} takes column names separated by commas, got ${JSON.stringify(v)}`);
  const dup = names.find((x, i) => names.indexOf(x) !== i);
  if (dup !== undefined) throw new ChronosLensError('BAD_INPUT', `--${flag} names column "${dup}" twice`);
  return names;
}

/** Reads the last `contextLength` rows of `file` (and the future file) into a task over `horizon` steps. */
export async function chronos2TaskFromFlags(file: string, v: Chronos2TaskFlags, horizon: number, contextLength: number, io: CliIO): Promise<{ task: Chronos2Task; table: CsvTable; targets: CsvSeries[]; warnings: string[] }> {
  if (v.column !== undefined && v.columns !== undefined) throw new ChronosLensError('BAD_INPUT', '--column and --columns: give one of them (--columns A,B forecasts several targets jointly)');
  const targetNames = v.columns !== undefined ? list(v.columns, 'columns') : [];
  const covNames = list(v.covariates, 'covariates');
  const both = covNames.find((c) => targetNames.includes(c) || c === v.column);
  if (both !== undefined) throw new ChronosLensError('BAD_INPUT', `column "${both}" is both a target and a covariate; name it in one of --columns / --covariates`);
  if (v['future-covariates'] !== undefined && covNames.length === 0) throw new ChronosLensError('BAD_INPUT', '--future-covariates needs --covariates: name the covariates (those with a column in the future file are known over the horizon)');
  const table = await readCsvTable(file, { tailRows: contextLength, signal: io.signal });
  const targets: CsvSeries[] = targetNames.length ? targetNames.map((c) => selectSeries(table, c)) : [selectSeries(table, v.column)];
  const covs = covNames.map((c) => selectSeries(table, c));
  const task: Chronos2Task = { targets: targets.map((s) => ({ name: s.column, values: s.values })), pastCovariates: [], futureCovariates: [] };
  const warnings = [...table.warnings];
  if (v['future-covariates'] !== undefined) {
    const futFile = v['future-covariates'];
    const ft = await readCsvTable(futFile, { signal: io.signal });
    const names = new Set(ft.columns.map((c) => c.name));
    if (!covs.some((c) => names.has(c.column))) throw new ChronosLensError('BAD_INPUT', `--future-covariates ${futFile}: none of the covariates (${covs.map((c) => c.column).join(', ')}) has a column there; its columns are ${ft.columns.map((c) => `"${c.name}"`).join(', ')}`);
    for (const c of covs) {
      if (!names.has(c.column)) {
        task.pastCovariates!.push({ name: c.column, values: c.values });
        continue;
      }
      const fs = selectSeries(ft, c.column);
      if (fs.values.length < horizon) throw new ChronosLensError('BAD_INPUT', `--future-covariates ${futFile}: column "${c.column}" has ${fs.values.length} rows; a forecast of ${horizon} steps needs ${horizon} (add rows or lower --prediction-length)`);
      task.futureCovariates!.push({ name: c.column, values: c.values, future: fs.values.subarray(0, horizon) });
    }
    warnings.push(...ft.warnings.map((w) => `${futFile}: ${w}`));
  } else {
    task.pastCovariates = covs.map((c) => ({ name: c.column, values: c.values }));
  }
  return { task, table, targets, warnings };
}
