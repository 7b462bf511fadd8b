/**
 * Which column of a CSV an analysis reads (the data-driven mosaic, Run Ablation…'s forecast
 * metrics): the one rule for both. Offered: the value columns (core/csv's valueColumns: index-like
 * columns such as a row number or an epoch count are left out); the default, in order: the column
 * last chosen for this file, the column its series view shows, core/csv's default value column. With
 * one candidate, or when the caller does not ask, the default is taken without a QuickPick.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { csvColumns, type CsvSource } from './lib/jobs';
import { FlowCancel, pickOne } from './multistep';

const MEMORY_KEY = 'chronosLens.columnByFile';

export interface ColumnChoiceDeps {
  readonly context: vscode.ExtensionContext;
  /** The column the file's series view shows, if one is open (or was). */
  seriesColumn(uri: vscode.Uri): string | undefined;
}

export interface ColumnChoiceOptions {
  /** Ask with a QuickPick when there is more than one candidate (false: take the default). */
  ask: boolean;
  title: string;
  step?: number;
  totalSteps?: number;
}

/** The remembered column per file (workspace state), for the next time the file is analysed. */
function remembered(deps: ColumnChoiceDeps, uri: vscode.Uri): string | undefined {
  const m = deps.context.workspaceState.get<Record<string, unknown>>(MEMORY_KEY);
  const v = m?.[uri.toString()];
  return typeof v === 'string' ? v : undefined;
}

async function remember(deps: ColumnChoiceDeps, uri: vscode.Uri, column: string): Promise<void> {
  const m = { ...(deps.context.workspaceState.get<Record<string, string>>(MEMORY_KEY) ?? {}) };
  delete m[uri.toString()];
  m[uri.toString()] = column;
  // the most recent files only: the state stays small
  const keys = Object.keys(m);
  for (const k of keys.slice(0, Math.max(0, keys.length - 200))) delete m[k];
  await deps.context.workspaceState.update(MEMORY_KEY, m);
}

/**
 * The column to read from `uri` (see the module comment); undefined when the file has no numeric
 * column (the reader then says why) or the QuickPick was dismissed (`dismissed: true`).
 */
export async function chooseColumn(deps: ColumnChoiceDeps, uri: vscode.Uri, source: CsvSource, o: ColumnChoiceOptions): Promise<{ column?: string; dismissed?: boolean }> {
  const cols = await csvColumns(source).catch(() => undefined);
  if (!cols?.numeric.length) return {};
  const last = remembered(deps, uri);
  const shown = deps.seriesColumn(uri);
  const def = [last, shown].find((c): c is string => !!c && cols.numeric.includes(c)) ?? cols.fallback ?? cols.numeric[0];
  const offered = cols.values.includes(def) ? cols.values : [def, ...cols.values];
  if (!o.ask || offered.length === 1) return { column: def };
  const items = offered.map((label) => ({
    label,
    description: label === last ? vscode.l10n.t('last used for this file') : label === shown ? vscode.l10n.t('shown in the series view') : undefined,
  }));
  const pick = await pickOne({
    title: o.title,
    step: o.step ?? 1,
    totalSteps: o.totalSteps ?? 1,
    placeholder: vscode.l10n.t('Column of {0}', path.basename(uri.path)),
    items,
    active: items.find((i) => i.label === def),
  }).catch((e: unknown) => {
    if (e instanceof FlowCancel) return undefined;
    throw e; // Back, in a multi-step flow
  });
  if (!pick) return { dismissed: true };
  await remember(deps, uri, pick.label);
  return { column: pick.label };
}
