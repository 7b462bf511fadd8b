#!/usr/bin/env node
// Builds platform-specific VSIX packages with vsce, each carrying only its own onnxruntime-node binaries.
//
// onnxruntime-node ships every platform's native libraries in one npm package
// (node_modules/onnxruntime-node/bin/napi-v<N>/<platform>/<arch>/, ~290 MB in all) and loads
// `../bin/napi-v<N>/${process.platform}/${process.arch}/onnxruntime_binding.node` at run time; it is external
// to the esbuild bundles, so the VSIX carries it in node_modules/.
//
// vsce is run in a small staging folder (out/vsix/stage-<target>-XXXXXX/, hard links, fresh each run) rather
// than the repository root: the root holds .tools/ (code-server), tools/.venv and every npm dependency,
// which vsce would walk file by file (tens of thousands of files) only for .vscodeignore to drop them. The
// staging folder holds:
//   - the files .vscodeignore allows (dist/, models/chronos-t5-nano/, samples/, the walkthrough's media/ and
//     docs/images/, docs, icon, package.json, package.nls.json);
//   - node_modules/onnxruntime-node with only the target's bin/ folder, and onnxruntime-common;
//   - package.json with `dependencies` narrowed to onnxruntime-node, the one package the bundles load at
//     run time (the rest is bundled), and onnxruntime-node's package.json without its install-script-only
//     dependencies (adm-zip, global-agent), so that vsce's `npm list --production` sees a consistent tree.
// .vscodeignore (an allow-list) still decides what goes in, file by file.
//
// Usage: node scripts/package.mjs [--target T]... [--all] [--no-build] [--out-dir DIR]
//   default target: this machine's platform; --all: every target below that onnxruntime-node has binaries for.
//   Output: out/vsix/chronos-lens-<version>-<target>.vsix (gitignored).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/** vsce target -> onnxruntime-node's bin/napi-v<N>/<platform>/<arch> folder. */
export const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'darwin-x64': 'darwin/x64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

export function hostTarget() {
  return `${process.platform}-${process.arch}`;
}

export function vsixPath(target, outDir = join(root, 'out', 'vsix')) {
  const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return join(outDir, `${name}-${version}-${target}.vsix`);
}

/** The onnxruntime-node binary folder for a target (relative to the repository), or a reason it has none. */
export function ortBinaryFolder(target) {
  const platformArch = TARGETS[target];
  if (!platformArch) throw new Error(`unknown target '${target}' (known: ${Object.keys(TARGETS).join(', ')})`);
  const bin = join(root, 'node_modules', 'onnxruntime-node', 'bin');
  if (!existsSync(bin)) return { error: 'node_modules/onnxruntime-node/bin is missing: run npm ci (scripts/setup.sh)' };
  const napi = readdirSync(bin).filter((d) => /^napi-v\d+$/.test(d));
  const found = napi.map((d) => join(bin, d, platformArch)).filter((d) => existsSync(join(d, 'onnxruntime_binding.node')));
  if (found.length === 0) {
    const version = JSON.parse(readFileSync(join(root, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version;
    return { error: `onnxruntime-node ${version} ships no ${platformArch} binaries (it has: ${listPlatforms(bin).join(', ')}); cannot build a working ${target} VSIX` };
  }
  return { folder: relative(root, found[0]) };
}

function listPlatforms(bin) {
  const out = [];
  for (const napi of readdirSync(bin)) for (const os of readdirSync(join(bin, napi))) for (const arch of readdirSync(join(bin, napi, os))) out.push(`${os}/${arch}`);
  return out;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/** Hard-links (or copies, across file systems) a file or a folder tree from the repository into `stage`. */
function stageTree(src, dst) {
  if (!existsSync(src)) return;
  const st = statSync(src);
  if (st.isDirectory()) {
    for (const e of readdirSync(src)) stageTree(join(src, e), join(dst, e));
    return;
  }
  mkdirSync(dirname(dst), { recursive: true });
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
}

/** Builds the staging folder for one target (see the header); returns its path. */
export function stage(target, outDir = join(root, 'out', 'vsix')) {
  const ort = ortBinaryFolder(target);
  if (ort.error) throw new Error(`${target}: ${ort.error}`);
  // A fresh folder per run: several people (and test runs) package in this checkout at once.
  mkdirSync(outDir, { recursive: true });
  const dir = mkdtempSync(join(outDir, `stage-${target}-`));
  for (const f of ['dist', 'models/chronos-t5-nano', 'samples', 'images', 'media', 'docs/images', 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.nls.json', '.vscodeignore']) {
    stageTree(join(root, f), join(dir, f));
  }
  // package.json files are written fresh (never hard links: they differ from the repository's).
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const ortNode = JSON.parse(readFileSync(join(root, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8'));
  const ortCommon = JSON.parse(readFileSync(join(root, 'node_modules', 'onnxruntime-common', 'package.json'), 'utf8'));
  manifest.dependencies = { 'onnxruntime-node': ortNode.version };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const nm = join(dir, 'node_modules');
  stageTree(join(root, 'node_modules', 'onnxruntime-node', 'dist'), join(nm, 'onnxruntime-node', 'dist'));
  stageTree(join(root, ort.folder), join(dir, ort.folder));
  ortNode.dependencies = { 'onnxruntime-common': ortNode.dependencies['onnxruntime-common'] };
  delete ortNode.scripts;
  writeFileSync(join(nm, 'onnxruntime-node', 'package.json'), `${JSON.stringify(ortNode, null, 2)}\n`);
  stageTree(join(root, 'node_modules', 'onnxruntime-common', 'dist', 'cjs'), join(nm, 'onnxruntime-common', 'dist', 'cjs'));
  writeFileSync(join(nm, 'onnxruntime-common', 'package.json'), `${JSON.stringify(ortCommon, null, 2)}\n`);
  return dir;
}

/** Packages one target; returns the VSIX path. */
export function packageTarget(target, { outDir = join(root, 'out', 'vsix') } = {}) {
  if (!existsSync(join(root, 'dist', 'extension.js')) && !existsSync(join(root, 'dist', 'cli.js'))) {
    throw new Error('dist/ has no bundles: run npm run build first');
  }
  const dir = stage(target, outDir);
  const out = vsixPath(target, outDir);
  // Written under a temporary name, then renamed: a concurrent reader never sees half a VSIX.
  const partial = `${out.replace(/\.vsix$/, '')}.${process.pid}.partial.vsix`;
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  try {
    run(process.execPath, [vsce, 'package',
      '--target', target,
      '--out', partial,
      // README links to DEVELOPING.md and screenshots by relative path; there is no public repository URL
      // to rewrite them against yet.
      '--no-rewrite-relative-links',
      '--allow-missing-repository',
    ], { cwd: dir });
    renameSync(partial, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
  const mb = (statSync(out).size / 1024 / 1024).toFixed(1);
  console.log(`package: ${relative(root, out)} (${mb} MB)`);
  return out;
}

function main() {
  const args = process.argv.slice(2);
  const targets = [];
  let all = false;
  let build = true;
  let outDir;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--target' || a === '-t') targets.push(args[++i]);
    else if (a === '--all') all = true;
    else if (a === '--no-build') build = false;
    else if (a === '--out-dir') outDir = args[++i];
    else if (a === '--help' || a === '-h') {
      console.log('Usage: node scripts/package.mjs [--target T]... [--all] [--no-build] [--out-dir DIR]');
      console.log(`targets: ${Object.keys(TARGETS).join(', ')}`);
      return 0;
    } else throw new Error(`unknown argument '${a}'`);
  }
  if (build) run(process.execPath, [join(root, 'scripts', 'build.mjs')]);
  const wanted = all ? Object.keys(TARGETS) : targets.length ? targets : [hostTarget()];
  const failed = [];
  for (const t of wanted) {
    if (all && ortBinaryFolder(t).error) {
      console.warn(`package: skipping ${t}: ${ortBinaryFolder(t).error}`);
      continue;
    }
    try {
      packageTarget(t, outDir ? { outDir } : {});
    } catch (e) {
      console.error(`package: ${e.message}`);
      failed.push(t);
    }
  }
  return failed.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.exitCode = main();
  } catch (e) {
    console.error(`package: ${e.message}`);
    process.exitCode = 1;
  }
}
