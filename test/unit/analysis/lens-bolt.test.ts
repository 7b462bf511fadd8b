/**
 * The attention lens on a Chronos-Bolt model: positions are patches, rows are transformers' eager
 * attentions from the committed Bolt fixtures ([REG] left out of the keys), and every forecast step
 * reads the one decoder token's cross-attention.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { AttentionLens } from '../../../analysis/lens';
import { BoltModel } from '../../../models/bolt/model';
import { fixtures, loadFixture, maxAbsDiff, repoRoot } from '../helpers';

test('the Bolt lens answers patch rows and cross rows from the model attentions', async () => {
  for (const name of ['chronos-bolt-dummy-model', 'bolt-noreg-random']) {
    const { meta, arrays } = await loadFixture(path.join(fixtures, 'bolt', `${name}.seasonal-gaps.json`));
    const model = await BoltModel.load(path.resolve(repoRoot, String(meta.checkpoint)), { cacheDir: null, provider: 'cpu', threads: 1 });
    try {
      const values = arrays.get('context')!.data as Float32Array;
      const lens = await AttentionLens.computeBolt(model, values);
      const b = model.config.bolt;
      const P = Math.ceil(values.length / b.inputPatchSize);
      assert.equal(lens.contextLength, P);
      assert.deepEqual(lens.patch, { size: b.inputPatchSize, stride: b.inputPatchStride });
      // left padding: the last patch ends at the last value
      assert.equal(lens.offset, values.length - P * b.inputPatchSize);
      assert.equal(lens.offset + (P - 1) * b.inputPatchStride + b.inputPatchSize, values.length);
      assert.equal(lens.forecastSteps, b.predictionLength);
      const te = P + (b.useRegToken ? 1 : 0);
      const H = model.config.t5.numHeads;
      for (let l = 0; l < model.config.t5.numLayers; l++) {
        const ref = arrays.get(`encoder_attn.${l}`)!.data as Float32Array; // [1, H, te, te]
        for (let h = 0; h < H; h++) {
          for (const p of [0, P - 1]) {
            const want = ref.subarray((h * te + p) * te, (h * te + p) * te + P);
            assert.ok(maxAbsDiff(lens.encoderRow(l, h, p), want) <= 1e-5, `${name} encoder L${l}.H${h} patch ${p}`);
          }
        }
      }
      const r = lens.rowsAt(P - 1, { layer: 0 });
      assert.equal(r.rows[0].length, H);
      assert.equal(r.rows[0][0].length, P);
      assert.deepEqual(r.sameToken, []);
      for (let l = 0; l < model.config.t5.numDecoderLayers; l++) {
        const ref = arrays.get(`cross_attn.${l}`)!.data as Float32Array; // [1, H, 1, te]
        for (let h = 0; h < H; h++) {
          const want = ref.subarray(h * te, h * te + P);
          for (const s of [0, b.predictionLength - 1]) assert.ok(maxAbsDiff(lens.crossRow(l, h, s), want) <= 1e-5, `${name} cross L${l}.H${h} step ${s}`);
        }
      }
      const c = lens.crossAt(3);
      assert.equal(c.kind, 'cross');
      assert.equal(c.top[0][0].length, Math.min(5, P));
    } finally {
      await model.dispose();
    }
  }
});
