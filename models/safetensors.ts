/**
 * A validating reader for the safetensors format (https://huggingface.co/docs/safetensors):
 * 8-byte little-endian header length N, N bytes of JSON header, then the data buffer.
 * The header is checked before any tensor is read: length bound, JSON shape, known dtypes,
 * offsets inside the file, no overlapping tensors, byte size = product(shape) x dtype size.
 * F32, F16 and BF16 tensors are returned as float32; a weight with a NaN or an infinity is refused
 * (it would silently turn every forecast into the lowest bin), found while the bytes are converted.
 * Only regular files are opened (see files.ts), and names from the header are quoted and bounded
 * in messages, so every error is one line.
 */
import * as path from 'node:path';
import { ChronosLensError } from '../core/errors';
import { oneLine, openRegularFile, quoted, showValue } from './files';

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL' | 'U16' | 'U32' | 'U64' | 'F8_E4M3' | 'F8_E5M2';

const DTYPE_SIZE: Record<Dtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, U16: 2, U32: 4, U64: 8, F8_E4M3: 1, F8_E5M2: 1,
};
const FLOAT_DTYPES: ReadonlySet<Dtype> = new Set<Dtype>(['F32', 'F16', 'BF16']);

/** The largest header we accept (the reference implementation uses the same 100 MB bound). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
  file: string;
}

/** Real checkpoints have tensors of rank 1 or 2; the bound keeps a crafted shape from being enormous. */
const MAX_RANK = 16;

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(oneLine(v, 80)) : showValue(v, 80);
}

function bad(file: string, msg: string): never {
  throw new ChronosLensError('BAD_CHECKPOINT', `${path.basename(file)}: ${msg}`);
}

/**
 * Validates a parsed header against the file size and returns the tensor table.
 * `headerBytes` is N (the JSON length); data starts at 8 + N.
 */
export function parseHeader(json: string, headerBytes: number, fileSize: number, file: string): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    bad(file, `header is not valid JSON (${oneLine((e as Error).message)}); the file is corrupt or not a safetensors file`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(file, 'header must be a JSON object');
  const dataStart = 8 + headerBytes;
  const dataSize = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(file, '"__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') bad(file, `"__metadata__.${oneLine(k)}" must be a string`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const q = quoted(name);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(file, `entry for tensor ${q} must be an object with dtype, shape and data_offsets`);
    const v = value as Record<string, unknown>;
    const dtype = v.dtype;
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_SIZE, dtype)) bad(file, `tensor ${q} has unknown dtype ${show(dtype)}`);
    const shape = v.shape;
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(file, `tensor ${q} has an invalid shape ${show(shape)} (expected an array of at most ${MAX_RANK} non-negative integers)`);
    }
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(file, `tensor ${q} has invalid data_offsets ${show(offs)} (expected [begin, end])`);
    }
    const [b, e] = offs as [number, number];
    if (e < b) bad(file, `tensor ${q} has data_offsets [${b}, ${e}] with end before begin`);
    if (e > dataSize) bad(file, `tensor ${q} ends at byte ${e} of the data buffer, but the file only has ${Math.max(0, dataSize)} data bytes (truncated file?)`);
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    const expected = count * DTYPE_SIZE[dtype as Dtype];
    if (e - b !== expected) bad(file, `tensor ${q} occupies ${e - b} bytes, but shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expected}`);
    tensors.set(name, { name, dtype: dtype as Dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e, file });
  }
  // Zero-size tensors own no bytes and may sit anywhere, so they are left out of the overlap check:
  // between two overlapping tensors they would otherwise break the chain of neighbours compared.
  const sorted = [...tensors.values()].filter((t) => t.end > t.begin).sort((x, y) => x.begin - y.begin || x.end - y.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.begin < prev.end) bad(file, `tensors ${quoted(prev.name)} and ${quoted(cur.name)} overlap in the data buffer`);
  }
  return { tensors, metadata };
}

/** An open safetensors file: header parsed and validated; tensors read on demand. */
export class SafetensorsFile {
  private constructor(
    readonly file: string,
    readonly size: number,
    readonly tensors: Map<string, TensorInfo>,
    readonly metadata: Record<string, string>,
  ) {}

  static async open(file: string): Promise<SafetensorsFile> {
    const { fh, size } = await openRegularFile(file);
    try {
      if (size < 8) bad(file, `file is ${size} bytes long; a safetensors file starts with an 8-byte header length`);
      const lenBuf = Buffer.alloc(8);
      await fh.read(lenBuf, 0, 8, 0);
      const n = lenBuf.readBigUInt64LE(0);
      if (n > BigInt(MAX_HEADER_BYTES)) bad(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt file, or not safetensors)`);
      const headerLen = Number(n);
      if (8 + headerLen > size) bad(file, `header length ${headerLen} runs past the end of the ${size}-byte file (truncated?)`);
      if (headerLen < 2) bad(file, `header length ${headerLen} is too small for a JSON object`);
      const hb = Buffer.alloc(headerLen);
      const { bytesRead } = await fh.read(hb, 0, headerLen, 8);
      if (bytesRead !== headerLen) bad(file, `header ends early (${bytesRead} of ${headerLen} bytes read; was the file truncated while being read?)`);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(hb);
      } catch {
        bad(file, 'header is not valid UTF-8');
      }
      const { tensors, metadata } = parseHeader(text.trimEnd(), headerLen, size, file);
      return new SafetensorsFile(file, size, tensors, metadata);
    } finally {
      await fh.close();
    }
  }

  /** Reads a tensor's raw bytes. */
  async readBytes(name: string): Promise<Buffer> {
    const info = this.tensors.get(name);
    if (!info) bad(this.file, `no tensor named ${quoted(name)}`);
    const len = info.end - info.begin;
    const { fh, size } = await openRegularFile(this.file);
    try {
      if (size !== this.size) bad(this.file, `changed size while it was in use (${this.size} -> ${size} bytes); load the model again`);
      const buf = Buffer.allocUnsafe(len);
      let off = 0;
      while (off < len) {
        const { bytesRead } = await fh.read(buf, off, Math.min(len - off, 1 << 30), info.begin + off);
        if (bytesRead === 0) bad(this.file, `unexpected end of file while reading tensor ${quoted(name)}`);
        off += bytesRead;
      }
      return buf;
    } finally {
      await fh.close();
    }
  }

  /**
   * Reads a floating-point tensor (F32, F16 or BF16) as float32, refusing one with a NaN or an
   * infinity (checked in the same pass that converts it).
   */
  async readFloat32(name: string): Promise<Float32Array> {
    const info = this.tensors.get(name);
    if (!info) bad(this.file, `no tensor named ${quoted(name)}`);
    if (!FLOAT_DTYPES.has(info.dtype)) bad(this.file, `tensor ${quoted(name)} has dtype ${info.dtype}; expected F32, F16 or BF16`);
    const bytes = await this.readBytes(name);
    const out = toFloat32(bytes, info.dtype, true);
    if (out.badIndex >= 0) {
      const v = out.data[out.badIndex];
      bad(this.file, `tensor ${quoted(name)} holds ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+inf' : '-inf'} at element ${out.badIndex}; the weights are corrupt (a model with non-finite weights cannot forecast)`);
    }
    return out.data;
  }
}

let halfTable: Float32Array | undefined;

function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    let v: number;
    if (exp === 0) v = sign * frac * 2 ** -24;
    else if (exp === 31) v = frac ? NaN : sign * Infinity;
    else v = sign * (1 + frac / 1024) * 2 ** (exp - 15);
    t[h] = v;
  }
  halfTable = t;
  return t;
}

/** Converts little-endian F32 / F16 / BF16 bytes to a Float32Array (copying, so alignment never matters). */
export function toFloat32(bytes: Uint8Array, dtype: Dtype): Float32Array;
/** With `checkFinite`: also the index of the first NaN or infinity (-1 when there is none). */
export function toFloat32(bytes: Uint8Array, dtype: Dtype, checkFinite: true): { data: Float32Array; badIndex: number };
export function toFloat32(bytes: Uint8Array, dtype: Dtype, checkFinite = false): Float32Array | { data: Float32Array; badIndex: number } {
  let data: Float32Array;
  let badIndex = -1;
  if (dtype === 'F32') {
    data = new Float32Array(bytes.length / 4);
    new Uint8Array(data.buffer).set(bytes);
    if (checkFinite) {
      const u32 = new Uint32Array(data.buffer);
      // exponent all ones = NaN or infinity
      for (let i = 0; i < u32.length; i++) {
        if ((u32[i] & 0x7f800000) === 0x7f800000) {
          badIndex = i;
          break;
        }
      }
    }
  } else if (dtype === 'BF16' || dtype === 'F16') {
    const n = bytes.length / 2;
    const u16 = new Uint16Array(n);
    new Uint8Array(u16.buffer).set(bytes);
    if (dtype === 'BF16') {
      const u32 = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const h = u16[i];
        if ((h & 0x7f80) === 0x7f80 && badIndex < 0) badIndex = i;
        u32[i] = h << 16;
      }
      data = new Float32Array(u32.buffer);
    } else {
      const table = halfToFloatTable();
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const h = u16[i];
        if ((h & 0x7c00) === 0x7c00 && badIndex < 0) badIndex = i;
        data[i] = table[h];
      }
    }
  } else {
    throw new ChronosLensError('BAD_CHECKPOINT', `cannot convert dtype ${dtype} to float32`);
  }
  return checkFinite ? { data, badIndex } : data;
}

export function isFloatDtype(d: Dtype): boolean {
  return FLOAT_DTYPES.has(d);
}
