/**
 * Standalone HTML pages the hosts write (webview host pages, CLI figures, the sweep atlas): text escaping
 * and the document frame with its Content-Security-Policy, so every page states its policy the same way.
 */

/** HTML text escaping for element content and double- or single-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export interface HtmlDocument {
  /** The Content-Security-Policy, written as it is into a <meta http-equiv> (so it may hold no `"`, `<` or `&`). */
  csp: string;
  /** Plain text; escaped here. */
  title: string;
  /** Markup after the title inside <head> (already safe). */
  head?: string[];
  /** Markup of the body (already safe). */
  body: string[];
  /** Attributes of <body>, e.g. ` class="dark"` (already safe). */
  bodyAttributes?: string;
}

/** A complete UTF-8 page: doctype, language, CSP, viewport and generator. */
export function htmlDocument(d: HtmlDocument): string {
  if (/["<&]/.test(d.csp)) throw new Error(`a Content-Security-Policy cannot contain ", < or &: ${d.csp}`);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${d.csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="chronos-lens">',
    `<title>${escapeHtml(d.title)}</title>`,
    ...(d.head ?? []),
    '</head>',
    `<body${d.bodyAttributes ?? ''}>`,
    ...d.body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
