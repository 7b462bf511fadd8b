/**
 * The causal runs the extension starts (Attribute Forecast…, Patch Activations…, Ablate Layers…), on
 * the bundled chronos-t5-nano and a real CSV, through the analysis engine: what each returns for the
 * residual-stream panel, and the one-line refusals of bad requests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runAttributionJob, runLayerAblationJob, runPatchJob, LENS_MIN_STEPS } from '../../../extension/lib/causal-job';
import { loadCsvSeries } from '../../../extension/lib/jobs';
import type { CsvSeries } from '../../../core/csv';
import { ChronosModel } from '../../../models/model';
import { bundledModel, repoRoot, tempDir } from '../helpers';

let model: ChronosModel;
let series: CsvSeries;
before(async () => {
  model = await ChronosModel.load(bundledModel, { provider: 'cpu', threads: 1, cacheDir: await tempDir() });
  series = await loadCsvSeries({ kind: 'file', path: path.join(repoRoot, 'samples', 'periodic.csv') });
});
after(async () => {
  await model.dispose();
});

test('attribution: the parts sum to the total (the logit), with the per-layer lens over the steps up to it', async () => {
  const updates: number[] = [];
  const run = await runAttributionJob(model, { series, step: 5, target: 'logit' }, { onProgress: (u) => u.fraction !== undefined && updates.push(u.fraction) });
  const a = run.attribution!;
  assert.equal(a.target.step, 5);
  const sum = a.components.reduce((s, c) => s + c.value, 0);
  assert.ok(Math.abs(sum - a.total) < 1e-4, `parts ${sum} vs total ${a.total}`);
  assert.ok(Math.abs(a.total - a.target.logit) < 1e-4, `total ${a.total} vs the clean logit ${a.target.logit}`);
  const lens = run.layerLens!;
  assert.equal(lens.steps, LENS_MIN_STEPS);
  assert.equal(lens.layers.length, model.config.t5.numDecoderLayers);
  // the lens's last layer is the model's own median: the attributed token's value at step 5
  assert.ok(Math.abs(lens.pathValues[5] - a.target.tokenValue) < 1e-6 * Math.max(1, Math.abs(a.target.tokenValue)));
  assert.deepEqual(run.series, { file: 'periodic.csv', column: series.column });
  assert.match(run.label, /^periodic\.csv · .* · logit at step 5$/);
  assert.deepEqual(updates, [0, 0.5, 1]);
});

test('attribution refuses a step past the prediction length, in one line', async () => {
  const pl = model.config.chronos.predictionLength;
  await assert.rejects(runAttributionJob(model, { series, step: pl, target: 'logit' }, {}), new RegExp(`^ChronosLensError: the forecast step must be a whole number from 0 to ${pl - 1}`));
  await assert.rejects(runAttributionJob(model, { series, step: 0, target: 'median' as never }, {}), /the attribution target must be one of logit, logprob, expected/);
});

test('patching on repeated tokens: a layer × head map per kind, the chosen head patched alone and marked', async () => {
  const head = { kind: 'cross' as const, layer: 1, head: 2 };
  const run = await runPatchJob(model, { corrupt: 'shift', steps: 8, pairs: 2, maps: ['heads'], heads: [head] }, {});
  const p = run.patching!;
  const t = model.config.t5;
  assert.equal(p.pairs, 2);
  for (const kind of ['encoder', 'decoder', 'cross'] as const) {
    assert.equal(p.restored.heads![kind]!.length, kind === 'encoder' ? t.numLayers : t.numDecoderLayers);
    assert.equal(p.restored.heads![kind]![0].length, t.numHeads);
  }
  assert.equal(p.sets!.length, 1);
  assert.deepEqual(p.sets![0].heads, [head]);
  // one head patched alone at every position is the same run as its cell of the layer × head map
  assert.ok(Math.abs(p.restored.sets![0] - p.restored.heads!.cross![1][2]) < 1e-6);
  assert.deepEqual(run.marked, [head]);
  assert.ok(p.clean > p.corrupted, 'the repeated sequence is easier to continue');
});

test('patching a CSV window against a swapped repeat: the residual map spans the context', async () => {
  const run = await runPatchJob(model, { series, corrupt: 'swap', steps: 4, pairs: 1, maps: ['resid'] }, {});
  const r = run.patching!.restored.resid!;
  assert.equal(r.encoder!.length, model.config.t5.numLayers + 1);
  assert.equal(r.decoder![0].length, 4);
  assert.match(run.label, /^Patching · periodic\.csv · .* · swap$/);
  await assert.rejects(runPatchJob(model, { corrupt: 'shift', steps: 4, pairs: 1, maps: [] }, {}), /nothing to patch/);
});

test('layer ablation: a sweep of each decoder layer’s cross-attention on the induction loss', async () => {
  const run = await runLayerAblationJob(model, { sweep: 'cross', stacks: ['encoder', 'decoder'], inductionLoss: true, heldOut: 0, seed: 0 }, {});
  const a = run.layerAblation!;
  assert.deepEqual(a.variants.map((v) => v.label), ['decoder:L0.cross', 'decoder:L1.cross']);
  assert.ok(a.sweep);
  for (const v of a.variants) assert.ok(v.values.induction_loss > a.unablated.induction_loss, `${v.label} raises the induction loss`);
  await assert.rejects(runLayerAblationJob(model, { stacks: ['decoder'], inductionLoss: false, heldOut: 0, seed: 0, sweep: 'all' }, {}), /nothing to measure/);
});
