/**
 * downloadModel against a fake hub + CDN on 127.0.0.1 serving the real dummy Chronos checkpoint the way
 * huggingface.co does (redirects, linked etags, Range), with cut transfers, corruption, cancellation,
 * offline mode, auth errors and concurrent downloads.
 */
import * as assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { downloadModel, scanCache, type DownloadModelOptions, type DownloadProgress } from '../../../core/hub';
import { HubError } from '../../../core/hub/hub-error';
import { commitOf, FakeHub, gitSha1, sha256 } from './fake-hub';
import { assertNoSecret, dummyFiles, rejectsWith, removeTempDirs, snapshotFiles, tempDir } from './helpers';

const REPO = 'amazon/chronos-dummy';
const COMMIT = commitOf(REPO);
const { config, generation, weights } = dummyFiles();
const WEIGHTS_SHA = sha256(weights);
const TOKEN = 'hf_TESTtokenABCDEFGHIJKLMNOPQRSTUV';
const ACCEPTED = 'hf_ACCEPTEDtoken1234567890abcdefg';

const hub = new FakeHub();

function opts(cacheDir: string, extra: DownloadModelOptions = {}): DownloadModelOptions {
  return { endpoint: hub.endpoint, cacheDir, offline: false, proxy: null, env: {}, retryDelayMs: 5, timeoutMs: 10_000, ...extra };
}
const repoDir = (cacheDir: string, repo = REPO) => path.join(cacheDir, `models--${repo.replace('/', '--')}`);

function assertDummySnapshot(cacheDir: string): void {
  const files = snapshotFiles(repoDir(cacheDir));
  const snap = path.join('snapshots', COMMIT);
  assert.deepEqual([...files.keys()].sort(), [path.join(snap, 'config.json'), path.join(snap, 'generation_config.json'), path.join(snap, 'model.safetensors')].sort());
  assert.ok(files.get(path.join(snap, 'model.safetensors'))!.equals(weights));
  assert.ok(files.get(path.join(snap, 'config.json'))!.equals(config));
}

describe('downloadModel against a fake hub', { timeout: 60_000 }, () => {
  before(async () => {
    hub.addRepo(REPO, { 'config.json': config, 'generation_config.json': generation, 'model.safetensors': weights, 'README.md': Buffer.from('# dummy\n') });
    const shardA = weights.subarray(0, 60_000);
    const shardB = weights.subarray(60_000);
    const index = Buffer.from(JSON.stringify({ metadata: { total_size: weights.length }, weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors', 'c.weight': 'model-00001-of-00002.safetensors' } }));
    hub.addRepo('acme/chronos-sharded', { 'config.json': config, 'model.safetensors.index.json': index, 'model-00001-of-00002.safetensors': shardA, 'model-00002-of-00002.safetensors': shardB });
    hub.addRepo('acme/pickle-only', { 'config.json': config, 'pytorch_model.bin': Buffer.from('not really a pickle') });
    const plainT5 = JSON.parse(config.toString()) as Record<string, unknown>;
    delete plainT5.chronos_config;
    hub.addRepo('acme/plain-t5', { 'config.json': Buffer.from(JSON.stringify(plainT5)), 'model.safetensors': weights });
    hub.addRepo('acme/gated-chronos', { 'config.json': config, 'model.safetensors': weights }, 'gated');
    hub.addRepo('acme/private-chronos', { 'config.json': config, 'model.safetensors': weights }, 'private');
    hub.renamed.set('amazon/old-dummy-name', REPO);
    hub.validTokens.add(TOKEN);
    hub.validTokens.add(ACCEPTED);
    hub.gatedAccepted.add(ACCEPTED);
    hub.privateTokens.add(TOKEN);
    await hub.start();
  });
  after(async () => {
    await hub.stop();
    removeTempDirs();
  });
  beforeEach(() => hub.reset());

  it('downloads config, generation config and weights into the huggingface_hub layout', async () => {
    const cacheDir = tempDir();
    const events: DownloadProgress[] = [];
    const r = await downloadModel(REPO, opts(cacheDir, { onProgress: (p) => events.push(p) }));
    assert.equal(r.commit, COMMIT);
    assert.equal(r.path, path.join(repoDir(cacheDir), 'snapshots', COMMIT));
    assert.equal(r.fromCache, false);
    assert.equal(r.bytesDownloaded, config.length + generation.length + weights.length);
    assert.deepEqual(r.checkpoint.files.weights, ['model.safetensors']);
    assertDummySnapshot(cacheDir);

    // Layout: blobs named by sha256 (LFS) / git sha1, relative symlinks, refs/main = commit.
    const rd = repoDir(cacheDir);
    assert.deepEqual(fs.readdirSync(path.join(rd, 'blobs')).sort(), [WEIGHTS_SHA, gitSha1(config), gitSha1(generation)].sort());
    const link = path.join(rd, 'snapshots', COMMIT, 'model.safetensors');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readlinkSync(link), path.join('..', '..', 'blobs', WEIGHTS_SHA));
    assert.equal(fs.readFileSync(path.join(rd, 'refs', 'main'), 'utf8'), COMMIT);
    assert.ok(!fs.readdirSync(path.join(rd, 'blobs')).some((f) => f.endsWith('.incomplete')));
    assert.deepEqual(fs.readdirSync(path.join(cacheDir, '.locks', 'models--amazon--chronos-dummy')), []);

    // HTTP: HEADs on the hub, the weights GET through the CDN, files pinned to the commit after the first HEAD.
    const hubReqs = hub.hubRequests();
    assert.match(hubReqs[0].url, /^\/amazon\/chronos-dummy\/resolve\/main\/config\.json$/);
    assert.ok(hubReqs.slice(1).every((q) => q.url.includes(`/resolve/${COMMIT}/`)), 'later requests use the commit');
    assert.ok(hubReqs.every((q) => q.headers['accept-encoding'] === 'identity'));
    const cdnGets = hub.cdnRequests().filter((q) => q.method === 'GET');
    assert.equal(cdnGets.length, 1);
    assert.ok(!hub.requests.some((q) => q.url.includes('README')), 'only the needed files');

    // Progress: phases, monotonic bytes up to the total, fraction 1 at the end.
    const phases = new Set(events.map((e) => e.phase));
    for (const p of ['resolving', 'downloading', 'verifying', 'done']) assert.ok(phases.has(p as DownloadProgress['phase']), p);
    const last = events[events.length - 1];
    assert.equal(last.phase, 'done');
    assert.equal(last.bytesDone, r.bytesDownloaded);
    assert.equal(last.bytesTotal, r.bytesDownloaded);
    assert.equal(last.fraction, 1);
    assert.ok(events.every((e) => e.bytesTotal === undefined || e.bytesDone <= e.bytesTotal));
    assert.ok(events.some((e) => e.file === 'model.safetensors' && e.fileCount === 3));
  });

  it('reports speed and ETA during a slow transfer', async () => {
    const cacheDir = tempDir();
    hub.cdn.throttle = { chunk: 8192, delayMs: 25 };
    const events: DownloadProgress[] = [];
    await downloadModel(REPO, opts(cacheDir, { onProgress: (p) => events.push(p) }));
    const moving = events.filter((e) => e.phase === 'downloading' && e.bytesPerSecond !== undefined);
    assert.ok(moving.length > 0, 'some events carry a speed');
    assert.ok(moving.every((e) => e.bytesPerSecond! > 0 && e.etaSeconds !== undefined && e.etaSeconds >= 0));
    assert.match(moving[moving.length - 1].message!, /model\.safetensors: .* of .*\/s, .* left/);
  });

  it('uses a complete snapshot without transferring again; a commit revision makes no request at all', async () => {
    const cacheDir = tempDir();
    await downloadModel(REPO, opts(cacheDir));
    hub.reset();
    const again = await downloadModel(REPO, opts(cacheDir));
    assert.equal(again.fromCache, true);
    assert.equal(hub.hubRequests().length, 1, 'one HEAD to learn the commit of main');
    assert.equal(hub.cdnRequests().length, 0);
    hub.reset();
    const pinned = await downloadModel(REPO, opts(cacheDir, { revision: COMMIT }));
    assert.equal(pinned.path, again.path);
    assert.equal(hub.requests.length, 0);
  });

  it('resumes automatically with Range + If-Range after the connection is cut mid-transfer, and verifies sha256', async () => {
    const cacheDir = tempDir();
    hub.cdn.cutAfter = 40_000;
    hub.cdn.cutTimes = 1;
    const r = await downloadModel(REPO, opts(cacheDir));
    assertDummySnapshot(cacheDir);
    const gets = hub.cdnRequests().filter((q) => q.method === 'GET');
    assert.equal(gets.length, 2);
    assert.equal(gets[0].headers.range, undefined);
    assert.equal(gets[1].headers.range, 'bytes=40000-');
    assert.equal(gets[1].headers['if-range'], `"cdn-${WEIGHTS_SHA.slice(0, 24)}"`);
    assert.notEqual(gets[1].url, gets[0].url, 'a freshly signed CDN URL for the retry');
    assert.equal(r.bytesDownloaded, config.length + generation.length + weights.length);
  });

  it('after a cut with no retries: an error, the .incomplete kept, nothing partial under snapshots/, no ref; the next call resumes', async () => {
    const cacheDir = tempDir();
    hub.cdn.cutAfter = 50_000;
    hub.cdn.cutTimes = 1;
    const e = await rejectsWith<HubError>(downloadModel(REPO, opts(cacheDir, { retries: 0 })), { code: 'NETWORK', reason: 'connection-cut', message: /resumes from there/ });
    assert.ok(e instanceof HubError);
    const rd = repoDir(cacheDir);
    const incomplete = path.join(rd, 'blobs', `${WEIGHTS_SHA}.incomplete`);
    assert.equal(fs.statSync(incomplete).size, 50_000);
    assert.ok(!fs.existsSync(path.join(rd, 'blobs', WEIGHTS_SHA)));
    // Atomicity: whatever is visible under snapshots/ is complete (config files), the weights are not there.
    const visible = snapshotFiles(rd);
    assert.ok(!visible.has(path.join('snapshots', COMMIT, 'model.safetensors')));
    for (const [name, content] of visible) {
      const expected = name.endsWith('config.json') && !name.endsWith('generation_config.json') ? config : generation;
      assert.ok(content.equals(expected), `${name} is complete`);
    }
    assert.ok(!fs.existsSync(path.join(rd, 'refs', 'main')), 'refs/ is written last');
    assert.deepEqual(await scanCache(cacheDir), [], 'an incomplete snapshot is not offered');
    const partial = await scanCache(cacheDir, { includeIncomplete: true });
    assert.equal(partial.length, 1);
    assert.equal(partial[0].isChronos, false);

    hub.reset();
    const r = await downloadModel(REPO, opts(cacheDir));
    const gets = hub.cdnRequests().filter((q) => q.method === 'GET');
    assert.equal(gets.length, 1);
    assert.equal(gets[0].headers.range, 'bytes=50000-');
    assert.equal(gets[0].headers['if-range'], undefined, 'no validator from an earlier session: the blob is content-addressed');
    assert.equal(r.bytesDownloaded, weights.length - 50_000);
    assertDummySnapshot(cacheDir);
    assert.equal(fs.readFileSync(path.join(rd, 'refs', 'main'), 'utf8'), COMMIT);
  });

  it('restarts from zero when the server answers 200 to a Range request', async () => {
    const cacheDir = tempDir();
    hub.cdn.cutAfter = 30_000;
    hub.cdn.cutTimes = 1;
    await rejectsWith(downloadModel(REPO, opts(cacheDir, { retries: 0 })), { reason: 'connection-cut' });
    hub.reset();
    hub.cdn.ignoreRange = true;
    const events: DownloadProgress[] = [];
    const r = await downloadModel(REPO, opts(cacheDir, { onProgress: (p) => events.push(p) }));
    assert.equal(hub.cdnRequests()[0].headers.range, 'bytes=30000-');
    assert.equal(r.bytesDownloaded, weights.length);
    assert.ok(events.every((e) => e.bytesTotal === undefined || e.bytesDone <= e.bytesTotal));
    assertDummySnapshot(cacheDir);
  });

  it('starts over after a 416 to a Range request', async () => {
    const cacheDir = tempDir();
    hub.cdn.cutAfter = 30_000;
    hub.cdn.cutTimes = 1;
    await rejectsWith(downloadModel(REPO, opts(cacheDir, { retries: 0 })), { reason: 'connection-cut' });
    hub.reset();
    hub.cdn.rangeNotSatisfiableTimes = 1;
    await downloadModel(REPO, opts(cacheDir));
    const gets = hub.cdnRequests().filter((q) => q.method === 'GET');
    assert.equal(gets.length, 2);
    assert.equal(gets[0].headers.range, 'bytes=30000-');
    assert.equal(gets[1].headers.range, undefined);
    assertDummySnapshot(cacheDir);
  });

  it('catches a corrupted transfer by its sha256 and deletes it', async () => {
    const cacheDir = tempDir();
    hub.cdn.corrupt = true;
    const e = await rejectsWith<HubError>(downloadModel(REPO, opts(cacheDir)), { code: 'NETWORK', reason: 'checksum', message: new RegExp(`Checksum mismatch for model\\.safetensors.*expected sha256 ${WEIGHTS_SHA}`) });
    assert.ok(e);
    const rd = repoDir(cacheDir);
    assert.ok(!fs.existsSync(path.join(rd, 'blobs', `${WEIGHTS_SHA}.incomplete`)));
    assert.ok(!fs.existsSync(path.join(rd, 'blobs', WEIGHTS_SHA)));
    assert.ok(!fs.existsSync(path.join(rd, 'snapshots', COMMIT, 'model.safetensors')));
    hub.reset();
    await downloadModel(REPO, opts(cacheDir));
    assertDummySnapshot(cacheDir);
  });

  it('cancels mid-transfer with an AbortSignal, keeps the partial file, and resumes later', async () => {
    const cacheDir = tempDir();
    hub.cdn.throttle = { chunk: 8192, delayMs: 20 };
    const ac = new AbortController();
    const p = downloadModel(REPO, opts(cacheDir, { signal: ac.signal, onProgress: (e) => {
      if (e.file === 'model.safetensors' && e.phase === 'downloading' && e.bytesDone > config.length + generation.length + 16_000) ac.abort();
    } }));
    await rejectsWith(p, { code: 'CANCELLED', message: /kept/ });
    const rd = repoDir(cacheDir);
    const size = fs.statSync(path.join(rd, 'blobs', `${WEIGHTS_SHA}.incomplete`)).size;
    assert.ok(size > 0 && size < weights.length, `partial size ${size}`);
    assert.ok(!fs.existsSync(path.join(rd, 'snapshots', COMMIT, 'model.safetensors')));
    assert.deepEqual(fs.readdirSync(path.join(cacheDir, '.locks', 'models--amazon--chronos-dummy')), [], 'lock released');
    hub.reset();
    await downloadModel(REPO, opts(cacheDir));
    const gets = hub.cdnRequests().filter((q) => q.method === 'GET');
    assert.equal(gets[0].headers.range, `bytes=${size}-`);
    assertDummySnapshot(cacheDir);
  });

  it('an already-aborted signal does nothing', async () => {
    const cacheDir = tempDir();
    await rejectsWith(downloadModel(REPO, opts(cacheDir, { signal: AbortSignal.abort() })), { code: 'CANCELLED' });
    assert.equal(hub.requests.length, 0);
  });

  it('offline: uses the cache without any request, or says clearly that the model is missing', async () => {
    const cacheDir = tempDir();
    const e = await rejectsWith<HubError>(downloadModel(REPO, opts(cacheDir, { offline: true })), { code: 'NOT_FOUND', reason: 'offline', message: /not in the Hugging Face cache.*offline mode is on/ });
    assert.ok(e);
    const env = await rejectsWith(downloadModel(REPO, { ...opts(cacheDir), offline: undefined, env: { HF_HUB_OFFLINE: '1' } }), { reason: 'offline', message: /HF_HUB_OFFLINE=1.*Unset HF_HUB_OFFLINE/ });
    assert.ok(env);
    assert.equal(hub.requests.length, 0);
    await downloadModel(REPO, opts(cacheDir));
    hub.reset();
    const r = await downloadModel(REPO, { ...opts(cacheDir), offline: undefined, env: { HF_HUB_OFFLINE: 'true' } });
    assert.equal(r.fromCache, true);
    assert.match(r.offlineReason!, /HF_HUB_OFFLINE/);
    assert.equal(r.commit, COMMIT);
    assert.equal(hub.requests.length, 0);
  });

  it('hub unreachable (connection refused): falls back to the cache, else says so', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const cacheDir = tempDir();
    const down = { endpoint: `http://127.0.0.1:${closedPort}` };
    await rejectsWith(downloadModel(REPO, opts(cacheDir, down)), { code: 'NETWORK', reason: 'unreachable', message: /connection refused.*not in the cache/ });
    await downloadModel(REPO, opts(cacheDir));
    const r = await downloadModel(REPO, opts(cacheDir, down));
    assert.equal(r.fromCache, true);
    assert.match(r.offlineReason!, /connection refused/);
  });

  it('DNS failure is reported as such', async () => {
    await rejectsWith(downloadModel(REPO, opts(tempDir(), { endpoint: 'http://no-such-hub.invalid' })), { code: 'NETWORK', reason: 'dns', message: /DNS lookup failed/ });
  });

  it('404s: no such repo, revision or file', async () => {
    const cacheDir = tempDir();
    await rejectsWith(downloadModel('acme/nope', opts(cacheDir, { token: TOKEN })), { code: 'NOT_FOUND', reason: 'repo-not-found', message: /No model repository "acme\/nope"/ });
    await rejectsWith(downloadModel(REPO, opts(cacheDir, { revision: 'v9' })), { code: 'NOT_FOUND', reason: 'revision-not-found', message: /no revision "v9"/ });
    await rejectsWith(downloadModel('not a repo id', opts(cacheDir)), { code: 'BAD_INPUT' });
  });

  it('401 without a token, 401 with a bad token, 403 gated; the token never appears in errors', async () => {
    const cacheDir = tempDir();
    await rejectsWith(downloadModel('acme/private-chronos', opts(cacheDir)), { code: 'NETWORK', reason: 'unauthorized', status: 401, message: /needs a Hugging Face access token/ });
    const bad = 'hf_BADtokenXYZ0123456789abcdefghij';
    const e1 = await rejectsWith(downloadModel('acme/private-chronos', opts(cacheDir, { token: bad })), { reason: 'unauthorized', message: /token was rejected/ });
    assertNoSecret(e1, bad);
    const e2 = await rejectsWith(downloadModel('acme/gated-chronos', opts(cacheDir)), { reason: 'gated', status: 401, message: /gated model and needs a Hugging Face access token/ });
    assert.ok(e2);
    const e3 = await rejectsWith<HubError>(downloadModel('acme/gated-chronos', opts(cacheDir, { token: TOKEN })), { code: 'NETWORK', reason: 'gated', status: 403, message: /accept its licence/ });
    assert.equal((e3 as HubError).helpUrl, `${hub.endpoint}/acme/gated-chronos`);
    assertNoSecret(e3, TOKEN);
    // A token echoed back by a (misbehaving) server is scrubbed too.
    hub.echoTokenInErrors = true;
    const e4 = await rejectsWith(downloadModel('acme/private-chronos', opts(cacheDir, { token: bad })), { reason: 'unauthorized', message: /The hub says: .*\*\*\*/ });
    assertNoSecret(e4, bad);
  });

  it('sends the token to the hub but never to the CDN it redirects to', async () => {
    const cacheDir = tempDir();
    const events: DownloadProgress[] = [];
    await downloadModel('acme/gated-chronos', opts(cacheDir, { token: ACCEPTED, onProgress: (p) => events.push(p) }));
    assert.ok(hub.hubRequests().every((q) => q.headers.authorization === `Bearer ${ACCEPTED}`));
    assert.ok(hub.cdnRequests().length > 0);
    assert.ok(hub.cdnRequests().every((q) => q.headers.authorization === undefined));
    assert.ok(events.every((e) => !JSON.stringify(e).includes(ACCEPTED)));
  });

  it('refuses a pickle-only repository without downloading it', async () => {
    const e = await rejectsWith(downloadModel('acme/pickle-only', opts(tempDir())), { code: 'UNSUPPORTED_MODEL', reason: 'pickle-only', message: /pickle.*arbitrary code.*safetensors/s });
    assert.match(e.message, /save_pretrained/);
    assert.ok(!hub.requests.some((q) => q.method === 'GET'), 'nothing fetched');
  });

  it('refuses a repository that is not Chronos before fetching its weights', async () => {
    await rejectsWith(downloadModel('acme/plain-t5', opts(tempDir())), { code: 'BAD_CHECKPOINT', reason: 'not-chronos' });
    assert.equal(hub.cdnRequests().length, 0);
  });

  it('downloads a sharded checkpoint (index + shards) and tolerates a missing generation_config.json', async () => {
    const cacheDir = tempDir();
    const r = await downloadModel('acme/chronos-sharded', opts(cacheDir));
    assert.equal(r.checkpoint.weightsKind, 'sharded');
    assert.deepEqual(r.checkpoint.files.weights, ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    assert.equal(r.checkpoint.files.generationConfig, undefined);
    const rd = repoDir(cacheDir, 'acme/chronos-sharded');
    const commit = commitOf('acme/chronos-sharded');
    assert.ok(fs.existsSync(path.join(rd, '.no_exist', commit, 'generation_config.json')), 'huggingface_hub no-exist marker');
    const joined = Buffer.concat([0, 1].map((i) => fs.readFileSync(path.join(r.path, `model-0000${i + 1}-of-00002.safetensors`))));
    assert.ok(joined.equals(weights));
    const found = await scanCache(cacheDir);
    assert.equal(found.length, 1);
    assert.equal(found[0].repoId, 'acme/chronos-sharded');
  });

  it('follows a relative redirect for a renamed repository', async () => {
    const cacheDir = tempDir();
    const r = await downloadModel('amazon/old-dummy-name', opts(cacheDir));
    assert.equal(r.commit, COMMIT);
    assert.ok(hub.hubRequests().some((q) => q.url.startsWith('/amazon/chronos-dummy/resolve/')));
  });

  it('without symlinks: moves new blobs into the snapshot (huggingface_hub on Windows), still found by scanCache', async () => {
    const cacheDir = tempDir();
    await downloadModel(REPO, opts(cacheDir, { useSymlinks: false }));
    const rd = repoDir(cacheDir);
    const file = path.join(rd, 'snapshots', COMMIT, 'model.safetensors');
    assert.ok(fs.lstatSync(file).isFile());
    assert.ok(fs.readFileSync(file).equals(weights));
    const found = await scanCache(cacheDir);
    assert.equal(found.length, 1);
    assert.deepEqual(found[0].refs, ['main']);
    assert.equal(found[0].sizeBytes, config.length + generation.length + weights.length);
  });

  it('two concurrent downloads of one model share the work through the blob lock', async () => {
    const cacheDir = tempDir();
    hub.cdn.throttle = { chunk: 16384, delayMs: 10 };
    const [a, b] = await Promise.all([downloadModel(REPO, opts(cacheDir)), downloadModel(REPO, opts(cacheDir))]);
    assert.equal(a.path, b.path);
    const gets = hub.cdnRequests().filter((q) => q.method === 'GET');
    assert.equal(gets.length, 1, 'the weights were transferred once');
    assert.equal(a.bytesDownloaded + b.bytesDownloaded >= weights.length, true);
    assertDummySnapshot(cacheDir);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const cacheDir = tempDir();
    const locks = path.join(cacheDir, '.locks', 'models--amazon--chronos-dummy');
    fs.mkdirSync(locks, { recursive: true });
    // huggingface_hub's own lock file (left in place after use) must not block us either.
    fs.writeFileSync(path.join(locks, `${WEIGHTS_SHA}.lock`), '');
    fs.writeFileSync(path.join(locks, `${WEIGHTS_SHA}.chronos-lens.lock`), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), time: new Date().toISOString() }));
    await downloadModel(REPO, opts(cacheDir));
    assertDummySnapshot(cacheDir);
    assert.deepEqual(fs.readdirSync(locks), [`${WEIGHTS_SHA}.lock`]);
  });

  it('reports no space left on the device (ENOSPC) with a clear message', { skip: !fs.existsSync('/dev/full') && 'needs /dev/full' }, async () => {
    const cacheDir = tempDir();
    const blobs = path.join(repoDir(cacheDir), 'blobs');
    fs.mkdirSync(blobs, { recursive: true });
    // The partial file is a link to /dev/full: every write fails with ENOSPC, as on a full disk.
    fs.symlinkSync('/dev/full', path.join(blobs, `${WEIGHTS_SHA}.incomplete`));
    await rejectsWith(downloadModel(REPO, opts(cacheDir)), { code: 'IO', reason: 'no-space', message: /No space left on the disk.*HF_HUB_CACHE/ });
  });
});
