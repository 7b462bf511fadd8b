/**
 * The one module that imports onnxruntime-node. Everything else talks to ONNX Runtime through the
 * `OrtSession` interface with plain core tensors, so the rest of the code base never sees ORT types.
 *
 * Execution providers: ORT does not fall back by itself when a GPU provider cannot start, so we try
 * the requested provider and fall back to CPU, recording why (library missing, driver missing, out of
 * memory, ...). Intra-op threads default to the machine's cores with spinning off (so an idle session
 * does not burn CPU in the editor), and are capped (ORT aborts the whole process on absurd counts).
 *
 * Privacy: onnxruntime-node 1.2x+ on Linux and macOS starts Microsoft's telemetry client with every
 * environment, which creates a device id and an event database under
 * `$XDG_CACHE_HOME` or `~/.cache/Microsoft/DeveloperTools/.onnxruntime` (and may upload events). Its
 * documented switch is the ORT_DISABLE_TELEMETRY environment variable, read by the native library when
 * the environment is created, so it is set before the library is loaded, here and before the session
 * worker starts. Chronos Lens sends no telemetry of its own.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { ChronosLensError } from '../../core/errors';
import { FloatTensor, IntTensor } from '../../core/tensor';
import { bundledOrtPackage, packageVersion } from '../../core/gpu/ort-package';

export { bundledOrtPackage };

let ortModule: typeof Ort | undefined;
let ortModulePath = 'onnxruntime-node';

/**
 * Loads onnxruntime-node with a plain runtime require, on first use: importing this module costs
 * nothing (the extension activates without loading the native library), and a provisioned copy of the
 * package (e.g. one with the CUDA provider libraries next to libonnxruntime, see core/gpu) can be used
 * instead of the bundled one.
 */
/**
 * Turns ONNX Runtime's telemetry off for this process. Assigning process.env on the main thread sets
 * the real environment the native library reads (a worker's process.env is only a copy, hence the
 * call before the worker is created as well).
 */
export function disableOrtTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY = '1';
}

function ort(): typeof Ort {
  if (!ortModule) {
    disableOrtTelemetry();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ortModule = require(ortModulePath) as typeof Ort;
    // Provider start-up failures are reported through ProviderChoice.fallbackReason; keep ORT's own
    // logger from printing them to stderr as errors.
    ortModule.env.logLevel = 'fatal';
  }
  return ortModule;
}

/**
 * Uses the onnxruntime-node package at `dir` (a folder with its package.json) instead of the bundled
 * one. Must be called before the first session is created; returns false when it is too late.
 */
export function useOrtPackage(dir: string): boolean {
  if (ortModule) return false;
  ortModulePath = dir;
  return true;
}

/** The folder given to useOrtPackage, when a provisioned copy is (to be) used instead of the bundled package. */
export function ortPackageOverride(): string | undefined {
  return ortModulePath === 'onnxruntime-node' ? undefined : ortModulePath;
}

let loadedInWorker = false;

/** Called by worker-session.ts while its worker thread has onnxruntime-node loaded. */
export function setOrtLoadedInWorker(loaded: boolean): void {
  loadedInWorker = loaded;
}

/**
 * Whether onnxruntime-node has been loaded in this process, on this thread or in the session worker
 * (the extension checks that activation stays light, and whether a new ORT package needs a restart).
 */
export function ortLoaded(): boolean {
  return ortModule !== undefined || loadedInWorker;
}

/** GPU providers that already failed in this process, with the reason (not retried for every session). */
const failedProviders = new Map<string, string>();

export type ProviderName = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export type ProviderSetting = ProviderName | 'auto';
export const PROVIDER_SETTINGS: readonly ProviderSetting[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'];

export interface SessionConfig {
  provider?: ProviderSetting;
  /** Intra-op threads; default: the machine's logical cores. */
  threads?: number;
}

export interface ProviderChoice {
  requested: ProviderSetting;
  used: ProviderName;
  /** Why the requested GPU provider is not the one running, when it is not. */
  fallbackReason?: string;
}

export type Feed = FloatTensor | IntTensor;
export type Fetched = Record<string, FloatTensor>;

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly provider: ProviderChoice;
  /** Runs the graph. Float outputs only (every graph we build has float outputs). */
  run(feeds: Record<string, Feed>): Promise<Fetched>;
  release(): Promise<void>;
}

export function ortVersion(): string {
  // Read from the package in use without loading the native library (sessions may live in a worker).
  try {
    const override = ortPackageOverride();
    const v = override ? packageVersion(path.join(override, 'package.json')) : bundledOrtPackage().version;
    if (typeof v === 'string') return v;
  } catch {
    // fall back to the loaded module
  }
  const env = ort().env;
  return env.versions.node ?? env.versions.common ?? 'unknown';
}

/** Providers this onnxruntime-node build knows about (`bundled: false` ones need extra libraries). */
export function availableProviders(): { name: string; bundled: boolean }[] {
  try {
    return ort().listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
  } catch {
    return [{ name: 'cpu', bundled: true }];
  }
}

/** The GPU provider `auto` tries on this platform. */
export function platformGpuProvider(platform: NodeJS.Platform = process.platform): ProviderName | undefined {
  if (platform === 'darwin') return 'coreml';
  if (platform === 'win32') return 'dml';
  if (platform === 'linux') return 'cuda';
  return undefined;
}

/**
 * Turns a provider start-up error into a reason a user can act on. `packageDir`: the provisioned
 * onnxruntime-node copy in use (useOrtPackage), whose provider libraries are there but did not load.
 */
export function explainProviderFailure(provider: ProviderName, err: unknown, packageDir?: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  const lower = msg.toLowerCase();
  const libraryLoad = /libonnxruntime_providers_(cuda|shared|tensorrt)|cannot open shared object|\.dll|failed to load (shared )?library|loadlibrary/.test(lower);
  if (libraryLoad && packageDir && provider === 'cuda') {
    return `${provider} provider libraries in ${packageDir} could not be loaded (${firstLine(msg)}): the CUDA 12.x / cuDNN 9.x runtime libraries or the NVIDIA driver are missing from the library path (LD_LIBRARY_PATH / PATH), or the files are damaged. See docs/gpu.md.`;
  }
  if (libraryLoad) {
    return `${provider} provider library missing (${firstLine(msg)}). Run "Chronos Lens: Install GPU Support" (CLI: chronos-lens models gpu --install) or see docs/gpu.md.`;
  }
  if (/libcudart|libcublas|libcudnn|cudnn|cublas/.test(lower)) return `CUDA/cuDNN runtime libraries missing (${firstLine(msg)}).`;
  if (/no cuda-capable device|cuda driver|driver version|cudaerrorinsufficientdriver|cudaerrornodevice|no device/.test(lower)) {
    return `no usable GPU or driver for ${provider} (${firstLine(msg)}).`;
  }
  if (/out of memory|oom|failed to allocate/.test(lower)) return `${provider} ran out of memory (${firstLine(msg)}).`;
  if (/not supported|unsupported|is not a valid|no such backend|not available/.test(lower)) return `${provider} is not available in this build of onnxruntime-node (${firstLine(msg)}).`;
  return `${provider} failed to start: ${firstLine(msg)}`;
}

function firstLine(s: string): string {
  const l = s.split('\n')[0].trim();
  return l.length > 300 ? l.slice(0, 300) + '…' : l;
}

function sessionOptions(provider: ProviderName, threads: number): Ort.InferenceSession.SessionOptions {
  const eps: Ort.InferenceSession.ExecutionProviderConfig[] = provider === 'cpu' ? ['cpu'] : [provider, 'cpu'];
  return {
    executionProviders: eps,
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true,
    // Fatal only: a failing session or run comes back as an exception, which the adapters report as
    // one line; ORT's own error lines on stderr would be a second, raw copy of it.
    logSeverityLevel: 4,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

function toOrt(name: string, t: Feed): Ort.Tensor {
  const { Tensor } = ort();
  if (t.data instanceof Float32Array) return new Tensor('float32', t.data, t.dims as number[]);
  if (t.data instanceof BigInt64Array) return new Tensor('int64', t.data, t.dims as number[]);
  throw new ChronosLensError('RUNTIME', `input ${name}: unsupported tensor data type`);
}

class NodeOrtSession implements OrtSession {
  constructor(
    private readonly s: Ort.InferenceSession,
    readonly provider: ProviderChoice,
  ) {}

  get inputNames(): readonly string[] {
    return this.s.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.s.outputNames;
  }

  async run(feeds: Record<string, Feed>): Promise<Fetched> {
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const name of this.s.inputNames) {
      const t = feeds[name];
      if (!t) throw new ChronosLensError('RUNTIME', `graph input "${name}" was not provided`);
      ortFeeds[name] = toOrt(name, t);
    }
    let out: Ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.s.run(ortFeeds);
    } catch (e) {
      throw new ChronosLensError('RUNTIME', `ONNX Runtime failed: ${firstLine(e instanceof Error ? e.message : String(e))}`, { cause: e });
    }
    const result: Fetched = {};
    for (const [name, v] of Object.entries(out)) {
      const t = v as Ort.Tensor;
      if (t.type !== 'float32') throw new ChronosLensError('RUNTIME', `output ${name} has type ${t.type}; expected float32`);
      result[name] = { data: t.data as Float32Array, dims: t.dims.slice() };
    }
    return result;
  }

  async release(): Promise<void> {
    await this.s.release();
  }
}

function logicalCores(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/** The most intra-op threads a session may ask for: 4 x the logical cores (more only slows it down). */
export function maxThreads(): number {
  return 4 * logicalCores();
}

/**
 * The intra-op thread count for a `threads` setting: 0 or absent = one per logical core; anything
 * that is not a whole number from 0 to maxThreads() is a BAD_INPUT error (a huge count makes ORT abort
 * the process instead of failing).
 */
export function resolveThreads(threads: number | undefined): number {
  if (threads === undefined || threads === 0) return logicalCores();
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 0) {
    throw new ChronosLensError('BAD_INPUT', `threads must be a whole number from 0 (one per logical core) to ${maxThreads()}, got ${String(threads).slice(0, 40)}`);
  }
  if (threads > maxThreads()) {
    throw new ChronosLensError('BAD_INPUT', `threads ${threads} is more than ${maxThreads()} (4 x the ${logicalCores()} logical cores here); use at most ${maxThreads()}, or 0 for one per core`);
  }
  return threads;
}

/**
 * Creates a session from serialised model bytes or a model.onnx path (needed for external data).
 * Falls back to CPU when a GPU provider cannot start, recording the reason in `provider`.
 */
export async function createSession(source: { bytes?: Uint8Array; path?: string }, cfg: SessionConfig = {}): Promise<OrtSession> {
  const requested = cfg.provider ?? 'auto';
  const threads = resolveThreads(cfg.threads);
  const open = (p: ProviderName) => {
    const opts = sessionOptions(p, threads);
    if (source.path) return ort().InferenceSession.create(source.path, opts);
    if (source.bytes) return ort().InferenceSession.create(source.bytes, opts);
    throw new ChronosLensError('RUNTIME', 'createSession needs model bytes or a path');
  };
  let gpu: ProviderName | undefined;
  if (requested === 'auto') gpu = platformGpuProvider();
  else if (requested !== 'cpu') gpu = requested;

  let fallbackReason: string | undefined;
  if (gpu) {
    const known = availableProviders().find((b) => b.name === gpu);
    const failed = failedProviders.get(gpu);
    if (failed) {
      fallbackReason = failed;
    } else if (!known) {
      fallbackReason = `${gpu} is not available in this build of onnxruntime-node on ${process.platform}-${process.arch}.`;
    } else {
      try {
        const s = await open(gpu);
        return new NodeOrtSession(s, { requested, used: gpu });
      } catch (e) {
        fallbackReason = explainProviderFailure(gpu, e, ortPackageOverride());
        failedProviders.set(gpu, fallbackReason);
      }
    }
  }
  try {
    const s = await open('cpu');
    return new NodeOrtSession(s, { requested, used: 'cpu', fallbackReason: requested === 'cpu' ? undefined : fallbackReason });
  } catch (e) {
    throw new ChronosLensError('RUNTIME', `ONNX Runtime could not load the model: ${firstLine(e instanceof Error ? e.message : String(e))}`, { cause: e });
  }
}
