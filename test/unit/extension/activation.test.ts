/**
 * Activation stays cheap: from extension/extension.ts, only dynamic import() reaches the model runtime,
 * the analysis engine and onnxruntime-node (esbuild's own import graph of the real bundle); and the
 * vscode-free modules under extension/lib never import vscode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { repoRoot } from '../helpers';

test('activation does not load the model runtime or onnxruntime-node', async () => {
  const r = await esbuild.build({
    entryPoints: [path.join(repoRoot, 'extension/extension.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    metafile: true,
    external: ['vscode', 'onnxruntime-node'],
    logLevel: 'silent',
    absWorkingDir: repoRoot,
  });
  const inputs = r.metafile.inputs;
  const staticReach = new Set<string>();
  const dynamicTargets = new Set<string>();
  const walk = (file: string) => {
    if (staticReach.has(file)) return;
    staticReach.add(file);
    for (const imp of inputs[file]?.imports ?? []) {
      if (imp.kind === 'dynamic-import') dynamicTargets.add(imp.path);
      else walk(imp.path);
    }
  };
  walk('extension/extension.ts');
  const forbidden = ['onnxruntime-node', 'models/runtime/ort.ts', 'models/model.ts', 'analysis/mosaic.ts', 'analysis/common.ts', 'core/csv/index.ts', 'core/hub/index.ts'];
  for (const f of forbidden) assert.ok(!staticReach.has(f), `${f} is loaded at activation`);
  // the model runtime comes in through models/load.ts, which opens either family
  for (const f of ['models/load.ts', 'analysis/mosaic.ts', 'core/csv/index.ts']) assert.ok(dynamicTargets.has(f), `${f} is imported lazily`);
  assert.ok(staticReach.has('protocol/index.ts') && staticReach.has('extension/controller.ts'));
});

test('extension/lib is vscode-free', () => {
  const dir = path.join(repoRoot, 'extension', 'lib');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    assert.doesNotMatch(text, /from ['"]vscode['"]|require\(['"]vscode['"]\)/, f);
  }
});
