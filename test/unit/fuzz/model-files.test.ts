/**
 * The model-file fuzzer (model-files.ts) at CI size: a few thousand seeded cases through the real
 * loaders. `npm run fuzz` runs the same generator at 100 000 cases (FUZZ_CASES, FUZZ_SEED to change).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzModelFiles } from './model-files';

const cases = Number(process.env.FUZZ_CASES ?? 2000);
const seed = Number(process.env.FUZZ_SEED ?? 20261207);

test(`fuzz: ${cases} mutated config.json / safetensors / index files load or fail with one clear line`, { timeout: 600_000 }, async () => {
  const r = await fuzzModelFiles({ cases, seed });
  const summary = `${r.cases} cases (seed ${r.seed}): ${r.accepted} loaded, ${r.rejected} refused ${JSON.stringify(r.byCode)}; by kind ${JSON.stringify(r.byKind)}; max RSS ${(r.maxRssBytes / 1e6).toFixed(0)} MB`;
  assert.deepEqual(r.defects.slice(0, 20), [], summary);
  assert.equal(r.cases, cases, summary);
  // The generator must exercise both outcomes in every kind, or it tests nothing.
  for (const [kind, k] of Object.entries(r.byKind)) {
    assert.ok(k.rejected > 0, `${kind}: no case was refused (${summary})`);
    if (kind !== 'config-load') assert.ok(k.accepted > 0 || kind === 'sharded', `${kind}: no case loaded (${summary})`);
  }
  assert.ok(r.rejected > cases / 3, summary);
});
