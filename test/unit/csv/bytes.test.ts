/** Byte-level pieces: line counting across chunk boundaries, UTF-8 checking, cells, sniffing, row lookup. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { LineCounter, Utf8Checker, firstInvalidUtf8 } from '../../../core/csv/bytes';
import { CellClass, classifyCell, isMissingMarker, parseNumberCell } from '../../../core/csv/cells';
import { sniffDelimiter } from '../../../core/csv/sniff';
import { rowAtLine } from '../../../core/csv';
import { Rng } from '../../../core/rng';

/** Splits `b` into chunks at random points (including 1-byte chunks and splits inside CRLF). */
function randomChunks(b: Buffer, rng: Rng): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const n = rng.intInclusive(1, 7);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('csv: bytes', () => {
  it('LineCounter counts CR, LF and CRLF as one break each, across any chunking', () => {
    const text = 'a\r\nb\rc\nd\r\r\ne\n\nf\r\n\r\ng\rh';
    const b = Buffer.from(text);
    // Reference: the 0-based line of every offset, as VS Code splits lines.
    const ref: number[] = [];
    let line = 0;
    for (let i = 0; i <= b.length; i++) {
      ref.push(line);
      if (b[i] === 13 || (b[i] === 10 && b[i - 1] !== 13)) line++;
    }
    assert.equal(ref[b.length], text.split(/\r\n|\r|\n/).length - 1);
    const rng = new Rng(7);
    for (let trial = 0; trial < 50; trial++) {
      const c = new LineCounter();
      for (const ch of randomChunks(b, rng)) c.push(ch);
      let off = 0;
      while (off <= b.length) {
        assert.equal(c.lineAt(off), ref[off], `offset ${off}, trial ${trial}`);
        off += rng.intInclusive(0, 3);
      }
    }
    assert.throws(() => new LineCounter().lineAt(1), RangeError);
  });

  it('Utf8Checker accepts valid text split anywhere, and finds the first bad byte', () => {
    const good = Buffer.from('ascii, Ünïcödé, 東京, 𝄞 and emoji 🙂\n'.repeat(5));
    const rng = new Rng(3);
    for (let trial = 0; trial < 30; trial++) {
      const u = new Utf8Checker();
      for (const ch of randomChunks(good, rng)) assert.equal(u.push(ch), undefined);
      assert.equal(u.end(), undefined);
    }
    const bad = Buffer.concat([good, Buffer.from([0xe6, 0x9d]), Buffer.from('x')]);
    for (let trial = 0; trial < 30; trial++) {
      const u = new Utf8Checker();
      let problem;
      for (const ch of randomChunks(bad, rng)) {
        problem = u.push(ch);
        if (problem) break;
      }
      problem ??= u.end();
      assert.deepEqual(problem, { offset: good.length, byte: 0xe6, truncated: false });
    }
    const cut = new Utf8Checker();
    assert.equal(cut.push(Buffer.from([0x61, 0xf0, 0x9f])), undefined);
    assert.deepEqual(cut.end(), { offset: 1, byte: 0xf0, truncated: true });
  });

  it('firstInvalidUtf8 agrees with the platform decoder on random bytes', () => {
    const rng = new Rng(11);
    const fatal = new TextDecoder('utf-8', { fatal: true });
    for (let trial = 0; trial < 2000; trial++) {
      const n = rng.intInclusive(1, 8);
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = rng.intInclusive(0, 3) === 0 ? rng.intInclusive(0, 127) : rng.intInclusive(0x80, 0xff);
      const bad = firstInvalidUtf8(b);
      let valid = true;
      try {
        fatal.decode(b);
      } catch {
        valid = false;
      }
      // A sequence cut off by the end counts as well-formed so far; the decoder rejects it.
      if (bad < n) assert.equal(valid, false, Buffer.from(b).toString('hex'));
      else if (valid) assert.equal(bad, n);
      if (bad < n) {
        // Everything before the reported offset decodes.
        assert.doesNotThrow(() => fatal.decode(b.subarray(0, bad)), Buffer.from(b).toString('hex'));
      }
    }
  });

  it('classifies cells and reads numbers, with decimal commas only for ";" files', () => {
    const cases: [string, boolean, CellClass, number][] = [
      ['12', false, CellClass.Number, 12],
      ['-3.5e2', false, CellClass.Number, -350],
      ['.5', false, CellClass.Number, 0.5],
      ['+7.', false, CellClass.Number, 7],
      ['1,234.5', false, CellClass.Number, 1234.5],
      ['1,234,567', false, CellClass.Number, 1234567],
      ['1,5', false, CellClass.Other, NaN],
      ['12,34', false, CellClass.Other, NaN],
      ['1,5', true, CellClass.Number, 1.5],
      ['-0,25', true, CellClass.Number, -0.25],
      ['1.234,5', true, CellClass.Number, 1234.5],
      ['1.234.567', true, CellClass.Number, 1234567],
      ['2020-01-01', false, CellClass.Timestamp, NaN],
      ['1949-01', true, CellClass.Timestamp, NaN],
      ['NA', false, CellClass.Missing, NaN],
      ['-', false, CellClass.Missing, NaN],
      ['abc', false, CellClass.Other, NaN],
      ['1-01', false, CellClass.Other, NaN],
      ['$5', false, CellClass.Other, NaN],
      ['Infinity', false, CellClass.Other, NaN],
    ];
    for (const [t, dc, cls, v] of cases) {
      assert.equal(classifyCell(t, dc), cls, `${t} (${dc})`);
      assert.ok(Object.is(parseNumberCell(t, dc), v), `${t} (${dc}) -> ${parseNumberCell(t, dc)}`);
    }
    assert.equal(parseNumberCell('1.234', true, true), 1234);
    assert.equal(parseNumberCell('1.5', true, true), 1.5);
    for (const m of ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', '?', '-', 'none', '#N/A']) assert.ok(isMissingMarker(m), m);
    assert.equal(isMissingMarker('0'), false);
  });

  it('sniffs the delimiter', () => {
    assert.deepEqual(sniffDelimiter('a,b,c\n1,2,3\n', true), { delimiter: ',', fields: 3 });
    assert.deepEqual(sniffDelimiter('a;b\n1,5;2,5\n3,5;4\n', true), { delimiter: ';', fields: 2 });
    assert.deepEqual(sniffDelimiter('a\tb\n"x, y"\t2\n', true), { delimiter: '\t', fields: 2 });
    assert.deepEqual(sniffDelimiter('2020-01-01\t1,5\n2020-01-02\t2,5\n', true), { delimiter: '\t', fields: 2 });
    assert.deepEqual(sniffDelimiter('a|b|c\n1|2|3\n', true), { delimiter: '|', fields: 3 });
    assert.deepEqual(sniffDelimiter('"a,1";"b"\n"x,2";3\n', true), { delimiter: ';', fields: 2 });
    assert.deepEqual(sniffDelimiter('value\n1\n2\n', true), { delimiter: ',', fields: 1 });
    assert.deepEqual(sniffDelimiter('', true), { delimiter: ',', fields: 1 });
    // A sample cut inside a quoted field still sniffs from the complete lines.
    assert.deepEqual(sniffDelimiter('a;b\n1;2\n3;"long\nfield', false), { delimiter: ';', fields: 2 });
    assert.deepEqual(sniffDelimiter('a;b\n1;2\n', true, '|'), { delimiter: '|', fields: 1 });
  });

  it('maps lines to kept rows', () => {
    const lines = Uint32Array.from([1, 2, 5, 9]);
    assert.deepEqual([0, 1, 2, 3, 5, 8, 9, 10].map((l) => rowAtLine(lines, l)), [-1, 0, 1, -1, 2, -1, 3, -1]);
    assert.deepEqual([0, 1, 3, 8, 10].map((l) => rowAtLine(lines, l, true)), [-1, 0, 1, 2, 3]);
    assert.equal(rowAtLine(new Uint32Array(0), 3), -1);
  });
});
