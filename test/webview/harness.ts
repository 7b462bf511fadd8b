/**
 * Test harness for webviews in real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core). It stands in for the extension host's side only:
 *  - builds the webview bundles (webview/entries/*.ts, plus any extra test entries) with esbuild
 *    into a temporary folder, like scripts/build.mjs does for dist/webview;
 *  - serves pages from a local http server on 127.0.0.1 that look like a VS Code webview page: a
 *    strict CSP with a nonce, VS Code's theme variables on <html> and the theme class on <body>
 *    (light / dark / high contrast), the initial-state element, and a fake `acquireVsCodeApi` that
 *    records every posted message (and get/setState);
 *  - lets a test post host messages into the page, wait for the page's messages, switch the theme,
 *    and collect CSP violations and page errors.
 *
 * Reused by the series view's tests: open({ entry: 'series', initialState }) etc.
 */
import * as esbuild from 'esbuild';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { INITIAL_STATE_ID, initialStateJson } from '../../webview/initial-state';

export const ROOT = path.resolve(__dirname, '../..');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

// ---------------------------------------------------------------------------------------------
// bundles

const builds = new Map<string, Promise<string>>();

/**
 * Builds every webview/entries/*.ts (and `extra` entries: name → file relative to the repository)
 * into a fresh temporary folder (iife, like scripts/build.mjs) and returns the folder. Memoised per
 * set of extra entries within a test process.
 */
export function buildWebviewBundles(extra: Record<string, string> = {}, root = ROOT): Promise<string> {
  const key = JSON.stringify([root, ...Object.entries(extra).sort()]);
  let p = builds.get(key);
  if (!p) {
    p = (async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'cl-webview-'));
      const entriesDir = path.join(root, 'webview/entries');
      const entryPoints: Record<string, string> = {};
      for (const f of readdirSync(entriesDir)) if (f.endsWith('.ts')) entryPoints[f.replace(/\.ts$/, '')] = path.join(entriesDir, f);
      for (const [name, file] of Object.entries(extra)) entryPoints[name] = path.resolve(root, file);
      await esbuild.build({
        entryPoints,
        outdir: dir,
        bundle: true,
        platform: 'browser',
        target: 'chrome120',
        format: 'iife',
        sourcemap: 'inline',
        logLevel: 'warning',
        absWorkingDir: root,
      });
      return dir;
    })();
    builds.set(key, p);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// VS Code look-alike themes (a subset of the variables VS Code sets on a webview's <html>)

export type ThemeKind = 'light' | 'dark' | 'high-contrast';

const COMMON_VARS = {
  '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", "Liberation Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': '"Droid Sans Mono", "Liberation Mono", monospace',
};

export const VSCODE_THEME_VARS: Record<ThemeKind, Record<string, string>> = {
  light: {
    ...COMMON_VARS,
    '--vscode-editor-foreground': '#3b3b3b',
    '--vscode-editor-background': '#ffffff',
    '--vscode-descriptionForeground': '#616161',
    '--vscode-editorWidget-border': '#c8c8c8',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-editorError-foreground': '#e51400',
    '--vscode-disabledForeground': '#8a8a8a',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#652d90',
    '--vscode-button-background': '#005fb8',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-hoverBackground': '#0258a8',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-button-secondaryHoverBackground': '#cccccc',
    '--vscode-menu-background': '#ffffff',
    '--vscode-menu-foreground': '#3b3b3b',
    '--vscode-menu-selectionBackground': '#005fb8',
    '--vscode-menu-selectionForeground': '#ffffff',
    '--vscode-menu-border': '#cecece',
    '--vscode-editorHoverWidget-background': '#f8f8f8',
    '--vscode-editorHoverWidget-border': '#c8c8c8',
    '--vscode-editorHoverWidget-foreground': '#3b3b3b',
    '--vscode-panelTitle-activeBorder': '#005fb8',
    '--vscode-panelTitle-activeForeground': '#3b3b3b',
    '--vscode-panelTitle-inactiveForeground': '#616161',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-badge-background': '#cccccc',
    '--vscode-badge-foreground': '#3b3b3b',
    '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)',
    '--vscode-dropdown-background': '#ffffff',
    '--vscode-dropdown-border': '#cecece',
    '--vscode-dropdown-foreground': '#3b3b3b',
  },
  dark: {
    ...COMMON_VARS,
    '--vscode-editor-foreground': '#cccccc',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-editorWidget-border': '#454545',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-editorError-foreground': '#f85149',
    '--vscode-disabledForeground': '#8b8b8b',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-button-background': '#0078d4',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-hoverBackground': '#026ec1',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-button-secondaryHoverBackground': '#3c3c3c',
    '--vscode-menu-background': '#1f1f1f',
    '--vscode-menu-foreground': '#cccccc',
    '--vscode-menu-selectionBackground': '#0078d4',
    '--vscode-menu-selectionForeground': '#ffffff',
    '--vscode-menu-border': '#454545',
    '--vscode-editorHoverWidget-background': '#202020',
    '--vscode-editorHoverWidget-border': '#454545',
    '--vscode-editorHoverWidget-foreground': '#cccccc',
    '--vscode-panelTitle-activeBorder': '#0078d4',
    '--vscode-panelTitle-activeForeground': '#cccccc',
    '--vscode-panelTitle-inactiveForeground': '#9d9d9d',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-badge-background': '#616161',
    '--vscode-badge-foreground': '#f8f8f8',
    '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)',
    '--vscode-dropdown-background': '#313131',
    '--vscode-dropdown-border': '#3c3c3c',
    '--vscode-dropdown-foreground': '#cccccc',
  },
  'high-contrast': {
    ...COMMON_VARS,
    '--vscode-editor-foreground': '#ffffff',
    '--vscode-editor-background': '#000000',
    '--vscode-descriptionForeground': '#ffffff',
    '--vscode-contrastBorder': '#6fc3df',
    '--vscode-contrastActiveBorder': '#f38518',
    '--vscode-editorWidget-border': '#6fc3df',
    '--vscode-focusBorder': '#f38518',
    '--vscode-editorError-foreground': '#f48771',
    '--vscode-disabledForeground': '#a5a5a5',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-button-background': '#000000',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-border': '#6fc3df',
    '--vscode-button-secondaryBackground': '#000000',
    '--vscode-button-secondaryForeground': '#ffffff',
    '--vscode-menu-background': '#000000',
    '--vscode-menu-foreground': '#ffffff',
    '--vscode-menu-selectionBackground': '#000000',
    '--vscode-menu-selectionForeground': '#ffffff',
    '--vscode-menu-selectionBorder': '#f38518',
    '--vscode-menu-border': '#6fc3df',
    '--vscode-editorHoverWidget-background': '#0c141f',
    '--vscode-editorHoverWidget-border': '#6fc3df',
    '--vscode-editorHoverWidget-foreground': '#ffffff',
    '--vscode-panelTitle-activeBorder': '#6fc3df',
    '--vscode-panelTitle-activeForeground': '#ffffff',
    '--vscode-panelTitle-inactiveForeground': '#ffffff',
    '--vscode-panel-border': '#6fc3df',
    '--vscode-badge-background': '#000000',
    '--vscode-badge-foreground': '#ffffff',
    '--vscode-dropdown-background': '#000000',
    '--vscode-dropdown-border': '#6fc3df',
    '--vscode-dropdown-foreground': '#ffffff',
  },
};

const BODY_CLASS: Record<ThemeKind, string> = { light: 'vscode-light', dark: 'vscode-dark', 'high-contrast': 'vscode-high-contrast' };

/** Page-side script: the fake VS Code API and the theme switcher (runs before the bundle). */
function fakeVsCodeScript(theme: ThemeKind, savedState: unknown): string {
  // tsx compiles the tests with esbuild's keepNames, so functions passed to page.evaluate may call
  // esbuild's __name helper: provide a no-op one in the page.
  return `(() => {
  window.__name = window.__name || ((f) => f);
  const cl = { posted: [], violations: [], state: ${JSON.stringify(savedState ?? null)} ?? undefined, acquired: 0 };
  window.__cl = cl;
  document.addEventListener('securitypolicyviolation', (e) => cl.violations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
  window.acquireVsCodeApi = () => {
    if (cl.acquired++) throw new Error('acquireVsCodeApi may only be called once');
    return Object.freeze({
      postMessage: (m) => { cl.posted.push(JSON.parse(JSON.stringify(m))); },
      getState: () => cl.state,
      setState: (s) => { cl.state = JSON.parse(JSON.stringify(s)); return s; },
    });
  };
  const THEMES = ${JSON.stringify(VSCODE_THEME_VARS)};
  const CLASSES = ${JSON.stringify(BODY_CLASS)};
  cl.setTheme = (kind) => {
    const style = document.documentElement.style;
    for (const name of Array.from(style)) if (name.startsWith('--vscode-')) style.removeProperty(name);
    for (const [k, v] of Object.entries(THEMES[kind])) style.setProperty(k, v);
    if (document.body) {
      document.body.classList.remove(...Object.values(CLASSES));
      document.body.classList.add(CLASSES[kind]);
      document.body.dataset.vscodeThemeKind = CLASSES[kind];
    }
  };
  cl.setTheme(${JSON.stringify(theme)});
})();`;
}

// ---------------------------------------------------------------------------------------------

export interface OpenOptions {
  /** Bundle name: a webview/entries file name ('mosaic', 'ablation', …) or an extra entry's name. */
  entry: string;
  /** Content of the initial-state element (omitted when undefined). */
  initialState?: unknown;
  /** What the fake getState() returns at start (a restored webview). */
  savedState?: unknown;
  theme?: ThemeKind;
  viewport?: { width: number; height: number };
  /** Extra entries to build (name → file relative to the repository root). */
  extraEntries?: Record<string, string>;
  /**
   * Another source tree to bundle the webview from (default: this checkout). The benchmark points it
   * at an exported earlier commit to time both versions in one run.
   */
  sourceRoot?: string;
}

/** One open webview page. */
export class ViewPage {
  readonly errors: string[] = [];
  constructor(
    readonly page: Page,
    private readonly context: BrowserContext,
  ) {
    page.on('pageerror', (e) => this.errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') this.errors.push(`console: ${m.text()}`);
    });
  }

  /** Every message the page posted to the "host", in order. */
  posted(): Promise<Record<string, unknown>[]> {
    return this.page.evaluate(() => (window as unknown as { __cl: { posted: Record<string, unknown>[] } }).__cl.posted);
  }

  /** Waits until `selector` (Playwright CSS: pierces shadow roots) matches `n` elements. */
  async waitForCount(selector: string, n: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.page.locator(selector).count();
      if (c === n) return;
      if (Date.now() > deadline) throw new Error(`"${selector}" matched ${c} elements, not ${n}, within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Forgets the messages posted so far. */
  async clearPosted(): Promise<void> {
    await this.page.evaluate(() => {
      (window as unknown as { __cl: { posted: unknown[] } }).__cl.posted.length = 0;
    });
  }

  /** Waits for a posted message matching `type` (and `pred`), returns it. */
  async waitForMessage(type: string, pred: (m: Record<string, unknown>) => boolean = () => true, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = (await this.posted()).find((x) => x.type === type && pred(x));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no "${type}" message within ${timeoutMs} ms; posted: ${JSON.stringify((await this.posted()).map((x) => x.type))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Posts a message into the page as the extension host would. */
  async send(message: unknown): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), message);
  }

  /** Switches the VS Code theme (variables on <html>, class on <body>), as VS Code does. */
  async setTheme(kind: ThemeKind): Promise<void> {
    await this.page.evaluate((k) => (window as unknown as { __cl: { setTheme(k: string): void } }).__cl.setTheme(k), kind);
  }

  /** What the page saved with setState. */
  savedState(): Promise<unknown> {
    return this.page.evaluate(() => (window as unknown as { __cl: { state: unknown } }).__cl.state);
  }

  /** CSP violations reported in the page. */
  violations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __cl: { violations: string[] } }).__cl.violations);
  }

  /** Saves a screenshot when CL_SCREENSHOTS names a folder (for looking at the views). */
  async screenshot(name: string): Promise<string | undefined> {
    const dir = process.env.CL_SCREENSHOTS;
    if (!dir) return undefined;
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

export class WebviewHarness {
  #seq = 0;

  private constructor(
    readonly browser: Browser,
    private readonly server: http.Server,
    readonly origin: string,
    private readonly pages: Map<string, string>,
  ) {}

  /** Starts Chromium and the local page server. Fails with a clear message if Chromium is missing. */
  static async launch(): Promise<WebviewHarness> {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium fonts-liberation) or set CHROMIUM_PATH.`);
    }
    const pages = new Map<string, string>();
    const server = http.createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const html = pages.get(url.pathname);
        if (html !== undefined) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          res.end(html);
          return;
        }
        const m = /^\/bundles\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+\.js)$/.exec(url.pathname);
        const dir = m ? bundleDirs.get(m[1]) : undefined;
        if (m && dir && existsSync(path.join(dir, m[2]))) {
          res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
          res.end(readFileSync(path.join(dir, m[2])));
          return;
        }
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    return new WebviewHarness(browser, server, `http://127.0.0.1:${port}`, pages);
  }

  /** Serves an HTML document at a fresh URL (e.g. a CLI-written standalone figure) and returns the URL. */
  serve(html: string): string {
    const p = `/page/${++this.#seq}.html`;
    this.pages.set(p, html);
    return `${this.origin}${p}`;
  }

  /**
   * A page of its own for a standalone document (a CLI-written figure), with every page error and console error
   * collected in `errors`; close `context` when done.
   */
  async standalonePage(viewport = { width: 1100, height: 900 }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await this.browser.newContext({ viewport });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    return { context, page, errors };
  }

  /** The test page of the shared components (test/webview/pages/components-page.ts), once its elements are defined. */
  async openComponents(): Promise<ViewPage> {
    const v = await this.open({ entry: 'components', extraEntries: { components: 'test/webview/pages/components-page.ts' } });
    await v.page.waitForFunction(() => 'customElements' in window && !!customElements.get('cl-head-grid') && '__components' in window);
    return v;
  }

  /** Opens a webview page for a bundle, the way VS Code would host it. */
  async open(opts: OpenOptions): Promise<ViewPage> {
    const dir = await buildWebviewBundles(opts.extraEntries, opts.sourceRoot);
    const dirId = registerBundleDir(dir);
    if (!existsSync(path.join(dir, `${opts.entry}.js`))) throw new Error(`no webview bundle "${opts.entry}" (built: ${readdirSync(dir).join(', ')})`);
    const nonce = randomBytes(16).toString('base64');
    const theme = opts.theme ?? 'light';
    const csp = [`default-src 'none'`, `img-src data:`, `style-src 'nonce-${nonce}'`, `font-src 'none'`, `script-src 'nonce-${nonce}'`].join('; ');
    const html = [
      '<!DOCTYPE html>',
      '<html lang="en">',
      '<head>',
      '<meta charset="UTF-8">',
      `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
      // VS Code's webview documents have a title (the panel's: extension/lib/html.ts)
      '<title>Chronos Lens</title>',
      '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
      `<script nonce="${nonce}">${fakeVsCodeScript(theme, opts.savedState)}</script>`,
      opts.initialState === undefined ? '' : `<script type="application/json" id="${INITIAL_STATE_ID}">${initialStateJson(opts.initialState)}</script>`,
      '</head>',
      `<body class="${BODY_CLASS[theme]}" data-vscode-theme-kind="${BODY_CLASS[theme]}">`,
      `<script nonce="${nonce}" src="/bundles/${dirId}/${opts.entry}.js"></script>`,
      '</body>',
      '</html>',
    ].join('\n');
    const url = this.serve(html);
    const context = await this.browser.newContext({ viewport: opts.viewport ?? { width: 1100, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const view = new ViewPage(page, context);
    await page.goto(url);
    return view;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const bundleDirs = new Map<string, string>();
function registerBundleDir(dir: string): string {
  for (const [id, d] of bundleDirs) if (d === dir) return id;
  const id = `b${bundleDirs.size + 1}`;
  bundleDirs.set(id, dir);
  return id;
}

/** Writes `content` to a file under the OS temp folder (for debugging failed tests). */
export function dumpTemp(name: string, content: string | Buffer): string {
  const f = path.join(os.tmpdir(), name);
  writeFileSync(f, content);
  return f;
}
