/**
 * Reading tools/reference/chronos2_reference.py's fixtures: the checkpoint a fixture names (loaded once
 * per test and kept in `models`) and the task it describes, as forecastChronos2 and the lens take it.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Chronos2Task } from '../../../analysis/forecast/chronos2';
import { Chronos2Model } from '../../../models/chronos2/model';
import { isChronos2, loadModel } from '../../../models/load';
import { FixtureArray, repoRoot } from '../helpers';

/** The fixture's model; for a LoRA fixture (meta.lora), the adapter folder opened with its base named explicitly. */
export async function fixtureModel(models: Map<string, Chronos2Model>, meta: Record<string, unknown>): Promise<Chronos2Model> {
  const dir = path.resolve(repoRoot, String(meta.checkpoint));
  const lora = meta.lora === undefined ? undefined : path.resolve(repoRoot, String(meta.lora));
  let model = models.get(lora ?? dir);
  if (!model) {
    const opts = { cacheDir: null, provider: 'cpu' as const, threads: 1 };
    if (lora) {
      const m = await loadModel(lora, { ...opts, base: dir });
      assert.ok(isChronos2(m), `${lora} did not open as a Chronos-2 model`);
      model = m;
    } else {
      model = await Chronos2Model.load(dir, opts);
    }
    models.set(lora ?? dir, model);
  }
  return model;
}

function floats(arrays: Map<string, FixtureArray>, name: string): Float32Array {
  const a = arrays.get(name);
  assert.ok(a, `fixture array ${name} missing`);
  return a.data as Float32Array;
}

/** The fixture's task: targets t0, t1, ..., its past-only and its known-future covariates. */
export function fixtureTask(meta: Record<string, unknown>, arrays: Map<string, FixtureArray>): Required<Chronos2Task> {
  return {
    targets: Array.from({ length: Number(meta.targets) }, (_, i) => ({ name: `t${i}`, values: floats(arrays, `target.${i}`) })),
    pastCovariates: (meta.past_only as string[]).map((name) => ({ name, values: floats(arrays, `past.${name}`) })),
    futureCovariates: (meta.known_future as string[]).map((name) => ({ name, values: floats(arrays, `past.${name}`), future: floats(arrays, `future.${name}`) })),
  };
}
