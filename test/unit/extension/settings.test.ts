/** chronosLens.* settings: defaults, validation with a message per bad value, model keys; and package.json agrees. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, modelKey, PROVIDERS, readSettings } from '../../../extension/lib/settings';
import { PROTOCOL_DEFAULTS } from '../../../analysis/tokens';
import { DEFAULT_THRESHOLD } from '../../../analysis/mosaic';
import { MAX_THREADS } from '../../../core/limits';
import { repoRoot } from '../helpers';

const from = (o: Record<string, unknown>) => readSettings((k) => o[k]);

test('nothing set: the defaults, which are the reference protocol', () => {
  const { settings, problems } = from({});
  assert.deepEqual(problems, []);
  assert.deepEqual(settings, DEFAULTS);
  const m = settings.mosaic;
  assert.deepEqual([m.batch, m.seqLen, m.repeats, m.subExtension, m.vocab, m.seed], [PROTOCOL_DEFAULTS.batch, PROTOCOL_DEFAULTS.seqLen, PROTOCOL_DEFAULTS.repeats, PROTOCOL_DEFAULTS.subExtension, PROTOCOL_DEFAULTS.vocab, PROTOCOL_DEFAULTS.seed]);
  assert.equal(m.threshold, DEFAULT_THRESHOLD);
  assert.equal(settings.model, 'bundled');
});

test('valid values are taken', () => {
  const { settings, problems } = from({
    model: '  ~/ckpt ',
    executionProvider: 'cuda',
    threads: 4,
    'mosaic.kinds': ['decoder', 'cross'],
    'mosaic.batch': 20,
    'mosaic.vocab': [3, 40],
    'mosaic.threshold': 0.5,
    'mosaic.dataDriven': false,
    'ablation.method': 'mean',
    'ablation.data': 'csv',
    'ablation.controls': 0,
  });
  assert.deepEqual(problems, []);
  assert.equal(settings.model, '~/ckpt');
  assert.equal(settings.provider, 'cuda');
  assert.equal(settings.threads, 4);
  assert.deepEqual(settings.mosaic.kinds, ['cross', 'decoder']);
  assert.deepEqual(settings.mosaic.vocab, [3, 40]);
  assert.equal(settings.mosaic.dataDriven, false);
  assert.equal(settings.ablation.method, 'mean');
  assert.equal(settings.ablation.controls, 0);
});

test('invalid values fall back to the default, each with a sentence naming the setting', () => {
  const { settings, problems } = from({
    model: 42,
    executionProvider: 'tpu',
    threads: -1,
    'mosaic.kinds': [],
    'mosaic.batch': 1.5,
    'mosaic.vocab': [50, 3],
    'mosaic.threshold': 2,
    'mosaic.seqLen': 4,
    'mosaic.subExtension': 4,
    'ablation.method': 'random',
    'ablation.controls': 'many',
  });
  assert.equal(settings.model, 'bundled');
  assert.equal(settings.provider, 'auto');
  assert.equal(settings.threads, 0);
  assert.deepEqual(settings.mosaic.kinds, DEFAULTS.mosaic.kinds);
  assert.equal(settings.mosaic.batch, 100);
  assert.deepEqual(settings.mosaic.vocab, [1911, 2187]);
  assert.equal(settings.mosaic.threshold, 0.3);
  assert.equal(settings.mosaic.seqLen, 4);
  assert.equal(settings.mosaic.subExtension, 1);
  assert.equal(settings.ablation.method, 'zero');
  assert.equal(settings.ablation.controls, 20);
  const text = problems.join('\n');
  for (const key of ['model', 'executionProvider', 'threads', 'mosaic.kinds', 'mosaic.batch', 'mosaic.vocab', 'mosaic.threshold', 'mosaic.subExtension', 'ablation.method', 'ablation.controls']) {
    assert.match(text, new RegExp(`chronosLens\\.${key.replace('.', '\\.')} `), key);
  }
  assert.match(text, /executionProvider must be one of auto, cpu, cuda, dml, coreml, webgpu, got "tpu"/);
  assert.equal(problems.length, 10);
});

test('model key: same model settings share a model, anything else reloads', () => {
  const a = { model: 'bundled', provider: 'auto' as const, threads: 0 };
  assert.equal(modelKey(a), modelKey({ ...a }));
  assert.notEqual(modelKey(a), modelKey({ ...a, provider: 'cpu' }));
  assert.notEqual(modelKey(a), modelKey({ ...a, threads: 2 }));
  assert.notEqual(modelKey(a), modelKey({ ...a, model: '/x' }));
});

test('package.json declares every setting with the same defaults and choices', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const props = pkg.contributes.configuration.properties as Record<string, { default: unknown; enum?: string[]; items?: { enum?: string[] } }>;
  const d = DEFAULTS;
  const want: Record<string, unknown> = {
    'chronosLens.model': d.model,
    'chronosLens.executionProvider': d.provider,
    'chronosLens.threads': d.threads,
    'chronosLens.mosaic.kinds': d.mosaic.kinds,
    'chronosLens.mosaic.batch': d.mosaic.batch,
    'chronosLens.mosaic.seqLen': d.mosaic.seqLen,
    'chronosLens.mosaic.repeats': d.mosaic.repeats,
    'chronosLens.mosaic.subExtension': d.mosaic.subExtension,
    'chronosLens.mosaic.vocab': d.mosaic.vocab,
    'chronosLens.mosaic.seed': d.mosaic.seed,
    'chronosLens.mosaic.threshold': d.mosaic.threshold,
    'chronosLens.mosaic.dataDriven': d.mosaic.dataDriven,
    'chronosLens.ablation.method': d.ablation.method,
    'chronosLens.ablation.data': d.ablation.data,
    'chronosLens.ablation.controls': d.ablation.controls,
    'chronosLens.ablation.topK': d.ablation.topK,
    'chronosLens.ablation.seed': d.ablation.seed,
    'chronosLens.ablation.heldOut': d.ablation.heldOut,
  };
  assert.deepEqual(Object.keys(props).sort(), Object.keys(want).sort());
  for (const [k, v] of Object.entries(want)) assert.deepEqual(props[k].default, v, k);
  assert.deepEqual(props['chronosLens.executionProvider'].enum, [...PROVIDERS]);
  assert.deepEqual(props['chronosLens.ablation.method'].enum, ['zero', 'mean']);
  assert.deepEqual(props['chronosLens.ablation.data'].enum, ['inductionLoss', 'csv', 'both']);
  assert.deepEqual(props['chronosLens.mosaic.kinds'].items?.enum, ['cross', 'encoder', 'decoder']);
});

test('chronosLens.threads above core/limits.ts\'s bound is a warning naming the setting and the default, never passed on to the runtime', () => {
  const { settings, problems } = readSettings((k) => (k === 'threads' ? MAX_THREADS + 1 : undefined));
  assert.equal(settings.threads, 0);
  assert.deepEqual(problems, [`chronosLens.threads must be an integer in 0..${MAX_THREADS}, got ${MAX_THREADS + 1}; using the default.`]);
  assert.equal(readSettings((k) => (k === 'threads' ? MAX_THREADS : undefined)).settings.threads, MAX_THREADS);
});
