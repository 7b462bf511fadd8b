/**
 * A real HTTP proxy on 127.0.0.1 for tests: forwards absolute-URI requests (http:// targets) and opens
 * CONNECT tunnels (https:// targets), optionally demanding Basic credentials. It records what it saw.
 */
import * as http from 'http';
import * as net from 'net';
import type { AddressInfo } from 'net';

export interface ProxySeen {
  method: string;
  target: string;
  proxyAuthorization?: string;
  authorization?: string;
}

export class TestProxy {
  readonly seen: ProxySeen[] = [];
  url = '';
  private server!: http.Server;
  private readonly sockets = new Set<net.Socket>();
  constructor(private readonly credentials?: { user: string; password: string }) {}

  private authorized(h: http.IncomingHttpHeaders): boolean {
    if (!this.credentials) return true;
    const want = `Basic ${Buffer.from(`${this.credentials.user}:${this.credentials.password}`).toString('base64')}`;
    return h['proxy-authorization'] === want;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.seen.push({ method: req.method ?? '', target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'], authorization: req.headers.authorization });
      if (!this.authorized(req.headers)) {
        res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="test"', 'Content-Length': 0 });
        return res.end();
      }
      const target = new URL(req.url ?? '');
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      const up = http.request({ hostname: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers, agent: false }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        ur.on('error', () => res.destroy());
      });
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(up);
    });
    this.server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      this.seen.push({ method: 'CONNECT', target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] });
      if (!this.authorized(req.headers)) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
