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

test('Chronos-Bolt: the same report, its copy loss where Chronos-T5 has the induction loss', async () => {
  const { BoltModel } = await import('../../../models/bolt/model');
  const { runBoltAblation } = await import('../../../analysis/bolt-ablation');
  const { formatHead } = await import('../../../analysis/heads');
  const bolt = await BoltModel.load(path.join(fixtures, 'bolt', 'checkpoints', 'bolt-reduced-random'), { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    const series = await loadCsvSeries({ kind: 'file', path: path.join(sharedData, 'AirPassengers.csv') });
    const heads = [{ kind: 'encoder' as const, layer: 0, head: 1 }, { kind: 'cross' as const, layer: 1, head: 2 }];
    const req: AblationRequest = { ...base, heads, method: 'mean', data: 'both', controls: 3, seed: 5, series, heldOut: 12 };
    const r = await runAblationJob(bolt, req, {});
    const direct = await runBoltAblation(bolt, { heads, method: 'mean', controls: 3, controlSeed: 5, copyLoss: {}, values: series.values, heldOut: 12 });
    assert.deepEqual(r.metrics.map((m) => m.name), ['copy_loss', 'copy_loss_control', 'mase', 'wql', 'mae_median']);
    for (const m of r.metrics) {
      assert.equal(m.unablated, direct.unablated[m.name], m.name);
      assert.equal(m.ablated, direct.ablated[m.name], m.name);
      assert.deepEqual(m.controls, direct.controls.map((c) => c.metrics[m.name]));
      assert.equal(m.percentile, direct.percentile[m.name]);
    }
    // the control sets are the ones measured, as head references
    assert.deepEqual(r.controlSets.map((s) => s.map(formatHead)), direct.controls.map((c) => c.heads));
    assert.deepEqual(r.data, { inductionLoss: false, copyLoss: direct.copyLoss, csv: { file: 'AirPassengers.csv', column: '#Passengers', heldOut: 12, period: direct.period } });
    assert.equal(r.model.family, 'chronos-bolt');
    assert.equal(r.manifest.command, 'ablate');
    assert.equal(r.manifest.seeds.controls, 5);
    const store = new RunStore(await tempDir());
    const run = await store.save(r);
    assert.match(run.label, /copy loss \+ AirPassengers\.csv/);
    assert.deepEqual((await store.load(run.id)).result.metrics, JSON.parse(JSON.stringify(r.metrics)));
    // the CSV alone: the forecast metrics only
    const csvOnly = await runAblationJob(bolt, { ...req, method: 'zero', data: 'csv', controls: 1 }, {});
    assert.deepEqual(csvOnly.metrics.map((m) => m.name), ['mase', 'wql', 'mae_median']);
    assert.equal(csvOnly.data.copyLoss, undefined);
  } finally {
    await bolt.dispose();
  }
});
