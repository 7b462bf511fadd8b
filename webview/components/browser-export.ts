/**
 * Browser-side export helpers: the `--cl-*` theme sheet for a document, and SVG → PNG through a
 * canvas (the image is loaded from a data: URL, so the page's CSP must allow `img-src data:`).
 */
import { THEME_CSS } from '../render/theme';

const installed = new WeakSet<Document>();

/**
 * Adds the theme tokens (render/theme.ts THEME_CSS) to a document once, as a constructed
 * stylesheet: no <style> element, so no CSP nonce is needed.
 */
export function ensureThemeCss(doc: Document): void {
  if (installed.has(doc)) return;
  installed.add(doc);
  const view = doc.defaultView as (Window & typeof globalThis) | null;
  if (view && 'adoptedStyleSheets' in doc && typeof view.CSSStyleSheet === 'function') {
    const sheet = new view.CSSStyleSheet();
    sheet.replaceSync(THEME_CSS);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  }
}

function utf8ToBase64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Rasterises a standalone SVG document (concrete colours) to PNG, base64 without a data: prefix. */
export async function svgToPngBase64(svgText: string, doc: Document, scale = 2): Promise<string> {
  const m = /<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svgText);
  const width = m ? Number(m[1]) : 800;
  const height = m ? Number(m[2]) : 600;
  const img = new Image();
  img.decoding = 'async';
  img.src = `data:image/svg+xml;base64,${utf8ToBase64(svgText)}`;
  try {
    await img.decode();
  } catch {
    throw new Error('The figure could not be rasterised to PNG (the SVG image did not load; the page must allow img-src data:).');
  }
  const canvas = doc.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('The figure could not be rasterised to PNG (no 2D canvas).');
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0, width, height);
  const url = canvas.toDataURL('image/png');
  return url.slice(url.indexOf(',') + 1);
}
