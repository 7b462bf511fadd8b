/**
 * The series view's column scanner agrees with core/csv (rows, values, lines, time axis) on the
 * samples, the shared real CSVs and awkward text, yields while it works and stops when cancelled.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { invalidCellsMessage, parseCsvTable, selectSeries } from '../../../core/csv';
import { cellAtChar, csvLayout, recordCells, scanColumn, timeCells, timeLabels } from '../../../core/csv/scan';
import { repoRoot, sharedData } from '../helpers';

async function agree(text: string, file: string, column?: string): Promise<void> {
  const layout = await csvLayout(text, file);
  const scan = await scanColumn(text, layout, column);
  const ref = selectSeries(parseCsvTable(text, { fileLabel: file }), column);
  assert.equal(scan.column, ref.column, `${file}: column`);
  assert.equal(scan.totalRows, ref.totalRows, `${file}: rows`);
  assert.deepEqual([...scan.lines], [...ref.lines], `${file}: lines`);
  assert.deepEqual([...scan.values].map((v) => (Number.isNaN(v) ? null : v)), [...ref.values].map((v) => (Number.isNaN(v) ? null : v)), `${file}: values`);
  assert.equal(scan.observed, ref.observed);
  if (ref.time) {
    assert.equal(layout.time?.name, ref.time.column);
    const all = Array.from({ length: scan.totalRows }, (_, i) => i);
    assert.deepEqual(timeCells(text, layout, scan, all), ref.time.text, `${file}: time cells`);
  } else assert.equal(layout.time, undefined);
}

describe('series scanner', () => {
  test('agrees with core/csv on every sample', async () => {
    const dir = path.join(repoRoot, 'samples');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.csv'))) await agree(readFileSync(path.join(dir, f), 'utf8'), f);
  });

  test('agrees with core/csv on the shared real CSVs (CR-only line ends, several columns)', async () => {
    for (const f of ['AirPassengers.csv', 'ETTh1.csv', 'monthly-sunspots.csv', 'daily-min-temperatures.csv']) {
      const text = readFileSync(path.join(sharedData, f), 'utf8');
      await agree(text, f);
    }
    const ett = readFileSync(path.join(sharedData, 'ETTh1.csv'), 'utf8');
    await agree(ett, 'ETTh1.csv', 'OT');
  });

  test('quotes, delimiters, blank and empty rows, BOM, decimal commas, TSV, no header', async () => {
    const cases: [string, string, string?][] = [
      ['date,"value, in k",note\r\n2020-01-01,"1,500",a\r\n\r\n2020-01-02, 2 ,"multi\nline ""note"""\r\n,,\r\n2020-01-03,NA,x\r\n2020-01-04,"7",\r\n', 'q.csv'],
      ['\uFEFFt;v\n2021-01-01;1,5\n2021-01-02;2,25\n2021-01-03;-\n2021-01-04;1.234,5\n', 'semi.csv'],
      ['a\tb\n1\t2\n3\t4\n5\t6\n', 'tab.tsv', 'b'],
      ['1.5\n2.5\n\n3.5\n4.5', 'nohead.csv'],
      ['x,y\n1,2\n3\n' + Array.from({ length: 150 }, (_, i) => `${i},${i * 2}`).join('\n'), 'ragged.csv', 'y'],
    ];
    for (const [text, file, column] of cases) await agree(text, file, column);
  });

  test('time labels: ISO 8601 for timestamp columns (zone-less read as UTC), the text for label columns', async () => {
    const hours = Array.from({ length: 30 }, (_, h) => (h === 2 ? 'bad' : `2024-01-${String(1 + Math.floor(h / 24)).padStart(2, '0')} ${String(h % 24).padStart(2, '0')}:00:00`));
    const text = `when,v\n${hours.map((t, i) => `${t},${i}`).join('\n')}\n`;
    const layout = await csvLayout(text, 'h.csv');
    const scan = await scanColumn(text, layout, 'v');
    assert.deepEqual(await timeLabels(text, layout, scan, [0, 1, 2, 3, 25]), ['2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z', '', '2024-01-01T03:00:00Z', '2024-01-02T01:00:00Z']);
    const days = 'd,v\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n';
    const l2 = await csvLayout(days, 'd.csv');
    assert.deepEqual(await timeLabels(days, l2, await scanColumn(days, l2, 'v'), [2]), ['2020-01-03']);
    const years = 'year,v\n1990,1\n1991,2\n1992,3\n';
    const l3 = await csvLayout(years, 'y.csv');
    assert.equal(l3.time?.yearOnly, true);
    assert.deepEqual(await timeLabels(years, l3, await scanColumn(years, l3, 'v'), [0, 2]), ['1990', '1992']);
    const labels = 'q,v\nQ1,1\nQ2,2\nQ3,3\n';
    const l4 = await csvLayout(labels, 'l.csv');
    assert.deepEqual(await timeLabels(labels, l4, await scanColumn(labels, l4, 'v'), [1]), ['Q2']);
    const none = 'v\n1\n2\n3\n';
    const l5 = await csvLayout(none, 'n.csv');
    assert.equal(await timeLabels(none, l5, await scanColumn(none, l5, 'v'), [1]), undefined);
  });

  test('columns by name; non-numeric and unknown columns are refused with the numeric ones listed', async () => {
    const text = 'date,a,label\n2020-01-01,1,x\n2020-01-02,2,y\n2020-01-03,3,z\n';
    const layout = await csvLayout(text, 'c.csv');
    assert.deepEqual(layout.numeric, ['a']);
    assert.equal((await scanColumn(text, layout, 'A')).column, 'a');
    await assert.rejects(scanColumn(text, layout, 'label'), /Column "label" of c\.csv is not numeric \(label\)\. Numeric columns: "a"/);
    await assert.rejects(scanColumn(text, layout, 'nope'), /has no column "nope"/);
    await assert.rejects(async () => scanColumn('a,b\nx,y\nz,w\n', await csvLayout('a,b\nx,y\nz,w\n', 'l.csv'), undefined), /has no numeric column/);
  });

  test('text cells in a numeric column: counted (missing markers are not), the first named, as core/csv says it', async () => {
    const rows = ['t,v'];
    for (let i = 0; i < 200; i++) rows.push(`${i},${i === 40 ? 'oops' : i === 90 ? '"n.a. (sensor)"' : i === 120 ? 'NA' : i === 121 ? '' : String(i / 2)}`);
    const text = `${rows.join('\n')}\n`;
    const layout = await csvLayout(text, 'text.csv');
    const scan = await scanColumn(text, layout, 'v');
    assert.equal(scan.invalid, 2, 'two text cells; NA and the empty cell are missing markers');
    assert.deepEqual(scan.firstInvalid, { text: 'oops', line: 41 });
    assert.equal(scan.observed, 196);
    const series = selectSeries(parseCsvTable(text, { fileLabel: 'text.csv' }), 'v');
    const message = invalidCellsMessage('v', 'text.csv', scan.invalid, scan.firstInvalid!);
    assert.ok(series.warnings.includes(message), `core/csv warns the same: ${series.warnings.join(' | ')}`);
    assert.equal(message, '2 cells of column "v" in text.csv are not numbers and were read as missing (first: "oops" on line 42).');
    const clean = await scanColumn(text, layout, 't');
    assert.equal(clean.invalid, 0);
    assert.equal(clean.firstInvalid, undefined);
  });

  test('a long document: the structure from a sample, rows and lines exact, yields between slices, cancellable', async () => {
    const rows = 200_000;
    const parts = ['t,v,w\n'];
    for (let i = 0; i < rows; i++) parts.push(`2000-01-01 ${String(Math.floor(i / 3600) % 24).padStart(2, '0')}:00:00,${(i % 97) / 4},${i}\n`);
    const text = parts.join('');
    const layout = await csvLayout(text, 'big.csv');
    assert.equal(layout.sampled, true);
    let yields = 0;
    const scan = await scanColumn(text, layout, 'w', { sliceMs: 1, yieldNow: () => ((yields++), new Promise((r) => setImmediate(r))) });
    assert.equal(scan.totalRows, rows);
    assert.equal(scan.values[123_456], 123_456);
    assert.equal(scan.lines[123_456], 123_457);
    assert.ok(yields > 3, `yielded ${yields} times`);
    assert.deepEqual(recordCells(text, ',', scan.offsets[5]), ['2000-01-01 00:00:00', '1.25', '5']);
    const ac = new AbortController();
    const p = scanColumn(text, layout, 'v', { sliceMs: 1, signal: ac.signal });
    ac.abort();
    await assert.rejects(p, (e: Error) => e.name === 'CancelledError' || /cancel/i.test(e.message));
  });

  test('the cell under a character of a line', () => {
    const line = '2020-01-01, 12.5 ,"a, b",x';
    assert.deepEqual(cellAtChar(line, ',', 0), { column: 0, text: '2020-01-01', start: 0, end: 10 });
    assert.deepEqual(cellAtChar(line, ',', 13), { column: 1, text: '12.5', start: 12, end: 16 });
    assert.equal(cellAtChar(line, ',', 20)?.column, 2);
    assert.equal(cellAtChar(line, ',', 20)?.text, 'a, b');
    assert.equal(cellAtChar(line, ',', line.length)?.column, 3);
    assert.equal(cellAtChar(line, ',', 99), undefined);
  });
});
