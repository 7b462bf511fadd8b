/**
 * A fake Hugging Face hub for tests: two real HTTP servers on 127.0.0.1.
 *  - the hub: HEAD/GET /{repo}/resolve/{revision}/{file}, answering like huggingface.co: small files
 *    directly (ETag = git blob sha1), LFS files by a 302 to the CDN (X-Linked-Etag = sha256,
 *    X-Linked-Size), X-Repo-Commit on every answer, X-Error-Code on errors (RepoNotFound,
 *    RevisionNotFound, EntryNotFound, GatedRepo), 401 for private/gated repos without a token, 403 for a
 *    gated repo whose licence the token's user has not accepted, a relative 307 for a renamed repo.
 *  - the CDN: GET/HEAD /lfs/{sha256}?sig=..., with Range / If-Range / 206 / 416, its own ETag, and
 *    misbehaviours on demand (cut the connection after N bytes, corrupt a byte, ignore Range, be slow).
 * Every request is recorded (method, url, headers) for assertions.
 */
import * as crypto from 'crypto';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface FakeRepo {
  id: string;
  commit: string;
  files: Map<string, { content: Buffer; lfs: boolean }>;
  access: 'public' | 'private' | 'gated';
}

export interface CdnBehaviour {
  /** For the next `cutTimes` GETs of an LFS blob: send `cutAfter` bytes of the body, then destroy the socket. */
  cutAfter?: number;
  cutTimes?: number;
  /** Flip one byte in the middle of every LFS body sent. */
  corrupt?: boolean;
  /** Answer 200 with the whole file even to Range requests. */
  ignoreRange?: boolean;
  /** Answer 416 to the next `rangeNotSatisfiableTimes` Range requests. */
  rangeNotSatisfiableTimes?: number;
  /** Send the body in chunks of `chunk` bytes every `delayMs`. */
  throttle?: { chunk: number; delayMs: number };
}

export const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
export const gitSha1 = (b: Buffer) => crypto.createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
export const commitOf = (seed: string) => crypto.createHash('sha1').update(`commit:${seed}`).digest('hex');

function parseRange(h: string | undefined, size: number): { start: number; end: number } | 'bad' | undefined {
  if (!h) return undefined;
  const m = /^bytes=(\d+)-(\d*)$/.exec(h);
  if (!m) return 'bad';
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

export class FakeHub {
  readonly repos = new Map<string, FakeRepo>();
  readonly renamed = new Map<string, string>();
  /** Tokens that may read private repos, and tokens whose user accepted the gated repos' licences. */
  readonly privateTokens = new Set<string>();
  readonly gatedAccepted = new Set<string>();
  /** Any token in this set is a valid token (others get 401 "invalid credentials"). */
  readonly validTokens = new Set<string>();
  readonly requests: RecordedRequest[] = [];
  cdn: CdnBehaviour = {};
  /** Misbehave: put the request's token in X-Error-Message (to test that messages are scrubbed). */
  echoTokenInErrors = false;
  private hubServer!: http.Server;
  private cdnServer!: http.Server;
  private readonly sockets = new Set<import('net').Socket>();
  endpoint = '';
  cdnBase = '';

  addRepo(id: string, files: Record<string, Buffer | { content: Buffer; lfs: boolean }>, access: FakeRepo['access'] = 'public'): FakeRepo {
    const repo: FakeRepo = { id, commit: commitOf(id), files: new Map(), access };
    for (const [name, f] of Object.entries(files)) {
      const entry = Buffer.isBuffer(f) ? { content: f, lfs: name.endsWith('.safetensors') || name.endsWith('.bin') } : f;
      repo.files.set(name, entry);
    }
    this.repos.set(id, repo);
    return repo;
  }

  cdnRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.server === 'cdn');
  }
  hubRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.server === 'hub');
  }
  reset(): void {
    this.requests.length = 0;
    this.cdn = {};
    this.echoTokenInErrors = false;
  }

  async start(tlsOptions?: { key: string; cert: string }): Promise<void> {
    const track = (s: http.Server) => s.on('connection', (sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    this.hubServer = tlsOptions ? https.createServer(tlsOptions, (q, r) => this.onHub(q, r)) : http.createServer((q, r) => this.onHub(q, r));
    this.cdnServer = http.createServer((q, r) => this.onCdn(q, r));
    track(this.hubServer);
    track(this.cdnServer);
    const listen = (s: http.Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
    const hubPort = await listen(this.hubServer);
    const cdnPort = await listen(this.cdnServer);
    this.endpoint = `${tlsOptions ? 'https' : 'http'}://127.0.0.1:${hubPort}`;
    this.cdnBase = `http://127.0.0.1:${cdnPort}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([this.hubServer, this.cdnServer].map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))));
  }

  private record(server: 'hub' | 'cdn', req: http.IncomingMessage): void {
    this.requests.push({ server, method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  }

  private onHub(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record('hub', req);
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const fail = (status: number, code?: string, message?: string) => {
      const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json' };
      if (code) headers['X-Error-Code'] = code;
      if (message) headers['X-Error-Message'] = message;
      const body = JSON.stringify({ error: message ?? code ?? 'error' });
      res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!m) return fail(404);
    const [, repoId, revEnc, fileEnc] = m;
    const rev = decodeURIComponent(revEnc);
    const file = fileEnc.split('/').map(decodeURIComponent).join('/');
    const newName = this.renamed.get(repoId);
    if (newName) {
      res.writeHead(307, { Location: `/${newName}/resolve/${revEnc}/${fileEnc}`, 'Content-Length': 0 });
      res.end();
      return;
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (token !== undefined && !this.validTokens.has(token)) {
      return fail(401, undefined, `Invalid credentials in Authorization header${this.echoTokenInErrors ? ` (Bearer ${token})` : ''}`);
    }
    const repo = this.repos.get(repoId);
    if (!repo || (repo.access === 'private' && !this.privateTokens.has(token ?? ''))) {
      return token ? fail(404, 'RepoNotFound', 'Repository not found') : fail(401, 'RepoNotFound', 'Invalid username or password.');
    }
    if (repo.access === 'gated') {
      if (!token) return fail(401, 'GatedRepo', `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      if (!this.gatedAccepted.has(token)) return fail(403, 'GatedRepo', `Access to model ${repoId} is restricted and you are not in the authorized list. Visit https://huggingface.co/${repoId} to ask for access.`);
    }
    if (rev !== 'main' && rev !== repo.commit) return fail(404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const f = repo.files.get(file);
    if (!f) {
      res.setHeader('X-Repo-Commit', repo.commit);
      return fail(404, 'EntryNotFound', `${file} does not exist on "${rev}"`);
    }
    if (f.lfs) {
      const sha = sha256(f.content);
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize ${f.content.length}\n`;
      res.writeHead(302, {
        Location: `${this.cdnBase}/lfs/${sha}?sig=${crypto.randomBytes(4).toString('hex')}`,
        'X-Repo-Commit': repo.commit,
        'X-Linked-Etag': `"${sha}"`,
        'X-Linked-Size': String(f.content.length),
        ETag: `"${gitSha1(Buffer.from(pointer))}"`,
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    res.writeHead(200, {
      'X-Repo-Commit': repo.commit,
      ETag: `"${gitSha1(f.content)}"`,
      'Content-Length': f.content.length,
      'Content-Type': 'text/plain; charset=utf-8',
    });
    res.end(req.method === 'HEAD' ? undefined : f.content);
  }

  private findBlob(sha: string): Buffer | undefined {
    for (const r of this.repos.values()) for (const f of r.files.values()) if (f.lfs && sha256(f.content) === sha) return f.content;
    return undefined;
  }

  private onCdn(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record('cdn', req);
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/lfs\/([0-9a-f]{64})$/.exec(url.pathname);
    const blob = m ? this.findBlob(m[1]) : undefined;
    if (!blob || !url.searchParams.get('sig')) {
      res.writeHead(403, { 'Content-Length': 0 });
      res.end();
      return;
    }
    const etag = `"cdn-${m![1].slice(0, 24)}"`;
    const b = this.cdn;
    let range = b.ignoreRange ? undefined : parseRange(req.headers.range, blob.length);
    const ifRange = req.headers['if-range'];
    if (range && ifRange !== undefined && ifRange !== etag) range = undefined; // validator changed: whole file
    if (req.headers.range && !b.ignoreRange && (b.rangeNotSatisfiableTimes ?? 0) > 0) {
      b.rangeNotSatisfiableTimes!--;
      range = 'bad';
    }
    if (range === 'bad') {
      res.writeHead(416, { 'Content-Range': `bytes */${blob.length}`, 'Content-Length': 0 });
      res.end();
      return;
    }
    let body = blob;
    if (b.corrupt) {
      body = Buffer.from(blob);
      body[Math.floor(body.length / 2)] ^= 0xff;
    }
    const headers: http.OutgoingHttpHeaders = { ETag: etag, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (range) {
      body = body.subarray(range.start, range.end + 1);
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${blob.length}`, 'Content-Length': body.length });
    } else {
      res.writeHead(200, { ...headers, 'Content-Length': body.length });
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (b.cutAfter !== undefined && (b.cutTimes ?? 0) > 0) {
      b.cutTimes!--;
      res.write(body.subarray(0, Math.min(b.cutAfter, body.length)), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (b.throttle) {
      const { chunk, delayMs } = b.throttle;
      let pos = 0;
      const tick = () => {
        if (res.destroyed || res.socket?.destroyed) return;
        const part = body.subarray(pos, pos + chunk);
        pos += part.length;
        if (pos >= body.length) {
          res.end(part);
          return;
        }
        res.write(part);
        setTimeout(tick, delayMs);
      };
      return tick();
    }
    res.end(body);
  }
}
