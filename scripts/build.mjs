#!/usr/bin/env node
// Bundles the adapters with esbuild:
//   dist/cli.js              CLI (node, CommonJS, onnxruntime-node external)
//   dist/extension.js        VS Code extension host entry (vscode + onnxruntime-node external)
//   dist/ort-worker.js       the worker thread hosting ONNX Runtime sessions for the extension host
//   dist/webview/<name>.js   one browser bundle per webview/entries/<name>.ts
//   dist/test/vscode/index.js  the in-host test suite (mocha), when present
// Usage: node scripts/build.mjs [--watch] [--minify]
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify');
const root = new URL('..', import.meta.url).pathname;
const nodeExternal = ['vscode', 'onnxruntime-node'];
const configs = [];

function nodeEntry(entry, outfile, extra = {}) {
  if (!existsSync(join(root, entry))) return;
  configs.push({
    entryPoints: [join(root, entry)],
    outfile: join(root, outfile),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    minify,
    external: nodeExternal,
    logLevel: 'warning',
    ...extra,
  });
}

nodeEntry('cli/main.ts', 'dist/cli.js', { banner: { js: '#!/usr/bin/env node' } });
nodeEntry('extension/extension.ts', 'dist/extension.js');
nodeEntry('models/runtime/ort-worker.ts', 'dist/ort-worker.js');
nodeEntry('test/vscode/index.ts', 'dist/test/vscode/index.js', { external: [...nodeExternal, 'mocha'] });

const webEntries = join(root, 'webview/entries');
if (existsSync(webEntries)) {
  const entryPoints = readdirSync(webEntries).filter((f) => f.endsWith('.ts')).map((f) => join(webEntries, f));
  if (entryPoints.length) {
    configs.push({
      entryPoints,
      outdir: join(root, 'dist/webview'),
      bundle: true,
      platform: 'browser',
      target: 'chrome120',
      format: 'iife',
      sourcemap: true,
      minify,
      logLevel: 'warning',
    });
  }
}

mkdirSync(join(root, 'dist'), { recursive: true });
if (watch) {
  for (const c of configs) (await esbuild.context(c)).watch();
  console.log(`watching ${configs.length} bundles`);
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
  console.log(`built ${configs.length} bundle(s)`);
}
