/**
 * The sweep atlas as one standalone HTML page (no script, no network). Its sections are the ones the
 * editor's atlas panel shows, drawn by the same render functions (webview/render/atlas/, in a jsdom
 * document): induction heads against model size (the background article's headline comparison), the
 * induction counts per model (center / right / total), each model's reference mosaic side by side at
 * one colour scale, ablation effects per dataset against their random control sets, forecast metrics,
 * attributions and the unfinished tasks. Every number links to the manifest of the task that
 * produced it.
 */
import { atlasMosaics, type Atlas } from '../analysis/sweep/merge';
import type { AtlasSummary, MosaicResult } from '../analysis/types';
import type { AtlasTableSpec } from '../webview/render/atlas/table-data';
import type { ChartTheme } from '../webview/render/theme';
import { LIGHT } from '../webview/render/theme';
import { escapeHtml, htmlDocument } from '../core/html';
import { newDocument } from './figures';

/**
 * The atlas renderers are browser code (DOM types, tsconfig.webview.json); this host-free module loads
 * them through this narrow interface, generic in the document type (esbuild still bundles them);
 * test/webview/cli-figures.test.ts checks at compile time that the module satisfies AtlasRenderers<Document>.
 */
export interface AtlasRenderers<D = unknown> {
  atlasSections(
    atlas: AtlasSummary,
    mosaics: readonly { task: string; result: MosaicResult }[],
    o: { theme?: ChartTheme },
  ): { id: string; title: string; note?: string; layout: 'chart' | 'table' | 'figures'; render?: (ctx: { document: D; width: number }) => { outerHTML: string }; table?: () => AtlasTableSpec; empty?: string }[];
  atlasHeadline(atlas: AtlasSummary): string;
  atlasTableHtml(table: AtlasTableSpec): string;
}
let renderers: AtlasRenderers | undefined;
function atlasRenderers(): AtlasRenderers {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  renderers ??= require('../webview/render/atlas/sections') as AtlasRenderers;
  return renderers;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 4px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.note{margin:0 0 8px}.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}caption{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
th,td{padding:3px 8px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap}thead th{background:#f6f8fa;font-weight:600}tbody th{font-weight:normal}
.num{text-align:right}td.wrap{white-space:normal;min-width:24ch}td.error{color:#cf222e}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
.muted{color:#656d76}.cl-atlas-mosaics{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}figure{margin:0;max-width:100%}
figure svg,svg.cl-atlas-size{display:block;max-width:100%;height:auto}figcaption{margin-top:4px}
@media (prefers-color-scheme: dark){body{color:#e6edf3;background:#0d1117}thead th{background:#161b22}th,td{border-color:#30363d}a{color:#58a6ff}.muted{color:#8d96a0}h2{border-color:#30363d}}
`;

/** Width the page's charts are drawn at (they scale down with the window). */
const PAGE_WIDTH = 760;

export function renderAtlasPage(atlas: Atlas): string {
  const r = atlasRenderers();
  // The charts and mosaics are drawn in a DOM (a few thousand elements at most); made on first use.
  let document: unknown;
  const out: string[] = [];
  out.push(`<h1>Sweep atlas · ${escapeHtml(atlas.name)}</h1>`);
  out.push(`<p class="muted">${escapeHtml(r.atlasHeadline(atlas))}. Every number links to its task's manifest.</p>`);
  for (const s of r.atlasSections(atlas, atlasMosaics(atlas), { theme: LIGHT })) {
    out.push(`<section id="atlas-${s.id}"><h2>${escapeHtml(s.title)}</h2>`);
    if (s.note) out.push(`<p class="note muted">${escapeHtml(s.note)}</p>`);
    if (!s.render) out.push(`<p class="muted">${escapeHtml(s.empty ?? '')}</p>`);
    // Tables as text: thousands of rows are quick to write and slow to build in a Node DOM.
    else if (s.table) out.push(`<div class="scroll">${r.atlasTableHtml(s.table())}</div>`);
    else out.push(s.render({ document: (document ??= newDocument()), width: PAGE_WIDTH }).outerHTML);
    out.push('</section>');
  }
  const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
  return htmlDocument({ title: `Sweep atlas · ${atlas.name}`, csp, head: [`<style>${STYLE}</style>`], body: out });
}
