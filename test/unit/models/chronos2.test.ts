/**
 * Chronos-2 against chronos-forecasting: for every fixture written by tools/reference/chronos2_reference.py
 * (the real chronos2-dummy-model and small random-weight checkpoints at the published structure: 21
 * levels, arcsinh, patches of 16; or 13 levels, no arcsinh, patches of 8), on a univariate task, three
 * targets jointly, a target with past-only covariates and one with a known-future covariate:
 * Chronos2Model.forward on the pipeline's batch (quantile head plain and with heads zeroed, every time
 * and group attention probability) and Chronos2Pipeline.predict_quantiles' forecasts within one output
 * patch, past it, and past max_output_patches (rolled out) must agree.
 * CHRONOS2_FIXTURES=<folder> runs the same checks on fixtures written elsewhere (chronos2_reference.py --real).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { forecastChronos2 } from '../../../analysis/forecast/chronos2';
import { ChronosLensError } from '../../../core/errors';
import { parseChronos2Config } from '../../../models/chronos2/config';
import { Chronos2Model } from '../../../models/chronos2/model';
import { FixtureArray, fixtures, loadFixture, maxAbsDiff, sharedData } from '../helpers';
import { fixtureModel, fixtureTask } from './chronos2-fixtures';

const FIXTURE_DIR = process.env.CHRONOS2_FIXTURES ? path.resolve(process.env.CHRONOS2_FIXTURES) : path.join(fixtures, 'chronos2');
/** Forecasts and quantile heads: max abs error relative to the series' largest magnitude. */
const FORECAST_REL = 1e-4;
/** Attention probabilities, absolute. */
const ATTN = 1e-5;

function floats(a: FixtureArray | undefined, name: string): Float32Array {
  assert.ok(a, `fixture array ${name} missing`);
  return a.data as Float32Array;
}

/** Row i of a [rows, cols] array. */
function row(a: FixtureArray, i: number): Float32Array {
  const cols = a.shape[1];
  return (a.data as Float32Array).slice(i * cols, (i + 1) * cols);
}

test('Chronos-2 matches chronos-forecasting on every fixture', async (t) => {
  const files = (await fsp.readdir(FIXTURE_DIR)).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(FIXTURE_DIR, f));
  if (!process.env.CHRONOS2_FIXTURES) assert.ok(files.length >= 15, `expected 3 checkpoints x 4 tasks and 3 LoRA tasks in ${FIXTURE_DIR}, found ${files.length}`);
  const models = new Map<string, Chronos2Model>();
  const worst = { forecast: 0, head: 0, attention: 0 };
  try {
    for (const file of files) {
      await t.test(path.basename(file, '.json'), async () => {
        const { meta, arrays } = await loadFixture(file);
        const model = await fixtureModel(models, meta);
        assert.deepEqual(model.config.chronos2.quantiles, meta.quantile_levels);
        const scale = Number(meta.series_scale);

        // one forward pass on the pipeline's own batch
        const rowsA = arrays.get('rows')!;
        const futA = arrays.get('future')!;
        const n = rowsA.shape[0];
        const input = {
          rows: Array.from({ length: n }, (_, i) => row(rowsA, i)),
          future: Array.from({ length: n }, (_, i) => row(futA, i)),
          groupIds: arrays.get('group_ids')!.data as number[],
          outputPatches: Number(meta.output_patches),
        };
        const r = await model.forward(input, { quantiles: true, timeAttentions: true, groupAttentions: true });
        const head = maxAbsDiff(r.quantiles!.data, floats(arrays.get('quantile_preds'), 'quantile_preds')) / scale;
        assert.ok(head <= FORECAST_REL, `quantile head: relative error ${head}`);
        worst.head = Math.max(worst.head, head);
        const L = model.config.t5.numLayers;
        for (const [prefix, got] of [['time_attn', r.timeAttentions], ['group_attn', r.groupAttentions]] as const) {
          assert.equal(got!.length, L);
          got!.forEach((a, l) => {
            const ref = arrays.get(`${prefix}.${l}`)!;
            assert.deepEqual(a.dims, ref.shape, `${prefix}.${l} shape`);
            const e = maxAbsDiff(a.data, ref.data as Float32Array);
            assert.ok(e <= ATTN, `${prefix}.${l}: max abs error ${e}`);
            worst.attention = Math.max(worst.attention, e);
          });
        }

        // heads zeroed through the gates
        const ab = model.newAblation();
        const spec = meta.ablation as Record<'time' | 'group', [number, number][]>;
        for (const kind of ['time', 'group'] as const) for (const [l, h] of spec[kind]) ab.zero(kind, l, h);
        const ra = await model.forward(input, { quantiles: true }, ab);
        const abl = maxAbsDiff(ra.quantiles!.data, floats(arrays.get('ablated_quantile_preds'), 'ablated_quantile_preds')) / scale;
        assert.ok(abl <= FORECAST_REL, `ablated quantile head: relative error ${abl}`);
        assert.ok(maxAbsDiff(ra.quantiles!.data, r.quantiles!.data) > 0, 'zeroing heads changed nothing');

        // the pipeline's forecasts
        const targets = Number(meta.targets);
        const task = fixtureTask(meta, arrays);
        for (const h of meta.horizons as number[]) {
          const fc = await forecastChronos2(model, task, { predictionLength: h, maxOutputPatches: Number(meta.max_output_patches) });
          const q = floats(arrays.get(`forecast.${h}.quantiles`), 'quantiles'); // [targets, h, Q]
          const mean = floats(arrays.get(`forecast.${h}.mean`), 'mean'); // [targets, h]
          const Q = fc.series[0].quantileLevels.length;
          assert.equal(fc.series.length, targets);
          fc.series.forEach((s, i) => {
            const mine = new Float32Array(h * Q);
            for (let st = 0; st < h; st++) for (let j = 0; j < Q; j++) mine[st * Q + j] = s.quantiles[j][st];
            const e = maxAbsDiff(mine, q.subarray(i * h * Q, (i + 1) * h * Q)) / scale;
            const em = maxAbsDiff(s.mean, mean.subarray(i * h, (i + 1) * h)) / scale;
            assert.ok(e <= FORECAST_REL && em <= FORECAST_REL, `horizon ${h}, target ${i}: relative error ${e} (mean ${em})`);
            worst.forecast = Math.max(worst.forecast, e, em);
          });
        }
      });
    }
  } finally {
    for (const m of models.values()) await m.dispose();
  }
  t.diagnostic(`worst relative forecast error ${worst.forecast.toExponential(2)}, head ${worst.head.toExponential(2)}, attention ${worst.attention.toExponential(2)}`);
});

test('the Chronos-2 config is read as Chronos2Model reads it; bad fields are one clear line', async () => {
  const file = path.join(sharedData, 'chronos2-dummy-model', 'config.json');
  const raw = JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
  const c = parseChronos2Config(raw);
  assert.deepEqual({ ...c.chronos2, quantiles: c.chronos2.quantiles.length }, { contextLength: 8192, patchSize: 16, maxOutputPatches: 64, quantiles: 21, useRegToken: true, useArcsinh: true, timeEncodingScale: 8192 });
  assert.deepEqual([c.t5.dModel, c.t5.dKv, c.t5.dFf, c.t5.numLayers, c.t5.numHeads, c.t5.vocabSize, c.ropeTheta], [6, 4, 8, 2, 4, 2, 10000]);
  const cc = raw.chronos_config as Record<string, unknown>;
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...raw, feed_forward_proj: 'gated-gelu' }, /c\.json: field "feed_forward_proj" must be "relu".*got "gated-gelu"/],
    [{ ...raw, d_kv: 5 }, /field "d_kv" must be even \(rotary position embeddings/],
    [{ ...raw, chronos_config: { ...cc, output_patch_size: 8 } }, /"chronos_config\.output_patch_size" \(8\) must equal input_patch_size \(16\)/],
    [{ ...raw, chronos_config: { ...cc, use_reg_token: false } }, /"chronos_config\.use_reg_token" must be true/],
    [{ ...raw, chronos_config: { ...cc, quantiles: [0.5, 0.1] } }, /"chronos_config\.quantiles" must be increasing/],
    [{ ...raw, chronos_config: undefined }, /needs a "chronos_config" object/],
  ];
  for (const [cfg, re] of bad) {
    assert.throws(() => parseChronos2Config(cfg, 'c.json'), (e: unknown) => e instanceof ChronosLensError && e.code === 'BAD_CONFIG' && re.test(e.message) && !e.message.includes('\n'), JSON.stringify(re));
  }
});
