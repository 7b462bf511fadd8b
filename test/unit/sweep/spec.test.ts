/** Sweep specs: parsing, defaults, one line per bad field, bounds; the file glob. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { SpecError, parseSweepSpec } from '../../../analysis/sweep/spec';
import { expandGlob } from '../../../analysis/sweep/glob';
import { tempDir } from '../helpers';

function problems(text: string): string[] {
  try {
    parseSweepSpec(text, 'spec.yaml');
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected a SpecError, got ${(e as Error).message}`);
    return e.problems;
  }
  assert.fail('the spec was accepted');
}

test('a full spec parses with every form of model, data and analysis', () => {
  const s = parseSweepSpec(
    `
name: sizes
models:
  - bundled
  - amazon/chronos-t5-small
  - amazon/chronos-t5-base@0123abc
  - ./checkpoints/mine
  - { hub: amazon/chronos-t5-large, revision: v1 }
  - { path: /abs/model }
data:
  - reference
  - data/*.csv
  - { csv: "more/**/*.csv", column: OT }
analyses:
  - mosaic
  - { mosaic: { kinds: [cross, encoder], batch: 50, onData: true } }
  - { ablate: { top: 3, method: mean, controls: 5 } }
  - { ablate: { heads: "L0.H1,L1.H2" } }
  - forecast
  - { attribute: { step: 3, target: logprob } }
seeds: [0, 1, 2]
runtime: { threads: 4, provider: cpu }
`,
    'spec.yaml',
  );
  assert.equal(s.name, 'sizes');
  assert.deepEqual(s.models, [
    { kind: 'bundled' },
    { kind: 'hub', repo: 'amazon/chronos-t5-small', revision: 'main' },
    { kind: 'hub', repo: 'amazon/chronos-t5-base', revision: '0123abc' },
    { kind: 'path', path: './checkpoints/mine' },
    { kind: 'hub', repo: 'amazon/chronos-t5-large', revision: 'v1' },
    { kind: 'path', path: '/abs/model' },
  ]);
  assert.deepEqual(s.data, [{ kind: 'reference' }, { kind: 'csv', pattern: 'data/*.csv' }, { kind: 'csv', pattern: 'more/**/*.csv', column: 'OT' }]);
  assert.deepEqual(
    s.analyses.map((a) => a.type),
    ['mosaic', 'mosaic', 'ablate', 'ablate', 'forecast', 'attribute'],
  );
  assert.deepEqual(s.analyses[0], { type: 'mosaic', kinds: ['cross'], batch: 100, seqLen: 10, repeats: 2, subExtension: 1, vocab: undefined, threshold: 0.3, onData: false });
  assert.equal(s.analyses[2].type === 'ablate' && s.analyses[2].method, 'mean');
  assert.deepEqual(s.analyses[5], { type: 'attribute', step: 3, target: 'logprob' });
  assert.deepEqual(s.seeds, [0, 1, 2]);
  assert.deepEqual(s.runtime, { threads: 4, provider: 'cpu' });
});

test('defaults: data is the reference protocol, seeds are the analyses own', () => {
  const s = parseSweepSpec('models: [bundled]\nanalyses: [mosaic]\n');
  assert.deepEqual(s.data, [{ kind: 'reference' }]);
  assert.deepEqual(s.seeds, [null]);
});

test('every bad field gets its own line naming it', () => {
  const p = problems(`
models: [bundled, bundled, {hub: "not a repo"}, 42]
data: [{column: x}]
analyses:
  - mosaic: { batch: 1, kinds: [cross, sideways], threshold: 2, colour: red }
  - { ablate: { method: sideways } }
  - { patch: {} }
  - dance
seeds: [1, -1, 1]
extra: 1
`);
  const expect = [
    /^spec\.extra: unknown field/,
    /^models\[2\]\.hub: must be a Hugging Face repo id/,
    /^models\[3\]: must be "bundled"/,
    /^data\[0\]\.csv: is required/,
    /^analyses\[0\]\.mosaic\.colour: unknown field/,
    /^analyses\[0\]\.mosaic\.kinds: must list distinct kinds/,
    /^analyses\[0\]\.mosaic\.batch: must be an integer in \[2, 100000\], got 1/,
    /^analyses\[0\]\.mosaic\.threshold: must be a number in \[0, 1\], got 2/,
    /^analyses\[1\]\.ablate: needs heads .* or top/,
    /^analyses\[1\]\.ablate\.method: must be zero or mean/,
    /^analyses\[2\]: "patch" is not available in sweeps yet/,
    /^analyses\[3\]: unknown analysis "dance"/,
    /^seeds\[1\]: must be an integer/,
    /^seeds: lists a seed twice/,
    /^models\[1\]: is listed twice/,
  ];
  for (const re of expect) assert.ok(p.some((l) => re.test(l)), `no line matches ${re}:\n${p.join('\n')}`);
  assert.equal(p.length, expect.length, p.join('\n'));
  for (const l of p) assert.ok(!l.includes('\n'));
});

test('YAML syntax errors name the line; sizes are bounded', () => {
  assert.match(problems('models: [bundled\nanalyses: mosaic')[0], /^line \d+, column \d+: /);
  assert.match(problems('models: [bundled]\nmodels: [x]\nanalyses: [mosaic]')[0], /line 2/);
  assert.match(problems(`models: [${Array.from({ length: 65 }, (_, i) => `m${i}`).join(', ')}]\nanalyses: [mosaic]`)[0], /^models: has 65 entries; at most 64/);
  assert.match(problems(`models: [bundled]\nanalyses: [mosaic]\nseeds: [${Array.from({ length: 1001 }, (_, i) => i).join(',')}]`)[0], /^seeds: has 1001 entries; at most 1000/);
  assert.match(problems('x'.repeat((1 << 20) + 1))[0], /larger than 1048576 bytes/);
  assert.match(problems('- a\n- b')[0], /must be a YAML map/);
  assert.match(problems('models: [bundled]\nanalyses: [forecast]')[0], /^data: forecast, attribute .* need at least one CSV dataset/);
  assert.match(problems('models: [bundled]\ndata: [x.csv]\nanalyses: [{attribute: {target: median}}]')[0], /^analyses\[0\]\.attribute\.target: must be logit, logprob or expected, got "median"/);
  // Aliases cannot blow a small file up into a huge document.
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
  assert.equal(problems(bomb).length, 1);
});

test('globs: *, ?, **, {a,b}, sorted, hidden files skipped, a plain path must exist', async () => {
  const d = await tempDir('sweep-glob-');
  for (const f of ['a.csv', 'b.csv', 'c.txt', '.hidden.csv', 'sub/x.csv', 'sub/deep/y.csv', 'sub/deep/z1.csv']) {
    await fsp.mkdir(path.dirname(path.join(d, f)), { recursive: true });
    await fsp.writeFile(path.join(d, f), 'v\n1\n');
  }
  const rel = async (p: string) => (await expandGlob(p, d, 100)).map((f) => path.relative(d, f));
  assert.deepEqual(await rel('*.csv'), ['a.csv', 'b.csv']);
  assert.deepEqual(await rel('**/*.csv'), ['a.csv', 'b.csv', 'sub/deep/y.csv', 'sub/deep/z1.csv', 'sub/x.csv']);
  assert.deepEqual(await rel('{a,c}.*'), ['a.csv', 'c.txt']);
  assert.deepEqual(await rel('sub/deep/z?.csv'), ['sub/deep/z1.csv']);
  assert.deepEqual(await rel('a.csv'), ['a.csv']);
  await assert.rejects(expandGlob('missing.csv', d, 100), /missing\.csv not found/);
  await assert.rejects(expandGlob('**/*.csv', d, 3), /matches more than 3 files/);
});
