/**
 * VS Code's network settings, for the hub and GPU downloads: `http.proxy` (a proxy URL, possibly with
 * credentials), `http.noProxy` (hosts that bypass it) and `http.proxyStrictSSL` (false: accept any TLS
 * certificate, for a TLS-inspecting proxy). They are read from the user (and remote machine) settings
 * only, never from a workspace: a workspace must not redirect downloads. An empty `http.proxy` leaves the
 * environment's HTTPS_PROXY / HTTP_PROXY / NO_PROXY in charge (core/hub). vscode-free.
 */

export interface HttpSettingValues {
  proxy?: unknown;
  noProxy?: unknown;
  proxyStrictSSL?: unknown;
}

/** What core/hub downloadModel and core/gpu installGpuSupport take. */
export interface NetworkOptions {
  /** undefined: the environment's proxy variables. */
  proxy?: string;
  noProxy?: string[];
  /** false only when http.proxyStrictSSL is false. */
  strictSSL?: boolean;
}

export function networkOptions(v: HttpSettingValues): NetworkOptions {
  const out: NetworkOptions = {};
  if (typeof v.proxy === 'string' && v.proxy.trim()) out.proxy = v.proxy.trim();
  if (Array.isArray(v.noProxy)) {
    const hosts = v.noProxy.filter((h): h is string => typeof h === 'string' && h.trim() !== '').map((h) => h.trim());
    if (hosts.length) out.noProxy = hosts;
  }
  if (v.proxyStrictSSL === false) out.strictSSL = false;
  return out;
}

/** `http://user:secret@proxy:3128` -> `http://***@proxy:3128`, for logs. */
export function hideCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@\s]+@/i, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

/** One line for the log: where downloads go through. Never shows proxy credentials. */
export function describeNetwork(o: NetworkOptions): string {
  const parts = [o.proxy ? `proxy ${hideCredentials(o.proxy)} (http.proxy)` : 'proxy from the environment (HTTPS_PROXY / HTTP_PROXY), if any'];
  if (o.noProxy?.length) parts.push(`no proxy for ${o.noProxy.join(', ')}`);
  if (o.strictSSL === false) parts.push('TLS certificates NOT verified (http.proxyStrictSSL is false)');
  return parts.join('; ');
}
