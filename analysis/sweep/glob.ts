/**
 * File globs for sweep data: `*` and `?` within a path segment, `**` for any number of folders,
 * `{a,b}` alternatives. Relative patterns resolve against a base folder; matches come back sorted, so
 * a plan does not depend on directory listing order. Hidden files match only when the pattern says so.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

const MAGIC = /[*?{[]/;

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '{') {
      const end = seg.indexOf('}', i);
      if (end < 0) throw new Error(`unclosed "{" in "${seg}"`);
      re += `(?:${seg
        .slice(i + 1, end)
        .split(',')
        .map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))
        .join('|')})`;
      i = end;
    } else if (ch === '[') {
      const end = seg.indexOf(']', i);
      if (end < 0) throw new Error(`unclosed "[" in "${seg}"`);
      re += `[${seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += ch.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The files PATTERN names (at most `max`; more is an error). A plain path must exist. */
export async function expandGlob(pattern: string, baseDir: string, max: number): Promise<string[]> {
  const abs = path.resolve(baseDir, pattern.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
  if (!MAGIC.test(pattern)) {
    let st;
    try {
      st = await fsp.stat(abs);
    } catch {
      throw new Error(`${abs} not found`);
    }
    if (!st.isFile()) throw new Error(`${abs} is not a file`);
    return [abs];
  }
  const parts = abs.split(path.sep);
  let fixed = 0;
  while (fixed < parts.length && !MAGIC.test(parts[fixed])) fixed++;
  const root = parts.slice(0, fixed).join(path.sep) || path.sep;
  const rest = parts.slice(fixed);
  const matchers = rest.map((s) => (s === '**' ? ('**' as const) : segmentRegex(s)));
  const out = new Set<string>();
  const walk = async (dir: string, i: number): Promise<void> => {
    if (out.size > max) return;
    if (i === matchers.length) return;
    const m = matchers[i];
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (m === '**') {
      await walk(dir, i + 1);
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) await walk(path.join(dir, e.name), i);
      return;
    }
    const last = i === matchers.length - 1;
    for (const e of entries) {
      if (e.name.startsWith('.') && !rest[i].startsWith('.')) continue;
      if (!m.test(e.name)) continue;
      const p = path.join(dir, e.name);
      let isFile = e.isFile();
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        const st = await fsp.stat(p).catch(() => undefined);
        isFile = !!st?.isFile();
        isDir = !!st?.isDirectory();
      }
      if (last && isFile) out.add(p);
      else if (!last && isDir) await walk(p, i + 1);
    }
  };
  await walk(root, 0);
  if (out.size > max) throw new Error(`"${pattern}" matches more than ${max} files`);
  return [...out].sort();
}
