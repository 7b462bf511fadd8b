/**
 * The in-host test suite: runs inside a real VS Code (code-server) extension host, started by the
 * end-to-end harness (test/e2e) or `npm run test:vscode`. Bundled by scripts/build.mjs to
 * dist/test/vscode/index.js (mocha stays external). Entry point: `run()`.
 */
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 180_000, reporter: 'spec' });
  if (process.env.CHRONOS_LENS_TEST_GREP) mocha.grep(new RegExp(process.env.CHRONOS_LENS_TEST_GREP));
  mocha.suite.emit('pre-require', globalThis, 'test/vscode', mocha);
  // Suites register with the tdd globals installed above (static imports would run before pre-require).
  await import('./extension.test');
  await import('./manifest.test');
  await import('./models.test');
  await import('./series.test');
  await import('./first-steps.test');
  await import('./walkthrough.test');
  await new Promise<void>((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} in-host test(s) failed`)) : resolve()));
  });
}
