/**
 * Ablation: head-set parsing, top-k, seeded control sets; the induction loss against an independent
 * path (the KV-cache decoder); mean ablation checked where it must be the identity; forecast metrics
 * on hand-computed cases; a full run with controls, a manifest and a CSV.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readCsvFile } from '../../../core/csv';
import { ChronosModel } from '../../../models/model';
import { buildAblation, inductionBatch, inductionLoss, mae, mase, meanHeadOutputs, runAblation, seasonalScale, wql } from '../../../analysis/ablation';
import { formatHead, headGrid, headKey, parseHeads, randomControlSets, topHeads } from '../../../analysis/heads';
import { percentileOf, zScoreOf } from '../../../analysis/stats';
import { MosaicResult } from '../../../analysis/types';
import { fixtures, sharedData } from '../helpers';

const near = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);
const grid = { layers: { encoder: 2, decoder: 3, cross: 3 }, heads: 4 };

test('parseHeads: L3.H5 style, kinds, separators, duplicates, errors', () => {
  assert.deepEqual(parseHeads('L1.H2, cross:L0.H3 encoder:1.0;dec:L2.H1,x:2.0,L1.H2', grid), [
    { kind: 'cross', layer: 1, head: 2 },
    { kind: 'cross', layer: 0, head: 3 },
    { kind: 'encoder', layer: 1, head: 0 },
    { kind: 'decoder', layer: 2, head: 1 },
    { kind: 'cross', layer: 2, head: 0 },
  ]);
  assert.deepEqual(parseHeads('l0.h1', grid, 'encoder'), [{ kind: 'encoder', layer: 0, head: 1 }]);
  assert.throws(() => parseHeads('', grid), /no heads given/);
  assert.throws(() => parseHeads('L1H2', grid), /cannot read head "L1H2"/);
  assert.throws(() => parseHeads('foo:L1.H2', grid), /unknown attention kind "foo"/);
  assert.throws(() => parseHeads('encoder:L2.H0', grid), /encoder layer 2 does not exist \(the model has 2, L0\.\.L1\)/);
  assert.throws(() => parseHeads('L0.H4', grid), /head 4 does not exist \(the model has 4 per layer, H0\.\.H3\)/);
  assert.equal(formatHead({ kind: 'decoder', layer: 2, head: 1 }), 'decoder:L2.H1');
});

test('topHeads: by max(center, right), per side, across kinds, ties in order', () => {
  const kind = (c: number[][], r: number[][]) => ({ layers: c.length, heads: c[0].length, center: c, right: r, stderr: { center: c, right: r }, counts: { center: 0, right: 0, total: 0, heads: 0, percent: 0 } });
  const m = { cross: kind([[0.1, 0.5], [0.3, 0.2]], [[0.6, 0.0], [0.1, 0.5]]), encoder: kind([[0.9, 0.0]], [[0.0, 0.0]]) } as unknown as MosaicResult;
  assert.deepEqual(topHeads(m, 3).map(formatHead), ['cross:L0.H0', 'cross:L0.H1', 'cross:L1.H1']);
  assert.deepEqual(topHeads(m, 1, { side: 'center' }).map(formatHead), ['cross:L0.H1']);
  assert.deepEqual(topHeads(m, 2, { kinds: ['cross', 'encoder'] }).map(formatHead), ['encoder:L0.H0', 'cross:L0.H0']);
  assert.throws(() => topHeads(m, 2, { kinds: ['decoder'] }), /no decoder scores/);
  assert.throws(() => topHeads(m, 5), /top 5 heads requested but the mosaic has 4/);
});

test('control sets: seeded, same size and kind mix, outside the ablated set', () => {
  const like = parseHeads('L0.H0,L1.H1,encoder:L0.H2', grid);
  const a = randomControlSets(grid, like, 50, 9);
  assert.deepEqual(a, randomControlSets(grid, like, 50, 9));
  assert.notDeepEqual(a, randomControlSets(grid, like, 50, 10));
  const taken = new Set(like.map(headKey));
  for (const set of a) {
    assert.equal(set.filter((h) => h.kind === 'cross').length, 2);
    assert.equal(set.filter((h) => h.kind === 'encoder').length, 1);
    assert.equal(new Set(set.map(headKey)).size, 3);
    assert.ok(set.every((h) => !taken.has(headKey(h))));
  }
  // Every eligible cross head shows up over many draws.
  assert.equal(new Set(a.flat().filter((h) => h.kind === 'cross').map(headKey)).size, 12 - 2);
  assert.throws(() => randomControlSets({ layers: { encoder: 1, decoder: 1, cross: 1 }, heads: 2 }, parseHeads('L0.H0,L0.H1', grid), 1, 0), /only 0 cross heads are outside/);
});

test('forecast metrics on hand-computed cases', () => {
  const insample = [1, 2, 3, 5, 4, NaN, 6];
  near(seasonalScale(insample, 1), (1 + 1 + 2 + 1) / 4); // pairs with a missing value are skipped
  near(seasonalScale(insample, 2), (2 + 3 + 1 + 2) / 4); // 3-1, 5-2, 4-3, 6-4
  near(mae([1, NaN, 5], [2, 100, 2]), 2);
  near(mase([1, NaN, 5], [2, 100, 2], insample, 1), 2 / 1.25);
  // WQL: levels 0.1, 0.5, 0.9 on y = [10, 20].
  const y = [10, 20];
  const q = [[8, 15], [10, 22], [13, 25]];
  const pin = (t: number, f: number, l: number) => (t >= f ? l * (t - f) : (l - 1) * (t - f));
  const want = ([0.1, 0.5, 0.9].map((l, j) => (2 * (pin(10, q[j][0], l) + pin(20, q[j][1], l))) / 30).reduce((a, b) => a + b)) / 3;
  near(wql(y, q, [0.1, 0.5, 0.9]), want);
  near(wql([10, 20], [[10, 20]], [0.5]), 0);
  // Percentile (ties half) and z-score.
  near(percentileOf(3, [1, 2, 3, 4]), 62.5);
  near(percentileOf(9, [1, 2]), 100);
  near(zScoreOf(4, [1, 2, 3]), 2);
  assert.ok(Number.isNaN(percentileOf(1, [])));
  assert.equal(zScoreOf(1, [1, 1]), 0);
});

let model: ChronosModel;
before(async () => {
  model = await ChronosModel.load(path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32'), { cacheDir: null, provider: 'cpu', threads: 1 });
});
after(async () => model.dispose());

test('induction batch layout', () => {
  const b = inductionBatch(model, { batch: 3, seqLen: 5, repeats: 3, subExtension: 2, seed: 4 });
  assert.equal(b.encoder.length, 6);
  for (let i = 0; i < 3; i++) {
    const e = b.encoder[i];
    const s = e.slice(0, 5);
    assert.deepEqual(e, [...s, ...s, s[0], s[1], 1]);
    assert.deepEqual(b.labels[i], s.slice(2));
    assert.deepEqual(b.decoder[i], [0, s[2], s[3]]);
    const c = b.encoder[3 + i];
    assert.equal(c.length, e.length);
    assert.deepEqual(c.slice(10), e.slice(10), 'control keeps S[:sub] and EOS');
    assert.notDeepEqual(c.slice(0, 10), e.slice(0, 10));
    assert.deepEqual(b.labels[3 + i], b.labels[i]);
  }
  assert.throws(() => inductionBatch(model, { vocab: [4000, 4096] }), /outside t5-relu-v4096-f32's vocabulary \(0\.\.4095\)/);
});

test('induction loss equals the log-likelihood from the KV-cache decoder (an independent path)', async () => {
  const b = inductionBatch(model, { batch: 4, seqLen: 6, subExtension: 1, seed: 11 });
  const ab = buildAblation(model, parseHeads('L1.H2,encoder:L0.H1', headGrid(model.config)), 'zero');
  for (const ablation of [undefined, ab]) {
    const got = await inductionLoss(model, b, ablation);
    const perRow: number[] = [];
    for (let i = 0; i < b.encoder.length; i++) {
      const e = b.encoder[i];
      const enc = await model.encode({ data: e, dims: [1, e.length] }, { data: e.map(() => 1), dims: [1, e.length] }, { crossKv: true }, ablation);
      let cache = model.emptyCache(1);
      let acc = 0;
      for (let s = 0; s < b.labels[i].length; s++) {
        const r = await model.decodeStep(enc.state!, [b.decoder[i][s]], cache, {}, ablation);
        cache = r.cache;
        const lg = Array.from(r.logits.data);
        const mx = Math.max(...lg);
        const lse = mx + Math.log(lg.reduce((a, v) => a + Math.exp(v - mx), 0));
        acc += lse - lg[b.labels[i][s]];
      }
      perRow.push(acc / b.labels[i].length);
    }
    near(got.repeated, perRow.slice(0, 4).reduce((a, v) => a + v) / 4, 1e-4);
    near(got.control, perRow.slice(4).reduce((a, v) => a + v) / 4, 1e-4);
  }
  const plain = await inductionLoss(model, b);
  const ablated = await inductionLoss(model, b, ab);
  assert.ok(Math.abs(plain.repeated - ablated.repeated) > 1e-4, 'ablation changes the loss');
});

test('mean ablation: means over the reference batch; the identity where the mean is the output itself', async () => {
  // One sequence, continuation of length 1: the decoder has one position, so a cross head's mean over
  // the reference batch is exactly its output there, and mean-ablating it changes nothing.
  const opts = { batch: 1, seqLen: 4, subExtension: 3, seed: 5 };
  const b = inductionBatch(model, opts);
  const heads = parseHeads('L0.H0,L1.H2,decoder:L1.H1', headGrid(model.config));
  const ref = { ...b, encoder: b.encoder.slice(0, 1), decoder: b.decoder.slice(0, 1) };
  const means = await meanHeadOutputs(model, heads, ref);
  const direct = await model.forward({ inputIds: { data: ref.encoder[0], dims: [1, ref.encoder[0].length] }, attentionMask: { data: ref.encoder[0].map(() => 1), dims: [1, ref.encoder[0].length] }, decoderInputIds: { data: ref.decoder[0], dims: [1, 1] } }, { headOutputs: ['cross', 'decoder'] });
  const out = direct.headOutputs!.cross![1];
  assert.deepEqual(Array.from(means.get('cross:L1.H2')!), Array.from(out.data.subarray(2 * 8, 3 * 8)));
  const base = await inductionLoss(model, b);
  const meanAb = await inductionLoss(model, b, buildAblation(model, heads, 'mean', means));
  const zeroAb = await inductionLoss(model, b, buildAblation(model, heads, 'zero'));
  near(meanAb.repeated, base.repeated, 1e-5);
  assert.ok(Math.abs(zeroAb.repeated - base.repeated) > 1e-4);
  assert.throws(() => buildAblation(model, heads, 'mean', new Map()), /no mean output for cross:L0.H0/);
});

test('runAblation: controls, percentiles, manifest, CSV metrics; deterministic', async () => {
  const mosaic = JSON.parse(await fsp.readFile(path.join(fixtures, 'mosaic', 'mosaic-t5-relu-v4096-f32.json'), 'utf8'));
  const heads = topHeads({ cross: { layers: 2, heads: 3, center: mosaic.cross.center, right: mosaic.cross.right } } as unknown as MosaicResult, 2);
  const air = await readCsvFile(path.join(sharedData, 'AirPassengers.csv'));
  const opts = {
    heads,
    method: 'mean' as const,
    controls: 3,
    controlSeed: 2,
    induction: { batch: 20, seed: 3 },
    series: { values: air.values, file: 'AirPassengers.csv', column: air.column, heldOut: 12, numSamples: 4, seed: 1 },
    meanReference: { batch: 10, seed: 4 },
  };
  const fractions: number[] = [];
  const r = await runAblation(model, { ...opts, onProgress: (u) => fractions.push(u.fraction ?? NaN) });
  assert.deepEqual(r.heads, heads);
  assert.equal(r.method, 'mean');
  assert.equal(r.controlSets.length, 3);
  assert.deepEqual(r.meanReference, { batch: 10, seed: 4 });
  assert.deepEqual(r.data, { inductionLoss: true, csv: { file: 'AirPassengers.csv', column: air.column, heldOut: 12, period: 12 } });
  assert.deepEqual(r.metrics.map((m) => m.name), ['induction_loss', 'induction_loss_control', 'mase', 'wql', 'mae_median']);
  for (const m of r.metrics) {
    assert.equal(m.controls.length, 3);
    assert.ok([m.unablated, m.ablated, ...m.controls].every(Number.isFinite), m.name);
    near(m.percentile, percentileOf(m.ablated, m.controls));
    const z = zScoreOf(m.ablated, m.controls);
    if (Number.isNaN(z)) assert.ok(Number.isNaN(m.zScore));
    else near(m.zScore, z);
  }
  assert.deepEqual(r.manifest.seeds, { controls: 2, tokens: 3, meanReference: 4, forecast: 1 });
  assert.equal(r.manifest.command, 'ablate');
  assert.equal(r.manifest.model.hash, await model.hash());
  assert.ok(fractions.every((f, i) => i === 0 || f >= fractions[i - 1] - 1e-12), 'progress is monotone');
  near(fractions[fractions.length - 1], 1, 1e-9);
  // The unablated induction loss is the plain one.
  near(r.metrics[0].unablated, (await inductionLoss(model, inductionBatch(model, { batch: 20, seed: 3 }))).repeated, 1e-12);
  // Reproducible from its parameters.
  const again = await runAblation(model, opts);
  assert.deepEqual(again.metrics, r.metrics);
  assert.deepEqual(again.controlSets, r.controlSets);
});

test('runAblation: bad input and cancellation', async () => {
  await assert.rejects(runAblation(model, { heads: [] }), /no heads to ablate/);
  const h = parseHeads('L0.H0', headGrid(model.config));
  await assert.rejects(runAblation(model, { heads: [...h, ...h] }), /listed twice/);
  await assert.rejects(runAblation(model, { heads: h, induction: false }), /nothing to measure/);
  await assert.rejects(runAblation(model, { heads: h, method: 'bogus' as 'zero' }), /unknown ablation method "bogus"/);
  await assert.rejects(runAblation(model, { heads: h, induction: false, series: { values: [1, 2, 3], file: 'f.csv', column: 'v', heldOut: 2 } }), /f\.csv column "v" has 3 values; holding out 2/);
  const ac = new AbortController();
  const p = runAblation(model, { heads: h, controls: 50, induction: { batch: 10 }, signal: ac.signal, onProgress: (u) => (u.fraction ?? 0) > 0.05 && ac.abort() });
  await assert.rejects(p, (e: Error) => e.name === 'CancelledError');
});
