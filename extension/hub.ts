/**
 * The Hugging Face hub from VS Code: the access token (Set / Clear Hugging Face Token, kept in
 * SecretStorage only, scrubbed from the log), VS Code's proxy settings, and downloads into the shared
 * hub cache under a cancellable progress notification (bytes, speed, ETA), with failures explained and
 * the buttons that fix them (token, model page, proxy settings, retry).
 *
 * Where things come from: the endpoint HF_ENDPOINT, the cache HF_HUB_CACHE / HF_HOME, offline mode
 * HF_HUB_OFFLINE (VS Code's environment, as huggingface_hub reads them, never a workspace setting); the
 * proxy from the user's http.* settings (lib/network.ts).
 */
import * as vscode from 'vscode';
import { ChronosLensError, errorMessage } from '../core/errors';
import type { DownloadedModel } from '../core/hub';
import { describeHubError, HUB_ACTION_LABELS, tokenProblem, type HubAction } from './lib/hub-messages';
import { describeNetwork, networkOptions, type NetworkOptions } from './lib/network';
import { redactError, Redactor } from './lib/redact';
import { withCancellableProgress, type JobRegistry } from './ui';

export const TOKEN_SECRET_KEY = 'chronosLens.huggingFaceToken';

/** The extension's log with every line passed through the redactor (the token never reaches the Output view). */
export function redactingLog(channel: vscode.LogOutputChannel, r: Redactor): vscode.LogOutputChannel {
  const scrub = (a: unknown): unknown => (typeof a === 'string' ? r.redact(a) : a instanceof Error ? redactError(a, r) : a && typeof a === 'object' ? r.redact(JSON.stringify(a)) : a);
  const wrapped = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);
  return new Proxy(channel, {
    get(target, p) {
      const v = Reflect.get(target, p, target) as unknown;
      if (typeof v !== 'function') return v;
      if (wrapped.has(p)) return (...args: unknown[]) => (v as (...a: unknown[]) => unknown).apply(target, args.map(scrub));
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

export interface HubHost {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly jobs: JobRegistry;
  readonly redactor: Redactor;
  /** Records an error for `inspect.lastError()` (the in-host tests) without a second notification. */
  noteError(message: string): void;
}

export class HubAccess {
  constructor(private readonly host: HubHost) {}

  /** The token to send: SecretStorage, else HF_TOKEN / HUGGING_FACE_HUB_TOKEN / the `huggingface-cli login` file. */
  async token(): Promise<{ token?: string; source?: 'secret-storage' | 'environment' }> {
    const stored = await this.host.context.secrets.get(TOKEN_SECRET_KEY);
    if (stored) {
      this.host.redactor.add(stored);
      return { token: stored, source: 'secret-storage' };
    }
    const { findHubToken } = await import('../core/hub');
    const env = findHubToken(process.env);
    if (env) {
      this.host.redactor.add(env);
      return { token: env, source: 'environment' };
    }
    return {};
  }

  /** Set Hugging Face Token: asks (a password box), or takes a string argument (scripts); stores it in SecretStorage. */
  async setToken(arg?: unknown): Promise<boolean | undefined> {
    let value: string | undefined;
    if (typeof arg === 'string') {
      const problem = tokenProblem(arg);
      if (problem) throw new ChronosLensError('BAD_INPUT', problem);
      value = arg.trim();
    } else {
      value = await vscode.window.showInputBox({
        title: vscode.l10n.t('Chronos Lens: Hugging Face Token'),
        prompt: vscode.l10n.t('A Hugging Face access token (read) for gated or private models. It is kept in VS Code\'s secret storage, never in settings or logs.'),
        placeHolder: vscode.l10n.t('hf_…'),
        password: true,
        ignoreFocusOut: true,
        validateInput: (v) => tokenProblem(v),
      });
      value = value?.trim();
    }
    if (!value) return undefined;
    this.host.redactor.add(value);
    await this.host.context.secrets.store(TOKEN_SECRET_KEY, value);
    this.host.log.info('Hugging Face token saved in VS Code\'s secret storage');
    void vscode.window.showInformationMessage(vscode.l10n.t('Chronos Lens: Hugging Face token saved in VS Code\'s secret storage; downloads send it to the hub.'));
    return true;
  }

  async clearToken(): Promise<boolean> {
    const had = await this.host.context.secrets.get(TOKEN_SECRET_KEY);
    await this.host.context.secrets.delete(TOKEN_SECRET_KEY);
    this.host.log.info(had ? 'Hugging Face token removed from VS Code\'s secret storage' : 'no Hugging Face token was stored');
    const { findHubToken } = await import('../core/hub');
    const removed = had ? vscode.l10n.t('Chronos Lens: Hugging Face token removed.') : vscode.l10n.t('Chronos Lens: no Hugging Face token was stored.');
    const env = findHubToken(process.env) ? vscode.l10n.t('A token from HF_TOKEN or the huggingface-cli login file is still used.') : '';
    void vscode.window.showInformationMessage(env ? `${removed} ${env}` : removed);
    return !!had;
  }

  /** VS Code's proxy settings, from the user (and remote machine) scope only. */
  network(): NetworkOptions {
    const http = vscode.workspace.getConfiguration('http');
    const user = <T>(key: string): T | undefined => http.inspect<T>(key)?.globalValue;
    return networkOptions({ proxy: user('proxy'), noProxy: user('noProxy'), proxyStrictSSL: user('proxyStrictSSL') });
  }

  /**
   * Downloads `repoId` into the hub cache under a progress notification. Failures are shown with their
   * fix; the notification does not hold the command: its Retry (which resumes) and a newly set token call
   * `again`. Returns undefined on failure and when cancelled.
   */
  async download(repoId: string, o: { revision?: string; approxBytes?: number; again?: () => unknown } = {}): Promise<DownloadedModel | undefined> {
    const revision = o.revision ?? 'main';
    const { token, source } = await this.token();
    const net = this.network();
    const hub = await import('../core/hub');
    const settings = hub.resolveHubSettings({ env: process.env });
    this.host.log.info(`downloading ${repoId}@${revision} from ${settings.endpoint} into ${settings.cacheDir}; ${describeNetwork(net)}; ${token ? `token from ${source}` : 'no token'}`);
    const size = o.approxBytes ? ` (~${hub.formatBytes(o.approxBytes)})` : '';
    try {
      const r = await withCancellableProgress(vscode.l10n.t('Chronos Lens: downloading {0}{1}', repoId, size), this.host.jobs, (c) =>
        hub.downloadModel(repoId, {
          revision,
          env: process.env,
          token,
          ...net,
          signal: c.signal,
          onProgress: (p) => c.onProgress({ fraction: p.fraction, message: p.message }),
        }),
      );
      if (r.offlineReason) this.host.log.warn(r.offlineReason);
      this.host.log.info(r.bytesDownloaded ? `downloaded ${repoId} (${hub.formatBytes(r.bytesDownloaded)}) to ${r.path}` : `${repoId} was already in the Hugging Face cache: ${r.path}`);
      return r;
    } catch (e) {
      redactError(e, this.host.redactor);
      const view = describeHubError(e, { repoId, hasToken: !!token });
      if (view.severity === 'none') {
        this.host.log.info(view.message);
        return undefined;
      }
      const cause = e instanceof ChronosLensError && e.cause instanceof Error && e.cause.message !== errorMessage(e) ? ` (${e.cause.message})` : '';
      this.host.log.error(`${view.message}${cause}`);
      this.host.noteError(view.message);
      const actions = view.actions.filter((a) => a !== 'retry' || !!o.again);
      const labels = actions.map((a) => HUB_ACTION_LABELS[a]);
      void vscode.window.showErrorMessage(vscode.l10n.t('Chronos Lens: {0}', view.message), ...labels).then(
        async (choice) => {
          const action = actions[labels.indexOf(choice ?? '')] as HubAction | undefined;
          if (action === 'retry') await o.again?.();
          else if (action === 'setToken') {
            if ((await this.setToken()) && o.again) await o.again();
          } else if (action === 'openPage' && view.url) await vscode.env.openExternal(vscode.Uri.parse(view.url));
          else if (action === 'proxySettings') await vscode.commands.executeCommand('workbench.action.openSettings', 'http.proxy');
          else if (action === 'showLog') this.host.log.show(true);
        },
        () => undefined,
      );
      return undefined;
    }
  }
}
