/**
 * Forecasts against chronos-forecasting's ChronosPipeline.predict on a fixture checkpoint: the
 * tokenized context and teacher-forced logits must match exactly / to 1e-4; sampled quantiles and means
 * (4000 samples each side) must agree within Monte Carlo error, with the extension of long horizons by
 * the lower median checked the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosModel } from '../../../models/model';
import { forecast, lowerMedian, quantileLinear, sampleToken, kthLargest } from '../../../analysis/forecast';
import { Rng } from '../../../core/rng';
import { fixtures, loadFixture, maxAbsDiff, repoRoot } from '../helpers';

interface Ref {
  checkpoint: string;
  context: (number | null)[];
  prediction_length: number;
  num_samples: number;
  quantile_levels: number[];
  quantiles: number[][];
  fraction_le_quantile: number[][];
  fraction_lt_quantile: number[][];
  mean: number[];
  std: number[];
  scale?: number[];
  rounds?: { context_length: number; scale: number[] }[];
}

async function ref(name: string): Promise<Ref> {
  return JSON.parse(await fsp.readFile(path.join(fixtures, 'forecast', name), 'utf8')) as Ref;
}

/**
 * Distributional agreement: at each reference quantile value v, the fraction of our samples <= v must
 * lie within the reference's [P(X < v), P(X <= v)] band (values are discrete bin centres), widened by
 * 4.5 standard errors of the two binomial estimates; means agree within 4.5 combined standard errors.
 */
function assertSameDistribution(r: Ref, samples: Float32Array[], label: string): void {
  const n = samples.length;
  const steps = r.prediction_length;
  for (let s = 0; s < steps; s++) {
    const col = samples.map((p) => p[s]);
    r.quantile_levels.forEach((q, j) => {
      const v = r.quantiles[j][s];
      const le = col.filter((x) => x <= v + 1e-4 * Math.abs(v)).length / n;
      const sigma = Math.sqrt(q * (1 - q) * (1 / n + 1 / r.num_samples));
      const lo = r.fraction_lt_quantile[j][s] - 4.5 * sigma;
      const hi = r.fraction_le_quantile[j][s] + 4.5 * sigma;
      assert.ok(le >= lo && le <= hi, `${label} step ${s} q${q}: our P(X <= ${v.toFixed(3)}) = ${le}, reference band [${lo.toFixed(4)}, ${hi.toFixed(4)}]`);
    });
    const m = col.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
    const se = Math.sqrt(sd ** 2 / n + r.std[s] ** 2 / r.num_samples);
    assert.ok(Math.abs(m - r.mean[s]) <= 4.5 * se, `${label} step ${s}: mean ${m} vs reference ${r.mean[s]} (se ${se})`);
  }
}

test('tokenized context and teacher-forced logits equal the reference', async () => {
  const { meta, arrays } = await loadFixture(path.join(fixtures, 'forecast', 'forecast.json'));
  const model = await ChronosModel.load(path.join(repoRoot, String(meta.checkpoint)), { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    const ctx = (meta.context as (number | null)[]).map((v) => (v === null ? NaN : v));
    const tok = model.tokenizer.encode(ctx);
    assert.deepEqual(Array.from(tok.ids), arrays.get('input_ids')!.data);
    assert.deepEqual(Array.from(tok.mask), arrays.get('attention_mask')!.data);
    assert.equal(tok.scale, (meta.scale as number[])[0]);
    const dec = arrays.get('decoder_input_ids')!;
    const r = await model.forward(
      { inputIds: { data: tok.ids, dims: [1, tok.ids.length] }, attentionMask: { data: tok.mask, dims: [1, tok.mask.length] }, decoderInputIds: { data: dec.data as number[], dims: [1, dec.shape[1]] } },
      { logits: true },
    );
    const d = maxAbsDiff(r.logits!.data, arrays.get('teacher_forced_logits')!.data as Float32Array);
    assert.ok(d <= 1e-4, `teacher-forced logits max abs error ${d}`);
  } finally {
    await model.dispose();
  }
});

test('4000 sampled paths agree with ChronosPipeline.predict within Monte Carlo error', async () => {
  const r = await ref('forecast.json');
  const model = await ChronosModel.load(path.join(repoRoot, r.checkpoint), { cacheDir: null, provider: 'cpu' });
  try {
    const ctx = r.context.map((v) => (v === null ? NaN : v));
    const f = await forecast(model, ctx, { predictionLength: r.prediction_length, numSamples: 4000, seed: 7 });
    assert.equal(f.samples.length, 4000);
    assert.equal(f.contextLengthUsed, ctx.length);
    assert.deepEqual(f.warnings, []);
    assertSameDistribution(r, f.samples, 'forecast');
    // reproducible from the seed, different for another seed
    const again = await forecast(model, ctx, { predictionLength: 3, numSamples: 50, seed: 7 });
    const same = await forecast(model, ctx, { predictionLength: 3, numSamples: 50, seed: 7 });
    const other = await forecast(model, ctx, { predictionLength: 3, numSamples: 50, seed: 8 });
    assert.deepEqual(again.quantiles, same.quantiles);
    assert.notDeepEqual(again.samples.map((s) => Array.from(s)), other.samples.map((s) => Array.from(s)));
  } finally {
    await model.dispose();
  }
});

test('horizons beyond the model prediction_length extend by the lower median, with a warning', async () => {
  const r = await ref('forecast-extended.json');
  const model = await ChronosModel.load(path.join(repoRoot, r.checkpoint), { cacheDir: null, provider: 'cpu' });
  try {
    const ctx = r.context.map((v) => (v === null ? NaN : v));
    const f = await forecast(model, ctx, { predictionLength: r.prediction_length, numSamples: 2000, seed: 11 });
    assert.equal(f.warnings.length, 1);
    assert.match(f.warnings[0], /We recommend keeping prediction length <= 8/);
    assert.equal(f.samples[0].length, 20);
    assertSameDistribution(r, f.samples, 'extended');
    await assert.rejects(forecast(model, ctx, { predictionLength: 20, numSamples: 2, limitPredictionLength: true }), /We recommend keeping prediction length <= 8/);
  } finally {
    await model.dispose();
  }
});

test('first-step sampling frequencies match the top-k softmax probabilities', async () => {
  const { arrays } = await loadFixture(path.join(fixtures, 'forecast', 'forecast.json'));
  const logits = arrays.get('teacher_forced_logits')!;
  const probs = arrays.get('first_step_probs')!.data as Float32Array;
  const V = logits.shape[2];
  const row = (logits.data as Float32Array).subarray(0, V);
  const rng = new Rng(3);
  const counts = new Float64Array(V);
  const scratch = new Float64Array(V);
  const N = 40000;
  for (let i = 0; i < N; i++) counts[sampleToken(row, 0, V, { temperature: 1, topK: 50, topP: 1, forbidden: [1] }, rng, scratch)]++;
  let worst = 0;
  for (let v = 0; v < V; v++) {
    const p = probs[v];
    const se = Math.sqrt(Math.max(p * (1 - p), 1e-9) / N);
    worst = Math.max(worst, Math.abs(counts[v] / N - p) / se);
    if (p === 0) assert.equal(counts[v], 0, `token ${v} has probability 0 but was drawn`);
  }
  assert.ok(worst < 5, `a token's frequency is ${worst.toFixed(1)} standard errors from its probability`);
  assert.equal(counts[1], 0, 'EOS must never be drawn');
});

test('quantile and median helpers follow torch semantics; top-k keeps ties', () => {
  assert.equal(quantileLinear([3, 1, 2, 4], 0.5), 2.5);
  assert.equal(quantileLinear([1, 2, 3, 4, 5], 0.1), 1.4);
  assert.equal(lowerMedian([4, 1, 3, 2]), 2);
  assert.equal(lowerMedian([5, 1, 3]), 3);
  const x = Float64Array.from([1, 5, 5, 3, 5, 2]);
  assert.equal(kthLargest(x, 6, 2), 5);
  assert.equal(kthLargest(x, 6, 4), 3);
  // top-k with k = 2 over logits [0, 10, 10, 10]: the three tied maxima all stay
  const rng = new Rng(1);
  const seen = new Set<number>();
  const scratch = new Float64Array(4);
  for (let i = 0; i < 300; i++) seen.add(sampleToken(Float32Array.from([0, 10, 10, 10]), 0, 4, { temperature: 1, topK: 2, topP: 1 }, rng, scratch));
  assert.deepEqual([...seen].sort(), [1, 2, 3]);
  // top-p keeps the smallest set reaching p
  const seenP = new Set<number>();
  for (let i = 0; i < 300; i++) seenP.add(sampleToken(Float32Array.from([Math.log(0.6), Math.log(0.3), Math.log(0.1)]), 0, 3, { temperature: 1, topK: 0, topP: 0.8 }, rng, scratch));
  assert.deepEqual([...seenP].sort(), [0, 1]);
});
