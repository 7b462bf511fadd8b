/**
 * The page side of bench/series-view.ts (a): hover → redraw of <cl-series-view> in headless Chromium at
 * T = 512 with chronos-t5-small's 6 layers × 8 heads, answers already cached in the page. Prints one
 * JSON object. Not a test (no assertions); lives here because it drives a browser (DOM types).
 *
 *   npx tsx test/webview/bench/series-redraw.ts [hovers]
 */
import type { ForecastResult, ModelSummary } from '../../../analysis/types';
import type { InitSeriesMessage, SeriesPayload } from '../../../protocol';
import type { LensResult } from '../../../analysis/types';
import { forecastFixture, lensFixture, modelSummary } from '../fixtures';
import { WebviewHarness } from '../harness';
import { FakeSeriesHost } from '../series-host';

const T = 512;
const LAYERS = 6;
const HEADS = 8;

interface Stats {
  n: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return { n: s.length, median: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1]), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

function seasonal(n: number): number[] {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => Math.round((100 + 30 * Math.sin((2 * Math.PI * i) / 24) + 10 * Math.sin((2 * Math.PI * i) / 168) + 5 * rnd()) * 100) / 100);
}

async function redraw(hovers: number): Promise<Record<string, unknown>> {
  const rows = 2000;
  const values = seasonal(rows);
  const start = rows - T;
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
  const init: InitSeriesMessage = { type: 'initSeries', series, model, forecast, selection: { mode: 'head', layer: 3, head: 5 } };
  const h = await WebviewHarness.launch();
  try {
    const v = await h.open({ entry: 'series', initialState: init, viewport: { width: 1400, height: 1000 } });
    // Dense rows, as a real encoder's are (every context position has some weight: 512 bars).
    const dense = (kind: 'encoder' | 'cross', position: number): LensResult => {
      const l = lensFixture(kind === 'encoder' ? position : T - 1, T, LAYERS, HEADS);
      l.rows = l.rows.map((layer) => layer.map((row) => row.map((w) => (w + 2e-3) / (1 + 2e-3 * T))));
      return l;
    };
    const host = new FakeSeriesHost(v, { contextLength: T, layers: LAYERS, heads: HEADS }, undefined, 0, dense).start();
    await v.page.locator('cl-series-view path.series-line').first().waitFor();
    // Warm the page's cache: every measured point's answer is fetched once (as hovering it would).
    const positions = Array.from({ length: 300 }, (_, k) => T - 300 + k);
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
    // Measured in the page: random moves among the warm points; setHover → Lit render (chart overlay,
    // attention strip, head grid, readout) → style and layout.
    const times = (await v.page.evaluate(`(async () => {
      const view = document.querySelector('cl-series-view');
      const positions = ${JSON.stringify(positions)};
      let seed = 11;
      const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const out = [];
      for (let i = 0; i < ${hovers}; i++) {
        const p = positions[Math.floor(rnd() * positions.length)];
        await new Promise((r) => requestAnimationFrame(() => r()));
        const t0 = performance.now();
        view.setHover({ kind: 'encoder', row: ${start} + p });
        await view.updateComplete;
        view.shadowRoot.querySelector('.readout').getBoundingClientRect();
        out.push(performance.now() - t0);
      }
      return out;
    })()`)) as number[];
    const strip = (await v.page.evaluate(`document.querySelector('cl-series-view').shadowRoot.querySelectorAll('.cl-attention-strip rect.weight').length`)) as number;
    host.stop();
    await v.close();
    return { what: 'hover → redraw in Chromium (T = 512, 6 × 8 heads, dense rows: a bar per context position, answers cached)', goalP95Ms: 16, cachedAnswers: cached, stripBars: strip, ms: stats(times), hostRequests: host.lensRequests.length };
  } finally {
    await h.close();
  }
}


redraw(Number(process.argv[2] ?? 600)).then(
  (r) => console.log(JSON.stringify(r)),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
