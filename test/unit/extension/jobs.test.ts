/**
 * The mosaic job the extension runs on a right-clicked CSV, with a real checkpoint and real CSVs:
 * reference protocol + data-driven variant on the first numeric column, the reference reused from the
 * cache, a too-short series reported without failing the reference, cancellation between chunks.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CancelledError } from '../../../core/errors';
import { csvColumns, loadCsvSeries, mosaicSummary, ReferenceCache, runLogText, runMosaicJob } from '../../../extension/lib/jobs';
import { DEFAULTS } from '../../../extension/lib/settings';
import { BoltModel } from '../../../models/bolt/model';
import { ChronosModel } from '../../../models/model';
import { fixtures, sharedData, tempDir } from '../helpers';

let model: ChronosModel;
const settings = { ...DEFAULTS.mosaic, batch: 16 };

before(async () => {
  model = await ChronosModel.load(path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32'), { provider: 'cpu', threads: 1, cacheDir: await tempDir() });
});
after(async () => {
  await model.dispose();
});

test('CSV sources: a file on disk, or unsaved editor text', async () => {
  const f = await loadCsvSeries({ kind: 'file', path: path.join(sharedData, 'AirPassengers.csv') });
  assert.equal(f.column, '#Passengers');
  assert.equal(f.values.length, 144);
  const t = await loadCsvSeries({ kind: 'text', text: 'date,a,b\n2020-01-01,1,x\n2020-01-02,2,y\n2020-01-03,3,z\n', label: 'Untitled-1' });
  assert.equal(t.file, 'Untitled-1');
  assert.deepEqual(Array.from(t.values), [1, 2, 3]);
  const ett = await csvColumns({ kind: 'file', path: path.join(sharedData, 'ETTh1.csv') });
  assert.deepEqual(ett.numeric, ['HUFL', 'HULL', 'MUFL', 'MULL', 'LUFL', 'LULL', 'OT']);
  assert.deepEqual(ett.values, ett.numeric, 'no index-like column');
  assert.equal(ett.fallback, 'HUFL');
  const indexed = await csvColumns({ kind: 'text', text: `timestamp,OT\n${Array.from({ length: 30 }, (_, i) => `${i},${(i * 7) % 11}.5`).join('\n')}\n`, label: 'indexed.csv' });
  assert.deepEqual([indexed.numeric, indexed.values, indexed.fallback], [['timestamp', 'OT'], ['OT'], 'OT'], 'an integer index column is not offered as values');
  await assert.rejects(loadCsvSeries({ kind: 'text', text: 'a,b\nx,y\n', label: 'bad.csv' }), /bad\.csv has no numeric column/);
});

test('reference + data-driven mosaics, layers x heads per kind; the reference is reused', async () => {
  const series = await loadCsvSeries({ kind: 'file', path: path.join(sharedData, 'AirPassengers.csv') });
  const cache = new ReferenceCache();
  const fractions: number[] = [];
  const r = await runMosaicJob(model, settings, series, { cache, onProgress: (u) => u.fraction !== undefined && fractions.push(u.fraction) });
  const t = model.config.t5;
  assert.equal(r.referenceCached, false);
  assert.equal(r.dataError, undefined);
  for (const m of [r.reference, r.data!]) {
    assert.equal(m.layers, t.numDecoderLayers);
    assert.equal(m.heads, t.numHeads);
    assert.equal(m.cross!.center.length, t.numDecoderLayers);
    assert.equal(m.encoder!.center.length, t.numLayers);
    assert.ok(m.cross!.center.every((row) => row.length === t.numHeads && row.every((v) => v >= 0 && v <= 1)));
  }
  assert.equal(r.reference.protocol.source, 'random-tokens');
  assert.equal(r.data!.protocol.source, 'series');
  assert.equal(r.data!.protocol.series?.column, '#Passengers');
  assert.ok(fractions.length > 2 && fractions.every((f, i) => i === 0 || f >= fractions[i - 1]), `monotone progress ${fractions}`);
  assert.equal(fractions[fractions.length - 1], 1);
  assert.ok(fractions.some((f) => f > 0 && f <= 0.5) && fractions.some((f) => f > 0.5 && f < 1));

  const again = await runMosaicJob(model, settings, series, { cache });
  assert.equal(again.referenceCached, true);
  assert.equal(again.reference, r.reference);
  const other = await runMosaicJob(model, { ...settings, seed: 7 }, undefined, { cache });
  assert.equal(other.referenceCached, false);
  assert.equal(other.data, undefined);

  assert.match(mosaicSummary(r.reference), /^cross \d+\/\d+ heads ≥ 0\.3 \(\d+\.\d%; center \d+, right \d+\); encoder .*; decoder /);
  const log = runLogText('mosaic', r.reference.manifest, { protocol: r.reference.protocol });
  assert.deepEqual(JSON.parse(log.slice(log.indexOf('\n') + 1)).manifest.model.hash, await model.hash());
});

test('a series too short for the data-driven variant: the reference still comes back, with the reason', async () => {
  const series = await loadCsvSeries({ kind: 'text', text: 'v\n1\n2\n3\n4\n5\n', label: 'short.csv' });
  const r = await runMosaicJob(model, settings, series, {});
  assert.ok(r.reference.cross);
  assert.equal(r.data, undefined);
  assert.match(r.dataError ?? '', /short\.csv column "v" has 0 window\(s\) of 10 consecutive observed values/);
  const off = await runMosaicJob(model, { ...settings, dataDriven: false }, series, {});
  assert.equal(off.data, undefined);
  assert.equal(off.dataError, undefined);
});

test('cancel stops the job at the next chunk (the engine checks the signal between chunks)', async (t) => {
  const ac = new AbortController();
  let abortedAt = 0;
  let after = 0;
  let last = 0;
  const started = runMosaicJob(model, { ...settings, batch: 20000 }, undefined, {
    signal: ac.signal,
    onProgress: (u) => {
      last = u.fraction ?? last;
      if (abortedAt) after++;
      else if ((u.fraction ?? 0) > 0) {
        abortedAt = performance.now();
        ac.abort();
      }
    },
  });
  await assert.rejects(started, CancelledError);
  assert.ok(abortedAt > 0, 'progress was reported before cancelling');
  assert.equal(after, 0, 'no chunk ran after the abort');
  assert.ok(last < 0.1, `stopped at ${last}`);
  t.diagnostic(`stopped ${(performance.now() - abortedAt).toFixed(0)} ms after cancel`);
});

test('on a Chronos-Bolt model: the patch protocols (reference, sub-patch, data-driven) with the same settings, cross and encoder only', async () => {
  const bolt = await BoltModel.load(path.join(sharedData, 'chronos-bolt-dummy-model'), { provider: 'cpu', threads: 1, cacheDir: null });
  try {
    const series = await loadCsvSeries({ kind: 'file', path: path.join(sharedData, 'AirPassengers.csv') });
    const cache = new ReferenceCache();
    const fractions: number[] = [];
    const s = { ...settings, batch: 6, seqLen: 4 };
    const r = await runMosaicJob(bolt, s, series, { cache, onProgress: (u) => u.fraction !== undefined && fractions.push(u.fraction) });
    assert.deepEqual([r.reference.protocol.source, r.subPatch?.protocol.source, r.data?.protocol.source], ['random-patches', 'random-patches', 'series-patches']);
    assert.equal(r.reference.protocol.patch!.period, 64);
    assert.deepEqual([r.subPatch!.protocol.patch!.period, r.subPatch!.protocol.repeats], [24, 5]);
    assert.equal(r.data!.protocol.series?.column, '#Passengers');
    for (const m of [r.reference, r.subPatch!, r.data!]) {
      assert.equal(m.decoder, undefined);
      assert.equal(m.cross!.stderr.center.length, 4);
      assert.equal(m.encoder!.counts.heads, 16);
    }
    assert.ok(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]), `monotone progress ${fractions}`);
    assert.equal(fractions.at(-1), 1);
    assert.equal((await runMosaicJob(bolt, s, undefined, { cache })).referenceCached, true);
    await assert.rejects(runMosaicJob(bolt, { ...s, kinds: ['decoder'] }, undefined, {}), /chronos-bolt-dummy-model is a Chronos-Bolt model, which has cross and encoder mosaics only/);
    const long = await runMosaicJob(bolt, { ...settings, batch: 4 }, series, {});
    assert.match(long.dataError ?? '', /0 window\(s\) of 160 consecutive observed values/);
  } finally {
    await bolt.dispose();
  }
});
