/**
 * Where the Hugging Face hub and its cache are, resolved the way huggingface_hub resolves them, so that
 * Python tools and Chronos Lens share one cache:
 *   endpoint  HF_ENDPOINT, else https://huggingface.co
 *   offline   HF_HUB_OFFLINE in {1, ON, YES, TRUE} (case-insensitive)
 *   cache     HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub
 * Explicit options always win over the environment.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type Env = Record<string, string | undefined>;

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** huggingface_hub's truthiness for environment flags. */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.trim().toUpperCase());
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: Env = process.env): string {
  if (env.HF_HOME) return path.resolve(expandHome(env.HF_HOME));
  const xdg = env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.resolve(xdg, 'huggingface');
}

/** The hub cache folder: `HF_HUB_CACHE` (or its old name `HUGGINGFACE_HUB_CACHE`), else `<HF_HOME>/hub`. */
export function defaultCacheDir(env: Env = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return path.resolve(expandHome(explicit));
  return path.join(hfHome(env), 'hub');
}

export function defaultEndpoint(env: Env = process.env): string {
  return normalizeEndpoint(env.HF_ENDPOINT || DEFAULT_ENDPOINT);
}

export function normalizeEndpoint(endpoint: string): string {
  return endpoint.trim().replace(/\/+$/, '');
}

export function offlineFromEnv(env: Env = process.env): boolean {
  return envFlag(env.HF_HUB_OFFLINE);
}

/**
 * A token the way `huggingface-cli login` leaves it: `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, else the file
 * `HF_TOKEN_PATH` or `<HF_HOME>/token`. Never used implicitly by the download functions: adapters decide
 * (the extension keeps its token in SecretStorage; the CLI may call this).
 */
export function findHubToken(env: Env = process.env): string | undefined {
  const fromEnv = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv && fromEnv.trim()) return fromEnv.trim();
  const file = env.HF_TOKEN_PATH ? expandHome(env.HF_TOKEN_PATH) : path.join(hfHome(env), 'token');
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

/** How to reach a server (the hub, a NuGet feed): VS Code's `http.*` settings, else the environment. */
export interface NetworkOptions {
  /**
   * HTTP(S) proxy URL (VS Code's `http.proxy`), e.g. `http://user:pass@proxy:3128`. `undefined`: take
   * HTTPS_PROXY / HTTP_PROXY / ALL_PROXY from the environment (honouring NO_PROXY, and never for loopback
   * hosts). `null` or `''`: no proxy.
   */
  proxy?: string | null;
  /** Hosts that bypass the proxy (VS Code's `http.noProxy`); added to NO_PROXY. */
  noProxy?: string[];
  /** Extra trusted CA certificates (PEM), e.g. a corporate TLS-inspecting proxy's. Added to Node's defaults. */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Verify TLS certificates (default true). `false` (VS Code's `http.proxyStrictSSL: false`) accepts any
   * certificate: only for a TLS-inspecting proxy whose CA cannot be added through `ca`.
   */
  strictSSL?: boolean;
  /** Socket idle timeout in ms (default 30 s). */
  timeoutMs?: number;
  /** The environment to read defaults from (default `process.env`). */
  env?: Env;
}

/** Options shared by everything that talks to the hub or its cache. */
export interface HubOptions extends NetworkOptions {
  /** Hub base URL; default `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string;
  /** Use only the cache; default `HF_HUB_OFFLINE`. */
  offline?: boolean;
  /** Hub cache folder; default `HF_HUB_CACHE`, else `HF_HOME/hub`, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Hugging Face access token, sent as `Authorization: Bearer` to the hub only (never to a CDN it redirects to). */
  token?: string;
  signal?: AbortSignal;
}

export interface ResolvedHubSettings {
  endpoint: string;
  offline: boolean;
  /** Why offline: 'option' (the caller said so) or 'env' (HF_HUB_OFFLINE). */
  offlineSource?: 'option' | 'env';
  cacheDir: string;
  env: Env;
}

export function resolveHubSettings(o: HubOptions = {}): ResolvedHubSettings {
  const env = o.env ?? process.env;
  const envOffline = offlineFromEnv(env);
  const offline = o.offline ?? envOffline;
  return {
    endpoint: o.endpoint ? normalizeEndpoint(o.endpoint) : defaultEndpoint(env),
    offline,
    offlineSource: offline ? (o.offline !== undefined ? 'option' : 'env') : undefined,
    cacheDir: o.cacheDir ? path.resolve(expandHome(o.cacheDir)) : defaultCacheDir(env),
    env,
  };
}

/** `amazon/chronos-t5-small` -> `models--amazon--chronos-t5-small` (huggingface_hub's repo_folder_name). */
export function repoFolderName(repoId: string): string {
  return ['models', ...repoId.split('/')].join('--');
}

/** The inverse of repoFolderName for model repos; undefined for other folders (datasets--, spaces--, .locks). */
export function repoIdFromFolderName(folder: string): string | undefined {
  if (!folder.startsWith('models--')) return undefined;
  const rest = folder.slice('models--'.length);
  if (!rest) return undefined;
  return rest.split('--').join('/');
}

export { COMMIT_HASH, isValidRepoId } from './names';
