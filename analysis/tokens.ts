/**
 * Token batches of the induction protocol (the background article's repeated-random-tokens test):
 * per sequence S of `seqLen` ids, the encoder gets S repeated `repeats` times, then S[:subExtension],
 * then EOS; the decoder gets [decoder start, S[subExtension]].
 *
 * Batches are generated from a seeded Rng (ids drawn uniformly from an inclusive range, in row order),
 * or cut from a user's series (the data-driven variant), and are saved / loaded as JSON
 * (`chronos-lens-token-batch` v1, the format tools/reference/mosaic_reference.py reads and writes), so
 * another implementation can run on the very same batch.
 */
import { promises as fsp } from 'node:fs';
import { ChronosLensError, userMessage } from '../core/errors';
import { Rng } from '../core/rng';
import { MeanScaleUniformBins } from '../models/tokenizer';
import { checkInt, toJson, writeFileAtomic } from './common';
import type { InductionParams } from './types';

export const TOKEN_BATCH_FORMAT = 'chronos-lens-token-batch';

export interface TokenProtocol extends InductionParams {
  /** Absent in files written by the Python reference: 1 and 0. */
  eosTokenId?: number;
  decoderStartTokenId?: number;
  source?: 'random-tokens' | 'series';
  series?: { file: string; column: string; scale: number; windows: number; starts: number[] };
}

export interface TokenBatch {
  format: typeof TOKEN_BATCH_FORMAT;
  version: 1;
  protocol: TokenProtocol;
  /** [batch][seqLen * repeats + subExtension + 1] */
  encoder_input_ids: number[][];
  /** [batch][2] */
  decoder_input_ids: number[][];
}

export interface InductionShape {
  batch?: number;
  seqLen?: number;
  repeats?: number;
  subExtension?: number;
  eosTokenId?: number;
  decoderStartTokenId?: number;
}

export const PROTOCOL_DEFAULTS = { batch: 100, seqLen: 10, repeats: 2, subExtension: 1, vocab: [1911, 2187] as [number, number], seed: 1911, eosTokenId: 1, decoderStartTokenId: 0 };

function shapeOf(o: InductionShape): Required<InductionShape> {
  const seqLen = checkInt('seqLen', o.seqLen ?? PROTOCOL_DEFAULTS.seqLen, 2, 100000);
  return {
    batch: checkInt('batch', o.batch ?? PROTOCOL_DEFAULTS.batch, 2, 10_000_000),
    seqLen,
    repeats: checkInt('repeats', o.repeats ?? PROTOCOL_DEFAULTS.repeats, 2, 100000),
    subExtension: checkInt('subExtension (must be < seqLen)', o.subExtension ?? PROTOCOL_DEFAULTS.subExtension, 0, seqLen - 1),
    eosTokenId: checkInt('eosTokenId', o.eosTokenId ?? PROTOCOL_DEFAULTS.eosTokenId, 0),
    decoderStartTokenId: checkInt('decoderStartTokenId', o.decoderStartTokenId ?? PROTOCOL_DEFAULTS.decoderStartTokenId, 0),
  };
}

/** The encoder row S*repeats + S[:sub] + [EOS] and decoder row [start, S[sub]] of one sequence. */
export function inductionRows(s: ArrayLike<number>, repeats: number, sub: number, eos: number, start: number): { enc: number[]; dec: number[] } {
  const seq = Array.from(s);
  const enc: number[] = [];
  for (let r = 0; r < repeats; r++) enc.push(...seq);
  enc.push(...seq.slice(0, sub), eos);
  return { enc, dec: [start, seq[sub]] };
}

/** Encoder position of the latest earlier copy of the decoder's current token ("center"). */
export function centerIndex(p: { seqLen: number; repeats: number; subExtension: number }): number {
  return p.seqLen * (p.repeats - 1) + p.subExtension;
}

/** A batch of repeated random tokens, ids uniform in `vocab` (inclusive), seeded. */
export function randomTokenBatch(opts: InductionShape & { vocab?: [number, number]; seed?: number } = {}): TokenBatch {
  const sh = shapeOf(opts);
  const vocab = opts.vocab ?? PROTOCOL_DEFAULTS.vocab;
  const seed = opts.seed ?? PROTOCOL_DEFAULTS.seed;
  if (!Number.isFinite(seed)) throw new ChronosLensError('BAD_INPUT', `seed must be a number, got ${seed}`);
  checkInt('vocab start', vocab[0], 0);
  checkInt('vocab end', vocab[1], vocab[0]);
  const rng = new Rng(seed);
  const sequences = Array.from({ length: sh.batch }, () => Array.from({ length: sh.seqLen }, () => rng.intInclusive(vocab[0], vocab[1])));
  return repeatedBatch(sequences, sh, { vocab: [vocab[0], vocab[1]], seed, source: 'random-tokens' });
}

/** The batch file of `sequences`, each repeated as the protocol says (inductionRows); `about` says where they came from. */
function repeatedBatch(sequences: number[][], sh: Required<InductionShape>, about: Pick<TokenProtocol, 'vocab' | 'seed' | 'source' | 'series'>): TokenBatch {
  const rows = sequences.map((s) => inductionRows(s, sh.repeats, sh.subExtension, sh.eosTokenId, sh.decoderStartTokenId));
  return {
    format: TOKEN_BATCH_FORMAT,
    version: 1,
    protocol: {
      batch: sequences.length,
      seqLen: sh.seqLen,
      repeats: sh.repeats,
      subExtension: sh.subExtension,
      vocab: about.vocab,
      seed: about.seed,
      eosTokenId: sh.eosTokenId,
      decoderStartTokenId: sh.decoderStartTokenId,
      source: about.source,
      ...(about.series ? { series: about.series } : {}),
    },
    encoder_input_ids: rows.map((r) => r.enc),
    decoder_input_ids: rows.map((r) => r.dec),
  };
}

/**
 * Starts of `batch` windows of `length` consecutive observed values of a series, drawn without
 * replacement (seeded) among all such windows; all of them when there are fewer. The data-driven
 * variants of every protocol (token windows, patch windows) cut their windows here.
 */
export function pickWindows(values: ArrayLike<number>, length: number, batch: number, seed: number, label: string, lengthFlag: string): number[] {
  const starts: number[] = [];
  let run = 0;
  for (let i = 0; i < values.length; i++) {
    run = Number.isFinite(values[i]) ? run + 1 : 0;
    if (run >= length) starts.push(i - length + 1);
  }
  if (starts.length < 2) {
    throw new ChronosLensError('BAD_INPUT', `${label} has ${starts.length} window(s) of ${length} consecutive observed values; the data-driven mosaic needs at least 2 (try a smaller ${lengthFlag})`);
  }
  const rng = new Rng(seed);
  return rng.sampleWithoutReplacement(starts.length, Math.min(batch, starts.length)).map((i) => starts[i]);
}

export interface SeriesWindowOptions extends InductionShape {
  seed?: number;
  /** Scale to tokenize with; default: the tokenizer's scale (mean |x|) of the whole series. */
  scale?: number;
  file?: string;
  column?: string;
}

/**
 * The data-driven variant: `batch` windows of `seqLen` consecutive observed values cut from the series
 * at seeded random starts (distinct when the series has enough windows; all windows when it has fewer),
 * tokenized with the series' scale, each repeated as in the random-token protocol.
 */
export function seriesTokenBatch(tokenizer: MeanScaleUniformBins, values: ArrayLike<number>, opts: SeriesWindowOptions = {}): TokenBatch {
  const sh = shapeOf(opts);
  const seed = opts.seed ?? PROTOCOL_DEFAULTS.seed;
  const label = opts.file ? `${opts.file}${opts.column ? ` column "${opts.column}"` : ''}` : 'the series';
  const scale = opts.scale ?? tokenizer.scaleOf(values);
  if (!(scale > 0)) throw new ChronosLensError('BAD_INPUT', `scale must be > 0, got ${scale}`);
  const picked = pickWindows(values, sh.seqLen, sh.batch, seed, label, '--seq-len');
  let lo = Infinity;
  let hi = -Infinity;
  const sequences = picked.map((st) =>
    Array.from({ length: sh.seqLen }, (_, j) => {
      const id = tokenizer.tokenOf(values[st + j], scale);
      lo = Math.min(lo, id);
      hi = Math.max(hi, id);
      return id;
    }),
  );
  const series = { file: opts.file ?? '', column: opts.column ?? '', scale, windows: picked.length, starts: picked };
  return repeatedBatch(sequences, sh, { vocab: [lo, hi], seed, source: 'series', series });
}

/** A batch file's problem, in one line naming the file. */
export function bad(label: string, msg: string): never {
  throw new ChronosLensError('BAD_INPUT', `${label}: ${msg}`);
}

/** The envelope every batch file shares: a JSON object of `format`, version 1, and a `protocol` object. */
export function batchEnvelope(doc: unknown, label: string, format: string): { d: Record<string, unknown>; p: Record<string, unknown> } {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) bad(label, 'expected a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.format !== format) bad(label, `"format" must be "${format}", got ${JSON.stringify(d.format)}`);
  if (d.version !== 1) bad(label, `"version" must be 1, got ${JSON.stringify(d.version)}`);
  const p = d.protocol as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object') bad(label, '"protocol" is missing');
  return { d, p };
}

/** Validates a parsed token-batch document: format, protocol fields, and that every row follows the protocol. */
export function parseTokenBatch(doc: unknown, label = 'token batch'): TokenBatch {
  const { d, p } = batchEnvelope(doc, label, TOKEN_BATCH_FORMAT);
  const int = (k: string, min: number, fallback?: number): number => {
    const v = p[k] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) bad(label, `protocol.${k} must be an integer >= ${min}, got ${JSON.stringify(p[k])}`);
    return v;
  };
  const batch = int('batch', 2);
  const seqLen = int('seqLen', 2);
  const repeats = int('repeats', 2);
  const sub = int('subExtension', 0);
  if (sub >= seqLen) bad(label, `protocol.subExtension (${sub}) must be < seqLen (${seqLen})`);
  const seed = p.seed;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) bad(label, `protocol.seed must be a number, got ${JSON.stringify(seed)}`);
  const vocab = p.vocab;
  if (!Array.isArray(vocab) || vocab.length !== 2 || !vocab.every((v) => Number.isInteger(v))) bad(label, `protocol.vocab must be [first, last], got ${JSON.stringify(vocab)}`);
  const eos = int('eosTokenId', 0, PROTOCOL_DEFAULTS.eosTokenId);
  const start = int('decoderStartTokenId', 0, PROTOCOL_DEFAULTS.decoderStartTokenId);
  const enc = d.encoder_input_ids;
  const dec = d.decoder_input_ids;
  if (!Array.isArray(enc) || !Array.isArray(dec)) bad(label, '"encoder_input_ids" and "decoder_input_ids" must be arrays of rows');
  if (enc.length !== batch || dec.length !== batch) bad(label, `protocol.batch is ${batch} but there are ${enc.length} encoder / ${dec.length} decoder rows`);
  const encLen = seqLen * repeats + sub + 1;
  for (let i = 0; i < batch; i++) {
    const e = enc[i];
    const dr = dec[i];
    if (!Array.isArray(e) || e.length !== encLen || !e.every((v) => Number.isInteger(v) && v >= 0)) bad(label, `encoder_input_ids[${i}] must be ${encLen} non-negative integers`);
    if (!Array.isArray(dr) || dr.length !== 2) bad(label, `decoder_input_ids[${i}] must have 2 ids`);
    const want = inductionRows(e.slice(0, seqLen), repeats, sub, eos, start);
    if (want.enc.some((v, j) => v !== e[j]) || want.dec[0] !== dr[0] || want.dec[1] !== dr[1]) {
      bad(label, `row ${i} does not follow the protocol (seqLen ${seqLen}, repeats ${repeats}, subExtension ${sub}, EOS ${eos}, decoder [${start}, S[${sub}]])`);
    }
  }
  const protocol: TokenProtocol = { ...(p as unknown as TokenProtocol), batch, seqLen, repeats, subExtension: sub, vocab: [vocab[0], vocab[1]], seed, eosTokenId: eos, decoderStartTokenId: start };
  return { format: TOKEN_BATCH_FORMAT, version: 1, protocol, encoder_input_ids: enc as number[][], decoder_input_ids: dec as number[][] };
}

/** A batch file of the largest allowed shape is a few hundred megabytes of JSON at most. */
const MAX_BATCH_FILE_BYTES = 512 * 1024 * 1024;

/** Reads and parses a batch file (`what`: "token batch", "patch batch"; `format`: its format name), or says why not in one line. */
export async function readJsonDocument(file: string, what: string, format: string): Promise<unknown> {
  let text: string;
  try {
    // only regular files: a FIFO or a device would block the read (or never end)
    const st = await fsp.stat(file);
    if (!st.isFile()) throw new ChronosLensError('BAD_INPUT', `${what} ${file} is not a regular file; give a ${format} JSON file`);
    if (st.size > MAX_BATCH_FILE_BYTES) throw new ChronosLensError('BAD_INPUT', `${what} ${file} is ${st.size} bytes, more than a ${what} can be (${MAX_BATCH_FILE_BYTES})`);
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof ChronosLensError) throw e;
    throw new ChronosLensError('NOT_FOUND', `cannot read ${what} ${file}: ${userMessage(e)}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ChronosLensError('BAD_INPUT', `${file}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

export async function readTokenBatch(file: string): Promise<TokenBatch> {
  return parseTokenBatch(await readJsonDocument(file, 'token batch', TOKEN_BATCH_FORMAT), file);
}

/** Saves a batch (atomically), one row per line so files diff well. */
export async function writeTokenBatch(file: string, batch: TokenBatch): Promise<void> {
  const rows = (r: number[][]) => `[\n${r.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`;
  const text = `{\n  "format": ${JSON.stringify(batch.format)},\n  "version": 1,\n  "protocol": ${toJson(batch.protocol).replace(/\n/g, '\n  ')},\n  "encoder_input_ids": ${rows(batch.encoder_input_ids)},\n  "decoder_input_ids": ${rows(batch.decoder_input_ids)}\n}\n`;
  await writeFileAtomic(file, text);
}
