/**
 * Standalone figures for the CLI (`--out FILE.svg|.png|.html|.json|.csv`), drawn by the same code as
 * the webviews:
 *  - svg:  the webview's D3 render functions, in a jsdom document;
 *  - png:  that SVG rasterised by resvg (prebuilt binary from npm, no network, system fonts);
 *  - html: a self-contained page (the webview's figure bundle and the data inline, strict CSP, no
 *          remote content) rendered in the browser by the same Lit components as the extension;
 *  - json: a Plotly-compatible figure, like the background article's published mosaics;
 *  - csv:  the numbers.
 * Returns the content; the caller writes it (atomically).
 *
 * jsdom and @resvg/resvg-js are loaded on first use, at run time, from node_modules (never bundled:
 * jsdom resolves files relative to itself and resvg loads a native addon), so commands that draw no
 * figure never pay for them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ATTENTION_KINDS as KINDS, type AblationResult, type AttentionKind, type HeadRef, type MosaicResult } from '../analysis/types';
import { ChronosLensError } from '../core/errors';
import { writeFileAtomic } from '../core/files';
import { htmlDocument } from '../core/html';
import { INITIAL_STATE_ID, initialStateJson, type FigurePageState } from '../webview/initial-state';
import { CAUSAL_FIGURE_LABEL, type CausalFigure, type CausalRun } from '../protocol/causal';
import { ablationCsv, ablationPlotlyFigure, mosaicCsv, mosaicPlotlyFigure } from '../webview/render/figure-data';
import { THEMES, type ChartTheme, type ThemeName } from '../webview/render/theme';

export type FigureFormat = 'svg' | 'png' | 'html' | 'json' | 'csv';
export const FIGURE_FORMATS: readonly FigureFormat[] = ['svg', 'png', 'html', 'json', 'csv'];

export interface FigureOptions {
  /** Colours of svg/png (default 'light'); html follows the viewer's light/dark preference unless set. */
  theme?: ThemeName;
  /** Figure width in CSS px (svg/png; default 800). */
  width?: number;
  /** png: device pixels per CSS px (default 2). */
  scale?: number;
  /** html: the figure bundle (default: dist/webview/figure.js next to the CLI). */
  bundlePath?: string;
}

export interface MosaicFigureOptions extends FigureOptions {
  /** svg/png: the kinds drawn (default every kind present); html/json: the first is the one shown first. */
  kinds?: AttentionKind[];
  /** Heads marked as the ablation set. */
  marked?: HeadRef[];
  /** html: heading. */
  title?: string;
}


// ---------------------------------------------------------------------------------------------

/**
 * The SVG renderers (webview/render/exports.ts) are browser code, type-checked with DOM types by
 * tsconfig.webview.json. The host-free core is type-checked without DOM types, so this module
 * loads them through this narrow interface, generic in the document type (a plain require:
 * esbuild still bundles them); test/webview/cli-figures.test.ts checks at compile time that the
 * module satisfies SvgRenderers<Document>.
 */
export interface SvgRenderers<D = unknown> {
  mosaicExportText(result: MosaicResult, format: 'svg', opts: { document: D; theme: ChartTheme; kinds?: AttentionKind[]; marked?: readonly HeadRef[]; width?: number }): string;
  ablationExportText(result: AblationResult, format: 'svg', opts: { document: D; theme: ChartTheme; width?: number }): string;
  causalExportText(run: CausalRun, figure: CausalFigure, format: 'svg' | 'json' | 'csv', opts: { document?: D; theme: ChartTheme; width?: number }): string;
}
let renderers: SvgRenderers | undefined;
function svgRenderers(): SvgRenderers {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  renderers ??= require('../webview/render/exports') as SvgRenderers;
  return renderers;
}

/** The parts of jsdom and @resvg/resvg-js used here (their own typings pull in DOM types). */
interface JsdomModule {
  JSDOM: new (html: string) => { window: { document: unknown } };
}
interface ResvgModule {
  Resvg: new (
    svg: string,
    opts: { fitTo: { mode: 'zoom'; value: number }; font: { loadSystemFonts: boolean; defaultFontFamily: string }; shapeRendering: number; textRendering: number },
  ) => { render(): { asPng(): Uint8Array } };
}
const runtimeRequire = createRequire(__filename);
let jsdom: JsdomModule | undefined;
let resvg: ResvgModule | undefined;

function loadOptional<T>(name: string, what: string): T {
  try {
    return runtimeRequire(name) as T;
  } catch (e) {
    throw new ChronosLensError('NOT_FOUND', `Cannot ${what}: the package "${name}" is not installed next to the CLI (${(e as Error).message.split('\n')[0]}). Reinstall chronos-lens with its dependencies.`, {
      cause: e,
    });
  }
}

/** A fresh, empty jsdom document to render into. */
export function newDocument(): unknown {
  jsdom ??= loadOptional<JsdomModule>('jsdom', 'draw SVG figures');
  return new jsdom.JSDOM('<!doctype html><html><body></body></html>').window.document;
}

function rasterize(svg: string, scale: number): Buffer {
  resvg ??= loadOptional<ResvgModule>('@resvg/resvg-js', 'rasterise PNG figures');
  const r = new resvg.Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'Arial' },
    shapeRendering: 2,
    textRendering: 1,
  });
  return Buffer.from(r.render().asPng());
}

function themeOf(opts: FigureOptions): (typeof THEMES)[ThemeName] {
  const name = opts.theme ?? 'light';
  const t = THEMES[name];
  if (!t) throw new ChronosLensError('BAD_INPUT', `Unknown figure theme "${String(name)}": expected ${Object.keys(THEMES).join(', ')}.`);
  return t;
}

function checkFormat(format: string): asserts format is FigureFormat {
  if (!(FIGURE_FORMATS as readonly string[]).includes(format)) {
    throw new ChronosLensError('BAD_INPUT', `Unknown figure format "${format}": expected one of ${FIGURE_FORMATS.join(', ')}.`);
  }
}

function checkMosaic(result: MosaicResult, kinds: AttentionKind[] | undefined): void {
  if (!result || typeof result !== 'object') throw new ChronosLensError('BAD_INPUT', 'The mosaic result is missing.');
  const present = KINDS.filter((k) => result[k]);
  if (!present.length) throw new ChronosLensError('BAD_INPUT', 'The mosaic result has no cross, encoder or decoder scores to draw.');
  for (const k of kinds ?? []) {
    if (!result[k]) throw new ChronosLensError('BAD_INPUT', `The mosaic result has no "${k}" scores (it has ${present.join(', ')}).`);
  }
  for (const k of present) {
    const m = result[k];
    if (!m) continue;
    const ok = (x: unknown) => Array.isArray(x) && x.length === m.layers && x.every((r) => Array.isArray(r) && r.length === m.heads);
    if (!ok(m.center) || !ok(m.right) || !ok(m.stderr?.center) || !ok(m.stderr?.right)) {
      throw new ChronosLensError('BAD_INPUT', `The mosaic result's "${k}" scores are not ${m.layers} layers × ${m.heads} heads (center, right and their stderr).`);
    }
  }
}

function checkAblation(result: AblationResult): void {
  if (!result || typeof result !== 'object' || !Array.isArray(result.metrics)) throw new ChronosLensError('BAD_INPUT', 'The ablation result has no metrics to draw.');
  result.metrics.forEach((m, i) => {
    if (typeof m.name !== 'string' || !Array.isArray(m.controls)) throw new ChronosLensError('BAD_INPUT', `Ablation metric ${i} needs a name and a list of control values.`);
  });
}

// ---------------------------------------------------------------------------------------------
// HTML

function figureBundle(opts: FigureOptions): string {
  const candidates = opts.bundlePath ? [opts.bundlePath] : [path.join(__dirname, 'webview', 'figure.js'), path.resolve(__dirname, '..', 'dist', 'webview', 'figure.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new ChronosLensError('NOT_FOUND', `Cannot write an HTML figure: its script is missing (looked for ${candidates.join(', ')}). Run "npm run build" first.`);
  }
  // Drop the source-map comment (the map is not shipped inside the page) and make the script safe
  // to inline: "</script" cannot occur outside JS strings/regexps, where "<\/" means the same.
  return readFileSync(found, 'utf8')
    .replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n')
    .replace(/<\/(script)/gi, '<\\/$1');
}

const BODY_CLASS: Record<ThemeName, string> = {
  light: 'vscode-light',
  dark: 'vscode-dark',
  'high-contrast': 'vscode-high-contrast',
  'high-contrast-light': 'vscode-high-contrast vscode-high-contrast-light',
};

/**
 * A self-contained page: one inline script allowed by its sha256 hash, the data as a JSON block,
 * `default-src 'none'` (no network, no other scripts, no inline styles from markup).
 */
export function figurePage(state: FigurePageState, title: string, opts: FigureOptions = {}): string {
  const script = figureBundle(opts);
  const hash = createHash('sha256').update(script, 'utf8').digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; img-src data: blob:; base-uri 'none'; form-action 'none'`;
  const bodyClass = opts.theme ? ` class="${BODY_CLASS[opts.theme]}"` : '';
  return htmlDocument({
    csp,
    title,
    head: [`<script type="application/json" id="${INITIAL_STATE_ID}">${initialStateJson(state)}</script>`],
    bodyAttributes: bodyClass,
    body: ['<noscript>This figure is drawn by JavaScript; open it in a browser with scripts enabled, or export it as SVG or PNG.</noscript>', `<script>${script}</script>`],
  });
}

// ---------------------------------------------------------------------------------------------

export function renderMosaicFigure(result: MosaicResult, format: 'png', opts?: MosaicFigureOptions): Buffer;
export function renderMosaicFigure(result: MosaicResult, format: 'svg' | 'html' | 'json' | 'csv', opts?: MosaicFigureOptions): string;
export function renderMosaicFigure(result: MosaicResult, format: FigureFormat, opts?: MosaicFigureOptions): string | Buffer;
export function renderMosaicFigure(result: MosaicResult, format: FigureFormat, opts: MosaicFigureOptions = {}): string | Buffer {
  checkFormat(format);
  checkMosaic(result, opts.kinds);
  const theme = themeOf(opts);
  switch (format) {
    case 'csv':
      return mosaicCsv(result, { kinds: opts.kinds });
    case 'json':
      return `${JSON.stringify(mosaicPlotlyFigure(result, { kind: opts.kinds?.[0] }), null, 1)}\n`;
    case 'svg':
    case 'png': {
      const svg = svgRenderers().mosaicExportText(result, 'svg', { document: newDocument(), theme, kinds: opts.kinds, marked: opts.marked, width: opts.width });
      return format === 'svg' ? svg : rasterize(svg, opts.scale ?? 2);
    }
    case 'html': {
      const title = opts.title ?? `Induction mosaic · ${result.model.name}`;
      return figurePage({ view: 'mosaic', message: { type: 'showMosaic', result, kind: opts.kinds?.[0], ablationSet: opts.marked, title: opts.title } }, title, opts);
    }
  }
}

export function renderAblationFigure(result: AblationResult, format: 'png', opts?: FigureOptions): Buffer;
export function renderAblationFigure(result: AblationResult, format: 'svg' | 'html' | 'json' | 'csv', opts?: FigureOptions): string;
export function renderAblationFigure(result: AblationResult, format: FigureFormat, opts?: FigureOptions): string | Buffer;
export function renderAblationFigure(result: AblationResult, format: FigureFormat, opts: FigureOptions = {}): string | Buffer {
  checkFormat(format);
  checkAblation(result);
  const theme = themeOf(opts);
  switch (format) {
    case 'csv':
      return ablationCsv(result);
    case 'json':
      return `${JSON.stringify(ablationPlotlyFigure(result), null, 1)}\n`;
    case 'svg':
    case 'png': {
      const svg = svgRenderers().ablationExportText(result, 'svg', { document: newDocument(), theme, width: opts.width });
      return format === 'svg' ? svg : rasterize(svg, opts.scale ?? 2);
    }
    case 'html':
      return figurePage({ view: 'ablation', message: { type: 'showAblation', result } }, `Head ablation · ${result.model.name}`, opts);
  }
}

/** One figure of the residual-stream panel (attribution, per-layer lens, patching maps, layer ablation) from the run holding its result. */
export function renderCausalFigure(run: CausalRun, figure: CausalFigure, format: 'png', opts?: FigureOptions): Buffer;
export function renderCausalFigure(run: CausalRun, figure: CausalFigure, format: 'svg' | 'html' | 'json' | 'csv', opts?: FigureOptions): string;
export function renderCausalFigure(run: CausalRun, figure: CausalFigure, format: FigureFormat, opts?: FigureOptions): string | Buffer;
export function renderCausalFigure(run: CausalRun, figure: CausalFigure, format: FigureFormat, opts: FigureOptions = {}): string | Buffer {
  checkFormat(format);
  const part = run?.[figure];
  if (!part || typeof part !== 'object' || !part.model) throw new ChronosLensError('BAD_INPUT', `The run has no ${CAUSAL_FIGURE_LABEL[figure]?.toLowerCase() ?? JSON.stringify(figure)} result to draw.`);
  const theme = themeOf(opts);
  switch (format) {
    case 'csv':
    case 'json':
      // the browser-side module (loaded lazily) holds the Plotly and CSV builders beside the SVG
      return svgRenderers().causalExportText(run, figure, format, { theme });
    case 'svg':
    case 'png': {
      const svg = svgRenderers().causalExportText(run, figure, 'svg', { document: newDocument(), theme, width: opts.width });
      return format === 'svg' ? svg : rasterize(svg, opts.scale ?? 2);
    }
    case 'html':
      return figurePage({ view: 'causal', message: { type: 'showCausal', run, figure } }, `${CAUSAL_FIGURE_LABEL[figure]} · ${part.model.name}`, opts);
  }
}

/**
 * Writes a result to FILE by its extension, atomically: .json the result itself, .plotly.json a Plotly
 * figure, .svg / .png / .html / .csv the figure.
 */
export async function writeResultOut<R>(file: string, result: R, render: (result: R, format: FigureFormat) => string | Buffer): Promise<void> {
  const kind = outKind(file);
  if (kind === 'plotly') return writeFileAtomic(file, render(result, 'json'));
  if (kind === 'result') return writeFileAtomic(file, JSON.stringify(result, null, 2) + '\n');
  await writeFileAtomic(file, render(result, kind));
}

/** What `--out FILE` writes, by its extension; an unknown extension is refused before any work is done. */
export function outKind(file: string): 'plotly' | 'result' | FigureFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.plotly.json')) return 'plotly';
  if (lower.endsWith('.json')) return 'result';
  const format = figureFormatOf(file);
  if (!format) throw new ChronosLensError('BAD_INPUT', `--out ${file}: unknown extension (expected .json, .svg, .png, .html, .csv or .plotly.json)`);
  return format;
}

/** The figure format a file name asks for (by extension), or undefined. */
export function figureFormatOf(file: string): FigureFormat | undefined {
  const ext = path.extname(file).slice(1).toLowerCase();
  return (FIGURE_FORMATS as readonly string[]).includes(ext) ? (ext as FigureFormat) : undefined;
}
