/**
 * A 10^6-row file is streamed keeping only the tail: the row count is exact, the tail is right, line
 * numbers are right, and the heap does not grow with the file.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { nextTimestamps, readCsvFile } from '../../../core/csv';
import { assertUnchanged, tempDir } from './util';

const ROWS = 1_000_000;
const TAIL = 600;
const T0 = Date.UTC(2000, 0, 1);
const HOUR = 3_600_000;

function stamp(i: number): string {
  return new Date(T0 + i * HOUR).toISOString().slice(0, 16).replace('T', ' ');
}
/** A deterministic value per row, exactly representable with 3 decimals. */
function value(i: number): string {
  return ((i * 7919) % 100_000 / 1000).toFixed(3);
}

/** A full garbage collection, so that heapUsed measures live memory, not garbage awaiting collection. */
function gc(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

let dir = '';
let file = '';
before(async () => {
  dir = await tempDir();
  file = path.join(dir, 'million.csv');
  const out = createWriteStream(file);
  out.write('time,load,flag\n');
  const block: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    block.push(`${stamp(i)},${value(i)},${i % 2}\n`);
    if (block.length === 50_000) {
      if (!out.write(block.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
      block.length = 0;
    }
  }
  out.end(block.join(''));
  await new Promise<void>((r) => out.once('finish', () => r()));
});
after(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('csv: big files', () => {
  it(`streams ${ROWS} rows keeping the last ${TAIL}, with bounded memory`, async () => {
    const size = (await fsp.stat(file)).size;
    assert.ok(size > 20e6, `file is ${size} bytes`);
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let updates = 0;
    const s = await assertUnchanged(file, () =>
      readCsvFile(file, {
        tailRows: TAIL,
        onProgress: () => {
          // Live heap at each progress step (about every 1% of the file).
          if (updates++ % 4 === 0) {
            gc();
            peak = Math.max(peak, process.memoryUsage().heapUsed);
          }
        },
      }),
    );
    assert.ok(updates > 10);
    // Keeping every row would hold 10^6 arrays of 3 strings (about 250 MB live); the tail is 600 rows.
    const grew = (peak - baseline) / 2 ** 20;
    assert.ok(grew < 16, `live heap grew by ${grew.toFixed(1)} MiB while streaming a ${(size / 2 ** 20).toFixed(1)} MiB file`);

    assert.equal(s.totalRows, ROWS);
    assert.equal(s.firstRow, ROWS - TAIL);
    assert.equal(s.column, 'load');
    assert.deepEqual(s.columns.map((c) => [c.name, c.kind, c.observed]), [['time', 'timestamp', ROWS], ['load', 'numeric', ROWS], ['flag', 'numeric', ROWS]]);
    assert.equal(s.values.length, TAIL);
    for (const k of [0, 1, TAIL / 2, TAIL - 1]) {
      const i = ROWS - TAIL + k;
      assert.equal(s.values[k], Number(value(i)));
      assert.equal(s.lines[k], i + 1);
      assert.equal(s.time?.text[k], stamp(i));
      assert.equal(s.time?.epochMs?.[k], T0 + i * HOUR);
    }
    const next = nextTimestamps(s.time?.text ?? [], 2);
    assert.ok(next.ok);
    assert.equal(next.step.name, 'hourly');
    assert.deepEqual(next.timestamps, [stamp(ROWS), stamp(ROWS + 1)]);
  });
});
