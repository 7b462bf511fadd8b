/**
 * A real VS Code (code-server from .tools/, scripts/setup-e2e.sh) on a free 127.0.0.1 port, with its own
 * temporary user-data, extensions and XDG folders, the extension installed from a VSIX, and a workspace.
 * Started in its own process group (so stop() also ends its file watchers and extension hosts) and
 * stopped within a bounded time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeServerEntry, missingTools, node24 } from './paths';
import { delay, sleep } from './time';

export interface CodeServerOptions {
  /** VSIX files to install (`code-server --install-extension`) before the server starts. */
  vsix?: string[];
  /** Files and folders copied into the workspace folder (by base name), e.g. the sample CSVs. */
  workspaceFiles?: string[];
  /** Files written into the workspace: relative path -> content. */
  workspaceContent?: Record<string, string>;
  /** Extra user settings (merged over the quiet defaults below). */
  settings?: Record<string, unknown>;
  /** Where the code-server log is copied when the caller keeps it (test-results/e2e/<suite>/). */
  logFile?: string;
  /** Keep the temporary folder after stop() (for debugging). Default: CHRONOS_E2E_KEEP=1. */
  keep?: boolean;
}

const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
};

/** A free TCP port on 127.0.0.1 (the OS picks one; a short race with other processes is retried by start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function httpGet(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}


/** Process groups still running: killed when this test process exits, however it exits. */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
});

export class CodeServer {
  readonly root: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly workspace: string;
  readonly env: NodeJS.ProcessEnv;
  port = 0;
  private proc: ChildProcess | undefined;
  private log: string[] = [];
  private logStream: WriteStream | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(private readonly options: CodeServerOptions) {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'chronos-e2e-'));
    this.userDataDir = path.join(this.root, 'user-data');
    this.extensionsDir = path.join(this.root, 'extensions');
    this.workspace = path.join(this.root, 'workspace');
    const xdg = path.join(this.root, 'xdg');
    for (const d of [this.userDataDir, this.extensionsDir, this.workspace, `${xdg}/config`, `${xdg}/data`, `${xdg}/cache`]) mkdirSync(d, { recursive: true });
    this.env = {
      ...process.env,
      // Node 24 first: code-server's own child processes (extension host, file watcher) run `node`.
      PATH: `${path.dirname(node24)}:${process.env.PATH ?? ''}`,
      XDG_CONFIG_HOME: `${xdg}/config`,
      XDG_DATA_HOME: `${xdg}/data`,
      XDG_CACHE_HOME: `${xdg}/cache`,
      HOME: process.env.HOME,
      // The extension host must not pick up the test runner's loaders or options.
      NODE_OPTIONS: '',
      VSCODE_IPC_HOOK_CLI: '',
    };
    delete this.env.ELECTRON_RUN_AS_NODE;
  }

  /** Installs the VSIX files, prepares the workspace and settings, starts the server and waits for /healthz. */
  static async start(options: CodeServerOptions = {}): Promise<CodeServer> {
    const why = missingTools();
    if (why) throw new Error(why);
    const cs = new CodeServer(options);
    try {
      cs.prepare();
      for (const vsix of options.vsix ?? []) cs.installExtension(vsix);
      for (let attempt = 0; ; attempt++) {
        cs.port = await freePort();
        if (await cs.launch()) break;
        if (attempt >= 2) throw new Error(`code-server did not become healthy:\n${cs.logTail(60)}`);
      }
      return cs;
    } catch (e) {
      await cs.stop();
      throw e;
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `vscode-remote://` URI of a path on the server (for the workbench's `payload` parameter). */
  remoteUri(p: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${p}`;
  }

  /** The workbench URL opening the workspace, optionally with a `payload` (extension development / tests). */
  workbenchUrl(payload?: [string, string][]): string {
    let u = `${this.url}/?folder=${encodeURIComponent(this.workspace)}`;
    if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    return u;
  }

  private baseArgs(): string[] {
    return [codeServerEntry, '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
  }

  private prepare(): void {
    for (const f of this.options.workspaceFiles ?? []) {
      cpSync(f, path.join(this.workspace, path.basename(f)), { recursive: true });
    }
    for (const [rel, text] of Object.entries(this.options.workspaceContent ?? {})) {
      const p = path.join(this.workspace, rel);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
    const userDir = path.join(this.userDataDir, 'User');
    mkdirSync(userDir, { recursive: true });
    writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...this.options.settings }, null, 2));
    writeFileSync(path.join(this.root, 'config.yaml'), 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  }

  /** `code-server --install-extension <vsix>` into this server's extensions folder. */
  installExtension(vsix: string): void {
    const r = spawnSync(node24, [...this.baseArgs(), '--install-extension', vsix, '--force'], {
      env: this.env, encoding: 'utf8', timeout: 120_000, cwd: this.root,
    });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    this.log.push(`$ code-server --install-extension ${vsix}`, out);
    if (r.status !== 0 || !/successfully installed/i.test(out)) {
      throw new Error(`installing ${path.basename(vsix)} failed (exit ${r.status ?? r.signal}):\n${out}`);
    }
  }

  /** `code-server --list-extensions --show-versions`. */
  listExtensions(): string[] {
    const r = spawnSync(node24, [...this.baseArgs(), '--list-extensions', '--show-versions'], {
      env: this.env, encoding: 'utf8', timeout: 60_000, cwd: this.root,
    });
    if (r.status !== 0) throw new Error(`--list-extensions failed: ${r.stderr}`);
    return r.stdout.split('\n').map((s) => s.trim()).filter((s) => /^[\w-]+\.[\w-]+@/.test(s));
  }

  /** Folder of an installed extension (`<publisher>.<name>-<version>[-target]`). */
  installedExtensionDir(id: string): string {
    const dirs = readdirSync(this.extensionsDir).filter((d) => d.toLowerCase().startsWith(`${id.toLowerCase()}-`));
    if (dirs.length !== 1) throw new Error(`expected one installed ${id} in ${this.extensionsDir}, found: ${dirs.join(', ') || 'none'}`);
    return path.join(this.extensionsDir, dirs[0]);
  }

  private async launch(): Promise<boolean> {
    const args = [
      ...this.baseArgs(),
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--config', path.join(this.root, 'config.yaml'),
      '--vscode-option', 'enable-smoke-test-driver',
      '--log', 'info',
    ];
    this.log.push(`$ code-server --bind-addr 127.0.0.1:${this.port} ...`);
    // detached: a new session and process group (setsid), so stop() can signal the whole group.
    const proc = spawn(node24, args, { env: this.env, cwd: this.root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    if (proc.pid) liveGroups.add(proc.pid);
    if (this.options.logFile) {
      mkdirSync(path.dirname(this.options.logFile), { recursive: true });
      this.logStream = createWriteStream(this.options.logFile);
    }
    const onData = (b: Buffer) => {
      const s = b.toString('utf8');
      this.log.push(s);
      if (this.log.length > 4000) this.log.splice(0, this.log.length - 3000);
      this.logStream?.write(s);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    let exitedEarly = false;
    this.exited = new Promise((resolve) => proc.once('exit', (code, sig) => {
      exitedEarly = true;
      this.log.push(`[code-server exited: ${code ?? sig}]`);
      resolve();
    }));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !exitedEarly) {
      if ((await httpGet(`${this.url}/healthz`, 2000)) === 200) return true;
      await sleep(200);
    }
    if (!exitedEarly) await this.killGroup();
    return false;
  }

  /** The last lines of code-server's output (printed when a test fails). */
  logTail(lines = 80): string {
    return this.log.join('').split('\n').slice(-lines).join('\n');
  }

  /**
   * The VS Code logs under the user-data folder (extension host, renderer, our output channel), newest
   * lines last: `[relative path, tail]` for each non-empty file.
   */
  vscodeLogs(linesPerFile = 40): [string, string][] {
    const out: [string, string][] = [];
    const logs = path.join(this.userDataDir, 'logs');
    const walk = (p: string) => {
      if (!existsSync(p)) return;
      for (const e of readdirSync(p)) {
        const f = path.join(p, e);
        if (statSync(f).isDirectory()) walk(f);
        else if (e.endsWith('.log') && statSync(f).size > 0) {
          out.push([path.relative(logs, f), readFileSync(f, 'utf8').split('\n').slice(-linesPerFile).join('\n')]);
        }
      }
    };
    walk(logs);
    return out;
  }

  /** Everything worth printing when a test fails. */
  diagnostics(): string {
    const parts = [`--- code-server output (tail) ---\n${this.logTail()}`];
    for (const [name, tail] of this.vscodeLogs()) {
      if (/exthost|Chronos|remoteagent|sharedprocess|window|renderer/i.test(name)) parts.push(`--- ${name} (tail) ---\n${tail}`);
    }
    return parts.join('\n');
  }

  private async killGroup(): Promise<void> {
    const proc = this.proc;
    if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) {
      // The main process is gone; its group may still hold children (watchers, extension hosts).
      if (proc?.pid) try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* none left */ }
      return;
    }
    try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* already gone */ }
    const exited = await Promise.race([this.exited.then(() => true), delay(5000, false)]);
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* group empty */ }
    if (!exited) await Promise.race([this.exited, delay(2000)]);
    liveGroups.delete(proc.pid);
  }

  /** Stops the server and every process of its group, then removes the temporary folder. Bounded: ~7 s. */
  async stop(): Promise<void> {
    await this.killGroup();
    this.logStream?.end();
    const keep = this.options.keep ?? process.env.CHRONOS_E2E_KEEP === '1';
    if (keep) console.log(`# code-server folder kept: ${this.root}`);
    else rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}
