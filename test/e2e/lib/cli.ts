/** The repository's CLI (dist/cli.js), for comparing what the editor shows with the headless numbers. */
import { spawnSync } from 'node:child_process';
import { cliPath, repoRoot } from './paths';

/** Runs `node dist/cli.js ARGS --json` and parses its output. */
export function cliJson<T = unknown>(args: string[], { timeoutMs = 300_000 } = {}): T {
  const r = spawnSync(process.execPath, [cliPath, ...args, '--json'], { cwd: repoRoot, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`chronos-lens ${args.join(' ')} --json exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
