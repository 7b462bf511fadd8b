/**
 * The attention lens: rows answered from memory must equal the model's own attention probabilities
 * (encoder self-attention; cross-attention of the decoder teacher-forced with the forecast), with
 * correct top-k and same-token positions, layer / head selection and errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ChronosModel } from '../../../models/model';
import { AttentionLens, sameTokenPositions, topK } from '../../../analysis/lens';
import { fixtures } from '../helpers';

let model: ChronosModel;
before(async () => {
  // 2 encoder / 3 decoder layers, 4 heads, context_length 512
  model = await ChronosModel.load(path.join(fixtures, 'checkpoints', 't5-relu-tied-f32'), { cacheDir: null, provider: 'cpu', threads: 1 });
});
after(async () => model.dispose());

function series(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 8) + ((i * 37) % 11));
}

test('topK: largest first, ties by position, NaN skipped', () => {
  assert.deepEqual(topK([0.1, 0.5, 0.2, 0.5, NaN, 0.3], 3), [
    { position: 1, weight: 0.5 },
    { position: 3, weight: 0.5 },
    { position: 5, weight: 0.3 },
  ]);
  assert.deepEqual(topK([0.1, 0.2], 5).map((e) => e.position), [1, 0]);
  assert.deepEqual(topK([1], 0), []);
  // Against a full sort on random rows.
  let x = 7;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 20; trial++) {
    const row = Array.from({ length: 100 }, () => Math.round(rnd() * 50) / 50);
    const want = row.map((w, i) => ({ position: i, weight: w })).sort((a, b) => b.weight - a.weight || a.position - b.position).slice(0, 7);
    assert.deepEqual(topK(row, 7), want);
  }
});

test('sameTokenPositions: observed copies of the token and the positions after them', () => {
  const tokens = [5, 7, 5, 9, 5, 5, 0];
  const mask = [1, 1, 1, 1, 1, 1, 0];
  assert.deepEqual(sameTokenPositions(tokens, mask, 5, 4), { sameToken: [0, 2, 5], nextToken: [1, 3, 6] });
  assert.deepEqual(sameTokenPositions(tokens, mask, 5, 5), { sameToken: [0, 2, 4], nextToken: [1, 3] }); // 4+1 = the query itself
  assert.deepEqual(sameTokenPositions(tokens, mask, 0, -1), { sameToken: [], nextToken: [] }); // masked
});

test('encoder rows equal the encoder attention of the series; missing values and long series', async () => {
  const values = series(600); // longer than the context: the last 512 are kept
  values[595] = NaN;
  const lens = await AttentionLens.compute(model, values);
  assert.equal(lens.contextLength, 512);
  assert.equal(lens.offset, 88);
  assert.equal(lens.mask[595 - 88], 0);
  const tc = model.tokenizer.encode(values);
  assert.deepEqual(Array.from(lens.tokens), Array.from(tc.ids.slice(0, 512)));
  const direct = await model.encode({ data: tc.ids, dims: [1, 513] }, { data: tc.mask, dims: [1, 513] }, { encoderAttentions: true });
  for (const p of [0, 100, 511]) {
    const r = lens.rowsAt(p);
    assert.equal(r.kind, 'encoder');
    assert.equal(r.position, p);
    assert.equal(r.rows.length, 2);
    assert.equal(r.rows[0].length, 4);
    for (let l = 0; l < 2; l++) {
      for (let h = 0; h < 4; h++) {
        const want = Array.from(direct.attentions![l].data.subarray((h * 513 + p) * 513, (h * 513 + p) * 513 + 512));
        assert.deepEqual(r.rows[l][h], want);
        assert.deepEqual(r.top[l][h], topK(want, 5));
        assert.ok(r.rows[l][h][595 - 88] < 1e-6, 'no attention on a missing value');
      }
    }
    const same = sameTokenPositions(lens.tokens, lens.mask, lens.tokens[p], p);
    assert.deepEqual({ s: r.sameToken, n: r.nextToken }, { s: same.sameToken, n: same.nextToken });
    assert.ok(r.sameToken.every((q) => lens.tokens[q] === lens.tokens[p] && q !== p));
  }
  assert.ok(lens.rowsAt(300).sameToken.length > 0, 'a periodic series repeats tokens');
  // Selection: one layer, one head.
  const sel = lens.rowsAt(10, { layer: 1, head: 2, topK: 3 });
  assert.deepEqual(sel.rows[0], []);
  assert.deepEqual(sel.rows[1].map((r) => r.length), [0, 0, 512, 0]);
  assert.equal(sel.top[1][2].length, 3);
  const rounded = lens.rowsAt(10, { decimals: 4 });
  rounded.rows.forEach((layer, l) => layer.forEach((row, h) => row.forEach((w, i) => assert.ok(Math.abs(w - lens.rowsAt(10).rows[l][h][i]) <= 5e-5 && Math.abs(w * 1e4 - Math.round(w * 1e4)) < 1e-6))));
  assert.deepEqual(rounded.top, lens.rowsAt(10).top);
  assert.throws(() => lens.rowsAt(0, { decimals: 1.5 }), /decimals must be an integer/);
  assert.throws(() => lens.rowsAt(512), /position 512 is outside the context \(0\.\.511\)/);
  assert.throws(() => lens.rowsAt(0, { layer: 2 }), /encoder layer 2 does not exist/);
  assert.throws(() => lens.rowsAt(0, { head: 4 }), /head 4 does not exist/);
  assert.throws(() => lens.crossAt(0), /no forecast/);
});

test('cross rows: the decoder teacher-forced with the forecast; compute and setForecast agree', async () => {
  const values = series(40);
  const forecast = [55, 60, 52, 48, 50, 57];
  const lens = await AttentionLens.compute(model, values, { forecast });
  assert.equal(lens.contextLength, 40);
  assert.equal(lens.forecastSteps, 6);
  const tc = model.tokenizer.encode(values);
  const ftok = forecast.map((v) => model.tokenizer.tokenOf(v, tc.scale));
  const direct = await model.forward(
    { inputIds: { data: tc.ids, dims: [1, 41] }, attentionMask: { data: tc.mask, dims: [1, 41] }, decoderInputIds: { data: [0, ...ftok.slice(0, 5)], dims: [1, 6] } },
    { crossAttentions: true },
  );
  for (const step of [0, 3, 5]) {
    const r = lens.crossAt(step);
    assert.equal(r.kind, 'cross');
    assert.equal(r.rows.length, 3);
    for (let l = 0; l < 3; l++) for (let h = 0; h < 4; h++) {
      const base = (h * 6 + step) * 41;
      assert.deepEqual(r.rows[l][h], Array.from(direct.crossAttentions![l].data.subarray(base, base + 40)));
    }
    const prev = step === 0 ? lens.tokens[39] : ftok[step - 1];
    assert.ok(r.sameToken.every((q) => lens.tokens[q] === prev));
    assert.equal(r.sameToken.length, Array.from(lens.tokens).filter((t, q) => t === prev && !(step === 0 && q === 39)).length);
  }
  // The decoder sees the forecast: a different forecast changes later rows but not step 0.
  const other = await AttentionLens.compute(model, values, { forecastTokens: ftok.map((t, i) => (i === 0 ? t + 50 : t)) });
  assert.deepEqual(other.crossAt(0).rows, lens.crossAt(0).rows);
  assert.notDeepEqual(other.crossAt(1).rows, lens.crossAt(1).rows);
  // Adding the forecast later gives the same rows.
  const later = await AttentionLens.compute(model, values);
  assert.equal(later.forecastSteps, 0);
  await later.setForecast(model, { values: forecast });
  for (const step of [0, 5]) assert.deepEqual(later.crossAt(step).rows, lens.crossAt(step).rows);
  assert.deepEqual(later.rowsAt(7).rows, lens.rowsAt(7).rows);
  assert.throws(() => lens.crossAt(6), /forecast step 6 is outside 0\.\.5/);
  assert.ok(lens.bytes > 0);
});

test('bad input: empty series, all missing, aborted', async () => {
  await assert.rejects(AttentionLens.compute(model, []), /the series is empty/);
  await assert.rejects(AttentionLens.compute(model, [NaN, NaN]), /no observed values/);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(AttentionLens.compute(model, series(10), { signal: ac.signal }), (e: Error) => e.name === 'CancelledError');
});
