/**
 * Induction mosaics against the Python reference (tools/reference/mosaic_reference.py: transformers'
 * generate(..., output_attentions=True, use_cache=False) in fp32 on the same saved token batch), and
 * the protocol's token batches (any mosaic-<model>.json reference there is checked, the bundled model's included): generation, save / load round trip, validation, series windows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosModel } from '../../../models/model';
import { countHeads, runMosaic, withThreshold } from '../../../analysis/mosaic';
import { parseTokenBatch, randomTokenBatch, readTokenBatch, seriesTokenBatch, writeTokenBatch } from '../../../analysis/tokens';
import { ATTENTION_KINDS, MosaicResult } from '../../../analysis/types';
import { bundledModel, fixtures, repoRoot, withTempDir } from '../helpers';

const TOL = 1e-4;
const mosaicDir = path.join(fixtures, 'mosaic');
const tokensFile = path.join(mosaicDir, 'tokens-rrt-b100-sl10-r2-seed1911.json');

interface RefKind { center: number[][]; right: number[][]; center_stderr: number[][]; right_stderr: number[][]; counts: { center_ge: number; right_ge: number; either_ge: number; heads: number; threshold: number } }
type Ref = { model: string; layers: { encoder: number; decoder: number }; heads: number } & Record<'cross' | 'encoder' | 'decoder', RefKind>;

function maxDiff(a: number[][], b: number[][]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  a.forEach((row, i) => {
    assert.equal(row.length, b[i].length);
    row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j]))));
  });
  return m;
}

function compare(ours: MosaicResult, ref: Ref): Record<string, number> {
  const diffs: Record<string, number> = {};
  for (const k of ATTENTION_KINDS) {
    const m = ours[k]!;
    const r = ref[k];
    assert.equal(m.layers, k === 'encoder' ? ref.layers.encoder : ref.layers.decoder, `${k} layers`);
    assert.equal(m.heads, ref.heads);
    diffs[`${k}.center`] = maxDiff(m.center, r.center);
    diffs[`${k}.right`] = maxDiff(m.right, r.right);
    diffs[`${k}.stderr.center`] = maxDiff(m.stderr.center, r.center_stderr);
    diffs[`${k}.stderr.right`] = maxDiff(m.stderr.right, r.right_stderr);
    assert.deepEqual(
      { c: m.counts.center, r: m.counts.right, t: m.counts.total, n: m.counts.heads },
      { c: r.counts.center_ge, r: r.counts.right_ge, t: r.counts.either_ge, n: r.counts.heads },
      `${k} counts`,
    );
  }
  for (const [k, d] of Object.entries(diffs)) assert.ok(d <= TOL, `${k}: max abs diff ${d} > ${TOL}`);
  return diffs;
}

async function referenceFiles(): Promise<string[]> {
  return (await fsp.readdir(mosaicDir)).filter((f) => f.startsWith('mosaic-') && f.endsWith('.json')).map((f) => path.join(mosaicDir, f)).sort();
}

test('mosaics equal the transformers reference on the same saved batch (every reference fixture)', async (t) => {
  const files = await referenceFiles();
  assert.ok(files.length >= 2, `expected reference mosaics in ${mosaicDir}`);
  const tokens = await readTokenBatch(tokensFile);
  for (const file of files) {
    await t.test(path.basename(file), async (st) => {
      const ref = JSON.parse(await fsp.readFile(file, 'utf8')) as Ref;
      const dir = path.join(repoRoot, ref.model);
      try {
        await fsp.access(path.join(dir, 'config.json'));
      } catch {
        st.skip(`${ref.model} is not there`);
        return;
      }
      const model = await ChronosModel.load(dir, { cacheDir: null, provider: 'cpu', threads: 1 });
      try {
        const res = await runMosaic(model, { tokens, tokensFile: path.relative(repoRoot, tokensFile) });
        const diffs = compare(res, ref);
        st.diagnostic(`${path.basename(file)} max abs diff: ${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
        assert.equal(res.protocol.tokensFile, 'test/fixtures/mosaic/tokens-rrt-b100-sl10-r2-seed1911.json');
        assert.equal(res.protocol.batch, 100);
        assert.equal(res.layers, model.config.t5.numDecoderLayers);
        assert.equal(res.manifest.model.hash, await model.hash());
        // A single kind gives the same numbers through its own (cheaper) graph.
        const enc = await runMosaic(model, { tokens, kinds: ['encoder'] });
        assert.equal(enc.cross, undefined);
        assert.ok(maxDiff(enc.encoder!.center, ref.encoder.center) <= TOL);
        // The test can fail: another batch gives other numbers.
        const other = await runMosaic(model, { kinds: ['cross'], seed: 7 });
        assert.ok(Math.max(maxDiff(other.cross!.center, ref.cross.center), maxDiff(other.cross!.right, ref.cross.right)) > 1e-3, 'a different batch should not match the reference');
      } finally {
        await model.dispose();
      }
    });
  }
});

test('random token batches follow the protocol, are seeded, and round-trip through the file format', async () => {
  const a = randomTokenBatch({ seed: 5 });
  const b = randomTokenBatch({ seed: 5 });
  const c = randomTokenBatch({ seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.encoder_input_ids, c.encoder_input_ids);
  assert.equal(a.encoder_input_ids.length, 100);
  for (let i = 0; i < 100; i++) {
    const e = a.encoder_input_ids[i];
    assert.equal(e.length, 22);
    assert.deepEqual(e.slice(10, 20), e.slice(0, 10));
    assert.equal(e[20], e[0]);
    assert.equal(e[21], 1);
    assert.deepEqual(a.decoder_input_ids[i], [0, e[1]]);
    for (const v of e.slice(0, 20)) assert.ok(v >= 1911 && v <= 2187);
  }
  // Every id of the inclusive range is reachable (both ends).
  const big = randomTokenBatch({ batch: 400, seqLen: 20, vocab: [10, 13], seed: 1 });
  const seen = new Set(big.encoder_input_ids.flatMap((r) => r.slice(0, 20)));
  assert.deepEqual([...seen].sort(), [10, 11, 12, 13]);
  const other = randomTokenBatch({ batch: 3, seqLen: 4, repeats: 3, subExtension: 0, seed: 2 });
  assert.equal(other.encoder_input_ids[0].length, 4 * 3 + 0 + 1);
  assert.deepEqual(other.decoder_input_ids[0], [0, other.encoder_input_ids[0][0]]);

  await withTempDir(async (dir) => {
    const f = path.join(dir, 'batch.json');
    await writeTokenBatch(f, a);
    assert.deepEqual(await readTokenBatch(f), a);
    assert.deepEqual((await fsp.readdir(dir)).sort(), ['batch.json'], 'no temp file left behind');
  });
});

test('token batch files are validated with messages naming the problem', async () => {
  const good = JSON.parse(await fsp.readFile(tokensFile, 'utf8'));
  assert.equal(parseTokenBatch(good).encoder_input_ids.length, 100);
  const broken = (f: (d: typeof good) => void) => {
    const d = structuredClone(good);
    f(d);
    return d;
  };
  assert.throws(() => parseTokenBatch(broken((d) => (d.format = 'x')), 'f.json'), /f\.json: "format" must be "chronos-lens-token-batch"/);
  assert.throws(() => parseTokenBatch(broken((d) => (d.protocol.batch = 99))), /protocol.batch is 99 but there are 100/);
  assert.throws(() => parseTokenBatch(broken((d) => (d.encoder_input_ids[3][12] += 1))), /row 3 does not follow the protocol/);
  assert.throws(() => parseTokenBatch(broken((d) => (d.decoder_input_ids[4][1] += 1))), /row 4 does not follow/);
  assert.throws(() => parseTokenBatch(broken((d) => (d.protocol.subExtension = 10))), /subExtension \(10\) must be < seqLen/);
  assert.throws(() => parseTokenBatch(broken((d) => d.encoder_input_ids[0].pop())), /encoder_input_ids\[0\] must be 22/);
  await assert.rejects(readTokenBatch(path.join(mosaicDir, 'nope.json')), /cannot read token batch/);
});

test('token ids outside the model vocabulary are refused with the range to use', async () => {
  const model = await ChronosModel.load(path.join(fixtures, 'checkpoints', 't5-relu-tied-f32'), { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    await assert.rejects(runMosaic(model, { batch: 4 }), /token id \d+, but t5-relu-tied-f32 has a vocabulary of 512 ids \(0\.\.511\)/);
    const res = await runMosaic(model, { batch: 4, vocab: [100, 400], seqLen: 5, repeats: 3, subExtension: 2, kinds: ['cross', 'decoder'] });
    assert.equal(res.encoder, undefined);
    assert.equal(res.cross!.layers, 3);
    assert.equal(res.decoder!.heads, 4);
    for (const k of [res.cross!, res.decoder!]) for (const row of [...k.center, ...k.right]) for (const v of row) assert.ok(v >= 0 && v <= 1);
  } finally {
    await model.dispose();
  }
});

test('counts at a threshold: center / right / either / percent', () => {
  const c = countHeads([[0.5, 0.1], [0.3, 0.0]], [[0.4, 0.31], [0.1, 0.29]], 0.3);
  assert.deepEqual(c, { center: 2, right: 2, total: 3, heads: 4, percent: 75 });
  const r = { cross: { layers: 1, heads: 2, center: [[0.5, 0.1]], right: [[0.1, 0.2]], stderr: { center: [[0, 0]], right: [[0, 0]] }, counts: c } } as unknown as MosaicResult;
  assert.deepEqual(withThreshold(r, 0.15).cross!.counts, { center: 1, right: 1, total: 2, heads: 2, percent: 100 });
});

let seriesModel: ChronosModel;
before(async () => {
  seriesModel = await ChronosModel.load(path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32'), { cacheDir: null, provider: 'cpu', threads: 1 });
});
after(async () => seriesModel.dispose());

test('data-driven mosaic: windows of the series, tokenized with the series scale', async () => {
  const values = Float64Array.from({ length: 300 }, (_, i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 12) + (i % 7));
  values[50] = NaN; // windows across a missing value are skipped
  const tok = seriesModel.tokenizer;
  const batch = seriesTokenBatch(tok, values, { batch: 30, seqLen: 8, seed: 3, file: 'x.csv', column: 'v' });
  const s = batch.protocol.series!;
  assert.equal(s.scale, tok.scaleOf(values));
  assert.equal(batch.encoder_input_ids.length, 30);
  batch.encoder_input_ids.forEach((row, i) => {
    const st = s.starts[i];
    assert.ok(st + 8 <= 50 || st > 50, `window ${st} crosses the missing value`);
    for (let j = 0; j < 8; j++) assert.equal(row[j], tok.tokenOf(values[st + j], s.scale));
  });
  assert.equal(new Set(s.starts).size, 30, 'distinct windows');
  const res = await runMosaic(seriesModel, { series: { values, file: 'x.csv', column: 'v' }, batch: 30, seqLen: 8, seed: 3, kinds: ['cross'] });
  assert.equal(res.protocol.source, 'series');
  assert.deepEqual(res.protocol.series, { file: 'x.csv', column: 'v', scale: s.scale, windows: 30 });
  // Too short a series: all windows, at least two.
  const short = seriesTokenBatch(tok, [1, 2, 3, 4, 5, 6], { seqLen: 4 });
  assert.equal(short.encoder_input_ids.length, 3);
  assert.throws(() => seriesTokenBatch(tok, [1, 2, NaN, 4, 5], { seqLen: 4, file: 'y.csv' }), /y\.csv has 0 window\(s\) of 4 consecutive observed values/);
});

test('cancellation stops a mosaic between chunks', async () => {
  const ac = new AbortController();
  let chunks = 0;
  const p = runMosaic(seriesModel, {
    batch: 400,
    kinds: ['cross'],
    chunkMs: 0.001, // tiny chunks
    signal: ac.signal,
    onProgress: () => {
      chunks++;
      if (chunks === 2) ac.abort();
    },
  });
  await assert.rejects(p, (e: Error) => e.name === 'CancelledError');
  assert.equal(chunks, 2);
});

test('the bundled model (when it is there): every kind on a small batch', async (t) => {
  try {
    await fsp.access(path.join(bundledModel, 'config.json'));
  } catch {
    t.skip('models/chronos-t5-nano is not there yet');
    return;
  }
  const model = await ChronosModel.load(bundledModel, { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    const r = await runMosaic(model, { batch: 8 });
    const tc = model.config.t5;
    assert.equal(r.cross!.layers, tc.numDecoderLayers);
    assert.equal(r.encoder!.layers, tc.numLayers);
    assert.equal(r.cross!.heads, tc.numHeads);
    for (const k of ATTENTION_KINDS) for (const row of [...r[k]!.center, ...r[k]!.right]) for (const v of row) assert.ok(v >= 0 && v <= 1);
  } finally {
    await model.dispose();
  }
});
