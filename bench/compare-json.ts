/**
 * Compares two JSON results number by number (bench/gpu.sh: CUDA against CPU). Numbers agree when
 * |a - b| <= tol x max(1, |b|): absolute for attention scores (0..1), relative for forecast values.
 * Keys that describe the run rather than its result (manifest: time, provider) are skipped. Prints one
 * line with the largest difference; exits 1 on a mismatch or a structural difference.
 *
 *   npx tsx bench/compare-json.ts CUDA.json CPU.json [--tol 1e-3] [--skip manifest,graph]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Worst {
  diff: number;
  at: string;
  a: unknown;
  b: unknown;
}

export function compareJson(a: unknown, b: unknown, tol: number, skip: Set<string>): { count: number; worst: Worst; mismatches: string[] } {
  let count = 0;
  const worst: Worst = { diff: 0, at: '', a: undefined, b: undefined };
  const mismatches: string[] = [];
  const walk = (x: unknown, y: unknown, at: string): void => {
    if (typeof x === 'number' && typeof y === 'number') {
      count++;
      const d = Number.isNaN(x) && Number.isNaN(y) ? 0 : Math.abs(x - y);
      const scaled = d / Math.max(1, Math.abs(y));
      if (!(scaled <= worst.diff) || worst.at === '') Object.assign(worst, { diff: scaled, at, a: x, b: y });
      if (!(scaled <= tol)) mismatches.push(`${at}: ${x} vs ${y}`);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) mismatches.push(`${at}: length ${x.length} vs ${y.length}`);
      for (let i = 0; i < Math.min(x.length, y.length); i++) walk(x[i], y[i], `${at}[${i}]`);
      return;
    }
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) {
        if (skip.has(k)) continue;
        if (!(k in x) || !(k in y)) mismatches.push(`${at}.${k}: present in one result only`);
        else walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${at}.${k}`);
      }
      return;
    }
    if (x !== y) mismatches.push(`${at}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  };
  walk(a, b, '$');
  return { count, worst, mismatches };
}

if (require.main === module) {
  const { values: o, positionals } = parseArgs({ allowPositionals: true, options: { tol: { type: 'string', default: '1e-3' }, skip: { type: 'string', default: 'manifest,graph' } } });
  if (positionals.length !== 2) {
    console.error('usage: npx tsx bench/compare-json.ts A.json B.json [--tol 1e-3] [--skip manifest,graph]');
    process.exit(2);
  }
  const read = (f: string): unknown => {
    try {
      return JSON.parse(readFileSync(f, 'utf8'));
    } catch (e) {
      console.error(`compare-json: ${f}: ${e instanceof Error ? e.message : e}`);
      process.exit(2);
    }
  };
  const tol = Number(o.tol);
  const r = compareJson(read(positionals[0]), read(positionals[1]), tol, new Set(o.skip!.split(',')));
  const verdict = r.mismatches.length === 0 && r.count > 0 ? 'agree' : 'DIFFER';
  console.log(`compare-json: ${verdict}: ${r.count} numbers, largest scaled difference ${r.worst.diff.toExponential(2)} at ${r.worst.at} (tolerance ${tol})${r.mismatches.length ? `; ${r.mismatches.length} mismatches, first: ${r.mismatches.slice(0, 3).join('; ')}` : ''}`);
  process.exit(verdict === 'agree' ? 0 : 1);
}
