/** Shared bits of the hub tests: the real dummy checkpoint (read in place), temp caches, assertions. */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const SHARED_DATA = path.resolve(__dirname, '../../../../shared/data');
export const DUMMY_DIR = path.join(SHARED_DATA, 'chronos-dummy-model');
export const BOLT_DIR = path.join(SHARED_DATA, 'chronos-bolt-dummy-model');

export function dummyFiles(): { config: Buffer; generation: Buffer; weights: Buffer } {
  return {
    config: fs.readFileSync(path.join(DUMMY_DIR, 'config.json')),
    generation: fs.readFileSync(path.join(DUMMY_DIR, 'generation_config.json')),
    weights: fs.readFileSync(path.join(DUMMY_DIR, 'model.safetensors')),
  };
}

const made: string[] = [];
export function tempDir(prefix = 'chronos-hub-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Every file visible under snapshots/ (links followed), relative to the repo folder. */
export function snapshotFiles(repoDir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(repoDir, p), fs.readFileSync(p));
    }
  };
  walk(path.join(repoDir, 'snapshots'));
  return out;
}

/** The secret appears nowhere in the error: message, stack, string form, causes. */
export function assertNoSecret(e: unknown, secret: string): void {
  let cur: unknown = e;
  for (let i = 0; cur && i < 10; i++) {
    const err = cur as Error & { cause?: unknown };
    assert.ok(!String(err.message).includes(secret), `secret in message: ${err.message}`);
    assert.ok(!String(err.stack ?? '').includes(secret), 'secret in stack');
    assert.ok(!String(err).includes(secret), 'secret in toString');
    try {
      assert.ok(!JSON.stringify(err).includes(secret), 'secret in JSON');
    } catch {
      /* circular: fine */
    }
    cur = err.cause;
  }
}

export async function rejectsWith<T extends object>(p: Promise<unknown>, check: Partial<Record<keyof T, unknown>> & Record<string, unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    for (const [k, v] of Object.entries(check)) {
      const actual = (e as Record<string, unknown>)[k];
      if (v instanceof RegExp) assert.match(String(actual), v, `${k}: ${String(actual)}`);
      else assert.equal(actual, v, `${k} of ${(e as Error).message}`);
    }
    return e as Error;
  }
  assert.fail('expected a rejection');
}
