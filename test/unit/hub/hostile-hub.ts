/**
 * A hostile Hugging Face hub for the fault suite: one real HTTP server on 127.0.0.1 that answers like
 * huggingface.co by default (small files with a git-sha1 ETag, LFS files by a 302 to its own /cdn/ path
 * with X-Linked-Etag / X-Linked-Size, X-Repo-Commit everywhere) and misbehaves wherever a case says so.
 *
 * Answers are written as raw bytes on the socket, not through Node's ServerResponse, so a case can send
 * what a real server could send and Node's own header checks would refuse (NUL, non-ASCII, broken
 * Content-Length). Any repo id and any revision is answered, so that a client that forgets to check
 * them sends the request and shows what it would do with the answer.
 */
import * as crypto from 'crypto';
import * as http from 'http';
import type { AddressInfo, Socket } from 'net';

export const sha256 = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');
export const gitSha1 = (b: Buffer): string => crypto.createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export interface HostileFile {
  content: Buffer;
  lfs: boolean;
}

/** What one answer will be; a case's hook may change anything before it is sent. */
export interface Answer {
  status: number;
  headers: Array<[string, string]>;
  body?: Buffer;
}

export interface RequestInfo {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface Behaviour {
  /** Change the answer to HEAD/GET resolve/<rev>/<file> (file is the name the client asked for). */
  resolve?: (file: string, a: Answer, req: RequestInfo) => void;
  /** Take over a CDN GET completely (write to the socket yourself). Return false to answer normally. */
  cdn?: (file: string, socket: Socket, req: RequestInfo) => boolean;
  /** Take over any other path (redirect targets). */
  other?: (socket: Socket, req: RequestInfo) => boolean;
}

export function setHeader(a: Answer, name: string, value: string | undefined): void {
  a.headers = a.headers.filter(([k]) => k.toLowerCase() !== name.toLowerCase());
  if (value !== undefined) a.headers.push([name, value]);
}
export function getHeader(a: Answer, name: string): string | undefined {
  return a.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** Writes a raw HTTP/1.1 answer (bytes as given, latin1 for header text) and closes the connection. */
export function writeRaw(socket: Socket, a: Answer, head = false): void {
  const lines = [`HTTP/1.1 ${a.status} X`, ...a.headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''];
  socket.write(Buffer.from(lines.join('\r\n'), 'utf8'));
  if (a.body && !head) socket.write(a.body);
  socket.end();
}

export class HostileHub {
  readonly files = new Map<string, HostileFile>();
  readonly commit = crypto.createHash('sha1').update('hostile').digest('hex');
  readonly requests: RequestInfo[] = [];
  behaviour: Behaviour = {};
  /** Answer nothing at all: every request is left hanging with its socket open. */
  stall = false;
  endpoint = '';
  private server!: http.Server;
  private readonly sockets = new Set<Socket>();

  setFiles(files: Record<string, Buffer>): void {
    this.files.clear();
    for (const [name, content] of Object.entries(files)) this.files.set(name, { content, lfs: name.endsWith('.safetensors') });
  }

  reset(): void {
    this.requests.length = 0;
    this.behaviour = {};
    this.stall = false;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The default answer to HEAD/GET resolve/<rev>/<file>. */
  answerFor(file: string): Answer {
    const f = this.files.get(file);
    if (!f) return { status: 404, headers: [['X-Error-Code', 'EntryNotFound'], ['X-Repo-Commit', this.commit], ['Content-Length', '0']] };
    if (f.lfs) {
      const sha = sha256(f.content);
      return {
        status: 302,
        headers: [
          ['Location', `${this.endpoint}/cdn/${encodeURIComponent(file)}?sig=1`],
          ['X-Repo-Commit', this.commit],
          ['X-Linked-Etag', `"${sha}"`],
          ['X-Linked-Size', String(f.content.length)],
          ['ETag', `"${gitSha1(Buffer.from(`oid sha256:${sha}`))}"`],
          ['Content-Length', '0'],
        ],
      };
    }
    return {
      status: 200,
      headers: [['X-Repo-Commit', this.commit], ['ETag', `"${gitSha1(f.content)}"`], ['Content-Length', String(f.content.length)]],
      body: f.content,
    };
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const info: RequestInfo = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
    this.requests.push(info);
    if (this.stall) return;
    const socket = res.socket!;
    const head = req.method === 'HEAD';
    const url = new URL(req.url ?? '/', 'http://x');
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const file = resolve[3].split('/').map(decodeURIComponent).join('/');
      const a = this.answerFor(file);
      this.behaviour.resolve?.(file, a, info);
      writeRaw(socket, a, head);
      return;
    }
    const cdn = /^\/cdn\/(.+)$/.exec(url.pathname);
    if (cdn) {
      const file = decodeURIComponent(cdn[1]);
      if (this.behaviour.cdn?.(file, socket, info)) return;
      const f = this.files.get(file);
      if (!f) return writeRaw(socket, { status: 404, headers: [['Content-Length', '0']] });
      const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      const start = range ? Number(range[1]) : 0;
      if (start >= f.content.length) return writeRaw(socket, { status: 416, headers: [['Content-Range', `bytes */${f.content.length}`], ['Content-Length', '0']] });
      const body = f.content.subarray(start);
      const headers: Array<[string, string]> = [['Content-Length', String(body.length)], ['Accept-Ranges', 'bytes']];
      if (range) headers.push(['Content-Range', `bytes ${start}-${f.content.length - 1}/${f.content.length}`]);
      writeRaw(socket, { status: range ? 206 : 200, headers, body }, head);
      return;
    }
    if (this.behaviour.other?.(socket, info)) return;
    writeRaw(socket, { status: 404, headers: [['Content-Length', '0']] });
  }
}

/**
 * Sends `chunk` again and again, as fast as the client reads, until `limit` bytes (then it stalls with the
 * connection open: a client that has not stopped by then has no bound of its own) or the socket closes.
 */
export function endlessBody(socket: Socket, headers: Array<[string, string]>, limit: number, status = 200): void {
  socket.write(Buffer.from([`HTTP/1.1 ${status} X`, ...headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''].join('\r\n')));
  const chunk = Buffer.alloc(1 << 16, 0x41);
  let sent = 0;
  const pump = () => {
    while (!socket.destroyed && sent < limit) {
      sent += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** Sends one byte every `everyMs` forever (never idle, never done), until the socket closes. */
export function tricklingBody(socket: Socket, headers: Array<[string, string]>, everyMs: number): void {
  socket.write(Buffer.from([`HTTP/1.1 200 X`, ...headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''].join('\r\n')));
  const t = setInterval(() => {
    if (socket.destroyed) clearInterval(t);
    else socket.write('A');
  }, everyMs);
  socket.on('close', () => clearInterval(t));
}
