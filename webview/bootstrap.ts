/** Shared start-up code of the webview entries (webview/entries/*). */
import type { BusyMessage, ErrorMessage, ExportContent, ExportFormat, RequestExportMessage, ViewId } from '../protocol';
import type { Notice, ExportDetail } from './components/types';
import { HostConnection, HostRequestError } from './host';

/** What every view component exposes for banners, the export bar and the host's export requests. */
export interface ViewChrome {
  notice: Notice | undefined;
  exportBusy: boolean;
  exportStatus: string;
  exportFigure(format: ExportFormat): Promise<{ suggestedName: string; content: ExportContent }>;
}

/** The page's `<tag>` element, created in <body> if the host page has none. */
export function mountView<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K): HTMLElementTagNameMap[K] {
  const existing = doc.querySelector(tag);
  if (existing) return existing;
  const el = doc.createElement(tag);
  doc.body.append(el);
  return el;
}

/**
 * Applies `busy`, `error` and `requestExport` host messages to a view (an export request is answered with the
 * view's figure, as a `cl-export` event that wireChrome saves). Returns false for other messages.
 */
export function applyChrome(view: ViewChrome & EventTarget, m: { type: string }): boolean {
  if (m.type === 'busy') {
    const b = m as BusyMessage;
    if (b.busy) view.notice = { kind: 'busy', message: b.message ?? 'Working…' };
    else if (view.notice?.kind === 'busy') view.notice = undefined;
    return true;
  }
  if (m.type === 'error') {
    const e = m as ErrorMessage;
    view.notice = { kind: 'error', message: e.message, detail: e.detail };
    return true;
  }
  if (m.type === 'requestExport') {
    const { format } = m as RequestExportMessage;
    void view.exportFigure(format).then(
      ({ suggestedName, content }) => view.dispatchEvent(new CustomEvent('cl-export', { detail: { format, suggestedName, content } })),
      (err: Error) => (view.notice = { kind: 'error', message: err.message }),
    );
    return true;
  }
  return false;
}

/** Sends an export to the host to save, reflecting progress and the outcome in the view. */
export async function saveExport<V extends ViewId>(host: HostConnection<V>, view: ViewChrome, d: ExportDetail): Promise<void> {
  view.exportBusy = true;
  view.exportStatus = `Saving ${d.suggestedName}…`;
  try {
    const r = await host.request<'export'>({ type: 'export', format: d.format, suggestedName: d.suggestedName, content: d.content });
    view.exportStatus = r.saved ? `Saved ${r.path ?? d.suggestedName}` : 'Export cancelled';
  } catch (err) {
    view.exportStatus = '';
    const code = err instanceof HostRequestError ? err.code : 'failed';
    if (code !== 'cancelled' && code !== 'disposed') view.notice = { kind: 'error', message: `Export failed: ${(err as Error).message}` };
  } finally {
    view.exportBusy = false;
  }
}

/** Wires the view's common events (export, page errors, notice dismissal). */
export function wireChrome<V extends ViewId>(host: HostConnection<V>, el: HTMLElement & ViewChrome): void {
  el.addEventListener('cl-export', (e) => void saveExport(host, el, (e as CustomEvent<ExportDetail>).detail));
  el.addEventListener('cl-error', (e) => {
    el.notice = { kind: 'error', message: (e as CustomEvent<{ message: string }>).detail.message };
  });
  el.addEventListener('cl-dismiss-notice', () => {
    el.notice = undefined;
  });
}
