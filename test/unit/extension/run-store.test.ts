/** Stored ablation runs: save, list newest first, reload (NaN survives), bad files skipped, ids checked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { AblationResult } from '../../../analysis/types';
import { isRunId, RunStore, runLabel } from '../../../extension/lib/run-store';
import { tempDir } from '../helpers';

function result(method: 'zero' | 'mean', heads: number): AblationResult {
  return {
    model: { name: 'm', path: '/m', hash: 'h', encoderLayers: 2, decoderLayers: 2, heads: 4, dModel: 8, dKv: 2, contextLength: 64, predictionLength: 8 },
    heads: Array.from({ length: heads }, (_, i) => ({ kind: 'cross' as const, layer: 1, head: i })),
    method,
    controlSets: [[{ kind: 'cross', layer: 0, head: 0 }], [{ kind: 'cross', layer: 0, head: 1 }]],
    metrics: [{ name: 'induction_loss', unablated: 1.5, ablated: 2.5, controls: [1.6, NaN], percentile: 100, zScore: NaN }],
    data: { inductionLoss: true, csv: { file: 'AirPassengers.csv', column: '#Passengers', heldOut: 12, period: 12 } },
    manifest: { tool: 'chronos-lens', toolVersion: '0', createdAt: '2026-01-01T00:00:00Z', model: { name: 'm', hash: 'h' }, command: 'ablate', seeds: {}, versions: { onnxruntime: '1', node: 'v20', builder: '1' }, executionProvider: 'cpu', parameters: {} },
  };
}

test('labels say method, heads, controls and data', () => {
  assert.equal(runLabel(result('zero', 2)), 'zero · cross L1.H0, L1.H1 · 2 controls · induction loss + AirPassengers.csv #Passengers');
});

test('save, list newest first, load back', async () => {
  const store = new RunStore(await tempDir());
  assert.deepEqual(await store.list(), { runs: [], problems: [] });
  const a = await store.save(result('zero', 1), { now: new Date('2026-01-01T10:00:00Z'), source: '/data/a.csv' });
  const b = await store.save(result('mean', 2), { now: new Date('2026-01-02T10:00:00Z') });
  assert.ok(isRunId(a.id) && isRunId(b.id), `${a.id} ${b.id}`);
  const { runs, problems } = await store.list();
  assert.deepEqual(problems, []);
  assert.deepEqual(runs.map((r) => r.id), [b.id, a.id]);
  assert.equal(runs[1].label, a.label);
  const back = await store.load(a.id);
  assert.equal(back.source, '/data/a.csv');
  assert.deepEqual(back.result.heads, a.result.heads);
  assert.ok(Number.isNaN(back.result.metrics[0].zScore));
  assert.ok(Number.isNaN(back.result.metrics[0].controls[1]));
  assert.equal(back.result.metrics[0].controls[0], 1.6);
  assert.deepEqual((await fsp.readdir(store.dir)).sort(), [`${a.id}.json`, `${b.id}.json`].sort());
  await store.delete(a.id);
  assert.deepEqual((await store.list()).runs.map((r) => r.id), [b.id]);
});

test('broken files are skipped with a reason; ids cannot escape the folder', async () => {
  const store = new RunStore(await tempDir());
  const ok = await store.save(result('zero', 1));
  await fsp.writeFile(path.join(store.dir, '20260101T000000000Z-broken.json'), '{ not json');
  await fsp.writeFile(path.join(store.dir, '20260101T000000000Z-other1.json'), JSON.stringify({ format: 'something-else' }));
  await fsp.writeFile(path.join(store.dir, 'notes.txt'), 'ignored');
  const { runs, problems } = await store.list();
  assert.deepEqual(runs.map((r) => r.id), [ok.id]);
  assert.equal(problems.length, 2);
  assert.match(problems.join('\n'), /not valid JSON/);
  assert.match(problems.join('\n'), /not a chronos-lens-ablation-run v1 file/);
  await assert.rejects(store.load('../../etc/passwd'), /not an ablation run id/);
  await assert.rejects(store.load('20260101T000000000Z-gone00'), /no longer stored/);
});
