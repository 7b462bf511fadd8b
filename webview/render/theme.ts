/**
 * Chart colours and type. Inside VS Code every colour is a CSS variable reference (`var(--cl-*)`),
 * defined once per document from VS Code's theme variables (THEME_CSS), so a theme switch restyles
 * live charts without re-rendering. Exports and the CLI use concrete themes (LIGHT/DARK/HIGH_CONTRAST)
 * or `resolveTheme()` (resolve-theme.ts), which reads the live values, because an SVG file cannot
 * see the page's CSS. This module is DOM-free (the CLI type-checks it without DOM types).
 *
 * Colours are applied as inline style properties (CSSOM), never as style attributes in markup, so
 * they pass a strict CSP.
 */

export interface ChartTheme {
  /** Text, axes, threshold outlines. */
  foreground: string;
  /** Secondary text: ticks, captions. */
  muted: string;
  /** Chart background; also the halo behind outlines and marks. */
  background: string;
  /** Grid lines, box outlines, separators. */
  grid: string;
  /** Focus rings, selection, the series line. */
  accent: string;
  /** The ablated set, the hovered position. */
  marked: string;
  /** Control distribution points. */
  control: string;
  /** Forecast fan and median. */
  forecast: string;
  /** Context-window shading. */
  context: string;
  /** Induction highlights: earlier copies of the query token, and the positions after them. */
  sameToken: string;
  nextToken: string;
  fontFamily: string;
  /** Base font size in px (layout uses it to estimate text widths). */
  fontSize: number;
}

/** Custom properties the CSS theme defines, with the VS Code variables they come from. */
export const TOKENS: Record<Exclude<keyof ChartTheme, 'fontSize'>, string> = {
  foreground: '--cl-fg',
  muted: '--cl-muted',
  background: '--cl-bg',
  grid: '--cl-grid',
  accent: '--cl-accent',
  marked: '--cl-marked',
  control: '--cl-control',
  forecast: '--cl-forecast',
  context: '--cl-context',
  sameToken: '--cl-same-token',
  nextToken: '--cl-next-token',
  fontFamily: '--cl-font',
};

export const LIGHT: ChartTheme = {
  foreground: '#1f1f1f',
  muted: '#616161',
  background: '#ffffff',
  grid: '#d8d8d8',
  accent: '#005fb8',
  marked: '#c72e0f',
  control: '#6e7781',
  forecast: '#0e7c86',
  context: 'rgba(0, 95, 184, 0.07)',
  sameToken: '#b35900',
  nextToken: '#7a3db8',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", "Liberation Sans", Arial, sans-serif',
  fontSize: 12,
};

export const DARK: ChartTheme = {
  foreground: '#cccccc',
  muted: '#9d9d9d',
  background: '#1f1f1f',
  grid: '#3c3c3c',
  accent: '#4daafc',
  marked: '#f48771',
  control: '#a0a7b0',
  forecast: '#4ec9b0',
  context: 'rgba(77, 170, 252, 0.09)',
  sameToken: '#e8a13a',
  nextToken: '#c586c0',
  fontFamily: LIGHT.fontFamily,
  fontSize: 12,
};

export const HIGH_CONTRAST: ChartTheme = {
  foreground: '#ffffff',
  muted: '#ffffff',
  background: '#000000',
  grid: '#6fc3df',
  accent: '#f38518',
  marked: '#f38518',
  control: '#ffffff',
  forecast: '#3ff23f',
  context: 'rgba(255, 255, 255, 0.12)',
  sameToken: '#ffff00',
  nextToken: '#00ffff',
  fontFamily: LIGHT.fontFamily,
  fontSize: 12,
};

export const HIGH_CONTRAST_LIGHT: ChartTheme = {
  ...LIGHT,
  foreground: '#000000',
  muted: '#000000',
  grid: '#0f4a85',
  accent: '#006bbd',
  marked: '#b5200d',
  control: '#000000',
};

export type ThemeName = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
export const THEMES: Readonly<Record<ThemeName, ChartTheme>> = {
  light: LIGHT,
  dark: DARK,
  'high-contrast': HIGH_CONTRAST,
  'high-contrast-light': HIGH_CONTRAST_LIGHT,
};

/** The live theme: every colour a `var(--cl-*)` reference with the light theme as fallback. */
export function cssVarTheme(): ChartTheme {
  const t = { fontSize: LIGHT.fontSize } as ChartTheme;
  for (const [key, prop] of Object.entries(TOKENS) as [keyof typeof TOKENS, string][]) t[key] = `var(${prop}, ${LIGHT[key]})`;
  return t;
}

/**
 * Tokens taken from a VS Code chart colour mixed 30 % toward the text colour: the chart colours are
 * made to be seen as fills, and as thin rings and small markers some fall below 3:1 against the
 * editor background (the light theme's orange is 2.9:1 on white); toward the text colour they gain
 * contrast in every theme and keep their hue.
 */
const TOWARD_TEXT: ReadonlySet<keyof typeof TOKENS> = new Set(['sameToken', 'nextToken']);

function block(selector: string, t: ChartTheme, vs: Partial<Record<keyof typeof TOKENS, string>>): string {
  const lines = (Object.entries(TOKENS) as [keyof typeof TOKENS, string][]).map(([key, prop]) => {
    const fallback = t[key];
    const v = vs[key];
    const value = v ? `var(${v}, ${fallback})` : fallback;
    return `  ${prop}: ${v && TOWARD_TEXT.has(key) ? `color-mix(in srgb, ${value} 70%, var(${TOKENS.foreground}))` : value};`;
  });
  return `${selector} {\n${lines.join('\n')}\n}`;
}

/** Which VS Code theme variable each token follows (where VS Code has a fitting one). */
const VSCODE_VARS: Partial<Record<keyof typeof TOKENS, string>> = {
  foreground: '--vscode-editor-foreground',
  muted: '--vscode-descriptionForeground',
  background: '--vscode-editor-background',
  grid: '--vscode-editorWidget-border',
  accent: '--vscode-focusBorder',
  marked: '--vscode-editorError-foreground',
  control: '--vscode-disabledForeground',
  forecast: '--vscode-charts-green',
  sameToken: '--vscode-charts-orange',
  nextToken: '--vscode-charts-purple',
  fontFamily: '--vscode-font-family',
};
/** High-contrast themes: borders become the contrast border, accents the active contrast border. */
const VSCODE_VARS_HC: Partial<Record<keyof typeof TOKENS, string>> = {
  ...VSCODE_VARS,
  grid: '--vscode-contrastBorder',
  accent: '--vscode-contrastActiveBorder',
  marked: '--vscode-contrastActiveBorder',
  control: '--vscode-editor-foreground',
};

/**
 * Defines the `--cl-*` tokens for a document: from VS Code's variables inside a webview (which
 * VS Code sets on <html>, with body.vscode-light/-dark/-high-contrast/-high-contrast-light), with
 * per-theme fallbacks outside VS Code (standalone HTML: light, or dark when the OS prefers it).
 */
export const THEME_CSS = [
  block(':root, body', LIGHT, VSCODE_VARS),
  '@media (prefers-color-scheme: dark) {',
  block('body:not(.vscode-light):not(.vscode-dark):not(.vscode-high-contrast):not(.vscode-high-contrast-light)', DARK, {}),
  '}',
  block('body.vscode-light', LIGHT, VSCODE_VARS),
  block('body.vscode-dark', DARK, VSCODE_VARS),
  block('body.vscode-high-contrast:not(.vscode-high-contrast-light)', HIGH_CONTRAST, VSCODE_VARS_HC),
  block('body.vscode-high-contrast-light', HIGH_CONTRAST_LIGHT, VSCODE_VARS_HC),
  `body { background: var(--cl-bg); color: var(--cl-fg); font-family: var(--cl-font); margin: 0; }`,
].join('\n');
