/**
 * The series view's lens answers: the hovered point's attention (one layer's rows and every layer's
 * sparklines) as the host sent it, kept per (kind, position, layer) so that moving back to a point, or
 * to another head of the same layer, needs no round trip. One request is in flight at a time: a newer
 * hover cancels the older one (its answer would be stale by the time it arrived).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LensResponse } from '../../protocol/series';

export interface LensRequest {
  kind: 'encoder' | 'cross';
  position: number;
  layer: number;
  sparkBins: number;
  /** Chronos-2: also the group attention at the query's token (and, with groupLines, each series' line over the context). */
  group?: boolean;
  groupLines?: boolean;
}
export type LensFetcher = (req: LensRequest, signal: AbortSignal) => Promise<LensResponse>;
/** A request with its cache key. */
export type KeyedLensRequest = LensRequest & { key: string };

/** Sparkline resolution asked of the host. */
export const SPARK_BINS = 48;
/** Lens answers kept in the page. */
export const LENS_CACHE_SIZE = 400;

export function lensKey(kind: 'encoder' | 'cross', position: number, layer: number): string {
  return `${kind}:${position}:${layer}`;
}

export interface LensCacheOptions {
  fetcher(): LensFetcher | undefined;
  /** An answer arrived for `key`; the host shows it if it still wants it. */
  answered(key: string, response: LensResponse): void;
  failed(err: Error): void;
}

export class LensCacheController implements ReactiveController {
  readonly #cache = new Map<string, LensResponse>();
  #pending: { key: string; ac: AbortController } | undefined;

  constructor(
    host: ReactiveControllerHost,
    private readonly opts: LensCacheOptions,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.#pending?.ac.abort();
  }

  get size(): number {
    return this.#cache.size;
  }

  /** The cached answer for `key`, now the most recently used; undefined when it is not cached. */
  take(key: string): LensResponse | undefined {
    const hit = this.#cache.get(key);
    if (hit) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
    }
    return hit;
  }

  /** Forgets every answer (new data) and cancels the request in flight. */
  clear(): void {
    this.#cache.clear();
    this.#pending?.ac.abort();
    this.#pending = undefined;
  }

  /** Forgets the answers whose key matches. */
  drop(match: (key: string) => boolean): void {
    for (const k of [...this.#cache.keys()]) if (match(k)) this.#cache.delete(k);
  }

  /** Asks the host for `w` unless it is already being asked; cancels the previous request. */
  request(w: KeyedLensRequest): void {
    const fetchLens = this.opts.fetcher();
    if (!fetchLens || this.#pending?.key === w.key) return;
    this.#pending?.ac.abort();
    const ac = new AbortController();
    this.#pending = { key: w.key, ac };
    const { key, ...req } = w;
    fetchLens(req, ac.signal).then(
      (r) => {
        if (this.#pending?.ac === ac) this.#pending = undefined;
        if (ac.signal.aborted) return;
        this.#cache.set(key, r);
        while (this.#cache.size > LENS_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
        this.opts.answered(key, r);
      },
      (err: Error & { code?: string }) => {
        if (this.#pending?.ac === ac) this.#pending = undefined;
        if (ac.signal.aborted || err.code === 'cancelled' || err.code === 'disposed') return;
        this.opts.failed(err);
      },
    );
  }
}
