/**
 * The causal toolkit against tools/reference/causal_reference.py (transformers with hooks, NumPy float64):
 * weight-only head statistics, layer skips, residual-stream attribution (parts sum to the total), the
 * per-layer lens and activation patching, on the bundled model (tied embeddings) and an untied fixture
 * checkpoint, to 1e-4.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosModel } from '../../../models/model';
import { headWeightStats, jacobiEigen, productStats, ranks, spearman } from '../../../analysis/causal/stable-rank';
import { checkLayer, formatLayer, layerAblation, parseLayers, runLayerAblation, sweepSets } from '../../../analysis/causal/layer-ablation';
import { attribute } from '../../../analysis/causal/attribution';
import { layerLens } from '../../../analysis/causal/layer-lens';
import { meanNested, patchPair, restoredFraction } from '../../../analysis/causal/patching';
import { rowsOf, runCausal } from '../../../analysis/causal/run';
import { inductionBatch, inductionLoss } from '../../../analysis/ablation';
import { HeadRef } from '../../../analysis/types';
import { bundledModel, fixtures } from '../helpers';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Ref = any;

const TOL = 1e-4;
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (|diff| ${Math.abs(a - b)} > ${tol})`);
const closeNested = (a: unknown, b: unknown, tol: number, what: string): void => {
  if (Array.isArray(b)) {
    assert.ok(Array.isArray(a) && a.length === b.length, `${what}: shape`);
    b.forEach((x, i) => closeNested((a as unknown[])[i], x, tol, `${what}[${i}]`));
  } else close(a as number, b as number, tol, what);
};

const cases = [
  { name: 'chronos-t5-nano', dir: bundledModel },
  { name: 't5-relu-untied-f16', dir: path.join(fixtures, 'checkpoints', 't5-relu-untied-f16') },
];

test('Jacobi eigenvalues and product statistics on hand-checkable matrices; Spearman with ties', () => {
  const { values } = jacobiEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.deepEqual([...values].sort().map((v) => Math.round(v * 1e12) / 1e12), [1, 3]);
  // A B^T with A = [[1,0],[0,2],[0,0]], B = [[3,0],[0,1],[0,0]]: diag(3, 2) -> sigma 3, 2.
  const s = productStats(Float64Array.from([1, 0, 0, 2, 0, 0]), Float64Array.from([3, 0, 0, 1, 0, 0]), 3, 2);
  close(s.spectral, 3, 1e-12, 'spectral');
  close(s.frobenius, Math.sqrt(13), 1e-12, 'frobenius');
  close(s.stableRank, 13 / 9, 1e-12, 'stable rank');
  assert.deepEqual([...ranks([10, 20, 20, 5])], [2, 3.5, 3.5, 1]);
  close(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1, 1e-12, 'monotone');
  close(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1, 1e-12, 'reversed');
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
});

test('layer references: parsing, aliases, errors', () => {
  const n = { encoder: 2, decoder: 3 };
  assert.deepEqual(parseLayers('encoder:L0, dec:2.ff d:L1.attn,enc:1.attention,encoder:L0', n).map(formatLayer), ['encoder:L0', 'decoder:L2.ff', 'decoder:L1.attention', 'encoder:L1.attention']);
  assert.throws(() => parseLayers('L0', n), /cannot read layer "L0"/);
  assert.throws(() => parseLayers('encoder:L2', n), /encoder layer 2 does not exist \(the model has 2, L0\.\.L1\)/);
  assert.throws(() => parseLayers('encoder:L0.cross', n), /encoder layers have no cross-attention/);
  assert.throws(() => parseLayers('decoder:L0.mlp2', n), /unknown block "mlp2"/);
  assert.throws(() => parseLayers('middle:L0', n), /unknown stack "middle"/);
  assert.throws(() => checkLayer({ stack: 'decoder', layer: -1, part: 'all' }, n), /decoder layer -1 does not exist/);
});

for (const c of cases) {
  describe(`causal toolkit on ${c.name}`, () => {
    let model: ChronosModel;
    let ref: Ref;
    before(async () => {
      model = await ChronosModel.load(c.dir, { cacheDir: null });
      ref = JSON.parse(await fsp.readFile(path.join(fixtures, 'causal', `causal-${c.name}.json`), 'utf8'));
    });
    after(async () => model?.dispose());

    test('QK / OV stable rank, Frobenius and spectral norms match numpy.linalg.svd to 1e-6 relative', async () => {
      const r = await headWeightStats(model.checkpoint);
      assert.equal(r.stats.length, ref.stableRank.length);
      r.stats.forEach((s, i) => {
        const e = ref.stableRank[i];
        assert.deepEqual([s.kind, s.layer, s.head], [e.kind, e.layer, e.head]);
        for (const m of ['qk', 'ov'] as const) for (const k of ['stableRank', 'frobenius', 'spectral'] as const) close(s[m][k], e[m][k], 1e-6 * Math.abs(e[m][k]), `${s.kind}:L${s.layer}.H${s.head} ${m} ${k}`);
      });
    });

    test('skipped layers and blocks: logits of the forward and causal graphs match transformers with hooks', async () => {
      const ls = ref.layerSkip;
      const [w0, w1] = ls.window;
      const V = model.config.t5.vocabSize;
      const inputs = (rows: number[][]) => ({ data: rows.flat(), dims: [rows.length, rows[0].length] as [number, number] });
      const n = ls.encoder.length;
      const Td = ls.decoder[0].length;
      const window = (lg: Float32Array) => Array.from({ length: n }, (_, b) => Array.from({ length: Td }, (_, t) => Array.from(lg.subarray((b * Td + t) * V + w0, (b * Td + t) * V + w1))));
      const fwd = async (ab?: ReturnType<typeof layerAblation>) => (await model.forward({ inputIds: inputs(ls.encoder), attentionMask: inputs(ls.encoder.map((r: number[]) => r.map(() => 1))), decoderInputIds: inputs(ls.decoder) }, { logits: true }, ab)).logits!.data;
      closeNested(window(await fwd()), ls.unskipped, TOL, 'unskipped');
      const counts = { encoder: model.config.t5.numLayers, decoder: model.config.t5.numDecoderLayers };
      for (const set of ls.sets) {
        const ab = layerAblation(model, parseLayers(set.layers.join(','), counts));
        const lg = await fwd(ab);
        closeNested(window(lg), set.logits, TOL, set.layers.join('+'));
        // Every logit, through the log-sum-exp: the mean log-prob of each row's labels.
        ref.patching.pairs.forEach((pair: { labels: number[] }, b: number) => {
          let acc = 0;
          for (let t = 0; t < Td; t++) {
            const row = lg.subarray((b * Td + t) * V, (b * Td + t + 1) * V);
            const mx = row.reduce((a, x) => Math.max(a, x), -Infinity);
            acc += row[pair.labels[t]] - mx - Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0));
          }
          close(acc / Td, set.meanLogprob[b], TOL, `${set.layers.join('+')} mean log-prob, row ${b}`);
        });
        const causal = await runCausal(model, { encoder: rowsOf(ls.encoder), decoder: rowsOf(ls.decoder) }, { logits: true }, {}, ab);
        closeNested(window(causal.logits.data), set.logits, TOL, `causal graph ${set.layers.join('+')}`);
        // The skip changes the output (so the comparison above is not vacuous).
        assert.ok(Math.abs(set.logits[0][0][0] - ls.unskipped[0][0][0]) > 1e-3 || Math.abs(set.logits[1][2][3] - ls.unskipped[1][2][3]) > 1e-3, `${set.layers} changes nothing`);
      }
    });

    test('direct attribution: every part matches the reference, and the parts sum to the logit, log-prob and linearised expected value', async () => {
      const values = ref.series.values as number[];
      for (const e of ref.attribution) {
        const logit = await attribute(model, { values, label: c.name, step: e.step, target: 'logit' });
        assert.equal(logit.target.token, e.token);
        assert.deepEqual(logit.target.decoderInputs, e.decoderInputs);
        close(logit.target.normScale, e.normScale, 1e-5 * e.normScale, 'frozen norm scale');
        for (const comp of logit.components) close(comp.value, e.logitParts[comp.component], TOL, `logit part ${comp.component} (step ${e.step})`);
        assert.equal(logit.components.length, Object.keys(e.logitParts).length);
        const sum = logit.components.reduce((a, x) => a + x.value, 0);
        close(sum, logit.total, 1e-9, 'parts sum to the total');
        close(logit.total, logit.target.logit, TOL, 'total = the logit our graph computes');
        close(logit.total, e.logit, TOL, 'total = the logit transformers computes');
        for (const comp of logit.components) assert.equal(comp.head === null, comp.kind !== 'self_head' && comp.kind !== 'cross_head');

        const lp = await attribute(model, { values, label: c.name, step: e.step, target: 'logprob' });
        close(lp.components.reduce((a, x) => a + x.value, 0), lp.total, 1e-9, 'log-prob parts sum');
        close(lp.total, e.logprob, TOL, 'log-prob total = log p(token)');
        close(lp.total, lp.target.logprob, TOL, 'log-prob total = our log-softmax');
        close(lp.components.find((x) => x.kind === 'constant')!.value, -e.lse, TOL, 'frozen logsumexp');

        const ex = await attribute(model, { values, label: c.name, step: e.step, target: 'expected' });
        for (const comp of ex.components) close(comp.value, e.expectedParts[comp.component], TOL * Math.max(1, Math.abs(e.expectedParts[comp.component])), `expected part ${comp.component}`);
        close(ex.components.reduce((a, x) => a + x.value, 0), ex.total, 1e-9, 'expected parts sum');
        close(ex.total, e.expectedTotal, TOL * Math.max(1, Math.abs(e.expectedTotal)), 'expected total = scale * Cov_p(centre, logit)');
        close(ex.target.expectedValue, e.expectedValue, TOL * Math.abs(e.expectedValue), 'expected value');
      }
      // A chosen token instead of the median.
      const chosen = await attribute(model, { values, label: c.name, step: 0, target: 'logit', token: 5 });
      assert.equal(chosen.target.token, 5);
      close(chosen.total, chosen.target.logit, TOL, 'chosen token total');
      await assert.rejects(attribute(model, { values, label: c.name, step: model.config.chronos.predictionLength }), /step must be an integer in \[0, /);
      await assert.rejects(attribute(model, { values, label: c.name, token: model.config.t5.vocabSize }), /token/);
    });

    test('per-layer lens: quantiles and means per layer match the reference; the last layer is the model', async () => {
      const e = ref.lens;
      const r = await layerLens(model, { values: ref.series.values, label: c.name, steps: e.steps, quantileLevels: e.levels });
      assert.deepEqual(r.path, e.path);
      assert.equal(r.layers.length, e.layers.length);
      r.layers.forEach((l, i) => {
        closeNested(l.quantiles, e.layers[i].quantiles, 1e-5 * r.scale, `layer ${i} quantiles`);
        closeNested(l.mean, e.layers[i].mean, TOL * r.scale, `layer ${i} mean`);
      });
      const last = r.layers[r.layers.length - 1];
      closeNested(last.quantiles[e.levels.indexOf(0.5)], r.pathValues, 1e-9, 'last layer median = the median path');
      assert.ok(last.klToFinal!.every((k) => Math.abs(k) < 1e-9));
    });

    test('activation patching (heads, residual positions, head sets) matches a TransformerLens-style hook loop', async () => {
      const p = ref.patching;
      const results = [];
      for (let i = 0; i < p.pairs.length; i++) {
        const pair = p.pairs[i];
        const e = p.results[i];
        const r = await patchPair(model, { clean: { ids: pair.clean }, corrupted: { ids: pair.corrupted }, decoder: pair.decoder, labels: pair.labels }, { maps: ['heads', 'resid'], headSets: p.headSets as HeadRef[][] });
        close(r.metrics.clean, e.clean, TOL, 'clean metric');
        close(r.metrics.corrupted, e.corrupted, TOL, 'corrupted metric');
        closeNested(r.raw.heads!.encoder, e.heads.encoder, TOL, 'encoder heads');
        closeNested(r.raw.heads!.decoder, e.heads.decoder, TOL, 'decoder heads');
        closeNested(r.raw.heads!.cross, e.heads.cross, TOL, 'cross heads');
        closeNested(r.raw.resid!.encoder, e.resid.encoder, TOL, 'encoder residual');
        closeNested(r.raw.resid!.decoder, e.resid.decoder, TOL, 'decoder residual');
        closeNested(r.raw.sets, e.sets, TOL, 'head sets');
        // The final norm and LM head act per position, so patching the residual leaving the last layer
        // at each position in turn restores, summed over positions, exactly the clean metric.
        const last = r.raw.resid!.decoder![model.config.t5.numDecoderLayers];
        close(last.reduce((a, v) => a + (v - r.metrics.corrupted), 0), r.metrics.clean - r.metrics.corrupted, 1e-5, 'last-boundary residual patches add up');
        results.push(r);
      }
      const m = meanNested(results.map((r) => r.metrics));
      const restored = restoredFraction(meanNested(results.map((r) => r.raw)), m);
      assert.equal(restored.sets!.length, 2);
      // The residual entering layer 0 of the decoder holds only the (shared) decoder embedding: nothing to restore.
      assert.ok(restored.resid!.decoder![0].every((v) => Math.abs(v) < 1e-6));
    });
  });
}

test('layer ablation experiment: the unablated row is the plain induction loss; sweeps cover every layer', async () => {
  const model = await ChronosModel.load(bundledModel, { cacheDir: null });
  try {
    const sets = [...sweepSets(model, ['encoder', 'decoder']), ...sweepSets(model, ['decoder'], 'cross')];
    assert.deepEqual(sets.map((s) => s.map(formatLayer).join()), ['encoder:L0', 'encoder:L1', 'decoder:L0', 'decoder:L1', 'decoder:L0.cross', 'decoder:L1.cross']);
    const r = await runLayerAblation(model, { sets: sets.slice(0, 3), sweep: true, induction: { batch: 8 } });
    const plain = await inductionLoss(model, inductionBatch(model, { batch: 8 }));
    close(r.unablated.induction_loss, plain.repeated, 1e-12, 'unablated induction loss');
    assert.equal(r.variants.length, 3);
    // Skipping the first decoder layer breaks copying (loss up by more than a nat on the bundled model).
    assert.ok(r.variants[2].values.induction_loss > r.unablated.induction_loss + 1, JSON.stringify(r.variants[2]));
    assert.equal(r.manifest.command, 'ablate --layers');
    await assert.rejects(runLayerAblation(model, { sets: [[]] }), /no layers to ablate/);
    await assert.rejects(runLayerAblation(model, { sets: [[{ stack: 'encoder', layer: 5, part: 'all' }]] }), /encoder layer 5 does not exist/);
  } finally {
    await model.dispose();
  }
});
