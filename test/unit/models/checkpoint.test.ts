/** Checkpoint reading: config.json validation, refusals, safetensors header validation and fuzzing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from '../../../core/errors';
import { expectedTensors, loadCheckpoint } from '../../../models/checkpoint';
import { parseModelConfig } from '../../../models/config';
import { SafetensorsFile, toFloat32 } from '../../../models/safetensors';
import { Rng } from '../../../core/rng';
import { fixtures, sharedData, withTempDir } from '../helpers';

const dummy = path.join(sharedData, 'chronos-dummy-model');
const ckDir = (name: string) => path.join(fixtures, 'checkpoints', name);

async function copyDir(src: string, dst: string): Promise<void> {
  await fsp.mkdir(dst, { recursive: true });
  for (const f of await fsp.readdir(src)) await fsp.copyFile(path.join(src, f), path.join(dst, f));
}

async function rejectsWith(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ChronosLensError, `expected ChronosLensError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('reads the real chronos-dummy-model config and tensors', async () => {
  const ck = await loadCheckpoint(dummy);
  assert.equal(ck.config.t5.dModel, 64);
  assert.equal(ck.config.t5.numHeads, 1);
  assert.equal(ck.config.chronos.nTokens, 32);
  assert.equal(ck.config.chronos.contextLength, 512);
  assert.equal(ck.name, 'chronos-dummy-model');
  assert.equal(ck.tensors.size, expectedTensors(ck.config.t5).length);
  const w = await ck.read('shared.weight');
  assert.equal(w.length, 32 * 64);
});

test('reads every fixture checkpoint: F32, F16, BF16, sharded, tied and untied', async () => {
  for (const name of ['t5-relu-tied-f32', 't5-relu-untied-f16', 't5-gated-v2304-bf16', 't5-gated-untied-sharded', 't5-relu-v4096-f32']) {
    const ck = await loadCheckpoint(ckDir(name));
    assert.ok(ck.files.length >= 1);
    if (name.includes('sharded')) assert.equal(ck.files.length, 2);
    if (!ck.config.t5.tieWordEmbeddings) assert.ok(ck.tensors.has('lm_head.weight'));
  }
});

test('refuses Chronos-Bolt, Chronos-2 and causal Chronos with "not supported yet"', async () => {
  await rejectsWith(loadCheckpoint(path.join(sharedData, 'chronos-bolt-dummy-model')), 'UNSUPPORTED_MODEL', /not supported yet: Chronos-Bolt/);
  const base = JSON.parse(await fsp.readFile(path.join(dummy, 'config.json'), 'utf8'));
  const chronos2 = { ...base, architectures: ['Chronos2Model'], chronos_pipeline_class: 'Chronos2Pipeline' };
  assert.throws(() => parseModelConfig(JSON.stringify(chronos2)), /not supported yet: Chronos-2/);
  const causal = { ...base, architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', chronos_config: { ...base.chronos_config, model_type: 'causal' } };
  assert.throws(() => parseModelConfig(JSON.stringify(causal)), /not supported yet: causal Chronos/);
});

test('config errors name the file, the field and what was expected', async () => {
  const base = JSON.parse(await fsp.readFile(path.join(dummy, 'config.json'), 'utf8'));
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...base, d_model: 'big' }, /config\.json: field "d_model" must be an integer, got "big"/],
    [{ ...base, num_heads: 0 }, /field "num_heads" must be >= 1, got 0/],
    [{ ...base, feed_forward_proj: 'swiglu' }, /"feed_forward_proj" must be "relu" or "gated-gelu", got "swiglu"/],
    [{ ...base, chronos_config: undefined }, /no "chronos_config" block/],
    [{ ...base, chronos_config: { ...base.chronos_config, tokenizer_class: 'MeanScaleHistogram' } }, /chronos_config\.tokenizer_class" must be "MeanScaleUniformBins"/],
    [{ ...base, chronos_config: { ...base.chronos_config, n_tokens: 64 } }, /n_tokens \(64\) exceeds vocab_size \(32\)/],
    [{ ...base, chronos_config: { ...base.chronos_config, tokenizer_kwargs: { low_limit: 5, high_limit: -5 } } }, /high_limit \(-5\) must be greater than low_limit \(5\)/],
    [{ ...base, eos_token_id: 99 }, /outside the vocabulary/],
  ];
  for (const [cfg, re] of cases) assert.throws(() => parseModelConfig(JSON.stringify(cfg), 'config.json'), re);
  assert.throws(() => parseModelConfig('{not json', 'x/config.json'), /x\/config\.json: not valid JSON/);
  assert.throws(() => parseModelConfig('[1,2]'), /expected a JSON object/);
});

test('missing tensors, wrong shapes, pickle-only folders and missing files get specific errors', async () => {
  await withTempDir(async (dir) => {
    // pickle only
    const pk = path.join(dir, 'pickle');
    await fsp.mkdir(pk);
    await fsp.copyFile(path.join(dummy, 'config.json'), path.join(pk, 'config.json'));
    await fsp.writeFile(path.join(pk, 'pytorch_model.bin'), 'not really');
    await rejectsWith(loadCheckpoint(pk), 'BAD_CHECKPOINT', /pickle.*arbitrary code.*safe_serialization=True/s);
    // no weights at all
    await fsp.rm(path.join(pk, 'pytorch_model.bin'));
    await rejectsWith(loadCheckpoint(pk), 'BAD_CHECKPOINT', /no model\.safetensors/);
    // no config
    await rejectsWith(loadCheckpoint(path.join(dir, 'nope')), 'NOT_FOUND', /not found/);
    // a config claiming more layers than the weights have
    const more = path.join(dir, 'more');
    await copyDir(dummy, more);
    const cfg = JSON.parse(await fsp.readFile(path.join(more, 'config.json'), 'utf8'));
    await fsp.writeFile(path.join(more, 'config.json'), JSON.stringify({ ...cfg, num_layers: 2 }));
    await rejectsWith(loadCheckpoint(more), 'BAD_CHECKPOINT', /tensor "encoder\.block\.1\.layer\.0\.SelfAttention\.q\.weight" is missing \(expected shape \[16, 64\]/);
    // wrong d_ff
    await fsp.writeFile(path.join(more, 'config.json'), JSON.stringify({ ...cfg, d_ff: 48 }));
    await rejectsWith(loadCheckpoint(more), 'BAD_CHECKPOINT', /DenseReluDense\.wi\.weight" has shape \[32, 64\], expected \[48, 64\]/);
    // untied without lm_head
    await fsp.writeFile(path.join(more, 'config.json'), JSON.stringify({ ...cfg, tie_word_embeddings: false }));
    await rejectsWith(loadCheckpoint(more), 'BAD_CHECKPOINT', /"lm_head\.weight" is missing/);
    // shard index pointing at a missing file
    const sh = path.join(dir, 'sharded');
    await copyDir(ckDir('t5-gated-untied-sharded'), sh);
    await fsp.rm(path.join(sh, 'model-00002-of-00002.safetensors'));
    await rejectsWith(loadCheckpoint(sh), 'BAD_CHECKPOINT', /names shard model-00002-of-00002\.safetensors, which is missing/);
  });
});

test('F16 and BF16 convert exactly to float32', () => {
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0000, 0x8000, 0x7c00, 0xfc00, 0x3555]);
  const out = toFloat32(new Uint8Array(f16.buffer), 'F16');
  assert.deepEqual(Array.from(out.slice(0, 8)), [1, -2, 65504, 2 ** -24, 0, -0, Infinity, -Infinity]);
  assert.equal(out[8], Math.fround(0.333251953125));
  const bf = new Uint16Array([0x3f80, 0xc049, 0x7f80, 0x0000]);
  assert.deepEqual(Array.from(toFloat32(new Uint8Array(bf.buffer), 'BF16')), [1, Math.fround(-3.140625), Infinity, 0]);
});

function header(obj: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(obj));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json]);
}

test('safetensors header validation: offsets, overlaps, sizes, dtypes, length bound', async () => {
  await withTempDir(async (dir) => {
    const write = async (name: string, buf: Buffer) => {
      const p = path.join(dir, name);
      await fsp.writeFile(p, buf);
      return p;
    };
    const data = Buffer.alloc(32);
    const cases: [string, Buffer, RegExp][] = [
      ['short', Buffer.alloc(5), /5 bytes long/],
      ['huge-header', Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), data]), /exceeds the 100000000-byte limit/],
      ['past-end', Buffer.concat([Buffer.from([200, 0, 0, 0, 0, 0, 0, 0]), data]), /runs past the end/],
      ['not-json', Buffer.concat([header({}).subarray(0, 8), Buffer.from('{"a": ')]), /not valid JSON|runs past/],
      ['bad-dtype', Buffer.concat([header({ a: { dtype: 'Q7', shape: [2], data_offsets: [0, 8] } }), data]), /unknown dtype "Q7"/],
      ['bad-shape', Buffer.concat([header({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }), data]), /invalid shape/],
      ['outside', Buffer.concat([header({ a: { dtype: 'F32', shape: [16], data_offsets: [0, 64] } }), data]), /only has 32 data bytes/],
      ['size', Buffer.concat([header({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }), data]), /occupies 8 bytes, but shape \[3\] of F32 needs 12/],
      ['overlap', Buffer.concat([header({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }), data]), /overlap/],
      ['reversed', Buffer.concat([header({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }), data]), /end before begin/],
      ['metadata', Buffer.concat([header({ __metadata__: { a: 1 } }), data]), /__metadata__\.a" must be a string/],
    ];
    for (const [name, buf, re] of cases) {
      const p = await write(`${name}.safetensors`, buf);
      await rejectsWith(SafetensorsFile.open(p), 'BAD_CHECKPOINT', re);
      await assert.rejects(SafetensorsFile.open(p), new RegExp(`${name}\\.safetensors`));
    }
  });
});

test('fuzz: flipped and truncated bytes of a real checkpoint never crash, only ChronosLensError', async () => {
  await withTempDir(async (dir) => {
    const src = await fsp.readFile(path.join(ckDir('t5-relu-tied-f32'), 'model.safetensors'));
    const headerLen = Number(src.readBigUInt64LE(0));
    const rng = new Rng(20261127);
    const ck = path.join(dir, 'ck');
    await copyDir(ckDir('t5-relu-tied-f32'), ck);
    const target = path.join(ck, 'model.safetensors');
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 160; i++) {
      const buf = Buffer.from(src);
      let mutated: Buffer = buf;
      const mode = i % 4;
      if (mode === 0) {
        // flip 1-4 bytes inside the length prefix or header
        for (let k = 0; k < 1 + (i % 4); k++) buf[rng.intInclusive(0, 8 + headerLen - 1)] ^= 1 << rng.intInclusive(0, 7);
      } else if (mode === 1) {
        mutated = buf.subarray(0, rng.intInclusive(0, buf.length - 1)); // truncate anywhere
      } else if (mode === 2) {
        mutated = buf.subarray(0, rng.intInclusive(0, 8 + headerLen)); // truncate in the header
      } else {
        buf[rng.intInclusive(8, 8 + headerLen - 1)] = rng.intInclusive(0, 255); // random header byte
      }
      await fsp.writeFile(target, mutated);
      try {
        const loaded = await loadCheckpoint(ck);
        for (const name of loaded.tensors.keys()) await loaded.read(name);
        accepted++;
      } catch (e) {
        assert.ok(e instanceof ChronosLensError, `mutation ${i} (mode ${mode}) threw a non-ChronosLensError: ${e instanceof Error ? e.stack : e}`);
        assert.match(e.message, /model\.safetensors|config\.json|ck/);
        rejected++;
      }
    }
    assert.ok(rejected > 100, `only ${rejected} of 160 mutations were rejected`);
    assert.ok(accepted + rejected === 160);
  });
});
