/** Head ablation on Chronos-Bolt (a random-weight checkpoint with Bolt's structure, real runtime). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ChronosLensError } from '../../../core/errors';
import { mase, wql } from '../../../analysis/ablation';
import { runBoltAblation } from '../../../analysis/bolt-ablation';
import { forecastBolt } from '../../../analysis/forecast/bolt';
import { BoltModel } from '../../../models/bolt/model';
import { fixtures } from '../helpers';

const dir = path.join(fixtures, 'bolt', 'checkpoints', 'bolt-reduced-random');
// 200 values of a noisy period-12 seasonal series, deterministic
const values = Array.from({ length: 200 }, (_, t) => 50 + 10 * Math.sin((2 * Math.PI * t) / 12) + 2 * Math.sin(t * 7.3));

test('zero ablation of Bolt heads: metrics from the held-out forecast, controls of the same kind mix', async () => {
  const model = await BoltModel.load(dir, { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    const heads = [{ kind: 'encoder' as const, layer: 0, head: 1 }, { kind: 'cross' as const, layer: 1, head: 2 }];
    const r = await runBoltAblation(model, { heads, values, heldOut: 30, controls: 4, controlSeed: 3 });
    assert.equal(r.period, 12);
    assert.deepEqual(r.heads, ['encoder:L0.H1', 'cross:L1.H2']);
    // the unablated and ablated metrics are those of the forecasts themselves
    const context = values.slice(0, 170);
    const actual = values.slice(170);
    const levels = model.config.bolt.quantiles;
    const f0 = await forecastBolt(model, context, { predictionLength: 30 });
    assert.equal(r.unablated.wql, wql(actual, f0.quantiles, levels));
    assert.equal(r.unablated.mase, mase(actual, f0.quantiles[levels.indexOf(0.5)], context, 12));
    const ab = model.newAblation().zero('encoder', 0, 1).zero('cross', 1, 2);
    const f1 = await forecastBolt(model, context, { predictionLength: 30, ablation: ab });
    assert.equal(r.ablated.wql, wql(actual, f1.quantiles, levels));
    assert.notEqual(r.ablated.wql, r.unablated.wql);
    assert.equal(r.controls.length, 4);
    for (const c of r.controls) {
      assert.equal(c.heads.filter((h) => h.startsWith('encoder:')).length, 1);
      assert.equal(c.heads.filter((h) => h.startsWith('cross:')).length, 1);
      assert.ok(!c.heads.some((h) => r.heads.includes(h)));
    }
    for (const k of ['mase', 'wql', 'mae_median'] as const) assert.ok(r.percentile[k] >= 0 && r.percentile[k] <= 100);
  } finally {
    await model.dispose();
  }
});

test('mean ablation: a cross head replaced by its own mean over the one decoder token changes nothing; an encoder head does', async () => {
  const model = await BoltModel.load(dir, { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    const base = { values, heldOut: 20, controls: 0, method: 'mean' as const, period: 12 };
    const cross = await runBoltAblation(model, { ...base, heads: [{ kind: 'cross', layer: 0, head: 0 }, { kind: 'decoder', layer: 1, head: 3 }] });
    for (const k of ['mase', 'wql', 'mae_median'] as const) assert.ok(Math.abs(cross.ablated[k] - cross.unablated[k]) <= 1e-6 * cross.unablated[k], `${k}: ${cross.ablated[k]} vs ${cross.unablated[k]}`);
    const enc = await runBoltAblation(model, { ...base, heads: [{ kind: 'encoder', layer: 1, head: 0 }] });
    assert.ok(Math.abs(enc.ablated.wql - enc.unablated.wql) > 1e-4 * enc.unablated.wql);
  } finally {
    await model.dispose();
  }
});

test('bad Bolt ablation requests are one clear line', async () => {
  const model = await BoltModel.load(dir, { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    const bad = async (o: Parameters<typeof runBoltAblation>[1], re: RegExp) => assert.rejects(runBoltAblation(model, o), (e: unknown) => e instanceof ChronosLensError && re.test(e.message));
    await bad({ heads: [], values }, /no heads to ablate/);
    await bad({ heads: [{ kind: 'encoder', layer: 5, head: 0 }], values }, /encoder layer 5 does not exist \(the model has 2/);
    await bad({ heads: [{ kind: 'cross', layer: 0, head: 0 }], values: values.slice(0, 20), heldOut: 19 }, /holding out 19 leaves too little context/);
    await bad({ heads: [{ kind: 'cross', layer: 0, head: 0 }], values: new Array(60).fill(3), heldOut: 10 }, /MASE is undefined/);
  } finally {
    await model.dispose();
  }
});
