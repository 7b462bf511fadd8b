/**
 * The hub's file protocol, as huggingface_hub uses it:
 *   HEAD {endpoint}/{repo}/resolve/{revision}/{file}   (relative redirects followed, e.g. a renamed repo;
 *        an absolute redirect to a CDN is not followed: its headers carry the metadata)
 *     X-Repo-Commit   the commit the revision resolved to
 *     X-Linked-Etag   for LFS files: the sha256 of the content (else ETag: the git blob sha1)
 *     X-Linked-Size   for LFS files: the content size (else Content-Length)
 *     Location        where to GET the bytes (CDN) when the answer is a redirect
 *   errors carry X-Error-Code: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo.
 * The Authorization header goes to the endpoint's origin only, never to a CDN it redirects to.
 */
import type * as http from 'http';
import { discard, openRequest, redirectTarget, type HttpSettings } from './http';
import { HubError } from './hub-error';
import { checkCommit, checkEtag } from './names';

export const USER_AGENT = `chronos-lens; node/${process.versions.node}`;

export interface HubContext {
  endpoint: string;
  endpointOrigin: string;
  token?: string;
  http: HttpSettings;
}

export interface FileMeta {
  filename: string;
  /** X-Repo-Commit, when the server sent it. */
  commit?: string;
  /** Normalized (no W/, no quotes): sha256 for LFS files, git blob sha1 otherwise. */
  etag: string;
  /** Content size in bytes, when known. */
  size?: number;
  /** Where to GET the content. */
  location: URL;
}

export interface ErrorContext {
  repoId: string;
  revision: string;
  filename?: string;
}

export function resolveUrl(ctx: HubContext, repoId: string, revision: string, filename: string): URL {
  const file = filename.split('/').map(encodeURIComponent).join('/');
  return new URL(`${ctx.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file}`);
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function baseHeaders(ctx: HubContext, url: URL, extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { 'User-Agent': USER_AGENT, 'Accept-Encoding': 'identity', ...extra };
  if (ctx.token && url.origin === ctx.endpointOrigin) h.Authorization = `Bearer ${ctx.token}`;
  return h;
}

/**
 * One request with redirects: 'relative' follows only same-site Location headers (huggingface_hub's HEAD
 * semantics), 'all' follows any (the GET to a CDN), dropping Authorization when the origin changes.
 */
export async function hubRequest(
  ctx: HubContext,
  url: URL,
  method: 'GET' | 'HEAD',
  follow: 'relative' | 'all',
  extra?: Record<string, string>,
): Promise<{ res: http.IncomingMessage; url: URL }> {
  let cur = url;
  for (let hop = 0; hop <= 10; hop++) {
    const res = await openRequest(cur, { method, headers: baseHeaders(ctx, cur, extra) }, ctx.http);
    const status = res.statusCode ?? 0;
    const loc = header(res, 'location');
    if (status >= 300 && status < 400 && loc) {
      const relative = !/^[a-z][a-z0-9+.-]*:/i.test(loc) && !loc.startsWith('//');
      if (follow === 'all' || relative) {
        discard(res);
        cur = redirectTarget(loc, cur);
        continue;
      }
    }
    return { res, url: cur };
  }
  throw new HubError('NETWORK', 'bad-response', `Too many redirects from ${url.host}.`);
}

/** The error a non-success hub answer means, in words a user can act on. Never includes the token. */
export function statusError(res: http.IncomingMessage, ctx: HubContext, e: ErrorContext): HubError {
  const status = res.statusCode ?? 0;
  const code = header(res, 'x-error-code');
  const serverMsg = header(res, 'x-error-message');
  const page = `${ctx.endpoint}/${e.repoId}`;
  const what = e.filename ? `${e.filename} of ${e.repoId}` : e.repoId;
  const detail = serverMsg ? ` The hub says: "${serverMsg.slice(0, 300)}"` : '';
  const hasToken = !!ctx.token;
  if (code === 'GatedRepo' && (status === 403 || (status === 401 && hasToken))) {
    return new HubError('NETWORK', 'gated', `${e.repoId} is a gated model (HTTP ${status}): open ${page}, accept its licence / access conditions with the account your token belongs to, then try again.${detail}`, { status, helpUrl: page });
  }
  if (code === 'GatedRepo') {
    return new HubError('NETWORK', 'gated', `${e.repoId} is a gated model and needs a Hugging Face access token (HTTP ${status}): accept its licence at ${page}, then set a token (Hugging Face settings > Access Tokens).${detail}`, { status, helpUrl: page });
  }
  if (status === 401) {
    if (hasToken) {
      return new HubError('NETWORK', 'unauthorized', `The Hugging Face token was rejected for ${e.repoId} (HTTP 401): it is invalid or expired, or it has no access to this repository. Create a new read token at ${ctx.endpoint}/settings/tokens.${detail}`, { status, helpUrl: `${ctx.endpoint}/settings/tokens` });
    }
    return new HubError('NETWORK', 'unauthorized', `${e.repoId} needs a Hugging Face access token (HTTP 401): the repository does not exist, or it is private or gated. Check the name, or set a token that has access to it.${detail}`, { status, helpUrl: `${ctx.endpoint}/settings/tokens` });
  }
  if (status === 403) {
    return new HubError('NETWORK', 'forbidden', `Access to ${what} is forbidden (HTTP 403).${detail}`, { status, helpUrl: page });
  }
  if (status === 404 || code === 'RepoNotFound' || code === 'RevisionNotFound' || code === 'EntryNotFound') {
    if (code === 'RepoNotFound') {
      return new HubError('NOT_FOUND', 'repo-not-found', `No model repository "${e.repoId}" on ${ctx.endpoint} (HTTP ${status}). Check the name${hasToken ? '' : ', or set a token if it is private'}.`, { status });
    }
    if (code === 'RevisionNotFound') {
      return new HubError('NOT_FOUND', 'revision-not-found', `${e.repoId} has no revision "${e.revision}" (HTTP ${status}): use a branch, tag or commit hash that exists.`, { status, helpUrl: page });
    }
    return new HubError('NOT_FOUND', 'entry-not-found', `${e.filename ?? 'The file'} is not in ${e.repoId} at revision "${e.revision}" (HTTP ${status}).`, { status, helpUrl: page });
  }
  if (status === 407) {
    return new HubError('NETWORK', 'proxy', `The proxy needs credentials (HTTP 407): put them in the proxy URL (http://user:password@host:port).`, { status });
  }
  if (status === 429) {
    return new HubError('NETWORK', 'http', `The hub is rate-limiting requests (HTTP 429) for ${what}; try again in a few minutes${hasToken ? '' : ', or set a token'}.${detail}`, { status });
  }
  if (status >= 500) {
    return new HubError('NETWORK', 'http', `The hub had a server error (HTTP ${status}) for ${what}; try again later.${detail}`, { status });
  }
  return new HubError('NETWORK', 'http', `Unexpected answer HTTP ${status} for ${what}.${detail}`, { status });
}

/** HEAD a file: its commit, etag and size, and where to GET it. */
export async function headFile(ctx: HubContext, repoId: string, revision: string, filename: string): Promise<FileMeta> {
  const url = resolveUrl(ctx, repoId, revision, filename);
  const { res, url: finalUrl } = await hubRequest(ctx, url, 'HEAD', 'relative');
  discard(res);
  const status = res.statusCode ?? 0;
  if (status >= 400) throw statusError(res, ctx, { repoId, revision, filename });
  const where = finalUrl.host;
  const linked = header(res, 'x-linked-etag');
  const etag = checkEtag(linked ?? header(res, 'etag'), linked !== undefined ? 'X-Linked-Etag' : 'ETag', `${where} (for ${filename} of ${repoId})`);
  if (!etag) {
    throw new HubError('NETWORK', 'bad-response', `${where} did not answer like a Hugging Face hub (no ETag for ${filename} of ${repoId}); check HF_ENDPOINT and the proxy setting.`);
  }
  const commit = checkCommit(header(res, 'x-repo-commit'), `${where} (for ${filename} of ${repoId})`);
  const sizeText = header(res, 'x-linked-size') ?? header(res, 'content-length');
  const size = sizeText !== undefined && /^\d{1,15}$/.test(sizeText) ? Number(sizeText) : undefined;
  const loc = status >= 300 && status < 400 ? header(res, 'location') : undefined;
  return {
    filename,
    commit,
    etag,
    size,
    location: loc ? redirectTarget(loc, finalUrl) : finalUrl,
  };
}

export { header as responseHeader };
