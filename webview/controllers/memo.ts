/**
 * One value kept for as long as the inputs it was made from are the same (each compared with ===):
 * the series view's layers (chart, overview, periodicity strip, merged points) are rebuilt only when
 * what they draw changes, not on every hover.
 */
export class Memo<T> {
  #key: readonly unknown[] | undefined;
  #value: T | undefined;

  get(key: readonly unknown[], make: () => T): T {
    const k = this.#key;
    if (k && k.length === key.length && key.every((x, i) => x === k[i])) return this.#value as T;
    const v = make();
    this.#key = key;
    this.#value = v;
    return v;
  }

  /** The value made last, if any. */
  get last(): T | undefined {
    return this.#value;
  }
}
