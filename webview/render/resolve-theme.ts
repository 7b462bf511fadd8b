/** Reading the live theme from a document (browser / jsdom only). */
import { LIGHT, TOKENS, type ChartTheme, type ThemeName } from './theme';

/**
 * The concrete theme in effect at `element` (live var() references resolved), for exports that
 * must look like the view. Falls back to `fallback` for tokens the page does not define.
 */
export function resolveTheme(element: Element, fallback: ChartTheme = LIGHT): ChartTheme {
  const view = element.ownerDocument.defaultView;
  const cs = view ? view.getComputedStyle(element) : undefined;
  const t = { ...fallback };
  if (!cs) return t;
  // Colours as the page computes them: a token may be a color-mix(), which an SVG file read
  // elsewhere (an editor, a converter) need not understand.
  const probe = element.ownerDocument.createElement('span');
  element.ownerDocument.body?.append(probe);
  for (const [key, prop] of Object.entries(TOKENS) as [keyof typeof TOKENS, string][]) {
    const v = cs.getPropertyValue(prop).trim();
    if (!v) continue;
    t[key] = v;
    if (key === 'fontFamily' || !v.includes('(') || !probe.isConnected) continue;
    probe.style.color = v;
    const computed = view?.getComputedStyle(probe).color;
    if (computed) t[key] = srgbToRgb(computed);
  }
  probe.remove();
  return t;
}

/** The theme VS Code applies to a document, from its body class. */
export function themeNameOf(doc: Document): ThemeName {
  const c = doc.body?.classList;
  if (!c) return 'light';
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  return 'light';
}

/** Chromium computes a color-mix() as `color(srgb r g b [/ a])` (0..1): as rgb() / rgba(), which every SVG reader knows. */
function srgbToRgb(c: string): string {
  const m = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.e-]+))?\)$/.exec(c);
  if (!m) return c;
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => Math.round(Math.min(1, Math.max(0, Number(v))) * 255));
  return m[4] !== undefined && Number(m[4]) < 1 ? `rgba(${r}, ${g}, ${b}, ${Number(m[4])})` : `rgb(${r}, ${g}, ${b})`;
}
