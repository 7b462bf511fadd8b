/** Shared start-up code of the webview entries (webview/entries/*). */
import type { BusyMessage, CommonHostMessage, ErrorMessage, ExportContent, ExportFormat, HostMessageOf, RequestExportMessage, ViewId } from '../protocol';
import type { Notice, ExportDetail } from './components/types';
import { HostConnection, HostRequestError } from './host';
import { readInitialState } from './initial-state';

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

/** The one message a result page is drawn from (showAblation, showAtlas, showCausal). */
export type ShowOf<V extends ViewId> = Exclude<HostMessageOf<V>, CommonHostMessage>;

/**
 * Starts a page that shows one result at a time (the ablation report, the atlas, the residual-stream panel): drawn
 * from the initial state, else from the state saved when it was last shown, then from each `show` message of the
 * host (saved in turn, so a hidden page comes back as it was); busy, error and export messages go through
 * applyChrome. `wire` adds the view's own events before the page tells the host it is ready.
 */
export function startResultPage<V extends 'ablation' | 'atlas' | 'causal', K extends keyof HTMLElementTagNameMap>(opts: {
  view: V;
  tag: K;
  api: VsCodeWebviewApi<{ show?: ShowOf<V> }>;
  show: (el: HTMLElementTagNameMap[K] & ViewChrome, m: ShowOf<V>) => void;
  wire?: (el: HTMLElementTagNameMap[K] & ViewChrome, host: HostConnection<V>) => void;
}): void {
  const { api } = opts;
  const host = new HostConnection(opts.view, api);
  const el = mountView(document, opts.tag) as HTMLElementTagNameMap[K] & ViewChrome;
  const apply = (m: HostMessageOf<V>): void => {
    if (applyChrome(el, m) || m.type === 'response') return;
    const show = m as ShowOf<V>;
    opts.show(el, show);
    if (el.notice?.kind === 'busy') el.notice = undefined;
    api.setState({ show });
  };
  wireChrome(host, el);
  opts.wire?.(el, host);
  host.onMessage(apply);
  const initial = readInitialState<ShowOf<V>>(document) ?? api.getState()?.show;
  if (initial) apply(initial);
  host.ready();
}
