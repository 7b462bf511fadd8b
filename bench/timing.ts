/** Whole-process timing for the benchmarks: wall time and peak RSS from GNU time, and medians. */
import { spawnSync } from 'node:child_process';

export interface Timed {
  wall_s: number;
  rss_mb: number;
  json: Record<string, unknown>;
}

/** Runs a command in `cwd` under GNU time; returns wall seconds, peak RSS and the last JSON line (or block) of stdout. */
export function timed(cwd: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %M', cmd, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  const m = /__TIME__ ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stderr ?? '').slice(-3000)}`);
  const lines = (r.stdout ?? '').trim().split('\n');
  let json: Record<string, unknown> = {};
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      json = JSON.parse(lines.slice(i).join('\n'));
      break;
    } catch {
      // keep looking for the JSON block
    }
  }
  return { wall_s: Number(m[1]), rss_mb: Number(m[2]) / 1024, json };
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: mid, min: s[0], max: s[s.length - 1], n: s.length };
}
