/** Which column a series is read from when none is named: index-like columns (a row number, an epoch count) are skipped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultValueColumn, parseCsvTable, parseCsvText, valueColumns } from '../../../core/csv';
import { csvLayout, scanColumn } from '../../../core/csv/scan';

function csv(header: string, row: (i: number) => string, n = 50): string {
  return `${header}\n${Array.from({ length: n }, (_, i) => row(i)).join('\n')}\n`;
}

test('a row-number or epoch column is index-like; the default series is the first value column, everywhere', async () => {
  const cases: { text: string; index: string[]; value: string }[] = [
    { text: csv('hour,HUFL,OT', (i) => `${i},${(5 + Math.sin(i)).toFixed(3)},${30 + (i % 7)}`), index: ['hour'], value: 'HUFL' },
    { text: csv('timestamp,load', (i) => `${1_700_000_000 + i * 3600},${(50 + (i % 24)).toFixed(1)}`), index: ['timestamp'], value: 'load' },
    { text: csv('id,count', (i) => `${100 - 2 * i},${(i * 7) % 13}`), index: ['id'], value: 'count' },
  ];
  for (const c of cases) {
    const table = parseCsvTable(c.text, { fileLabel: 'f.csv' });
    assert.deepEqual(table.columns.filter((x) => x.indexLike).map((x) => x.name), c.index);
    assert.equal(defaultValueColumn(table.columns)?.name, c.value);
    assert.ok(!valueColumns(table.columns).some((x) => c.index.includes(x.name)));
    assert.equal(parseCsvText(c.text, { fileLabel: 'f.csv' }).column, c.value, 'core/csv (mosaic, ablation, CLI)');
    const layout = await csvLayout(c.text, 'f.csv');
    assert.equal((await scanColumn(c.text, layout, undefined)).column, c.value, 'the series view');
  }
});

test('integer values that are not an index stay values: counts, a step that changes, a gap, a repeated value', () => {
  const notIndex = [
    csv('passengers,x', (i) => `${112 + ((i * 37) % 50)},${i / 3}`),
    csv('n,x', (i) => `${i < 25 ? i : i * 2},${i / 3}`),
    csv('n,x', (i) => `${i === 10 ? '' : i},${i / 3}`),
    csv('n,x', (i) => `${Math.floor(i / 2)},${i / 3}`),
    csv('n,x', (i) => `${i + 0.5},${i / 3}`),
  ];
  for (const text of notIndex) {
    const table = parseCsvTable(text, { fileLabel: 'f.csv' });
    assert.equal(table.columns[0].indexLike, undefined, text.slice(0, 40));
    assert.equal(defaultValueColumn(table.columns)?.name, table.columns[0].name);
  }
});

test('only index-like numeric columns: the first of them is still the default, and offered', () => {
  const table = parseCsvTable(csv('a,b', (i) => `${i},${10 * i}`), { fileLabel: 'f.csv' });
  assert.deepEqual(table.columns.map((c) => c.indexLike), [true, true]);
  assert.equal(defaultValueColumn(table.columns)?.name, 'a');
  assert.deepEqual(valueColumns(table.columns).map((c) => c.name), ['a', 'b']);
});
