/** Timers for the harness. */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves with `value` after `ms`, without keeping the process alive: for the losing side of a
 * Promise.race (a bound on a wait), so a finished test file exits at once instead of when the bound expires.
 */
export function delay<T = undefined>(ms: number, value?: T): Promise<T> {
  return new Promise((r) => setTimeout(() => r(value as T), ms).unref());
}
