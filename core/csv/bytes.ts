/**
 * Byte-level helpers for streamed CSV input: counting lines the way VS Code does (CR, LF and CRLF each
 * end one line, wherever they are, including inside quoted fields) and checking that the bytes are
 * UTF-8, with the offset of the first bad byte.
 */
import { isUtf8 } from 'node:buffer';

const CR = 13;
const LF = 10;

/**
 * Counts line breaks up to increasing byte offsets of a stream that arrives in chunks. Chunks are
 * released as soon as every later query lies beyond them, so memory stays bounded by the chunks the
 * CSV parser has not finished with.
 */
export class LineCounter {
  private readonly chunks: Buffer[] = [];
  /** Stream offset of chunks[0]. */
  private chunkStart = 0;
  /** Stream offset up to which breaks have been counted. */
  private pos = 0;
  private line = 0;
  private prevWasCR = false;

  push(chunk: Buffer): void {
    if (chunk.length > 0) this.chunks.push(chunk);
  }

  /**
   * 0-based line number of the byte at `offset` (the number of line breaks before it). Offsets must not
   * decrease between calls, and must lie within the pushed bytes (or at their end).
   */
  lineAt(offset: number): number {
    while (this.pos < offset) {
      const chunk = this.chunks[0];
      if (chunk === undefined) throw new RangeError(`LineCounter: offset ${offset} is beyond the pushed bytes`);
      const from = this.pos - this.chunkStart;
      const to = Math.min(offset - this.chunkStart, chunk.length);
      this.count(chunk, from, to);
      this.pos = this.chunkStart + to;
      if (to === chunk.length) {
        this.chunks.shift();
        this.chunkStart += chunk.length;
        this.nextCR = -2;
        this.nextLF = -2;
      }
    }
    return this.line;
  }

  /**
   * Positions of the next CR and LF at or after the counted position in chunks[0] (-1: none left in the
   * chunk, -2: not searched yet). Cached so that many short queries cost one pass over the bytes.
   */
  private nextCR = -2;
  private nextLF = -2;

  private count(b: Buffer, from: number, to: number): void {
    if (to <= from) return;
    let n = 0;
    if (this.nextCR === -2 || (this.nextCR !== -1 && this.nextCR < from)) this.nextCR = b.indexOf(CR, from);
    while (this.nextCR !== -1 && this.nextCR < to) {
      n++;
      this.nextCR = b.indexOf(CR, this.nextCR + 1);
    }
    if (this.nextLF === -2 || (this.nextLF !== -1 && this.nextLF < from)) this.nextLF = b.indexOf(LF, from);
    while (this.nextLF !== -1 && this.nextLF < to) {
      const i = this.nextLF;
      const afterCR = i > 0 ? b[i - 1] === CR : this.prevWasCR;
      if (!afterCR) n++;
      this.nextLF = b.indexOf(LF, i + 1);
    }
    this.line += n;
    this.prevWasCR = b[to - 1] === CR;
  }
}

/** Where a byte stream stops being UTF-8. */
export interface Utf8Problem {
  /** 0-based offset of the first byte that is not part of a valid UTF-8 sequence. */
  offset: number;
  /** Its value. */
  byte: number;
  /** True when the stream ends in the middle of a multi-byte sequence. */
  truncated: boolean;
}

/** Checks a stream of chunks for valid UTF-8 (multi-byte sequences may span chunks). */
export class Utf8Checker {
  private carry: Buffer = Buffer.alloc(0);
  /** Stream offset of the first byte of `carry` (or of the next chunk when carry is empty). */
  private offset = 0;

  /** Returns the first problem in this chunk, or undefined when it is valid so far. */
  push(chunk: Buffer): Utf8Problem | undefined {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const complete = completePrefixLength(data);
    const head = data.subarray(0, complete);
    if (!isUtf8(head)) {
      const bad = firstInvalidUtf8(head);
      return { offset: this.offset + bad, byte: head[bad], truncated: false };
    }
    this.carry = Buffer.from(data.subarray(complete));
    this.offset += complete;
    return undefined;
  }

  /** Call at the end of the stream: a dangling partial sequence is a problem. */
  end(): Utf8Problem | undefined {
    if (this.carry.length === 0) return undefined;
    const bad = firstInvalidUtf8(this.carry);
    if (bad < this.carry.length) return { offset: this.offset + bad, byte: this.carry[bad], truncated: false };
    return { offset: this.offset, byte: this.carry[0], truncated: true };
  }
}

/** Length of the prefix of `b` that does not end inside a (possibly valid) multi-byte sequence. */
function completePrefixLength(b: Buffer): number {
  const n = b.length;
  let i = n - 1;
  while (i >= 0 && i > n - 4 && (b[i] & 0xc0) === 0x80) i--;
  if (i < 0) return n;
  const lead = b[i];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return n - i < need ? i : n;
}

/**
 * Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF); `b.length` when all is well-formed. A sequence cut
 * off by the end of `b` counts as well-formed up to the end.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return n;
      const d = b[i + k];
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += need + 1;
  }
  return n;
}
