/**
 * The VSIX under test: built by scripts/package.mjs from the current dist/ (reused while it is newer than
 * everything that goes into it), and listed with yauzl.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as yauzl from 'yauzl';
import { repoRoot } from './paths';

export interface VsixEntry {
  /** Path inside the zip, e.g. `extension/dist/extension.js`. */
  name: string;
  size: number;
  compressedSize: number;
}

export function hostTarget(): string {
  return `${process.platform}-${process.arch}`;
}

export function vsixPath(target = hostTarget()): string {
  const { name, version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(repoRoot, 'out', 'vsix', `${name}-${version}-${target}.vsix`);
}

/** Newest modification time among the files a VSIX is made of (cheap: a few folders, no node_modules walk). */
function newestInput(): number {
  let newest = 0;
  const visit = (p: string, depth: number) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    newest = Math.max(newest, st.mtimeMs);
    if (st.isDirectory() && depth > 0) for (const e of readdirSync(p)) visit(path.join(p, e), depth - 1);
  };
  for (const f of ['package.json', 'package.nls.json', '.vscodeignore', 'README.md', 'LICENSE', 'CHANGELOG.md', 'images/icon.png']) visit(path.join(repoRoot, f), 0);
  for (const d of ['dist', 'samples', 'models/chronos-t5-nano', 'media', 'docs/images']) visit(path.join(repoRoot, d), 3);
  return newest;
}

/**
 * Returns the path of an up-to-date VSIX for `target`, packaging it (without rebuilding dist/) when it is
 * missing or older than its inputs. Set CHRONOS_E2E_VSIX to test a given VSIX instead.
 */
export function ensureVsix(target = hostTarget()): string {
  if (process.env.CHRONOS_E2E_VSIX) return path.resolve(process.env.CHRONOS_E2E_VSIX);
  const out = vsixPath(target);
  if (existsSync(out) && statSync(out).mtimeMs > newestInput()) return out;
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'package.mjs'), '--no-build', '--target', target], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });
  if (r.status !== 0 || !existsSync(out)) {
    throw new Error(`packaging ${target} failed (exit ${r.status ?? r.signal}):\n${(r.stdout ?? '').slice(-4000)}\n${(r.stderr ?? '').slice(-4000)}`);
  }
  return out;
}

/**
 * Walks a zip's entries one at a time (yauzl's lazy mode): `visit` handles each and calls `next()` when done with
 * it, or `fail(err)`; resolves after the last entry.
 */
function walkZip(file: string, visit: (e: yauzl.Entry, zip: yauzl.ZipFile, next: () => void, fail: (err: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`cannot open ${file}`));
      zip.on('entry', (e: yauzl.Entry) => visit(e, zip, () => zip.readEntry(), reject));
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** An entry's bytes. */
function readEntry(zip: yauzl.ZipFile, e: yauzl.Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(e, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error(`cannot read ${e.fileName}`));
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
      stream.on('error', reject);
    });
  });
}

/** Every entry of a zip file (its central directory). */
export async function listZip(file: string): Promise<VsixEntry[]> {
  const entries: VsixEntry[] = [];
  await walkZip(file, (e, _zip, next) => {
    entries.push({ name: e.fileName, size: e.uncompressedSize, compressedSize: e.compressedSize });
    next();
  });
  return entries;
}

/** The text of one zip entry. */
export async function readZipText(file: string, entryName: string): Promise<string> {
  let text: string | undefined;
  await walkZip(file, (e, zip, next, fail) => {
    if (e.fileName !== entryName) return next();
    readEntry(zip, e).then((b) => {
      text = b.toString('utf8');
      next();
    }, fail);
  });
  if (text === undefined) throw new Error(`${entryName} is not in ${file}`);
  return text;
}

/** Extracts every entry of a zip file below `dir` (entries that would escape it are refused). */
export function extractZip(file: string, dir: string): Promise<void> {
  return walkZip(file, (e, zip, next, fail) => {
    const target = path.resolve(dir, e.fileName);
    if (!target.startsWith(path.resolve(dir) + path.sep)) return fail(new Error(`zip entry escapes the folder: ${e.fileName}`));
    if (e.fileName.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      return next();
    }
    mkdirSync(path.dirname(target), { recursive: true });
    zip.openReadStream(e, (err, stream) => {
      if (err || !stream) return fail(err ?? new Error(`cannot read ${e.fileName}`));
      const out = createWriteStream(target);
      stream.pipe(out);
      out.on('finish', next);
      out.on('error', fail);
    });
  });
}
