/**
 * One loaded Chronos model per value of the model settings (model, execution provider, threads):
 * loaded on first use (so nothing loads onnxruntime-node before a model is needed), replaced when the
 * settings change (the old one is disposed once the run using it ends), disposed on deactivate.
 * Runs are serialised: one analysis at a time uses the model; later ones wait (cancellable) in order.
 * vscode-free: the adapter turns `onDidChange` into the status bar and fallbacks into notifications.
 */
import { CancelledError, ChronosLensError } from '../../core/errors';
import type { ResolvedModel } from '../../models/source';
import { modelLabel } from '../../models/source';
import { BOUNDS, withinBound } from '../../core/limits';
import { modelKey, SECTION, type ModelSettings, type ProviderSetting } from './settings';

export interface ProviderInfo {
  requested: string;
  used: string;
  fallbackReason?: string;
}

/** What the manager needs of a model (ChronosModel has it). */
export interface ManagedModel {
  readonly name: string;
  /** 'chronos-bolt' for a Chronos-Bolt model (BoltModel), 'chronos-2' for a Chronos2Model; absent for Chronos-T5. */
  readonly family?: string;
  readonly provider: ProviderInfo | undefined;
  dispose(): Promise<void>;
}

export interface LoadModelOptions {
  provider: ProviderSetting;
  threads?: number;
  cacheDir: string | null;
  /** One-line warnings of the runtime (a graph cache that cannot be used, a corrupt cached graph rebuilt): to the log. */
  onWarning(message: string): void;
}

export interface ModelManagerOptions<M extends ManagedModel> {
  resolve(setting: string): Promise<ResolvedModel>;
  load(dir: string, options: LoadModelOptions): Promise<M>;
  /** Graph cache folder passed to load (null: no disk cache). */
  cacheDir: string | null;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
  /** Called once per model when its requested provider could not start and another one runs. */
  onFallback?(info: ProviderInfo, model: ResolvedModel): void;
}

export interface ModelState {
  setting: string;
  /** Short model name (from the setting until loaded, then the checkpoint's name). */
  label: string;
  /** The loaded model's family: "Chronos-T5", "Chronos-Bolt" or "Chronos-2" (undefined until loaded). */
  family?: string;
  provider: ProviderSetting;
  /** The provider that runs, once a session exists. */
  used?: string;
  fallbackReason?: string;
  loaded: boolean;
  resolved?: ResolvedModel;
  /** A run holds the model. */
  busy: boolean;
  /** What the running job is doing, for the status bar tooltip. */
  activity?: string;
  /** Runs waiting for the model. */
  queued: number;
  /** Why the latest load failed. */
  error?: string;
}

interface Loaded<M> {
  key: string;
  model: M;
  resolved: ResolvedModel;
}

interface Waiter {
  start(): void;
  cancel(e: Error): void;
}

export interface UseOptions {
  signal?: AbortSignal;
  /** Shown in the state while the job runs. */
  activity?: string;
  /** Called when the job has to wait for another run. */
  onWaiting?(): void;
  /**
   * A short run someone is waiting on (the series view's attention, which its hovers read): with the
   * model of the current settings loaded, it runs at once beside a running job instead of queuing
   * behind it (ONNX Runtime takes concurrent runs on one session, and a run changes no model state);
   * while the model loads, it goes first in the queue.
   */
  interactive?: boolean;
}

export class ModelManager<M extends ManagedModel> {
  #settings: ModelSettings;
  #loaded?: Loaded<M>;
  #loading?: Promise<Loaded<M>>;
  #running = false;
  /** Interactive runs under way beside the exclusive one. */
  #interactive = 0;
  #activity?: string;
  #queue: Waiter[] = [];
  #error?: string;
  #fallbackReported = new WeakSet<object>();
  #listeners = new Set<(s: ModelState) => void>();
  #disposed = false;
  /** Models replaced while a run held them: disposed when it ends. */
  #retired: M[] = [];

  constructor(
    settings: ModelSettings,
    private readonly opts: ModelManagerOptions<M>,
  ) {
    this.#settings = { ...settings };
  }

  get settings(): ModelSettings {
    return { ...this.#settings };
  }

  get state(): ModelState {
    const l = this.#loaded && this.#loaded.key === modelKey(this.#settings) ? this.#loaded : undefined;
    const p = l?.model.provider;
    return {
      setting: this.#settings.model,
      label: l?.model.name ?? modelLabel(this.#settings.model),
      family: l ? (l.model.family === 'chronos-bolt' ? 'Chronos-Bolt' : l.model.family === 'chronos-2' ? 'Chronos-2' : 'Chronos-T5') : undefined,
      provider: this.#settings.provider,
      used: p?.used,
      fallbackReason: p?.fallbackReason,
      loaded: !!l,
      resolved: l?.resolved,
      busy: this.#running,
      activity: this.#running ? this.#activity : undefined,
      queued: this.#queue.length,
      error: this.#error,
    };
  }

  /** The loaded model, if it matches the current settings (no loading). */
  get current(): M | undefined {
    return this.#loaded && this.#loaded.key === modelKey(this.#settings) ? this.#loaded.model : undefined;
  }

  onDidChange(listener: (s: ModelState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(): void {
    const s = this.state;
    for (const l of this.#listeners) {
      try {
        l(s);
      } catch (e) {
        this.opts.log?.('error', `model state listener failed: ${(e as Error).message}`);
      }
    }
  }

  /** New settings; a different model key retires the loaded model (disposed now, or when its run ends). */
  configure(settings: ModelSettings): boolean {
    const changed = modelKey(settings) !== modelKey(this.#settings);
    this.#settings = { ...settings };
    if (changed) {
      this.#error = undefined;
      this.#loading = undefined;
      const old = this.#loaded;
      this.#loaded = undefined;
      if (old) {
        this.opts.log?.('info', `model settings changed: ${old.model.name} will be unloaded`);
        if (this.#running || this.#interactive) this.#retired.push(old.model);
        else void this.#disposeModel(old.model);
      }
    }
    this.#emit();
    return changed;
  }

  async #disposeModel(m: M): Promise<void> {
    try {
      await m.dispose();
    } catch (e) {
      this.opts.log?.('warn', `disposing ${m.name} failed: ${(e as Error).message}`);
    }
  }

  async #ensureLoaded(): Promise<Loaded<M>> {
    const key = modelKey(this.#settings);
    if (this.#loaded?.key === key) return this.#loaded;
    if (!this.#loading) {
      const s = { ...this.#settings };
      const p = (async () => {
        const resolved = await this.opts.resolve(s.model);
        this.opts.log?.('info', `loading ${resolved.label} from ${resolved.dir} (provider ${s.provider}${s.threads ? `, ${s.threads} threads` : ''})`);
        const model = await this.opts
          .load(resolved.dir, { provider: s.provider, threads: this.#threads(s.threads), cacheDir: this.opts.cacheDir, onWarning: (m) => this.opts.log?.('warn', m) })
          .catch((e: unknown) => {
            throw nameThreadsSetting(e);
          });
        return { key, model, resolved };
      })();
      this.#loading = p;
      p.then(
        (l) => {
          if (this.#loading !== p) {
            void this.#disposeModel(l.model); // settings changed while loading
            return;
          }
          this.#loading = undefined;
          this.#loaded = l;
          this.#error = undefined;
          this.#emit();
        },
        (e: unknown) => {
          if (this.#loading !== p) return;
          this.#loading = undefined;
          this.#error = (e as Error).message;
          this.opts.log?.('error', `loading the model failed: ${this.#error}`);
          this.#emit();
        },
      );
    }
    const l = await this.#loading;
    if (l.key !== modelKey(this.#settings)) return this.#ensureLoaded();
    return l;
  }

  /**
   * The threads to load with. readSettings already keeps chronosLens.threads within core/limits.ts's
   * range; a value that gets here out of range anyway (settings given to configure directly) is
   * reported and replaced by the default rather than refused by the runtime.
   */
  #threads(t: number): number | undefined {
    if (t === 0) return undefined;
    if (withinBound(BOUNDS.threads, t)) return t;
    this.opts.log?.('warn', `${SECTION}.threads must be an integer in ${BOUNDS.threads.min}..${BOUNDS.threads.max}, got ${String(t).slice(0, 40)}; using the default (one per logical core).`);
    return undefined;
  }

  async #acquire(opts: UseOptions): Promise<void> {
    if (!this.#running && this.#queue.length === 0) {
      this.#running = true;
      return;
    }
    opts.onWaiting?.();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#queue.indexOf(w);
        if (i >= 0) this.#queue.splice(i, 1);
        this.#emit();
        reject(new CancelledError());
      };
      const w: Waiter = {
        start: () => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        cancel: (e) => {
          opts.signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      if (opts.interactive) this.#queue.unshift(w);
      else this.#queue.push(w);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.#emit();
    });
  }

  #release(): void {
    if (!this.#interactive) for (const m of this.#retired.splice(0)) void this.#disposeModel(m);
    const next = this.#queue.shift();
    this.#activity = undefined;
    if (next) {
      this.#running = true;
      next.start();
    } else {
      this.#running = false;
    }
    this.#emit();
  }

  /**
   * Runs `fn` with the model of the current settings (loading it first if needed), after any run in
   * progress. Rejects with CancelledError when the signal fires while waiting.
   */
  async use<T>(fn: (model: M, resolved: ResolvedModel) => Promise<T>, opts: UseOptions = {}): Promise<T> {
    if (this.#disposed) throw new ChronosLensError('RUNTIME', 'Chronos Lens is shutting down');
    if (opts.signal?.aborted) throw new CancelledError();
    const ready = this.#loaded;
    if (opts.interactive && this.#running && ready && ready.key === modelKey(this.#settings) && !this.#loading) return this.#beside(ready, fn);
    await this.#acquire(opts);
    this.#activity = opts.activity;
    this.#emit();
    try {
      if (opts.signal?.aborted) throw new CancelledError();
      const l = await this.#ensureLoaded();
      if (opts.signal?.aborted) throw new CancelledError();
      try {
        // Sessions are created on first use, so the runtime's threads refusal can surface from the job.
        return await fn(l.model, l.resolved).catch((e: unknown) => {
          throw nameThreadsSetting(e);
        });
      } finally {
        this.#checkProvider(l);
      }
    } finally {
      this.#release();
    }
  }

  /** An interactive run beside the running job, on the loaded model (see UseOptions.interactive). */
  async #beside<T>(l: Loaded<M>, fn: (model: M, resolved: ResolvedModel) => Promise<T>): Promise<T> {
    this.#interactive++;
    try {
      return await fn(l.model, l.resolved).catch((e: unknown) => {
        throw nameThreadsSetting(e);
      });
    } finally {
      this.#interactive--;
      if (!this.#interactive && !this.#running) for (const m of this.#retired.splice(0)) void this.#disposeModel(m);
    }
  }

  #checkProvider(l: Loaded<M>): void {
    const p = l.model.provider;
    if (!p) return;
    if (p.fallbackReason && !this.#fallbackReported.has(l.model)) {
      this.#fallbackReported.add(l.model);
      this.opts.log?.('warn', `${l.model.name}: ${p.requested} requested, running on ${p.used}: ${p.fallbackReason}`);
      this.opts.onFallback?.(p, l.resolved);
    }
  }

  /**
   * Disposes the loaded model now; the next run loads it again (Clear Model Cache does this before
   * deleting the built graphs). False, and nothing done, while a run holds the model or it is loading.
   */
  async unload(): Promise<boolean> {
    if (this.#running || this.#interactive || this.#loading || this.#queue.length) return false;
    const l = this.#loaded;
    this.#loaded = undefined;
    if (l) {
      this.opts.log?.('info', `${l.model.name} unloaded`);
      await this.#disposeModel(l.model);
    }
    this.#emit();
    return true;
  }

  /** Disposes the loaded model and rejects queued runs. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    for (const w of this.#queue.splice(0)) w.cancel(new CancelledError('Chronos Lens is shutting down.'));
    const models = [...this.#retired.splice(0)];
    if (this.#loaded) models.push(this.#loaded.model);
    this.#loaded = undefined;
    const loading = this.#loading;
    this.#loading = undefined;
    if (loading) loading.then((l) => models.includes(l.model) || void this.#disposeModel(l.model), () => undefined);
    await Promise.all(models.map((m) => this.#disposeModel(m)));
    this.#listeners.clear();
  }
}

/**
 * The runtime says "threads" (its option's name); in VS Code the user knows it as the setting, so a
 * threads refusal that still comes from the runtime names chronosLens.threads.
 */
export function nameThreadsSetting(e: unknown): unknown {
  if (!(e instanceof ChronosLensError) || e.code !== 'BAD_INPUT' || !/^threads\b/.test(e.message)) return e;
  return new ChronosLensError('BAD_INPUT', `${SECTION}.${e.message}`, { cause: e });
}
