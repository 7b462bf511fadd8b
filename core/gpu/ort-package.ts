/**
 * Where the bundled onnxruntime-node package is, read from its package.json without loading the native
 * library. It lives here, below models/, because core/gpu stages a copy of that package with the CUDA
 * provider libraries, and models/runtime/ort.ts reports its version.
 */
import * as path from 'node:path';

/** The bundled onnxruntime-node package: its folder and version. */
export function bundledOrtPackage(): { dir: string; version: string } {
  const pj = require.resolve('onnxruntime-node/package.json');
  return { dir: path.dirname(pj), version: String(packageVersion(pj)) };
}

/** The `version` field of a package.json, as found (not checked). */
export function packageVersion(packageJson: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(packageJson) as { version?: unknown }).version;
}
