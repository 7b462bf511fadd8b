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
  for (const [key, prop] of Object.entries(TOKENS) as [keyof typeof TOKENS, string][]) {
    const v = cs.getPropertyValue(prop).trim();
    if (v) t[key] = v;
  }
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
