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
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/**
 * A graph ONNX Runtime has already optimised for this machine's CPU (cached next to the graph it was made
 * from, models/runtime/sessions.ts), and where to write one. Creating a CPU session from a plain graph runs
 * the graph optimisers and then pre-packs every MatMul weight into MLAS's blocked layout, a copy of all the
 * weights made in memory each time (most of a cached base-size model's session creation); written out with
 * `session.save_external_prepacked_constant_initializers`, the packed weights live in the optimised graph's
 * external data file, which ONNX Runtime maps instead of reading, so later sessions skip both steps.
 * Used only when the session runs on the CPU provider: the packed layout is the CPU kernels' own.
 */
export interface OptimizedGraphFiles {
  /** model.onnx of an optimised graph to open as it is (graph optimisations off). */
  load?: string;
  /** An existing empty folder to write the optimised graph into (model.onnx, model.onnx.data) when `load` is not used. */
  saveDir?: string;
}

/** What happened to the optimised graph of a CPU session (absent: none was asked for, or a GPU provider runs). */
export interface OptimizedGraphOutcome {
  used: 'loaded' | 'saved' | 'none';
  /** Why `load` was not used (ONNX Runtime refused it), or why nothing could be saved. */
  problem?: string;
}

export interface SessionSource {
  bytes?: Uint8Array;
  path?: string;
  optimized?: OptimizedGraphFiles;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly provider: ProviderChoice;
  readonly optimized?: OptimizedGraphOutcome;
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

/**
 * What an optimised, weight-packed CPU graph depends on besides the graph itself: the ONNX Runtime version
 * (its optimisers and packed layouts), the platform, and the CPU's model and instruction-set flags (MLAS
 * packs for the kernels it picks at run time: AVX-512 and AVX2 layouts differ). 16 hex digits.
 */
export function optimizedGraphKey(): string {
  let flags = '';
  if (process.platform === 'linux') {
    try {
      flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? '';
    } catch {
      // no /proc: the model name alone
    }
  }
  const cpu = `${os.cpus()[0]?.model ?? 'unknown'}|${flags}`;
  return createHash('sha256').update(`prepacked-1|${ortVersion()}|${process.platform}|${process.arch}|${cpu}`).digest('hex').slice(0, 16);
}

/** The optimised graph's file names (ORT writes the external data next to model.onnx). */
export const OPTIMIZED_MODEL = 'model.onnx';
export const OPTIMIZED_DATA = 'model.onnx.data';

function sessionOptions(provider: ProviderName, threads: number, optimized?: 'load' | { saveDir: string }): Ort.InferenceSession.SessionOptions {
  const eps: Ort.InferenceSession.ExecutionProviderConfig[] = provider === 'cpu' ? ['cpu'] : [provider, 'cpu'];
  const session: Record<string, unknown> = { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } };
  let optimizedModelFilePath: string | undefined;
  if (optimized && optimized !== 'load') {
    optimizedModelFilePath = path.join(optimized.saveDir, OPTIMIZED_MODEL);
    // Weights (and their packed copies) of 1 MiB and more go to the data file, where ORT aligns them so that
    // they can be mapped. Not lower: in ORT 1.30 a session opened from a graph whose smaller external
    // weights were packed crashes the process on its first run (chronos-t5-nano's 16 KiB weights with a
    // 4 KiB threshold), and with tiny ones external (a Split's sizes) shape inference refuses the graph.
    session.optimized_model_external_initializers_file_name = OPTIMIZED_DATA;
    session.optimized_model_external_initializers_min_size_in_bytes = String(1 << 20);
    session.save_external_prepacked_constant_initializers = '1';
  }
  return {
    executionProviders: eps,
    // An optimised graph is already optimised (and its packed weights are used as they are).
    graphOptimizationLevel: optimized === 'load' ? 'disabled' : 'all',
    ...(optimizedModelFilePath ? { optimizedModelFilePath } : {}),
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true,
    // Fatal only: a failing session or run comes back as an exception, which the adapters report as
    // one line; ORT's own error lines on stderr would be a second, raw copy of it.
    logSeverityLevel: 4,
    extra: { session },
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
    readonly optimized?: OptimizedGraphOutcome,
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
export async function createSession(source: SessionSource, cfg: SessionConfig = {}): Promise<OrtSession> {
  const requested = cfg.provider ?? 'auto';
  const threads = resolveThreads(cfg.threads);
  const open = (p: ProviderName, optimized?: { saveDir: string }) => {
    const opts = sessionOptions(p, threads, optimized);
    if (source.path) return ort().InferenceSession.create(source.path, opts);
    if (source.bytes) return ort().InferenceSession.create(source.bytes, opts);
    throw new ChronosLensError('RUNTIME', 'createSession needs model bytes or a path');
  };
  /** The CPU session: from the optimised graph when there is one ONNX Runtime accepts, else from the graph (saving the optimised one). */
  const openCpu = async (): Promise<{ s: Ort.InferenceSession; optimized?: OptimizedGraphOutcome }> => {
    const want = source.optimized;
    if (!want) return { s: await open('cpu') };
    let problem: string | undefined;
    if (want.load) {
      try {
        return { s: await ort().InferenceSession.create(want.load, sessionOptions('cpu', threads, 'load')), optimized: { used: 'loaded' } };
      } catch (e) {
        problem = `ONNX Runtime refused the optimised graph (${firstLine(e instanceof Error ? e.message : String(e))})`;
      }
    }
    if (want.saveDir) {
      try {
        return { s: await open('cpu', { saveDir: want.saveDir }), optimized: { used: 'saved', problem } };
      } catch (e) {
        // A graph that does not load at all fails again below, with the usual message; one that only could
        // not be written (a full disk) runs without the optimised copy.
        problem ??= `the optimised graph could not be written (${firstLine(e instanceof Error ? e.message : String(e))})`;
      }
    }
    return { s: await open('cpu'), optimized: { used: 'none', problem } };
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
    const { s, optimized } = await openCpu();
    return new NodeOrtSession(s, { requested, used: 'cpu', fallbackReason: requested === 'cpu' ? undefined : fallbackReason }, optimized);
  } catch (e) {
    throw new ChronosLensError('RUNTIME', `ONNX Runtime could not load the model: ${firstLine(e instanceof Error ? e.message : String(e))}`, { cause: e });
  }
}
