/**
 * What the interactive benchmarks share: the summary of a list of latencies, and the seasonal series they
 * draw (hourly, with daily and weekly cycles and a little noise; seeded, so every run draws the same one).
 */
export interface Stats {
  n: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return { n: s.length, median: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1]), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

export function seasonal(n: number): number[] {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => Math.round((100 + 30 * Math.sin((2 * Math.PI * i) / 24) + 10 * Math.sin((2 * Math.PI * i) / 168) + 5 * rnd()) * 100) / 100);
}
