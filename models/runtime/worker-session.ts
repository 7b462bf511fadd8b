/**
 * ONNX Runtime sessions hosted in a worker thread (ort-worker.ts), behind the same OrtSession interface
 * as in-thread sessions. onnxruntime-node runs synchronously on the calling thread, so a long forward
 * pass (a big model at T = 512 takes seconds) would freeze an editor's extension host; here the main
 * thread only posts feeds and awaits outputs, and stays responsive. One worker serves every session of
 * the process; it does not keep the process alive while idle.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ChronosLensError, ErrorCode } from '../../core/errors';
import { Feed, Fetched, OptimizedGraphOutcome, OrtSession, ProviderChoice, SessionConfig, SessionSource, disableOrtTelemetry, ortPackageOverride, resolveThreads, setOrtLoadedInWorker } from './ort';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

let worker: Worker | undefined;
let workerPackage: string | undefined;
let liveSessions = 0;
let nextId = 1;
const pending = new Map<number, Pending>();

/** The worker script: the .ts file under tsx (tests, development), else dist/ort-worker.js. */
export function ortWorkerScript(): string {
  if (__filename.endsWith('.ts')) return path.join(__dirname, 'ort-worker.ts');
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, 'ort-worker.js'), path.join(dir, 'dist', 'ort-worker.js')]) if (existsSync(candidate)) return candidate;
  }
  throw new ChronosLensError('RUNTIME', `ort-worker.js was not found next to ${__dirname} (the build is incomplete: run npm run build)`);
}

function rejectAll(e: unknown): void {
  for (const p of pending.values()) p.reject(e);
  pending.clear();
}

function getWorker(): Worker {
  const pkg = ortPackageOverride();
  if (worker && workerPackage !== pkg && liveSessions === 0 && pending.size === 0) {
    void worker.terminate();
    worker = undefined;
  }
  if (!worker) {
    disableOrtTelemetry();
    const script = ortWorkerScript();
    // Under tsx (tests, development) the worker registers tsx's CommonJS hook before loading the .ts file.
    const w = script.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, workerData: { ortPackage: pkg } })
      : new Worker(script, { workerData: { ortPackage: pkg } });
    workerPackage = pkg;
    w.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: { message: string; name: string; code?: ErrorCode; stack?: string } }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      if (m.ok) p.resolve(m.result);
      else {
        const err = new ChronosLensError(m.error?.code ?? 'RUNTIME', (m.error?.message ?? 'ONNX Runtime worker failed').split('\n')[0]);
        if (m.error?.stack) err.stack = m.error.stack;
        p.reject(err);
      }
    });
    // A worker replaced or shut down earlier settles nothing: its calls were settled when it was let go.
    w.on('error', (e) => {
      if (worker === w) rejectAll(new ChronosLensError('RUNTIME', `the ONNX Runtime worker failed: ${e.message}`, { cause: e }));
    });
    w.on('exit', (code) => {
      if (worker !== w) return;
      worker = undefined;
      liveSessions = 0;
      setOrtLoadedInWorker(false);
      rejectAll(new ChronosLensError('RUNTIME', `the ONNX Runtime worker exited (code ${code})`));
    });
    w.unref();
    worker = w;
  }
  return worker;
}

function call<T>(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
  const w = getWorker();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    w.ref();
    w.postMessage({ ...msg, id }, transfer);
  });
}

class WorkerOrtSession implements OrtSession {
  private released = false;
  constructor(
    private readonly session: number,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    readonly provider: ProviderChoice,
    readonly optimized?: OptimizedGraphOutcome,
  ) {}

  async run(feeds: Record<string, Feed>): Promise<Fetched> {
    if (this.released) throw new ChronosLensError('RUNTIME', 'the session was released');
    const used: Record<string, Feed> = {};
    for (const name of this.inputNames) {
      if (!feeds[name]) throw new ChronosLensError('RUNTIME', `graph input "${name}" was not provided`);
      used[name] = feeds[name];
    }
    // Feeds are copied (structured clone): callers keep using their buffers (e.g. a decoder's cross K/V).
    return call<Fetched>({ type: 'run', session: this.session, feeds: used });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    liveSessions = Math.max(0, liveSessions - 1);
    if (worker) await call({ type: 'release', session: this.session }).catch(() => undefined);
  }
}

/** Creates a session in the worker thread (same contract as createSession). */
export async function createWorkerSession(source: SessionSource, cfg: SessionConfig = {}): Promise<OrtSession> {
  resolveThreads(cfg.threads); // refused here already, before a worker starts
  const r = await call<{ session: number; inputNames: string[]; outputNames: string[]; provider: ProviderChoice; optimized?: OptimizedGraphOutcome }>({ type: 'create', source, cfg });
  liveSessions++;
  setOrtLoadedInWorker(true);
  return new WorkerOrtSession(r.session, r.inputNames, r.outputNames, r.provider, r.optimized);
}

/** Stops the worker (e.g. when an extension deactivates); sessions still open fail from then on. */
export async function shutdownOrtWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  liveSessions = 0;
  setOrtLoadedInWorker(false);
  rejectAll(new ChronosLensError('RUNTIME', 'the ONNX Runtime worker was shut down'));
  if (w) await w.terminate();
}
