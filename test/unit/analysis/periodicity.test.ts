/**
 * Periodicity: periods of synthetic and real series (AirPassengers 12, ETTh1 24), none in noise; head
 * scores checked exactly on hand-made attention patterns, and shape / consistency on a real lens.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readCsvFile } from '../../../core/csv';
import { Rng } from '../../../core/rng';
import { ChronosModel } from '../../../models/model';
import { AttentionLens } from '../../../analysis/lens';
import { EncoderAttentionSource, autocorrelation, computePeriodicity, detectPeriods, detrended, headPeriodScores, periodicity } from '../../../analysis/periodicity';
import { fixtures, sharedData } from '../helpers';

const near = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('detrend and autocorrelation', () => {
  const x = detrended([1, NaN, 3, 4, NaN, NaN, 7]);
  x.forEach((v) => near(v, 0)); // a line with gaps becomes 0
  const r = autocorrelation([1, -1, 1, -1, 1, -1], 3);
  near(r[0], 1);
  near(r[1], -5 / 6);
  near(r[2], 4 / 6);
});

test('detectPeriods: synthetic periods, harmonics dropped, noise has none', () => {
  const rng = new Rng(3);
  const s12 = Array.from({ length: 300 }, (_, i) => 0.5 * i + 10 * Math.sin((2 * Math.PI * i) / 12) + rng.normal());
  const p = detectPeriods(s12);
  assert.equal(p[0].period, 12);
  assert.ok(p[0].strength > 0.7);
  assert.ok(!p.some((q) => q.period === 24 || q.period === 36), 'multiples of 12 are harmonics');
  const two = Array.from({ length: 600 }, (_, i) => 5 * Math.sin((2 * Math.PI * i) / 7) + 8 * Math.sin((2 * Math.PI * i) / 50) + 0.3 * rng.normal());
  const ps = detectPeriods(two).map((q) => q.period);
  assert.ok(ps.includes(7) && ps.some((q) => Math.abs(q - 50) <= 1), `periods ${ps}`);
  const noise = Array.from({ length: 500 }, () => rng.normal());
  assert.deepEqual(detectPeriods(noise), []);
  assert.deepEqual(detectPeriods([1, 2, 3]), []);
  // Missing values do not break it.
  const gappy = s12.map((v, i) => (i % 17 === 5 ? NaN : v));
  assert.equal(detectPeriods(gappy)[0].period, 12);
});

test('detectPeriods on real data: monthly 12, hourly 24, sunspots ~11 years, none in oil temperature', async () => {
  const periods = async (file: string, column?: string, tailRows?: number) => detectPeriods((await readCsvFile(path.join(sharedData, file), { column, tailRows })).values).map((p) => p.period);
  assert.deepEqual(await periods('AirPassengers.csv'), [12]);
  assert.deepEqual(await periods('monthly-car-sales.csv'), [12]);
  const hufl = await periods('ETTh1.csv', 'HUFL', 512);
  assert.equal(hufl[0], 24, `HUFL ${hufl}`); // daily first (the weekly 168 may follow)
  assert.ok(!hufl.includes(48) && !hufl.includes(144), `HUFL ${hufl}`);
  const sun = await periods('monthly-sunspots.csv');
  assert.ok(sun.length === 1 && sun[0] >= 120 && sun[0] <= 135, `sunspots ${sun}`); // the ~11-year cycle, not its echo at ~2x
  // ETTh1's oil temperature over the last 512 hours: a weak daily hump on a slow drift, not a period.
  assert.deepEqual(await periods('ETTh1.csv', 'OT', 512), []);
});

/** Hand-made attention: every layer/head built from a row function. */
function source(T: number, heads: ((q: number, j: number) => number)[], withEos = true): EncoderAttentionSource {
  const te = withEos ? T + 1 : T;
  const data = new Float32Array(heads.length * te * te);
  heads.forEach((f, h) => {
    for (let q = 0; q < te; q++) {
      let s = 0;
      for (let j = 0; j < te; j++) s += f(q, j);
      for (let j = 0; j < te; j++) data[(h * te + q) * te + j] = s > 0 ? f(q, j) / s : 0;
    }
  });
  return { layers: 1, heads: heads.length, contextLength: T, mask: new Uint8Array(T).fill(1), encoderAttention: () => ({ data, dims: [heads.length, te, te] }) };
}

test('head scores: exact values on hand-made heads', () => {
  const T = 48;
  const P = 6;
  const src = source(T, [
    () => 1, // uniform over every key (EOS included)
    (q, j) => (j === q - P || (q < P && j === q + P) ? 1 : 0), // one period back (forward near the start)
    (q, j) => (j < T && j % P === 0 ? 1 : 0), // every P-th position
    (q, j) => (j === q ? 1 : 0), // self
  ]);
  const s = headPeriodScores(src, P);
  // A uniform head is its own baseline.
  near(s.ratio[0][0], 1, 1e-6);
  near(s.mass[0][0], s.uniform[0][0], 1e-6);
  // Expected uniform baseline: mean over queries of |lag set| / (T + 1).
  let u = 0;
  for (let q = 0; q < T; q++) {
    let c = 0;
    for (let j = 0; j < T; j++) {
      const d = Math.abs(j - q);
      const k = Math.round(d / P);
      if (k >= 1 && Math.abs(d - k * P) <= 1) c++;
    }
    u += c / (T + 1);
  }
  near(s.uniform[0][1], u / T, 1e-12);
  near(s.mass[0][1], 1, 1e-6); // all mass one period away
  near(s.ratio[0][1], 1 / s.uniform[0][1], 1e-6);
  assert.ok(s.ratio[0][1] > 1.5);
  near(s.mass[0][3], 0, 1e-12); // self-attention is at lag 0
  // Spectrum: the every-P head is periodic, uniform has no variance, self is a single spike.
  near(s.spectrum[0][2], 1, 1e-6);
  near(s.spectrum[0][0], 0, 1e-12);
  assert.ok(s.spectrum[0][3] < 0.2 && s.spectrum[0][1] < 0.2, `spike heads ${s.spectrum[0][3]} ${s.spectrum[0][1]}`);
  assert.throws(() => headPeriodScores(src, 1), /period must be an integer >= 2/);
});

let model: ChronosModel;
before(async () => {
  model = await ChronosModel.load(path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32'), { cacheDir: null, provider: 'cpu', threads: 1 });
});
after(async () => model.dispose());

test('periodicity of a real series on a real lens', async () => {
  const air = await readCsvFile(path.join(sharedData, 'AirPassengers.csv'));
  const lens = await AttentionLens.compute(model, air.values);
  const r = periodicity(lens, air.values);
  assert.equal(r.periods[0].period, 12);
  assert.equal(r.headScores.period, 12);
  assert.equal(r.headScores.kind, 'encoder');
  for (const m of [r.headScores.mass, r.headScores.uniform, r.headScores.ratio, r.spectrum!]) {
    assert.equal(m.length, 2);
    assert.equal(m[0].length, 3);
  }
  for (let l = 0; l < 2; l++) for (let h = 0; h < 3; h++) {
    const { mass, uniform, ratio } = r.headScores;
    assert.ok(mass[l][h] > 0 && mass[l][h] < 1);
    near(uniform[l][h], uniform[0][0]);
    near(ratio[l][h], mass[l][h] / uniform[l][h], 1e-12);
    assert.ok(r.spectrum![l][h] >= 0 && r.spectrum![l][h] <= 1);
  }
  const given = periodicity(lens, air.values, { period: 7 });
  assert.equal(given.headScores.period, 7);
  assert.notDeepEqual(given.headScores.mass, r.headScores.mass);
  const viaModel = await computePeriodicity(model, air.values);
  assert.deepEqual(viaModel.headScores, r.headScores);
  const rng = new Rng(1);
  const noise = Array.from({ length: 200 }, () => 10 + rng.normal());
  const nl = await AttentionLens.compute(model, noise);
  assert.throws(() => periodicity(nl, noise), /no dominant period in the context \(200 values\)/);
});
