/**
 * <cl-atlas-view> in real headless Chromium: the model-size axis (one point per model at its
 * parameters and induction heads), the counts table, the mosaics side by side at one colour scale,
 * ablations per dataset with their controls; every number a link that posts `openManifest` for its
 * task (click, Enter on a table link, Enter or Space on a chart point); no clipping at 320 px; no CSP
 * violations; an accessibility audit (axe-core) without violations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Atlas } from '../../analysis/sweep/merge';
import { renderAtlasPage, type AtlasRenderers } from '../../cli/atlas-page';
import { validateWebviewMessage } from '../../protocol';
import { JSDOM } from 'jsdom';
import { atlasTable } from '../../webview/render/atlas/common';
import * as sectionsModule from '../../webview/render/atlas/sections';
import { heatScale, normalizeColor } from '../../webview/render/colors';
import { atlasFixture } from './fixtures';
import { ROOT, WebviewHarness, type ViewPage } from './harness';

// Compile-time check: the atlas renderers satisfy the DOM-free interface cli/atlas-page.ts loads them through.
const _renderers: AtlasRenderers<Document> = sectionsModule;
void _renderers;

const { atlas, mosaics } = atlasFixture();
const taskIds = new Set(atlas.tasks.map((t) => t.id));
let h: WebviewHarness;

before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

async function openAtlas(opts: { theme?: 'light' | 'dark' | 'high-contrast'; width?: number } = {}): Promise<ViewPage> {
  const v = await h.open({
    entry: 'atlas',
    theme: opts.theme ?? 'light',
    viewport: { width: opts.width ?? 1100, height: 900 },
    initialState: { type: 'showAtlas', atlas, mosaics, source: 'sizes-sweep' },
  });
  await v.page.locator('cl-atlas-view svg.cl-atlas-size circle.point').first().waitFor();
  await v.page.locator('cl-atlas-view figure.cl-atlas-mosaic').first().waitFor();
  return v;
}

async function assertClean(v: ViewPage): Promise<void> {
  for (const m of await v.posted()) {
    const r = validateWebviewMessage('atlas', m, { taskIds });
    assert.ok(r.ok, r.ok ? '' : r.error);
  }
  assert.deepEqual(await v.violations(), []);
  assert.deepEqual(v.errors, []);
}

test('a table written as HTML text (the CLI page) is the table the panel builds as elements', () => {
  const doc = new JSDOM('<!doctype html><html><body></body></html>').window.document;
  const sections = sectionsModule.atlasSections(atlas, mosaics);
  const tables = sections.filter((s) => s.table);
  assert.deepEqual(tables.map((s) => s.id), ['counts', 'ablations', 'forecasts', 'attributions', 'unfinished']);
  for (const s of tables) {
    const spec = s.table!();
    const div = doc.createElement('div');
    div.innerHTML = sectionsModule.atlasTableHtml(spec);
    assert.equal(div.innerHTML, atlasTable(doc, spec).outerHTML, s.id);
    assert.ok(spec.rows.length > 0, s.id);
  }
});

describe('cl-atlas-view in Chromium', { timeout: 180_000 }, () => {
  test('model-size axis, counts, mosaics at one scale, ablations per dataset; numbers are what the atlas says', async () => {
    const v = await openAtlas();
    try {
      await v.waitForMessage('ready');
      // The size axis: one cross point per model, left to right by parameters, at its total.
      const pts = await v.page.locator('cl-atlas-view svg.cl-atlas-size g.series-cross circle.point').evaluateAll((els) =>
        els.map((e) => ({ model: Number(e.getAttribute('data-model')), heads: Number(e.getAttribute('data-heads')), cx: Number(e.getAttribute('cx')), cy: Number(e.getAttribute('cy')) })),
      );
      assert.equal(pts.length, 3);
      const bySize = [...pts].sort((a, b) => atlas.models[a.model].parameters! - atlas.models[b.model].parameters!);
      for (let i = 1; i < bySize.length; i++) assert.ok(bySize[i].cx > bySize[i - 1].cx, 'bigger models further right');
      for (const p of pts) {
        const row = atlas.induction.find((r) => r.model === p.model)!;
        assert.equal(p.heads, row.counts.cross!.total);
      }
      // more heads higher up
      const hi = pts.reduce((a, b) => (b.heads > a.heads ? b : a));
      const lo = pts.reduce((a, b) => (b.heads < a.heads ? b : a));
      if (hi.heads > lo.heads) assert.ok(hi.cy < lo.cy);

      // The counts table: one row per model, smallest first, each count a link to its task.
      const rows = v.page.locator('cl-atlas-view table.cl-atlas-counts tbody tr');
      assert.equal(await rows.count(), 3);
      assert.deepEqual(await rows.locator('th').allInnerTexts(), ['chronos-t5-mini', 'chronos-t5-small', 'chronos-t5-base']);
      const mini = atlas.induction.find((r) => atlas.models[r.model].label === 'chronos-t5-mini')!;
      const links = rows.first().locator('a.cl-task-link');
      assert.equal(await links.count(), 6);
      const texts = await links.allInnerTexts();
      assert.equal(texts[0], String(mini.counts.cross!.center));
      assert.equal(texts[1], String(mini.counts.cross!.right));
      assert.ok(texts[2].startsWith(`${mini.counts.cross!.total} / ${mini.counts.cross!.heads}`), texts[2]);
      assert.deepEqual(new Set(await links.evaluateAll((els) => els.map((e) => e.getAttribute('data-task')))), new Set([mini.task]));

      // Mosaics: one per model, smallest first; every cell coloured on the same 0–1 scale.
      const figs = v.page.locator('cl-atlas-view figure.cl-atlas-mosaic');
      assert.equal(await figs.count(), 3);
      const order = await figs.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-model'))));
      assert.deepEqual(order.map((m) => atlas.models[m].label), ['chronos-t5-mini', 'chronos-t5-small', 'chronos-t5-base']);
      const cells = await figs.locator('g.cell[data-value]').evaluateAll((els) =>
        els.map((e) => ({ value: Number(e.getAttribute('data-value')), fill: getComputedStyle(e.querySelector('.cell-fill')!).fill })),
      );
      assert.ok(cells.length >= 2 * (4 * 8 + 6 * 8 + 12 * 12));
      const scale = heatScale([0, 1]);
      for (const c of cells) assert.equal(normalizeColor(c.fill), normalizeColor(scale(c.value)), `value ${c.value}`);

      // Ablations per dataset: both datasets, every model, with the controls' spread.
      const abl = v.page.locator('cl-atlas-view table.cl-atlas-ablations tbody tr');
      assert.equal(await abl.count(), 2 * 3 * 2);
      const first = await abl.first().locator('td,th').allInnerTexts();
      assert.equal(first[0], 'AirPassengers.csv');
      assert.equal(first[1], 'chronos-t5-mini');
      assert.match(first[8], /^1\.05 ± 0\.04 \(20\)$/);
      // Forecasts and the failed task are listed.
      assert.equal(await v.page.locator('cl-atlas-view table.cl-atlas-forecasts tbody tr').count(), 3);
      assert.match(await v.page.locator('cl-atlas-view table.cl-atlas-unfinished').innerText(), /10 numeric values; 24 are held out/);
      await v.screenshot('atlas-light');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('every number opens its manifest: click, Enter on a table link, Enter and Space on a chart point', async () => {
    const v = await openAtlas({ theme: 'dark' });
    try {
      const link = v.page.locator('cl-atlas-view table.cl-atlas-ablations a.cl-task-link').nth(3);
      const task = await link.getAttribute('data-task');
      assert.ok(task && taskIds.has(task));
      await link.click();
      assert.deepEqual(await v.waitForMessage('openManifest', (m) => m.task === task), { type: 'openManifest', task });
      // The click did not navigate the page away (the href is for the static atlas.html).
      assert.equal(await v.page.locator('cl-atlas-view').count(), 1);

      await v.clearPosted();
      const cell = v.page.locator('cl-atlas-view table.cl-atlas-forecasts a.cl-task-link').first();
      const ftask = await cell.getAttribute('data-task');
      await cell.focus();
      await v.page.keyboard.press('Enter');
      await v.waitForMessage('openManifest', (m) => m.task === ftask);
      assert.equal((await v.posted()).filter((m) => m.type === 'openManifest').length, 1, 'Enter opens it once');

      await v.clearPosted();
      const point = v.page.locator('cl-atlas-view svg.cl-atlas-size a.cl-task-link').first();
      const ptask = await point.getAttribute('data-task');
      await point.focus();
      const focused = await v.page.evaluate(() => {
        let el: Element | null = document.activeElement;
        while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
        return el?.getAttribute('data-task');
      });
      assert.equal(focused, ptask, 'chart points take focus');
      await v.page.keyboard.press('Enter');
      await v.waitForMessage('openManifest', (m) => m.task === ptask);
      await v.clearPosted();
      await v.page.keyboard.press(' ');
      await v.waitForMessage('openManifest', (m) => m.task === ptask);

      // Export of the size chart: concrete colours, no CSS variables.
      await v.page.locator('cl-atlas-view cl-export-bar button[data-format="svg"]').click();
      const svg = (await v.waitForMessage('export', (m) => m.format === 'svg')) as { suggestedName: string; content: { data: string } };
      assert.equal(svg.suggestedName, 'atlas-sizes-size.svg');
      assert.ok(svg.content.data.includes('cl-atlas-size'));
      assert.ok(!svg.content.data.includes('var(--'));
      await v.screenshot('atlas-dark');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('320 px wide: nothing is clipped (wide tables scroll in focusable regions); axe finds no violations', async () => {
    const v = await openAtlas({ width: 320, theme: 'high-contrast' });
    try {
      // Let <cl-chart> measure its width and redraw.
      await v.page.waitForFunction(() => {
        const chart = document.querySelector('cl-atlas-view')!.shadowRoot!.querySelector('cl-chart');
        const svg = chart?.shadowRoot?.querySelector('svg');
        return !!svg && Number(svg.getAttribute('width')) <= 320;
      });
      assert.ok((await v.page.evaluate(() => document.documentElement.scrollWidth)) <= 320, 'no horizontal page scroll');
      const outside = await v.page.evaluate(() => {
        const root = document.querySelector('cl-atlas-view')!.shadowRoot!;
        const bad: string[] = [];
        const check = (el: Element, what: string) => {
          const r = el.getBoundingClientRect();
          if (r.width > 0 && (r.left < -0.5 || r.right > 320.5)) bad.push(`${what}: ${r.left.toFixed(1)}..${r.right.toFixed(1)}`);
        };
        for (const el of root.querySelectorAll('h1, h2, p, section, figure, figure svg, .scroll, cl-export-bar')) check(el, el.tagName.toLowerCase() + (el.className ? `.${String(el.className)}` : ''));
        const chart = root.querySelector('cl-chart')?.shadowRoot?.querySelector('svg');
        if (chart) check(chart, 'size chart');
        return bad;
      });
      assert.deepEqual(outside, []);
      // The wide tables scroll inside their region, which the keyboard can reach.
      const region = v.page.locator('cl-atlas-view .scroll[role="region"]').first();
      assert.equal(await region.getAttribute('tabindex'), '0');
      assert.ok(await region.evaluate((e) => e.scrollWidth > e.clientWidth), 'the counts table is wider than 320 px and scrolls');

      await v.page.evaluate(readFileSync(`${ROOT}/node_modules/axe-core/axe.min.js`, 'utf8'));
      const violations = await v.page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }> } }).axe;
        // The page's title and landmarks are the host's (VS Code's webview frame), not the view's.
        const r = await axe.run(document, { resultTypes: ['violations'], rules: { 'document-title': { enabled: false }, 'landmark-one-main': { enabled: false } } });
        return r.violations.map((x) => `${x.id}: ${x.nodes.length} (${JSON.stringify(x.nodes[0]?.target)})`);
      });
      assert.deepEqual(violations, []);
      await v.screenshot('atlas-320');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('host messages: a new atlas redraws; an error shows a banner; an empty atlas says what is missing', async () => {
    const v = await openAtlas();
    try {
      const one = { ...atlas, models: atlas.models.slice(0, 1), induction: atlas.induction.filter((r) => r.model === 0), ablations: [], forecasts: [], attributions: [], tasks: atlas.tasks.filter((t) => t.model === 0) };
      await v.send({ type: 'showAtlas', atlas: one, mosaics: mosaics.slice(0, 1), source: 'one' });
      await v.waitForCount('cl-atlas-view figure.cl-atlas-mosaic', 1);
      assert.match(await v.page.locator('cl-atlas-view section[data-section="ablations"]').innerText(), /No ablation has finished yet/);
      await v.send({ type: 'error', message: 'The manifest of task x could not be opened.' });
      await v.page.locator('cl-atlas-view cl-banner[kind="error"] .banner').waitFor();
      const saved = (await v.savedState()) as { show?: { source?: string } };
      assert.equal(saved.show?.source, 'one');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('the CLI\'s atlas.html lays out the same sections and marks, static, under its own CSP, unclipped at 320 px', async () => {
    const full: Atlas = {
      ...atlas,
      analyses: atlas.analyses as Atlas['analyses'],
      results: Object.fromEntries(mosaics.map((m) => [m.task, { type: 'mosaic' as const, result: m.result }])),
    };
    const html = renderAtlasPage(full);
    assert.doesNotMatch(html, /<script/);
    const { context, page, errors } = await h.standalonePage({ width: 320, height: 900 });
    try {
      await page.goto(h.serve(html));
      assert.deepEqual(await page.locator('section h2').allInnerTexts(), [
        'Induction heads against model size',
        'Induction heads per model',
        'Mosaics',
        'Ablation effects per dataset',
        'Forecast metrics',
        'Direct attribution of a forecast step',
        'Unfinished tasks (2)',
      ]);
      assert.equal(await page.locator('svg.cl-atlas-size g.series-cross circle.point').count(), 3);
      assert.equal(await page.locator('figure.cl-atlas-mosaic').count(), 3);
      assert.equal(await page.locator('table.cl-atlas-ablations tbody tr').count(), 12);
      // Links are the manifests' paths, relative to the atlas file.
      const hrefs = await page.locator('a.cl-task-link').evaluateAll((els) => els.map((e) => [e.getAttribute('href'), e.getAttribute('data-task')]));
      assert.ok(hrefs.length > 40);
      for (const [href, task] of hrefs) assert.equal(href, `tasks/${task}/task.json`);
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 320, 'no horizontal page scroll at 320 px');
      assert.deepEqual(errors, []);
      if (process.env.CL_SCREENSHOTS) await page.screenshot({ path: `${process.env.CL_SCREENSHOTS}/cli-atlas-320.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
});
