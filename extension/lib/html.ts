/**
 * The host page of a webview panel: a strict Content-Security-Policy (no remote content; scripts only
 * by nonce; styles, images and fonts only from the extension's webview resources, plus `data:` images
 * for PNG export), the view's bundle (dist/webview/<view>.js) and its first message embedded as JSON
 * data, so the view renders without a round trip (webview/initial-state.ts reads it).
 * vscode-free: the adapter passes `webview.cspSource` and the script's webview URI.
 */
import { randomBytes } from 'node:crypto';
import { escapeHtml } from '../../core/html';
import type { ViewId } from '../../protocol';

/** Same id as webview/initial-state.ts INITIAL_STATE_ID (the page reads it from there). */
export const INITIAL_STATE_ID = 'chronos-lens-initial-state';

/** The custom element each view's bundle renders into. */
export const VIEW_TAGS: Readonly<Record<ViewId, string>> = {
  mosaic: 'cl-mosaic-view',
  ablation: 'cl-ablation-report',
  series: 'cl-series-view',
  atlas: 'cl-atlas-view',
  causal: 'cl-causal-view',
};

/** 128 random bits, base64 (a valid CSP nonce). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The policy: default-src 'none'; everything else spelled out. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  checkSource(cspSource);
  checkNonce(nonce);
  const src = cspSource.trim().split(/\s+/).join(' ');
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${src} 'nonce-${nonce}'`,
    `img-src ${src} data:`,
    `font-src ${src}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function checkNonce(nonce: string): void {
  if (!/^[A-Za-z0-9+/]{16,}={0,2}$/.test(nonce)) throw new Error(`invalid CSP nonce ${JSON.stringify(nonce)}`);
}

/**
 * webview.cspSource: one or more source expressions, e.g. "https://*.vscode-cdn.net" (VS Code) or
 * "'self' https://*.vscode-cdn.net" (code-server). Each must be a keyword ('self'), a scheme ("data:")
 * or a host source; nothing that could end the directive or the attribute.
 */
function checkSource(src: string): void {
  const tokens = src.trim().split(/\s+/);
  const ok = src.trim() !== '' && tokens.every((t) => /^'self'$/.test(t) || /^[a-z][a-z0-9+.-]*:(\/\/[^\s;,'"<>]+)?$/i.test(t) || /^[^\s;,'"<>:]+(:\d+|:\*)?(\/[^\s;,'"<>]*)?$/.test(t));
  if (!ok) throw new Error(`invalid CSP source ${JSON.stringify(src)}`);
}


/** JSON for a <script type="application/json"> element: no "</script>" or HTML comment can appear. */
export function initialStateJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export interface PageOptions {
  view: ViewId;
  title: string;
  /** webview.cspSource */
  cspSource: string;
  /** The view's bundle as a webview URI string (webview.asWebviewUri(dist/webview/<view>.js)). */
  scriptUri: string;
  nonce?: string;
  /** The first host message (e.g. showMosaic), embedded as JSON. */
  initialState?: unknown;
  /** Optional stylesheet URI (webview resources only). */
  styleUri?: string;
}

export function webviewHtml(o: PageOptions): string {
  const nonce = o.nonce ?? makeNonce();
  const csp = contentSecurityPolicy(o.cspSource, nonce);
  if (!/^[a-z][a-z0-9+.-]*:/i.test(o.scriptUri)) throw new Error(`script URI must be absolute, got ${JSON.stringify(o.scriptUri)}`);
  const tag = VIEW_TAGS[o.view];
  const state =
    o.initialState === undefined ? '' : `\n  <script type="application/json" id="${INITIAL_STATE_ID}">${initialStateJson(o.initialState)}</script>`;
  const style = o.styleUri ? `\n  <link rel="stylesheet" href="${escapeHtml(o.styleUri)}">` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <title>${escapeHtml(o.title)}</title>${style}
</head>
<body>
  <${tag}></${tag}>${state}
  <script nonce="${nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}

/**
 * A page with no script at all (CSP `default-src 'none'`): a heading and a paragraph, for a panel that has
 * nothing else to show, such as one VS Code restored after a reload whose saved contents are gone.
 */
export function messageHtml(o: { title: string; heading: string; text: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="default-src 'none'">
  <title>${escapeHtml(o.title)}</title>
</head>
<body>
  <h2>${escapeHtml(o.heading)}</h2>
  <p>${escapeHtml(o.text)}</p>
</body>
</html>
`;
}
