/**
 * What a failed download tells the user in VS Code, from real failures: downloadModel against the fake
 * hub on 127.0.0.1 (401 without / with a bad token, a gated repo, 404, a closed port, offline mode), and
 * a no-space error as the core raises it. The token never appears in the message.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { CancelledError } from '../../../core/errors';
import { downloadModel, HubError, type DownloadModelOptions } from '../../../core/hub';
import { describeHubError, HUB_ACTION_LABELS, tokenProblem } from '../../../extension/lib/hub-messages';
import { FakeHub } from '../hub/fake-hub';
import { dummyFiles, removeTempDirs, tempDir } from '../hub/helpers';

const TOKEN = 'hf_EXTmessagesTOKEN0123456789abcd';

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the download to fail');
}

describe('download failures as VS Code messages', () => {
  const hub = new FakeHub();
  const opts = (extra: DownloadModelOptions = {}): DownloadModelOptions => ({ endpoint: hub.endpoint, cacheDir: tempDir(), env: {}, retryDelayMs: 5, retries: 0, ...extra });

  before(async () => {
    const { config, generation, weights } = dummyFiles();
    const files = { 'config.json': config, 'generation_config.json': generation, 'model.safetensors': weights };
    hub.addRepo('acme/private-chronos', files, 'private');
    hub.addRepo('acme/gated-chronos', files, 'gated');
    hub.addRepo('acme/not-chronos', { ...files, 'config.json': Buffer.from(JSON.stringify({ model_type: 't5' })) });
    hub.addRepo('acme/pickle-only', { 'config.json': config, 'pytorch_model.bin': weights });
    hub.addRepo('acme/odd-commit', files).commit = '../../evil';
    hub.validTokens.add(TOKEN);
    await hub.start();
  });
  after(async () => {
    await hub.stop();
    removeTempDirs();
  });

  it('401 without a token: says a token is needed and offers to set one', async () => {
    const e = await failure(downloadModel('acme/private-chronos', opts()));
    const v = describeHubError(e, { repoId: 'acme/private-chronos', hasToken: false });
    assert.equal(v.reason, 'unauthorized');
    assert.match(v.message, /^Downloading acme\/private-chronos failed: .*needs a Hugging Face access token \(HTTP 401\).*Chronos Lens: Set Hugging Face Token/);
    assert.deepEqual(v.actions, ['setToken']);
    assert.equal(HUB_ACTION_LABELS[v.actions[0]], 'Set Hugging Face Token…');
  });

  it('401 with a rejected token (echoed back by the server): replace it; the token is not in the message', async () => {
    hub.echoTokenInErrors = true;
    try {
      const e = await failure(downloadModel('acme/private-chronos', opts({ token: 'hf_WRONGtokenWRONGtoken0000' })));
      const v = describeHubError(e, { repoId: 'acme/private-chronos', hasToken: true });
      assert.equal(v.reason, 'unauthorized');
      assert.match(v.message, /token was rejected.*Replace the token/);
      assert.ok(!v.message.includes('hf_WRONGtokenWRONGtoken0000'));
      assert.deepEqual(v.actions, ['setToken']);
    } finally {
      hub.echoTokenInErrors = false;
    }
  });

  it('403 on a gated repo: the model page (to accept the licence) and the token', async () => {
    const e = await failure(downloadModel('acme/gated-chronos', opts({ token: TOKEN })));
    const v = describeHubError(e, { repoId: 'acme/gated-chronos', hasToken: true });
    assert.equal(v.reason, 'gated');
    assert.deepEqual(v.actions, ['openPage', 'setToken']);
    assert.equal(v.url, `${hub.endpoint}/acme/gated-chronos`);
    assert.match(v.message, /gated model \(HTTP 403\)/);
  });

  it('404: the name is wrong (with a token, no token advice)', async () => {
    const e = await failure(downloadModel('acme/no-such-model', opts({ token: TOKEN })));
    const v = describeHubError(e, { repoId: 'acme/no-such-model', hasToken: true });
    assert.equal(v.reason, 'repo-not-found');
    assert.match(v.message, /No model repository "acme\/no-such-model".*HTTP 404/);
    assert.deepEqual(v.actions, []);
  });

  it('nothing listening: unreachable, with Retry and the proxy settings', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const e = await failure(downloadModel('acme/private-chronos', opts({ endpoint: `http://127.0.0.1:${port}` })));
    const v = describeHubError(e, { repoId: 'acme/private-chronos', hasToken: false });
    assert.equal(v.reason, 'unreachable');
    assert.deepEqual(v.actions, ['retry', 'proxySettings']);
    assert.match(v.message, /connection refused.*http\.proxy/);
  });

  it('offline (HF_HUB_OFFLINE) and not cached: says so, nothing to click', async () => {
    const e = await failure(downloadModel('acme/private-chronos', opts({ env: { HF_HUB_OFFLINE: '1' } })));
    const v = describeHubError(e, { repoId: 'acme/private-chronos', hasToken: false });
    assert.equal(v.reason, 'offline');
    assert.match(v.message, /not in the Hugging Face cache.*Unset HF_HUB_OFFLINE/);
    assert.deepEqual(v.actions, []);
  });

  it('no space left, cut transfers, cancellation', () => {
    const noSpace = new HubError('IO', 'no-space', 'Not enough free space for acme/x: it needs 2.8 GB more in /c, and only 1.0 GB is free.');
    const v = describeHubError(noSpace, { repoId: 'acme/x', hasToken: false });
    assert.match(v.message, /Not enough free space/);
    assert.deepEqual(v.actions, ['showLog']);
    assert.deepEqual(describeHubError(new HubError('NETWORK', 'connection-cut', 'cut'), { repoId: 'a/b', hasToken: false }).actions, ['retry']);
    assert.deepEqual(describeHubError(new HubError('NETWORK', 'http', 'HTTP 503', { status: 503 }), { repoId: 'a/b', hasToken: false }).actions, ['retry']);
    const c = describeHubError(new CancelledError('Download cancelled.'), { repoId: 'a/b', hasToken: false });
    assert.equal(c.severity, 'none');
    // Only a partial of a file whose size the hub announced survives a cancel (core/hub/http-download.ts).
    assert.match(c.message, /cancelled\. Finished files stay in the Hugging Face cache; a partly downloaded file is resumed .* when the hub announced its size, and downloaded again otherwise\./);
    assert.doesNotMatch(c.message, /what was downloaded is kept/);
  });

  it('a commit hash that is not safe as a path (bad-name): the endpoint and proxy, no Retry', async () => {
    const e = await failure(downloadModel('acme/odd-commit', opts()));
    const v = describeHubError(e, { repoId: 'acme/odd-commit', hasToken: false });
    assert.equal(v.reason, 'bad-name');
    assert.match(v.message, /not a commit hash.*HF_ENDPOINT in the environment VS Code was started from.*http\.proxy/);
    assert.deepEqual(v.actions, ['proxySettings', 'showLog']);
  });

  it('a repository without a loadable Chronos checkpoint (not-chronos, pickle-only): pick another model, no Retry', async () => {
    for (const [repo, reason, text] of [
      ['acme/not-chronos', 'not-chronos', /is not a Chronos model/],
      ['acme/pickle-only', 'pickle-only', /has only .* weights and no model\.safetensors/],
    ] as const) {
      const e = await failure(downloadModel(repo, opts()));
      const v = describeHubError(e, { repoId: repo, hasToken: false });
      assert.equal(v.reason, reason, repo);
      assert.match(v.message, text, repo);
      assert.match(v.message, /Pick a Chronos or Chronos-Bolt checkpoint with safetensors weights \(Chronos Lens: Select Model…\)\.$/, repo);
      assert.deepEqual(v.actions, [], repo); // no model page known for it, and retrying cannot help
    }
    const withPage = describeHubError(new HubError('NOT_FOUND', 'no-weights', 'no weights', { helpUrl: 'https://hub.example/acme/x' }), { repoId: 'acme/x', hasToken: false });
    assert.deepEqual(withPage.actions, ['openPage']);
  });

  it('too-large and bad-response get their own advice instead of the bare Show Log default', () => {
    const big = describeHubError(new HubError('NETWORK', 'too-large', 'model.safetensors from h is larger than 1.0 GB, the most that can be downloaded without an announced size (Content-Length none).'), { repoId: 'a/b', hasToken: false });
    assert.match(big.message, /larger than 1\.0 GB.* Nothing of that file was kept\. .*http\.proxy/);
    assert.deepEqual(big.actions, ['proxySettings', 'showLog']);
    const odd = describeHubError(new HubError('NETWORK', 'bad-response', 'h sent a malformed HTTP answer'), { repoId: 'a/b', hasToken: false });
    assert.match(odd.message, /malformed HTTP answer .*HF_ENDPOINT/);
    assert.deepEqual(odd.actions, ['proxySettings', 'showLog']);
  });
});

it('the token input box refuses what cannot be a token, without echoing it', () => {
  assert.match(tokenProblem('   ') ?? '', /Paste a token/);
  assert.match(tokenProblem('hf_abc def123') ?? '', /no spaces/);
  assert.match(tokenProblem('hf_ab') ?? '', /too short/);
  assert.equal(tokenProblem(' hf_AbCdEfGhIjKlMnOp '), undefined);
  assert.ok(!(tokenProblem('hf_abc defSECRET') ?? '').includes('SECRET'));
});
