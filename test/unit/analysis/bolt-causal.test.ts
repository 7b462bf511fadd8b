/**
 * The causal analyses on Chronos-Bolt against chronos-forecasting with hooks
 * (tools/reference/bolt_causal_reference.py, fixtures in test/fixtures/bolt-causal/): the copy loss and
 * the forecast metrics under layer skips and head ablation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from '../../../core/errors';
import { prepareSeries, seriesMetrics } from '../../../analysis/ablation';
import { runBoltAblation } from '../../../analysis/bolt-ablation';
import { CopyBatch, copyBatch, copyLoss } from '../../../analysis/copy-loss';
import { LayerRef, layerAblation, runLayerAblation, sweepSets } from '../../../analysis/causal/layer-ablation';
import { attributeBolt } from '../../../analysis/causal/attribution';
import { layerLensBolt } from '../../../analysis/causal/layer-lens';
import { BoltModel } from '../../../models/bolt/model';
import { fixtures } from '../helpers';

interface Variant {
  label: string;
  layers: [LayerRef['stack'], number, LayerRef['part']][];
  heads: ['encoder' | 'decoder' | 'cross', number, number][];
  copy_loss: number;
  copy_loss_control: number;
  mase: number;
  wql: number;
  mae_median: number;
}
interface RefComponent {
  component: string;
  kind: string;
  layer: number | null;
  head: number | null;
  value: number;
}
interface Fixture {
  attribution: { step: number; level: number; value: number; normScale: number; total: number; components: RefComponent[]; encoderComponents: RefComponent[] }[];
  /** Per decoder layer [level][step], series units. */
  lens: number[][][];
  checkpoint: string;
  copy_batch: { patchSize: number; period: number; repeats: number; subExtension: number; seed: number; horizon: number; contexts: number[][]; targets: number[][] };
  series: { values: (number | null)[]; held_out: number; period: number };
  variants: Variant[];
}

const CASES = ['bolt-reduced-random', 'bolt-noreg-random'];
const load = (name: string): Fixture => JSON.parse(fs.readFileSync(path.join(fixtures, 'bolt-causal', `${name}.json`), 'utf8')) as Fixture;
const openModel = (name: string) => BoltModel.load(path.join(fixtures, 'bolt', 'checkpoints', name), { cacheDir: null, provider: 'cpu', threads: 1 });

function batchOf(f: Fixture): CopyBatch {
  const b = f.copy_batch;
  return {
    protocol: { source: 'random-patches', batch: b.contexts.length / 2, patchSize: b.patchSize, period: b.period, repeats: b.repeats, subExtension: b.subExtension, seed: b.seed },
    horizon: b.horizon,
    contexts: b.contexts.map((c) => Float32Array.from(c)),
    targets: b.targets.map((c) => Float32Array.from(c)),
  };
}

function close(a: number, b: number, what: string, tol = 1e-4): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b} (reference)`);
}

for (const name of CASES) {
  test(`${name}: copy loss and forecast metrics under layer skips and head ablation equal chronos-forecasting with hooks (1e-4)`, async () => {
    const f = load(name);
    const model = await openModel(name);
    try {
      const batch = batchOf(f);
      const series = prepareSeries(model, { values: f.series.values.map((v) => v ?? NaN), file: 'fixture', column: '', heldOut: f.series.held_out, period: f.series.period });
      let worst = 0;
      for (const v of f.variants) {
        const ab = layerAblation(model, v.layers.map(([stack, layer, part]) => ({ stack, layer, part })));
        for (const [kind, layer, head] of v.heads) ab.zero(kind, layer, head);
        const c = await copyLoss(model, batch, ab);
        close(c.repeated, v.copy_loss, `${v.label} copy loss`);
        close(c.control, v.copy_loss_control, `${v.label} copy loss control`);
        const m = await seriesMetrics(model, series, ab, {});
        for (const k of ['mase', 'wql', 'mae_median'] as const) close(m[k], v[k], `${v.label} ${k}`);
        worst = Math.max(worst, Math.abs(c.repeated - v.copy_loss), Math.abs(m.mase - v.mase) / v.mase);
      }
      // every variant changes something: the check would not pass with the interventions ignored
      const base = f.variants[0];
      for (const v of f.variants.slice(1)) assert.ok(Math.abs(v.copy_loss - base.copy_loss) > 1e-3 || Math.abs(v.mase - base.mase) > 1e-3, v.label);
      assert.ok(worst < 1e-4);
    } finally {
      await model.dispose();
    }
  });
}

for (const name of CASES) {
  test(`${name}: direct attribution (frozen norm scale and head gates) and the per-layer lens equal the hook-based reference (1e-4)`, async () => {
    const f = load(name);
    const model = await openModel(name);
    try {
      const values = f.series.values.map((v) => v ?? NaN);
      const context = values.slice(0, values.length - f.series.held_out);
      let worst = 0;
      for (const e of f.attribution) {
        const r = await attributeBolt(model, { values: context, label: 'fixture', step: e.step, level: e.level });
        assert.equal(r.target.step, e.step);
        assert.equal(r.target.level, e.level);
        close(r.target.normScale, e.normScale, 'frozen norm scale');
        close(r.target.value, e.value, 'forecast value');
        const cmp = (ours: typeof r.components, ref: RefComponent[], what: string) => {
          assert.deepEqual(ours.map((c) => [c.component, c.kind, c.layer, c.head]), ref.map((c) => [c.component, c.kind, c.layer, c.head]), what);
          ours.forEach((c, i) => {
            close(c.value, ref[i].value, `${what} ${c.component}`);
            worst = Math.max(worst, Math.abs(c.value - ref[i].value));
          });
        };
        cmp(r.components, e.components, `step ${e.step} q${e.level}`);
        cmp(r.encoderComponents, e.encoderComponents, `step ${e.step} q${e.level} encoder`);
        // the parts' total is the reference's and the forecast value itself, and the encoder breakdown sums
        // to the cross heads' parts
        const sum = (cs: typeof r.components) => cs.reduce((a, c) => a + c.value, 0);
        close(r.total, e.total, 'total');
        close(r.total, r.target.value, 'total = the forecast value');
        close(sum(r.encoderComponents), sum(r.components.filter((c) => c.kind === 'cross_head')), 'encoder breakdown = the cross heads');
      }
      assert.ok(worst < 1e-4, `worst ${worst}`);

      const lens = await layerLensBolt(model, { values: context, label: 'fixture' });
      assert.equal(lens.layers.length, f.lens.length);
      lens.layers.forEach((l, i) => l.quantiles.forEach((q, j) => q.forEach((v, s) => close(v, f.lens[i][j][s], `lens L${i} level ${j} step ${s}`))));
      // the last layer's lens is the model's own forecast
      const own = await model.forward([context], { quantiles: true });
      const T = model.config.bolt.predictionLength;
      const last = lens.layers[lens.layers.length - 1];
      last.quantiles.forEach((q, j) => q.forEach((v, s) => close(v, own.quantiles!.data[j * T + s], 'last layer = the forecast')));
      assert.ok(last.gapToFinal!.every((g) => g === 0));
      assert.ok(lens.layers[0].gapToFinal!.some((g) => g > 1e-3), 'an earlier layer reads out differently');
    } finally {
      await model.dispose();
    }
  });
}

test('bad Bolt attribution requests are one clear line', async () => {
  const model = await openModel('bolt-reduced-random');
  try {
    const values = Array.from({ length: 100 }, (_, i) => Math.sin(i / 3));
    const bad = (o: Parameters<typeof attributeBolt>[1], re: RegExp) => assert.rejects(attributeBolt(model, o), (e: unknown) => e instanceof ChronosLensError && re.test(e.message));
    await bad({ values, label: 's', level: 0.55 }, /level 0\.55 is not one of bolt-reduced-random's quantile levels \(0\.1, 0\.2/);
    await bad({ values, label: 's', step: 24 }, /step .*must be/);
    await bad({ values: [NaN, NaN], label: 's' }, /s: every value is missing/);
  } finally {
    await model.dispose();
  }
});

test('the copy batch: S repeated, targets continue the period, controls keep only the last sub-extension patches', async () => {
  const model = await openModel('bolt-reduced-random');
  try {
    const b = copyBatch(model, { batch: 5, patchesPerRepeat: 3, repeats: 2, subExtension: 1, seed: 4 });
    const P = 16;
    const V = 48;
    const L = P * 7;
    assert.equal(b.horizon, 24);
    assert.equal(b.contexts.length, 10);
    for (let i = 0; i < 5; i++) {
      const x = b.contexts[i];
      const c = b.contexts[5 + i];
      assert.equal(x.length, L);
      for (let t = V; t < L; t++) assert.equal(x[t], x[t - V]);
      for (let t = 0; t < b.horizon; t++) assert.equal(b.targets[i][t], x[(L + t) % V]);
      assert.deepEqual(b.targets[5 + i], b.targets[i]);
      assert.deepEqual(c.subarray(L - P), x.subarray(L - P));
      assert.notEqual(c[L - P - 1], x[L - P - 1]);
    }
    // a sub-patch period: 20 values on patches of 8
    const noreg = await openModel('bolt-noreg-random');
    try {
      const s = copyBatch(noreg, { batch: 2, period: 20, repeats: 3, subExtension: 1 });
      assert.equal(s.contexts[0].length, 72);
      assert.equal(s.horizon, 12);
      assert.throws(() => copyBatch(noreg, { batch: 2 }), (e: unknown) => e instanceof ChronosLensError && /longer than bolt-noreg-random's context of 96/.test(e.message));
    } finally {
      await noreg.dispose();
    }
  } finally {
    await model.dispose();
  }
});

test('layer ablation on Bolt: sets and the sweep, the copy loss and its control beside the series metrics', async () => {
  const f = load('bolt-reduced-random');
  const model = await openModel('bolt-reduced-random');
  try {
    const copy = { batch: 4, patchesPerRepeat: 3, repeats: 2, subExtension: 1, seed: 9 };
    const series = { values: f.series.values.map((v) => v ?? NaN), file: 'fixture.csv', column: 'y', heldOut: 20, period: 12 };
    const sets = sweepSets(model, ['encoder', 'decoder'], 'all');
    assert.deepEqual(sets.map((s) => `${s[0].stack}${s[0].layer}`), ['encoder0', 'encoder1', 'decoder0', 'decoder1']);
    const r = await runLayerAblation(model, { sets, sweep: true, induction: false, copyLoss: copy, series });
    assert.deepEqual(Object.keys(r.unablated), ['copy_loss', 'copy_loss_control', 'mase', 'wql', 'mae_median']);
    assert.deepEqual(r.data.copyLoss, { batch: 4, period: 48, repeats: 2, subExtension: 1, horizon: 24 });
    assert.equal(r.data.csv?.heldOut, 20);
    assert.equal(r.manifest.versions.builder, 'bolt-2');
    // the unablated metrics are the engine's own on the same batch
    const batch = copyBatch(model, copy);
    const c0 = await copyLoss(model, batch);
    assert.equal(r.unablated.copy_loss, c0.repeated);
    const c1 = await copyLoss(model, batch, layerAblation(model, sets[3]));
    assert.equal(r.variants[3].values.copy_loss, c1.repeated);
    assert.notEqual(c1.repeated, c0.repeated);
    const bad = (o: Parameters<typeof runLayerAblation>[1], re: RegExp) => assert.rejects(runLayerAblation(model, o), (e: unknown) => e instanceof ChronosLensError && re.test(e.message));
    await bad({ sets, induction: {} }, /Chronos-Bolt model: it has no tokens for an induction loss/);
    await bad({ sets, induction: false }, /nothing to measure: ask for the copy loss or give a series/);
    await bad({ sets: [[{ stack: 'decoder', layer: 2, part: 'all' }]], copyLoss: copy }, /decoder layer 2 does not exist/);
  } finally {
    await model.dispose();
  }
});

test('head ablation on Bolt with the copy loss: zeroing heads changes it, controls are scored alike', async () => {
  const model = await openModel('bolt-reduced-random');
  try {
    const copy = { batch: 4, patchesPerRepeat: 3, repeats: 2, subExtension: 1, seed: 9 };
    const heads = [{ kind: 'encoder' as const, layer: 0, head: 1 }];
    const r = await runBoltAblation(model, { heads, copyLoss: copy, controls: 2, controlSeed: 1 });
    assert.deepEqual(Object.keys(r.ablated), ['copy_loss', 'copy_loss_control']);
    const batch = copyBatch(model, copy);
    assert.equal(r.ablated.copy_loss, (await copyLoss(model, batch, model.newAblation().zero('encoder', 0, 1))).repeated);
    assert.equal(r.controls.length, 2);
    assert.equal(r.heldOut, undefined);
    await assert.rejects(runBoltAblation(model, { heads }), (e: unknown) => e instanceof ChronosLensError && /nothing to measure/.test(e.message));
  } finally {
    await model.dispose();
  }
});
