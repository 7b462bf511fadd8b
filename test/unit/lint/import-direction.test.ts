/**
 * The import direction (DEVELOPING.md) is enforced by eslint.config.mjs: sources that break it are
 * refused by the real ESLint with the project's config, and sources that follow it pass. The probes
 * are linted as text under names that do not exist on disk, where import/no-cycle cannot run (it reads
 * the linted file's own export map), so that rule is left out there and probed with real files below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { repoRoot } from '../helpers';

async function ruleIds(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot, overrideConfig: { rules: { 'import/no-cycle': 'off' } } });
  const [r] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return r.messages.map((m) => m.ruleId ?? m.message);
}

test('imports against the direction are refused, along it they pass', async () => {
  const refused: [string, string][] = [
    ['core/probe-direction.ts', "import { ChronosModel } from '../models/model';\nexport const x = ChronosModel;\n"],
    ['models/probe-direction.ts', "import { parseHeads } from '../analysis/heads';\nexport const x = parseHeads;\n"],
    ['analysis/probe-direction.ts', "import { isRequestMessage } from '../protocol';\nexport const x = isRequestMessage;\n"],
    ['protocol/probe-direction.ts', "import { parseHeads } from '../analysis/heads';\nexport const x = parseHeads;\n"],
    ['webview/probe-direction.ts', "import { ChronosLensError } from '../core/errors';\nexport const x = ChronosLensError;\n"],
    ['extension/probe-direction.ts', "export const x = async () => import('../cli/model-source');\n"],
    ['cli/probe-direction.ts', "import { modelLabel } from '../models/source';\nimport { COMMANDS } from '../extension/controller';\nexport const x = [modelLabel, COMMANDS];\n"],
  ];
  for (const [file, code] of refused) assert.ok((await ruleIds(file, code)).includes('import/no-restricted-paths'), `${file} should be refused`);
  const allowed: [string, string][] = [
    ['analysis/probe-direction.ts', "import { ChronosModel } from '../models/model';\nimport { ChronosLensError } from '../core/errors';\nexport const x = [ChronosModel, ChronosLensError];\n"],
    ['protocol/probe-direction.ts', "import { ATTENTION_KINDS } from '../analysis/types';\nexport const x = ATTENTION_KINDS;\n"],
    ['extension/probe-direction.ts', "import { parseHeads } from '../analysis/heads';\nexport const x = parseHeads;\n"],
    ['cli/probe-direction.ts', "import { THEMES } from '../webview/render/theme';\nexport const x = THEMES;\n"],
  ];
  for (const [file, code] of allowed) assert.deepEqual(await ruleIds(file, code), [], file);
});

test('an import circle is refused', async () => {
  // no-cycle reads the files themselves, so the probe is two real files, removed afterwards.
  const dir = path.join(repoRoot, 'analysis', `.cycle-probe-${process.pid}`);
  await fs.mkdir(dir, { recursive: true });
  try {
    await fs.writeFile(path.join(dir, 'a.ts'), "import { b } from './b';\nexport const a = () => b();\n");
    await fs.writeFile(path.join(dir, 'b.ts'), "import { a } from './a';\nexport const b = (): unknown => a;\n");
    await fs.writeFile(path.join(dir, 'c.ts'), "import { b } from './b';\nexport const c = () => b();\n");
    const eslint = new ESLint({ cwd: repoRoot });
    const [circle, line] = await eslint.lintFiles([path.join(dir, 'a.ts'), path.join(dir, 'c.ts')]);
    assert.ok(circle.messages.some((m) => m.ruleId === 'import/no-cycle'), 'a.ts and b.ts import each other');
    // c.ts imports into the circle without closing one of its own
    assert.ok(!line.messages.some((m) => m.ruleId === 'import/no-cycle'), JSON.stringify(line.messages));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
