/** The series chart's x axis (DOM-free layout): dates only while time moves forward, and tick labels that never overprint. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textWidth } from '../../webview/render/dom';
import { seriesLayout, type SeriesChartData } from '../../webview/render/series-chart';
import { LIGHT } from '../../webview/render/theme';

const hour = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 3600_000).toISOString();

function assertNoOverprint(L: ReturnType<typeof seriesLayout>): void {
  const boxes = L.xTicks.map((t) => ({ label: t.label, left: L.x(t.row) - textWidth(t.label, LIGHT.fontSize - 1) / 2, right: L.x(t.row) + textWidth(t.label, LIGHT.fontSize - 1) / 2 }));
  for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i].left > boxes[i - 1].right, `"${boxes[i - 1].label}" and "${boxes[i].label}" overprint`);
}

test('timestamps that repeat (two series stacked in one file): rows on x, labels apart', () => {
  // 2 × 240 hourly rows, the second block repeating the first one's timestamps
  const n = 480;
  const data: SeriesChartData = { index: Array.from({ length: n }, (_, i) => i), values: Array.from({ length: n }, (_, i) => Math.sin(i / 5)), timestamps: Array.from({ length: n }, (_, i) => hour(i % 240)) };
  for (const width of [320, 600, 1600]) {
    const L = seriesLayout(data, { width, theme: LIGHT });
    assert.equal(L.time, false, `${width} px: no time axis over repeated timestamps`);
    assert.ok(L.xTicks.length >= 2, `${width} px: ${L.xTicks.length} ticks`);
    assert.ok(L.xTicks.every((t) => /^\d+$/.test(t.label)));
    assertNoOverprint(L);
  }
  // the same timestamp on neighbouring rows (duplicates)
  const dup: SeriesChartData = { ...data, timestamps: Array.from({ length: n }, (_, i) => hour(Math.floor(i / 2))) };
  assert.equal(seriesLayout(dup, { width: 760, theme: LIGHT }).time, false);
});

test('increasing timestamps: dates on x, labels apart at every width', () => {
  const n = 480;
  const data: SeriesChartData = { index: Array.from({ length: n }, (_, i) => i), values: Array.from({ length: n }, (_, i) => Math.sin(i / 5)), timestamps: Array.from({ length: n }, (_, i) => hour(i)) };
  for (const width of [320, 600, 1600]) {
    const L = seriesLayout(data, { width, theme: LIGHT });
    assert.equal(L.time, true);
    assert.ok(L.xTicks.length >= 2);
    assertNoOverprint(L);
  }
});
