/**
 * Nasty CSVs written to a temp dir: each read from the file (streamed) and from text (the editor path),
 * which must agree; the file must be left untouched.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  nextTimestamps,
  parseCsvTable,
  parseCsvText,
  readCsvFile,
  readCsvTable,
  rowAtLine,
  type CsvReadOptions,
  type CsvSeries,
} from '../../../core/csv';
import { CancelledError, ChronosLensError } from '../../../core/errors';
import { assertCsvError, assertUnchanged, splitLines, tempDir, writeTemp } from './util';

let dir = '';
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

let counter = 0;
/** Reads `content` both as a file and as editor text; asserts they agree and the file is unchanged. */
async function both(content: string, options: CsvReadOptions = {}): Promise<CsvSeries> {
  const name = `case${++counter}.csv`;
  const p = await writeTemp(dir, name, content);
  const fromFile = await assertUnchanged(p, () => readCsvFile(p, options));
  const fromText = parseCsvText(content, { ...options, fileLabel: name });
  assert.deepEqual(fromText, fromFile);
  return fromFile;
}

/** Asserts the same error from the file and the text path. */
async function bothFail(content: string | Uint8Array, options: CsvReadOptions, code: 'BAD_CSV' | 'NOT_FOUND', ...patterns: RegExp[]): Promise<void> {
  const name = `bad${++counter}.csv`;
  const p = await writeTemp(dir, name, content);
  await assertUnchanged(p, () => assertCsvError(() => readCsvFile(p, options), code, new RegExp(name.replace('.', '\\.')), ...patterns));
  if (typeof content === 'string') await assertCsvError(() => parseCsvText(content, { ...options, fileLabel: name }), code, ...patterns);
}

const values = (s: CsvSeries): number[] => Array.from(s.values);

describe('csv: messy files', () => {
  it('UTF-8 BOM with CRLF: the BOM is not part of the first column name', async () => {
    const s = await both('\ufeffdate,value\r\n2020-01-01,1\r\n2020-01-02,2\r\n2020-01-03,3\r\n');
    assert.deepEqual(s.columns.map((c) => c.name), ['date', 'value']);
    assert.equal(s.time?.text[0], '2020-01-01');
    assert.deepEqual(values(s), [1, 2, 3]);
    assert.deepEqual(Array.from(s.lines), [1, 2, 3]);
  });

  it('bare CR line endings count one line each', async () => {
    const s = await both('t,v\r1949-01,112\r1949-02,118\r1949-03,132');
    assert.deepEqual(values(s), [112, 118, 132]);
    assert.deepEqual(Array.from(s.lines), [1, 2, 3]);
  });

  it('mixed LF, CRLF and CR endings in one file, as VS Code counts lines', async () => {
    const text = 'a,b\n1,10\r\n2,20\r3,30\n\r\n4,40\r';
    const s = await both(text, { column: 'b' });
    assert.deepEqual(values(s), [10, 20, 30, 40]);
    assert.deepEqual(Array.from(s.lines), [1, 2, 3, 5]);
    const lines = splitLines(text);
    for (let i = 0; i < 4; i++) assert.equal(lines[s.lines[i]], `${i + 1},${(i + 1) * 10}`);
  });

  it('";" with decimal commas, dots grouping thousands in comma columns, plain dots elsewhere', async () => {
    const s = await both('Datum;Wert;Menge\n2020-01-01;1.234,5;1.5\n2020-01-02;2,25;2.5\n2020-01-03;-0,5;3\n2020-01-04;3;4.25\n2020-01-05;1.000;5\n');
    assert.equal(s.delimiter, ';');
    assert.equal(s.column, 'Wert');
    assert.deepEqual(values(s), [1234.5, 2.25, -0.5, 3, 1000]);
    assert.equal(s.columns[1].decimalComma, true);
    assert.equal(s.columns[2].decimalComma, false);
    const m = parseCsvText('Datum;Wert;Menge\n2020-01-01;1.234,5;1.5\n2020-01-02;2,25;2.5\n2020-01-03;-0,5;3\n', { column: 'Menge' });
    assert.deepEqual(values(m), [1.5, 2.5, 3]);
  });

  it('";" without a header, where "," would also split every row in two', async () => {
    const s = await both('2020-01-01;1,5\n2020-01-02;2,5\n2020-01-03;3,5\n2020-01-04;4,5\n');
    assert.equal(s.delimiter, ';');
    assert.equal(s.hasHeader, false);
    assert.deepEqual(values(s), [1.5, 2.5, 3.5, 4.5]);
    assert.deepEqual(Array.from(s.lines), [0, 1, 2, 3]);
  });

  it('tab-separated, with unquoted thousands separators and spaces around cells', async () => {
    const s = await both('when\tload\tnote\n2021-03-01 00:00\t 1,234.5 \tok, fine\n2021-03-01 01:00\t2,000\tx\n2021-03-01 02:00\t17\ty\n');
    assert.equal(s.delimiter, '\t');
    assert.deepEqual(s.columns.map((c) => c.kind), ['timestamp', 'numeric', 'label']);
    assert.deepEqual(values(s), [1234.5, 2000, 17]);
    const r = nextTimestamps(s.time?.text ?? [], 2);
    assert.deepEqual(r.ok && r.timestamps, ['2021-03-01 03:00', '2021-03-01 04:00']);
  });

  it('pipe-separated', async () => {
    const s = await both('id|x|y\na|1|2\nb|3|4\nc|5|6\n', { column: 'y' });
    assert.equal(s.delimiter, '|');
    assert.deepEqual(values(s), [2, 4, 6]);
    assert.equal(s.time?.kind, 'label');
    assert.deepEqual(s.time?.text, ['a', 'b', 'c']);
  });

  it('quoted thousands separators in a comma file', async () => {
    const s = await both('month,sales\n2020-01,"1,234.5"\n2020-02,"12,345"\n2020-03,"-1,000,000.25"\n2020-04, "7" \n');
    assert.equal(s.delimiter, ',');
    assert.deepEqual(values(s), [1234.5, 12345, -1000000.25, 7]);
  });

  it('no header: numbered column names, the first row is data on line 0', async () => {
    const s = await both('2020-01-01,5,x\n2020-01-02,6,y\n2020-01-03,7,z\n');
    assert.equal(s.hasHeader, false);
    assert.deepEqual(s.columns.map((c) => [c.name, c.kind]), [['col0', 'timestamp'], ['col1', 'numeric'], ['col2', 'label']]);
    assert.deepEqual(values(s), [5, 6, 7]);
    assert.deepEqual(Array.from(s.lines), [0, 1, 2]);
    assert.equal(s.totalRows, 3);
    const only = await both('3.5\n4.5\n5.5\n6.5\n');
    assert.equal(only.hasHeader, false);
    assert.deepEqual(values(only), [3.5, 4.5, 5.5, 6.5]);
    const labels = await both('a,1\nb,2\nc,3\n');
    assert.equal(labels.hasHeader, false);
    assert.deepEqual(labels.time?.text, ['a', 'b', 'c']);
    const forced = await both('a,1\nb,2\nc,3\nd,4\n', { header: true });
    assert.deepEqual(forced.columns.map((c) => c.name), ['a', '1']);
    assert.deepEqual(values(forced), [2, 3, 4]);
  });

  it('a single-column file with a header', async () => {
    const s = await both('value\n1\n2\n3\n');
    assert.equal(s.hasHeader, true);
    assert.equal(s.column, 'value');
    assert.equal(s.time, undefined);
    assert.deepEqual(values(s), [1, 2, 3]);
  });

  it('every missing marker reads as NaN', async () => {
    const markers = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', '?', '-', 'None', '#N/A', 'na', '--'];
    const rows = markers.map((m, i) => `2020-01-${String(i + 1).padStart(2, '0')},${m}`);
    const s = await both(['date,value', '2019-12-29,1', '2019-12-30,2', '2019-12-31,3', ...rows, '2020-01-14,"NA"', '2020-01-15, ? ', '2020-01-16,4'].join('\n'));
    assert.equal(s.columns[1].kind, 'numeric');
    assert.deepEqual(values(s).slice(0, 3), [1, 2, 3]);
    assert.ok(values(s).slice(3, 3 + markers.length + 2).every(Number.isNaN));
    assert.equal(s.values[s.values.length - 1], 4);
    assert.equal(s.observed, 4);
    assert.equal(s.columns[1].missing, markers.length + 2);
    assert.equal(s.columns[1].invalid, 0);
    assert.ok(s.warnings.some((w) => /15 of 19 values of column "value" in 19 rows are missing/.test(w)), s.warnings.join('\n'));
    // Every timestamp still read, so the time axis stays complete.
    assert.ok(s.time?.epochMs?.every(Number.isFinite));
  });

  it('a few non-numbers in a numeric column are read as missing, with a warning naming the first', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},${i % 20 === 7 ? 'oops' : i * 2}`);
    const s = await both(['t,v', ...rows].join('\n'), { column: 'v' });
    assert.equal(s.columns[1].kind, 'numeric');
    assert.equal(s.columns[1].invalid, 2);
    assert.ok(Number.isNaN(s.values[7]) && Number.isNaN(s.values[27]));
    assert.ok(s.warnings.some((w) => w.includes('2 cells of column "v"') && w.includes('"oops" on line 9')), s.warnings.join('\n'));
    // Too many: the column is text, and asking for it says why.
    const bad = ['t,v', ...Array.from({ length: 10 }, (_, i) => `${i},${i % 2 ? 'n/a!' : i}`)].join('\n');
    await bothFail(bad, { column: 'v' }, 'BAD_CSV', /Column "v" of .* holds text, not numbers \(e\.g\. "n\/a!" on line 3\)/, /Numeric columns: "t"/);
  });

  it('blank lines, whitespace-only lines and all-empty spreadsheet rows are skipped, lines stay right', async () => {
    const text = '\n\ndate,value\n\n2020-01-01,1\n   \n2020-01-02,2\n,\n2020-01-03,3\n,\n,\n\n';
    const s = await both(text);
    assert.equal(s.totalRows, 3);
    assert.deepEqual(values(s), [1, 2, 3]);
    assert.deepEqual(Array.from(s.lines), [4, 6, 8]);
    const lines = splitLines(text);
    assert.equal(lines[s.lines[2]], '2020-01-03,3');
  });

  it('a quoted field with embedded newlines (LF, CRLF, CR): rows keep their starting lines', async () => {
    const text = 'date,note,value\n2020-01-01,"line1\nline2",1\n2020-01-02,"a\r\nb\rc",2\n2020-01-03,"say ""hi""",3\n';
    const s = await both(text, { column: 'value' });
    assert.deepEqual(values(s), [1, 2, 3]);
    assert.deepEqual(Array.from(s.lines), [1, 3, 6]);
    const t = parseCsvTable(text);
    assert.equal(t.rows[0][1], 'line1\nline2');
    assert.equal(t.rows[1][1], 'a\r\nb\rc');
    assert.equal(t.rows[2][1], 'say "hi"');
    assert.equal(rowAtLine(s.lines, 4), -1);
    assert.equal(rowAtLine(s.lines, 4, true), 1, 'a line inside a multi-line record maps to it');
    assert.equal(rowAtLine(s.lines, 6), 2);
  });

  it('timestamps with T, zones, fractions and quotes; a Year column is a time axis', async () => {
    const s = await both('"ts","v"\n"2022-03-26T22:00:00Z",1\n"2022-03-26T23:00:00Z",2\n"2022-03-27T00:00:00Z",3\n');
    assert.equal(s.time?.kind, 'timestamp');
    assert.equal(s.time?.epochMs?.[0], Date.UTC(2022, 2, 26, 22));
    const r = nextTimestamps(s.time?.text ?? [], 2);
    assert.deepEqual(r.ok && r.timestamps, ['2022-03-27T01:00:00Z', '2022-03-27T02:00:00Z']);
    const y = await both('Year,Sales\n1990,5\n1991,6\n1992,7\n');
    assert.deepEqual(y.columns.map((c) => c.kind), ['timestamp', 'numeric']);
    assert.equal(y.column, 'Sales');
    assert.equal(y.time?.yearOnly, true);
    assert.equal(y.time?.epochMs?.[2], Date.UTC(1992, 0, 1));
    const ry = nextTimestamps(y.time?.text ?? [], 2, true);
    assert.deepEqual(ry.ok && ry.timestamps, ['1993', '1994']);
    // A lone year column is the values, not a time axis.
    const lone = await both('year\n1990\n1991\n1992\n');
    assert.equal(lone.columns[0].kind, 'numeric');
    assert.deepEqual(values(lone), [1990, 1991, 1992]);
  });

  it('duplicate and empty header names are made unique', async () => {
    const s = await both('t,x,x,,y\n2020-01-01,1,2,3,4\n2020-01-02,1,2,3,4\n2020-01-03,1,2,3,4\n', { column: 'x.1' });
    assert.deepEqual(s.columns.map((c) => c.name), ['t', 'x', 'x.1', 'col3', 'y']);
    assert.deepEqual(values(s), [2, 2, 2]);
    assert.ok(s.warnings.some((w) => /repeats the column name "x"/.test(w)));
  });

  it('a trailing delimiter on every line adds an empty column, not ragged rows', async () => {
    const s = await both('a,b,\n1,2,\n3,4,\n5,6,\n');
    assert.deepEqual(s.columns.map((c) => [c.name, c.kind, c.observed]), [['a', 'numeric', 3], ['b', 'numeric', 3], ['col2', 'label', 0]]);
    assert.deepEqual(s.warnings, []);
  });

  it('ragged rows: a few are tolerated with a warning; too many are an error naming lines', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `2020-01-01,${i},${i * 2}`);
    rows[50] = '2020-01-01,50';
    rows[120] = '2020-01-01,120,240,extra';
    const s = await both(['d,a,b', ...rows].join('\n'), { column: 'b' });
    assert.ok(Number.isNaN(s.values[50]));
    assert.equal(s.values[120], 240);
    assert.ok(s.warnings.some((w) => /2 of 200 data rows .* do not have 3 fields .*line 52 has 2, line 122 has 4/.test(w)), s.warnings.join('\n'));

    const bad = ['d,a,b', ...Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? `2020-01-01,${i}` : `2020-01-01,${i},${i}`))].join('\n');
    await bothFail(bad, {}, 'BAD_CSV', /7 of 20 data rows of .* do not have 3 fields/, /line 2 has 2, line 5 has 2, line 8 has 2, \.\.\./, /at most 1 such rows/);
  });

  it('a quote that never closes, and a quote in the middle of a quoted field, are parse errors', async () => {
    await bothFail('a,b\n1,"2\n3,4\n5,6\n', {}, 'BAD_CSV', /could not be parsed: Quote Not Closed/, /missing its closing quote/);
    await bothFail('a,b\n1,"2"x\n3,4\n5,6\n', {}, 'BAD_CSV', /could not be parsed/, /line 2/, /must be doubled/);
  });

  it('invalid UTF-8: the byte, its offset and its line', async () => {
    const good = Buffer.from('date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-03,');
    const bytes = Buffer.concat([good, Buffer.from([0xff]), Buffer.from('3\n')]);
    await bothFail(bytes, {}, 'BAD_CSV', new RegExp(`not valid UTF-8: byte 0xFF at offset ${good.length} \\(line 4\\)`));
    // Latin-1 é.
    await bothFail(Buffer.from('name,v\ncaf\xe9,1\nb,2\nc,3\n', 'latin1'), {}, 'BAD_CSV', /byte 0xE9 at offset 10 \(line 2\)/, /Latin-1/);
    // Overlong encoding, and a surrogate.
    await bothFail(Buffer.from([0x61, 0x0a, 0xc0, 0x80, 0x0a]), {}, 'BAD_CSV', /byte 0xC0 at offset 2 \(line 2\)/);
    await bothFail(Buffer.from([0x61, 0x0a, 0x31, 0xed, 0xa0, 0x80, 0x0a]), {}, 'BAD_CSV', /byte 0xED at offset 3 \(line 2\)/);
    // A multi-byte character cut off by the end of the file.
    await bothFail(Buffer.concat([Buffer.from('v\n1\n2\n3\n'), Buffer.from([0xe2, 0x82])]), {}, 'BAD_CSV', /ends in the middle of a multi-byte character/, /offset 8 \(line 5\)/);
    // UTF-16 and binary files.
    await bothFail(Buffer.from('\ufeffa,b\n1,2\n', 'utf16le'), {}, 'BAD_CSV', /UTF-16/);
    await bothFail(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]), {}, 'BAD_CSV', /not a text file: it has a NUL byte at offset 4/);
  });

  it('valid multi-byte text (names, labels) is kept intact', async () => {
    const s = await both('Stadt;Temperatur °C\nMünchen;1,5\nKöln;2,5\n東京;3,5\n');
    assert.deepEqual(s.columns.map((c) => c.name), ['Stadt', 'Temperatur °C']);
    assert.deepEqual(s.time?.text, ['München', 'Köln', '東京']);
    assert.deepEqual(values(s), [1.5, 2.5, 3.5]);
  });

  it('empty files, header-only files', async () => {
    await bothFail('', {}, 'BAD_CSV', /is empty/);
    await bothFail('\ufeff', {}, 'BAD_CSV', /is empty/);
    await bothFail('\n \r\n\t\n', {}, 'BAD_CSV', /is empty/);
    await bothFail('date,value\n', {}, 'BAD_CSV', /has a header \("date", "value"\) but no data rows/);
  });

  it('no numeric column; fewer than 3 observed values (in the file, or in the kept tail)', async () => {
    await bothFail('name,city\nann,paris\nbob,rome\n', {}, 'BAD_CSV', /has no numeric column\. Its columns are: "name" \(label, e\.g\. "ann"\), "city" \(label, e\.g\. "paris"\)/);
    await bothFail('d,v\n2020-01-01,1\n2020-01-02,NA\n2020-01-03,2\n', {}, 'BAD_CSV', /Column "v" of .* has only 2 observed values in 3 rows; at least 3 are needed/);
    await bothFail('d,v\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n2020-01-04,4\n2020-01-05,\n2020-01-06,\n', { tailRows: 3 }, 'BAD_CSV', /has only 1 observed value in the last 3 of 6 rows/);
    await bothFail('d,v,e\n2020-01-01,1,\n2020-01-02,2,\n2020-01-03,3,\n', { column: 'e' }, 'BAD_CSV', /Column "e" of .* has no values/);
  });

  it('a named column that does not exist lists the ones that do; missing files are NOT_FOUND', async () => {
    await bothFail('d,v\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n', { column: 'Sales' }, 'NOT_FOUND', /has no column "Sales"\. Its columns are: "d" \(timestamp\), "v" \(numeric\)/);
    await bothFail('d,v\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n', { column: 5 }, 'NOT_FOUND', /has no column number 5: it has 2 columns \(0-1\)/);
    await assertCsvError(() => readCsvFile(path.join(dir, 'nope.csv')), 'NOT_FOUND', /CSV file not found: .*nope\.csv/);
    await assertCsvError(() => readCsvFile(dir), 'IO', /is not a file/);
  });

  it('the delimiter can be forced', async () => {
    const s = await both('a;b,c\n1;2,3\n4;5,6\n7;8,9\n', { delimiter: ',', column: 'c' });
    assert.equal(s.delimiter, ',');
    assert.deepEqual(values(s), [3, 6, 9]);
  });

  it('tailRows keeps the last rows (with a headerless first row when it fits)', async () => {
    const text = Array.from({ length: 10 }, (_, i) => `2020-01-${String(i + 1).padStart(2, '0')},${i}`).join('\n');
    const s = await both(text, { tailRows: 4 });
    assert.deepEqual(values(s), [6, 7, 8, 9]);
    assert.deepEqual(Array.from(s.lines), [6, 7, 8, 9]);
    assert.equal(s.firstRow, 6);
    const all = await both(text, { tailRows: 10 });
    assert.deepEqual(values(all), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const more = await both(text, { tailRows: 1000 });
    assert.deepEqual(values(more), values(all));
    await assertCsvError(() => parseCsvText(text, { tailRows: 0 }), 'BAD_INPUT', /tailRows must be a positive integer/);
  });

  it('cancellation: an aborted signal rejects with CancelledError, also mid-stream', async () => {
    const ac = new AbortController();
    ac.abort();
    const p = await writeTemp(dir, 'cancel.csv', 'a,b\n1,2\n3,4\n5,6\n');
    await assert.rejects(readCsvFile(p, { signal: ac.signal }), CancelledError);
    assert.throws(() => parseCsvText('a,b\n1,2\n3,4\n5,6\n', { signal: ac.signal }), CancelledError);

    // Long rows: several 1 MiB chunks without millions of records to parse.
    const big = await writeTemp(dir, 'cancel-big.csv', 'x,pad\n' + `1.5,${'p'.repeat(100)}\n`.repeat(60_000));
    const mid = new AbortController();
    const fractions: number[] = [];
    const err = await readCsvFile(big, {
      signal: mid.signal,
      onProgress: (u) => {
        fractions.push(u.fraction ?? -1);
        if ((u.fraction ?? 0) > 0.3) mid.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CancelledError, String(err));
    assert.equal((err as ChronosLensError).code, 'CANCELLED');
    assert.ok(fractions.length >= 2 && fractions[fractions.length - 1] < 1, fractions.join(','));
  });

  it('progress goes from 0 to 1 with a message naming the file', async () => {
    const p = await writeTemp(dir, 'progress.csv', 'x,pad\n' + `2.5,${'p'.repeat(100)}\n`.repeat(40_000));
    const updates: { fraction?: number; message?: string }[] = [];
    const table = await readCsvTable(p, { tailRows: 10, onProgress: (u) => updates.push(u) });
    assert.equal(table.totalRows, 40_000);
    assert.ok(updates.length >= 3);
    for (let i = 1; i < updates.length; i++) assert.ok((updates[i].fraction ?? 0) >= (updates[i - 1].fraction ?? 0));
    assert.equal(updates[updates.length - 1].fraction, 1);
    assert.equal(updates[0].message, 'Reading progress.csv');
  });

  it('errors are ChronosLensErrors with the file name, never raw crashes', async () => {
    for (const bad of ['', 'a\n', 'a,b\nx,y\n', 'a,"b\n']) {
      assert.throws(() => parseCsvText(bad, { fileLabel: 'doc.csv' }), (e: unknown) => e instanceof ChronosLensError && e.message.includes('doc.csv'));
    }
  });
});
