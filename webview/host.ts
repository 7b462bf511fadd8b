/**
 * The webview's side of the protocol: typed posting, requests with ids (promises, cancellable with
 * an AbortSignal, which posts `cancel`), dispatch of host messages, and reporting of uncaught page
 * errors to the host (`webviewError`).
 */
import {
  PROTOCOL_VERSION,
  type HostMessageOf,
  type RequestMessage,
  type RequestResultMap,
  type RequestType,
  type ResponseErrorCode,
  type ResponseMessage,
  type ViewId,
  type WebviewMessageOf,
} from '../protocol';

/** The subset of the VS Code webview API the connection needs (a fake in tests). */
export interface PostTarget {
  postMessage(message: unknown): void;
}

/** A request the host answered with `ok: false` (or that was cancelled here: code 'cancelled'). */
export class HostRequestError extends Error {
  constructor(
    message: string,
    readonly code: ResponseErrorCode,
  ) {
    super(message);
    this.name = 'HostRequestError';
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RequestBody<T extends RequestType> = DistributiveOmit<Extract<RequestMessage, { type: T }>, 'requestId'>;

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class HostConnection<V extends ViewId> {
  readonly #pending = new Map<string, Pending>();
  readonly #handlers = new Set<(m: HostMessageOf<V>) => void>();
  #seq = 0;
  readonly #prefix = Math.random().toString(36).slice(2, 8);

  constructor(
    readonly view: V,
    private readonly api: PostTarget,
    win: Window = window,
  ) {
    win.addEventListener('message', (e: MessageEvent) => this.#receive(e.data));
    win.addEventListener('error', (e: ErrorEvent) => this.#reportError(e.error ?? e.message));
    win.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => this.#reportError(e.reason));
  }

  /** Posts a message (fire and forget). */
  post(message: WebviewMessageOf<V>): void {
    this.api.postMessage(message);
  }

  /** Announces the page: the host answers with the view's data. */
  ready(): void {
    this.post({ type: 'ready', view: this.view, protocolVersion: PROTOCOL_VERSION } as WebviewMessageOf<V>);
  }

  /** Sends a request and resolves with the host's result (rejects with HostRequestError). */
  request<T extends RequestType>(body: RequestBody<T>, opts: { signal?: AbortSignal } = {}): Promise<RequestResultMap[T]> {
    const requestId = `${this.#prefix}-${++this.#seq}`;
    return new Promise<RequestResultMap[T]>((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(new HostRequestError('Cancelled.', 'cancelled'));
        return;
      }
      const onAbort = () => {
        if (!this.#pending.delete(requestId)) return;
        this.api.postMessage({ type: 'cancel', requestId });
        reject(new HostRequestError('Cancelled.', 'cancelled'));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(requestId, {
        resolve: (v) => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve(v as RequestResultMap[T]);
        },
        reject: (e) => {
          opts.signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      this.api.postMessage({ ...body, requestId });
    });
  }

  /** Handles every host message except responses (which settle requests). Returns an unsubscribe. */
  onMessage(handler: (m: HostMessageOf<V>) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Number of requests awaiting an answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  #receive(data: unknown): void {
    if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return;
    const m = data as HostMessageOf<V>;
    if (m.type === 'response') {
      const r = m as ResponseMessage;
      const p = this.#pending.get(r.requestId);
      if (!p) return; // cancelled or unknown: ignore
      this.#pending.delete(r.requestId);
      if (r.ok) p.resolve(r.result);
      else p.reject(new HostRequestError(r.error.message, r.error.code));
      return;
    }
    for (const h of this.#handlers) h(m);
  }

  #reportError(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    // Chromium reports this benign notice as a window error; it is not a fault of the page.
    if (/^ResizeObserver loop/.test(e.message)) return;
    try {
      this.api.postMessage({ type: 'webviewError', message: e.message.slice(0, 20_000), ...(e.stack ? { stack: e.stack.slice(0, 100_000) } : {}) });
    } catch {
      // nothing more to do: the host is gone
    }
  }
}
