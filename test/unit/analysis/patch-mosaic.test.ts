/**
 * Patch induction mosaics (Chronos-Bolt and Chronos-2) against the Python references (tools/reference/
 * bolt_mosaic_reference.py: chronos-forecasting's ChronosBoltModelForForecasting, transformers' eager
 * attentions; chronos2_analysis_reference.py: Chronos2Model's eager time attentions; on batches the
 * scripts made from the protocol's definition), and the protocol's batches:
 * generation, geometry, save / load round trip, validation.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { isBolt, isChronos2, loadModel } from '../../../models/load';
import { runPatchMosaic } from '../../../analysis/patch-mosaic';
import { parsePatchBatch, patchGeometry, randomPatchBatch, readPatchBatch, seriesPatchBatch, writePatchBatch } from '../../../analysis/patch-batch';
import { withThreshold } from '../../../analysis/mosaic';
import { MosaicKind } from '../../../analysis/types';
import { fixtures, maxAbsDiff, repoRoot, tempDir } from '../helpers';

const TOL = 1e-5;
const dir = path.join(fixtures, 'bolt-mosaic');

interface RefKind { center: number[][]; right: number[][]; center_stderr: number[][]; right_stderr: number[][]; counts: { center_ge: number; right_ge: number; either_ge: number; heads: number } }
interface Ref { model: string; batch: string; geometry: unknown; encoder: RefKind; cross: RefKind }

function compare(name: string, m: MosaicKind, r: RefKind): number {
  const diff = (a: number[][], b: number[][]) => maxAbsDiff(a.flat(), b.flat());
  const d = Math.max(diff(m.center, r.center), diff(m.right, r.right), diff(m.stderr.center, r.center_stderr), diff(m.stderr.right, r.right_stderr));
  assert.ok(d <= TOL, `${name}: max abs diff ${d} > ${TOL}`);
  assert.deepEqual([m.counts.center, m.counts.right, m.counts.total, m.counts.heads], [r.counts.center_ge, r.counts.right_ge, r.counts.either_ge, r.counts.heads], `${name} counts`);
  return d;
}

/** Every reference mosaic in `dir` against ours on the same batch; returns the variants seen. */
async function checkReferences(t: TestContext, dir: string, minFiles: number): Promise<string[]> {
  const files = (await fsp.readdir(dir)).filter((f) => f.endsWith('.mosaic.json')).sort();
  assert.ok(files.length >= minFiles, `expected the reference mosaics in ${dir}`);
  const sources = new Set<string>();
  for (const f of files) {
    await t.test(f, async (st) => {
      const ref = JSON.parse(await fsp.readFile(path.join(dir, f), 'utf8')) as Ref;
      const batch = await readPatchBatch(path.join(repoRoot, ref.batch));
      sources.add(`${batch.protocol.source}:${batch.protocol.period % batch.protocol.patchSize === 0 ? 'aligned' : 'sub-patch'}`);
      const model = await loadModel(path.resolve(repoRoot, ref.model), { cacheDir: null, provider: 'cpu', threads: 1 });
      try {
        assert.ok(isBolt(model) || isChronos2(model));
        const res = await runPatchMosaic(model, { batchData: batch, batchFile: ref.batch });
        assert.deepEqual(res.protocol.patch, ref.geometry);
        assert.equal(res.decoder, undefined);
        const d = Math.max(compare(`${f} encoder`, res.encoder!, ref.encoder), compare(`${f} cross`, res.cross!, ref.cross));
        st.diagnostic(`${f}: max abs diff ${d.toExponential(1)}`);
        assert.equal(res.protocol.source, batch.protocol.source);
        assert.equal(res.protocol.seqLen, batch.protocol.period);
        assert.equal(res.protocol.tokensFile, ref.batch);
        // Bolt's cross kind is its decoder's; Chronos-2's forecast token reads every encoder layer
        assert.equal(res.layers, isChronos2(model) ? model.config.t5.numLayers : model.config.t5.numDecoderLayers);
        assert.equal(res.manifest.model.hash, await model.hash());
        // the counts at another threshold are recomputed as for T5
        const low = withThreshold(res, 0);
        assert.equal(low.encoder!.counts.total, low.encoder!.counts.heads);
      } finally {
        await model.dispose();
      }
    });
  }
  return [...sources].sort();
}

test('patch mosaics equal the chronos-forecasting reference on the same batches (aligned, sub-patch, short period, data-driven; with and without [REG])', async (t) => {
  assert.deepEqual(await checkReferences(t, dir, 6), ['random-patches:aligned', 'random-patches:sub-patch', 'series-patches:aligned']);
});

test('Chronos-2 patch mosaics (time attention among context patches; the forecast token) equal Chronos2Model\'s eager attentions', async (t) => {
  assert.deepEqual(await checkReferences(t, path.join(fixtures, 'chronos2-analysis'), 5), ['random-patches:aligned', 'random-patches:sub-patch', 'series-patches:aligned']);
});

test('the geometry: aligned periods are the T5 protocol on patches; sub-patch spans straddle two patches; short periods shift by whole periods', () => {
  // 10 patches of 16 repeated twice, one more: 21 patches, queries = the second repeat, shift 10 patches
  const a = patchGeometry({ patchSize: 16, period: 160, repeats: 2, subExtension: 1 });
  assert.deepEqual({ ...a, queries: [a.queries[0], a.queries.at(-1), a.queries.length] }, { size: 16, contextLength: 336, patches: 21, period: 160, shift: 160, queries: [10, 19, 10] });
  // hourly seasonality on patches of 16: three repeats of 24 = 72 values -> 5 patches + 1
  const s = patchGeometry({ patchSize: 16, period: 24, repeats: 3, subExtension: 1 });
  assert.deepEqual(s, { size: 16, contextLength: 96, patches: 6, period: 24, shift: 24, queries: [3] });
  // period 5 < patch 8: the copy is two periods (10 values) back
  assert.equal(patchGeometry({ patchSize: 8, period: 5, repeats: 10, subExtension: 0 }).shift, 10);
  assert.throws(() => patchGeometry({ patchSize: 8, period: 5, repeats: 9, subExtension: 0 }), /raise the repeats to at least 10/);
  assert.throws(() => patchGeometry({ patchSize: 16, period: 160, repeats: 4, subExtension: 1 }, 512, 'bolt'), /656 values \(41 patches of 16\), longer than bolt's context of 512/);
});

test('batches: seeded, periodic, saved and read back exactly; data-driven windows; bad files refused in one line', async () => {
  const a = randomPatchBatch({ batch: 3, patchesPerRepeat: 3, repeats: 2, subExtension: 1, seed: 5 }, 16);
  const b = randomPatchBatch({ batch: 3, patchesPerRepeat: 3, repeats: 2, subExtension: 1, seed: 5 }, 16);
  assert.deepEqual(a, b);
  assert.equal(a.contexts[0].length, 16 * 7);
  for (const c of a.contexts) for (let i = 48; i < c.length; i++) assert.equal(c[i], c[i - 48]);
  // distinct patches within a sequence
  const p0 = a.contexts[0].subarray(0, 16);
  const p1 = a.contexts[0].subarray(16, 32);
  assert.ok(p0.some((v, i) => v !== p1[i]));
  assert.notDeepEqual(randomPatchBatch({ batch: 3, seed: 6 }, 16).contexts[0], randomPatchBatch({ batch: 3, seed: 5 }, 16).contexts[0]);
  assert.throws(() => randomPatchBatch({ period: 24, patchesPerRepeat: 2 }, 16), /either the period/);

  const tmp = await tempDir();
  try {
    const file = path.join(tmp, 'b.json');
    await writePatchBatch(file, a);
    assert.deepEqual(await readPatchBatch(file), a);
    const doc = JSON.parse(await fsp.readFile(file, 'utf8'));
    doc.contexts[1][60] += 1;
    assert.throws(() => parsePatchBatch(doc, 'x.json'), /^ChronosLensError: x\.json: contexts\[1\] does not repeat with period 48 \(value 60\)$/);
    await fsp.writeFile(file, '{');
    await assert.rejects(readPatchBatch(file), /not valid JSON/);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }

  const values = Float64Array.from({ length: 100 }, (_, i) => (i === 50 ? NaN : i));
  const s = seriesPatchBatch(values, { batch: 500, period: 20, repeats: 3, file: 'f.csv', column: 'y' }, 8);
  // windows of 20 observed values: starts 0..30 and 51..80
  assert.equal(s.protocol.batch, 61);
  for (const [i, st] of s.protocol.series!.starts.entries()) assert.equal(s.contexts[i][0], st);
  assert.throws(() => seriesPatchBatch(values.subarray(0, 20), { period: 20 }, 8), /1 window\(s\) of 20 consecutive observed values.*--period/);
});
