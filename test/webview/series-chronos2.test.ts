/**
 * <cl-series-view> for a Chronos-2 model in real headless Chromium, fed by the real host code on a real
 * model: samples/building.csv with the task "load and occupancy jointly, temperature as covariate" run
 * through the series view's analyses (extension/lib/series-analysis.ts) on the committed random-weight
 * Chronos-2 at the published structure (chronos2-reduced-random: context 96 = 6 patches of 16, two
 * output patches; the shared dummy's group attention is uniform, which would test little), and
 * every hover answered by the host's own lensResponse. Hovering a row draws its patch's time attention
 * as bands, the group-attention matrices of every head of the selected layer and a lane per series with
 * its share on the other series; hovering a forecast step draws its output token's. Values drawn equal
 * the lens' to 1e-5; the view lays out at 320 / 600 / 1600 px; axe finds no serious violation; every
 * posted message passes the host's validator.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Chronos2Lens } from '../../analysis/lens';
import { Chronos2Model } from '../../models/chronos2/model';
import { SeriesDocuments, type ColumnAnalysis } from '../../extension/lib/series-analysis';
import { seriesPayload } from '../../extension/lib/series-data';
import { lensResponse } from '../../extension/lib/series-lens';
import { seriesValidationContext, validateWebviewMessage, type InitSeriesMessage } from '../../protocol';
import { axeViolations } from './axe';
import { ROOT, WebviewHarness, type ViewPage } from './harness';
import { layoutProblems } from './layout-check';
import { FakeSeriesHost } from './series-host';

const TOL = 1e-5;
let h: WebviewHarness;
let model: Chronos2Model;
let docs: SeriesDocuments;
let a: ColumnAnalysis;
let c2: Chronos2Lens;
let init: InitSeriesMessage;

before(async () => {
  h = await WebviewHarness.launch();
  model = await Chronos2Model.load(path.join(ROOT, 'test', 'fixtures', 'chronos2', 'checkpoints', 'chronos2-reduced-random'), { provider: 'cpu', threads: 1, cacheDir: null });
  docs = new SeriesDocuments();
  const text = readFileSync(path.join(ROOT, 'samples', 'building.csv'), 'utf8');
  const snap = docs.snapshot('file:///w/building.csv', 1, () => text, 'building.csv');
  const scan = await snap.scan('occupancy');
  a = snap.analysis(scan, { use: (fn) => fn(model), key: () => 'c2' }, { targets: ['load', 'occupancy'], covariates: ['temperature'] });
  const summary = await a.model;
  await a.lens;
  const forecast = await a.forecast;
  c2 = a.chronos2Now!;
  const series = await seriesPayload({ text: snap.text, layout: await snap.layout(), scan }, summary.contextLength, summary.patch);
  series.task = a.task;
  init = { type: 'initSeries', series, model: summary, forecast, selection: { mode: 'head', layer: 1, head: 2 } };
});
after(async () => {
  docs?.dispose();
  await model?.dispose();
  await h?.close();
});

async function open(width = 1280): Promise<{ v: ViewPage; host: FakeSeriesHost }> {
  const v = await h.open({ entry: 'series', viewport: { width, height: 1100 }, initialState: init });
  const lens = await a.lens;
  const host = new FakeSeriesHost(v, { contextLength: lens.contextLength, layers: 2, heads: 4 }, undefined, 0, undefined, (q) => lensResponse(lens, q, c2)).start();
  await v.page.locator('cl-series-view path.series-line').first().waitFor();
  return { v, host };
}

async function hoverRow(v: ViewPage, row: number | { step: number }): Promise<void> {
  const r = typeof row === 'number' ? row : init.series.totalRows + row.step;
  const p = await v.page.evaluate((x) => {
    const view = document.querySelector('cl-series-view') as HTMLElement & { chartLayout: { x(r: number): number; width: number } };
    const box = (view.shadowRoot?.querySelector('.stage svg') as SVGSVGElement).getBoundingClientRect();
    return { x: box.left + (view.chartLayout.x(x) * box.width) / view.chartLayout.width, y: box.top + box.height / 2 };
  }, r);
  await v.page.mouse.move(p.x, p.y);
}

function cells(v: ViewPage): Promise<{ label: string; from: number; to: number; weight: number }[]> {
  return v.page.locator('cl-series-view .group-matrices rect.gcell').evaluateAll((els) =>
    els.map((e) => ({ label: e.closest('svg')!.getAttribute('data-label')!, from: Number(e.getAttribute('data-from')), to: Number(e.getAttribute('data-to')), weight: Number(e.getAttribute('data-weight')) })),
  );
}

async function clean(v: ViewPage): Promise<void> {
  for (const m of await v.posted()) {
    const r = validateWebviewMessage('series', m, seriesValidationContext(init.series, init.model));
    assert.ok(r.ok, `posted message rejected by the host validator: ${r.ok ? '' : r.error}`);
  }
  assert.deepEqual(await v.violations(), [], 'CSP violations');
  assert.deepEqual(v.errors, [], 'page errors');
}

describe('cl-series-view with a Chronos-2 model', { timeout: 240_000 }, () => {
  test('hover a patch, then a forecast step: bands, group matrices per head and the series lanes equal the lens', async () => {
    const { v, host } = await open();
    try {
      const sub = (await v.page.locator('cl-series-view .subtitle').textContent()) ?? '';
      assert.match(sub, /chronos2-reduced-random \(Chronos-2\)/);
      assert.match(sub, /jointly with load · covariates temperature/);
      assert.match(sub, /context: last 96 in 6 patches of 16/);
      assert.match(sub, /forecast: 32 steps \(quantile head, 21 levels\)/);
      await v.page.locator('cl-series-view button.task').waitFor();

      // the window is rows 240–335: row 300 is in patch 3 (rows 288–303)
      await hoverRow(v, 300);
      await v.page.locator('cl-series-view .group h2', { hasText: 'patch 4' }).waitFor();
      await v.page.locator('cl-series-view .group-lines polyline.share').first().waitFor({ state: 'attached' });
      const req = host.lensRequests.find((q) => q.kind === 'encoder' && q.position === 3);
      assert.ok(req?.group, 'the page asks for the group attention');
      const want = c2.groupAt(3, { layer: 1, lines: true });
      const drawn = await cells(v);
      assert.equal(drawn.length, 4 * 9, 'four heads of 3 × 3');
      for (const c of drawn) {
        const head = Number(c.label.split('.H')[1]);
        assert.ok(Math.abs(c.weight - want.matrices[1][head][c.from][c.to]) <= TOL, `${c.label} ${c.from}→${c.to}: ${c.weight} vs ${want.matrices[1][head][c.from][c.to]}`);
      }
      assert.deepEqual(await v.page.locator('cl-series-view .group-matrices svg.selected').evaluateAll((e) => e.map((x) => x.getAttribute('data-label'))), ['L1.H2']);
      // the lanes: the selected head's share on the others, one per series in the model's order
      const lanes = await v.page.locator('cl-series-view .group-lines g.lane').evaluateAll((els) => els.map((e) => ({ series: e.getAttribute('data-series'), values: (e.querySelector('polyline')?.getAttribute('data-values') ?? '').split(' ').map(Number) })));
      assert.deepEqual(lanes.map((l) => l.series), ['load', 'occupancy', 'temperature']);
      lanes.forEach((l, i) => {
        assert.equal(l.values.length, 6);
        l.values.forEach((x, p) => assert.ok(Math.abs(x - want.lines![1][2][i][p]) <= TOL, `lane ${l.series} patch ${p}`));
      });
      assert.equal(await v.page.locator('cl-series-view .group-lines line.query').getAttribute('data-position'), '3');
      // the bands: occupancy's time attention from patch 3, L1.H2
      const bands = await v.page.locator('cl-series-view .stage .cl-patch-bands rect.band').evaluateAll((els) => els.map((e) => ({ p: Number(e.getAttribute('data-position')), w: Number(e.getAttribute('data-weight')) })));
      const row = (await a.lens).encoderRow(1, 2, 3);
      assert.equal(bands.length, 6);
      for (const b of bands) assert.ok(Math.abs(b.w - row[b.p]) <= TOL, `band ${b.p}`);
      const labels = await v.page.locator('cl-series-view .group-matrices svg').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      assert.match(labels[2], /^Group attention L1\.H2: load reads \w+ most \(0\.\d+\); occupancy reads/);

      // a forecast step: its output-patch token (step 20 is in output patch 1)
      await hoverRow(v, { step: 20 });
      await v.page.locator('cl-series-view .group h2', { hasText: 'forecast step 21' }).waitFor();
      const atStep = c2.groupAtStep(20, { layer: 1 });
      const stepCells = await cells(v);
      assert.equal(stepCells.length, 4 * 9);
      for (const c of stepCells) {
        const head = Number(c.label.split('.H')[1]);
        assert.ok(Math.abs(c.weight - atStep.matrices[1][head][c.from][c.to]) <= TOL, `step 20 ${c.label} ${c.from}→${c.to}`);
      }
      const crossRow = (await a.lens).crossRow(1, 2, 20);
      const stepBands = await v.page.locator('cl-series-view .stage .cl-patch-bands rect.band').evaluateAll((els) => els.map((e) => ({ p: Number(e.getAttribute('data-position')), w: Number(e.getAttribute('data-weight')) })));
      assert.equal(stepBands.length, 6);
      for (const b of stepBands) assert.ok(Math.abs(b.w - crossRow[b.p]) <= TOL, `step band ${b.p}`);
      assert.equal(host.lensRequests.filter((q) => q.groupLines).length, 1, 'the lanes are asked for once per layer');
      await clean(v);
    } finally {
      host.stop();
      await v.close();
    }
  });

  for (const width of [320, 600, 1600]) {
    test(`lays out at ${width} px with the group lens drawn${width === 600 ? '; axe finds no serious violation' : ''}`, async () => {
      const { v, host } = await open(width);
      try {
        await hoverRow(v, 300);
        await v.page.locator('cl-series-view .group-lines polyline.share').first().waitFor({ state: 'attached' });
        await v.page.locator('cl-series-view .group-matrices svg').first().waitFor();
        const problems = await layoutProblems(v.page);
        if (problems.length) await v.screenshot(`layout-chronos2-${width}`);
        assert.deepEqual(problems.map((p) => `${p.kind}: ${p.what}`), [], `${problems.length} layout problems at ${width} px`);
        if (width === 600) assert.deepEqual(await axeViolations(v), [], 'axe');
        await clean(v);
      } finally {
        host.stop();
        await v.close();
      }
    });
  }
});
