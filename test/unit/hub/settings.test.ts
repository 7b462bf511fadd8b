/** Hub settings from the environment, repo folder names, proxy selection, the known models list. */
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  defaultCacheDir,
  findHubToken,
  isValidRepoId,
  KNOWN_MODELS,
  knownModel,
  repoFolderName,
  repoIdFromFolderName,
  resolveHubSettings,
  resolveProxy,
} from '../../../core/hub';
import { removeTempDirs, tempDir } from './helpers';

describe('hub settings', () => {
  after(() => removeTempDirs());

  it('cache folder: HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub', () => {
    assert.equal(defaultCacheDir({ HF_HUB_CACHE: '/data/hub', HF_HOME: '/x' }), path.resolve('/data/hub'));
    assert.equal(defaultCacheDir({ HUGGINGFACE_HUB_CACHE: '/old/hub' }), path.resolve('/old/hub'));
    assert.equal(defaultCacheDir({ HF_HOME: '/srv/hf' }), path.join(path.resolve('/srv/hf'), 'hub'));
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }), path.join(path.resolve('/xdg'), 'huggingface', 'hub'));
    assert.equal(defaultCacheDir({}), path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
    assert.equal(defaultCacheDir({ HF_HOME: '~/hf' }), path.join(os.homedir(), 'hf', 'hub'));
  });

  it('endpoint and offline mode from the environment; options win', () => {
    const s = resolveHubSettings({ env: { HF_ENDPOINT: 'https://hf-mirror.example/', HF_HUB_OFFLINE: 'YES' } });
    assert.equal(s.endpoint, 'https://hf-mirror.example');
    assert.equal(s.offline, true);
    assert.equal(s.offlineSource, 'env');
    const o = resolveHubSettings({ env: { HF_HUB_OFFLINE: '1' }, offline: false, endpoint: 'http://127.0.0.1:9' });
    assert.equal(o.offline, false);
    assert.equal(o.endpoint, 'http://127.0.0.1:9');
    assert.equal(resolveHubSettings({ env: {} }).endpoint, 'https://huggingface.co');
    for (const v of ['0', 'false', 'no', '']) assert.equal(resolveHubSettings({ env: { HF_HUB_OFFLINE: v } }).offline, false, v);
    for (const v of ['1', 'ON', 'yes', 'True']) assert.equal(resolveHubSettings({ env: { HF_HUB_OFFLINE: v } }).offline, true, v);
  });

  it('token: HF_TOKEN, else the file huggingface-cli login writes; never implicit in downloads', () => {
    const home = tempDir();
    assert.equal(findHubToken({ HF_HOME: home }), undefined);
    fs.writeFileSync(path.join(home, 'token'), 'hf_fromfile\n');
    assert.equal(findHubToken({ HF_HOME: home }), 'hf_fromfile');
    assert.equal(findHubToken({ HF_HOME: home, HF_TOKEN: 'hf_env' }), 'hf_env');
  });

  it('repo folder names as huggingface_hub spells them', () => {
    assert.equal(repoFolderName('amazon/chronos-t5-small'), 'models--amazon--chronos-t5-small');
    assert.equal(repoIdFromFolderName('models--amazon--chronos-t5-small'), 'amazon/chronos-t5-small');
    assert.equal(repoIdFromFolderName('datasets--a--b'), undefined);
    assert.ok(isValidRepoId('amazon/chronos-t5-small'));
    for (const bad of ['', 'a/b/c', 'a--b/c', '../x', 'a b/c', '/x']) assert.ok(!isValidRepoId(bad), bad);
  });

  it('proxy: explicit setting, environment variables, NO_PROXY, loopback', () => {
    const hf = new URL('https://huggingface.co/x');
    assert.equal(resolveProxy(hf, { proxy: 'http://p:3128', env: {} })?.host, 'p:3128');
    assert.equal(resolveProxy(hf, { proxy: 'p:3128', env: {} })?.protocol, 'http:', 'a bare host:port is http');
    assert.equal(resolveProxy(hf, { proxy: null, env: { HTTPS_PROXY: 'http://e:1' } }), undefined);
    assert.equal(resolveProxy(hf, { env: { HTTPS_PROXY: 'http://e:1' } })?.host, 'e:1');
    assert.equal(resolveProxy(new URL('http://huggingface.co/'), { env: { HTTPS_PROXY: 'http://e:1' } }), undefined, 'HTTPS_PROXY is for https');
    assert.equal(resolveProxy(new URL('http://huggingface.co/'), { env: { http_proxy: 'http://e:2' } })?.host, 'e:2');
    assert.equal(resolveProxy(hf, { env: { HTTPS_PROXY: 'http://e:1', NO_PROXY: 'example.com,.huggingface.co' } }), undefined);
    assert.equal(resolveProxy(new URL('https://cdn-lfs.huggingface.co/'), { env: { HTTPS_PROXY: 'http://e:1', NO_PROXY: 'huggingface.co' } }), undefined);
    assert.equal(resolveProxy(hf, { proxy: 'http://p:1', noProxy: ['huggingface.co'], env: {} }), undefined);
    assert.equal(resolveProxy(new URL('http://127.0.0.1:8080/'), { env: { HTTP_PROXY: 'http://e:1' } }), undefined, 'loopback bypasses env proxies');
    assert.equal(resolveProxy(new URL('http://127.0.0.1:8080/'), { proxy: 'http://p:1', env: {} })?.host, 'p:1', 'an explicit proxy applies to loopback');
    assert.throws(() => resolveProxy(hf, { proxy: 'socks5://s:1080', env: {} }), /only http:\/\/ and https:\/\/ proxies/);
  });

  it('known models: the five Chronos-T5 sizes with parameter counts and download sizes', () => {
    assert.deepEqual(KNOWN_MODELS.map((m) => m.repoId), ['tiny', 'mini', 'small', 'base', 'large'].map((s) => `amazon/chronos-t5-${s}`));
    for (let i = 1; i < KNOWN_MODELS.length; i++) {
      assert.ok(KNOWN_MODELS[i].parameters > KNOWN_MODELS[i - 1].parameters);
      assert.ok(KNOWN_MODELS[i].approxDownloadBytes > KNOWN_MODELS[i - 1].approxDownloadBytes);
    }
    for (const m of KNOWN_MODELS) {
      // float32 safetensors: about 4 bytes per parameter
      const ratio = m.approxDownloadBytes / m.parameters;
      assert.ok(ratio > 3.5 && ratio < 4.5, `${m.repoId}: ${ratio}`);
    }
    assert.equal(knownModel('amazon/chronos-t5-small')?.parametersLabel, '46M');
    assert.ok(Object.isFrozen(KNOWN_MODELS));
  });
});
