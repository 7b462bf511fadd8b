/**
 * Sessions hosted in a worker thread: same numbers as in-thread sessions, errors arrive as
 * ChronosLensError, and the caller's event loop keeps turning while a long run is in flight.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ChronosLensError } from '../../../core/errors';
import { ChronosModel } from '../../../models/model';
import { shutdownOrtWorker } from '../../../models/runtime/worker-session';
import { fixtures, maxAbsDiff } from '../helpers';

const relu = path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32');

after(async () => {
  await shutdownOrtWorker();
});

function batch(B: number, Te: number) {
  const ids = new Int32Array(B * Te).map((_, i) => (i % Te === Te - 1 ? 1 : 1911 + ((i * 7919) % 277)));
  return {
    inputIds: { data: ids, dims: [B, Te] as [number, number] },
    attentionMask: { data: new Int32Array(B * Te).fill(1), dims: [B, Te] as [number, number] },
    decoderInputIds: { data: new Int32Array(B * 2).map((_, i) => (i % 2 ? 2000 : 0)), dims: [B, 2] as [number, number] },
  };
}

test('a worker-hosted model gives exactly the in-thread numbers, incremental decoding included', async () => {
  const inline = await ChronosModel.load(relu, { cacheDir: null, provider: 'cpu', threads: 1 });
  const worker = await ChronosModel.load(relu, { cacheDir: null, provider: 'cpu', threads: 1, sessionHost: 'worker' });
  try {
    const inp = batch(4, 30);
    const a = await inline.forward(inp, { logits: true, crossAttentions: true });
    const b = await worker.forward(inp, { logits: true, crossAttentions: true });
    assert.equal(maxAbsDiff(a.logits!.data, b.logits!.data), 0);
    assert.equal(maxAbsDiff(a.crossAttentions![1].data, b.crossAttentions![1].data), 0);
    assert.deepEqual(worker.provider, inline.provider);
    const ea = await inline.encode(inp.inputIds, inp.attentionMask, { crossKv: true });
    const eb = await worker.encode(inp.inputIds, inp.attentionMask, { crossKv: true });
    let ca = inline.emptyCache(8);
    let cb = worker.emptyCache(8);
    let tokens = new Array(8).fill(0);
    for (let s = 0; s < 3; s++) {
      const ra = await inline.decodeStep(ea.state!, tokens, ca);
      const rb = await worker.decodeStep(eb.state!, tokens, cb);
      assert.equal(maxAbsDiff(ra.logits.data, rb.logits.data), 0, `step ${s}`);
      ca = ra.cache;
      cb = rb.cache;
      tokens = tokens.map((_, i) => 1900 + s * 8 + i);
    }
    // the caller's buffers are copied, not taken: the encoder state is still usable
    assert.ok(eb.state!.crossK[0].data.length > 0);
  } finally {
    await inline.dispose();
    await worker.dispose();
  }
});

test('the event loop keeps turning during a long worker run; errors are ChronosLensErrors', async () => {
  const worker = await ChronosModel.load(relu, { cacheDir: null, provider: 'cpu', threads: 1, sessionHost: 'worker' });
  try {
    await worker.forward(batch(2, 10), { logits: true }); // session created
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    await worker.forward(batch(400, 200), { logits: true });
    const ms = performance.now() - t0;
    clearInterval(timer);
    assert.ok(ms > 50, `the run should take a while (${ms.toFixed(0)} ms)`);
    // an in-thread run would leave no tick at all until it returns
    assert.ok(ticks >= Math.min(5, Math.floor(ms / 50)), `only ${ticks} ticks during a ${ms.toFixed(0)} ms run`);
    const session = await worker.session({ kind: 'forward', outputs: { logits: true } });
    await assert.rejects(session.run({}), (e: unknown) => e instanceof ChronosLensError && /graph input "input_ids" was not provided/.test(e.message));
  } finally {
    await worker.dispose();
  }
});
