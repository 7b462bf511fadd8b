/**
 * The extension's host page (extension/lib/html.ts) with the real view bundles in real Chromium,
 * talking to the real host-side router (extension/lib/router.ts): the page is served exactly as the
 * extension writes it (its CSP, nonce, script URI on VS Code's webview resource origin, initial
 * state), with VS Code's injected `acquireVsCodeApi` played by an init script. Checks: no CSP
 * violation (PNG export included: img-src data:), the view renders from the initial state, `ready` →
 * the host's show message, cell actions arrive validated, exports are written atomically to disk.
 */
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { exportBytes, writeFileAtomic } from '../../extension/lib/files';
import { webviewHtml } from '../../extension/lib/html';
import { PanelRouter, type NotificationOf } from '../../extension/lib/router';
import { mosaicValidationContext, type HostMessageOf, type ShowAblationMessage, type ShowMosaicMessage } from '../../protocol';
import { ablationFixture, mosaicFixture } from './fixtures';
import { buildWebviewBundles, WebviewHarness } from './harness';

// What VS Code gives a webview: cspSource and resource URIs on the vscode-cdn origin.
const CSP_SOURCE = 'https://*.vscode-cdn.net';
const RESOURCE_ORIGIN = 'https://file+.vscode-resource.vscode-cdn.net';

let h: WebviewHarness;
let bundles: string;

before(async () => {
  h = await WebviewHarness.launch();
  bundles = await buildWebviewBundles();
});
after(async () => {
  await h?.close();
});

interface Hosted<V extends 'mosaic' | 'ablation'> {
  page: Page;
  context: BrowserContext;
  router: PanelRouter<V>;
  notified: NotificationOf<V>[];
  logs: string[];
  errors: string[];
  violations(): Promise<string[]>;
  saved: string[];
}

async function host<V extends 'mosaic' | 'ablation'>(view: V, show: HostMessageOf<V>, exportDir: string): Promise<Hosted<V>> {
  const html = webviewHtml({ view, title: `test ${view}`, cspSource: CSP_SOURCE, scriptUri: `${RESOURCE_ORIGIN}/ext/dist/webview/${view}.js`, initialState: show });
  const context = await h.browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.route(`${RESOURCE_ORIGIN}/**`, (route) => {
    const name = path.basename(new URL(route.request().url()).pathname);
    return route.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(path.join(bundles, name)) });
  });
  const page = await context.newPage();
  const notified: NotificationOf<V>[] = [];
  const logs: string[] = [];
  const errors: string[] = [];
  const saved: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const router: PanelRouter<V> = new PanelRouter<V>({
    view,
    post: (m) => page.evaluate((x) => window.postMessage(x, '*'), JSON.parse(JSON.stringify(m))),
    context: () => (view === 'mosaic' ? mosaicValidationContext((show as ShowMosaicMessage).result) : { runIds: (show as ShowAblationMessage).runs?.map((r) => r.id) ?? [] }),
    handlers: {
      notify: (m) => {
        notified.push(m);
        if (m.type === 'ready') router.post(show); // what ViewPanel does on ready
      },
      export: async (m) => {
        const file = path.join(exportDir, m.suggestedName);
        await writeFileAtomic(file, exportBytes(m.content));
        saved.push(file);
        return { saved: true, path: file };
      },
    },
    log: (level, m) => logs.push(`${level}: ${m}`),
  });
  await page.exposeFunction('__toHost', (m: unknown) => router.receive(m));
  // VS Code injects acquireVsCodeApi before the page's scripts run (a string: no transpiler helpers in the page).
  await page.addInitScript({
    content: `(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')));
      let state;
      window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__toHost(JSON.parse(JSON.stringify(m))), getState: () => state, setState: (s) => (state = s) });
    })();`,
  });
  await page.goto(h.serve(html));
  return { page, context, router, notified, logs, errors, saved, violations: () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations) };
}

async function until(f: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the extension host page in Chromium', { timeout: 120_000 }, () => {
  test('mosaic: renders under the CSP, actions reach the host validated, exports land on disk', async () => {
    const result = mosaicFixture('chronos-t5-mini');
    const dir = await fsp.mkdtemp(path.join((await import('node:os')).tmpdir(), 'cl-host-page-'));
    const v = await host('mosaic', { type: 'showMosaic', result, ablationSet: [], title: 'chronos-t5-mini · test' }, dir);
    try {
      await until(() => v.notified.some((m) => m.type === 'ready'), 'ready');
      const cross = result.cross!;
      await v.page.locator('cl-mosaic-view .panel-center .cell').first().waitFor();
      assert.equal(await v.page.locator('cl-mosaic-view .panel-center .cell').count(), cross.layers * cross.heads);
      assert.equal(await v.page.locator('cl-mosaic-view .panel-right .cell').count(), cross.layers * cross.heads);

      await v.page.locator('cl-mosaic-view .cell[data-side="right"][data-layer="2"][data-head="3"]').click();
      await v.page.locator('cl-mosaic-view cl-action-menu[open] [role="menuitem"]', { hasText: 'Add to ablation set' }).click();
      await until(() => v.notified.some((m) => m.type === 'addToAblationSet'), 'addToAblationSet');
      assert.deepEqual(v.notified.find((m) => m.type === 'addToAblationSet'), { type: 'addToAblationSet', head: { kind: 'cross', layer: 2, head: 3 } });
      v.router.post({ type: 'setAblationSet', heads: [{ kind: 'cross', layer: 2, head: 3 }] });

      for (const format of ['svg', 'png', 'json', 'csv'] as const) {
        v.router.post({ type: 'requestExport', format });
        await until(() => v.saved.some((f) => f.endsWith(`.${format}`)), `${format} export`);
      }
      const files = (await fsp.readdir(dir)).sort();
      assert.deepEqual(files, ['mosaic-chronos-t5-mini-cross.json', 'mosaic-chronos-t5-mini-cross.png', 'mosaic-chronos-t5-mini-cross.svg', 'mosaic-chronos-t5-mini.csv']);
      const png = await fsp.readFile(path.join(dir, 'mosaic-chronos-t5-mini-cross.png'));
      assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
      assert.match(await fsp.readFile(path.join(dir, 'mosaic-chronos-t5-mini-cross.svg'), 'utf8'), /<\/svg>\s*$/);
      await until(
        () => v.page.evaluate(() => /^Saved /.test(document.querySelector('cl-mosaic-view')?.shadowRoot?.querySelector('cl-export-bar')?.shadowRoot?.querySelector('.status')?.textContent ?? '')),
        'the page showing the saved path',
      );
      assert.deepEqual(await v.violations(), [], 'CSP violations');
      assert.deepEqual(v.errors, [], 'page errors');
      assert.deepEqual(v.logs, [], 'host log (invalid messages, failures)');
    } finally {
      v.router.dispose();
      await v.context.close();
    }
  });

  test('ablation report: renders, reopening a stored run goes to the host', async () => {
    const result = ablationFixture(20);
    const runs = [
      { id: '20260101T000000000Z-aaaaaa', label: 'zero · cross L1.H2 · 20 controls', createdAt: '2026-01-01T00:00:00.000Z' },
      { id: '20251231T000000000Z-bbbbbb', label: 'mean · cross L0.H1 · 20 controls', createdAt: '2025-12-31T00:00:00.000Z' },
    ];
    const dir = await fsp.mkdtemp(path.join((await import('node:os')).tmpdir(), 'cl-host-page-'));
    const v = await host('ablation', { type: 'showAblation', result, runId: runs[0].id, runs }, dir);
    try {
      await until(() => v.notified.some((m) => m.type === 'ready'), 'ready');
      await v.page.locator('cl-ablation-report svg').first().waitFor();
      await v.page.locator('cl-ablation-report select#run').selectOption(runs[1].id);
      await until(() => v.notified.some((m) => m.type === 'openRun'), 'openRun');
      assert.deepEqual(v.notified.find((m) => m.type === 'openRun'), { type: 'openRun', runId: runs[1].id });
      v.router.post({ type: 'requestExport', format: 'svg' });
      await until(() => v.saved.length === 1, 'svg export');
      assert.deepEqual(await v.violations(), [], 'CSP violations');
      assert.deepEqual(v.errors, [], 'page errors');
      assert.deepEqual(v.logs, []);
    } finally {
      v.router.dispose();
      await v.context.close();
    }
  });
});
