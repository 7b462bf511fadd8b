/**
 * Hub failures: a ChronosLensError (code NETWORK / NOT_FOUND / IO / CANCELLED / ...) plus a `reason` that an
 * adapter can act on (prompt for a token on 'unauthorized', open the model page on 'gated', offer
 * "use the cache" on 'unreachable'). Messages never contain the token.
 */
import { ChronosLensError, type ErrorCode } from '../errors';

export type HubErrorReason =
  | 'unauthorized' // 401: no token, or the token was rejected
  | 'gated' // 403 GatedRepo (or 401 GatedRepo without a token): accept the licence on the hub page
  | 'forbidden' // other 403
  | 'repo-not-found'
  | 'revision-not-found'
  | 'entry-not-found'
  | 'offline' // HF_HUB_OFFLINE / offline option and the cache lacks what was asked
  | 'unreachable' // connection refused, network unreachable
  | 'dns' // DNS lookup failed
  | 'timeout'
  | 'connection-cut' // the transfer stopped in the middle (after retries)
  | 'tls' // certificate problems
  | 'proxy' // the proxy refused or failed
  | 'checksum' // sha256 / git-sha1 / size mismatch
  | 'too-large' // no size announced, and the body went past the bound (free space, or a metadata file's cap)
  | 'bad-name' // a name from the server (etag, commit, file) that is not safe as a path
  | 'no-space' // ENOSPC, or not enough free space before starting
  | 'io' // other file-system failure
  | 'pickle-only' // only pytorch_model.bin: refused
  | 'not-chronos' // config.json has no chronos_config
  | 'no-weights' // neither safetensors nor an index
  | 'bad-response' // the server did not answer like a hub (no commit / etag headers)
  | 'http'; // any other HTTP status

export class HubError extends ChronosLensError {
  readonly reason: HubErrorReason;
  /** HTTP status, when one caused this. */
  readonly status?: number;
  /** A page the user can open to fix it (the gated repo's page, the token settings page). */
  readonly helpUrl?: string;
  constructor(
    code: ErrorCode,
    reason: HubErrorReason,
    message: string,
    options?: { cause?: unknown; status?: number; helpUrl?: string },
  ) {
    super(code, message, { cause: options?.cause });
    this.name = 'HubError';
    this.reason = reason;
    this.status = options?.status;
    this.helpUrl = options?.helpUrl;
  }
}

/**
 * Removes a secret from a message (and from the messages of the causes it carries), for the rare case
 * where a server echoes a header back. Used as a last guard before any error leaves the hub module.
 */
export function redactSecret<E>(e: E, secret: string | undefined): E {
  if (!secret || secret.length < 4) return e;
  const scrub = (s: string): string => s.split(secret).join('***');
  let cur: unknown = e;
  const seen = new Set<unknown>();
  while (cur instanceof Error && !seen.has(cur)) {
    seen.add(cur);
    if (cur.message.includes(secret)) {
      try {
        Object.defineProperty(cur, 'message', { value: scrub(cur.message), configurable: true, writable: true });
      } catch {
        /* frozen: leave it */
      }
    }
    if (cur.stack && cur.stack.includes(secret)) {
      try {
        Object.defineProperty(cur, 'stack', { value: scrub(cur.stack), configurable: true, writable: true });
      } catch {
        /* ignore */
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return e;
}
