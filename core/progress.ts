/**
 * Cancellation and progress are core concepts: long operations take an AbortSignal and a progress
 * callback. The extension maps them to `withProgress({cancellable: true})`, the CLI to a bar on stderr.
 */
import { CancelledError } from './errors';

export interface ProgressUpdate {
  /** Fraction done in [0, 1], when known. */
  fraction?: number;
  /** Short human-readable description of the current step. */
  message?: string;
}

export type ProgressCallback = (update: ProgressUpdate) => void;

export interface RunControl {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * Splits a progress range into weighted sub-steps, so that nested operations report a fraction of the
 * whole without knowing about each other.
 */
export function subProgress(
  onProgress: ProgressCallback | undefined,
  from: number,
  to: number,
): ProgressCallback | undefined {
  if (!onProgress) return undefined;
  return (u) => onProgress({ message: u.message, fraction: u.fraction === undefined ? undefined : from + (to - from) * u.fraction });
}

/** Yields to the event loop so that an abort can be observed between chunks of synchronous work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits `ms`, rejecting with a CancelledError (with `cancelMessage`) as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal, cancelMessage = 'Cancelled.'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError(cancelMessage));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new CancelledError(cancelMessage));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
