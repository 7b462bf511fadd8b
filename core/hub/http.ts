/**
 * A small HTTP(S) client on Node's http/https/tls: one request at a time, no keep-alive, an idle timeout,
 * AbortSignal, and proxies (plain forwarding for http:// targets, CONNECT tunnelling for https://).
 * Network failures become HubErrors that say what happened (refused, DNS, timeout, cut, TLS, proxy).
 */
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as tls from 'tls';
import { CancelledError } from '../errors';
import { HubError } from './hub-error';
import type { Env } from './settings';

export interface HttpSettings {
  proxy?: string | null;
  noProxy?: string[];
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify TLS certificates (default true). false: VS Code's `http.proxyStrictSSL: false`. */
  strictSSL?: boolean;
  timeoutMs: number;
  env: Env;
  signal?: AbortSignal;
}

export interface RequestSpec {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|0:0:0:0:0:0:0:1)$/i;

export function bareHost(hostname: string): string {
  return hostname.replace(/^\[/, '').replace(/\]$/, '');
}

function defaultPort(u: URL): number {
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/** `http://proxy:3128` with the credentials left out, for messages. */
export function describeProxy(p: URL): string {
  return `${p.protocol}//${p.host}`;
}

function parseProxyUrl(value: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch (e) {
    throw new HubError('NETWORK', 'proxy', 'The proxy setting is not a valid URL (expected http://host:port).', { cause: e });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new HubError('NETWORK', 'proxy', `Unsupported proxy scheme "${u.protocol}" (${u.host}): only http:// and https:// proxies are supported.`);
  }
  return u;
}

function noProxyMatches(target: URL, entries: string[]): boolean {
  const host = bareHost(target.hostname).toLowerCase();
  const port = String(defaultPort(target));
  for (const raw of entries) {
    let e = raw.trim().toLowerCase();
    if (!e) continue;
    if (e === '*') return true;
    let ePort: string | undefined;
    const m = /^(.*?):(\d+)$/.exec(e);
    if (m && !e.includes('::')) {
      e = m[1];
      ePort = m[2];
    }
    e = bareHost(e).replace(/^\*?\./, '');
    if (ePort && ePort !== port) continue;
    if (host === e || host.endsWith(`.${e}`)) return true;
  }
  return false;
}

/** The proxy to use for a target URL, or undefined for a direct connection. */
export function resolveProxy(target: URL, s: Pick<HttpSettings, 'proxy' | 'noProxy' | 'env'>): URL | undefined {
  const noProxy = [...(s.noProxy ?? []), ...(s.env.NO_PROXY ?? s.env.no_proxy ?? '').split(',')];
  if (s.proxy === null || s.proxy === '') return undefined;
  if (s.proxy !== undefined) {
    if (noProxyMatches(target, noProxy)) return undefined;
    return parseProxyUrl(s.proxy.trim());
  }
  const env = s.env;
  const fromEnv =
    target.protocol === 'https:'
      ? env.HTTPS_PROXY || env.https_proxy || env.ALL_PROXY || env.all_proxy
      : env.HTTP_PROXY || env.http_proxy || env.ALL_PROXY || env.all_proxy;
  if (!fromEnv) return undefined;
  if (LOOPBACK.test(bareHost(target.hostname))) return undefined;
  if (noProxyMatches(target, noProxy)) return undefined;
  return parseProxyUrl(fromEnv.trim());
}

function proxyAuthHeader(p: URL): Record<string, string> {
  if (!p.username && !p.password) return {};
  const cred = `${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(cred).toString('base64')}` };
}

function caOption(ca: HttpSettings['ca']): string[] | undefined {
  if (ca === undefined) return undefined;
  const extra = (Array.isArray(ca) ? ca : [ca]).map((c) => c.toString());
  return [...tls.rootCertificates, ...extra];
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|EPROTO/;

class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no data for ${Math.round(ms / 1000)} s`);
  }
}

/**
 * Turns a Node network error into a HubError saying which failure it was. `where` names the server
 * (host:port, never a URL with credentials); `viaProxy` the proxy when the failure may be the proxy's.
 */
export function networkError(err: unknown, where: string, viaProxy?: string): Error {
  if (err instanceof HubError || err instanceof CancelledError) return err;
  if (err instanceof Error && err.name === 'AbortError') return new CancelledError('Download cancelled.');
  const code = (err as { code?: string } | undefined)?.code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  const through = viaProxy ? ` through the proxy ${viaProxy}` : '';
  switch (code) {
    case 'ECONNREFUSED':
      return new HubError('NETWORK', 'unreachable', `Cannot connect to ${where}${through}: connection refused. Check that it is running and reachable; to work offline with models already in the cache, set HF_HUB_OFFLINE=1.`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return new HubError('NETWORK', 'dns', `Cannot resolve the host name of ${where} (DNS lookup failed, ${code}): are you offline? Set HF_HUB_OFFLINE=1 to use only models already in the cache, or check HF_ENDPOINT and the proxy setting.`, { cause: err });
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return new HubError('NETWORK', 'unreachable', `Cannot reach ${where}${through}: network unreachable (${code}). Are you offline? Set HF_HUB_OFFLINE=1 to use only models already in the cache.`, { cause: err });
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new HubError('NETWORK', 'timeout', `${where}${through} stopped answering (${msg}).`, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return new HubError('NETWORK', 'connection-cut', `The connection to ${where}${through} was cut (${code === 'ECONNRESET' && msg === 'aborted' ? 'transfer interrupted' : code}).`, { cause: err });
    default:
      if (code.startsWith('HPE_')) {
        return new HubError('NETWORK', 'bad-response', `${where}${through} sent a malformed HTTP answer (${msg.replace(/^Parse Error: /, '')}): it does not answer like a Hugging Face hub; check HF_ENDPOINT and the proxy setting.`, { cause: err });
      }
      if (TLS_CODES.test(code)) {
        return new HubError('NETWORK', 'tls', `TLS certificate problem with ${where}${through}: ${msg} (${code}). A TLS-inspecting proxy needs its CA certificate added.`, { cause: err });
      }
      return new HubError('NETWORK', 'http', `Network error talking to ${where}${through}: ${msg}${code ? ` (${code})` : ''}.`, { cause: err });
  }
}

/** Sends one request and resolves with the response head; the body is the caller's to read or discard. */
export async function openRequest(url: URL, spec: RequestSpec, s: HttpSettings): Promise<http.IncomingMessage> {
  if (s.signal?.aborted) throw new CancelledError('Download cancelled.');
  // Node would send any other scheme (file:, gopher:) as plain HTTP to the URL's host, or to localhost.
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HubError('NETWORK', 'bad-response', `Refused to fetch ${url.protocol}${url.host ? `//${url.host}` : ''} URL: only http:// and https:// are followed.`);
  }
  const proxy = resolveProxy(url, s);
  const where = url.host;
  const ca = caOption(s.ca);
  const rejectUnauthorized = s.strictSSL !== false;
  const host = bareHost(url.hostname);
  const port = defaultPort(url);
  if (!proxy) {
    const mod = url.protocol === 'https:' ? https : http;
    return send((o, cb) => mod.request(o, cb), { hostname: host, port, path: url.pathname + url.search, method: spec.method, headers: spec.headers, agent: false, ca, rejectUnauthorized }, s, where);
  }
  const proxyName = describeProxy(proxy);
  const proxyMod = proxy.protocol === 'https:' ? https : http;
  const proxyHost = bareHost(proxy.hostname);
  const proxyPort = defaultPort(proxy);
  if (url.protocol === 'http:') {
    // Plain forwarding: the absolute URL in the request line.
    const headers = { ...spec.headers, Host: url.host, ...proxyAuthHeader(proxy) };
    return send((o, cb) => proxyMod.request(o, cb), { hostname: proxyHost, port: proxyPort, path: url.href, method: spec.method, headers, agent: false, ca, rejectUnauthorized }, s, where, proxyName);
  }
  // https through a proxy: CONNECT host:port, then TLS to the target inside the tunnel.
  const tunnel = await connectTunnel(proxy, proxyMod, `${url.hostname}:${port}`, s, ca, where, proxyName);
  const secure = await startTls(tunnel, host, s, ca, where, proxyName);
  return send(
    (o, cb) => http.request({ ...o, createConnection: () => secure }, cb),
    { hostname: host, port, path: url.pathname + url.search, method: spec.method, headers: { ...spec.headers, Host: url.host } },
    s,
    where,
    proxyName,
  );
}

type RequestFn = (o: http.RequestOptions, cb: (res: http.IncomingMessage) => void) => http.ClientRequest;

function send(fn: RequestFn, options: http.RequestOptions & { ca?: string[]; rejectUnauthorized?: boolean }, s: HttpSettings, where: string, proxyName?: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let res: http.IncomingMessage | undefined;
    let settled = false;
    const fail = (e: unknown) => {
      const err = networkError(e, where, proxyName);
      if (!settled) {
        settled = true;
        cleanup();
        reject(err);
      } else if (res && !res.destroyed) {
        res.destroy(err);
      }
    };
    const onAbort = () => {
      const err = new CancelledError('Download cancelled.');
      if (res) res.destroy(err);
      else req.destroy(err);
    };
    const cleanup = () => s.signal?.removeEventListener('abort', onAbort);
    const req = fn(options, (r) => {
      res = r;
      settled = true;
      r.once('close', cleanup);
      resolve(r);
    });
    req.on('error', fail);
    req.setTimeout(s.timeoutMs, () => {
      const err = new TimeoutError(s.timeoutMs);
      if (res) res.destroy(networkError(err, where, proxyName));
      else req.destroy(err);
    });
    s.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

function connectTunnel(
  proxy: URL,
  proxyMod: typeof http | typeof https,
  authority: string,
  s: HttpSettings,
  ca: string[] | undefined,
  where: string,
  proxyName: string,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (e: Error | undefined, sock?: net.Socket) => {
      if (done) return;
      done = true;
      s.signal?.removeEventListener('abort', onAbort);
      if (e) reject(e);
      else resolve(sock!);
    };
    const req = proxyMod.request({
      hostname: bareHost(proxy.hostname),
      port: defaultPort(proxy),
      method: 'CONNECT',
      path: authority,
      headers: { Host: authority, ...proxyAuthHeader(proxy) },
      agent: false,
      ca,
      rejectUnauthorized: s.strictSSL !== false,
    });
    const onAbort = () => {
      req.destroy();
      finish(new CancelledError('Download cancelled.'));
    };
    s.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('connect', (res: http.IncomingMessage, socket: net.Socket) => {
      if (res.statusCode === 200) {
        // The tunnel is ours now: drop the CONNECT request's idle timer, the TLS request sets its own.
        socket.setTimeout(0);
        socket.removeAllListeners('timeout');
        finish(undefined, socket);
        return;
      }
      socket.destroy();
      const status = res.statusCode ?? 0;
      const hint = status === 407 ? ' The proxy needs credentials: put them in the proxy URL (http://user:password@host:port).' : '';
      finish(new HubError('NETWORK', 'proxy', `The proxy ${proxyName} refused to open a tunnel to ${where} (HTTP ${status} ${res.statusMessage ?? ''}).${hint}`, { status }));
    });
    req.on('error', (e) => finish(networkError(e, `the proxy ${proxyName}`)));
    req.setTimeout(s.timeoutMs, () => req.destroy(new TimeoutError(s.timeoutMs)));
    req.end();
  });
}

function startTls(socket: net.Socket, host: string, s: HttpSettings, ca: string[] | undefined, where: string, proxyName: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, host, servername: net.isIP(host) ? undefined : host, ca, rejectUnauthorized: s.strictSSL !== false });
    const timer = setTimeout(() => secure.destroy(new TimeoutError(s.timeoutMs)), s.timeoutMs);
    const onError = (e: Error) => {
      clearTimeout(timer);
      secure.destroy();
      reject(networkError(e, where, proxyName));
    };
    secure.once('error', onError);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.off('error', onError);
      resolve(secure);
    });
  });
}

/**
 * Where a Location header points, resolved against the request's URL; only http(s) targets (a redirect
 * to file:, gopher:, data: would otherwise reach a local file or localhost).
 */
export function redirectTarget(location: string, base: URL): URL {
  let u: URL;
  try {
    u = new URL(location, base);
  } catch (e) {
    throw new HubError('NETWORK', 'bad-response', `${base.host} redirected to an invalid URL (Location ${JSON.stringify(location.slice(0, 100))}).`, { cause: e });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new HubError('NETWORK', 'bad-response', `${base.host} redirected to a ${u.protocol} URL: only http:// and https:// redirects are followed.`);
  }
  return u;
}

/** Drops a response body we do not need, so the socket is released. */
export function discard(res: http.IncomingMessage): void {
  res.resume();
  res.on('error', () => undefined);
}
