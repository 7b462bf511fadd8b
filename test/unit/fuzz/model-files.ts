/**
 * A seeded fuzzer for the files a checkpoint is made of: config.json, safetensors headers and bytes,
 * and the sharded index. Every case starts from a real checkpoint (test/fixtures/checkpoints and the
 * shared dummy models), mutates it (JSON-level: absurd numbers, wrong types, huge / negative /
 * fractional offsets and shapes, unknown dtypes, duplicate names, overlapping and zero-size tensors,
 * deep nesting, huge strings, control characters; byte-level: flips, truncations, garbage; length
 * prefixes that lie) and loads it through the real loaders: loadModel (the family dispatch to
 * ChronosModel.load or BoltModel.load: config, tokenizer, every header, every tensor's shape, no graph),
 * loadCheckpoint, SafetensorsFile.open and parseModelConfig, then reads
 * every tensor of whatever loaded. A case passes when it loads, or fails with a ChronosLensError whose
 * message is one bounded line naming the file. Anything else (another exception type, a multi-line or
 * enormous message, a case that does not finish within the per-case bound, a resident set above the
 * cap) is recorded as a defect with the case number, so `FUZZ_SEED` + the number reproduce it.
 *
 * Run by test/unit/fuzz/model-files.test.ts (a few thousand cases) and by `npm run fuzz` (run.ts,
 * 100 000 by default).
 */
import { promises as fsp, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosLensError } from '../../../core/errors';
import { Rng } from '../../../core/rng';
import { loadCheckpoint } from '../../../models/checkpoint';
import { parseModelConfig } from '../../../models/config';
import { loadModel } from '../../../models/load';
import { SafetensorsFile, isFloatDtype } from '../../../models/safetensors';
import { fixtures, sharedData } from '../helpers';

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** A case that has not settled after this long is a hang. */
  caseTimeoutMs?: number;
  /** Resident set size above this is a defect (memory must stay bounded whatever the file claims). */
  rssCapBytes?: number;
  onProgress?: (done: number, report: FuzzReport) => void;
  /** Read every tensor of one loaded case in this many (default 4). */
  readEvery?: number;
}

export interface Defect {
  case: number;
  kind: string;
  mutation: string;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  accepted: number;
  rejected: number;
  byKind: Record<string, { cases: number; accepted: number; rejected: number; ms: number }>;
  byCode: Record<string, number>;
  defects: Defect[];
  maxRssBytes: number;
  ms: number;
}

/** Longest message a user should ever get for a bad file. */
const MAX_MESSAGE = 2000;

interface Seed {
  name: string;
  dir: string;
  config: string;
  /** Single-file weights (undefined for the sharded seed). */
  weights?: Buffer;
  header?: Record<string, unknown>;
  headerLen?: number;
  /** Whether the config is a Chronos-T5 one the loader accepts as it is. */
  t5: boolean;
}

async function loadSeeds(): Promise<{ seeds: Seed[]; sharded: { dir: string; index: string; config: string } }> {
  const dirs = [
    ...['t5-relu-tied-f32', 't5-relu-untied-f16', 't5-gated-v2304-bf16', 't5-relu-v4096-f32'].map((n) => path.join(fixtures, 'checkpoints', n)),
    path.join(sharedData, 'chronos-dummy-model'),
    path.join(sharedData, 'chronos-bolt-dummy-model'),
    path.join(sharedData, 'chronos2-dummy-model'),
  ];
  const seeds: Seed[] = [];
  for (const dir of dirs) {
    const config = await fsp.readFile(path.join(dir, 'config.json'), 'utf8');
    const weights = await fsp.readFile(path.join(dir, 'model.safetensors'));
    const headerLen = Number(weights.readBigUInt64LE(0));
    const header = JSON.parse(weights.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, unknown>;
    let t5 = true;
    try {
      parseModelConfig(config);
    } catch {
      t5 = false;
    }
    seeds.push({ name: path.basename(dir), dir, config, weights, header, headerLen, t5 });
  }
  const sh = path.join(fixtures, 'checkpoints', 't5-gated-untied-sharded');
  return { seeds, sharded: { dir: sh, index: await fsp.readFile(path.join(sh, 'model.safetensors.index.json'), 'utf8'), config: await fsp.readFile(path.join(sh, 'config.json'), 'utf8') } };
}

/** Values that have broken parsers before: boundaries, wrong types, huge and deep things. */
function absurd(rng: Rng): unknown {
  const pick = rng.intInclusive(0, 33);
  switch (pick) {
    case 0: return 0;
    case 1: return -1;
    case 2: return 1;
    case 3: return 2 ** 31;
    case 4: return 2 ** 32 + 1;
    case 5: return 2 ** 53;
    case 6: return 2 ** 53 + 2;
    case 7: return 1e8;
    case 8: return 1e308;
    case 9: return -1e308;
    case 10: return 1.5;
    case 11: return -0.5;
    case 12: return 5e-324;
    case 13: return '12';
    case 14: return '';
    case 15: return 'x'.repeat(rng.intInclusive(1000, 200_000));
    case 16: return 'a\nb\r\n\u0000\u2028"quoted"';
    case 17: return null;
    case 18: return true;
    case 19: return false;
    case 20: return [];
    case 21: return [1, 2];
    case 22: return {};
    case 23: return { a: 1 };
    case 24: return deepArray(rng.intInclusive(10, 1500));
    case 25: return deepObject(rng.intInclusive(10, 1500));
    case 26: return Array.from({ length: rng.intInclusive(1000, 100_000) }, (_, i) => i);
    case 27: return -(2 ** 53);
    case 28: return rng.intInclusive(0, 100);
    case 29: return rng.intInclusive(0, 100_000);
    case 30: return 1e6 + rng.intInclusive(0, 10);
    case 31: return '__proto__';
    case 32: return 'constructor';
    default: return rng.nextFloat() * 10 ** rng.intInclusive(-10, 30) * (rng.nextFloat() < 0.5 ? -1 : 1);
  }
}

function deepArray(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function deepObject(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** A uniform integer in [lo, hi], or lo when the range is not a small integer range (earlier rounds may have broken it). */
function between(rng: Rng, lo: unknown, hi: unknown): number {
  if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo || hi - lo > 2 ** 31) return typeof lo === 'number' ? lo : 0;
  return rng.intInclusive(lo, hi);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function pickKey(rng: Rng, o: Record<string, unknown>): string | undefined {
  const keys = Object.keys(o);
  return keys.length ? keys[rng.intInclusive(0, keys.length - 1)] : undefined;
}

const CONFIG_FIELDS = [
  'vocab_size', 'd_model', 'd_kv', 'd_ff', 'num_layers', 'num_decoder_layers', 'num_heads', 'relative_attention_num_buckets',
  'relative_attention_max_distance', 'feed_forward_proj', 'layer_norm_epsilon', 'tie_word_embeddings', 'decoder_start_token_id',
  'pad_token_id', 'eos_token_id', 'is_encoder_decoder', 'model_type', 'architectures', 'chronos_config', '__proto__', 'constructor',
];
const CHRONOS_FIELDS = [
  'tokenizer_class', 'tokenizer_kwargs', 'n_tokens', 'n_special_tokens', 'pad_token_id', 'eos_token_id', 'use_eos_token', 'model_type',
  'context_length', 'prediction_length', 'num_samples', 'temperature', 'top_k', 'top_p', 'constructor',
];

/** Text-level damage to any JSON text. */
function mutateText(rng: Rng, text: string): { text: string; what: string } {
  const m = rng.intInclusive(0, 8);
  if (m === 8) {
    // Valid JSON nested deeper than any recursive printer survives, in place of a number.
    const d = rng.intInclusive(5_000, 150_000);
    const deep = rng.nextFloat() < 0.5 ? '['.repeat(d) + '1' + ']'.repeat(d) : '{"a":'.repeat(d) + '1' + '}'.repeat(d);
    let count = 0;
    const target = rng.intInclusive(0, 20);
    return { text: text.replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, (x) => (count++ === target ? deep : x)), what: `a number replaced by ${d}-deep nesting` };
  }
  if (m === 0) {
    const n = rng.intInclusive(0, text.length);
    return { text: text.slice(0, n), what: `truncated at ${n}` };
  }
  if (m === 1) {
    const chars = text.split('');
    const k = rng.intInclusive(1, 4);
    for (let i = 0; i < k; i++) chars[rng.intInclusive(0, chars.length - 1)] = String.fromCharCode(rng.intInclusive(0, 127));
    return { text: chars.join(''), what: `${k} characters replaced` };
  }
  if (m === 2) return { text: text.replace(/(\d+(\.\d+)?)/, rng.nextFloat() < 0.5 ? 'NaN' : 'Infinity'), what: 'NaN / Infinity token' };
  if (m === 3) return { text: '\uFEFF' + text, what: 'byte order mark' };
  if (m === 4) return { text: text + ' '.repeat(rng.intInclusive(1, 1000)) + (rng.nextFloat() < 0.5 ? '' : 'garbage'), what: 'trailing spaces / garbage' };
  if (m === 5) return { text: '['.repeat(rng.intInclusive(1000, 200_000)), what: 'unterminated deep nesting' };
  if (m === 6) return { text: rng.nextFloat() < 0.5 ? '' : 'null', what: 'empty / null' };
  return { text: JSON.stringify([JSON.parse(text)]), what: 'wrapped in an array' };
}

/** A mutated config.json text. */
function mutateConfig(rng: Rng, base: string): { text: string; what: string } {
  if (rng.nextFloat() < 0.15) return mutateText(rng, base);
  const cfg = JSON.parse(base) as Record<string, unknown>;
  const whats: string[] = [];
  const rounds = rng.intInclusive(1, 3);
  for (let r = 0; r < rounds; r++) {
    const m = rng.intInclusive(0, 6);
    const cc = (typeof cfg.chronos_config === 'object' && cfg.chronos_config !== null && !Array.isArray(cfg.chronos_config) ? cfg.chronos_config : {}) as Record<string, unknown>;
    if (m <= 1) {
      const k = CONFIG_FIELDS[rng.intInclusive(0, CONFIG_FIELDS.length - 1)];
      const v = absurd(rng);
      cfg[k] = v;
      whats.push(`${k}=${describe(v)}`);
    } else if (m <= 3) {
      const k = CHRONOS_FIELDS[rng.intInclusive(0, CHRONOS_FIELDS.length - 1)];
      const v = absurd(rng);
      cc[k] = v;
      cfg.chronos_config = cc;
      whats.push(`chronos_config.${k}=${describe(v)}`);
    } else if (m === 4) {
      const lim = [absurd(rng), absurd(rng)];
      cc.tokenizer_kwargs = rng.nextFloat() < 0.5 ? { low_limit: lim[0], high_limit: lim[1] } : absurd(rng);
      cfg.chronos_config = cc;
      whats.push(`tokenizer_kwargs=${describe(cc.tokenizer_kwargs)}`);
    } else if (m === 5) {
      const k = pickKey(rng, cfg);
      if (k) {
        delete cfg[k];
        whats.push(`deleted ${k}`);
      }
    } else {
      // Plausible-but-wrong sizes: the config disagrees with the weights.
      const k = ['d_model', 'num_layers', 'num_decoder_layers', 'num_heads', 'd_kv', 'd_ff', 'vocab_size'][rng.intInclusive(0, 6)];
      const v = typeof cfg[k] === 'number' ? (cfg[k] as number) + rng.intInclusive(-3, 3) : rng.intInclusive(1, 64);
      cfg[k] = v;
      whats.push(`${k}=${v}`);
    }
  }
  let text = JSON.stringify(cfg);
  if (rng.nextFloat() < 0.1) {
    // A duplicate key: JSON.parse keeps the last one.
    const k = CONFIG_FIELDS[rng.intInclusive(0, 8)];
    text = text.slice(0, -1) + `,${JSON.stringify(k)}:${JSON.stringify(absurd(rng))}}`;
    whats.push(`duplicate ${k}`);
  }
  return { text, what: whats.join('; ') };
}

function describe(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = '(deep)';
  }
  return s.length > 60 ? `${s.slice(0, 60)}…(${s.length})` : s;
}

interface TensorEntry {
  dtype: unknown;
  shape: unknown;
  data_offsets: unknown;
}

/** A mutated safetensors file (header JSON, length prefix, data) from a real one. */
function mutateSafetensors(rng: Rng, seed: Seed): { bytes: Buffer; what: string } {
  const data = seed.weights!.subarray(8 + seed.headerLen!);
  const header = clone(seed.header!) as Record<string, TensorEntry | unknown>;
  const entry = (n: string) => header[n] as TensorEntry;
  // Tensors still well-formed enough to mutate further (earlier rounds delete, rename and break them).
  const live = () =>
    Object.keys(header).filter((n) => {
      const v = header[n] as TensorEntry | null;
      return n !== '__metadata__' && typeof v === 'object' && v !== null && Array.isArray(v.data_offsets) && Array.isArray(v.shape);
    });
  const names = live();
  const whats: string[] = [];
  let headerText: string | undefined;
  const rounds = rng.intInclusive(1, 3);
  for (let r = 0; r < rounds; r++) {
    const m = rng.intInclusive(0, 13);
    const now = live();
    if (!now.length) break;
    const n = now[rng.intInclusive(0, now.length - 1)];
    const e = entry(n);
    if (m === 0) {
      const i = rng.intInclusive(0, 1);
      (e.data_offsets as unknown[])[i] = absurd(rng);
      whats.push(`${n}.data_offsets[${i}] absurd`);
    } else if (m === 1) {
      e.data_offsets = absurd(rng);
      whats.push(`${n}.data_offsets=${describe(e.data_offsets)}`);
    } else if (m === 2) {
      const s = e.shape as unknown[];
      if (Array.isArray(s) && s.length) s[rng.intInclusive(0, s.length - 1)] = absurd(rng);
      else e.shape = absurd(rng);
      whats.push(`${n}.shape=${describe(e.shape)}`);
    } else if (m === 3) {
      e.shape = rng.nextFloat() < 0.5 ? absurd(rng) : [...(e.shape as number[]), rng.intInclusive(0, 3)];
      whats.push(`${n}.shape=${describe(e.shape)}`);
    } else if (m === 4) {
      e.dtype = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'f32', 'Q7', '', '__proto__', 'toString', 'constructor', 32, null][rng.intInclusive(0, 16)];
      whats.push(`${n}.dtype=${describe(e.dtype)}`);
    } else if (m === 5) {
      // Overlap: move another tensor into this one's bytes, keeping its size consistent.
      const o = now[rng.intInclusive(0, now.length - 1)];
      const [b, end] = Array.isArray(e.data_offsets) ? (e.data_offsets as number[]) : [0, 0];
      const [ob, oe] = Array.isArray(entry(o).data_offsets) ? (entry(o).data_offsets as number[]) : [0, 0];
      const start = between(rng, b, end - 1);
      entry(o).data_offsets = [start, start + (oe - ob)];
      whats.push(`overlap ${o} into ${n}`);
      if (rng.nextFloat() < 0.5) {
        header[`zz.hidden.${r}`] = { dtype: 'F32', shape: [0], data_offsets: [start, start] };
        whats.push('zero-size tensor between');
      }
    } else if (m === 6) {
      const k = rng.intInclusive(0, data.length);
      header[`zero.${r}.${k}`] = { dtype: ['F32', 'F16', 'I64'][rng.intInclusive(0, 2)], shape: rng.nextFloat() < 0.5 ? [0] : [3, 0, 5], data_offsets: [k, k] };
      whats.push(`zero-size tensor at ${k}`);
    } else if (m === 7) {
      delete header[n];
      whats.push(`deleted ${n}`);
    } else if (m === 8) {
      const newName = [`${n}\nsecond line`, 'x'.repeat(rng.intInclusive(1000, 100_000)), '__proto__', 'constructor', '', '\u0000', `${n} `, '../../etc/passwd'][rng.intInclusive(0, 7)];
      header[newName] = e;
      delete header[n];
      whats.push(`renamed ${n} to ${describe(newName)}`);
    } else if (m === 9) {
      header.__metadata__ = rng.nextFloat() < 0.5 ? absurd(rng) : { format: absurd(rng) };
      whats.push(`__metadata__=${describe(header.__metadata__)}`);
    } else if (m === 10) {
      header[n] = absurd(rng);
      whats.push(`${n}=${describe(header[n])}`);
    } else if (m === 11) {
      const [b, end] = e.data_offsets as number[];
      e.data_offsets = [end, b];
      whats.push(`${n} offsets reversed`);
    } else if (m === 12) {
      // Many tensors: a header that claims thousands of tiny ones.
      const count = rng.intInclusive(100, 5_000);
      for (let i = 0; i < count; i++) header[`many.${i}`] = { dtype: 'U8', shape: [1], data_offsets: [i % Math.max(1, data.length), (i % Math.max(1, data.length)) + 1] };
      whats.push(`${count} one-byte tensors`);
    } else {
      const shift = rng.intInclusive(-8, 8);
      const [b, end] = e.data_offsets as number[];
      e.data_offsets = [b + shift, end + shift];
      whats.push(`${n} shifted by ${shift}`);
    }
  }
  headerText = JSON.stringify(header);
  if (rng.nextFloat() < 0.1) {
    const n = names[rng.intInclusive(0, names.length - 1)];
    headerText = headerText.slice(0, -1) + `,${JSON.stringify(n)}:${JSON.stringify({ dtype: 'F32', shape: [2], data_offsets: [0, 8] })}}`;
    whats.push(`duplicate ${n}`);
  }
  if (rng.nextFloat() < 0.1) {
    const t = mutateText(rng, headerText);
    headerText = t.text;
    whats.push(t.what);
  }
  let hb = Buffer.from(headerText, 'utf8');
  if (rng.nextFloat() < 0.05) {
    hb = Buffer.concat([hb, Buffer.from([0xff, 0xfe, 0x80])]);
    whats.push('invalid UTF-8');
  }
  const len = Buffer.alloc(8);
  let claimed = BigInt(hb.length);
  const lie = rng.nextFloat();
  if (lie < 0.05) {
    claimed = [0n, 1n, BigInt(Math.max(0, hb.length - 1)), BigInt(hb.length + 1), 2n ** 63n, 2n ** 64n - 1n, 100_000_001n, BigInt(rng.intInclusive(0, hb.length + data.length + 100))][rng.intInclusive(0, 7)];
    whats.push(`length prefix ${claimed}`);
  }
  len.writeBigUInt64LE(claimed);
  let d: Buffer = data;
  const dm = rng.nextFloat();
  if (dm < 0.05) {
    d = data.subarray(0, rng.intInclusive(0, data.length));
    whats.push(`data cut to ${d.length}`);
  } else if (dm < 0.08) {
    d = Buffer.concat([data, Buffer.alloc(rng.intInclusive(1, 4096), 0x7f)]);
    whats.push('data extended');
  }
  return { bytes: Buffer.concat([len, hb, d]), what: whats.join('; ') };
}

/** Byte-level damage to a whole file. */
function mutateBytes(rng: Rng, src: Buffer, headerEnd: number): { bytes: Buffer; what: string } {
  const m = rng.intInclusive(0, 4);
  if (m === 0) {
    const b = Buffer.from(src);
    const k = rng.intInclusive(1, 8);
    for (let i = 0; i < k; i++) b[rng.intInclusive(0, b.length - 1)] ^= 1 << rng.intInclusive(0, 7);
    return { bytes: b, what: `${k} bit flips anywhere` };
  }
  if (m === 1) {
    const b = Buffer.from(src);
    const k = rng.intInclusive(1, 4);
    for (let i = 0; i < k; i++) b[rng.intInclusive(0, Math.min(b.length, headerEnd) - 1)] = rng.intInclusive(0, 255);
    return { bytes: b, what: `${k} header bytes replaced` };
  }
  if (m === 2) {
    const n = rng.intInclusive(0, src.length - 1);
    return { bytes: src.subarray(0, n), what: `truncated at ${n}` };
  }
  if (m === 3) {
    // Data bytes only: weights change, often to NaN / inf patterns.
    const b = Buffer.from(src);
    const k = rng.intInclusive(1, 32);
    for (let i = 0; i < k; i++) b[rng.intInclusive(headerEnd, b.length - 1)] = 0xff;
    return { bytes: b, what: `${k} data bytes set to 0xff` };
  }
  return { bytes: Buffer.concat([src, Buffer.alloc(rng.intInclusive(1, 10_000), rng.intInclusive(0, 255))]), what: 'garbage appended' };
}

function mutateIndex(rng: Rng, base: string): { text: string; what: string } {
  if (rng.nextFloat() < 0.2) return mutateText(rng, base);
  const idx = JSON.parse(base) as { weight_map: Record<string, unknown>; metadata?: unknown };
  const keys = Object.keys(idx.weight_map);
  const k = keys[rng.intInclusive(0, keys.length - 1)];
  const m = rng.intInclusive(0, 5);
  if (m === 0) idx.weight_map[k] = ['../model-00001-of-00002.safetensors', '/etc/passwd', '..', '.', '', 'nope.safetensors', 'a\\b', 'config.json', 'model-00002-of-00002.safetensors'][rng.intInclusive(0, 8)];
  else if (m === 1) idx.weight_map[k] = absurd(rng);
  else if (m === 2) delete idx.weight_map[k];
  else if (m === 3) (idx as Record<string, unknown>).weight_map = absurd(rng);
  else if (m === 4) idx.weight_map[`${k}\nextra`] = idx.weight_map[k];
  else for (const key of keys) idx.weight_map[key] = 'model-00001-of-00002.safetensors';
  return { text: JSON.stringify(idx), what: `index mutation ${m} on ${describe(k)}` };
}

// Reading every tensor of a loaded file finds what only the data shows (NaN / inf, a file cut short
// after the header was read); it costs a file open per tensor, so a quarter of the loaded cases do it.
let readEvery = 4;
let readCount = 0;

async function readAll(ck: Awaited<ReturnType<typeof loadCheckpoint>>): Promise<void> {
  if (readCount++ % readEvery !== 0) return;
  for (const name of ck.tensors.keys()) await ck.read(name);
}

async function readAllFile(st: SafetensorsFile): Promise<void> {
  if (readCount++ % readEvery !== 0) return;
  for (const [name, info] of st.tensors) {
    if (isFloatDtype(info.dtype)) await st.readFloat32(name);
    else await st.readBytes(name);
  }
}

/**
 * Runs `opts.cases` generated cases. Never throws for a defect: defects are in the report (the caller
 * asserts on them), so one run finds all of them.
 */
export async function fuzzModelFiles(opts: FuzzOptions): Promise<FuzzReport> {
  const rng = new Rng(opts.seed);
  readEvery = opts.readEvery ?? 4;
  readCount = 0;
  const caseTimeoutMs = opts.caseTimeoutMs ?? 20_000;
  const rssCap = opts.rssCapBytes ?? 1.5e9;
  const { seeds, sharded } = await loadSeeds();
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'chronos-lens-fuzz-'));
  const report: FuzzReport = { seed: opts.seed, cases: 0, accepted: 0, rejected: 0, byKind: {}, byCode: {}, defects: [], maxRssBytes: 0, ms: 0 };
  const t0 = performance.now();
  try {
    // One working folder per seed, plus the sharded one: files are rewritten in place for each case.
    const folders = new Map<string, string>();
    for (const s of seeds) {
      const dir = path.join(work, s.name);
      await fsp.mkdir(dir);
      await fsp.writeFile(path.join(dir, 'config.json'), s.config);
      await fsp.writeFile(path.join(dir, 'model.safetensors'), s.weights!);
      folders.set(s.name, dir);
    }
    const shDir = path.join(work, 'sharded');
    await fsp.mkdir(shDir);
    for (const f of await fsp.readdir(sharded.dir)) await fsp.copyFile(path.join(sharded.dir, f), path.join(shDir, f));
    const shardFiles = (await fsp.readdir(shDir)).filter((f) => f.endsWith('.safetensors')).sort();
    const shardBytes = await Promise.all(shardFiles.map((f) => fsp.readFile(path.join(shDir, f))));

    for (let i = 0; i < opts.cases; i++) {
      const r = rng.nextFloat();
      const seed = seeds[rng.intInclusive(0, seeds.length - 1)];
      const dir = folders.get(seed.name)!;
      let kind: string;
      let what = '';
      let files: string[] = [];
      let run: () => Promise<unknown>;
      if (r < 0.3) {
        // config.json in memory
        kind = 'config';
        const m = mutateConfig(rng, seed.config);
        what = m.what;
        const file = path.join(dir, 'config.json');
        files = [file];
        run = async () => parseModelConfig(m.text, file);
      } else if (r < 0.4) {
        // config.json on disk, through the family dispatch (tokenizer built, no graph)
        kind = 'config-load';
        const m = mutateConfig(rng, seed.config);
        what = m.what;
        writeFileSync(path.join(dir, 'config.json'), m.text);
        writeFileSync(path.join(dir, 'model.safetensors'), seed.weights!);
        files = [dir];
        run = async () => {
          const model = await loadModel(dir, { cacheDir: null, provider: 'cpu', threads: 1 });
          await readAll(model.checkpoint as Awaited<ReturnType<typeof loadCheckpoint>>);
          await model.dispose();
        };
      } else if (r < 0.75) {
        kind = 'header';
        const m = mutateSafetensors(rng, seed);
        what = m.what;
        writeFileSync(path.join(dir, 'config.json'), seed.config);
        const file = path.join(dir, 'model.safetensors');
        writeFileSync(file, m.bytes);
        files = [file, dir];
        run = seed.t5 || seed.name.includes('bolt') || seed.name.includes('chronos2') ? async () => {
          const model = await loadModel(dir, { cacheDir: null, provider: 'cpu', threads: 1 });
          await readAll(model.checkpoint as Awaited<ReturnType<typeof loadCheckpoint>>);
          await model.dispose();
        } : async () => readAllFile(await SafetensorsFile.open(file));
      } else if (r < 0.9) {
        kind = 'bytes';
        const m = mutateBytes(rng, seed.weights!, 8 + seed.headerLen!);
        what = m.what;
        writeFileSync(path.join(dir, 'config.json'), seed.config);
        const file = path.join(dir, 'model.safetensors');
        writeFileSync(file, m.bytes);
        files = [file, dir];
        run = seed.t5 ? async () => readAll(await loadCheckpoint(dir)) : async () => readAllFile(await SafetensorsFile.open(file));
      } else {
        kind = 'sharded';
        const index = path.join(shDir, 'model.safetensors.index.json');
        for (let k = 0; k < shardFiles.length; k++) writeFileSync(path.join(shDir, shardFiles[k]), shardBytes[k]);
        if (rng.nextFloat() < 0.6) {
          const m = mutateIndex(rng, sharded.index);
          what = m.what;
          writeFileSync(index, m.text);
        } else {
          writeFileSync(index, sharded.index);
          const k = rng.intInclusive(0, shardFiles.length - 1);
          const hl = Number(shardBytes[k].readBigUInt64LE(0));
          const m = mutateBytes(rng, shardBytes[k], 8 + hl);
          what = `${shardFiles[k]}: ${m.what}`;
          writeFileSync(path.join(shDir, shardFiles[k]), m.bytes);
        }
        files = [shDir, ...shardFiles];
        run = async () => readAll(await loadCheckpoint(shDir));
      }
      const bucket = (report.byKind[kind] ??= { cases: 0, accepted: 0, rejected: 0, ms: 0 });
      bucket.cases++;
      report.cases++;
      const defect = (problem: string) => report.defects.push({ case: i, kind, mutation: `${kind === 'sharded' ? 't5-gated-untied-sharded' : seed.name}: ${what}`, problem });
      const tCase = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), caseTimeoutMs);
      });
      try {
        const outcome = await Promise.race([run().then(() => 'ok' as const), timeout]);
        if (outcome === 'timeout') {
          defect(`did not finish within ${caseTimeoutMs} ms`);
          break; // the hung case still runs; later cases would share its files
        }
        bucket.accepted++;
        report.accepted++;
      } catch (e) {
        bucket.rejected++;
        report.rejected++;
        if (!(e instanceof ChronosLensError)) {
          defect(`threw ${e instanceof Error ? `${e.name}: ${e.message.slice(0, 300)}` : String(e).slice(0, 300)}`);
        } else {
          report.byCode[e.code] = (report.byCode[e.code] ?? 0) + 1;
          if (e.message.includes('\n') || e.message.includes('\r')) defect(`message spans lines: ${JSON.stringify(e.message.slice(0, 300))}`);
          if (e.message.length > MAX_MESSAGE) defect(`message is ${e.message.length} characters long: ${JSON.stringify(e.message.slice(0, 200))}…`);
          if (!files.some((f) => e.message.includes(f) || e.message.includes(path.basename(f)))) defect(`message does not name the file: ${JSON.stringify(e.message.slice(0, 300))}`);
        }
      } finally {
        clearTimeout(timer);
        bucket.ms += performance.now() - tCase;
      }
      const rss = process.memoryUsage().rss;
      report.maxRssBytes = Math.max(report.maxRssBytes, rss);
      if (rss > rssCap) {
        defect(`resident set ${(rss / 1e6).toFixed(0)} MB above the ${(rssCap / 1e6).toFixed(0)} MB cap`);
        break;
      }
      if (opts.onProgress && (i + 1) % 1000 === 0) opts.onProgress(i + 1, report);
    }
  } finally {
    report.ms = performance.now() - t0;
    await fsp.rm(work, { recursive: true, force: true });
  }
  return report;
}
