/**
 * The machine's own roofline, measured in the same run as the benchmarks:
 *  (a) the fp32 GEMM rate ONNX Runtime itself reaches here, with a one-MatMul graph at the shapes the
 *      reference mosaic multiplies (built with our GraphBuilder, run through models/runtime/ort.ts, so
 *      it is the same library, version, thread settings and session options as the models), and
 *  (b) the theoretical peak from the CPU's flags and clock.
 * Another library's matmul (torch) is no roofline for ours: on a CPU with AVX-512 MLAS beats it.
 *
 *   npx tsx bench/roofline.ts [--configs small,base] [--repeat 7] [--threads N]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { GraphBuilder } from '../models/onnx/builder';
import { createSession } from '../models/runtime/ort';

/** The chronos-t5 configs (tools/reference/make_checkpoints.py, REAL_CONFIGS). */
export const T5_CONFIGS: Record<string, { d_model: number; d_ff: number; inner: number }> = {
  tiny: { d_model: 256, d_ff: 1024, inner: 256 },
  mini: { d_model: 384, d_ff: 1536, inner: 512 },
  small: { d_model: 512, d_ff: 2048, inner: 512 },
  base: { d_model: 768, d_ff: 3072, inner: 768 },
  large: { d_model: 1024, d_ff: 4096, inner: 1024 },
};

/** Encoder rows of the reference mosaic: 100 series x 22 tokens, the bulk of its FLOPs. */
export const MOSAIC_ROWS = 100 * 22;

export interface GemmRate {
  shape: string;
  m: number;
  k: number;
  n: number;
  median_ms: number;
  gflops: number;
}

export interface TheoreticalPeak {
  gflops: number;
  cores: number;
  mhz: number;
  mhzSource: string;
  flopsPerCycle: number;
  isa: string;
  assumption: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Seeded uniform values in [-1, 1): the rate must not depend on the data, but zeros could be special-cased. */
function randomData(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/** [m, k] x [k, n] as one ONNX MatMul with the right-hand side an initializer, as the models' weights are. */
export async function gemmRate(m: number, k: number, n: number, opts: { repeat?: number; threads?: number } = {}): Promise<GemmRate> {
  const g = new GraphBuilder('gemm');
  const x = g.input('x', 'float32', [m, k]);
  const w = g.initializer('w', 'float32', [k, n], randomData(k * n, k * 31 + n));
  g.output(g.matmul(x, w), 'y', [m, n]);
  const built = await g.build();
  const session = await createSession({ bytes: built.bytes }, { provider: 'cpu', threads: opts.threads });
  try {
    const feed = { x: { data: randomData(m * k, m + k), dims: [m, k] } };
    await session.run(feed); // first run: allocations and packing of the weight
    const times: number[] = [];
    for (let i = 0; i < (opts.repeat ?? 7); i++) {
      const t0 = performance.now();
      await session.run(feed);
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    return { shape: `[${m}x${k}]x[${k}x${n}]`, m, k, n, median_ms: ms, gflops: (2 * m * k * n) / ms / 1e6 };
  } finally {
    await session.release();
  }
}

/**
 * The shapes of one encoder layer of the reference mosaic for a config: attention projections
 * ([rows, d_model] x [d_model, inner]), the FFN's two GEMMs. Their FLOP-weighted rate is the roofline
 * the mosaic is held to (the attention score GEMMs are small, 22 x 22 x 64 per head, and not included).
 */
export async function modelGemmRates(config: string, opts: { repeat?: number; threads?: number } = {}): Promise<{ config: string; rates: GemmRate[]; weightedGflops: number }> {
  const c = T5_CONFIGS[config];
  if (!c) throw new Error(`unknown config ${config}; one of ${Object.keys(T5_CONFIGS).join(', ')}`);
  const shapes: [number, number, number, number][] = [
    [MOSAIC_ROWS, c.d_model, c.inner, 4], // q, k, v, o (o is [inner, d_model]; same FLOPs)
    [MOSAIC_ROWS, c.d_model, c.d_ff, 1], // FFN in
    [MOSAIC_ROWS, c.d_ff, c.d_model, 1], // FFN out
  ];
  const rates: GemmRate[] = [];
  let flops = 0;
  let seconds = 0;
  for (const [m, k, n, times] of shapes) {
    const r = await gemmRate(m, k, n, opts);
    rates.push(r);
    const f = 2 * m * k * n * times;
    flops += f;
    seconds += (f / 1e9) / r.gflops;
  }
  return { config, rates, weightedGflops: flops / 1e9 / seconds };
}

/**
 * FLOPs of the reference forecast (context 512 -> 513 encoder tokens, 64 steps, 20 samples as decoder
 * rows, KV cache): encoder once, cross K/V once, then per step and row the decoder's projections, FFN,
 * attention over the cache and the context, and the LM head over the 4096-token vocabulary. An
 * estimate of the arithmetic, not of what the graph executes (softmax, norms and sampling are left out).
 */
export function forecastFlops(cfg: { d_model: number; d_ff: number; num_heads: number; d_kv: number; num_layers: number; num_decoder_layers?: number; vocab_size?: number }, ctx = 513, steps = 64, rows = 20): number {
  const d = cfg.d_model, inner = cfg.num_heads * cfg.d_kv, ff = cfg.d_ff, L = cfg.num_layers, Ld = cfg.num_decoder_layers ?? L, V = cfg.vocab_size ?? 4096;
  const encoder = 2 * ctx * L * (4 * d * inner + 2 * d * ff) + 2 * 2 * L * ctx * ctx * inner;
  const crossKv = 2 * ctx * Ld * 2 * d * inner;
  let decoder = 0;
  for (let s = 1; s <= steps; s++) decoder += 2 * rows * (Ld * (6 * d * inner + 2 * d * ff + 2 * inner * (s + ctx)) + d * V);
  return encoder + crossKv + decoder;
}

/** FLOPs of the reference mosaic (as bench/run.ts counts them): encoder over B x Te tokens, cross K/V, 2 decoder positions, attention. */
export function mosaicFlops(cfg: { d_model: number; d_ff: number; num_heads: number; d_kv: number; num_layers: number; num_decoder_layers?: number }, B = 100, Te = 22, Td = 2): number {
  const d = cfg.d_model, inner = cfg.num_heads * cfg.d_kv, ff = cfg.d_ff, L = cfg.num_layers, Ld = cfg.num_decoder_layers ?? L;
  const encTok = B * Te;
  return 2 * encTok * L * (4 * d * inner + 2 * d * ff) + 2 * B * cfg.num_heads * L * Te * Te * cfg.d_kv * 2 + 2 * encTok * Ld * 2 * d * inner + 2 * B * Td * Ld * (4 * d * inner + 2 * d * ff);
}

/** `lscpu` key: value pairs (empty when lscpu is missing). */
function lscpu(): Record<string, string> {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8' });
    return Object.fromEntries(out.split('\n').map((l) => l.split(/:\s+/, 2)).filter((p) => p.length === 2).map(([k, v]) => [k.trim(), v.trim()]));
  } catch {
    return {};
  }
}

/**
 * Theoretical fp32 peak = FLOPs/cycle/core x cores x clock. FLOPs/cycle from the widest FMA the flags
 * offer, assuming two FMA pipes per core (true of Xeon Gold/Platinum and of Zen 2-4 for AVX2; some
 * Xeon Silver/Bronze have one 512-bit FMA pipe, which halves the AVX-512 figure). Clock: the CPU's max
 * MHz when the kernel reports it, else the nominal "cpu MHz" (virtual machines often expose only that);
 * AVX-512 licence down-clocking is not modelled, so the figure is an upper bound.
 */
export function theoreticalPeak(): TheoreticalPeak {
  const info = lscpu();
  let flags = info['Flags'] ?? '';
  let cpuinfoMhz = NaN;
  try {
    const txt = readFileSync('/proc/cpuinfo', 'utf8');
    if (!flags) flags = /^flags\s*:\s*(.*)$/m.exec(txt)?.[1] ?? '';
    cpuinfoMhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(txt)?.[1]);
  } catch {
    // not Linux: fall back to os.cpus()
  }
  const has = new Set(flags.split(/\s+/));
  let isa: string;
  let lanes: number;
  if (has.has('avx512f') && has.has('fma')) [isa, lanes] = ['AVX-512 FMA', 16];
  else if (has.has('avx2') && has.has('fma')) [isa, lanes] = ['AVX2 FMA', 8];
  else if (has.has('avx')) [isa, lanes] = ['AVX (no FMA)', 4]; // one add + one mul of 8 lanes per cycle = 16 FLOPs
  else [isa, lanes] = ['SSE', 2];
  const flopsPerCycle = 2 * 2 * lanes; // 2 pipes x (multiply + add) x lanes
  let mhz = Number(info['CPU max MHz']);
  let mhzSource = 'lscpu CPU max MHz';
  if (!Number.isFinite(mhz) || mhz <= 0) {
    mhz = cpuinfoMhz;
    mhzSource = '/proc/cpuinfo cpu MHz (no max MHz reported: nominal clock)';
  }
  if (!Number.isFinite(mhz) || mhz <= 0) {
    mhz = os.cpus()[0]?.speed ?? NaN;
    mhzSource = 'os.cpus() speed';
  }
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  return {
    gflops: (flopsPerCycle * cores * mhz) / 1000,
    cores,
    mhz,
    mhzSource,
    flopsPerCycle,
    isa,
    assumption: `${isa}, 2 FMA pipes x ${lanes} fp32 lanes x 2 FLOPs = ${flopsPerCycle} FLOPs/cycle/core x ${cores} logical cores x ${mhz} MHz (${mhzSource}); no AVX-512 down-clocking modelled: an upper bound`,
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((x) => +x.toFixed(2));
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({ options: { configs: { type: 'string', default: 'small,base' }, repeat: { type: 'string', default: '7' }, threads: { type: 'string' } } });
  const opts = { repeat: Number(a.repeat), threads: a.threads ? Number(a.threads) : undefined };
  const loadBefore = loadAverage();
  const peak = theoreticalPeak();
  const configs: Record<string, unknown> = {};
  for (const c of a.configs!.split(',')) {
    const r = await modelGemmRates(c, opts);
    configs[c] = { ...r, fractionOfTheoretical: r.weightedGflops / peak.gflops };
    console.error(`roofline: ${c}: ONNX Runtime one-MatMul ${r.weightedGflops.toFixed(1)} GFLOP/s (${r.rates.map((x) => `${x.shape} ${x.gflops.toFixed(0)}`).join(', ')}), load ${loadAverage()[0]}`);
  }
  console.log(JSON.stringify({ theoretical: peak, configs, loadAverage: { before: loadBefore, after: loadAverage() } }));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
