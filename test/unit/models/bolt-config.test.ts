/** Model families: detection from config.json, the Bolt config parser's refusals, and loading by family. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from '../../../core/errors';
import { knownModel } from '../../../core/hub/known-models';
import { parseBoltConfig } from '../../../models/bolt/config';
import { BoltModel } from '../../../models/bolt/model';
import { detectFamily } from '../../../models/family';
import { isBolt, isChronos2, loadModel } from '../../../models/load';
import { ChronosModel } from '../../../models/model';
import { patchCount, patchify, instanceNorm } from '../../../models/patching';
import { bundledModel, sharedData, tempDir } from '../helpers';

const boltDummy = path.join(sharedData, 'chronos-bolt-dummy-model');
/** Every tensor of the dummy's model.safetensors (its header's shapes, summed). */
const PARAMS = 18656;

async function rawConfig(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await fsp.readFile(path.join(dir, 'config.json'), 'utf8'));
}

function throwsWith(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ChronosLensError, `expected ChronosLensError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('the family comes from architectures / chronos_pipeline_class; others are refused by name', async () => {
  assert.equal(detectFamily(await rawConfig(boltDummy)), 'chronos-bolt');
  assert.equal(detectFamily(await rawConfig(path.join(sharedData, 'chronos-dummy-model'))), 'chronos-t5');
  assert.equal(detectFamily(await rawConfig(bundledModel)), 'chronos-t5');
  assert.equal(detectFamily({ model_type: 't5', chronos_pipeline_class: 'ChronosBoltPipeline' }), 'chronos-bolt');
  assert.equal(detectFamily({ architectures: ['Chronos2Model'], chronos_pipeline_class: 'Chronos2Pipeline', model_type: 't5' }), 'chronos-2');
  assert.equal(detectFamily({ chronos_pipeline_class: 'Chronos2Pipeline', model_type: 't5' }), 'chronos-2');
  throwsWith(() => detectFamily({ architectures: ['Chronos2ForSomethingElse'], model_type: 't5' }, 'c.json'), 'UNSUPPORTED_MODEL', /^c\.json: not supported: Chronos-2 architecture "Chronos2ForSomethingElse" \(only Chronos2Model is known\)/);
  throwsWith(() => detectFamily({ chronos_pipeline_class: 'ChronosMoiraiPipeline' }, 'c.json'), 'UNSUPPORTED_MODEL', /chronos_pipeline_class "ChronosMoiraiPipeline"/);
  throwsWith(() => detectFamily({ model_type: 'gpt2', chronos_config: { model_type: 'causal' } }), 'UNSUPPORTED_MODEL', /causal Chronos/);
  throwsWith(() => detectFamily({ model_type: 'llama' }), 'UNSUPPORTED_MODEL', /model_type "llama"/);
  const chronos2 = await loadModel(path.join(sharedData, 'chronos2-dummy-model'), { cacheDir: null });
  try {
    assert.ok(isChronos2(chronos2));
  } finally {
    await chronos2.dispose();
  }
});

test('parses the real chronos-bolt-dummy-model config as the Python model reads it', async () => {
  const c = parseBoltConfig(await rawConfig(boltDummy));
  assert.deepEqual(c.bolt, { contextLength: 512, predictionLength: 64, inputPatchSize: 16, inputPatchStride: 16, quantiles: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], useRegToken: true });
  assert.equal(c.t5.vocabSize, 2);
  assert.equal(c.t5.dModel, 8);
  assert.equal(c.t5.numLayers, 4);
  assert.equal(c.regTokenId, 1);
});

test('a bad Bolt config is one clear line naming the field', async () => {
  const base = await rawConfig(boltDummy);
  const cc = base.chronos_config as Record<string, unknown>;
  const bad = (patch: Record<string, unknown>, ccPatch: Record<string, unknown> = {}) => ({ ...base, ...patch, chronos_config: { ...cc, ...ccPatch } });
  throwsWith(() => parseBoltConfig({ ...base, chronos_config: undefined }, 'x/config.json'), 'BAD_CONFIG', /^x\/config\.json: a Chronos-Bolt config needs a "chronos_config" object/);
  throwsWith(() => parseBoltConfig(bad({}, { quantiles: [] })), 'BAD_CONFIG', /"chronos_config\.quantiles" must be a non-empty array/);
  throwsWith(() => parseBoltConfig(bad({}, { quantiles: [0.5, 0.1] })), 'BAD_CONFIG', /must be increasing; 0\.1 follows 0\.5/);
  throwsWith(() => parseBoltConfig(bad({}, { quantiles: [0, 0.5] })), 'BAD_CONFIG', /quantiles\[0\]" must be a number in \(0, 1\), got 0/);
  throwsWith(() => parseBoltConfig(bad({}, { input_patch_size: 0 })), 'BAD_CONFIG', /"chronos_config\.input_patch_size" must be >= 1, got 0/);
  throwsWith(() => parseBoltConfig(bad({}, { context_length: 'long' })), 'BAD_CONFIG', /"chronos_config\.context_length" must be an integer, got "long"/);
  throwsWith(() => parseBoltConfig(bad({ num_layers: 1e9 })), 'BAD_CONFIG', /"num_layers" is 1000000000, more than/);
  throwsWith(() => parseBoltConfig(bad({ feed_forward_proj: 'swiglu' })), 'BAD_CONFIG', /"feed_forward_proj" must be "relu" or "gated-gelu", got "swiglu"/);
  throwsWith(() => parseBoltConfig(bad({ decoder_start_token_id: 5 })), 'BAD_CONFIG', /"decoder_start_token_id" is 5, more than the 1 /);
});

test('loadModel opens each family as its own model; a Bolt checkpoint missing a head tensor is refused by name', async () => {
  const bolt = await loadModel(boltDummy, { cacheDir: null, provider: 'cpu', threads: 1 });
  const t5 = await loadModel(bundledModel, { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    assert.ok(isBolt(bolt) && bolt instanceof BoltModel);
    assert.ok(!isBolt(t5) && t5 instanceof ChronosModel);
    assert.equal(bolt.checkpoint.float32Bytes / 4, PARAMS);
    assert.ok(bolt.checkpoint.tensors.has('output_patch_embedding.residual_layer.bias'));
  } finally {
    await bolt.dispose();
    await t5.dispose();
  }
  // the same config with a head whose output size does not match quantiles x prediction_length
  const dir = await tempDir();
  const raw = await rawConfig(boltDummy);
  (raw.chronos_config as Record<string, unknown>).prediction_length = 32;
  await fsp.writeFile(path.join(dir, 'config.json'), JSON.stringify(raw));
  await fsp.symlink(path.join(boltDummy, 'model.safetensors'), path.join(dir, 'model.safetensors'));
  await assert.rejects(BoltModel.load(dir, { cacheDir: null }), (e: unknown) => e instanceof ChronosLensError && e.code === 'BAD_CHECKPOINT' && /output_patch_embedding\.output_layer\.weight" has shape \[576, 8\], expected \[288, 8\]/.test(e.message));
  await fsp.rm(dir, { recursive: true, force: true });
});

test('patching pads on the left with missing values so the last patch ends at the last value', () => {
  const values = [1, 2, NaN, 4, 5];
  const norm = instanceNorm(values);
  assert.equal(norm.loc, 3);
  assert.equal(norm.scale, Math.fround(Math.sqrt(2.5)));
  const p = patchify(values, norm, 4, 4);
  assert.equal(p.patches, 2);
  assert.deepEqual(Array.from(p.start), [-3, 1]);
  assert.deepEqual(Array.from(p.observed), [1, 1]);
  // first patch: three padding slots then the value 1; second: 2, NaN, 4, 5
  const s = norm.scale;
  assert.deepEqual(Array.from(p.data.subarray(0, 8)), [0, 0, 0, Math.fround(-2 / s), 0, 0, 0, 1]);
  assert.deepEqual(Array.from(p.data.subarray(12, 16)), [1, 0, 1, 1]);
  assert.equal(patchCount(0, 16, 16), 0);
  assert.equal(patchCount(16, 16, 16), 1);
  assert.equal(patchCount(17, 16, 16), 2);
  // a constant series: scale is the 1e-5 floor, every normalised value 0
  assert.deepEqual(instanceNorm([3.5, 3.5, 3.5]), { loc: 3.5, scale: Math.fround(1e-5) });
  assert.deepEqual(instanceNorm([NaN, NaN]), { loc: 0, scale: 1 });
});

test('the four Bolt sizes are known with their parameter counts', () => {
  assert.deepEqual(['tiny', 'mini', 'small', 'base'].map((s) => knownModel(`amazon/chronos-bolt-${s}`)?.parametersLabel), ['9M', '21M', '48M', '205M']);
});
