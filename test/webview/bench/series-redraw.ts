/**
 * The page side of bench/series-view.ts (a): hover → redraw of <cl-series-view> in headless Chromium at
 * T = 512 with chronos-t5-small's 6 layers × 8 heads, answers already cached in the page. Prints one
 * JSON object. Not a test (no assertions); lives here because it drives a browser (DOM types).
 *
 *   npx tsx test/webview/bench/series-redraw.ts [--hovers 600] [--warm 300] [--rounds 4]
 *       [--baseline DIR] [--trace FILE]
 *
 * --baseline DIR: a source tree of an earlier version (e.g. `git archive <commit> webview protocol
 *   analysis | tar -x -C DIR`, with node_modules linked in) timed in the same run: both pages stay open
 *   and are measured in alternating rounds, so load from other processes falls on both alike.
 * --trace FILE: also records a Chromium performance trace of one extra round on each page and
 *   reports where the main thread's time goes per hover (script, style, layout, paint…) and the CPU
 *   time of the main-thread task(s) a hover runs in (the frame that draws it, paint included), which
 *   other processes on a busy machine do not inflate as they do the wall-clock time; the raw trace is
 *   written to FILE (open it in chrome://tracing or the DevTools Performance panel).
 * --cpuprofile FILE: a V8 CPU profile of one extra round (FILE, for DevTools) and the functions with the
 *   most self time per hover.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ForecastResult, LensResult, ModelSummary } from '../../../analysis/types';
import type { InitSeriesMessage, SeriesPayload } from '../../../protocol';
import { forecastFixture, lensFixture, modelSummary } from '../fixtures';
import { WebviewHarness, type ViewPage } from '../harness';
import { FakeSeriesHost } from '../series-host';
import { seasonal, stats, type Stats } from '../../../bench/latency';

const T = 512;
const LAYERS = 6;
const HEADS = 8;

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    hovers: { type: 'string' },
    warm: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '4' },
    baseline: { type: 'string' },
    trace: { type: 'string' },
    cpuprofile: { type: 'string' },
  },
});
const hovers = Number(opt.hovers ?? positionals[0] ?? 600);
const warm = Math.max(1, Math.min(T, Number(opt.warm)));
const rounds = Math.max(1, Number(opt.rounds));

const rows = 2000;
const start = rows - T;
const positions = Array.from({ length: warm }, (_, k) => T - warm + k);

function initMessage(): InitSeriesMessage {
  const values = seasonal(rows);
  const series: SeriesPayload = {
    file: 'bench.csv',
    column: 'load',
    columns: ['load'],
    index: values.map((_, i) => i),
    values,
    timestamps: values.map((_, i) => new Date(Date.UTC(2024, 0, 1) + i * 3600_000).toISOString().replace('.000Z', 'Z')),
    totalRows: rows,
    context: { start, end: rows },
  };
  const model: ModelSummary = { ...modelSummary('chronos-t5-small'), contextLength: T, predictionLength: 64 };
  const forecast: ForecastResult = { ...forecastFixture(64), model };
  return { type: 'initSeries', series, model, forecast, selection: { mode: 'head', layer: 3, head: 5 } };
}

interface Opened {
  v: ViewPage;
  host: FakeSeriesHost;
  cached: number;
  stripBars: number;
}

/** Opens the view, answers every measured point once (as hovering it would) so the page has it cached. */
async function openWarm(h: WebviewHarness, sourceRoot?: string): Promise<Opened> {
  const v = await h.open({ entry: 'series', initialState: initMessage(), viewport: { width: 1400, height: 1000 }, sourceRoot });
  // Dense rows, as a real encoder's are (every context position has some weight: 512 bars).
  const dense = (kind: 'encoder' | 'cross', position: number): LensResult => {
    const l = lensFixture(kind === 'encoder' ? position : T - 1, T, LAYERS, HEADS);
    l.rows = l.rows.map((layer) => layer.map((row) => row.map((w) => (w + 2e-3) / (1 + 2e-3 * T))));
    return l;
  };
  const host = new FakeSeriesHost(v, { contextLength: T, layers: LAYERS, heads: HEADS }, undefined, 0, dense).start();
  await v.page.locator('cl-series-view path.series-line').first().waitFor();
  for (const p of positions) {
    await v.page.evaluate(`(async () => {
      const view = document.querySelector('cl-series-view');
      const before = view.lensCacheSize;
      view.setHover({ kind: 'encoder', row: ${start + p} });
      await view.updateComplete;
      for (let i = 0; i < 400 && view.lensCacheSize === before; i++) await new Promise((r) => setTimeout(r, 5));
    })()`);
  }
  const cached = (await v.page.evaluate(`document.querySelector('cl-series-view').lensCacheSize`)) as number;
  // The strip's bars: SVG rects, or the data rows the canvas strip keeps for screen readers and tests.
  const stripBars = (await v.page.evaluate(`document.querySelector('cl-series-view').shadowRoot.querySelectorAll('.cl-attention-strip rect.weight, .cl-attention-strip [data-weight]').length`)) as number;
  return { v, host, cached, stripBars };
}

/**
 * Random moves among the warm points, timed in the page: setHover → the view's update (chart overlay,
 * attention strip, head grid, readout; `updateComplete` waits for all of it) → style and layout.
 */
async function measure(o: Opened, n: number, seed: number): Promise<number[]> {
  return (await o.v.page.evaluate(`(async () => {
    const view = document.querySelector('cl-series-view');
    const positions = ${JSON.stringify(positions)};
    let seed = ${seed};
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const out = [];
    for (let i = 0; i < ${n}; i++) {
      const p = positions[Math.floor(rnd() * positions.length)];
      await new Promise((r) => requestAnimationFrame(() => r()));
      performance.mark('cl-hover-start');
      const t0 = performance.now();
      view.setHover({ kind: 'encoder', row: ${start} + p });
      await view.updateComplete;
      view.shadowRoot.querySelector('.readout').getBoundingClientRect();
      out.push(performance.now() - t0);
      performance.mark('cl-hover-end');
    }
    return out;
  })()`)) as number[];
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  /** Thread (CPU) time, µs: what the thread ran, not counting the time other processes held the core. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

/**
 * Self time per event name on the renderer main thread(s), in ms per hover; and per hover (between
 * the page's cl-hover-start / cl-hover-end marks) the main thread's CPU time, which other processes
 * on a busy machine do not inflate the way they inflate the wall-clock time.
 */
function breakdown(trace: { traceEvents: TraceEvent[] }, perHovers: number): { selfMsPerHover: Record<string, number>; mainThreadCpuMs?: Stats } {
  const main = new Set<string>();
  for (const e of trace.traceEvents) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') main.add(`${e.pid}:${e.tid}`);
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of trace.traceEvents) {
    if (e.ph !== 'X' || e.dur === undefined || !main.has(`${e.pid}:${e.tid}`)) continue;
    const k = `${e.pid}:${e.tid}`;
    if (!byThread.has(k)) byThread.set(k, []);
    byThread.get(k)!.push(e);
  }
  const self = new Map<string, number>();
  const roots: TraceEvent[] = [];
  for (const evs of byThread.values()) {
    evs.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
    const stack: { e: TraceEvent; child: number }[] = [];
    const close = (until: number) => {
      while (stack.length && stack[stack.length - 1].e.ts + (stack[stack.length - 1].e.dur ?? 0) <= until) {
        const top = stack.pop()!;
        self.set(top.e.name, (self.get(top.e.name) ?? 0) + (top.e.dur ?? 0) - top.child);
        if (stack.length) stack[stack.length - 1].child += top.e.dur ?? 0;
      }
    };
    for (const e of evs) {
      close(e.ts);
      if (!stack.length) roots.push(e);
      stack.push({ e, child: 0 });
    }
    close(Infinity);
  }
  const out: Record<string, number> = {};
  for (const [k, us] of [...self.entries()].sort((a, b) => b[1] - a[1])) {
    const ms = us / 1000 / perHovers;
    if (ms >= 0.01) out[k] = Math.round(ms * 1000) / 1000;
  }
  const marks = trace.traceEvents.filter((e) => e.name === 'cl-hover-start' || e.name === 'cl-hover-end').sort((a, b) => a.ts - b.ts);
  const cpu: number[] = [];
  for (let i = 0; i + 1 < marks.length; i++) {
    if (marks[i].name !== 'cl-hover-start' || marks[i + 1].name !== 'cl-hover-end') continue;
    const [a, b] = [marks[i].ts, marks[i + 1].ts];
    let us = 0;
    for (const e of roots) if (e.ts < b && e.ts + (e.dur ?? 0) > a) us += e.tdur ?? 0;
    cpu.push(us / 1000);
  }
  return cpu.length ? { selfMsPerHover: out, mainThreadCpuMs: stats(cpu) } : { selfMsPerHover: out };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time per function (name, bundle line), in ms per hover, the top 30. */
function hotFunctions(p: CpuProfile, perHovers: number): Record<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  (p.samples ?? []).forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    const key = f ? `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}` : '?';
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas?.[i] ?? 0));
  });
  const out: Record<string, number> = {};
  for (const [k, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30)) out[k] = Math.round((us / 1000 / perHovers) * 1000) / 1000;
  return out;
}

async function main(): Promise<Record<string, unknown>> {
  const h = await WebviewHarness.launch();
  try {
    const current = await openWarm(h);
    const baseline = opt.baseline ? await openWarm(h, opt.baseline) : undefined;
    const per = Math.ceil(hovers / rounds);
    const times: { current: number[]; baseline: number[] } = { current: [], baseline: [] };
    for (let r = 0; r < rounds; r++) {
      // alternate which goes first, so neither always follows the other
      const order = r % 2 === 0 ? (['current', 'baseline'] as const) : (['baseline', 'current'] as const);
      for (const which of order) {
        const o = which === 'current' ? current : baseline;
        if (o) times[which].push(...(await measure(o, per, 11 + r)));
      }
    }
    const out: Record<string, unknown> = {
      what: 'hover → redraw in Chromium (T = 512, 6 × 8 heads, dense rows: a bar per context position, answers cached)',
      goalP95Ms: 16,
      rounds,
      cachedAnswers: current.cached,
      stripBars: current.stripBars,
      ms: stats(times.current),
      hostRequests: current.host.lensRequests.length,
    };
    if (baseline) out.baseline = { sourceRoot: opt.baseline, cachedAnswers: baseline.cached, stripBars: baseline.stripBars, ms: stats(times.baseline), hostRequests: baseline.host.lensRequests.length };
    if (opt.trace) {
      const traced: Record<string, unknown> = {};
      for (const [name, o] of [['current', current], ['baseline', baseline]] as const) {
        if (!o) continue;
        const n = Math.min(per, 150);
        await h.browser.startTracing(o.v.page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'blink.user_timing', 'v8.execute'] });
        await measure(o, n, 99);
        const buf = await h.browser.stopTracing();
        const file = name === 'current' ? opt.trace : opt.trace.replace(/(\.json)?$/, '-baseline.json');
        writeFileSync(file, buf);
        traced[name] = { file, hovers: n, ...breakdown(JSON.parse(buf.toString('utf8')) as { traceEvents: TraceEvent[] }, n) };
      }
      out.trace = traced;
    }
    if (opt.cpuprofile) {
      const n = Math.min(per, 150);
      const cdp = await current.v.page.context().newCDPSession(current.v.page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
      await measure(current, n, 98);
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(opt.cpuprofile, JSON.stringify(profile));
      out.cpuprofile = { file: opt.cpuprofile, hovers: n, selfMsPerHover: hotFunctions(profile, n) };
    }
    for (const o of [current, baseline]) {
      o?.host.stop();
      await o?.v.close();
    }
    return out;
  } finally {
    await h.close();
  }
}

main().then(
  (r) => console.log(JSON.stringify(r)),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
