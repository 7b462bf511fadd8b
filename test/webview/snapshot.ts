/**
 * Normalised SVG/HTML snapshots under test/webview/__snapshots__/. Set UPDATE_SNAPSHOTS=1 to
 * (re)write them; otherwise a missing or different snapshot fails with a short diff.
 *
 * Normalisation: one tag per line, numbers rounded to 2 decimals, colours as the serialiser wrote
 * them (jsdom: rgb()), so the files diff well and do not depend on float noise.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SNAPSHOT_DIR = path.join(__dirname, '__snapshots__');

export function normalizeMarkup(markup: string): string {
  return markup
    .replace(/-?\d+\.\d{3,}/g, (n) => {
      const r = Math.round(Number(n) * 100) / 100;
      return Object.is(r, -0) ? '0' : String(r);
    })
    .replace(/>\s*</g, '>\n<')
    .trim()
    .concat('\n');
}

export function matchSnapshot(name: string, markup: string): void {
  const file = path.join(SNAPSHOT_DIR, name);
  const actual = normalizeMarkup(markup);
  if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(file)) {
    if (process.env.UPDATE_SNAPSHOTS !== '1' && process.env.CI) assert.fail(`snapshot ${name} is missing (run with UPDATE_SNAPSHOTS=1 and commit it)`);
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  const expected = readFileSync(file, 'utf8');
  if (actual === expected) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  const i = a.findIndex((line, k) => line !== e[k]);
  const context = (lines: string[]) => lines.slice(Math.max(0, i - 2), i + 3).join('\n');
  assert.fail(`snapshot ${name} differs at line ${i + 1} (UPDATE_SNAPSHOTS=1 to accept):\n--- expected\n${context(e)}\n+++ actual\n${context(a)}`);
}
