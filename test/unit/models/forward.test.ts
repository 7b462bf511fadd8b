/**
 * The runtime against transformers: for every fixture written by tools/reference/make_fixtures.py
 * (random-weight checkpoints covering relu / gated-gelu, tied / untied, F32 / F16 / BF16, sharded,
 * d_model != heads x d_kv, and the real chronos-dummy-model), our ONNX graphs must reproduce logits,
 * hidden states and every attention probability within 1e-4, with and without head masks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosModel, HeadAblation } from '../../../models/model';
import { FixtureArray, fixtures, loadFixture, maxAbsDiff, repoRoot, sharedData } from '../helpers';

const TOL = 1e-4;

function checkpointDir(meta: Record<string, unknown>): string {
  const p = String(meta.checkpoint);
  if (p.includes('chronos-dummy-model')) return path.join(sharedData, 'chronos-dummy-model');
  return path.join(repoRoot, p);
}

function ids(a: FixtureArray): { data: number[]; dims: [number, number] } {
  return { data: a.data as number[], dims: [a.shape[0], a.shape[1]] };
}

function ablationFrom(model: ChronosModel, arrays: Map<string, FixtureArray>): HeadAblation | undefined {
  const ab = model.newAblation();
  let any = false;
  const pairs: [string, 'encoder' | 'decoder' | 'cross'][] = [['head_mask', 'encoder'], ['decoder_head_mask', 'decoder'], ['cross_attn_head_mask', 'cross']];
  for (const [name, kind] of pairs) {
    const m = arrays.get(name);
    if (!m) continue;
    any = true;
    ab.mask[kind].set(m.data as Float32Array);
  }
  return any ? ab : undefined;
}

async function fixtureCases(kind: string): Promise<string[]> {
  const dir = path.join(fixtures, 'runtime');
  return (await fsp.readdir(dir)).filter((f) => f.endsWith(`.${kind}.json`)).sort().map((f) => path.join(dir, f));
}

for (const kind of ['forward', 'head-mask']) {
  test(`teacher-forced ${kind} matches transformers on every fixture checkpoint`, async (t) => {
    const cases = await fixtureCases(kind);
    assert.ok(cases.length >= 5, `expected fixtures in test/fixtures/runtime, found ${cases.length}`);
    for (const file of cases) {
      await t.test(path.basename(file, '.json'), async () => {
        const { meta, arrays } = await loadFixture(file);
        const model = await ChronosModel.load(checkpointDir(meta), { cacheDir: null, provider: 'cpu', threads: 1 });
        try {
          const ablation = ablationFrom(model, arrays);
          const r = await model.forward(
            { inputIds: ids(arrays.get('input_ids')!), attentionMask: ids(arrays.get('attention_mask')!), decoderInputIds: ids(arrays.get('decoder_input_ids')!) },
            { logits: true, encoderHidden: true, encoderAttentions: true, decoderAttentions: true, crossAttentions: true },
            ablation,
          );
          const cmp = (name: string, ours: Float32Array, theirs: FixtureArray) => {
            const d = maxAbsDiff(ours, theirs.data as Float32Array);
            assert.ok(d <= TOL, `${name}: max abs error ${d} > ${TOL}`);
          };
          cmp('logits', r.logits!.data, arrays.get('logits')!);
          assert.deepEqual(r.logits!.dims, arrays.get('logits')!.shape);
          cmp('encoder hidden', r.encoderHidden!.data, arrays.get('encoder_last_hidden_state')!);
          const H = model.config.t5.numHeads;
          const masked = (probs: Float32Array, dims: readonly number[], mask: Float32Array | undefined, layer: number) => {
            if (!mask) return probs;
            // transformers returns attention probabilities multiplied by the head mask; ours are the head's own.
            const per = dims[2] * dims[3];
            const out = probs.slice();
            for (let b = 0; b < dims[0]; b++) for (let h = 0; h < H; h++) {
              const m = mask[layer * H + h];
              for (let i = 0; i < per; i++) out[(b * H + h) * per + i] *= m;
            }
            return out;
          };
          const kinds: [string, 'encoderAttentions' | 'decoderAttentions' | 'crossAttentions', 'encoder' | 'decoder' | 'cross'][] = [
            ['encoder_attentions', 'encoderAttentions', 'encoder'],
            ['decoder_attentions', 'decoderAttentions', 'decoder'],
            ['cross_attentions', 'crossAttentions', 'cross'],
          ];
          for (const [prefix, key, abKind] of kinds) {
            const layers = r[key]!;
            for (let l = 0; l < layers.length; l++) {
              const ref = arrays.get(`${prefix}.${l}`)!;
              assert.deepEqual(layers[l].dims, ref.shape, `${prefix}.${l} shape`);
              cmp(`${prefix}.${l}`, masked(layers[l].data, layers[l].dims, ablation?.mask[abKind], l), ref);
            }
          }
        } finally {
          await model.dispose();
        }
      });
    }
  });
}

test('incremental decoding with the key/value cache matches transformers step by step', async () => {
  const cases = await fixtureCases('incremental');
  assert.ok(cases.length >= 1, 'no incremental fixture');
  for (const file of cases) {
    const { meta, arrays } = await loadFixture(file);
    const model = await ChronosModel.load(checkpointDir(meta), { cacheDir: null, provider: 'cpu', threads: 1 });
    try {
      const enc = await model.encode(ids(arrays.get('input_ids')!), ids(arrays.get('attention_mask')!), { crossKv: true });
      const state = enc.state!;
      const stepLogits = arrays.get('step_logits')!; // [batch, steps, vocab]
      const tokens = arrays.get('generated_ids')!; // [batch, steps + 1] incl. the start token
      const [batch, steps, vocab] = stepLogits.shape;
      let cache = model.emptyCache(batch);
      for (let s = 0; s < steps; s++) {
        const tok = Array.from({ length: batch }, (_, b) => (tokens.data as number[])[b * tokens.shape[1] + s]);
        const r = await model.decodeStep(state, tok, cache);
        cache = r.cache;
        const all = stepLogits.data as Float32Array;
        const ref = new Float32Array(batch * vocab);
        for (let b = 0; b < batch; b++) ref.set(all.subarray((b * steps + s) * vocab, (b * steps + s + 1) * vocab), b * vocab);
        const d = maxAbsDiff(r.logits.data, ref);
        assert.ok(d <= TOL, `step ${s}: max abs error ${d}`);
      }
    } finally {
      await model.dispose();
    }
  }
});
