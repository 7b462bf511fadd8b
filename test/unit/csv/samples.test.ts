/** samples/: the generator reproduces the committed files byte for byte, and every sample parses. */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { nextTimestamps, readCsvFile } from '../../../core/csv';
import { sampleFiles } from '../../../tools/samples/generate';
import { repoRoot, tempDir } from './util';

const samplesDir = path.join(repoRoot, 'samples');
let out = '';
after(async () => {
  if (out) await fsp.rm(out, { recursive: true, force: true });
});

describe('csv: samples', () => {
  it('the generator reproduces the committed samples byte for byte (in process)', () => {
    const files = sampleFiles();
    const committed = readdirSync(samplesDir).sort();
    assert.deepEqual(committed, [...files.keys()].sort());
    for (const [name, content] of files) {
      assert.equal(readFileSync(path.join(samplesDir, name), 'utf8'), content, `samples/${name} differs from the generator's output; run npm run samples`);
      assert.ok(Buffer.byteLength(content) < 100_000, `${name} is small`);
    }
  });

  it('running the script (npm run samples) writes the same bytes', async () => {
    out = await tempDir();
    const tsx = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const r = spawnSync(process.execPath, [tsx, path.join(repoRoot, 'tools', 'samples', 'generate.ts'), '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.samples, 'tsx tools/samples/generate.ts');
    for (const name of readdirSync(samplesDir)) {
      assert.ok(readFileSync(path.join(out, name)).equals(readFileSync(path.join(samplesDir, name))), name);
    }
  });

  it('README.md describes every sample on one line', () => {
    const readme = readFileSync(path.join(samplesDir, 'README.md'), 'utf8');
    for (const f of readdirSync(samplesDir).filter((f) => f.endsWith('.csv'))) {
      assert.equal(readme.split('\n').filter((l) => l.startsWith(`- \`${f}\`: `)).length, 1, f);
    }
  });

  it('periodic.csv: one value column, period 24', async () => {
    const s = await readCsvFile(path.join(samplesDir, 'periodic.csv'));
    assert.deepEqual([s.column, s.totalRows, s.observed, s.time], ['value', 480, 480, undefined]);
    for (let i = 0; i + 24 < 480; i++) assert.ok(Math.abs(s.values[i] - s.values[i + 24]) < 2e-4);
  });

  it('repeated-motif.csv: a 50-point motif repeated exactly 10 times, and not shorter', async () => {
    const s = await readCsvFile(path.join(samplesDir, 'repeated-motif.csv'));
    assert.equal(s.totalRows, 500);
    for (let i = 0; i + 50 < 500; i++) assert.equal(s.values[i], s.values[i + 50]);
    for (const p of [1, 2, 5, 10, 25]) assert.ok(s.values.some((v, i) => i + p < 500 && v !== s.values[i + p]), `not periodic with ${p}`);
  });

  it('hourly-load.csv: hourly timestamps, daily and weekly seasonality', async () => {
    const s = await readCsvFile(path.join(samplesDir, 'hourly-load.csv'));
    assert.equal(s.totalRows, 672);
    assert.equal(s.time?.text[0], '2024-01-01 00:00:00');
    const r = nextTimestamps(s.time?.text ?? [], 1);
    assert.deepEqual(r.ok && [r.step.name, r.timestamps[0]], ['hourly', '2024-01-29 00:00:00']);
    const mean = (from: number, to: number): number => {
      let sum = 0;
      for (let i = from; i < to; i++) sum += s.values[i];
      return sum / (to - from);
    };
    // Noon is busier than 3 a.m.; Saturday is quieter than Wednesday.
    assert.ok(s.values[12] > s.values[3] + 20);
    assert.ok(mean(2 * 24, 3 * 24) > mean(5 * 24, 6 * 24) + 5);
  });

  it('monthly-sales.csv: monthly dates, upward trend', async () => {
    const s = await readCsvFile(path.join(samplesDir, 'monthly-sales.csv'));
    assert.equal(s.totalRows, 240);
    const r = nextTimestamps(s.time?.text ?? [], 1);
    assert.deepEqual(r.ok && [r.step.name, r.timestamps[0]], ['monthly', '2020-01-01']);
    assert.ok(s.values[239] > 2 * s.values[11]);
  });

  it('random-walk.csv: daily, 512 points', async () => {
    const s = await readCsvFile(path.join(samplesDir, 'random-walk.csv'));
    assert.equal(s.totalRows, 512);
    assert.equal(s.values[0], 100);
    const r = nextTimestamps(s.time?.text ?? [], 1);
    assert.deepEqual(r.ok && [r.step.name, r.timestamps[0]], ['daily', '2024-05-27']);
  });

  it('gaps.csv: missing markers read as NaN, a five-day outage, the time axis complete', async () => {
    const s = await readCsvFile(path.join(samplesDir, 'gaps.csv'));
    assert.equal(s.totalRows, 365);
    assert.equal(s.columns[1].kind, 'numeric');
    assert.equal(s.columns[1].invalid, 0);
    const missing = s.values.length - s.observed;
    assert.ok(missing >= 20 && missing <= 50, `${missing} missing`);
    for (let d = 200; d < 205; d++) assert.ok(Number.isNaN(s.values[d]));
    const text = readFileSync(path.join(samplesDir, 'gaps.csv'), 'utf8');
    for (const m of ['', 'NA', 'NaN', 'null', '?', '-']) assert.ok(text.includes(`,${m}\n`), `uses marker "${m}"`);
    assert.ok(s.time?.epochMs?.every(Number.isFinite));
    assert.ok(s.warnings.some((w) => w.includes(`${missing} of 365 values`)));
  });
});
