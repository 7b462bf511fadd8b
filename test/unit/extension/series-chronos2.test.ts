/**
 * The series view's analyses with a real Chronos-2 checkpoint (chronos2-dummy-model, read in place from
 * the shared data) on samples/building.csv: the task chosen for the file (targets forecast jointly, a
 * covariate), the joint forecast's fan for the shown target, the lens of that target's row (patches),
 * and the page's answers with the group attention, all equal to the engine's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { forecastChronos2 } from '../../../analysis/forecast/chronos2';
import { AttentionLens } from '../../../analysis/lens';
import { Chronos2Model } from '../../../models/chronos2/model';
import { CHRONOS2_VIEW_STEPS, SeriesDocuments, taskFor, type ModelRunner } from '../../../extension/lib/series-analysis';
import { seriesPayload } from '../../../extension/lib/series-data';
import { lensResponse } from '../../../extension/lib/series-lens';
import { validateWebviewMessage, seriesValidationContext } from '../../../protocol';
import { repoRoot, sharedData, tempDir } from '../helpers';

let model: Chronos2Model;
const runner: ModelRunner = { use: (fn) => fn(model), key: () => 'c2' };

before(async () => {
  model = await Chronos2Model.load(path.join(sharedData, 'chronos2-dummy-model'), { provider: 'cpu', threads: 1, cacheDir: await tempDir() });
});
after(async () => {
  await model.dispose();
});

const building = readFileSync(path.join(repoRoot, 'samples', 'building.csv'), 'utf8');

describe('series analyses on a Chronos-2 model', () => {
  test('the task for a column: the chosen one when the column is a target, else the column alone with the covariates', () => {
    const chosen = { targets: ['load', 'occupancy'], covariates: ['temperature', 'load'] };
    assert.deepEqual(taskFor('occupancy', chosen), { targets: ['load', 'occupancy'], covariates: ['temperature'] });
    assert.deepEqual(taskFor('temperature', chosen), { targets: ['temperature'], covariates: ['load'] });
    assert.deepEqual(taskFor('load', undefined), { targets: ['load'], covariates: [] });
  });

  test('joint forecast and lens of the chosen task; the page answers carry the group attention', async () => {
    const docs = new SeriesDocuments();
    const snap = docs.snapshot('file:///w/building.csv', 1, () => building, 'building.csv');
    const scan = await snap.scan('occupancy');
    assert.equal(scan.totalRows, 336);
    const a = snap.analysis(scan, runner, { targets: ['load', 'occupancy'], covariates: ['temperature'] });
    const summary = await a.model;
    assert.equal(summary.family, 'chronos-2');
    assert.deepEqual(summary.patch, { size: 16, stride: 16 });
    assert.deepEqual(a.task, { targets: ['load', 'occupancy'], covariates: ['temperature'] });

    const lens = await a.lens;
    assert.equal(lens.contextLength, 21, '336 rows in 21 patches of 16');
    assert.deepEqual(lens.spanOf(20), [320, 335]);
    const f = await a.forecast;
    assert.equal(f.predictionLength, CHRONOS2_VIEW_STEPS);
    assert.equal(f.quantileLevels.length, 21);
    assert.equal(f.timestamps?.[0], '2024-03-18 00:00:00');

    // the engine on the same task: the fan is occupancy's, the lens occupancy's row
    const col = async (c: string) => (await snap.scan(c)).values;
    const task = { targets: [{ name: 'load', values: await col('load') }, { name: 'occupancy', values: await col('occupancy') }], pastCovariates: [{ name: 'temperature', values: await col('temperature') }] };
    const direct = await forecastChronos2(model, task, { predictionLength: CHRONOS2_VIEW_STEPS });
    for (let q = 0; q < 21; q++) assert.deepEqual(f.quantiles[q], Array.from(direct.series[1].quantiles[q]));
    const c2 = await AttentionLens.computeChronos2(model, task, { predictionLength: CHRONOS2_VIEW_STEPS });
    assert.deepEqual(Array.from(lens.encoderRow(1, 2, 7)), Array.from(c2.timeLens(1).encoderRow(1, 2, 7)));
    assert.deepEqual(Array.from(lens.crossRow(0, 3, 40)), Array.from(c2.timeLens(1).crossRow(0, 3, 40)));

    // the page: requests within the patches; the answer's group attention is the lens' (5 decimals)
    const payload = await seriesPayload({ text: snap.text, layout: await snap.layout(), scan }, summary.contextLength, summary.patch);
    assert.deepEqual(payload.context.patches, { size: 16, stride: 16, first: 0, count: 21 });
    const ctx = seriesValidationContext(payload, summary);
    const req = validateWebviewMessage('series', { type: 'requestLens', requestId: 'r1', kind: 'encoder', position: 20, layer: 1, sparkBins: 48, group: true, groupLines: true }, ctx);
    assert.ok(req.ok, JSON.stringify(req));
    const r = lensResponse(lens, { kind: 'encoder', position: 20, layer: 1, sparkBins: 48, group: true, groupLines: true }, a.chronos2Now);
    const g = c2.groupAt(20, { layer: 1, lines: true });
    assert.deepEqual(r.group?.series.map((s) => s.name), ['load', 'occupancy', 'temperature']);
    assert.equal(r.group?.matrices[0].length, 0, 'only the asked layer');
    for (let h = 0; h < summary.heads; h++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) assert.ok(Math.abs(r.group!.matrices[1][h][i][j] - g.matrices[1][h][i][j]) <= 5e-6);
        for (let p = 0; p < 21; p++) assert.ok(Math.abs(r.group!.lines![1][h][i][p] - g.lines![1][h][i][p]) <= 5e-6);
      }
    }
    const step = lensResponse(lens, { kind: 'cross', position: 40, layer: 0, group: true }, a.chronos2Now);
    assert.equal(step.group?.at, 'forecast');
    assert.equal(step.group?.token, 21 + 1 + 2);
    assert.equal(step.group?.lines, undefined);
    assert.equal(lensResponse(lens, { kind: 'encoder', position: 3, layer: 0 }, a.chronos2Now).group, undefined, 'only when asked');
    for (const bad of [{ group: 1 }, { groupLines: 'yes' }]) {
      assert.equal(validateWebviewMessage('series', { type: 'requestLens', requestId: 'r2', kind: 'encoder', position: 3, ...bad }, ctx).ok, false);
    }
    docs.dispose();
  });
});
