/** The ablation run the extension starts, on a real checkpoint and a real CSV, through the analysis engine. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CancelledError } from '../../../core/errors';
import { checkAblationRequest, runAblationJob, type AblationRequest } from '../../../extension/lib/ablation-job';
import { loadCsvSeries } from '../../../extension/lib/jobs';
import { RunStore } from '../../../extension/lib/run-store';
import { ChronosModel } from '../../../models/model';
import { fixtures, sharedData, tempDir } from '../helpers';

let model: ChronosModel;
before(async () => {
  model = await ChronosModel.load(path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32'), { provider: 'cpu', threads: 1, cacheDir: await tempDir() });
});
after(async () => {
  await model.dispose();
});

const base: AblationRequest = { heads: [{ kind: 'cross', layer: 1, head: 2 }], method: 'zero', data: 'inductionLoss', controls: 2, seed: 0, heldOut: 0 };

test('requests are checked before anything runs', () => {
  assert.throws(() => checkAblationRequest({ ...base, heads: [] }), /no heads to ablate/);
  assert.throws(() => checkAblationRequest({ ...base, data: 'csv' }), /need a CSV column/);
  assert.throws(() => checkAblationRequest({ ...base, controls: -1 }), /control sets/);
});

test('induction loss: ablated vs unablated vs controls, stored and read back', async () => {
  const r = await runAblationJob(model, base, {});
  assert.deepEqual(r.heads, base.heads);
  assert.equal(r.method, 'zero');
  assert.equal(r.controlSets.length, 2);
  assert.deepEqual(r.metrics.map((m) => m.name).sort(), ['induction_loss', 'induction_loss_control']);
  for (const m of r.metrics) {
    assert.ok(Number.isFinite(m.unablated) && Number.isFinite(m.ablated), m.name);
    assert.equal(m.controls.length, 2);
  }
  assert.equal(r.data.inductionLoss, true);
  assert.equal(r.data.csv, undefined);
  const store = new RunStore(await tempDir());
  const run = await store.save(r);
  assert.deepEqual((await store.load(run.id)).result.metrics, JSON.parse(JSON.stringify(r.metrics)));
});

test('both: forecast metrics on the held-out tail of the CSV column as well (mean ablation)', async () => {
  const series = await loadCsvSeries({ kind: 'file', path: path.join(sharedData, 'AirPassengers.csv') });
  const r = await runAblationJob(model, { ...base, method: 'mean', data: 'both', controls: 1, series, heldOut: 12 }, {});
  assert.deepEqual(r.metrics.map((m) => m.name).sort(), ['induction_loss', 'induction_loss_control', 'mae_median', 'mase', 'wql']);
  assert.equal(r.data.csv?.file, 'AirPassengers.csv');
  assert.equal(r.data.csv?.column, '#Passengers');
  assert.equal(r.data.csv?.heldOut, 12);
  assert.ok(r.meanReference);
});

test('cancel rejects the run', async () => {
  const ac = new AbortController();
  const p = runAblationJob(model, { ...base, controls: 50 }, { signal: ac.signal, onProgress: () => ac.abort() });
  await assert.rejects(p, CancelledError);
});
