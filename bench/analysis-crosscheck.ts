/**
 * Our mosaic vs a Python reference on any checkpoint (the fixture token batch):
 *   tools/.venv/bin/python tools/reference/mosaic_reference.py --model DIR --tokens test/fixtures/mosaic/tokens-rrt-b100-sl10-r2-seed1911.json --out /tmp/ref.json
 *   npx tsx bench/analysis-crosscheck.ts DIR /tmp/ref.json
 */
import { promises as fsp } from 'node:fs';
import { ChronosModel } from '../models/model';
import { runMosaic } from '../analysis/mosaic';
import { readTokenBatch } from '../analysis/tokens';
(async () => {
  const [dir, refFile] = process.argv.slice(2);
  const ref = JSON.parse(await fsp.readFile(refFile, 'utf8'));
  const m = await ChronosModel.load(dir, { cacheDir: null, provider: 'cpu' });
  const r = await runMosaic(m, { tokens: await readTokenBatch('test/fixtures/mosaic/tokens-rrt-b100-sl10-r2-seed1911.json') });
  let worst = 0;
  for (const k of ['cross', 'encoder', 'decoder'] as const) for (const side of ['center', 'right'] as const) {
    let d = 0;
    r[k]![side].forEach((row, l) => row.forEach((v, h) => (d = Math.max(d, Math.abs(v - ref[k][side][l][h])))));
    let se = 0;
    r[k]!.stderr[side].forEach((row, l) => row.forEach((v, h) => (se = Math.max(se, Math.abs(v - ref[k][`${side}_stderr`][l][h])))));
    console.log(k, side, 'max abs diff', d.toExponential(2), 'stderr', se.toExponential(2));
    worst = Math.max(worst, d);
  }
  console.log('worst', worst);
  await m.dispose();
})();
