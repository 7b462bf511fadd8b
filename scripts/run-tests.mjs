#!/usr/bin/env node
// Runs node's test runner (through tsx, so tests are TypeScript) on every *.test.ts below the given
// folders. Node 20's --test does not expand globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [--concurrency N] DIR... [-- extra node --test args]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const dirs = [];
const extra = [];
let concurrency = '1';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--') { extra.push(...args.slice(i + 1)); break; }
  if (args[i] === '--concurrency') { concurrency = args[++i]; continue; }
  dirs.push(args[i]);
}
const filter = process.env.TEST_FILTER ? new RegExp(process.env.TEST_FILTER) : null;
function walk(p, out) {
  const st = statSync(p);
  if (st.isDirectory()) {
    for (const e of readdirSync(p).sort()) if (e !== 'node_modules' && e !== 'fixtures') walk(join(p, e), out);
  } else if (p.endsWith('.test.ts') && (!filter || filter.test(p))) out.push(p);
  return out;
}
const files = dirs.flatMap((d) => walk(d, []));
if (files.length === 0) {
  console.error(`no test files under ${dirs.join(', ')}${filter ? ` matching ${filter}` : ''}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...extra, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
