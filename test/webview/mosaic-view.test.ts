/**
 * <cl-mosaic-view> in real headless Chromium, loaded the way VS Code hosts it (strict CSP with a
 * nonce, theme variables, initial-state element, acquireVsCodeApi), on the background article's
 * published chronos-t5-mini cross-attention scores. Every message the page posts must pass the
 * host-side validator; no CSP violation, no page error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AttentionKind, MosaicResult } from '../../analysis/types';
import { mosaicValidationContext, validateWebviewMessage, PROTOCOL_VERSION } from '../../protocol';
import { mosaicFixture } from './fixtures';
import { WebviewHarness, type ViewPage } from './harness';

const result = mosaicFixture('chronos-t5-mini'); // 4 layers × 8 heads; cross, encoder, decoder
const ctx = mosaicValidationContext(result);
let h: WebviewHarness;

before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

async function openMosaic(extra: Partial<{ kind: AttentionKind; theme: 'light' | 'dark' | 'high-contrast'; result: MosaicResult }> = {}): Promise<ViewPage> {
  const v = await h.open({
    entry: 'mosaic',
    theme: extra.theme,
    initialState: { type: 'showMosaic', result: extra.result ?? result, kind: extra.kind, ablationSet: [{ kind: 'cross', layer: 1, head: 2 }] },
  });
  await v.page.locator('cl-mosaic-view .cell').first().waitFor();
  return v;
}

/** What a host would check: every posted message validates; the page broke no CSP rule and threw nothing. */
async function assertClean(v: ViewPage): Promise<void> {
  for (const m of await v.posted()) {
    const r = validateWebviewMessage('mosaic', m, ctx);
    assert.ok(r.ok, `posted message rejected by the host validator: ${r.ok ? '' : r.error}`);
  }
  assert.deepEqual(await v.violations(), [], 'CSP violations');
  assert.deepEqual(v.errors, [], 'page errors');
}

function activeCell(v: ViewPage): Promise<{ side: string; layer: number; head: number } | null> {
  return v.page.evaluate(() => {
    const a = document.querySelector('cl-mosaic-view')?.shadowRoot?.activeElement as SVGGElement | null | undefined;
    if (!a || !a.classList.contains('cell')) return null;
    return { side: a.dataset.side as string, layer: Number(a.dataset.layer), head: Number(a.dataset.head) };
  });
}

function activeMenuItem(v: ViewPage): Promise<string | null> {
  return v.page.evaluate(() => {
    const view = document.querySelector('cl-mosaic-view')?.shadowRoot;
    const menu = view?.activeElement;
    if (!menu || menu.tagName !== 'CL-ACTION-MENU') return null;
    return (menu.shadowRoot?.activeElement as HTMLElement | null)?.dataset.id ?? null;
  });
}

const cell = (side: string, layer: number, head: number) => `cl-mosaic-view .cell[data-side="${side}"][data-layer="${layer}"][data-head="${head}"]`;

describe('cl-mosaic-view in Chromium', { timeout: 120_000 }, () => {
  test('announces itself, then renders layers × heads cells per side for every kind', async () => {
    const v = await openMosaic();
    try {
      const ready = await v.waitForMessage('ready');
      assert.deepEqual(ready, { type: 'ready', view: 'mosaic', protocolVersion: PROTOCOL_VERSION });
      for (const kind of ['cross', 'encoder', 'decoder'] as const) {
        await v.page.locator(`cl-mosaic-view cl-tabs [role="tab"][data-id="${kind}"]`).click();
        await v.page.locator(`cl-mosaic-view svg.cl-mosaic[data-kind="${kind}"]`).waitFor();
        const m = result[kind];
        assert.ok(m);
        for (const side of ['center', 'right'] as const) {
          assert.equal(await v.page.locator(`cl-mosaic-view .panel-${side} .cell`).count(), m.layers * m.heads, `${kind} ${side} cells`);
          const above: number = m[side].flat().filter((x) => x >= result.threshold).length;
          assert.equal(await v.page.locator(`cl-mosaic-view .panel-${side} .cell.above .cell-outline`).count(), above, `${kind} ${side} outlined cells`);
        }
        assert.equal(Number(await v.page.locator(cell('center', 1, 2)).getAttribute('data-value')), m.center[1][2]);
        // the summary table marks the current kind
        assert.equal(await v.page.locator(`cl-mosaic-view .cl-summary tr.current`).getAttribute('data-kind'), kind);
        const row = v.page.locator(`cl-mosaic-view .cl-summary tr[data-kind="${kind}"]`);
        assert.equal(await row.locator('td.center').textContent(), String(m.counts.center));
        assert.equal(await row.locator('td.right').textContent(), String(m.counts.right));
        assert.equal(await row.locator('td.total').textContent(), `${m.counts.total} / ${m.counts.heads}`);
      }
      await v.screenshot('mosaic-decoder-light');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('hovering a cell shows layer, head and score ± standard error', async () => {
    const v = await openMosaic();
    try {
      const m = result.cross;
      assert.ok(m);
      await v.page.locator(cell('center', 1, 2)).hover();
      const tip = v.page.locator('cl-mosaic-view cl-tooltip [role="tooltip"]');
      await tip.waitFor({ state: 'visible' });
      const text = (await tip.innerText()).replace(/\s+/g, ' ');
      assert.ok(text.includes('Layer 1 · Head 2'), text);
      assert.ok(text.includes(`current token: ${m.center[1][2].toFixed(3)} ± ${m.stderr.center[1][2].toFixed(3)}`), text);
      assert.ok(text.includes(`token to right: ${m.right[1][2].toFixed(3)} ± ${m.stderr.right[1][2].toFixed(3)}`), text);
      assert.ok(text.includes('in ablation set'), text);
      // another cell, on the right panel: its own side first
      await v.page.locator(cell('right', 3, 7)).hover();
      await v.page.waitForFunction(() => /Layer 3 · Head 7/.test(document.querySelector('cl-mosaic-view')?.shadowRoot?.querySelector('cl-tooltip')?.shadowRoot?.textContent ?? ''));
      const text2 = (await tip.innerText()).replace(/\s+/g, ' ');
      assert.ok(text2.indexOf('token to right:') < text2.indexOf('current token:'), text2);
      assert.ok(text2.includes(`token to right: ${m.right[3][7].toFixed(3)} ± ${m.stderr.right[3][7].toFixed(3)}`), text2);
      await v.screenshot('mosaic-hover-light');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('keyboard: arrows move focus across cells and panels, Enter opens the menu, Enter on an item posts it', async () => {
    const v = await openMosaic();
    try {
      // The roving tabindex starts at the top-left cell (highest layer, head 0); Tab reaches it from the tabs.
      assert.equal(await v.page.locator('cl-mosaic-view .cell[tabindex="0"]').count(), 1);
      await v.page.locator('cl-mosaic-view .cell[tabindex="0"]').focus();
      assert.deepEqual(await activeCell(v), { side: 'center', layer: 3, head: 0 });
      await v.page.keyboard.press('ArrowRight');
      assert.deepEqual(await activeCell(v), { side: 'center', layer: 3, head: 1 });
      await v.page.keyboard.press('ArrowDown'); // layer 0 is at the bottom
      assert.deepEqual(await activeCell(v), { side: 'center', layer: 2, head: 1 });
      await v.page.keyboard.press('ArrowUp');
      await v.page.keyboard.press('ArrowUp'); // clamps at the top layer
      assert.deepEqual(await activeCell(v), { side: 'center', layer: 3, head: 1 });
      await v.page.keyboard.press('End');
      assert.deepEqual(await activeCell(v), { side: 'center', layer: 3, head: 7 });
      await v.page.keyboard.press('ArrowRight'); // crosses into the right panel
      assert.deepEqual(await activeCell(v), { side: 'right', layer: 3, head: 0 });
      await v.page.keyboard.press('ArrowLeft');
      assert.deepEqual(await activeCell(v), { side: 'center', layer: 3, head: 7 });
      await v.page.keyboard.press('PageDown');
      assert.deepEqual(await activeCell(v), { side: 'center', layer: 0, head: 7 });
      assert.equal(await v.page.locator('cl-mosaic-view .cell[tabindex="0"]').count(), 1, 'one tab stop');
      // the focused cell's values are shown without a mouse
      const tip = v.page.locator('cl-mosaic-view cl-tooltip [role="tooltip"]');
      assert.ok((await tip.innerText()).includes('Layer 0 · Head 7'));

      await v.page.keyboard.press('Enter');
      await v.page.locator('cl-mosaic-view cl-action-menu[open] [role="menu"]').waitFor();
      assert.equal(await activeMenuItem(v), 'showHeadOnSeries');
      await v.screenshot('mosaic-menu-keyboard');
      await v.page.keyboard.press('ArrowDown');
      assert.equal(await activeMenuItem(v), 'ablateHead');
      await v.page.keyboard.press('Enter');
      const msg = await v.waitForMessage('ablateHead');
      assert.deepEqual(msg, { type: 'ablateHead', head: { kind: 'cross', layer: 0, head: 7 } });
      assert.equal(await v.page.locator('cl-mosaic-view cl-action-menu[open]').count(), 0, 'menu closed');
      assert.deepEqual(await activeCell(v), { side: 'center', layer: 0, head: 7 }, 'focus returns to the cell');

      // Escape closes the menu without an action
      await v.page.keyboard.press(' ');
      await v.page.locator('cl-mosaic-view cl-action-menu[open] [role="menu"]').waitFor();
      await v.page.keyboard.press('Escape');
      assert.equal(await v.page.locator('cl-mosaic-view cl-action-menu[open]').count(), 0);
      assert.deepEqual(await activeCell(v), { side: 'center', layer: 0, head: 7 });
      assert.equal((await v.posted()).filter((m) => m.type === 'ablateHead').length, 1);

      // the last item, Patch this head, by keyboard alone
      await v.page.keyboard.press('Enter');
      await v.page.locator('cl-mosaic-view cl-action-menu[open] [role="menu"]').waitFor();
      await v.page.keyboard.press('End');
      assert.equal(await activeMenuItem(v), 'patchHead');
      await v.page.keyboard.press('Enter');
      assert.deepEqual(await v.waitForMessage('patchHead'), { type: 'patchHead', head: { kind: 'cross', layer: 0, head: 7 } });
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('clicking a cell opens the action menu; each action posts its message with the head', async () => {
    const v = await openMosaic();
    try {
      const cases = [
        { at: cell('right', 2, 3), item: 'Add to ablation set', type: 'addToAblationSet', head: { kind: 'cross', layer: 2, head: 3 } },
        { at: cell('center', 0, 6), item: 'Show this head on the series', type: 'showHeadOnSeries', head: { kind: 'cross', layer: 0, head: 6 } },
        { at: cell('center', 1, 2), item: 'Ablate this head', type: 'ablateHead', head: { kind: 'cross', layer: 1, head: 2 } },
        { at: cell('right', 3, 5), item: 'Patch this head', type: 'patchHead', head: { kind: 'cross', layer: 3, head: 5 } },
      ];
      for (const c of cases) {
        await v.page.locator(c.at).click();
        const menu = v.page.locator('cl-mosaic-view cl-action-menu[open] [role="menu"]');
        await menu.waitFor();
        assert.ok((await menu.getAttribute('aria-label'))?.startsWith(`L${c.head.layer}.H${c.head.head}`));
        if (c.type === 'addToAblationSet') await v.screenshot('mosaic-menu-click');
        await menu.locator('[role="menuitem"]', { hasText: c.item }).click();
        const m = await v.waitForMessage(c.type);
        assert.deepEqual(m, { type: c.type, head: c.head });
      }
      // a press outside closes an open menu without posting
      await v.page.locator(cell('center', 3, 3)).click();
      await v.page.locator('cl-mosaic-view cl-action-menu[open] [role="menu"]').waitFor();
      const before = (await v.posted()).length;
      await v.page.mouse.click(5, 880);
      assert.equal(await v.page.locator('cl-mosaic-view cl-action-menu[open]').count(), 0);
      assert.equal((await v.posted()).length, before);
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('switching tabs (click and keyboard) re-renders the kind, posts kindChanged and saves the state', async () => {
    const v = await openMosaic();
    try {
      await v.page.locator('cl-mosaic-view cl-tabs [role="tab"]', { hasText: 'Encoder self-attention' }).click();
      await v.page.locator('cl-mosaic-view svg.cl-mosaic[data-kind="encoder"]').waitFor();
      assert.deepEqual(await v.waitForMessage('kindChanged'), { type: 'kindChanged', kind: 'encoder' });
      assert.equal((await v.savedState()) && ((await v.savedState()) as { kind: string }).kind, 'encoder');
      assert.equal(await v.page.locator('cl-mosaic-view cl-tabs [role="tab"][aria-selected="true"]').getAttribute('data-id'), 'encoder');
      await v.page.keyboard.press('ArrowRight');
      await v.page.locator('cl-mosaic-view svg.cl-mosaic[data-kind="decoder"]').waitFor();
      await v.waitForMessage('kindChanged', (m) => m.kind === 'decoder');
      await v.page.keyboard.press('Home');
      await v.page.locator('cl-mosaic-view svg.cl-mosaic[data-kind="cross"]').waitFor();
      // cell actions follow the kind shown
      await v.page.locator('cl-mosaic-view cl-tabs [role="tab"][data-id="decoder"]').click();
      await v.page.locator(cell('right', 2, 7)).click();
      await v.page.locator('cl-mosaic-view cl-action-menu [role="menuitem"]', { hasText: 'Ablate this head' }).click();
      assert.deepEqual(await v.waitForMessage('ablateHead'), { type: 'ablateHead', head: { kind: 'decoder', layer: 2, head: 7 } });
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('theme classes change the colours (light, dark, high contrast); the heat scale stays the same', async () => {
    const v = await openMosaic();
    try {
      const colours = async () => {
        const [tick, outline, halo, cellFill, text, bg] = await v.page.evaluate((probes) => {
          const root = document.querySelector('cl-mosaic-view')?.shadowRoot;
          return probes.map(([sel, prop]) => {
            const el = sel === 'body' ? document.body : root?.querySelector(sel);
            return el ? getComputedStyle(el).getPropertyValue(prop) : '';
          });
        }, [
          ['.tick-layer', 'fill'],
          ['.cell.above .cell-outline', 'stroke'],
          ['.cell.above .cell-outline-halo', 'stroke'],
          ['.cell[data-side="center"][data-layer="1"][data-head="2"] .cell-fill', 'fill'],
          ['h1', 'color'],
          ['body', 'background-color'],
        ]);
        return { tick, outline, halo, cell: cellFill, text, bg };
      };
      const light = await colours();
      await v.setTheme('dark');
      const dark = await colours();
      await v.screenshot('mosaic-dark');
      await v.setTheme('high-contrast');
      const hc = await colours();
      await v.screenshot('mosaic-high-contrast');
      assert.equal(light.bg, 'rgb(255, 255, 255)');
      assert.equal(dark.bg, 'rgb(31, 31, 31)');
      assert.equal(hc.bg, 'rgb(0, 0, 0)');
      assert.equal(light.outline, 'rgb(59, 59, 59)', 'outline follows --vscode-editor-foreground');
      assert.equal(dark.outline, 'rgb(204, 204, 204)');
      assert.equal(hc.outline, 'rgb(255, 255, 255)');
      assert.equal(hc.halo, 'rgb(0, 0, 0)', 'halo follows the background');
      assert.notEqual(light.tick, dark.tick);
      assert.notEqual(light.text, dark.text);
      assert.equal(light.cell, dark.cell, 'cell colours do not depend on the theme');
      assert.equal(light.cell, hc.cell);
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('export buttons post export requests (svg, png, json, csv) in the current theme; the response shows in the bar', async () => {
    const v = await openMosaic({ theme: 'dark' });
    try {
      for (const format of ['svg', 'png', 'json', 'csv'] as const) {
        await v.page.locator(`cl-mosaic-view cl-export-bar button[data-format="${format}"]`).click();
        const m = (await v.waitForMessage('export', (x) => x.format === format)) as { requestId: string; suggestedName: string; content: { encoding: string; data: string } };
        assert.equal(m.suggestedName, format === 'csv' ? 'mosaic-chronos-t5-mini.csv' : `mosaic-chronos-t5-mini-cross.${format}`);
        const data = m.content.data;
        if (format === 'svg') {
          assert.ok(data.startsWith('<?xml'));
          assert.ok(data.includes('Current token') && data.includes('Token to right'));
          assert.ok(!data.includes('var(--'), 'exported SVG has concrete colours');
          assert.ok(data.includes('fill: rgb(31, 31, 31)') || data.includes('fill: #1f1f1f'), 'exported in the dark theme');
        } else if (format === 'png') {
          const png = Buffer.from(data, 'base64');
          assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
          assert.ok(png.readUInt32BE(16) > 1000, 'rendered at 2×');
        } else if (format === 'json') {
          const fig = JSON.parse(data) as { data: { type: string; z: number[][] }[]; layout: { updatemenus: unknown[] } };
          assert.equal(fig.data.length, 2);
          assert.equal(fig.data[0].type, 'heatmap');
          assert.deepEqual(fig.data[0].z, result.cross?.center);
        } else {
          assert.equal(data.trimEnd().split('\n').length, 1 + 3 * 32);
        }
        // the host answers
        await v.send({ type: 'response', requestId: m.requestId, ok: true, result: { saved: true, path: `/tmp/${m.suggestedName}` } });
        await v.page.waitForFunction(
          (name) => document.querySelector('cl-mosaic-view')?.shadowRoot?.querySelector('cl-export-bar')?.shadowRoot?.querySelector('.status')?.textContent === `Saved /tmp/${name}`,
          m.suggestedName,
        );
      }
      // a failed save shows an error banner
      await v.page.locator('cl-mosaic-view cl-export-bar button[data-format="csv"]').click();
      const posted = await v.posted();
      const last = posted.filter((x) => x.type === 'export').pop() as { requestId: string };
      await v.send({ type: 'response', requestId: last.requestId, ok: false, error: { code: 'failed', message: 'EACCES: permission denied' } });
      const banner = v.page.locator('cl-mosaic-view cl-banner[kind="error"] [role="alert"]');
      await banner.waitFor();
      assert.ok((await banner.innerText()).includes('Export failed: EACCES: permission denied'));
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('host messages: setAblationSet marks cells, busy and error banners, requestExport, showMosaic replaces the result', async () => {
    const v = await h.open({ entry: 'mosaic' });
    try {
      const ready = await v.waitForMessage('ready');
      assert.equal(ready.view, 'mosaic');
      assert.ok((await v.page.locator('cl-mosaic-view .empty').innerText()).includes('No mosaic yet'));
      await v.send({ type: 'busy', busy: true, message: 'Computing induction mosaic… 40%' });
      const busy = v.page.locator('cl-mosaic-view cl-banner[kind="busy"] .banner');
      await busy.waitFor();
      assert.ok((await busy.innerText()).includes('Computing induction mosaic… 40%'));

      const large = mosaicFixture('chronos-t5-large', ['cross']);
      await v.send({ type: 'showMosaic', result: large, ablationSet: [] });
      await v.page.locator('cl-mosaic-view .cell').first().waitFor();
      assert.equal(await v.page.locator('cl-mosaic-view .panel-center .cell').count(), 24 * 16);
      assert.equal(await v.page.locator('cl-mosaic-view cl-banner').count(), 0, 'the result clears the busy banner');
      assert.equal(await v.page.locator('cl-mosaic-view cl-tabs [role="tab"]').count(), 1);
      await v.screenshot('mosaic-large');

      await v.send({ type: 'setAblationSet', heads: [{ kind: 'cross', layer: 7, head: 1 }, { kind: 'cross', layer: 15, head: 13 }, { kind: 'encoder', layer: 0, head: 0 }] });
      await v.page.waitForFunction(() => document.querySelector('cl-mosaic-view')?.shadowRoot?.querySelectorAll('.cell.marked').length === 4);
      assert.equal(await v.page.locator(`${cell('center', 7, 1)}.marked .cell-mark`).count(), 1);

      await v.send({ type: 'error', message: 'The model failed to run.', detail: 'ORT error: invalid input shape [1, 513]' });
      const err = v.page.locator('cl-mosaic-view cl-banner[kind="error"] .banner');
      await err.waitFor();
      assert.ok((await err.innerText()).includes('ORT error: invalid input shape'));
      await err.locator('button.close').click();
      assert.equal(await v.page.locator('cl-mosaic-view cl-banner').count(), 0);

      await v.send({ type: 'requestExport', format: 'csv' });
      const m = (await v.waitForMessage('export')) as { content: { data: string } };
      assert.equal(m.content.data.trimEnd().split('\n').length, 1 + 24 * 16);
      for (const msg of await v.posted()) assert.ok(validateWebviewMessage('mosaic', msg, mosaicValidationContext(large)).ok, JSON.stringify(msg).slice(0, 200));
      assert.deepEqual(await v.violations(), []);
      assert.deepEqual(v.errors, []);
    } finally {
      await v.close();
    }
  });

  test('restores the saved state (result and tab) when VS Code re-shows the webview', async () => {
    const v = await h.open({ entry: 'mosaic', savedState: { show: { type: 'showMosaic', result }, kind: 'decoder' } });
    try {
      await v.page.locator('cl-mosaic-view svg.cl-mosaic[data-kind="decoder"]').waitFor();
      await v.waitForMessage('ready');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });
});
