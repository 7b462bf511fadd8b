/**
 * The series view's analyses with a real checkpoint: attention lens, periodicity, forecast with
 * cross-attention, computed once per document version and column; a new version or another model
 * cancels the old work; the hover and lens answers built from them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isCancelled } from '../../../core/errors';
import { seriesPayload, seriesRange, displayRows, contextWindow } from '../../../extension/lib/series-data';
import { SeriesDocuments, type ModelRunner } from '../../../extension/lib/series-analysis';
import { attendingHeads, lensResponse, maxPool } from '../../../extension/lib/series-lens';
import { HOVER_COMMANDS, hoverMarkdown } from '../../../extension/lib/series-hover';
import { ChronosModel } from '../../../models/model';
import { fixtures, repoRoot, tempDir } from '../helpers';

let model: ChronosModel;
const activities: string[] = [];
let key = 'fixture';
/** The model manager's contract: one job at a time, in order. */
let queue: Promise<unknown> = Promise.resolve();
const runner: ModelRunner = {
  use(fn, opts) {
    const p = queue.then(() => {
      if (opts.signal.aborted) throw new Error('cancelled');
      activities.push(opts.activity);
      return fn(model);
    });
    queue = p.catch(() => undefined);
    return p;
  },
  key: () => key,
};

before(async () => {
  model = await ChronosModel.load(path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32'), { provider: 'cpu', threads: 1, cacheDir: await tempDir() });
});
after(async () => {
  await model.dispose();
});

const periodic = readFileSync(path.join(repoRoot, 'samples', 'periodic.csv'), 'utf8');
const hourly = readFileSync(path.join(repoRoot, 'samples', 'hourly-load.csv'), 'utf8');

describe('series analyses', () => {
  test('lens, periodicity and forecast of the context window; answers for the view and the hover', async () => {
    const docs = new SeriesDocuments();
    const snap = docs.snapshot('file:///w/hourly-load.csv', 1, () => hourly, 'hourly-load.csv');
    const scan = await snap.scan();
    assert.equal(scan.column, 'load');
    assert.equal(scan.totalRows, 672);
    const a = snap.analysis(scan, runner);
    assert.equal(snap.analysis(scan, runner), a, 'one analysis per column and model');
    const summary = await a.model;
    assert.equal(summary.contextLength, 512);
    const lens = await a.lens;
    assert.equal(lens.contextLength, 512);
    assert.equal(a.lensNow, lens);
    const per = await a.periodicity;
    assert.ok(per, 'the hourly sample has a daily period');
    assert.equal(per.periods[0].period, 24);
    assert.equal(per.headScores.ratio.length, summary.encoderLayers);
    const f = await a.forecast;
    assert.equal(f.predictionLength, summary.predictionLength);
    assert.deepEqual(f.quantileLevels, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    assert.equal(f.quantiles[0].length, summary.predictionLength);
    assert.equal(f.timestamps?.[0], '2024-01-29 00:00:00', 'the forecast continues the time axis');
    assert.equal(lens.forecastSteps, summary.predictionLength, 'cross-attention rows for every forecast step');
    assert.ok(activities.some((x) => x.startsWith('attention · hourly-load.csv')) && activities.some((x) => x.startsWith('forecast · hourly-load.csv')));

    // what the page gets for a hover: one layer's rows, sparklines for the grid
    const r = lensResponse(lens, { kind: 'encoder', position: 500, layer: 1, sparkBins: 32 });
    assert.equal(r.rows[0].length, 0, 'other layers are left out');
    assert.equal(r.rows[1].length, summary.heads);
    assert.equal(r.rows[1][0].length, 512);
    assert.equal(r.sparklines?.length, summary.encoderLayers);
    assert.equal(r.sparklines?.[0][0].length, 32);
    const exact = lens.encoderRow(0, 2, 500);
    assert.ok(Math.abs((r.sparklines?.[0][2][31] ?? 0) - Math.max(...exact.subarray(496, 512))) < 1e-5, 'a bin is the max of its keys');
    assert.ok(Math.abs(r.rows[1][2][7] - lens.encoderRow(1, 2, 500)[7]) < 1e-5);
    const c = lensResponse(lens, { kind: 'cross', position: 3, layer: 0 });
    assert.equal(c.kind, 'cross');
    assert.equal(c.rows[0].length, summary.heads);
    assert.equal(c.sparklines, undefined);
    assert.ok(JSON.stringify(r).length < 120_000, `message size ${JSON.stringify(r).length}`);

    // the hover: the strongest heads from a cell, with the rows they attend to
    const heads = attendingHeads(lens, 500);
    assert.equal(heads.length, 3);
    assert.ok(heads[0].weight >= heads[1].weight && heads[1].weight >= heads[2].weight);
    for (const h of heads) assert.ok(h.targets.every((t) => t.position !== 500 && t.weight <= h.weight));
    const start = scan.totalRows - 512;
    const md = hoverMarkdown({
      uri: 'file:///w/hourly-load.csv',
      column: 'load',
      model: summary.name,
      row: start + 500,
      line: scan.lines[start + 500],
      position: 500,
      contextLength: 512,
      value: scan.values[start + 500],
      token: lens.tokens[500],
      binCenter: model.tokenizer.centerOf(lens.tokens[500]),
      scale: lens.scale,
      heads: heads.map((h) => ({ ...h, targets: h.targets.map((t) => ({ ...t, row: start + t.position, line: scan.lines[start + t.position] })) })),
    });
    assert.match(md, new RegExp(`Token \\*\\*${lens.tokens[500]}\\*\\*`));
    assert.match(md, new RegExp(`load · row ${start + 501} \\(line ${start + 502}\\) · context position 501 of 512`));
    assert.match(md, /\[line \d+\]\(command:/);
    assert.match(md, /\| L\d\.H\d \| 0\.\d{3} \|/);
    assert.equal((md.match(new RegExp(`command:${HOVER_COMMANDS.revealLine.replace(/\./g, '\\.')}`, 'g')) ?? []).length, 9);
    assert.match(md, /Open in Series View\]\(command:chronosLens\.series\.openAt\?/);
    const link = /command:chronosLens\.series\.revealLine\?([^ )]+)/.exec(md);
    const args = JSON.parse(decodeURIComponent(link?.[1] ?? '')) as { uri: string; line: number };
    assert.equal(args.uri, 'file:///w/hourly-load.csv');
    assert.equal(args.line, scan.lines[start + heads[0].targets[0].position]);
    docs.dispose();
  });

  test('a new version cancels the computation of the old one; another model starts a new analysis', async () => {
    const docs = new SeriesDocuments();
    const s1 = docs.snapshot('file:///w/periodic.csv', 1, () => periodic, 'periodic.csv');
    const a1 = s1.analysis(await s1.scan(), runner);
    const s2 = docs.snapshot('file:///w/periodic.csv', 2, () => periodic.replace('10.7731', '11'), 'periodic.csv');
    assert.notEqual(s2, s1);
    assert.ok(s1.disposed && a1.aborted);
    await assert.rejects(a1.forecast, (e) => isCancelled(e));
    assert.equal(docs.snapshot('file:///w/periodic.csv', 2, () => 'unused', 'periodic.csv'), s2, 'same version: same snapshot');
    const scan2 = await s2.scan('value');
    assert.equal(scan2.values[0], 11);
    const a2 = s2.analysis(scan2, runner);
    await a2.lens;
    key = 'another-model';
    const a3 = s2.analysis(scan2, runner);
    assert.notEqual(a3, a2);
    assert.ok(a2.aborted);
    await a3.lens;
    assert.equal(s2.analysisNow('value', 'another-model'), a3);
    key = 'fixture';
    docs.drop('file:///w/periodic.csv');
    assert.ok(a3.aborted && docs.size === 0);
  });

  test('payloads: every context row, the history downsampled; ranges for zoom', async () => {
    const rows = 100_000;
    const values = Float64Array.from({ length: rows }, (_, i) => Math.sin(i / 50) + (i % 1000 === 0 ? 5 : 0));
    const ctx = contextWindow(rows, 512);
    assert.deepEqual(ctx, { start: rows - 512, end: rows });
    const shown = displayRows(values, ctx);
    assert.ok(shown.length <= 2000 + 512 && shown.length >= 2000);
    assert.deepEqual([...shown.subarray(shown.length - 512)], Array.from({ length: 512 }, (_, k) => rows - 512 + k));
    for (let i = 1; i < shown.length; i++) assert.ok(shown[i] > shown[i - 1]);
    assert.equal(displayRows(values.subarray(0, 3000), contextWindow(3000, 512)).length, 3000, 'short columns are sent whole');

    const text = `t,v\n${Array.from({ length: 20_000 }, (_, i) => `${new Date(Date.UTC(2020, 0, 1) + i * 3600_000).toISOString()},${i === 5000 ? '' : `${i % 24}.5`}`).join('\n')}\n`;
    const docs = new SeriesDocuments();
    const snap = docs.snapshot('file:///w/big.csv', 1, () => text, 'big.csv');
    const src = { text, layout: await snap.layout(), scan: await snap.scan() };
    const p = await seriesPayload(src, 512);
    assert.equal(p.totalRows, 20_000);
    assert.deepEqual(p.context, { start: 19_488, end: 20_000 });
    assert.equal(p.index.length, p.values.length);
    assert.equal(p.timestamps?.length, p.index.length);
    assert.equal(p.timestamps?.[p.index.length - 1], new Date(Date.UTC(2020, 0, 1) + 19_999 * 3600_000).toISOString(), 'written with milliseconds: kept');
    assert.ok(p.index.length < 2600);
    assert.equal(p.warnings, undefined, 'no text cells: nothing to say');
    const z = await seriesRange(src, 4900, 5100, 500);
    assert.equal(z.index.length, 200, 'a short range comes whole');
    assert.equal(z.values[100], null, 'missing values are null');
    assert.equal(z.values[101], (5001 % 24) + 0.5);
    const wide = await seriesRange(src, 0, 20_000, 300);
    assert.equal(wide.index.length, 301, '300 points and the missing value');
    assert.ok(wide.values.includes(null));
    docs.dispose();

    // text cells read as gaps are said, in core/csv's words
    const withText = text.replace('\n2020-01-01T10:00:00.000Z,10.5\n', '\n2020-01-01T10:00:00.000Z,ten\n');
    assert.notEqual(withText, text);
    const d2 = new SeriesDocuments();
    const s2 = d2.snapshot('file:///w/text.csv', 1, () => withText, 'text.csv');
    const p2 = await seriesPayload({ text: withText, layout: await s2.layout(), scan: await s2.scan() }, 512);
    assert.deepEqual(p2.warnings, ['1 cell of column "v" in text.csv is not a number and was read as missing (first: "ten" on line 12).']);
    d2.dispose();
  });

  test('max pooling for sparklines', () => {
    assert.deepEqual(maxPool([0.1, 0.5, 0.2, 0.3, 0.9, 0.0], 3), [0.5, 0.3, 0.9]);
    assert.deepEqual(maxPool([0.1, 0.2], 8), [0.1, 0.2]);
    assert.deepEqual(maxPool([0.123456789], 1, 3), [0.123]);
  });
});
