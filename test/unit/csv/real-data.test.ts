/**
 * Every CSV in ../shared/data, read in place (never copied): shapes, values, timestamps, line numbers,
 * the in-memory path agreeing with the streamed one, and the files left untouched.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fsp, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { inferTimeStep, nextTimestamps, parseCsvText, readCsvFile, readCsvTable, rowAtLine, selectSeries, type CsvSeries } from '../../../core/csv';
import { assertCsvError, assertUnchanged, sharedData, splitLines } from './util';

interface Expected {
  file: string;
  columns: [string, 'numeric' | 'timestamp' | 'label'][];
  column: string;
  rows: number;
  first: [string, number];
  last: [string, number];
  /** Sum of the default column (checks every value, not only the ends). */
  sum: number;
  /** Line-ending quirk of the file. */
  endings: 'CR' | 'CRLF' | 'LF';
  step?: string;
  next?: string[];
}

const FILES: Expected[] = [
  { file: 'AirPassengers.csv', columns: [['Month', 'timestamp'], ['#Passengers', 'numeric']], column: '#Passengers', rows: 144, first: ['1949-01', 112], last: ['1960-12', 432], sum: 40363, endings: 'CR', step: 'monthly', next: ['1961-01', '1961-02', '1961-03'] },
  { file: 'ETTh1.csv', columns: [['date', 'timestamp'], ['HUFL', 'numeric'], ['HULL', 'numeric'], ['MUFL', 'numeric'], ['MULL', 'numeric'], ['LUFL', 'numeric'], ['LULL', 'numeric'], ['OT', 'numeric']], column: 'HUFL', rows: 17420, first: ['2016-07-01 00:00:00', 5.827000141143799], last: ['2018-06-26 19:00:00', 10.11400032043457], sum: NaN, endings: 'LF', step: 'hourly', next: ['2018-06-26 20:00:00', '2018-06-26 21:00:00', '2018-06-26 22:00:00'] }, // checked separately on OT
  { file: 'daily-min-temperatures.csv', columns: [['Date', 'timestamp'], ['Temp', 'numeric']], column: 'Temp', rows: 3650, first: ['1981-01-01', 20.7], last: ['1990-12-31', 13.0], sum: 40798.8, endings: 'CRLF', step: 'daily', next: ['1991-01-01', '1991-01-02', '1991-01-03'] },
  { file: 'daily-total-female-births.csv', columns: [['Date', 'timestamp'], ['Births', 'numeric']], column: 'Births', rows: 365, first: ['1959-01-01', 35], last: ['1959-12-31', 50], sum: 15323, endings: 'CRLF', step: 'daily', next: ['1960-01-01', '1960-01-02', '1960-01-03'] },
  { file: 'monthly-car-sales.csv', columns: [['Month', 'timestamp'], ['Sales', 'numeric']], column: 'Sales', rows: 108, first: ['1960-01', 6550], last: ['1968-12', 14577], sum: 1576272, endings: 'CRLF', step: 'monthly', next: ['1969-01', '1969-02', '1969-03'] },
  { file: 'monthly-sunspots.csv', columns: [['Month', 'timestamp'], ['Sunspots', 'numeric']], column: 'Sunspots', rows: 2820, first: ['1749-01', 58.0], last: ['1983-12', 33.4], sum: 144570, endings: 'CRLF', step: 'monthly', next: ['1984-01', '1984-02', '1984-03'] },
  { file: 'monthly_champagne_sales.csv', columns: [['Month', 'timestamp'], ['Sales', 'numeric']], column: 'Sales', rows: 105, first: ['1964-01', 2815], last: ['1972-09', 5877], sum: 499921, endings: 'LF', step: 'monthly', next: ['1972-10', '1972-11', '1972-12'] },
  { file: 'shampoo.csv', columns: [['Month', 'label'], ['Sales', 'numeric']], column: 'Sales', rows: 36, first: ['1-01', 266.0], last: ['3-12', 646.9], sum: 11253.6, endings: 'CRLF' },
];

function sum(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

describe('csv: real files in ../shared/data', () => {
  it('covers every CSV in the shared data folder', () => {
    const present = readdirSync(sharedData).filter((f) => f.toLowerCase().endsWith('.csv')).sort();
    assert.deepEqual(present, FILES.map((f) => f.file).sort());
  });

  for (const x of FILES) {
    describe(x.file, () => {
      const p = path.join(sharedData, x.file);

      it('reads the whole file: columns, rows, values, timestamps, line numbers; the file is unchanged', async () => {
        const s = await assertUnchanged(p, () => readCsvFile(p));
        assert.equal(s.file, x.file);
        assert.equal(s.delimiter, ',');
        assert.equal(s.hasHeader, true);
        assert.deepEqual(s.columns.map((c) => [c.name, c.kind]), x.columns);
        assert.equal(s.column, x.column);
        assert.equal(s.totalRows, x.rows);
        assert.equal(s.firstRow, 0);
        assert.equal(s.values.length, x.rows);
        assert.equal(s.observed, x.rows);
        assert.equal(s.values[0], x.first[1]);
        assert.equal(s.values[x.rows - 1], x.last[1]);
        if (!Number.isNaN(x.sum)) assert.ok(Math.abs(sum(s.values) - x.sum) < 1e-6, `sum ${sum(s.values)} vs ${x.sum}`);
        assert.deepEqual(s.warnings, []);
        // Header on line 0, one row per line after it, whatever the line endings.
        assert.equal(s.lines.length, x.rows);
        assert.equal(s.lines[0], 1);
        assert.equal(s.lines[x.rows - 1], x.rows);
        const t = s.time;
        assert.ok(t);
        assert.equal(t.column, x.columns[0][0]);
        assert.equal(t.text[0], x.first[0]);
        assert.equal(t.text[x.rows - 1], x.last[0]);
        if (x.columns[0][1] === 'timestamp') {
          assert.equal(t.kind, 'timestamp');
          assert.ok(t.epochMs);
          const [y, m, d = '1', hh = '0'] = x.first[0].split(/[- :]/);
          assert.equal(t.epochMs[0], Date.UTC(Number(y), Number(m) - 1, Number(d), Number(hh)));
          assert.ok(t.epochMs.every((v) => Number.isFinite(v)));
        } else {
          assert.equal(t.kind, 'label');
          assert.equal(t.epochMs, undefined);
        }
      });

      it(`has ${x.endings} line endings, and line numbers point at the rows in the text`, async () => {
        const bytes = await fsp.readFile(p);
        const text = bytes.toString('utf8');
        const crlf = (text.match(/\r\n/g) ?? []).length;
        const cr = (text.match(/\r(?!\n)/g) ?? []).length;
        const lf = (text.match(/(?<!\r)\n/g) ?? []).length;
        const kind = crlf > 0 ? 'CRLF' : cr > 0 ? 'CR' : 'LF';
        assert.equal(kind, x.endings);
        assert.equal([crlf, cr, lf].filter((n) => n > 0).length, 1, 'one kind of line ending');

        const s = parseCsvText(text, { fileLabel: x.file });
        const lines = splitLines(text);
        for (const i of [0, 1, Math.floor(x.rows / 2), x.rows - 1]) {
          const line = lines[s.lines[i]];
          assert.ok(line.includes(s.time?.text[i] ?? '\u0000'), `row ${i} on line ${s.lines[i]}: ${line}`);
          assert.equal(Number(line.split(',')[s.columnIndex]), s.values[i], line);
          assert.equal(rowAtLine(s.lines, s.lines[i]), i);
        }
        assert.equal(rowAtLine(s.lines, 0), -1, 'the header line is no row');
      });

      it('reads the same from the editor text as from the file', async () => {
        const text = await fsp.readFile(p, 'utf8');
        const a = await readCsvFile(p);
        const b = parseCsvText(text, { fileLabel: x.file });
        assert.deepEqual(b.values, a.values);
        assert.deepEqual(b.lines, a.lines);
        assert.deepEqual(b.time?.text, a.time?.text);
        assert.deepEqual(b.columns, a.columns);
        assert.equal(b.totalRows, a.totalRows);
      });

      it('keeps only the requested tail and still counts every row', async () => {
        const full = await readCsvFile(p);
        const s = await readCsvFile(p, { tailRows: 24 });
        assert.equal(s.totalRows, x.rows);
        assert.equal(s.values.length, 24);
        assert.equal(s.firstRow, x.rows - 24);
        assert.deepEqual(s.values, full.values.subarray(x.rows - 24));
        assert.deepEqual(s.lines, full.lines.subarray(x.rows - 24));
        assert.equal(s.time?.text[23], x.last[0]);
        assert.deepEqual(s.columns, full.columns);
      });

      if (x.step) {
        it(`has a ${x.step} time step, continued in the file's format`, async () => {
          const s = await readCsvFile(p, { tailRows: 100 });
          const r = nextTimestamps(s.time?.text ?? [], 3);
          assert.ok(r.ok, r.ok ? '' : r.reason);
          assert.equal(r.step.name, x.step);
          assert.deepEqual(r.timestamps, x.next);
        });
      }
    });
  }

  it('ETTh1: every numeric column can be chosen by name, case-insensitive name, index or digit string', async () => {
    const p = path.join(sharedData, 'ETTh1.csv');
    const table = await readCsvTable(p, { tailRows: 512 });
    assert.equal(table.totalRows, 17420);
    assert.equal(table.firstRow, 17420 - 512);
    assert.equal(table.lines[0], 17420 - 512 + 1);
    const ot = selectSeries(table, 'OT');
    assert.equal(ot.columnIndex, 7);
    assert.equal(ot.values[511], 9.56700038909912);
    assert.equal(ot.time?.text[0], '2018-06-05 12:00:00');
    assert.equal(ot.values[0], 9.777999877929688);
    for (const c of [7, '7', 'ot', ' OT ']) assert.deepEqual(selectSeries(table, c).values, ot.values);
    const all = await readCsvFile(p, { column: 'OT' });
    assert.ok(Math.abs(sum(all.values) - 232115.77909573913) < 1e-6);
    await assertCsvError(() => selectSeries(table, 'Temperature'), 'NOT_FOUND', /ETTh1\.csv has no column "Temperature"/, /"date" \(timestamp\)/, /"OT" \(numeric\)/);
    await assertCsvError(() => selectSeries(table, 8), 'NOT_FOUND', /no column number 8: it has 8 columns \(0-7\)/);
    await assertCsvError(() => selectSeries(table, 'date'), 'BAD_CSV', /Column "date" of ETTh1\.csv holds timestamps/, /Numeric columns: "HUFL", "HULL"/);
  });

  it('daily-min-temperatures: daily, except that 31 December is missing in the leap years 1984 and 1988', async () => {
    const s = await readCsvFile(path.join(sharedData, 'daily-min-temperatures.csv'));
    const r = inferTimeStep(s.time?.text ?? []);
    assert.ok(r.ok);
    assert.equal(r.step.name, 'daily');
    assert.deepEqual(r.step.irregularAt, [1460, 2920]);
    assert.deepEqual(r.step.irregularAt.map((i) => s.time?.text[i]), ['1985-01-01', '1989-01-01']);
    assert.deepEqual(r.step.irregularAt.map((i) => s.time?.text[i - 1]), ['1984-12-30', '1988-12-30']);
    assert.equal(r.step.regularity, 3647 / 3649);
  });

  it('shampoo: "1-01" style months are labels, and no step can be inferred from them', async () => {
    const s: CsvSeries = await readCsvFile(path.join(sharedData, 'shampoo.csv'));
    assert.equal(s.time?.kind, 'label');
    assert.deepEqual(s.time?.text.slice(0, 3), ['1-01', '1-02', '1-03']);
    const r = nextTimestamps(s.time?.text ?? [], 3);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /ISO timestamps/);
  });
});
