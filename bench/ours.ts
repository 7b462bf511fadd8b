/**
 * Chronos Lens' side of the benchmarks, in one process: load, then timed compute runs, printing one JSON
 * line shaped like the Python baselines' (bench/python/*.py), so bench/run.ts can compare them.
 *
 *   npx tsx bench/ours.ts mosaic   --model DIR --tokens FILE [--repeat N] [--threads N]
 *   npx tsx bench/ours.ts forecast --model DIR --csv FILE --column NAME [--prediction-length 64] [--samples 20] [--repeat N]
 *   npx tsx bench/ours.ts lens     --model DIR --csv FILE --column NAME [--repeat N]
 *   npx tsx bench/ours.ts bolt-forecast --model DIR --csv FILE --column NAME [--prediction-length 64] [--repeat N]
 *       (a Chronos-Bolt checkpoint; baseline: bench/python/bolt_forecast_baseline.py in tools/.venv-families)
 */
import { parseArgs } from 'node:util';
import { runMosaic } from '../analysis/mosaic';
import { readTokenBatch } from '../analysis/tokens';
import { AttentionLens } from '../analysis/lens';
import { readCsvFile } from '../core/csv';
import { forecast } from '../analysis/forecast';
import { ChronosModel } from '../models/model';
import { provisionGpuRuntime } from '../models/runtime/provision';
import type { ProviderSetting } from '../models/runtime/ort';
import { BoltModel } from '../models/bolt/model';
import { forecastBolt } from '../analysis/forecast/bolt';

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  const { values: a } = parseArgs({
    args: rest,
    options: {
      model: { type: 'string' },
      tokens: { type: 'string' },
      csv: { type: 'string' },
      column: { type: 'string' },
      'prediction-length': { type: 'string', default: '64' },
      samples: { type: 'string', default: '20' },
      repeat: { type: 'string', default: '1' },
      threads: { type: 'string' },
      'cache-dir': { type: 'string' },
      provider: { type: 'string', default: 'cpu' },
      // the mosaic's target time per chunk of rows (analysis/common.ts forEachChunk; default 300 ms)
      'chunk-ms': { type: 'string' },
    },
  });
  const repeat = Math.max(1, Number(a.repeat));
  if (cmd === 'bolt-forecast') return boltForecast(a.model!, a.csv!, a.column!, Number(a['prediction-length']), repeat, a.threads ? Number(a.threads) : undefined, a['cache-dir'] ?? null);
  // --provider cuda: the CUDA provider staged by `chronos-lens models gpu --install` (bench/gpu.sh)
  const provider = a.provider as ProviderSetting;
  await provisionGpuRuntime(provider);
  const tImport = performance.now();
  const model = await ChronosModel.load(a.model!, { provider, threads: a.threads ? Number(a.threads) : undefined, cacheDir: a['cache-dir'] ?? null });
  const tLoad = performance.now();
  const runs: number[] = [];
  const out: Record<string, unknown> = {};
  if (cmd === 'mosaic') {
    const tokens = await readTokenBatch(a.tokens!);
    for (let i = 0; i < repeat; i++) {
      const t0 = performance.now();
      const r = await runMosaic(model, { tokens, kinds: ['cross'], chunkMs: a['chunk-ms'] ? Number(a['chunk-ms']) : undefined });
      runs.push((performance.now() - t0) / 1000);
      const k = r.cross!;
      let best: [number, number, number] = [-1, 0, 0];
      let bestR: [number, number, number] = [-1, 0, 0];
      k.center.forEach((row, l) => row.forEach((v, h) => { if (v > best[0]) best = [v, l, h]; }));
      k.right.forEach((row, l) => row.forEach((v, h) => { if (v > bestR[0]) bestR = [v, l, h]; }));
      out.top_center = [...best, 'center'];
      out.top_right = [...bestR, 'right'];
    }
    out.graph = model.timings.map((t) => ({ spec: t.spec, buildMs: Math.round(t.buildMs), sessionMs: Math.round(t.sessionMs), fromCache: t.fromCache, optimized: t.optimized }));
  } else if (cmd === 'forecast') {
    const s = await readCsvFile(a.csv!, { column: a.column, tailRows: model.config.chronos.contextLength });
    for (let i = 0; i < repeat; i++) {
      const t0 = performance.now();
      const f = await forecast(model, s.values, { predictionLength: Number(a['prediction-length']), numSamples: Number(a.samples), seed: i });
      runs.push((performance.now() - t0) / 1000);
      out.median = f.median;
      out.context_length = f.contextLengthUsed;
    }
  } else if (cmd === 'lens') {
    const s = await readCsvFile(a.csv!, { column: a.column, tailRows: model.config.chronos.contextLength });
    const t0 = performance.now();
    const lens = await AttentionLens.compute(model, s.values);
    out.compute_s = (performance.now() - t0) / 1000;
    const fetch: number[] = [];
    for (let i = 0; i < Math.max(50, repeat); i++) {
      const pos = (i * 97) % lens.contextLength;
      const t1 = performance.now();
      const r = lens.rowsAt(pos, { decimals: 6 });
      JSON.stringify(r); // what goes to the webview
      fetch.push(performance.now() - t1);
    }
    fetch.sort((x, y) => x - y);
    out.fetch_ms_median = fetch[Math.floor(fetch.length / 2)];
    out.fetch_ms_p95 = fetch[Math.floor(fetch.length * 0.95)];
    runs.push(out.compute_s as number);
  } else {
    throw new Error(`unknown benchmark ${cmd}`);
  }
  const providerUsed = model.provider;
  await model.dispose();
  console.log(
    JSON.stringify({
      impl: 'chronos-lens',
      import_s: tImport / 1000, // performance.now() counts from process start
      load_s: (tLoad - tImport) / 1000,
      runs_s: runs,
      total_s: performance.now() / 1000,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      provider: providerUsed,
      ...out,
    }),
  );
}

async function boltForecast(dir: string, csv: string, column: string, predictionLength: number, repeat: number, threads: number | undefined, cacheDir: string | null): Promise<void> {
  const tImport = performance.now();
  const model = await BoltModel.load(dir, { provider: 'cpu', threads, cacheDir });
  const tLoad = performance.now();
  const s = await readCsvFile(csv, { column, tailRows: model.config.bolt.contextLength });
  const runs: number[] = [];
  let median: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const f = await forecastBolt(model, s.values, { predictionLength });
    runs.push((performance.now() - t0) / 1000);
    median = f.mean;
  }
  const graph = model.timings.map((t) => ({ spec: t.spec, buildMs: Math.round(t.buildMs), sessionMs: Math.round(t.sessionMs), fromCache: t.fromCache, optimized: t.optimized }));
  await model.dispose();
  console.log(JSON.stringify({ impl: 'chronos-lens', import_s: tImport / 1000, load_s: (tLoad - tImport) / 1000, runs_s: runs, total_s: performance.now() / 1000, peak_rss_mb: process.resourceUsage().maxRSS / 1024, context_length: Math.min(s.values.length, model.config.bolt.contextLength), median, graph }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
