/** MeanScaleUniformBins and T5 position buckets, bit for bit against chronos-forecasting / transformers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseModelConfig } from '../../../models/config';
import { MeanScaleUniformBins, torchLinspaceF32, torchNansumF32 } from '../../../models/tokenizer';
import { bucketTable, relativePositionBucket } from '../../../models/t5/buckets';
import { fixtures, loadFixture } from '../helpers';

/** JSON cannot hold inf/nan; the fixture writes them as strings. */
function num(v: number | string | null): number {
  if (v === null || v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return Number(v);
}

interface TokCase {
  name: string;
  config: string;
  context: (number | string | null)[][];
  token_ids: number[][];
  attention_mask: number[][];
  scale: (number | string)[];
  sample_ids: number[];
  decoded: (number | string)[][];
}

function chronosConfigFrom(cc: Record<string, unknown>) {
  return parseModelConfig(JSON.stringify({ vocab_size: cc.n_tokens, d_model: 8, d_kv: 2, d_ff: 8, num_layers: 1, num_heads: 4, chronos_config: cc })).chronos;
}

test('bin centres and boundaries equal torch.linspace float32 bit for bit', async () => {
  const { meta, arrays } = await loadFixture(path.join(fixtures, 'tokenizer', 'bins.json'));
  const byN = meta.by_n_tokens as Record<string, { centers: string; boundaries: string }>;
  for (const [n, names] of Object.entries(byN)) {
    const cc = { n_tokens: Number(n), n_special_tokens: 2, tokenizer_kwargs: { low_limit: meta.low_limit, high_limit: meta.high_limit } };
    const tok = new MeanScaleUniformBins(chronosConfigFrom(cc));
    assert.deepEqual(Array.from(tok.centers), Array.from(arrays.get(names.centers)!.data), `centres for n_tokens ${n}`);
    assert.deepEqual(Array.from(tok.boundaries), Array.from(arrays.get(names.boundaries)!.data), `boundaries for n_tokens ${n}`);
  }
  assert.deepEqual(Array.from(torchLinspaceF32(0, 1, 5)), [0, 0.25, 0.5, 0.75, 1]);
});

test("scale uses torch's float32 cascade summation order (it differs from an exact sum)", () => {
  // 512 values near 5e4: the float32 partial sums lose bits, in torch's particular order.
  const values = Array.from({ length: 512 }, (_, i) => 50000 + ((i * 7919) % 1000) + 0.37 * i);
  const exact = values.reduce((a, b) => a + Math.abs(Math.fround(b)), 0);
  const ours = torchNansumF32(values.map(Math.fround));
  assert.notEqual(ours, Math.fround(exact), 'this vector should expose float32 rounding');
  assert.ok(Math.abs(ours - exact) / exact < 1e-6);
  assert.equal(torchNansumF32([1, NaN, 2, 3]), 6);
  assert.equal(torchNansumF32([NaN, NaN]), 0);
});

test('context_input_transform and output_transform match chronos on every vector', async () => {
  const fx = JSON.parse(await fsp.readFile(path.join(fixtures, 'tokenizer', 'mean-scale-uniform-bins.json'), 'utf8'));
  const cases = fx.cases as TokCase[];
  assert.ok(cases.length >= 20);
  for (const c of cases) {
    const tok = new MeanScaleUniformBins(chronosConfigFrom(fx.configs[c.config].chronos_config));
    const width = c.token_ids[0].length;
    c.context.forEach((row, r) => {
      const values = row.map(num);
      const enc = tok.encode(values);
      // chronos left-pads a batch to the longest series with NaN; rows here share one length
      assert.equal(enc.ids.length, width, `${c.name}[${r}] length`);
      assert.deepEqual(Array.from(enc.ids), c.token_ids[r], `${c.name}[${r}] token ids`);
      assert.deepEqual(Array.from(enc.mask), c.attention_mask[r], `${c.name}[${r}] mask`);
      assert.equal(enc.scale, num(c.scale[r]), `${c.name}[${r}] scale`);
      const dec = tok.decode(c.sample_ids, enc.scale);
      assert.deepEqual(Array.from(dec), c.decoded[r].map((v) => Math.fround(num(v))), `${c.name}[${r}] decoded`);
    });
  }
});

test('relative position buckets equal transformers for every relative position and config', async () => {
  const fx = JSON.parse(await fsp.readFile(path.join(fixtures, 'tokenizer', 'relative-position-buckets.json'), 'utf8'));
  const rel = fx.relative_positions as number[];
  for (const t of fx.tables as { num_buckets: number; max_distance: number; bidirectional: number[]; causal: number[] }[]) {
    for (const [bidir, expected] of [[true, t.bidirectional], [false, t.causal]] as const) {
      const ours = rel.map((r) => relativePositionBucket(r, bidir, t.num_buckets, t.max_distance));
      assert.deepEqual(ours, expected, `buckets ${t.num_buckets}/${t.max_distance} ${bidir ? 'bidirectional' : 'causal'}`);
      const { radius, table } = bucketTable(bidir, t.num_buckets, t.max_distance);
      const viaTable = rel.map((r) => Number(table[Math.max(-radius, Math.min(radius, r)) + radius]));
      assert.deepEqual(viaTable, expected, 'clipped table lookup');
    }
  }
});
