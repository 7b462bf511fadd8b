/**
 * What a failed model download tells the user, and which buttons the notification offers: a token for
 * 401/403 and gated models, the model page for gated ones and for repositories that hold no loadable
 * Chronos checkpoint, the proxy settings for network failures and for answers that do not look like a
 * hub's, Retry where trying again can help. Retry and cancel never promise more than the core keeps:
 * finished files stay in the cache, and a partial file only when the hub announced its size
 * (core/hub/http-download.ts). vscode-free.
 */
import { errorMessage, isCancelled } from '../../core/errors';

export type HubAction = 'setToken' | 'openPage' | 'retry' | 'proxySettings' | 'showLog';

export const HUB_ACTION_LABELS: Record<HubAction, string> = {
  setToken: 'Set Hugging Face Token…',
  openPage: 'Open Model Page',
  retry: 'Retry',
  proxySettings: 'Proxy Settings',
  showLog: 'Show Log',
};

export interface HubErrorView {
  /** The notification text (the core's message, which never holds the token, plus VS Code advice). */
  message: string;
  actions: HubAction[];
  /** The page 'openPage' opens. */
  url?: string;
  /** 'error' or, for a cancellation, nothing to show. */
  severity: 'error' | 'none';
  reason?: string;
}

export interface HubErrorContext {
  repoId: string;
  /** Whether a token was sent (SecretStorage, else HF_TOKEN / the huggingface-cli token file). */
  hasToken: boolean;
}

const TOKEN_HINT = 'Set one with "Chronos Lens: Set Hugging Face Token" (kept in VS Code\'s secret storage).';
const ENDPOINT_HINT = 'The hub address comes from HF_ENDPOINT in the environment VS Code was started from (default https://huggingface.co).';
const PROXY_HINT = 'Downloads use VS Code\'s http.proxy, http.noProxy and http.proxyStrictSSL settings (else HTTPS_PROXY / NO_PROXY).';

interface HubLike {
  reason?: unknown;
  status?: unknown;
  helpUrl?: unknown;
  code?: unknown;
}

export function describeHubError(e: unknown, ctx: HubErrorContext): HubErrorView {
  const h = (e && typeof e === 'object' ? e : {}) as HubLike;
  if (isCancelled(e) || h.code === 'CANCELLED') {
    return {
      message: `Download of ${ctx.repoId} cancelled. Finished files stay in the Hugging Face cache; a partly downloaded file is resumed by the next try when the hub announced its size, and downloaded again otherwise.`,
      actions: [],
      severity: 'none',
    };
  }
  const reason = typeof h.reason === 'string' ? h.reason : undefined;
  const base = errorMessage(e);
  const url = typeof h.helpUrl === 'string' ? h.helpUrl : undefined;
  const view = (extra: string, actions: HubAction[]): HubErrorView => ({
    message: `Downloading ${ctx.repoId} failed: ${base}${extra ? ` ${extra}` : ''}`,
    actions: actions.filter((a) => a !== 'openPage' || !!url),
    url,
    severity: 'error',
    reason,
  });
  switch (reason) {
    case 'unauthorized':
      return view(ctx.hasToken ? 'Replace the token with "Chronos Lens: Set Hugging Face Token".' : TOKEN_HINT, ['setToken']);
    case 'gated':
      return view(ctx.hasToken ? '' : TOKEN_HINT, ['openPage', 'setToken']);
    case 'forbidden':
      return view(ctx.hasToken ? 'The token has no access to it: use a token of an account that does.' : TOKEN_HINT, ['setToken', 'openPage']);
    case 'repo-not-found':
      return view('', ctx.hasToken ? [] : ['setToken']);
    case 'revision-not-found':
    case 'entry-not-found':
      return view('', ['openPage']);
    case 'no-space':
    case 'io':
      return view('', ['showLog']);
    case 'too-large':
      // Only a file without an announced size gets here, and nothing of it was kept: retrying fetches it again.
      return view(`Nothing of that file was kept. ${PROXY_HINT}`, ['proxySettings', 'showLog']);
    case 'bad-name':
    case 'bad-response':
      // The server (or a proxy in between) does not answer like the Hugging Face hub: retrying will not help.
      return view(`${ENDPOINT_HINT} ${PROXY_HINT}`, ['proxySettings', 'showLog']);
    case 'pickle-only':
    case 'not-chronos':
    case 'no-weights':
      // The repository itself is the problem: its page shows what it holds; another model is the fix.
      return view('Pick a Chronos or Chronos-Bolt checkpoint with safetensors weights (Chronos Lens: Select Model…).', ['openPage']);
    case 'offline':
      return view('', []);
    case 'unreachable':
    case 'dns':
    case 'timeout':
    case 'tls':
    case 'proxy':
      return view(PROXY_HINT, ['retry', 'proxySettings']);
    case 'connection-cut':
    case 'checksum':
      return view('', ['retry']);
    case 'http':
      return view('', typeof h.status === 'number' && (h.status >= 500 || h.status === 429) ? ['retry'] : ['showLog']);
    default:
      return view('', ['showLog']);
  }
}

/** Why a token value cannot be one, or undefined (input box validation; never echoes the value). */
export function tokenProblem(v: string): string | undefined {
  const t = v.trim();
  if (!t) return 'Paste a token (Hugging Face settings > Access Tokens).';
  if (/\s/.test(t)) return 'A token has no spaces.';
  if (t.length < 8) return 'That is too short for a Hugging Face token.';
  return undefined;
}
