/**
 * Figure export for every webview (mosaic, ablation report, series view): the page builds the file
 * (render/exports.ts, rasterised in the page for PNG) and posts an `export` request; here it is saved
 * through a save dialog, or to the path "Export Current Figure…" was given, and written atomically.
 * `request` is the host asking the page for its current figure ("Export Current Figure…").
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, ChronosLensError } from '../core/errors';
import { EXPORT_FORMATS, type ExportFormat, type ExportMessage, type ExportResponse, type ViewId } from '../protocol';
import { exportBytes, withFormatExtension, writeFileAtomic } from './lib/files';
import type { RequestContext } from './lib/router';

const FORMAT_FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  svg: { 'SVG image': ['svg'] },
  png: { 'PNG image': ['png'] },
  json: { 'JSON (Plotly figure)': ['json'] },
  csv: { 'CSV table': ['csv'] },
};

/** How long "Export Current Figure…" waits for the page to produce the file. */
const EXPORT_PAGE_TIMEOUT_MS = 60_000;

interface ExportWaiter {
  resolve(v: ExportResponse): void;
  reject(e: Error): void;
  /** Save here instead of asking (Export Current Figure… with a path, for scripts). */
  target?: vscode.Uri;
}

/** What "Export Current Figure…" needs of a panel. */
export interface ExportablePanel {
  readonly panel: vscode.WebviewPanel;
  reveal(preserveFocus?: boolean): void;
  whenReady(): Promise<void>;
  requestExport(format: ExportFormat, target?: vscode.Uri): Promise<ExportResponse>;
}

export interface FigureExportOptions {
  view: ViewId;
  log: { info(m: string): void };
  /** Where the save dialog starts. */
  folder(): vscode.Uri | undefined;
  /** Posts `requestExport` to the page. */
  post(m: { type: 'requestExport'; format: ExportFormat }): boolean;
  /** Ties a promise to the panel's life (rejected when it closes). */
  tie<T>(p: Promise<T>): Promise<T>;
}

export class FigureExports {
  #waiters: ExportWaiter[] = [];

  constructor(private readonly o: FigureExportOptions) {}

  /** The router's `export` handler: saves what the page built. */
  async handle(m: ExportMessage, ctx: RequestContext): Promise<ExportResponse> {
    const waiter = this.#waiters.shift();
    try {
      const r = await this.#save(m, ctx, waiter?.target);
      waiter?.resolve(r);
      return r;
    } catch (e) {
      waiter?.reject(e as Error);
      throw e;
    }
  }

  /** Asks the page for its figure in `format`; resolves once the page's export has been saved (or the dialog cancelled). */
  request(format: ExportFormat, target?: vscode.Uri): Promise<ExportResponse> {
    const done = new Promise<ExportResponse>((resolve, reject) => {
      const w: ExportWaiter = {
        target,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new ChronosLensError('RUNTIME', vscode.l10n.t('the {0} view did not produce the {1} figure within {2} s', this.o.view, format.toUpperCase(), EXPORT_PAGE_TIMEOUT_MS / 1000)));
      }, EXPORT_PAGE_TIMEOUT_MS);
      this.#waiters.push(w);
    });
    const tied = this.o.tie(done);
    this.o.post({ type: 'requestExport', format });
    return tied;
  }

  dispose(): void {
    this.#waiters.splice(0);
  }

  async #save(m: ExportMessage, ctx: RequestContext, given?: vscode.Uri): Promise<ExportResponse> {
    const folder = this.o.folder();
    const defaultUri = folder ? vscode.Uri.joinPath(folder, m.suggestedName) : undefined;
    const target = given ?? (await vscode.window.showSaveDialog({ defaultUri, filters: FORMAT_FILTERS[m.format], title: vscode.l10n.t('Export {0}', m.format.toUpperCase()), saveLabel: vscode.l10n.t('Export') }));
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new CancelledError();
    if (!target) return { saved: false };
    const bytes = exportBytes(m.content);
    if (target.scheme === 'file') {
      await writeFileAtomic(target.fsPath, bytes);
    } else {
      // Another file system (remote, virtual): temporary file next to the target, then a rename.
      const tmp = target.with({ path: path.posix.join(path.posix.dirname(target.path), `.${path.posix.basename(target.path)}.${Date.now().toString(36)}.tmp`) });
      await vscode.workspace.fs.writeFile(tmp, bytes);
      try {
        await vscode.workspace.fs.rename(tmp, target, { overwrite: true });
      } catch (e) {
        await Promise.resolve(vscode.workspace.fs.delete(tmp)).catch(() => undefined);
        throw e;
      }
    }
    const where = target.scheme === 'file' ? target.fsPath : target.toString();
    this.o.log.info(`exported ${m.format.toUpperCase()} (${bytes.length} bytes) from the ${this.o.view} view to ${where}`);
    return { saved: true, path: where };
  }
}

/**
 * Export Current Figure…: asks for the format and (through the page's export) a file. For scripts: an argument
 * `"svg"` picks the format, `{ format, path }` also the file (no dialog).
 */
export async function exportCurrentFigure(panel: ExportablePanel | undefined, arg?: unknown): Promise<ExportResponse | undefined> {
  if (!panel) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Chronos Lens: no figure is open. Open a series view, compute an induction mosaic or run an ablation first.'));
    return undefined;
  }
  const isFormat = (v: unknown): v is ExportFormat => typeof v === 'string' && (EXPORT_FORMATS as readonly string[]).includes(v);
  let format: ExportFormat | undefined;
  let target: vscode.Uri | undefined;
  if (isFormat(arg)) format = arg;
  else if (arg && typeof arg === 'object' && !(arg instanceof vscode.Uri)) {
    const a = arg as { format?: unknown; path?: unknown };
    if (!isFormat(a.format)) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('"format" must be one of {0}', EXPORT_FORMATS.join(', ')));
    format = a.format;
    if (a.path !== undefined) {
      if (typeof a.path !== 'string' || !path.isAbsolute(a.path)) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('"path" must be an absolute file path'));
      target = vscode.Uri.file(withFormatExtension(a.path, format));
    }
  }
  if (!format) {
    const labels: Record<ExportFormat, string> = { svg: vscode.l10n.t('SVG image'), png: vscode.l10n.t('PNG image'), json: vscode.l10n.t('JSON (Plotly-compatible figure)'), csv: vscode.l10n.t('CSV table') };
    const pick = await vscode.window.showQuickPick(
      EXPORT_FORMATS.map((f) => ({ label: f.toUpperCase(), description: labels[f], format: f })),
      { title: vscode.l10n.t('Export {0}', panel.panel.title), placeHolder: vscode.l10n.t('Format') },
    );
    if (!pick) return undefined;
    format = pick.format;
  }
  panel.reveal(true);
  await panel.whenReady();
  return panel.requestExport(format, target);
}
