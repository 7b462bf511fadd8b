/** Shared helpers for unit tests: repository paths, the shared real data, fixture loading. */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SafetensorsFile, toFloat32 } from '../../models/safetensors';

export const repoRoot = path.resolve(__dirname, '..', '..');
/** ../shared/data next to the repository: public CSVs and real Chronos checkpoints (read in place). */
export const sharedData = path.resolve(repoRoot, '..', 'shared', 'data');
export const fixtures = path.join(repoRoot, 'test', 'fixtures');
export const bundledModel = path.join(repoRoot, 'models', 'chronos-t5-nano');

export async function tempDir(prefix = 'chronos-lens-test-'): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Runs `fn` with a fresh temporary folder, removed afterwards whatever `fn` does. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>, prefix?: string): Promise<T> {
  const dir = await tempDir(prefix);
  try {
    return await fn(dir);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

export interface FixtureArray {
  dtype: string;
  shape: number[];
  /** Floats as float32; integers as plain numbers. */
  data: Float32Array | number[];
}

/** Loads a `<case>.json` + `<case>.safetensors` fixture written by tools/reference. */
export async function loadFixture(jsonPath: string): Promise<{ meta: Record<string, unknown>; arrays: Map<string, FixtureArray> }> {
  const meta = JSON.parse(await fsp.readFile(jsonPath, 'utf8')) as Record<string, unknown>;
  const file = path.join(path.dirname(jsonPath), String(meta.arrays_file));
  const st = await SafetensorsFile.open(file);
  const arrays = new Map<string, FixtureArray>();
  for (const [name, info] of st.tensors) {
    const bytes = await st.readBytes(name);
    let data: Float32Array | number[];
    if (info.dtype === 'I64') {
      const b = new BigInt64Array(bytes.byteLength / 8);
      new Uint8Array(b.buffer).set(bytes);
      data = Array.from(b, (x) => Number(x));
    } else if (info.dtype === 'I32') {
      const b = new Int32Array(bytes.byteLength / 4);
      new Uint8Array(b.buffer).set(bytes);
      data = Array.from(b);
    } else {
      data = toFloat32(bytes, info.dtype);
    }
    arrays.set(name, { dtype: info.dtype, shape: info.shape, data });
  }
  return { meta, arrays };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
