/**
 * The ORT runner and the model wrapper: provider fallback (tested on CPU, without pretending a GPU
 * ran), ONNX external data, the on-disk graph cache, pruned variants, and input validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from '../../../core/errors';
import { loadCheckpoint } from '../../../models/checkpoint';
import { ChronosModel } from '../../../models/model';
import { buildT5Graph } from '../../../models/t5/graph';
import { availableProviders, createSession, explainProviderFailure, platformGpuProvider } from '../../../models/runtime/ort';
import { fixtures, maxAbsDiff, withTempDir } from '../helpers';

const relu = path.join(fixtures, 'checkpoints', 't5-relu-tied-f32');

const inputs = {
  inputIds: { data: [5, 7, 9, 11, 3, 1, 0, 0, 4, 6, 8, 1], dims: [2, 6] as [number, number] },
  attentionMask: { data: [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1], dims: [2, 6] as [number, number] },
  decoderInputIds: { data: [0, 5, 6, 0, 9, 2], dims: [2, 3] as [number, number] },
};

test('a GPU provider that cannot start falls back to CPU and says why', async () => {
  const built = await buildT5Graph(await loadCheckpoint(relu), { kind: 'forward', outputs: { logits: true } }).build();
  // CUDA: listed by onnxruntime-node on Linux but its provider libraries are not shipped in the npm package.
  const cuda = await createSession({ bytes: built.bytes }, { provider: 'cuda', threads: 1 });
  try {
    if (cuda.provider.used === 'cuda') {
      // A machine with CUDA provisioned: nothing to fall back from.
      assert.equal(cuda.provider.fallbackReason, undefined);
    } else {
      assert.equal(cuda.provider.used, 'cpu');
      assert.equal(cuda.provider.requested, 'cuda');
      assert.ok(cuda.provider.fallbackReason && cuda.provider.fallbackReason.length > 10, 'fallback without a reason');
      assert.match(cuda.provider.fallbackReason!, /cuda/i);
    }
  } finally {
    await cuda.release();
  }
  // A provider from another platform is "not available in this build" without even trying.
  const foreign = process.platform === 'darwin' ? 'dml' : 'coreml';
  const s = await createSession({ bytes: built.bytes }, { provider: foreign, threads: 1 });
  assert.equal(s.provider.used, 'cpu');
  if (!availableProviders().some((p) => p.name === foreign)) assert.match(s.provider.fallbackReason!, /not available in this build/);
  await s.release();
  // auto picks the platform's GPU provider, then CPU.
  const auto = await createSession({ bytes: built.bytes }, { provider: 'auto', threads: 1 });
  assert.ok(['cpu', platformGpuProvider()].includes(auto.provider.used));
  await auto.release();
  // cpu never reports a fallback.
  const cpu = await createSession({ bytes: built.bytes }, { provider: 'cpu', threads: 1 });
  assert.deepEqual(cpu.provider, { requested: 'cpu', used: 'cpu', fallbackReason: undefined });
  await cpu.release();
});

test('provider failures are explained in words a user can act on', () => {
  assert.match(explainProviderFailure('cuda', new Error('Failed to load library libonnxruntime_providers_cuda.so with error: cannot open shared object file')), /library missing/);
  assert.match(explainProviderFailure('cuda', new Error('CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version')), /no usable GPU or driver/);
  assert.match(explainProviderFailure('cuda', new Error('CUDA failure 2: out of memory')), /ran out of memory/);
  assert.match(explainProviderFailure('cuda', new Error('libcudnn.so.9: cannot find')), /cuDNN|library missing/);
});

test('graphs written with ONNX external data give the same results as embedded ones', async () => {
  await withTempDir(async (dir) => {
    const ck = await loadCheckpoint(relu);
    const spec = { kind: 'forward' as const, outputs: { logits: true, crossAttentions: true } };
    const embedded = await buildT5Graph(ck, spec).build();
    const external = await buildT5Graph(ck, spec).build({ externalData: { dir } });
    assert.ok(external.path && !external.bytes);
    const files = await fsp.readdir(dir);
    assert.deepEqual(files.sort(), ['model.onnx', 'model.onnx.data']);
    const dataSize = (await fsp.stat(path.join(dir, 'model.onnx.data'))).size;
    const modelSize = (await fsp.stat(path.join(dir, 'model.onnx'))).size;
    assert.ok(dataSize > modelSize * 2, `weights should live in the data file (${dataSize} vs ${modelSize})`);
    // The sizes and hashes the builder took while writing (the graph cache's manifest) are those of the files.
    for (const f of files) {
      const bytes = await fsp.readFile(path.join(dir, f));
      assert.deepEqual(external.files?.[f], { size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') }, f);
    }
    const feeds = {
      input_ids: { data: BigInt64Array.from(inputs.inputIds.data.map(BigInt)), dims: [2, 6] },
      attention_mask: { data: BigInt64Array.from(inputs.attentionMask.data.map(BigInt)), dims: [2, 6] },
      decoder_input_ids: { data: BigInt64Array.from(inputs.decoderInputIds.data.map(BigInt)), dims: [2, 3] },
      ...(await ChronosModel.load(relu, { cacheDir: null })).newAblation().feeds(),
    };
    const a = await createSession({ bytes: embedded.bytes }, { provider: 'cpu', threads: 1 });
    const b = await createSession({ path: external.path }, { provider: 'cpu', threads: 1 });
    const ra = await a.run(feeds);
    const rb = await b.run(feeds);
    assert.equal(maxAbsDiff(ra.logits.data, rb.logits.data), 0);
    assert.equal(maxAbsDiff(ra['cross_attn.0'].data, rb['cross_attn.0'].data), 0);
    await a.release();
    await b.release();
  });
});

test('built graphs are cached on disk by checkpoint hash + variant and reused', async () => {
  await withTempDir(async (cacheDir) => {
    const m1 = await ChronosModel.load(relu, { cacheDir, provider: 'cpu', threads: 1 });
    const r1 = await m1.forward(inputs, { logits: true });
    assert.equal(m1.timings[0].fromCache, false);
    await m1.dispose();
    const graphs = await fsp.readdir(path.join(cacheDir, 'graphs'));
    assert.equal(graphs.length, 1);
    assert.match(graphs[0], /^[0-9a-f]{24}-[0-9a-f]{16}$/);
    const m2 = await ChronosModel.load(relu, { cacheDir, provider: 'cpu', threads: 1 });
    const r2 = await m2.forward(inputs, { logits: true });
    assert.equal(m2.timings[0].fromCache, true);
    assert.equal(maxAbsDiff(r1.logits!.data, r2.logits!.data), 0);
    // another output set is another graph
    await m2.forward(inputs, { crossAttentions: true });
    assert.equal((await fsp.readdir(path.join(cacheDir, 'graphs'))).length, 2);
    const info = JSON.parse(await fsp.readFile(path.join(cacheDir, 'graphs', graphs[0], 'info.json'), 'utf8'));
    assert.equal(info.spec, 'forward[logits]');
    await m2.dispose();
  });
});

test('pruned variants: cross-attention-only graphs skip the LM head, and sessions are released', async () => {
  const ck = await loadCheckpoint(relu);
  const full = await buildT5Graph(ck, { kind: 'forward', outputs: { logits: true } }).build();
  const cross = await buildT5Graph(ck, { kind: 'forward', outputs: { crossAttentions: true, crossQuery: 1 } }).build();
  assert.ok(cross.nodeCount < full.nodeCount);
  assert.ok(!cross.outputs.includes('logits'));
  assert.ok(cross.weightBytes < full.weightBytes, 'the LM head and last FFN weights should be pruned');
  const m = await ChronosModel.load(relu, { cacheDir: null, provider: 'cpu', threads: 1 });
  const all = await m.forward(inputs, { crossAttentions: true });
  const one = await m.forward(inputs, { crossAttentions: true, crossQuery: 1 });
  const [b, h, td, te] = all.crossAttentions![0].dims;
  assert.deepEqual(one.crossAttentions![0].dims, [b, h, 1, te]);
  for (let bi = 0; bi < b; bi++) for (let hi = 0; hi < h; hi++) for (let k = 0; k < te; k++) {
    assert.equal(one.crossAttentions![0].data[(bi * h + hi) * te + k], all.crossAttentions![0].data[((bi * h + hi) * td + 1) * te + k]);
  }
  await m.dispose();
  await assert.rejects(m.forward(inputs, { logits: true }), /disposed/);
});

test('bad inputs are refused with specific messages before anything runs', async () => {
  const m = await ChronosModel.load(relu, { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    const bad = async (over: Partial<typeof inputs>, re: RegExp) => {
      await assert.rejects(m.forward({ ...inputs, ...over }, { logits: true }), (e: unknown) => e instanceof ChronosLensError && e.code === 'BAD_INPUT' && re.test(e.message));
    };
    await bad({ inputIds: { data: [5, 7, 9, 11, 3, 1, 0, 0, 4, 6, 8, 999], dims: [2, 6] } }, /input_ids\[1\]\[5\] = 999 is outside \[0, 511\]/);
    await bad({ inputIds: { data: [5, 7, 9], dims: [2, 6] } }, /3 values for dims \[2, 6\]/);
    await bad({ attentionMask: { data: [1, 1, 1, 1, 1, 2, 0, 0, 1, 1, 1, 1], dims: [2, 6] } }, /attention_mask\[0\]\[5\] = 2/);
    await bad({ decoderInputIds: { data: [0, 1, 2], dims: [1, 3] } }, /decoder_input_ids has 1 rows; input_ids has 2/);
    await bad({ inputIds: { data: [0.5, 7, 9, 11, 3, 1, 0, 0, 4, 6, 8, 1], dims: [2, 6] } }, /= 0\.5 is outside/);
    assert.throws(() => m.newAblation().zero('cross', 3, 0), /cross layer 3 does not exist \(the model has 3 decoder layers/);
    assert.throws(() => m.newAblation().zero('encoder', 0, 9), /head 9 does not exist/);
    assert.throws(() => m.newAblation().replace('encoder', 0, 1, [1, 2]), /has 2 values; expected d_kv = 8/);
  } finally {
    await m.dispose();
  }
});
