/**
 * Translatable manifest: every user-visible string of package.json (command titles and categories,
 * settings' descriptions and enum descriptions, editors', views' and walkthroughs' names, the extension's
 * own name and description) is a %key% reference, every reference resolves in package.nls.json (the
 * English strings, what VS Code and vsce substitute), and package.nls.json holds nothing unused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers';

/** Manifest properties whose string values VS Code shows to users (anywhere in the tree). */
const SHOWN = new Set([
  'displayName',
  'description',
  'markdownDescription',
  'enumDescriptions',
  'markdownEnumDescriptions',
  'deprecationMessage',
  'markdownDeprecationMessage',
  'title',
  'shortTitle',
  'category',
  'name',
  'contextualTitle',
  'label',
  'altText',
  'tooltip',
]);

/** Parts of the manifest that are npm's or the build's, never shown by VS Code. */
const NOT_VSCODE = new Set(['name', 'scripts', 'dependencies', 'devDependencies', 'bin', 'repository', 'bugs', 'homepage', 'engines', 'publisher', 'version', 'license']);

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
const nls = JSON.parse(readFileSync(path.join(repoRoot, 'package.nls.json'), 'utf8')) as Record<string, unknown>;

interface Shown {
  where: string;
  value: string;
}

/** Every string under a user-visible property, with its JSON path. */
function shownStrings(): Shown[] {
  const out: Shown[] = [];
  const walk = (v: unknown, where: string, shown: boolean): void => {
    if (typeof v === 'string') {
      if (shown) out.push({ where, value: v });
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${where}[${i}]`, shown));
    } else if (v && typeof v === 'object') {
      // A setting's own schema names (properties' keys) are ids; their values are walked as usual.
      for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`, SHOWN.has(k));
    }
  };
  for (const [k, v] of Object.entries(pkg)) {
    if (k === 'contributes' || k === 'capabilities') walk(v, k, false);
    else if (!NOT_VSCODE.has(k)) walk(v, k, SHOWN.has(k));
  }
  return out;
}

const REF = /^%([^%]+)%$/;

test('package.json shows no literal text: every title, category and description is a %key%', () => {
  const shown = shownStrings();
  // the walk finds the strings it is meant to (a walk that found nothing would pass anything)
  assert.ok(shown.some((s) => s.where.startsWith('contributes.commands[0].title')), 'the first command title is checked');
  assert.ok(shown.some((s) => s.where.endsWith('.markdownDescription')), 'settings descriptions are checked');
  assert.ok(shown.some((s) => s.where === 'displayName'), "the extension's display name is checked");
  const literal = shown.filter((s) => !REF.test(s.value));
  assert.deepEqual(literal.map((s) => `${s.where}: ${JSON.stringify(s.value)}`), [], 'put these in package.nls.json and refer to them as %key%');
});

test('every %key% of package.json is in package.nls.json, as a non-empty string, and nothing there is unused', () => {
  const used = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      const m = REF.exec(v);
      if (m) used.add(m[1]);
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(pkg);
  assert.ok(used.size > 0);
  const missing = [...used].filter((k) => typeof nls[k] !== 'string' || (nls[k] as string).trim() === '');
  assert.deepEqual(missing, [], 'referenced in package.json, missing from package.nls.json');
  const unused = Object.keys(nls).filter((k) => !used.has(k));
  assert.deepEqual(unused, [], 'in package.nls.json, referenced nowhere in package.json');
});

test('every command is in the Chronos Lens category, through one key', () => {
  const commands = (pkg.contributes as { commands: { command: string; category?: string }[] }).commands;
  for (const c of commands) assert.equal(c.category, '%category%', c.command);
  assert.equal(nls.category, 'Chronos Lens');
});
