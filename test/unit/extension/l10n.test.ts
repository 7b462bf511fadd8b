/**
 * Translatable messages: the VS Code adapter (extension/*.ts) writes no user-visible English inline.
 * Notifications and their buttons, QuickPick and input-box titles, placeholders, prompts and items,
 * progress titles and messages, status bar text and tooltips, dialog labels, panel titles and the errors
 * it raises go through vscode.l10n.t (English only for now: l10n.t returns the formatted English text
 * until a bundle is added). Checked on the TypeScript syntax tree, so a literal passed anywhere those
 * strings go is found.
 *
 * What is not checked: extension/lib/ is vscode-free by design (its texts are also the CLI's, like core's
 * error messages) and its callers pass them through as data; and the output channel's log lines, which
 * stay in English for bug reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers';

const dir = path.join(repoRoot, 'extension');

/** Functions whose every string argument is shown (notifications, with their buttons). */
const SHOWN_ARGS = new Set(['showInformationMessage', 'showWarningMessage', 'showErrorMessage']);
/** Functions with one shown argument, by position. */
const SHOWN_ARG_AT: Record<string, number> = {
  withCancellableProgress: 0,
  reportError: 1,
  report: 0,
  registerCommand: 3,
  // the controller's registration shorthand: reg(id, what, handler)
  reg: 1,
  // a refused command argument: bad(message)
  bad: 0,
  createWebviewPanel: 1,
  pickCsvUri: 1,
  ChronosLensError: 1,
  appendMarkdown: 0,
};
/** Properties shown wherever they are written: options and items of quick picks, boxes, dialogs, progress, status bar. */
const SHOWN_PROPS = new Set(['title', 'placeHolder', 'placeholder', 'prompt', 'label', 'description', 'detail', 'tooltip', 'text', 'openLabel', 'saveLabel', 'validationMessage', 'message', 'dialogTitle', 'activity']);

/** Text a translator would see: letters outside codicon references such as $(sync~spin) and Markdown link targets. */
const hasWords = (s: string): boolean => /\p{L}{2,}/u.test(s.replace(/\$\([\w~-]+\)/g, '').replace(/\]\([^)]*\)/g, ']'));

/** Same-file constants: a shown identifier (or a lookup in a constant table) is checked at its initializer. */
type Consts = Map<string, ts.Expression>;

function constants(src: ts.SourceFile): Consts {
  const m: Consts = new Map();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.getCombinedNodeFlags(node) & ts.NodeFlags.Const) m.set(node.name.text, node.initializer);
    ts.forEachChild(node, visit);
  };
  visit(src);
  return m;
}

/** The literal text in an expression that would reach the screen untranslated ('' when none). */
function literalText(e: ts.Expression, consts: Consts = new Map(), seen = new Set<string>()): string {
  const again = (x: ts.Expression) => literalText(x, consts, seen);
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) return again(e.expression);
  if (ts.isIdentifier(e)) {
    const init = consts.get(e.text);
    if (!init || seen.has(e.text)) return '';
    seen.add(e.text);
    return again(init);
  }
  if ((ts.isElementAccessExpression(e) || ts.isPropertyAccessExpression(e)) && ts.isIdentifier(e.expression)) {
    const table = consts.get(e.expression.text);
    if (table && ts.isObjectLiteralExpression(table)) {
      for (const p of table.properties) if (ts.isPropertyAssignment(p)) {
        const t = again(p.initializer);
        if (t) return t;
      }
    }
    return '';
  }
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 't' && /\bl10n$/.test(e.expression.expression.getText())) {
    // the message itself is the key; its arguments are shown inside it
    for (const a of e.arguments.slice(1)) {
      const t = again(a);
      if (t) return t;
    }
    return '';
  }
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return hasWords(e.text) ? e.text : '';
  if (ts.isTemplateExpression(e)) {
    const parts = [e.head.text, ...e.templateSpans.map((s) => s.literal.text)].join('…');
    if (hasWords(parts)) return parts;
    for (const span of e.templateSpans) {
      const t = again(span.expression);
      if (t) return t;
    }
    return '';
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return again(e.left) || again(e.right);
  if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return again(e.right);
  if (ts.isConditionalExpression(e)) return again(e.whenTrue) || again(e.whenFalse);
  return '';
}

const calleeName = (e: ts.Expression): string => (ts.isPropertyAccessExpression(e) ? e.name.text : ts.isIdentifier(e) ? e.text : '');

interface Finding {
  at: string;
  text: string;
}

const parse = (file: string, text = readFileSync(file, 'utf8')): ts.SourceFile => ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);

function findings(src: ts.SourceFile): Finding[] {
  const file = src.fileName;
  const out: Finding[] = [];
  const consts = constants(src);
  const note = (node: ts.Node, e: ts.Expression | undefined) => {
    const text = e ? literalText(e, consts) : '';
    if (text) out.push({ at: `${path.relative(repoRoot, file)}:${src.getLineAndCharacterOfPosition(node.getStart()).line + 1}`, text });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const name = calleeName(node.expression);
      const args = node.arguments ?? [];
      if (SHOWN_ARGS.has(name)) for (const a of args) note(a, a);
      const at = SHOWN_ARG_AT[name];
      if (at !== undefined && at >= 0) note(node, args[at]);
    }
    if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) && SHOWN_PROPS.has(node.name.text)) note(node, node.initializer);
    if (ts.isShorthandPropertyAssignment(node) && SHOWN_PROPS.has(node.name.text)) note(node, node.name);
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left) && SHOWN_PROPS.has(node.left.name.text)) note(node, node.right);
    ts.forEachChild(node, visit);
  };
  visit(src);
  return out;
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join(dir, f));

test('the checker finds inline messages (a check that cannot fail proves nothing)', () => {
  const probe = parse(
    path.join(dir, 'probe.ts'),
    "void vscode.window.showErrorMessage(`Chronos Lens: ${x} failed`, 'Show Log'); const q = { placeHolder: 'Pick a column' }; item.tooltip = vscode.l10n.t('ok'); const i = { label: '$(sync~spin)' }; throw new ChronosLensError('BAD_INPUT', 'no ' + f); const TITLE = 'Run Ablation'; pick({ title: TITLE }); vscode.window.showInformationMessage(vscode.l10n.t('{0} removed', had ? 'token' : 'nothing'));",
  );
  assert.deepEqual(
    findings(probe).map((f) => f.text),
    ['Chronos Lens: … failed', 'Show Log', 'Pick a column', 'no ', 'Run Ablation', 'token'],
  );
});

test('extension/*.ts shows no inline English: messages go through vscode.l10n.t', () => {
  assert.ok(files.length > 5, `${files.length} files in extension/`);
  const all = files.flatMap((f) => findings(parse(f)));
  assert.equal(all.length, 0, `wrap these in vscode.l10n.t(...):\n${all.map((f) => `${f.at}: ${JSON.stringify(f.text)}`).join('\n')}`);
});

test('vscode.l10n.t is called with a literal message, so that the English text is its key', () => {
  const bad: string[] = [];
  let calls = 0;
  for (const file of files) {
    const src = parse(file);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 't' && /\bl10n$/.test(node.expression.expression.getText(src))) {
        calls++;
        const first = node.arguments[0];
        const literal = first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first) || ts.isObjectLiteralExpression(first));
        if (!literal) bad.push(`${path.relative(repoRoot, file)}:${src.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText(src).slice(0, 80)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  assert.ok(calls > 0, 'no vscode.l10n.t call in extension/');
  assert.deepEqual(bad, []);
});
