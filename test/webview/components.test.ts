/**
 * Generic pieces the views share (and the series view reuses), in Chromium: cl-head-grid selection
 * by click and keyboard, cl-chart re-rendering on resize, HostConnection requests (response, error,
 * cancel).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lensFixture } from './fixtures';
import { WebviewHarness } from './harness';

let h: WebviewHarness;
before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

describe('shared components in Chromium', { timeout: 120_000 }, () => {
  test('cl-head-grid: a sparkline per layer × head; click and keyboard select a head', async () => {
    const v = await h.openComponents();
    try {
      const lens = lensFixture(60);
      await v.page.evaluate((rows) => {
        const g = document.createElement('cl-head-grid') as HTMLElement & { rows: number[][][]; selected: unknown; marker: number };
        g.rows = rows;
        g.selected = { layer: 0, head: 0 };
        g.marker = 60;
        (window as unknown as { __selected: unknown[] }).__selected = [];
        g.addEventListener('cl-head-select', (e) => (window as unknown as { __selected: unknown[] }).__selected.push((e as CustomEvent).detail));
        document.body.append(g);
      }, lens.rows);
      const sparks = v.page.locator('cl-head-grid .spark');
      await sparks.first().waitFor();
      assert.equal(await sparks.count(), 4 * 8);
      await v.page.locator('cl-head-grid .spark[data-layer="2"][data-head="5"]').click();
      await v.page.locator('cl-head-grid .spark[tabindex="0"]').focus();
      await v.page.keyboard.press('ArrowDown');
      await v.page.keyboard.press('ArrowRight');
      await v.page.keyboard.press('Enter');
      const selected = await v.page.evaluate(() => (window as unknown as { __selected: unknown[] }).__selected);
      assert.deepEqual(selected, [
        { layer: 2, head: 5 },
        { layer: 1, head: 1 },
      ]);
      assert.deepEqual(await v.violations(), []);
      assert.deepEqual(v.errors, []);
    } finally {
      await v.close();
    }
  });

  test('cl-chart re-renders its renderer at the new width when resized', async () => {
    const v = await h.openComponents();
    try {
      await v.page.evaluate(() => {
        const c = document.createElement('cl-chart') as HTMLElement & { renderer: (ctx: { document: Document; width: number }) => Element };
        c.style.width = '600px';
        c.renderer = ({ document: d, width }) => {
          const s = d.createElementNS('http://www.w3.org/2000/svg', 'svg');
          s.setAttribute('width', String(width));
          s.setAttribute('height', '10');
          return s;
        };
        document.body.append(c);
      });
      const svg = v.page.locator('cl-chart svg');
      await v.page.waitForFunction(() => document.querySelector('cl-chart')?.shadowRoot?.querySelector('svg')?.getAttribute('width') === '600');
      await v.page.evaluate(() => ((document.querySelector('cl-chart') as HTMLElement).style.width = '808px'));
      await v.page.waitForFunction(() => document.querySelector('cl-chart')?.shadowRoot?.querySelector('svg')?.getAttribute('width') === '808');
      assert.equal(await svg.count(), 1);
    } finally {
      await v.close();
    }
  });

  test('HostConnection: requests resolve with their response, reject on error responses, post cancel when aborted', async () => {
    const v = await h.openComponents();
    try {
      const out = await v.page.evaluate(async () => {
        type Conn = {
          request(body: unknown, opts?: { signal?: AbortSignal }): Promise<unknown>;
          post(m: unknown): void;
          pendingCount: number;
        };
        const posted: { type: string; requestId?: string }[] = [];
        const { HostConnection } = (window as unknown as { __components: { HostConnection: new (view: string, api: unknown) => Conn } }).__components;
        const conn = new HostConnection('series', { postMessage: (m: { type: string }) => posted.push(m) });
        const lens = conn.request({ type: 'requestLens', kind: 'encoder', position: 3 });
        const failing = conn.request({ type: 'requestLens', kind: 'encoder', position: 4 });
        const ac = new AbortController();
        const cancelled = conn.request({ type: 'requestLens', kind: 'encoder', position: 5 }, { signal: ac.signal });
        const [a, b, c] = posted.map((m) => m.requestId as string);
        window.postMessage({ type: 'response', requestId: a, ok: true, result: { position: 3 } }, '*');
        window.postMessage({ type: 'response', requestId: b, ok: false, error: { code: 'failed', message: 'model error' } }, '*');
        ac.abort();
        const results = await Promise.allSettled([lens, failing, cancelled]);
        window.postMessage({ type: 'response', requestId: c, ok: true, result: {} }, '*'); // late answer: ignored
        await new Promise((r) => setTimeout(r, 20));
        return {
          ids: [a, b, c].every((x) => typeof x === 'string') && new Set([a, b, c]).size === 3,
          results: results.map((r) => (r.status === 'fulfilled' ? r.value : { name: (r.reason as Error).name, code: (r.reason as { code: string }).code, message: (r.reason as Error).message })),
          lastPosted: posted[posted.length - 1],
          cancelId: c,
          pending: conn.pendingCount,
        };
      });
      assert.ok(out.ids, 'unique request ids');
      assert.deepEqual(out.results, [
        { position: 3 },
        { name: 'HostRequestError', code: 'failed', message: 'model error' },
        { name: 'HostRequestError', code: 'cancelled', message: 'Cancelled.' },
      ]);
      assert.deepEqual(out.lastPosted, { type: 'cancel', requestId: out.cancelId });
      assert.equal(out.pending, 0);
    } finally {
      await v.close();
    }
  });
});
