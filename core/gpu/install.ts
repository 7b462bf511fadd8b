/**
 * Provisioning ONNX Runtime's CUDA execution provider for onnxruntime-node, on the user's request. One
 * job, kept in one file on purpose: the numbered steps below share one staging folder and one rollback.
 *
 * onnxruntime-node ships CPU (and DirectML / CoreML / WebGPU) inside its npm package, but not the CUDA
 * provider libraries: its postinstall script fetches them from NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux,
 * the same version) into `bin/napi-v6/linux/x64/`, next to libonnxruntime, where libonnxruntime looks for
 * them. We skip that script (.npmrc) and do the same on request, without touching the installed package:
 *
 *   1. resolve the package on the NuGet feed (core/gpu/nuget.ts): download URL and the SHA-512 the feed's
 *      catalog publishes;
 *   2. download it resumably to `<storageDir>/.downloads/` and refuse it unless size and SHA-512 match;
 *   3. stage a complete copy of onnxruntime-node (its JS, the platform's binding and libonnxruntime, and
 *      onnxruntime-common under its node_modules/) plus the provider libraries from the package in a
 *      temporary folder, then rename it to `<storageDir>/onnxruntime-gpu-<version>-<platform>-<arch>/`.
 *
 * `useOrtPackage(thatDir)` (models/runtime/ort.ts) then loads onnxruntime-node from the staged copy, and
 * its libonnxruntime finds the CUDA provider next to itself. The CUDA 12 runtime and cuDNN 9 must be
 * installed on the machine (docs/gpu.md); without them the provider fails to start and the runner falls
 * back to CPU with the reason.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CancelledError, ChronosLensError } from '../errors';
import type { ProgressUpdate } from '../progress';
import { dirSize, formatBytes } from '../hub/dirsize';
import type { HttpSettings } from '../hub/http';
import { HubError } from '../hub/hub-error';
import { acquireLock } from '../hub/lock';
import type { Env, NetworkOptions } from '../hub/settings';
import { freeBytes, formatEta } from '../hub/http-download';
import { fetchVerified, ioError } from './fetch';
import { bundledOrtPackage } from './ort-package';
import { CUDA_REQUIREMENTS, gpuPackageFor, type GpuPackageSpec } from './metadata';
import { resolveNugetPackage } from './nuget';
import { extractEntries, listZip } from './zip';

export const MARKER_FILE = 'chronos-lens-gpu.json';
const DOWNLOADS = '.downloads';
const STAGED_PREFIX = 'onnxruntime-gpu-';

export interface GpuInstallProgress extends ProgressUpdate {
  phase: 'resolving' | 'waiting' | 'downloading' | 'verifying' | 'staging' | 'extracting' | 'done';
  /** Package bytes on disk (including bytes resumed from an earlier try) and its size. */
  bytesDone?: number;
  bytesTotal?: number;
  /** Recent transfer speed (bytes/s) and seconds left at that speed, while downloading. */
  bytesPerSecond?: number;
  etaSeconds?: number;
}

export interface GpuNetworkOptions extends NetworkOptions {
  /**
   * NuGet v3 service index URL. Default: `CHRONOS_LENS_NUGET_INDEX` from the environment, else the feed
   * onnxruntime-node's install metadata names (https://api.nuget.org/v3/index.json).
   */
  endpoint?: string;
}

export interface GpuTargetOptions {
  /** Default: the version of the onnxruntime-node package that is copied (the bundled one: ortVersion()). */
  version?: string;
  platform?: string;
  arch?: string;
  /** The onnxruntime-node package to copy (default: the bundled one). */
  sourcePackageDir?: string;
}

export interface InstallGpuOptions extends GpuNetworkOptions, GpuTargetOptions {
  storageDir: string;
  signal?: AbortSignal;
  onProgress?: (p: GpuInstallProgress) => void;
  /** Reinstall even when a complete staged copy is there. */
  force?: boolean;
  /** Resumes (Range) after a cut transfer (default 3). */
  retries?: number;
  retryDelayMs?: number;
  /** Keep the verified .nupkg in `<storageDir>/.downloads/` (default: deleted once staged). */
  keepDownload?: boolean;
}

export interface GpuPackageMarker {
  format: 1;
  ortVersion: string;
  platform: string;
  arch: string;
  flavor: string;
  package: { id: string; version: string; sha512: string; size?: number; url: string };
  providerFiles: string[];
  installedAt: string;
}

export interface GpuInstallResult {
  /** The staged onnxruntime-node package: pass it to useOrtPackage(). */
  dir: string;
  ortVersion: string;
  platform: string;
  arch: string;
  packageId: string;
  packageVersion: string;
  /** SHA-512 (base64) the package was verified against. */
  sha512: string;
  providerFiles: string[];
  /** Bytes transferred by this call (0 when it was already installed or fully downloaded before). */
  bytesDownloaded: number;
  sizeBytes: number;
  /** Nothing was done: a complete staged copy for this version was already there. */
  alreadyInstalled: boolean;
}

export interface StagedGpuPackage {
  dir: string;
  ortVersion?: string;
  platform?: string;
  arch?: string;
  sizeBytes: number;
}

export interface GpuSupportStatus {
  storageDir: string;
  ortVersion: string;
  platform: string;
  arch: string;
  /** Whether onnxruntime-node has a CUDA provider for this platform at all. */
  supported: boolean;
  unsupportedReason?: string;
  /** The NuGet package that holds it. */
  package?: { id: string; version: string };
  /** A complete staged copy for this ORT version / platform / arch is there (see `dir`). */
  installed: boolean;
  dir?: string;
  installedAt?: string;
  sha512?: string;
  providerFiles?: string[];
  /** Problems of the staged copy that keep CUDA from starting (missing file, not a shared library). */
  problems: string[];
  /** Staged copies for other ORT versions or platforms (left by an update), and leftovers: removable. */
  others: StagedGpuPackage[];
  /** Everything GPU support takes in storageDir (staged copies, downloads, leftovers). */
  sizeBytes: number;
  /** What the machine needs for the CUDA provider to start. */
  requirements: string;
}

/** `<storageDir>/onnxruntime-gpu-<version>-<platform>-<arch>`. */
export function gpuPackageDir(storageDir: string, version: string, platform: string = process.platform, arch: string = process.arch): string {
  return path.join(path.resolve(storageDir), `${STAGED_PREFIX}${version}-${platform}-${arch}`);
}

/**
 * The default storage folder outside VS Code (the CLI): `CHRONOS_LENS_GPU_DIR`, else
 * `$XDG_DATA_HOME/chronos-lens/gpu` (~/.local/share/chronos-lens/gpu), `%LOCALAPPDATA%\chronos-lens\gpu` on
 * Windows, `~/Library/Application Support/chronos-lens/gpu` on macOS. Not in the cache folder, so clearing
 * the graph cache does not delete a large download.
 */
export function defaultGpuStorageDir(env: Env = process.env, platform: string = process.platform): string {
  if (env.CHRONOS_LENS_GPU_DIR) return path.resolve(env.CHRONOS_LENS_GPU_DIR);
  let base: string;
  if (platform === 'win32') base = env.LOCALAPPDATA || path.join(os.homedir(), 'AppData', 'Local');
  else if (platform === 'darwin') base = path.join(os.homedir(), 'Library', 'Application Support');
  else base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'chronos-lens', 'gpu');
}

interface Target {
  version: string;
  platform: string;
  arch: string;
  sourceDir: string;
}

function resolveTarget(o: GpuTargetOptions): Target {
  let sourceDir: string;
  let sourceVersion: string;
  if (o.sourcePackageDir) {
    sourceDir = path.resolve(o.sourcePackageDir);
    try {
      sourceVersion = String((JSON.parse(fs.readFileSync(path.join(sourceDir, 'package.json'), 'utf8')) as { version: unknown }).version);
    } catch (e) {
      throw new ChronosLensError('BAD_INPUT', `${sourceDir} is not an onnxruntime-node package folder (no readable package.json).`, { cause: e });
    }
  } else {
    const b = bundledOrtPackage();
    sourceDir = b.dir;
    sourceVersion = b.version;
  }
  const version = o.version ?? sourceVersion;
  if (version !== sourceVersion) {
    throw new ChronosLensError('BAD_INPUT', `The CUDA provider libraries must match the onnxruntime-node they load into: that package (${sourceDir}) is ${sourceVersion}, not ${version}.`);
  }
  return { version, platform: o.platform ?? process.platform, arch: o.arch ?? process.arch, sourceDir };
}

function lookup(t: Target): { spec?: GpuPackageSpec; reason?: string } {
  const r = gpuPackageFor(t.version, t.platform, t.arch, t.sourceDir);
  return r.supported ? { spec: r.spec } : { reason: r.reason };
}

async function readMarker(dir: string): Promise<GpuPackageMarker | undefined> {
  try {
    const m = JSON.parse(await fs.promises.readFile(path.join(dir, MARKER_FILE), 'utf8')) as GpuPackageMarker;
    if (!m || m.format !== 1 || typeof m.ortVersion !== 'string' || typeof m.platform !== 'string' || typeof m.arch !== 'string') return undefined;
    if (!Array.isArray(m.providerFiles) || !m.providerFiles.every((f) => typeof f === 'string' && f === path.basename(f))) return undefined;
    // Hand-made markers (docs/gpu.md) may leave out the package block.
    const p = (m.package ?? {}) as Partial<GpuPackageMarker['package']>;
    m.package = { id: String(p.id ?? ''), version: String(p.version ?? m.ortVersion), sha512: String(p.sha512 ?? ''), size: p.size, url: String(p.url ?? '') };
    return m;
  } catch {
    return undefined;
  }
}

function binDir(dir: string, platform: string, arch: string): string {
  return path.join(dir, 'bin', 'napi-v6', platform, arch);
}

/** Missing pieces of a staged copy (empty: it is complete). */
async function missingPieces(dir: string, m: GpuPackageMarker, spec?: GpuPackageSpec): Promise<string[]> {
  const bin = binDir(dir, m.platform, m.arch);
  const need = [
    path.join(dir, 'package.json'),
    path.join(dir, 'dist', 'index.js'),
    path.join(dir, 'node_modules', 'onnxruntime-common', 'package.json'),
    path.join(bin, 'onnxruntime_binding.node'),
    ...(spec ? spec.files.filter((f) => f.required).map((f) => path.join(bin, f.name)) : m.providerFiles.map((f) => path.join(bin, f))),
  ];
  const out: string[] = [];
  for (const p of need) {
    if (!fs.existsSync(p)) out.push(`${path.relative(dir, p)} is missing`);
  }
  return out;
}

/** Native libraries that are not what the platform can load (a damaged or wrong file). */
async function libraryProblems(dir: string, m: GpuPackageMarker): Promise<string[]> {
  const out: string[] = [];
  const bin = binDir(dir, m.platform, m.arch);
  for (const f of m.providerFiles) {
    const p = path.join(bin, f);
    let head = Buffer.alloc(0);
    try {
      const fh = await fs.promises.open(p, 'r');
      try {
        const b = Buffer.alloc(4);
        const { bytesRead } = await fh.read(b, 0, 4, 0);
        head = b.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    } catch {
      continue; // reported as missing
    }
    if (m.platform === 'win32' ? head.subarray(0, 2).toString('latin1') !== 'MZ' : m.platform === 'darwin' ? head.length < 4 : !head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
      out.push(`${f} is not ${m.platform === 'win32' ? 'a Windows DLL' : 'an ELF shared library'}: the provider cannot load it`);
    }
  }
  return out;
}

/**
 * The staged package folder to pass to useOrtPackage(), when a complete one for the bundled (or given)
 * onnxruntime-node version exists; undefined otherwise. Cheap: reads one small file and checks that files
 * exist, never loads ORT.
 */
export async function findGpuPackage(storageDir: string, o: GpuTargetOptions = {}): Promise<string | undefined> {
  let t: Target;
  try {
    t = resolveTarget(o);
  } catch {
    return undefined;
  }
  const dir = gpuPackageDir(storageDir, t.version, t.platform, t.arch);
  const m = await readMarker(dir);
  if (!m || m.ortVersion !== t.version || m.platform !== t.platform || m.arch !== t.arch) return undefined;
  return (await missingPieces(dir, m)).length === 0 ? dir : undefined;
}

async function listStorage(storageDir: string): Promise<fs.Dirent[]> {
  try {
    return await fs.promises.readdir(storageDir, { withFileTypes: true });
  } catch {
    return [];
  }
}

const isOurs = (name: string) => name.startsWith(STAGED_PREFIX) || name.startsWith('.staging-') || name.startsWith('.old-') || name === DOWNLOADS;

export async function gpuSupportStatus(storageDir: string, o: GpuTargetOptions = {}): Promise<GpuSupportStatus> {
  const t = resolveTarget(o);
  const root = path.resolve(storageDir);
  const { spec, reason } = lookup(t);
  const dir = gpuPackageDir(root, t.version, t.platform, t.arch);
  const status: GpuSupportStatus = {
    storageDir: root,
    ortVersion: t.version,
    platform: t.platform,
    arch: t.arch,
    supported: !!spec,
    unsupportedReason: reason,
    package: spec ? { id: spec.packageId, version: spec.packageVersion } : undefined,
    installed: false,
    problems: [],
    others: [],
    sizeBytes: 0,
    requirements: CUDA_REQUIREMENTS,
  };
  const m = await readMarker(dir);
  if (m && m.ortVersion === t.version && m.platform === t.platform && m.arch === t.arch) {
    const missing = await missingPieces(dir, m, spec);
    status.installed = missing.length === 0;
    status.dir = dir;
    status.installedAt = m.installedAt;
    status.sha512 = m.package.sha512 || undefined;
    status.providerFiles = m.providerFiles;
    status.problems = [...missing, ...(await libraryProblems(dir, m))];
  } else if (fs.existsSync(dir)) {
    status.problems.push(`${dir} is incomplete (no valid ${MARKER_FILE}); install again or remove it`);
  }
  for (const e of await listStorage(root)) {
    if (!isOurs(e.name)) continue;
    const p = path.join(root, e.name);
    const { bytes: size, files } = await dirSize(p);
    if (e.name === DOWNLOADS && files === 0) continue;
    status.sizeBytes += size;
    if (p === dir && status.installed) continue;
    const om = e.name.startsWith(STAGED_PREFIX) ? await readMarker(p) : undefined;
    status.others.push({ dir: p, ortVersion: om?.ortVersion, platform: om?.platform, arch: om?.arch, sizeBytes: size });
  }
  return status;
}

/**
 * Deletes staged GPU packages, downloads and leftovers in storageDir (with `onlyStale`, everything but the
 * complete copy for the current ORT version). A copy the running process loaded stays usable until it
 * exits on Linux and macOS; on Windows its files are locked, so restart first.
 */
export async function removeGpuSupport(storageDir: string, o: GpuTargetOptions & { onlyStale?: boolean } = {}): Promise<{ removed: string[]; freedBytes: number }> {
  const root = path.resolve(storageDir);
  let keep: string | undefined;
  if (o.onlyStale) keep = await findGpuPackage(root, o);
  const removed: string[] = [];
  let freed = 0;
  for (const e of await listStorage(root)) {
    if (!isOurs(e.name)) continue;
    const p = path.join(root, e.name);
    if (keep && p === keep) continue;
    const size = (await dirSize(p)).bytes;
    try {
      await fs.promises.rm(p, { recursive: true, force: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const hint = code === 'EBUSY' || code === 'EPERM' ? ' A process is still using it: close the windows and terminals that run Chronos Lens, then try again.' : '';
      throw new ChronosLensError('IO', `Cannot remove ${p}: ${(err as Error).message}.${hint}`, { cause: err });
    }
    removed.push(p);
    freed += size;
  }
  return { removed, freedBytes: freed };
}

// ---------------------------------------------------------------------------------------------------
// install

interface CopyItem {
  from: string;
  to: string;
  size: number;
}

async function collectCopies(from: string, to: string, out: CopyItem[], skip?: (rel: string) => boolean, rel = ''): Promise<void> {
  const st = await fs.promises.stat(from);
  if (st.isDirectory()) {
    for (const e of await fs.promises.readdir(from)) {
      const r = rel ? `${rel}/${e}` : e;
      if (skip?.(r)) continue;
      await collectCopies(path.join(from, e), path.join(to, e), out, skip, r);
    }
  } else if (st.isFile()) {
    out.push({ from, to, size: st.size });
  }
}

function packageRoot(start: string, name: string): string | undefined {
  let dir = path.dirname(start);
  for (;;) {
    try {
      const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pj.name === name) return dir;
    } catch {
      /* keep walking up */
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The files of a working onnxruntime-node package for one platform, and onnxruntime-common beside it. */
async function planCopy(t: Target, spec: GpuPackageSpec, stage: string): Promise<CopyItem[]> {
  const items: CopyItem[] = [];
  const src = t.sourceDir;
  const providerNames = new Set(spec.files.map((f) => f.name));
  for (const f of await fs.promises.readdir(src)) {
    if (f === 'package.json' || /^(LICENSE|README|ThirdPartyNotices)/i.test(f)) await collectCopies(path.join(src, f), path.join(stage, f), items);
  }
  await collectCopies(path.join(src, 'dist'), path.join(stage, 'dist'), items);
  const bin = path.join(src, 'bin', 'napi-v6', t.platform, t.arch);
  if (!fs.existsSync(path.join(bin, 'onnxruntime_binding.node'))) {
    throw new ChronosLensError('RUNTIME', `${src} has no onnxruntime binding for ${t.platform}-${t.arch} (${bin}).`);
  }
  // Provider libraries a previous install left in the source package are replaced by the verified ones.
  await collectCopies(bin, binDir(stage, t.platform, t.arch), items, (rel) => providerNames.has(rel));
  let common: string | undefined;
  try {
    common = packageRoot(require.resolve('onnxruntime-common', { paths: [src] }), 'onnxruntime-common');
  } catch {
    common = undefined;
  }
  if (!common) throw new ChronosLensError('RUNTIME', `onnxruntime-common, which onnxruntime-node needs, was not found next to ${src}.`);
  await collectCopies(common, path.join(stage, 'node_modules', 'onnxruntime-common'), items, (rel) => rel === 'node_modules' || rel === 'lib');
  return items;
}

/** Network failures with the hub's offline advice replaced by advice for the NuGet feed. */
function feedError(e: unknown): unknown {
  if (!(e instanceof HubError) || !['unreachable', 'dns', 'timeout', 'tls'].includes(e.reason)) return e;
  const what = e.message.replace(/[;:]? *(to work offline|are you offline\?|set HF_HUB_OFFLINE).*$/is, '').replace(/\.?$/, '.');
  return new HubError(e.code, e.reason, `${what} GPU support is downloaded from that NuGet feed: check the network and the proxy setting, point CHRONOS_LENS_NUGET_INDEX / the endpoint option at a mirror, or copy the provider libraries by hand (docs/gpu.md).`, { cause: e, status: e.status });
}

const fetchVerifiedOrExplain = (o: Parameters<typeof fetchVerified>[0]) =>
  fetchVerified(o).catch((e: unknown) => {
    throw feedError(e);
  });

const WEIGHTS = { downloading: [0, 0.8], verifying: [0.8, 0.85], staging: [0.85, 0.9], extracting: [0.9, 1] } as const;

/**
 * Installs ONNX Runtime's CUDA provider for onnxruntime-node into `storageDir` (see the module comment)
 * and returns the staged package folder for useOrtPackage(). Idempotent: a complete copy for the version
 * is reused without network access (unless `force`). Cancelling keeps the partial download for the next
 * call and leaves nothing half-staged.
 */
export async function installGpuSupport(o: InstallGpuOptions): Promise<GpuInstallResult> {
  const t = resolveTarget(o);
  const { spec, reason } = lookup(t);
  if (!spec) throw new ChronosLensError('RUNTIME', reason ?? 'No CUDA provider for this platform.');
  const root = path.resolve(o.storageDir);
  const finalDir = gpuPackageDir(root, t.version, t.platform, t.arch);
  const emit = (p: GpuInstallProgress) => {
    try {
      o.onProgress?.(p);
    } catch {
      /* a failing progress callback must not break the install */
    }
  };
  const sub = (phase: keyof typeof WEIGHTS, f: number) => WEIGHTS[phase][0] + (WEIGHTS[phase][1] - WEIGHTS[phase][0]) * Math.max(0, Math.min(1, f));
  const label = `${spec.packageId} ${spec.packageVersion}`;
  if (o.signal?.aborted) throw new CancelledError('GPU support installation cancelled.');

  const existingResult = async (): Promise<GpuInstallResult | undefined> => {
    if (o.force) return undefined;
    const m = await readMarker(finalDir);
    if (!m || m.ortVersion !== t.version || m.platform !== t.platform || m.arch !== t.arch || (await missingPieces(finalDir, m, spec)).length) return undefined;
    return {
      dir: finalDir,
      ortVersion: t.version,
      platform: t.platform,
      arch: t.arch,
      packageId: m.package.id,
      packageVersion: m.package.version,
      sha512: m.package.sha512,
      providerFiles: m.providerFiles,
      bytesDownloaded: 0,
      sizeBytes: (await dirSize(finalDir)).bytes,
      alreadyInstalled: true,
    };
  };
  const early = await existingResult();
  if (early) {
    emit({ phase: 'done', fraction: 1, message: `GPU support for onnxruntime ${t.version} is already installed` });
    return early;
  }

  try {
    await fs.promises.mkdir(root, { recursive: true });
  } catch (e) {
    throw ioError(e, `creating ${root}`, root);
  }
  const lock = await acquireLock(path.join(root, '.gpu-install.chronos-lens.lock'), {
    signal: o.signal,
    onWait: () => emit({ phase: 'waiting', message: 'Waiting for another installation of GPU support to finish' }),
  }).catch((e) => {
    throw e instanceof CancelledError ? e : ioError(e, `locking ${root}`, root);
  });
  let stage: string | undefined;
  try {
    // Another process may have finished it while we waited.
    const done = await existingResult();
    if (done) {
      emit({ phase: 'done', fraction: 1, message: `GPU support for onnxruntime ${t.version} is already installed` });
      return done;
    }
    // Leftovers of crashed runs.
    for (const e of await listStorage(root)) {
      if (e.name.startsWith('.staging-') || e.name.startsWith('.old-')) await fs.promises.rm(path.join(root, e.name), { recursive: true, force: true }).catch(() => undefined);
    }

    // 1. Where is it, and what is its checksum?
    const env = o.env ?? process.env;
    const indexUrlText = o.endpoint || env.CHRONOS_LENS_NUGET_INDEX || spec.feedIndex;
    let indexUrl: URL;
    try {
      indexUrl = new URL(indexUrlText);
    } catch (e) {
      throw new ChronosLensError('BAD_INPUT', `The NuGet feed "${indexUrlText}" is not a URL (expected a v3 service index such as https://api.nuget.org/v3/index.json).`, { cause: e });
    }
    const http: HttpSettings = { proxy: o.proxy, noProxy: o.noProxy, ca: o.ca, strictSSL: o.strictSSL, timeoutMs: o.timeoutMs ?? 30_000, env, signal: o.signal };
    emit({ phase: 'resolving', fraction: 0, message: `Looking up ${label} on ${indexUrl.host}` });
    const pkg = await resolveNugetPackage(indexUrl, spec.packageId, spec.packageVersion, http).catch((e: unknown) => {
      throw feedError(e);
    });

    // 2. Download and verify.
    const downloads = path.join(root, DOWNLOADS);
    const nupkg = path.join(downloads, `${pkg.id.toLowerCase()}.${pkg.version.toLowerCase()}.nupkg`);
    let bytesDownloaded = 0;
    const haveVerified = fs.existsSync(nupkg) && fs.existsSync(`${nupkg}.sha512`) && fs.readFileSync(`${nupkg}.sha512`, 'utf8').trim() === pkg.sha512;
    if (!haveVerified) {
      await fs.promises.rm(nupkg, { force: true });
      if (pkg.size !== undefined) {
        const have = fs.existsSync(`${nupkg}.partial`) ? fs.statSync(`${nupkg}.partial`).size : 0;
        await fs.promises.mkdir(downloads, { recursive: true }).catch((e) => {
          throw ioError(e, `creating ${downloads}`, root);
        });
        const free = await freeBytes(downloads);
        if (free !== undefined && pkg.size - have > free) {
          throw new HubError('IO', 'no-space', `Not enough free space for GPU support: the package needs ${formatBytes(pkg.size - have)} more in ${downloads}, and only ${formatBytes(free)} is free.`);
        }
      }
      bytesDownloaded = await fetchVerifiedOrExplain({
        url: pkg.contentUrl,
        dest: nupkg,
        sha512: pkg.sha512,
        size: pkg.size,
        http,
        retries: o.retries ?? 3,
        retryDelayMs: o.retryDelayMs ?? 1000,
        signal: o.signal,
        onProgress: (p) => {
          let text = `Downloading ${label}: ${formatBytes(p.bytesDone)}${p.bytesTotal ? ` of ${formatBytes(p.bytesTotal)}` : ''}`;
          if (p.bytesPerSecond) text += `, ${formatBytes(Math.round(p.bytesPerSecond))}/s`;
          if (p.etaSeconds !== undefined) text += `, ${formatEta(p.etaSeconds)} left`;
          if (p.resumedFrom > 0) text += ` (resumed at ${formatBytes(p.resumedFrom)})`;
          emit({ phase: 'downloading', fraction: p.bytesTotal ? sub('downloading', p.bytesDone / p.bytesTotal) : undefined, message: text, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds });
        },
        onVerify: () => {
          emit({ phase: 'verifying', fraction: sub('verifying', 0), message: `Verifying the SHA-512 of ${label}` });
        },
      });
      await fs.promises.writeFile(`${nupkg}.sha512`, pkg.sha512).catch((e) => {
        throw ioError(e, `writing ${nupkg}.sha512`, root);
      });
    }

    // 3. What goes where, and is there room?
    const entries = await listZip(nupkg);
    const missing = spec.files.filter((f) => f.required && !entries.has(f.pathInPackage));
    if (missing.length) {
      throw new HubError('NETWORK', 'bad-response', `${label} does not contain ${missing.map((f) => f.pathInPackage).join(', ')}: it is not the ONNX Runtime GPU package onnxruntime-node ${t.version} expects.`);
    }
    const toExtract = spec.files.filter((f) => entries.has(f.pathInPackage));
    const extractBytes = toExtract.reduce((a, f) => a + (entries.get(f.pathInPackage) ?? 0), 0);
    stage = path.join(root, `.staging-${path.basename(finalDir)}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
    const copies = await planCopy(t, spec, stage);
    const copyBytes = copies.reduce((a, c) => a + c.size, 0);
    const free = await freeBytes(root);
    if (free !== undefined && extractBytes + copyBytes > free) {
      throw new HubError('IO', 'no-space', `Not enough free space for GPU support: staging needs ${formatBytes(extractBytes + copyBytes)} in ${root}, and only ${formatBytes(free)} is free. The verified download is kept.`);
    }

    // 4. Stage: a copy of onnxruntime-node, then the provider libraries next to libonnxruntime.
    let copied = 0;
    emit({ phase: 'staging', fraction: sub('staging', 0), message: `Copying onnxruntime-node ${t.version}` });
    try {
      for (const c of copies) {
        if (o.signal?.aborted) throw new CancelledError('GPU support installation cancelled.');
        await fs.promises.mkdir(path.dirname(c.to), { recursive: true });
        await fs.promises.copyFile(c.from, c.to, fs.constants.COPYFILE_FICLONE);
        copied += c.size;
        emit({ phase: 'staging', fraction: sub('staging', copyBytes ? copied / copyBytes : 1), message: `Copying onnxruntime-node ${t.version}` });
      }
    } catch (e) {
      throw e instanceof ChronosLensError ? e : ioError(e, `copying onnxruntime-node to ${stage}`, root);
    }
    const bin = binDir(stage, t.platform, t.arch);
    await fs.promises.mkdir(bin, { recursive: true });
    let extracted = 0;
    emit({ phase: 'extracting', fraction: sub('extracting', 0), message: `Extracting the CUDA provider from ${label}` });
    let found: Set<string>;
    try {
      found = await extractEntries(nupkg, new Map(toExtract.map((f) => [f.pathInPackage, path.join(bin, f.name)])), {
        signal: o.signal,
        onBytes: (n) => {
          extracted += n;
          emit({ phase: 'extracting', fraction: sub('extracting', extractBytes ? extracted / extractBytes : 1), message: `Extracting the CUDA provider from ${label}: ${formatBytes(extracted)} of ${formatBytes(extractBytes)}` });
        },
      });
    } catch (e) {
      throw e instanceof ChronosLensError ? e : ioError(e, `extracting ${label} to ${bin}`, root);
    }
    const providerFiles = toExtract.filter((f) => found.has(f.pathInPackage)).map((f) => f.name);
    const marker: GpuPackageMarker = {
      format: 1,
      ortVersion: t.version,
      platform: t.platform,
      arch: t.arch,
      flavor: spec.flavor,
      package: { id: pkg.id, version: pkg.version, sha512: pkg.sha512, size: pkg.size, url: pkg.contentUrl.href },
      providerFiles,
      installedAt: new Date().toISOString(),
    };
    await fs.promises.writeFile(path.join(stage, MARKER_FILE), JSON.stringify(marker, null, 2) + '\n');

    // 5. Swap it in: rename the staged folder over the final one (the old one, if any, is moved aside first).
    if (o.signal?.aborted) throw new CancelledError('GPU support installation cancelled.');
    let old: string | undefined;
    try {
      if (fs.existsSync(finalDir)) {
        old = path.join(root, `.old-${path.basename(finalDir)}-${crypto.randomBytes(4).toString('hex')}`);
        await fs.promises.rename(finalDir, old);
      }
      await fs.promises.rename(stage, finalDir);
      stage = undefined;
    } catch (e) {
      if (old && !fs.existsSync(finalDir)) await fs.promises.rename(old, finalDir).catch(() => undefined);
      const code = (e as NodeJS.ErrnoException).code;
      const hint = code === 'EBUSY' || code === 'EPERM' ? ' The previous copy is in use: close the windows and terminals that run Chronos Lens, then try again.' : '';
      throw new ChronosLensError('IO', `Cannot move the staged GPU package to ${finalDir}: ${(e as Error).message}.${hint}`, { cause: e });
    }
    if (old) await fs.promises.rm(old, { recursive: true, force: true }).catch(() => undefined);
    if (!o.keepDownload) {
      await fs.promises.rm(nupkg, { force: true }).catch(() => undefined);
      await fs.promises.rm(`${nupkg}.sha512`, { force: true }).catch(() => undefined);
      await fs.promises.rmdir(downloads).catch(() => undefined); // only when empty
    }
    const sizeBytes = (await dirSize(finalDir)).bytes;
    emit({ phase: 'done', fraction: 1, message: `Installed the CUDA provider for onnxruntime ${t.version} (${formatBytes(sizeBytes)})` });
    return {
      dir: finalDir,
      ortVersion: t.version,
      platform: t.platform,
      arch: t.arch,
      packageId: pkg.id,
      packageVersion: pkg.version,
      sha512: pkg.sha512,
      providerFiles,
      bytesDownloaded,
      sizeBytes,
      alreadyInstalled: false,
    };
  } finally {
    if (stage) await fs.promises.rm(stage, { recursive: true, force: true }).catch(() => undefined);
    await lock.release().catch(() => undefined);
  }
}
