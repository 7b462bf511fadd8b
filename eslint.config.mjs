// Lint rules that hold the architecture in place:
//  - the host-free core (models, core, analysis, protocol, cli) never imports `vscode`;
//  - exactly one module (models/runtime/ort.ts) imports onnxruntime-node;
//  - webview code imports neither `vscode` nor Node built-ins (it runs in a browser iframe);
//  - the import direction core <- models <- analysis <- {cli, extension}, protocol <- analysis/types.ts
//    only, webview <- protocol (and analysis/types.ts), no adapter importing another, and no import
//    circles (type-only imports aside: they vanish from the JavaScript). DEVELOPING.md explains it.
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'stream', 'worker_threads', 'zlib', 'url', 'util', 'events', 'readline'];
const noVscode = { name: 'vscode', message: 'The core runs headless: only extension/ may import vscode.' };
const noOrt = { name: 'onnxruntime-node', message: 'Only models/runtime/ort.ts owns onnxruntime-node; go through it.' };

// Each zone: files under `target` may not import from `from` (paths from the repository root).
const layer = (target, from, message, except) => ({ target, from, message, ...(except ? { except } : {}) });
const ADAPTERS = ['./cli', './extension', './webview'];
const importDirection = [
  layer('./core', ['./models', './analysis', './protocol', ...ADAPTERS], 'core/ sits below everything: move the shared piece down into core/, or the code up.'),
  layer('./models', ['./analysis', './protocol', ...ADAPTERS], 'models/ may import core/ only.'),
  layer('./analysis', ['./protocol', ...ADAPTERS], 'analysis/ may import models/ and core/ only.'),
  layer('./protocol', ['./core', './models', ...ADAPTERS], 'protocol/ may import analysis/types.ts only.'),
  layer('./protocol', './analysis', 'protocol/ may import analysis/types.ts only.', ['./types.ts']),
  layer('./webview', ['./core', './models', './cli', './extension'], 'webview/ runs in the browser: it may import protocol/ and analysis/types.ts only.'),
  layer('./webview', './analysis', 'webview/ may import analysis/types.ts only.', ['./types.ts']),
  // The CLI draws the panels' figures with the webview's pure D3 renderers (render/, initial-state.ts).
  layer('./cli', './webview', 'cli/ may use the webview renderers only (webview/render/, webview/initial-state.ts).', ['./render', './initial-state.ts']),
  layer('./cli', './extension', 'No adapter imports another: move the shared piece down (models/, analysis/).'),
  layer('./extension', ['./cli', './webview'], 'No adapter imports another: move the shared piece down (models/, analysis/).'),
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', '.tools/**', 'tools/.venv/**', 'bench/.work/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { paths: [noOrt] }],
    },
  },
  {
    files: ['core/**/*.ts', 'models/**/*.ts', 'analysis/**/*.ts', 'protocol/**/*.ts', 'cli/**/*.ts', 'extension/**/*.ts', 'webview/**/*.ts'],
    plugins: { import: importPlugin },
    settings: {
      'import/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import/resolver': { node: { extensions: ['.ts', '.js', '.json'] } },
      // Only our own sources take part in the circle check; packages are not parsed.
      'import/ignore': ['node_modules'],
      'import/extensions': ['.ts'],
    },
    rules: {
      'import/no-restricted-paths': ['error', { zones: importDirection }],
      'import/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['models/**/*.ts', 'core/**/*.ts', 'analysis/**/*.ts', 'protocol/**/*.ts', 'cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, noOrt] }] },
  },
  {
    files: ['models/runtime/ort.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode, noOrt, ...nodeBuiltins.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'Webview code runs in a browser.' }))],
      }],
    },
  },
);
