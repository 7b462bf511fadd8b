/** chronosLens.model values: bundled, folders (absolute, ~, workspace-relative), Hugging Face cache repo ids. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { bundledModelDir, looksLikeRepoId, modelLabel, resolveModel } from '../../../models/source';
import { fixtures, tempDir } from '../helpers';

const ckpt = path.join(fixtures, 'checkpoints', 't5-relu-tied-f32');

/** A hub cache with one snapshot of amazon/chronos-t5-tiny at refs/main (files copied from a fixture). */
async function hubCache(): Promise<{ root: string; snap: string }> {
  const root = await tempDir('chronos-lens-hub-');
  const repo = path.join(root, 'models--amazon--chronos-t5-tiny');
  const commit = 'a'.repeat(40);
  const snap = path.join(repo, 'snapshots', commit);
  await fsp.mkdir(snap, { recursive: true });
  await fsp.mkdir(path.join(repo, 'refs'), { recursive: true });
  await fsp.writeFile(path.join(repo, 'refs', 'main'), commit);
  for (const f of ['config.json', 'generation_config.json', 'model.safetensors']) await fsp.copyFile(path.join(ckpt, f), path.join(snap, f));
  return { root, snap };
}

test('labels before loading', () => {
  assert.equal(modelLabel('bundled'), 'chronos-t5-nano');
  assert.equal(modelLabel(''), 'chronos-t5-nano');
  assert.equal(modelLabel('amazon/chronos-t5-small'), 'chronos-t5-small');
  assert.equal(modelLabel('amazon/chronos-t5-small@main'), 'chronos-t5-small');
  assert.equal(modelLabel('/data/ckpts/my-model/'), 'my-model');
  assert.equal(looksLikeRepoId('amazon/chronos-t5-small'), true);
  assert.equal(looksLikeRepoId('./amazon/x'), false);
  assert.equal(looksLikeRepoId('/abs/path'), false);
  assert.equal(looksLikeRepoId('a/b/c'), false);
});

test('bundled: the folder under the extension root, or a clear error when it is missing', async () => {
  const root = await tempDir();
  await assert.rejects(resolveModel('bundled', { extensionRoot: root }), /bundled model is missing from this installation/);
  await fsp.mkdir(bundledModelDir(root), { recursive: true });
  const r = await resolveModel('Bundled', { extensionRoot: root });
  assert.equal(r.kind, 'bundled');
  assert.equal(r.dir, path.join(root, 'models', 'chronos-t5-nano'));
});

test('folders: absolute, home-relative, workspace-relative', async () => {
  const home = await tempDir();
  const ws = await tempDir();
  await fsp.mkdir(path.join(home, 'ck'), { recursive: true });
  await fsp.mkdir(path.join(ws, 'models', 'mine'), { recursive: true });
  const env = { extensionRoot: '/nonexistent', homeDir: home, workspaceFolders: ['/nope', ws], hubCacheDir: home };
  assert.deepEqual(await resolveModel(ckpt, env), { kind: 'folder', dir: ckpt, label: 't5-relu-tied-f32', setting: ckpt });
  assert.equal((await resolveModel('~/ck', env)).dir, path.join(home, 'ck'));
  assert.equal((await resolveModel('models/mine', env)).dir, path.join(ws, 'models', 'mine'));
  await assert.rejects(resolveModel('/no/such/folder', env), /model folder \/no\/such\/folder does not exist/);
  await assert.rejects(resolveModel('rel/x', { ...env, workspaceFolders: [] }), /not in the Hugging Face cache|no workspace folder/);
  await assert.rejects(resolveModel('rel', { ...env, workspaceFolders: [] }), /relative, but no workspace folder is open/);
});

test('repo ids: the snapshot refs/main points at in the hub cache, used in place', async () => {
  const { root, snap } = await hubCache();
  const env = { extensionRoot: '/nonexistent', hubCacheDir: root, workspaceFolders: [] };
  const r = await resolveModel('amazon/chronos-t5-tiny', env);
  assert.equal(r.kind, 'hub');
  assert.equal(r.dir, snap);
  assert.equal(r.repoId, 'amazon/chronos-t5-tiny');
  assert.equal(r.label, 'chronos-t5-tiny');
  assert.equal(r.commit, 'a'.repeat(40));
  await assert.rejects(resolveModel('amazon/chronos-t5-small', env), /amazon\/chronos-t5-small is not in the Hugging Face cache \(.*\) and no folder/);
  await assert.rejects(resolveModel('amazon/chronos-t5-tiny@v2', env), /chronos-t5-tiny@v2 is not in the Hugging Face cache/);
});

test('a workspace folder of the same name wins over the hub cache', async () => {
  const { root } = await hubCache();
  const ws = await tempDir();
  await fsp.mkdir(path.join(ws, 'amazon', 'chronos-t5-tiny'), { recursive: true });
  const r = await resolveModel('amazon/chronos-t5-tiny', { extensionRoot: '/x', hubCacheDir: root, workspaceFolders: [ws] });
  assert.equal(r.kind, 'folder');
  assert.equal(r.dir, path.join(ws, 'amazon', 'chronos-t5-tiny'));
});
