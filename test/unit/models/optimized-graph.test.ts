/**
 * The graph cache's two start-up shortcuts, with real ONNX Runtime and real files: ONNX Runtime's
 * optimised, weight-packed CPU graph stored next to each cached graph (trusted only while its files are
 * exactly those written), and the stamps that let a cached external-data graph skip its hash (a changed
 * file is hashed, and a damaged one caught, as before).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosModel } from '../../../models/model';
import { GraphCache } from '../../../models/runtime/graph-cache';
import { bundledModel, maxAbsDiff, withTempDir } from '../helpers';

const inputs = {
  inputIds: { data: [5, 7, 9, 11, 3, 1, 0, 0, 4, 6, 8, 1], dims: [2, 6] as [number, number] },
  attentionMask: { data: [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1], dims: [2, 6] as [number, number] },
  decoderInputIds: { data: [0, 5, 6, 0, 9, 2], dims: [2, 3] as [number, number] },
};

async function optimizedDir(cacheDir: string): Promise<string> {
  const [entry] = await fsp.readdir(path.join(cacheDir, 'graphs'));
  const dirs = (await fsp.readdir(path.join(cacheDir, 'graphs', entry))).filter((f) => f.startsWith('cpu-'));
  assert.equal(dirs.length, 1, dirs.join(' '));
  return path.join(cacheDir, 'graphs', entry, dirs[0]);
}

test('a CPU session writes the optimised graph once, later ones load it, and every way of damaging it is caught, rebuilt and gives the same numbers', async () => {
  await withTempDir(async (cacheDir) => {
    const warnings: string[] = [];
    const run = async (sessionHost: 'inline' | 'worker' = 'inline') => {
      const m = await ChronosModel.load(bundledModel, { cacheDir, provider: 'cpu', threads: 1, sessionHost, onWarning: (w) => warnings.push(w) });
      try {
        const r = await m.forward(inputs, { logits: true, crossAttentions: true });
        return { optimized: m.timings[0].optimized, fromCache: m.timings[0].fromCache, logits: r.logits!.data, cross: r.crossAttentions![0].data };
      } finally {
        await m.dispose();
      }
    };
    const plain = await ChronosModel.load(bundledModel, { cacheDir: null, provider: 'cpu', threads: 1 });
    const want = await plain.forward(inputs, { logits: true, crossAttentions: true });
    assert.equal(plain.timings[0].optimized, undefined, 'no disk cache: nothing optimised is written');
    await plain.dispose();
    const same = (r: Awaited<ReturnType<typeof run>>, what: string) => {
      assert.equal(maxAbsDiff(r.logits, want.logits!.data), 0, `${what}: logits`);
      assert.equal(maxAbsDiff(r.cross, want.crossAttentions![0].data), 0, `${what}: cross-attention`);
    };

    const first = await run();
    assert.equal(first.optimized, 'saved');
    same(first, 'first use');
    const dir = await optimizedDir(cacheDir);
    const files = (await fsp.readdir(dir)).sort();
    assert.ok(files.includes('model.onnx') && files.includes('stamp.json'), files.join(' '));
    for (const host of ['inline', 'worker'] as const) {
      const r = await run(host);
      assert.deepEqual([r.optimized, r.fromCache], ['loaded', true], host);
      same(r, `loaded, ${host}`);
    }
    assert.deepEqual(warnings, []);

    const model = path.join(dir, 'model.onnx');
    const good = await fsp.readFile(model);
    const damage: [string, () => Promise<void>][] = [
      ['a flipped byte', async () => {
        const c = Buffer.from(good);
        c[c.length - 100] ^= 0x40;
        await fsp.writeFile(model, c);
      }],
      ['the same bytes written again (a file touched since it was written is not trusted)', () => fsp.writeFile(model, good)],
      ['truncated', () => fsp.writeFile(model, good.subarray(0, good.length >> 1))],
      ['missing', () => fsp.rm(model)],
      ['a file that ONNX Runtime did not write', () => fsp.writeFile(path.join(dir, 'extra.bin'), 'x')],
      ['no stamp', () => fsp.rm(path.join(dir, 'stamp.json'))],
    ];
    for (const [what, hurt] of damage) {
      await hurt();
      warnings.length = 0;
      const r = await run();
      assert.equal(r.optimized, 'saved', what);
      same(r, what);
      assert.equal(warnings.length, 1, `${what}: ${warnings.join(' | ')}`);
      assert.match(warnings[0], /the optimised graph .*cpu-[0-9a-f]{16} was changed or is incomplete since it was written; writing it again/, what);
      const again = await run();
      assert.equal(again.optimized, 'loaded', `${what}: rewritten and used`);
      assert.equal(warnings.length, 1, what);
    }

    // Files that match their stamp but that ONNX Runtime refuses (say, written by a build that packs
    // differently under the same version): the session opens the plain graph, the copy is discarded.
    const onnx = path.join(await optimizedDir(cacheDir), 'model.onnx');
    const stampFile = path.join(path.dirname(onnx), 'stamp.json');
    const stamp = JSON.parse(await fsp.readFile(stampFile, 'utf8')) as { files: Record<string, Record<string, string>> };
    await fsp.writeFile(onnx, 'not a graph');
    const st = await fsp.stat(onnx, { bigint: true });
    stamp.files['model.onnx'] = { size: String(st.size), ino: String(st.ino), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
    await fsp.writeFile(stampFile, JSON.stringify(stamp));
    warnings.length = 0;
    const refused = await run();
    same(refused, 'refused');
    assert.equal(refused.optimized, undefined);
    assert.equal(warnings.length, 1, warnings.join(' | '));
    assert.match(warnings[0], /the optimised graph .* ONNX Runtime refused the optimised graph \(.*\); writing it again/);
    assert.equal((await run()).optimized, 'saved');
    assert.equal((await run()).optimized, 'loaded');

    // Nothing is left behind: one entry, one optimised graph, no temporary folders.
    const [entry] = await fsp.readdir(path.join(cacheDir, 'graphs'));
    assert.deepEqual((await fsp.readdir(path.join(cacheDir, 'graphs'))), [entry]);
    assert.deepEqual((await fsp.readdir(path.join(cacheDir, 'graphs', entry))).filter((f) => f.startsWith('cpu-')), [path.basename(path.dirname(onnx))]);
  });
});

test('a cached external-data graph skips its hash only while its files are unchanged: a byte written in place, even with the times set back, is caught', async () => {
  await withTempDir(async (root) => {
    const warnings: string[] = [];
    const cache = (await GraphCache.open(root, (w) => warnings.push(w)))!;
    const name = '0123456789abcdef01234567-0123456789abcdef';
    const data = Buffer.alloc(1 << 16, 7);
    const stored = await cache.store(name, async (tmp) => {
      await fsp.writeFile(path.join(tmp, 'model.onnx'), 'graph');
      await fsp.writeFile(path.join(tmp, 'model.onnx.data'), data);
      return {};
    }, {});
    const dir = cache.entryDir(name);
    assert.equal(stored.path, path.join(dir, 'model.onnx'));
    assert.deepEqual(await cache.load(name, { external: true }), { path: path.join(dir, 'model.onnx') });
    assert.ok((await fsp.readdir(dir)).includes('stamp.json'));

    const dataFile = path.join(dir, 'model.onnx.data');
    const before = await fsp.stat(dataFile);
    const fh = await fsp.open(dataFile, 'r+');
    await fh.write(Buffer.from([8]), 0, 1, 1000);
    await fh.close();
    await fsp.utimes(dataFile, before.atime, before.mtime);
    assert.equal(await cache.load(name, { external: true }), undefined);
    assert.equal(warnings.length, 1, warnings.join(' | '));
    assert.match(warnings[0], /failed its integrity check \(model\.onnx\.data: sha256 mismatch\); rebuilding it/);

    // A file that was only touched (same bytes) is hashed once, passes, and is stamped again.
    await cache.store(name, async (tmp) => {
      await fsp.writeFile(path.join(tmp, 'model.onnx'), 'graph');
      await fsp.writeFile(path.join(tmp, 'model.onnx.data'), data);
      return {};
    }, {});
    await fsp.writeFile(dataFile, data);
    const stampBefore = await fsp.readFile(path.join(dir, 'stamp.json'), 'utf8');
    assert.ok(await cache.load(name, { external: true }));
    assert.notEqual(await fsp.readFile(path.join(dir, 'stamp.json'), 'utf8'), stampBefore);
    assert.ok(await cache.load(name, { external: true }));
    assert.equal(warnings.length, 1);
  });
});
