/**
 * Chronos-Bolt against chronos-forecasting: for every fixture written by tools/reference/bolt_reference.py
 * (the real chronos-bolt-dummy-model and small random-weight checkpoints: [REG] or not, relu or
 * gated-gelu, deciles or five uneven levels, patches of 16 or 8), our instance norm and patching, the
 * quantile head (plain, with heads zeroed, with layers skipped), every attention probability and
 * ChronosBoltPipeline.predict_quantiles' forecasts within and past prediction_length must agree.
 * BOLT_FIXTURES=<folder> runs the same checks on fixtures written elsewhere (bolt_reference.py --real).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { forecastBolt } from '../../../analysis/forecast/bolt';
import { BoltModel } from '../../../models/bolt/model';
import { FixtureArray, fixtures, loadFixture, maxAbsDiff, repoRoot } from '../helpers';

const FIXTURE_DIR = process.env.BOLT_FIXTURES ? path.resolve(process.env.BOLT_FIXTURES) : path.join(fixtures, 'bolt');
/** Forecasts: max abs error relative to the series' largest magnitude. */
const FORECAST_REL = 1e-4;
/** Attention probabilities, absolute. */
const ATTN = 1e-5;
/** Normalised quantile-head outputs (units of the series' scale), absolute. */
const HEAD = 1e-4;

async function cases(): Promise<string[]> {
  return (await fsp.readdir(FIXTURE_DIR)).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(FIXTURE_DIR, f));
}

function floats(a: FixtureArray | undefined, name: string): Float32Array {
  assert.ok(a, `fixture array ${name} missing`);
  return a.data as Float32Array;
}

test('Chronos-Bolt matches chronos-forecasting on every fixture', async (t) => {
  const files = await cases();
  if (!process.env.BOLT_FIXTURES) assert.ok(files.length >= 9, `expected 3 checkpoints x 3 series in ${FIXTURE_DIR}, found ${files.length}`);
  const models = new Map<string, BoltModel>();
  const worst = { forecast: 0, head: 0, attention: 0 };
  try {
    for (const file of files) {
      await t.test(path.basename(file, '.json'), async (st) => {
        const mine = { forecast: 0, head: 0, attention: 0 };
        const { meta, arrays } = await loadFixture(file);
        const dir = path.resolve(repoRoot, String(meta.checkpoint));
        let model = models.get(dir);
        if (!model) {
          model = await BoltModel.load(dir, { cacheDir: null, provider: 'cpu', threads: 1 });
          models.set(dir, model);
        }
        const context = floats(arrays.get('context'), 'context');
        const b = model.config.bolt;
        assert.deepEqual(b.quantiles, meta.quantile_levels);

        // instance norm and patching
        const [row] = model.prepare([context]);
        const loc = floats(arrays.get('loc'), 'loc')[0];
        const scale = floats(arrays.get('scale'), 'scale')[0];
        assert.ok(Math.abs(row.norm.loc - loc) <= 1e-6 * Math.max(1, Math.abs(loc)), `loc ${row.norm.loc} vs ${loc}`);
        assert.ok(Math.abs(row.norm.scale - scale) <= 1e-6 * scale, `scale ${row.norm.scale} vs ${scale}`);
        const refPatches = arrays.get('patches')!;
        assert.deepEqual([1, row.patched.patches, 2 * b.inputPatchSize], refPatches.shape);
        assert.ok(maxAbsDiff(row.patched.data, refPatches.data as Float32Array) <= 1e-5, 'patches differ');

        // one forward pass with every output
        const withAttn = arrays.has('encoder_attn.0');
        const r = await model.forward([context], { quantiles: true, encoderHidden: withAttn, encoderAttentions: withAttn, decoderAttentions: withAttn, crossAttentions: withAttn });
        const mask = arrays.get('attention_mask')!;
        assert.deepEqual([1, r.encLen], mask.shape);
        const ourMask = [...row.patched.observed, ...(b.useRegToken ? [1] : [])];
        assert.deepEqual(ourMask, mask.data);
        const head = maxAbsDiff(r.normalizedQuantiles!.data, floats(arrays.get('quantile_preds'), 'quantile_preds'));
        assert.ok(head <= HEAD, `quantile head: max abs error ${head}`);
        mine.head = Math.max(mine.head, head);
        if (withAttn) {
          const kinds: [string, 'encoderAttentions' | 'decoderAttentions' | 'crossAttentions'][] = [['encoder_attn', 'encoderAttentions'], ['decoder_attn', 'decoderAttentions'], ['cross_attn', 'crossAttentions']];
          for (const [prefix, key] of kinds) {
            const layers = r[key]!;
            assert.equal(layers.length, prefix === 'encoder_attn' ? model.config.t5.numLayers : model.config.t5.numDecoderLayers);
            layers.forEach((a, l) => {
              const ref = arrays.get(`${prefix}.${l}`)!;
              assert.deepEqual(a.dims, ref.shape, `${prefix}.${l} shape`);
              const d = maxAbsDiff(a.data, ref.data as Float32Array);
              assert.ok(d <= ATTN, `${prefix}.${l}: max abs error ${d}`);
              mine.attention = Math.max(mine.attention, d);
            });
          }
          // the same heads zeroed as the reference's hooks on each attention's output projection
          const ab = model.newAblation();
          for (const [kind, pairs] of Object.entries(meta.ablation as Record<'encoder' | 'decoder' | 'cross', [number, number][]>)) {
            for (const [l, h] of pairs) ab.zero(kind as 'encoder' | 'decoder' | 'cross', l, h);
          }
          const ra = await model.forward([context], { quantiles: true }, ab);
          const ref = floats(arrays.get('ablated_quantile_preds'), 'ablated_quantile_preds');
          const da = maxAbsDiff(ra.normalizedQuantiles!.data, ref);
          // the reference's change must dwarf our error, or the check could not tell ablation from none
          const change = maxAbsDiff(ref, floats(arrays.get('quantile_preds'), 'quantile_preds'));
          assert.ok(da <= HEAD && da < change / 10, `ablated quantile head: max abs error ${da} (the ablation changes it by ${change})`);
          mine.head = Math.max(mine.head, da);
          // whole layers and sublayers skipped, against hooks returning each sublayer's input
          const sk = model.newAblation();
          for (const [stack, pairs] of Object.entries(meta.layer_skips as Record<'encoder' | 'decoder', [number, 'all' | 'cross' | 'ff'][]>)) {
            for (const [l, part] of pairs) sk.skipLayer(stack as 'encoder' | 'decoder', l, part);
          }
          const rs = await model.forward([context], { quantiles: true }, sk);
          const refSkip = floats(arrays.get('layer_skipped_quantile_preds'), 'layer_skipped_quantile_preds');
          const ds = maxAbsDiff(rs.normalizedQuantiles!.data, refSkip);
          const skipChange = maxAbsDiff(refSkip, floats(arrays.get('quantile_preds'), 'quantile_preds'));
          assert.ok(ds <= HEAD && ds < skipChange / 10, `layer-skipped quantile head: max abs error ${ds} (the skips change it by ${skipChange})`);
          mine.head = Math.max(mine.head, ds);
        }

        // forecasts within and past prediction_length
        const seriesScale = Number(meta.series_scale);
        for (const h of meta.horizons as number[]) {
          const f = await forecastBolt(model, context, { predictionLength: h });
          assert.equal(f.predictionLength, h);
          assert.deepEqual(f.quantileLevels, b.quantiles);
          assert.equal(f.warnings.length > 0, h > b.predictionLength);
          const refQ = arrays.get(`forecast.${h}.quantiles`)!; // [1, h, Q]
          const Q = b.quantiles.length;
          assert.deepEqual(refQ.shape, [1, h, Q]);
          const ours = new Float32Array(h * Q);
          for (let s = 0; s < h; s++) for (let q = 0; q < Q; q++) ours[s * Q + q] = f.quantiles[q][s];
          const dq = maxAbsDiff(ours, refQ.data as Float32Array) / seriesScale;
          const dm = maxAbsDiff(Float32Array.from(f.mean), floats(arrays.get(`forecast.${h}.mean`), 'mean')) / seriesScale;
          assert.ok(dq <= FORECAST_REL, `horizon ${h}: quantiles max error ${dq} of the series scale`);
          assert.ok(dm <= FORECAST_REL, `horizon ${h}: mean max error ${dm} of the series scale`);
          mine.forecast = Math.max(mine.forecast, dq, dm);
        }
        st.diagnostic(`max errors: forecast ${mine.forecast.toExponential(2)} of the series scale, quantile head ${mine.head.toExponential(2)}, attention ${withAttn ? mine.attention.toExponential(2) : 'not stored'}`);
        for (const k of ['forecast', 'head', 'attention'] as const) worst[k] = Math.max(worst[k], mine[k]);
      });
    }
  } finally {
    for (const m of models.values()) await m.dispose();
  }
  t.diagnostic(`worst errors: forecast ${worst.forecast.toExponential(2)} of the series scale, quantile head ${worst.head.toExponential(2)}, attention ${worst.attention.toExponential(2)}`);
});
