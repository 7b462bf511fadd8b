/**
 * LoRA adapters (models/lora.ts): the merged model differs from its base where PEFT's does (the
 * agreement with PEFT itself is in chronos2.test.ts, on the +lora fixtures), the base is found from
 * base_model_name_or_path, and every adapter the merge cannot represent is refused in one line naming
 * the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from '../../../core/errors';
import { loadModel, isChronos2 } from '../../../models/load';
import { readLoraAdapter } from '../../../models/lora';
import { fixtures, loadFixture, maxAbsDiff, sharedData, withTempDir } from '../helpers';

const C2 = path.join(fixtures, 'chronos2');
const BASE = path.join(C2, 'checkpoints', 'chronos2-reduced-random');
const ADAPTER = path.join(C2, 'adapters', 'chronos2-reduced-random-lora');
const OPTS = { cacheDir: null, provider: 'cpu' as const, threads: 1 };

test('a LoRA adapter is read as PEFT configures it: ranks and alphas from the patterns, rsLoRA scale', async () => {
  const a = await readLoraAdapter(ADAPTER);
  const byName = new Map(a.modules.map((m) => [m.module, m]));
  // 2 layers x 2 attentions x (q, k, v, o) + 2 feed-forward wi + the two residual MLPs' adapted layers
  assert.equal(a.modules.length, 16 + 2 + 2);
  const q1 = byName.get('encoder.block.0.layer.1.self_attention.q')!;
  assert.deepEqual([q1.rank, q1.alpha, q1.scale], [2, 6, 6 / Math.sqrt(2)]);
  const k1 = byName.get('encoder.block.0.layer.1.self_attention.k')!;
  assert.deepEqual([k1.rank, k1.scale], [4, 6 / 2]);
  assert.equal(byName.get('encoder.block.0.layer.2.mlp.wi')!.rank, 3);
  assert.equal(byName.get('encoder.block.1.layer.2.mlp.wi')!.rank, 4);
  const out = byName.get('output_patch_embedding.output_layer')!;
  assert.deepEqual([out.alpha, out.scale], [2.5, 2.5 / 2]);
});

test('the adapted model is not its base: the PEFT forecasts differ from the base fixture, and so do ours', async () => {
  const base = await loadFixture(path.join(C2, 'chronos2-reduced-random.multivariate.json'));
  const lora = await loadFixture(path.join(C2, 'chronos2-reduced-random+lora.multivariate.json'));
  const scale = Number(base.meta.series_scale);
  const h = (base.meta.horizons as number[])[1];
  const key = `forecast.${h}.quantiles`;
  const pythonDiff = maxAbsDiff(base.arrays.get(key)!.data, lora.arrays.get(key)!.data) / scale;
  assert.ok(pythonDiff > 1e-2, `the synthetic adapter barely changes PEFT's forecast (${pythonDiff})`);
  // base found from base_model_name_or_path (relative to the adapter folder)
  const adapted = await loadModel(ADAPTER, OPTS);
  const plain = await loadModel(BASE, OPTS);
  try {
    assert.ok(isChronos2(adapted) && isChronos2(plain));
    assert.match(adapted.name, /^chronos2-reduced-random-lora \(LoRA on chronos2-reduced-random\)$/);
    assert.notEqual(await adapted.hash(), await plain.hash());
    const rows = [Float32Array.from({ length: 40 }, (_, i) => 10 + Math.sin(i / 3))];
    const [ra, rb] = await Promise.all([adapted.forward({ rows, outputPatches: 1 }, { quantiles: true }), plain.forward({ rows, outputPatches: 1 }, { quantiles: true })]);
    assert.ok(maxAbsDiff(ra.quantiles!.data, rb.quantiles!.data) > 1e-2);
  } finally {
    await adapted.dispose();
    await plain.dispose();
  }
});

test('adapters the merge cannot represent, and bases that cannot be found, are one line naming the file', async () => {
  await withTempDir(async (dir) => {
    const cfgText = await fsp.readFile(path.join(ADAPTER, 'adapter_config.json'), 'utf8');
    const cfg = JSON.parse(cfgText) as Record<string, unknown>;
    const weights = await fsp.readFile(path.join(ADAPTER, 'adapter_model.safetensors'));
    const cases: [string, Record<string, unknown>, RegExp, Buffer?][] = [
      ['ia3', { ...cfg, peft_type: 'IA3' }, /adapter_config\.json: peft_type is "IA3"; only LoRA adapters/],
      ['dora', { ...cfg, use_dora: true }, /adapter_config\.json: DoRA \(use_dora\) is not supported/],
      ['save', { ...cfg, modules_to_save: ['output_patch_embedding'] }, /modules_to_save/],
      ['pissa', { ...cfg, init_lora_weights: 'pissa' }, /init_lora_weights "pissa" also changes the base weights/],
      ['rank', { ...cfg, rank_pattern: {} }, /adapter_model\.safetensors: encoder\.block\.0\.layer\.1\.self_attention\.q: lora_A is \[2, 32\].*expected rank 4/],
      ['targets', { ...cfg, target_modules: ['self_attention.q'] }, /holds weights for "encoder\.block\.0\.layer\.0\.self_attention\.k", which adapter_config\.json's target_modules does not name/],
      ['nobase', { ...cfg, base_model_name_or_path: 'nobody/no-such-model' }, /adapter_config\.json: base_model_name_or_path "nobody\/no-such-model" is neither a folder nor a repo in the Hugging Face cache; give the base checkpoint folder explicitly/],
      ['t5base', { ...cfg, base_model_name_or_path: path.join(sharedData, 'chronos-bolt-dummy-model') }, /LoRA adapters are merged into Chronos-2 models; the base .* is a chronos-bolt model/],
      ['noweights', cfg, /adapter_model\.safetensors: not found: a LoRA adapter folder needs adapter_model\.safetensors/, Buffer.alloc(0)],
    ];
    for (const [name, c, re, w] of cases) {
      const d = path.join(dir, name);
      await fsp.mkdir(d);
      await fsp.writeFile(path.join(d, 'adapter_config.json'), JSON.stringify(c));
      if (!w) await fsp.writeFile(path.join(d, 'adapter_model.safetensors'), weights);
      const base = name === 'nobase' || name === 't5base' ? {} : { base: BASE };
      await assert.rejects(loadModel(d, { ...OPTS, ...base }), (e: unknown) => e instanceof ChronosLensError && re.test(e.message) && !e.message.includes('\n'), `${name}: ${re}`);
    }
    // an adapter for another model's shapes: the dummy's adapter on the reduced-random base
    await assert.rejects(loadModel(path.join(sharedData, 'chronos2-dummy-lora'), { ...OPTS, base: BASE }), /adapter_model\.safetensors: encoder\.block\.0\.layer\.0\.self_attention\.k: lora_B·lora_A is \[16, 6\], but the base weight is \[32, 32\]/);
    // a base given for a folder that is no adapter
    await assert.rejects(loadModel(BASE, { ...OPTS, base: BASE }), /a base model was given, but .*chronos2-reduced-random is not a LoRA adapter folder/);
  });
});
