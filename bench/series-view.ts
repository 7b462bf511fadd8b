/**
 * Series view timings. Not a test: no assertions, prints one JSON object.
 *
 *  (a) hover → redraw in Chromium at T = 512 (chronos-t5-small's 6 layers × 8 heads): the real
 *      <cl-series-view> bundle in headless Chromium under the webview CSP (test/webview/harness.ts;
 *      the page side is test/webview/bench/series-redraw.ts, run in its own process),
 *      every hovered point's answer already in the page's cache (a stand-in host answered it once);
 *      timed in the page with performance.now() around setHover → render → layout. Goal: p95 ≤ 16 ms.
 *      --baseline DIR times an earlier version's webview source (an exported commit) in the same run,
 *      in alternating rounds; --trace FILE adds a Chromium performance trace and the main thread's
 *      self time per hover by event (script, style, layout, paint); --warm N points (default 300).
 *  (b) host fetch of a new position: lens.rowsAt for one layer + sparklines (lib/series-lens.ts
 *      lensResponse) + JSON serialisation, on the attention lens of a random-weight checkpoint at the
 *      chronos-t5-small config at T = 512. Goal: median ≤ 50 ms.
 *  (c) opening a 10^6-row CSV: layout + column scan (time-sliced) + the first message, with the
 *      longest the event loop was held.
 *
 *   tools/.venv/bin/python tools/reference/make_checkpoints.py --real small --out bench/checkpoints   # once
 *   npx tsx bench/series-view.ts [--hovers 600] [--fetches 300] [--rows 1000000] [--checkpoint DIR]
 *       [--baseline DIR] [--trace FILE] [--warm N]
 *
 *   # the webview of an earlier commit as the baseline:
 *   mkdir /tmp/before && git archive HEAD~1 webview protocol analysis | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AttentionLens } from '../analysis/lens';
import { SeriesDocuments } from '../extension/lib/series-analysis';
import { seriesPayload } from '../extension/lib/series-data';
import { lensResponse } from '../extension/lib/series-lens';
import { ChronosModel } from '../models/model';
import { seasonal, stats } from './latency';

const { values: opt } = parseArgs({
  options: {
    hovers: { type: 'string', default: '600' },
    fetches: { type: 'string', default: '300' },
    rows: { type: 'string', default: '1000000' },
    checkpoint: { type: 'string', default: path.join(__dirname, 'checkpoints', 'chronos-t5-small-random') },
    only: { type: 'string' },
    baseline: { type: 'string' },
    trace: { type: 'string' },
    warm: { type: 'string' },
  },
});
const only = opt.only ? new Set(opt.only.split(',')) : undefined;
const T = 512;

/** (a) hover → redraw in the page: test/webview/bench/series-redraw.ts in its own process (DOM types live there). */
function redraw(hovers: number): Record<string, unknown> {
  const script = path.join(__dirname, '..', 'test', 'webview', 'bench', 'series-redraw.ts');
  const args = ['--hovers', String(hovers)];
  for (const k of ['baseline', 'trace'] as const) if (opt[k]) args.push(`--${k}`, path.resolve(opt[k] as string));
  if (opt.warm) args.push('--warm', opt.warm);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return { failed: `${script} exited with ${r.status}: ${r.stderr.slice(-2000)}` };
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as Record<string, unknown>;
}

/** (b) the host's answer to a new position. */
async function fetchTimes(dir: string, fetches: number): Promise<Record<string, unknown>> {
  if (!existsSync(path.join(dir, 'config.json'))) {
    return { skipped: `${dir} is missing: tools/.venv/bin/python tools/reference/make_checkpoints.py --real small --out bench/checkpoints` };
  }
  const model = await ChronosModel.load(dir, { provider: 'cpu', cacheDir: null });
  try {
    const values = seasonal(T);
    const t0 = performance.now();
    const lens = await AttentionLens.compute(model, values);
    const computeMs = performance.now() - t0;
    let seed = 3;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const total: number[] = [];
    const rows: number[] = [];
    const json: number[] = [];
    let bytes = 0;
    for (let i = 0; i < fetches + 20; i++) {
      const position = Math.floor(rnd() * T);
      const layer = Math.floor(rnd() * lens.layers);
      const a = performance.now();
      const r = lensResponse(lens, { kind: 'encoder', position, layer, sparkBins: 48 });
      const b = performance.now();
      const s = JSON.stringify({ type: 'response', requestId: `r${i}`, ok: true, result: r });
      const c = performance.now();
      if (i < 20) continue; // warm-up
      rows.push(b - a);
      json.push(c - b);
      total.push(c - a);
      bytes = Math.max(bytes, s.length);
    }
    const full = JSON.stringify(lens.rowsAt(100)).length;
    return {
      what: 'host fetch of a new position: lensResponse (one layer of rows + 6 × 8 sparklines) + JSON.stringify',
      checkpoint: path.basename(dir),
      config: { layers: lens.layers, heads: lens.heads, contextLength: lens.contextLength },
      goalMedianMs: 50,
      lensComputeMs: Math.round(computeMs),
      lensBytes: lens.bytes,
      ms: stats(total),
      rowsMs: stats(rows),
      jsonMs: stats(json),
      messageChars: bytes,
      allLayersExactChars: full,
    };
  } finally {
    await model.dispose();
  }
}

/** (c) a 10^6-row CSV: read, scanned and the first message, without holding the event loop. */
async function openLarge(rows: number): Promise<Record<string, unknown>> {
  const values = seasonal(Math.min(rows, 100_000));
  const parts: string[] = ['timestamp,load,temp\n'];
  const t0 = Date.UTC(2000, 0, 1);
  for (let i = 0; i < rows; i++) {
    const d = new Date(t0 + i * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    parts.push(`${d},${values[i % values.length]},${(10 + 10 * Math.sin((2 * Math.PI * i) / 8760)).toFixed(1)}\n`);
  }
  const text = parts.join('');
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const a = performance.now();
  const docs = new SeriesDocuments();
  const snap = docs.snapshot('file:///bench/large.csv', 1, () => text, 'large.csv');
  const layout = await snap.layout();
  const b = performance.now();
  const scan = await snap.scan('load');
  const c = performance.now();
  const payload = await seriesPayload({ text, layout, scan }, T);
  const d = performance.now();
  clearInterval(timer);
  docs.dispose();
  return {
    what: `open a ${rows.toLocaleString('en-US')}-row CSV (${(text.length / 1e6).toFixed(1)} MB): layout, column scan, first message`,
    layoutMs: Math.round(b - a),
    scanMs: Math.round(c - b),
    payloadMs: Math.round(d - c),
    totalMs: Math.round(d - a),
    longestEventLoopBlockMs: Math.round(maxGap),
    payloadPoints: payload.index.length,
    payloadChars: JSON.stringify(payload).length,
  };
}

(async () => {
  const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length };
  if (!only || only.has('redraw')) out.redraw = redraw(Number(opt.hovers));
  if (!only || only.has('fetch')) out.fetch = await fetchTimes(opt.checkpoint as string, Number(opt.fetches));
  if (!only || only.has('open')) out.open = await openLarge(Number(opt.rows));
  console.log(JSON.stringify(out, null, 2));
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
