/**
 * Warm compute against the machine's roofline, in one run and without the Python baselines (minutes,
 * not the half hour of bench/run.ts): for each config, ONNX Runtime's one-MatMul rate at the model's
 * shapes (bench/roofline.ts), then the warm reference mosaic and warm forecast (bench/ours.ts), each
 * with the load average beside it, since a shared machine's timings are only indicative.
 * Writes bench/results/<date>-roofline.json and .md.
 *
 *   npx tsx bench/compute-roofline.ts [--configs small] [--repeat 3] [--no-forecast]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { randomTokenBatch, writeTokenBatch } from '../analysis/tokens';
import { forecastFlops, loadAverage, modelGemmRates, mosaicFlops, theoreticalPeak } from './roofline';
import { seriesCsv } from './series-csv';

const root = path.resolve(__dirname, '..');
const work = path.join(root, 'bench', '.work');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function oursJson(args: string[]): { runs_s: number[] } {
  const r = spawnSync('node', ['--import', 'tsx', 'bench/ours.ts', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`bench/ours.ts ${args.join(' ')} failed:\n${(r.stderr ?? '').slice(-2000)}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as { runs_s: number[] };
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({ options: { configs: { type: 'string', default: 'small' }, repeat: { type: 'string', default: '3' }, 'no-forecast': { type: 'boolean', default: false } } });
  const repeat = Number(a.repeat);
  mkdirSync(work, { recursive: true });
  const tokens = path.join(work, 'tokens-rrt-b100.json');
  await writeTokenBatch(tokens, randomTokenBatch({ seed: 1911 }));
  const cache = path.join(work, 'xdg-cache', 'chronos-lens');
  const peak = theoreticalPeak();
  const out: Record<string, unknown> = {};
  for (const size of a.configs!.split(',')) {
    const model = path.join(root, 'bench', 'checkpoints', `chronos-t5-${size}-random`);
    if (!existsSync(path.join(model, 'model.safetensors'))) throw new Error(`${model} is missing: run npm run bench -- --only mosaic --configs ${size} once, or tools/reference/make_checkpoints.py --real ${size} --out bench/checkpoints`);
    const cfg = JSON.parse(readFileSync(path.join(model, 'config.json'), 'utf8'));
    const gemm = await modelGemmRates(size, { repeat: 5 });
    const gemmLoad = loadAverage();
    console.error(`compute-roofline: ${size}: ORT one-MatMul ${gemm.weightedGflops.toFixed(1)} GFLOP/s (load ${gemmLoad[0]})`);
    const m = oursJson(['mosaic', '--model', model, '--tokens', tokens, '--repeat', String(repeat + 1), '--cache-dir', cache]);
    const mosaicLoad = loadAverage();
    const mS = median(m.runs_s.slice(1));
    const mF = mosaicFlops(cfg) / 1e9;
    console.error(`compute-roofline: ${size}: warm mosaic ${mS.toFixed(3)} s = ${(mF / mS).toFixed(1)} GFLOP/s (load ${mosaicLoad[0]})`);
    const entry: Record<string, unknown> = {
      ortGemm: { ...gemm, fractionOfTheoretical: gemm.weightedGflops / peak.gflops, loadAverage: gemmLoad },
      mosaic: { runs_s: m.runs_s, warmMedian_s: mS, gflop: mF, gflops: mF / mS, fractionOfOrtGemm: mF / mS / gemm.weightedGflops, loadAverage: mosaicLoad },
    };
    if (!a['no-forecast']) {
      const f = oursJson(['forecast', '--model', model, '--csv', seriesCsv(work), '--column', 'value', '--repeat', String(repeat + 1), '--cache-dir', cache]);
      const fLoad = loadAverage();
      const fS = median(f.runs_s.slice(1));
      const fF = forecastFlops(cfg) / 1e9;
      console.error(`compute-roofline: ${size}: warm forecast ${fS.toFixed(3)} s = ${(fF / fS).toFixed(1)} GFLOP/s (load ${fLoad[0]})`);
      entry.forecast = { runs_s: f.runs_s, warmMedian_s: fS, gflopEstimated: fF, gflops: fF / fS, fractionOfOrtGemm: fF / fS / gemm.weightedGflops, loadAverage: fLoad };
    }
    out[size] = entry;
  }
  const results = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGB: +(os.totalmem() / 1e9).toFixed(1), node: process.version },
    theoretical: peak,
    configs: out,
  };
  const stamp = results.date.slice(0, 10);
  const dir = path.join(root, 'bench', 'results');
  writeFileSync(path.join(dir, `${stamp}-roofline.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(dir, `${stamp}-roofline.md`), markdown(results, `${stamp}-roofline.json`));
  console.log(JSON.stringify(results));
}

type Entry = {
  ortGemm: { weightedGflops: number; fractionOfTheoretical: number; loadAverage: number[]; rates: { shape: string; gflops: number }[] };
  mosaic: { warmMedian_s: number; gflop: number; gflops: number; fractionOfOrtGemm: number; loadAverage: number[] };
  forecast?: { warmMedian_s: number; gflopEstimated: number; gflops: number; fractionOfOrtGemm: number; loadAverage: number[] };
};

function markdown(r: { date: string; machine: { cpu?: string; cores: number }; theoretical: ReturnType<typeof theoreticalPeak>; configs: Record<string, unknown> }, file: string): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  const la = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
  const lines = [
    '# Warm compute against the machine\'s roofline',
    '',
    `Written by \`npx tsx bench/compute-roofline.ts\` on ${r.date.slice(0, 16)} UTC; raw numbers in [\`${file}\`](${file}). ${r.machine.cpu} · ${r.machine.cores} cores.`,
    '',
    `Theoretical fp32 peak ${f(r.theoretical.gflops, 0)} GFLOP/s: ${r.theoretical.assumption}.`,
    '',
    'Load average (1 / 5 / 15 min) is given beside each figure: the machine is shared, so the figures are indicative and the ratios, measured minutes apart, carry the load\'s noise.',
    '',
    '| config | figure | GFLOP/s | fraction | load average |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [size, raw] of Object.entries(r.configs)) {
    const e = raw as Entry;
    lines.push(`| ${size} | ONNX Runtime one-MatMul, mosaic shapes (${e.ortGemm.rates.map((x) => `${x.shape} ${f(x.gflops, 0)}`).join('; ')}) | ${f(e.ortGemm.weightedGflops)} | ${f(100 * e.ortGemm.fractionOfTheoretical)} % of theoretical | ${la(e.ortGemm.loadAverage)} |`);
    lines.push(`| ${size} | warm reference mosaic (${f(e.mosaic.gflop)} GFLOP in ${f(e.mosaic.warmMedian_s, 3)} s) | ${f(e.mosaic.gflops)} | ${f(100 * e.mosaic.fractionOfOrtGemm)} % of ORT GEMM | ${la(e.mosaic.loadAverage)} |`);
    if (e.forecast) lines.push(`| ${size} | warm forecast, ctx 512, 64 steps, 20 samples (${f(e.forecast.gflopEstimated)} GFLOP estimated, in ${f(e.forecast.warmMedian_s, 3)} s) | ${f(e.forecast.gflops)} | ${f(100 * e.forecast.fractionOfOrtGemm)} % of ORT GEMM | ${la(e.forecast.loadAverage)} |`);
  }
  lines.push(
    '',
    'The forecast\'s decoder multiplies 20 rows at a time (one per sample, KV cache), far below the 2 200-row GEMMs the roofline is measured at, so its fraction is bounded by latency per step, not by GEMM throughput.',
    '',
  );
  return lines.join('\n');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
