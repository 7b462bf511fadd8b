/**
 * A fake NuGet v3 feed for tests: a real HTTP server on 127.0.0.1 answering the way api.nuget.org does
 * for the requests core/gpu makes:
 *   GET /v3/index.json                                       service index (PackageBaseAddress/3.0.0, RegistrationsBaseUrl/3.6.0)
 *   GET /v3/registration5-gz-semver2/{id}/{ver}.json          registration leaf, gzip-compressed (as nuget.org's gz hive)
 *   GET /v3/catalog0/data/{id}.{ver}.json                     catalog leaf with packageHash (base64 SHA-512), packageSize
 *   GET /v3-flatcontainer/{id}/index.json                     version list
 *   GET /v3-flatcontainer/{id}/{ver}/{id}.{ver}.nupkg        302 to /blobs/{id}.{ver}.nupkg (a CDN hop)
 *   GET /blobs/...                                            the bytes, with Range / 206 / 416
 * and misbehaves on demand: cut the body after N bytes, be slow, ignore Range, publish a wrong hash.
 *
 * The package is a real zip built with yazl (a .nupkg is a zip), holding the entries the real
 * Microsoft.ML.OnnxRuntime.Gpu.Linux has at the paths onnxruntime-node's install metadata names — but the
 * "libraries" in it are FAKE: a few hundred kB of text and random bytes, not ELF files. We cannot ship or
 * download NVIDIA's CUDA provider libraries in tests (no network, hundreds of MB, and no GPU to run them),
 * so these tests prove the download, verification and staging, and that ORT falls back to CPU when the
 * provider library cannot be loaded — never that CUDA ran.
 */
import * as crypto from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as zlib from 'zlib';
import { ZipFile } from 'yazl';

export const PACKAGE_ID = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';
export const NATIVE = 'runtimes/linux-x64/native';

export interface Recorded {
  method: string;
  url: string;
  range?: string;
}

export interface Behaviour {
  /** For the next `cutTimes` package GETs: send `cutAfter` bytes of the body, then destroy the socket. */
  cutAfter?: number;
  cutTimes?: number;
  /** Send the body in chunks of `chunk` bytes every `delayMs`. */
  throttle?: { chunk: number; delayMs: number };
  /** Answer 200 with the whole file even to Range requests. */
  ignoreRange?: boolean;
  /** Publish this (wrong) SHA-512 in the catalog instead of the package's. */
  publishHash?: string;
  /** Serve the registration leaf uncompressed (as the plain RegistrationsBaseUrl hive does). */
  plainRegistration?: boolean;
}

/** Fake library bytes: a readable banner and random padding, deliberately not an ELF file. */
export function fakeLibrary(name: string, bytes: number): Buffer {
  const banner = Buffer.from(`FAKE ${name} for Chronos Lens tests: not a real CUDA library (tests cannot ship NVIDIA binaries).\n`);
  return Buffer.concat([banner, crypto.randomBytes(Math.max(0, bytes - banner.length))]);
}

/** Builds a .nupkg (zip) in memory with the given entries (random data is stored, text deflated). */
export function buildNupkg(entries: Record<string, Buffer>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new ZipFile();
    for (const [name, data] of Object.entries(entries)) zip.addBuffer(data, name, { compress: name.endsWith('.xml') || name.endsWith('.nuspec') });
    zip.end();
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** The entries of a GPU package like the real one, with fake libraries. */
export function gpuPackageEntries(version: string, sizes = { cuda: 400_000, shared: 20_000, tensorrt: 30_000 }): Record<string, Buffer> {
  return {
    '[Content_Types].xml': Buffer.from('<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    [`${PACKAGE_ID}.nuspec`]: Buffer.from(`<?xml version="1.0"?><package><metadata><id>${PACKAGE_ID}</id><version>${version}</version></metadata></package>`),
    [`${NATIVE}/libonnxruntime_providers_cuda.so`]: fakeLibrary('libonnxruntime_providers_cuda.so', sizes.cuda),
    [`${NATIVE}/libonnxruntime_providers_shared.so`]: fakeLibrary('libonnxruntime_providers_shared.so', sizes.shared),
    [`${NATIVE}/libonnxruntime_providers_tensorrt.so`]: fakeLibrary('libonnxruntime_providers_tensorrt.so', sizes.tensorrt),
    // The real package also carries libonnxruntime.so itself: it must NOT replace onnxruntime-node's own.
    [`${NATIVE}/libonnxruntime.so`]: fakeLibrary('libonnxruntime.so', 1000),
    'build/native/include/onnxruntime_c_api.h': Buffer.from('/* header */\n'),
  };
}

export class FakeNuget {
  readonly packages = new Map<string, Buffer>(); // "<id lower>/<version>" -> nupkg bytes
  readonly requests: Recorded[] = [];
  behaviour: Behaviour = {};
  base = '';
  private server!: http.Server;
  private readonly sockets = new Set<import('net').Socket>();

  get index(): string {
    return `${this.base}/v3/index.json`;
  }

  add(id: string, version: string, nupkg: Buffer): void {
    this.packages.set(`${id.toLowerCase()}/${version.toLowerCase()}`, nupkg);
  }

  static sha512(b: Buffer): string {
    return crypto.createHash('sha512').update(b).digest('base64');
  }

  packageRequests(): Recorded[] {
    return this.requests.filter((r) => r.url.startsWith('/blobs/'));
  }

  reset(): void {
    this.requests.length = 0;
    this.behaviour = {};
  }

  async start(): Promise<void> {
    this.server = http.createServer((q, r) => this.handle(q, r));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    const port = await new Promise<number>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port)));
    this.base = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private json(res: http.ServerResponse, value: unknown, gzip = false): void {
    let body = Buffer.from(JSON.stringify(value));
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json' };
    if (gzip) {
      body = zlib.gzipSync(body);
      headers['Content-Encoding'] = 'gzip';
    }
    res.writeHead(200, { ...headers, 'Content-Length': body.length });
    res.end(body);
  }

  private notFound(res: http.ServerResponse): void {
    const body = '<Error><Code>BlobNotFound</Code></Error>';
    res.writeHead(404, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    this.requests.push({ method: req.method ?? '', url: url.pathname, range });
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (p === '/v3/index.json') {
      return this.json(res, {
        version: '3.0.0',
        resources: [
          { '@id': `${this.base}/v3-flatcontainer/`, '@type': 'PackageBaseAddress/3.0.0', comment: 'Base URL of where NuGet packages are stored' },
          { '@id': `${this.base}/v3/registration5-gz-semver2/`, '@type': 'RegistrationsBaseUrl/3.6.0' },
          { '@id': `${this.base}/v3/registration5-semver1/`, '@type': 'RegistrationsBaseUrl' },
          { '@id': `${this.base}/query`, '@type': 'SearchQueryService' },
        ],
      });
    }
    if ((m = /^\/v3\/registration5-(gz-semver2|semver1)\/([^/]+)\/([^/]+)\.json$/.exec(p))) {
      const [, hive, id, ver] = m;
      if (!this.packages.has(`${id}/${ver}`)) return this.notFound(res);
      return this.json(
        res,
        {
          '@id': `${this.base}${p}`,
          '@type': ['Package', 'http://schema.nuget.org/catalog#Permalink'],
          catalogEntry: `${this.base}/v3/catalog0/data/2026.01.01.00.00.00/${id}.${ver}.json`,
          listed: true,
          packageContent: `${this.base}/v3-flatcontainer/${id}/${ver}/${id}.${ver}.nupkg`,
          published: '2026-01-01T00:00:00+00:00',
          registration: `${this.base}/v3/registration5-gz-semver2/${id}/index.json`,
        },
        hive === 'gz-semver2' && !this.behaviour.plainRegistration,
      );
    }
    if ((m = /^\/v3\/catalog0\/data\/[^/]+\/(.+)\.(\d+\.\d+\.\d+[^/]*)\.json$/.exec(p))) {
      const [, id, ver] = m;
      const pkg = this.packages.get(`${id}/${ver}`);
      if (!pkg) return this.notFound(res);
      return this.json(res, {
        '@id': `${this.base}${p}`,
        '@type': ['PackageDetails', 'catalog:Permalink'],
        id: PACKAGE_ID,
        version: ver,
        packageHash: this.behaviour.publishHash ?? FakeNuget.sha512(pkg),
        packageHashAlgorithm: 'SHA512',
        packageSize: pkg.length,
      });
    }
    if ((m = /^\/v3-flatcontainer\/([^/]+)\/index\.json$/.exec(p))) {
      const versions = [...this.packages.keys()].filter((k) => k.startsWith(`${m![1]}/`)).map((k) => k.split('/')[1]);
      if (!versions.length) return this.notFound(res);
      return this.json(res, { versions: ['1.18.0', '1.19.2', ...versions] });
    }
    if ((m = /^\/v3-flatcontainer\/([^/]+)\/([^/]+)\/[^/]+\.nupkg$/.exec(p))) {
      if (!this.packages.has(`${m[1]}/${m[2]}`)) return this.notFound(res);
      res.writeHead(302, { Location: `/blobs/${m[1]}.${m[2]}.nupkg`, 'Content-Length': 0 });
      res.end();
      return;
    }
    if ((m = /^\/blobs\/(.+)\.(\d+\.\d+\.\d+[^/]*)\.nupkg$/.exec(p))) {
      const pkg = this.packages.get(`${m[1]}/${m[2]}`);
      if (!pkg) return this.notFound(res);
      return this.sendPackage(req, res, pkg, range);
    }
    return this.notFound(res);
  }

  private sendPackage(req: http.IncomingMessage, res: http.ServerResponse, pkg: Buffer, range: string | undefined): void {
    const b = this.behaviour;
    let start = 0;
    let status = 200;
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', ETag: '"0x8DC"' };
    const rm = range && !b.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
    if (rm) {
      start = Number(rm[1]);
      if (start >= pkg.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${pkg.length}`, 'Content-Length': 0 });
        res.end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${pkg.length - 1}/${pkg.length}`;
    }
    const body = pkg.subarray(start);
    res.writeHead(status, { ...headers, 'Content-Length': body.length });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let limit = body.length;
    let cut = false;
    if (b.cutAfter !== undefined && (b.cutTimes ?? 1) > 0) {
      b.cutTimes = (b.cutTimes ?? 1) - 1;
      limit = Math.min(limit, b.cutAfter);
      cut = true;
    }
    const chunk = b.throttle?.chunk ?? 64 * 1024;
    let off = 0;
    const pump = () => {
      if (res.destroyed) return;
      if (off >= limit) {
        if (cut) {
          // Let the bytes reach the client, then drop the connection in the middle of the body.
          setTimeout(() => res.socket?.destroy(), 20);
        } else res.end();
        return;
      }
      const n = Math.min(chunk, limit - off);
      const ok = res.write(body.subarray(off, off + n));
      off += n;
      if (b.throttle) setTimeout(pump, b.throttle.delayMs);
      else if (ok) setImmediate(pump);
      else res.once('drain', pump);
    };
    pump();
  }
}
