import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lttb } from '../../../core/downsample';

/** The reference LTTB (Steinarsson's JavaScript implementation), on [x, y] points. */
function referenceLttb(data: [number, number][], threshold: number): number[] {
  const n = data.length;
  if (threshold >= n || threshold === 0) return data.map((_, i) => i);
  const sampled: number[] = [0];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    let avgX = 0;
    let avgY = 0;
    let avgStart = Math.floor((i + 1) * every) + 1;
    let avgEnd = Math.floor((i + 2) * every) + 1;
    avgEnd = avgEnd < n ? avgEnd : n;
    const avgLen = avgEnd - avgStart;
    for (; avgStart < avgEnd; avgStart++) {
      avgX += data[avgStart][0];
      avgY += data[avgStart][1];
    }
    avgX /= avgLen;
    avgY /= avgLen;
    let offs = Math.floor(i * every) + 1;
    const to = Math.floor((i + 1) * every) + 1;
    const [ax, ay] = data[a];
    let maxArea = -1;
    let next = 0;
    for (; offs < to; offs++) {
      const area = Math.abs((ax - avgX) * (data[offs][1] - ay) - (ax - data[offs][0]) * (avgY - ay)) * 0.5;
      if (area > maxArea) {
        maxArea = area;
        next = offs;
      }
    }
    sampled.push(next);
    a = next;
  }
  sampled.push(n - 1);
  return sampled;
}

function noisy(n: number, seed = 1): Float64Array {
  let s = seed;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Float64Array.from({ length: n }, (_, i) => Math.sin(i / 37) * 10 + (r() - 0.5) * 4 + (i % 997 === 0 ? 30 : 0));
}

describe('lttb', () => {
  test('returns every index when the range is small enough', () => {
    assert.deepEqual([...lttb([1, 2, 3, 4], 10)], [0, 1, 2, 3]);
    assert.deepEqual([...lttb([1, 2, 3, 4, 5, 6], 4, 2, 5)], [2, 3, 4]);
    assert.deepEqual([...lttb([], 10)], []);
  });

  test('matches the reference implementation on observed data', () => {
    for (const [n, t] of [
      [1000, 100],
      [12345, 777],
      [50, 3],
      [101, 99],
    ]) {
      const v = noisy(n, n);
      const ours = [...lttb(v, t)];
      const ref = referenceLttb([...v].map((y, x) => [x, y]), t);
      assert.deepEqual(ours, ref, `n=${n} threshold=${t}`);
      assert.equal(ours.length, t);
    }
  });

  test('keeps the endpoints and isolated spikes; indices strictly increase', () => {
    const v = new Float64Array(100_000).fill(5);
    v[31_337] = 100;
    v[77_777] = -50;
    const idx = lttb(v, 500);
    assert.equal(idx[0], 0);
    assert.equal(idx[idx.length - 1], v.length - 1);
    assert.ok(idx.includes(31_337) && idx.includes(77_777));
    for (let i = 1; i < idx.length; i++) assert.ok(idx[i] > idx[i - 1]);
  });

  test('works on a sub-range, with absolute indices', () => {
    const v = noisy(10_000);
    const idx = lttb(v, 200, 3000, 6000);
    assert.equal(idx[0], 3000);
    assert.equal(idx[idx.length - 1], 5999);
    assert.equal(idx.length, 200);
    const ref = referenceLttb([...v.subarray(3000, 6000)].map((y, x) => [x, y]), 200).map((i) => i + 3000);
    assert.deepEqual([...idx], ref);
  });

  test('missing values break the line: a gap keeps a missing index, observed points around it survive', () => {
    const v = noisy(20_000);
    for (let i = 8000; i < 9000; i++) v[i] = NaN;
    v[15_000] = NaN;
    const idx = [...lttb(v, 300)];
    const missing = idx.filter((i) => Number.isNaN(v[i]));
    assert.ok(missing.some((i) => i >= 8000 && i < 9000), 'the long gap is visible');
    assert.ok(missing.includes(15_000), 'a single missing value is visible');
    assert.ok(idx.some((i) => i < 8000 && i > 7800) && idx.some((i) => i >= 9000 && i < 9200), 'points on both sides of the gap');
    for (let i = 1; i < idx.length; i++) assert.ok(idx[i] > idx[i - 1]);
    assert.ok(idx.length <= 300 + Math.ceil(300 * 0.1), `at most one extra index per gappy bucket (${idx.length})`);
    // all missing: still a valid, increasing selection
    const allNaN = new Float64Array(1000).fill(NaN);
    const r = [...lttb(allNaN, 50)];
    assert.equal(r[0], 0);
    assert.equal(r[r.length - 1], 999);
    for (let i = 1; i < r.length; i++) assert.ok(r[i] > r[i - 1]);
  });
});
