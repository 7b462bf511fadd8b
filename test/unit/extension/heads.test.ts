/** Head lists as typed in Run Ablation… (`L3.H5, L4.H1`), their display, and top-k from a mosaic. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addHead, describeHeads, formatHeadList, HeadListError, parseHeadList, rankHeads, shapeOfModel, topHeads } from '../../../extension/lib/heads';
import type { MosaicKind, MosaicResult } from '../../../analysis/types';
import { parseHeads } from '../../../analysis/heads';

const shape = shapeOfModel({ encoderLayers: 2, decoderLayers: 6, heads: 8 });

test('parses the forms people type, zero-based, cross by default', () => {
  assert.deepEqual(parseHeadList('L3.H5, L4.H1'), [
    { kind: 'cross', layer: 3, head: 5 },
    { kind: 'cross', layer: 4, head: 1 },
  ]);
  assert.deepEqual(parseHeadList('l3h5 3.6\nL0.H0;  enc:L1.H7 dec : L5.H2 e:L0.H1 decoder:2.3 x:L1.H1'), [
    { kind: 'cross', layer: 3, head: 5 },
    { kind: 'cross', layer: 3, head: 6 },
    { kind: 'cross', layer: 0, head: 0 },
    { kind: 'encoder', layer: 1, head: 7 },
    { kind: 'decoder', layer: 5, head: 2 },
    { kind: 'encoder', layer: 0, head: 1 },
    { kind: 'decoder', layer: 2, head: 3 },
    { kind: 'cross', layer: 1, head: 1 },
  ]);
  assert.deepEqual(parseHeadList('L1.H2', { defaultKind: 'encoder' }), [{ kind: 'encoder', layer: 1, head: 2 }]);
});

test('accepts everything the CLI / analysis engine accepts, with the same meaning', () => {
  const grid = { layers: { cross: 6, encoder: 2, decoder: 6 }, heads: 8 };
  for (const text of ['L3.H5', 'L3:H5', 'L3/H5', '3.5', 'cross:L2.H0', 'encoder:1.4', 'enc:L1.H7, dec:L5.H2', 'x:L1.H1 e:0.1 d:5:7', 'L3.H5,L3.H5', 'L0.H0;L1.H1']) {
    assert.deepEqual(parseHeadList(text, { shape }), parseHeads(text, grid), text);
    // and what we write, the engine reads back
    assert.deepEqual(parseHeads(formatHeadList(parseHeadList(text)), grid), parseHeadList(text), text);
  }
});

test('drops duplicates, keeps order', () => {
  assert.deepEqual(parseHeadList('L1.H2, L0.H0, l1h2, cross:L1.H2, enc:L1.H2'), [
    { kind: 'cross', layer: 1, head: 2 },
    { kind: 'cross', layer: 0, head: 0 },
    { kind: 'encoder', layer: 1, head: 2 },
  ]);
});

test('errors name the item and what was expected', () => {
  const err = (text: string, re: RegExp) => assert.throws(() => parseHeadList(text, { shape }), (e: Error) => e instanceof HeadListError && re.test(e.message));
  err('', /No heads given/);
  err(' , ;', /No heads given/);
  err('L3', /"L3" is not a head/);
  err('head 3', /"head" is not a head/);
  err('L3.H5, L3.X1', /"L3.X1" is not a head/);
  err('zz:L1.H1', /unknown attention kind "zz"/);
  err('L6.H0', /"L6.H0": layer 6 is out of range \(cross-attention has layers 0–5\)/);
  err('enc:L2.H0', /layer 2 is out of range \(encoder self-attention has layers 0–1\)/);
  err('L0.H8', /head 8 is out of range \(cross-attention has heads 0–7\)/);
  err('L-1.H2', /is not a head/);
  assert.throws(() => parseHeadList('enc:L0.H0', { shape: { cross: { layers: 2, heads: 2 } } }), /no encoder self-attention here \(available: cross-attention\)/);
});

test('formatHeadList round-trips through parseHeadList', () => {
  const heads = parseHeadList('L3.H5, enc:L0.H1, dec:L2.H2, L4.H1');
  const text = formatHeadList(heads);
  assert.equal(text, 'L3.H5, enc:L0.H1, dec:L2.H2, L4.H1');
  assert.deepEqual(parseHeadList(text), heads);
  assert.equal(formatHeadList(heads, 'encoder'), 'cross:L3.H5, L0.H1, dec:L2.H2, cross:L4.H1');
  assert.deepEqual(parseHeadList(formatHeadList(heads, 'encoder'), { defaultKind: 'encoder' }), heads);
});

test('describeHeads groups by kind and truncates', () => {
  assert.equal(describeHeads([]), 'no heads');
  assert.equal(describeHeads(parseHeadList('L3.H5, enc:L0.H1, L4.H1')), 'cross L3.H5, L4.H1; enc L0.H1');
  const many = parseHeadList('L0.H0 L0.H1 L0.H2 L0.H3 L0.H4 L0.H5 L0.H6 L0.H7');
  assert.equal(describeHeads(many, 3), 'cross L0.H0, L0.H1, L0.H2 … (+5)');
});

test('addHead keeps a set', () => {
  let set = addHead([], { kind: 'cross', layer: 1, head: 1 });
  set = addHead(set, { kind: 'cross', layer: 1, head: 1 });
  set = addHead(set, { kind: 'encoder', layer: 1, head: 1 });
  assert.deepEqual(set, [
    { kind: 'cross', layer: 1, head: 1 },
    { kind: 'encoder', layer: 1, head: 1 },
  ]);
});

function kind(center: number[][], right: number[][]): MosaicKind {
  const z = center.map((r) => r.map(() => 0));
  return { layers: center.length, heads: center[0].length, center, right, stderr: { center: z, right: z }, counts: { center: 0, right: 0, total: 0, heads: 0, percent: 0 } };
}

test('top-k ranks heads by max(center, right), ties by layer then head, NaN last', () => {
  const cross = kind(
    [
      [0.1, 0.9, 0.2],
      [0.5, NaN, 0.05],
    ],
    [
      [0.3, 0.1, 0.2],
      [0.2, NaN, 0.7],
    ],
  );
  const r = { cross, layers: 2, heads: 3 } as unknown as MosaicResult;
  assert.deepEqual(
    topHeads(r, 'cross', 3).map((h) => [h.layer, h.head, h.score]),
    [
      [0, 1, 0.9],
      [1, 2, 0.7],
      [1, 0, 0.5],
    ],
  );
  const all = rankHeads(cross, 'cross');
  assert.deepEqual(all.map((h) => `${h.layer}.${h.head}`), ['0.1', '1.2', '1.0', '0.0', '0.2', '1.1']);
  assert.throws(() => topHeads(r, 'cross', 7), /has 6 heads/);
  assert.throws(() => topHeads(r, 'cross', 0), /whole number/);
  assert.throws(() => topHeads(r, 'encoder', 1), /no encoder self-attention scores/);
});
