/**
 * core/limits.ts (the bounds both adapters read, the size estimates), core/errors.ts' one-line messages,
 * core/files.ts' output guard and atomic writes, and the extension settings reading the same bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosLensError, userMessage } from '../../../core/errors';
import { checkOutputPath, writeFileAtomic } from '../../../core/files';
import { BOUNDS, MAX_THREADS, ResourceLimitError, ensureFits, forecastNeed, forwardRowNeed, memoryBudget, parseIntegerText, parseNumberText, parseSize } from '../../../core/limits';
import { readSettings } from '../../../extension/lib/settings';
import { withTempDir } from '../helpers';

const small = { vocabSize: 4096, dModel: 64, dKv: 16, dFf: 256, numLayers: 2, numDecoderLayers: 2, numHeads: 4 };

test('integer flags: digits only, inside the bound, one line naming the flag', () => {
  assert.equal(parseIntegerText('numSamples', '20', '--samples'), 20);
  assert.equal(parseIntegerText('position', '-3', '--position'), -3);
  assert.equal(parseIntegerText('seed', '0', '--seed'), 0);
  assert.ok(!Object.is(parseIntegerText('seed', '-0', '--seed'), -0));
  for (const bad of ['', '1e3', '0x10', '1.0', ' 5', 'Infinity', 'NaN', '10001', '0', '-1', '9'.repeat(50)]) {
    assert.throws(
      () => parseIntegerText('numSamples', bad, '--samples'),
      (e: unknown) => e instanceof ChronosLensError && e.code === 'BAD_INPUT' && /^--samples must be an integer in 1\.\.10000, got ".*"$/.test(e.message) && !e.message.includes('\n'),
      bad,
    );
  }
  assert.throws(() => parseIntegerText('threads', String(MAX_THREADS + 1), '--threads'), new RegExp(`--threads must be an integer in 0\\.\\.${MAX_THREADS}`));
  assert.equal(MAX_THREADS, 4 * os.availableParallelism());
  // a value with a newline is shown escaped, so the message stays one line
  assert.throws(() => parseIntegerText('numSamples', '5\nrm', '--samples'), (e: Error) => e.message.endsWith('got "5\\nrm"'));
});

test('number flags: decimal notation inside the bound, exclusive minimums', () => {
  assert.equal(parseNumberText('temperature', '0.5', '--temperature'), 0.5);
  assert.equal(parseNumberText('temperature', '2e-3', '--temperature'), 0.002);
  assert.equal(parseNumberText('topP', '1', '--top-p'), 1);
  assert.throws(() => parseNumberText('topP', '0', '--top-p'), /--top-p must be a number in \(0, 1\], got "0"/);
  for (const bad of ['', 'NaN', '0x1', '1e999', '.', '1,5']) assert.throws(() => parseNumberText('threshold', bad, '--threshold'), /--threshold must be a number in \[0, 1\]/, bad);
});

test('size estimates grow with the request and refuse what does not fit, naming what to lower', () => {
  const f = (S: number, H: number) => forecastNeed(small, { contextTokens: 257, chunkSteps: 64, predictionLength: H, numSamples: S });
  assert.ok(f(40, 64).bytes > f(20, 64).bytes && f(20, 128).bytes > f(20, 64).bytes);
  assert.ok(f(20, 128).flops > 1.9 * f(20, 64).flops);
  // attention capture is quadratic in the tokens
  const r = (T: number) => forwardRowNeed(small, { encLen: T, decLen: 0, encoderAttentions: true }).bytes;
  assert.ok(r(2000) / r(1000) > 3.5);
  const budget = { bytes: 100e6, heapBytes: 50e6, source: 'a test budget' };
  ensureFits('a small forecast', f(20, 64), ['numSamples'], budget);
  assert.throws(
    () => ensureFits('a forecast', f(5000, 64), ['numSamples', 'predictionLength'], budget),
    (e: unknown) => e instanceof ResourceLimitError && e.resource === 'memory' && /^a forecast needs about [\d.]+ (MB|GB) of memory \(100 MB usable: a test budget\), refused before allocating; lower sample paths or prediction length$/.test(e.message),
  );
  const err = (() => {
    try {
      ensureFits('a forecast', f(10000, 10000), ['numSamples', 'predictionLength'], budget);
    } catch (e) {
      return e as ResourceLimitError;
    }
    return undefined;
  })();
  assert.ok(err instanceof ResourceLimitError);
  assert.match(err.describe((p) => ({ numSamples: '--samples', predictionLength: '--prediction-length' })[p] ?? p), /lower --samples or --prediction-length$/);
});

test('the memory budget honours CHRONOS_LENS_MEMORY_LIMIT and refuses a malformed one', () => {
  assert.equal(parseSize('512M'), 512 * 2 ** 20);
  assert.equal(parseSize('2g'), 2 * 2 ** 30);
  assert.equal(parseSize('1000'), 1000);
  assert.equal(parseSize('lots'), undefined);
  const b = memoryBudget({ CHRONOS_LENS_MEMORY_LIMIT: '1M' });
  assert.equal(b.bytes, 2 ** 20);
  assert.match(b.source, /CHRONOS_LENS_MEMORY_LIMIT=1M/);
  assert.ok(memoryBudget({}).bytes > 2 ** 20);
  assert.throws(() => memoryBudget({ CHRONOS_LENS_MEMORY_LIMIT: '-5' }), /CHRONOS_LENS_MEMORY_LIMIT must be a size such as 512M or 4G, got "-5"/);
});

test('userMessage: errno, URL and allocation errors become one line naming the path and what to do', async () => {
  await withTempDir(async (dir) => {
    const e1 = await fsp.readFile(dir).catch((e: unknown) => e);
    assert.equal(userMessage(e1), 'a file read failed: is a folder where a file was expected; give a file (EISDIR)');
    const e1b = await fsp.open(dir, 'w').catch((e: unknown) => e);
    assert.equal(userMessage(e1b), `cannot open ${dir}: is a folder where a file was expected; give a file (EISDIR)`);
    const e2 = await fsp.readFile(path.join(dir, 'nope')).catch((e: unknown) => e);
    assert.match(userMessage(e2), /^cannot open .*nope: no such file or folder; check the path \(ENOENT\)$/);
    await fsp.writeFile(path.join(dir, 'f'), 'x');
    const e3 = await fsp.mkdir(path.join(dir, 'f', 'sub'), { recursive: true }).catch((e: unknown) => e);
    assert.match(userMessage(e3), /(ENOTDIR|EEXIST)\)$/);
    let e4: unknown;
    try {
      new URL('not a url');
    } catch (e) {
      e4 = e;
    }
    assert.equal(userMessage(e4), 'invalid URL "not a url"; check HF_ENDPOINT, the proxy variables and the repo id');
    let e5: unknown;
    try {
      new Float32Array(-1);
    } catch (e) {
      e5 = e;
    }
    assert.match(userMessage(e5), /^the request is too large to hold in memory \(Invalid typed array length: -1\); use smaller sizes/);
    assert.equal(userMessage(new Error('two\nlines\x1b[31m red')), 'two lines red');
  });
});

test('checkOutputPath refuses inputs (path, symlink, hard link), model folders, folders and collisions', async () => {
  await withTempDir(async (dir) => {
    const input = path.join(dir, 'in.csv');
    await fsp.writeFile(input, 'a\n1\n');
    await fsp.symlink(input, path.join(dir, 'sym.csv'));
    await fsp.link(input, path.join(dir, 'hard.csv'));
    const model = path.join(dir, 'model');
    await fsp.mkdir(model);
    await fsp.writeFile(path.join(model, 'config.json'), '{}');
    await fsp.link(path.join(model, 'config.json'), path.join(dir, 'blob'));
    const g = { name: '--out', inputs: [input], protectedDirs: [model] };
    for (const p of [input, path.join(dir, 'sym.csv'), path.join(dir, 'hard.csv'), path.join(dir, 'model', '..', 'in.csv')]) {
      await assert.rejects(checkOutputPath(p, g), /is the input .*in\.csv \(the same file\); write the result to another path/, p);
    }
    await assert.rejects(checkOutputPath(path.join(model, 'config.json'), g), /is inside the model folder/);
    await assert.rejects(checkOutputPath(path.join(model, 'new.json'), g), /is inside the model folder/);
    await assert.rejects(checkOutputPath(path.join(dir, 'blob'), g), /is the model file .*config\.json/);
    await assert.rejects(checkOutputPath(dir, g), /is a folder; give a file name/);
    await assert.rejects(checkOutputPath(path.join(dir, 'o.json'), { ...g, otherOutputs: [{ name: '--save-tokens', file: path.join(dir, 'o.json') }] }), /is also given to --save-tokens/);
    await checkOutputPath(path.join(dir, 'result.json'), g);
  });
});

test('writeFileAtomic: a failed write leaves nothing behind and says why in one line', async () => {
  await withTempDir(async (dir) => {
    await fsp.writeFile(path.join(dir, 'file'), 'x');
    await fsp.mkdir(path.join(dir, 'folder'));
    await assert.rejects(writeFileAtomic(path.join(dir, 'file', 'out.json'), '{}'), /^Error: cannot write .*out\.json: a part of the path is a file, not a folder$|cannot write .*: a part of the path is a file, not a folder/);
    await assert.rejects(writeFileAtomic(path.join(dir, 'folder'), '{}'), /cannot write .*folder: it is a folder; give a file name/);
    await assert.rejects(writeFileAtomic(path.join(dir, 'missing', 'out.json'), '{}'), /the folder does not exist/);
    if (process.getuid?.() !== 0) {
      await fsp.mkdir(path.join(dir, 'ro'));
      await fsp.chmod(path.join(dir, 'ro'), 0o555);
      await assert.rejects(writeFileAtomic(path.join(dir, 'ro', 'out.json'), '{}'), /permission denied/);
      assert.deepEqual(await fsp.readdir(path.join(dir, 'ro')), []);
    }
    assert.deepEqual((await fsp.readdir(dir)).sort(), ['file', 'folder', ...(process.getuid?.() !== 0 ? ['ro'] : [])]);
    assert.deepEqual(await fsp.readdir(path.join(dir, 'folder')), []);
    await writeFileAtomic(path.join(dir, 'ok.json'), '{}');
    assert.equal(await fsp.readFile(path.join(dir, 'ok.json'), 'utf8'), '{}');
  });
});

test('the extension settings use the same bounds: out of range falls back to the default with a sentence', () => {
  const values: Record<string, unknown> = {
    threads: 2000,
    'mosaic.batch': BOUNDS.mosaicBatch.max + 1,
    'mosaic.repeats': 1e9,
    'mosaic.seed': 2 ** 40,
    'ablation.controls': BOUNDS.controls.max + 1,
    'ablation.heldOut': 'x'.repeat(5000),
  };
  const { settings, problems } = readSettings((k) => values[k]);
  assert.equal(settings.threads, 0);
  assert.equal(settings.mosaic.batch, 100);
  assert.equal(settings.mosaic.repeats, 2);
  assert.equal(settings.ablation.controls, 20);
  assert.equal(settings.ablation.heldOut, 0);
  assert.equal(problems.length, 6, problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith(`chronosLens.threads must be an integer in 0..${MAX_THREADS}, got 2000`)));
  assert.ok(problems.some((p) => p.startsWith(`chronosLens.mosaic.batch must be an integer in 2..${BOUNDS.mosaicBatch.max}`)));
  assert.ok(problems.every((p) => p.length < 200 && !p.includes('\n')), 'a huge value is shortened');
  const ok = readSettings((k) => ({ threads: MAX_THREADS, 'mosaic.batch': BOUNDS.mosaicBatch.max } as Record<string, unknown>)[k]);
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.settings.threads, MAX_THREADS);
});

test("package.json's settings schema states the same ranges as BOUNDS", async () => {
  const pkg = JSON.parse(await fsp.readFile(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { minimum?: number; maximum?: number }> } | { properties: Record<string, { minimum?: number; maximum?: number }> }[] } };
  const conf = pkg.contributes.configuration;
  const props = Object.assign({}, ...(Array.isArray(conf) ? conf : [conf]).map((c) => c.properties)) as Record<string, { minimum?: number; maximum?: number }>;
  // [setting, bound, 0 also allowed (the default)]
  const pairs: [string, keyof typeof BOUNDS, boolean][] = [
    ['mosaic.batch', 'mosaicBatch', false],
    ['mosaic.seqLen', 'seqLen', false],
    ['mosaic.repeats', 'repeats', false],
    ['mosaic.subExtension', 'subExtension', false],
    ['mosaic.seed', 'seed', false],
    ['mosaic.threshold', 'threshold', false],
    ['ablation.controls', 'controls', false],
    ['ablation.topK', 'topHeads', false],
    ['ablation.seed', 'seed', false],
    ['ablation.heldOut', 'heldOut', true],
  ];
  for (const [key, bound, orZero] of pairs) {
    const p = props[`chronosLens.${key}`];
    assert.ok(p, key);
    assert.deepEqual([p.minimum, p.maximum], [orZero ? 0 : BOUNDS[bound].min, BOUNDS[bound].max], key);
  }
  // the thread limit depends on the machine: the schema's static maximum only has to allow it
  assert.ok(props['chronosLens.threads'].maximum! >= MAX_THREADS);
});
