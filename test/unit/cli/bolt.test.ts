/** The CLI with a Chronos-Bolt checkpoint, as a user runs it: forecast (table and JSON) and info, in a real child process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { repoRoot, sharedData, withTempDir } from '../helpers';

const bolt = path.join(sharedData, 'chronos-bolt-dummy-model');
const csv = path.join(sharedData, 'AirPassengers.csv');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli', 'main.ts'), ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, XDG_CACHE_HOME: path.join(repoRoot, '.cache', 'test-xdg'), ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('forecast --json with a Bolt model keeps the JSON keys, with the model own quantile levels and no sampling', () => {
  const r = cli(['forecast', csv, '--model', bolt, '--prediction-length', '70', '--json', '--no-cache', '--provider', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const k of ['model', 'file', 'column', 'context_length_used', 'prediction_length', 'num_samples', 'seed', 'quantile_levels', 'quantiles', 'mean', 'median', 'timestamps', 'warnings', 'manifest']) assert.ok(k in j, `missing ${k}`);
  assert.equal(j.prediction_length, 70);
  assert.equal(j.context_length_used, 144);
  assert.deepEqual(j.quantile_levels, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  assert.equal(j.quantiles.length, 9);
  assert.equal(j.quantiles[0].length, 70);
  assert.equal(j.num_samples, 0);
  assert.equal(j.seed, null);
  assert.deepEqual(j.mean, j.quantiles[4], 'the mean is the 0.5 level, as the pipeline reports it');
  assert.match(j.warnings.join('\n'), /prediction length <= 64/);
  assert.match(r.stderr, /^warning: We recommend keeping prediction length <= 64/m);
  // levels the model lacks are interpolated as predict_quantiles does: torch.quantile over the model's
  // values with the lowest and highest repeated at the ends
  const q = JSON.parse(cli(['forecast', csv, '--model', bolt, '--prediction-length', '3', '--quantiles', '0.5,0.25', '--json', '--no-cache', '--provider', 'cpu']).stdout);
  assert.deepEqual(q.quantile_levels, [0.5, 0.25]);
  for (let s = 0; s < 3; s++) {
    const v = j.quantiles.map((row: number[]) => row[s]);
    const aug = [v[0], ...v, v[v.length - 1]].sort((a, b) => a - b);
    const at = (level: number) => {
      const pos = level * (aug.length - 1);
      const lo = Math.floor(pos);
      return aug[lo] + (aug[Math.min(lo + 1, aug.length - 1)] - aug[lo]) * (pos - lo);
    };
    assert.ok(Math.abs(q.quantiles[0][s] - at(0.5)) < 1e-3, `step ${s}: q0.5`);
    assert.ok(Math.abs(q.quantiles[1][s] - at(0.25)) < 1e-3, `step ${s}: q0.25`);
  }
});

test('forecast with a Bolt model prints the table; the sampling flags are one clear line each', () => {
  const r = cli(['forecast', csv, '--model', bolt, '--prediction-length', '2', '--no-cache', '--provider', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^chronos-bolt-dummy-model · #Passengers · 144 context values · quantile head$/m);
  assert.match(r.stdout, /^step\s+timestamp\s+q0\.1\s+q0\.2/m);
  const s = cli(['forecast', csv, '--model', bolt, '--samples', '5', '--no-cache']);
  assert.equal(s.code, 2, s.stderr);
  assert.equal(s.stderr.trim().split('\n').length, 1);
  assert.match(s.stderr, /^chronos-lens: forecast: --samples: meaningless for chronos-bolt-dummy-model, a Chronos-Bolt model: it predicts its quantiles directly, with no sample paths; leave it out$/m);
  const t = cli(['forecast', csv, '--model', bolt, '--seed', '1', '--top-k', '3', '--no-cache']);
  assert.match(t.stderr, /--seed, --top-k: meaningless for .* leave them out/);
});

test('info describes a Bolt checkpoint: family, patching, horizon, quantile levels', () => {
  const r = cli(['info', '--model', bolt, '--no-cache', '--provider', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /family\s+Chronos-Bolt: patches of 16 values \(stride 16\), a \[REG\] token/);
  assert.match(r.stdout, /context\s+512 values \(32 patches\); prediction length 64; 9 quantile levels \(0\.1, 0\.2, …, 0\.9\)/);
  const j = JSON.parse(cli(['info', '--model', bolt, '--no-cache', '--provider', 'cpu', '--json']).stdout);
  assert.equal(j.family, 'chronos-bolt');
  assert.equal(j.parameters, 18656);
  assert.equal(j.chronos.predictionLength, 64);
  assert.equal(j.t5.numLayers, 4);
});

test('models list offers the four Bolt sizes with their parameter counts and download sizes', async () => {
  await withTempDir(async (hubCache) => {
    const r = cli(['models', 'list', '--json'], { HF_HUB_CACHE: hubCache, HF_HUB_OFFLINE: '1' });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { knownBolt: { repoId: string; parameters: number; approxDownloadBytes: number; cached: boolean }[] };
    assert.deepEqual(j.knownBolt.map((k) => k.repoId), ['tiny', 'mini', 'small', 'base'].map((s) => `amazon/chronos-bolt-${s}`));
    assert.deepEqual(j.knownBolt.map((k) => k.parameters), [9e6, 21e6, 48e6, 205e6]);
    assert.ok(j.knownBolt.every((k) => !k.cached && k.approxDownloadBytes > 1e7));
    const text = cli(['models', 'list'], { HF_HUB_CACHE: hubCache, HF_HUB_OFFLINE: '1' });
    assert.match(text.stdout, /Amazon Chronos-Bolt on the Hugging Face hub/);
    assert.match(text.stdout, /amazon\/chronos-bolt-base\s+205M\s+~\S+ MB\s+not downloaded/);
  });
});

test('lens on a Bolt model: patch rows, the decoder token cross row, and one line for flags that do not apply', () => {
  const r = cli(['lens', csv, '--model', bolt, '--position=-1', '--json', '--no-cache', '--provider', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.patch, { size: 16, stride: 16 });
  assert.equal(j.patches.length, 9); // 144 values = 9 patches of 16
  assert.deepEqual(j.patches[8], [128, 143]);
  assert.equal(j.lens.kind, 'encoder');
  assert.equal(j.lens.position, 8);
  assert.equal(j.lens.rows.length, 4);
  for (const row of j.lens.rows[0]) assert.equal(row.length, 9);
  const c = cli(['lens', csv, '--model', bolt, '--step', '5', '--layer', '1', '--head', '2', '--no-cache', '--provider', 'cpu']);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /cross-attention of the decoder token \(forecast step 5: every step of the horizon reads the same\)/);
  assert.match(c.stdout, /^\s+8 \d\.\d{4}\s+rows 128\.\.143$/m);
  // periodicity over patches: a period of 48 values is 3 patches of 16, where the heads are scored
  const per = cli(['lens', csv, '--model', bolt, '--position=-1', '--periodicity', '--period', '48', '--json', '--no-cache', '--provider', 'cpu']);
  assert.equal(per.code, 0, per.stderr);
  const pj = JSON.parse(per.stdout);
  assert.equal(pj.periodicity.headScores.period, 48);
  assert.equal(pj.periodicity.headScores.lag, 3);
  assert.equal(pj.periodicity.headScores.ratio.length, 4);
  for (const row of pj.periodicity.headScores.ratio) for (const r of row) assert.ok(Number.isFinite(r) && r >= 0, String(r));
  const perText = cli(['lens', csv, '--model', bolt, '--position', '0', '--periodicity', '--period', '48', '--no-cache', '--provider', 'cpu']);
  assert.equal(perText.code, 0, perText.stderr);
  assert.match(perText.stdout, /encoder heads at lags k\*3 patches \(period 48 values, nearest patch\)/);
  const bad = cli(['lens', csv, '--model', bolt, '--step', '0', '--samples', '5', '--no-cache']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^chronos-lens: lens: --samples: not available for chronos-bolt-dummy-model, a Chronos-Bolt model/m);
  const far = cli(['lens', csv, '--model', bolt, '--step', '64', '--no-cache']);
  assert.match(far.stderr, /--step 64 is outside the model's horizon \(0\.\.63\)/);
});

test('ablate on a Bolt model: heads scored on the held-out end of a CSV column; T5-only flags are one line', () => {
  const reduced = path.join(repoRoot, 'test', 'fixtures', 'bolt', 'checkpoints', 'bolt-reduced-random');
  const r = cli(['ablate', '--model', reduced, '--heads', 'encoder:L0.H1,cross:L1.H2', '--csv', csv, '--controls', '3', '--json', '--no-cache', '--provider', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.model.family, 'chronos-bolt');
  assert.deepEqual(j.heads, ['encoder:L0.H1', 'cross:L1.H2']);
  assert.equal(j.heldOut, 24);
  assert.equal(j.period, 12);
  assert.equal(j.controls.length, 3);
  assert.notEqual(j.ablated.wql, j.unablated.wql);
  const text = cli(['ablate', '--model', reduced, '--heads', 'L0.H0', '--csv', csv, '--controls', '2', '--no-cache', '--provider', 'cpu']);
  assert.match(text.stdout, /^bolt-reduced-random · zero ablation of cross:L0\.H0 · 2 control sets$/m);
  assert.match(text.stdout, /^mase\s+\d/m);
  const t5Only = cli(['ablate', '--model', reduced, '--heads', 'L0.H0', '--batch', '4', '--csv', csv, '--no-cache']);
  assert.equal(t5Only.code, 2, t5Only.stderr);
  assert.match(t5Only.stderr, /^chronos-lens: ablate: --batch: not available for bolt-reduced-random, a Chronos-Bolt model .*the batch flags go with --top or --copy-loss/m);
  // --top K: the K heads of a patch mosaic (the same ranking a saved mosaic gives)
  const top = JSON.parse(cli(['ablate', '--model', reduced, '--top', '3', '--kind', 'cross,encoder', '--batch', '6', '--seq-len', '3', '--csv', csv, '--controls', '2', '--json', '--no-cache', '--provider', 'cpu']).stdout);
  const m = JSON.parse(cli(['mosaic', '--model', reduced, '--batch', '6', '--seq-len', '3', '--json', '--no-cache', '--provider', 'cpu']).stdout);
  const ranked = (['cross', 'encoder'] as const)
    .flatMap((k) => m[k].center.flatMap((row: number[], l: number) => row.map((c, h) => ({ id: `${k}:L${l}.H${h}`, s: Math.max(c, m[k].right[l][h]) }))))
    .sort((a: { s: number }, b: { s: number }) => b.s - a.s)
    .slice(0, 3)
    .map((x: { id: string }) => x.id)
    .sort();
  assert.deepEqual([...top.heads].sort(), ranked);
  assert.equal(top.controls.length, 2);
  const noCsv = cli(['ablate', '--model', reduced, '--heads', 'L0.H0', '--no-cache']);
  assert.match(noCsv.stderr, /give --copy-loss and \/ or --csv FILE: bolt-reduced-random is a Chronos-Bolt model/);
  // the copy loss alone, its batch shaped by the batch flags
  const copy = JSON.parse(cli(['ablate', '--model', reduced, '--heads', 'encoder:L0.H1', '--copy-loss', '--batch', '4', '--seq-len', '3', '--controls', '2', '--json', '--no-cache', '--provider', 'cpu']).stdout);
  assert.deepEqual(Object.keys(copy.unablated), ['copy_loss', 'copy_loss_control']);
  assert.deepEqual(copy.copyLoss, { batch: 4, period: 48, repeats: 2, subExtension: 1, horizon: 24 });
  assert.equal(copy.file, undefined);
});

test('ablate --layers / --layer-sweep on a Bolt model: copy loss and forecast metrics per variant; T5-only flags are one line', () => {
  const reduced = path.join(repoRoot, 'test', 'fixtures', 'bolt', 'checkpoints', 'bolt-reduced-random');
  const sweep = cli(['ablate', '--model', reduced, '--layer-sweep', 'ff', '--copy-loss', '--batch', '4', '--seq-len', '3', '--csv', csv, '--json', '--no-cache', '--provider', 'cpu']);
  assert.equal(sweep.code, 0, sweep.stderr);
  const j = JSON.parse(sweep.stdout);
  assert.deepEqual(j.variants.map((v: { label: string }) => v.label), ['encoder:L0.ff', 'encoder:L1.ff', 'decoder:L0.ff', 'decoder:L1.ff']);
  assert.deepEqual(Object.keys(j.unablated), ['copy_loss', 'copy_loss_control', 'mase', 'wql', 'mae_median']);
  assert.equal(j.model.family, 'chronos-bolt');
  const text = cli(['ablate', '--model', reduced, '--layers', 'encoder:L0,decoder:L1.cross', '--copy-loss', '--copy-period', '24', '--repeats', '3', '--batch', '3', '--no-cache', '--provider', 'cpu']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^copy loss: 3 contexts of 24 values repeated 3 times \(\+1 patches\), the next 24 values scored$/m);
  assert.match(text.stdout, /^encoder:L0 \+ decoder:L1\.cross\s+\d/m);
  const t5Only = cli(['ablate', '--model', reduced, '--layers', 'encoder:L0', '--samples', '4', '--csv', csv, '--no-cache']);
  assert.equal(t5Only.code, 2);
  assert.match(t5Only.stderr, /^chronos-lens: ablate: --samples: not available for bolt-reduced-random, a Chronos-Bolt model/m);
  const nothing = cli(['ablate', '--model', reduced, '--layers', 'encoder:L0', '--no-cache']);
  assert.match(nothing.stderr, /give --copy-loss and \/ or --csv FILE/);
  const t5 = cli(['ablate', '--layers', 'encoder:L0', '--copy-loss', '--no-cache']);
  assert.match(t5.stderr, /^chronos-lens: ablate: --copy-loss: chronos-t5-nano is a Chronos-T5 model, measured by the induction loss/m);
});

test('attribute and layer-lens on a Bolt model: parts that sum to the forecast value, a fan per decoder layer; T5-only flags are one line', async () => {
  const reduced = path.join(repoRoot, 'test', 'fixtures', 'bolt', 'checkpoints', 'bolt-reduced-random');
  const a = cli(['attribute', csv, '--model', reduced, '--step', '2', '--level', '0.9', '--json', '--no-cache', '--provider', 'cpu']);
  assert.equal(a.code, 0, a.stderr);
  const j = JSON.parse(a.stdout);
  assert.equal(j.target.kind, 'quantile');
  assert.equal(j.target.level, 0.9);
  const sum = j.components.reduce((s: number, c: { value: number }) => s + c.value, 0);
  assert.ok(Math.abs(sum - j.target.value) < 1e-4 * Math.abs(j.target.value), `${sum} vs ${j.target.value}`);
  assert.deepEqual(j.components.filter((c: { head: number | null }) => c.head === null).map((c: { component: string }) => c.component), ['embedding', 'decoder:L0.ff', 'decoder:L1.ff', 'head_bias', 'loc']);
  assert.equal(j.encoderComponents[0].component, 'patch_embedding');
  const text = cli(['attribute', csv, '--model', reduced, '--no-cache', '--provider', 'cpu']);
  assert.match(text.stdout, /^bolt-reduced-random · step 0 · quantile 0\.5 · value /m);
  assert.match(text.stdout, /^the cross heads' .* by encoder component:$/m);
  const t5Only = cli(['attribute', csv, '--model', reduced, '--target', 'expected', '--no-cache']);
  assert.match(t5Only.stderr, /^chronos-lens: attribute: --target: not available for bolt-reduced-random, a Chronos-Bolt model/m);
  const t5 = cli(['attribute', csv, '--level', '0.5', '--no-cache']);
  assert.match(t5.stderr, /^chronos-lens: attribute: --level is Chronos-Bolt's/m);
  const lens = JSON.parse(cli(['layer-lens', csv, '--model', reduced, '--json', '--no-cache', '--provider', 'cpu']).stdout);
  assert.equal(lens.layers.length, 2);
  assert.equal(lens.steps, 24);
  assert.deepEqual(lens.quantileLevels, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  assert.equal(lens.layers[1].gapToFinal.every((g: number) => g === 0), true);
  const lensText = cli(['layer-lens', csv, '--model', reduced, '--no-cache', '--provider', 'cpu']);
  assert.match(lensText.stdout, /^ {2}L0 .* gap \d/m);
  const steps = cli(['layer-lens', csv, '--model', reduced, '--steps', '3', '--no-cache']);
  assert.match(steps.stderr, /^chronos-lens: layer-lens: --steps: not available for bolt-reduced-random, a Chronos-Bolt model/m);
  await withTempDir(async (dir) => {
    const json = path.join(dir, 'a.json');
    assert.equal(cli(['attribute', csv, '--model', reduced, '--out', json, '--no-cache', '--provider', 'cpu']).code, 0);
    assert.equal(JSON.parse(await fsp.readFile(json, 'utf8')).target.kind, 'quantile');
    const svg = cli(['attribute', csv, '--model', reduced, '--out', path.join(dir, 'a.svg'), '--no-cache', '--provider', 'cpu']);
    assert.match(svg.stderr, /^chronos-lens: attribute: --out .*a\.svg: a Chronos-Bolt attribution is written as \.json/m);
    const fans = path.join(dir, 'lens.svg');
    assert.equal(cli(['layer-lens', csv, '--model', reduced, '--out', fans, '--no-cache', '--provider', 'cpu']).code, 0);
    assert.match(await fsp.readFile(fans, 'utf8'), /<svg [^>]*class="cl-causal-figure/);
  });
});

test('mosaic on a Bolt model: the patch protocol (reference, sub-patch, data-driven), its batch saved and rerun, the T5 exports; token-only flags are one line', async () => {
  await withTempDir(async (dir) => {
    const batch = path.join(dir, 'batch.json');
    const out = path.join(dir, 'm.json');
    const common = ['--model', bolt, '--no-cache', '--provider', 'cpu', '--threads', '1'];
    const r = cli(['mosaic', ...common, '--batch', '4', '--seq-len', '3', '--save-tokens', batch, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^chronos-bolt-dummy-model · 4 × 3 patches of 16, random normal values · batch 4 · repeats 2 · sub-extension 1 patches · 112 values · seed 1911$/m);
    assert.match(r.stdout, /^encoder self-attention/m);
    assert.doesNotMatch(r.stdout, /decoder self-attention/);
    const j = JSON.parse(await fsp.readFile(out, 'utf8'));
    assert.equal(j.protocol.source, 'random-patches');
    assert.deepEqual(j.protocol.patch, { size: 16, contextLength: 112, patches: 7, period: 48, shift: 48, queries: [3, 4, 5] });
    assert.ok(j.cross.stderr.center[0][0] > 0);
    // the saved batch reruns to the same numbers
    const again = cli(['mosaic', ...common, '--tokens', batch, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const k = JSON.parse(again.stdout);
    assert.deepEqual(k.encoder.center, j.encoder.center);
    assert.equal(k.protocol.tokensFile, batch);
    for (const ext of ['csv', 'svg', 'plotly.json']) {
      const f = path.join(dir, `m.${ext}`);
      const e = cli(['mosaic', ...common, '--tokens', batch, '--out', f]);
      assert.equal(e.code, 0, e.stderr);
      assert.ok((await fsp.stat(f)).size > 0);
    }
    const sub = JSON.parse(cli(['mosaic', ...common, '--batch', '3', '--period', '24', '--repeats', '3', '--kind', 'cross', '--json']).stdout);
    assert.deepEqual([sub.protocol.seqLen, sub.protocol.patch.shift, sub.encoder, typeof sub.cross.center[0][0]], [24, 24, undefined, 'number']);
    const data = JSON.parse(cli(['mosaic', ...common, '--csv', csv, '--batch', '5', '--seq-len', '2', '--repeats', '3', '--json']).stdout);
    assert.deepEqual([data.protocol.source, data.protocol.series.file, data.protocol.series.column, data.protocol.batch], ['series-patches', 'AirPassengers.csv', '#Passengers', 5]);
    for (const [args, re] of [
      [['--kind', 'decoder'], /^chronos-lens: mosaic: mosaic kind "decoder" is not available for chronos-bolt-dummy-model, a Chronos-Bolt model/],
      [['--vocab', '1:5'], /^chronos-lens: mosaic: --vocab: chronos-bolt-dummy-model is a Chronos-Bolt model/],
      [['--period', '24', '--seq-len', '2'], /--period \(values per repeat\) and --seq-len \(patches per repeat\) name the same thing/],
      [['--seq-len', '40', '--repeats', '2'], /context is 1296 values \(81 patches of 16\), longer than chronos-bolt-dummy-model's context of 512/],
      [['--period', '5', '--repeats', '2', '--sub-extension', '0'], /no patch of the last repeat has an earlier copy in 2 repeats; raise the repeats to at least 10$/m],
      [['--period', '5', '--repeats', '10'], /the sub-extension must be shorter than the repeat \(5 values on patches of 16: at most 0 patches\), got 1/],
    ] as [string[], RegExp][]) {
      const e = cli(['mosaic', ...common, ...args]);
      assert.notEqual(e.code, 0, args.join(' '));
      assert.match(e.stderr, re);
      assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
    }
  });
});
