/**
 * The CLI with a Chronos-2 checkpoint, as a user runs it, in a real child process: several target
 * columns forecast jointly with past-only and known-future covariates (JSON equal to the engine's
 * forecast, which test/unit/models/chronos2.test.ts holds to the Python pipeline), one column in
 * today's JSON shape, info, a LoRA adapter as --model, and the flags that do not apply refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { forecastChronos2 } from '../../../analysis/forecast/chronos2';
import { runPatchMosaic } from '../../../analysis/patch-mosaic';
import { readCsvTable, selectSeries } from '../../../core/csv';
import { Chronos2Model } from '../../../models/chronos2/model';
import { isChronos2, loadModel } from '../../../models/load';
import { repoRoot, sharedData, withTempDir } from '../helpers';

const c2 = path.join(sharedData, 'chronos2-dummy-model');
const bolt = path.join(sharedData, 'chronos-bolt-dummy-model');
const ett = path.join(sharedData, 'ETTh1.csv');

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli', 'main.ts'), ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, XDG_CACHE_HOME: path.join(repoRoot, '.cache', 'test-xdg') } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const common = ['--model', c2, '--no-cache', '--provider', 'cpu'];

test('forecast --columns --covariates --future-covariates: one entry per target, equal to the engine', async () => {
  await withTempDir(async (dir) => {
    // the next 20 hours of LULL, known in advance
    const future = path.join(dir, 'future.csv');
    await fsp.writeFile(future, 'LULL\n' + Array.from({ length: 20 }, (_, i) => (1 + 0.01 * i).toFixed(2)).join('\n') + '\n');
    const r = cli(['forecast', ett, ...common, '--columns', 'OT,HUFL', '--covariates', 'MULL,LULL', '--future-covariates', future, '--prediction-length', '20', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j), ['model', 'file', 'past_covariates', 'future_covariates', 'series', 'warnings', 'manifest']);
    assert.deepEqual(j.past_covariates, ['MULL']);
    assert.deepEqual(j.future_covariates, ['LULL']);
    assert.deepEqual(j.series.map((s: { column: string }) => s.column), ['OT', 'HUFL']);
    assert.equal(j.manifest.seeds && Object.keys(j.manifest.seeds).length, 0);

    const table = await readCsvTable(ett, { tailRows: 8192 });
    const col = (c: string) => selectSeries(table, c).values;
    const model = await Chronos2Model.load(c2, { cacheDir: null, provider: 'cpu' });
    try {
      const fc = await forecastChronos2(model, {
        targets: [{ name: 'OT', values: col('OT') }, { name: 'HUFL', values: col('HUFL') }],
        pastCovariates: [{ name: 'MULL', values: col('MULL') }],
        futureCovariates: [{ name: 'LULL', values: col('LULL'), future: Array.from({ length: 20 }, (_, i) => Number((1 + 0.01 * i).toFixed(2))) }],
      }, { predictionLength: 20 });
      fc.series.forEach((f, i) => {
        const s = j.series[i];
        assert.equal(s.prediction_length, 20);
        assert.equal(s.quantile_levels.length, 21);
        assert.deepEqual(s.quantiles, f.quantiles.map((q) => q.map((v) => Math.fround(v))), `${f.column} quantiles`);
        assert.deepEqual(s.mean, f.mean);
        assert.equal(s.timestamps[0], '2018-06-26 20:00:00');
      });
    } finally {
      await model.dispose();
    }

    const short = cli(['forecast', ett, ...common, '--columns', 'OT', '--covariates', 'LULL', '--future-covariates', future, '--prediction-length', '30']);
    assert.equal(short.code, 2, short.stderr);
    assert.match(short.stderr, /^chronos-lens: forecast: --future-covariates .*future\.csv: column "LULL" has 20 rows; a forecast of 30 steps needs 30 \(add rows or lower --prediction-length\)\n$/);
  });
});

test('one column keeps the forecast JSON every family prints; group attention off changes a joint forecast', () => {
  const r = cli(['forecast', ett, ...common, '--column', 'OT', '--prediction-length', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const k of ['model', 'file', 'column', 'context_length_used', 'prediction_length', 'num_samples', 'seed', 'quantile_levels', 'quantiles', 'mean', 'median', 'timestamps', 'warnings', 'manifest']) assert.ok(k in j, `missing ${k}`);
  assert.equal(j.column, 'OT');
  assert.equal(j.seed, null);
  assert.deepEqual(j.mean, j.quantiles[10], 'the mean is the 0.5 level, as the pipeline reports it');
  const joint = JSON.parse(cli(['forecast', ett, ...common, '--columns', 'OT,HUFL', '--prediction-length', '3', '--json']).stdout);
  const alone = JSON.parse(cli(['forecast', ett, ...common, '--columns', 'OT,HUFL', '--prediction-length', '3', '--json', '--no-group-attention']).stdout);
  assert.deepEqual(alone.series[0].quantiles, j.quantiles, 'without group attention OT is forecast as if alone');
  assert.notDeepEqual(joint.series[0].quantiles, j.quantiles, 'with group attention HUFL changes the forecast of OT');
});

test('info on a Chronos-2 model; flags that do not apply are one clear line', () => {
  const i = cli(['info', ...common, '--json']);
  assert.equal(i.code, 0, i.stderr);
  const j = JSON.parse(i.stdout);
  assert.equal(j.family, 'chronos-2');
  assert.equal(j.chronos.maxOutputPatches, 64);
  assert.equal(j.encoder.numLayers, 2);
  const oneLine = (args: string[], re: RegExp) => {
    const r = cli(args);
    assert.ok(r.code === 1 || r.code === 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  };
  oneLine(['forecast', ett, ...common, '--samples', '5'], /^chronos-lens: forecast: --samples: meaningless for chronos2-dummy-model, a Chronos-2 model/);
  oneLine(['forecast', ett, '--model', bolt, '--no-cache', '--columns', 'OT,HUFL'], /^chronos-lens: forecast: --columns: only for Chronos-2 models; chronos-bolt-dummy-model is a Chronos-Bolt model/);
  oneLine(['forecast', ett, ...common, '--column', 'OT', '--columns', 'OT,HUFL'], /--column and --columns: give one of them/);
  oneLine(['forecast', ett, ...common, '--columns', 'OT', '--covariates', 'OT'], /column "OT" is both a target and a covariate/);
  oneLine(['forecast', ett, ...common, '--columns', 'OT,nope'], /nope/);
  oneLine(['lens', ett, ...common, '--position', '3', '--periodicity'], /^chronos-lens: lens: --periodicity: not available for chronos2-dummy-model, a Chronos-2 model/);
  oneLine(['lens', ett, '--model', bolt, '--no-cache', '--position', '3', '--columns', 'OT,HUFL'], /^chronos-lens: lens: --columns: only for Chronos-2 models; chronos-bolt-dummy-model is a Chronos-Bolt model/);
  oneLine(['lens', ett, ...common, '--columns', 'OT', '--step', '40', '--prediction-length', '20'], /--step 40 is outside the first forward pass \(0\.\.31\)/);
});

test('lens --columns --covariates on a Chronos-2 model: each series\' time attention and the group attention, equal to the engine', async () => {
  const r = cli(['lens', ett, ...common, '--columns', 'OT,HUFL', '--covariates', 'MULL', '--prediction-length', '20', '--position=-1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['file', 'family', 'patch', 'patches', 'forecastSteps', 'groupAttention', 'series', 'group']);
  assert.equal(j.family, 'chronos-2');
  assert.deepEqual(j.series.map((s: { name: string; role: string }) => `${s.name}:${s.role}`), ['OT:target', 'HUFL:target', 'MULL:past-covariate']);
  assert.equal(j.patches.length, 512);
  assert.equal(j.forecastSteps, 32);
  // the last patch ends at ETTh1's last data row
  const table = await readCsvTable(ett, { tailRows: 8192 });
  assert.equal(j.patches[511][1], table.firstRow + table.rows.length - 1);
  const step = cli(['lens', ett, ...common, '--columns', 'OT,HUFL', '--covariates', 'MULL', '--prediction-length', '20', '--step', '17', '--layer', '1', '--json']);
  assert.equal(step.code, 0, step.stderr);
  const js = JSON.parse(step.stdout);

  const col = (c: string) => selectSeries(table, c).values;
  const model = await Chronos2Model.load(c2, { cacheDir: null, provider: 'cpu' });
  try {
    const { AttentionLens } = await import('../../../analysis/lens');
    const lens = await AttentionLens.computeChronos2(model, { targets: [{ name: 'OT', values: col('OT') }, { name: 'HUFL', values: col('HUFL') }], pastCovariates: [{ name: 'MULL', values: col('MULL') }] }, { predictionLength: 20 });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(j.series[i].lens.rows, lens.timeLens(i).rowsAt(511).rows, `time attention of ${j.series[i].name}`);
      assert.deepEqual(js.series[i].lens.rows, lens.timeLens(i).crossAt(17, { layer: 1 }).rows, `step 17 of ${js.series[i].name}`);
    }
    assert.deepEqual(j.group, lens.groupAt(511));
    assert.deepEqual(js.group, lens.groupAtStep(17, { layer: 1 }));
    assert.equal(js.group.token, 512 + 1 + 1);
    // each group row is a distribution over the three series
    for (const m of j.group.matrices.flat()) for (const row of m) assert.ok(Math.abs(row.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-5);
  } finally {
    await model.dispose();
  }
  const text = cli(['lens', ett, ...common, '--columns', 'OT,HUFL', '--covariates', 'MULL', '--prediction-length', '20', '--position', '3', '--layer', '0', '--head', '2']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /OT \(target\), HUFL \(target\), MULL \(past-covariate\) · 512 patches of 16 values/);
  assert.match(text.stdout, /group attention at token 3 \(row reads column\):\n  L0\.H2 /);
});

test('a LoRA adapter as --model with --base: the adapted forecast is the engine\'s; a base that cannot be found is one line', async () => {
  const adapter = path.join(repoRoot, 'test', 'fixtures', 'chronos2', 'adapters', 'chronos2-reduced-random-lora');
  const base = path.join(repoRoot, 'test', 'fixtures', 'chronos2', 'checkpoints', 'chronos2-reduced-random');
  const args = ['forecast', ett, '--columns', 'OT,HUFL', '--prediction-length', '5', '--json', '--no-cache', '--provider', 'cpu'];
  const named = cli([...args, '--model', adapter, '--base', base]);
  assert.equal(named.code, 0, named.stderr);
  const j = JSON.parse(named.stdout);
  assert.equal(j.model.name, 'chronos2-reduced-random-lora (LoRA on chronos2-reduced-random)');
  assert.equal(j.model.path, base);
  const table = await readCsvTable(ett, { tailRows: 8192 });
  // the engine finds the base from base_model_name_or_path (relative to the adapter folder)
  const model = await loadModel(adapter, { cacheDir: null, provider: 'cpu' });
  try {
    assert.ok(isChronos2(model));
    const fc = await forecastChronos2(model, { targets: ['OT', 'HUFL'].map((c) => ({ name: c, values: selectSeries(table, c).values })), pastCovariates: [], futureCovariates: [] }, { predictionLength: 5 });
    fc.series.forEach((f, i) => assert.deepEqual(j.series[i].quantiles, f.quantiles.map((q) => q.map((v) => Math.fround(v)))));
  } finally {
    await model.dispose();
  }
  const dummyLora = path.join(sharedData, 'chronos2-dummy-lora');
  const one = (a: string[], re: RegExp) => {
    const r = cli(a);
    assert.equal(r.code === 0, false, r.stdout);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  };
  const info = JSON.parse(cli(['info', '--model', dummyLora, '--base', c2, '--no-cache', '--json']).stdout);
  assert.deepEqual(info.adapter, { path: dummyLora, modules: 17 });
  one(['info', '--model', dummyLora, '--no-cache'], /^chronos-lens: info: .*chronos2-dummy-lora\/adapter_config\.json: base_model_name_or_path "test\/dummy-chronos2-model" is neither a folder nor a repo in the Hugging Face cache; give the base checkpoint folder explicitly \(the CLI's --base\)$/m);
  one(['info', '--model', c2, '--base', c2, '--no-cache'], /^chronos-lens: info: --base names the base model of a LoRA adapter, but --model .* is not an adapter folder/);
  one(['attribute', ett, '--model', dummyLora, '--base', c2, '--no-cache'], /^chronos-lens: attribute: .*chronos2-dummy-lora is a LoRA adapter, merged into Chronos-2 models; attribute does not open Chronos-2 models$/m);
});

test('mosaic on a Chronos-2 model: the patch protocol on its time attention, as runPatchMosaic computes it', async () => {
  const reduced = path.join(repoRoot, 'test', 'fixtures', 'chronos2', 'checkpoints', 'chronos2-reduced-random');
  const r = cli(['mosaic', '--model', reduced, '--no-cache', '--provider', 'cpu', '--batch', '4', '--period', '24', '--repeats', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const model = await loadModel(reduced, { cacheDir: null, provider: 'cpu' });
  try {
    assert.ok(isChronos2(model));
    const res = await runPatchMosaic(model, { batch: 4, period: 24, repeats: 3 });
    assert.equal(j.layers, 2);
    assert.deepEqual([j.cross.center, j.encoder.right], [res.cross!.center, res.encoder!.right]);
  } finally {
    await model.dispose();
  }
  const text = cli(['mosaic', '--model', reduced, '--no-cache', '--batch', '4', '--period', '24', '--repeats', '3']);
  assert.match(text.stdout, /forecast token's time attention \(first output patch\)/);
  const bad = cli(['mosaic', '--model', reduced, '--no-cache', '--batch', '4', '--period', '24', '--repeats', '3', '--kind', 'decoder']);
  assert.match(bad.stderr, /^chronos-lens: mosaic: mosaic kind "decoder" is not available for chronos2-reduced-random, a Chronos-2 model/);
});

test('group-score: per-head scores on a synthetic lead pair as JSON; a CSV task; one-line refusals', () => {
  const reduced = path.join(repoRoot, 'test', 'fixtures', 'chronos2', 'checkpoints', 'chronos2-reduced-random');
  const r = cli(['group-score', '--model', reduced, '--no-cache', '--synthetic-lead', '3', '--length', '80', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.synthetic, { lead: 3, length: 80, seed: 0 });
  assert.deepEqual(j.series.map((s: { name: string }) => s.name), ['follower', 'leader']);
  assert.equal(j.score.length, 2);
  assert.equal(j.score[0].length, 4);
  j.perSeries.forEach((byHead: number[][], l: number) => byHead.forEach((v, h) => assert.ok(Math.abs((v[0] + v[1]) / 2 - j.score[l][h]) < 1e-12)));
  const one = (a: string[], re: RegExp) => {
    const x = cli(a);
    assert.notEqual(x.code, 0);
    assert.match(x.stderr, re);
  };
  one(['group-score', ett, '--model', reduced, '--no-cache', '--synthetic-lead', '3'], /--synthetic-lead makes its own pair of series; drop .*ETTh1\.csv/);
  one(['group-score', ett, '--model', reduced, '--no-cache', '--column', 'OT'], /unknown option '--column'|needs at least two series/);
  one(['group-score', ett, '--model', bolt, '--no-cache', '--columns', 'OT,HUFL'], /is not a Chronos-2 model; group attention is Chronos-2's/);
});
