/** The chronos-lens CLI as a user runs it: a real child process, real model, real CSVs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fixtures, repoRoot, sharedData, withTempDir } from '../helpers';

const model = path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32');

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli', 'main.ts'), ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, XDG_CACHE_HOME: path.join(repoRoot, '.cache', 'test-xdg') } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('forecast --json prints one object with the documented fields', () => {
  const r = cli(['forecast', path.join(sharedData, 'AirPassengers.csv'), '--model', model, '--prediction-length', '12', '--samples', '30', '--seed', '5', '--json', '--no-cache', '--provider', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const k of ['model', 'column', 'context_length_used', 'prediction_length', 'quantile_levels', 'quantiles', 'mean', 'timestamps']) assert.ok(k in j, `missing ${k}`);
  assert.equal(j.column, '#Passengers');
  assert.equal(j.context_length_used, 144);
  assert.equal(j.prediction_length, 12);
  assert.deepEqual(j.quantile_levels, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  assert.equal(j.quantiles.length, 9);
  assert.equal(j.quantiles[0].length, 12);
  assert.equal(j.timestamps[0], '1961-01');
  assert.equal(j.timestamps[11], '1961-12');
  assert.match(j.model.hash, /^[0-9a-f]{64}$/);
  for (let s = 0; s < 12; s++) for (let q = 1; q < 9; q++) assert.ok(j.quantiles[q][s] >= j.quantiles[q - 1][s], 'quantiles must be monotone');
  // same seed, same numbers
  const again = JSON.parse(cli(['forecast', path.join(sharedData, 'AirPassengers.csv'), '--model', model, '--prediction-length', '12', '--samples', '30', '--seed', '5', '--json', '--no-cache', '--provider', 'cpu']).stdout);
  assert.deepEqual(again.quantiles, j.quantiles);
});

test('forecast picks columns by name and index; the table output is readable', () => {
  const r = cli(['forecast', path.join(sharedData, 'ETTh1.csv'), '--column', 'OT', '--model', model, '--prediction-length', '4', '--samples', '8', '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /· OT · 512 context values · 8 samples/);
  assert.match(r.stdout, /^step\s+timestamp\s+q0\.1/m);
  assert.match(r.stdout, /^1\s+2018-06-26 20:00:00\s/m);
  const byIndex = cli(['forecast', path.join(sharedData, 'ETTh1.csv'), '--column', '7', '--model', model, '--prediction-length', '2', '--samples', '4', '--json', '--no-cache']);
  assert.equal(JSON.parse(byIndex.stdout).column, 'OT');
});

test('errors are one line on stderr with a non-zero exit code and no stack trace', async () => {
  await withTempDir(async (dir) => {
    const cases: [string[], RegExp, number][] = [
      [['forecast', path.join(sharedData, 'AirPassengers.csv'), '--model', model, '--column', 'nope'], /has no column "nope"\. Its columns are: "Month" \(timestamp\), "#Passengers" \(numeric\)/, 1],
      [['forecast', path.join(dir, 'missing.csv'), '--model', model], /missing\.csv/, 1],
      [['heads', '--model', path.join(sharedData, 'chronos-bolt-dummy-model')], /not supported yet: Chronos-Bolt .*work with forecast, info, lens, mosaic and ablate so far/, 1],
      [['forecast', path.join(sharedData, 'AirPassengers.csv'), '--model', model, '--samples', '0'], /^chronos-lens: forecast: --samples must be an integer in 1..10000, got "0"$/m, 2],
      [['forecast', path.join(sharedData, 'AirPassengers.csv'), '--bogus'], /unknown option '--bogus'/i, 2],
      [['frobnicate'], /unknown command "frobnicate"/, 2],
    ];
    for (const [args, re, code] of cases) {
      const r = cli(args);
      assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal(r.stdout, '');
    }
    const dbg = cli(['forecast', path.join(dir, 'missing.csv'), '--model', model, '--debug']);
    assert.match(dbg.stderr, /\n\s+at /, '--debug prints the stack');
  });
});

test('info reports the checkpoint and the provider actually used', () => {
  const r = cli(['info', '--model', model, '--json', '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.t5.numHeads, 3);
  assert.ok(['cpu', 'cuda'].includes(j.executionProvider.used));
  if (j.executionProvider.used === 'cpu') assert.ok(j.executionProvider.fallbackReason, 'auto fell back without a reason');
  const help = cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /forecast\s+forecast a CSV column/);
});
