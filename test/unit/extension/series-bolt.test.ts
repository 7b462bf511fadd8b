/**
 * The series view's analyses with a real Chronos-Bolt checkpoint (chronos-bolt-dummy-model, read in
 * place from the shared data): the context window's patches, the lens over patches, the quantile head's
 * forecast at the model's own levels, periodicity over patches, the page's lens answers and the CSV
 * hover naming the patch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { forecastBolt } from '../../../analysis/forecast/bolt';
import { BoltModel } from '../../../models/bolt/model';
import { SeriesDocuments, type ModelRunner } from '../../../extension/lib/series-analysis';
import { contextWindow, seriesPayload } from '../../../extension/lib/series-data';
import { HOVER_COMMANDS, hoverMarkdown } from '../../../extension/lib/series-hover';
import { attendingHeads, lensResponse } from '../../../extension/lib/series-lens';
import { seriesValidationContext } from '../../../protocol';
import { repoRoot, sharedData, tempDir } from '../helpers';

let model: BoltModel;
const runner: ModelRunner = { use: (fn) => fn(model), key: () => 'bolt' };

before(async () => {
  model = await BoltModel.load(path.join(sharedData, 'chronos-bolt-dummy-model'), { provider: 'cpu', threads: 1, cacheDir: await tempDir() });
});
after(async () => {
  await model.dispose();
});

const hourly = readFileSync(path.join(repoRoot, 'samples', 'hourly-load.csv'), 'utf8');

describe('series analyses on a Chronos-Bolt model', () => {
  test('patches of the context window: the last one ends at the last row, the first is left-padded', () => {
    // 672 rows, context 512: 32 whole patches from row 160
    assert.deepEqual(contextWindow(672, 512, { size: 16, stride: 16 }), { start: 160, end: 672, patches: { size: 16, stride: 16, first: 160, count: 32 } });
    // 100 rows: 7 patches, the first with 12 rows of padding before row 0
    assert.deepEqual(contextWindow(100, 512, { size: 16, stride: 16 }), { start: 0, end: 100, patches: { size: 16, stride: 16, first: -12, count: 7 } });
    assert.deepEqual(contextWindow(100, 512), { start: 0, end: 100 }, 'a model of single values has no patches');
  });

  test('lens over patches, the quantile head forecast, periodicity; the page and hover answers', async () => {
    const docs = new SeriesDocuments();
    const snap = docs.snapshot('file:///w/hourly-load.csv', 1, () => hourly, 'hourly-load.csv');
    const scan = await snap.scan();
    assert.equal(scan.totalRows, 672);
    const a = snap.analysis(scan, runner);
    const summary = await a.model;
    assert.equal(summary.family, 'chronos-bolt');
    assert.deepEqual(summary.patch, { size: 16, stride: 16 });
    assert.equal(summary.contextLength, 512);

    const lens = await a.lens;
    assert.equal(lens.contextLength, 32, 'positions are the 32 patches of the 512-row window');
    assert.deepEqual(lens.spanOf(0), [0, 15]);
    assert.deepEqual(lens.spanOf(31), [496, 511]);
    assert.equal(lens.positionAt(511), 31);
    assert.equal(lens.positionAt(16), 1);
    assert.equal(lens.positionAt(512), -1);

    // the forecast: the model's own nine levels over its horizon, exactly forecastBolt's
    const f = await a.forecast;
    assert.deepEqual(f.quantileLevels, model.config.bolt.quantiles);
    assert.equal(f.predictionLength, 64);
    assert.equal(f.numSamples, 0);
    assert.equal(f.timestamps?.[0], '2024-01-29 00:00:00');
    const direct = await forecastBolt(model, scan.values.subarray(672 - 512));
    for (let q = 0; q < direct.quantileLevels.length; q++) assert.deepEqual(f.quantiles[q], Array.from(direct.quantiles[q]));
    assert.equal(lens.forecastSteps, 64, 'one decoder token: the same cross row for every step');

    // periodicity over patches: the daily period (24 rows) is shorter than two patches, so a longer one is scored
    const per = await a.periodicity;
    assert.ok(per, 'the hourly sample is periodic');
    assert.ok(per.headScores.period >= 32, `period ${per.headScores.period}`);
    assert.equal(per.headScores.lag, per.headScores.period / 16);
    assert.equal(per.headScores.ratio.length, summary.encoderLayers);
    assert.ok(per.headScores.ratio.flat().every(Number.isFinite));

    // the page: one patch's rows over the 32 patches, sparklines over patches; requests are bounded by the patches
    const payload = await seriesPayload({ text: snap.text, layout: await snap.layout(), scan }, summary.contextLength, summary.patch);
    assert.deepEqual(payload.context.patches, { size: 16, stride: 16, first: 160, count: 32 });
    assert.equal(seriesValidationContext(payload, summary).series?.contextLength, 32);
    const r = lensResponse(lens, { kind: 'encoder', position: 31, layer: 1, sparkBins: 48 });
    assert.equal(r.contextLength, 32);
    assert.equal(r.rows[1].length, summary.heads);
    assert.equal(r.rows[1][0].length, 32);
    assert.equal(r.sparklines?.[0][0].length, 32, 'no more bins than patches');
    assert.ok(Math.abs(r.rows[1][2][5] - lens.encoderRow(1, 2, 31)[5]) < 1e-5);
    const c = lensResponse(lens, { kind: 'cross', position: 10, layer: 0, sparkBins: 48 });
    assert.equal(c.rows[0][0].length, 32);
    assert.deepEqual(c.rows[0], lensResponse(lens, { kind: 'cross', position: 0, layer: 0 }).rows[0], 'every step reads the same');

    // the CSV hover of row 600 (window index 440): patch 28 of 32, rows 593–608 as the hover counts them
    const windowStart = 160;
    const pos = lens.positionAt(600 - windowStart);
    assert.equal(pos, 27);
    const [f0, f1] = lens.spanOf(pos);
    const heads = attendingHeads(lens, pos, 3, 3).map((h) => ({
      ...h,
      targets: h.targets.map((t) => {
        const [s0, s1] = lens.spanOf(t.position);
        return { ...t, row: windowStart + s0, line: scan.lines[windowStart + s0], lastRow: windowStart + s1 };
      }),
    }));
    assert.equal(heads.length, 3);
    const md = hoverMarkdown({
      uri: 'file:///w/hourly-load.csv',
      column: 'load',
      model: summary.name,
      row: 600,
      line: scan.lines[600],
      position: pos,
      contextLength: lens.contextLength,
      value: scan.values[600],
      scale: lens.scale,
      heads,
      patch: { first: windowStart + f0, last: windowStart + f1, size: 16, observed: true },
    });
    assert.match(md, /load · row 601 \(line 602\) · patch 28 of 32 · chronos\\-bolt\\-dummy\\-model/);
    assert.match(md, /Patch \*\*28\*\* · rows 593–608 \(16 values\)/);
    assert.match(md, /attends to \(patch: weight\)/);
    assert.match(md, /\[patch \d+\]\(command:chronosLens\.series\.revealLine\?[^)]+ "Reveal line \d+: patch \d+ is rows \d+–\d+"\): 0\.\d{3}/);
    assert.doesNotMatch(md, /Token|Missing value/);
    assert.equal((md.match(new RegExp(`command:${HOVER_COMMANDS.revealLine.replace(/\./g, '\\.')}`, 'g')) ?? []).length, 9);
    docs.dispose();
  });
});
