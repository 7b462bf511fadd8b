/**
 * The extension's model manager with real checkpoints and the real runtime: lazy loading, one model
 * per settings value, replacement on settings change (disposed once its run ends), runs in order with
 * cancellable waiting, load errors, provider fallback reported once, dispose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CancelledError, ChronosLensError } from '../../../core/errors';
import { MAX_THREADS } from '../../../core/limits';
import { ModelManager, nameThreadsSetting, type ModelState } from '../../../extension/lib/model-manager';
import { resolveModel } from '../../../models/source';
import type { ModelSettings } from '../../../extension/lib/settings';
import { ChronosModel } from '../../../models/model';
import { fixtures, tempDir } from '../helpers';

const A = path.join(fixtures, 'checkpoints', 't5-relu-tied-f32');
const B = path.join(fixtures, 'checkpoints', 't5-relu-untied-f16');

async function manager(
  settings: ModelSettings,
  extra: { onFallback?: (p: { requested: string; used: string; fallbackReason?: string }) => void; cacheDir?: string; threadsOverride?: number } = {},
) {
  const cacheDir = extra.cacheDir ?? (await tempDir());
  const loads: string[] = [];
  const states: ModelState[] = [];
  const logs: string[] = [];
  const m = new ModelManager<ChronosModel>(settings, {
    cacheDir,
    resolve: (s) => resolveModel(s, { extensionRoot: '/nonexistent', workspaceFolders: [] }),
    load: async (dir, o) => {
      loads.push(`${path.basename(dir)}:${o.provider}`);
      // threadsOverride stands for a runtime whose thread bound is tighter than the settings' one
      return ChronosModel.load(dir, extra.threadsOverride === undefined ? o : { ...o, threads: extra.threadsOverride });
    },
    log: (level, message) => logs.push(`${level}: ${message}`),
    onFallback: extra.onFallback,
  });
  m.onDidChange((s) => states.push(s));
  return { m, loads, states, logs, cacheDir };
}

/** A promise and the function that settles it: lets a test wait until a run has really started. */
function signal(): { fired: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const fired = new Promise<void>((r) => (fire = r));
  return { fired, fire };
}

/** Polls `check` until it passes (or fails with its last error after `ms`), instead of sleeping a guessed time. */
async function eventually(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function tinyRun(model: ChronosModel): Promise<void> {
  await model.encode({ data: [1], dims: [1, 1] }, { data: [1], dims: [1, 1] });
}

test('nothing loads until a run needs the model; the state follows', async () => {
  const { m, loads, states } = await manager({ model: A, provider: 'cpu', threads: 1 });
  assert.deepEqual(loads, []);
  assert.equal(m.state.label, 't5-relu-tied-f32');
  assert.equal(m.state.loaded, false);
  assert.equal(m.current, undefined);
  const name = await m.use(async (model, resolved) => {
    assert.equal(m.state.busy, true);
    assert.equal(resolved.kind, 'folder');
    await tinyRun(model);
    return model.name;
  }, { activity: 'testing' });
  assert.equal(name, 't5-relu-tied-f32');
  assert.deepEqual(loads, ['t5-relu-tied-f32:cpu']);
  const s = m.state;
  assert.equal(s.loaded, true);
  assert.equal(s.busy, false);
  assert.equal(s.used, 'cpu');
  assert.ok(states.some((x) => x.busy && x.activity === 'testing'));
  // same settings: the same model
  const again = await m.use(async (model) => model);
  assert.equal(again, m.current);
  assert.deepEqual(loads, ['t5-relu-tied-f32:cpu']);
  await m.dispose();
});

test('changing the settings replaces the model; one in use is disposed when its run ends', async () => {
  const { m, loads } = await manager({ model: A, provider: 'cpu', threads: 1 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let first: ChronosModel | undefined;
  const started = signal();
  const running = m.use(async (model) => {
    first = model;
    started.fire();
    await gate;
    await tinyRun(model); // still usable: not disposed under a running job
  });
  await started.fired;
  assert.equal(m.configure({ model: A, provider: 'cpu', threads: 1 }), false);
  assert.equal(m.configure({ model: B, provider: 'cpu', threads: 1 }), true);
  assert.equal(m.state.label, 't5-relu-untied-f16');
  assert.equal(m.state.loaded, false);
  release();
  await running;
  await eventually(() => assert.rejects(tinyRun(first!), /has been disposed/));
  const second = await m.use(async (model) => model.name);
  assert.equal(second, 't5-relu-untied-f16');
  assert.deepEqual(loads, ['t5-relu-tied-f32:cpu', 't5-relu-untied-f16:cpu']);
  await m.dispose();
});

test('runs go one at a time, in order; a waiting run can be cancelled', async () => {
  const { m } = await manager({ model: A, provider: 'cpu', threads: 1 });
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = signal();
  const one = m.use(async () => {
    order.push('one:start');
    started.fire();
    await gate;
    order.push('one:end');
  });
  await started.fired;
  let waited = 0;
  const two = m.use(async () => void order.push('two'), { onWaiting: () => waited++ });
  const ac = new AbortController();
  const three = m.use(async () => void order.push('three'), { signal: ac.signal });
  const four = m.use(async () => void order.push('four'));
  assert.equal(m.state.queued, 3);
  ac.abort();
  await assert.rejects(three, CancelledError);
  assert.equal(m.state.queued, 2);
  release();
  await Promise.all([one, two, four]);
  assert.deepEqual(order, ['one:start', 'one:end', 'two', 'four']);
  assert.equal(waited, 1);
  await assert.rejects(m.use(async () => 1, { signal: AbortSignal.abort() }), CancelledError);
  await m.dispose();
});

test('an interactive run (the series view\'s attention) runs beside a long job, not behind it; first in the queue while the model loads', { timeout: 120_000 }, async () => {
  const { m } = await manager({ model: A, provider: 'cpu', threads: 1 });
  const { AttentionLens } = await import('../../../analysis/lens');
  const window = Float64Array.from({ length: 64 }, (_, i) => 10 + Math.sin(i / 3));
  // while the model loads, an interactive run goes ahead of the jobs already waiting
  const order: string[] = [];
  const first = m.use(async () => void order.push('first'));
  const queued = m.use(async () => void order.push('queued'));
  const hover = m.use(async () => void order.push('interactive'), { interactive: true });
  await Promise.all([first, queued, hover]);
  assert.deepEqual(order, ['first', 'interactive', 'queued']);
  // a long job holds the loaded model: the interactive run computes its attention meanwhile
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = signal();
  const long = m.use(async (model) => {
    started.fire();
    await AttentionLens.compute(model, window);
    await gate;
    return 'long';
  });
  await started.fired;
  assert.equal(m.state.busy, true);
  const lens = await m.use((model) => AttentionLens.compute(model, window), { interactive: true });
  assert.equal(lens.contextLength, 64, 'computed while the long job still holds the model');
  assert.equal(m.state.queued, 0);
  // a plain run still waits for the long one
  let plainDone = false;
  const plain = m.use(async () => void (plainDone = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(plainDone, false);
  release();
  assert.equal(await long, 'long');
  await plain;
  assert.equal(plainDone, true);
  await m.dispose();
});

test('a failing load is reported in the state and retried by the next run', async () => {
  const { m } = await manager({ model: '/no/such/checkpoint', provider: 'cpu', threads: 0 });
  await assert.rejects(m.use(async () => 1), /model folder \/no\/such\/checkpoint does not exist/);
  assert.match(m.state.error ?? '', /does not exist/);
  assert.equal(m.state.busy, false);
  m.configure({ model: A, provider: 'cpu', threads: 0 });
  assert.equal(m.state.error, undefined);
  assert.equal(await m.use(async (model) => model.name), 't5-relu-tied-f32');
  await m.dispose();
});

test('a GPU provider that cannot start falls back to CPU, reported once per model', async (t) => {
  const fallbacks: string[] = [];
  const { m } = await manager({ model: A, provider: 'cuda', threads: 1 }, { onFallback: (p) => fallbacks.push(`${p.requested}->${p.used}: ${p.fallbackReason}`) });
  await m.use(tinyRun);
  await m.use(tinyRun);
  const s = m.state;
  if (s.used === 'cuda') {
    t.skip('this machine runs CUDA: no fallback to observe');
  } else {
    assert.equal(s.used, 'cpu');
    assert.ok(s.fallbackReason && s.fallbackReason.length > 10, s.fallbackReason);
    assert.equal(fallbacks.length, 1);
    assert.match(fallbacks[0], /^cuda->cpu: /);
  }
  await m.dispose();
});

test('dispose rejects waiting runs and refuses new ones', async () => {
  const { m } = await manager({ model: A, provider: 'cpu', threads: 1 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = signal();
  const one = m.use(() => (started.fire(), gate));
  await started.fired;
  const two = m.use(async () => 2);
  await m.dispose();
  await assert.rejects(two, /shutting down/);
  release();
  await one;
  await assert.rejects(m.use(async () => 3), /shutting down/);
});

test('unload disposes the loaded model (it loads again on the next run); refused while a run holds it', async () => {
  const { m, loads } = await manager({ model: A, provider: 'cpu', threads: 1 });
  assert.equal(await m.unload(), true, 'nothing loaded: nothing to do');
  const first = await m.use(async (model) => (await tinyRun(model), model));
  assert.equal(m.state.loaded, true);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = signal();
  const running = m.use(() => (started.fire(), gate));
  await started.fired;
  assert.equal(await m.unload(), false, 'a run holds the model');
  assert.equal(m.state.loaded, true);
  release();
  await running;
  assert.equal(await m.unload(), true);
  assert.equal(m.state.loaded, false);
  assert.throws(() => first.session({ kind: 'encoder' } as never), /disposed/);
  const second = await m.use(async (model) => (await tinyRun(model), model));
  assert.notEqual(second, first);
  assert.deepEqual(loads, ['t5-relu-tied-f32:cpu', 't5-relu-tied-f32:cpu']);
  await m.dispose();
});

test('graph cache warnings reach the manager\'s log (the output channel), not stderr: a corrupt cached graph, an unusable cache folder', async () => {
  const first = await manager({ model: A, provider: 'cpu', threads: 1 });
  await first.m.use(tinyRun);
  await first.m.dispose();
  const graphs = path.join(first.cacheDir, 'graphs');
  const entries = readdirSync(graphs);
  assert.ok(entries.length > 0, 'graphs were cached');
  const onnx = path.join(graphs, entries[0], 'model.onnx');
  const bytes = readFileSync(onnx);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(onnx, bytes);
  const second = await manager({ model: A, provider: 'cpu', threads: 1 }, { cacheDir: first.cacheDir });
  await second.m.use(tinyRun);
  await second.m.dispose();
  assert.ok(second.logs.some((l) => /^warn: the cached graph .* failed its integrity check .*; rebuilding it$/.test(l)), second.logs.join('\n'));

  const file = path.join(await tempDir(), 'not-a-folder');
  writeFileSync(file, 'x');
  const third = await manager({ model: A, provider: 'cpu', threads: 1 }, { cacheDir: file });
  assert.equal(await third.m.use(async (model) => (await tinyRun(model), model.name)), 't5-relu-tied-f32');
  await third.m.dispose();
  assert.ok(third.logs.some((l) => l.startsWith(`warn: the graph cache ${file} is not a folder; continuing without the graph cache`)), third.logs.join('\n'));
});

test('chronosLens.threads out of range: one warning naming the setting, the default used, no runtime error', async () => {
  const { m, logs } = await manager({ model: A, provider: 'cpu', threads: MAX_THREADS + 1 });
  assert.equal(await m.use(async (model) => (await tinyRun(model), model.name)), 't5-relu-tied-f32');
  assert.equal(m.state.error, undefined);
  assert.ok(logs.includes(`warn: chronosLens.threads must be an integer in 0..${MAX_THREADS}, got ${MAX_THREADS + 1}; using the default (one per logical core).`), logs.join('\n'));
  await m.dispose();
});

test('a threads refusal that still comes from the runtime names the setting chronosLens.threads', async () => {
  const { m } = await manager({ model: A, provider: 'cpu', threads: 1 }, { threadsOverride: MAX_THREADS + 1 });
  await assert.rejects(m.use(tinyRun), (e: Error) => {
    assert.ok(e instanceof ChronosLensError && e.code === 'BAD_INPUT', String(e));
    assert.match(e.message, new RegExp(`^chronosLens\\.threads ${MAX_THREADS + 1} is more than \\d+`));
    return true;
  });
  await m.dispose();
  // anything else passes through unchanged
  const other = new ChronosLensError('BAD_INPUT', 'threadsafe is not a word here');
  assert.equal(nameThreadsSetting(other), other);
});

test('either family loads through loadModel; the state names the family once loaded', async () => {
  const { isBolt, isChronos2, loadModel } = await import('../../../models/load');
  const bolt = path.join(fixtures, 'bolt', 'checkpoints', 'bolt-reduced-random');
  const cacheDir = await tempDir();
  const m = new ModelManager(
    { model: bolt, provider: 'cpu', threads: 1 },
    { cacheDir, resolve: (s) => resolveModel(s, { extensionRoot: '/nonexistent', workspaceFolders: [] }), load: (dir, o) => loadModel(dir, o) },
  );
  try {
    assert.equal(m.state.family, undefined, 'unknown before loading');
    assert.equal(await m.use(async (model) => isBolt(model)), true);
    assert.equal(m.state.family, 'Chronos-Bolt');
    m.configure({ model: A, provider: 'cpu', threads: 1 });
    assert.equal(await m.use(async (model) => isBolt(model)), false);
    assert.equal(m.state.family, 'Chronos-T5');
    m.configure({ model: path.join(fixtures, 'chronos2', 'checkpoints', 'chronos2-reduced-random'), provider: 'cpu', threads: 1 });
    assert.equal(await m.use(async (model) => isChronos2(model)), true);
    assert.equal(m.state.family, 'Chronos-2');
  } finally {
    await m.dispose();
  }
});
