/** Helpers for the CSV tests: the shared real data (read in place), temp files, and unchanged-file checks. */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as assert from 'node:assert/strict';
import { ChronosLensError, type ErrorCode } from '../../../core/errors';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
/** ../shared/data next to the repository (never copied into it). */
export const sharedData = path.resolve(repoRoot, '..', 'shared', 'data');

export async function tempDir(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'chronos-lens-csv-'));
}

/** Writes `content` (text as UTF-8, or raw bytes) to `name` in `dir` and returns the path. */
export async function writeTemp(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const p = path.join(dir, name);
  await fsp.writeFile(p, content);
  return p;
}

export interface FileSnapshot {
  mtimeMs: number;
  size: number;
  sha256: string;
}

export async function snapshot(p: string): Promise<FileSnapshot> {
  const st = await fsp.stat(p);
  const bytes = await fsp.readFile(p);
  return { mtimeMs: st.mtimeMs, size: st.size, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Runs `read` and asserts that the file's bytes and mtime are the same afterwards. */
export async function assertUnchanged<T>(p: string, read: () => Promise<T>): Promise<T> {
  const before = await snapshot(p);
  let result: T;
  try {
    result = await read();
  } finally {
    assert.deepEqual(await snapshot(p), before, `${p} changed while being read`);
  }
  return result;
}

/** Asserts that `fn` throws (or rejects with) a ChronosLensError of `code` whose message matches every pattern. */
export async function assertCsvError(fn: () => unknown, code: ErrorCode, ...patterns: RegExp[]): Promise<ChronosLensError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ChronosLensError, `expected a ChronosLensError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

/** 0-based line of every line start in `text`, counting CR, LF and CRLF as one break each (as VS Code does). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}
