/**
 * Hostile and broken model files: non-finite weights, overlaps hidden behind zero-size tensors, absurd
 * config.json values, files that are FIFOs / folders / devices, damaged cached graphs, a cache folder
 * that is a file, clearing a folder that is not our cache, the thread cap, and ONNX Runtime's
 * telemetry store. Real checkpoints, real onnxruntime-node, real child processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from '../../../core/errors';
import { loadCheckpoint } from '../../../models/checkpoint';
import { CONFIG_LIMITS, parseModelConfig } from '../../../models/config';
import { ChronosModel } from '../../../models/model';
import { CACHE_MARKER, clearGraphCache } from '../../../models/runtime/graph-cache';
import { createSession, maxThreads, resolveThreads } from '../../../models/runtime/ort';
import { SafetensorsFile } from '../../../models/safetensors';
import { fixtures, maxAbsDiff, repoRoot, sharedData, withTempDir } from '../helpers';

const ckDir = (name: string) => path.join(fixtures, 'checkpoints', name);
const relu = ckDir('t5-relu-tied-f32');
const dummy = path.join(sharedData, 'chronos-dummy-model');
const inputs = {
  inputIds: { data: [5, 7, 9, 11, 3, 1, 0, 0, 4, 6, 8, 1], dims: [2, 6] as [number, number] },
  attentionMask: { data: [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1], dims: [2, 6] as [number, number] },
  decoderInputIds: { data: [0, 5, 6, 0, 9, 2], dims: [2, 3] as [number, number] },
};

async function copyDir(src: string, dst: string): Promise<void> {
  await fsp.mkdir(dst, { recursive: true });
  for (const f of await fsp.readdir(src)) await fsp.copyFile(path.join(src, f), path.join(dst, f));
}

function oneLineError(code: string | RegExp, re: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ChronosLensError, `expected ChronosLensError, got ${e instanceof Error ? e.stack : e}`);
    assert.match(e.code, code instanceof RegExp ? code : new RegExp(`^${code}$`), e.message);
    assert.ok(!e.message.includes('\n'), `message spans lines: ${e.message}`);
    assert.match(e.message, re);
    return true;
  };
}

function header(obj: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(obj));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json]);
}

async function treeDigest(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string) => {
    for (const e of (await fsp.readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      h.update(path.relative(dir, p) + '\0');
      if (e.isDirectory()) await walk(p);
      else h.update(await fsp.readFile(p));
    }
  };
  await walk(dir);
  return h.digest('hex');
}

test('an overlap hidden behind a zero-size tensor is refused', async () => {
  await withTempDir(async (dir) => {
    const p = path.join(dir, 'hidden.safetensors');
    // a [0,16) and b [8,24) overlap; the empty z at 8 sorts between them and used to break the comparison.
    const hdr = { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, z: { dtype: 'F32', shape: [0], data_offsets: [8, 8] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } };
    await fsp.writeFile(p, Buffer.concat([header(hdr), Buffer.alloc(24)]));
    await assert.rejects(SafetensorsFile.open(p), oneLineError('BAD_CHECKPOINT', /hidden\.safetensors: tensors "a" and "b" overlap/));
    // Zero-size tensors anywhere, touching or inside others, are fine on their own.
    const ok = { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, z: { dtype: 'F32', shape: [0, 3], data_offsets: [8, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] } };
    await fsp.writeFile(p, Buffer.concat([header(ok), Buffer.alloc(24)]));
    assert.equal((await SafetensorsFile.open(p)).tensors.size, 3);
  });
});

test('NaN and infinite weights (F32, F16, BF16) are refused, naming the file and the tensor', async () => {
  await withTempDir(async (dir) => {
    const cases: [string, number[]][] = [
      ['t5-relu-tied-f32', [0x00, 0x00, 0xc0, 0x7f]], // F32 NaN
      ['t5-relu-untied-f16', [0x00, 0x7c]], // F16 +inf
      ['t5-gated-v2304-bf16', [0x80, 0xff]], // BF16 -inf
    ];
    for (const [name, bad] of cases) {
      const ck = path.join(dir, name);
      await copyDir(ckDir(name), ck);
      const file = path.join(ck, 'model.safetensors');
      const st = await SafetensorsFile.open(file);
      const target = [...st.tensors.values()].find((t) => t.name.endsWith('EncDecAttention.v.weight'))!;
      const buf = await fsp.readFile(file);
      Buffer.from(bad).copy(buf, target.begin + 3 * bad.length);
      await fsp.writeFile(file, buf);
      // With a graph cache: the failed build leaves no temporary folder behind.
      const cacheDir = path.join(dir, `${name}-cache`);
      const m = await ChronosModel.load(ck, { cacheDir, provider: 'cpu', threads: 1 });
      const why = new RegExp(`model\\.safetensors: tensor "${target.name.replace(/\./g, '\\.')}" holds (NaN|\\+inf|-inf) at element 3; the weights are corrupt`);
      await assert.rejects(m.forward(inputs, { logits: true }), oneLineError('BAD_CHECKPOINT', why));
      await m.dispose();
      assert.deepEqual(await fsp.readdir(path.join(cacheDir, 'graphs')), []);
    }
  });
});

test('absurd config.json values are refused before anything is allocated, naming config.json and the field', async () => {
  const base = JSON.parse(await fsp.readFile(path.join(dummy, 'config.json'), 'utf8'));
  const cc = base.chronos_config;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...base, num_layers: 1e8 }, /x\/config\.json: field "num_layers" is 100000000, more than the 256/],
    [{ ...base, d_model: 2 ** 40 }, /field "d_model" is \d+, more than the 16384/],
    [{ ...base, vocab_size: 1e9 }, /field "vocab_size"/],
    [{ ...base, num_heads: 1e6 }, /field "num_heads"/],
    [{ ...base, relative_attention_num_buckets: 1e7 }, /field "relative_attention_num_buckets"/],
    [{ ...base, chronos_config: { ...cc, prediction_length: 1e9 } }, /field "chronos_config\.prediction_length" is 1000000000/],
    [{ ...base, chronos_config: { ...cc, num_samples: 1e6 } }, /field "chronos_config\.num_samples"/],
    [{ ...base, chronos_config: { ...cc, context_length: 1e7 } }, /field "chronos_config\.context_length"/],
    [{ ...base, chronos_config: { ...cc, tokenizer_kwargs: { low_limit: -1e308, high_limit: 1e308 } } }, /field "chronos_config\.tokenizer_kwargs\.low_limit" is -1e\+308; its magnitude must be at most 1000000/],
    [{ ...base, chronos_config: { ...cc, tokenizer_kwargs: { low_limit: -15, high_limit: 2e6 } } }, /"chronos_config\.tokenizer_kwargs\.high_limit"/],
    [{ ...base, chronos_config: { ...cc, tokenizer_kwargs: { low_limit: 3, high_limit: 3 } } }, /high_limit \(3\) must be greater than low_limit \(3\)/],
    [{ ...base, chronos_config: { ...cc, tokenizer_kwargs: { low_limit: 'x', high_limit: 3 } } }, /low_limit" must be a finite number, got "x"/],
    [{ ...base, pad_token_id: 4096 }, /field "pad_token_id" is 4096, outside the vocabulary \(vocab_size 32/],
    [{ ...base, decoder_start_token_id: 32 }, /field "decoder_start_token_id" is 32/],
    [{ ...base, chronos_config: { ...cc, eos_token_id: 40 } }, /field "chronos_config\.eos_token_id" is 40, outside the tokenizer's 32 tokens/],
    [{ ...base, architectures: ['Bolt\nInjected'] }, /Bolt\\nInjected/],
  ];
  for (const [cfg, re] of cases) assert.throws(() => parseModelConfig(JSON.stringify(cfg), 'x/config.json'), oneLineError(/BAD_CONFIG|UNSUPPORTED_MODEL/, re));
  assert.ok(CONFIG_LIMITS.num_layers >= 24 && CONFIG_LIMITS.d_model >= 1024 && CONFIG_LIMITS.vocab_size >= 32128);
  // Through the loader, on a real checkpoint folder: the same one line, before any tensor is read.
  await withTempDir(async (dir) => {
    await copyDir(dummy, dir);
    await fsp.writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...base, num_layers: 1e8 }));
    await assert.rejects(loadCheckpoint(dir), oneLineError('BAD_CONFIG', /config\.json: field "num_layers" is 100000000/));
  });
});

test('values nested deeper than JSON.stringify can print are refused in one bounded line', async () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  assert.throws(() => parseModelConfig(`{"model_type": ${deep}}`, 'x/config.json'), oneLineError('UNSUPPORTED_MODEL', /x\/config\.json: not supported yet: model_type "\[…deeply nested array…\]"/));
  await withTempDir(async (dir) => {
    const p = path.join(dir, 'deep.safetensors');
    const json = Buffer.from(`{"a": {"dtype": "F32", "shape": ${deep}, "data_offsets": [0, 4]}}`);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    await fsp.writeFile(p, Buffer.concat([len, json, Buffer.alloc(4)]));
    await assert.rejects(SafetensorsFile.open(p), oneLineError('BAD_CHECKPOINT', /deep\.safetensors: tensor "a" has an invalid shape \[…deeply nested array…\]/));
  });
});

test('config.json, weights and index that are FIFOs, folders or devices are refused at once, never read', async () => {
  await withTempDir(async (dir) => {
    const fifo = (p: string) => assert.equal(spawnSync('mkfifo', [p]).status, 0, 'mkfifo failed');
    const ck = path.join(dir, 'ck');
    await copyDir(relu, ck);
    const cfg = path.join(ck, 'config.json');
    const cfgText = await fsp.readFile(cfg);
    await fsp.rm(cfg);
    fifo(cfg);
    await assert.rejects(loadCheckpoint(ck), oneLineError('BAD_CONFIG', /config\.json is a named pipe \(FIFO\), not a regular file/));
    await fsp.rm(cfg);
    await fsp.mkdir(cfg);
    await assert.rejects(loadCheckpoint(ck), oneLineError('BAD_CONFIG', /config\.json is a folder, not a regular file/));
    await fsp.rm(cfg, { recursive: true });
    await fsp.symlink('/dev/zero', cfg);
    await assert.rejects(loadCheckpoint(ck), oneLineError('BAD_CONFIG', /config\.json is a device, not a regular file/));
    await fsp.rm(cfg);
    await fsp.writeFile(cfg, cfgText);
    const weights = path.join(ck, 'model.safetensors');
    await fsp.rm(weights);
    fifo(weights);
    await assert.rejects(loadCheckpoint(ck), oneLineError('BAD_CHECKPOINT', /model\.safetensors is a named pipe \(FIFO\), not a regular file/));
    // A sharded index that is a FIFO.
    const sh = path.join(dir, 'sharded');
    await copyDir(ckDir('t5-gated-untied-sharded'), sh);
    await fsp.rm(path.join(sh, 'model.safetensors.index.json'));
    fifo(path.join(sh, 'model.safetensors.index.json'));
    await assert.rejects(loadCheckpoint(sh), oneLineError('BAD_CHECKPOINT', /model\.safetensors\.index\.json is a named pipe/));
  });
});

test('a sharded index may name only .safetensors files of its own folder', async () => {
  await withTempDir(async (dir) => {
    const sh = path.join(dir, 'sharded');
    await copyDir(ckDir('t5-gated-untied-sharded'), sh);
    const indexFile = path.join(sh, 'model.safetensors.index.json');
    const index = JSON.parse(await fsp.readFile(indexFile, 'utf8'));
    const first = Object.keys(index.weight_map)[0];
    for (const bad of ['config.json', '../model-00001-of-00002.safetensors', '.hidden.safetensors', 'x'.repeat(5000) + '.safetensors']) {
      await fsp.writeFile(indexFile, JSON.stringify({ ...index, weight_map: { ...index.weight_map, [first]: bad } }));
      const p = loadCheckpoint(sh);
      if (bad.startsWith('x')) await assert.rejects(p, oneLineError('BAD_CHECKPOINT', /names shard x+…, which is missing/));
      else await assert.rejects(p, oneLineError('BAD_CHECKPOINT', /weight_map\[".*"\] must be a \.safetensors shard file name in the same folder/));
    }
  });
});

test('a cached graph with a flipped byte or cut short is rebuilt, with one warning, and gives the original numbers', async () => {
  await withTempDir(async (cacheDir) => {
    const warnings: string[] = [];
    const load = () => ChronosModel.load(relu, { cacheDir, provider: 'cpu', threads: 1, onWarning: (m) => warnings.push(m) });
    const m1 = await load();
    const r1 = await m1.forward(inputs, { logits: true });
    await m1.dispose();
    const [entry] = await fsp.readdir(path.join(cacheDir, 'graphs'));
    const onnx = path.join(cacheDir, 'graphs', entry, 'model.onnx');
    assert.ok((await fsp.readdir(cacheDir)).includes(CACHE_MARKER));
    const good = await fsp.readFile(onnx);
    const damage: [string, (b: Buffer) => Buffer][] = [
      ['flipped byte in the weights', (b) => {
        const c = Buffer.from(b);
        c[c.length - 5000] ^= 0x40; // a weight value: ORT would load it and compute something else
        return c;
      }],
      ['truncated', (b) => b.subarray(0, Math.floor(b.length * 0.6))],
      ['empty', () => Buffer.alloc(0)],
    ];
    for (const [what, mutate] of damage) {
      await fsp.writeFile(onnx, mutate(good));
      warnings.length = 0;
      const m = await load();
      const r = await m.forward(inputs, { logits: true });
      assert.equal(m.timings[0].fromCache, false, what);
      assert.equal(maxAbsDiff(r.logits!.data, r1.logits!.data), 0, what);
      await m.dispose();
      assert.equal(warnings.length, 1, `${what}: ${warnings.join(' | ')}`);
      assert.match(warnings[0], /the cached graph .* failed its integrity check \(model\.onnx: (sha256 mismatch|\d+ bytes, \d+ expected)\); rebuilding it/);
      assert.ok(!warnings[0].includes('\n'));
      assert.deepEqual(await fsp.readFile(onnx), good, `${what}: the rebuilt entry is the original graph`);
      // and the next run uses it silently
      const again = await load();
      await again.forward(inputs, { logits: true });
      assert.equal(again.timings[0].fromCache, true);
      await again.dispose();
      assert.equal(warnings.length, 1);
    }
    // A missing manifest (an entry from an older version, or a crash) is not trusted either.
    await fsp.rm(path.join(cacheDir, 'graphs', entry, 'manifest.json'));
    warnings.length = 0;
    const m3 = await load();
    await m3.forward(inputs, { logits: true });
    assert.equal(m3.timings[0].fromCache, false);
    await m3.dispose();
    assert.match(warnings.join('\n'), /no manifest/);
    // No temporary or discarded folders are left behind; those a killed process left a day ago are removed.
    assert.deepEqual(await fsp.readdir(path.join(cacheDir, 'graphs')), [entry]);
    const stale = path.join(cacheDir, 'graphs', `${entry}.tmp-123-abcd`);
    const fresh = path.join(cacheDir, 'graphs', `${entry}.tmp-456-abcd`);
    for (const d of [stale, fresh]) await fsp.mkdir(d);
    await fsp.utimes(stale, new Date(Date.now() - 2 * 86400e3), new Date(Date.now() - 2 * 86400e3));
    const m4 = await load();
    await m4.forward(inputs, { logits: true });
    await m4.dispose();
    assert.deepEqual((await fsp.readdir(path.join(cacheDir, 'graphs'))).sort(), [entry, path.basename(fresh)]);
  });
});

test('a cache path that is a file, or below a file, gives one warning and the model runs without the cache', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'not-a-folder');
    await fsp.writeFile(file, 'user data\n');
    for (const cacheDir of [file, path.join(file, 'below')]) {
      const warnings: string[] = [];
      const m = await ChronosModel.load(relu, { cacheDir, provider: 'cpu', threads: 1, onWarning: (w) => warnings.push(w) });
      const r = await m.forward(inputs, { logits: true });
      assert.ok(r.logits);
      await m.forward(inputs, { crossAttentions: true });
      await m.dispose();
      assert.equal(warnings.length, 1, warnings.join(' | '));
      assert.match(warnings[0], /continuing without the graph cache/);
      assert.equal(await fsp.readFile(file, 'utf8'), 'user data\n');
    }
    assert.deepEqual(await fsp.readdir(dir), ['not-a-folder']);
  });
});

test('clearing deletes only our own entries, and only in a folder with the marker; any other folder survives byte for byte', async () => {
  await withTempDir(async (dir) => {
    // A user's folder that looks a lot like a cache, without the marker.
    const user = path.join(dir, 'user');
    await fsp.mkdir(path.join(user, 'graphs', '0123456789abcdef01234567-0123456789abcdef'), { recursive: true });
    await fsp.writeFile(path.join(user, 'graphs', '0123456789abcdef01234567-0123456789abcdef', 'model.onnx'), 'mine');
    await fsp.writeFile(path.join(user, 'checkpoint-hashes.json'), '{}');
    await fsp.writeFile(path.join(user, 'thesis.tex'), 'six years of work');
    const before = await treeDigest(user);
    await assert.rejects(clearGraphCache(user), oneLineError('BAD_INPUT', /refusing to clear .*user: it has no \.chronos-lens-cache marker.*nothing was deleted/));
    // a marker that is not ours (wrong content, or a folder) does not count
    await fsp.writeFile(path.join(user, CACHE_MARKER), 'hello');
    await assert.rejects(clearGraphCache(user), /no \.chronos-lens-cache marker/);
    await fsp.rm(path.join(user, CACHE_MARKER));
    assert.equal(await treeDigest(user), before);
    // The CLI says the same in one line, exit 2, and deletes nothing.
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli', 'main.ts'), 'models', 'cache', '--clear', '--cache-dir', user], { encoding: 'utf8', cwd: repoRoot });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^chronos-lens\b.*refusing to clear .*no \.chronos-lens-cache marker/);
    assert.equal(await treeDigest(user), before);
    // A real cache that the user also keeps a file in: our entries go, the user's file and odd entries stay.
    const cache = path.join(dir, 'cache');
    const m = await ChronosModel.load(relu, { cacheDir: cache, provider: 'cpu', threads: 1 });
    await m.forward(inputs, { logits: true });
    await m.dispose();
    await fsp.writeFile(path.join(cache, 'notes.txt'), 'keep me');
    await fsp.mkdir(path.join(cache, 'graphs', 'my-own-stuff'));
    await fsp.writeFile(path.join(cache, 'graphs', 'my-own-stuff', 'x'), 'keep me too');
    const freed = await clearGraphCache(cache);
    assert.ok(freed.bytes > 1000 && freed.files >= 4, JSON.stringify(freed));
    assert.equal(freed.kept, 1);
    assert.deepEqual((await fsp.readdir(cache)).sort(), [CACHE_MARKER, 'graphs', 'notes.txt']);
    assert.deepEqual(await fsp.readdir(path.join(cache, 'graphs')), ['my-own-stuff']);
    // A missing folder is nothing to clear.
    assert.equal((await clearGraphCache(path.join(dir, 'nope'))).files, 0);
  });
});

test('thread counts beyond 4 x the logical cores are refused before ONNX Runtime sees them', async () => {
  const max = maxThreads();
  assert.equal(resolveThreads(max), max);
  assert.ok(resolveThreads(0) >= 1 && resolveThreads(undefined) >= 1);
  for (const bad of [max + 1, 2000, -1, 1.5, Number.NaN]) assert.throws(() => resolveThreads(bad), oneLineError('BAD_INPUT', /threads/));
  const ck = await loadCheckpoint(relu);
  assert.ok(ck);
  await assert.rejects(createSession({ bytes: new Uint8Array(8) }, { provider: 'cpu', threads: 2000 }), oneLineError('BAD_INPUT', new RegExp(`threads 2000 is more than ${max}`)));
  const m = await ChronosModel.load(relu, { cacheDir: null, provider: 'cpu', threads: 2000, sessionHost: 'worker' });
  await assert.rejects(m.forward(inputs, { logits: true }), oneLineError('BAD_INPUT', /threads 2000 is more than/));
  await m.dispose();
});

test('ONNX Runtime writes nothing under $HOME (no telemetry store), in the thread and in the session worker', async () => {
  await withTempDir(async (home) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete env.XDG_CACHE_HOME;
    delete env.ORT_DISABLE_TELEMETRY;
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli', 'main.ts'), 'forecast', path.join(repoRoot, 'samples', 'periodic.csv'), '--no-cache', '--provider', 'cpu', '--json'], { encoding: 'utf8', cwd: repoRoot, env });
    assert.equal(r.status, 0, r.stderr);
    const script = `const { ChronosModel } = require(${JSON.stringify(path.join(repoRoot, 'models', 'model.ts'))});
      (async () => {
        const m = await ChronosModel.load(${JSON.stringify(relu)}, { cacheDir: null, provider: 'cpu', threads: 1, sessionHost: 'worker' });
        await m.forward(${JSON.stringify(inputs)}, { logits: true });
        await m.dispose();
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const w = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8', cwd: repoRoot, env });
    assert.equal(w.status, 0, w.stderr);
    const found = spawnSync('find', [home, '-mindepth', '1'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(found, '', `written under HOME: ${found}`);
  }, 'chronos-lens-home-');
});
