/**
 * Saved mosaic panels (restored after a window reload): one file per panel key, written and read back, the
 * newest kept, bad files and ids refused with a clear error; and what a restored page's state may ask for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { MosaicResult } from '../../../analysis/types';
import { isMosaicPanelId, MosaicPanelStore, mosaicPanelId, restoreTarget, type MosaicPanelRecord } from '../../../extension/lib/panel-store';
import { tempDir } from '../helpers';

function mosaic(name: string): MosaicResult {
  const m = [[0.1, 0.7], [0.05, 0.3]];
  return {
    model: { name, path: `/models/${name}`, hash: `hash-${name}`, encoderLayers: 2, decoderLayers: 2, heads: 2, dModel: 8, dKv: 4, contextLength: 64, predictionLength: 8 },
    protocol: { source: 'random-tokens', batch: 4, seqLen: 10, repeats: 2, subExtension: 1, vocab: [1911, 2187], seed: 1911, eosTokenId: 1, decoderStartTokenId: 0 },
    threshold: 0.3,
    layers: 2,
    heads: 2,
    cross: { layers: 2, heads: 2, center: m, right: m, stderr: { center: m, right: m }, counts: { center: 2, right: 2, total: 2, heads: 4, percent: 50 } },
    manifest: { tool: 'chronos-lens', toolVersion: '0', createdAt: '2026-01-01T00:00:00Z', model: { name, hash: `hash-${name}` }, command: 'mosaic', seeds: { tokens: 1911 }, versions: { onnxruntime: '1', node: 'v20', builder: '1' }, executionProvider: 'cpu', parameters: {} },
  };
}

function record(key: string, name = 'nano'): MosaicPanelRecord {
  return { key, variant: key.startsWith('data:') ? 'data' : 'reference', title: `${name} · reference protocol`, result: mosaic(name) };
}

test('ids: one per key, 16 hex digits, stable', () => {
  const a = mosaicPanelId('reference:abc');
  assert.ok(isMosaicPanelId(a), a);
  assert.equal(mosaicPanelId('reference:abc'), a);
  assert.notEqual(mosaicPanelId('reference:abd'), a);
  for (const bad of ['', '../../etc/passwd', 'ABCDEF0123456789', '0123456789abcde', '0123456789abcdef0']) assert.equal(isMosaicPanelId(bad), false, bad);
});

test('save and load back: the result, the CSV and the tab; saving the same key again replaces the file', async () => {
  const store = new MosaicPanelStore(await tempDir());
  const rec: MosaicPanelRecord = { ...record('data:file:///w/a.csv#y'), csv: { uri: 'file:///w/a.csv', column: 'y' }, kind: 'cross' };
  const id = await store.save(rec, new Date('2026-01-01T10:00:00Z'));
  assert.equal(id, mosaicPanelId(rec.key));
  const back = await store.load(id);
  assert.equal(back.savedAt, '2026-01-01T10:00:00.000Z');
  assert.deepEqual({ ...back, format: undefined, version: undefined, id: undefined, savedAt: undefined }, { ...rec, format: undefined, version: undefined, id: undefined, savedAt: undefined });
  await store.save({ ...rec, title: 'again', result: mosaic('other') });
  assert.deepEqual(await fsp.readdir(store.dir), [`${id}.json`]);
  const again = await store.load(id);
  assert.equal(again.title, 'again');
  assert.equal(again.result.model.name, 'other');
});

test('keeps only the newest files', async () => {
  const store = new MosaicPanelStore(await tempDir(), 3);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(await store.save(record(`reference:${i}`)));
    // mtime decides which are newest: make each file visibly older than the next
    await fsp.utimes(path.join(store.dir, `${ids[i]}.json`), 1_000_000 + i, 1_000_000 + i);
  }
  await store.save(record('reference:4'));
  assert.deepEqual((await fsp.readdir(store.dir)).sort(), ids.slice(2).map((i) => `${i}.json`).sort());
  await assert.rejects(store.load(ids[0]), (e: Error & { code?: string }) => e.code === 'NOT_FOUND' && /no longer stored/.test(e.message));
});

test('refuses bad ids and bad files, saying which and why', async () => {
  const store = new MosaicPanelStore(await tempDir());
  await assert.rejects(store.load('../x'), /not a mosaic panel id: "..\/x"/);
  const id = await store.save(record('reference:x'));
  const file = path.join(store.dir, `${id}.json`);
  const good = JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
  const cases: [unknown, RegExp][] = [
    ['{ not json', /not valid JSON/],
    [{ ...good, format: 'other' }, /not a chronos-lens-mosaic-panel v1 file/],
    [{ ...good, variant: 'sideways' }, /id, key, title or variant missing/],
    [{ ...good, kind: 'diagonal' }, /unknown attention kind "diagonal"/],
    [{ ...good, csv: { column: 'y' } }, /csv\.uri missing/],
    [{ ...good, result: { ...(good.result as object), cross: undefined } }, /the stored mosaic is incomplete/],
  ];
  for (const [doc, re] of cases) {
    await fsp.writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
    await assert.rejects(store.load(id), (e: Error) => re.test(e.message) && e.message.includes(file), String(re));
  }
});

test('restore targets: only a well-formed id from the page state', () => {
  const id = mosaicPanelId('reference:abc');
  const runId = '20261127T164500123Z-abc123';
  assert.deepEqual(restoreTarget('mosaic', { show: { type: 'showMosaic', panelId: id }, kind: 'encoder' }), { view: 'mosaic', panelId: id, kind: 'encoder' });
  assert.deepEqual(restoreTarget('mosaic', { show: { type: 'showMosaic', panelId: id }, kind: 'sideways' }), { view: 'mosaic', panelId: id });
  assert.deepEqual(restoreTarget('ablation', { show: { type: 'showAblation', runId } }), { view: 'ablation', runId });
  for (const [view, state] of [
    ['mosaic', undefined],
    ['mosaic', null],
    ['mosaic', {}],
    ['mosaic', { show: { type: 'showMosaic' } }], // a page saved before panels were restorable
    ['mosaic', { show: { type: 'showMosaic', panelId: '../../x' } }],
    ['mosaic', { show: { type: 'showAblation', runId } }],
    ['ablation', { show: { type: 'showAblation', runId: 'x/../y' } }],
    ['ablation', { show: { type: 'showMosaic', panelId: id } }],
  ] as const) {
    assert.equal(restoreTarget(view, state), undefined, JSON.stringify(state));
  }
});
