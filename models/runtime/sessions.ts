/**
 * The ONNX Runtime sessions of one loaded checkpoint, whatever its family: one graph per output set
 * (a spec), built on first use by the family's graph builder, kept in the shared disk cache
 * (graph-cache.ts, keyed by checkpoint hash, spec, builder version and ORT version) and opened inline
 * or in a worker thread. A family gives only `build(spec)` and `key(spec)`.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosLensError } from '../../core/errors';
import { GraphBuilder } from '../onnx/builder';
import { GraphCache, Warn } from './graph-cache';
import { OrtSession, ProviderChoice, SessionConfig, createSession as createInlineSession, optimizedGraphKey, ortVersion } from './ort';
import { createWorkerSession } from './worker-session';

/**
 * Above this many weight bytes, graphs are written with ONNX external data (model.onnx + model.onnx.data). Needed
 * past protobuf's 2 GB limit, and worth it long before: with the weights embedded, a cached graph is read into a
 * JavaScript buffer that ONNX Runtime then parses into a protobuf of its own before it makes its tensors, so the
 * weights are held two or three times over while the session starts (chronos-bolt-base, 821 MB of weights: peak
 * RSS 1.82 GB with a cached graph, 3.07 GB on first use); from external data ONNX Runtime reads the weights once
 * (0.94 GB both ways, bench/run.ts --only bolt). Below this size the copies cost little and one file is simpler.
 */
export const EXTERNAL_DATA_THRESHOLD = 64_000_000;

export interface SessionOptions extends SessionConfig {
  /** Where built graphs and checkpoint hashes are cached; null disables the disk cache. */
  cacheDir: string | null;
  sessionHost?: 'inline' | 'worker';
  warn: Warn;
}

export interface GraphTiming {
  spec: string;
  buildMs: number;
  sessionMs: number;
  fromCache: boolean;
  /** The CPU session came from ONNX Runtime's cached optimised graph ('loaded'), or wrote it ('saved'). */
  optimized?: 'loaded' | 'saved';
}

export interface GraphSource<S> {
  /** Display name and folder of the checkpoint (for the cache entry's info.json). */
  name: string;
  dir: string;
  /** Float32 bytes of the weights: above EXTERNAL_DATA_THRESHOLD graphs get external data. */
  float32Bytes: number;
  /** Bumped whenever the graphs built for a checkpoint change, so cached graphs are rebuilt. */
  builderVersion: string;
  key(spec: S): string;
  build(spec: S): GraphBuilder;
  /** sha256 of the checkpoint, given the hash memo file of the cache (when there is one). */
  hash(memoFile: string | undefined): Promise<string>;
}

export class ModelSessions<S> {
  readonly timings: GraphTiming[] = [];
  private readonly sessions = new Map<string, Promise<OrtSession>>();
  private cachePromise?: Promise<GraphCache | null>;
  private hashPromise?: Promise<string>;
  private lastProvider?: ProviderChoice;
  private disposed = false;

  constructor(
    private readonly src: GraphSource<S>,
    private readonly options: SessionOptions,
  ) {}

  /** The provider the latest session runs on (undefined before the first session exists). */
  get provider(): ProviderChoice | undefined {
    return this.lastProvider;
  }

  /** sha256 of config.json and the weights (memoised on disk when a usable cache folder is set). */
  hash(): Promise<string> {
    if (!this.hashPromise) this.hashPromise = this.graphCache().then((c) => this.src.hash(c?.memoFile));
    return this.hashPromise;
  }

  /** The session for a graph spec, built (or loaded from the cache) on first use. */
  session(spec: S): Promise<OrtSession> {
    if (this.disposed) throw new ChronosLensError('RUNTIME', `model ${this.src.name} has been disposed`);
    const key = this.src.key(spec);
    let p = this.sessions.get(key);
    if (!p) {
      p = this.create(spec, key);
      this.sessions.set(key, p);
      p.catch(() => this.sessions.delete(key));
    }
    return p;
  }

  private graphCache(): Promise<GraphCache | null> {
    if (!this.cachePromise) {
      const root = this.options.cacheDir;
      this.cachePromise = root ? GraphCache.open(root, this.options.warn) : Promise.resolve(null);
    }
    return this.cachePromise;
  }

  private async create(spec: S, key: string): Promise<OrtSession> {
    const cfg: SessionConfig = { provider: this.options.provider, threads: this.options.threads };
    const open = this.options.sessionHost === 'worker' ? createWorkerSession : createInlineSession;
    const large = this.src.float32Bytes > EXTERNAL_DATA_THRESHOLD;
    const version = this.src.builderVersion;
    const t0 = performance.now();
    let optimized: { cache: GraphCache; entry: string; key: string } | undefined;
    const finish = async (source: { bytes?: Uint8Array; path?: string }, buildMs: number, fromCache: boolean) => {
      const t1 = performance.now();
      // With a disk cache, a CPU session opens the optimised graph stored with this one, or writes it.
      const opt = optimized;
      let load: string | undefined;
      let saveDir: string | undefined;
      if (opt) {
        load = await opt.cache.loadOptimized(opt.entry, opt.key);
        if (!load) saveDir = await opt.cache.prepareOptimized(opt.entry, opt.key);
      }
      let s: OrtSession;
      try {
        s = await open({ ...source, optimized: load || saveDir ? { load, saveDir } : undefined }, cfg);
      } catch (e) {
        if (opt && saveDir) await opt.cache.commitOptimized(opt.entry, opt.key, saveDir, false);
        throw e;
      }
      if (opt && s.optimized?.problem && load) await opt.cache.discardOptimized(path.dirname(load), s.optimized.problem);
      if (opt && saveDir) await opt.cache.commitOptimized(opt.entry, opt.key, saveDir, s.optimized?.used === 'saved');
      const used = s.optimized?.used;
      this.timings.push({ spec: key, buildMs, sessionMs: performance.now() - t1, fromCache, ...(used === 'loaded' || used === 'saved' ? { optimized: used } : {}) });
      this.lastProvider = s.provider;
      return s;
    };
    const cache = await this.graphCache();
    if (cache) {
      const hash = await this.hash();
      const variant = createHash('sha256').update(`${key}|${version}|${ortVersion()}`).digest('hex').slice(0, 16);
      const entry = `${hash.slice(0, 24)}-${variant}`;
      optimized = { cache, entry, key: optimizedGraphKey() };
      const hit = await cache.load(entry, { external: large });
      if (hit) {
        try {
          return await finish(hit, 0, true);
        } catch (e) {
          // Verified bytes ORT still refuses (another ORT build wrote them?): rebuild rather than fail for good.
          if (!(e instanceof ChronosLensError) || e.code !== 'RUNTIME') throw e;
          await cache.discard(entry, `could not be loaded by ONNX Runtime (${e.message})`);
        }
      }
      const tb = performance.now();
      const info = { model: this.src.name, checkpoint: this.src.dir, spec: key, builder: version, ort: ortVersion(), created: new Date().toISOString() };
      const stored = await cache.store(entry, async (tmp) => {
        const built = await this.src.build(spec).build({ externalData: large ? { dir: tmp } : undefined, producerVersion: version });
        return { bytes: built.bytes, files: built.files };
      }, info);
      return finish(stored, performance.now() - tb, false);
    }
    // No disk cache: bytes in memory, or a temporary folder for external data.
    if (large) {
      const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'chronos-lens-graph-'));
      try {
        const built = await this.src.build(spec).build({ externalData: { dir: tmp }, producerVersion: version });
        return await finish({ path: built.path! }, performance.now() - t0, false);
      } finally {
        // best effort: where ONNX Runtime maps the weights file (Windows), it cannot be removed while the session lives
        await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      }
    }
    const built = await this.src.build(spec).build({ producerVersion: version });
    return finish({ bytes: built.bytes! }, performance.now() - t0, false);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (p) => {
      try {
        await (await p).release();
      } catch {
        // a session that failed to start has nothing to release
      }
    }));
  }
}
