/**
 * The residual-stream panel (<cl-causal-view>) in real headless Chromium, and its marks' render
 * functions under jsdom: every mark at its value on the renderer's own scale, the attribution's
 * parts summing to its total bar, the keyboard and hover readouts, exports, no clipping at 320 px.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { validateWebviewMessage } from '../../protocol';
import { attributionLayout, renderAttributionBars } from '../../webview/render/attribution-bars';
import { causalFigures, patchMaps, renderCausalChart } from '../../webview/render/causal-figure';
import { causalCsv, causalPlotlyFigure } from '../../webview/render/causal-figure-data';
import { causalExportText } from '../../webview/render/exports';
import { fanBands, layerFansLayout, renderLayerFans } from '../../webview/render/layer-fans';
import { layerSweepLayout, renderLayerSweep } from '../../webview/render/layer-sweep';
import { patchHeatmapLayout, renderPatchHeatmap } from '../../webview/render/patch-heatmap';
import { LIGHT } from '../../webview/render/theme';
import { causalRunFixture } from './fixtures';
import { WebviewHarness, type ViewPage } from './harness';
import { layoutProblems } from './layout-check';

const run = causalRunFixture();
const doc = new JSDOM('<!doctype html><html><body></body></html>').window.document;

describe('residual-stream marks (jsdom)', () => {
  test('attribution bars: one bar per part at its value, the total bar at the sum of the parts', () => {
    const a = run.attribution!;
    const svg = renderAttributionBars(a, { document: doc, theme: LIGHT, width: 600 });
    const L = attributionLayout(a, { width: 600, theme: LIGHT });
    const bars = [...svg.querySelectorAll('.bar')];
    assert.equal(bars.length, a.components.length + 1);
    a.components.forEach((c, i) => {
      assert.equal(Number(bars[i].getAttribute('data-value')), c.value);
      assert.ok(Math.abs(Number(bars[i].getAttribute('data-x')) - L.x(c.value)) < 0.01);
      const rect = bars[i].querySelector('.bar-fill')!;
      // the bar spans zero to its value (at least 1 px wide, so a tiny part stays visible)
      const x = Number(rect.getAttribute('x'));
      const w = Number(rect.getAttribute('width'));
      assert.ok(Math.abs((c.value >= 0 ? x : x + w) - L.x(0)) < 0.02 || w <= 1, c.component);
      if (w > 1) assert.ok(Math.abs((c.value >= 0 ? x + w : x) - L.x(c.value)) < 0.02, c.component);
    });
    const total = svg.querySelector('.bar.total')!;
    const sum = a.components.reduce((s, c) => s + c.value, 0);
    assert.ok(Math.abs(sum - a.total) < 1e-4, `parts ${sum} vs total ${a.total}`);
    assert.equal(Number(total.getAttribute('data-value')), a.total);
    assert.match(total.getAttribute('data-readout') ?? '', /^total \(logit\): \+?14\.14/);
    assert.equal(svg.querySelectorAll('.bar[data-kind="cross_head"]').length, a.components.filter((c) => c.kind === 'cross_head').length);
  });

  test('layer fans: one fan per decoder layer, bands from symmetric levels, a readout per step; wraps into columns by width', () => {
    const l = run.layerLens!;
    const svg = renderLayerFans(l, { document: doc, theme: LIGHT, width: 760 });
    assert.equal(svg.querySelectorAll('.fan').length, l.layers.length);
    const { bands, median } = fanBands(l.quantileLevels);
    assert.equal(bands.length, 4);
    assert.equal(l.quantileLevels[median], 0.5);
    assert.equal(svg.querySelectorAll('.fan[data-layer="0"] .band').length, 4);
    assert.equal(svg.querySelectorAll('.fan[data-layer="0"] .step').length, l.steps);
    assert.equal(svg.querySelectorAll('.final-path').length, l.layers.length - 1, 'every layer but the last shows the final path');
    const readout = svg.querySelector('.fan[data-layer="1"] .step[data-step="3"]')?.getAttribute('data-readout') ?? '';
    assert.ok(readout.startsWith('L1 · step 3: median '), readout);
    assert.ok(readout.includes(String(Number(l.layers[1].quantiles[median][3].toPrecision(4)))), readout);
    assert.equal(layerFansLayout(l, { width: 320 }).columns, 1);
    assert.equal(layerFansLayout(l, { width: 760 }).columns, 2);
    // the shared value axis holds every quantile
    const y = layerFansLayout(l, { width: 760 }).y;
    for (const v of l.layers.flatMap((x) => x.quantiles.flat())) assert.ok(v >= y.domain()[0] && v <= y.domain()[1]);
  });

  test('patching maps: a cell per layer × head and per layer × position, colour domain spans 0..1, marked head outlined', () => {
    const p = run.patching!;
    const maps = patchMaps(p, run.marked);
    assert.deepEqual(
      maps.map((m) => m.title),
      ['Encoder heads, every position', 'Decoder heads, every position', 'Cross heads, every position', 'Encoder residual stream, entering each layer', 'Decoder residual stream, entering each layer'],
    );
    const cross = maps[2];
    const svg = renderPatchHeatmap(cross, { document: doc, theme: LIGHT, width: 500 });
    assert.equal(svg.querySelectorAll('.cell').length, p.restored.heads!.cross!.flat().length);
    const L = patchHeatmapLayout(cross, { width: 500, theme: LIGHT });
    assert.ok(L.color.domain[0] <= 0 && L.color.domain[1] >= 1);
    // layer 0 at the bottom
    const y = (r: number) => Number(svg.querySelector(`.cell[data-row="${r}"][data-column="0"]`)?.getAttribute('y'));
    assert.ok(y(0) > y(1));
    assert.equal(svg.querySelectorAll('.marked[data-row="1"][data-column="2"]').length, 1);
    assert.equal(svg.querySelector('.cell[data-row="1"][data-column="2"]')?.getAttribute('data-readout'), `cross L1.H2: restored ${Number(p.restored.heads!.cross![1][2].toPrecision(4))}`);
    const resid = renderPatchHeatmap(maps[3], { document: doc, theme: LIGHT, width: 500 });
    assert.equal(resid.querySelectorAll('.cell').length, p.restored.resid!.encoder!.flat().length);
    const all = renderCausalChart(run, 'patching', { document: doc, theme: LIGHT, width: 500 });
    assert.equal(all.querySelectorAll('svg.cl-patch-heatmap').length, 5);
  });

  test('layer sweep: a bar per layer set for every metric, unablated rule at its value', () => {
    const a = run.layerAblation!;
    const svg = renderLayerSweep(a, { document: doc, theme: LIGHT, width: 600 });
    const L = layerSweepLayout(a, { width: 600, theme: LIGHT });
    assert.equal(svg.querySelectorAll('.metric').length, Object.keys(a.unablated).length);
    for (const b of L.blocks) {
      const g = svg.querySelector(`.metric[data-metric="${b.metric}"]`)!;
      assert.equal(g.querySelectorAll('.bar').length, a.variants.length);
      assert.ok(Math.abs(Number(g.querySelector('.mark-unablated')?.getAttribute('data-x')) - b.x(a.unablated[b.metric])) < 0.01);
      a.variants.forEach((v) => assert.ok(Math.abs(Number(g.querySelector(`.bar[data-variant="${v.label}"]`)?.getAttribute('data-x')) - b.x(v.values[b.metric])) < 0.01));
    }
  });

  test('exports: CSV rows and Plotly traces per figure; SVG has concrete colours and a heading', () => {
    assert.deepEqual(causalFigures(run), ['attribution', 'layerLens', 'patching', 'layerAblation']);
    const a = run.attribution!;
    const csv = causalCsv(run, 'attribution').trimEnd().split('\n');
    assert.equal(csv.length, 1 + a.components.length + 1);
    assert.equal(csv[0], 'component,kind,layer,head,value,target,step,token');
    const lens = causalCsv(run, 'layerLens').trimEnd().split('\n');
    assert.equal(lens.length, 1 + run.layerLens!.layers.length * run.layerLens!.steps);
    assert.equal(causalPlotlyFigure(run, 'patching').data.length, 5);
    assert.equal(causalPlotlyFigure(run, 'attribution').data[0].type, 'bar');
    const svg = causalExportText(run, 'layerAblation', 'svg', { document: doc, theme: LIGHT });
    assert.ok(svg.includes('Layer ablation · chronos-t5-nano'));
    assert.ok(!svg.includes('var(--'));
    assert.throws(() => causalCsv({ label: 'x' }, 'patching'), /no activation patching figure/);
  });
});

let h: WebviewHarness;
before(async () => {
  h = await WebviewHarness.launch();
});
after(async () => {
  await h?.close();
});

async function open(opts: { width?: number; figure?: 'attribution' | 'layerLens' | 'patching' | 'layerAblation'; theme?: 'light' | 'dark' | 'high-contrast' } = {}): Promise<ViewPage> {
  const v = await h.open({ entry: 'causal', theme: opts.theme ?? 'light', viewport: { width: opts.width ?? 1100, height: 900 }, initialState: { type: 'showCausal', run, ...(opts.figure ? { figure: opts.figure } : {}) } });
  await v.page.locator('cl-causal-view cl-chart svg').first().waitFor();
  return v;
}

async function assertClean(v: ViewPage): Promise<void> {
  for (const m of await v.posted()) {
    const r = validateWebviewMessage('causal', m);
    assert.ok(r.ok, r.ok ? '' : r.error);
  }
  assert.deepEqual(await v.violations(), []);
  assert.deepEqual(v.errors, []);
}

describe('cl-causal-view in Chromium', { timeout: 120_000 }, () => {
  test('tabs per figure; the keyboard steps through the marks with a live readout; hover shows the card', async () => {
    const v = await open();
    try {
      await v.waitForMessage('ready');
      assert.equal(await v.page.locator('cl-causal-view cl-tabs [role="tab"]').count(), 4);
      assert.equal(await v.page.locator('cl-causal-view svg.cl-attribution-bars .bar').count(), run.attribution!.components.length + 1);
      const plot = v.page.locator('cl-causal-view .plot');
      await plot.focus();
      await v.page.keyboard.press('Home');
      const readout = v.page.locator('cl-causal-view .readout');
      assert.equal(await readout.textContent(), `embedding: +${Number(run.attribution!.components[0].value.toPrecision(4))}`);
      await v.page.keyboard.press('End');
      assert.match((await readout.textContent()) ?? '', /^total \(logit\)/);
      assert.ok(await v.page.locator('cl-causal-view cl-tooltip[open]').count());
      await v.page.keyboard.press('Escape');
      assert.equal(await readout.textContent(), '');
      // hover a cross-head bar: its readout
      await v.page.locator('cl-causal-view cl-tabs [role="tab"][data-id="patching"]').click();
      const cell = v.page.locator('cl-causal-view svg.cl-patch-heatmap .cell[data-row="1"][data-column="2"]').nth(2);
      await cell.hover();
      assert.equal(await readout.textContent(), await cell.getAttribute('data-readout'));
      assert.match((await readout.textContent()) ?? '', /^cross L1\.H2: restored /);
      await v.screenshot('causal-patching-light');
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  test('exports post valid requests for the figure shown; host messages replace the run', async () => {
    const v = await open({ theme: 'dark', figure: 'layerLens' });
    try {
      assert.equal(await v.page.locator('cl-causal-view svg.cl-layer-fans .fan').count(), run.layerLens!.layers.length);
      await v.page.locator('cl-causal-view cl-export-bar button[data-format="svg"]').click();
      const svg = (await v.waitForMessage('export', (m) => m.format === 'svg')) as { requestId: string; suggestedName: string; content: { data: string } };
      assert.equal(svg.suggestedName, 'layer-lens-chronos-t5-nano.svg');
      assert.ok(svg.content.data.includes('Per-layer forecast · chronos-t5-nano'));
      assert.ok(!svg.content.data.includes('var(--'));
      await v.send({ type: 'response', requestId: svg.requestId, ok: true, result: { saved: false } });
      await v.page.locator('cl-causal-view cl-export-bar button[data-format="png"]:not([disabled])').click();
      const png = (await v.waitForMessage('export', (m) => m.format === 'png')) as { requestId: string; content: { encoding: string; data: string } };
      assert.equal(png.content.encoding, 'base64');
      await v.send({ type: 'response', requestId: png.requestId, ok: true, result: { saved: true, path: '/tmp/x.png' } });
      await v.send({ type: 'showCausal', run: { label: 'layer sweep', layerAblation: run.layerAblation } });
      await v.waitForCount('cl-causal-view svg.cl-layer-sweep .metric', Object.keys(run.layerAblation!.unablated).length);
      assert.equal(await v.page.locator('cl-causal-view cl-tabs').count(), 0, 'one figure: no tabs');
      await v.send({ type: 'requestExport', format: 'csv' });
      const csv = (await v.waitForMessage('export', (m) => m.format === 'csv')) as { content: { data: string } };
      assert.ok(csv.content.data.startsWith('layers,induction_loss'));
      await assertClean(v);
    } finally {
      await v.close();
    }
  });

  for (const width of [320, 600, 1600]) {
    test(`every figure lays out at ${width} px without clipping or overlap`, async () => {
      for (const figure of ['attribution', 'layerLens', 'patching', 'layerAblation'] as const) {
        const v = await open({ width, figure });
        try {
          const problems = await layoutProblems(v.page);
          if (problems.length) await v.screenshot(`layout-causal-${figure}-${width}`);
          assert.deepEqual(problems.map((p) => `${p.kind}: ${p.what}`), [], `${figure} at ${width} px`);
          await assertClean(v);
        } finally {
          await v.close();
        }
      }
    });
  }
});
