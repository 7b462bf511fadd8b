/**
 * Small vscode helpers shared by the commands: cancellable progress notifications mapped to an
 * AbortSignal, error reporting (a notification with the cause, the details in the output channel;
 * cancellations are quiet), command registration that never lets a rejection escape, and the CSV a
 * command should work on.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, ChronosLensError, errorMessage, isCancelled } from '../core/errors';
import type { ProgressCallback } from '../core/progress';
import type { CsvSource } from './lib/jobs';

export interface RunControl {
  signal: AbortSignal;
  onProgress: ProgressCallback;
}

/** Jobs running under a progress notification, so they can all be cancelled (deactivate, tests). */
export class JobRegistry {
  readonly #jobs = new Set<AbortController>();
  add(ac: AbortController): () => void {
    this.#jobs.add(ac);
    return () => this.#jobs.delete(ac);
  }
  get size(): number {
    return this.#jobs.size;
  }
  cancelAll(reason = 'Cancelled.'): number {
    const n = this.#jobs.size;
    for (const ac of this.#jobs) ac.abort(new CancelledError(reason));
    return n;
  }
}

/**
 * Runs `fn` under a cancellable progress notification; the notification's Cancel aborts the signal.
 * Fractions from the engine become the notification's increments.
 */
export function withCancellableProgress<T>(title: string, jobs: JobRegistry, fn: (c: RunControl) => Promise<T>, outer?: AbortSignal): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    const abort = () => ac.abort(new CancelledError());
    const sub = token.onCancellationRequested(abort);
    outer?.addEventListener('abort', abort, { once: true });
    if (outer?.aborted) abort();
    const remove = jobs.add(ac);
    let done = 0;
    let lastMessage: string | undefined;
    const onProgress: ProgressCallback = (u) => {
      const f = u.fraction === undefined ? undefined : Math.max(0, Math.min(1, u.fraction));
      const increment = f !== undefined && f > done ? (f - done) * 100 : undefined;
      if (f !== undefined && f > done) done = f;
      if (increment === undefined && u.message === lastMessage) return;
      lastMessage = u.message ?? lastMessage;
      progress.report({ increment, message: u.message });
    };
    try {
      return await fn({ signal: ac.signal, onProgress });
    } finally {
      sub.dispose();
      outer?.removeEventListener('abort', abort);
      remove();
    }
  });
}

export interface ErrorSink {
  error(message: string): void;
  info(message: string): void;
  show(preserveFocus?: boolean): void;
}

/** A notification with the cause (and "Show Log"), the stack in the log; cancellations only logged. */
export function reportError(log: ErrorSink, what: string, e: unknown): void {
  if (isCancelled(e)) {
    log.info(`${what}: cancelled`);
    return;
  }
  const msg = errorMessage(e);
  const detail = e instanceof ChronosLensError && e.cause instanceof Error && e.cause.message !== msg ? ` (${e.cause.message})` : '';
  log.error(`${what} failed: ${msg}${detail}${e instanceof Error && e.stack && !(e instanceof ChronosLensError) ? `\n${e.stack}` : ''}`);
  void vscode.window.showErrorMessage(vscode.l10n.t('Chronos Lens: {0} failed: {1}', what, msg), vscode.l10n.t('Show Log')).then(
    (choice) => {
      if (choice) log.show(true);
    },
    () => undefined,
  );
}

/** Registers a command whose failures become notifications (never an unhandled rejection). */
export function registerCommand(
  context: vscode.ExtensionContext,
  log: ErrorSink,
  id: string,
  what: string,
  handler: (...args: unknown[]) => unknown,
  onError?: (e: unknown) => void,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (e) {
        onError?.(e);
        reportError(log, what, e);
        return undefined;
      }
    }),
  );
}

export const CSV_EXTENSIONS = ['.csv', '.tsv'];

export function isCsvUri(uri: vscode.Uri | undefined): boolean {
  return !!uri && CSV_EXTENSIONS.includes(path.extname(uri.path).toLowerCase());
}

export interface CsvTarget {
  uri: vscode.Uri;
  /** File name for labels. */
  name: string;
  source: CsvSource;
}

/** The CSV an open document or a file URI stands for: unsaved editor text wins over the file on disk. */
export async function csvTargetFor(uri: vscode.Uri): Promise<CsvTarget> {
  const name = path.basename(uri.path);
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc && (doc.isDirty || doc.isUntitled)) return { uri, name, source: { kind: 'text', text: doc.getText(), label: name, path: uri.scheme === 'file' ? uri.fsPath : undefined } };
  if (uri.scheme === 'file') return { uri, name, source: { kind: 'file', path: uri.fsPath, label: name } };
  if (doc) return { uri, name, source: { kind: 'text', text: doc.getText(), label: name } };
  const bytes = await vscode.workspace.fs.readFile(uri);
  return { uri, name, source: { kind: 'text', text: new TextDecoder('utf-8').decode(bytes), label: name } };
}

/** The CSV of the active editor, if it is one. */
export function activeCsvUri(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && isCsvUri(doc.uri)) return doc.uri;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  const input = tab?.input;
  if (input instanceof vscode.TabInputText && isCsvUri(input.uri)) return input.uri;
  if (input instanceof vscode.TabInputCustom && isCsvUri(input.uri)) return input.uri;
  return undefined;
}

/**
 * The one CSV the visible editor groups show (as text or in a series view), when the active editor is
 * not a CSV: a button on a page beside it (the walkthrough) means that file. Undefined when none or several.
 */
export function shownCsvUri(): vscode.Uri | undefined {
  const shown = new Map<string, vscode.Uri>();
  for (const g of vscode.window.tabGroups.all) {
    const input: unknown = g.activeTab?.input;
    if ((input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) && isCsvUri(input.uri)) shown.set(input.uri.toString(), input.uri);
  }
  return shown.size === 1 ? [...shown.values()][0] : undefined;
}

/** The URI a command was invoked on (explorer / editor title), else the active CSV, else the one shown, else ask. */
export async function pickCsvUri(arg: unknown, title: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) {
    if (!isCsvUri(arg)) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('{0} is not a .csv or .tsv file', path.basename(arg.path)));
    return arg;
  }
  const active = activeCsvUri() ?? shownCsvUri();
  if (active) return active;
  const picked = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    openLabel: vscode.l10n.t('Use this CSV'),
    filters: { 'CSV / TSV': ['csv', 'tsv', 'CSV', 'TSV'] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0];
}

