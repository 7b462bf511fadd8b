/**
 * Reading the huggingface_hub cache and checkpoint folders: a cache laid out exactly as huggingface_hub
 * writes it (blobs named by sha256 / git sha1, relative symlinks, refs/main) is found by scanCache and
 * used by downloadModel without any HTTP request; checkpoint folders are judged in place.
 */
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { clearDir, dirSize, downloadModel, findCachedModel, formatBytes, inspectCheckpointFolder, scanCache } from '../../../core/hub';
import { gitSha1, sha256 } from './fake-hub';
import { BOLT_DIR, DUMMY_DIR, dummyFiles, removeTempDirs, tempDir } from './helpers';

const { config, generation, weights } = dummyFiles();
const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const OLD_COMMIT = '0000000000000000000000000000000000000001';

/** Lays out repoId in cacheDir the way huggingface_hub's hf_hub_download does. */
function hfLayout(cacheDir: string, repoId: string, commit: string, files: Record<string, Buffer>, refs: string[] = ['main']): string {
  const repoDir = path.join(cacheDir, `models--${repoId.split('/').join('--')}`);
  const snap = path.join(repoDir, 'snapshots', commit);
  fs.mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
  fs.mkdirSync(snap, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const etag = name.endsWith('.safetensors') ? sha256(content) : gitSha1(content);
    fs.writeFileSync(path.join(repoDir, 'blobs', etag), content);
    fs.symlinkSync(path.join('..', '..', 'blobs', etag), path.join(snap, name));
  }
  for (const r of refs) {
    fs.mkdirSync(path.dirname(path.join(repoDir, 'refs', r)), { recursive: true });
    fs.writeFileSync(path.join(repoDir, 'refs', r), commit);
  }
  return snap;
}

describe('the huggingface_hub cache', { timeout: 30_000 }, () => {
  after(() => removeTempDirs());

  it('scanCache finds Chronos checkpoints laid out by huggingface_hub, with refs, sizes and usable paths', async () => {
    const cacheDir = tempDir();
    const snap = hfLayout(cacheDir, 'amazon/chronos-t5-small', COMMIT, { 'config.json': config, 'generation_config.json': generation, 'model.safetensors': weights });
    hfLayout(cacheDir, 'amazon/chronos-t5-small', OLD_COMMIT, { 'config.json': config, 'model.safetensors': weights }, []);
    hfLayout(cacheDir, 'amazon/chronos-bolt-dummy', COMMIT, {
      'config.json': fs.readFileSync(path.join(BOLT_DIR, 'config.json')),
      'model.safetensors': fs.readFileSync(path.join(BOLT_DIR, 'model.safetensors')),
    });
    // Not Chronos: a plain T5, a pickle-only Chronos, a dataset, a lock folder, a broken snapshot.
    const plain = JSON.parse(config.toString()) as Record<string, unknown>;
    delete plain.chronos_config;
    hfLayout(cacheDir, 'google/t5-small', COMMIT, { 'config.json': Buffer.from(JSON.stringify(plain)), 'model.safetensors': weights });
    hfLayout(cacheDir, 'acme/pickled', COMMIT, { 'config.json': config, 'pytorch_model.bin': Buffer.from('x') });
    fs.mkdirSync(path.join(cacheDir, 'datasets--autogluon--chronos_datasets', 'snapshots'), { recursive: true });
    fs.mkdirSync(path.join(cacheDir, '.locks', 'models--amazon--chronos-t5-small'), { recursive: true });
    const broken = hfLayout(cacheDir, 'acme/broken', COMMIT, { 'config.json': config, 'model.safetensors': weights });
    fs.rmSync(path.join(cacheDir, 'models--acme--broken', 'blobs', sha256(weights)));

    const found = await scanCache(cacheDir);
    assert.deepEqual(found.map((c) => `${c.repoId}@${c.commit.slice(0, 4)}`), ['amazon/chronos-bolt-dummy@a1b2', 'amazon/chronos-t5-small@a1b2', 'amazon/chronos-t5-small@0000']);
    const small = found[1];
    assert.equal(small.path, snap);
    assert.deepEqual(small.refs, ['main']);
    assert.equal(small.family, 'chronos-t5');
    assert.equal(small.weightsKind, 'single');
    assert.equal(small.sizeBytes, config.length + generation.length + weights.length);
    assert.equal(small.chronosConfig?.tokenizer_class, 'MeanScaleUniformBins');
    assert.ok(fs.readFileSync(path.join(small.path, 'model.safetensors')).equals(weights), 'usable in place through the links');
    assert.equal(found[0].family, 'chronos-bolt');

    const withPartial = await scanCache(cacheDir, { includeIncomplete: true });
    const b = withPartial.find((c) => c.repoId === 'acme/broken');
    assert.ok(b && !b.isChronos);
    assert.equal(b.path, broken);
    assert.match(b.problem!, /broken link/);
    assert.ok(withPartial.find((c) => c.repoId === 'acme/pickled')?.pickleOnly);

    assert.deepEqual(await scanCache(path.join(cacheDir, 'does-not-exist')), []);
    // The default cache folder comes from the environment.
    assert.equal((await scanCache(undefined, { env: { HF_HUB_CACHE: cacheDir } })).length, 3);
    assert.equal((await scanCache(undefined, { env: { HF_HOME: path.dirname(cacheDir), HF_HUB_CACHE: undefined } })).length, 0);
  });

  it('findCachedModel resolves refs and commit hashes', async () => {
    const cacheDir = tempDir();
    hfLayout(cacheDir, 'amazon/chronos-t5-tiny', COMMIT, { 'config.json': config, 'model.safetensors': weights }, ['main', 'refs/pr/1']);
    assert.equal((await findCachedModel('amazon/chronos-t5-tiny', 'main', cacheDir))?.commit, COMMIT);
    assert.equal((await findCachedModel('amazon/chronos-t5-tiny', 'refs/pr/1', cacheDir))?.commit, COMMIT);
    assert.deepEqual((await findCachedModel('amazon/chronos-t5-tiny', COMMIT, cacheDir))?.refs.sort(), ['main', 'refs/pr/1']);
    assert.equal(await findCachedModel('amazon/chronos-t5-tiny', 'v2', cacheDir), undefined);
    assert.equal(await findCachedModel('amazon/chronos-t5-base', 'main', cacheDir), undefined);
  });

  it('downloadModel uses a huggingface_hub cache without any HTTP request (commit revision, or offline)', async () => {
    const cacheDir = tempDir();
    const snap = hfLayout(cacheDir, 'amazon/chronos-t5-small', COMMIT, { 'config.json': config, 'model.safetensors': weights });
    let requests = 0;
    const server = http.createServer((_q, r) => {
      requests++;
      r.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const base = { endpoint, cacheDir, proxy: null, env: {} };
      const pinned = await downloadModel('amazon/chronos-t5-small', { ...base, revision: COMMIT });
      assert.equal(pinned.path, snap);
      assert.equal(pinned.fromCache, true);
      const offline = await downloadModel('amazon/chronos-t5-small', { ...base, offline: true });
      assert.equal(offline.path, snap);
      assert.deepEqual(offline.files.sort(), ['config.json', 'model.safetensors']);
      assert.equal(requests, 0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('inspectCheckpointFolder judges folders in place', async () => {
    const dummy = await inspectCheckpointFolder(DUMMY_DIR);
    assert.equal(dummy.isChronos, true);
    assert.equal(dummy.family, 'chronos-t5');
    assert.deepEqual(dummy.files, { config: 'config.json', generationConfig: 'generation_config.json', weights: ['model.safetensors'] });
    assert.equal(dummy.sizeBytes, config.length + generation.length + weights.length);
    const bolt = await inspectCheckpointFolder(BOLT_DIR);
    assert.equal(bolt.isChronos, true);
    assert.equal(bolt.family, 'chronos-bolt');

    const dir = tempDir();
    assert.match((await inspectCheckpointFolder(path.join(dir, 'nope'))).problem!, /does not exist/);
    assert.match((await inspectCheckpointFolder(dir)).problem!, /config\.json is missing/);
    fs.writeFileSync(path.join(dir, 'config.json'), '{not json');
    assert.match((await inspectCheckpointFolder(dir)).problem!, /not valid JSON/);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type":"t5"}');
    assert.match((await inspectCheckpointFolder(dir)).problem!, /no "chronos_config"/);
    fs.writeFileSync(path.join(dir, 'config.json'), config);
    assert.match((await inspectCheckpointFolder(dir)).problem!, /no model\.safetensors/);
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'x');
    const pickled = await inspectCheckpointFolder(dir);
    assert.equal(pickled.pickleOnly, true);
    assert.match(pickled.problem!, /pickle.*arbitrary code/);
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-1.safetensors', b: 'model-2.safetensors' } }));
    fs.writeFileSync(path.join(dir, 'model-1.safetensors'), 'x');
    const sharded = await inspectCheckpointFolder(dir);
    assert.equal(sharded.isChronos, false);
    assert.deepEqual(sharded.missing, ['model-2.safetensors']);
    fs.writeFileSync(path.join(dir, 'model-2.safetensors'), 'yz');
    const full = await inspectCheckpointFolder(dir);
    assert.equal(full.isChronos, true);
    assert.equal(full.weightsKind, 'sharded');
    assert.deepEqual(full.files.weights, ['model-1.safetensors', 'model-2.safetensors']);
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: '../../etc/passwd' } }));
    assert.match((await inspectCheckpointFolder(dir)).problem!, /not a valid safetensors index/);
  });

  it('dirSize counts files (links as links) and clearDir empties a folder but refuses dangerous paths', async () => {
    const cacheDir = tempDir();
    hfLayout(cacheDir, 'amazon/chronos-t5-small', COMMIT, { 'config.json': config, 'model.safetensors': weights });
    const size = await dirSize(cacheDir);
    assert.equal(size.bytes, config.length + weights.length + COMMIT.length, 'blobs once, links 0, refs/main');
    assert.equal(size.files, 5);
    assert.deepEqual(await dirSize(path.join(cacheDir, 'missing')), { bytes: 0, files: 0 });
    const freed = await clearDir(cacheDir);
    assert.deepEqual(freed, size);
    assert.deepEqual(fs.readdirSync(cacheDir), []);
    assert.ok(fs.existsSync(cacheDir), 'the folder itself stays');
    await assert.rejects(clearDir('/'), { code: 'BAD_INPUT' });
    await assert.rejects(clearDir(os.homedir()), { code: 'BAD_INPUT' });
    await assert.rejects(clearDir('relative/path'), { code: 'BAD_INPUT' });
    assert.equal(formatBytes(185_000_000), '185 MB');
    assert.equal(formatBytes(2_840_000_000), '2.84 GB');
    assert.equal(formatBytes(512), '512 B');
  });
});
