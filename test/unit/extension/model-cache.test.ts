/**
 * Clear Model Cache's file work (extension/lib/model-cache.ts) on a real graph cache: graphs built by a
 * real model load into a folder that also holds things Chronos Lens did not write. Only the cache's own
 * entries and memo are counted and deleted; a cache built before the marker existed is still cleared
 * (the folder is the extension's own storage); the notification says what was freed and what was kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { clearedMessage, clearModelCacheAt, modelCacheSize } from '../../../extension/lib/model-cache';
import { ChronosModel } from '../../../models/model';
import { CACHE_MARKER } from '../../../models/runtime/graph-cache';
import { fixtures, tempDir } from '../helpers';

const A = path.join(fixtures, 'checkpoints', 't5-relu-tied-f32');

async function builtCache(): Promise<string> {
  const root = await tempDir();
  const model = await ChronosModel.load(A, { provider: 'cpu', threads: 1, cacheDir: root });
  await model.encode({ data: [1], dims: [1, 1] }, { data: [1], dims: [1, 1] });
  await model.dispose();
  return root;
}

test('only the graph cache\'s own entries and memo are counted and cleared; other things in graphs/ and beside it stay', async () => {
  const root = await builtCache();
  const graphs = path.join(root, 'graphs');
  const entries = readdirSync(graphs);
  assert.ok(entries.length > 0, 'graphs were built');
  const before = await modelCacheSize(root);
  assert.equal(before.dir, graphs);
  assert.ok(before.files > entries.length && before.bytes > 0, JSON.stringify(before));
  assert.equal(before.others, 0);

  writeFileSync(path.join(graphs, 'notes.txt'), 'a user file that happens to be here');
  mkdirSync(path.join(graphs, 'somebody-else'));
  writeFileSync(path.join(graphs, 'somebody-else', 'model.onnx'), 'not ours');
  mkdirSync(path.join(root, 'gpu'));
  writeFileSync(path.join(root, 'gpu', 'keep-me.txt'), 'GPU support');
  const withOthers = await modelCacheSize(root);
  assert.deepEqual([withOthers.bytes, withOthers.files, withOthers.others], [before.bytes, before.files, 2], 'others are neither counted nor freed');

  const warnings: string[] = [];
  const r = await clearModelCacheAt(root, (m) => warnings.push(m));
  assert.deepEqual(warnings, []);
  assert.deepEqual(r, { dir: graphs, bytes: before.bytes, files: before.files, kept: 2 });
  assert.deepEqual(readdirSync(graphs).sort(), ['notes.txt', 'somebody-else']);
  assert.ok(!existsSync(path.join(root, 'checkpoint-hashes.json')));
  assert.ok(existsSync(path.join(root, 'gpu', 'keep-me.txt')));
  assert.ok(existsSync(path.join(root, CACHE_MARKER)), 'the folder stays a known cache');
  assert.match(clearedMessage(r), /^Chronos Lens: model cache cleared \(.+ freed\)\. Left alone in .*graphs: 2 items that Chronos Lens did not write\.$/);

  const again = await modelCacheSize(root);
  assert.deepEqual([again.bytes, again.files, again.others], [0, 0, 2]);
});

test('a cache built before the marker existed is cleared (the folder is the extension\'s own storage); a missing one frees nothing', async () => {
  const root = await builtCache();
  rmSync(path.join(root, CACHE_MARKER));
  const before = await modelCacheSize(root);
  assert.ok(before.files > 0);
  const r = await clearModelCacheAt(root, () => undefined);
  assert.deepEqual([r.bytes, r.files, r.kept], [before.bytes, before.files, 0]);
  assert.ok(!existsSync(path.join(root, 'graphs')), 'an emptied graphs/ is removed');
  assert.equal(clearedMessage(r), `Chronos Lens: model cache cleared (${clearedMessage(r).match(/\((.+) freed\)/)![1]} freed).`);

  const missing = path.join(await tempDir(), 'never-used');
  assert.deepEqual(await modelCacheSize(missing), { dir: path.join(missing, 'graphs'), bytes: 0, files: 0, others: 0 });
  const none = await clearModelCacheAt(missing, () => undefined);
  assert.deepEqual([none.bytes, none.files, none.kept], [0, 0, 0]);
  assert.ok(!existsSync(missing), 'nothing is created for a cache that never existed');

  const file = path.join(await tempDir(), 'a-file');
  writeFileSync(file, 'keep');
  await assert.rejects(clearModelCacheAt(file, () => undefined), /refusing to clear .*a-file: it is not a folder.*nothing was deleted/);
  assert.ok(existsSync(file));
});
