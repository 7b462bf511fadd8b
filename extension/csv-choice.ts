/**
 * Which CSV an analysis reads, asked the same way by every multi-step command (Run Ablation…,
 * Attribute Forecast…, Patch Activations…, Ablate Layers…): the given file (the active CSV editor,
 * a panel's CSV) or one from an open dialog, then its column through column-choice.ts. And the same
 * choice from a command's argument (`csv`: a path or URI string, or a Uri; `column`).
 */
import * as vscode from 'vscode';
import { ChronosLensError } from '../core/errors';
import { chooseColumn, type ColumnChoiceDeps } from './column-choice';
import { FlowCancel } from './multistep';
import { activeCsvUri, csvTargetFor, isCsvUri } from './ui';

export interface CsvChoice {
  uri: vscode.Uri;
  column?: string;
}

export interface CsvChoiceStep {
  title: string;
  step: number;
  totalSteps: number;
  /** The file to use; none: the open dialog asks for one. */
  uri?: vscode.Uri;
  /** The open dialog's title. */
  dialogTitle: string;
}

export async function chooseCsvColumn(deps: ColumnChoiceDeps, o: CsvChoiceStep): Promise<CsvChoice> {
  let uri = o.uri;
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({ title: o.dialogTitle, canSelectMany: false, filters: { 'CSV / TSV': ['csv', 'tsv', 'CSV', 'TSV'] } });
    uri = picked?.[0];
    if (!uri) throw new FlowCancel();
    if (!isCsvUri(uri)) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('{0} is not a .csv or .tsv file', uri.path));
  }
  const choice = await chooseColumn(deps, uri, (await csvTargetFor(uri)).source, { ask: true, title: o.title, step: o.step, totalSteps: o.totalSteps });
  if (choice.dismissed) throw new FlowCancel();
  return { uri, column: choice.column };
}

/**
 * A command argument's CSV: `csv` (a Uri, a URI string or a file path; default the active CSV editor)
 * and `column`; `need` names what requires it, for the one-line error when there is none.
 */
export function csvFromArgs(a: { csv?: unknown; column?: unknown }, need: string): CsvChoice {
  const c = a.csv instanceof vscode.Uri ? a.csv : typeof a.csv === 'string' ? (/^[a-z][a-z0-9+.-]+:/i.test(a.csv) && !/^[a-z]:[\\/]/i.test(a.csv) ? vscode.Uri.parse(a.csv) : vscode.Uri.file(a.csv)) : activeCsvUri();
  if (!c) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('{0} needs "csv" (a path or URI) or an active CSV editor', need));
  if (!isCsvUri(c)) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('{0} is not a .csv or .tsv file', c.path));
  if (a.column !== undefined && typeof a.column !== 'string') throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('"column" must be a column name'));
  return { uri: c, column: a.column as string | undefined };
}
