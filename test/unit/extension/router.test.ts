/**
 * Host-side message routing: everything a page posts is validated with the protocol's validators,
 * requests get exactly one response, cancel aborts, closing the panel rejects pending work and
 * silences the panel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MosaicResult } from '../../../analysis/types';
import { ChronosLensError } from '../../../core/errors';
import { PanelDisposedError, PanelRouter, type RouterHandlers } from '../../../extension/lib/router';
import { mosaicValidationContext, PROTOCOL_VERSION, type ExportMessage, type HostMessage } from '../../../protocol';

const mosaic = { cross: { layers: 3, heads: 4 }, encoder: { layers: 2, heads: 4 } } as unknown as MosaicResult;
const SVG = { encoding: 'utf8', data: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' };

function setup(handlers: Partial<RouterHandlers<'mosaic'>> = {}) {
  const posted: HostMessage[] = [];
  const notified: unknown[] = [];
  const logs: string[] = [];
  const router = new PanelRouter({
    view: 'mosaic',
    post: (m) => posted.push(m),
    context: () => mosaicValidationContext(mosaic),
    handlers: {
      notify: (m) => void notified.push(m),
      export: async () => ({ saved: true, path: '/x.svg' }),
      ...handlers,
    },
    log: (level, m) => logs.push(`${level}: ${m}`),
  });
  return { router, posted, notified, logs };
}

const exportMsg = (requestId: string, extra: Partial<ExportMessage> = {}) => ({ type: 'export', requestId, format: 'svg', suggestedName: 'mosaic.svg', content: SVG, ...extra });

test('valid notifications reach the handler as fresh, checked objects', async () => {
  const { router, notified, logs } = setup();
  await router.receive({ type: 'ready', view: 'mosaic', protocolVersion: PROTOCOL_VERSION });
  await router.receive({ type: 'addToAblationSet', head: { kind: 'cross', layer: 2, head: 3 } });
  await router.receive({ type: 'kindChanged', kind: 'encoder' });
  assert.deepEqual(notified, [
    { type: 'ready', view: 'mosaic', protocolVersion: PROTOCOL_VERSION },
    { type: 'addToAblationSet', head: { kind: 'cross', layer: 2, head: 3 } },
    { type: 'kindChanged', kind: 'encoder' },
  ]);
  assert.deepEqual(logs, []);
});

test('invalid messages never reach a handler; they are logged with the field at fault', async () => {
  const { router, notified, logs, posted } = setup();
  await router.receive({ type: 'ablateHead', head: { kind: 'cross', layer: 3, head: 0 } }); // 3 layers: 0..2
  await router.receive({ type: 'ablateHead', head: { kind: 'decoder', layer: 0, head: 0 } }); // no decoder mosaic
  await router.receive({ type: 'openRun', runId: 'x' }); // ablation view's message
  await router.receive({ type: 'ready', view: 'mosaic', protocolVersion: 99 });
  await router.receive('hello');
  await router.receive({ type: 'addToAblationSet', head: { kind: 'cross', layer: 0, head: 0 }, extra: 1 });
  assert.deepEqual(notified, []);
  assert.deepEqual(posted, []);
  assert.equal(logs.length, 6);
  assert.match(logs[0], /^warn: Invalid message from the mosaic view: ablateHead\.head\.layer: expected an integer in 0\.\.2, got 3/);
  assert.match(logs[1], /no "decoder" attention/);
  assert.match(logs[2], /belongs to the ablation view/);
  assert.match(logs[3], /protocol/);
  assert.match(logs[5], /unexpected field "extra"/);
});

test('an invalid request is answered with an "invalid" error response', async () => {
  const { router, posted } = setup();
  await router.receive(exportMsg('r1', { suggestedName: '../../etc/passwd.svg' }));
  await router.receive(exportMsg('r2', { content: { encoding: 'utf8', data: 'not svg' } as ExportMessage['content'] }));
  assert.equal(posted.length, 2);
  for (const [i, p] of posted.entries()) {
    assert.equal(p.type, 'response');
    assert.ok(p.type === 'response' && !p.ok && p.requestId === `r${i + 1}` && p.error.code === 'invalid');
  }
});

test('requests: one response with the result, or the error with its code', async () => {
  let n = 0;
  const { router, posted, logs } = setup({
    export: async (m) => {
      n++;
      if (m.requestId === 'bad') throw new ChronosLensError('IO', 'cannot write /x.svg: permission denied');
      return { saved: true, path: `/out/${m.suggestedName}` };
    },
  });
  await router.receive(exportMsg('a'));
  await router.receive(exportMsg('bad'));
  assert.equal(n, 2);
  assert.deepEqual(posted[0], { type: 'response', requestId: 'a', ok: true, result: { saved: true, path: '/out/mosaic.svg' } });
  assert.deepEqual(posted[1], { type: 'response', requestId: 'bad', ok: false, error: { code: 'failed', message: 'cannot write /x.svg: permission denied' } });
  assert.match(logs.join('\n'), /request bad failed: cannot write/);
  assert.equal(router.pendingCount, 0);
});

test('cancel aborts the request; its response says cancelled', async () => {
  let seen: AbortSignal | undefined;
  const { router, posted } = setup({
    export: (_m, ctx) =>
      new Promise((_resolve, reject) => {
        seen = ctx.signal;
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
      }),
  });
  const pending = router.receive(exportMsg('slow'));
  await new Promise((r) => setImmediate(r));
  assert.equal(router.pendingCount, 1);
  await router.receive({ type: 'cancel', requestId: 'slow' });
  await pending;
  assert.equal(seen?.aborted, true);
  assert.equal(posted.length, 1);
  assert.ok(posted[0].type === 'response' && !posted[0].ok && posted[0].error.code === 'cancelled');
  assert.equal(router.pendingCount, 0);
  // cancelling something unknown is harmless
  await router.receive({ type: 'cancel', requestId: 'nothing' });
  assert.equal(posted.length, 1);
});

test('a handler that finishes after cancel still answers "cancelled", not its result', async () => {
  let release!: () => void;
  const { router, posted } = setup({ export: () => new Promise((r) => (release = () => r({ saved: true, path: '/x' }))) });
  const p = router.receive(exportMsg('late'));
  await new Promise((r) => setImmediate(r));
  await router.receive({ type: 'cancel', requestId: 'late' });
  release();
  await p;
  assert.ok(posted[0].type === 'response' && !posted[0].ok && posted[0].error.code === 'cancelled');
});

test('duplicate request ids are refused', async () => {
  let release!: () => void;
  const { router, posted } = setup({ export: () => new Promise((r) => (release = () => r({ saved: false }))) });
  const p = router.receive(exportMsg('dup'));
  await new Promise((r) => setImmediate(r));
  await router.receive(exportMsg('dup'));
  release();
  await p;
  assert.equal(posted.length, 2);
  assert.ok(posted[0].type === 'response' && !posted[0].ok && /already in use/.test(posted[0].error.message));
  assert.deepEqual(posted[1], { type: 'response', requestId: 'dup', ok: true, result: { saved: false } });
});

test('closing the panel aborts pending requests, rejects tied work, posts nothing more', async () => {
  let seen: AbortSignal | undefined;
  let finish!: () => void;
  const { router, posted, notified } = setup({
    export: (_m, ctx) => {
      seen = ctx.signal;
      return new Promise((r) => (finish = () => r({ saved: true, path: '/x' })));
    },
  });
  const pending = router.receive(exportMsg('p'));
  const tied = router.tie(new Promise(() => undefined)); // e.g. waiting for the page to export
  await new Promise((r) => setImmediate(r));
  router.dispose();
  assert.equal(seen?.aborted, true);
  assert.ok(seen?.reason instanceof PanelDisposedError);
  await assert.rejects(tied, PanelDisposedError);
  finish();
  await pending;
  assert.deepEqual(posted, []);
  assert.equal(router.post({ type: 'busy', busy: true }), false);
  await router.receive({ type: 'ready', view: 'mosaic', protocolVersion: PROTOCOL_VERSION });
  assert.deepEqual(notified, []);
  await assert.rejects(router.tie(Promise.resolve(1)), PanelDisposedError);
  router.dispose(); // idempotent
});

test('handler failures and a throwing post target are logged, never thrown', async () => {
  const logs: string[] = [];
  const router = new PanelRouter({
    view: 'mosaic',
    post: () => {
      throw new Error('webview is gone');
    },
    context: () => ({}),
    handlers: {
      notify: () => {
        throw new Error('boom');
      },
      export: async () => ({ saved: false }),
    },
    log: (level, m) => logs.push(`${level}: ${m}`),
  });
  await router.receive({ type: 'kindChanged', kind: 'cross' });
  await router.receive(exportMsg('x'));
  assert.equal(router.post({ type: 'busy', busy: false }), false);
  assert.match(logs.join('\n'), /handling kindChanged from the mosaic view failed: boom/);
  assert.match(logs.join('\n'), /posting response to the mosaic view failed: webview is gone/);
});

test('page errors are logged; requests the host does not handle get an answer', async () => {
  const posted: HostMessage[] = [];
  const logs: string[] = [];
  const router = new PanelRouter({
    view: 'series',
    post: (m) => posted.push(m),
    context: () => ({ series: { contextLength: 10, encoderLayers: 1, decoderLayers: 1, predictionLength: 2, heads: 1 } }),
    handlers: { notify: () => undefined, export: async () => ({ saved: false }) },
    log: (level, m) => logs.push(`${level}: ${m}`),
  });
  await router.receive({ type: 'webviewError', message: 'TypeError: x is undefined', stack: 'at y' });
  await router.receive({ type: 'requestLens', requestId: 'l1', kind: 'encoder', position: 3 });
  assert.match(logs[0], /^error: series view: TypeError: x is undefined\nat y/);
  assert.ok(posted[0].type === 'response' && !posted[0].ok && posted[0].error.code === 'invalid' && /does not handle requestLens/.test(posted[0].error.message));
});
