/**
 * Which columns of a CSV a Chronos-2 model reads in the series view: the targets (forecast jointly,
 * the shown column among them) and the covariates (read, not forecast), chosen with two QuickPicks and
 * remembered per file (workspace state), for the next time the file is shown.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SeriesTask } from '../protocol/series';

const MEMORY_KEY = 'chronosLens.chronos2TaskByFile';
/** Files whose choice is kept (the most recent). */
const MAX_FILES = 200;

/** The task remembered for `uri`, if any (columns as they were named then). */
export function rememberedTask(state: vscode.Memento, uri: vscode.Uri): SeriesTask | undefined {
  const v = state.get<Record<string, unknown>>(MEMORY_KEY)?.[uri.toString()] as Partial<SeriesTask> | undefined;
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');
  return v && strings(v.targets) && strings(v.covariates) && v.targets.length ? { targets: v.targets, covariates: v.covariates } : undefined;
}

export async function rememberTask(state: vscode.Memento, uri: vscode.Uri, task: SeriesTask): Promise<void> {
  const m = { ...(state.get<Record<string, SeriesTask>>(MEMORY_KEY) ?? {}) };
  delete m[uri.toString()];
  m[uri.toString()] = task;
  const keys = Object.keys(m);
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_FILES))) delete m[k];
  await state.update(MEMORY_KEY, m);
}

/** The remembered task restricted to the file's numeric columns now (an edited header drops a name). */
export function taskWithin(task: SeriesTask | undefined, columns: readonly string[]): SeriesTask | undefined {
  if (!task) return undefined;
  const targets = task.targets.filter((c) => columns.includes(c));
  return targets.length ? { targets, covariates: task.covariates.filter((c) => columns.includes(c) && !targets.includes(c)) } : undefined;
}

/**
 * Asks for the targets (at least one; `current`'s preselected) and then the covariates among the other
 * columns; undefined when either QuickPick is dismissed.
 */
export async function pickTask(uri: vscode.Uri, columns: readonly string[], current: SeriesTask): Promise<SeriesTask | undefined> {
  const file = path.basename(uri.path);
  const targets = await vscode.window.showQuickPick(
    columns.map((c) => ({ label: c, picked: current.targets.includes(c) })),
    { canPickMany: true, title: vscode.l10n.t('Chronos-2 · {0}: target columns (1/2)', file), placeHolder: vscode.l10n.t('The columns forecast together (at least one)'), ignoreFocusOut: true },
  );
  if (!targets?.length) return undefined;
  const chosen = targets.map((t) => t.label);
  const rest = columns.filter((c) => !chosen.includes(c));
  if (!rest.length) return { targets: chosen, covariates: [] };
  const covs = await vscode.window.showQuickPick(
    rest.map((c) => ({ label: c, picked: current.covariates.includes(c) })),
    { canPickMany: true, title: vscode.l10n.t('Chronos-2 · {0}: covariates (2/2)', file), placeHolder: vscode.l10n.t('Columns the targets may read from, not forecast (none: press Enter)'), ignoreFocusOut: true },
  );
  if (!covs) return undefined;
  return { targets: chosen, covariates: covs.map((c) => c.label) };
}
