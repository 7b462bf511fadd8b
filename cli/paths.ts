/**
 * Where the package's own files are, from the source tree (cli/*.ts run through tsx) and from the
 * bundles (dist/cli.js, dist/extension.js, deeper test bundles): the nearest folder above this module
 * whose package.json is chronos-lens'.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { bundledModelDir } from '../models/source';

let cachedRoot: string | undefined;

/** The chronos-lens package root, searched upwards from `start` (default: this module's folder). */
export function packageRoot(start: string = __dirname): string {
  if (start === __dirname && cachedRoot) return cachedRoot;
  let dir = path.resolve(start);
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'chronos-lens') {
          if (start === __dirname) cachedRoot = dir;
          return dir;
        }
      } catch {
        // not ours (or unreadable): keep looking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..'); // cli/ and dist/ are direct children of the root
    dir = up;
  }
}

/** The bundled model, the default of every command, in the package. */
export function defaultModelDir(): string {
  return bundledModelDir(packageRoot());
}
