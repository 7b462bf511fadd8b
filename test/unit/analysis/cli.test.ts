/**
 * The mosaic, lens and ablate commands end to end (real checkpoints, real CSVs): JSON output, the
 * reference cross-check through the CLI, token files, --out files written atomically, usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { run as mosaic } from '../../../cli/commands/mosaic';
import { run as lens } from '../../../cli/commands/lens';
import { run as ablate } from '../../../cli/commands/ablate';
import { defaultModelDir, packageRoot } from '../../../cli/paths';
import { readTokenBatch } from '../../../analysis/tokens';
import { AblationResult, LensResult, MosaicResult, PeriodicityResult } from '../../../analysis/types';
import { bundledModel, fixtures, repoRoot, sharedData, tempDir, withTempDir } from '../helpers';

const relu = path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32');
const tokensFile = path.join(fixtures, 'mosaic', 'tokens-rrt-b100-sl10-r2-seed1911.json');
const air = path.join(sharedData, 'AirPassengers.csv');
const common = ['--model', relu, '--no-cache', '--provider', 'cpu', '--threads', '1'];

async function cli(cmd: (argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }) => Promise<number>, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const code = await cmd(argv, { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) });
  return { code, out, err };
}

test('paths: the package root and the bundled model folder', () => {
  assert.equal(packageRoot(), repoRoot);
  assert.equal(defaultModelDir(), bundledModel);
  assert.equal(packageRoot(path.join(repoRoot, 'dist')), repoRoot);
});

test('mosaic --tokens --json reproduces the transformers reference; --out and --save-tokens', async () => {
  const ref = JSON.parse(await fsp.readFile(path.join(fixtures, 'mosaic', 'mosaic-t5-relu-v4096-f32.json'), 'utf8'));
  const r = await cli(mosaic, [...common, '--tokens', tokensFile, '--json']);
  assert.equal(r.code, 0, r.err);
  const res = JSON.parse(r.out) as MosaicResult;
  for (const k of ['cross', 'encoder', 'decoder'] as const) {
    res[k]!.center.forEach((row, l) => row.forEach((v, h) => assert.ok(Math.abs(v - ref[k].center[l][h]) < 1e-4)));
    res[k]!.right.forEach((row, l) => row.forEach((v, h) => assert.ok(Math.abs(v - ref[k].right[l][h]) < 1e-4)));
  }
  assert.deepEqual(Object.keys(res).sort(), ['cross', 'decoder', 'encoder', 'heads', 'layers', 'manifest', 'model', 'protocol', 'threshold']);
  await withTempDir(async (dir) => {
    const out = path.join(dir, 'm.json');
    const saved = path.join(dir, 't.json');
    const r2 = await cli(mosaic, [...common, '--kind', 'cross', '--batch', '12', '--seed', '3', '--threshold', '0.04', '--save-tokens', saved, '--out', out]);
    assert.equal(r2.code, 0, r2.err);
    assert.match(r2.out, /cross-attention \(decoder layers\)/);
    assert.match(r2.out, /cross\s+\d+ \/ \d+ \/ \d+ \(\d+\.\d% of 6\)/);
    const m = JSON.parse(await fsp.readFile(out, 'utf8')) as MosaicResult;
    assert.equal(m.protocol.batch, 12);
    assert.equal(m.threshold, 0.04);
    assert.equal(m.encoder, undefined);
    const batch = await readTokenBatch(saved);
    assert.equal(batch.protocol.seed, 3);
    // Rerunning the saved batch gives the same mosaic.
    const r3 = await cli(mosaic, [...common, '--kind', 'cross', '--tokens', saved, '--threshold', '0.04', '--json']);
    assert.deepEqual((JSON.parse(r3.out) as MosaicResult).cross, m.cross);
    // CSV report through the figure module.
    const r4 = await cli(mosaic, [...common, '--kind', 'cross', '--tokens', saved, '--out', path.join(dir, 'm.csv')]);
    assert.equal(r4.code, 0, r4.err);
    assert.ok((await fsp.readFile(path.join(dir, 'm.csv'), 'utf8')).length > 0);
    assert.deepEqual((await fsp.readdir(dir)).sort(), ['m.csv', 'm.json', 't.json'], 'no temp files left');
  });
});

test('mosaic --csv: the data-driven variant', async () => {
  const r = await cli(mosaic, [...common, '--csv', air, '--seq-len', '6', '--batch', '20', '--kind', 'encoder', '--json']);
  assert.equal(r.code, 0, r.err);
  const m = JSON.parse(r.out) as MosaicResult;
  assert.equal(m.protocol.source, 'series');
  assert.equal(m.protocol.series!.file, 'AirPassengers.csv');
  assert.equal(m.protocol.series!.windows, 20);
  assert.equal(m.encoder!.layers, 2);
});

test('mosaic usage errors', async () => {
  await assert.rejects(cli(mosaic, [...common, '--tokens', tokensFile, '--batch', '5']), /--tokens fixes the batch; drop --batch/);
  await assert.rejects(cli(mosaic, [...common, '--kind', 'self']), /--kind must be cross, encoder, decoder or all/);
  await assert.rejects(cli(mosaic, [...common, '--vocab', '9:3']), /--vocab must be A:B/);
  await assert.rejects(cli(mosaic, [...common, '--column', 'x']), /--column needs --csv/);
  await assert.rejects(cli(mosaic, [...common, '--bogus']), /unknown option '--bogus'/i);
  await assert.rejects(cli(mosaic, [...common, '--batch', '4', '--out', path.join(fixtures, 'x.txt')]), /unknown extension/);
  assert.match((await cli(mosaic, ['--help'])).out, /--tokens FILE/);
});

test('lens: encoder rows of a context position, cross rows of a forecast step, periodicity', async () => {
  const r = await cli(lens, [air, ...common, '--position', '100', '--json', '--periodicity']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { column: string; contextStart: number; lens: LensResult; periodicity: PeriodicityResult };
  assert.equal(j.contextStart, 0);
  assert.equal(j.lens.kind, 'encoder');
  assert.equal(j.lens.contextLength, 144);
  assert.equal(j.lens.rows.length, 2);
  assert.equal(j.lens.rows[1][2].length, 144);
  assert.equal(j.periodicity.periods[0].period, 12);
  const last = JSON.parse((await cli(lens, [air, ...common, '--position=-1', '--layer', '1', '--head', '0', '--top', '2', '--json'])).out) as { lens: LensResult };
  assert.equal(last.lens.position, 143);
  assert.deepEqual(last.lens.rows[0], []);
  assert.equal(last.lens.top[1][0].length, 2);
  const text = await cli(lens, [air, ...common, '--position', '5', '--layer', '0', '--head', '1']);
  assert.match(text.out, /encoder self-attention of context position 5 \(data row 5, value \d+/);
  assert.match(text.out, /L0\.H1 /);
  const cross = await cli(lens, [air, ...common, '--step', '3', '--samples', '2', '--json']);
  assert.equal(cross.code, 0, cross.err);
  assert.equal((JSON.parse(cross.out) as { lens: LensResult }).lens.kind, 'cross');
  await assert.rejects(cli(lens, [air, ...common]), /give --position I .* or --step S/);
  await assert.rejects(cli(lens, [air, ...common, '--position', '144']), /--position 144 is outside the context \(0\.\.143/);
  await assert.rejects(cli(lens, [...common, '--position', '1']), /lens takes one CSV file, got none/);
});

test('ablate: explicit heads, top-k from a saved mosaic, CSV metrics, errors', async () => {
  const r = await cli(ablate, [...common, '--heads', 'L0.H1,encoder:L1.H0', '--controls', '2', '--batch', '8', '--json']);
  assert.equal(r.code, 0, r.err);
  const a = JSON.parse(r.out) as AblationResult;
  assert.deepEqual(a.heads, [{ kind: 'cross', layer: 0, head: 1 }, { kind: 'encoder', layer: 1, head: 0 }]);
  assert.equal(a.controlSets.length, 2);
  assert.deepEqual(a.metrics.map((m) => m.name), ['induction_loss', 'induction_loss_control']);
  const dir = await tempDir();
  try {
    const saved = path.join(dir, 'mosaic.json');
    await cli(mosaic, [...common, '--tokens', tokensFile, '--out', saved]);
    const t = await cli(ablate, [...common, '--top', '2', '--mosaic', saved, '--controls', '1', '--method', 'mean', '--batch', '6', '--csv', air, '--held-out', '12', '--samples', '2']);
    assert.equal(t.code, 0, t.err);
    const m = JSON.parse(await fsp.readFile(saved, 'utf8')) as MosaicResult;
    const scores = m.cross!.center.flatMap((row, l) => row.map((c, h) => ({ id: `cross:L${l}.H${h}`, s: Math.max(c, m.cross!.right[l][h]) }))).sort((x, y) => y.s - x.s);
    assert.match(t.out, new RegExp(`mean ablation of ${scores[0].id.replace('.', '\\.')}, ${scores[1].id.replace('.', '\\.')}`));
    assert.match(t.out, /last 12 points held out, MASE period 12/);
    assert.match(t.out, /^mase\s/m);
    assert.match(t.out, /^wql\s/m);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
  await assert.rejects(cli(ablate, [...common]), /give --heads L\.H,\.\.\. or --top K/);
  await assert.rejects(cli(ablate, [...common, '--heads', 'L9.H0']), /cross layer 9 does not exist/);
  await assert.rejects(cli(ablate, [...common, '--heads', 'L0.H0', '--method', 'half']), /--method must be zero or mean/);
  await assert.rejects(cli(ablate, [...common, '--heads', 'L0.H0', '--no-induction']), /--no-induction leaves nothing to measure/);
  await assert.rejects(cli(ablate, [...common, '--heads', 'L0.H0', '--held-out', '4']), /--held-out needs --csv/);
});
