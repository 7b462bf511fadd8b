/**
 * Fault suite of the CLI: generated absurd values for every numeric flag of every command, outputs that
 * are inputs (same path, symbolic link, hard link, inside a model folder), inputs that are folders,
 * FIFOs or missing, requests too big for the memory or the time available, and valid-but-odd requests.
 *
 * Every case holds to the same rules: a bad request exits non-zero (never by a signal) with exactly one
 * stderr line starting with "chronos-lens:", no stack trace; a valid one exits 0; each finishes (a
 * generous kill timer only catches hangs); the inputs stay byte-identical; nothing is written in the
 * sandbox (home, temp, work folder) except the case's own output and the graph cache.
 *
 * The flag cases run main() in-process (hundreds of them; a child process each would take minutes);
 * a representative set, and every case that writes, loads a model or depends on the process (signals,
 * environment), runs the built CLI (`node dist/cli.js`, from `npm run build`) as a child process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../../cli/main';
import { BOUNDS, Bound, BoundName } from '../../../core/limits';
import { bundledModel, fixtures, repoRoot, tempDir } from '../helpers';

const cliJs = path.join(repoRoot, 'dist', 'cli.js');
const fixtureModel = path.join(fixtures, 'checkpoints', 't5-relu-v4096-f32');
/** Only to fail a hang: every case normally ends in well under a few seconds. */
const KILL_AFTER_MS = 120_000;

let box: string;
let csv: string;
/** The shortest series the CSV reader accepts (three values). */
let csv1: string;
let tokens: string;
let env: NodeJS.ProcessEnv;

/** Every file under `dir` with its hash (links by target, FIFOs by kind), except `skip` subtrees. */
async function snapshot(dir: string, skip: string[] = []): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (skip.some((s) => p === s || p.startsWith(s + path.sep))) continue;
      if (e.isDirectory()) {
        out.set(p, 'dir');
        await walk(p);
      } else if (e.isSymbolicLink()) out.set(p, `link:${await fsp.readlink(p)}`);
      else if (e.isFile()) out.set(p, createHash('sha256').update(await fsp.readFile(p)).digest('hex'));
      else out.set(p, 'special');
    }
  };
  await walk(dir);
  return out;
}

function diff(a: Map<string, string>, b: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) changes.push(`${b.has(k) ? 'changed' : 'removed'} ${k}`);
  for (const k of b.keys()) if (!a.has(k)) changes.push(`added ${k}`);
  return changes;
}

/** The rules every failing case must keep. */
function assertOneErrorLine(label: string, code: number | null, signal: string | null, stderr: string): void {
  assert.equal(signal, null, `${label}: killed by ${signal}`);
  assert.ok(code !== null && code !== 0, `${label}: exit ${code}, stderr ${stderr}`);
  assert.ok(code !== 134 && code !== 137 && code! < 128, `${label}: exit ${code} looks like a crash`);
  const lines = stderr.split('\n').filter((l) => l !== '');
  const errors = lines.filter((l) => l.startsWith('chronos-lens:'));
  assert.equal(errors.length, 1, `${label}: expected one chronos-lens: line, got ${JSON.stringify(stderr)}`);
  assert.equal(lines[lines.length - 1], errors[0], `${label}: the error must be the last line: ${JSON.stringify(stderr)}`);
  assert.doesNotMatch(stderr, /\n\s+at |^\s+at /m, `${label}: stack trace`);
  assert.doesNotMatch(stderr, /\x1b\[/, `${label}: terminal escapes`);
}

// ---- in-process flag cases ---------------------------------------------------------------------------

/** Never a valid integer for any bound. */
const BAD_INTEGERS = ['', 'NaN', 'Infinity', '-Infinity', '1e6', '1e308', '1.5', '0x10', '0b11', ' 5', '5 ', '+', '-', 'abc', '٣', '1_000', '\n7', '7\n', '9'.repeat(400), '-9'.padEnd(300, '9'), '[]', 'null', '1,2'];
/** Never a valid number for any float bound. */
const BAD_NUMBERS = ['', 'NaN', 'Infinity', '-Infinity', '1e999', '0x10', 'abc', ' 0.5', '0.5 ', '.', 'e5', '1e', '1,5', '٠.٥', '\n0.5', '9'.repeat(400), '-9'.padEnd(300, '9')];

function outOfRange(b: Bound): string[] {
  const v: string[] = [];
  if (b.integer) {
    v.push(String(b.min - 1), String(b.max + 1), String(b.max * 1000 + 7));
  } else {
    if (b.exclusiveMin) v.push(String(b.min));
    v.push(String(b.min - 1), String(b.max * 2 + 1));
  }
  return v;
}

interface FlagCase {
  cmd: string;
  flag: string;
  bound: BoundName;
  /** Arguments that get the command past its other checks (a CSV, a head set). */
  base: () => string[];
}

const MODEL_FLAGS = (cmd: string, base: () => string[]): FlagCase[] => [{ cmd, flag: 'threads', bound: 'threads', base }];

/** One command's `flag=bound` cases sharing one base argument list (a table is easier to read than a literal each). */
function group(cmd: string, base: () => string[], pairs: string): FlagCase[] {
  return pairs.split(' ').map((pair) => {
    const [flag, bound] = pair.split('=');
    assert.ok(bound in BOUNDS, `flagCases: ${bound} is not a BOUNDS entry`);
    return { cmd, flag, bound: bound as BoundName, base };
  });
}

function flagCases(): FlagCase[] {
  const f = () => [csv];
  const l = () => [csv, '--position', '0'];
  const lStep = () => [csv, '--step', '0'];
  const a = () => ['--heads', 'L0.H0'];
  const aCsv = () => ['--heads', 'L0.H0', '--csv', csv];
  const none = () => [];
  return [
    ...group('forecast', f, 'prediction-length=predictionLength samples=numSamples seed=seed top-k=samplingTopK temperature=temperature top-p=topP quantiles=quantileLevel'),
    ...MODEL_FLAGS('forecast', f),
    ...group('mosaic', none, 'batch=mosaicBatch seq-len=seqLen period=mosaicPeriod repeats=repeats seed=seed threshold=threshold'),
    ...group('mosaic', () => ['--seq-len', '100000'], 'sub-extension=subExtension'),
    ...MODEL_FLAGS('mosaic', none),
    ...group('lens', () => [csv], 'position=position step=step'),
    ...group('lens', l, 'layer=layer head=head top=lensTop prediction-length=predictionLength'),
    ...group('lens', () => [csv, '--position', '0', '--periodicity'], 'period=lensPeriod'),
    ...group('lens', lStep, 'samples=numSamples seed=seed'),
    ...MODEL_FLAGS('lens', l),
    ...group('ablate', none, 'top=topHeads'),
    ...group('ablate', a, 'controls=controls seed=seed batch=inductionBatch seq-len=seqLen repeats=repeats token-seed=seed'),
    ...group('ablate', () => ['--heads', 'L0.H0', '--seq-len', '100000'], 'sub-extension=subExtension'),
    ...group('ablate', aCsv, 'held-out=heldOut period=period samples=numSamples forecast-seed=seed'),
    ...MODEL_FLAGS('ablate', a),
    // ablate --layers reads the same data flags (cli/commands/ablate-data.ts)
    ...group('ablate', () => ['--layers', 'decoder:L0'], 'batch=inductionBatch repeats=repeats token-seed=seed'),
    ...group('ablate', () => ['--layers', 'decoder:L0', '--copy-loss'], 'copy-period=mosaicPeriod'),
    ...group('ablate', () => ['--layers', 'decoder:L0', '--csv', csv], 'held-out=heldOut forecast-seed=seed'),
    ...group('group-score', f, 'prediction-length=predictionLength'),
    ...group('group-score', none, 'synthetic-lead=seriesLead'),
    ...group('group-score', () => ['--synthetic-lead', '3'], 'length=seqLen seed=seed'),
    ...MODEL_FLAGS('group-score', () => ['--synthetic-lead', '3']),
    ...MODEL_FLAGS('info', none),
    ...group('heads', () => ['--ablation-effects'], 'batch=inductionBatch'),
    ...MODEL_FLAGS('heads', none),
    ...group('attribute', f, 'step=step token=tokenId top=topParts level=lensLevel'),
    ...MODEL_FLAGS('attribute', f),
    ...group('layer-lens', f, 'steps=forecastSteps levels=lensLevel'),
    ...MODEL_FLAGS('layer-lens', f),
    ...group('patch', none, 'pairs=patchPairs seq-len=seqLen repeats=repeats token-seed=seed seed=seed'),
    ...group('patch', () => ['--seq-len', '100000'], 'sub-extension=subExtension'),
    ...group('patch', f, 'amount=corruptAmount'),
    ...group('patch', () => [csv, '--corrupt', 'noise'], 'amount=noiseAmount'),
    ...group('patch', f, 'noise-seed=seed end=windowEnd steps=forecastSteps'),
    ...group('patch', () => ['--set', 'cross:L0.H0'], 'controls=controls'),
    ...MODEL_FLAGS('patch', none),
    // the sweep folder need not exist: flags are checked before the plan is read
    ...group('sweep', () => ['run', sweepDir(), '--of', '10000'], 'shard=shardIndex'),
    ...group('sweep', () => ['run', sweepDir(), '--shard', '0'], 'of=shardCount'),
    ...MODEL_FLAGS('sweep', () => ['run', sweepDir()]),
    ...group('sweep', () => ['submit', sweepDir(), '--engine', 'slurm'], 'shards=shardCount cpus=cpus gpus=gpus max-parallel=maxParallel'),
  ];
}

const sweepDir = () => path.join(box, 'work', 'no-such-sweep');

/** The command a file of cli/commands belongs to (ablate-layers.ts and ablate-bolt.ts are ablate's). */
const commandOf = (file: string) => path.basename(file, '.ts').replace(/-(bolt|layers|data)$/, '');

/**
 * Every numeric flag a command reads through intFlag / floatFlag (cli/common.ts), found in the sources:
 * a new flag, or one read against a bare minimum instead of a BOUNDS entry, fails the suite until it
 * has a bound and a generated case.
 */
async function numericFlagsInSources(): Promise<{ cmd: string; flag: string; bound: string; file: string }[]> {
  const dir = path.join(repoRoot, 'cli', 'commands');
  const out: { cmd: string; flag: string; bound: string; file: string }[] = [];
  for (const name of (await fsp.readdir(dir)).filter((n) => n.endsWith('.ts'))) {
    const src = await fsp.readFile(path.join(dir, name), 'utf8');
    for (const m of src.matchAll(/\b(?:intFlag|floatFlag)\(\s*[^,]+,\s*'([^']+)',\s*([^,)]+)/g)) out.push({ cmd: commandOf(name), flag: m[1], bound: m[2].trim(), file: name });
  }
  return out;
}

/** Runs main() in-process, capturing its output. */
async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        add(String(chunk));
        cb();
      },
    });
  const code = await main(argv, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

before(async () => {
  box = await fsp.realpath(await tempDir('chronos-lens-faults-'));
  for (const d of ['home', 'tmp', 'cache', 'work', 'hf']) await fsp.mkdir(path.join(box, d));
  csv = path.join(box, 'work', 'series.csv');
  await fsp.writeFile(csv, 'month,value\n' + Array.from({ length: 120 }, (_, i) => `${i},${(10 + 5 * Math.sin((2 * Math.PI * i) / 12)).toFixed(3)}`).join('\n') + '\n');
  csv1 = path.join(box, 'work', 'three-rows.csv');
  await fsp.writeFile(csv1, 'value\n42\n43\n41\n');
  tokens = path.join(box, 'work', 'tokens.json');
  env = { ...process.env, HOME: path.join(box, 'home'), XDG_CACHE_HOME: path.join(box, 'cache'), TMPDIR: path.join(box, 'tmp'), HF_HOME: path.join(box, 'hf'), HF_HUB_OFFLINE: '1' };
  delete env.CHRONOS_LENS_MEMORY_LIMIT;
});

after(async () => {
  if (box) await fsp.rm(box, { recursive: true, force: true });
});

test('every numeric flag read in the command sources has a BOUNDS entry and generated cases', async () => {
  const cases = flagCases();
  const found = await numericFlagsInSources();
  assert.ok(found.length >= 50, `only ${found.length} numeric flags found: has the way flags are read changed?`);
  for (const f of found) {
    const bound = /^'(\w+)'$/.exec(f.bound)?.[1];
    assert.ok(bound && bound in BOUNDS, `${f.file}: --${f.flag} is read against ${f.bound}, not a BOUNDS entry (core/limits.ts)`);
    assert.ok(
      cases.some((c) => c.cmd === f.cmd && c.flag === f.flag && c.bound === bound),
      `${f.file}: --${f.flag} (${bound}) has no generated case for ${f.cmd} in flagCases()`,
    );
  }
  // the causal toolkit and sweep read their flags only through BOUNDS
  for (const name of ['heads.ts', 'attribute.ts', 'layer-lens.ts', 'patch.ts', 'sweep.ts', 'ablate-layers.ts', 'ablate-data.ts']) {
    assert.doesNotMatch(await fsp.readFile(path.join(repoRoot, 'cli', 'commands', name), 'utf8'), /\b(intIn|numIn)\(/, name);
  }
});

test('every numeric flag of every command refuses absurd values with one line naming the flag', async () => {
  const before = await snapshot(box);
  let n = 0;
  for (const c of flagCases()) {
    const b = BOUNDS[c.bound];
    const values = [...(b.integer ? BAD_INTEGERS : BAD_NUMBERS), ...outOfRange(b), ...(c.flag === 'threads' ? ['2000', '-1'] : [])];
    for (const v of values) {
      const argv = [c.cmd, ...c.base(), `--${c.flag}=${v}`];
      const label = `${c.cmd} --${c.flag}=${JSON.stringify(v)}`;
      const r = await inProcess(argv);
      assert.equal(r.code, 2, `${label}: exit ${r.code}, stderr ${r.stderr}`);
      assertOneErrorLine(label, r.code, null, r.stderr);
      assert.match(r.stderr, new RegExp(`^chronos-lens: ${c.cmd}: --${c.flag} (must|lists)`), `${label}: ${r.stderr}`);
      assert.equal(r.stdout, '', label);
      n++;
    }
  }
  // --vocab and list-valued flags
  for (const cmd of ['mosaic', 'ablate']) {
    for (const v of ['', '5', 'a:b', '10:5', '-1:5', '1:2:3', '0x1:0x5', ' 1:2', '1 :2', '0:99999999999', '0:1e9', ':', '9'.repeat(300) + ':1', '1:\n2']) {
      const label = `${cmd} --vocab=${JSON.stringify(v)}`;
      const r = await inProcess([cmd, ...(cmd === 'ablate' ? ['--heads', 'L0.H0'] : []), `--vocab=${v}`]);
      assert.equal(r.code, 2, `${label}: ${r.stderr}`);
      assertOneErrorLine(label, r.code, null, r.stderr);
      assert.match(r.stderr, new RegExp(`^chronos-lens: ${cmd}: --vocab must be`), label);
      n++;
    }
  }
  for (const v of ['0.5,', ',', '0.1,,0.9', Array.from({ length: 1001 }, () => '0.5').join(',')]) {
    const r = await inProcess(['forecast', csv, `--quantiles=${v}`]);
    assert.equal(r.code, 2, `--quantiles ${v.slice(0, 20)}: ${r.stderr}`);
    assertOneErrorLine(`--quantiles ${v.slice(0, 20)}`, r.code, null, r.stderr);
    assert.match(r.stderr, /^chronos-lens: forecast: --quantiles/);
    n++;
  }
  // inconsistent combinations
  for (const [argv, re] of [
    [['mosaic', '--seq-len', '4', '--sub-extension', '4'], /--sub-extension must be smaller than --seq-len \(4\)/],
    [['ablate', '--heads', 'L0.H0', '--sub-extension', '10'], /--sub-extension must be smaller than --seq-len \(10\)/],
    [['lens', csv, '--position', '0', '--samples', '5'], /--samples goes with --step/],
    [['mosaic', '--out', path.join(box, 'work', 'result.txt')], /--out .*unknown extension/],
  ] as [string[], RegExp][]) {
    const r = await inProcess(argv);
    assertOneErrorLine(argv.join(' '), r.code, null, r.stderr);
    assert.match(r.stderr, re);
    n++;
  }
  assert.deepEqual(diff(before, await snapshot(box)), [], 'the flag cases wrote into the sandbox');
  assert.ok(n >= 900, `only ${n} cases`);
  console.log(`# fault suite: ${n} in-process flag cases`);
});

// ---- child-process cases -------------------------------------------------------------------------------

interface ChildCase {
  name: string;
  args: string[];
  /** 0 for valid-but-odd requests; else the error line must match `error`. */
  ok?: boolean;
  error?: RegExp;
  env?: Record<string, string>;
  /** Paths the case may create (its output). */
  outputs?: string[];
  /** Files (besides the sandbox) that must stay byte-identical. */
  inputs?: string[];
  setup?: () => Promise<void>;
  /** Only where the case can work (e.g. permissions do not apply to root). */
  skip?: () => boolean;
}

function runChild(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cliJs, ...args], { cwd: path.join(box, 'work'), env: { ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), KILL_AFTER_MS);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function hashFile(p: string): Promise<string> {
  return createHash('sha256').update(await fsp.readFile(p)).digest('hex');
}

async function modelHashes(dir: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const n of await fsp.readdir(dir)) {
    const p = path.join(dir, n);
    if ((await fsp.stat(p)).isFile()) m.set(p, await hashFile(p));
  }
  return m;
}

function childCases(): ChildCase[] {
  const w = (n: string) => path.join(box, 'work', n);
  const nano = ['--provider', 'cpu'];
  const tiny = ['--model', fixtureModel, '--provider', 'cpu'];
  return [
    // flags through the real process
    { name: 'threads 2000 (was SIGABRT in ONNX Runtime)', args: ['forecast', csv, '--threads', '2000', ...nano], error: /^chronos-lens: forecast: --threads must be an integer in 0\.\.\d+, got "2000"$/ },
    { name: 'samples 1e6', args: ['forecast', csv, '--samples', '1e6'], error: /--samples must be an integer in 1\.\.10000, got "1e6"/ },
    { name: 'prediction-length huge', args: ['forecast', csv, '--prediction-length', '99999999999'], error: /--prediction-length must be an integer in 1\.\.10000/ },
    { name: 'seed 1e300', args: ['mosaic', '--seed', '1e300'], error: /--seed must be an integer in 0\.\.4294967295/ },
    { name: 'a huge string', args: ['ablate', '--heads', 'L0.H0', '--controls', '7'.repeat(100_000)], error: /--controls must be an integer in 0\.\.1000, got "7{37}\.\.\."$/ },
    { name: 'unknown command with a newline', args: ['fore\ncast'], error: /^chronos-lens: unknown command "fore cast"/ },
    // size estimates before allocation
    { name: 'samples x horizon too long to compute', args: ['forecast', csv, '--samples', '10000', '--prediction-length', '10000', ...nano], error: /a forecast of 10000 samples x 10000 steps would compute for about \d+ hours .*; lower --samples or --prediction-length$/ },
    { name: 'forecast over the memory limit', args: ['forecast', csv, '--samples', '2000', ...nano], env: { CHRONOS_LENS_MEMORY_LIMIT: '64M' }, error: /needs about [\d.]+ [MG]B of memory \(67 MB usable: CHRONOS_LENS_MEMORY_LIMIT=64M\), refused before allocating; lower --samples or --prediction-length$/ },
    { name: 'mosaic attention too big for memory', args: ['mosaic', '--seq-len', '5000', '--repeats', '10', '--batch', '2', ...nano], error: /a mosaic of 2 sequences of 50002 tokens needs about [\d.]+ [GT]B of memory .*lower --batch, --seq-len or --repeats$/ },
    { name: 'mosaic too long to compute', args: ['mosaic', '--seq-len', '100000', ...nano], error: /would compute for about .*lower --batch, --seq-len or --repeats$/ },
    { name: 'ablation too long to compute, refused before its ranking mosaic', args: ['ablate', '--top', '3', '--controls', '1000', '--batch', '100000', ...nano], error: /an ablation with 1000 control sets would compute .*lower --controls, --batch, --seq-len or --repeats$/ },
    { name: 'lens cross rows over the memory limit name --step', args: ['lens', csv, '--step', '9999', ...nano], env: { CHRONOS_LENS_MEMORY_LIMIT: '48M' }, error: /lower --s(tep|amples)/ },
    { name: 'a bad memory limit variable', args: ['forecast', csv, ...nano], env: { CHRONOS_LENS_MEMORY_LIMIT: 'lots' }, error: /CHRONOS_LENS_MEMORY_LIMIT must be a size such as 512M or 4G, got "lots"/ },
    // outputs that are inputs
    { name: 'mosaic --out is its --csv', args: ['mosaic', '--csv', csv, '--out', csv, ...nano], error: /--out .*series\.csv is the input .*series\.csv \(the same file\)/, inputs: [csv] },
    { name: 'mosaic --out is its --csv by another spelling', args: ['mosaic', '--csv', csv, '--out', './sub/../series.csv', ...nano], setup: () => fsp.mkdir(w('sub'), { recursive: true }).then(() => undefined), error: /is the input/, inputs: [csv] },
    { name: 'mosaic --out is a symbolic link to its --csv', args: ['mosaic', '--csv', csv, '--out', w('link.csv'), ...nano], setup: () => fsp.symlink(csv, w('link.csv')), error: /is the input .*\(the same file\)/, inputs: [csv] },
    { name: 'mosaic --out is a hard link to its --csv', args: ['mosaic', '--csv', csv, '--out', w('hard.csv'), ...nano], setup: () => fsp.link(csv, w('hard.csv')), error: /is the input .*\(the same file\)/, inputs: [csv] },
    { name: 'mosaic --out is its --tokens', args: ['mosaic', '--tokens', tokens, '--out', tokens, ...nano], error: /is the input/, inputs: [tokens] },
    { name: 'mosaic --save-tokens is its --csv', args: ['mosaic', '--csv', csv, '--save-tokens', csv, ...nano], error: /--save-tokens .* is the input/, inputs: [csv] },
    { name: 'mosaic --out and --save-tokens on one file', args: ['mosaic', '--out', w('both.json'), '--save-tokens', w('both.json'), ...nano], error: /--out .*both\.json is also given to --save-tokens/ },
    { name: 'mosaic --out into the bundled model', args: ['mosaic', '--out', path.join(bundledModel, 'config.json'), ...nano], error: /is inside the model folder/, inputs: [path.join(bundledModel, 'config.json')] },
    { name: 'mosaic --out into the --model folder', args: ['mosaic', ...tiny, '--out', path.join(fixtureModel, 'result.json')], error: /is inside the model folder/ },
    { name: 'mosaic --out into the --model folder through a link', args: ['mosaic', '--model', w('model-link'), '--provider', 'cpu', '--out', path.join(fixtureModel, 'config.json')], setup: () => fsp.symlink(fixtureModel, w('model-link')), error: /is inside the model folder/ },
    { name: 'ablate --out is its --csv', args: ['ablate', '--heads', 'L0.H0', '--csv', csv, '--out', csv, ...nano], error: /--out .* is the input/, inputs: [csv] },
    { name: 'ablate --out is its --mosaic', args: ['ablate', '--top', '1', '--mosaic', w('saved.json'), '--out', w('saved.json'), ...nano], setup: () => fsp.writeFile(w('saved.json'), '{}'), error: /--out .* is the input/, inputs: [w('saved.json')] },
    { name: 'mosaic --out is a folder', args: ['mosaic', '--out', w('folder.json'), ...nano], setup: () => fsp.mkdir(w('folder.json')).then(() => undefined), error: /--out .*folder\.json is a folder; give a file name/ },
    // failed writes leave nothing behind
    { name: 'mosaic --out below a file', args: ['mosaic', '--kind', 'cross', '--batch', '2', '--seq-len', '4', '--out', w('plain.txt/out.json'), ...nano], setup: () => fsp.writeFile(w('plain.txt'), 'x'), error: /cannot write .*plain\.txt\/out\.json: a part of the path is a file, not a folder/, inputs: [w('plain.txt')] },
    {
      name: 'mosaic --out in a read-only folder',
      args: ['mosaic', '--kind', 'cross', '--batch', '2', '--seq-len', '4', '--out', w('ro/out.json'), ...nano],
      setup: async () => {
        await fsp.mkdir(w('ro'));
        await fsp.chmod(w('ro'), 0o555);
      },
      skip: () => process.getuid?.() === 0,
      error: /cannot write .*ro\/out\.json: permission denied/,
    },
    // inputs that are not regular files
    { name: 'forecast CSV is a folder', args: ['forecast', w(''), ...nano], error: /is not a file/ },
    { name: 'forecast CSV is missing', args: ['forecast', w('missing.csv'), ...nano], error: /missing\.csv/ },
    { name: 'forecast CSV is a FIFO', args: ['forecast', w('fifo.csv'), ...nano], setup: () => mkfifo(w('fifo.csv')), error: /fifo\.csv is not a file/ },
    { name: 'mosaic --csv is a FIFO', args: ['mosaic', '--csv', w('fifo2.csv'), ...nano], setup: () => mkfifo(w('fifo2.csv')), error: /fifo2\.csv is not a file/ },
    { name: 'mosaic --tokens is a FIFO', args: ['mosaic', '--tokens', w('fifo.json'), ...nano], setup: () => mkfifo(w('fifo.json')), error: /fifo\.json is not a regular file/ },
    { name: 'mosaic --tokens is a folder', args: ['mosaic', '--tokens', w(''), ...nano], error: /is not a regular file/ },
    { name: 'ablate --mosaic is a FIFO', args: ['ablate', '--top', '1', '--mosaic', w('fifo3.json'), ...nano], setup: () => mkfifo(w('fifo3.json')), error: /--mosaic .*fifo3\.json: cannot read a mosaic result \(not a regular file\)/ },
    { name: 'lens CSV is a folder', args: ['lens', w(''), '--position', '0', ...nano], error: /is not a file/ },
    // valid but odd: exit 0
    { name: 'forecast one sample, one step', args: ['forecast', csv, '--samples', '1', '--prediction-length', '1', '--json', ...nano], ok: true },
    { name: 'forecast the shortest CSV (3 values), quantiles 0 and 1', args: ['forecast', csv1, '--prediction-length', '2', '--samples', '2', '--quantiles', '0,1', ...nano], ok: true },
    { name: 'threads 0: one per core', args: ['info', '--threads', '0', '--json', ...nano], ok: true },
    { name: 'forecast at the thread limit', args: ['forecast', csv, '--threads', String(BOUNDS.threads.max), '--samples', '2', '--prediction-length', '2', ...nano], ok: true },
    { name: 'mosaic of the smallest batch, to a file', args: ['mosaic', '--batch', '2', '--seq-len', '2', '--sub-extension', '0', '--kind', 'cross', '--out', w('small.json'), ...nano], ok: true, outputs: [w('small.json')] },
    { name: 'mosaic on a saved batch', args: ['mosaic', '--tokens', tokens, '--kind', 'encoder', '--json', ...nano], ok: true },
    { name: 'lens at the last position, top 1', args: ['lens', csv, '--position=-1', '--top', '1', ...nano], ok: true },
    { name: 'ablation without controls', args: ['ablate', '--heads', 'L0.H0', '--controls', '0', '--batch', '1', '--seq-len', '2', '--sub-extension', '0', '--out', w('abl.csv'), ...nano], ok: true, outputs: [w('abl.csv')] },
    { name: 'cache folder is a file: runs without the cache', args: ['forecast', csv, '--cache-dir', w('cache-file'), '--samples', '1', '--prediction-length', '1', ...nano], setup: () => fsp.writeFile(w('cache-file'), 'not a folder'), ok: true, inputs: [w('cache-file')] },
  ];
}

function mkfifo(p: string): Promise<void> {
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo ${p} failed`);
  return Promise.resolve();
}

test('the built CLI: bad requests fail with one line, valid odd ones succeed, inputs and the sandbox untouched', { skip: process.platform === 'win32' ? 'FIFOs, permissions' : false }, async () => {
  assert.ok(existsSync(cliJs), `${cliJs} is missing: run npm run build first`);
  // a saved token batch for the --tokens cases, written by the CLI itself
  const saved = await runChild(['mosaic', '--batch', '2', '--seq-len', '3', '--kind', 'cross', '--save-tokens', tokens, '--provider', 'cpu']);
  assert.equal(saved.code, 0, saved.stderr);
  const bundled = await modelHashes(bundledModel);
  const fixture = await modelHashes(fixtureModel);
  const cases = childCases();
  let ran = 0;
  const failures: string[] = [];
  const runOne = async (c: ChildCase) => {
    if (c.skip?.()) return;
    await c.setup?.();
    const inputs = new Map<string, string>();
    for (const p of [csv, csv1, tokens, ...(c.inputs ?? [])]) inputs.set(p, await hashFile(p));
    const before = await snapshot(box, [path.join(box, 'cache')]);
    const r = await runChild(c.args, c.env);
    ran++;
    try {
      if (c.ok) {
        assert.equal(r.signal, null, `killed by ${r.signal}`);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /\n\s+at |^\s+at /m);
        assert.ok(!r.stderr.split('\n').some((l) => /error/i.test(l) && l.startsWith('chronos-lens:')), r.stderr);
      } else {
        assertOneErrorLine(c.name, r.code, r.signal, r.stderr);
        assert.match(r.stderr.trim().split('\n').pop()!, c.error!);
        assert.equal(r.stdout, '', 'nothing on stdout');
      }
      for (const [p, h] of inputs) assert.equal(await hashFile(p), h, `${p} changed`);
      const changes = diff(before, await snapshot(box, [path.join(box, 'cache'), ...(c.outputs ?? [])]));
      assert.deepEqual(changes, [], 'wrote outside its output and the cache');
      for (const o of c.outputs ?? []) assert.ok(existsSync(o), `${o} was not written`);
    } catch (e) {
      failures.push(`${c.name} (${c.args.join(' ').slice(0, 160)}): ${(e as Error).message}`);
    }
  };
  // cases touch disjoint files (setups too), so two run at a time; the snapshot of one may then see the
  // other's fresh setup file, so setups run first, sequentially
  for (const c of cases) if (!c.skip?.() && c.setup) await c.setup();
  const noSetup = cases.map((c) => ({ ...c, setup: undefined }));
  for (let i = 0; i < noSetup.length; i++) await runOne(noSetup[i]);
  assert.deepEqual(failures, []);
  assert.deepEqual(await modelHashes(bundledModel), bundled, 'the bundled model changed');
  assert.deepEqual(await modelHashes(fixtureModel), fixture, 'the fixture model changed');
  assert.ok(!existsSync(path.join(fixtureModel, 'result.json')));
  // nothing temporary left next to any output
  const leftovers = [...(await snapshot(box, [path.join(box, 'cache')])).keys()].filter((p) => /\.tmp$/.test(p));
  assert.deepEqual(leftovers, []);
  console.log(`# fault suite: ${ran} child-process cases`);
});
