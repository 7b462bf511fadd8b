/**
 * Select Model…'s entries from real inputs: the known Amazon models and a real Hugging Face cache filled
 * by downloadModel from the fake hub on 127.0.0.1 (tiny from `main`, another repo, an old snapshot without
 * a ref, a Chronos-Bolt checkpoint), scanned by scanCache from the folder HF_HUB_CACHE / HF_HOME name.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadModel, KNOWN_BOLT_MODELS, KNOWN_MODELS, resolveHubSettings, scanCache } from '../../../core/hub';
import { buildModelPickEntries, type ModelPickEntry } from '../../../extension/lib/model-items';
import { FakeHub } from '../hub/fake-hub';
import { BOLT_DIR, dummyFiles, removeTempDirs, tempDir } from '../hub/helpers';

const items = (e: ModelPickEntry[]) => e.filter((x) => x.kind === 'item');
const byRepo = (e: ModelPickEntry[], repoId: string) => items(e).filter((x) => x.label.endsWith(` ${repoId}`));

describe('Select Model… entries', () => {
  const hub = new FakeHub();
  let home: string;
  let cacheDir: string;
  const base = { bundledName: 'chronos-t5-nano', bundledDir: '/ext/models/chronos-t5-nano', known: KNOWN_MODELS, knownBolt: KNOWN_BOLT_MODELS };

  before(async () => {
    const { config, generation, weights } = dummyFiles();
    const files = { 'config.json': config, 'generation_config.json': generation, 'model.safetensors': weights };
    hub.addRepo('amazon/chronos-t5-tiny', files);
    hub.addRepo('someone/chronos-finetuned', files);
    hub.addRepo('amazon/chronos-bolt-tiny', {
      'config.json': fs.readFileSync(path.join(BOLT_DIR, 'config.json')),
      'model.safetensors': fs.readFileSync(path.join(BOLT_DIR, 'model.safetensors')),
    });
    await hub.start();
    home = tempDir('chronos-hf-home-');
    // HF_HOME/hub is where huggingface_hub (and so the picker) looks when HF_HUB_CACHE is unset.
    const env = { HF_HOME: home, HF_ENDPOINT: hub.endpoint };
    cacheDir = resolveHubSettings({ env }).cacheDir;
    assert.equal(cacheDir, path.join(home, 'hub'));
    assert.equal(resolveHubSettings({ env: { ...env, HF_HUB_CACHE: path.join(home, 'elsewhere') } }).cacheDir, path.join(home, 'elsewhere'));
    for (const repo of ['amazon/chronos-t5-tiny', 'someone/chronos-finetuned', 'amazon/chronos-bolt-tiny']) {
      await downloadModel(repo, { env, retryDelayMs: 5 });
    }
    // An older snapshot of the fine-tune that no branch points at any more.
    const repoDir = path.join(cacheDir, 'models--someone--chronos-finetuned');
    const [commit] = fs.readdirSync(path.join(repoDir, 'snapshots'));
    fs.cpSync(path.join(repoDir, 'snapshots', commit), path.join(repoDir, 'snapshots', 'a'.repeat(40)), { recursive: true, verbatimSymlinks: true });
  });
  after(async () => {
    await hub.stop();
    removeTempDirs();
  });

  it('before the cache scan: bundled, the five Amazon T5 and four Bolt models with sizes (download), the folder picker', () => {
    const e = buildModelPickEntries({ ...base, current: 'bundled', cacheDir });
    assert.equal(e[0].value, 'bundled');
    assert.match(e[0].description ?? '', /bundled · toy model · current/);
    // the caveat where the model is chosen, and the folder it runs from
    assert.match(e[0].detail ?? '', /^chronos-t5-nano is a toy model, trained here on synthetic series .*its forecasts are not Amazon's: pick one of Amazon's below · \/ext\/models\/chronos-t5-nano$/);
    const amazon = items(e).filter((x) => x.repoId);
    assert.deepEqual(amazon.map((x) => x.repoId), [
      'amazon/chronos-t5-tiny',
      'amazon/chronos-t5-mini',
      'amazon/chronos-t5-small',
      'amazon/chronos-t5-base',
      'amazon/chronos-t5-large',
      'amazon/chronos-bolt-tiny',
      'amazon/chronos-bolt-mini',
      'amazon/chronos-bolt-small',
      'amazon/chronos-bolt-base',
    ]);
    // each family under its own heading, the Bolt sizes with their parameters and download sizes
    const seps = e.filter((x) => x.kind === 'separator').map((x) => x.label);
    assert.ok(seps.includes('Chronos-T5 (Amazon, Hugging Face hub)') && seps.includes('Chronos-Bolt (Amazon, Hugging Face hub)'));
    assert.ok(e.findIndex((x) => x.label === 'Chronos-Bolt (Amazon, Hugging Face hub)') < e.indexOf(amazon[5]));
    assert.deepEqual(
      amazon.slice(5).map((x) => x.description?.replace(/ · checking the cache…$/, '')),
      ['Chronos-Bolt Tiny · 9M parameters', 'Chronos-Bolt Mini · 21M parameters', 'Chronos-Bolt Small · 48M parameters', 'Chronos-Bolt Base · 205M parameters'],
    );
    assert.equal(amazon[8].downloadBytes, 820e6);
    assert.ok(amazon.every((x) => x.action === 'download' && /checking the cache/.test(x.description ?? '')));
    assert.match(amazon[2].description ?? '', /Chronos-T5 Small · 46M parameters/);
    assert.equal(amazon[4].downloadBytes, 2.84e9);
    assert.equal(items(e).at(-1)?.action, 'folder');
    assert.equal(items(e).filter((x) => x.current).length, 1);
  });

  it('after the scan: cached models are "in cache" and used in place; others show their download size', async () => {
    const cached = await scanCache(cacheDir);
    const e = buildModelPickEntries({ ...base, current: 'bundled', cacheDir, cached });
    const [tiny] = byRepo(e, 'amazon/chronos-t5-tiny');
    assert.equal(tiny.action, undefined);
    assert.equal(tiny.value, 'amazon/chronos-t5-tiny');
    assert.match(tiny.description ?? '', /8M parameters · in cache · \d/);
    assert.ok(tiny.detail?.startsWith(path.join(cacheDir, 'models--amazon--chronos-t5-tiny', 'snapshots')));
    assert.ok(tiny.label.startsWith('$(database)'));
    const [small] = byRepo(e, 'amazon/chronos-t5-small');
    assert.equal(small.action, 'download');
    assert.match(small.description ?? '', /download ~185 MB/);
    assert.ok(small.detail?.includes(cacheDir));
    // the other cached checkpoints, in their own section: `main` by repo id, the old snapshot by folder; no Bolt
    const sep = e.findIndex((x) => x.kind === 'separator' && x.label.includes(cacheDir));
    assert.ok(sep > e.indexOf(small));
    const fine = byRepo(e, 'someone/chronos-finetuned');
    assert.equal(fine.length, 2);
    assert.equal(fine[0].value, 'someone/chronos-finetuned');
    assert.match(fine[0].description ?? '', /^main · /);
    assert.equal(fine[1].value, path.join(cacheDir, 'models--someone--chronos-finetuned', 'snapshots', 'a'.repeat(40)));
    assert.match(fine[1].description ?? '', /^aaaaaaaaaa · /);
    assert.equal(byRepo(e, 'amazon/chronos-t5-tiny').length, 1, 'a known model is listed once');
    // a cached Chronos-Bolt checkpoint is offered in place, in its family's section, once
    const bolt = byRepo(e, 'amazon/chronos-bolt-tiny');
    assert.equal(bolt.length, 1);
    assert.equal(bolt[0].value, 'amazon/chronos-bolt-tiny');
    assert.equal(bolt[0].action, undefined);
    assert.match(bolt[0].description ?? '', /^Chronos-Bolt Tiny · 9M parameters · in cache · /);
    assert.match(byRepo(e, 'amazon/chronos-bolt-small')[0].description ?? '', /download ~192 MB/);
  });

  it('marks the current setting wherever it is, and lists it separately only when it is none of them', async () => {
    const cached = await scanCache(cacheDir);
    const current = (setting: string) => items(buildModelPickEntries({ ...base, current: setting, cacheDir, cached })).filter((x) => x.current);
    assert.deepEqual(current('amazon/chronos-t5-tiny').map((x) => x.value), ['amazon/chronos-t5-tiny']);
    assert.deepEqual(current('amazon/chronos-t5-tiny@main').map((x) => x.value), ['amazon/chronos-t5-tiny']);
    assert.deepEqual(current('someone/chronos-finetuned').map((x) => x.value), ['someone/chronos-finetuned']);
    const old = path.join(cacheDir, 'models--someone--chronos-finetuned', 'snapshots', 'a'.repeat(40));
    assert.deepEqual(current(old).map((x) => x.value), [old]);
    assert.deepEqual(current('amazon/chronos-t5-large').map((x) => x.repoId), ['amazon/chronos-t5-large'], 'not cached: its download entry');
    const folder = current('/data/my-checkpoint');
    assert.equal(folder.length, 1);
    assert.equal(folder[0].value, '/data/my-checkpoint');
    assert.match(folder[0].label, /\$\(check\) \/data\/my-checkpoint/);
  });

  it('offline (HF_HUB_OFFLINE): models that are not cached say they cannot be downloaded', async () => {
    const cached = await scanCache(cacheDir);
    const e = buildModelPickEntries({ ...base, current: 'bundled', cacheDir, cached, offline: true });
    assert.match(byRepo(e, 'amazon/chronos-t5-base')[0].description ?? '', /not in cache \(offline: HF_HUB_OFFLINE\)/);
    assert.match(byRepo(e, 'amazon/chronos-t5-tiny')[0].description ?? '', /in cache/);
  });
});
