/**
 * Downloads through a real HTTP proxy on 127.0.0.1: plain forwarding for http:// targets, a CONNECT tunnel
 * (with TLS inside, to an HTTPS hub with a self-signed certificate) for https:// targets, proxy
 * credentials, and the proxy's refusal.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as fs from 'fs';
import * as path from 'path';
import { downloadModel, type DownloadModelOptions } from '../../../core/hub';
import { commitOf, FakeHub } from './fake-hub';
import { assertNoSecret, dummyFiles, rejectsWith, removeTempDirs, tempDir } from './helpers';
import { makeSelfSignedCert } from './selfsigned';
import { TestProxy } from './test-proxy';

const REPO = 'amazon/chronos-dummy';
const { config, generation, weights } = dummyFiles();
const TOKEN = 'hf_PROXYtestTOKEN0123456789abcdefgh';

function serve(hub: FakeHub): void {
  hub.addRepo(REPO, { 'config.json': config, 'generation_config.json': generation, 'model.safetensors': weights });
  hub.validTokens.add(TOKEN);
}

describe('downloads through an HTTP proxy', { timeout: 60_000 }, () => {
  const plainHub = new FakeHub();
  const tlsHub = new FakeHub();
  const cert = makeSelfSignedCert();
  const proxy = new TestProxy({ user: 'alice', password: 's3cret:pw' });

  before(async () => {
    serve(plainHub);
    serve(tlsHub);
    await plainHub.start();
    await tlsHub.start(cert);
    await proxy.start();
  });
  after(async () => {
    await Promise.all([plainHub.stop(), tlsHub.stop(), proxy.stop()]);
    removeTempDirs();
  });

  const proxyUrl = () => proxy.url.replace('http://', `http://alice:${encodeURIComponent('s3cret:pw')}@`);
  const opts = (extra: DownloadModelOptions): DownloadModelOptions => ({ cacheDir: tempDir(), offline: false, env: {}, retryDelayMs: 5, timeoutMs: 10_000, ...extra });

  it('http hub: forwards absolute-URI requests through the proxy, with proxy credentials', async () => {
    proxy.seen.length = 0;
    const r = await downloadModel(REPO, opts({ endpoint: plainHub.endpoint, proxy: proxyUrl() }));
    assert.ok(fs.readFileSync(path.join(r.path, 'model.safetensors')).equals(weights));
    const hubPort = new URL(plainHub.endpoint).port;
    const cdnPort = new URL(plainHub.cdnBase).port;
    assert.ok(proxy.seen.some((s) => s.method === 'HEAD' && s.target === `http://127.0.0.1:${hubPort}/${REPO}/resolve/main/config.json`));
    assert.ok(proxy.seen.some((s) => s.method === 'GET' && s.target.startsWith(`http://127.0.0.1:${cdnPort}/lfs/`)));
    const basic = `Basic ${Buffer.from('alice:s3cret:pw').toString('base64')}`;
    assert.ok(proxy.seen.every((s) => s.proxyAuthorization === basic));
    assert.equal(plainHub.requests.length, proxy.seen.length, 'every request went through the proxy');
  });

  it('https hub: tunnels with CONNECT and speaks TLS inside; the token reaches the hub only', async () => {
    proxy.seen.length = 0;
    const r = await downloadModel(REPO, opts({ endpoint: tlsHub.endpoint, proxy: proxyUrl(), ca: cert.cert, token: TOKEN }));
    assert.equal(r.commit, commitOf(REPO));
    assert.ok(fs.readFileSync(path.join(r.path, 'model.safetensors')).equals(weights));
    const hubPort = new URL(tlsHub.endpoint).port;
    const connects = proxy.seen.filter((s) => s.method === 'CONNECT');
    assert.ok(connects.length >= 3, 'one tunnel per hub request');
    assert.ok(connects.every((s) => s.target === `127.0.0.1:${hubPort}`));
    // The CDN is plain http here: forwarded, and without the token.
    const cdnGets = proxy.seen.filter((s) => s.method === 'GET');
    assert.equal(cdnGets.length, 1);
    assert.equal(cdnGets[0].authorization, undefined);
    assert.ok(tlsHub.hubRequests().every((q) => q.headers.authorization === `Bearer ${TOKEN}`));
    assert.ok(!proxy.seen.some((s) => s.method !== 'CONNECT' && s.target.includes(`:${hubPort}`)), 'the proxy never saw the hub requests in clear');
  });

  it('https hub with an untrusted certificate: a TLS error that says so', async () => {
    await rejectsWith(downloadModel(REPO, opts({ endpoint: tlsHub.endpoint, proxy: null })), { code: 'NETWORK', reason: 'tls', message: /TLS certificate problem/ });
  });

  it('strictSSL: false (VS Code\'s http.proxyStrictSSL) accepts the untrusted certificate, directly and in a tunnel', async () => {
    const direct = await downloadModel(REPO, opts({ endpoint: tlsHub.endpoint, proxy: null, strictSSL: false }));
    assert.ok(fs.readFileSync(path.join(direct.path, 'model.safetensors')).equals(weights));
    proxy.seen.length = 0;
    const tunnelled = await downloadModel(REPO, opts({ endpoint: tlsHub.endpoint, proxy: proxyUrl(), strictSSL: false }));
    assert.equal(tunnelled.commit, commitOf(REPO));
    assert.ok(proxy.seen.some((s) => s.method === 'CONNECT'));
    // strictSSL: true is the default
    await rejectsWith(downloadModel(REPO, opts({ endpoint: tlsHub.endpoint, proxy: proxyUrl(), strictSSL: true })), { code: 'NETWORK', reason: 'tls' });
  });

  it('https hub direct (no proxy) with the CA added', async () => {
    const r = await downloadModel(REPO, opts({ endpoint: tlsHub.endpoint, proxy: null, ca: [cert.cert] }));
    assert.equal(r.fromCache, false);
  });

  it('the proxy refuses without credentials (407): a proxy error that shows neither credentials nor token', async () => {
    const e1 = await rejectsWith(downloadModel(REPO, opts({ endpoint: tlsHub.endpoint, proxy: proxy.url, ca: cert.cert, token: TOKEN })), { code: 'NETWORK', reason: 'proxy', message: /refused to open a tunnel.*407.*credentials/ });
    assertNoSecret(e1, TOKEN);
    const wrong = proxy.url.replace('http://', 'http://alice:WRONGpass@');
    const e2 = await rejectsWith(downloadModel(REPO, opts({ endpoint: tlsHub.endpoint, proxy: wrong, ca: cert.cert })), { reason: 'proxy' });
    assertNoSecret(e2, 'WRONGpass');
    const e3 = await rejectsWith(downloadModel(REPO, opts({ endpoint: plainHub.endpoint, proxy: proxy.url })), { code: 'NETWORK', reason: 'proxy', status: 407, message: /proxy needs credentials/ });
    assert.ok(e3);
  });
});
