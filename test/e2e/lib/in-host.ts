/**
 * Runs the in-host mocha suite (dist/test/vscode/index.js, `run(): Promise<void>`) inside code-server's
 * extension host, the way @vscode/test-web does it in a browser: the workbench URL's `payload` parameter
 * names `extensionDevelopmentPath` and `extensionTestsPath` as vscode-remote URIs (honoured because the
 * server runs with `--vscode-option enable-smoke-test-driver`); when the suite settles, the workbench
 * calls `window.codeAutomationExit(code)`, exposed here by Playwright. The suite's output arrives on the
 * browser console.
 */
import { chromium } from 'playwright-core';
import type { CodeServer } from './code-server';
import { consoleText } from './console';
import { CHROMIUM_ARGS } from './workbench';
import { chromiumPath } from './paths';
import { delay, sleep } from './time';

export interface InHostOptions {
  /** Folder of the extension under test (e.g. the one installed from the VSIX). */
  extensionDevelopmentPath: string;
  /** The bundled suite: dist/test/vscode/index.js. */
  extensionTestsPath: string;
  timeoutMs?: number;
  /** Called with each console line as it arrives (for live output). */
  onLine?: (line: string) => void;
}

export interface InHostResult {
  /** The exit code the workbench reported (0: every test passed), or undefined on timeout. */
  code: number | undefined;
  /** Console lines of the run (mocha's spec report among them). */
  lines: string[];
}

export async function runInHostTests(server: CodeServer, options: InHostOptions): Promise<InHostResult> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, env: server.env as Record<string, string> });
  const lines: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    let settle: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => { settle = resolve; });
    await page.exposeFunction('codeAutomationExit', (code: number) => settle(Number(code)));
    page.on('console', (m) => {
      void Promise.all(m.args().map((a) => a.jsonValue().catch(() => '?')))
        .then((args) => consoleText(args.length ? args : [m.text()]))
        .catch(() => m.text())
        .then((line) => {
          lines.push(line);
          options.onLine?.(line);
        });
    });
    page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', server.remoteUri(options.extensionDevelopmentPath)],
      ['extensionTestsPath', server.remoteUri(options.extensionTestsPath)],
    ];
    await page.goto(server.workbenchUrl(payload), { timeout: 90_000 });
    const timeoutMs = options.timeoutMs ?? 240_000;
    const code = await Promise.race([exited, delay<undefined>(timeoutMs)]);
    // Let the last console messages arrive.
    await sleep(300);
    return { code, lines };
  } finally {
    await Promise.race([browser.close(), delay(10_000)]).catch(() => undefined);
  }
}
