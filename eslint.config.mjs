// Lint rules that hold the architecture in place:
//  - the host-free core (models, core, analysis, protocol, cli) never imports `vscode`;
//  - exactly one module (models/runtime/ort.ts) imports onnxruntime-node;
//  - webview code imports neither `vscode` nor Node built-ins (it runs in a browser iframe).
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'stream', 'worker_threads', 'zlib', 'url', 'util', 'events', 'readline'];
const noVscode = { name: 'vscode', message: 'The core runs headless: only extension/ may import vscode.' };
const noOrt = { name: 'onnxruntime-node', message: 'Only models/runtime/ort.ts owns onnxruntime-node; go through it.' };

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
