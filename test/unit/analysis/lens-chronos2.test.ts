/**
 * The Chronos-2 attention lens against the eager PyTorch module: for every fixture of
 * tools/reference/chronos2_reference.py (the real chronos2-dummy-model and two random checkpoints; a
 * univariate task, three targets jointly, past-only covariates, a known-future covariate), the lens
 * computed from the task as the series view and `chronos-lens lens` compute it (the forecast's first
 * pass at the fixture's middle horizon) must give, to 1e-5: each row's time attention of every context
 * patch over the context patches, the output-patch token's time attention for every forecast step, the
 * group attention matrix at every patch and output token, and each series' share on the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { AttentionLens } from '../../../analysis/lens';
import { ChronosLensError } from '../../../core/errors';
import { Chronos2Model } from '../../../models/chronos2/model';
import { FixtureArray, fixtures, loadFixture } from '../helpers';
import { fixtureModel, fixtureTask } from '../models/chronos2-fixtures';

const FIXTURE_DIR = path.join(fixtures, 'chronos2');
const ATTN = 1e-5;

function floats(a: FixtureArray | undefined, name: string): Float32Array {
  assert.ok(a, `fixture array ${name} missing`);
  return a.data as Float32Array;
}

test('the Chronos-2 lens equals the eager time and group attentions on every fixture', async (t) => {
  const files = (await fsp.readdir(FIXTURE_DIR)).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(FIXTURE_DIR, f));
  assert.ok(files.length >= 12, `expected 3 checkpoints x 4 tasks in ${FIXTURE_DIR}, found ${files.length}`);
  const models = new Map<string, Chronos2Model>();
  let worst = 0;
  let compared = 0;
  try {
    for (const file of files) {
      await t.test(path.basename(file, '.json'), async () => {
        const { meta, arrays } = await loadFixture(file);
        const model = await fixtureModel(models, meta);
        const targets = Number(meta.targets);
        const task = fixtureTask(meta, arrays);
        const horizon = (meta.horizons as number[])[1];
        const lens = await AttentionLens.computeChronos2(model, task, { predictionLength: horizon, maxOutputPatches: Number(meta.max_output_patches) });
        const L = model.config.t5.numLayers;
        const H = model.config.t5.numHeads;
        const P = model.config.chronos2.patchSize;
        const n = lens.series.length;
        assert.deepEqual(lens.series.map((s) => s.role), [...Array(targets).fill('target'), ...(meta.past_only as string[]).map(() => 'past-covariate'), ...(meta.known_future as string[]).map(() => 'future-covariate')]);
        const time0 = arrays.get('time_attn.0')!;
        assert.equal(n, time0.shape[0]);
        const T = time0.shape[2];
        const Pc = lens.contextPatches;
        assert.equal(lens.firstOutputToken, Pc + 1);
        assert.equal(lens.forecastSteps, Number(meta.output_patches) * P);
        assert.equal(T, Pc + 1 + Number(meta.output_patches));
        const check = (got: ArrayLike<number>, ref: ArrayLike<number>, what: string) => {
          assert.equal(got.length, ref.length, `${what}: length`);
          for (let k = 0; k < got.length; k++) {
            const e = Math.abs(got[k] - ref[k]);
            assert.ok(e <= ATTN, `${what}[${k}]: ${got[k]} vs ${ref[k]}`);
            worst = Math.max(worst, e);
          }
          compared += got.length;
        };
        for (let l = 0; l < L; l++) {
          const ta = floats(arrays.get(`time_attn.${l}`), `time_attn.${l}`); // [n, H, T, T]
          const ga = floats(arrays.get(`group_attn.${l}`), `group_attn.${l}`); // [T, H, n, n]
          for (let i = 0; i < n; i++) {
            const tl = lens.timeLens(i);
            for (let h = 0; h < H; h++) {
              const at = (q: number) => ta.subarray(((i * H + h) * T + q) * T, ((i * H + h) * T + q) * T + Pc);
              for (let p = 0; p < Pc; p++) check(tl.encoderRow(l, h, p), at(p), `time L${l}.H${h} row ${i} patch ${p}`);
              for (let s = 0; s < lens.forecastSteps; s++) check(tl.crossRow(l, h, s), at(Pc + 1 + Math.floor(s / P)), `time L${l}.H${h} row ${i} step ${s}`);
            }
          }
          const cell = (tok: number, h: number, i: number, j: number) => ga[((tok * H + h) * n + i) * n + j];
          for (let p = 0; p < Pc; p++) {
            const g = lens.groupAt(p, { layer: l, lines: p === 0 });
            assert.equal(g.token, p);
            for (let h = 0; h < H; h++) for (let i = 0; i < n; i++) check(g.matrices[l][h][i], Array.from({ length: n }, (_, j) => cell(p, h, i, j)), `group L${l}.H${h} patch ${p} row ${i}`);
            if (p === 0) {
              for (let h = 0; h < H; h++) {
                for (let i = 0; i < n; i++) {
                  const ref = Array.from({ length: Pc }, (_, q) => {
                    let o = 0;
                    for (let j = 0; j < n; j++) if (j !== i) o += cell(q, h, i, j);
                    return o;
                  });
                  check(g.lines![l][h][i], ref, `group line L${l}.H${h} row ${i}`);
                }
              }
              assert.deepEqual(g.lines!.map((x) => x.length), Array.from({ length: L }, (_, k) => (k === l ? H : 0)), 'lines only for the asked layer');
            }
          }
          for (let s = 0; s < lens.forecastSteps; s += P - 1) {
            const g = lens.groupAtStep(s, { layer: l });
            const tok = Pc + 1 + Math.floor(s / P);
            assert.equal(g.token, tok);
            for (let h = 0; h < H; h++) for (let i = 0; i < n; i++) check(g.matrices[l][h][i], Array.from({ length: n }, (_, j) => cell(tok, h, i, j)), `group L${l}.H${h} step ${s} row ${i}`);
          }
        }
        // the patch layout: the last patch ends at the last value of the longest series
        const longest = Math.max(...task.targets.map((s) => s.values.length), ...task.pastCovariates.map((s) => s.values.length), ...task.futureCovariates.map((s) => s.values.length));
        assert.equal(lens.spanOf(Pc - 1)[1], longest - 1);
        assert.equal(lens.positionAt(longest - 1), Pc - 1);
        // queries outside the lens are one clear line
        for (const f of [() => lens.groupAt(Pc), () => lens.groupAtStep(lens.forecastSteps), () => lens.timeLens(n), () => lens.groupAt(0, { layer: L })]) {
          assert.throws(f, (e: unknown) => e instanceof ChronosLensError && !e.message.includes('\n'));
        }
      });
    }
  } finally {
    for (const m of models.values()) await m.dispose();
  }
  assert.ok(compared > 10000, `compared only ${compared} values`);
  t.diagnostic(`${compared} attention values, worst abs error ${worst.toExponential(2)}`);
});
