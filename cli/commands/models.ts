/**
 * chronos-lens models list|download|cache|gpu: which models there are (bundled, Amazon's Chronos-T5 on
 * the hub, every Chronos checkpoint in the Hugging Face cache), downloading one into that cache, the
 * built-graph cache, and ONNX Runtime's CUDA provider (install / status / remove).
 */
import * as fs from 'node:fs';
import { ChronosLensError } from '../../core/errors';
import { checkCudaRuntime, defaultGpuStorageDir, gpuSupportStatus, installGpuSupport, removeGpuSupport } from '../../core/gpu';
import { checkRepoId, checkRevision, dirSize, downloadModel, findHubToken, formatBytes, KNOWN_MODELS, resolveHubSettings, scanCache, type CachedCheckpoint } from '../../core/hub';
import { KNOWN_BOLT_MODELS } from '../../core/hub/known-models';
import { defaultCacheDir } from '../../models/model';
import { clearGraphCache } from '../../models/runtime/graph-cache';
import { BUNDLED_MODEL_NAME } from '../../models/source';
import { CliIO, bundledModelDir, parse, printJson } from '../common';
import { downloadProgress } from '../model-source';

export const usage = `chronos-lens models <list|download|cache|gpu> [options]

  models list [--json]
      The bundled model, Amazon's Chronos-T5 models (size, and whether each is in the Hugging Face
      cache), and every Chronos checkpoint in that cache with its folder.
  models download OWNER/NAME [--revision R] [--token-env VAR] [--json]
      Downloads a checkpoint into the Hugging Face cache (resumable, verified), with progress on
      stderr; prints the snapshot folder. Honours HF_ENDPOINT, HF_HUB_OFFLINE, HF_HUB_CACHE / HF_HOME,
      HTTPS_PROXY / HTTP_PROXY / NO_PROXY, and the token in HF_TOKEN (or the variable --token-env
      names, or the file huggingface-cli login writes).
  models cache [--clear] [--cache-dir DIR] [--json]
      Size of Chronos Lens' cache of built ONNX graphs ($XDG_CACHE_HOME/chronos-lens, else
      ~/.cache/chronos-lens); --clear deletes the graphs and hashes it holds (only in a folder
      that carries the cache's .chronos-lens-cache marker; any other folder is refused).
  models gpu [--status | --install [--force] | --remove] [--dir DIR] [--nuget-index URL] [--json]
      ONNX Runtime's CUDA execution provider for onnxruntime-node (Linux x64; CUDA 12.x and cuDNN 9.x
      must be installed): --install downloads Microsoft.ML.OnnxRuntime.Gpu.Linux for the bundled
      ONNX Runtime version from NuGet (checksum-verified) and stages it in DIR (default
      CHRONOS_LENS_GPU_DIR, else ~/.local/share/chronos-lens/gpu); commands run with --provider
      cuda|auto then use it. --nuget-index (or CHRONOS_LENS_NUGET_INDEX) names another NuGet v3 feed.

Every model-using command accepts --model OWNER/NAME (from the cache; add --download to fetch it).`;

const COMMON = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } } as const;

export async function run(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(usage + '\n');
    return sub ? 0 : 2;
  }
  switch (sub) {
    case 'list':
      return list(rest, io);
    case 'download':
      return download(rest, io);
    case 'cache':
      return cache(rest, io);
    case 'gpu':
      return gpu(rest, io);
    default:
      throw new ChronosLensError('BAD_INPUT', `unknown subcommand "${sub}" (models list | download | cache | gpu)`);
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s + ' ' : s.padEnd(n);
}

function cachedSummary(c: CachedCheckpoint) {
  return {
    repoId: c.repoId,
    commit: c.commit,
    refs: c.refs,
    path: c.path,
    sizeBytes: c.sizeBytes,
    family: c.family ?? 'unknown',
    usable: c.isChronos && c.family === 'chronos-t5',
    problem: c.family === 'chronos-bolt' ? 'Chronos-Bolt is not supported yet' : c.problem,
  };
}

async function list(argv: string[], io: CliIO): Promise<number> {
  const { values } = parse(argv, COMMON, false);
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  const hub = resolveHubSettings();
  const cached = (await scanCache(hub.cacheDir)).map(cachedSummary);
  const pick = (repoId: string) => cached.find((c) => c.repoId === repoId && c.refs.includes('main')) ?? cached.find((c) => c.repoId === repoId);
  const known = KNOWN_MODELS.map((m) => {
    const c = pick(m.repoId);
    return { repoId: m.repoId, label: m.label, parameters: m.parameters, approxDownloadBytes: m.approxDownloadBytes, cached: !!c, path: c?.path };
  });
  const knownBolt = KNOWN_BOLT_MODELS.map((m) => {
    const c = pick(m.repoId);
    return { repoId: m.repoId, label: m.label, parameters: m.parameters, approxDownloadBytes: m.approxDownloadBytes, cached: !!c, path: c?.path };
  });
  const bundledPath = bundledModelDir();
  const out = { bundled: { name: BUNDLED_MODEL_NAME, path: bundledPath, present: fs.existsSync(bundledPath) }, hubCache: hub.cacheDir, known, knownBolt, cached };
  if (values.json) {
    printJson(io, out);
    return 0;
  }
  const lines = ['Bundled', `  ${pad(BUNDLED_MODEL_NAME, 28)}${bundledPath}${out.bundled.present ? '' : '  (missing)'}`, '', `Amazon Chronos-T5 on the Hugging Face hub (cache: ${hub.cacheDir})`];
  for (const k of known) {
    const params = KNOWN_MODELS.find((m) => m.repoId === k.repoId)!.parametersLabel;
    lines.push(`  ${pad(k.repoId, 28)}${pad(params, 6)}${pad(`~${formatBytes(k.approxDownloadBytes)}`, 10)}${k.cached ? `cached  ${k.path}` : 'not downloaded'}`);
  }
  lines.push('', 'Amazon Chronos-Bolt on the Hugging Face hub (forecast and info so far)');
  for (const k of knownBolt) {
    const params = KNOWN_BOLT_MODELS.find((m) => m.repoId === k.repoId)!.parametersLabel;
    lines.push(`  ${pad(k.repoId, 28)}${pad(params, 6)}${pad(`~${formatBytes(k.approxDownloadBytes)}`, 10)}${k.cached ? `cached  ${k.path}` : 'not downloaded'}`);
  }
  lines.push('', 'Chronos checkpoints in the Hugging Face cache');
  if (!cached.length) lines.push('  (none)');
  for (const c of cached) {
    const name = `${c.repoId}@${c.commit.slice(0, 7)}${c.refs.length ? ` (${c.refs.join(', ')})` : ''}`;
    lines.push(`  ${pad(name, 44)}${pad(formatBytes(c.sizeBytes), 10)}${c.usable ? '' : `[${c.problem ?? 'not usable'}] `}${c.path}`);
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

async function download(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON, revision: { type: 'string' }, 'token-env': { type: 'string' } });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new ChronosLensError('BAD_INPUT', 'models download needs one model id, e.g. chronos-lens models download amazon/chronos-t5-small');
  const repoId = positionals[0];
  checkRepoId(repoId);
  if (!repoId.includes('/')) throw new ChronosLensError('BAD_INPUT', `"${repoId}" is not a Hugging Face model id (expected owner/name, e.g. amazon/chronos-t5-small)`);
  if (values.revision !== undefined && values.revision.trim()) checkRevision(values.revision.trim());
  let token: string | undefined;
  const tokenEnv = values['token-env'];
  if (tokenEnv !== undefined) {
    token = process.env[tokenEnv]?.trim();
    if (!token) throw new ChronosLensError('BAD_INPUT', `--token-env ${tokenEnv}: that environment variable is not set or empty`);
  } else {
    token = findHubToken();
  }
  const bar = downloadProgress(io, `Downloading ${repoId}`);
  let r;
  try {
    r = await downloadModel(repoId, { revision: values.revision, token, signal: io.signal, onProgress: bar.onProgress });
  } finally {
    bar.done();
  }
  if (r.offlineReason) io.stderr.write(`chronos-lens: ${r.offlineReason}\n`);
  if (values.json) {
    printJson(io, { repoId: r.repoId, revision: r.revision, commit: r.commit, path: r.path, files: r.files, sizeBytes: r.sizeBytes, bytesDownloaded: r.bytesDownloaded, fromCache: r.fromCache, offlineReason: r.offlineReason });
  } else {
    io.stderr.write(r.fromCache ? `${repoId} is already in the cache (${formatBytes(r.sizeBytes)}).\n` : `Downloaded ${repoId} @ ${r.commit.slice(0, 7)} (${formatBytes(r.bytesDownloaded)}).\n`);
    io.stdout.write(r.path + '\n');
  }
  return 0;
}

async function cache(argv: string[], io: CliIO): Promise<number> {
  const { values } = parse(argv, { ...COMMON, clear: { type: 'boolean' }, 'cache-dir': { type: 'string' } }, false);
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  const dir = values['cache-dir'] ?? defaultCacheDir();
  if (values.clear) {
    // Deletes only what the graph cache wrote, and only in a folder carrying its marker (graph-cache.ts).
    const freed = await clearGraphCache(dir);
    const kept = freed.kept ? ` (${freed.kept} other entries in ${freed.dir}/graphs left alone)` : '';
    if (values.json) printJson(io, { path: freed.dir, cleared: true, freedBytes: freed.bytes, files: freed.files, keptEntries: freed.kept });
    else io.stdout.write(`Cleared ${freed.dir}: ${formatBytes(freed.bytes)} in ${freed.files} files freed${kept}.\n`);
    return 0;
  }
  const all = await dirSize(dir);
  const graphs = await dirSize(`${dir}/graphs`);
  let graphCount = 0;
  try {
    graphCount = fs.readdirSync(`${dir}/graphs`).filter((n) => !n.includes('.tmp-')).length;
  } catch {
    graphCount = 0;
  }
  if (values.json) printJson(io, { path: dir, bytes: all.bytes, files: all.files, graphs: graphCount, graphBytes: graphs.bytes });
  else io.stdout.write(`${dir}: ${formatBytes(all.bytes)} in ${all.files} files (${graphCount} built ONNX graphs, ${formatBytes(graphs.bytes)}). Clear it with: chronos-lens models cache --clear\n`);
  return 0;
}

async function gpu(argv: string[], io: CliIO): Promise<number> {
  const { values } = parse(
    argv,
    { ...COMMON, status: { type: 'boolean' }, install: { type: 'boolean' }, remove: { type: 'boolean' }, force: { type: 'boolean' }, dir: { type: 'string' }, 'nuget-index': { type: 'string' } },
    false,
  );
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  const actions = [values.status, values.install, values.remove].filter(Boolean).length;
  if (actions > 1) throw new ChronosLensError('BAD_INPUT', 'models gpu takes one of --status, --install, --remove');
  const storageDir = values.dir ?? defaultGpuStorageDir();
  if (values.install) {
    const bar = downloadProgress(io, 'GPU support');
    let r;
    try {
      r = await installGpuSupport({ storageDir, endpoint: values['nuget-index'], force: values.force, signal: io.signal, onProgress: bar.onProgress });
    } finally {
      bar.done();
    }
    if (values.json) printJson(io, r);
    else {
      io.stdout.write(
        [
          r.alreadyInstalled ? `GPU support for onnxruntime ${r.ortVersion} is already installed.` : `Installed ${r.packageId} ${r.packageVersion} (SHA-512 verified, ${formatBytes(r.bytesDownloaded)} downloaded).`,
          `  folder     ${r.dir} (${formatBytes(r.sizeBytes)})`,
          `  providers  ${r.providerFiles.join(', ')}`,
          'Commands run with --provider cuda (or auto) now load ONNX Runtime from there; CUDA 12.x and cuDNN 9.x must be on the library path (see docs/gpu.md).',
        ].join('\n') + '\n',
      );
    }
    return 0;
  }
  if (values.remove) {
    const r = await removeGpuSupport(storageDir);
    if (values.json) printJson(io, { storageDir, ...r });
    else io.stdout.write(r.removed.length ? `Removed ${r.removed.length} item(s) from ${storageDir}, ${formatBytes(r.freedBytes)} freed.\n` : `Nothing to remove in ${storageDir}.\n`);
    return 0;
  }
  const st = await gpuSupportStatus(storageDir);
  const runtime = st.supported ? await checkCudaRuntime() : undefined;
  if (values.json) {
    printJson(io, { ...st, cudaRuntime: runtime });
    return 0;
  }
  const lines = [`ONNX Runtime ${st.ortVersion} on ${st.platform}-${st.arch}; GPU support folder ${st.storageDir}`];
  if (!st.supported) lines.push(`  CUDA provider: not available here. ${st.unsupportedReason ?? ''}`);
  else if (st.installed) lines.push(`  CUDA provider: installed in ${st.dir} (${st.package?.id} ${st.package?.version}, ${st.installedAt ?? ''})`);
  else lines.push(`  CUDA provider: not installed. Install it with: chronos-lens models gpu --install   (${st.package?.id} ${st.package?.version} from NuGet)`);
  for (const p of st.problems) lines.push(`  problem: ${p}`);
  for (const o of st.others) lines.push(`  also there: ${o.dir}${o.ortVersion ? ` (onnxruntime ${o.ortVersion})` : ''}, ${formatBytes(o.sizeBytes)}: remove with --remove`);
  if (st.sizeBytes) lines.push(`  disk use: ${formatBytes(st.sizeBytes)}`);
  if (runtime) {
    lines.push(`  needs: ${st.requirements}`);
    for (const l of runtime.libraries) lines.push(`    ${pad(l.role, 14)}${pad(l.library, 20)}${l.found ? l.found : l.notOnPath ? `in ${l.notOnPath}, which is not on the library path (add it to LD_LIBRARY_PATH)` : 'not found'}`);
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
