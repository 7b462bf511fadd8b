/**
 * The standalone figure page's script (dist/webview/figure.js), inlined by the CLI into
 * self-contained .html files (cli/figures.ts). No VS Code: the initial state holds the view and its
 * message; the export buttons download files in the browser.
 */
import { mountView } from '../bootstrap';
import '../components/ablation-report';
import '../components/causal-view';
import '../components/mosaic-view';
import type { ExportDetail } from '../components/types';
import { readInitialState, type FigurePageState } from '../initial-state';

function download(d: ExportDetail): void {
  const bytes = d.content.encoding === 'base64' ? Uint8Array.from(atob(d.content.data), (c) => c.charCodeAt(0)) : new TextEncoder().encode(d.content.data);
  const mime = { svg: 'image/svg+xml', png: 'image/png', json: 'application/json', csv: 'text/csv' }[d.format];
  const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = d.suggestedName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const state = readInitialState<FigurePageState>(document);
if (!state) throw new Error('This page has no figure data.');
if (state.view === 'mosaic') {
  const v = mountView(document, 'cl-mosaic-view');
  v.result = state.message.result;
  if (state.message.kind) v.kind = state.message.kind;
  v.ablationSet = state.message.ablationSet ?? [];
  v.heading = state.message.title ?? '';
  v.addEventListener('cl-export', (e) => download((e as CustomEvent<ExportDetail>).detail));
  v.addEventListener('cl-error', (e) => (v.notice = { kind: 'error', message: (e as CustomEvent<{ message: string }>).detail.message }));
  v.addEventListener('cl-dismiss-notice', () => (v.notice = undefined));
} else if (state.view === 'causal') {
  const v = mountView(document, 'cl-causal-view');
  v.run = state.message.run;
  v.figure = state.message.figure ?? '';
  v.addEventListener('cl-export', (e) => download((e as CustomEvent<ExportDetail>).detail));
  v.addEventListener('cl-error', (e) => (v.notice = { kind: 'error', message: (e as CustomEvent<{ message: string }>).detail.message }));
  v.addEventListener('cl-dismiss-notice', () => (v.notice = undefined));
} else {
  const v = mountView(document, 'cl-ablation-report');
  v.result = state.message.result;
  v.addEventListener('cl-export', (e) => download((e as CustomEvent<ExportDetail>).detail));
  v.addEventListener('cl-error', (e) => (v.notice = { kind: 'error', message: (e as CustomEvent<{ message: string }>).detail.message }));
  v.addEventListener('cl-dismiss-notice', () => (v.notice = undefined));
}
