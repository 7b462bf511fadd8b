/**
 * downloadResumable (core/hub/http-download.ts), the transfer both the hub download and the GPU-package
 * download use, against a real server on 127.0.0.1: the bound on a body whose size nobody announced,
 * what is kept after a cut, a cancel or a corrupt answer, bounded retries, and redirects to other
 * schemes refused by both redirect followers (the hub's and the NuGet feed's).
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { AddressInfo, Socket } from 'net';
import { CancelledError } from '../../../core/errors';
import { getFollowing, httpStatusError } from '../../../core/gpu/nuget';
import { openRequest, type HttpSettings } from '../../../core/hub/http';
import { downloadResumable, ioError, type ResumableDownload } from '../../../core/hub/http-download';
import { HubError } from '../../../core/hub/hub-error';
import { endlessBody, tricklingBody, writeRaw } from './hostile-hub';

const BODY = Buffer.alloc(200_000, 7);

describe('downloadResumable against a hostile server', { timeout: 60_000 }, () => {
  let server: http.Server;
  let base = '';
  let handler: (socket: Socket, req: http.IncomingMessage) => void = () => undefined;
  const paths: string[] = [];
  const sockets = new Set<Socket>();
  let dir = '';

  before(async () => {
    server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      handler(res.socket!, req);
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronos-http-download-'));
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const settings = (signal?: AbortSignal): HttpSettings => ({ timeoutMs: 2000, env: {}, proxy: null, signal });
  const run = (file: string, extra: Partial<ResumableDownload> & { signal?: AbortSignal } = {}) =>
    downloadResumable({
      file,
      what: 'the test file',
      sizeSource: 'the test announced',
      retries: 2,
      retryDelayMs: 5,
      get: (headers) => getFollowing(new URL(`${base}/file`), settings(extra.signal), headers),
      statusError: (res, url) => httpStatusError(res.statusCode ?? 0, 'the test file', url),
      ioError: (e, what) => ioError(e, what, { place: dir, fix: 'use another folder', noSpace: 'free some space' }),
      cancelLabel: 'Test download',
      nextTry: 'the next try',
      ...extra,
    });

  it('bounds a body of unannounced size by maxBytes and keeps nothing', async () => {
    const file = path.join(dir, 'endless.partial');
    handler = (s) => endlessBody(s, [], 16 << 20);
    await assert.rejects(run(file, { maxBytes: 1 << 20 }), (e: unknown) => e instanceof HubError && e.reason === 'too-large' && /larger than/.test(e.message));
    assert.ok(!fs.existsSync(file), 'partial of unknown size left behind');
  });

  it('refuses a body longer than announced and keeps nothing', async () => {
    const file = path.join(dir, 'long.partial');
    handler = (s) => writeRaw(s, { status: 200, headers: [['Content-Length', String(BODY.length + 1)]], body: Buffer.concat([BODY, Buffer.alloc(1)]) });
    await assert.rejects(run(file, { expectedSize: BODY.length }), /sent more than the 200000 bytes the test announced/);
    assert.ok(!fs.existsSync(file));
  });

  it('keeps a cut partial of announced size for the next try, and nothing of an unknown size', async () => {
    const known = path.join(dir, 'cut-known.partial');
    // 1000 bytes, then the connection drops (after a pause, so that the bytes arrive before the cut).
    handler = (s) => s.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 X\r\nContent-Length: ${BODY.length}\r\n\r\n`), BODY.subarray(0, 1000)]), () => setTimeout(() => s.destroy(), 30));
    await assert.rejects(run(known, { expectedSize: BODY.length }), /kept and the next try resumes/);
    const kept = fs.statSync(known).size;
    assert.ok(kept > 0 && kept <= BODY.length, `kept ${kept}`);

    const unknown = path.join(dir, 'cut-unknown.partial');
    await assert.rejects(run(unknown), (e: unknown) => e instanceof HubError && e.reason === 'connection-cut');
    assert.ok(!fs.existsSync(unknown), 'partial of unknown size left behind');
  });

  it('cancels a trickling body promptly: a partial of known size is kept, one of unknown size removed', async () => {
    handler = (s) => tricklingBody(s, [], 10);
    for (const [name, expectedSize, keeps] of [['trickle-known', BODY.length, true], ['trickle-unknown', undefined, false]] as const) {
      const file = path.join(dir, `${name}.partial`);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 200);
      await assert.rejects(run(file, { expectedSize, signal: ac.signal, get: (headers) => getFollowing(new URL(`${base}/file`), settings(ac.signal), headers) }), (e: unknown) => e instanceof CancelledError);
      assert.equal(fs.existsSync(file), keeps, name);
    }
  });

  it('retries a 5xx storm a bounded number of times', async () => {
    paths.length = 0;
    handler = (s) => writeRaw(s, { status: 503, headers: [['Content-Length', '0']] });
    await assert.rejects(run(path.join(dir, 'storm.partial'), { expectedSize: 10, retries: 3 }), /HTTP 503/);
    assert.equal(paths.filter((p) => p === '/file').length, 4);
  });

  it('follows no redirect to another scheme, and sends no other scheme as HTTP', async () => {
    for (const target of ['file:///etc/passwd', `gopher://127.0.0.1:${new URL(base).port}/probe`, 'data:text/plain,x', 'http://[::1']) {
      paths.length = 0;
      handler = (s, req) => (req.url === '/file' ? writeRaw(s, { status: 302, headers: [['Location', target], ['Content-Length', '0']] }) : writeRaw(s, { status: 200, headers: [['Content-Length', '0']] }));
      await assert.rejects(getFollowing(new URL(`${base}/file`), settings()), (e: unknown) => e instanceof HubError && /redirect/.test(e.message) && !e.message.includes('\n'));
      assert.deepEqual(paths, ['/file'], target);
    }
    await assert.rejects(openRequest(new URL(`gopher://127.0.0.1:${new URL(base).port}/probe`), { method: 'GET', headers: {} }, settings()), /only http:\/\/ and https:\/\//);
  });
});
