/**
 * A stand-in for the extension host of the series view in the Chromium tests and the benchmark: it
 * answers the page's requestLens / requestRange from fixture data (the real host answers from an
 * attention lens, extension/lib/series-lens.ts, which builds the same shape).
 */
import type { LensResult } from '../../analysis/types';
import { maxPool } from '../../extension/lib/series-lens';
import type { LensResponse, RequestLensMessage, SeriesRange } from '../../protocol';
import { lensFixture } from './fixtures';
import type { ViewPage } from './harness';

export interface LensShape {
  contextLength: number;
  layers: number;
  heads: number;
}

/** A LensResponse as the host sends it: the requested layer's rows, sparklines for every layer. */
export function lensAnswer(kind: 'encoder' | 'cross', position: number, layer: number | undefined, sparkBins: number | undefined, shape: LensShape, full?: LensResult): LensResponse {
  const l = full ?? lensFixture(kind === 'encoder' ? position : shape.contextLength - 1 - (position % 12), shape.contextLength, shape.layers, shape.heads);
  const keep = layer ?? 0;
  const r: LensResponse = {
    ...l,
    kind,
    position,
    rows: l.rows.map((rows, i) => (i === keep ? rows.map((row) => row.map((v) => Math.round(v * 1e5) / 1e5)) : [])),
    top: l.top.map((t, i) => (i === keep ? t : [])),
  };
  if (sparkBins) r.sparklines = l.rows.map((rows) => rows.map((row) => maxPool(row, Math.min(sparkBins, shape.contextLength))));
  return r;
}

export class FakeSeriesHost {
  readonly #seen = new Set<string>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  /** requestLens messages answered, in order. */
  readonly lensRequests: { kind: string; position: number; layer?: number; sparkBins?: number; group?: boolean; groupLines?: boolean }[] = [];
  readonly rangeRequests: { start: number; end: number; points: number }[] = [];

  constructor(
    private readonly v: ViewPage,
    private readonly shape: LensShape,
    private readonly range?: (start: number, end: number, points: number) => SeriesRange,
    /** Delay before answering (ms), like a real host round trip. */
    private readonly delayMs = 0,
    /** The full lens of a query (default: the induction-like fixture). */
    private readonly lens?: (kind: 'encoder' | 'cross', position: number) => LensResult,
    /** The whole answer to a request instead (e.g. the real host's lensResponse over a real model's lens). */
    private readonly answer?: (q: RequestLensMessage) => LensResponse,
  ) {}

  start(): this {
    this.#timer = setInterval(() => void this.#poll(), 10);
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #poll(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const posted = await this.v.posted().catch(() => [] as Record<string, unknown>[]);
      const cancelled = new Set(posted.filter((m) => m.type === 'cancel').map((m) => m.requestId as string));
      for (const m of posted) {
        const id = m.requestId as string | undefined;
        if (!id || this.#seen.has(id) || (m.type !== 'requestLens' && m.type !== 'requestRange')) continue;
        this.#seen.add(id);
        if (cancelled.has(id)) continue;
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
        let result: unknown;
        if (m.type === 'requestLens') {
          const q = m as unknown as RequestLensMessage;
          this.lensRequests.push({ kind: q.kind, position: q.position, layer: q.layer, sparkBins: q.sparkBins, group: q.group, groupLines: q.groupLines });
          result = this.answer ? this.answer(q) : lensAnswer(q.kind, q.position, q.layer, q.sparkBins, this.shape, this.lens?.(q.kind, q.position));
        } else {
          const q = m as { start: number; end: number; points: number };
          this.rangeRequests.push({ start: q.start, end: q.end, points: q.points });
          if (!this.range) {
            await this.v.send({ type: 'response', requestId: id, ok: false, error: { code: 'invalid', message: 'no range data' } });
            continue;
          }
          result = this.range(q.start, q.end, q.points);
        }
        await this.v.send({ type: 'response', requestId: id, ok: true, result }).catch(() => undefined);
      }
    } finally {
      this.#busy = false;
    }
  }
}
