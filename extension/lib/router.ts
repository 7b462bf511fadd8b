/**
 * The host side of one webview panel's protocol: every message the page posts is validated with the
 * protocol's validators (protocol/validate.ts) before anything acts on it; requests are answered with
 * exactly one `response`; a `cancel` aborts the request's work; when the panel closes, pending work is
 * aborted and rejected (nothing is posted to a disposed panel) and later messages are ignored.
 * vscode-free: the adapter gives it a `post` function and handlers.
 */
import { CancelledError, ChronosLensError, isCancelled } from '../../core/errors';
import {
  errorResponse,
  parseWebviewMessage,
  ProtocolError,
  isRequestMessage,
  type ExportMessage,
  type ExportResponse,
  type RequestMessage,
  type WebviewMessage,
  type HostMessageOf,
  type ResponseErrorCode,
  type ValidationContext,
  type ViewId,
  type WebviewMessageOf,
} from '../../protocol';

/** Thrown into pending work when its panel closes. */
export class PanelDisposedError extends ChronosLensError {
  constructor(what = 'The panel was closed.') {
    super('CANCELLED', what);
    this.name = 'PanelDisposedError';
  }
}

/** Messages of a view that are not requests (no answer expected). */
export type NotificationOf<V extends ViewId> = Exclude<WebviewMessageOf<V>, ExportMessage | { requestId: string }>;

export interface RequestContext {
  /** Aborted by a `cancel` from the page or when the panel closes. */
  signal: AbortSignal;
}

export interface RouterHandlers<V extends ViewId> {
  /** Every valid non-request message (ready, cell actions, kindChanged, openRun, webviewError, …). */
  notify(message: NotificationOf<V>): void | Promise<void>;
  /** The `export` request: save the figure, answer with where it went. */
  export(message: ExportMessage, ctx: RequestContext): Promise<ExportResponse>;
  /** Other requests of the view (the series view's requestLens); absent: answered as unsupported. */
  request?(message: Exclude<RequestMessage, ExportMessage>, ctx: RequestContext): Promise<unknown>;
}

export interface RouterOptions<V extends ViewId> {
  view: V;
  /** Posts to the page; a false / rejected result means the page is gone. */
  post(message: HostMessageOf<V>): unknown;
  /** What the page currently shows, for validation (heads in range, known run ids…). */
  context(): ValidationContext;
  handlers: RouterHandlers<V>;
  /** Invalid messages, handler failures, page errors. */
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

function errorCode(e: unknown): ResponseErrorCode {
  if (e instanceof PanelDisposedError) return 'disposed';
  if (isCancelled(e)) return 'cancelled';
  if (e instanceof ChronosLensError && e.code === 'BAD_INPUT') return 'invalid';
  return 'failed';
}

export class PanelRouter<V extends ViewId> {
  readonly #pending = new Map<string, AbortController>();
  /** Host-side work tied to the panel (e.g. waiting for the page), rejected on dispose. */
  readonly #tied = new Set<(e: Error) => void>();
  #disposed = false;

  constructor(private readonly opts: RouterOptions<V>) {}

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Requests awaiting their response. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Posts a host message unless the panel is gone. Never throws. */
  post(message: HostMessageOf<V>): boolean {
    if (this.#disposed) return false;
    try {
      const r = this.opts.post(message);
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(undefined, (e: unknown) => this.opts.log('warn', `posting ${message.type} to the ${this.opts.view} view failed: ${(e as Error).message}`));
      }
      return true;
    } catch (e) {
      this.opts.log('warn', `posting ${message.type} to the ${this.opts.view} view failed: ${(e as Error).message}`);
      return false;
    }
  }

  /**
   * Ties a promise to the panel's life: the result rejects with PanelDisposedError when the panel
   * closes first (the underlying work is not awaited further).
   */
  tie<T>(work: Promise<T>): Promise<T> {
    if (this.#disposed) {
      work.catch(() => undefined);
      return Promise.reject(new PanelDisposedError());
    }
    return new Promise<T>((resolve, reject) => {
      const onDispose = (e: Error) => reject(e);
      this.#tied.add(onDispose);
      work.then(
        (v) => {
          this.#tied.delete(onDispose);
          resolve(v);
        },
        (e: unknown) => {
          this.#tied.delete(onDispose);
          reject(e);
        },
      );
    });
  }

  /** Handles one raw message from the page. Never throws or rejects. */
  async receive(raw: unknown): Promise<void> {
    if (this.#disposed) return;
    let msg: WebviewMessageOf<V>;
    try {
      msg = parseWebviewMessage(this.opts.view, raw, this.opts.context());
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      this.opts.log('warn', text);
      if (e instanceof ProtocolError && e.requestId !== undefined) this.post(errorResponse(e.requestId, 'invalid', text) as HostMessageOf<V>);
      return;
    }
    try {
      if (msg.type === 'cancel') {
        this.#pending.get(msg.requestId)?.abort(new CancelledError());
        return;
      }
      const wm = msg as WebviewMessage;
      if (isRequestMessage(wm)) {
        const h = this.opts.handlers;
        if (wm.type === 'export') await this.#request(wm.requestId, (ctx) => h.export(wm, ctx));
        else if (h.request) await this.#request(wm.requestId, (ctx) => h.request!(wm, ctx));
        else this.post(errorResponse(wm.requestId, 'invalid', `the ${this.opts.view} view's host does not handle ${wm.type}`) as HostMessageOf<V>);
        return;
      }
      if (msg.type === 'webviewError') {
        this.opts.log('error', `${this.opts.view} view: ${msg.message}${msg.stack ? `\n${msg.stack}` : ''}`);
      }
      await this.opts.handlers.notify(msg as NotificationOf<V>);
    } catch (e) {
      if (isCancelled(e)) return;
      this.opts.log('error', `handling ${msg.type} from the ${this.opts.view} view failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async #request<T>(requestId: string, run: (ctx: RequestContext) => Promise<T>): Promise<void> {
    if (this.#pending.has(requestId)) {
      this.post(errorResponse(requestId, 'invalid', `request id ${requestId} is already in use`) as HostMessageOf<V>);
      return;
    }
    const ac = new AbortController();
    this.#pending.set(requestId, ac);
    try {
      const result = await run({ signal: ac.signal });
      if (ac.signal.aborted) throw ac.signal.reason instanceof Error ? ac.signal.reason : new CancelledError();
      this.post({ type: 'response', requestId, ok: true, result } as HostMessageOf<V>);
    } catch (e) {
      const code = ac.signal.aborted && !(e instanceof PanelDisposedError) && !this.#disposed ? 'cancelled' : errorCode(e);
      if (code === 'failed') this.opts.log('error', `${this.opts.view} view request ${requestId} failed: ${(e as Error).message}`);
      this.post(errorResponse(requestId, code, e instanceof Error ? e.message : String(e)) as HostMessageOf<V>);
    } finally {
      this.#pending.delete(requestId);
    }
  }

  /** The panel closed: abort pending requests, reject tied work, ignore later messages. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const err = new PanelDisposedError();
    for (const ac of this.#pending.values()) ac.abort(err);
    this.#pending.clear();
    for (const r of [...this.#tied]) r(err);
    this.#tied.clear();
  }
}
