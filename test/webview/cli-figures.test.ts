/**
 * cli/figures.ts: the CLI's standalone figures. SVG/PNG/JSON/CSV checked in Node; the HTML page
 * opened in real Chromium (it must render with its own strict CSP, no network, no errors).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { ChronosLensError } from '../../core/errors';
import { figureFormatOf, renderAblationFigure, renderCausalFigure, renderMosaicFigure, type SvgRenderers } from '../../cli/figures';
import * as exportsModule from '../../webview/render/exports';
import { ablationFixture, causalRunFixture, mosaicFixture, publishedMosaic } from './fixtures';
import { buildWebviewBundles, WebviewHarness } from './harness';

// Compile-time check: the SVG renderers satisfy the DOM-free interface cli/figures.ts loads them through.
const _renderers: SvgRenderers<Document> = exportsModule;
void _renderers;

const mosaic = mosaicFixture('chronos-t5-mini');
const ablation = ablationFixture();
const causal = causalRunFixture();

function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function parseSvg(svg: string): Document {
  const doc = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
  assert.equal(doc.getElementsByTagName('parsererror').length, 0, 'well-formed XML');
  return doc;
}

describe('cli/figures: mosaic', () => {
  test('svg: every kind, well-formed, concrete colours of the chosen theme', () => {
    const svg = renderMosaicFigure(mosaic, 'svg');
    const doc = parseSvg(svg);
    assert.equal(doc.documentElement.getAttribute('xmlns'), 'http://www.w3.org/2000/svg');
    assert.equal(doc.querySelectorAll('.section').length, 3);
    assert.equal(doc.querySelectorAll('.cell').length, 3 * 2 * 32);
    assert.ok(!svg.includes('var(--'), 'no CSS variables in a standalone file');
    assert.equal((doc.querySelector('.background') as SVGElement).getAttribute('style'), 'fill: rgb(255, 255, 255);');
    const dark = parseSvg(renderMosaicFigure(mosaic, 'svg', { theme: 'dark', kinds: ['encoder'] }));
    assert.equal(dark.querySelectorAll('.section').length, 1);
    assert.equal((dark.querySelector('.background') as SVGElement).getAttribute('style'), 'fill: rgb(31, 31, 31);');
    const marked = parseSvg(renderMosaicFigure(mosaic, 'svg', { kinds: ['cross'], marked: [{ kind: 'cross', layer: 1, head: 2 }] }));
    assert.equal(marked.querySelectorAll('.cell.marked').length, 2);
  });

  test('png: rasterised at 2× the SVG size by default', () => {
    const svg = parseSvg(renderMosaicFigure(mosaic, 'svg', { kinds: ['cross'] }));
    const w = Number(svg.documentElement.getAttribute('width'));
    const hgt = Number(svg.documentElement.getAttribute('height'));
    const png = renderMosaicFigure(mosaic, 'png', { kinds: ['cross'] });
    assert.ok(Buffer.isBuffer(png));
    assert.deepEqual(pngSize(png), { width: Math.round(w * 2), height: Math.round(hgt * 2) });
    assert.equal(pngSize(renderMosaicFigure(mosaic, 'png', { kinds: ['cross'], scale: 1 })).width, Math.round(w));
  });

  test('json: a Plotly figure shaped like the article\'s published mosaics', () => {
    const fig = JSON.parse(renderMosaicFigure(mosaic, 'json')) as {
      data: { type: string; coloraxis: string; z: number[][]; xaxis: string; yaxis: string; text: string[][] }[];
      layout: Record<string, { title?: { text: string }; text?: string }[] & Record<string, unknown>>;
    };
    assert.equal(fig.data.length, 2);
    assert.deepEqual(
      fig.data.map((t) => [t.type, t.coloraxis, t.xaxis, t.yaxis]),
      [
        ['heatmap', 'coloraxis', 'x', 'y'],
        ['heatmap', 'coloraxis', 'x2', 'y2'],
      ],
    );
    const [center, right] = publishedMosaic('chronos-t5-mini');
    assert.deepEqual(fig.data[0].z, center);
    assert.deepEqual(fig.data[1].z, right);
    assert.equal(fig.data[0].text[1][2], '(l=1, h=2)');
    const layout = fig.layout as unknown as {
      xaxis: { title: { text: string } };
      yaxis: { title: { text: string } };
      annotations: { text: string }[];
      coloraxis: { cmin: number; cmax: number; colorbar: { title: { text: string } } };
      updatemenus: { buttons: { label: string }[] }[];
      shapes: unknown[];
    };
    assert.equal(layout.xaxis.title.text, 'Head');
    assert.equal(layout.yaxis.title.text, 'Layer');
    assert.deepEqual(layout.annotations.map((a) => a.text), ['Current token', 'Token to right']);
    assert.deepEqual([layout.coloraxis.cmin, layout.coloraxis.cmax, layout.coloraxis.colorbar.title.text], [0, 1, 'Attention Score']);
    assert.deepEqual(layout.updatemenus[0].buttons.map((b) => b.label), ['Cross-attention', 'Encoder self-attention', 'Decoder self-attention']);
    const counts = mosaic.cross?.counts;
    assert.ok(counts);
    assert.equal(layout.shapes.length, counts.center + counts.right, 'one outline per cell >= threshold');
    const enc = JSON.parse(renderMosaicFigure(mosaic, 'json', { kinds: ['encoder'] })) as { data: { z: number[][] }[] };
    assert.deepEqual(enc.data[0].z, mosaic.encoder?.center);
  });

  test('csv: one row per kind, layer and head', () => {
    const csv = renderMosaicFigure(mosaic, 'csv');
    const lines = csv.trimEnd().split('\n');
    assert.equal(lines[0], 'kind,layer,head,center,center_stderr,right,right_stderr,center_induction,right_induction');
    assert.equal(lines.length, 1 + 3 * 32);
    const m = mosaic.cross;
    assert.ok(m);
    assert.equal(lines[1 + 1 * 8 + 2], `cross,1,2,${m.center[1][2]},${m.stderr.center[1][2]},${m.right[1][2]},${m.stderr.right[1][2]},true,false`);
  });

  test('rejects bad input with a ChronosLensError that says what is wrong', () => {
    const isBad = (re: RegExp) => (e: unknown) => e instanceof ChronosLensError && e.code === 'BAD_INPUT' && re.test(e.message);
    assert.throws(() => renderMosaicFigure(mosaic, 'pdf' as 'svg'), isBad(/Unknown figure format "pdf": expected one of svg, png, html, json, csv/));
    const crossOnly = mosaicFixture('chronos-t5-mini', ['cross']);
    assert.throws(() => renderMosaicFigure(crossOnly, 'svg', { kinds: ['decoder'] }), isBad(/no "decoder" scores \(it has cross\)/));
    assert.throws(() => renderMosaicFigure({ ...crossOnly, cross: undefined }, 'csv'), isBad(/no cross, encoder or decoder scores/));
    const broken = mosaicFixture('chronos-t5-mini', ['cross']);
    broken.cross?.center.pop();
    assert.throws(() => renderMosaicFigure(broken, 'svg'), isBad(/"cross" scores are not 4 layers × 8 heads/));
    assert.throws(() => renderMosaicFigure(mosaic, 'svg', { theme: 'sepia' as 'light' }), isBad(/Unknown figure theme "sepia"/));
    assert.throws(
      () => renderMosaicFigure(mosaic, 'html', { bundlePath: '/nonexistent/figure.js' }),
      (e: unknown) => e instanceof ChronosLensError && e.code === 'NOT_FOUND' && /Run "npm run build" first/.test(e.message),
    );
  });

  test('figureFormatOf maps --out extensions', () => {
    assert.equal(figureFormatOf('out/mosaic.SVG'), 'svg');
    assert.equal(figureFormatOf('a.html'), 'html');
    assert.equal(figureFormatOf('a.txt'), undefined);
  });
});

describe('cli/figures: ablation', () => {
  test('svg, png, json, csv', () => {
    const doc = parseSvg(renderAblationFigure(ablation, 'svg', { theme: 'high-contrast' }));
    assert.equal(doc.querySelectorAll('.metric').length, 4);
    assert.ok(pngSize(renderAblationFigure(ablation, 'png')).width > 1000);
    const fig = JSON.parse(renderAblationFigure(ablation, 'json')) as { data: { type: string; name: string; x: number[] }[]; layout: { grid: { rows: number } } };
    assert.equal(fig.layout.grid.rows, 4);
    const box = fig.data.find((t) => t.type === 'box');
    assert.deepEqual(box?.x, ablation.metrics[0].controls);
    const csv = renderAblationFigure(ablation, 'csv').trimEnd().split('\n');
    assert.equal(csv.length, 5);
    assert.equal(csv[0].split(',').length, 11 + 40);
    assert.ok(csv[1].startsWith('induction_loss,cross:L3.H5 cross:L4.H1,zero,2.1,3.4,'));
    assert.throws(() => renderAblationFigure({ ...ablation, metrics: undefined } as unknown as typeof ablation, 'svg'), /no metrics to draw/);
  });
});

describe('cli/figures: residual-stream figures', () => {
  test('svg: the panel\'s figure of each part, parts of the attribution summing to its total bar', () => {
    const doc = parseSvg(renderCausalFigure(causal, 'attribution', 'svg'));
    const bars = [...doc.querySelectorAll('.bar')].map((b) => ({ total: b.classList.contains('total'), value: Number(b.getAttribute('data-value')) }));
    assert.equal(bars.length, causal.attribution!.components.length + 1);
    const total = bars.find((b) => b.total)!.value;
    assert.ok(Math.abs(total - causal.attribution!.total) < 1e-9);
    assert.ok(Math.abs(bars.filter((b) => !b.total).reduce((s, b) => s + b.value, 0) - total) < 1e-4);
    assert.match(doc.querySelector('.figure-title')!.textContent ?? '', /^Attribution · chronos-t5-nano/);
    assert.equal(parseSvg(renderCausalFigure(causal, 'layerLens', 'svg')).querySelectorAll('.fan').length, causal.layerLens!.layers.length);
    const patching = renderCausalFigure(causal, 'patching', 'svg', { theme: 'dark' });
    assert.ok(!patching.includes('var(--'), 'no CSS variables in a standalone file');
    assert.ok(parseSvg(patching).querySelectorAll('rect.marked').length >= 1, 'the marked head outlined');
    assert.ok(parseSvg(renderCausalFigure(causal, 'layerAblation', 'svg')).querySelectorAll('.bar').length > 0);
  });

  test('png, Plotly json, csv; a run without the part is refused in one line', () => {
    const svg = parseSvg(renderCausalFigure(causal, 'layerLens', 'svg'));
    assert.deepEqual(pngSize(renderCausalFigure(causal, 'layerLens', 'png', { scale: 1 })), { width: Math.round(Number(svg.documentElement.getAttribute('width'))), height: Math.round(Number(svg.documentElement.getAttribute('height'))) });
    const fig = JSON.parse(renderCausalFigure(causal, 'attribution', 'json')) as { data: unknown[]; layout: unknown };
    assert.ok(Array.isArray(fig.data) && fig.data.length > 0 && fig.layout);
    const csv = renderCausalFigure(causal, 'attribution', 'csv').trim().split('\n');
    assert.equal(csv.length, 1 + causal.attribution!.components.length + 1, 'header, one row per part, the total');
    assert.throws(() => renderCausalFigure({ label: 'x', attribution: causal.attribution }, 'patching', 'svg'), /The run has no activation patching result to draw\./);
    assert.throws(() => renderCausalFigure(causal, 'attribution', 'pdf' as 'svg'), /Unknown figure format "pdf"/);
  });
});

describe('cli/figures: self-contained HTML in Chromium', { timeout: 120_000 }, () => {
  let h: WebviewHarness;
  let bundlePath: string;
  before(async () => {
    bundlePath = path.join(await buildWebviewBundles(), 'figure.js');
    h = await WebviewHarness.launch();
  });
  after(async () => {
    await h?.close();
  });

  /** The page at its URL, with the requests it makes (a standalone figure loads nothing but itself). */
  async function openFigurePage(html: string) {
    const { context, page, errors } = await h.standalonePage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const url = h.serve(html);
    await page.goto(url);
    return { context, page, errors, requests, url };
  }

  test('mosaic page: strict CSP (hash-pinned inline script, no remote content), renders the same component', async () => {
    const html = renderMosaicFigure(mosaic, 'html', { bundlePath, kinds: ['encoder'] });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    assert.match(csp, /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+';/);
    assert.ok(!/\b(src|href)="https?:/.test(html), 'no remote content');
    assert.equal((html.match(/<script>/g) ?? []).length, 1, 'one inline script');
    const { context, page, errors, requests, url } = await openFigurePage(html);
    try {
      await page.locator('cl-mosaic-view svg.cl-mosaic[data-kind="encoder"] .cell').first().waitFor();
      assert.equal(await page.locator('cl-mosaic-view .panel-center .cell').count(), 32);
      assert.equal(await page.locator('cl-mosaic-view cl-tabs [role="tab"]').count(), 3);
      await page.locator('cl-mosaic-view .cell[data-side="center"][data-layer="0"][data-head="2"]').hover();
      assert.ok((await page.locator('cl-mosaic-view cl-tooltip [role="tooltip"]').innerText()).includes('Layer 0 · Head 2'));
      // export downloads a file in the browser
      const download = page.waitForEvent('download');
      await page.locator('cl-mosaic-view cl-export-bar button[data-format="csv"]').click();
      assert.equal((await download).suggestedFilename(), 'mosaic-chronos-t5-mini.csv');
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [url], 'the page loads nothing but itself');
      if (process.env.CL_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.CL_SCREENSHOTS, 'cli-mosaic-html.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test('residual-stream page: the causal view with every part\'s tab, the chosen figure first, nothing loaded from outside', async () => {
    const html = renderCausalFigure(causal, 'patching', 'html', { bundlePath });
    const { context, page, errors, requests, url } = await openFigurePage(html);
    try {
      await page.locator('cl-causal-view svg.cl-patch-heatmap').first().waitFor();
      assert.equal(await page.locator('cl-causal-view cl-tabs [role="tab"]').count(), 4);
      assert.equal(await page.locator('cl-causal-view cl-tabs [role="tab"][aria-selected="true"]').getAttribute('data-id'), 'patching');
      const download = page.waitForEvent('download');
      await page.locator('cl-causal-view cl-export-bar button[data-format="csv"]').click();
      assert.equal((await download).suggestedFilename(), 'patching-chronos-t5-nano.csv');
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [url], 'the page loads nothing but itself');
    } finally {
      await context.close();
    }
  });

  test('ablation page renders; a dark theme is applied through the body class', async () => {
    const html = renderAblationFigure(ablation, 'html', { bundlePath, theme: 'dark' });
    assert.ok(html.includes('<body class="vscode-dark">'));
    const { context, page, errors } = await h.standalonePage();
    try {
      await page.goto(h.serve(html));
      await page.locator('cl-ablation-report .metric').first().waitFor();
      assert.equal(await page.locator('cl-ablation-report .metric').count(), 4);
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(31, 31, 31)');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
