/**
 * The webview string bundle (webview/strings.ts): the components listed here take their fixed labels
 * from it, so their lit templates hold no English of their own (text between tags, and the title,
 * aria-label, label, placeholder and alt attributes), checked on the TypeScript syntax tree; every
 * string of the bundle is read somewhere; and `format` fills placeholders as vscode.l10n.t does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { format, STRINGS } from '../../../webview/strings';
import { repoRoot } from '../helpers';

/** Components whose templates read every fixed label from the bundle. */
const BUNDLED = ['ablation-report', 'atlas-view', 'banner', 'causal-view', 'export-bar', 'provenance'];

const SHOWN_ATTRS = ['title', 'aria-label', 'label', 'placeholder', 'alt', 'aria-roledescription'];

/** English in a template's static parts: text between tags, or a shown attribute's literal value. */
function templateEnglish(parts: string[]): string[] {
  const joined = parts.join('\u0000');
  const found: string[] = [];
  const words = (s: string) => /\p{L}{2,}/u.test(s);
  // attribute values written inline (a ${…} value is the bundle's or the data's)
  for (const m of joined.matchAll(/\s([\w-]+)="([^"\u0000]*)"/g)) if (SHOWN_ATTRS.includes(m[1]) && words(m[2])) found.push(`${m[1]}="${m[2]}"`);
  // text outside tags (a tag may span parts: drop everything between < and >)
  const text = joined.replace(/<[^>]*>/g, ' ');
  for (const chunk of text.split('\u0000')) if (words(chunk)) found.push(chunk.trim());
  return found;
}

function englishIn(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node) && node.tag.getText(src) === 'html') {
      const t = node.template;
      const parts = ts.isNoSubstitutionTemplateLiteral(t) ? [t.text] : [t.head.text, ...t.templateSpans.map((s) => s.literal.text)];
      for (const e of templateEnglish(parts)) out.push(`${path.basename(file)}:${src.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${e}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return out;
}

test('the checker finds English in a template (text and shown attributes), and not in class names or ids', () => {
  assert.deepEqual(templateEnglish(['<div class="empty muted">No run yet.</div>']), ['No run yet.']);
  assert.deepEqual(templateEnglish(['<button aria-label="Dismiss" class="close">', '</button>']), ['aria-label="Dismiss"']);
  assert.deepEqual(templateEnglish(['<h1>', '</h1><label for="run">', '</label>']), []);
});

test('the bundled components hold no English of their own', () => {
  const dir = path.join(repoRoot, 'webview', 'components');
  const have = new Set(readdirSync(dir).map((f) => f.replace(/\.ts$/, '')));
  for (const c of BUNDLED) assert.ok(have.has(c), `webview/components/${c}.ts exists`);
  const found = BUNDLED.flatMap((c) => englishIn(path.join(dir, `${c}.ts`)));
  assert.equal(found.length, 0, `move these into webview/strings.ts:\n${found.join('\n')}`);
});

test('every string of the bundle is read by a component', () => {
  const sources = readdirSync(path.join(repoRoot, 'webview', 'components'))
    .map((f) => readFileSync(path.join(repoRoot, 'webview', 'components', f), 'utf8'))
    .join('\n');
  const unused: string[] = [];
  for (const [group, table] of Object.entries(STRINGS)) {
    for (const key of Object.keys(table)) {
      // read as STRINGS.group.key, or through a local alias of the group (const S = STRINGS.group; S.key)
      const direct = new RegExp(`STRINGS\\.${group}\\.${key}\\b`).test(sources);
      const aliased = new RegExp(`=\\s*STRINGS\\.${group};[\\s\\S]*\\b\\w+\\.${key}\\b`).test(sources);
      if (!direct && !aliased) unused.push(`${group}.${key}`);
    }
  }
  assert.deepEqual(unused, []);
});

test('format fills {0}, {1}… and leaves a placeholder without an argument', () => {
  assert.equal(format(STRINGS.ablation.heading, 'chronos-t5-small'), 'Head ablation · chronos-t5-small');
  assert.equal(format('{1} of {0}', 3, 'two'), 'two of 3');
  assert.equal(format('{0} and {1}', 'one'), 'one and {1}');
});
