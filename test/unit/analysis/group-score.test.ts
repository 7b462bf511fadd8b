/**
 * Chronos-2's group-attention score (analysis/group-score.ts, Chronos2Lens.groupScore) against
 * tools/reference/chronos2_analysis_reference.py (Chronos2Model's eager group attentions averaged over the
 * context patches) on the same rows: a synthetic pair where one series leads the other, and ETTh1 columns
 * with past-only covariates; and the synthetic pair's construction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { groupScore, leadPairTask } from '../../../analysis/group-score';
import { ChronosLensError } from '../../../core/errors';
import { Chronos2Model } from '../../../models/chronos2/model';
import { fixtures, maxAbsDiff, repoRoot } from '../helpers';

const dir = path.join(fixtures, 'chronos2-analysis');
const TOL = 1e-5;

interface Ref { model: string; series: string[]; targets: number; rows: number[][]; prediction_length: number; context_patches: number; matrix: number[][][][]; per_series: number[][][]; score: number[][] }

test('the group-attention score equals the eager module\'s group attention averaged over the context patches', async (t) => {
  const files = (await fsp.readdir(dir)).filter((f) => f.startsWith('group-') && f.endsWith('.json')).sort();
  assert.ok(files.length >= 3, `expected the group-score references in ${dir}`);
  for (const f of files) {
    await t.test(f, async (st) => {
      const ref = JSON.parse(await fsp.readFile(path.join(dir, f), 'utf8')) as Ref;
      const model = await Chronos2Model.load(path.resolve(repoRoot, ref.model), { cacheDir: null, provider: 'cpu', threads: 1 });
      try {
        const series = ref.series.map((name, i) => ({ name, values: Float32Array.from(ref.rows[i]) }));
        const r = await groupScore(model, { targets: series.slice(0, ref.targets), pastCovariates: series.slice(ref.targets), futureCovariates: [] }, { predictionLength: ref.prediction_length });
        assert.deepEqual(r.series.map((s) => s.name), ref.series);
        assert.equal(r.contextPatches, ref.context_patches);
        assert.ok(r.series.every((s) => s.patches === ref.context_patches));
        const d = Math.max(maxAbsDiff(r.matrix.flat(3), ref.matrix.flat(3)), maxAbsDiff(r.perSeries.flat(2), ref.per_series.flat(2)), maxAbsDiff(r.score.flat(), ref.score.flat()));
        assert.ok(d <= TOL, `${f}: max abs diff ${d}`);
        st.diagnostic(`${f}: max abs diff ${d.toExponential(1)}`);
        // a head that reads only itself would score 0; the random heads read the others
        assert.ok(r.score.flat().some((v) => v > 0.05));
      } finally {
        await model.dispose();
      }
    });
  }
});

test('the synthetic pair: the leader is the follower k steps ahead; a lone series has no group score', async () => {
  const task = leadPairTask({ length: 50, lead: 4, seed: 3 });
  const [f, l] = task.targets;
  assert.deepEqual([f.name, l.name], ['follower', 'leader']);
  for (let i = 0; i + 4 < 50; i++) assert.equal(l.values[i], f.values[i + 4]);
  assert.deepEqual(leadPairTask({ length: 50, lead: 4, seed: 3 }), task);
  assert.throws(() => leadPairTask({ length: 50, lead: 50 }), /the lead must be an integer in \[1, 49\]/);
  const model = await Chronos2Model.load(path.join(fixtures, 'chronos2', 'checkpoints', 'chronos2-linear-random'), { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    await assert.rejects(groupScore(model, { targets: [f] }), (e: unknown) => e instanceof ChronosLensError && /needs at least two series/.test(e.message));
  } finally {
    await model.dispose();
  }
});
