/**
 * The field readers every model family's config parser uses: each refuses a bad field with one line naming
 * the file, the field and what was expected. Only a file's own fields are read, never the prototype's.
 */
import { ChronosLensError } from '../core/errors';
import { oneLine } from './files';

export type Json = Record<string, unknown>;

export function fail(file: string, msg: string): never {
  throw new ChronosLensError('BAD_CONFIG', `${file}: ${msg}`);
}

/** A value as an error message shows it: short, on one line. */
export function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `"${oneLine(v, 40)}"`;
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}

export function own(obj: Json, key: string): unknown {
  // Only the file's own fields: "constructor" or "__proto__" must not come from Object.prototype.
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

export function int(obj: Json, key: string, file: string, opts: { min?: number; max?: number; fallback?: number; prefix?: string } = {}): number {
  const v = own(obj, key) ?? opts.fallback;
  const name = (opts.prefix ?? '') + key;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(file, `field "${name}" must be an integer, got ${describe(own(obj, key))}`);
  if (opts.min !== undefined && v < opts.min) fail(file, `field "${name}" must be >= ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) fail(file, `field "${name}" is ${v}, more than the ${opts.max} Chronos Lens accepts (the largest Chronos model needs far less; is the file corrupt?)`);
  return v;
}

export function num(obj: Json, key: string, file: string, opts: { fallback?: number; prefix?: string; positive?: boolean; maxAbs?: number } = {}): number {
  const v = own(obj, key) ?? opts.fallback;
  const name = (opts.prefix ?? '') + key;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(file, `field "${name}" must be a finite number, got ${describe(own(obj, key))}`);
  if (opts.positive && !(v > 0)) fail(file, `field "${name}" must be > 0, got ${v}`);
  if (opts.maxAbs !== undefined && Math.abs(v) > opts.maxAbs) fail(file, `field "${name}" is ${v}; its magnitude must be at most ${opts.maxAbs}`);
  return v;
}

export function bool(obj: Json, key: string, file: string, fallback: boolean, prefix = ''): boolean {
  const v = own(obj, key) ?? fallback;
  if (typeof v !== 'boolean') fail(file, `field "${prefix}${key}" must be true or false, got ${describe(own(obj, key))}`);
  return v;
}

/** `<prefix>quantiles`: a non-empty, increasing array of levels in (0, 1), at most `max` of them. */
export function quantileLevels(c: Json, file: string, prefix: string, max: number): number[] {
  const q = own(c, 'quantiles');
  if (!Array.isArray(q) || q.length === 0 || q.length > max) fail(file, `field "${prefix}quantiles" must be a non-empty array of quantile levels, got ${describe(q)}`);
  for (const [i, v] of q.entries()) {
    if (typeof v !== 'number' || !(v > 0 && v < 1)) fail(file, `field "${prefix}quantiles[${i}]" must be a number in (0, 1), got ${describe(v)}`);
    if (i > 0 && !(v > (q[i - 1] as number))) fail(file, `field "${prefix}quantiles" must be increasing; ${v} follows ${q[i - 1]}`);
  }
  return q as number[];
}
