/**
 * The download path against a hostile hub (test/unit/hub/hostile-hub.ts, a real server on 127.0.0.1):
 * generated cases put path tricks into every name a server or a flag controls (ETag, X-Linked-Etag,
 * X-Repo-Commit, revision, repo id, shard names), redirect to other schemes and in loops, send endless,
 * long, short, corrupted, stalled and trickling bodies, and answer 5xx forever.
 *
 * For every case: it is refused with one ChronosLensError line (or accepted where the input is valid), every
 * path it created lies inside a temporary Hugging Face cache (the whole sandbox around the cache is listed
 * before and after), no link points outside the cache, no temporary file or lock is left, an `.incomplete`
 * survives only where the case is a resumable cut of a file of announced size (and is no larger than it),
 * and it settles before the harness's deadline (which only turns a hang into a failure).
 *
 * `HOSTILE_SUMMARY=1` prints the outcome of every family at the end.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { downloadModel, type DownloadModelOptions } from '../../../core/hub';
import { ChronosLensError } from '../../../core/errors';
import { repoRoot } from '../helpers';
import { dummyFiles } from './helpers';
import { endlessBody, gitSha1, HostileHub, setHeader, sha256, tricklingBody, writeRaw, type Behaviour } from './hostile-hub';

const REPO = 'acme/chronos-dummy';
const { config, generation, weights } = dummyFiles();
const WEIGHTS_SHA = sha256(weights);
/** A hang is a failure, not a wait: every case must settle well within this. */
const CASE_DEADLINE_MS = 20_000;

const hub = new HostileHub();

interface Sandbox {
  root: string;
  cache: string;
}

interface Case {
  family: string;
  name: string;
  repoId?: string;
  revision?: string;
  sharded?: Record<string, string>;
  behaviour?: (sb: Sandbox) => Behaviour;
  options?: Partial<DownloadModelOptions>;
  /** Abort the download this long after it starts (the CLI's SIGINT), or after the hub starts serving `abortWhenServing`. */
  abortAfterMs?: number;
  /** A file name: abortAfterMs counts from the CDN's first answer for it (a timer from the start would land in another file on a slow machine). */
  abortWhenServing?: string;
  accept?: boolean;
  /** The error message must match. */
  message?: RegExp;
  /** A refused case must write no file at all (only folders) into the cache. */
  nothingWritten?: boolean;
  /** A kept `.incomplete` (resumable cut) is legitimate here. */
  partialOk?: boolean;
  /** Extra checks after the run. */
  check?: (sb: Sandbox) => void;
  /** The hub answers nothing. */
  stall?: boolean;
  /** HF_HUB_CACHE is a regular file. */
  cacheIsFile?: boolean;
  /** The name of the trick (from tricks()) this case puts into its revision or shard name. */
  trick?: string;
}

// ---------------------------------------------------------------------------------------------------
// the tricks

/** Values that must never become a path component. `sb` lets absolute paths point into the sandbox. */
function tricks(sb: Sandbox | undefined, forHeader: boolean): Array<[string, string]> {
  const abs = sb ? path.join(sb.root, 'abs-target') : '/tmp/chronos-hostile-abs-target';
  const out: Array<[string, string]> = [
    ['dot-dot', '..'],
    ['dot', '.'],
    ['empty', ''],
    ['space', ' '],
    ['up-3', '../../../escaped'],
    ['up-5', '../../../../../escaped'],
    ['up-inside-name', 'a/../../../../escaped'],
    ['absolute', abs],
    ['absolute-root', '/'],
    ['percent-dots', '%2e%2e/%2e%2e/%2e%2e/escaped'],
    ['percent-slash', '..%2f..%2f..%2fescaped'],
    ['backslash-up', '..\\..\\..\\escaped'],
    ['backslash', 'a\\b'],
    ['drive', 'C:\\Windows\\x'],
    ['unc', '\\\\server\\share\\x'],
    ['nul', 'a\u0000b'],
    ['overlong', 'a'.repeat(5000)],
    ['fullwidth-dots', '\uff0e\uff0e/\uff0e\uff0e/escaped'],
    ['rtl-override', '\u202eabc'],
    ['slash-only', '///'],
    ['trailing-slash', `${'0'.repeat(40)}/`],
    ['hex-then-up', `${'0'.repeat(40)}/../../escaped`],
    ['tilde', '~/escaped'],
  ];
  if (!forHeader) out.push(['newline', 'a\nb'], ['crlf', 'a\r\nb'], ['tab', 'a\tb']);
  return out;
}

const bad = (family: string, name: string, c: Omit<Case, 'family' | 'name'>): Case => ({ family, name, ...c });

function generateCases(): Case[] {
  const cases: Case[] = [];
  const trickPicks: Array<[string, (sb: Sandbox) => string]> = [];
  for (const [n] of tricks(undefined, true)) {
    const pick = (sb: Sandbox) => tricks(sb, true).find(([k]) => k === n)![1];
    trickPicks.push([n, pick]);
  }
  const hexish: Array<[string, string]> = [
    ['upper-hex-64', WEIGHTS_SHA.toUpperCase()],
    ['hex-63', WEIGHTS_SHA.slice(1)],
    ['hex-65', `${WEIGHTS_SHA}0`],
    ['non-hex-64', `${WEIGHTS_SHA.slice(0, 63)}g`],
    ['xet-like', `xet-${WEIGHTS_SHA.slice(0, 32)}`],
  ];

  // X-Linked-Etag of the LFS weights (bare, quoted, weak), and the plain ETag of config.json.
  for (const [n, pick] of [...trickPicks, ...hexish.map(([k, v]) => [k, () => v] as [string, (sb: Sandbox) => string])]) {
    for (const [form, wrap] of [['bare', (v: string) => v], ['quoted', (v: string) => `"${v}"`], ['weak', (v: string) => `W/"${v}"`]] as const) {
      cases.push(bad('x-linked-etag', `${n} ${form}`, {
        behaviour: (sb) => ({ resolve: (file, a) => file === 'model.safetensors' && setHeader(a, 'X-Linked-Etag', wrap(pick(sb))) }),
        message: /sent X-Linked-Etag .* not a git sha1 or sha256|malformed HTTP answer/,
        nothingWritten: true,
      }));
    }
    for (const [form, wrap] of [['bare', (v: string) => v], ['quoted', (v: string) => `"${v}"`]] as const) {
      cases.push(bad('etag', `${n} ${form}`, {
        behaviour: (sb) => ({ resolve: (file, a) => file === 'config.json' && setHeader(a, 'ETag', wrap(pick(sb))) }),
        message: /sent ETag .* not a git sha1 or sha256|malformed HTTP answer/,
        nothingWritten: true,
      }));
    }
  }
  // Legitimate forms of a valid etag are accepted.
  for (const [form, wrap] of [['quoted', (v: string) => `"${v}"`], ['weak', (v: string) => `W/"${v}"`], ['bare', (v: string) => v]] as const) {
    cases.push({ family: 'x-linked-etag', name: `valid sha256 ${form}`, accept: true, behaviour: () => ({ resolve: (file, a) => file === 'model.safetensors' && setHeader(a, 'X-Linked-Etag', wrap(WEIGHTS_SHA)) }) });
    cases.push({ family: 'etag', name: `valid git sha1 ${form}`, accept: true, behaviour: () => ({ resolve: (file, a) => file === 'config.json' && setHeader(a, 'ETag', wrap(gitSha1(config))) }) });
  }
  // A valid-looking etag with the wrong content must not skip verification: sha1-shaped X-Linked-Etag on LFS.
  cases.push(bad('x-linked-etag', 'sha1-shaped etag of other content', {
    behaviour: () => ({ resolve: (file, a) => file === 'model.safetensors' && setHeader(a, 'X-Linked-Etag', `"${'1'.repeat(40)}"`) }),
    message: /Checksum mismatch/,
  }));

  // X-Repo-Commit of the first answer.
  for (const [n] of [...tricks(undefined, true), ['upper', ''], ['short', '']] as Array<[string, string]>) {
    cases.push(bad('x-repo-commit', n, {
      behaviour: (sb) => ({
        resolve: (_file, a) => {
          const v = n === 'upper' ? hub.commit.toUpperCase() : n === 'short' ? hub.commit.slice(0, 12) : tricks(sb, true).find(([k]) => k === n)![1];
          setHeader(a, 'X-Repo-Commit', v);
        },
      }),
      message: /sent X-Repo-Commit .* not a commit hash|did not say which commit|malformed HTTP answer/,
      nothingWritten: true,
    }));
  }

  // --revision / @rev.
  // Valid as git ref names (and they stay inside refs/): '' and ' ' mean main, as in huggingface_hub.
  const validRevisionTricks = new Set(['empty', 'space', 'percent-dots', 'fullwidth-dots']);
  for (const [n] of tricks(undefined, false)) {
    if (validRevisionTricks.has(n)) cases.push({ family: 'revision', name: `${n} (valid)`, trick: n, accept: true });
    else cases.push({ family: 'revision', name: n, trick: n, message: /revision/i, nothingWritten: true });
  }
  for (const r of ['refs/heads/../../../escaped', 'main.lock', 'a..b', 'a//b', '@', 'a@{1}', 'a:b', 'a*b', 'a?b', 'a[b', 'a^b', 'a~1', 'a/.hidden', 'a.']) {
    cases.push({ family: 'revision', name: JSON.stringify(r), revision: r, message: /revision/i, nothingWritten: true });
  }
  for (const r of ['main', 'v1.0', 'refs/pr/1', 'feature/x-y_z', 'ブランチ', '-rf']) {
    cases.push({ family: 'revision', name: `valid ${r}`, revision: r, accept: true, check: (sb) => assert.equal(fs.readFileSync(path.join(sb.cache, 'models--acme--chronos-dummy', 'refs', ...r.split('/')), 'utf8'), hub.commit) });
  }
  cases.push({ family: 'revision', name: 'valid commit hash', revision: hub.commit, accept: true });

  // Repo ids.
  for (const id of ['../escaped', 'acme/../../escaped', '/abs/x', 'acme/x/y', 'acme\\x', 'acme/x\u0000', `acme/${'x'.repeat(97)}`, 'acme/x.git', 'acme/-x', 'acme/x-', '.acme/x', 'acme/x--y', 'acme/\uff58', 'acme/x y', 'acme/', '/x', 'acme/.', 'acme/..', '%2e%2e/x', 'acme/x\n', '']) {
    cases.push({ family: 'repo-id', name: JSON.stringify(id), repoId: id, message: /model id|repo/i, nothingWritten: true });
  }
  for (const id of ['acme/chronos_dummy.v2', 'a/b', 'chronos-dummy', 'Acme-Lab/Chronos.T5']) {
    cases.push({ family: 'repo-id', name: `valid ${id}`, repoId: id, accept: true });
  }

  // Shard names in model.safetensors.index.json.
  // Odd but safe file names inside the snapshot folder.
  const validShardTricks = new Set(['space', 'percent-dots', 'fullwidth-dots', 'tilde']);
  for (const [n] of tricks(undefined, false)) {
    if (validShardTricks.has(n)) cases.push({ family: 'shard-name', name: `${n} (valid)`, sharded: {}, trick: n, accept: true });
    else cases.push({ family: 'shard-name', name: n, sharded: {}, message: /shard|index/i, check: noEscapedShard, trick: n });
  }
  cases.push({ family: 'shard-name', name: 'valid nested shard', sharded: { 'a.weight': 'weights/model-00001-of-00001.safetensors' }, accept: true });

  // Where the weights live (Location of the HEAD) and where a GET redirects.
  const schemes = (port: () => string): Array<[string, string]> => [
    ['file', 'file:///etc/passwd'],
    ['file-localhost', 'file://localhost/etc/passwd'],
    ['gopher', `gopher://127.0.0.1:${port()}/probe-gopher`],
    ['ftp', `ftp://127.0.0.1:${port()}/probe-ftp`],
    ['ws', `ws://127.0.0.1:${port()}/probe-ws`],
    ['data', 'data:text/plain,hello'],
    ['javascript', 'javascript:alert(1)'],
    ['broken-ipv6', 'http://[::1'],
    ['empty-host', 'http://'],
    ['bad-port', 'http://127.0.0.1:99999/x'],
  ];
  const hubPort = () => (hub.endpoint ? new URL(hub.endpoint).port : '1');
  for (const where of ['head-location', 'cdn-redirect'] as const) {
    for (const [n] of schemes(() => '1')) {
      const target = () => schemes(hubPort).find(([k]) => k === n)![1];
      cases.push({
        family: where,
        name: n,
        behaviour: () =>
          where === 'head-location'
            ? { resolve: (file, a) => file === 'model.safetensors' && setHeader(a, 'Location', target()) }
            : { cdn: (file, s) => file === 'model.safetensors' && (writeRaw(s, { status: 302, headers: [['Location', target()], ['Content-Length', '0']] }), true) },
        message: /redirect|URL|Location|scheme/i,
        check: noProbeRequests,
      });
    }
  }
  cases.push({
    family: 'cdn-redirect',
    name: 'loop',
    behaviour: () => ({ cdn: (file, s) => file === 'model.safetensors' && (writeRaw(s, { status: 302, headers: [['Location', `${hub.endpoint}/cdn/model.safetensors?sig=2`], ['Content-Length', '0']] }), true) }),
    message: /Too many redirects/,
    check: () => assert.ok(hub.requests.filter((r) => r.path.startsWith('/cdn/')).length <= 12, 'redirects bounded'),
  });
  cases.push({
    family: 'head-location',
    name: 'relative loop',
    behaviour: () => ({ resolve: (file, a) => { if (file === 'config.json') { a.status = 307; setHeader(a, 'Location', `/${REPO}/resolve/main/config.json`); } } }),
    message: /Too many redirects/,
    nothingWritten: true,
  });
  cases.push({
    family: 'cdn-redirect',
    name: 'three hops (valid)',
    accept: true,
    behaviour: () => ({
      other: (s, req) => {
        const m = /^\/hop(\d)$/.exec(req.path);
        if (!m) return false;
        const next = Number(m[1]) < 3 ? `/hop${Number(m[1]) + 1}` : `${hub.endpoint}/cdn/model.safetensors?sig=3`;
        writeRaw(s, { status: 302, headers: [['Location', next], ['Content-Length', '0']] });
        return true;
      },
      resolve: (file, a) => file === 'model.safetensors' && setHeader(a, 'Location', `${hub.endpoint}/hop1`),
    }),
  });

  // Bodies.
  const noSize = (file: string) => (f: string, a: { status: number; headers: Array<[string, string]> }) => {
    if (f !== file) return;
    a.status = 302;
    setHeader(a, 'Location', `${hub.endpoint}/cdn/${file}?sig=1`);
    setHeader(a, 'Content-Length', undefined);
    setHeader(a, 'X-Linked-Size', undefined);
  };
  cases.push({
    family: 'body',
    name: 'endless config.json, no size announced',
    behaviour: () => ({ resolve: noSize('config.json'), cdn: (f, s) => f === 'config.json' && (endlessBody(s, [], 48 << 20), true) }),
    message: /larger than|at most/,
  });
  cases.push({
    family: 'body',
    name: 'endless weights, size announced',
    behaviour: () => ({ cdn: (f, s) => f === 'model.safetensors' && (endlessBody(s, [], 48 << 20), true) }),
    message: /sent more than the \d+ bytes the hub announced/,
  });
  cases.push({
    family: 'body',
    name: 'config.json announced as 1 GiB',
    behaviour: () => ({ resolve: (f, a) => { if (f === 'config.json') { noSize('config.json')(f, a); setHeader(a, 'X-Linked-Size', String(1 << 30)); } } }),
    message: /larger than|at most/,
    nothingWritten: true,
  });
  cases.push({
    family: 'body',
    name: 'weights longer than announced (Content-Length agrees with the long body)',
    behaviour: () => ({ cdn: (f, s) => f === 'model.safetensors' && (writeRaw(s, { status: 200, headers: [['Content-Length', String(weights.length + 10)]], body: Buffer.concat([weights, Buffer.alloc(10)]) }), true) }),
    message: /sent more than the \d+ bytes the hub announced/,
  });
  cases.push({
    family: 'body',
    name: 'weights shorter than announced, every time',
    options: { retries: 2 },
    behaviour: () => ({ cdn: (f, s) => f === 'model.safetensors' && (writeRaw(s, { status: 200, headers: [['Content-Length', '1000']], body: weights.subarray(0, 1000) }), true) }),
    message: /ended early|resumes/,
    partialOk: true,
  });
  cases.push({
    family: 'body',
    name: 'Content-Length larger than the body sent',
    options: { retries: 1 },
    behaviour: () => ({ cdn: (f, s) => f === 'model.safetensors' && (writeRaw(s, { status: 200, headers: [['Content-Length', String(weights.length)]], body: weights.subarray(0, 5000) }), true) }),
    message: /cut|ended early|resumes/,
    partialOk: true,
  });
  cases.push({
    family: 'body',
    name: 'wrong sha256 (same size)',
    behaviour: () => ({ cdn: (f, s) => { if (f !== 'model.safetensors') return false; const b = Buffer.from(weights); b[100] ^= 0xff; writeRaw(s, { status: 200, headers: [['Content-Length', String(b.length)]], body: b }); return true; } }),
    message: /Checksum mismatch/,
  });
  cases.push({
    family: 'body',
    name: 'wrong git sha1 of config.json',
    behaviour: () => ({ resolve: (f, a) => { if (f === 'config.json' && a.body) { a.body = Buffer.from(a.body); a.body[5] ^= 0x01; } } }),
    message: /Checksum mismatch/,
  });
  cases.push({
    family: 'body',
    name: '206 with the wrong Content-Range, always',
    options: { retries: 2 },
    behaviour: () => ({ cdn: (f, s) => f === 'model.safetensors' && (writeRaw(s, { status: 206, headers: [['Content-Range', 'bytes 5-9/10'], ['Content-Length', '5']], body: Buffer.alloc(5) }), true) }),
    message: /wrong part/,
  });
  cases.push({
    family: 'slow',
    name: 'stalled body: idle timeout',
    options: { timeoutMs: 300, retries: 1 },
    behaviour: () => ({ cdn: (f, s) => { if (f !== 'model.safetensors') return false; s.write(`HTTP/1.1 200 X\r\nContent-Length: ${weights.length}\r\n\r\n`); s.write(weights.subarray(0, 100)); return true; } }),
    message: /stopped answering|timeout|no data/,
    partialOk: true,
  });
  cases.push({
    family: 'slow',
    name: 'trickling body + abort (SIGINT)',
    abortAfterMs: 200,
    abortWhenServing: 'model.safetensors',
    behaviour: () => ({ cdn: (f, s) => f === 'model.safetensors' && (tricklingBody(s, [['Content-Length', String(weights.length)]], 20), true) }),
    message: /cancelled/,
    partialOk: true,
  });
  cases.push({
    family: 'slow',
    name: 'abort while the HEAD never answers',
    abortAfterMs: 300,
    stall: true,
    message: /cancelled/,
    nothingWritten: true,
  });
  cases.push({
    family: '5xx',
    name: 'CDN answers 503 forever',
    options: { retries: 3 },
    behaviour: () => ({ cdn: (f, s) => f === 'model.safetensors' && (writeRaw(s, { status: 503, headers: [['Content-Length', '0']] }), true) }),
    message: /HTTP 503/,
    check: () => assert.equal(hub.requests.filter((r) => r.path.startsWith('/cdn/model.safetensors')).length, 4, 'retries bounded'),
  });
  cases.push({
    family: '5xx',
    name: 'hub answers 500 to every HEAD',
    behaviour: () => ({ resolve: (_f, a) => { a.status = 500; a.body = undefined; a.headers = [['Content-Length', '0']]; } }),
    message: /HTTP 500/,
    nothingWritten: true,
  });
  cases.push({
    family: 'fs',
    name: 'HF_HUB_CACHE is a file',
    message: /Hugging Face cache|HF_HUB_CACHE/,
    cacheIsFile: true,
  });
  for (const ep of ['not a url', 'file:///tmp/hub', 'ftp://127.0.0.1/', 'http://[::1']) {
    cases.push({ family: 'endpoint', name: JSON.stringify(ep), options: { endpoint: ep }, message: /HF_ENDPOINT|endpoint/i, nothingWritten: true });
  }
  return cases;
}

function noProbeRequests(): void {
  const probes = hub.requests.filter((r) => /probe/.test(r.path));
  assert.deepEqual(probes.map((r) => r.path), [], 'a non-http(s) redirect was followed as plain HTTP');
}

function noEscapedShard(sb: Sandbox): void {
  assert.ok(!fs.existsSync(path.join(sb.root, 'escaped')), 'shard written outside');
}

// ---------------------------------------------------------------------------------------------------
// the harness

interface Entry {
  path: string;
  kind: 'file' | 'dir' | 'link' | 'other';
  size: number;
  link?: string;
}

function listTree(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (d: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      const st = fs.lstatSync(p);
      const kind = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
      out.set(p, { path: p, kind, size: st.size, link: kind === 'link' ? fs.readlinkSync(p) : undefined });
      if (kind === 'dir') walk(p);
    }
  };
  walk(root);
  return out;
}

const inside = (dir: string, p: string) => {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

function sandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chronos-hostile-'));
  // Deep enough that a before-the-fix traversal of up to 6 levels still lands in the sandbox.
  const cache = path.join(root, 'a', 'b', 'c', 'd', 'e', 'hub-cache');
  fs.mkdirSync(cache, { recursive: true });
  return { root, cache };
}

/** The filesystem rules every case must keep. */
function assertFilesystem(c: Case, sb: Sandbox, beforeTree: Map<string, Entry>, failed: boolean): void {
  const afterTree = listTree(sb.root);
  for (const [p, e] of afterTree) {
    if (!beforeTree.has(p)) assert.ok(inside(sb.cache, p), `${e.kind} written outside the cache: ${p}`);
    if (e.kind === 'link') {
      const target = path.resolve(path.dirname(p), e.link!);
      assert.ok(inside(sb.cache, target), `link ${p} points outside the cache: ${e.link}`);
    }
    const base = path.basename(p);
    assert.ok(!/\.tmp$|^\.symlink-probe-|\.chronos-lens\.lock$/.test(base), `temporary left behind: ${p}`);
    if (base.endsWith('.incomplete')) {
      assert.ok(failed && c.partialOk, `.incomplete left behind: ${p}`);
      assert.equal(base, `${WEIGHTS_SHA}.incomplete`, `unexpected partial ${base}`);
      assert.ok(e.size <= weights.length, `partial larger than announced: ${e.size}`);
    }
  }
  if (failed && c.nothingWritten) {
    const files = [...afterTree.values()].filter((e) => e.kind !== 'dir' && !beforeTree.has(e.path));
    assert.deepEqual(files.map((e) => path.relative(sb.root, e.path)), [], 'a refused download wrote files');
  }
}

function assertOneLine(e: unknown): asserts e is ChronosLensError {
  assert.ok(e instanceof ChronosLensError, `not a ChronosLensError: ${String((e as Error)?.stack ?? e)}`);
  assert.ok(!e.message.includes('\n'), `more than one line: ${JSON.stringify(e.message)}`);
  assert.ok(e.message.length > 0 && e.message.length < 2000, `message length ${e.message.length}`);
  assert.doesNotMatch(e.message, /^(Invalid URL|TypeError|E[A-Z]+:)|Parse Error/, `raw error text: ${e.message}`);
}

const outcomes = new Map<string, { pass: number; fail: number; sample?: string }>();
function tally(c: Case, ok: boolean, why?: string): void {
  const o = outcomes.get(c.family) ?? { pass: 0, fail: 0 };
  if (ok) o.pass++;
  else {
    o.fail++;
    o.sample ??= `${c.name}: ${why?.split('\n')[0].slice(0, 240)}`;
  }
  outcomes.set(c.family, o);
}

function shardedFiles(c: Case, sb: Sandbox | undefined): Record<string, Buffer> {
  const trick = c.trick;
  const map: Record<string, string> = { ...c.sharded };
  if (trick !== undefined) map['a.weight'] = tricks(sb, false).find(([k]) => k === trick)![1];
  const files: Record<string, Buffer> = { 'config.json': config, 'model.safetensors.index.json': Buffer.from(JSON.stringify({ metadata: {}, weight_map: map })) };
  for (const shard of new Set(Object.values(map))) files[shard] = weights;
  return files;
}

async function runCase(c: Case): Promise<void> {
  const sb = sandbox();
  try {
    hub.reset();
    hub.setFiles(c.sharded ? shardedFiles(c, sb) : { 'config.json': config, 'generation_config.json': generation, 'model.safetensors': weights });
    if (c.behaviour) hub.behaviour = c.behaviour(sb);
    hub.stall = !!c.stall;
    let cacheDir = sb.cache;
    if (c.cacheIsFile) {
      cacheDir = path.join(sb.root, 'cache-file');
      fs.writeFileSync(cacheDir, 'not a folder');
    }
    const trick = c.trick;
    const revision = c.family === 'revision' && trick !== undefined ? tricks(sb, false).find(([k]) => k === trick)![1] : c.revision;
    const beforeTree = listTree(sb.root);
    const ac = new AbortController();
    const timers: NodeJS.Timeout[] = [];
    const abortAfterMs = c.abortAfterMs;
    if (abortAfterMs !== undefined && c.abortWhenServing === undefined) timers.push(setTimeout(() => ac.abort(), abortAfterMs));
    if (abortAfterMs !== undefined && c.abortWhenServing !== undefined) {
      const { cdn, ...rest } = hub.behaviour;
      hub.behaviour = {
        ...rest,
        cdn: (file, socket, req) => {
          if (file === c.abortWhenServing) timers.push(setTimeout(() => ac.abort(), abortAfterMs));
          return cdn ? cdn(file, socket, req) : false;
        },
      };
    }
    let deadlineHit = false;
    const deadline = new Promise<'deadline'>((r) => timers.push(setTimeout(() => {
      deadlineHit = true;
      ac.abort();
      r('deadline');
    }, CASE_DEADLINE_MS)));
    const opts: DownloadModelOptions = { endpoint: hub.endpoint, cacheDir, offline: false, proxy: null, env: {}, retryDelayMs: 5, timeoutMs: 5000, retries: 2, signal: ac.signal, ...c.options };
    let error: unknown;
    let result: Awaited<ReturnType<typeof downloadModel>> | undefined;
    const run = downloadModel(c.repoId ?? REPO, { ...opts, revision }).then((r) => (result = r), (e: unknown) => (error = e));
    const settled = await Promise.race([run, deadline]);
    for (const t of timers) clearTimeout(t);
    if (settled === 'deadline') await run; // let the abort finish before looking at the disk
    try {
      assert.ok(!deadlineHit, `did not settle within ${CASE_DEADLINE_MS / 1000} s`);
      assertFilesystem(c, sb, beforeTree, error !== undefined);
      if (c.accept) {
        assert.equal(error, undefined, `refused: ${(error as Error)?.message}`);
        assert.ok(result && fs.readFileSync(path.join(result.path, 'config.json')).equals(config));
        assert.ok(inside(sb.cache, result.path), `snapshot outside the cache: ${result.path}`);
      } else {
        assert.ok(error !== undefined, `accepted (wrote ${result?.path})`);
        assertOneLine(error);
        if (c.message) assert.match(error.message, c.message);
      }
      c.check?.(sb);
      tally(c, true);
    } catch (e) {
      tally(c, false, (e as Error).message);
      throw e;
    }
  } finally {
    fs.rmSync(sb.root, { recursive: true, force: true });
  }
}

const CASES = generateCases();

describe(`hostile hub: ${CASES.length} generated cases`, { timeout: 240_000 }, () => {
  before(() => hub.start());
  after(async () => {
    await hub.stop();
    if (process.env.HOSTILE_SUMMARY) {
      for (const [family, o] of outcomes) console.log(`${family}: ${o.pass} ok, ${o.fail} failed${o.sample ? ` (e.g. ${o.sample})` : ''}`);
    }
  });
  for (const c of CASES) {
    it(`${c.family}: ${c.name}`, () => runCase(c));
  }
});

// ---------------------------------------------------------------------------------------------------
// the real CLI

/** dist/cli.js (what users run, built before the unit tests in CI) when it is newer than the sources it bundles from here. */
function builtCliIsCurrent(): boolean {
  const dist = path.join(repoRoot, 'dist', 'cli.js');
  if (!fs.existsSync(dist)) return false;
  const built = fs.statSync(dist).mtimeMs;
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(path.join(dir, e.name)) : e.name.endsWith('.ts') ? fs.statSync(path.join(dir, e.name)).mtimeMs : 0), 0);
  return built >= Math.max(newest(path.join(repoRoot, 'cli')), newest(path.join(repoRoot, 'core')));
}

describe('hostile hub through the CLI', { timeout: 120_000 }, () => {
  before(() => hub.start());
  after(() => hub.stop());

  const cli = (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }> =>
    new Promise((resolve, reject) => {
      const argv = builtCliIsCurrent() ? [path.join(repoRoot, 'dist', 'cli.js'), ...args] : ['--import', 'tsx', path.join(repoRoot, 'cli', 'main.ts'), ...args];
      const p = spawn(process.execPath, argv, { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });

  for (const [name, args, behaviour] of [
    ['X-Linked-Etag ../../../../escaped', ['models', 'download', REPO], { resolve: (file: string, a: Parameters<NonNullable<Behaviour['resolve']>>[1]) => file === 'model.safetensors' && setHeader(a, 'X-Linked-Etag', '"../../../../escaped"') }],
    ['--revision ../../../../escaped', ['models', 'download', REPO, '--revision', '../../../../escaped'], {}],
  ] as Array<[string, string[], Behaviour]>) {
    it(`models download with ${name}: exit 1, one line, nothing outside the cache`, async () => {
      const sb = sandbox();
      try {
        hub.reset();
        hub.setFiles({ 'config.json': config, 'generation_config.json': generation, 'model.safetensors': weights });
        hub.behaviour = behaviour;
        const beforeTree = listTree(sb.root);
        const r = await cli(args, { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: sb.cache, XDG_CACHE_HOME: path.join(sb.cache, 'xdg'), HF_HUB_OFFLINE: '' });
        assert.equal(r.signal, null);
        assert.ok(r.code !== 0 && r.code !== null, `exit ${r.code}: ${r.stderr}`);
        // Without a terminal the progress goes to stderr as plain "Downloading …" lines; the error is one more.
        const lines = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('Downloading '));
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], /^chronos-lens/);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
        assertFilesystem({ family: 'cli', name }, sb, beforeTree, true);
      } finally {
        fs.rmSync(sb.root, { recursive: true, force: true });
      }
    });
  }
});
